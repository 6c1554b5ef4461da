//! `proctord run`: the appliance. Wires the one-way pipeline together —
//!
//! ```text
//! capture thread ──newest frame──▶ analysis thread ──events──▶ Control ──▶ store + outbox ──▶ MQTT
//!      └──every frame──▶ recorder (per session)              └──▶ live view ──▶ status page
//! ```
//!
//! and runs it under systemd: READY once the camera and models are up, watchdog pings
//! only while frames and inference progress, an orderly stop on SIGTERM (the recording
//! segment is closed, every acknowledged event is already on disk).

mod analysis_loop;
mod capture_loop;
mod evidence;
pub mod recovery;

pub use capture_loop::SourceOpener;
pub mod health;
mod notify;
pub mod slot;

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, Utc};
use tokio::sync::watch;

use crate::clock::{ClockStep, Clocks, RealClocks, WallMap};
use crate::config::Config;
use crate::control::Control;
use crate::event::{EventDetails, EventKind, Phase, ProctorEvent, RuleEvent};
use crate::health_snapshot::MqttHealth;
use crate::inference::{Detector, ObjectsMode};
use crate::live::LiveView;
use crate::pipeline::Analysis;
use crate::publish::{Command, CommandResult, Publisher, ReceivedCommand};
use crate::record::{enforce_retention, recordings_dir};
use crate::report::ModelUsed;
use crate::store::Store;
use health::Health;
use slot::FrameSlot;

/// State shared by the pipeline's threads and tasks.
pub struct Shared {
    pub control: Control,
    pub slot: FrameSlot,
    pub health: Health,
    pub live: Option<LiveView>,
    /// Every reading of time goes through here (simulated in tests).
    pub clocks: Arc<dyn Clocks>,
    /// The monotonic reading at stream time 0 of the whole daemon (see `capture_loop`).
    origin: Duration,
    /// Stream time on the calendar: the daemon's one clock (see `clock::WallMap`).
    wall: Mutex<WallMap>,
    /// Wall-clock steps seen during the active session.
    clock_steps: Mutex<Vec<ClockStep>>,
    /// The calendar at stream time 0, never moved by a later step (see `retention_now`).
    unstepped_epoch: Mutex<DateTime<Utc>>,
    /// The active session's `daemon_down` gap left by the previous run, ended at the
    /// first analysed frame (see `recovery`).
    down_since: Mutex<Option<ProctorEvent>>,
    shutdown: AtomicBool,
    shutdown_wake: (Mutex<()>, Condvar),
    ready_sent: AtomicBool,
    /// Requests from `Control::end_session` to close the open events now; each is
    /// answered once done.
    close_requests: Mutex<Vec<std::sync::mpsc::Sender<()>>>,
    /// Milliseconds since `started` of the last sign of life of each thread.
    capture_beat_ms: AtomicU64,
    analysis_beat_ms: AtomicU64,
}

impl Shared {
    pub fn is_shutting_down(&self) -> bool {
        self.shutdown.load(Relaxed)
    }

    fn request_shutdown(&self) {
        self.shutdown.store(true, Relaxed);
        self.shutdown_wake.1.notify_all();
    }

    /// Sleeps, waking early on shutdown. On simulated clocks, only advances them.
    pub fn sleep_unless_shutdown(&self, d: Duration) {
        if self.clocks.is_simulated() {
            self.clocks.sleep(d);
            return;
        }
        let guard = self
            .shutdown_wake
            .0
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let _ = self
            .shutdown_wake
            .1
            .wait_timeout_while(guard, d, |_| !self.is_shutting_down());
    }

    /// Time since the daemon started, on the monotonic clock: what frames and events
    /// are stamped with.
    pub fn stream_now(&self) -> Duration {
        self.clocks.monotonic().saturating_sub(self.origin)
    }

    /// A stream time on the calendar.
    pub fn wall_at(&self, stream: Duration) -> DateTime<Utc> {
        self.wall
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .at(stream)
    }

    /// Now, on the daemon's one clock.
    pub fn wall_now(&self) -> DateTime<Utc> {
        self.wall_at(self.stream_now())
    }

