//! Object events (`phone_detected`, `notes_detected`, `device_detected`): a class counts
//! as present when, among the frames on which object detection ran within the last
//! `window` of frame time, it was seen on at least `min_hits` and on at least
//! `min_share` of them. Frames without object detection neither add nor remove evidence.
//!
//! The window is a span of time, not a number of frames: the object stage's rate
//! depends on the board and drops under load (`inference::object_stage`), and a phone
//! held up for 2 s must be reported whether the stage ran 6 times in those 2 s or
//! twice. So when fewer than `min_hits` object frames fit in the window at the stage's
//! current rate, fewer hits do, but never fewer than two (one frame is never enough);
//! and the window always holds at least the two newest object frames. At the default
//! rate (an object frame every 0.3 s) this is the classic 3 of the last 5.

use std::collections::VecDeque;
use std::time::Duration;

use uuid::Uuid;

use super::episode::Episode;
use crate::detections::{DetectedObject, ObjectClass};
use crate::event::{EventDetails, EventKind, RuleEvent};

#[derive(Clone, Debug)]
struct Sighting {
    at: Duration,
    label: String,
    score: f32,
}

#[derive(Clone, Debug)]
pub(super) struct ObjectRule {
    class: ObjectClass,
    episode: Episode,
    /// One entry per object-detection frame of the last `window`, newest last, with its
    /// time; `None` = class not seen.
    window: VecDeque<(Duration, Option<Sighting>)>,
    window_span: Duration,
    min_share: f64,
    min_hits: usize,
    /// Time between the two newest object frames: the object stage's current rate.
    interval: Option<Duration>,
}

impl ObjectRule {
    pub(super) fn new(
        kind: EventKind,
        class: ObjectClass,
        window_span: Duration,
        min_share: f64,
        min_hits: u32,
    ) -> Self {
        Self {
            class,
            episode: Episode::new(kind),
            window: VecDeque::new(),
            window_span,
            min_share: min_share.clamp(f64::EPSILON, 1.0),
            min_hits: min_hits.max(1) as usize,
            interval: None,
        }
    }

    /// Takes the result of one object-detection run at `at`.
    pub(super) fn observe(
        &mut self,
        at: Duration,
        objects: &[DetectedObject],
    ) -> Option<RuleEvent> {
        let best = objects
            .iter()
            .filter(|o| o.class == self.class)
            .max_by(|a, b| a.score.total_cmp(&b.score))
            .map(|o| Sighting {
                at,
                label: o.label.clone(),
                score: o.score,
            });
        if let Some((last, _)) = self.window.back() {
            self.interval = Some(at.saturating_sub(*last));
        }
        // The window is (at − span, at]: a frame exactly one span old has left it; a slow
        // stage's previous frame always stays.
        let span = self
            .window_span
            .max(self.interval.map_or(Duration::ZERO, |i| i + i / 2));
        while self.window.front().is_some_and(|(t, _)| *t + span <= at) {
            self.window.pop_front();
        }
        self.window.push_back((at, best.clone()));

        if self.episode.is_active() {
            match best {
                Some(seen) => {
                    self.episode.seen_again();
                    if let Some(details) = self.episode.details_mut() {
                        note_sighting(details, &seen);
                    }
                }
                None => self.episode.clear_at(at),
            }
            return None;
        }
        if !self.is_present() {
            return None;
        }
        // The onset is the first sighting in the window, not the one that completed it.
        let onset = self.sightings().next().map_or(at, |first| first.at);
        let mut details = EventDetails::default();
        for seen in self.sightings() {
            note_sighting(&mut details, seen);
        }
        self.episode.holds_since(onset, details)
    }

    /// Ends the event once the class is no longer present in the window and has not been
    /// seen for `clear_after`.
    pub(super) fn end_if_clear_for(
        &mut self,
        now: Duration,
        clear_after: Duration,
    ) -> Option<RuleEvent> {
        if self.is_present() {
            return None;
        }
        let end = self.episode.end_if_clear_for(now, clear_after);
        if end.is_some() {
            // A new event needs fresh sightings: old ones from the window would give it
            // an onset before this event's end.
            self.window.clear();
            self.interval = None;
        }
        end
    }

    pub(super) fn open_end(&self, last_seen: Duration) -> Option<(Uuid, Duration)> {
        self.episode.open_end(last_seen)
    }

    pub(super) fn close(&mut self, at: Duration) -> Option<RuleEvent> {
        self.window.clear();
        self.interval = None;
        self.episode.close(at)
    }

    fn sightings(&self) -> impl Iterator<Item = &Sighting> {
        self.window.iter().filter_map(|(_, seen)| seen.as_ref())
    }

    /// Hits needed: `min_hits`, or as many object frames as fit in the window at the
    /// stage's current rate when that is fewer, but at least two.
    fn hits_needed(&self) -> usize {
        let fit = match self.interval {
            Some(i) if !i.is_zero() => {
                (self.window_span.as_secs_f64() / i.as_secs_f64() + 1e-9).floor() as usize
            }
            _ => self.min_hits,
        };
        self.min_hits.min(fit.max(2))
    }

    fn is_present(&self) -> bool {
        let hits = self.sightings().count();
        // A tolerance so that 3 of 5 frames meets a share of 0.6 despite rounding.
        hits >= self.hits_needed()
            && hits as f64 + 1e-9 >= self.min_share * self.window.len() as f64
    }
}

/// Keeps the best-scoring sighting's label and score.
fn note_sighting(details: &mut EventDetails, seen: &Sighting) {
    if details.best_score.is_none_or(|best| seen.score > best) {
        details.best_score = Some(seen.score);
        details.label = Some(seen.label.clone());
    }
}
