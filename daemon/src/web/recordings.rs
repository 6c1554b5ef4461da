//! `GET /api/interviews/{id}/recordings` (a session's recording segments) and
//! `GET /api/recordings/{segmentId}` (one segment, with `Range` so a browser can seek).
//!
//! A segment's id is the sha256 the kiosk recorded when the file was closed: a request
//! names a recording only by that id, never by a path, and the file is the one the store
//! points at. Every listing and every viewing (a download without a range, or a
//! player's first range from byte 0) is written to the audit log with who asked, and
//! from where; a player's seeks within a viewing are not.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::auth::Reviewer;
use super::error::{ApiError, ErrorBody};
use super::openapi::{SessionId, UnknownSession};
use super::serve_file::{self, Mp4, Mp4Answers};
use super::{AppState, blocking, parse_id};
use crate::store::{AuditAction, AuditEntry, SegmentRecord};

/// One segment as the API lists it: no path, only what a reviewer needs.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecordingView {
    pub id: String,
    pub started_at: DateTime<Utc>,
    pub duration_s: f64,
    pub bytes: u64,
    pub sha256: String,
    /// Where to download it.
    pub url: String,
}

impl From<&SegmentRecord> for RecordingView {
    fn from(s: &SegmentRecord) -> RecordingView {
        RecordingView {
            id: s.sha256.clone(),
            started_at: s.started_at,
            duration_s: s.duration_s,
            bytes: s.bytes,
            sha256: s.sha256.clone(),
            url: format!("/api/recordings/{}", s.sha256),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RecordingList {
    pub interview_id: Uuid,
    pub recordings: Vec<RecordingView>,
}

#[utoipa::path(
    get,
    path = "/api/interviews/{id}/recordings",
    summary = "A session's recording segments (ids, no paths)",
    params(SessionId),
    responses(
        (status = 200, description = "The session's segments, oldest first", body = RecordingList),
        UnknownSession,
    ),
)]
/// `GET /api/interviews/{id}/recordings` → the session's segments, oldest first.
pub async fn list(
    Reviewer(who): Reviewer,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<RecordingList>, ApiError> {
    let id = parse_id(&id)?;
    let by = who.accessor();
    let segments = blocking(move || {
        let store = state.control().store();
        store
            .session(id)?
            .ok_or_else(|| ApiError::not_found(format!("no session with id {id}")))?;
        let segments = store.segments_for(id)?;
        store.record_access(&AuditEntry::new(
            &by,
            AuditAction::ListedRecordings,
            Some(id),
            format!("{} segment(s)", segments.len()),
            state.control().wall_now(),
        ))?;
        Ok(segments)
    })
    .await?;
    log::info!(
        "{} listed the recordings of session {id} from {}.",
        who.name,
        who.client
    );
    Ok(Json(RecordingList {
        interview_id: id,
        recordings: segments.iter().map(RecordingView::from).collect(),
    }))
}

#[utoipa::path(
    get,
    path = "/api/recordings/{id}",
    summary = "One recording segment (id: its sha256); Range for seeking",
    params(
        ("id" = String, Path, description = "The segment's id: the 64 hex digits of its sha256, as the session's recordings list it"),
        ("Range" = Option<String>, Header, description = "`bytes=start-end`, for seeking"),
    ),
    responses(
        Mp4Answers,
        (status = 400, description = "The id is not 64 hex digits", body = ErrorBody),
        (status = 404, description = "No such recording, or its file is gone", body = ErrorBody),
    ),
)]
/// `GET /api/recordings/{segmentId}` → the MP4: 200 whole, 206 for a `Range`, 416 for
/// a range outside the file.
pub async fn download(
    Reviewer(who): Reviewer,
    State(state): State<AppState>,
    Path(segment_id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if segment_id.len() != 64 || !segment_id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ApiError::bad_request(format!(
            "{segment_id:?} is not a recording id: ids are the 64 hex digits that GET /api/interviews/{{id}}/recordings lists"
        )));
    }
    let wanted_id = segment_id.to_ascii_lowercase();
    let viewing = serve_file::starts_viewing(&headers);
    let by = who.accessor();
    let segment = blocking(move || {
        let store = state.control().store();
        let segment = store
            .all_segments()?
            .into_iter()
            .find(|s| s.sha256 == wanted_id)
            .ok_or_else(|| ApiError::not_found(format!("no recording with id {wanted_id}")))?;
        if viewing {
            store.record_access(&AuditEntry::new(
                &by,
                AuditAction::DownloadedRecording,
                segment.session_id,
                format!("recording {}", segment.sha256),
                state.control().wall_now(),
            ))?;
        }
        Ok(segment)
    })
    .await?;
    let gone = |e: std::io::Error| {
        ApiError::not_found(format!(
            "the recording {} is listed but its file cannot be read ({e}): retention or someone on the kiosk removed it",
            segment.sha256
        ))
    };
    if viewing {
        log::info!(
            "{} downloaded recording {} of session {} from {}.",
            who.name,
            segment.sha256,
            segment
                .session_id
                .map_or("(none)".to_string(), |id| id.to_string()),
            who.client
        );
    }
    serve_file::send(
        Mp4 {
            path: &segment.path,
            filename: format!("proctord-recording-{}.mp4", &segment.sha256[..12]),
            gone: &gone,
        },
        &headers,
    )
    .await
}
