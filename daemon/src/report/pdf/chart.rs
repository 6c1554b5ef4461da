//! The timeline chart, drawn with vector operations: crisp at any zoom, and its labels
//! stay real text.

use super::canvas::{CONTENT_W_MM, Canvas, Colour, MARGIN_MM, TextStyle};
use crate::report::format::{kind_colour, kind_title, offset_text};
use crate::report::model::Report;
use crate::report::timeline::Timeline;

const LABEL_W_MM: f32 = 32.0;
const LANE_H_MM: f32 = 7.0;
const AXIS_H_MM: f32 = 9.0;
/// Events shorter than this still show.
const MIN_BAR_W_MM: f32 = 0.6;

pub fn draw_timeline(canvas: &mut Canvas, report: &Report) {
    let timeline = Timeline::of(report, 8);
    if timeline.lanes.is_empty() {
        canvas.text(
            MARGIN_MM,
            canvas.y + 4.0,
            TextStyle::regular(9.0).coloured(Colour::MUTED),
            "No events in this session.",
        );
        canvas.y += 8.0;
        return;
    }
    let height = timeline.lanes.len() as f32 * LANE_H_MM + AXIS_H_MM;
    canvas.ensure_room(height + 8.0);
    let top = canvas.y;
    let plot_x = MARGIN_MM + LABEL_W_MM;
    let plot_w = CONTENT_W_MM - LABEL_W_MM;
    let x = |frac: f64| plot_x + frac as f32 * plot_w;
    let axis_y = top + timeline.lanes.len() as f32 * LANE_H_MM;

    for (i, lane) in timeline.lanes.iter().enumerate() {
        let lane_top = top + i as f32 * LANE_H_MM;
        if i % 2 == 0 {
            canvas.fill_rect(
                MARGIN_MM,
                lane_top,
                CONTENT_W_MM,
                LANE_H_MM,
                Colour(247, 247, 247),
            );
        }
        canvas.text(
            MARGIN_MM + 1.0,
            lane_top + LANE_H_MM - 2.2,
            TextStyle::regular(8.0),
            kind_title(lane.kind),
        );
    }
    // Grid lines under the bars.
    for tick in &timeline.ticks {
        canvas.line(
            (x(tick.at), top),
            (x(tick.at), axis_y),
            Colour(225, 225, 225),
            0.4,
        );
    }
    for (i, lane) in timeline.lanes.iter().enumerate() {
        let lane_top = top + i as f32 * LANE_H_MM;
        let colour = Colour::from_rgb(kind_colour(lane.kind));
        for bar in &lane.bars {
            let w = (x(bar.end) - x(bar.start)).max(MIN_BAR_W_MM);
            // Open events are drawn lighter: they had not ended when the report was made.
            let fill = if bar.open {
                colour.lighter(0.45)
            } else {
                colour
            };
            canvas.fill_rect(x(bar.start), lane_top + 1.2, w, LANE_H_MM - 2.4, fill);
        }
    }
    canvas.line(
        (plot_x, axis_y),
        (plot_x + plot_w, axis_y),
        Colour::TEXT,
        0.7,
    );
    let tick_style = TextStyle::regular(7.0).coloured(Colour::MUTED);
    for tick in &timeline.ticks {
        canvas.line(
            (x(tick.at), axis_y),
            (x(tick.at), axis_y + 1.2),
            Colour::TEXT,
            0.5,
        );
        canvas.text_centred(
            x(tick.at),
            axis_y + 4.6,
            tick_style,
            &offset_text(tick.seconds),
        );
    }
    canvas.y = axis_y + AXIS_H_MM - 1.5;
    canvas.text(
        MARGIN_MM,
        canvas.y,
        tick_style,
        "Time since the session started (mm:ss). Lighter bars: events still open at the end.",
    );
    canvas.y += 6.0;
}
