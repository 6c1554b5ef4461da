//! Pipeline health: counters every stage moves, and the snapshot the status page, MQTT
//! `health` and the session report are made from.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::session::SessionHealth;

#[derive(Default)]
pub struct Health {
    pub frames_captured: AtomicU64,
    /// Frames replaced in the slot before inference took them.
    pub frames_skipped: AtomicU64,
    pub frames_analysed: AtomicU64,
    pub inference_errors: AtomicU64,
    /// Sum of per-frame inference time, in microseconds.
    pub inference_us_total: AtomicU64,
    pub last_inference_us: AtomicU64,
    /// Analysed frames an object-detection result joined, and the time spent on them in
    /// microseconds (the object stage runs on its own thread at its own rate).
    pub object_frames: AtomicU64,
    pub object_us_total: AtomicU64,
    pub camera_connected: AtomicBool,
    pub camera_outages: AtomicU64,
    pub camera_outage_ms: AtomicU64,
    pub recording: AtomicBool,
    pub recording_dropped_frames: AtomicU64,
    pub segments_finished: AtomicU64,
    pub events_recorded: AtomicU64,
    pub store_errors: AtomicU64,
    /// Wall-clock steps seen (see `clock::WallMap`).
    pub clock_steps: AtomicU64,
    state: Mutex<HealthState>,
}

#[derive(Default)]
struct HealthState {
    camera: String,
    recording_note: String,
    last_sample: Option<(Instant, u64, u64, u64)>,
    capture_fps: f64,
    analysis_fps: f64,
    object_fps: f64,
    /// Counters at the start of the active session.
    session_base: Option<SessionBase>,
}

#[derive(Clone, Copy)]
struct SessionBase {
    captured: u64,
    analysed: u64,
    skipped: u64,
    outages: u64,
    outage_ms: u64,
    inference_us: u64,
    started: Instant,
}

impl Health {
    pub fn set_camera_state(&self, text: impl Into<String>) {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).camera = text.into();
    }

    pub fn set_recording_note(&self, text: impl Into<String>) {
        self.state
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .recording_note = text.into();
    }

    pub fn record_inference(&self, ms: f32) {
        let us = (ms * 1000.0) as u64;
        self.frames_analysed.fetch_add(1, Relaxed);
        self.inference_us_total.fetch_add(us, Relaxed);
        self.last_inference_us.store(us, Relaxed);
    }

    /// An object-detection result that took `ms` joined an analysed frame.
    pub fn record_objects(&self, ms: f32) {
        self.object_frames.fetch_add(1, Relaxed);
        self.object_us_total
            .fetch_add((ms * 1000.0) as u64, Relaxed);
    }

    /// Marks the start of a session: its report counts from here.
    pub fn begin_session(&self) {
        let base = SessionBase {
            captured: self.frames_captured.load(Relaxed),
            analysed: self.frames_analysed.load(Relaxed),
            skipped: self.frames_skipped.load(Relaxed),
            outages: self.camera_outages.load(Relaxed),
            outage_ms: self.camera_outage_ms.load(Relaxed),
            inference_us: self.inference_us_total.load(Relaxed),
            started: Instant::now(),
        };
        self.state
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .session_base = Some(base);
    }

    /// Health of the session since `begin_session`.
    pub fn session_health(&self) -> SessionHealth {
        let st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let Some(b) = st.session_base else {
            return SessionHealth::default();
        };
        let captured = self.frames_captured.load(Relaxed) - b.captured;
        let analysed = self.frames_analysed.load(Relaxed) - b.analysed;
        let secs = b.started.elapsed().as_secs_f64().max(1e-3);
        SessionHealth {
            camera_fps: (captured as f64 / secs) as f32,
            frames_captured: captured,
            frames_analysed: analysed,
            dropped_frames: self.frames_skipped.load(Relaxed) - b.skipped,
            camera_outages: (self.camera_outages.load(Relaxed) - b.outages) as u32,
            camera_outage_s: (self.camera_outage_ms.load(Relaxed) - b.outage_ms) as f64 / 1000.0,
            mean_inference_ms: if analysed == 0 {
                0.0
            } else {
                ((self.inference_us_total.load(Relaxed) - b.inference_us) as f64
                    / analysed as f64
                    / 1000.0) as f32
            },
            // Kept by `Shared`, which sees the clocks.
            clock_steps: Vec::new(),
        }
    }

    /// Updates the rates; call about once a second.
    pub fn sample_rates(&self) {
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        let (captured, analysed, objects) = (
            self.frames_captured.load(Relaxed),
            self.frames_analysed.load(Relaxed),
            self.object_frames.load(Relaxed),
        );
        if let Some((t, c, a, o)) = st.last_sample {
            let dt = now.duration_since(t).as_secs_f64().max(1e-3);
            st.capture_fps = (captured - c) as f64 / dt;
            st.analysis_fps = (analysed - a) as f64 / dt;
            st.object_fps = (objects - o) as f64 / dt;
        }
        st.last_sample = Some((now, captured, analysed, objects));
    }

    /// The snapshot the status page and MQTT `health` show.
    pub fn snapshot(
        &self,
        queue_depth: usize,
        outbox_len: usize,
        mqtt: Value,
        uptime: Duration,
        accelerator: &str,
    ) -> Value {
        let st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let analysed = self.frames_analysed.load(Relaxed);
        let object_frames = self.object_frames.load(Relaxed);
        json!({
            "uptime_s": uptime.as_secs(),
            "camera": {
                "connected": self.camera_connected.load(Relaxed),
                "state": st.camera,
                "fps": round1(st.capture_fps),
                "frames": self.frames_captured.load(Relaxed),
                "outages": self.camera_outages.load(Relaxed),
                "outage_s": self.camera_outage_ms.load(Relaxed) as f64 / 1000.0,
            },
            "inference": {
                "accelerator": accelerator,
                "fps": round1(st.analysis_fps),
                "last_ms": self.last_inference_us.load(Relaxed) as f64 / 1000.0,
                "mean_ms": if analysed == 0 { 0.0 } else { round1(self.inference_us_total.load(Relaxed) as f64 / analysed as f64 / 1000.0) },
                "frames": analysed,
                "dropped_frames": self.frames_skipped.load(Relaxed),
                "errors": self.inference_errors.load(Relaxed),
                "queue_depth": queue_depth,
                // The object stage's achieved rate: lower than configured when the
                // board cannot keep up (it drops frames rather than queueing them).
                "objects_fps": round1(st.object_fps),
                "objects_frames": object_frames,
                "objects_mean_ms": if object_frames == 0 { 0.0 } else { round1(self.object_us_total.load(Relaxed) as f64 / object_frames as f64 / 1000.0) },
            },
            "recording": {
                "active": self.recording.load(Relaxed),
                "note": st.recording_note,
                "segments": self.segments_finished.load(Relaxed),
                "dropped_frames": self.recording_dropped_frames.load(Relaxed),
            },
            "events_recorded": self.events_recorded.load(Relaxed),
            "store_errors": self.store_errors.load(Relaxed),
            "clock_steps": self.clock_steps.load(Relaxed),
            "outbox_len": outbox_len,
            "mqtt": mqtt,
        })
    }
}

fn round1(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}
