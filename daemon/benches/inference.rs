//! Per model, on a real photo: the whole detector call (preprocess + invoke + decode),
//! the invoke alone, and the preprocessing alone, so the overhead over the raw model
//! invoke is visible; for the object models also both object passes (full frame and
//! hands-and-desk zone) as one object frame with `hands_zone = true` costs.
//!
//! `cargo bench --bench inference` (needs `make setup`: runtime/libLiteRt.so and
//! models/cache). Threads: `PROCTORD_BENCH_THREADS` (default 2, as config/proctord.toml).
//! Photo: `PROCTORD_BENCH_IMAGE` (default ../shared/media/phone/coco_000000000395.jpg,
//! 640×580 COCO photo: one face and a phone at the ear; the 640×480 figures in
//! bench/ACCURACY.md use ../shared/media/eval/exam_lab_gaze/oep_front_000000_not_cheating.jpg).

use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};

use proctord::capture::load_still;
use proctord::config::{Accelerator, Config, GpuFallback};
use proctord::inference::face::FaceDetector;
use proctord::inference::hands_zone::hands_zone;
use proctord::inference::objects::{ClassThresholds, ObjectDetector, ObjectFamily};
use proctord::inference::{CompileOptions, Runtime};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn image_path() -> PathBuf {
    std::env::var_os("PROCTORD_BENCH_IMAGE")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("../shared/media/phone/coco_000000000395.jpg"))
}

fn threads() -> u32 {
    std::env::var("PROCTORD_BENCH_THREADS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2)
}

fn inference(c: &mut Criterion) {
    let root = repo();
    let cfg = Config::default();
    let runtime = Runtime::load(&root.join(&cfg.runtime.library), true)
        .unwrap_or_else(|e| panic!("{e} (run `make setup` first)"));
    let opts = CompileOptions {
        accelerator: Accelerator::Cpu,
        gpu_fallback: GpuFallback::Fail,
        threads: threads(),
    };
    let image = image_path();
    let frame =
        load_still(&image).unwrap_or_else(|e| panic!("cannot load {}: {e}", image.display()));
    let (rgb, w, h) = (&frame.rgb()[..], frame.width, frame.height);
    let models = root.join(&cfg.models.dir);
    let d = &cfg.detection;
    let tag = format!("{}x{} {} thr", w, h, opts.threads);

    let mut face = FaceDetector::load(
        &runtime,
        &models.join("blazeface_128x128_quant.tflite"),
        opts,
        d.face_score,
        d.face_nms_iou,
    )
    .expect("BlazeFace loads");
    let mut faces = Vec::new();
    let mut g = c.benchmark_group("blazeface_int8");
    g.bench_function(format!("detect (preprocess+invoke+decode) {tag}"), |b| {
        b.iter(|| face.detect(rgb, w, h, &mut faces).unwrap())
    });
    face.preprocess(rgb, w, h).unwrap();
    g.bench_function("invoke", |b| b.iter(|| face.invoke().unwrap()));
    g.bench_function(format!("preprocess {tag}"), |b| {
        b.iter(|| face.preprocess(rgb, w, h).unwrap())
    });
    g.finish();
    assert!(
        !faces.is_empty(),
        "BlazeFace found no face in {}",
        image.display()
    );

    let thresholds = ClassThresholds {
        phone: d.phone_score,
        notes: d.notes_score,
        device: d.device_score,
        person: d.person_score,
    };
    // The full-frame pass, then (YOLO) the hands-and-desk pass on the zone below the
    // face BlazeFace found: `both passes` is what one object frame costs with
    // `hands_zone = true`.
    let zone = hands_zone(w, h, &faces);
    for (name, file, family) in [
        (
            "ssd_mobilenet_v1_quant",
            "detect.tflite",
            ObjectFamily::SsdPostprocess,
        ),
        (
            "yolov8n_int8",
            "yolov8n_full_integer_quant.tflite",
            ObjectFamily::Yolo,
        ),
        (
            "yolo11n_416_int8",
            "yolo11n_full_integer_quant_416.tflite",
            ObjectFamily::Yolo,
        ),
    ] {
        let labels = ObjectDetector::load_labels(&models.join("coco_labelmap.txt"), family)
            .expect("label map");
        let mut det = ObjectDetector::load(
            &runtime,
            &models.join(file),
            family,
            labels,
            opts,
            thresholds,
            d.objects_nms_iou,
        )
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut objects = Vec::new();
        let mut g = c.benchmark_group(name);
        g.bench_function(format!("detect (preprocess+invoke+decode) {tag}"), |b| {
            b.iter(|| det.detect(rgb, w, h, &mut objects).unwrap())
        });
        g.bench_function(
            format!("both passes (full frame + hands zone) {tag}"),
            |b| {
                b.iter(|| {
                    det.detect(rgb, w, h, &mut objects).unwrap();
                    det.detect_region(rgb, w, h, zone, &mut objects).unwrap();
                })
            },
        );
        det.preprocess(rgb, w, h).unwrap();
        g.bench_function("invoke", |b| b.iter(|| det.invoke().unwrap()));
        g.bench_function(format!("preprocess {tag}"), |b| {
            b.iter(|| det.preprocess(rgb, w, h).unwrap())
        });
        g.finish();
    }
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
        .without_plots()
}

criterion_group! { name = benches; config = config(); targets = inference }
criterion_main!(benches);
