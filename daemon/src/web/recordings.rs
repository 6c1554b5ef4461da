//! `GET /api/interviews/{id}/recordings` (a session's recording segments) and
//! `GET /api/recordings/{segmentId}` (one segment, with `Range` so a browser can seek).
//!
//! A segment's id is the sha256 the kiosk recorded when the file was closed: a request
//! names a recording only by that id, never by a path, and the file is the one the store
//! points at. Every listing and download is logged with who asked, and from where.

use std::io::SeekFrom;

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use tokio_util::io::ReaderStream;
use uuid::Uuid;

use super::auth::Reviewer;
use super::error::ApiError;
use super::range::{self, Wanted};
use super::{AppState, blocking, parse_id};
use crate::store::SegmentRecord;

/// One segment as the API lists it: no path, only what a reviewer needs.
#[derive(Debug, Serialize)]
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

#[derive(Debug, Serialize)]
pub struct RecordingList {
    pub interview_id: Uuid,
    pub recordings: Vec<RecordingView>,
}

/// `GET /api/interviews/{id}/recordings` → the session's segments, oldest first.
pub async fn list(
    Reviewer(who): Reviewer,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<RecordingList>, ApiError> {
    let id = parse_id(&id)?;
    let segments = blocking(move || {
        let store = state.control().store();
        store
            .session(id)?
            .ok_or_else(|| ApiError::not_found(format!("no session with id {id}")))?;
        Ok(store.segments_for(id)?)
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
    let segment = blocking(move || {
        let segments = state.control().store().all_segments()?;
        segments
            .into_iter()
            .find(|s| s.sha256 == wanted_id)
            .ok_or_else(|| ApiError::not_found(format!("no recording with id {wanted_id}")))
    })
    .await?;
    let gone = |e: std::io::Error| {
        ApiError::not_found(format!(
            "the recording {} is listed but its file cannot be read ({e}): retention or someone on the kiosk removed it",
            segment.sha256
        ))
    };
    let mut file = tokio::fs::File::open(&segment.path).await.map_err(gone)?;
    let len = file.metadata().await.map_err(gone)?.len();
    let range_header = headers.get(header::RANGE).and_then(|v| v.to_str().ok());
    let (status, start, count) = match range::wanted(range_header, len) {
        Wanted::Whole => (StatusCode::OK, 0, len),
        Wanted::Part { start, end } => (StatusCode::PARTIAL_CONTENT, start, end - start + 1),
        Wanted::Unsatisfiable => {
            let mut response = ApiError::new(
                StatusCode::RANGE_NOT_SATISFIABLE,
                format!("the range {range_header:?} is outside the recording's {len} bytes"),
            )
            .into_response();
            insert(
                &mut response,
                header::CONTENT_RANGE,
                format!("bytes */{len}"),
            );
            return Ok(response);
        }
    };
    file.seek(SeekFrom::Start(start))
        .await
        .map_err(|e| ApiError::internal(format!("cannot read the recording: {e}")))?;
    log::info!(
        "{} downloaded recording {} of session {} (bytes {start}+{count} of {len}) from {}.",
        who.name,
        segment.sha256,
        segment
            .session_id
            .map_or("(none)".to_string(), |id| id.to_string()),
        who.client
    );
    let mut response = (
        status,
        Body::from_stream(ReaderStream::new(file.take(count))),
    )
        .into_response();
    insert(&mut response, header::CONTENT_TYPE, "video/mp4".into());
    insert(&mut response, header::ACCEPT_RANGES, "bytes".into());
    insert(&mut response, header::CONTENT_LENGTH, count.to_string());
    insert(&mut response, header::CACHE_CONTROL, "no-store".into());
    insert(
        &mut response,
        header::CONTENT_DISPOSITION,
        format!(
            "inline; filename=\"proctord-recording-{}.mp4\"",
            &segment.sha256[..12]
        ),
    );
    if status == StatusCode::PARTIAL_CONTENT {
        insert(
            &mut response,
            header::CONTENT_RANGE,
            format!("bytes {start}-{}/{len}", start + count - 1),
        );
    }
    Ok(response)
}

fn insert(response: &mut Response, name: header::HeaderName, value: String) {
    if let Ok(value) = HeaderValue::from_str(&value) {
        response.headers_mut().insert(name, value);
    }
}
