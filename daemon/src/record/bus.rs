//! Watches the recording pipeline's bus on a thread of its own: turns splitmuxsink's
//! fragment messages into [`SegmentFinished`] reports, keeps the first error, signals EOS.
//!
//! Hashing and fsync happen here, never on the camera thread or a streaming thread.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::JoinHandle;
use std::time::Duration;

use chrono::{DateTime, Utc};
use gstreamer as gst;
use uuid::Uuid;

use super::segment::{SegmentFinished, finish_segment};

const POLL_INTERVAL: gst::ClockTime = gst::ClockTime::from_mseconds(100);

/// What the bus thread and the recorder share.
#[derive(Default)]
pub struct BusState {
    /// Wall-clock time of the frame recorded at running time 0 (the first frame).
    pub wall_time_at_start: OnceLock<DateTime<Utc>>,
    /// The first error the pipeline posted, until the recorder reports it.
    pub error: Mutex<Option<String>>,
    stop: AtomicBool,
}

pub struct BusWatch {
    state: Arc<BusState>,
    thread: Option<JoinHandle<()>>,
}

impl BusWatch {
    pub fn start(
        bus: gst::Bus,
        session_id: Uuid,
        state: Arc<BusState>,
        on_segment: Box<dyn Fn(SegmentFinished) + Send>,
        eos: Sender<()>,
    ) -> std::io::Result<Self> {
        let thread_state = state.clone();
        let thread = std::thread::Builder::new()
            .name("recording-bus".into())
            .spawn(move || {
                let mut segments = SegmentTracker {
                    session_id,
                    state: thread_state,
                    on_segment,
                    opened: HashMap::new(),
                };
                while !segments.state.stop.load(Ordering::Relaxed) {
                    if let Some(message) = bus.timed_pop(POLL_INTERVAL) {
                        segments.handle(&message, &eos);
                    }
                }
            })?;
        Ok(Self {
            state,
            thread: Some(thread),
        })
    }

    /// Stops the thread after the messages already taken; later ones are not reported.
    pub fn stop(&mut self) {
        self.state.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            log::error!(
                "The recording bus thread panicked; segments it was closing were not reported."
            );
        }
    }
}

impl Drop for BusWatch {
    fn drop(&mut self) {
        self.stop();
    }
}

struct SegmentTracker {
    session_id: Uuid,
    state: Arc<BusState>,
    on_segment: Box<dyn Fn(SegmentFinished) + Send>,
    /// Running time at which each open segment file started, by location.
    opened: HashMap<String, gst::ClockTime>,
}

impl SegmentTracker {
    fn handle(&mut self, message: &gst::Message, eos: &Sender<()>) {
        match message.view() {
            gst::MessageView::Element(element) => {
                let Some(structure) = element.structure() else {
                    return;
                };
                let (Ok(location), Ok(running_time)) = (
                    structure.get::<String>("location"),
                    structure.get::<gst::ClockTime>("running-time"),
                ) else {
                    return;
                };
                match structure.name().as_str() {
                    "splitmuxsink-fragment-opened" => {
                        self.opened.insert(location, running_time);
                    }
                    "splitmuxsink-fragment-closed" => self.closed(&location, running_time),
                    _ => {}
                }
            }
            gst::MessageView::Error(error) => {
                let text = match error.debug() {
                    Some(debug) => format!("{} ({debug})", error.error()),
                    None => error.error().to_string(),
                };
                log::error!("The recording pipeline failed: {text}.");
                let mut slot = self.state.error.lock().unwrap_or_else(|e| e.into_inner());
                slot.get_or_insert(text);
            }
            gst::MessageView::Warning(warning) => {
                log::warn!("The recording pipeline warns: {}.", warning.error())
            }
            gst::MessageView::Eos(_) => {
                // The recorder may have stopped waiting already; nothing to do then.
                let _ = eos.send(());
            }
            _ => {}
        }
    }

    fn closed(&mut self, location: &str, end: gst::ClockTime) {
        let start = self.opened.remove(location).unwrap_or(gst::ClockTime::ZERO);
        let start_offset = Duration::from(start);
        let duration_s = Duration::from(end.saturating_sub(start)).as_secs_f64();
        let wall_time_at_start = self
            .state
            .wall_time_at_start
            .get()
            .copied()
            .unwrap_or_else(Utc::now);
        let started_at =
            wall_time_at_start + chrono::Duration::from_std(start_offset).unwrap_or_default();
        match finish_segment(self.session_id, location.as_ref(), started_at, duration_s) {
            Ok(segment) => {
                log::info!(
                    "Recording segment {location} is finished ({duration_s:.1} s, {} bytes).",
                    segment.bytes
                );
                (self.on_segment)(segment);
            }
            Err(e) => {
                log::error!("Recording segment {location} closed but cannot be read back: {e}.")
            }
        }
    }
}
