//! Stored event records → one line per event.
//!
//! The store keeps a Start and an End record per event (same id), possibly more than once
//! (the outbox may redeliver). An event with a Start and no End is still open and lasts
//! until the end of the session.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::event::{EventDetails, EventKind, Phase, ProctorEvent};

/// One event of the session, as a report shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReportEvent {
    pub id: Uuid,
    pub kind: EventKind,
    /// Onset of the condition, on the wall clock.
    pub started_at: DateTime<Utc>,
    /// Seconds from the start of the session to the onset.
    pub offset_s: f64,
    pub duration_s: f64,
    /// No End was recorded: the event lasts until the end of the session (or until now
    /// for a session still running).
    pub open: bool,
    pub details: EventDetails,
}

/// Pairs Start and End records by id; the result is in onset order (ties by kind).
pub fn pair_events(
    records: &[ProctorEvent],
    session_start: DateTime<Utc>,
    session_end: DateTime<Utc>,
) -> Vec<ReportEvent> {
    let mut by_id: BTreeMap<Uuid, (Option<&ProctorEvent>, Option<&ProctorEvent>)> = BTreeMap::new();
    for record in records {
        let slot = by_id.entry(record.id).or_default();
        match record.phase {
            Phase::Start => slot.0 = Some(record),
            Phase::End => slot.1 = Some(record),
        }
    }
    let mut events: Vec<ReportEvent> = by_id
        .into_values()
        .filter_map(|(start, end)| {
            // The End repeats everything the Start said and knows the final details.
            let first = end.or(start)?;
            let duration_s = match end {
                Some(end) => closed_duration_s(end),
                None => seconds_between(first.started_at, session_end),
            };
            Some(ReportEvent {
                id: first.id,
                kind: first.kind,
                started_at: first.started_at,
                offset_s: seconds_between_signed(session_start, first.started_at),
                duration_s: duration_s.max(0.0),
                open: end.is_none(),
                details: first.details.clone(),
            })
        })
        .collect();
    events.sort_by(|a, b| {
        a.started_at
            .cmp(&b.started_at)
            .then(a.kind.cmp(&b.kind))
            .then(a.id.cmp(&b.id))
    });
    events
}

/// Stream times are exact (frame timestamps); the wall clock is the fallback for events
/// that have none (logged by the API).
pub(crate) fn closed_duration_s(end: &ProctorEvent) -> f64 {
    if let Some(ended_at_s) = end.ended_at_s {
        return ended_at_s - end.started_at_s;
    }
    if let Some(duration_s) = end.duration_s {
        return duration_s;
    }
    end.ended_at
        .map_or(0.0, |ended_at| seconds_between(end.started_at, ended_at))
}

fn seconds_between(from: DateTime<Utc>, to: DateTime<Utc>) -> f64 {
    seconds_between_signed(from, to).max(0.0)
}

fn seconds_between_signed(from: DateTime<Utc>, to: DateTime<Utc>) -> f64 {
    (to - from)
        .num_microseconds()
        .map_or(0.0, |us| us as f64 / 1e6)
}
