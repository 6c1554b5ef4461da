//! The daemon under real systemd: `systemd/proctord.service` booted with systemd as PID 1
//! in `systemd-nspawn` (scripts/nspawn-test.sh does the work; these tests run it with
//! the binary cargo just built and report its verdict).
//!
//! Needs root. Without root the tests skip with a message, except under CI (`CI` set),
//! where skipping would hide a broken unit, so they fail.

use std::path::{Path, PathBuf};
use std::process::Command;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("daemon/ has a parent")
        .to_path_buf()
}

fn proctord() -> &'static str {
    env!("CARGO_BIN_EXE_proctord")
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .map(|l| l.split_whitespace().nth(2) == Some("0"))
        })
        .unwrap_or(false)
}

/// Returns false (after saying why) when the test cannot run on this machine.
fn can_run_here() -> bool {
    if is_root() {
        return true;
    }
    let why = "the systemd-nspawn tests need root (they boot systemd in a container)";
    if std::env::var_os("CI").is_some() {
        panic!("{why}; CI is set, so this is a failure rather than a skip");
    }
    eprintln!("SKIPPED: {why}; run `make test` as root to include them");
    false
}

fn require_run_subcommand() {
    let ok = Command::new(proctord())
        .args(["run", "--help"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    assert!(
        ok,
        "proctord run is not implemented yet (`{} run --help` fails): the unit's contract with systemd \
         (READY=1, WATCHDOG=1, clean exit on SIGTERM) cannot be tested until it exists",
        proctord()
    );
}

fn nspawn_test(scenario: &str) {
    let out = Command::new(repo_root().join("scripts/nspawn-test.sh"))
        .arg(scenario)
        .env("PROCTORD_BIN", proctord())
        .current_dir(repo_root())
        .output()
        .expect("scripts/nspawn-test.sh runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    match out.status.code() {
        Some(0) => eprintln!("{text}"),
        Some(77) if std::env::var_os("CI").is_none() => eprintln!("SKIPPED:\n{text}"),
        _ => panic!(
            "scripts/nspawn-test.sh {scenario} failed ({}):\n{text}",
            out.status
        ),
    }
}

#[test]
fn the_unit_reaches_active_running_once_ready_is_sent_and_stops_cleanly_on_sigterm() {
    if !can_run_here() {
        return;
    }
    require_run_subcommand();
    nspawn_test("ready");
}

#[test]
fn the_watchdog_aborts_a_frozen_daemon_and_restart_brings_a_new_one_to_ready() {
    if !can_run_here() {
        return;
    }
    require_run_subcommand();
    nspawn_test("watchdog");
}

#[test]
fn litert_the_models_and_gstreamer_work_inside_the_units_hardened_sandbox() {
    if !can_run_here() {
        return;
    }
    nspawn_test("sandbox");
}
