//! `GET /api/detections/{eventId}/clip?before_s=5&after_s=5`: an MP4 of one event cut
//! from the session's recording (see `clips`), cached, with `Range` so a browser's
//! player can seek. The request names only the event: the kiosk finds the segments.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Deserialize;
use utoipa::IntoParams;

use super::auth::Reviewer;
use super::error::{ApiError, ErrorBody};
use super::serve_file::{self, Mp4, Mp4Answers};
use super::{AppState, blocking, parse_event_id};
use crate::clips::{self, ClipError, MAX_CLIP_S, MAX_MARGIN_S};
use crate::store::{AuditAction, AuditEntry};

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ClipQuery {
    /// Seconds of recording before the event (default 5, at most 60).
    #[serde(default)]
    #[param(minimum = 0.0, maximum = 60.0)]
    pub before_s: Option<f64>,
    /// Seconds of recording after the event (default 5, at most 60).
    #[serde(default)]
    #[param(minimum = 0.0, maximum = 60.0)]
    pub after_s: Option<f64>,
}

const DEFAULT_MARGIN_S: f64 = 5.0;

#[utoipa::path(
    get,
    path = "/api/detections/{id}/clip",
    summary = "An MP4 of the event (id: the event) cut from the recording without re-encoding; Range for seeking",
    params(("id" = Uuid, Path, description = "The event's id"), ClipQuery, ("Range" = Option<String>, Header, description = "`bytes=start-end`, for seeking")),
    responses(
        Mp4Answers,
        (status = 400, description = "The id is not a UUID, or the query is malformed", body = ErrorBody),
        (status = 404, description = "No such event, an event outside any session, or no recording of it", body = ErrorBody),
        (status = 422, description = "`before_s` or `after_s` out of range", body = ErrorBody),
    ),
)]
pub async fn clip(
    Reviewer(who): Reviewer,
    State(state): State<AppState>,
    Path(id): Path<String>,
    query: Result<Query<ClipQuery>, QueryRejection>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let event_id = parse_event_id(&id)?;
    let Query(query) = query.map_err(|e| {
        ApiError::bad_request(format!(
            "the query string is malformed: {} (use before_s and after_s, in seconds)",
            e.body_text()
        ))
    })?;
    let margin = |value: Option<f64>, name: &str| {
        let value = value.unwrap_or(DEFAULT_MARGIN_S);
        if (0.0..=MAX_MARGIN_S).contains(&value) {
            Ok(value)
        } else {
            Err(ApiError::unprocessable(format!(
                "{name} must be between 0 and {MAX_MARGIN_S} seconds, got {value}"
            )))
        }
    };
    let (before_s, after_s) = (
        margin(query.before_s, "before_s")?,
        margin(query.after_s, "after_s")?,
    );
    let viewing = serve_file::starts_viewing(&headers);
    let by = who.accessor();
    let (path, session_id) = blocking(move || {
        let control = state.control();
        let store = control.store();
        let event = store
            .find_event(event_id)?
            .ok_or_else(|| ApiError::not_found(format!("no event with id {event_id}")))?;
        let session_id = event.session_id.ok_or_else(|| {
            ApiError::not_found(format!(
                "event {event_id} happened outside any session: only sessions are recorded"
            ))
        })?;
        let session = store
            .session(session_id)?
            .ok_or_else(|| ApiError::not_found(format!("no session with id {session_id}")))?;
        let state_dir = &control.config().kiosk.state_dir;
        let path = clips::clip_path(state_dir, session_id, event_id, before_s, after_s);
        if !path.exists() {
            let seconds = |s: f64| chrono::Duration::milliseconds((s * 1000.0).round() as i64);
            let end = event
                .ended_at
                .or(session.ended_at)
                .unwrap_or_else(|| control.wall_now());
            let from = event.started_at - seconds(before_s);
            let to = (end + seconds(after_s)).min(from + seconds(MAX_CLIP_S));
            let segments = clips::segments_covering(&store.segments_for(session_id)?, from, to);
            cut_into_cache(&segments, from, to, &path)?;
        }
        if viewing {
            store.record_access(&AuditEntry::new(
                &by,
                AuditAction::DownloadedClip,
                Some(session_id),
                format!("clip of event {event_id} ({before_s} s before, {after_s} s after)"),
                control.wall_now(),
            ))?;
        }
        Ok((path, session_id))
    })
    .await?;
    if viewing {
        log::info!(
            "{} watched the clip of event {event_id} (session {session_id}) from {}.",
            who.name,
            who.client
        );
    }
    let gone = |e: std::io::Error| {
        ApiError::not_found(format!(
            "the clip of event {event_id} was removed while it was being sent ({e}): ask again"
        ))
    };
    serve_file::send(
        Mp4 {
            path: &path,
            filename: format!("proctord-clip-{event_id}.mp4"),
            gone: &gone,
        },
        &headers,
    )
    .await
}

/// Cuts under a temporary name and renames: a clip is whole once it has its name.
fn cut_into_cache(
    segments: &[crate::store::SegmentRecord],
    from: chrono::DateTime<chrono::Utc>,
    to: chrono::DateTime<chrono::Utc>,
    path: &std::path::Path,
) -> Result<(), ApiError> {
    let dir = path
        .parent()
        .ok_or_else(|| ApiError::internal("a clip path has no directory"))?;
    std::fs::create_dir_all(dir).map_err(|e| {
        ApiError::internal(format!(
            "cannot create the clip cache {}: {e}; check that [kiosk] state_dir is writable",
            dir.display()
        ))
    })?;
    let partial = dir.join(format!(".partial-{}.mp4", uuid::Uuid::now_v7()));
    let cut = clips::cut_clip(segments, from, to, &partial);
    let renamed = cut.and_then(|()| {
        std::fs::rename(&partial, path)
            .map_err(|e| ClipError::GStreamer(format!("cannot keep the clip: {e}")))
    });
    if let Err(e) = renamed {
        let _ = std::fs::remove_file(&partial);
        return Err(match e {
            ClipError::NoRecording => ApiError::not_found(e.to_string()),
            other => ApiError::internal(other.to_string()),
        });
    }
    Ok(())
}
