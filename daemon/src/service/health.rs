//! Pipeline health: counters every stage moves, and the typed snapshot
//! ([`HealthSnapshot`]) the status page, MQTT `health`, `/metrics` and the session
//! report are made from.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

use crate::event::EventKind;
use crate::health_snapshot::{
    CameraHealth, HealthSnapshot, Histogram, INFERENCE_MS_BUCKETS, InferenceHealth, MqttHealth,
    RecordingHealth,
};
use crate::session::SessionHealth;

#[derive(Default)]
pub struct Health {
    pub frames_captured: AtomicU64,
    /// Frames replaced in the slot before inference took them.
    pub frames_skipped: AtomicU64,
    pub frames_analysed: AtomicU64,
    /// Frames the analysis converted to RGB (see `CameraHealth::converted_to_rgb`).
    pub frames_converted_to_rgb: AtomicU64,
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
    /// Per-frame inference times, one counter per bucket of [`INFERENCE_MS_BUCKETS`]
    /// and one above the last.
    inference_buckets: [AtomicU64; INFERENCE_MS_BUCKETS.len() + 1],
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
    events_by_kind: BTreeMap<&'static str, u64>,
}

/// What the snapshot takes from outside the pipeline's counters.
pub struct Surroundings {
    pub queue_depth: usize,
    pub outbox_len: usize,
    pub mqtt: MqttHealth,
    pub uptime: Duration,
    pub accelerator: String,
    pub store_unflushed_commits: u64,
    pub disk_free_mib: Option<u64>,
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
        let bucket = INFERENCE_MS_BUCKETS
            .iter()
            .position(|&bound| f64::from(ms) <= bound)
            .unwrap_or(INFERENCE_MS_BUCKETS.len());
        self.inference_buckets[bucket].fetch_add(1, Relaxed);
    }

    /// Counts an event once: when its End record is stored (every event ends once).
    pub fn count_event_end(&self, kind: EventKind) {
        *self
            .state
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .events_by_kind
            .entry(kind.as_str())
            .or_default() += 1;
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

    /// The snapshot the status page, MQTT `health` and `/metrics` show.
    pub fn snapshot(&self, around: Surroundings) -> HealthSnapshot {
        let st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let analysed = self.frames_analysed.load(Relaxed);
        let object_frames = self.object_frames.load(Relaxed);
        let inference_ms_total = self.inference_us_total.load(Relaxed) as f64 / 1000.0;
        HealthSnapshot {
            uptime_s: around.uptime.as_secs(),
            camera: CameraHealth {
                connected: self.camera_connected.load(Relaxed),
                state: st.camera.clone(),
                fps: round1(st.capture_fps),
                frames: self.frames_captured.load(Relaxed),
                converted_to_rgb: self.frames_converted_to_rgb.load(Relaxed),
                outages: self.camera_outages.load(Relaxed),
                outage_s: self.camera_outage_ms.load(Relaxed) as f64 / 1000.0,
            },
            inference: InferenceHealth {
                accelerator: around.accelerator,
                fps: round1(st.analysis_fps),
                last_ms: self.last_inference_us.load(Relaxed) as f64 / 1000.0,
                mean_ms: if analysed == 0 {
                    0.0
                } else {
                    round1(inference_ms_total / analysed as f64)
                },
                frames: analysed,
                dropped_frames: self.frames_skipped.load(Relaxed),
                errors: self.inference_errors.load(Relaxed),
                queue_depth: around.queue_depth,
                histogram_ms: Histogram {
                    bounds: INFERENCE_MS_BUCKETS.to_vec(),
                    counts: self
                        .inference_buckets
                        .iter()
                        .map(|c| c.load(Relaxed))
                        .collect(),
                    sum: inference_ms_total,
                },
                objects_fps: round1(st.object_fps),
                objects_frames: object_frames,
                objects_mean_ms: if object_frames == 0 {
                    0.0
                } else {
                    round1(
                        self.object_us_total.load(Relaxed) as f64 / object_frames as f64 / 1000.0,
                    )
                },
            },
            recording: RecordingHealth {
                active: self.recording.load(Relaxed),
                note: st.recording_note.clone(),
                segments: self.segments_finished.load(Relaxed),
                dropped_frames: self.recording_dropped_frames.load(Relaxed),
            },
            events_recorded: self.events_recorded.load(Relaxed),
            events_by_kind: st
                .events_by_kind
                .iter()
                .map(|(kind, n)| (kind.to_string(), *n))
                .collect(),
            store_errors: self.store_errors.load(Relaxed),
            store_unflushed_commits: around.store_unflushed_commits,
            clock_steps: self.clock_steps.load(Relaxed),
            outbox_len: around.outbox_len,
            mqtt: around.mqtt,
            disk_free_mib: around.disk_free_mib,
        }
    }
}

fn round1(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn around() -> Surroundings {
        Surroundings {
            queue_depth: 0,
            outbox_len: 0,
            mqtt: MqttHealth::off(),
            uptime: Duration::from_secs(3),
            accelerator: "cpu".into(),
            store_unflushed_commits: 0,
            disk_free_mib: Some(100),
        }
    }

    #[test]
    fn inference_times_fall_into_the_bucket_of_their_upper_bound() {
        let health = Health::default();
        for ms in [0.4, 1.0, 4.9, 30.0, 900.0] {
            health.record_inference(ms);
        }
        let histogram = health.snapshot(around()).inference.histogram_ms;
        assert_eq!(histogram.bounds.len() + 1, histogram.counts.len());
        // <=1: 0.4 and 1.0; <=5: 4.9; <=35: 30; above 500: 900.
        assert_eq!(histogram.counts, vec![2, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1]);
        assert!((histogram.sum - 936.3).abs() < 0.01, "{}", histogram.sum);
    }

    #[test]
    fn the_snapshot_keeps_the_json_names_the_status_page_reads() {
        let health = Health::default();
        health.count_event_end(EventKind::PhoneDetected);
        health.count_event_end(EventKind::PhoneDetected);
        let json = serde_json::to_value(health.snapshot(around())).unwrap();
        for path in [
            "/uptime_s",
            "/camera/connected",
            "/camera/fps",
            "/camera/outages",
            "/inference/last_ms",
            "/inference/mean_ms",
            "/inference/dropped_frames",
            "/inference/queue_depth",
            "/recording/active",
            "/recording/note",
            "/outbox_len",
            "/store_unflushed_commits",
        ] {
            assert!(json.pointer(path).is_some(), "{path} is missing: {json}");
        }
        assert_eq!(json["mqtt"], serde_json::json!({ "enabled": false }));
        assert_eq!(json["events_by_kind"]["phone_detected"], 2);
    }
}
