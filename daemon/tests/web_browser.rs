//! The status page in a real browser (login, a session, logout, a reviewer's clip,
//! review decisions, report and recording): builds the web fixture (daemon/examples/web_fixture.rs)
//! and runs the Playwright test `node --test tests/e2e/` against it with Debian's chromium.
//!
//! Skipped, saying so, only when /usr/bin/chromium is missing and CI is not set; in CI a
//! missing browser fails the test. Node and playwright-core come from `make setup`.

use std::path::{Path, PathBuf};
use std::process::Command;

const CHROMIUM: &str = "/usr/bin/chromium";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// Builds the fixture with the profile this test was built with and returns its path.
fn build_fixture() -> PathBuf {
    // This binary is target/<profile dir>/deps/web_browser-<hash>.
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("the test binary lives in target/<profile>/deps");
    let profile = match profile_dir.file_name().and_then(|n| n.to_str()) {
        Some("debug") => "dev",
        Some(other) => other,
        None => panic!("cannot tell the build profile from {}", exe.display()),
    };
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .args([
            "build",
            "--quiet",
            "-p",
            "proctord",
            "--example",
            "web_fixture",
            "--profile",
            profile,
        ])
        .current_dir(repo())
        .status()
        .expect("cannot run cargo to build the web fixture");
    assert!(status.success(), "building the web fixture failed");
    let fixture = profile_dir.join("examples").join("web_fixture");
    assert!(
        fixture.exists(),
        "cargo built the fixture, but not at {}",
        fixture.display()
    );
    fixture
}

#[test]
fn in_a_real_browser_a_proctor_runs_a_session_and_a_reviewer_plays_a_clip_reviews_events_and_downloads_the_report()
 {
    if !Path::new(CHROMIUM).exists() {
        assert!(
            !in_ci(),
            "{CHROMIUM} is missing and CI is set: the browser test must run in CI (install chromium; scripts/setup.sh does)"
        );
        eprintln!(
            "SKIPPED the browser test: {CHROMIUM} is missing (install chromium, or run scripts/setup.sh, to run it)."
        );
        return;
    }
    assert!(
        repo()
            .join("tests/e2e/node_modules/playwright-core")
            .exists(),
        "playwright-core is not installed in tests/e2e: run `make setup` (or `npm install` in tests/e2e)"
    );
    let fixture = build_fixture();
    let output = Command::new("node")
        .args(["--test", "--test-timeout=600000", "tests/e2e/"])
        .current_dir(repo())
        .env("PROCTORD_WEB_FIXTURE", &fixture)
        .output()
        .expect("cannot run node: install nodejs (scripts/setup.sh does)");
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.status.success(),
        "the browser test failed:\n{report}"
    );
    let passed = count(&report, "# pass ");
    assert!(
        passed > 0 && count(&report, "# skipped ") == 0,
        "the browser test did not run all its steps:\n{report}"
    );
    for screenshot in [
        "target/e2e/login.png",
        "target/e2e/status.png",
        "target/e2e/review.png",
    ] {
        assert!(
            repo().join(screenshot).exists(),
            "no screenshot at {screenshot}"
        );
    }
}

/// The number on node's summary line `# <name>N`.
fn count(report: &str, name: &str) -> u32 {
    report
        .lines()
        .find_map(|l| l.strip_prefix(name))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {name:?} line in:\n{report}"))
}
