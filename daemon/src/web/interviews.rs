//! `/api/interviews`: start, end, look at and list exam sessions.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::json;

use super::auth::Proctor;
use super::error::ApiError;
use super::json_body::JsonBody;
use super::views::InterviewView;
use super::{AppState, blocking, parse_id};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StartRequest {
    pub candidate: String,
    #[serde(default)]
    pub exam_id: Option<String>,
    #[serde(default)]
    pub notes: Option<String>,
}

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

/// `POST /api/interviews/{id}/end` → 200 with the final score.
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

/// `GET /api/interviews` → every session, newest first.
pub async fn list(
    _: Proctor,
    State(state): State<AppState>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let (mut sessions, active_id) = blocking(move || {
        let control = state.control();
        Ok((
            control.store().list_sessions()?,
            control.active().map(|s| s.id),
        ))
    })
    .await?;
    sessions.reverse();
    Ok(Json(
        json!({ "interviews": sessions, "active_id": active_id }),
    ))
}
