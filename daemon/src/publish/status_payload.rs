//! The retained `status` messages: `online` on connect, `offline` as last will and on
//! an orderly shutdown.

use chrono::Utc;
use serde_json::json;

use crate::config::KioskConfig;

pub(crate) fn online(kiosk: &KioskConfig) -> Vec<u8> {
    json!({
        "status": "online",
        "site": kiosk.site,
        "kiosk_id": kiosk.kiosk_id,
        "version": env!("CARGO_PKG_VERSION"),
        "at": Utc::now(),
    })
    .to_string()
    .into_bytes()
}

/// Registered with the broker at connect time, so it carries no time of its own.
pub(crate) fn offline_will(kiosk: &KioskConfig) -> Vec<u8> {
    json!({ "status": "offline", "reason": "connection_lost", "site": kiosk.site, "kiosk_id": kiosk.kiosk_id })
        .to_string()
        .into_bytes()
}

pub(crate) fn offline_shutdown(kiosk: &KioskConfig) -> Vec<u8> {
    json!({
        "status": "offline",
        "reason": "shutdown",
        "site": kiosk.site,
        "kiosk_id": kiosk.kiosk_id,
        "at": Utc::now(),
    })
    .to_string()
    .into_bytes()
}
