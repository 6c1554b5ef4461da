//! `/api/detections`: events logged through the API, a session's events, and what the
//! models see right now.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::auth::Proctor;
use super::error::{ApiError, ErrorBody};
use super::json_body::JsonBody;
use super::openapi::{SessionId, UnknownSession};
use super::{AppState, blocking, parse_id};
use crate::detections::Detections;
use crate::event::ProctorEvent;
use crate::live::LiveFrameInfo;

#[derive(Debug, Deserialize, ToSchema)]
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
    #[schema(minimum = 0.0, maximum = 1.0)]
    pub score: Option<f32>,
}

#[utoipa::path(
    post,
    path = "/api/detections/log",
    summary = "Log (flag) an event",
    request_body = LogRequest,
    responses(
        (status = 201, description = "The stored event", body = ProctorEvent),
        (status = 404, description = "No session with that `interview_id`", body = ErrorBody),
        (status = 409, description = "The session has ended: its report is final", body = ErrorBody),
    ),
)]
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

/// A session's stored event records, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionEvents {
    pub interview_id: Uuid,
    pub events: Vec<ProctorEvent>,
}

#[utoipa::path(
    get,
    path = "/api/detections/{id}",
    summary = "A session's events (id: the session)",
    params(SessionId),
    responses(
        (status = 200, description = "The session's event records (a start and an end record per event), oldest first", body = SessionEvents),
        UnknownSession,
    ),
)]
/// `GET /api/detections/{interviewId}` → the session's stored events, oldest first.
pub async fn for_session(
    _: Proctor,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<SessionEvents>, ApiError> {
    let id = parse_id(&id)?;
    let events = blocking(move || {
        let store = state.control().store();
        store
            .session(id)?
            .ok_or_else(|| ApiError::not_found(format!("no session with id {id}")))?;
        Ok(store.events_for(id)?)
    })
    .await?;
    Ok(Json(SessionEvents {
        interview_id: id,
        events,
    }))
}

/// The newest frame's detections.
#[derive(Debug, Serialize, ToSchema)]
pub struct LiveDetections {
    /// `null` before the pipeline has published a frame.
    pub frame: Option<LiveFrameInfo>,
    /// `null` before the pipeline has published a frame.
    pub detections: Option<Detections>,
    /// `[x0, y0, x1, y1]`, normalised: the seat zone the rules count faces in.
    pub seat_zone: [f32; 4],
}

#[utoipa::path(
    get,
    path = "/api/live/detections",
    summary = "The newest frame's detections",
    responses((status = 200, description = "What the models saw in the newest frame", body = LiveDetections)),
)]
/// `GET /api/live/detections` → the newest frame's detections (both `null` before the
/// pipeline has published a frame), and the seat zone the rules count faces in.
pub async fn live(_: Proctor, State(state): State<AppState>) -> Json<LiveDetections> {
    let live = state.live();
    Json(LiveDetections {
        frame: live.latest_frame_info(),
        detections: live.latest_detections(),
        seat_zone: state.control().config().rules.seat_zone,
    })
}
