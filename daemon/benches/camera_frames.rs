//! What the capture thread spends per camera frame in each format `capture.format = "auto"`
//! can choose, and what the analysis then spends to get RGB, on a real 640×480 webcam
//! frame: MJPEG is decoded to RGB at capture, every frame (the recorder takes the RGB);
//! YUYV is only copied out of the driver's buffer at capture (the recorder takes it as it
//! came) and converted to RGB when a frame is analysed. Measured in the same run, so the
//! per-second figures of the two formats compare: at 15 fps analysed at 10,
//! MJPEG costs 15 decodes, YUYV 15 copies and 10 conversions.
//!
//! `cargo bench --bench camera_frames` (no runtime or models needed). The MJPEG frame is
//! the JPEG file itself (a webcam's own frame); the YUYV frame is made from its pixels.

use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};

use proctord::buffer_pool::BufferPool;
use proctord::capture::{YuyvToRgb, decode_mjpeg_pooled, rgb_to_yuyv};
use proctord::frame::RgbConversion;

fn camera_frames(c: &mut Criterion) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/media/eval/exam_lab_gaze/oep_front_000000_not_cheating.jpg");
    let jpeg = std::fs::read(&path).expect("../shared/media beside the project root");
    let mut pool = BufferPool::new();
    let (width, height, rgb) = decode_mjpeg_pooled(&jpeg, &mut pool).unwrap();
    assert_eq!((width, height), (640, 480), "{}", path.display());
    let yuyv = rgb_to_yuyv(&rgb, width, height);
    drop(rgb);

    let mut g = c.benchmark_group("camera frame 640x480");
    g.bench_function("MJPEG: decode to RGB (capture, every frame)", |b| {
        b.iter(|| decode_mjpeg_pooled(&jpeg, &mut pool).unwrap())
    });
    let mut raw_pool = BufferPool::new();
    g.bench_function(
        "YUYV: copy out of the driver's buffer (capture, every frame)",
        |b| b.iter(|| YuyvToRgb::copy_frame(&yuyv, width, height, &mut raw_pool).unwrap()),
    );
    let raw = YuyvToRgb::copy_frame(&yuyv, width, height, &mut raw_pool).unwrap();
    let to_rgb = YuyvToRgb::default();
    g.bench_function(
        "YUYV: convert to RGB (analysis, analysed frames only)",
        |b| b.iter(|| to_rgb.to_rgb(&raw, width, height)),
    );
    g.finish();
}

criterion_group!(benches, camera_frames);
criterion_main!(benches);
