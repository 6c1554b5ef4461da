//! systemd integration: READY once the camera and models are up, and watchdog pings only
//! while the pipeline makes progress, so a hung daemon is restarted by systemd.
//! All calls are no-ops outside systemd (no NOTIFY_SOCKET).

use std::time::Duration;

use sd_notify::NotifyState;

pub fn ready(status: &str) {
    let _ = sd_notify::notify(&[NotifyState::Ready, NotifyState::Status(status)]);
}

pub fn status(status: &str) {
    let _ = sd_notify::notify(&[NotifyState::Status(status)]);
}

pub fn stopping() {
    let _ = sd_notify::notify(&[NotifyState::Stopping]);
}

pub fn watchdog_ping() {
    let _ = sd_notify::notify(&[NotifyState::Watchdog]);
}

/// The watchdog interval systemd asked for, if any.
pub fn watchdog_interval() -> Option<Duration> {
    sd_notify::watchdog_enabled()
}
