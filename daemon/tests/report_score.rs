//! The integrity score and how a report pairs stored event records.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeZone, Utc};
use proctord::config::{Deduction, RulesConfig, ScoringConfig};
use proctord::event::{EventDetails, EventKind, Phase, ProctorEvent, RuleEvent};
use proctord::report::{Report, ReportEvent, focus_lost_count, score};
use proctord::session::{Session, SessionHealth};
use uuid::Uuid;

fn session_start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 1, 9, 0, 0).unwrap()
}

fn session(ended_after_s: Option<i64>) -> Session {
    Session {
        id: Uuid::now_v7(),
        candidate: "Ada Lovelace".into(),
        exam_id: Some("MATH-101".into()),
        notes: None,
        started_at: session_start(),
        ended_at: ended_after_s.map(|s| session_start() + chrono::Duration::seconds(s)),
    }
}

/// A closed event as a paired report line.
fn event(kind: EventKind, offset_s: f64, duration_s: f64) -> ReportEvent {
    ReportEvent {
        id: Uuid::now_v7(),
        kind,
        started_at: session_start() + chrono::Duration::milliseconds((offset_s * 1000.0) as i64),
        offset_s,
        duration_s,
        open: false,
        details: EventDetails::default(),
    }
}

/// The Start and End records the store keeps for one rule event (stream time 0 = session start).
fn records(kind: EventKind, start_s: f64, end_s: Option<f64>) -> Vec<ProctorEvent> {
    let id = Uuid::now_v7();
    let rule = |phase, ended_at_s| RuleEvent {
        id,
        kind,
        phase,
        started_at_s: start_s,
        ended_at_s,
        details: EventDetails::default(),
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

fn table(entries: &[(EventKind, f64, f64, f64)]) -> ScoringConfig {
    ScoringConfig {
        deductions: entries
            .iter()
            .map(|&(kind, per_event, per_second, cap)| {
                (
                    kind,
                    Deduction {
                        per_event,
                        per_second,
                        cap,
                    },
                )
            })
            .collect::<BTreeMap<_, _>>(),
    }
}

#[test]
fn a_session_without_events_scores_full_marks() {
    let s = score(&[], &ScoringConfig::default());
    assert_eq!((s.score, s.deducted, s.lines.len()), (100.0, 0.0, 0));
}

#[test]
fn each_kind_costs_per_event_times_count_plus_per_second_times_duration() {
    let cfg = table(&[
        (EventKind::NoFace, 5.0, 0.1, 0.0),
        (EventKind::PhoneDetected, 15.0, 0.0, 0.0),
    ]);
    let events = [
        event(EventKind::NoFace, 10.0, 12.0),
        event(EventKind::NoFace, 100.0, 30.0),
        event(EventKind::PhoneDetected, 50.0, 4.0),
    ];
    let s = score(&events, &cfg);
    let no_face = &s.lines[0];
    assert_eq!(
        (
            no_face.kind,
            no_face.count,
            no_face.seconds,
            no_face.points,
            no_face.capped
        ),
        (EventKind::NoFace, 2, 42.0, 14.2, false)
    );
    assert_eq!(
        (s.lines[1].kind, s.lines[1].points),
        (EventKind::PhoneDetected, 15.0)
    );
    assert_eq!(s.deducted, 29.2);
    assert_eq!(s.score, 70.8);
}

#[test]
fn a_kind_never_costs_more_than_its_cap() {
    let cfg = table(&[(EventKind::PhoneDetected, 15.0, 0.0, 45.0)]);
    let events: Vec<_> = (0..5)
        .map(|i| event(EventKind::PhoneDetected, f64::from(i) * 60.0, 2.0))
        .collect();
    let s = score(&events, &cfg);
    assert_eq!((s.lines[0].points, s.lines[0].capped), (45.0, true));
    assert_eq!(s.score, 55.0);
}

#[test]
fn a_cap_of_zero_means_no_cap() {
    let cfg = table(&[(EventKind::PhoneDetected, 15.0, 0.0, 0.0)]);
    let events: Vec<_> = (0..5)
        .map(|i| event(EventKind::PhoneDetected, f64::from(i) * 60.0, 2.0))
        .collect();
    let s = score(&events, &cfg);
    assert_eq!((s.lines[0].points, s.lines[0].capped), (75.0, false));
}

#[test]
fn the_score_never_goes_below_zero() {
    let cfg = table(&[
        (EventKind::PhoneDetected, 40.0, 0.0, 0.0),
        (EventKind::NotesDetected, 40.0, 0.0, 0.0),
    ]);
    let events = [
        event(EventKind::PhoneDetected, 0.0, 1.0),
        event(EventKind::PhoneDetected, 9.0, 1.0),
        event(EventKind::NotesDetected, 5.0, 1.0),
    ];
    let s = score(&events, &cfg);
    assert_eq!(s.deducted, 120.0);
    assert_eq!(s.score, 0.0);
}

#[test]
fn kiosk_faults_are_never_charged_even_if_the_table_lists_them() {
    // Validation refuses such a table, but the score must not depend on that.
    let cfg = table(&[
        (EventKind::CameraLost, 50.0, 1.0, 0.0),
        (EventKind::RecordingStopped, 50.0, 1.0, 0.0),
    ]);
    let events = [
        event(EventKind::CameraLost, 0.0, 300.0),
        event(EventKind::RecordingStopped, 10.0, 60.0),
    ];
    let s = score(&events, &cfg);
    assert_eq!(s.score, 100.0);
    assert!(
        s.lines.is_empty(),
        "kiosk faults get no deduction line: {:?}",
        s.lines
    );
}

#[test]
fn a_kind_missing_from_the_table_is_listed_at_zero_points() {
    let cfg = table(&[]);
    let s = score(&[event(EventKind::Logged, 0.0, 0.0)], &cfg);
    assert_eq!(
        (s.lines[0].kind, s.lines[0].count, s.lines[0].points),
        (EventKind::Logged, 1, 0.0)
    );
    assert_eq!(s.score, 100.0);
}

#[test]
fn focus_lost_counts_no_face_and_looking_away_events_only() {
    let events = [
        event(EventKind::NoFace, 0.0, 11.0),
        event(EventKind::LookingAway, 20.0, 6.0),
        event(EventKind::LookingAway, 40.0, 6.0),
        event(EventKind::MultipleFaces, 50.0, 2.0),
        event(EventKind::CameraLost, 60.0, 3.0),
    ];
    assert_eq!(focus_lost_count(&events), 3);
}

#[test]
fn the_report_pairs_start_and_end_records_by_id_and_ignores_redelivered_copies() {
    let mut stored = records(EventKind::NoFace, 100.0, Some(115.5));
    stored.extend(records(EventKind::PhoneDetected, 30.0, Some(34.0)));
    stored.push(stored[0].clone()); // the outbox delivered the Start twice
    let report = Report::build(
        &session(Some(600)),
        &stored,
        &SessionHealth::default(),
        vec![],
        &RulesConfig::default(),
        &ScoringConfig::default(),
    );
    let kinds: Vec<_> = report
        .events
        .iter()
        .map(|e| (e.kind, e.offset_s, e.duration_s, e.open))
        .collect();
    assert_eq!(
        kinds,
        vec![
            (EventKind::PhoneDetected, 30.0, 4.0, false),
            (EventKind::NoFace, 100.0, 15.5, false)
        ]
    );
    // Default table: phone 15; no_face 5 + 0.1 × 15.5.
    assert_eq!(report.deducted, 21.55);
    assert_eq!(report.score, 78.45);
    assert_eq!(report.focus_lost_count, 1);
}

#[test]
fn an_open_event_lasts_until_the_end_of_the_session_and_is_charged_for_it() {
    let stored = records(EventKind::NoFace, 500.0, None);
    let report = Report::build(
        &session(Some(600)),
        &stored,
        &SessionHealth::default(),
        vec![],
        &RulesConfig::default(),
        &ScoringConfig::default(),
    );
    let e = &report.events[0];
    assert!(e.open);
    assert_eq!(e.duration_s, 100.0);
    assert_eq!(
        report.deductions[0].points, 15.0,
        "5 per event + 0.1 × 100 s"
    );
}

#[test]
fn an_event_with_only_its_end_record_is_still_reported() {
    let stored: Vec<_> = records(EventKind::LookingAway, 10.0, Some(17.0))
        .into_iter()
        .filter(|r| r.phase == Phase::End)
        .collect();
    let report = Report::build(
        &session(Some(60)),
        &stored,
        &SessionHealth::default(),
        vec![],
        &RulesConfig::default(),
        &ScoringConfig::default(),
    );
    assert_eq!(report.events.len(), 1);
    assert_eq!(
        (report.events[0].duration_s, report.events[0].open),
        (7.0, false)
    );
}

#[test]
fn a_report_on_a_running_session_is_marked_in_progress_and_counts_open_events_until_now() {
    let start_s = (Utc::now() - session_start()).num_seconds() as f64 - 30.0;
    let stored = records(EventKind::LookingAway, start_s, None);
    let report = Report::build(
        &session(None),
        &stored,
        &SessionHealth::default(),
        vec![],
        &RulesConfig::default(),
        &ScoringConfig::default(),
    );
    assert!(report.in_progress);
    assert!(
        (29.0..40.0).contains(&report.events[0].duration_s),
        "{}",
        report.events[0].duration_s
    );
}

#[test]
fn the_json_report_round_trips_and_names_kinds_as_the_api_does() {
    let mut stored = records(EventKind::MultipleFaces, 5.0, Some(9.0));
    stored.extend(records(EventKind::CameraLost, 20.0, Some(25.0)));
    let report = Report::build(
        &session(Some(60)),
        &stored,
        &SessionHealth::default(),
        vec![],
        &RulesConfig::default(),
        &ScoringConfig::default(),
    );
    let json = report.to_json().unwrap();
    assert!(
        json.contains("\"multiple_faces\"") && json.contains("\"camera_lost\""),
        "{json}"
    );
    let back: Report = serde_json::from_str(&json).unwrap();
    assert_eq!(back, report);
}
