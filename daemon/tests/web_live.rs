//! The live view the pipeline publishes into, and the boxes drawn on its frames.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use proctord::annotate::{
    Canvas, FACE_COLOUR, HANDS_ZONE_COLOUR, PHONE_COLOUR, Rgb, draw_detections,
};
use proctord::detections::{BBox, DetectedObject, Detections, Face, InferenceTimes, ObjectClass};
use proctord::frame::Frame;
use proctord::live::LiveView;

const GREY: Rgb = Rgb(128, 128, 128);

fn grey_frame(seq: u64, width: u32, height: u32) -> Frame {
    Frame::new_rgb(
        seq,
        Duration::from_millis(seq * 100),
        Utc::now(),
        width,
        height,
        Arc::from(vec![128u8; (width * height * 3) as usize]),
    )
}

fn face(bbox: BBox) -> Face {
    Face {
        score: 0.95,
        bbox,
        keypoints: vec![],
        yaw_deg: -20.0,
        pitch_deg: 5.0,
        ..Default::default()
    }
}

fn phone(bbox: BBox) -> DetectedObject {
    DetectedObject {
        class: ObjectClass::Phone,
        label: "cell phone".into(),
        score: 0.8,
        bbox,
    }
}

fn detections(seq: u64, faces: Vec<Face>, objects: Option<Vec<DetectedObject>>) -> Detections {
    Detections {
        frame_seq: seq,
        at: Duration::from_millis(seq * 100),
        faces,
        objects,
        hands_zone: None,
        objects_at: None,
        inference_ms: InferenceTimes::default(),
    }
}

fn grey_canvas(width: u32, height: u32) -> Canvas {
    Canvas {
        width,
        height,
        pixels: vec![128; (width * height * 3) as usize],
    }
}

#[test]
fn only_the_newest_frame_and_its_detections_are_kept() {
    let live = LiveView::new();
    assert!(live.latest_detections().is_none() && live.latest_frame_info().is_none());
    for seq in 1..=3 {
        live.publish_frame(
            &grey_frame(seq, 32, 24),
            &detections(seq, vec![], Some(vec![])),
        );
    }
    assert_eq!(live.latest_detections().unwrap().frame_seq, 3);
    assert_eq!(live.latest_frame_info().unwrap().seq, 3);
    assert_eq!(
        *live.watch_frames().borrow(),
        3,
        "one generation per publication"
    );
}

#[test]
fn a_frame_the_object_model_skipped_keeps_the_objects_it_last_found() {
    let live = LiveView::new();
    let seen = vec![phone(BBox {
        x0: 0.1,
        y0: 0.1,
        x1: 0.3,
        y1: 0.4,
    })];
    live.publish_frame(
        &grey_frame(1, 32, 24),
        &detections(1, vec![], Some(seen.clone())),
    );
    live.publish_frame(&grey_frame(2, 32, 24), &detections(2, vec![], None));
    assert_eq!(live.latest_detections().unwrap().objects, Some(seen));

    live.publish_frame(&grey_frame(3, 32, 24), &detections(3, vec![], Some(vec![])));
    assert_eq!(
        live.latest_detections().unwrap().objects,
        Some(vec![]),
        "a run that found nothing clears them"
    );
}

#[test]
fn the_jpeg_is_encoded_once_per_frame_however_many_ask() {
    let live = LiveView::new();
    assert!(live.annotated_jpeg().is_none());
    live.publish_frame(&grey_frame(1, 64, 48), &detections(1, vec![], None));
    let first = live.annotated_jpeg().unwrap();
    let again = live.annotated_jpeg().unwrap();
    assert_eq!(
        first.bytes.as_ptr(),
        again.bytes.as_ptr(),
        "the second viewer got a fresh encoding"
    );

    live.publish_frame(&grey_frame(2, 64, 48), &detections(2, vec![], None));
    let newer = live.annotated_jpeg().unwrap();
    assert!(newer.generation > first.generation);
    assert_ne!(newer.bytes.as_ptr(), first.bytes.as_ptr());
}

#[test]
fn health_is_none_until_published_then_the_latest() {
    let live = LiveView::new();
    assert!(live.health().is_none());
    let at_fps = |fps| proctord::health_snapshot::HealthSnapshot {
        camera: proctord::health_snapshot::CameraHealth {
            fps,
            ..Default::default()
        },
        ..Default::default()
    };
    live.publish_health(at_fps(10.0));
    live.publish_health(at_fps(30.0));
    assert_eq!(live.health().unwrap().camera.fps, 30.0);
}

