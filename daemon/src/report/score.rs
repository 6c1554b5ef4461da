//! The integrity score: 100 − Σ deductions, never below 0.
//!
//! Per kind: `per_event × count + per_second × total seconds`, at most `cap` when the cap
//! is above 0. Kiosk faults (`EventKind::is_kiosk_fault`) are never deducted and get no
//! line: a candidate is not charged for the kiosk's failures. Points are rounded to
//! hundredths per line so that the lines always add up to what the score shows.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::events::ReportEvent;
use crate::config::ScoringConfig;
use crate::event::EventKind;

pub const FULL_SCORE: f64 = 100.0;

/// What one kind of event cost the candidate.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DeductionLine {
    pub kind: EventKind,
    pub count: u32,
    /// Total duration of this kind's events.
    pub seconds: f64,
    pub points: f64,
    /// The uncapped points exceeded the kind's cap.
    pub capped: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Score {
    /// One line per chargeable kind that occurred, in kind order.
    pub lines: Vec<DeductionLine>,
    pub deducted: f64,
    pub score: f64,
}

pub fn score(events: &[ReportEvent], scoring: &ScoringConfig) -> Score {
    let mut per_kind: BTreeMap<EventKind, (u32, f64)> = BTreeMap::new();
    for event in events.iter().filter(|e| !e.kind.is_kiosk_fault()) {
        let (count, seconds) = per_kind.entry(event.kind).or_default();
        *count += 1;
        *seconds += event.duration_s.max(0.0);
    }
    let lines: Vec<DeductionLine> = per_kind
        .into_iter()
        .map(|(kind, (count, seconds))| {
            // A kind missing from the table costs nothing but is still listed.
            let (raw, cap) = scoring.deductions.get(&kind).map_or((0.0, 0.0), |d| {
                (
                    d.per_event * f64::from(count) + d.per_second * seconds,
                    d.cap,
                )
            });
            let capped = cap > 0.0 && raw > cap;
            DeductionLine {
                kind,
                count,
                seconds,
                points: hundredths(if capped { cap } else { raw }),
                capped,
            }
        })
        .collect();
    let deducted = hundredths(lines.iter().map(|l| l.points).sum());
    Score {
        lines,
        deducted,
        score: hundredths((FULL_SCORE - deducted).max(0.0)),
    }
}

/// Focus lost = how many times the candidate was away or looked away.
pub fn focus_lost_count(events: &[ReportEvent]) -> u32 {
    events
        .iter()
        .filter(|e| {
            matches!(
                e.kind,
                EventKind::NoFace | EventKind::LookingAway | EventKind::EyesAway
            )
        })
        .count() as u32
}

fn hundredths(points: f64) -> f64 {
    // `+ 0.0` turns the -0.0 of an empty f64 sum into 0.0, which reports print as "0".
    (points * 100.0).round() / 100.0 + 0.0
}
