//! Serves the status page and API for the browser test (tests/e2e): a temporary store,
//! a live view fed with a real photo and what the real models find in it, a known
//! reviewer token and two accounts, `proctor` and `reviewer`, with a known password. Each
//! session gets one recording segment: a short real MP4 from ../shared/media (there is
//! no camera to record), registered as recording registers its segments.
//! Needs `make setup` (runtime and models).
//!
//! `cargo run --example web_fixture` prints `listening on http://127.0.0.1:PORT` once it
//! answers, and stops when its standard input closes or on SIGINT/SIGTERM.
//!
//! Environment: `PROCTORD_FIXTURE_TOKEN` (default `e2e-fixture-token`),
//! `PROCTORD_FIXTURE_PASSWORD` (both accounts' password, default `e2e fixture passphrase`),
//! `PROCTORD_FIXTURE_PORT` (default 0: any free port), `PROCTORD_FIXTURE_PHOTO`
//! (default the phone photo in ../shared/media).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::{DateTime, Utc};
use proctord::capture::load_still;
use proctord::config::{Config, RulesConfig, WebConfig, WebRole, WebUser};
use proctord::control::Control;
use proctord::detections::Detections;
use proctord::event::ProctorEvent;
use proctord::frame::Frame;
use proctord::health_snapshot::{
    CameraHealth, HealthSnapshot, InferenceHealth, MqttHealth, RecordingHealth,
};
use proctord::inference::Detector;
use proctord::live::LiveView;
use proctord::record::{recordings_dir, sha256_of};
use proctord::report::ModelUsed;
use proctord::rules::RulesEngine;
use proctord::store::{SegmentRecord, Store};
use proctord::web::{AppState, serve_on};
use uuid::Uuid;

/// A camera at 5 frames per second, as the MJPEG stream sends them.
const FRAME_INTERVAL: Duration = Duration::from_millis(200);

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_string())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).init();
    let token = env_or("PROCTORD_FIXTURE_TOKEN", "e2e-fixture-token");
    let port: u16 = env_or("PROCTORD_FIXTURE_PORT", "0")
        .parse()
        .context("PROCTORD_FIXTURE_PORT must be a port number")?;
    let photo = std::env::var_os("PROCTORD_FIXTURE_PHOTO")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("../shared/media/phone/coco_000000000395.jpg"));

    let mut config = Config::default();
    config.runtime.library = repo().join("runtime/libLiteRt.so");
    config.models.dir = repo().join("models/cache");
    config.models.manifest = repo().join("models/manifest.toml");

    let photo_frame = load_still(&photo)
        .with_context(|| format!("cannot load the fixture photo {}", photo.display()))?;
    let mut detector =
        Detector::from_config(&config).context("the detector did not start (run `make setup`)")?;
    let started = Instant::now();
    let detections = detector.detect(&photo_frame, true)?;
    let inference_ms = started.elapsed().as_secs_f64() * 1000.0;
    let models = detector.models().iter().map(ModelUsed::from).collect();

    let state_dir = tempfile::tempdir()?;
    let state_path = state_dir.path().to_path_buf();
    let store = Store::open(state_dir.path().join("state"))?;
    let control = Control::new(store.clone(), config.clone(), models)?;
    let live = LiveView::new();
    let password = env_or("PROCTORD_FIXTURE_PASSWORD", "e2e fixture passphrase");
    let hash = proctord::password::hash(&password)?;
    let account = |name: &str, role| WebUser {
        name: name.into(),
        role,
        password_hash: hash.clone(),
    };
    let web = WebConfig {
        api_token: token,
        users: vec![
            account("proctor", WebRole::Proctor),
            account("reviewer", WebRole::Reviewer),
        ],
        ..config.web.clone()
    };

    // Republish the photo as a camera would, run the rules on it during a session, and
    // report the health a running pipeline reports.
    let camera = live.clone();
    let pipeline_control = control.clone();
    let rules_config = config.rules.clone();
    let camera_state = format!("capturing from still image {} (fixture)", photo.display());
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(FRAME_INTERVAL);
        let mut rules = SessionRules {
            running: None,
            recordings: recordings_dir(&state_path),
        };
        for seq in 0u64.. {
            ticks.tick().await;
            let pts = FRAME_INTERVAL * seq as u32;
            let data = photo_frame.rgb().clone();
            let frame = Frame::new_rgb(
                seq,
                pts,
                Utc::now(),
                photo_frame.width,
                photo_frame.height,
                data,
            );
            let seen = Detections {
                frame_seq: seq,
                at: pts,
                ..detections.clone()
            };
            camera.publish_frame(&frame, &seen);
            rules.on_frame(&pipeline_control, &rules_config, &seen);
            camera.publish_health(HealthSnapshot {
                uptime_s: (seq * FRAME_INTERVAL.as_millis() as u64) / 1000,
                camera: CameraHealth {
                    connected: true,
                    state: camera_state.clone(),
                    fps: 5.0,
                    frames: seq + 1,
                    ..CameraHealth::default()
                },
                inference: InferenceHealth {
                    accelerator: "cpu".into(),
                    fps: 5.0,
                    last_ms: inference_ms,
                    mean_ms: inference_ms,
                    frames: seq + 1,
                    ..InferenceHealth::default()
                },
                recording: RecordingHealth {
                    note: "recording is off in the fixture".into(),
                    ..RecordingHealth::default()
                },
                mqtt: MqttHealth::off(),
                outbox_len: store.outbox().len(),
                ..HealthSnapshot::default()
            });
        }
    });

    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    println!("listening on http://{}", listener.local_addr()?);
    std::io::stdout().flush()?;
    serve_on(listener, AppState::new(control, live, web), stopped()).await?;
    Ok(())
}

