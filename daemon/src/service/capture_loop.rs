//! The capture thread: frames from the camera (or file) to the newest-frame slot and to
//! the session's recorder. Reconnects a lost camera; never blocks on inference.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use uuid::Uuid;

use super::Shared;
use crate::capture::{CaptureError, FrameSource};
use crate::event::{EventDetails, EventKind, Phase, ProctorEvent};
use crate::frame::Frame;
use crate::record::{Recorder, SegmentFinished, recordings_dir};
use crate::store::{SegmentRecord, SegmentState};

/// Opens the frame source: `capture::open_source` in the daemon; tests stand a fake
/// camera in for hardware this machine lacks.
pub type SourceOpener = Box<dyn FnMut() -> Result<Box<dyn FrameSource>, CaptureError> + Send>;

pub fn run(shared: Arc<Shared>, mut open_source: SourceOpener) {
    let cfg = shared.control.config().clone();
    let reconnect = Duration::from_secs_f64(cfg.capture.reconnect_interval_s);
    let mut source: Option<Box<dyn FrameSource>> = None;
    let mut recorder = SessionRecorder::new(shared.clone());
    let mut seq = 0u64;
    // Stream time the frames stopped at.
    let mut lost_since: Option<Duration> = None;
    let mut warned_end = false;

    while !shared.is_shutting_down() {
        shared.capture_heartbeat();
        recorder.follow_active_session();
        let Some(src) = source.as_mut() else {
            match open_source() {
                Ok(s) => {
                    log::info!("Capturing from {}.", s.describe());
                    shared
                        .health
                        .set_camera_state(format!("capturing from {}", s.describe()));
                    source = Some(s);
                }
                Err(e) => {
                    mark_lost(&shared, &mut lost_since, &e.to_string());
                    shared.sleep_unless_shutdown(reconnect);
                }
            }
            continue;
        };
        match src.next_frame() {
            Ok(Some(frame)) => {
                if let Some(since) = lost_since.take() {
                    let outage = shared.stream_now().saturating_sub(since);
                    shared
                        .health
                        .camera_outage_ms
                        .fetch_add(outage.as_millis() as u64, Relaxed);
                    log::info!("The camera is back after {:.1} s.", outage.as_secs_f64());
                    shared
                        .health
                        .set_camera_state(format!("capturing from {}", src.describe()));
                }
                shared.health.camera_connected.store(true, Relaxed);
                // One clock for the whole daemon, read once here at capture: the
                // monotonic time since it started (a camera reopened after an unplug
                // restarts its own timestamps; the rules must not see time go
                // backwards) and the system's wall clock, from which the analysis
                // stage notices clock steps. Everything downstream derives from these.
                let frame = frame.restamped(seq, shared.stream_now(), shared.clocks.realtime());
                seq += 1;
                shared.health.frames_captured.fetch_add(1, Relaxed);
                recorder.push(&frame);
                if shared.slot.put(frame) {
                    shared.health.frames_skipped.fetch_add(1, Relaxed);
                }
            }
            Ok(None) => {
                if !warned_end {
                    log::warn!(
                        "The input {} has ended; no more frames will come (set [capture] loop_file = true to replay it).",
                        src.describe()
                    );
                    warned_end = true;
                }
                mark_lost(&shared, &mut lost_since, "the input file ended");
                shared.sleep_unless_shutdown(Duration::from_millis(200));
            }
            Err(CaptureError::Disconnected { device, reason }) => {
                mark_lost(
                    &shared,
                    &mut lost_since,
                    &format!("{} disconnected: {reason}", device.display()),
                );
                while !shared.is_shutting_down() {
                    shared.capture_heartbeat();
                    recorder.follow_active_session();
                    shared.sleep_unless_shutdown(reconnect);
                    match src.reopen() {
                        Ok(()) => break,
                        Err(e) => log::debug!("The camera is still gone: {e}"),
                    }
                }
            }
            Err(e) => {
                log::error!(
                    "Capture failed: {e}. Reopening the source in {:.0} s.",
                    reconnect.as_secs_f64()
                );
                mark_lost(&shared, &mut lost_since, &e.to_string());
                source = None;
                shared.sleep_unless_shutdown(reconnect);
            }
        }
    }
    recorder.stop();
    log::info!("Capture stopped.");
}

fn mark_lost(shared: &Shared, lost_since: &mut Option<Duration>, why: &str) {
    if lost_since.is_none() {
        *lost_since = Some(shared.stream_now());
        shared.health.camera_outages.fetch_add(1, Relaxed);
        shared.health.camera_connected.store(false, Relaxed);
        log::warn!("No frames from the camera: {why}. Retrying; proctoring events wait for it.");
        shared.health.set_camera_state(format!("no frames: {why}"));
    }
}

