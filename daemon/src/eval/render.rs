//! The eval figures as a text table for people (`--json` prints `EvalReport` itself).

use std::fmt::Write;

use super::score::EvalReport;

fn figure(v: Option<f64>) -> String {
    v.map_or_else(|| "-".into(), |v| format!("{v:.2}"))
}

pub fn text(r: &EvalReport, wrong_limit: usize) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{} labelled images", r.images);
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "{:<9} {:>4} {:>4} {:>4} {:>4}  {:>9} {:>6} {:>5}",
        "signal", "TP", "FP", "FN", "TN", "precision", "recall", "F1"
    );
    for s in &r.signals {
        if !s.supported {
            let _ = writeln!(
                out,
                "{:<9} unsupported (no configured model has this class)",
                s.signal
            );
            continue;
        }
        let t = &s.tally;
        let _ = writeln!(
            out,
            "{:<9} {:>4} {:>4} {:>4} {:>4}  {:>9} {:>6} {:>5}",
            s.signal,
            t.true_positives,
            t.false_positives,
            t.false_negatives,
            t.true_negatives,
            figure(s.precision),
            figure(s.recall),
            figure(s.f1)
        );
    }
    let la = &r.looking_away;
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "looking away: accuracy {} on {} labelled ({} of {} facing the screen called away = {}; {} of {} looking away caught; candidate not found on {})",
        figure(la.accuracy),
        la.labelled,
        la.facing_called_away,
        la.facing,
        figure(la.facing_called_away_share),
        la.away_caught,
        la.away,
        la.candidate_missed
    );
    let f = &r.faces;
    let _ = writeln!(
        out,
        "face count:   right on {} of {} = {}; faces on {} of {} empty scenes",
        f.right,
        f.labelled,
        figure(f.accuracy),
        f.empty_scenes_with_faces,
        f.empty_scenes
    );
    let sources: Vec<String> = r
        .by_source
        .iter()
        .map(|s| format!("{} {}/{}", s.source, s.images_wrong, s.images))
        .collect();
    let _ = writeln!(out, "wrong by source: {}", sources.join(", "));
    if !r.wrong.is_empty() {
        let _ = writeln!(out);
        let _ = writeln!(out, "{} image(s) judged wrong:", r.wrong.len());
        for m in r.wrong.iter().take(wrong_limit) {
            let _ = writeln!(out, "  {}: {}", m.image.display(), m.what);
        }
        if r.wrong.len() > wrong_limit {
            let _ = writeln!(
                out,
                "  … and {} more (--json lists all)",
                r.wrong.len() - wrong_limit
            );
        }
    }
    out
}
