//! Raw model invoke time, the floor the pipeline is compared against in bench/run.sh:
//! loads BlazeFace int8 and SSD MobileNet v1 quant as `proctord` does, preprocesses one
//! frame once (a still, or frame `--frame` of a video), then invokes each model `--n`
//! times and prints JSON with the per-invoke times in milliseconds.
//!
//! `cargo run --release --example bench_invoke -- --input FILE [--n 200] [--threads 2] [--frame 30]`
//! (run from the repository root: paths as in config/proctord.toml).

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, bail};
use proctord::capture::{
    FrameSource, VideoFileOptions, VideoFileSource, is_still_image, load_still,
};
use proctord::config::{Accelerator, Config, GpuFallback};
use proctord::frame::Frame;
use proctord::inference::face::FaceDetector;
use proctord::inference::objects::{ClassThresholds, ObjectDetector, ObjectFamily};
use proctord::inference::{CompileOptions, Runtime};

struct Args {
    input: PathBuf,
    n: usize,
    threads: u32,
    frame: u64,
}

fn args() -> anyhow::Result<Args> {
    let mut a = Args {
        input: PathBuf::new(),
        n: 200,
        threads: Config::default().runtime.threads,
        frame: 30,
    };
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        let mut v = || it.next().with_context(|| format!("{k} needs a value"));
        match k.as_str() {
            "--input" => a.input = v()?.into(),
            "--n" => a.n = v()?.parse()?,
            "--threads" => a.threads = v()?.parse()?,
            "--frame" => a.frame = v()?.parse()?,
            other => bail!(
                "unknown argument {other}; usage: --input FILE [--n 200] [--threads 2] [--frame 30]"
            ),
        }
    }
    if a.input.as_os_str().is_empty() {
        bail!("--input FILE is required");
    }
    Ok(a)
}

fn frame_of(path: &Path, index: u64) -> anyhow::Result<Frame> {
    if is_still_image(path) {
        return Ok(load_still(path)?);
    }
    let mut src = VideoFileSource::open(
        path,
        VideoFileOptions {
            realtime: false,
            loop_file: false,
            yuv_until_analysed: false,
        },
    )?;
    let mut last = None;
    while let Some(f) = src.next_frame()? {
        let done = f.seq >= index;
        last = Some(f);
        if done {
            break;
        }
    }
    last.context("the video has no frame")
}

/// Times `n` calls after 10 warm-up calls; returns sorted per-call milliseconds.
fn time_n(n: usize, mut f: impl FnMut()) -> Vec<f64> {
    for _ in 0..10 {
        f();
    }
    let mut v: Vec<f64> = (0..n)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    v.sort_by(f64::total_cmp);
    v
}

fn stats(v: &[f64]) -> serde_json::Value {
    let q = |p: f64| v[((v.len() - 1) as f64 * p).round() as usize];
    serde_json::json!({
        "n": v.len(),
        "median_ms": q(0.5),
        "mean_ms": v.iter().sum::<f64>() / v.len() as f64,
        "p10_ms": q(0.1),
        "p90_ms": q(0.9),
    })
}

fn main() -> anyhow::Result<()> {
    let a = args()?;
    let cfg = Config::default();
    let runtime = Runtime::load(&cfg.runtime.library, true)?;
    let opts = CompileOptions {
        accelerator: Accelerator::Cpu,
        gpu_fallback: GpuFallback::Fail,
        threads: a.threads,
    };
    let frame = frame_of(&a.input, a.frame)?;
    let (rgb, w, h) = (&frame.rgb()[..], frame.width, frame.height);
    let d = &cfg.detection;

    let mut face = FaceDetector::load(
        &runtime,
        &cfg.models.dir.join("blazeface_128x128_quant.tflite"),
        opts,
        d.face_score,
        d.face_nms_iou,
    )?;
    let family = ObjectFamily::SsdPostprocess;
    let labels = ObjectDetector::load_labels(&cfg.models.dir.join("coco_labelmap.txt"), family)?;
    let thresholds = ClassThresholds {
        phone: d.phone_score,
        notes: d.notes_score,
        device: d.device_score,
        person: d.person_score,
    };
    let mut ssd = ObjectDetector::load(
        &runtime,
        &cfg.models.dir.join("detect.tflite"),
        family,
        labels,
        opts,
        thresholds,
        d.objects_nms_iou,
    )?;

    face.preprocess(rgb, w, h)?;
    ssd.preprocess(rgb, w, h)?;
    let face_invoke = time_n(a.n, || face.invoke().expect("face invoke"));
    let ssd_invoke = time_n(a.n, || ssd.invoke().expect("ssd invoke"));
    // The same frame through the detectors' whole call, for the in-process overhead.
    let (mut faces, mut objects) = (Vec::new(), Vec::new());
    let face_detect = time_n(a.n, || {
        face.detect(rgb, w, h, &mut faces).expect("face detect")
    });
    let ssd_detect = time_n(a.n, || {
        ssd.detect(rgb, w, h, &mut objects).expect("ssd detect")
    });

    let out = serde_json::json!({
        "input": a.input,
        "frame": { "width": w, "height": h },
        "threads": a.threads,
        "face_invoke": stats(&face_invoke),
        "objects_invoke": stats(&ssd_invoke),
        "face_detect": stats(&face_detect),
        "objects_detect": stats(&ssd_detect),
    });
    println!("{out}");
    Ok(())
}
