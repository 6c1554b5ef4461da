//! The rendered reports: a real PDF checked with poppler (pdftotext, pdftoppm) and a
//! self-contained HTML page.
//!
//! Set `REPORT_PREVIEW_DIR` to keep the rendered PDF, its page images and the HTML there.

use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::{DateTime, TimeZone, Utc};
use proctord::config::{DetectionConfig, RulesConfig, ScoringConfig};
use proctord::event::{EventDetails, EventKind, Phase, ProctorEvent, RuleEvent};
use proctord::report::{
    ModelUsed, Report, ReportError, ReportFonts, render_html, render_pdf, render_pdf_with_fonts,
};
use proctord::session::{Session, SessionHealth};
use uuid::Uuid;

const CANDIDATE: &str = "Zoë Łukasiewicz-O'Brien";

fn session_start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 1, 9, 0, 0).unwrap()
}

fn records(
    kind: EventKind,
    start_s: f64,
    end_s: Option<f64>,
    details: EventDetails,
) -> Vec<ProctorEvent> {
    let id = Uuid::now_v7();
    let rule = |phase, ended_at_s| RuleEvent {
        id,
        kind,
        phase,
        started_at_s: start_s,
        ended_at_s,
        details: details.clone(),
    };
    let mut out = vec![ProctorEvent::from_rule(
        &rule(Phase::Start, None),
        None,
        session_start(),
    )];
    if let Some(end) = end_s {
        out.push(ProctorEvent::from_rule(
            &rule(Phase::End, Some(end)),
            None,
            session_start(),
        ));
    }
    out
}

fn object(label: &str, score: f32) -> EventDetails {
    EventDetails {
        label: Some(label.into()),
        best_score: Some(score),
        ..EventDetails::default()
    }
}

/// A 50-minute session with every kind the rules produce, a kiosk fault and an open event.
fn sample_report(candidate: &str) -> Report {
    let session = Session {
        id: Uuid::now_v7(),
        candidate: candidate.into(),
        exam_id: Some("MATH-101 <final>".into()),
        notes: None,
        started_at: session_start(),
        ended_at: Some(session_start() + chrono::Duration::minutes(50)),
    };
    let mut stored = Vec::new();
    stored.extend(records(
        EventKind::NoFace,
        120.0,
        Some(134.5),
        EventDetails::default(),
    ));
    stored.extend(records(
        EventKind::LookingAway,
        400.0,
        Some(407.2),
        EventDetails::default(),
    ));
    stored.extend(records(
        EventKind::LookingAway,
        1210.0,
        Some(1236.0),
        EventDetails::default(),
    ));
    stored.extend(records(
        EventKind::MultipleFaces,
        900.0,
        Some(930.0),
        EventDetails {
            max_faces: Some(3),
            ..EventDetails::default()
        },
    ));
    stored.extend(records(
        EventKind::PhoneDetected,
        1500.0,
        Some(1512.0),
        object("cell phone", 0.87),
    ));
    stored.extend(records(
        EventKind::NotesDetected,
        1800.0,
        Some(1830.0),
        object("book", 0.64),
    ));
    stored.extend(records(
        EventKind::DeviceDetected,
        2100.0,
        Some(2160.0),
        object("laptop", 0.71),
    ));
    stored.extend(records(
        EventKind::CameraLost,
        2400.0,
        Some(2445.0),
        EventDetails::default(),
    ));
    stored.extend(records(
        EventKind::NoFace,
        2900.0,
        None,
        EventDetails::default(),
    ));
    let health = SessionHealth {
        camera_fps: 29.8,
        frames_captured: 89_400,
        frames_analysed: 29_750,
        dropped_frames: 59_650,
        camera_outages: 1,
        camera_outage_s: 45.0,
        mean_inference_ms: 17.4,
        ..SessionHealth::default()
    };
    let models = vec![
        ModelUsed {
            name: "blazeface_128x128_quant".into(),
            file: "face_detection_short_range.tflite".into(),
            sha256: "3bc182eb9f33925d9e58b5c8d59308a760f4adea8f282370e428c51212c26633".into(),
            licence: "Apache-2.0".into(),
        },
        ModelUsed {
            name: "ssd_mobilenet_v1_quant".into(),
            file: "detect.tflite".into(),
            sha256: "0d1b2f9e5c1f7c6bd31c8d4b3f27a4e1b5c26a4d3d6f7b8e9a0c1d2e3f4a5b6c".into(),
            licence: "Apache-2.0".into(),
        },
    ];
    Report::build(
        &session,
        &stored,
        &health,
        models,
        &RulesConfig::default(),
        &ScoringConfig::default(),
    )
    .with_detection_thresholds(&DetectionConfig::default())
}