    /// Places a rule event (in stream time) on the daemon's clock.
    pub fn event_from_rule(&self, ev: &RuleEvent, session: Option<uuid::Uuid>) -> ProctorEvent {
        let wall = self.wall.lock().unwrap_or_else(|p| p.into_inner());
        ProctorEvent::from_rule(ev, session, wall.at(Duration::ZERO))
    }

    /// Feeds a frame's two clock readings to the mapping; a wall-clock step during a
    /// session is logged and kept for the session's health.
    pub fn observe_clocks(&self, frame: &crate::frame::Frame, in_session: bool) {
        let step = self.wall.lock().unwrap_or_else(|p| p.into_inner()).observe(
            frame.pts,
            frame.wall_time,
            !in_session,
        );
        if let Some(step) = step {
            self.health.clock_steps.fetch_add(1, Relaxed);
            if in_session {
                log::warn!(
                    "The system clock jumped by {:+.1} s; the session keeps its own clock (times stay consistent), and its health notes the jump.",
                    step.step_s
                );
                self.clock_steps
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(step);
            } else {
                log::warn!(
                    "The system clock jumped by {:+.1} s; proctord follows it (no session is running).",
                    step.step_s
                );
            }
        }
    }

    /// Now for retention: the calendar as it read when the daemon started, carried on by
    /// the monotonic clock, so no wall-clock step during this run ages a recording.
    pub fn retention_now(&self) -> DateTime<Utc> {
        *self
            .unstepped_epoch
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            + chrono::Duration::from_std(self.stream_now()).unwrap_or_default()
    }

    /// How far the daemon's clock is ahead of the system clock now.
    pub fn clock_ahead(&self) -> chrono::Duration {
        let stream = self.stream_now();
        let wall = self.clocks.realtime();
        self.wall
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .ahead_of(stream, wall)
    }

    /// Recovery found the active session running when the previous run stopped: go on
    /// on its clock, and end its `daemon_down` gap at the first analysed frame.
    pub fn resume(&self, recovery: &recovery::Recovery) {
        let mut wall = self.wall.lock().unwrap_or_else(|p| p.into_inner());
        wall.shift(recovery.clock_ahead);
        *self
            .unstepped_epoch
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = wall.at(Duration::ZERO);
        drop(wall);
        *self.down_since.lock().unwrap_or_else(|p| p.into_inner()) = recovery.down_since.clone();
    }

    /// The active session's health, with the clock steps seen during it.
    pub fn session_health(&self) -> crate::session::SessionHealth {
        let mut health = self.health.session_health();
        health.clock_steps = self
            .clock_steps
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        health
    }

    fn begin_session(&self) {
        self.health.begin_session();
        self.clock_steps
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }

    /// The `daemon_down` gap, once: taken by the analysis thread at its first frame.
    fn take_down_since(&self, session: Option<uuid::Uuid>) -> Option<ProctorEvent> {
        let mut down = self.down_since.lock().unwrap_or_else(|p| p.into_inner());
        if down.as_ref().is_some_and(|d| d.session_id == session) {
            down.take()
        } else {
            None
        }
    }

    fn now_ms(&self) -> u64 {
        self.stream_now().as_millis() as u64
    }

    pub fn capture_heartbeat(&self) {
        self.capture_beat_ms.store(self.now_ms(), Relaxed);
    }

    pub fn analysis_heartbeat(&self) {
        self.analysis_beat_ms.store(self.now_ms(), Relaxed);
    }

    /// Both threads showed progress within `within`.
    fn making_progress(&self, within: Duration) -> bool {
        let now = self.now_ms();
        let fresh =
            |beat: &AtomicU64| now.saturating_sub(beat.load(Relaxed)) <= within.as_millis() as u64;
        fresh(&self.capture_beat_ms) && fresh(&self.analysis_beat_ms)
    }

    /// Asks the analysis thread to close the open events and waits (bounded) until it has.
    fn close_open_events(&self) {
        let (tx, rx) = std::sync::mpsc::channel();
        self.close_requests
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(tx);
        if rx.recv_timeout(Duration::from_secs(3)).is_err() {
            log::warn!(
                "The analysis thread did not close the open events in time; they end when it next runs."
            );
        }
    }

