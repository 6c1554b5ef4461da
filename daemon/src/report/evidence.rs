//! Evidence completeness: how much of the session analysed frames cover, and the gaps in
//! the evidence, each a kiosk fault (never charged): the daemon down, the camera lost,
//! the recording stopped.

use serde::{Deserialize, Serialize};

use super::events::ReportEvent;
use crate::event::EventKind;

/// Kinds that are gaps in the evidence. The first two stop the analysis; the third only
/// the recording.
pub const GAP_KINDS: [EventKind; 3] = [
    EventKind::DaemonDown,
    EventKind::CameraLost,
    EventKind::RecordingStopped,
];

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Evidence {
    /// Share of the session's time covered by analysed frames, 0..=1.
    pub analysed_share: f64,
    /// Seconds of the session covered by analysed frames.
    pub analysed_s: f64,
    /// Every gap, in onset order.
    pub gaps: Vec<EvidenceGap>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EvidenceGap {
    pub kind: EventKind,
    /// Seconds from the start of the session.
    pub offset_s: f64,
    pub duration_s: f64,
}

impl Evidence {
    /// From the session's events (in onset order) and its length.
    pub fn of(events: &[ReportEvent], session_s: f64) -> Evidence {
        let gaps: Vec<EvidenceGap> = events
            .iter()
            .filter(|e| GAP_KINDS.contains(&e.kind))
            .map(|e| EvidenceGap {
                kind: e.kind,
                offset_s: e.offset_s,
                duration_s: e.duration_s,
            })
            .collect();
        let session_s = session_s.max(0.0);
        // Overlapping gaps (the camera lost while the daemon was down) count once.
        let mut unanalysed: Vec<(f64, f64)> = gaps
            .iter()
            .filter(|g| g.kind != EventKind::RecordingStopped)
            .map(|g| {
                let start = g.offset_s.clamp(0.0, session_s);
                (start, (g.offset_s + g.duration_s).clamp(start, session_s))
            })
            .collect();
        unanalysed.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut uncovered = 0.0;
        let mut reach = 0.0_f64;
        for (start, end) in unanalysed {
            let start = start.max(reach);
            if end > start {
                uncovered += end - start;
            }
            reach = reach.max(end);
        }
        let analysed_s = (session_s - uncovered).max(0.0);
        Evidence {
            analysed_share: if session_s > 0.0 {
                analysed_s / session_s
            } else {
                1.0
            },
            analysed_s,
            gaps,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::EventDetails;

    fn event(kind: EventKind, offset_s: f64, duration_s: f64) -> ReportEvent {
        ReportEvent {
            id: uuid::Uuid::now_v7(),
            kind,
            started_at: chrono::Utc::now(),
            offset_s,
            duration_s,
            open: false,
            details: EventDetails::default(),
        }
    }

    #[test]
    fn overlapping_gaps_count_once_and_a_recording_stop_does_not_reduce_analysis() {
        let events = [
            event(EventKind::NoFace, 5.0, 10.0),
            event(EventKind::DaemonDown, 20.0, 10.0),
            event(EventKind::CameraLost, 25.0, 10.0),
            event(EventKind::RecordingStopped, 50.0, 30.0),
        ];
        let evidence = Evidence::of(&events, 100.0);
        assert_eq!(evidence.analysed_s, 85.0);
        assert_eq!(evidence.analysed_share, 0.85);
        let kinds: Vec<EventKind> = evidence.gaps.iter().map(|g| g.kind).collect();
        assert_eq!(
            kinds,
            [
                EventKind::DaemonDown,
                EventKind::CameraLost,
                EventKind::RecordingStopped
            ]
        );
    }

    #[test]
    fn a_session_without_gaps_is_fully_covered() {
        let evidence = Evidence::of(&[event(EventKind::PhoneDetected, 1.0, 3.0)], 60.0);
        assert_eq!(evidence.analysed_share, 1.0);
        assert!(evidence.gaps.is_empty());
    }
}