const CHARGED_AND_KIOSK_KINDS: [EventKind; 7] = [
    EventKind::NoFace,
    EventKind::LookingAway,
    EventKind::MultipleFaces,
    EventKind::PhoneDetected,
    EventKind::NotesDetected,
    EventKind::DeviceDetected,
    EventKind::CameraLost,
];

fn work_dir() -> tempfile::TempDir {
    tempfile::tempdir().expect("a temporary directory")
}

fn run(program: &str, args: &[&str]) -> std::process::Output {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program} (poppler-utils) must be installed: {e}"));
    assert!(
        out.status.success(),
        "{program} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn keep_for_preview(files: &[PathBuf]) {
    let Some(dir) = std::env::var_os("REPORT_PREVIEW_DIR") else {
        return;
    };
    std::fs::create_dir_all(&dir).unwrap();
    for f in files {
        std::fs::copy(f, Path::new(&dir).join(f.file_name().unwrap())).unwrap();
    }
}

/// Share of pixels that are not near-white.
fn ink_share(png: &Path) -> f64 {
    let image = image::open(png).expect("pdftoppm writes a PNG").to_rgb8();
    let inked = image
        .pixels()
        .filter(|p| p.0.iter().any(|&c| c < 200))
        .count();
    inked as f64 / (image.width() * image.height()) as f64
}

#[test]
fn the_pdf_report_has_extractable_text_with_the_candidate_the_score_and_every_event_kind() {
    let report = sample_report(CANDIDATE);
    let dir = work_dir();
    let pdf = dir.path().join("report.pdf");
    std::fs::write(&pdf, render_pdf(&report).unwrap()).unwrap();

    let text = String::from_utf8(run("pdftotext", &["-layout", pdf.to_str().unwrap(), "-"]).stdout)
        .unwrap();
    assert!(text.contains(CANDIDATE), "candidate missing from:\n{text}");
    let score = format!("{:.1}", report.score);
    assert!(text.contains(&score), "score {score} missing from:\n{text}");
    for kind in CHARGED_AND_KIOSK_KINDS {
        assert!(
            text.contains(kind.as_str()),
            "{} missing from:\n{text}",
            kind.as_str()
        );
    }
    assert!(
        text.contains("cell phone (87 %)"),
        "object details missing from:\n{text}"
    );
    assert!(
        text.contains("(open)"),
        "the open event is not marked:\n{text}"
    );
}

#[test]
fn the_pdf_report_renders_to_non_blank_page_images() {
    let report = sample_report(CANDIDATE);
    let dir = work_dir();
    let pdf = dir.path().join("report.pdf");
    std::fs::write(&pdf, render_pdf(&report).unwrap()).unwrap();

    let prefix = dir.path().join("page");
    run(
        "pdftoppm",
        &[
            "-png",
            "-r",
            "60",
            pdf.to_str().unwrap(),
            prefix.to_str().unwrap(),
        ],
    );
    let mut pages: Vec<PathBuf> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "png"))
        .collect();
    pages.sort();
    assert!(!pages.is_empty(), "pdftoppm produced no page image");
    let first = ink_share(&pages[0]);
    // A page of text, tables and a chart inks a few percent of its pixels; a blank
    // page (fonts missing, content stream empty) inks none.
    assert!(
        first > 0.02,
        "the first page is blank ({:.4} of its pixels inked)",
        first
    );

    let mut keep = pages.clone();
    keep.push(pdf);
    keep_for_preview(&keep);
}

