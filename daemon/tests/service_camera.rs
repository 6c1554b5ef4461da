//! The live pipeline on simulated time: a camera unplugged mid-exam, and the wall clock
//! stepped mid-exam as NTP does after a Pi boots without an RTC. The scripted camera
//! stands in for the USB camera this machine lacks, behind the `FrameSource` trait the
//! V4L2 source implements; time is `SimulatedClocks` (each frame advances it by 100 ms),
//! so the tests take the time inference takes, not the minutes they simulate.
//! Everything else (models, rules, store, report) is real.

#[path = "support/media.rs"]
mod media;

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use proctord::capture::{CaptureError, FrameSource, YuyvToRgb, load_still, rgb_to_yuyv};
use proctord::clock::{Clocks, SimulatedClocks};
use proctord::config::Config;
use proctord::control::Control;
use proctord::event::{EventKind, Phase};
use proctord::frame::{Frame, PixelLayout};
use proctord::inference::Detector;
use proctord::pipeline::Analysis;
use proctord::report::Report;
use proctord::service::{Pipeline, Shared, SourceOpener};
use proctord::store::{SegmentRecord, Store};

use media::{config, media};

const FRAME_INTERVAL: Duration = Duration::from_millis(100);

/// What the camera shows at a moment of simulated time.
enum Scene {
    Shows(Frame),
    Unplugged,
}

/// A 10 fps camera on simulated time, following a script. It hands over a frame only
/// once the previous one was taken, so no frame is lost to a slow machine.
struct ScriptedCamera {
    clocks: Arc<SimulatedClocks>,
    shared: Arc<OnceLock<Arc<Shared>>>,
    script: Arc<dyn Fn(Duration) -> Scene + Send + Sync>,
    /// At this simulated time the wall clock jumps by this much (once).
    wall_step: Option<(Duration, chrono::Duration)>,
}

