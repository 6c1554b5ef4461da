//! `DELETE /api/interviews/{id}` with `{"reason": "..."}`: deletes an ended session on
//! request (see `store::deletion` for what goes and what stays).

use axum::Json;
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::Reviewer;
use super::error::{ApiError, ErrorBody};
use super::json_body::JsonBody;
use super::openapi::SessionId;
use super::{AppState, blocking, parse_id};
use crate::store::DeletionRecord;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteRequest {
    /// Why: the request's reference, the policy.
    pub reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Deleted {
    pub deleted: DeletionRecord,
    /// Files that could not be removed (the kiosk's log names them): delete them by hand.
    pub files_left: usize,
}

#[utoipa::path(
    delete,
    path = "/api/interviews/{id}",
    summary = "Delete an ended session on request: its events, report, reviews, recordings and clips; an audit entry of who deleted it and why stays",
    params(SessionId),
    request_body = DeleteRequest,
    responses(
        (status = 200, description = "What stays of the session", body = Deleted),
        (status = 404, description = "No such session", body = ErrorBody),
        (status = 409, description = "The session is still running", body = ErrorBody),
    ),
)]
/// → 200 with what stays; 404 unknown session, 409 still running, 422 no reason.
pub async fn delete(
    Reviewer(who): Reviewer,
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(req): JsonBody<DeleteRequest>,
) -> Result<Json<Deleted>, ApiError> {
    let id = parse_id(&id)?;
    let by = who.accessor();
    let outcome =
        blocking(move || Ok(state.control().delete_session(id, &req.reason, &by)?)).await?;
    Ok(Json(Deleted {
        deleted: outcome.record,
        files_left: outcome.files_left,
    }))
}
