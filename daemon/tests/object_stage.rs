//! The object model on its own thread (`ObjectsMode::Lockstep` for `analyze`,
//! `ObjectsMode::Free` for `run`) sees what the inline detector at the same object
//! cadence sees: the same faces on every frame and the same objects on every object frame, timed by the frame they were
//! found on. Real LiteRT on a clip composed from the real stills.

#[path = "support/media.rs"]
mod media;

use std::collections::BTreeMap;
use std::time::Duration;

use proctord::capture::{FrameSource, VideoFileOptions, VideoFileSource};
use proctord::detections::{DetectedObject, Detections, ObjectClass};
use proctord::frame::Frame;
use proctord::inference::{Detector, ObjectsMode};

use media::{Encoding, compose_clip, config};

fn frames() -> Vec<Frame> {
    let dir = tempfile::tempdir().unwrap();
    let clip = compose_clip(
        dir.path(),
        "objects",
        &[
            ("single_face/obama.jpg", 2),
            ("phone/coco_000000000395.jpg", 2),
            ("book_notes/skimage_page.png", 2),
        ],
        Encoding::Lossless,
    );
    let mut source = VideoFileSource::open(&clip, VideoFileOptions::default()).unwrap();
    let mut frames = Vec::new();
    while let Some(f) = source.next_frame().unwrap() {
        frames.push(f);
    }
    assert_eq!(frames.len(), 30, "6 s at 5 fps");
    frames
}

fn detector(mode: ObjectsMode) -> Detector {
    let mut cfg = config();
    cfg.detection.objects_every_n_frames = 3;
    let mut d = Detector::from_config(&cfg)
        .unwrap_or_else(|e| panic!("detector failed to start (run `make setup`): {e}"));
    d.set_objects_mode(mode).unwrap();
    d
}

/// Objects per frame time they were found on, rounded to boxes of 1/1000.
fn objects_by_time(all: &[Detections]) -> BTreeMap<Duration, Vec<(ObjectClass, i32, [i32; 4])>> {
    let round = |o: &DetectedObject| {
        let b: [f32; 4] = o.bbox.into();
        (
            o.class,
            (o.score * 1000.0).round() as i32,
            b.map(|v| (v * 1000.0).round() as i32),
        )
    };
    all.iter()
        .filter_map(|d| {
            d.objects
                .as_ref()
                .map(|o| (d.objects_seen_at(), o.iter().map(round).collect()))
        })
        .collect()
}

#[test]
fn on_its_own_thread_in_lockstep_the_object_stage_finds_what_the_inline_one_finds_on_the_same_frames()
 {
    let frames = frames();
    let mut inline = detector(ObjectsMode::Inline);
    let mut lockstep = detector(ObjectsMode::Lockstep);
    let a: Vec<Detections> = frames
        .iter()
        .map(|f| inline.detect(f, false).unwrap())
        .collect();
    let b: Vec<Detections> = frames
        .iter()
        .map(|f| lockstep.detect(f, false).unwrap())
        .collect();
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x.faces, y.faces, "faces differ at {:?}", x.at);
    }
    let (inline_objects, threaded_objects) = (objects_by_time(&a), objects_by_time(&b));
    // Frames 0, 3, … 27 are object frames; in lockstep each result joins the frame
    // before the next object frame (2, 5, … 29).
    assert_eq!(inline_objects.len(), 10);
    assert_eq!(threaded_objects, inline_objects);
    for d in b.iter().filter(|d| d.objects.is_some()) {
        let lag = d.at - d.objects_seen_at();
        assert!(
            lag.abs_diff(Duration::from_millis(400)) < Duration::from_millis(20),
            "{lag:?}"
        );
    }
    // The phone and the notes of the clip are among them, timed within their stills.
    let seen = |class| {
        threaded_objects
            .iter()
            .filter(|(_, objects)| objects.iter().any(|o| o.0 == class))
            .map(|(at, _)| at.as_secs_f64())
            .collect::<Vec<_>>()
    };
    assert!(
        seen(ObjectClass::Notes).iter().all(|&t| t >= 4.0) && !seen(ObjectClass::Notes).is_empty(),
        "{threaded_objects:?}"
    );
}

#[test]
fn free_running_the_object_stage_never_holds_up_faces_and_each_result_names_its_frame() {
    let frames = frames();
    let mut inline = detector(ObjectsMode::Inline);
    let mut free = detector(ObjectsMode::Free);
    // The same object cadence as the free-running stage: on a frame where the face
    // detector and the object model both run, they share one smaller copy of the frame
    // (`inference/downscale.rs`), so the faces of such a frame follow the cadence.
    let reference: BTreeMap<Duration, Detections> = frames
        .iter()
        .map(|f| (f.pts, inline.detect(f, false).unwrap()))
        .collect();
    let mut results = Vec::new();
    for f in &frames {
        let d = free.detect(f, false).unwrap();
        assert_eq!(
            d.faces, reference[&f.pts].faces,
            "faces differ at {:?}",
            f.pts
        );
        results.push(d);
    }
    // Stills ask for objects now: that waits for the worker, and joins this frame.
    let last = frames.last().unwrap();
    let now = free.detect(last, true).unwrap();
    assert_eq!(now.objects_seen_at(), last.pts);
    // The inline detector has seen the same frames at the same cadence: same state.
    assert_eq!(now.objects, inline.detect(last, true).unwrap().objects);
    // Every result that came back is the inline result of the frame it names.
    let found = objects_by_time(&results);
    let expected = objects_by_time(&reference.values().cloned().collect::<Vec<_>>());
    for (at, objects) in &found {
        assert_eq!(Some(objects), expected.get(at), "frame at {at:?}");
    }
    assert!(
        results.iter().all(|d| d.objects_seen_at() <= d.at
            && d.objects.is_some() == d.inference_ms.objects_ms.is_some()),
        "a result joined a frame before its own"
    );
}
