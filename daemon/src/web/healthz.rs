//! `GET /healthz`: for monitoring, open to anyone, so it says nothing about who sits at
//! the kiosk: only that the server is up and whether camera frames are arriving.

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;

use super::AppState;

/// A frame older than this means the pipeline is not ready (starting, or stalled).
const FRESH_FRAME_S: f64 = 5.0;

#[derive(Debug, Serialize, ToSchema)]
pub struct Healthz {
    /// Always `up`.
    #[schema(value_type = String, example = "up")]
    pub status: &'static str,
    /// A camera frame went through the pipeline in the last few seconds.
    pub ready: bool,
}

#[utoipa::path(
    get,
    path = "/healthz",
    summary = "Up and ready, for monitoring; names nobody",
    responses((status = 200, description = "The server is up; `ready` once camera frames arrive", body = Healthz)),
)]
pub async fn healthz(State(state): State<AppState>) -> Json<Healthz> {
    let ready = state
        .live()
        .latest_frame_info()
        .is_some_and(|frame| frame.age_s <= FRESH_FRAME_S);
    Json(Healthz {
        status: "up",
        ready,
    })
}
