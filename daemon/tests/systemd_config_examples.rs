//! The example configs in config/examples/ are what boards get installed as
//! /etc/proctord/proctord.toml (Yocto's proctord-config, or by hand), so each must pass
//! `proctord check-config` and agree with the systemd unit's layout.

use std::path::{Path, PathBuf};
use std::process::Command;

use proctord::config::{CaptureSource, Config};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("daemon/ has a parent")
        .to_path_buf()
}

fn examples() -> Vec<PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(repo_root().join("config/examples"))
        .expect("config/examples exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    files
}

fn board_examples() -> Vec<PathBuf> {
    examples()
        .into_iter()
        .filter(|p| p.file_stem().is_some_and(|s| s != "demo"))
        .collect()
}

#[test]
fn the_four_documented_examples_exist() {
    let names: Vec<_> = examples()
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    for want in ["demo.toml", "jetson.toml", "pi4-cpu.toml", "pi5.toml"] {
        assert!(
            names.iter().any(|n| n == want),
            "config/examples/{want} is missing (have {names:?})"
        );
    }
}

#[test]
fn every_example_config_passes_check_config() {
    for file in examples() {
        let out = Command::new(env!("CARGO_BIN_EXE_proctord"))
            .args(["check-config", "--config"])
            .arg(&file)
            .current_dir(repo_root())
            .output()
            .expect("proctord runs");
        assert!(
            out.status.success(),
            "proctord check-config --config {} exited with {}:\n{}{}",
            file.display(),
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// Under systemd the working directory is /var/lib/proctord and the filesystem is
/// read-only except StateDirectory=, so board configs use absolute paths and keep their
/// state exactly there.
#[test]
fn board_examples_use_absolute_installed_paths_and_the_units_state_directory() {
    for file in board_examples() {
        let cfg = Config::load(&file).unwrap_or_else(|e| panic!("{e}"));
        let name = file.display();
        assert_eq!(
            cfg.kiosk.state_dir,
            Path::new("/var/lib/proctord"),
            "{name}: state_dir must be the unit's StateDirectory"
        );
        for (key, path) in [
            ("runtime.library", &cfg.runtime.library),
            ("models.dir", &cfg.models.dir),
            ("models.manifest", &cfg.models.manifest),
        ] {
            assert!(
                path.is_absolute(),
                "{name}: {key} = {} must be absolute (the unit's working directory is the state directory)",
                path.display()
            );
        }
        assert_eq!(
            cfg.capture.source,
            CaptureSource::V4l2,
            "{name}: a board example captures from a camera"
        );
        assert!(
            cfg.runtime.verify_sha256,
            "{name}: a board must verify the LiteRT library"
        );
    }
}

#[test]
fn the_demo_example_plays_the_demo_clip_in_a_loop_from_the_repository_root() {
    let cfg = Config::load(&repo_root().join("config/examples/demo.toml"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(cfg.capture.source, CaptureSource::File);
    assert!(cfg.capture.loop_file);
    // Composed by scripts/compose-demo.sh (make demo) from ../shared/media.
    assert_eq!(cfg.capture.file, Path::new("var/media/demo-timeline.mp4"));
    assert_eq!(cfg.kiosk.state_dir, Path::new("var/demo"));
    assert_eq!(cfg.web.listen, "127.0.0.1:8080");
    assert!(cfg.mqtt.enabled && cfg.mqtt.host == "localhost" && cfg.mqtt.port == 1883);
    let clip = repo_root().join(&cfg.capture.file);
    if !clip.exists() {
        eprintln!(
            "note: {} is not composed yet; `make demo` composes it",
            clip.display()
        );
    }
}