#[tokio::test]
async fn viewers_wake_when_a_frame_is_published() {
    let live = LiveView::new();
    let mut frames = live.watch_frames();
    let publisher = live.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(20)).await;
        publisher.publish_frame(&grey_frame(1, 8, 8), &detections(1, vec![], None));
    });
    tokio::time::timeout(Duration::from_secs(5), frames.changed())
        .await
        .expect("no wake-up")
        .unwrap();
    assert_eq!(*frames.borrow(), 1);
}

#[test]
fn a_face_box_is_drawn_green_and_a_phone_box_red_on_their_edges() {
    let mut canvas = grey_canvas(400, 300);
    let face_box = BBox {
        x0: 0.25,
        y0: 0.5,
        x1: 0.5,
        y1: 0.9,
    };
    let phone_box = BBox {
        x0: 0.7,
        y0: 0.4,
        x1: 0.9,
        y1: 0.8,
    };
    draw_detections(
        &mut canvas,
        &detections(1, vec![face(face_box)], Some(vec![phone(phone_box)])),
    );

    // Left edges at the middle of each box's height; inside the boxes stays untouched.
    assert_eq!(canvas.pixel(100, 210), FACE_COLOUR);
    assert_eq!(canvas.pixel(150, 210), GREY);
    assert_eq!(canvas.pixel(280, 180), PHONE_COLOUR);
    assert_eq!(canvas.pixel(320, 180), GREY);
    // Each box carries a label tag just above it.
    assert_eq!(canvas.pixel(101, 148), FACE_COLOUR);
}

#[test]
fn boxes_touching_or_beyond_the_image_edges_are_clipped_not_a_panic() {
    let mut canvas = grey_canvas(50, 40);
    let boxes = [
        BBox {
            x0: -0.2,
            y0: -0.1,
            x1: 1.3,
            y1: 1.2,
        },
        BBox {
            x0: 0.98,
            y0: 0.0,
            x1: 1.0,
            y1: 0.02,
        },
        BBox {
            x0: 0.5,
            y0: 0.5,
            x1: 0.5,
            y1: 0.5,
        },
    ];
    let faces = boxes.iter().map(|b| face(*b)).collect();
    draw_detections(
        &mut canvas,
        &detections(1, faces, Some(boxes.iter().map(|b| phone(*b)).collect())),
    );
    assert_eq!(
        canvas.pixel(49, 39),
        PHONE_COLOUR,
        "the whole-image box is drawn on the last pixel"
    );
}

#[test]
fn a_phone_is_drawn_over_a_face_and_a_face_over_a_person() {
    let mut canvas = grey_canvas(200, 200);
    let same = BBox {
        x0: 0.25,
        y0: 0.25,
        x1: 0.75,
        y1: 0.75,
    };
    let person = DetectedObject {
        class: ObjectClass::Person,
        label: "person".into(),
        score: 0.9,
        bbox: same,
    };
    draw_detections(
        &mut canvas,
        &detections(1, vec![face(same)], Some(vec![phone(same), person.clone()])),
    );
    assert_eq!(canvas.pixel(50, 100), PHONE_COLOUR);

    let mut canvas = grey_canvas(200, 200);
    draw_detections(
        &mut canvas,
        &detections(1, vec![face(same)], Some(vec![person])),
    );
    assert_eq!(canvas.pixel(50, 100), FACE_COLOUR);
}

#[test]
fn the_hands_and_desk_zone_is_framed_when_that_pass_ran_and_stays_until_the_next_object_frame() {
    let zone = BBox {
        x0: 0.25,
        y0: 0.5,
        x1: 0.75,
        y1: 1.0,
    };
    let mut with_zone = detections(1, vec![], Some(vec![]));
    with_zone.hands_zone = Some(zone);
    let mut canvas = grey_canvas(200, 100);
    draw_detections(&mut canvas, &with_zone);
    // The zone's left edge, halfway down it, is drawn; the frame's centre above it is not.
    assert_eq!(canvas.pixel(50, 75), HANDS_ZONE_COLOUR);
    assert_eq!(canvas.pixel(100, 25), GREY);

    let mut without = grey_canvas(200, 100);
    draw_detections(&mut without, &detections(1, vec![], Some(vec![])));
    assert_eq!(without.pixel(50, 75), GREY, "no zone without the pass");

    let live = LiveView::new();
    live.publish_frame(&grey_frame(1, 32, 24), &with_zone);
    live.publish_frame(&grey_frame(2, 32, 24), &detections(2, vec![], None));
    assert_eq!(live.latest_detections().unwrap().hands_zone, Some(zone));
    live.publish_frame(&grey_frame(3, 32, 24), &detections(3, vec![], Some(vec![])));
    assert_eq!(live.latest_detections().unwrap().hands_zone, None);
}
