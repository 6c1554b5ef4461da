//! `POST /api/detections/{eventId}/review`: a reviewer confirms or dismisses an event of
//! an ended session, with a note. The report then shows the detector's score and the
//! reviewed score side by side, with who decided what and when.

use axum::Json;
use axum::extract::{Path, State};
use serde::Deserialize;
use utoipa::ToSchema;

use super::auth::Reviewer;
use super::error::{ApiError, ErrorBody};
use super::json_body::JsonBody;
use super::{AppState, blocking, parse_event_id};
use crate::store::{Decision, ReviewDecision};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewRequest {
    pub decision: Decision,
    #[serde(default)]
    pub note: Option<String>,
}

#[utoipa::path(
    post,
    path = "/api/detections/{id}/review",
    summary = "Confirm or dismiss an event of an ended session (id: the event)",
    params(("id" = Uuid, Path, description = "The event's id")),
    request_body = ReviewRequest,
    responses(
        (status = 200, description = "The stored decision", body = ReviewDecision),
        (status = 404, description = "No such event", body = ErrorBody),
        (status = 409, description = "The session is still running", body = ErrorBody),
        (status = 422, description = "A kiosk fault, or an event outside any session: nothing to decide", body = ErrorBody),
    ),
)]
/// → 200 with the stored decision; 404 unknown event, 409 session still running, 422 a
/// kiosk fault or an event outside any session.
pub async fn decide(
    Reviewer(who): Reviewer,
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(req): JsonBody<ReviewRequest>,
) -> Result<Json<ReviewDecision>, ApiError> {
    let event_id = parse_event_id(&id)?;
    let by = who.accessor();
    let decision = blocking(move || {
        Ok(state
            .control()
            .review_event(event_id, req.decision, req.note.as_deref(), &by)?)
    })
    .await?;
    Ok(Json(decision))
}
