//! `proctord eval`: precision and recall of the daemon's verdicts on labelled images.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;

use crate::eval;
use crate::inference::Detector;

/// How many wrongly judged images the text output lists (`--json` has them all).
const WRONG_LISTED: usize = 40;

pub fn run(labels: &Path, config: Option<&Path>, json: bool) -> anyhow::Result<ExitCode> {
    let cfg = super::load_config(config)?;
    let images = eval::labels::load(labels)?;
    let mut detector = Detector::from_config(&cfg).context("cannot start the detector")?;
    let report = eval::evaluate(&mut detector, &cfg, &images, |done, _| {
        if done % 50 == 0 {
            log::info!("Judged {done} of {} images.", images.len());
        }
    })
    .context("the evaluation stopped")?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        let models: Vec<&str> = detector.models().iter().map(|m| m.name.as_str()).collect();
        println!("models: {}", models.join(", "));
        print!("{}", eval::render::text(&report, WRONG_LISTED));
    }
    Ok(ExitCode::SUCCESS)
}