#[test]
fn a_session_with_many_events_flows_onto_more_pages_with_every_event_listed() {
    let session = Session {
        id: Uuid::now_v7(),
        candidate: "Many Events".into(),
        exam_id: None,
        notes: None,
        started_at: session_start(),
        ended_at: Some(session_start() + chrono::Duration::hours(2)),
    };
    let stored: Vec<_> = (0..90)
        .flat_map(|i| {
            records(
                EventKind::LookingAway,
                f64::from(i) * 75.0,
                Some(f64::from(i) * 75.0 + 6.0),
                EventDetails::default(),
            )
        })
        .collect();
    let report = Report::build(
        &session,
        &stored,
        &SessionHealth::default(),
        vec![],
        &RulesConfig::default(),
        &ScoringConfig::default(),
    );
    let dir = work_dir();
    let pdf = dir.path().join("long.pdf");
    std::fs::write(&pdf, render_pdf(&report).unwrap()).unwrap();

    let info = String::from_utf8(run("pdfinfo", &[pdf.to_str().unwrap()]).stdout).unwrap();
    let pages: u32 = info
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(
        pages >= 3,
        "90 event rows should take several pages, got {pages}"
    );
    let text = String::from_utf8(run("pdftotext", &["-layout", pdf.to_str().unwrap(), "-"]).stdout)
        .unwrap();
    // `looking_away_after_s` in the thresholds is not an event row.
    let kind_mentions =
        text.matches("looking_away").count() - text.matches("looking_away_").count();
    assert_eq!(
        kind_mentions,
        90 + 1,
        "every event row plus its deduction line"
    );
    assert!(text.contains(&format!("Page {pages} of {pages}")));
}

#[test]
fn a_missing_font_directory_is_a_clear_error() {
    let err = ReportFonts::from_dir(Path::new("/nonexistent/fonts"))
        .err()
        .expect("no fonts there");
    assert!(matches!(err, ReportError::FontRead { .. }));
    assert!(
        err.to_string()
            .contains("/nonexistent/fonts/DejaVuSans.ttf"),
        "{err}"
    );
}

#[test]
fn the_pdf_can_use_fonts_from_another_directory() {
    let dir = work_dir();
    std::fs::copy(
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        dir.path().join("DejaVuSans.ttf"),
    )
    .unwrap();
    let fonts = ReportFonts::from_dir(dir.path()).unwrap();
    let bytes = render_pdf_with_fonts(&sample_report("Regular Only"), &fonts).unwrap();
    assert!(bytes.starts_with(b"%PDF-"));
}

#[test]
fn the_html_report_is_self_contained_escaped_and_lists_every_event_kind() {
    let html = render_html(&sample_report("<script>alert('x')</script> Zoë"));
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(
        !html.contains("<script>"),
        "the candidate's name must be escaped"
    );
    assert!(html.contains("&lt;script&gt;"));
    assert!(html.contains("MATH-101 &lt;final&gt;"));
    for kind in CHARGED_AND_KIOSK_KINDS {
        assert!(html.contains(kind.as_str()), "{} missing", kind.as_str());
    }
    assert!(html.contains("<svg"), "the timeline is inline SVG");
    for external in ["src=\"http", "href=\"http", "<link", "<script"] {
        assert!(
            !html.contains(external),
            "the page must not load {external}"
        );
    }
    if let Some(dir) = std::env::var_os("REPORT_PREVIEW_DIR") {
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(Path::new(&dir).join("report.html"), &html).unwrap();
    }
}
