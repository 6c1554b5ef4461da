//! `GET /api/health`: the pipeline's health as it published it, with what the web side
//! knows itself (which kiosk, the active session, the newest frame's age), so that a page or a probe
//! can tell "starting" from "stalled".

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::AppState;
use super::auth::Proctor;
use crate::health_snapshot::HealthSnapshot;
use crate::live::LiveFrameInfo;

/// What `/api/health` and the event stream's `health` events carry.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ApiHealth {
    pub server_time: DateTime<Utc>,
    pub kiosk: KioskName,
    pub active_session_id: Option<Uuid>,
    /// `null` until the first frame.
    pub live_frame: Option<LiveFrameInfo>,
    /// `null` until the pipeline publishes.
    pub pipeline: Option<HealthSnapshot>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct KioskName {
    pub site: String,
    pub kiosk_id: String,
}

#[utoipa::path(
    get,
    path = "/api/health",
    summary = "Pipeline health and the newest frame",
    responses((status = 200, description = "The kiosk's health now", body = ApiHealth)),
)]
pub async fn health(_: Proctor, State(state): State<AppState>) -> Json<ApiHealth> {
    Json(snapshot(&state))
}

pub fn snapshot(state: &AppState) -> ApiHealth {
    let kiosk = &state.control().config().kiosk;
    ApiHealth {
        server_time: Utc::now(),
        kiosk: KioskName {
            site: kiosk.site.clone(),
            kiosk_id: kiosk.kiosk_id.clone(),
        },
        active_session_id: state.control().active().map(|s| s.id),
        live_frame: state.live().latest_frame_info(),
        pipeline: state.live().health(),
    }
}
