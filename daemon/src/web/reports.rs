//! `GET /api/reports/{interviewId}[?format=json|html|pdf]`: a session's report, ended
//! or still running, with the reviewed score and the session's access log (which this
//! request joins: every view or download is written to the audit log first).

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use utoipa::IntoParams;

use super::auth::Reviewer;
use super::error::{ApiError, ErrorBody};
use super::openapi::{Binary, SessionId};
use super::{AppState, blocking, parse_id};
use crate::report::{Report, render_html, render_pdf};
use crate::store::{AuditAction, AuditEntry};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// `json` (default), `html` or `pdf`.
    #[serde(default)]
    #[param(pattern = "^(json|html|pdf)$")]
    pub format: Option<String>,
}

enum Format {
    Json,
    Html,
    Pdf,
}

#[utoipa::path(
    get,
    path = "/api/reports/{id}",
    summary = "A session's report (detector and reviewed score, access log)",
    params(SessionId, ReportQuery),
    responses(
        (status = 200, description = "The report, in the format asked for", content(
            (Report = "application/json"),
            (String = "text/html"),
            (Binary = "application/pdf"),
        )),
        (status = 400, description = "The id is not a UUID, or an unknown format", body = ErrorBody),
        (status = 404, description = "No such session", body = ErrorBody),
        (status = 503, description = "Too many PDFs are being rendered: ask again shortly", body = ErrorBody),
    ),
)]
pub async fn report(
    Reviewer(who): Reviewer,
    State(state): State<AppState>,
    Path(id): Path<String>,
    query: Result<Query<ReportQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let id = parse_id(&id)?;
    let Query(query) = query.map_err(|e| {
        ApiError::bad_request(format!("the query string is malformed: {}", e.body_text()))
    })?;
    let format = match query.format.as_deref().unwrap_or("json") {
        "json" => Format::Json,
        "html" => Format::Html,
        "pdf" => Format::Pdf,
        other => {
            return Err(ApiError::bad_request(format!(
                "unknown report format {other:?}: use json, html or pdf"
            )));
        }
    };
    // Rendering a PDF takes a core for a while: only `max_pdf_renders` at once.
    let pdf_permit = match format {
        Format::Pdf => Some(state.gates().pdf_render()?),
        _ => None,
    };
    let by = who.accessor();
    // PDF rendering takes a while (layout); keep it off the async workers too.
    blocking(move || {
        let _pdf_permit = pdf_permit;
        let control = state.control();
        let (action, subject) = match format {
            Format::Json => (AuditAction::ViewedReport, "report (json)"),
            Format::Html => (AuditAction::ViewedReport, "report (html)"),
            Format::Pdf => (AuditAction::DownloadedReport, "report (pdf)"),
        };
        // On record before it is made, so the report itself lists this viewing too.
        if control.store().session(id)?.is_some() {
            control.store().record_access(&AuditEntry::new(
                &by,
                action,
                Some(id),
                subject,
                control.wall_now(),
            ))?;
        }
        let report = control.report(id)?;
        Ok(match format {
            Format::Json => Json(report).into_response(),
            Format::Html => Html(render_html(&report)).into_response(),
            Format::Pdf => {
                let pdf = render_pdf(&report)?;
                let disposition = format!("inline; filename=\"proctord-report-{id}.pdf\"");
                (
                    [
                        (header::CONTENT_TYPE, "application/pdf".to_string()),
                        (header::CONTENT_DISPOSITION, disposition),
                    ],
                    pdf,
                )
                    .into_response()
            }
        })
    })
    .await
}
