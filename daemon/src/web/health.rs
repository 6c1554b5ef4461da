//! `GET /api/health`: the pipeline's health as it published it, with what the web side
//! knows itself (which kiosk, the active session, the newest frame's age), so that a page or a probe
//! can tell "starting" from "stalled".

use axum::Json;
use axum::extract::State;
use chrono::Utc;
use serde_json::{Value, json};

use super::AppState;
use super::auth::Proctor;

pub async fn health(_: Proctor, State(state): State<AppState>) -> Json<Value> {
    Json(snapshot(&state))
}

/// `pipeline` is `null` until the pipeline publishes, `live_frame` until the first frame.
pub fn snapshot(state: &AppState) -> Value {
    let kiosk = &state.control().config().kiosk;
    json!({
        "server_time": Utc::now(),
        "kiosk": { "site": kiosk.site, "kiosk_id": kiosk.kiosk_id },
        "active_session_id": state.control().active().map(|s| s.id),
        "live_frame": state.live().latest_frame_info(),
        "pipeline": state.live().health(),
    })
}
