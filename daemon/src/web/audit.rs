//! `GET /api/interviews/{id}/audit` (a session's entries, oldest first) and
//! `GET /api/audit?limit=N` (the whole log, newest first, deletions included): who
//! viewed or downloaded which report, recording or clip, who reviewed and who deleted.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::auth::Reviewer;
use super::error::{ApiError, ErrorBody};
use super::openapi::{SessionId, UnknownSession};
use super::{AppState, blocking, parse_id};
use crate::store::{AuditAction, AuditEntry};

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionAudit {
    pub interview_id: Uuid,
    pub entries: Vec<AuditEntry>,
}

#[utoipa::path(
    get,
    path = "/api/interviews/{id}/audit",
    summary = "Who viewed or downloaded what of a session, and who reviewed it",
    params(SessionId),
    responses(
        (status = 200, description = "The session's audit entries, oldest first (this viewing is the next one)", body = SessionAudit),
        UnknownSession,
    ),
)]
pub async fn for_session(
    Reviewer(who): Reviewer,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<SessionAudit>, ApiError> {
    let id = parse_id(&id)?;
    let by = who.accessor();
    let entries = blocking(move || {
        let store = state.control().store();
        store
            .session(id)?
            .ok_or_else(|| ApiError::not_found(format!("no session with id {id}")))?;
        let entries = store.audit_for(id)?;
        // Looking at who looked is itself on record.
        store.record_access(&AuditEntry::new(
            &by,
            AuditAction::ViewedAuditLog,
            Some(id),
            "the session's audit log",
            state.control().wall_now(),
        ))?;
        Ok(entries)
    })
    .await?;
    Ok(Json(SessionAudit {
        interview_id: id,
        entries,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LogQuery {
    /// At most this many entries (default 500).
    #[serde(default)]
    pub limit: Option<usize>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditLog {
    pub entries: Vec<AuditEntry>,
}

const DEFAULT_LIMIT: usize = 500;

#[utoipa::path(
    get,
    path = "/api/audit",
    summary = "The whole audit log, newest first, deletions included",
    params(LogQuery),
    responses(
        (status = 200, description = "The audit log's entries, newest first", body = AuditLog),
        (status = 400, description = "The query is malformed", body = ErrorBody),
    ),
)]
pub async fn all(
    _: Reviewer,
    State(state): State<AppState>,
    query: Result<Query<LogQuery>, QueryRejection>,
) -> Result<Json<AuditLog>, ApiError> {
    let Query(query) = query.map_err(|e| {
        ApiError::bad_request(format!(
            "the query string is malformed: {} (limit is a number of entries)",
            e.body_text()
        ))
    })?;
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    let entries = blocking(move || Ok(state.control().store().audit_log(limit)?)).await?;
    Ok(Json(AuditLog { entries }))
}
