//! Bad runtime, bad models and bad config: each a clear error that says what to do,
//! never a panic or a crash.

#[path = "support/media.rs"]
mod media;

use std::path::PathBuf;
use std::process::Command;

use media::{config, repo};

use proctord::config::{Accelerator, Config, GpuFallback};
use proctord::inference::{
    CompileOptions, CompiledModel, Detector, InferenceError, RanOn, Runtime,
};

fn runtime() -> Runtime {
    Runtime::load(&repo().join("runtime/libLiteRt.so"), true).expect("run `make setup` first")
}

fn cpu() -> CompileOptions {
    CompileOptions {
        accelerator: Accelerator::Cpu,
        gpu_fallback: GpuFallback::Fail,
        threads: 1,
    }
}

fn detector_error(cfg: &Config) -> InferenceError {
    match Detector::from_config(cfg) {
        Ok(_) => panic!("the detector started"),
        Err(e) => e,
    }
}

#[test]
fn a_missing_runtime_library_names_the_file_the_version_and_how_to_fetch_it() {
    let mut cfg = config();
    cfg.runtime.library = PathBuf::from("/nonexistent/libLiteRt.so");
    let msg = detector_error(&cfg).to_string();
    assert!(
        msg.contains("/nonexistent/libLiteRt.so")
            && msg.contains("2.3.0")
            && msg.contains("make setup"),
        "{msg}"
    );
}

#[test]
fn a_runtime_library_of_another_version_is_refused_by_its_checksum() {
    let dir = tempfile::tempdir().unwrap();
    let fake = dir.path().join("libLiteRt.so");
    std::fs::copy("/bin/true", &fake).unwrap();
    let err = Runtime::load(&fake, true).unwrap_err();
    assert!(
        matches!(err, InferenceError::LibraryWrongVersion { .. }),
        "{err}"
    );
    assert!(
        err.to_string().contains("eec47eb35e") || err.to_string().contains("b57687dc"),
        "{err}"
    );
    // Without the checksum, a library that is no LiteRT still fails cleanly.
    let err = Runtime::load(&fake, false).unwrap_err();
    assert!(matches!(err, InferenceError::LibraryLoad { .. }), "{err}");
}

#[test]
fn a_missing_model_file_says_to_fetch_the_models() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config();
    cfg.models.dir = dir.path().to_path_buf();
    let err = detector_error(&cfg);
    assert!(matches!(err, InferenceError::ModelMissing { .. }), "{err}");
    assert!(err.to_string().contains("make models"), "{err}");
}

#[test]
fn a_corrupt_model_file_fails_its_checksum_and_garbage_fails_to_load() {
    let dir = tempfile::tempdir().unwrap();
    for f in [
        "face_detection_full_range_sparse.tflite",
        "face_landmarks_detector.tflite",
        "canonical_face_model.obj",
        "detect.tflite",
        "coco_labelmap.txt",
    ] {
        std::fs::copy(repo().join("models/cache").join(f), dir.path().join(f)).unwrap();
    }
    // Flip bytes in the middle of the face model, as a bad SD card would.
    let face = dir.path().join("face_detection_full_range_sparse.tflite");
    let mut bytes = std::fs::read(&face).unwrap();
    let mid = bytes.len() / 2;
    for b in &mut bytes[mid..mid + 64] {
        *b ^= 0xff;
    }
    std::fs::write(&face, &bytes).unwrap();
    let mut cfg = config();
    cfg.models.dir = dir.path().to_path_buf();
    let err = detector_error(&cfg);
    assert!(matches!(err, InferenceError::ModelChecksum { .. }), "{err}");

    // Loaded directly (no manifest), a file that is not a flatbuffer is refused by LiteRT.
    let garbage = dir.path().join("garbage.tflite");
    std::fs::write(&garbage, b"this is not a tflite model at all, just text").unwrap();
    let err = CompiledModel::load(&runtime(), &garbage, cpu())
        .err()
        .expect("garbage loaded");
    assert!(matches!(err, InferenceError::ModelInvalid { .. }), "{err}");
}

#[test]
fn the_edge_tpu_only_model_fails_on_the_cpu_with_an_explanation() {
    let model = repo().join("models/cache/mediapipe_face-detector-quantized_edgetpu.tflite");
    let err = CompiledModel::load(&runtime(), &model, cpu())
        .err()
        .expect("the Edge TPU model loaded");
    assert!(
        matches!(err, InferenceError::UnsupportedOps { .. }),
        "{err}"
    );
    let msg = err.to_string();
    assert!(
        msg.contains("edgetpu-custom-op") && msg.contains("Edge TPU"),
        "{msg}"
    );
}

#[test]
fn asking_for_a_gpu_where_none_exists_fails_or_falls_back_as_configured() {
    let model = repo().join("models/cache/blazeface_128x128_quant.tflite");
    let strict = CompileOptions {
        accelerator: Accelerator::Gpu,
        gpu_fallback: GpuFallback::Fail,
        threads: 1,
    };
    match CompiledModel::load(&runtime(), &model, strict) {
        Err(InferenceError::GpuUnavailable { .. }) => {}
        Err(e) => panic!("unexpected error {e}"),
        // A machine with a working GPU runs it there; that is correct too.
        Ok(m) => assert_eq!(m.ran_on(), RanOn::Gpu),
    }
    let lenient = CompileOptions {
        accelerator: Accelerator::Gpu,
        gpu_fallback: GpuFallback::Cpu,
        threads: 1,
    };
    let m = CompiledModel::load(&runtime(), &model, lenient).unwrap();
    assert!(matches!(m.ran_on(), RanOn::Cpu | RanOn::Gpu));
}

#[test]
fn check_config_lists_every_error_with_its_key_path_and_exits_78() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[rules]\nno_face_afer_s = 3\nlooking_away_after_s = -1\n[camera]\ndevice = \"/dev/video0\"\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_proctord"))
        .args(["check-config", "--config"])
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(78));
    let err = String::from_utf8_lossy(&out.stderr);
    for path in ["rules.no_face_afer_s", "camera"] {
        assert!(err.contains(path), "{path} missing from: {err}");
    }
    let good = Command::new(env!("CARGO_BIN_EXE_proctord"))
        .args(["check-config", "--config"])
        .arg(repo().join("config/proctord.toml"))
        .output()
        .unwrap();
    assert_eq!(
        good.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&good.stderr)
    );
}

#[test]
fn a_value_out_of_range_is_reported_even_when_the_keys_are_right() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "[rules]\nlooking_away_after_s = -1\n[detection]\nphone_score = 3.0\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_proctord"))
        .args(["check-config", "--config"])
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(78));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("rules.looking_away_after_s") && err.contains("detection.phone_score"),
        "{err}"
    );
}

#[test]
fn detect_on_a_missing_input_file_fails_with_a_message_not_a_panic() {
    let out = Command::new(env!("CARGO_BIN_EXE_proctord"))
        .current_dir(repo())
        .args(["detect", "--input", "/nonexistent/clip.mp4"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("/nonexistent/clip.mp4") && !err.contains("panicked"),
        "{err}"
    );
}