    /// Takes the pending close requests (for the analysis thread).
    pub fn take_close_requests(&self) -> Vec<std::sync::mpsc::Sender<()>> {
        std::mem::take(
            &mut *self
                .close_requests
                .lock()
                .unwrap_or_else(|p| p.into_inner()),
        )
    }

    pub fn notify_ready_once(&self) {
        if !self.ready_sent.swap(true, Relaxed) {
            log::info!("proctord is ready: camera and models are up, the first frame is analysed.");
            notify::ready("camera and models are up");
        }
    }

    /// Stores an event (flushed, queued for MQTT) and shows it live. A store failure is
    /// logged and counted; the pipeline goes on.
    pub fn record(&self, event: &ProctorEvent) {
        match self.control.record_event(event) {
            Ok(()) => {
                self.health.events_recorded.fetch_add(1, Relaxed);
                log::info!(
                    "Event {} {:?} ({}) for {}.",
                    event.kind.as_str(),
                    event.phase,
                    event.id,
                    event
                        .session_id
                        .map_or("the kiosk".to_string(), |s| format!("session {s}"))
                );
            }
            Err(e) => {
                self.health.store_errors.fetch_add(1, Relaxed);
                log::error!(
                    "Cannot store event {} ({}): {e}",
                    event.id,
                    event.kind.as_str()
                );
            }
        }
    }
}

impl Shared {
    pub fn new(control: Control, live: Option<LiveView>) -> Arc<Shared> {
        Shared::with_clocks(control, live, Arc::new(RealClocks::new()))
    }

    /// A pipeline on the given clocks (tests: `clock::SimulatedClocks`).
    pub fn with_clocks(
        control: Control,
        live: Option<LiveView>,
        clocks: Arc<dyn Clocks>,
    ) -> Arc<Shared> {
        let origin = clocks.monotonic();
        let wall = WallMap::new(Duration::ZERO, clocks.realtime());
        Arc::new(Shared {
            control,
            slot: FrameSlot::default(),
            health: Health::default(),
            live,
            clocks,
            origin,
            unstepped_epoch: Mutex::new(wall.at(Duration::ZERO)),
            wall: Mutex::new(wall),
            clock_steps: Mutex::new(Vec::new()),
            down_since: Mutex::new(None),
            shutdown: AtomicBool::new(false),
            shutdown_wake: (Mutex::new(()), Condvar::new()),
            ready_sent: AtomicBool::new(false),
            close_requests: Mutex::new(Vec::new()),
            capture_beat_ms: AtomicU64::new(0),
            analysis_beat_ms: AtomicU64::new(0),
        })
    }
}

/// The capture and analysis threads of a running pipeline.
pub struct Pipeline {
    shared: Arc<Shared>,
    capture: std::thread::JoinHandle<()>,
    analysis: std::thread::JoinHandle<Result<(), String>>,
}

impl Pipeline {
    /// Starts capture → analysis → control on their own threads.
    pub fn start(
        shared: Arc<Shared>,
        analysis: Analysis,
        open_source: SourceOpener,
    ) -> std::io::Result<Pipeline> {
        {
            let s = shared.clone();
            shared
                .control
                .set_close_open_events(Arc::new(move || s.close_open_events()));
            let s = shared.clone();
            shared.control.set_clock(Arc::new(move || s.wall_now()));
        }
        let capture = {
            let s = shared.clone();
            std::thread::Builder::new()
                .name("capture".into())
                .spawn(move || capture_loop::run(s, open_source))?
        };
        let analysis = {
            let s = shared.clone();
            std::thread::Builder::new()
                .name("analysis".into())
                .spawn(move || {
                    let result = analysis_loop::run(s.clone(), analysis);
                    if result.is_err() {
                        s.request_shutdown();
                    }
                    result
                })?
        };
        Ok(Pipeline {
            shared,
            capture,
            analysis,
        })
    }

    /// Stops both threads: the recording segment is closed, open events are ended.
    pub fn stop(self) -> Result<(), String> {
        self.shared.request_shutdown();
        let _ = self.capture.join();
        self.analysis
            .join()
            .unwrap_or_else(|_| Err("the analysis thread panicked".into()))
    }
}

