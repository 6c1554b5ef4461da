//! The report's sections, top to bottom.

use super::canvas::{CONTENT_W_MM, Canvas, Colour, MARGIN_MM, PAGE_H_MM, PAGE_W_MM, TextStyle};
use super::chart::draw_timeline;
use super::table::{Cell, Column, Row, draw_table, table_height};
use crate::report::format::{
    clock_steps_text, clock_text, details_text, duration_text, evidence_text, kind_colour,
    kind_title, offset_text, points_text, threshold_rows, wall_time_text,
};
use crate::report::model::Report;
use crate::report::review::decision_text;

const H1: TextStyle = TextStyle::bold(18.0);
const H2: TextStyle = TextStyle::bold(12.0);
const LABEL: TextStyle = TextStyle::regular(9.0).coloured(Colour::MUTED);
const VALUE: TextStyle = TextStyle::regular(9.0);
const NOTE: TextStyle = TextStyle::regular(8.0).coloured(Colour::MUTED);

pub fn draw_report(canvas: &mut Canvas, r: &Report) {
    draw_title_and_score(canvas, r);
    draw_summary(canvas, r);
    heading(canvas, "Timeline", 40.0);
    draw_timeline(canvas, r);
    heading(canvas, "Events", table_height(r.events.len().min(4)));
    draw_events(canvas, r);
    heading(
        canvas,
        "Deductions",
        table_height(r.deductions.len() + 2) + 7.0,
    );
    draw_deductions(canvas, r);
    heading(canvas, "Kiosk health", 30.0);
    draw_health(canvas, r);
    let chain_rows = usize::from(r.evidence_chain.is_some());
    heading(canvas, "Models", table_height(r.models.len() + chain_rows));
    draw_models(canvas, r);
    heading(canvas, "Thresholds", 45.0);
    draw_thresholds(canvas, r);
    heading(
        canvas,
        "Access log",
        table_height(r.access_log.len().min(4)),
    );
    draw_access_log(canvas, r);
}

fn draw_access_log(canvas: &mut Canvas, r: &Report) {
    if r.access_log.is_empty() {
        canvas.text(
            MARGIN_MM,
            canvas.y + 4.0,
            NOTE,
            "Nobody had viewed or downloaded this session's data when this report was made.",
        );
        canvas.y += 8.0;
        return;
    }
    let columns = [
        Column::left("When (UTC)", 0.22),
        Column::left("Who", 0.22),
        Column::left("From", 0.16),
        Column::left("What", 0.20),
        Column::left("Which", 0.20),
    ];
    let rows: Vec<Row> = r
        .access_log
        .iter()
        .map(|a| {
            Row::new(vec![
                Cell::from(wall_time_text(a.at)),
                Cell::from(format!("{} ({})", a.who, a.role)),
                Cell::from(a.from.clone()),
                Cell::from(a.action.as_str().to_owned()),
                Cell::from(a.subject.clone()),
            ])
        })
        .collect();
    draw_table(canvas, &columns, &rows);
}

/// Footer on every page, once the page count is known.
pub fn draw_footer(canvas: &mut Canvas, r: &Report, page: usize, pages: usize) {
    let y = PAGE_H_MM - 10.0;
    canvas.line(
        (MARGIN_MM, y - 4.0),
        (PAGE_W_MM - MARGIN_MM, y - 4.0),
        Colour::RULE,
        0.5,
    );
    let left = format!(
        "Exam integrity report · {} · session {}",
        r.candidate, r.session_id
    );
    let left = canvas.fit(&left, NOTE, CONTENT_W_MM - 25.0);
    canvas.text(MARGIN_MM, y, NOTE, &left);
    canvas.text_right(
        PAGE_W_MM - MARGIN_MM,
        y,
        NOTE,
        &format!("Page {page} of {pages}"),
    );
}

/// A section heading, on a new page unless `keep_with_next` millimetres of its section
/// (all of a short one) fit below it on this page.
fn heading(canvas: &mut Canvas, title: &str, keep_with_next: f32) {
    const HEADING_H: f32 = 12.5;
    canvas.ensure_room(HEADING_H + keep_with_next.min(PAGE_H_MM / 2.0));
    canvas.y += 3.0;
    canvas.text(MARGIN_MM, canvas.y + 4.5, H2, title);
    canvas.y += 6.5;
    canvas.line(
        (MARGIN_MM, canvas.y),
        (MARGIN_MM + CONTENT_W_MM, canvas.y),
        Colour::RULE,
        0.6,
    );
    canvas.y += 3.0;
}

