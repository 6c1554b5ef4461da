//! `proctord detect`: what the models see in one image or video.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use serde::Serialize;

use crate::capture::{FrameSource, VideoFileOptions, VideoFileSource, is_still_image, load_still};
use crate::detections::{BBox, DetectedObject, Detections, Face, InferenceTimes};
use crate::inference::Detector;
use crate::pipeline::FrameSelector;
use crate::report::ModelUsed;

#[derive(Serialize)]
struct ImageRecord<'a> {
    faces: &'a [Face],
    objects: &'a [DetectedObject],
    #[serde(skip_serializing_if = "Option::is_none")]
    hands_zone: Option<BBox>,
    inference_ms: InferenceTimes,
    /// The models that ran, with their sha256 and licence.
    models: Vec<ModelUsed>,
}

#[derive(Serialize)]
struct FrameRecord<'a> {
    t_s: f64,
    frame: u64,
    faces: &'a [Face],
    #[serde(skip_serializing_if = "Option::is_none")]
    objects: Option<&'a [DetectedObject]>,
    inference_ms: InferenceTimes,
}

pub fn run(input: &Path, config: Option<&Path>, json: bool) -> anyhow::Result<ExitCode> {
    let cfg = super::load_config(config)?;
    let mut detector = Detector::from_config(&cfg).context("cannot start the detector")?;
    if is_still_image(input) {
        let frame = load_still(input)?;
        let mut d = detector.detect(&frame, true)?;
        crate::rules::mark_faces(&mut d.faces, &cfg.rules);
        let objects = d.objects.as_deref().unwrap_or(&[]);
        if json {
            println!(
                "{}",
                serde_json::to_string(&ImageRecord {
                    faces: &d.faces,
                    objects,
                    hands_zone: d.hands_zone,
                    inference_ms: d.inference_ms,
                    models: detector.models().iter().map(ModelUsed::from).collect(),
                })?
            );
        } else {
            println!("{}: {}", input.display(), summary(&d));
        }
        return Ok(ExitCode::SUCCESS);
    }
    let mut source = VideoFileSource::open(
        input,
        VideoFileOptions {
            realtime: false,
            loop_file: false,
            yuv_until_analysed: false,
        },
    )?;
    let mut frames = FrameSelector::new(&cfg);
    let (mut analysed, mut with_face, mut max_faces) = (0u64, 0u64, 0usize);
    let mut stdout = std::io::stdout().lock();
    while let Some(frame) = source.next_frame()? {
        if !frames.take(frame.pts) {
            continue;
        }
        let mut d = detector.detect(&frame, false)?;
        crate::rules::mark_faces(&mut d.faces, &cfg.rules);
        analysed += 1;
        with_face += u64::from(!d.faces.is_empty());
        max_faces = max_faces.max(d.faces.len());
        if json {
            let rec = FrameRecord {
                t_s: d.at.as_secs_f64(),
                frame: d.frame_seq,
                faces: &d.faces,
                objects: d.objects.as_deref(),
                inference_ms: d.inference_ms,
            };
            writeln!(stdout, "{}", serde_json::to_string(&rec)?)?;
        } else {
            writeln!(stdout, "{:8.2}s  {}", d.at.as_secs_f64(), summary(&d))?;
        }
    }
    if !json {
        writeln!(
            stdout,
            "{}: {analysed} frames analysed, a face in {with_face}, at most {max_faces} face(s) at once",
            input.display()
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

fn summary(d: &Detections) -> String {
    let faces: Vec<String> = d
        .faces
        .iter()
        .map(|f| {
            let verdict = if f.looking_away { ", looking away" } else { "" };
            format!(
                "face {:.2} (yaw {:+.0}°, pitch {:+.0}°, roll {:+.0}°{verdict})",
                f.score, f.yaw_deg, f.pitch_deg, f.roll_deg
            )
        })
        .collect();
    let objects: Vec<String> = d
        .objects
        .iter()
        .flatten()
        .map(|o| format!("{} \"{}\" {:.2}", o.class.as_str(), o.label, o.score))
        .collect();
    let mut parts = vec![format!("{} face(s)", d.faces.len())];
    parts.extend(faces);
    parts.extend(objects);
    parts.push(format!("{:.1} ms", d.inference_ms.total_ms));
    parts.join(", ")
}