/// Records the active session, one recorder per session.
struct SessionRecorder {
    shared: Arc<Shared>,
    session: Option<Uuid>,
    recorder: Option<Recorder>,
    dir: PathBuf,
}

impl SessionRecorder {
    fn new(shared: Arc<Shared>) -> Self {
        let dir = recordings_dir(&shared.control.config().kiosk.state_dir);
        SessionRecorder {
            shared,
            session: None,
            recorder: None,
            dir,
        }
    }

    fn follow_active_session(&mut self) {
        let active = self.shared.control.active().map(|s| s.id);
        if active == self.session {
            return;
        }
        self.stop();
        self.session = active;
        let cfg = self.shared.control.config().recording.clone();
        let Some(id) = active else { return };
        if !cfg.enabled {
            self.shared
                .health
                .set_recording_note("recording is off in the config");
            return;
        }
        let store = self.shared.control.store().clone();
        let health = self.shared.clone();
        let on_segment = move |seg: SegmentFinished| {
            let record = SegmentRecord {
                session_id: Some(seg.session_id),
                path: seg.path.clone(),
                started_at: seg.started_at,
                duration_s: seg.duration_s,
                sha256: seg.sha256,
                bytes: seg.bytes,
                state: SegmentState::Complete,
            };
            health.health.segments_finished.fetch_add(1, Relaxed);
            if let Err(e) = store.add_segment(&record) {
                health.health.store_errors.fetch_add(1, Relaxed);
                log::error!(
                    "Cannot record segment {} in the store: {e}",
                    seg.path.display()
                );
            }
        };
        match Recorder::start(&cfg, &self.dir, id, on_segment) {
            Ok(r) => {
                log::info!(
                    "Recording session {id} with {} into {}.",
                    r.encoder(),
                    r.session_dir().display()
                );
                self.shared.health.recording.store(true, Relaxed);
                self.shared
                    .health
                    .set_recording_note(format!("recording with {}", r.encoder()));
                self.shared.control.recording_opened(id);
                self.recorder = Some(r);
            }
            Err(e) => self.stopped_with(id, &e.to_string()),
        }
    }

    fn push(&mut self, frame: &Frame) {
        let Some(r) = self.recorder.as_mut() else {
            return;
        };
        if let Err(e) = r.push(frame) {
            let id = self.session.unwrap_or_default();
            self.stopped_with(id, &e.to_string());
        }
        if let Some(r) = &self.recorder {
            self.shared
                .health
                .recording_dropped_frames
                .store(r.dropped_frames(), Relaxed);
            if !r.is_recording() {
                self.shared.health.recording.store(false, Relaxed);
            }
        }
    }

    /// Recording failed (full disk, encoder error): detection goes on, the proctor and
    /// the office are told with a `recording_stopped` event. It stays open: recording
    /// does not resume in this session (it lasts until the session's end), unless the
    /// daemon restarts, whose recovery ends it at the last sign of life.
    fn stopped_with(&mut self, session_id: Uuid, why: &str) {
        log::error!("Recording stopped: {why}. Detection and events go on.");
        self.shared.health.recording.store(false, Relaxed);
        self.shared
            .health
            .set_recording_note(format!("stopped: {why}"));
        let at = self.shared.stream_now();
        let event = ProctorEvent {
            id: Uuid::now_v7(),
            session_id: Some(session_id).filter(|id| !id.is_nil()),
            kind: EventKind::RecordingStopped,
            phase: Phase::Start,
            started_at: self.shared.wall_at(at),
            ended_at: None,
            duration_s: None,
            started_at_s: at.as_secs_f64(),
            ended_at_s: None,
            details: EventDetails {
                note: Some(why.to_string()),
                ..EventDetails::default()
            },
        };
        self.shared.record(&event);
        if let Some(r) = self.recorder.take() {
            let _ = r.finish();
            self.shared.control.recording_closed(session_id);
        }
    }

    fn stop(&mut self) {
        if let Some(r) = self.recorder.take() {
            let dir = r.session_dir().to_path_buf();
            if let Err(e) = r.finish() {
                log::warn!("Closing the recording in {} failed: {e}", dir.display());
            }
            if let Some(id) = self.session {
                self.shared.control.recording_closed(id);
            }
            self.shared.health.recording.store(false, Relaxed);
            self.shared
                .health
                .set_recording_note("not recording (no active session)");
        }
    }
}