pub fn run(config_path: &Path) -> anyhow::Result<()> {
    let cfg = Config::load(config_path)?;
    notify::status("loading models");
    let mut detector = Detector::from_config(&cfg).context("cannot start the detector")?;
    // Live, the object model runs on its own thread at the rate it can keep, so that it
    // never delays the face path (see `inference::detector`).
    detector
        .set_objects_mode(ObjectsMode::Free)
        .context("cannot start the object stage's thread")?;
    log::info!(
        "Models run on the {}.",
        detector.ran_on().as_str().to_uppercase()
    );
    let models: Vec<ModelUsed> = detector.models().iter().map(ModelUsed::from).collect();
    let accelerator = detector.ran_on().as_str();
    let store_dir = cfg.kiosk.state_dir.join("store");
    let (store, recovered) = Store::open_or_recover(&store_dir, Utc::now())
        .with_context(|| format!("cannot open the store in {}", store_dir.display()))?;
    // Nobody would ever acknowledge items queued with MQTT off: queue none.
    store.outbox().set_publishing(cfg.mqtt.enabled);
    store
        .outbox()
        .set_max_message_bytes(cfg.mqtt.max_message_bytes);
    let recovery = recovery::recover(&store, &cfg.kiosk.state_dir)
        .context("cannot recover from the previous run")?;
    let control = Control::new(store.clone(), cfg.clone(), models)?;
    let live = cfg.web.enabled.then(LiveView::new);
    let shared = Shared::new(control, live.clone());
    shared.resume(&recovery);
    if let Some(recovered) = recovered {
        shared.record(&store_recovered_event(&shared, &recovered.describe()));
    }
    let capture_cfg = cfg.capture.clone();
    let opener: SourceOpener = Box::new(move || crate::capture::open_source(&capture_cfg));
    let pipeline = Pipeline::start(shared.clone(), Analysis::new(detector, &cfg), opener)?;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .thread_name("proctord-io")
        .build()?;
    let served = runtime.block_on(serve(shared.clone(), cfg.clone(), store, live, accelerator));
    notify::stopping();
    let stopped = pipeline.stop();
    served?;
    log::info!("proctord stopped; every recorded event is on disk.");
    stopped.map_err(|e| anyhow::anyhow!(e))
}

/// The async side: signals, MQTT, web, health and the watchdog, until shutdown.
async fn serve(
    shared: Arc<Shared>,
    cfg: Config,
    store: Store,
    live: Option<LiveView>,
    accelerator: &'static str,
) -> anyhow::Result<()> {
    let (health_tx, health_rx) = watch::channel(serde_json::Value::Null);
    let mut publisher = if cfg.mqtt.enabled {
        Some(
            Publisher::spawn(&cfg.mqtt, &cfg.kiosk, store.clone(), health_rx)
                .context("cannot start MQTT publishing")?,
        )
    } else {
        log::info!("MQTT is off ([mqtt] enabled = false); events stay in the local store.");
        None
    };
    if let Some(commands) = publisher.as_mut().and_then(|p| p.take_commands()) {
        tokio::spawn(follow_commands(shared.control.clone(), commands));
    }
    let mqtt_status = publisher.as_ref().map(|p| p.status());
    tokio::spawn(count_events(shared.clone()));

    let (stop_tx, stop_rx) = watch::channel(false);
    if let Some(live) = live.clone() {
        let state = crate::web::AppState::new(shared.control.clone(), live, cfg.web.clone());
        let listen: std::net::SocketAddr = cfg
            .web
            .listen
            .parse()
            .context("[web] listen is not an address:port")?;
        let mut stop = stop_rx.clone();
        tokio::spawn(async move {
            if let Err(e) = crate::web::serve(state, listen, async move {
                let _ = stop.changed().await;
            })
            .await
            {
                log::error!("The status page could not be served on {listen}: {e}");
            }
        });
    }

    // Health once a second; retention once a minute; watchdog at half its interval.
    let watchdog = notify::watchdog_interval();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut seconds = 0u64;
    let mut sigterm = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let mut sigint = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())?;
    loop {
        tokio::select! {
            _ = sigterm.recv() => { log::info!("SIGTERM: stopping."); break; }
            _ = sigint.recv() => { log::info!("SIGINT: stopping."); break; }
            _ = tick.tick() => {
                if shared.is_shutting_down() { break; }
                seconds += 1;
                shared.health.sample_rates();
                let snapshot = shared.health.snapshot(health::Surroundings {
                    queue_depth: shared.slot.depth(),
                    outbox_len: store.outbox().len(),
                    mqtt: mqtt_status.as_ref().map_or_else(MqttHealth::off, |s| MqttHealth::of(s.borrow().clone())),
                    uptime: shared.stream_now(),
                    accelerator: accelerator.to_owned(),
                    store_unflushed_commits: store.unflushed_commits(),
                    disk_free_mib: crate::record::free_space_mib(&cfg.kiosk.state_dir).ok(),
                });
                // MQTT sends the same snapshot, as JSON.
                let _ = health_tx.send(serde_json::to_value(&snapshot).unwrap_or_default());
                if let Some(live) = &live { live.publish_health(snapshot); }
                if let Some(interval) = watchdog
                    && seconds.is_multiple_of((interval.as_secs() / 2).max(1))
                    && shared.making_progress(interval / 2)
                {
                    notify::watchdog_ping();
                }
                if seconds % 60 == 1 {
                    let s = shared.clone();
                    tokio::task::spawn_blocking(move || apply_retention(&s));
                }
            }
        }
    }
    notify::stopping();
    shared.request_shutdown();
    let _ = stop_tx.send(true);
    if let Some(p) = publisher
        && tokio::time::timeout(Duration::from_secs(3), p.shutdown())
            .await
            .is_err()
    {
        log::warn!(
            "The broker did not answer the disconnect in time; unacknowledged events stay in the outbox."
        );
    }
    Ok(())
}

