//! `GET /api/events/stream`: Server-Sent Events for the status page.
//!
//! Event names and their data (JSON):
//! - `session`: `{"session": Session|null, "server_time": ...}` first, then whenever the
//!   active session changes (started or ended from the page, the API or MQTT).
//! - `proctor`: every `ProctorEvent` as it is recorded.
//! - `health`: the `/api/health` object, at once and then periodically.
//! - `lagged`: `{"missed": n}` when this client fell behind and events were skipped;
//!   the client should re-read the session's events.

use std::convert::Infallible;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use chrono::Utc;
use futures_util::Stream;
use serde::Serialize;
use serde_json::json;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{OwnedSemaphorePermit, broadcast, watch};
use tokio::time::{Interval, MissedTickBehavior};

use super::AppState;
use super::auth::{Principal, Proctor};
use super::error::ErrorBody;
use super::health;
use crate::event::ProctorEvent;
use crate::session::Session;
use crate::web::ApiError;

#[utoipa::path(
    get,
    path = "/api/events/stream",
    summary = "Server-Sent Events: events, session changes, health",
    description = "Events `session` (`{\"session\": Session or null, \"server_time\"}`, first and whenever the active session changes), `proctor` (a ProctorEvent as it is recorded), `health` (the ApiHealth of /api/health, at once and then periodically) and `lagged` (`{\"missed\": n}`: this client fell behind; re-read the session's events).",
    responses(
        (status = 200, description = "An endless event stream", content_type = "text/event-stream", body = String),
        (status = 503, description = "`[web.limits] max_streams` are already open", body = ErrorBody),
    ),
)]
/// `503` when `[web.limits] max_streams` are already open.
pub async fn stream(
    Proctor(who): Proctor,
    State(state): State<AppState>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let permit = state.gates().stream()?;
    let mut health_ticks = tokio::time::interval(state.timings().health_every);
    health_ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let feed = Feed {
        events: state.control().subscribe_events(),
        active: state.control().watch_active(),
        greeted: false,
        health_ticks,
        closing: state.streams_closing(),
        who,
        state,
        _permit: permit,
    };
    let events = futures_util::stream::unfold(feed, |mut feed| async move {
        feed.next().await.map(|event| (Ok(event), feed))
    });
    Ok(Sse::new(events).keep_alive(KeepAlive::default()))
}

struct Feed {
    state: AppState,
    events: broadcast::Receiver<ProctorEvent>,
    active: watch::Receiver<Option<Session>>,
    greeted: bool,
    health_ticks: Interval,
    closing: watch::Receiver<bool>,
    /// The stream ends with the login it was opened under.
    who: Principal,
    /// This stream's place under `max_streams`, given back when the stream ends.
    _permit: OwnedSemaphorePermit,
}

impl Feed {
    /// The next event for this client; `None` ends the stream (the server is going away).
    async fn next(&mut self) -> Option<Event> {
        if !self.greeted {
            self.greeted = true;
            let current = self.active.borrow_and_update().clone();
            return Some(session_event(current));
        }
        tokio::select! {
            received = self.events.recv() => match received {
                Ok(event) => Some(named("proctor", &event)),
                Err(RecvError::Lagged(missed)) => Some(named("lagged", &json!({ "missed": missed }))),
                Err(RecvError::Closed) => None,
            },
            changed = self.active.changed() => match changed {
                Ok(()) => Some(session_event(self.active.borrow_and_update().clone())),
                Err(_) => None,
            },
            _ = self.health_ticks.tick() => Some(named("health", &health::snapshot(&self.state))),
            _ = self.closing.wait_for(|closing| *closing) => None,
            () = self.who.logged_out() => None,
        }
    }
}

fn session_event(session: Option<Session>) -> Event {
    named(
        "session",
        &json!({ "session": session, "server_time": Utc::now() }),
    )
}

fn named(name: &str, data: &impl Serialize) -> Event {
    Event::default()
        .event(name)
        .json_data(data)
        .unwrap_or_else(|e| {
            Event::default().comment(format!("could not serialise a {name} event: {e}"))
        })
}
