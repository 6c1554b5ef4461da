//! `GET /live.mjpeg` (a `multipart/x-mixed-replace` stream of the newest annotated
//! frame, throttled) and `GET /live.jpg` (one such frame).

use std::convert::Infallible;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use tokio::sync::{OwnedSemaphorePermit, watch};
use tokio::time::Instant;

use super::AppState;
use super::auth::{Principal, Proctor};
use super::error::{ApiError, ErrorBody};
use super::openapi::Binary;
use crate::live::{LiveJpeg, LiveView};

const BOUNDARY: &str = "proctord-frame";

#[utoipa::path(
    get,
    path = "/live.mjpeg",
    summary = "The live camera with boxes, as MJPEG",
    responses(
        (status = 200, description = "An endless stream of JPEG frames (about 5 a second), parts separated by `--proctord-frame`", content_type = "multipart/x-mixed-replace", body = Binary),
        (status = 503, description = "`[web.limits] max_streams` are already open", body = ErrorBody),
    ),
)]
/// `503` when `[web.limits] max_streams` are already open.
pub async fn stream(
    Proctor(who): Proctor,
    State(state): State<AppState>,
) -> Result<Response, ApiError> {
    let permit = state.gates().stream()?;
    let feed = Feed {
        live: state.live().clone(),
        frames: state.live().watch_frames(),
        last_sent: None,
        min_interval: state.timings().mjpeg_min_interval,
        closing: state.streams_closing(),
        who,
        _permit: permit,
    };
    let opening = futures_util::stream::once(async {
        Ok::<_, Infallible>(Bytes::from(format!("--{BOUNDARY}\r\n")))
    });
    let parts = futures_util::stream::unfold(feed, |mut feed| async move {
        let mut closing = feed.closing.clone();
        let who = feed.who.clone();
        tokio::select! {
            part = feed.next_part() => part.map(|part| (Ok(part), feed)),
            _ = closing.wait_for(|closing| *closing) => None,
            // The camera goes dark for a tab whose login ended.
            () = who.logged_out() => None,
        }
    });
    let body = Body::from_stream(opening.chain(parts));
    Ok((
        [
            (
                header::CONTENT_TYPE,
                format!("multipart/x-mixed-replace; boundary={BOUNDARY}"),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        body,
    )
        .into_response())
}

#[utoipa::path(
    get,
    path = "/live.jpg",
    summary = "The newest camera frame with boxes",
    responses(
        (status = 200, description = "One JPEG", content_type = "image/jpeg", body = Binary),
        (status = 503, description = "No camera frame has been published yet", body = ErrorBody),
    ),
)]
pub async fn still(_: Proctor, State(state): State<AppState>) -> Result<Response, ApiError> {
    let jpeg = encode(state.live().clone()).await.ok_or_else(|| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "no camera frame has been published yet: the camera or the pipeline is still starting",
        )
    })?;
    Ok((
        [
            (header::CONTENT_TYPE, "image/jpeg"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        jpeg.bytes,
    )
        .into_response())
}

/// Encoding takes milliseconds of CPU: keep it off the async workers.
async fn encode(live: LiveView) -> Option<LiveJpeg> {
    tokio::task::spawn_blocking(move || live.annotated_jpeg())
        .await
        .ok()
        .flatten()
}

struct Feed {
    live: LiveView,
    frames: watch::Receiver<u64>,
    last_sent: Option<(u64, Instant)>,
    min_interval: Duration,
    closing: watch::Receiver<bool>,
    who: Principal,
    /// This stream's place under `max_streams`, given back when the stream ends.
    _permit: OwnedSemaphorePermit,
}

impl Feed {
    /// Waits for a frame newer than the last one sent (and no sooner than the throttle
    /// allows), then returns it as one multipart part.
    async fn next_part(&mut self) -> Option<Bytes> {
        loop {
            let newest = *self.frames.borrow_and_update();
            let already_sent = self
                .last_sent
                .is_some_and(|(generation, _)| generation >= newest);
            if newest == 0 || already_sent {
                self.frames.changed().await.ok()?;
                continue;
            }
            if let Some((_, at)) = self.last_sent {
                tokio::time::sleep_until(at + self.min_interval).await;
            }
            let jpeg = encode(self.live.clone()).await?;
            self.last_sent = Some((jpeg.generation, Instant::now()));
            return Some(part(&jpeg.bytes));
        }
    }
}

/// One JPEG followed at once by the next boundary: browsers show a part only when they
/// see the boundary after it, and the next frame may be a long time coming.
fn part(jpeg: &[u8]) -> Bytes {
    let head = format!(
        "Content-Type: image/jpeg\r\nContent-Length: {}\r\n\r\n",
        jpeg.len()
    );
    let tail = format!("\r\n--{BOUNDARY}\r\n");
    let mut part = Vec::with_capacity(head.len() + jpeg.len() + tail.len());
    part.extend_from_slice(head.as_bytes());
    part.extend_from_slice(jpeg);
    part.extend_from_slice(tail.as_bytes());
    Bytes::from(part)
}
