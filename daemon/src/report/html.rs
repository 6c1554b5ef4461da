//! The report as one self-contained HTML page (inline CSS and SVG, no scripts, nothing
//! fetched), for the kiosk's web page and for proctors' browsers. Every text that comes
//! from outside (candidate, exam, labels, notes, model names) is escaped.

use std::fmt::Write;

use html_escape::{encode_double_quoted_attribute as attr, encode_text as text};

use super::format::{
    clock_steps_text, details_text, duration_text, evidence_text, kind_colour, kind_title,
    offset_text, points_text, threshold_rows, wall_time_text,
};
use super::model::Report;
use super::review::decision_text;
use super::timeline::Timeline;
use crate::store::Decision;

const STYLE: &str = "
body { font-family: 'DejaVu Sans', Verdana, sans-serif; color: #222; margin: 2rem auto; max-width: 60rem; padding: 0 1rem; }
header { display: flex; justify-content: space-between; align-items: center; border-bottom: 2px solid #333; }
h1 { font-size: 1.6rem; margin: 0.5rem 0; }
h2 { font-size: 1.15rem; margin-top: 2rem; border-bottom: 1px solid #ccc; }
.score { text-align: right; }
.scores { display: flex; gap: 2rem; }
.dismissed td { color: #888; }
.dismissed td:nth-child(2) { text-decoration: line-through; }
.score b { font-size: 2.6rem; }
.score small { display: block; color: #666; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.2rem 1.5rem; }
dt { color: #666; }
dd { margin: 0; }
table { border-collapse: collapse; width: 100%; font-size: 0.92rem; }
th, td { text-align: left; padding: 0.25rem 0.5rem; border-bottom: 1px solid #e3e3e3; vertical-align: top; }
th { background: #f2f2f2; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.total td { font-weight: bold; border-top: 2px solid #333; }
code { font-size: 0.85em; color: #555; }
.swatch { display: inline-block; width: 0.8em; height: 0.8em; margin-right: 0.4em; border-radius: 2px; }
.note { color: #555; font-size: 0.9rem; }
.open { font-style: italic; color: #a00; }
svg text { font-family: inherit; font-size: 12px; fill: #333; }
";

pub fn render_html(report: &Report) -> String {
    let mut page = String::with_capacity(16 * 1024);
    // Writing into a String cannot fail.
    let _ = write_page(&mut page, report);
    page
}

fn write_page(out: &mut String, r: &Report) -> std::fmt::Result {
    writeln!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">"
    )?;
    writeln!(
        out,
        "<title>Integrity report – {}</title>\n<style>{STYLE}</style>\n</head>\n<body>",
        text(&r.candidate)
    )?;
    match &r.review {
        None => writeln!(
            out,
            "<header><h1>Exam integrity report</h1><div class=\"score\"><b>{}</b> / 100<small>integrity score</small></div></header>",
            points_text(r.score)
        )?,
        // The detector's score and the reviewed one side by side.
        Some(review) => writeln!(
            out,
            "<header><h1>Exam integrity report</h1><div class=\"scores\"><div class=\"score\" id=\"detector-score\"><b>{}</b> / 100<small>detector's score</small></div><div class=\"score\" id=\"reviewed-score\"><b>{}</b> / 100<small>reviewed score ({} confirmed, {} dismissed, {} undecided)</small></div></div></header>",
            points_text(r.score),
            points_text(review.reviewed_score),
            review.confirmed,
            review.dismissed,
            review.undecided
        )?,
    }
    write_summary(out, r)?;
    write_timeline(out, r)?;
    write_events(out, r)?;
    write_deductions(out, r)?;
    write_health(out, r)?;
    write_models(out, r)?;
    write_evidence_chain(out, r)?;
    write_thresholds(out, r)?;
    write_access_log(out, r)?;
    writeln!(out, "</body>\n</html>")
}

fn write_summary(out: &mut String, r: &Report) -> std::fmt::Result {
    writeln!(out, "<section><dl>")?;
    let mut row =
        |label: &str, value: String| writeln!(out, "<dt>{label}</dt><dd>{}</dd>", text(&value));
    row("Candidate", r.candidate.clone())?;
    row("Exam", r.exam_id.clone().unwrap_or_else(|| "—".into()))?;
    row("Session", r.session_id.to_string())?;
    row("Started", wall_time_text(r.started_at))?;
    row(
        if r.in_progress {
            "Report made (session still running)"
        } else {
            "Ended"
        },
        wall_time_text(r.ended_at),
    )?;
    row("Duration", duration_text(r.duration_s))?;
    row(
        "Focus lost",
        format!("{} time(s) (no face or looking away)", r.focus_lost_count),
    )?;
    row("Events", r.events.len().to_string())?;
    writeln!(out, "</dl></section>")
}

fn write_timeline(out: &mut String, r: &Report) -> std::fmt::Result {
    const WIDTH: f64 = 960.0;
    const LABEL_W: f64 = 150.0;
    const LANE_H: f64 = 26.0;
    const AXIS_H: f64 = 24.0;
    let timeline = Timeline::of(r, 10);
    writeln!(out, "<section><h2>Timeline</h2>")?;
    if timeline.lanes.is_empty() {
        return writeln!(
            out,
            "<p class=\"note\">No events in this session.</p></section>"
        );
    }
    // Room on the right for the last tick label, centred on the end of the axis.
    let plot_w = WIDTH - LABEL_W - 24.0;
    let height = timeline.lanes.len() as f64 * LANE_H + AXIS_H;
    let x = |frac: f64| LABEL_W + frac * plot_w;
    writeln!(
        out,
        "<svg viewBox=\"0 0 {WIDTH} {height}\" width=\"100%\" role=\"img\" aria-label=\"Events over the session\">"
    )?;
    for (i, lane) in timeline.lanes.iter().enumerate() {
        let y = i as f64 * LANE_H;
        let (red, green, blue) = kind_colour(lane.kind);
        let fill = if i % 2 == 0 { "#f7f7f7" } else { "#ffffff" };
        writeln!(
            out,
            "<rect x=\"0\" y=\"{y}\" width=\"{WIDTH}\" height=\"{LANE_H}\" fill=\"{fill}\"/>"
        )?;
        writeln!(
            out,
            "<text x=\"4\" y=\"{:.1}\">{}</text>",
            y + LANE_H * 0.65,
            kind_title(lane.kind)
        )?;
        for bar in &lane.bars {
            // Short events stay visible as a 2-unit sliver.
            let w = (x(bar.end) - x(bar.start)).max(2.0);
            let opacity = if bar.open { "0.55" } else { "1" };
            writeln!(
                out,
                "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{w:.1}\" height=\"{:.1}\" fill=\"rgb({red},{green},{blue})\" fill-opacity=\"{opacity}\"><title>{} at {} for {}{}</title></rect>",
                x(bar.start),
                y + 5.0,
                LANE_H - 10.0,
                kind_title(lane.kind),
                offset_text(bar.offset_s),
                duration_text(bar.duration_s),
                if bar.open { " (open)" } else { "" },
            )?;
        }
    }
    let axis_y = timeline.lanes.len() as f64 * LANE_H;
    writeln!(
        out,
        "<line x1=\"{LABEL_W}\" y1=\"{axis_y}\" x2=\"{:.1}\" y2=\"{axis_y}\" stroke=\"#333\"/>",
        x(1.0)
    )?;
    for tick in &timeline.ticks {
        let tx = x(tick.at);
        writeln!(
            out,
            "<line x1=\"{tx:.1}\" y1=\"{axis_y}\" x2=\"{tx:.1}\" y2=\"{:.1}\" stroke=\"#333\"/>",
            axis_y + 4.0
        )?;
        writeln!(
            out,
            "<text x=\"{tx:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            axis_y + 17.0,
            offset_text(tick.seconds)
        )?;
    }
    writeln!(
        out,
        "</svg>\n<p class=\"note\">Time since the session started. Faded bars are events still open at the end.</p></section>"
    )
}

fn write_events(out: &mut String, r: &Report) -> std::fmt::Result {
    writeln!(out, "<section><h2>Events</h2>")?;
    if r.events.is_empty() {
        return writeln!(out, "<p class=\"note\">No events.</p></section>");
    }
    writeln!(
        out,
        "<table><thead><tr><th>#</th><th>Kind</th><th>At</th><th>Clock time</th><th class=\"num\">Duration</th><th>Details (detector)</th><th>Review</th><th>Clip</th></tr></thead><tbody>"
    )?;
    for (i, e) in r.events.iter().enumerate() {
        let (red, green, blue) = kind_colour(e.kind);
        let duration = if e.open {
            format!(
                "{} <span class=\"open\">(open)</span>",
                text(&duration_text(e.duration_s))
            )
        } else {
            text(&duration_text(e.duration_s)).into_owned()
        };
        let decision = r
            .review
            .as_ref()
            .and_then(|review| review.decision_for(e.id));
        let class = match decision.map(|d| d.decision) {
            Some(Decision::Dismissed) => " class=\"dismissed\"",
            Some(Decision::Confirmed) => " class=\"confirmed\"",
            None => "",
        };
        writeln!(
            out,
            "<tr{class} id=\"event-{}\"><td>{}</td><td><span class=\"swatch\" style=\"background: rgb({red},{green},{blue})\"></span>{} <code>{}</code></td><td>{}</td><td>{}</td><td class=\"num\">{duration}</td><td>{}</td><td>{}</td><td><a href=\"/api/detections/{}/clip\">clip</a></td></tr>",
            e.id,
            i + 1,
            kind_title(e.kind),
            e.kind.as_str(),
            offset_text(e.offset_s),
            text(&wall_time_text(e.started_at)),
            text(&details_text(&e.details)),
            text(&decision.map_or_else(|| "—".to_string(), decision_text)),
            e.id,
        )?;
    }
    writeln!(out, "</tbody></table></section>")
}

fn write_deductions(out: &mut String, r: &Report) -> std::fmt::Result {
    writeln!(out, "<section><h2>Deductions</h2>")?;
    writeln!(
        out,
        "<table><thead><tr><th>Kind</th><th class=\"num\">Events</th><th class=\"num\">Seconds</th><th class=\"num\">Points</th></tr></thead><tbody>"
    )?;
    for line in &r.deductions {
        writeln!(
            out,
            "<tr><td>{} <code>{}</code></td><td class=\"num\">{}</td><td class=\"num\">{:.1}</td><td class=\"num\">−{}{}</td></tr>",
            kind_title(line.kind),
            line.kind.as_str(),
            line.count,
            line.seconds,
            points_text(line.points),
            if line.capped { " (cap)" } else { "" }
        )?;
    }
    writeln!(
        out,
        "<tr class=\"total\"><td>Total deducted</td><td></td><td></td><td class=\"num\">−{}</td></tr>",
        points_text(r.deducted)
    )?;
    writeln!(
        out,
        "<tr class=\"total\"><td>Integrity score (100 − deductions, at least 0)</td><td></td><td></td><td class=\"num\">{}</td></tr>",
        points_text(r.score)
    )?;
    writeln!(
        out,
        "</tbody></table><p class=\"note\">Camera loss, recording faults and the kiosk software being down are kiosk faults: listed, never charged to the candidate.</p></section>"
    )
}

fn write_health(out: &mut String, r: &Report) -> std::fmt::Result {
    let h = &r.health;
    writeln!(out, "<section><h2>Kiosk health</h2><dl>")?;
    let mut row =
        |label: &str, value: String| writeln!(out, "<dt>{label}</dt><dd>{}</dd>", text(&value));
    row("Camera frame rate", format!("{:.1} fps", h.camera_fps))?;
    row(
        "Frames captured / analysed",
        format!("{} / {}", h.frames_captured, h.frames_analysed),
    )?;
    row("Frames skipped by analysis", h.dropped_frames.to_string())?;
    row(
        "Camera outages",
        format!(
            "{} ({})",
            h.camera_outages,
            duration_text(h.camera_outage_s)
        ),
    )?;
    row(
        "Mean inference time",
        format!("{:.1} ms", h.mean_inference_ms),
    )?;
    row("Evidence completeness", evidence_text(&r.evidence))?;
    row("Wall-clock steps", clock_steps_text(&h.clock_steps))?;
    writeln!(out, "</dl></section>")
}

fn write_models(out: &mut String, r: &Report) -> std::fmt::Result {
    writeln!(out, "<section><h2>Models</h2>")?;
    if r.models.is_empty() {
        return writeln!(out, "<p class=\"note\">Not recorded.</p></section>");
    }
    writeln!(
        out,
        "<table><thead><tr><th>Name</th><th>File</th><th>Licence</th><th>SHA-256</th></tr></thead><tbody>"
    )?;
    for m in &r.models {
        writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td><code title=\"{}\">{}</code></td></tr>",
            text(&m.name),
            text(&m.file),
            text(&m.licence),
            attr(&m.sha256),
            text(&m.sha256)
        )?;
    }
    writeln!(out, "</tbody></table></section>")
}

fn write_evidence_chain(out: &mut String, r: &Report) -> std::fmt::Result {
    let Some(head) = &r.evidence_chain else {
        return Ok(());
    };
    writeln!(
        out,
        "<section><h2>Evidence chain</h2><p>{} stored record(s); chain head <code>{}</code>. <span class=\"note\">proctord verify recomputes it and every recording's SHA-256.</span></p></section>",
        head.records,
        text(&head.sha256)
    )
}

fn write_thresholds(out: &mut String, r: &Report) -> std::fmt::Result {
    writeln!(out, "<section><h2>Thresholds</h2><table><tbody>")?;
    for (key, value) in threshold_rows(&r.thresholds) {
        writeln!(
            out,
            "<tr><td><code>{}</code></td><td>{}</td></tr>",
            text(&key),
            text(&value)
        )?;
    }
    writeln!(out, "</tbody></table></section>")
}

fn write_access_log(out: &mut String, r: &Report) -> std::fmt::Result {
    writeln!(out, "<section><h2>Access log</h2>")?;
    if r.access_log.is_empty() {
        return writeln!(
            out,
            "<p class=\"note\">Nobody had viewed or downloaded this session's report, recording or clips when this report was made.</p></section>"
        );
    }
    writeln!(
        out,
        "<table id=\"access-log\"><thead><tr><th>When</th><th>Who</th><th>From</th><th>What</th><th>Which</th></tr></thead><tbody>"
    )?;
    for entry in &r.access_log {
        writeln!(
            out,
            "<tr><td>{}</td><td>{} ({}, {})</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            text(&wall_time_text(entry.at)),
            text(&entry.who),
            text(&entry.role),
            text(&entry.via),
            text(&entry.from),
            entry.action.as_str(),
            text(&entry.subject),
        )?;
    }
    writeln!(out, "</tbody></table></section>")
}
