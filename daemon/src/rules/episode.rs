//! One event kind's life cycle: idle → pending → active (→ clearing) → idle.
//!
//! An `Episode` knows nothing about faces or objects; the rules decide when a condition
//! holds and tell the episode, which decides what to emit. Keeping the hysteresis here,
//! once, is what makes every kind end the same way.

use std::time::Duration;

use uuid::Uuid;

use crate::event::{EventDetails, EventKind, Phase, RuleEvent};

#[derive(Clone, Debug, PartialEq)]
enum State {
    /// The condition does not hold.
    Idle,
    /// The condition holds since `onset` but has not lasted past its threshold yet.
    Pending {
        onset: Duration,
        details: EventDetails,
    },
    /// Start has been emitted. `clear_since` is the first time the condition was seen
    /// clear again; the event ends once it has stayed clear for `clear_after`.
    Active {
        id: Uuid,
        onset: Duration,
        clear_since: Option<Duration>,
        details: EventDetails,
    },
}

#[derive(Clone, Debug)]
pub(super) struct Episode {
    kind: EventKind,
    state: State,
}

impl Episode {
    pub(super) fn new(kind: EventKind) -> Self {
        Self {
            kind,
            state: State::Idle,
        }
    }

    pub(super) fn is_active(&self) -> bool {
        matches!(self.state, State::Active { .. })
    }

    /// The onset of a pending condition.
    pub(super) fn pending_since(&self) -> Option<Duration> {
        match self.state {
            State::Pending { onset, .. } => Some(onset),
            _ => None,
        }
    }

    /// The active event's id and where it would end if the evidence stopped at
    /// `last_seen`: when its condition first cleared, or `last_seen` itself.
    pub(super) fn open_end(&self, last_seen: Duration) -> Option<(Uuid, Duration)> {
        match self.state {
            State::Active {
                id,
                onset,
                clear_since,
                ..
            } => Some((id, clear_since.unwrap_or(last_seen).max(onset))),
            _ => None,
        }
    }

    /// Details of the pending or active event, to be enriched by the rule.
    pub(super) fn details_mut(&mut self) -> Option<&mut EventDetails> {
        match &mut self.state {
            State::Idle => None,
            State::Pending { details, .. } | State::Active { details, .. } => Some(details),
        }
    }

    /// The condition is seen at `at` and the rule wants it to last past `more_than`
    /// before it becomes an event; `note` adds what this frame saw to the details.
    /// Returns the Start when the threshold has just passed.
    pub(super) fn holds_longer_than(
        &mut self,
        at: Duration,
        more_than: Duration,
        note: impl FnOnce(&mut EventDetails),
    ) -> Option<RuleEvent> {
        match &mut self.state {
            State::Idle => {
                self.state = State::Pending {
                    onset: at,
                    details: EventDetails::default(),
                }
            }
            State::Pending { .. } => {}
            State::Active { clear_since, .. } => *clear_since = None,
        }
        if let Some(details) = self.details_mut() {
            note(details);
        }
        let onset = self.pending_since()?;
        if at.saturating_sub(onset) > more_than {
            self.activate(onset, None)
        } else {
            None
        }
    }

    /// The condition is an event right away with the given onset (object windows know
    /// when the object was first seen). An active event simply continues.
    pub(super) fn holds_since(
        &mut self,
        onset: Duration,
        details: EventDetails,
    ) -> Option<RuleEvent> {
        match &mut self.state {
            State::Active { clear_since, .. } => {
                *clear_since = None;
                None
            }
            State::Idle | State::Pending { .. } => self.activate(onset, Some(details)),
        }
    }

    /// The condition is seen again during an active event's clearing period: the event
    /// goes on. Does nothing when no event is active.
    pub(super) fn seen_again(&mut self) {
        if let State::Active { clear_since, .. } = &mut self.state {
            *clear_since = None;
        }
    }

    /// The condition is seen clear at `at`: a pending condition is forgotten (it did not
    /// last long enough); an active event starts (or continues) its clearing period.
    pub(super) fn clear_at(&mut self, at: Duration) {
        match &mut self.state {
            State::Idle => {}
            State::Pending { .. } => self.state = State::Idle,
            State::Active { clear_since, .. } => {
                clear_since.get_or_insert(at);
            }
        }
    }

    /// Ends an active event whose condition has been clear for at least `clear_after`
    /// at `now`; its end is the moment it first cleared.
    pub(super) fn end_if_clear_for(
        &mut self,
        now: Duration,
        clear_after: Duration,
    ) -> Option<RuleEvent> {
        let State::Active {
            clear_since: Some(cleared),
            ..
        } = self.state
        else {
            return None;
        };
        if now.saturating_sub(cleared) >= clear_after {
            self.end(cleared)
        } else {
            None
        }
    }

    /// Forgets a pending condition; an active event is left alone.
    pub(super) fn drop_pending(&mut self) {
        if matches!(self.state, State::Pending { .. }) {
            self.state = State::Idle;
        }
    }

    /// Ends whatever is open: an active event ends when it first cleared, or at `at` when
    /// it still held; a pending condition is dropped without an event.
    pub(super) fn close(&mut self, at: Duration) -> Option<RuleEvent> {
        match self.state {
            State::Idle => None,
            State::Pending { .. } => {
                self.state = State::Idle;
                None
            }
            State::Active { clear_since, .. } => self.end(clear_since.unwrap_or(at)),
        }
    }

    fn activate(&mut self, onset: Duration, details: Option<EventDetails>) -> Option<RuleEvent> {
        let details = match (details, std::mem::replace(&mut self.state, State::Idle)) {
            (Some(given), _) => given,
            (None, State::Pending { details, .. }) => details,
            (None, _) => EventDetails::default(),
        };
        let id = Uuid::now_v7();
        let start = RuleEvent {
            id,
            kind: self.kind,
            phase: Phase::Start,
            started_at_s: onset.as_secs_f64(),
            ended_at_s: None,
            details: details.clone(),
        };
        self.state = State::Active {
            id,
            onset,
            clear_since: None,
            details,
        };
        Some(start)
    }

    fn end(&mut self, ended_at: Duration) -> Option<RuleEvent> {
        let State::Active {
            id, onset, details, ..
        } = std::mem::replace(&mut self.state, State::Idle)
        else {
            return None;
        };
        Some(RuleEvent {
            id,
            kind: self.kind,
            phase: Phase::End,
            started_at_s: onset.as_secs_f64(),
            ended_at_s: Some(ended_at.max(onset).as_secs_f64()),
            details,
        })
    }
}