/// The rules engine of the active session, started afresh for each session as the daemon
/// does, so the page sees real rule events (two faces, a phone) with real timing.
struct SessionRules {
    running: Option<(Uuid, RulesEngine, DateTime<Utc>, Duration)>,
    recordings: PathBuf,
}

/// Stands in for the session's recording: a real H.264 MP4.
const SEGMENT_CLIP: &str = "../shared/media/video/intel_head-pose-face-detection-male.mp4";
/// Its length, as ffprobe gives it.
const SEGMENT_CLIP_S: f64 = 5.167;

impl SessionRules {
    fn on_frame(&mut self, control: &Control, config: &RulesConfig, seen: &Detections) {
        let active = control.active();
        if self.running.as_ref().map(|(id, ..)| *id) != active.as_ref().map(|s| s.id) {
            self.running =
                active.map(|s| (s.id, RulesEngine::new(config.clone()), Utc::now(), seen.at));
            if let Some((id, ..)) = &self.running
                && let Err(e) = record_segment(control, &self.recordings, *id)
            {
                log::error!("The fixture could not record a segment: {e:#}");
            }
        }
        let Some((session_id, engine, epoch, first_pts)) = self.running.as_mut() else {
            return;
        };
        // Stream time starts at the session's first frame.
        let in_session = Detections {
            at: seen.at - *first_pts,
            ..seen.clone()
        };
        for event in engine.on_detections(&in_session) {
            let event = ProctorEvent::from_rule(&event, Some(*session_id), *epoch);
            if let Err(e) = control.record_event(&event) {
                log::error!("The fixture could not record an event: {e}");
            }
        }
    }
}

fn record_segment(control: &Control, recordings: &Path, session: Uuid) -> anyhow::Result<()> {
    let dir = recordings.join(session.to_string());
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("segment-00000.mp4");
    std::fs::copy(repo().join(SEGMENT_CLIP), &path)?;
    let (sha256, bytes) = sha256_of(&mut std::fs::File::open(&path)?)?;
    control.store().add_segment(&SegmentRecord {
        session_id: Some(session),
        path,
        started_at: Utc::now(),
        duration_s: SEGMENT_CLIP_S,
        sha256,
        bytes,
        state: Default::default(),
    })?;
    Ok(())
}

/// Completes when standard input closes (the test that started us is gone) or on a signal.
async fn stopped() {
    let (closed_tx, closed_rx) = tokio::sync::oneshot::channel::<()>();
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut std::io::stdin().lock(), &mut std::io::sink());
        let _ = closed_tx.send(());
    });
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("SIGTERM handler");
    tokio::select! {
        _ = closed_rx => {}
        _ = terminate.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}
