//! The report of one session: everything a proctor needs to judge it, and everything
//! needed to reproduce the judgement (models, thresholds, deduction table).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::ReportError;
use super::events::{ReportEvent, pair_events};
use super::evidence::Evidence;
use super::review::Review;
use super::score::{DeductionLine, focus_lost_count, score};
use crate::config::{DetectionConfig, RulesConfig, ScoringConfig};
use crate::event::ProctorEvent;
use crate::session::{Session, SessionHealth};
use crate::store::{AuditEntry, ChainHead, ReviewDecision};

/// A model file the session's detections came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ModelUsed {
    /// Manifest name, e.g. `blazeface_128x128_quant`.
    pub name: String,
    pub file: String,
    pub sha256: String,
    /// SPDX id of the model's licence, from the manifest.
    #[serde(default)]
    pub licence: String,
}

impl From<&crate::models::VerifiedModel> for ModelUsed {
    fn from(m: &crate::models::VerifiedModel) -> Self {
        ModelUsed {
            name: m.name.clone(),
            file: m.file.clone(),
            sha256: m.sha256.clone(),
            licence: m.licence.clone(),
        }
    }
}

/// The thresholds in force: rules always, detector thresholds when the caller has them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ThresholdsUsed {
    pub rules: RulesConfig,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detection: Option<DetectionConfig>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Report {
    pub candidate: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exam_id: Option<String>,
    pub session_id: Uuid,
    pub started_at: DateTime<Utc>,
    /// The session's end, or the moment the report was made while it still runs.
    pub ended_at: DateTime<Utc>,
    /// The session had not ended when the report was made.
    pub in_progress: bool,
    pub duration_s: f64,
    /// Number of `no_face` and `looking_away` events.
    pub focus_lost_count: u32,
    /// Every event, in onset order.
    pub events: Vec<ReportEvent>,
    pub deductions: Vec<DeductionLine>,
    pub deducted: f64,
    /// Integrity score, 0..=100.
    pub score: f64,
    pub models: Vec<ModelUsed>,
    pub thresholds: ThresholdsUsed,
    /// The deduction table the score was computed with.
    pub scoring: ScoringConfig,
    pub health: SessionHealth,
    /// How much of the session analysed frames cover, and the gaps (kiosk faults).
    #[serde(default)]
    pub evidence: Evidence,
    /// The head of the session's evidence hash chain when the report was made: a
    /// later `proctord verify` must end on the same hash.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence_chain: Option<ChainHead>,
    /// Reviewers' decisions and the reviewed score, once any event was decided on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review: Option<Review>,
    /// Who viewed or downloaded the session's report, recording and clips, and who
    /// reviewed it, when the report was made (the audit log's entries for the session).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub access_log: Vec<AuditEntry>,
}

impl Report {
    /// Builds the report from the session's stored event records (Start and End records,
    /// paired by id; duplicates are harmless). Events still open last until the end of
    /// the session; for a session still running, until now.
    pub fn build(
        session: &Session,
        events: &[ProctorEvent],
        health: &SessionHealth,
        models: Vec<ModelUsed>,
        rules: &RulesConfig,
        scoring: &ScoringConfig,
    ) -> Report {
        Report::build_at(session, events, health, models, rules, scoring, Utc::now())
    }

    /// As [`Report::build`], with `now` (on the session's clock) as the end of a session
    /// still running.
    pub fn build_at(
        session: &Session,
        events: &[ProctorEvent],
        health: &SessionHealth,
        models: Vec<ModelUsed>,
        rules: &RulesConfig,
        scoring: &ScoringConfig,
        now: DateTime<Utc>,
    ) -> Report {
        let ended_at = session.ended_at.unwrap_or(now).max(session.started_at);
        let events = pair_events(events, session.started_at, ended_at);
        let score = score(&events, scoring);
        let duration_s = (ended_at - session.started_at).num_milliseconds() as f64 / 1000.0;
        let evidence = Evidence::of(&events, duration_s);
        Report {
            candidate: session.candidate.clone(),
            exam_id: session.exam_id.clone(),
            session_id: session.id,
            started_at: session.started_at,
            ended_at,
            in_progress: session.ended_at.is_none(),
            duration_s,
            focus_lost_count: focus_lost_count(&events),
            events,
            deductions: score.lines,
            deducted: score.deducted,
            score: score.score,
            models,
            thresholds: ThresholdsUsed {
                rules: rules.clone(),
                detection: None,
            },
            scoring: scoring.clone(),
            health: health.clone(),
            evidence,
            evidence_chain: None,
            review: None,
            access_log: Vec::new(),
        }
    }

    /// Adds the head of the session's evidence hash chain.
    pub fn with_evidence_chain(mut self, head: ChainHead) -> Report {
        self.evidence_chain = Some(head);
        self
    }

    /// Adds the reviewers' decisions (every one made, oldest first) and the reviewed score.
    pub fn with_review(mut self, history: &[ReviewDecision]) -> Report {
        self.review = Review::of(&self.events, history, &self.scoring);
        self
    }

    /// Adds the session's audit log entries.
    pub fn with_access_log(mut self, entries: Vec<AuditEntry>) -> Report {
        self.access_log = entries;
        self
    }

    /// Adds the detector thresholds (face and object scores, rates) to the report.
    pub fn with_detection_thresholds(mut self, detection: &DetectionConfig) -> Report {
        self.thresholds.detection = Some(detection.clone());
        self
    }

    pub fn to_json(&self) -> Result<String, ReportError> {
        Ok(serde_json::to_string_pretty(self)?)
    }
}
