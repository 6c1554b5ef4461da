//! The object passes on a thread of their own, so that the object model (the costly
//! one: ~15 ms per SSD pass here, ~100 ms on a Pi 4) never delays the face path.
//!
//! The analysis thread offers a frame (and the faces found on it, for the hands-and-desk
//! zone) whenever objects are due; the worker takes the newest offer when it is free. An
//! offer the worker had no time for is replaced by the next one, never queued: under load
//! the object stage lowers its rate by itself, and `ObjectStageStats` says how often it
//! ran and how many offers it had to let go. Results carry the time of the frame they
//! were computed on (`Detections::objects_at`), so the rules time a sighting by the frame
//! that showed it, not by the later frame it joins.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use super::downscale::Downscaled;
use super::error::InferenceError;
use super::object_passes::ObjectPasses;
use crate::detections::{BBox, DetectedObject, Face};
use crate::frame::Frame;

/// What the object passes found on one frame.
#[derive(Debug)]
pub struct ObjectResult {
    pub frame_seq: u64,
    /// The time of the frame they ran on.
    pub at: Duration,
    pub objects: Vec<DetectedObject>,
    pub hands_zone: Option<BBox>,
    pub ms: f32,
}

/// Counters of the object stage, read by the health page.
#[derive(Debug, Default)]
pub struct ObjectStageStats {
    /// Frames the object passes ran on.
    pub runs: AtomicU64,
    /// Offers replaced by a newer one before the worker was free for them.
    pub offers_replaced: AtomicU64,
    /// Sum of the time spent in the object passes, in microseconds.
    pub busy_us: AtomicU64,
}

struct Offer {
    frame: Frame,
    /// The frame's shared smaller copy, when the analysis thread made one for its own
    /// face detector too.
    small: Option<Downscaled>,
    faces: Vec<Face>,
}

#[derive(Default)]
struct Mailbox {
    offer: Mutex<Option<Offer>>,
    ready: Condvar,
    stop: AtomicBool,
}

pub struct ObjectStage {
    mailbox: Arc<Mailbox>,
    results: mpsc::Receiver<Result<ObjectResult, InferenceError>>,
    stats: Arc<ObjectStageStats>,
    worker: Option<std::thread::JoinHandle<()>>,
}

impl ObjectStage {
    /// Moves `passes` onto a new thread named `objects`.
    pub fn spawn(mut passes: ObjectPasses) -> std::io::Result<ObjectStage> {
        let mailbox = Arc::new(Mailbox::default());
        let stats = Arc::new(ObjectStageStats::default());
        let (tx, results) = mpsc::channel();
        let worker = {
            let mailbox = mailbox.clone();
            let stats = stats.clone();
            std::thread::Builder::new()
                .name("objects".into())
                .spawn(move || {
                    while let Some(offer) = mailbox.wait_for_offer() {
                        let start = Instant::now();
                        let found = passes
                            .detect(&offer.frame, offer.small.as_ref(), &offer.faces)
                            .map(|found| {
                                let elapsed = start.elapsed();
                                stats.runs.fetch_add(1, Relaxed);
                                stats.busy_us.fetch_add(elapsed.as_micros() as u64, Relaxed);
                                ObjectResult {
                                    frame_seq: offer.frame.seq,
                                    at: offer.frame.pts,
                                    objects: found.objects,
                                    hands_zone: found.hands_zone,
                                    ms: elapsed.as_secs_f32() * 1000.0,
                                }
                            });
                        if tx.send(found).is_err() {
                            return; // the analysis side is gone
                        }
                    }
                })?
        };
        Ok(ObjectStage {
            mailbox,
            results,
            stats,
            worker: Some(worker),
        })
    }

    /// Hands the worker a frame (and its shared smaller copy, if any) to run on when it is next free, replacing an offer it
    /// has not taken yet. Never waits.
    pub fn offer(&self, frame: &Frame, small: Option<&Downscaled>, faces: &[Face]) {
        let mut slot = self.mailbox.offer.lock().unwrap_or_else(|p| p.into_inner());
        let replaced = slot
            .replace(Offer {
                frame: frame.clone(),
                small: small.cloned(),
                faces: faces.to_vec(),
            })
            .is_some();
        if replaced {
            self.stats.offers_replaced.fetch_add(1, Relaxed);
        }
        self.mailbox.ready.notify_one();
    }

    /// The newest finished result, if any, without waiting. Older finished results are
    /// dropped: the rules want the latest evidence, and at most one is normally waiting.
    pub fn try_take(&self) -> Option<Result<ObjectResult, InferenceError>> {
        self.results.try_iter().last()
    }

    /// Waits for the next result (up to `timeout`). `Disconnected` means the worker's
    /// thread has ended (a panic in the model): no result will ever come.
    pub fn take(
        &self,
        timeout: Duration,
    ) -> Result<Result<ObjectResult, InferenceError>, mpsc::RecvTimeoutError> {
        self.results.recv_timeout(timeout)
    }

    pub fn stats(&self) -> Arc<ObjectStageStats> {
        self.stats.clone()
    }
}

impl Mailbox {
    /// The next offer; `None` once the stage is dropped.
    fn wait_for_offer(&self) -> Option<Offer> {
        let mut slot = self.offer.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if self.stop.load(Relaxed) {
                return None;
            }
            if let Some(offer) = slot.take() {
                return Some(offer);
            }
            slot = self.ready.wait(slot).unwrap_or_else(|p| p.into_inner());
        }
    }
}

impl Drop for ObjectStage {
    fn drop(&mut self) {
        self.mailbox.stop.store(true, Relaxed);
        {
            // Taken under the lock, so the worker cannot miss the wake-up between its
            // check of `stop` and its wait.
            let _slot = self.mailbox.offer.lock().unwrap_or_else(|p| p.into_inner());
            self.mailbox.ready.notify_all();
        }
        if let Some(worker) = self.worker.take() {
            let _ = worker.join();
        }
    }
}
