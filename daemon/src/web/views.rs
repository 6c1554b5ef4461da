//! The JSON shapes the API answers with (beyond the stored types themselves).

use serde::Serialize;
use uuid::Uuid;

use crate::report::{DeductionLine, Report};
use crate::session::Session;

/// A session with its score so far (live) or final score (ended).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct InterviewView {
    pub session: Session,
    /// This is the kiosk's active session.
    pub active: bool,
    pub summary: ScoreSummary,
    pub links: ReportLinks,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ScoreSummary {
    /// Integrity score 0..=100, as it stands now for a running session.
    pub score: f64,
    pub deducted: f64,
    pub in_progress: bool,
    pub duration_s: f64,
    pub event_count: usize,
    pub focus_lost_count: u32,
    pub deductions: Vec<DeductionLine>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReportLinks {
    pub json: String,
    pub html: String,
    pub pdf: String,
}

impl InterviewView {
    pub fn new(session: Session, active_id: Option<Uuid>, report: Report) -> InterviewView {
        let base = format!("/api/reports/{}", session.id);
        InterviewView {
            active: active_id == Some(session.id),
            summary: ScoreSummary {
                score: report.score,
                deducted: report.deducted,
                in_progress: report.in_progress,
                duration_s: report.duration_s,
                event_count: report.events.len(),
                focus_lost_count: report.focus_lost_count,
                deductions: report.deductions,
            },
            links: ReportLinks {
                json: base.clone(),
                html: format!("{base}?format=html"),
                pdf: format!("{base}?format=pdf"),
            },
            session,
        }
    }
}
