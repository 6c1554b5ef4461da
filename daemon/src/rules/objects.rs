//! Object events (`phone_detected`, `notes_detected`, `device_detected`): a class counts
//! as present when seen on at least `min_hits` of the last `window` frames on which object
//! detection ran. Frames without object detection neither add nor remove evidence.

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
    /// One entry per object-detection frame, newest last; `None` = class not seen.
    window: VecDeque<Option<Sighting>>,
    window_len: usize,
    min_hits: usize,
}

impl ObjectRule {
    pub(super) fn new(kind: EventKind, class: ObjectClass, window_len: u32, min_hits: u32) -> Self {
        let window_len = window_len.max(1) as usize;
        Self {
            class,
            episode: Episode::new(kind),
            window: VecDeque::with_capacity(window_len),
            window_len,
            min_hits: (min_hits.max(1) as usize).min(window_len),
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
        if self.window.len() == self.window_len {
            self.window.pop_front();
        }
        self.window.push_back(best.clone());

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
        let onset = self
            .window
            .iter()
            .flatten()
            .next()
            .map_or(at, |first| first.at);
        let mut details = EventDetails::default();
        for seen in self.window.iter().flatten() {
            note_sighting(&mut details, seen);
        }
        self.episode.holds_since(onset, details)
    }

    /// Ends the event once the class has dropped below `min_hits` of the window and has
    /// not been seen for `clear_after`.
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
        }
        end
    }

    pub(super) fn open_end(&self, last_seen: Duration) -> Option<(Uuid, Duration)> {
        self.episode.open_end(last_seen)
    }

    pub(super) fn close(&mut self, at: Duration) -> Option<RuleEvent> {
        self.window.clear();
        self.episode.close(at)
    }

    fn is_present(&self) -> bool {
        self.window.iter().flatten().count() >= self.min_hits
    }
}

/// Keeps the best-scoring sighting's label and score.
fn note_sighting(details: &mut EventDetails, seen: &Sighting) {
    if details.best_score.is_none_or(|best| seen.score > best) {
        details.best_score = Some(seen.score);
        details.label = Some(seen.label.clone());
    }
}