impl ScriptedCamera {
    fn wait_until_taken(&self) {
        let Some(shared) = self.shared.get() else {
            return;
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while shared.slot.depth() > 0 && Instant::now() < deadline && !shared.is_shutting_down() {
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    fn unplugged() -> CaptureError {
        CaptureError::Disconnected {
            device: "/dev/video0".into(),
            reason: "No such device (os error 19)".into(),
        }
    }
}

impl FrameSource for ScriptedCamera {
    fn next_frame(&mut self) -> Result<Option<Frame>, CaptureError> {
        self.wait_until_taken();
        self.clocks.sleep(FRAME_INTERVAL);
        let now = self.clocks.monotonic();
        if let Some((at, by)) = self.wall_step
            && now >= at
        {
            self.clocks.step_wall(by);
            self.wall_step = None;
        }
        match (self.script)(now) {
            Scene::Shows(frame) => Ok(Some(frame)),
            Scene::Unplugged => Err(Self::unplugged()),
        }
    }
    fn describe(&self) -> String {
        "a scripted test camera".into()
    }
    fn reopen(&mut self) -> Result<(), CaptureError> {
        match (self.script)(self.clocks.monotonic()) {
            Scene::Shows(_) => Ok(()),
            Scene::Unplugged => Err(Self::unplugged()),
        }
    }
}

struct Rig {
    _dir: tempfile::TempDir,
    shared: Arc<Shared>,
    store: Store,
    control: Control,
    clocks: Arc<SimulatedClocks>,
    pipeline: Pipeline,
}

impl Rig {
    fn start(
        mut cfg: Config,
        script: impl Fn(Duration) -> Scene + Send + Sync + 'static,
        wall_step: Option<(Duration, chrono::Duration)>,
    ) -> Rig {
        cfg.recording.enabled = false;
        Rig::start_recording_as_configured(cfg, script, wall_step)
    }

    fn start_recording_as_configured(
        cfg: Config,
        script: impl Fn(Duration) -> Scene + Send + Sync + 'static,
        wall_step: Option<(Duration, chrono::Duration)>,
    ) -> Rig {
        let dir = tempfile::tempdir().unwrap();
        let mut cfg = cfg;
        cfg.kiosk.state_dir = dir.path().to_path_buf();
        let store = Store::open(dir.path().join("store")).unwrap();
        let control = Control::new(store.clone(), cfg.clone(), vec![]).unwrap();
        let detector = Detector::from_config(&cfg).expect("run `make setup` first");
        let boot = DateTime::parse_from_rfc3339("2026-12-01T08:00:00Z")
            .unwrap()
            .to_utc();
        let clocks = Arc::new(SimulatedClocks::new(boot));
        let shared = Shared::with_clocks(control.clone(), None, clocks.clone());
        let seen_by_camera = Arc::new(OnceLock::new());
        let _ = seen_by_camera.set(shared.clone());
        let script: Arc<dyn Fn(Duration) -> Scene + Send + Sync> = Arc::new(script);
        let camera_clocks = clocks.clone();
        let opener: SourceOpener = Box::new(move || {
            Ok(Box::new(ScriptedCamera {
                clocks: camera_clocks.clone(),
                shared: seen_by_camera.clone(),
                script: script.clone(),
                wall_step,
            }) as Box<dyn FrameSource>)
        });
        let pipeline =
            Pipeline::start(shared.clone(), Analysis::new(detector, &cfg), opener).unwrap();
        Rig {
            _dir: dir,
            shared,
            store,
            control,
            clocks,
            pipeline,
        }
    }

    /// Waits (in real time, bounded) until the simulated clock reads `at`.
    fn run_until(&self, at: Duration) {
        assert!(
            self.clocks.wait_until(at, Duration::from_secs(120)),
            "the pipeline did not reach {at:?} of simulated time within 2 minutes"
        );
    }

    /// Runs a session of `length` (simulated) and ends it; its report and its segments,
    /// read at once, before the pipeline stops (stopping would close the recording too).
    fn recorded_session(&self, candidate: &str, length: Duration) -> (Report, Vec<SegmentRecord>) {
        let session = self.control.start_session(candidate, None, None).unwrap();
        let started = self.clocks.monotonic();
        self.run_until(started + length);
        let report = self.control.end_session(session.id).unwrap();
        (report, self.store.segments_for(session.id).unwrap())
    }

    fn end(self, session: uuid::Uuid) -> (Report, Store) {
        let report = self.control.end_session(session).unwrap();
        self.pipeline.stop().unwrap();
        (report, self.store)
    }
}

fn still(name: &str) -> Frame {
    load_still(&media(name)).unwrap()
}

#[test]
fn once_ending_a_session_has_answered_its_recording_is_listed_to_the_end() {
    let mut cfg = config();
    cfg.recording.enabled = true;
    cfg.detection.max_analysis_fps = 2.0;
    let face = still("single_face/obama.jpg");
    let rig = Rig::start_recording_as_configured(cfg, move |_| Scene::Shows(face.clone()), None);
    let (report, segments) = rig.recorded_session("Grace Hopper", Duration::from_secs(4));
    let recorded_s: f64 = segments.iter().map(|s| s.duration_s).sum();
    rig.pipeline.stop().unwrap();

    assert!(
        !segments.is_empty(),
        "the session's last segment was not listed when the end answered"
    );
    assert!(
        recorded_s >= 3.5 && recorded_s <= report.duration_s + 0.5,
        "{recorded_s:.1} s recorded of a {:.1} s session: {segments:?}",
        report.duration_s
    );
}

/// A UVC webcam that shows one picture: its YUYV (BT.601 limited range, even width), and
/// a new frame of it each time, converted as the V4L2 source converts its frames.
struct YuyvPicture {
    yuyv: Arc<[u8]>,
    width: u32,
    height: u32,
    to_rgb: Arc<YuyvToRgb>,
}

impl YuyvPicture {
    fn of(rgb: &Frame) -> YuyvPicture {
        let (width, height) = (rgb.width & !1, rgb.height);
        YuyvPicture {
            yuyv: rgb_to_yuyv(rgb.rgb(), rgb.width, rgb.height).into(),
            width,
            height,
            to_rgb: Arc::default(),
        }
    }

    fn frame(&self) -> Frame {
        let to_rgb = self.to_rgb.clone();
        let (w, h) = (self.width, self.height);
        Frame::new_raw(
            0,
            Duration::ZERO,
            Utc::now(),
            w,
            h,
            self.yuyv.clone(),
            to_rgb,
        )
    }
}

#[test]
fn a_yuyv_camera_is_recorded_as_it_sends_and_only_the_frames_analysed_become_rgb() {
    let mut cfg = config();
    cfg.recording.enabled = true;
    // A 10 fps camera analysed at 2 fps: four frames in five are only recorded.
    cfg.detection.max_analysis_fps = 2.0;
    let face = YuyvPicture::of(&still("single_face/obama.jpg"));
    assert_eq!(face.frame().layout(), PixelLayout::Yuy2);
    let rig = Rig::start_recording_as_configured(cfg, move |_| Scene::Shows(face.frame()), None);
    let (report, segments) = rig.recorded_session("Ada Lovelace", Duration::from_secs(6));
    let health = &rig.shared.health;
    let captured = health
        .frames_captured
        .load(std::sync::atomic::Ordering::Relaxed);
    let converted = health
        .frames_converted_to_rgb
        .load(std::sync::atomic::Ordering::Relaxed);
    let analysed = health
        .frames_analysed
        .load(std::sync::atomic::Ordering::Relaxed);
    rig.pipeline.stop().unwrap();

    // The face is found in the converted frames: the colours came through.
    assert!(
        report.events.iter().all(|e| e.kind != EventKind::NoFace),
        "{:?}",
        report.events
    );
    assert!(analysed >= 10, "{analysed} frames analysed");
    assert_eq!(
        converted, analysed,
        "converted {converted}, analysed {analysed}"
    );
    assert!(
        converted * 3 < captured,
        "{converted} of {captured} frames converted to RGB at 2 of 10 fps"
    );
    // Every frame recorded, from the camera's YUYV.
    let recorded_s: f64 = segments.iter().map(|s| s.duration_s).sum();
    assert!(
        recorded_s >= 5.0 && recorded_s <= report.duration_s + 0.5,
        "{recorded_s:.1} s recorded of a {:.1} s session: {segments:?}",
        report.duration_s
    );
    let played: u64 = segments.iter().map(|s| played_frames(&s.path)).sum();
    assert!(
        played + 5 >= (recorded_s * 10.0) as u64,
        "{played} frames play in {recorded_s:.1} s of a 10 fps recording"
    );
}

/// Frames ffprobe decodes from a recording.
fn played_frames(path: &std::path::Path) -> u64 {
    let out = std::process::Command::new("ffprobe")
        .args(["-v", "error", "-count_frames", "-select_streams", "v:0"])
        .args(["-show_entries", "stream=nb_read_frames", "-of", "csv=p=0"])
        .arg(path)
        .output()
        .expect("ffprobe (make setup installs it)");
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("{} does not play: {out:?}", path.display()))
}

#[test]
fn an_unplugged_camera_is_a_camera_lost_event_and_never_charged_as_no_face() {
    let mut cfg = config();
    // Short thresholds: a 4 s outage would be a no_face if it were charged.
    cfg.rules.no_face_after_s = 1.0;
    cfg.rules.camera_lost_after_s = 1.0;
    cfg.rules.clear_after_s = 0.5;
    cfg.detection.max_analysis_fps = 5.0;
    let face = still("single_face/obama.jpg");
    let rig = Rig::start(
        cfg,
        move |now| {
            if (Duration::from_secs(3)..Duration::from_secs(7)).contains(&now) {
                Scene::Unplugged
            } else {
                Scene::Shows(face.clone())
            }
        },
        None,
    );
    let session = rig
        .control
        .start_session("Katherine Johnson", None, None)
        .unwrap();
    rig.run_until(Duration::from_secs(11));
    let (report, store) = rig.end(session.id);

    let events = store.events_for(session.id).unwrap();
    let kinds: Vec<(EventKind, Phase)> = events.iter().map(|e| (e.kind, e.phase)).collect();
    assert!(
        kinds.contains(&(EventKind::CameraLost, Phase::Start))
            && kinds.contains(&(EventKind::CameraLost, Phase::End)),
        "{kinds:?}"
    );
    assert!(
        !events.iter().any(|e| e.kind == EventKind::NoFace),
        "the outage was charged as no_face: {kinds:?}"
    );
    let lost = report
        .events
        .iter()
        .find(|e| e.kind == EventKind::CameraLost)
        .unwrap();
    // Unplugged from 3.0 to 7.0 s: the last frame before is at 2.9 s, the first after at 7.0 s.
    assert!(
        (3.9..4.5).contains(&lost.duration_s),
        "outage of {} s",
        lost.duration_s
    );
    assert_eq!(
        report.score, 100.0,
        "a kiosk fault cost the candidate points: {:?}",
        report.deductions
    );
    assert_eq!(report.health.camera_outages, 1, "{:?}", report.health);
    assert!(
        (3.5..4.5).contains(&report.health.camera_outage_s),
        "{:?}",
        report.health
    );
    assert!(report.health.frames_analysed > 10);
    assert!(
        report.evidence.analysed_share < 0.7 && report.evidence.analysed_share > 0.5,
        "4 s of about 11 s were not analysed: {:?}",
        report.evidence
    );
}

#[test]
fn an_ntp_step_mid_session_moves_no_event_and_is_reported_in_the_sessions_health() {
    let mut cfg = config();
    cfg.rules.no_face_after_s = 1.0;
    cfg.rules.clear_after_s = 0.5;
    cfg.detection.max_analysis_fps = 5.0;
    let face = still("single_face/obama.jpg");
    let empty = still("no_person/intel_people-detection_f22.png");
    // Empty room from 2 s to 8 s; the system clock jumps an hour ahead at 5 s.
    let rig = Rig::start(
        cfg,
        move |now| {
            if (Duration::from_secs(2)..Duration::from_secs(8)).contains(&now) {
                Scene::Shows(empty.clone())
            } else {
                Scene::Shows(face.clone())
            }
        },
        Some((Duration::from_secs(5), chrono::Duration::hours(1))),
    );
    // The session starts at about 0.1 s, once the first frame has been captured.
    rig.run_until(Duration::from_millis(100));
    let session = rig
        .control
        .start_session("Ada Lovelace", None, None)
        .unwrap();
    rig.run_until(Duration::from_secs(12));
    let (report, store) = rig.end(session.id);

    let no_face: Vec<_> = report
        .events
        .iter()
        .filter(|e| e.kind == EventKind::NoFace)
        .collect();
    assert_eq!(no_face.len(), 1, "{:?}", report.events);
    let no_face = no_face[0];
    let session_started_s = session.started_at.timestamp_millis() as f64 / 1000.0
        - DateTime::parse_from_rfc3339("2026-12-01T08:00:00Z")
            .unwrap()
            .timestamp() as f64;
    // Onset at 2.0 s of simulated time (up to the next object-detection frame, which
    // tells the person is gone), whatever the wall clock did at 5 s.
    let onset_s = no_face.offset_s + session_started_s;
    assert!(
        (1.9..2.8).contains(&onset_s),
        "the no_face onset moved to {onset_s} s (offset {} s)",
        no_face.offset_s
    );
    assert!(
        (5.2..6.2).contains(&no_face.duration_s),
        "6 s without a face were charged as {} s",
        no_face.duration_s
    );
    assert!(
        (11.5..13.0).contains(&report.duration_s),
        "a session of about 12 s lasted {} s on the report",
        report.duration_s
    );
    assert!(
        report.events.iter().all(|e| e.offset_s >= 0.0),
        "{:?}",
        report.events
    );
    let steps = &report.health.clock_steps;
    assert_eq!(steps.len(), 1, "{:?}", report.health);
    assert!((3599.0..3601.0).contains(&steps[0].step_s), "{steps:?}");
    // Every stored record of the session lies within the session, on its clock.
    let ended_at = store
        .session(session.id)
        .unwrap()
        .unwrap()
        .ended_at
        .unwrap();
    for e in store.events_for(session.id).unwrap() {
        assert!(
            e.started_at >= session.started_at && e.started_at <= ended_at,
            "{} at {} is outside the session {}..{ended_at}",
            e.kind.as_str(),
            e.started_at,
            session.started_at
        );
    }
}