/// The kiosk event that says the store was damaged and a fresh one begun.
fn store_recovered_event(shared: &Shared, what: &str) -> ProctorEvent {
    let now = shared.wall_now();
    let at = shared.stream_now().as_secs_f64();
    ProctorEvent {
        id: uuid::Uuid::now_v7(),
        session_id: None,
        kind: EventKind::StoreRecovered,
        phase: Phase::End,
        started_at: now,
        ended_at: Some(now),
        duration_s: Some(0.0),
        started_at_s: at,
        ended_at_s: Some(at),
        details: EventDetails {
            note: Some(what.to_string()),
            ..EventDetails::default()
        },
    }
}

async fn follow_commands(
    control: Control,
    mut commands: tokio::sync::mpsc::Receiver<ReceivedCommand>,
) {
    while let Some(received) = commands.recv().await {
        let control = control.clone();
        // Ending a session waits for the pipeline and writes the store: not on an async worker.
        let answered = tokio::task::spawn_blocking(move || {
            let ReceivedCommand {
                command_id,
                command,
                ..
            } = received;
            let outcome = match &command {
                Command::StartSession {
                    candidate,
                    exam_id,
                    notes,
                } => control
                    .start_session(candidate, exam_id.as_deref(), notes.as_deref())
                    .map(|s| (format!("started session {}", s.id), s.id)),
                Command::EndSession { session_id } => control.end_session(*session_id).map(|r| {
                    (
                        format!("ended session {} (score {:.1})", r.session_id, r.score),
                        r.session_id,
                    )
                }),
            };
            let result = match outcome {
                Ok((what, session_id)) => {
                    log::info!("MQTT command {command_id:?}: {what}.");
                    CommandResult::done(command_id, what, session_id)
                }
                Err(e) => {
                    log::warn!("MQTT command {command_id:?} ({command:?}) refused: {e}");
                    CommandResult::refused(Some(command_id), &e)
                }
            };
            Publisher::answer(control.store(), &result);
        })
        .await;
        if let Err(e) = answered {
            log::error!("An MQTT command could not be carried out: {e}");
        }
    }
}

/// Counts every event by kind as it ends, whoever recorded it (the pipeline, the API).
async fn count_events(shared: Arc<Shared>) {
    let mut events = shared.control.subscribe_events();
    loop {
        match events.recv().await {
            Ok(event) if event.phase == Phase::End => shared.health.count_event_end(event.kind),
            Ok(_) => {}
            Err(tokio::sync::broadcast::error::RecvError::Lagged(missed)) => {
                log::warn!(
                    "The event counters missed {missed} event(s) (the kiosk was very busy)."
                );
            }
            Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
        }
    }
}

