//! `proctord eval` on the labelled development set (../shared/media/eval) with the
//! shipped config: the verdicts may not fall below the figures recorded in
//! bench/ACCURACY.md (floors a little under them), so a regression cannot land silently.

#[path = "support/media.rs"]
mod media;

use std::process::Command;

use media::{media, repo};
use serde_json::Value;

fn eval_dev_set() -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_proctord"))
        .current_dir(repo())
        .env("RUST_LOG", "warn")
        .args([
            "eval",
            "--json",
            "--config",
            "config/proctord.toml",
            "--labels",
        ])
        .arg(media("eval/labels.jsonl"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "eval failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn signal<'a>(r: &'a Value, name: &str) -> &'a Value {
    r["signals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["signal"] == name)
        .unwrap()
}

fn at_least(r: &Value, path: &[&str], floor: f64) {
    let mut v = r;
    for p in path {
        v = &v[*p];
    }
    let got = v
        .as_f64()
        .unwrap_or_else(|| panic!("{path:?} missing in {r}"));
    assert!(got >= floor, "{path:?} = {got:.3}, below the floor {floor}");
}

#[test]
fn the_shipped_config_keeps_its_verdict_figures_on_the_development_set() {
    let r = eval_dev_set();
    assert_eq!(r["images"], 208);

    // Attention: a candidate looking at the screen is not flagged.
    at_least(&r, &["looking_away", "accuracy"], 0.90);
    let facing_called_away = r["looking_away"]["facing_called_away_share"]
        .as_f64()
        .unwrap();
    assert!(
        facing_called_away <= 0.05,
        "{facing_called_away:.2} of the faces looking at the screen were called away"
    );
    // Faces: counted right, and none on an empty scene.
    at_least(&r, &["faces", "accuracy"], 0.95);
    assert_eq!(r["faces"]["empty_scenes_with_faces"], 0, "{}", r["faces"]);

    // Objects (SSD MobileNet v1 today; raise these with the detector).
    at_least(signal(&r, "phone"), &["recall"], 0.2);
    at_least(signal(&r, "phone"), &["precision"], 0.3);
    at_least(signal(&r, "notes"), &["recall"], 0.8);
    at_least(signal(&r, "device"), &["recall"], 0.8);
    at_least(signal(&r, "person"), &["recall"], 0.95);
    assert_eq!(signal(&r, "earbuds")["supported"], false);
}

#[test]
fn a_bad_labels_line_is_refused_with_its_line_number() {
    let dir = tempfile::tempdir().unwrap();
    let labels = dir.path().join("labels.jsonl");
    std::fs::write(
        &labels,
        "{\"image\": \"a.jpg\", \"faces\": 1}\n{\"image\": \"b.jpg\", \"present\": [\"pen\"]}\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_proctord"))
        .current_dir(repo())
        .args(["eval", "--labels"])
        .arg(&labels)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("labels.jsonl:2"), "{err}");
}
