//! `/api/detections`: events logged through the API, a session's events, and what the
//! models see right now.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use super::auth::Proctor;
use super::error::ApiError;
use super::json_body::JsonBody;
use super::{AppState, blocking, parse_id};
use crate::event::ProctorEvent;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogRequest {
    /// The session to attach the event to; the active one when absent.
    #[serde(default)]
    pub interview_id: Option<Uuid>,
    pub label: String,
    #[serde(default)]
    pub note: Option<String>,
    /// A confidence in 0..=1, when the logger has one.
    #[serde(default)]
    pub score: Option<f32>,
}

/// `POST /api/detections/log` → 201 with the stored event. Without `interview_id` and
/// without an active session the event is kept as a kiosk event (no session); for a
/// session that has ended it is a 409 (its report is final).
pub async fn log(
    _: Proctor,
    State(state): State<AppState>,
    JsonBody(req): JsonBody<LogRequest>,
) -> Result<(StatusCode, Json<ProctorEvent>), ApiError> {
    if let Some(score) = req.score
        && !(0.0..=1.0).contains(&score)
    {
        return Err(ApiError::unprocessable(format!(
            "score must be between 0 and 1, got {score}"
        )));
    }
    let event = blocking(move || {
        Ok(state.control().log_event(
            req.interview_id,
            &req.label,
            req.note.as_deref(),
            req.score,
        )?)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(event)))
}

/// `GET /api/detections/{interviewId}` → the session's stored events, oldest first.
pub async fn for_session(
    _: Proctor,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let id = parse_id(&id)?;
    let events = blocking(move || {
        let store = state.control().store();
        store
            .session(id)?
            .ok_or_else(|| ApiError::not_found(format!("no session with id {id}")))?;
        Ok(store.events_for(id)?)
    })
    .await?;
    Ok(Json(json!({ "interview_id": id, "events": events })))
}

/// `GET /api/live/detections` → the newest frame's detections (both `null` before the
/// pipeline has published a frame), and the seat zone the rules count faces in.
pub async fn live(_: Proctor, State(state): State<AppState>) -> Json<serde_json::Value> {
    let live = state.live();
    Json(json!({
        "frame": live.latest_frame_info(),
        "detections": live.latest_detections(),
        "seat_zone": state.control().config().rules.seat_zone,
    }))
}
