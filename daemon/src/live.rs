//! What the pipeline shows the proctor live: the newest frame with its detections, and
//! the kiosk's health. The pipeline publishes, the web status page reads.
//!
//! Publishing is on the pipeline's hot path, so it only swaps the newest frame into a
//! slot (an `Arc` clone of the pixels, no copy) and wakes the viewers. The annotated
//! JPEG is made only when someone asks for it, at most once per published frame however
//! many viewers there are; frames nobody looks at are never encoded.
//!
//! # Health
//! The pipeline publishes a [`HealthSnapshot`] (`service::health` makes it). The status
//! page's tiles read these keys and list every other top-level key as it is:
//!
//! | key          | read by the page                                                      |
//! |--------------|-----------------------------------------------------------------------|
//! | `camera`     | `connected` (bool), `state` (a sentence), `fps`, `outages`            |
//! | `inference`  | `last_ms`, `mean_ms`, `fps`, `accelerator`, `errors`, `dropped_frames`, `queue_depth` |
//! | `recording`  | `active` (bool), `note` (a sentence; `"stopped: …"` is shown as a fault), `dropped_frames` |
//! | `mqtt`       | `{"enabled": false}`, or the publisher's `connected`, `last_error`, `acknowledged`, `incoming_dropped`, `last_dropped`, `commands_accepted`/`_rejected` |
//! | `outbox_len` | items stored but not yet acknowledged by the broker                   |

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use axum::body::Bytes;
use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio::sync::watch;

use crate::annotate::annotated_jpeg;
use crate::detections::Detections;
use crate::frame::Frame;
use crate::health_snapshot::HealthSnapshot;

/// The live view's publishing slot; cheap to clone (all clones share it).
#[derive(Clone)]
pub struct LiveView {
    inner: Arc<Inner>,
}

struct Inner {
    newest: Mutex<Option<Published>>,
    /// Counts published frames; viewers wait on it for the next one.
    generation_tx: watch::Sender<u64>,
    health: Mutex<Option<HealthSnapshot>>,
    /// The JPEG of one generation, made by whoever asked first.
    jpeg_cache: Mutex<Option<LiveJpeg>>,
    /// Held while encoding, so that concurrent viewers wait for one encoder instead of
    /// each encoding the same frame. The pipeline never takes it.
    encoding: Mutex<()>,
}

struct Published {
    generation: u64,
    frame: Frame,
    detections: Detections,
    published_at: Instant,
}

/// One annotated frame, JPEG-encoded.
#[derive(Clone, Debug)]
pub struct LiveJpeg {
    /// Which publication this is; a new frame has a higher one.
    pub generation: u64,
    pub bytes: Bytes,
}

/// What is known about the newest published frame without decoding it.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct LiveFrameInfo {
    pub seq: u64,
    pub width: u32,
    pub height: u32,
    pub wall_time: DateTime<Utc>,
    /// Seconds since the pipeline published it: a growing age means a stalled camera
    /// or pipeline, whatever the last image shows.
    pub age_s: f64,
}

impl Default for LiveView {
    fn default() -> Self {
        Self::new()
    }
}

impl LiveView {
    pub fn new() -> LiveView {
        LiveView {
            inner: Arc::new(Inner {
                newest: Mutex::new(None),
                generation_tx: watch::channel(0).0,
                health: Mutex::new(None),
                jpeg_cache: Mutex::new(None),
                encoding: Mutex::new(()),
            }),
        }
    }

    /// Replaces the newest frame and its detections. Cheap: no pixel copy, no encoding.
    ///
    /// The object model may run on fewer frames than the face model; on a frame where
    /// it did not run (`objects: None`) the objects it last found are kept, so that a
    /// phone's box does not flicker on and off in the live image.
    pub fn publish_frame(&self, frame: &Frame, detections: &Detections) {
        let mut newest = lock(&self.inner.newest);
        let generation = newest.as_ref().map_or(1, |p| p.generation + 1);
        let mut detections = detections.clone();
        if detections.objects.is_none() {
            // The objects (and the hands-and-desk zone they were looked for in) of the
            // last object frame stay on screen until the next one.
            if let Some(last) = newest.as_ref() {
                detections.objects = last.detections.objects.clone();
                detections.hands_zone = last.detections.hands_zone;
            }
        }
        *newest = Some(Published {
            generation,
            frame: frame.clone(),
            detections,
            published_at: Instant::now(),
        });
        drop(newest);
        self.inner.generation_tx.send_replace(generation);
    }

    /// Replaces the health snapshot (see the module documentation for the keys shown).
    pub fn publish_health(&self, health: HealthSnapshot) {
        *lock(&self.inner.health) = Some(health);
    }

    /// The detections of the newest frame; `None` before the first frame.
    pub fn latest_detections(&self) -> Option<Detections> {
        lock(&self.inner.newest)
            .as_ref()
            .map(|p| p.detections.clone())
    }

    /// The newest frame's size, sequence and age; `None` before the first frame.
    pub fn latest_frame_info(&self) -> Option<LiveFrameInfo> {
        lock(&self.inner.newest).as_ref().map(|p| LiveFrameInfo {
            seq: p.frame.seq,
            width: p.frame.width,
            height: p.frame.height,
            wall_time: p.frame.wall_time,
            age_s: p.published_at.elapsed().as_secs_f64(),
        })
    }

    /// The health last published; `None` before the pipeline published any.
    pub fn health(&self) -> Option<HealthSnapshot> {
        lock(&self.inner.health).clone()
    }

    /// Wakes when a frame is published; the value is the frame's generation.
    pub fn watch_frames(&self) -> watch::Receiver<u64> {
        self.inner.generation_tx.subscribe()
    }

    /// The newest frame with its detections drawn, as a JPEG; `None` before the first
    /// frame. Encodes on the caller's thread (a blocking call: from async code, run it
    /// with `spawn_blocking`), once per published frame.
    pub fn annotated_jpeg(&self) -> Option<LiveJpeg> {
        let newest_generation = lock(&self.inner.newest).as_ref()?.generation;
        if let Some(cached) = self.cached_jpeg(newest_generation) {
            return Some(cached);
        }
        let _encoder = lock(&self.inner.encoding);
        // Another viewer may have encoded it while this one waited.
        if let Some(cached) = self.cached_jpeg(newest_generation) {
            return Some(cached);
        }
        // Take what is newest now (possibly newer than above) and encode outside the
        // slot's lock, so that the pipeline can keep publishing meanwhile.
        let (generation, frame, detections) = {
            let newest = lock(&self.inner.newest);
            let p = newest.as_ref()?;
            (p.generation, p.frame.clone(), p.detections.clone())
        };
        let jpeg = LiveJpeg {
            generation,
            bytes: Bytes::from(annotated_jpeg(&frame, &detections)),
        };
        let mut cache = lock(&self.inner.jpeg_cache);
        if cache.as_ref().is_none_or(|c| c.generation < generation) {
            *cache = Some(jpeg.clone());
        }
        Some(jpeg)
    }

    fn cached_jpeg(&self, generation: u64) -> Option<LiveJpeg> {
        lock(&self.inner.jpeg_cache)
            .as_ref()
            .filter(|c| c.generation >= generation)
            .cloned()
    }
}

/// A panic elsewhere must not take the live view down with it: the data is replaced
/// whole on every publish, so a poisoned lock still holds a consistent value.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}
