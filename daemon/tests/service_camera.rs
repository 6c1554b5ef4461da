//! The live pipeline with a camera that is unplugged mid-exam. The fake camera stands in
//! for the USB camera this machine lacks, behind the `FrameSource` trait the V4L2 source
//! implements; everything else (models, rules, store, report) is real.

#[path = "support/media.rs"]
mod media;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use proctord::capture::{CaptureError, FrameSource, load_still};
use proctord::control::Control;
use proctord::event::{EventKind, Phase};
use proctord::frame::Frame;
use proctord::inference::Detector;
use proctord::pipeline::Analysis;
use proctord::service::{Pipeline, Shared, SourceOpener};
use proctord::store::Store;

use media::{config, media};

/// Delivers a photo at 10 fps; unplugged during `unplugged`, counted from its creation.
struct FlakyCamera {
    frame: Frame,
    start: Instant,
    unplugged: std::ops::Range<Duration>,
    gone: Arc<Mutex<bool>>,
}

impl FrameSource for FlakyCamera {
    fn next_frame(&mut self) -> Result<Option<Frame>, CaptureError> {
        std::thread::sleep(Duration::from_millis(100));
        if self.unplugged.contains(&self.start.elapsed()) {
            *self.gone.lock().unwrap() = true;
            return Err(CaptureError::Disconnected {
                device: "/dev/video0".into(),
                reason: "No such device (os error 19)".into(),
            });
        }
        Ok(Some(self.frame.clone()))
    }
    fn describe(&self) -> String {
        "a flaky test camera".into()
    }
    fn reopen(&mut self) -> Result<(), CaptureError> {
        if self.unplugged.contains(&self.start.elapsed()) {
            Err(CaptureError::Disconnected {
                device: "/dev/video0".into(),
                reason: "No such file or directory (os error 2)".into(),
            })
        } else {
            Ok(())
        }
    }
}

#[test]
fn an_unplugged_camera_is_a_camera_lost_event_and_never_charged_as_no_face() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config();
    cfg.kiosk.state_dir = dir.path().to_path_buf();
    cfg.recording.enabled = false;
    // Short thresholds: a 4 s outage would be a no_face if it were charged.
    cfg.rules.no_face_after_s = 1.0;
    cfg.rules.camera_lost_after_s = 1.0;
    cfg.rules.clear_after_s = 0.5;
    cfg.detection.max_analysis_fps = 5.0;

    let store = Store::open(dir.path().join("store")).unwrap();
    let control = Control::new(store.clone(), cfg.clone(), vec![]).unwrap();
    let session = control
        .start_session("Katherine Johnson", None, None)
        .unwrap();
    let detector = Detector::from_config(&cfg).expect("run `make setup` first");
    let shared = Shared::new(control.clone(), None);
    let frame = load_still(&media("single_face/obama.jpg")).unwrap();
    let gone = Arc::new(Mutex::new(false));
    let camera_gone = gone.clone();
    let opener: SourceOpener = Box::new(move || {
        Ok(Box::new(FlakyCamera {
            frame: frame.clone(),
            start: Instant::now(),
            unplugged: Duration::from_secs(3)..Duration::from_secs(7),
            gone: camera_gone.clone(),
        }) as Box<dyn FrameSource>)
    });
    let pipeline = Pipeline::start(shared, Analysis::new(detector, &cfg), opener).unwrap();
    std::thread::sleep(Duration::from_secs(11));
    let report = control.end_session(session.id).unwrap();
    pipeline.stop().unwrap();
    assert!(*gone.lock().unwrap(), "the camera was never unplugged");

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
    assert!(
        (3.0..6.0).contains(&lost.duration_s),
        "outage of {} s",
        lost.duration_s
    );
    assert_eq!(
        report.score, 100.0,
        "a kiosk fault cost the candidate points: {:?}",
        report.deductions
    );
    assert_eq!(report.health.camera_outages, 1, "{:?}", report.health);
    assert!(report.health.frames_analysed > 10);
}
