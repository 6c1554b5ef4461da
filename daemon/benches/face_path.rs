//! The face path on a 640×480 webcam frame: detection + landmarks + PnP (a frame on which
//! the detector runs), tracking (landmarks + PnP from the previous frame's region: the
//! steady state), and as peers measured in the same run the raw invokes of the two models
//! it calls (the invokes alone, and the landmark model with its warp), so the path's
//! overhead over the models themselves is visible; then the path's own work item by item
//! (the face region's warp, the detector's preprocessing).
//!
//! `cargo bench --bench face_path` (needs `make setup`). Threads: `PROCTORD_BENCH_THREADS`
//! (default 2). Frame: `PROCTORD_BENCH_FACE_IMAGE` (default a 640×480 exam-lab webcam frame).

use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};

use proctord::capture::load_still;
use proctord::config::{Accelerator, Config, GpuFallback};
use proctord::inference::face::FaceDetector;
use proctord::inference::face_mesh::FaceMesh;
use proctord::inference::face_path::{FacePath, FacePathOptions};
use proctord::inference::face_roi::{FaceRoi, warp_into};
use proctord::inference::{CompileOptions, Runtime};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn face_path(c: &mut Criterion) {
    let root = repo();
    let cfg = Config::default();
    let runtime = Runtime::load(&root.join(&cfg.runtime.library), true)
        .unwrap_or_else(|e| panic!("{e} (run `make setup` first)"));
    let threads = std::env::var("PROCTORD_BENCH_THREADS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2);
    let opts = CompileOptions {
        accelerator: Accelerator::Cpu,
        gpu_fallback: GpuFallback::Fail,
        threads,
    };
    let image = std::env::var_os("PROCTORD_BENCH_FACE_IMAGE")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            root.join("../shared/media/eval/exam_lab_gaze/oep_front_000000_not_cheating.jpg")
        });
    let frame = load_still(&image).unwrap_or_else(|e| panic!("{}: {e}", image.display()));
    let (rgb, w, h) = (&frame.rgb()[..], frame.width, frame.height);
    let models = root.join(&cfg.models.dir);
    let d = &cfg.detection;
    let tag = format!("{w}x{h} {threads} thr");
    let load_detector = || {
        FaceDetector::load(
            &runtime,
            &models.join("face_detection_full_range_sparse.tflite"),
            opts,
            d.face_score,
            d.face_nms_iou,
        )
        .expect("full-range BlazeFace loads")
    };
    let load_mesh = || {
        FaceMesh::load(
            &runtime,
            &models.join("face_landmarks_detector.tflite"),
            opts,
        )
        .expect("FaceMesh V2 loads")
    };
    let new_path = |redetect_every: u32| {
        FacePath::new(
            vec![load_detector()],
            load_mesh(),
            &models.join("canonical_face_model.obj"),
            FacePathOptions {
                min_presence: d.face_presence,
                unconfirmed_min_score: d.face_unconfirmed_score,
                redetect_every,
                horizontal_fov_deg: cfg.capture.horizontal_fov_deg,
            },
        )
        .expect("face path")
    };
    let mut path = new_path(u32::MAX);
    let mut faces = Vec::new();

    let mut g = c.benchmark_group("face_path");
    g.bench_function(format!("detect + landmarks + PnP {tag}"), |b| {
        b.iter(|| {
            path.forget_tracks();
            path.detect(rgb, w, h, &mut faces).unwrap()
        })
    });
    assert_eq!(faces.len(), 1, "one face in {}", image.display());
    g.bench_function(format!("track: landmarks + PnP {tag}"), |b| {
        b.iter(|| {
            let run = path.detect(rgb, w, h, &mut faces).unwrap();
            assert!(!run.detector_ran);
        })
    });

    // The figure the target is about: the mean cost per analysed frame of a tracked face
    // at the shipped cadence, the periodic redetection included (run, not computed from
    // the two rows above, so the cadence logic itself is what is measured).
    let every = d.face_detect_every_n_frames;
    let mut cadenced = new_path(every);
    let mut detector_runs = 0u64;
    let mut frames = 0u64;
    g.bench_function(
        format!("per frame at the shipped cadence (detector every {every}th) {tag}"),
        |b| {
            b.iter(|| {
                let run = cadenced.detect(rgb, w, h, &mut faces).unwrap();
                frames += 1;
                detector_runs += u64::from(run.detector_ran);
            })
        },
    );
    // Guards the row's meaning: the detector ran on about one frame in `every`.
    let share = detector_runs as f64 / frames.max(1) as f64;
    assert!(
        (share - 1.0 / every as f64).abs() < 0.02,
        "the detector ran on {detector_runs} of {frames} frames, not 1 in {every}"
    );

    // Peers: the raw invokes the path is built on.
    let mut detector = load_detector();
    detector.preprocess(rgb, w, h).unwrap();
    g.bench_function(format!("peer: face detector invoke {tag}"), |b| {
        b.iter(|| detector.invoke().unwrap())
    });
    let mut mesh = load_mesh();
    let f = &faces[0];
    let roi = FaceRoi::from_detection(
        [
            f.bbox.x0 * w as f32,
            f.bbox.y0 * h as f32,
            f.bbox.x1 * w as f32,
            f.bbox.y1 * h as f32,
        ],
        [f.keypoints[0][0] * w as f32, f.keypoints[0][1] * h as f32],
        [f.keypoints[1][0] * w as f32, f.keypoints[1][1] * h as f32],
    );
    g.bench_function(format!("peer: landmarks (warp + invoke) {tag}"), |b| {
        b.iter(|| mesh.run(rgb, w, h, &roi).unwrap().presence)
    });
    g.bench_function(format!("peer: landmarks invoke alone {tag}"), |b| {
        b.iter(|| mesh.invoke().unwrap())
    });

    // The path's own work, item by item: what separates the path from its invokes.
    let n = mesh.input_size();
    let mut warped = vec![0f32; n * n * 3];
    g.bench_function(format!("own work: face region warp {n}x{n} {tag}"), |b| {
        b.iter(|| warp_into(rgb, w, h, &roi, n, &mut warped))
    });
    g.bench_function(format!("own work: detector preprocess {tag}"), |b| {
        b.iter(|| detector.preprocess(rgb, w, h).unwrap())
    });
    g.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(30)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
        .without_plots()
}

criterion_group! { name = benches; config = config(); targets = face_path }
criterion_main!(benches);
