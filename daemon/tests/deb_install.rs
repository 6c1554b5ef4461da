//! The Debian packages installed for real: scripts/deb.sh packages the binary cargo just
//! built, and scripts/deb-test.sh installs it with apt in a fresh Debian 12 container
//! booted with systemd (install, a refused config, READY and /healthz, a session,
//! upgrade, remove, purge), then reports its verdict here.
//!
//! Needs root, systemd-nspawn, debootstrap and the network to deb.debian.org (the
//! container root and apt's downloads are cached in /var/cache/proctord-deb-test). Without
//! root or nspawn the tests skip with a message, except under CI (`CI` set), where
//! skipping would hide a broken package, so they fail.
//!
//! `PROCTORD_DEB_FULL=1` adds the arm64 package: cross-built (scripts/cross-aarch64.sh,
//! tens of minutes), inspected, and its binary run under qemu.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("daemon/ has a parent")
        .to_path_buf()
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Runs a script of scripts/ and turns its exit status into the test's verdict
/// (77 = cannot run here: a skip, or a failure under CI).
fn run_script(script: &str, args: &[&str]) {
    let out = Command::new(repo_root().join("scripts").join(script))
        .args(args)
        .env("PROCTORD_BIN", env!("CARGO_BIN_EXE_proctord"))
        .current_dir(repo_root())
        .output()
        .unwrap_or_else(|e| panic!("scripts/{script} runs: {e}"));
    match out.status.code() {
        Some(0) => eprintln!("{}", text(&out)),
        Some(77) if std::env::var_os("CI").is_none() => eprintln!("SKIPPED:\n{}", text(&out)),
        _ => panic!(
            "scripts/{script} {} failed ({}):\n{}",
            args.join(" "),
            out.status,
            text(&out)
        ),
    }
}

#[test]
fn apt_installs_the_packages_in_a_fresh_debian_and_the_service_survives_upgrade_and_removal() {
    run_script("deb-test.sh", &[]);
}

#[test]
fn the_arm64_package_carries_the_arm64_binary_and_runtime_and_its_binary_runs_under_qemu() {
    if std::env::var_os("PROCTORD_DEB_FULL").is_none() {
        eprintln!(
            "SKIPPED: set PROCTORD_DEB_FULL=1 to cross-build and check the arm64 package \
             (scripts/cross-aarch64.sh: tens of minutes)"
        );
        return;
    }
    run_script("deb-test.sh", &["--arm64"]);
}
