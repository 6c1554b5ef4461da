//! `/api/interviews`: start, end, look at and list exam sessions.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::auth::Proctor;
use super::error::{ApiError, ErrorBody};
use super::json_body::JsonBody;
use super::openapi::{SessionId, UnknownSession};
use super::views::InterviewView;
use super::{AppState, blocking, parse_id};
use crate::session::Session;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartRequest {
    pub candidate: String,
    #[serde(default)]
    pub exam_id: Option<String>,
    #[serde(default)]
    pub notes: Option<String>,
}

#[utoipa::path(
    post,
    path = "/api/interviews/start",
    summary = "Start a session",
    request_body = StartRequest,
    responses(
        (status = 201, description = "The new session, with its score", body = InterviewView,
            headers(("Location" = String, description = "The session's URL"))),
        (status = 409, description = "A session is already running", body = ErrorBody),
    ),
)]
/// `POST /api/interviews/start` → 201 with the new session (409 while one is active).
pub async fn start(
    _: Proctor,
    State(state): State<AppState>,
    JsonBody(req): JsonBody<StartRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let view = blocking(move || {
        let control = state.control();
        let session =
            control.start_session(&req.candidate, req.exam_id.as_deref(), req.notes.as_deref())?;
        let report = control.report(session.id)?;
        Ok(InterviewView::new(
            session.clone(),
            Some(session.id),
            report,
        ))
    })
    .await?;
    let location = format!("/api/interviews/{}", view.session.id);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(view),
    ))
}

#[utoipa::path(
    post,
    path = "/api/interviews/{id}/end",
    summary = "End a session: its final score, once its recording is closed",
    params(SessionId),
    responses(
        (status = 200, description = "The ended session with its final score", body = InterviewView),
        UnknownSession,
        (status = 409, description = "The session has already ended", body = ErrorBody),
    ),
)]
/// `POST /api/interviews/{id}/end` → 200 with the final score, once the recorder has
/// closed the session's last segment (see `Control::end_session`).
pub async fn end(
    _: Proctor,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<InterviewView>, ApiError> {
    let id = parse_id(&id)?;
    let view = blocking(move || {
        let control = state.control();
        let report = control.end_session(id)?;
        let session = control
            .store()
            .session(id)?
            .ok_or_else(|| ApiError::not_found(format!("no session with id {id}")))?;
        Ok(InterviewView::new(
            session,
            control.active().map(|s| s.id),
            report,
        ))
    })
    .await?;
    Ok(Json(view))
}

#[utoipa::path(
    get,
    path = "/api/interviews/{id}",
    summary = "A session with its live or final score",
    params(SessionId),
    responses(
        (status = 200, description = "The session", body = InterviewView),
        UnknownSession,
    ),
)]
/// `GET /api/interviews/{id}` → the session with its live or final score.
pub async fn get(
    _: Proctor,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<InterviewView>, ApiError> {
    let id = parse_id(&id)?;
    let view = blocking(move || {
        let control = state.control();
        let session = control
            .store()
            .session(id)?
            .ok_or_else(|| ApiError::not_found(format!("no session with id {id}")))?;
        let report = control.report(id)?;
        Ok(InterviewView::new(
            session,
            control.active().map(|s| s.id),
            report,
        ))
    })
    .await?;
    Ok(Json(view))
}

/// Every session, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct InterviewList {
    pub interviews: Vec<Session>,
    /// The running session, `null` when none is.
    pub active_id: Option<Uuid>,
}

#[utoipa::path(
    get,
    path = "/api/interviews",
    summary = "Every session, newest first",
    responses((status = 200, description = "The sessions", body = InterviewList)),
)]
/// `GET /api/interviews` → every session, newest first.
pub async fn list(
    _: Proctor,
    State(state): State<AppState>,
) -> Result<Json<InterviewList>, ApiError> {
    let (mut sessions, active_id) = blocking(move || {
        let control = state.control();
        Ok((
            control.store().list_sessions()?,
            control.active().map(|s| s.id),
        ))
    })
    .await?;
    sessions.reverse();
    Ok(Json(InterviewList {
        interviews: sessions,
        active_id,
    }))
}