fn draw_title_and_score(canvas: &mut Canvas, r: &Report) {
    let top = canvas.y;
    canvas.text(MARGIN_MM, top + 7.0, H1, "Exam integrity report");
    let subtitle = if r.in_progress {
        "Session still running: figures so far"
    } else {
        "Session ended"
    };
    canvas.text(MARGIN_MM, top + 13.0, NOTE, subtitle);

    // The score box on the right, coloured by how worrying the score is.
    let (box_w, box_h) = (46.0, 24.0);
    let box_x = MARGIN_MM + CONTENT_W_MM - box_w;
    let band = if r.score >= 80.0 {
        Colour(44, 160, 44)
    } else if r.score >= 50.0 {
        Colour(230, 140, 20)
    } else {
        Colour(200, 40, 40)
    };
    canvas.fill_rect(box_x, top, box_w, box_h, band.lighter(0.85));
    canvas.stroke_rect(box_x, top, box_w, box_h, band, 1.2);
    let centre = box_x + box_w / 2.0;
    canvas.text_centred(
        centre,
        top + 6.0,
        TextStyle::regular(7.5).coloured(Colour::MUTED),
        "Integrity score",
    );
    let score = points_text(r.score);
    let score_style = TextStyle::bold(24.0).coloured(band);
    let out_of = TextStyle::regular(10.0).coloured(Colour::MUTED);
    let total_w = canvas.text_width(&score, score_style) + 1.0 + canvas.text_width("/ 100", out_of);
    let score_x = centre - total_w / 2.0;
    canvas.text(score_x, top + 18.0, score_style, &score);
    canvas.text(
        score_x + canvas.text_width(&score, score_style) + 1.0,
        top + 18.0,
        out_of,
        "/ 100",
    );
    canvas.text_centred(
        centre,
        top + 22.3,
        TextStyle::regular(6.5).coloured(Colour::MUTED),
        &format!("{} points deducted", points_text(r.deducted)),
    );
    canvas.y = top + 17.0;
}

fn draw_summary(canvas: &mut Canvas, r: &Report) {
    let rows = [
        ("Candidate", r.candidate.clone()),
        ("Exam", r.exam_id.clone().unwrap_or_else(|| "—".into())),
        ("Session", r.session_id.to_string()),
        ("Started", wall_time_text(r.started_at)),
        (
            if r.in_progress {
                "Report made"
            } else {
                "Ended"
            },
            wall_time_text(r.ended_at),
        ),
        ("Duration", duration_text(r.duration_s)),
        (
            "Focus lost",
            format!("{} time(s): no face or looking away", r.focus_lost_count),
        ),
        ("Events", r.events.len().to_string()),
    ];
    let mut rows = rows.to_vec();
    if let Some(review) = &r.review {
        // Beside the detector's score in the box: what the reviewers made of it.
        rows.push((
            "Reviewed score",
            format!(
                "{} / 100 ({} confirmed, {} dismissed, {} undecided; detector {} / 100)",
                points_text(review.reviewed_score),
                review.confirmed,
                review.dismissed,
                review.undecided,
                points_text(r.score)
            ),
        ));
    }
    let value_x = MARGIN_MM + 24.0;
    // Stay clear of the score box.
    let value_w = CONTENT_W_MM - 24.0 - 50.0;
    for (i, (label, value)) in rows.iter().enumerate() {
        let baseline = canvas.y + 4.0;
        canvas.text(MARGIN_MM, baseline, LABEL, label);
        let style = if i == 0 { TextStyle::bold(9.0) } else { VALUE };
        let value = canvas.fit(value, style, value_w);
        canvas.text(value_x, baseline, style, &value);
        canvas.y += 5.2;
    }
    canvas.y += 2.0;
}

fn draw_events(canvas: &mut Canvas, r: &Report) {
    if r.events.is_empty() {
        canvas.text(MARGIN_MM, canvas.y + 4.0, NOTE, "No events.");
        canvas.y += 8.0;
        return;
    }
    let columns = [
        Column::right("#", 0.05),
        Column::left("Kind", 0.30),
        Column::left("At", 0.08),
        Column::left("UTC time", 0.12),
        Column::right("Duration", 0.18),
        Column::left("Details", 0.27),
    ];
    let rows: Vec<Row> = r
        .events
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let duration = if e.open {
                format!("{} (open)", duration_text(e.duration_s))
            } else {
                duration_text(e.duration_s)
            };
            Row::new(vec![
                Cell::from((i + 1).to_string()),
                Cell {
                    text: kind_title(e.kind).to_owned(),
                    note: Some(e.kind.as_str().to_owned()),
                    swatch: Some(Colour::from_rgb(kind_colour(e.kind))),
                    ..Cell::default()
                },
                Cell::from(offset_text(e.offset_s)),
                Cell::from(clock_text(e.started_at)),
                Cell::from(duration),
                Cell::from(
                    match r
                        .review
                        .as_ref()
                        .and_then(|review| review.decision_for(e.id))
                    {
                        Some(d) => {
                            format!("{} · {}", details_text(&e.details), decision_text(d))
                        }
                        None => details_text(&e.details),
                    },
                ),
            ])
        })
        .collect();
    draw_table(canvas, &columns, &rows);
}

