//! How numbers, times and kinds read in the HTML and PDF reports, so both say the same.

use chrono::{DateTime, Utc};

use super::model::ThresholdsUsed;
use crate::event::{EventDetails, EventKind};

/// A proctor-facing name for an event kind.
pub fn kind_title(kind: EventKind) -> &'static str {
    match kind {
        EventKind::NoFace => "No face",
        EventKind::LookingAway => "Looking away",
        EventKind::EyesAway => "Eyes away",
        EventKind::MultipleFaces => "Multiple faces",
        EventKind::PhoneDetected => "Phone",
        EventKind::NotesDetected => "Notes",
        EventKind::DeviceDetected => "Device",
        EventKind::CameraLost => "Camera lost",
        EventKind::RecordingStopped => "Recording stopped",
        EventKind::Logged => "Logged",
    }
}

/// Colour of a kind in timelines, as 0..255 RGB. Kiosk faults are grey: not the candidate.
pub fn kind_colour(kind: EventKind) -> (u8, u8, u8) {
    match kind {
        EventKind::NoFace => (214, 39, 40),
        EventKind::LookingAway => (255, 127, 14),
        EventKind::EyesAway => (255, 187, 120),
        EventKind::MultipleFaces => (148, 103, 189),
        EventKind::PhoneDetected => (31, 119, 180),
        EventKind::NotesDetected => (23, 190, 207),
        EventKind::DeviceDetected => (44, 160, 44),
        EventKind::Logged => (140, 86, 75),
        EventKind::CameraLost | EventKind::RecordingStopped => (127, 127, 127),
    }
}

/// "12.3 s", "4 min 05 s", "1 h 02 min".
pub fn duration_text(seconds: f64) -> String {
    let s = seconds.max(0.0);
    if s < 60.0 {
        return format!("{s:.1} s");
    }
    let whole = s.round() as u64;
    if whole < 3600 {
        format!("{} min {:02} s", whole / 60, whole % 60)
    } else {
        format!("{} h {:02} min", whole / 3600, (whole % 3600) / 60)
    }
}

/// Position within the session as a clock: "04:05" or "1:02:03".
pub fn offset_text(seconds: f64) -> String {
    let whole = seconds.max(0.0).floor() as u64;
    let (h, m, s) = (whole / 3600, (whole % 3600) / 60, whole % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m:02}:{s:02}")
    }
}

pub fn wall_time_text(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// Time of day only, for tables under a header that gives the date.
pub fn clock_text(t: DateTime<Utc>) -> String {
    t.format("%H:%M:%S").to_string()
}

pub fn points_text(points: f64) -> String {
    format!("{points:.1}")
}

/// What an event's details say, in one line ("" when nothing).
pub fn details_text(details: &EventDetails) -> String {
    let mut parts = Vec::new();
    if let Some(n) = details.max_faces {
        parts.push(format!("up to {n} faces"));
    }
    match (&details.label, details.best_score) {
        (Some(label), Some(score)) => parts.push(format!("{label} ({:.0} %)", score * 100.0)),
        (Some(label), None) => parts.push(label.clone()),
        (None, Some(score)) => parts.push(format!("score {:.0} %", score * 100.0)),
        (None, None) => {}
    }
    if let Some(note) = &details.note {
        parts.push(note.clone());
    }
    parts.join("; ")
}

/// A tick step for a time axis of `span_s` seconds that gives at most about `max_ticks`
/// ticks, chosen among round clock values.
pub fn tick_step_s(span_s: f64, max_ticks: usize) -> f64 {
    const STEPS: [f64; 14] = [
        1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0, 7200.0,
    ];
    let wanted = span_s / max_ticks.max(1) as f64;
    STEPS
        .iter()
        .copied()
        .find(|&step| step >= wanted)
        .unwrap_or_else(|| (wanted / 3600.0).ceil() * 3600.0)
}

/// The thresholds as `section.key` / value rows.
pub fn threshold_rows(thresholds: &ThresholdsUsed) -> Vec<(String, String)> {
    let mut rows = Vec::new();
    // The thresholds are plain numbers and enums, so serialisation cannot fail.
    if let Ok(value) = serde_json::to_value(thresholds) {
        flatten("", &value, &mut rows);
    }
    rows
}

fn flatten(prefix: &str, value: &serde_json::Value, rows: &mut Vec<(String, String)>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, inner) in map {
                let path = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                flatten(&path, inner, rows);
            }
        }
        serde_json::Value::String(s) => rows.push((prefix.to_owned(), s.clone())),
        // f32 fields serialise with float noise (0.6 → 0.6000000238); six digits is plenty.
        serde_json::Value::Number(n) => rows.push((
            prefix.to_owned(),
            match n.as_f64() {
                Some(f) if !n.is_i64() && !n.is_u64() => trim_float(f),
                _ => n.to_string(),
            },
        )),
        other => rows.push((prefix.to_owned(), other.to_string())),
    }
}

fn trim_float(f: f64) -> String {
    let text = format!("{f:.6}");
    let text = text.trim_end_matches('0');
    text.strip_suffix('.')
        .map_or_else(|| text.to_owned(), |t| format!("{t}.0"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_in_the_largest_sensible_unit() {
        assert_eq!(duration_text(12.34), "12.3 s");
        assert_eq!(duration_text(245.0), "4 min 05 s");
        assert_eq!(duration_text(3725.0), "1 h 02 min");
    }

    #[test]
    fn offsets_read_as_clock_positions() {
        assert_eq!(offset_text(65.9), "01:05");
        assert_eq!(offset_text(3723.0), "1:02:03");
    }

    #[test]
    fn tick_steps_are_round_and_not_too_dense() {
        assert_eq!(tick_step_s(3600.0, 8), 600.0);
        assert_eq!(tick_step_s(45.0, 8), 10.0);
    }
}
