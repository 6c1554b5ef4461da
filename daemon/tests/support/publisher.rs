//! What the publisher's tests share: a kiosk under the test site, its topics, a health
//! feed, an event to publish, and waiting for the publisher to reach a state.
//!
//! Use from a test file with `#[path = "support/publisher.rs"] mod publisher;`.

#![allow(dead_code)] // Each test file uses a different part.

use std::time::Duration;

use chrono::Utc;
use proctord::config::KioskConfig;
use proctord::event::{EventDetails, EventKind, Phase, ProctorEvent};
use proctord::publish::{Publisher, PublisherStatus};
use serde_json::{Value, json};
use tokio::sync::watch;
use uuid::Uuid;

pub const SITE: &str = "test-site";

pub fn kiosk(kiosk_id: &str) -> KioskConfig {
    KioskConfig {
        site: SITE.into(),
        kiosk_id: kiosk_id.into(),
        ..KioskConfig::default()
    }
}

pub fn topic(kiosk_id: &str, suffix: &str) -> String {
    format!("proctord/{SITE}/{kiosk_id}/{suffix}")
}

pub fn health() -> watch::Receiver<Value> {
    watch::channel(json!({ "camera": "ok" })).1
}

/// A kiosk event (no session): the camera was lost.
pub fn event() -> ProctorEvent {
    ProctorEvent {
        id: Uuid::now_v7(),
        session_id: None,
        kind: EventKind::CameraLost,
        phase: Phase::Start,
        started_at: Utc::now(),
        ended_at: None,
        duration_s: None,
        started_at_s: 0.0,
        ended_at_s: None,
        details: EventDetails::default(),
    }
}

pub async fn wait_for_status(
    publisher: &Publisher,
    timeout: Duration,
    done: impl Fn(&PublisherStatus) -> bool,
) -> PublisherStatus {
    let mut status = publisher.status();
    let reached = tokio::time::timeout(timeout, status.wait_for(|s| done(s)))
        .await
        .is_ok();
    let last = status.borrow().clone();
    assert!(
        reached,
        "the publisher did not reach the expected state in {timeout:?}; last status: {last:?}"
    );
    last
}
