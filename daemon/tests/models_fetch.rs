//! The model fetch step (models/fetch.py): copies from a mirror, keeps good files, and
//! refuses any file whose sha256 is not the one the manifest pins.

use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn fetch(mirror: &Path, dest: &Path) -> std::process::Output {
    Command::new("python3")
        .arg(repo().join("models/fetch.py"))
        .arg("--manifest")
        .arg(repo().join("models/manifest.toml"))
        .arg("--dest")
        .arg(dest)
        .arg("--mirror")
        .arg(mirror)
        .args(["--only", "blazeface_128x128_quant"])
        .output()
        .unwrap()
}

#[test]
fn a_mirror_file_with_the_wrong_checksum_is_refused_and_a_good_one_is_installed() {
    let dir = tempfile::tempdir().unwrap();
    let mirror = dir.path().join("mirror");
    let dest = dir.path().join("cache");
    std::fs::create_dir_all(mirror.join("blazeface_128x128_quant")).unwrap();
    let target = mirror.join("blazeface_128x128_quant/blazeface_128x128_quant.tflite");

    std::fs::write(&target, b"not the pinned model").unwrap();
    let out = fetch(&mirror, &dest);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("REFUSED"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !dest.join("blazeface_128x128_quant.tflite").exists(),
        "a refused file was installed"
    );

    std::fs::copy(
        repo().join("../shared/models/blazeface_128x128_quant/blazeface_128x128_quant.tflite"),
        &target,
    )
    .unwrap();
    let out = fetch(&mirror, &dest);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dest.join("blazeface_128x128_quant.tflite").is_file());
    // Fetching again keeps the verified file.
    let out = fetch(&mirror, &dest);
    assert!(String::from_utf8_lossy(&out.stdout).contains("already there"));
}
