//! The timeline chart's geometry, shared by the HTML and PDF renderers: one lane per
//! event kind that occurred, bars placed as fractions (0..1) of the session.

use super::format::tick_step_s;
use super::model::Report;
use crate::event::EventKind;

pub struct Bar {
    pub start: f64,
    pub end: f64,
    pub open: bool,
    pub offset_s: f64,
    pub duration_s: f64,
}

pub struct Lane {
    pub kind: EventKind,
    pub bars: Vec<Bar>,
}

pub struct Tick {
    pub at: f64,
    pub seconds: f64,
}

pub struct Timeline {
    pub lanes: Vec<Lane>,
    pub ticks: Vec<Tick>,
}

impl Timeline {
    pub fn of(report: &Report, max_ticks: usize) -> Timeline {
        // An empty or instant session still gets a drawable axis.
        let span_s = report.duration_s.max(1.0);
        let mut lanes: Vec<Lane> = Vec::new();
        for event in &report.events {
            let start = (event.offset_s / span_s).clamp(0.0, 1.0);
            let end = ((event.offset_s + event.duration_s) / span_s).clamp(start, 1.0);
            let bar = Bar {
                start,
                end,
                open: event.open,
                offset_s: event.offset_s,
                duration_s: event.duration_s,
            };
            match lanes.iter_mut().find(|l| l.kind == event.kind) {
                Some(lane) => lane.bars.push(bar),
                None => lanes.push(Lane {
                    kind: event.kind,
                    bars: vec![bar],
                }),
            }
        }
        lanes.sort_by_key(|l| l.kind);
        let step = tick_step_s(span_s, max_ticks);
        let ticks = (0..)
            .map(|i| f64::from(i) * step)
            .take_while(|&s| s <= span_s + 1e-9)
            .map(|seconds| Tick {
                at: seconds / span_s,
                seconds,
            })
            .collect();
        Timeline { lanes, ticks }
    }
}
