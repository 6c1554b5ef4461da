//! `proctord analyze`: the daemon's pipeline on a recording, offline and deterministic.

use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::capture::{FrameSource, VideoFileOptions, VideoFileSource};
use crate::event::{EventDetails, EventKind, ProctorEvent, RuleEvent};
use crate::inference::{Detector, ObjectsMode};
use crate::pipeline::{Analysis, FrameSelector};
use crate::report::{ModelUsed, Report, render_html, render_pdf};
use crate::session::{Session, SessionHealth};

#[derive(Serialize)]
struct AnalyzedEvent {
    kind: EventKind,
    started_at_s: f64,
    ended_at_s: f64,
    duration_s: f64,
    details: EventDetails,
}

#[derive(Serialize)]
struct Summary {
    duration_s: f64,
    frames: u64,
    frames_analysed: u64,
    events: Vec<AnalyzedEvent>,
    focus_lost_count: u32,
    integrity_score: f64,
}

pub struct AnalyzeArgs<'a> {
    pub input: &'a Path,
    pub config: Option<&'a Path>,
    pub candidate: Option<&'a str>,
    pub report_pdf: Option<&'a Path>,
    pub report_html: Option<&'a Path>,
    pub json: bool,
}

pub fn run(args: AnalyzeArgs) -> anyhow::Result<ExitCode> {
    let cfg = super::load_config(args.config)?;
    let mut detector = Detector::from_config(&cfg).context("cannot start the detector")?;
    // The object model on its own thread, overlapping the face path of the next frames,
    // in lockstep so the same recording always gives the same report.
    detector
        .set_objects_mode(ObjectsMode::Lockstep)
        .context("cannot start the object stage's thread")?;
    let models: Vec<ModelUsed> = detector.models().iter().map(ModelUsed::from).collect();
    let mut analysis = Analysis::new(detector, &cfg);
    // Frames the analysis would skip are dropped before their conversion to RGB.
    let mut source = VideoFileSource::open_selecting(
        args.input,
        VideoFileOptions {
            realtime: false,
            loop_file: false,
            // Frames not due are dropped before conversion; the rest convert in the
            // decoding thread, beside the analysis.
            yuv_until_analysed: false,
        },
        Some(FrameSelector::new(&cfg)),
    )?;

    let mut rule_events: Vec<RuleEvent> = Vec::new();
    let (mut delivered, mut analysed, mut inference_ms) = (0u64, 0u64, 0f64);
    let mut end = Duration::ZERO;
    let mut frame_interval = Duration::ZERO;
    while let Some(frame) = source.next_frame()? {
        delivered += 1;
        if frame.pts > end {
            frame_interval = frame.pts - end;
        }
        end = end.max(frame.pts);
        if let Some(a) = analysis.process(&frame)? {
            analysed += 1;
            inference_ms += a.detections.inference_ms.total_ms as f64;
            rule_events.extend(a.events);
        }
    }
    // Every decoded frame counts, also those dropped before conversion (a file without
    // timestamps is counted by its delivered frames).
    let timeline = source.timeline();
    let frames = delivered.max(timeline.frames);
    if timeline.last_pts >= end && timeline.frames >= delivered {
        (end, frame_interval) = (timeline.last_pts, timeline.last_interval);
    }
    // The input lasts until the end of its last frame.
    let duration = end + frame_interval;
    rule_events.extend(analysis.finish(duration));

    // The recording's own time (its file's modification time, taken as its end) places
    // it on the wall clock: the same file always gives the same report.
    let epoch: DateTime<Utc> = std::fs::metadata(args.input)
        .and_then(|m| m.modified())
        .map(|t| {
            DateTime::<Utc>::from(t) - chrono::Duration::microseconds(duration.as_micros() as i64)
        })
        .unwrap_or(DateTime::UNIX_EPOCH);
    let session = Session {
        id: Uuid::nil(),
        candidate: args.candidate.unwrap_or("(recording)").to_string(),
        exam_id: None,
        notes: Some(format!("analysed from {}", args.input.display())),
        started_at: epoch,
        ended_at: Some(epoch + chrono::Duration::microseconds(duration.as_micros() as i64)),
    };
    let records: Vec<ProctorEvent> = rule_events
        .iter()
        .map(|e| ProctorEvent::from_rule(e, Some(session.id), epoch))
        .collect();
    let health = SessionHealth {
        camera_fps: if duration.is_zero() {
            0.0
        } else {
            (frames as f64 / duration.as_secs_f64()) as f32
        },
        frames_captured: frames,
        frames_analysed: analysed,
        mean_inference_ms: if analysed == 0 {
            0.0
        } else {
            (inference_ms / analysed as f64) as f32
        },
        ..SessionHealth::default()
    };
    let report = Report::build(
        &session,
        &records,
        &health,
        models,
        &cfg.rules,
        &cfg.scoring,
    )
    .with_detection_thresholds(&cfg.detection);

    if let Some(path) = args.report_pdf {
        std::fs::write(path, render_pdf(&report)?)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    if let Some(path) = args.report_html {
        std::fs::write(path, render_html(&report))
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    let summary = Summary {
        duration_s: duration.as_secs_f64(),
        frames,
        frames_analysed: analysed,
        events: report
            .events
            .iter()
            .map(|e| AnalyzedEvent {
                kind: e.kind,
                started_at_s: e.offset_s,
                ended_at_s: e.offset_s + e.duration_s,
                duration_s: e.duration_s,
                details: e.details.clone(),
            })
            .collect(),
        focus_lost_count: report.focus_lost_count,
        integrity_score: report.score,
    };
    if args.json {
        println!("{}", serde_json::to_string(&summary)?);
    } else {
        println!(
            "{}: {:.1} s, {} frames ({} analysed)",
            args.input.display(),
            summary.duration_s,
            frames,
            analysed
        );
        for e in &summary.events {
            println!(
                "  {:>8.1}s – {:>8.1}s  {:<16} {}",
                e.started_at_s,
                e.ended_at_s,
                e.kind.as_str(),
                crate::report::format::details_text(&e.details)
            );
        }
        println!(
            "focus lost {} time(s); integrity score {:.1}",
            summary.focus_lost_count, summary.integrity_score
        );
    }
    Ok(ExitCode::SUCCESS)
}