fn draw_deductions(canvas: &mut Canvas, r: &Report) {
    let columns = [
        Column::left("Kind", 0.46),
        Column::right("Events", 0.12),
        Column::right("Seconds", 0.14),
        Column::right("Points", 0.14),
        Column::left("", 0.14),
    ];
    let mut rows: Vec<Row> = r
        .deductions
        .iter()
        .map(|line| {
            Row::new(vec![
                Cell {
                    text: kind_title(line.kind).to_owned(),
                    note: Some(line.kind.as_str().to_owned()),
                    ..Cell::default()
                },
                Cell::from(line.count.to_string()),
                Cell::from(format!("{:.1}", line.seconds)),
                Cell::from(format!("−{}", points_text(line.points))),
                Cell::from(if line.capped { "capped" } else { "" }),
            ])
        })
        .collect();
    rows.push(Row::emphasised(vec![
        Cell::from("Total deducted"),
        Cell::default(),
        Cell::default(),
        Cell::from(format!("−{}", points_text(r.deducted))),
        Cell::default(),
    ]));
    rows.push(Row::emphasised(vec![
        Cell::from("Integrity score (100 − deductions, at least 0)"),
        Cell::default(),
        Cell::default(),
        Cell::from(points_text(r.score)),
        Cell::default(),
    ]));
    draw_table(canvas, &columns, &rows);
    note(
        canvas,
        "Camera loss, recording faults and the kiosk software being down are kiosk faults: listed above, never charged to the candidate.",
    );
}

fn draw_health(canvas: &mut Canvas, r: &Report) {
    let h = &r.health;
    let rows = [
        ("Camera frame rate", format!("{:.1} fps", h.camera_fps)),
        (
            "Frames captured / analysed",
            format!("{} / {}", h.frames_captured, h.frames_analysed),
        ),
        ("Frames skipped by analysis", h.dropped_frames.to_string()),
        (
            "Camera outages",
            format!(
                "{} ({})",
                h.camera_outages,
                duration_text(h.camera_outage_s)
            ),
        ),
        (
            "Mean inference time",
            format!("{:.1} ms", h.mean_inference_ms),
        ),
        ("Evidence completeness", evidence_text(&r.evidence)),
        ("Wall-clock steps", clock_steps_text(&h.clock_steps)),
    ];
    key_values(canvas, &rows, 50.0);
}

fn draw_models(canvas: &mut Canvas, r: &Report) {
    if r.models.is_empty() && r.evidence_chain.is_none() {
        note(canvas, "Not recorded.");
        return;
    }
    let columns = [Column::left("Model", 0.42), Column::left("SHA-256", 0.58)];
    let mut rows: Vec<Row> = r
        .models
        .iter()
        .map(|m| {
            Row::new(vec![
                Cell {
                    text: m.name.clone(),
                    note: Some(format!("{}, licence {}", m.file, m.licence)),
                    ..Cell::default()
                },
                // The whole hash: a shortened one cannot be checked.
                Cell {
                    text: m.sha256.clone(),
                    small: true,
                    ..Cell::default()
                },
            ])
        })
        .collect();
    if let Some(head) = &r.evidence_chain {
        rows.push(Row::new(vec![
            Cell {
                text: "Evidence chain head".into(),
                note: Some(format!("{} record(s); proctord verify", head.records)),
                ..Cell::default()
            },
            Cell {
                text: head.sha256.clone(),
                small: true,
                ..Cell::default()
            },
        ]));
    }
    draw_table(canvas, &columns, &rows);
}

fn draw_thresholds(canvas: &mut Canvas, r: &Report) {
    let rows = threshold_rows(&r.thresholds);
    // Two columns of key = value keep the list on a third of a page.
    let half = rows.len().div_ceil(2);
    let col_w = CONTENT_W_MM / 2.0;
    let (left, right) = rows.split_at(half);
    for i in 0..half {
        canvas.ensure_room(5.0);
        let baseline = canvas.y + 3.8;
        for (column, pair) in [left.get(i), right.get(i)].into_iter().enumerate() {
            let Some((key, value)) = pair else { continue };
            let x = MARGIN_MM + column as f32 * col_w;
            let key = canvas.fit(key, LABEL, col_w - 22.0);
            canvas.text(x, baseline, LABEL, &key);
            canvas.text_right(x + col_w - 4.0, baseline, VALUE, value);
        }
        canvas.y += 4.8;
    }
}

fn key_values(canvas: &mut Canvas, rows: &[(&str, String)], label_w: f32) {
    for (label, value) in rows {
        canvas.ensure_room(5.5);
        let baseline = canvas.y + 4.0;
        canvas.text(MARGIN_MM, baseline, LABEL, label);
        let value = canvas.fit(value, VALUE, CONTENT_W_MM - label_w);
        canvas.text(MARGIN_MM + label_w, baseline, VALUE, &value);
        canvas.y += 5.2;
    }
    canvas.y += 2.0;
}

fn note(canvas: &mut Canvas, text: &str) {
    canvas.ensure_room(6.0);
    canvas.text(MARGIN_MM, canvas.y + 3.5, NOTE, text);
    canvas.y += 7.0;
}
