//! Kiosk control: the one place that starts and ends sessions, records events and makes
//! reports. The web API, MQTT commands and the pipeline all go through it, so a session
//! started from any of them is seen by all (the pipeline watches `active()`).

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use tokio::sync::{broadcast, watch};
use uuid::Uuid;

use crate::config::Config;
use crate::event::{EventDetails, EventKind, Phase, ProctorEvent};
use crate::report::{ModelUsed, Report};
use crate::session::{Session, SessionHealth};
use crate::store::{EndOfSession, Store, StoreError};

mod deletion;
mod open_recording;
mod review;

pub use deletion::DeletionOutcome;
use open_recording::OpenRecording;

/// How long ending a session waits for its recorder to close the last segment: the
/// recorder's own finish timeout (5 s) plus a camera read in progress.
const RECORDING_CLOSE_WAIT: std::time::Duration = std::time::Duration::from_secs(8);

#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("no session with id {0}")]
    NoSuchSession(Uuid),
    #[error("no event with id {0}")]
    NoSuchEvent(Uuid),
    /// The request does not fit the session's state now (409).
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Invalid(String),
}

/// Longest candidate name, exam id or note accepted (they end up in reports and MQTT).
pub const MAX_TEXT_CHARS: usize = 500;

#[derive(Clone)]
pub struct Control {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    config: Config,
    models: Vec<ModelUsed>,
    active_tx: watch::Sender<Option<Session>>,
    events_tx: broadcast::Sender<ProctorEvent>,
    /// Health of the running session, kept current by the pipeline.
    live_health: Mutex<SessionHealth>,
    /// Closes the events still open in the running session (installed by the pipeline),
    /// so that they end before the session does and the report has their real end.
    close_open_events: Mutex<Option<Arc<dyn Fn() + Send + Sync>>>,
    /// The daemon's one clock (installed by the pipeline; the system clock until then).
    clock: Mutex<Option<WallNow>>,
    /// The session whose recording the recorder still has open.
    open_recording: OpenRecording,
}

/// Now, on the daemon's clock (see `clock::WallMap`).
pub type WallNow = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

impl Control {
    pub fn new(
        store: Store,
        config: Config,
        models: Vec<ModelUsed>,
    ) -> Result<Control, ControlError> {
        let active = store.active_session()?;
        let (active_tx, _) = watch::channel(active);
        let (events_tx, _) = broadcast::channel(256);
        Ok(Control {
            inner: Arc::new(Inner {
                store,
                config,
                models,
                active_tx,
                events_tx,
                live_health: Mutex::new(SessionHealth::default()),
                close_open_events: Mutex::new(None),
                clock: Mutex::new(None),
                open_recording: OpenRecording::default(),
            }),
        })
    }

    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The active session now.
    pub fn active(&self) -> Option<Session> {
        self.inner.active_tx.borrow().clone()
    }

    /// Changes of the active session (the pipeline and the status page follow it).
    pub fn watch_active(&self) -> watch::Receiver<Option<Session>> {
        self.inner.active_tx.subscribe()
    }

    /// The recorder started recording `session` (ending it waits until it is closed).
    pub fn recording_opened(&self, session: Uuid) {
        self.inner.open_recording.opened(session);
    }

    /// The recorder closed `session`'s recording; its segments are in the store.
    pub fn recording_closed(&self, session: Uuid) {
        self.inner.open_recording.closed(session);
    }

    /// Every event as it is recorded (for the status page's live feed).
    pub fn subscribe_events(&self) -> broadcast::Receiver<ProctorEvent> {
        self.inner.events_tx.subscribe()
    }

    pub fn start_session(
        &self,
        candidate: &str,
        exam_id: Option<&str>,
        notes: Option<&str>,
    ) -> Result<Session, ControlError> {
        let candidate = candidate.trim();
        if candidate.is_empty() {
            return Err(ControlError::Invalid(
                "the candidate's name must not be empty".into(),
            ));
        }
        for (what, v) in [
            ("candidate", Some(candidate)),
            ("exam_id", exam_id),
            ("notes", notes),
        ] {
            if v.is_some_and(|v| v.chars().count() > MAX_TEXT_CHARS) {
                return Err(ControlError::Invalid(format!(
                    "{what} is longer than {MAX_TEXT_CHARS} characters"
                )));
            }
        }
        let session = self
            .inner
            .store
            .start_session_at(candidate, exam_id, notes, self.now())?;
        *self
            .inner
            .live_health
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = SessionHealth::default();
        self.inner.active_tx.send_replace(Some(session.clone()));
        log::info!(
            "Session {} started for candidate {:?}.",
            session.id,
            session.candidate
        );
        Ok(session)
    }

    /// Installs the daemon's clock: sessions and logged events are stamped with it.
    pub fn set_clock(&self, now: WallNow) {
        *self.inner.clock.lock().unwrap_or_else(|p| p.into_inner()) = Some(now);
    }

    /// Now, on the daemon's one clock (what audit entries and decisions are stamped with).
    pub fn wall_now(&self) -> DateTime<Utc> {
        self.now()
    }

    fn now(&self) -> DateTime<Utc> {
        let clock = self
            .inner
            .clock
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        clock.map_or_else(Utc::now, |now| now())
    }

    /// Installs the pipeline's way of closing the running session's open events.
    pub fn set_close_open_events(&self, close: Arc<dyn Fn() + Send + Sync>) {
        *self
            .inner
            .close_open_events
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = Some(close);
    }

