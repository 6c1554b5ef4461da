//! What reviewers decided about a session's events, and the score that follows: the
//! detector's score counts every event; the reviewed score drops the events a reviewer
//! dismissed (confirmed and undecided ones still count), with the same deduction table.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::events::ReportEvent;
use super::score::{DeductionLine, score};
use crate::config::ScoringConfig;
use crate::store::{Decision, ReviewDecision};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Review {
    /// The integrity score with the dismissed events left out.
    pub reviewed_score: f64,
    pub reviewed_deducted: f64,
    pub reviewed_deductions: Vec<DeductionLine>,
    pub confirmed: usize,
    pub dismissed: usize,
    /// Events of the report nobody decided on yet.
    pub undecided: usize,
    /// The decision in force for each decided event (the latest), in event order.
    pub decisions: Vec<ReviewDecision>,
}

impl Review {
    /// `None` when no event was decided on: the report then has one score.
    pub fn of(
        events: &[ReportEvent],
        history: &[ReviewDecision],
        scoring: &ScoringConfig,
    ) -> Option<Review> {
        let latest = |id: Uuid| history.iter().rev().find(|d| d.event_id == id);
        let decisions: Vec<ReviewDecision> = events
            .iter()
            .filter_map(|e| latest(e.id).cloned())
            .collect();
        if decisions.is_empty() {
            return None;
        }
        let count = |which: Decision| decisions.iter().filter(|d| d.decision == which).count();
        let kept: Vec<ReportEvent> = events
            .iter()
            .filter(|e| latest(e.id).is_none_or(|d| d.decision != Decision::Dismissed))
            .cloned()
            .collect();
        let reviewed = score(&kept, scoring);
        Some(Review {
            reviewed_score: reviewed.score,
            reviewed_deducted: reviewed.deducted,
            reviewed_deductions: reviewed.lines,
            confirmed: count(Decision::Confirmed),
            dismissed: count(Decision::Dismissed),
            undecided: events.len() - decisions.len(),
            decisions,
        })
    }

    /// The decision in force for an event.
    pub fn decision_for(&self, event: Uuid) -> Option<&ReviewDecision> {
        self.decisions.iter().find(|d| d.event_id == event)
    }
}

/// One line for a report's table: "Dismissed by rita at … : a pen, not a phone".
pub fn decision_text(d: &ReviewDecision) -> String {
    let mut text = format!(
        "{} by {} at {}",
        match d.decision {
            Decision::Confirmed => "Confirmed",
            Decision::Dismissed => "Dismissed",
        },
        d.by,
        super::format::wall_time_text(d.at)
    );
    if let Some(note) = d.note.as_deref().filter(|n| !n.is_empty()) {
        text += ": ";
        text += note;
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{EventDetails, EventKind};
    use chrono::Utc;

    fn event(kind: EventKind, offset_s: f64) -> ReportEvent {
        ReportEvent {
            id: Uuid::now_v7(),
            kind,
            started_at: Utc::now(),
            offset_s,
            duration_s: 3.0,
            open: false,
            details: EventDetails::default(),
        }
    }

    fn decide(e: &ReportEvent, decision: Decision) -> ReviewDecision {
        ReviewDecision {
            session_id: Uuid::nil(),
            event_id: e.id,
            decision,
            note: None,
            by: "rita".into(),
            at: Utc::now(),
        }
    }

    #[test]
    fn a_dismissed_phone_is_not_charged_in_the_reviewed_score_and_the_latest_decision_counts() {
        let scoring = ScoringConfig::default();
        let phone = event(EventKind::PhoneDetected, 10.0);
        let faces = event(EventKind::MultipleFaces, 20.0);
        let events = vec![phone.clone(), faces.clone()];
        assert!(Review::of(&events, &[], &scoring).is_none());
        let detector = score(&events, &scoring);

        let history = vec![
            decide(&phone, Decision::Confirmed),
            decide(&phone, Decision::Dismissed),
            decide(&faces, Decision::Confirmed),
        ];
        let review = Review::of(&events, &history, &scoring).unwrap();
        assert_eq!(
            (review.confirmed, review.dismissed, review.undecided),
            (1, 1, 0)
        );
        assert_eq!(
            review.decision_for(phone.id).unwrap().decision,
            Decision::Dismissed
        );
        let without_phone = score(std::slice::from_ref(&faces), &scoring);
        assert_eq!(review.reviewed_score, without_phone.score);
        assert!(review.reviewed_score > detector.score, "{review:?}");
    }
}