fn apply_retention(shared: &Shared) {
    let cfg = &shared.control.config().recording;
    let dir = recordings_dir(&shared.control.config().kiosk.state_dir);
    let ended_at = match shared.control.store().all_segments() {
        Ok(segments) => segments
            .into_iter()
            .map(|s| {
                let end = s.started_at
                    + chrono::Duration::milliseconds((s.duration_s * 1000.0).round() as i64);
                (s.path, end)
            })
            .collect(),
        Err(e) => {
            log::warn!("Retention skipped: cannot read the segment records: {e}");
            return;
        }
    };
    let now = shared.retention_now();
    for path in enforce_retention(&dir, &ended_at, now, cfg.retention_days, cfg.max_total_mib) {
        log::info!("Retention removed {}.", path.display());
        let session = path
            .parent()
            .and_then(|p| p.file_name())
            .and_then(|n| n.to_str())
            .and_then(|n| uuid::Uuid::parse_str(n).ok());
        if let Err(e) = shared.control.store().remove_segment(session, &path) {
            log::warn!("Cannot remove the record of {}: {e}", path.display());
        }
        // No clip outlives the recording it was cut from.
        if let Some(session) = session {
            crate::clips::forget_session(&shared.control.config().kiosk.state_dir, session);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::SimulatedClocks;

    fn shared_on(clocks: Arc<SimulatedClocks>) -> (tempfile::TempDir, Arc<Shared>) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let control = Control::new(store, Config::default(), vec![]).unwrap();
        (dir, Shared::with_clocks(control, None, clocks))
    }

    #[test]
    fn the_watchdog_is_fed_only_while_both_threads_beat_on_the_daemons_clock() {
        let clocks = Arc::new(SimulatedClocks::new(Utc::now()));
        let (_dir, shared) = shared_on(clocks.clone());
        let window = Duration::from_secs(15);
        shared.capture_heartbeat();
        shared.analysis_heartbeat();
        assert!(shared.making_progress(window));

        // Inference hangs: capture goes on beating, analysis does not.
        for _ in 0..16 {
            clocks.sleep(Duration::from_secs(1));
            shared.capture_heartbeat();
        }
        assert!(
            !shared.making_progress(window),
            "a hung analysis fed the watchdog"
        );

        shared.analysis_heartbeat();
        assert!(shared.making_progress(window));
    }

    #[test]
    fn a_wall_clock_step_between_sessions_is_followed_and_during_one_is_kept_for_its_health() {
        let boot = DateTime::parse_from_rfc3339("1970-01-01T00:00:30Z")
            .unwrap()
            .to_utc();
        let clocks = Arc::new(SimulatedClocks::new(boot));
        let (_dir, shared) = shared_on(clocks.clone());
        let frame = |clocks: &SimulatedClocks, shared: &Shared| {
            crate::frame::Frame::new_rgb(
                0,
                shared.stream_now(),
                clocks.realtime(),
                1,
                1,
                Arc::from(vec![0u8; 3]),
            )
        };
        // NTP sets the clock after boot, before any session: the daemon follows.
        shared.observe_clocks(&frame(&clocks, &shared), false);
        clocks.sleep(Duration::from_secs(1));
        clocks.step_wall(chrono::Duration::days(20_000));
        shared.observe_clocks(&frame(&clocks, &shared), false);
        assert_eq!(shared.wall_now(), clocks.realtime());
        assert!(shared.session_health().clock_steps.is_empty());

        // A step during a session is kept, and the session's clock does not move.
        shared.begin_session();
        clocks.sleep(Duration::from_secs(1));
        let before = shared.wall_now();
        clocks.step_wall(chrono::Duration::seconds(-90));
        shared.observe_clocks(&frame(&clocks, &shared), true);
        clocks.sleep(Duration::from_secs(1));
        assert_eq!(shared.wall_now(), before + chrono::Duration::seconds(1));
        let steps = shared.session_health().clock_steps;
        assert_eq!(steps.len(), 1);
        assert_eq!(steps[0].step_s, -90.0);
        // Retention's clock ignores both steps.
        assert_eq!(shared.retention_now(), boot + chrono::Duration::seconds(3));
    }
}