    /// Ends the session and returns its final report. The end, the report record and
    /// the report's outbox items are one write (see `Store::end_session_with`): a crash
    /// cannot leave the session ended without its report, and a report larger than a
    /// message is queued in parts (see `store::report_parts`) instead of failing.
    pub fn end_session(&self, id: Uuid) -> Result<Report, ControlError> {
        let is_active = self.active().is_some_and(|s| s.id == id);
        let health = if is_active {
            let close = self
                .inner
                .close_open_events
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clone();
            if let Some(close) = close {
                close();
            }
            let health = self
                .inner
                .live_health
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clone();
            self.inner.store.put_session_health(id, &health)?;
            health
        } else {
            self.inner.store.session_health(id)?
        };
        let mut report = None;
        let (session, _) = self
            .inner
            .store
            .end_session_with(id, self.now(), |ended, events| {
                let built = self.build_report(ended, events, &health)?;
                let json = serde_json::to_vec(&built).expect("a report always serialises");
                report = Some(built);
                Ok(EndOfSession { report: Some(json) })
            })
            .map_err(|e| match e {
                StoreError::SessionNotFound(id) => ControlError::NoSuchSession(id),
                other => other.into(),
            })?;
        if is_active {
            self.inner.active_tx.send_replace(None);
            if !self
                .inner
                .open_recording
                .wait_closed(id, RECORDING_CLOSE_WAIT)
            {
                log::warn!(
                    "Session {id} ended, but its recording was not closed within {} s; its last segment is listed once the recorder closes it.",
                    RECORDING_CLOSE_WAIT.as_secs()
                );
            }
        }
        let report = report.expect("the report is built when the session ends");
        log::info!(
            "Session {} ended: integrity score {:.1}, {} event(s).",
            session.id,
            report.score,
            report.events.len()
        );
        Ok(report)
    }

    /// The report of a session, ended or still running.
    pub fn report(&self, id: Uuid) -> Result<Report, ControlError> {
        let session = self
            .inner
            .store
            .session(id)?
            .ok_or(ControlError::NoSuchSession(id))?;
        self.report_for(&session)
    }

    fn report_for(&self, session: &Session) -> Result<Report, ControlError> {
        let events = self.inner.store.events_for(session.id)?;
        let health = if session.ended_at.is_none() {
            self.inner
                .live_health
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clone()
        } else {
            self.inner.store.session_health(session.id)?
        };
        Ok(self.build_report(session, &events, &health)?)
    }

    fn build_report(
        &self,
        session: &Session,
        events: &[ProctorEvent],
        health: &SessionHealth,
    ) -> Result<Report, StoreError> {
        let cfg = &self.inner.config;
        Ok(Report::build_at(
            session,
            events,
            health,
            self.inner.models.clone(),
            &cfg.rules,
            &cfg.scoring,
            self.now(),
        )
        .with_detection_thresholds(&cfg.detection)
        .with_evidence_chain(self.inner.store.chain_head(Some(session.id))?)
        .with_review(&self.inner.store.reviews_for(session.id)?)
        .with_access_log(self.inner.store.audit_for(session.id)?))
    }

    /// Stores an event (flushed and queued for MQTT before this returns) and shows it
    /// on the live feed.
    pub fn record_event(&self, event: &ProctorEvent) -> Result<(), ControlError> {
        self.inner.store.append_event(event)?;
        let _ = self.inner.events_tx.send(event.clone());
        Ok(())
    }

    /// An event logged through the API: a point in time with a label and a note,
    /// attached to the active session (or to `session_id` when given and it exists).
    pub fn log_event(
        &self,
        session_id: Option<Uuid>,
        label: &str,
        note: Option<&str>,
        score: Option<f32>,
    ) -> Result<ProctorEvent, ControlError> {
        if label.trim().is_empty()
            || label.chars().count() > MAX_TEXT_CHARS
            || note.is_some_and(|n| n.chars().count() > MAX_TEXT_CHARS)
        {
            return Err(ControlError::Invalid(format!(
                "label must be 1..{MAX_TEXT_CHARS} characters and note at most {MAX_TEXT_CHARS}"
            )));
        }
        let session_id = match session_id {
            Some(id) => {
                self.inner
                    .store
                    .session(id)?
                    .ok_or(ControlError::NoSuchSession(id))?;
                Some(id)
            }
            None => self.active().map(|s| s.id),
        };
        let now = self.now();
        let started_at_s = self
            .active()
            .filter(|s| Some(s.id) == session_id)
            .map(|s| (now - s.started_at).num_milliseconds() as f64 / 1000.0)
            .unwrap_or(0.0);
        let event = ProctorEvent {
            id: Uuid::now_v7(),
            session_id,
            kind: EventKind::Logged,
            phase: Phase::End,
            started_at: now,
            ended_at: Some(now),
            duration_s: Some(0.0),
            started_at_s,
            ended_at_s: Some(started_at_s),
            details: EventDetails {
                label: Some(label.trim().to_string()),
                note: note.map(str::to_string),
                best_score: score,
                max_faces: None,
            },
        };
        self.record_event(&event)?;
        Ok(event)
    }

    /// The pipeline's running health summary for the active session.
    pub fn update_health(&self, health: SessionHealth) {
        *self
            .inner
            .live_health
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = health;
    }
}
