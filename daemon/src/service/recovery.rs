//! What a starting daemon does about the run before it, before the pipeline starts: a
//! crash (SIGKILL, watchdog abort, power cut) must never be charged to the candidate.
//!
//! 1. Every event the previous run left open (a Start without an End, in the active
//!    session or among the kiosk's own events) is ended at the last moment for which
//!    there is evidence, from the stored [`Heartbeat`]: a frame-judged event at the last
//!    analysed frame (or when its condition had already cleared), a kiosk fault at the
//!    previous run's last sign of life.
//! 2. With a session active, the time from that evidence to the first frame this run
//!    analyses is a `daemon_down` kiosk fault: its Start is stored here, its End by the
//!    analysis thread at its first analysed frame. A `daemon_down` still open from an
//!    earlier start (the daemon died again before analysing anything) is simply continued.
//! 3. The segment being written when the daemon died is recorded: recovered if it plays,
//!    lost if it does not.
//!
//! Each step is idempotent: a crash during recovery is recovered from on the next start.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::event::{EventDetails, EventKind, Phase, ProctorEvent};
use crate::record::{recordings_dir, salvage_segment, segment_index};
use crate::session::Session;
use crate::store::{Heartbeat, SegmentRecord, SegmentState, Store, StoreError};

/// What recovery found, for the pipeline.
#[derive(Clone, Debug, Default)]
pub struct Recovery {
    /// The open `daemon_down` of the active session, to be ended at the first analysed
    /// frame.
    pub down_since: Option<ProctorEvent>,
    /// How far the active session's clock was ahead of the system clock when the
    /// previous run stopped (the session goes on on the same clock).
    pub clock_ahead: chrono::Duration,
    /// Events this start closed.
    pub closed: usize,
    /// Segments this start recorded (recovered or lost).
    pub segments: usize,
}

/// Runs the steps of the module documentation.
pub fn recover(store: &Store, state_dir: &Path) -> Result<Recovery, StoreError> {
    let heartbeat = store.heartbeat()?;
    let active = store.active_session()?;
    let mut recovery = Recovery::default();
    if let Some(hb) = &heartbeat
        && active.as_ref().is_some_and(|s| hb.session_id == Some(s.id))
    {
        recovery.clock_ahead = chrono::Duration::milliseconds(hb.clock_ahead_ms);
    }
    let owners = [active.as_ref().map(|s| s.id), None];
    // The latest moment an event of the session is charged until (ended by the previous
    // run or closed here): the gap starts no earlier, so no instant is both charged and
    // a kiosk fault.
    let mut charged_until: Option<DateTime<Utc>> = None;
    for owner in owners.iter().copied() {
        let records = match owner {
            Some(id) => store.events_for(id)?,
            None => store.kiosk_events()?,
        };
        if owner.is_some() {
            let ends = records.iter().filter(|r| r.phase == Phase::End);
            for end in ends.filter(|r| !r.kind.is_kiosk_fault()) {
                charged_until = charged_until.max(charged_end(end));
            }
        }
        for open in open_events(&records) {
            if open.kind == EventKind::DaemonDown {
                recovery.down_since = Some(open.clone());
                continue;
            }
            let end = end_at_evidence(open, heartbeat.as_ref());
            log::warn!(
                "The previous run left {} ({}) open; it ends at the last evidence, {:.1} s after its onset.",
                end.kind.as_str(),
                end.id,
                end.duration_s.unwrap_or(0.0)
            );
            store.append_event(&end)?;
            if owner.is_some() && !end.kind.is_kiosk_fault() {
                charged_until = charged_until.max(charged_end(&end));
            }
            recovery.closed += 1;
        }
    }
    if let Some(session) = &active
        && recovery.down_since.is_none()
    {
        let down = daemon_down_start(session, heartbeat.as_ref(), charged_until);
        log::warn!(
            "Session {} was running when proctord stopped; the time until it analyses a frame again is recorded as daemon_down from {}.",
            session.id,
            down.started_at
        );
        store.append_event(&down)?;
        recovery.down_since = Some(down);
    }
    recovery.segments = record_cut_off_segments(store, state_dir)?;
    Ok(recovery)
}

/// Start records without an End, in store order.
fn open_events(records: &[ProctorEvent]) -> Vec<&ProctorEvent> {
    let ended: HashSet<Uuid> = records
        .iter()
        .filter(|r| r.phase == Phase::End)
        .map(|r| r.id)
        .collect();
    let mut open: BTreeMap<Uuid, &ProctorEvent> = BTreeMap::new();
    for record in records.iter().filter(|r| r.phase == Phase::Start) {
        if !ended.contains(&record.id) {
            open.entry(record.id).or_insert(record);
        }
    }
    open.into_values().collect()
}

/// The End of an event the previous run left open: at the evidence, on its own clock.
fn end_at_evidence(start: &ProctorEvent, heartbeat: Option<&Heartbeat>) -> ProctorEvent {
    let ended_at_s = heartbeat.map_or(start.started_at_s, |hb| {
        hb.end_of(start.id, start.started_at_s, start.kind.is_kiosk_fault())
    });
    let duration_s = ended_at_s - start.started_at_s;
    ProctorEvent {
        phase: Phase::End,
        ended_at: Some(
            start.started_at + chrono::Duration::microseconds((duration_s * 1e6).round() as i64),
        ),
        ended_at_s: Some(ended_at_s),
        duration_s: Some(duration_s),
        details: EventDetails {
            note: Some(match &start.details.note {
                Some(note) => format!("{note}; ended at the last evidence before a restart"),
                None => "ended at the last evidence before a restart".into(),
            }),
            ..start.details.clone()
        },
        ..start.clone()
    }
}

/// Where an ended event's charge ends as the report counts it (onset plus its duration
/// on the event's stream clock), or its recorded end if that is later.
fn charged_end(end: &ProctorEvent) -> Option<DateTime<Utc>> {
    let duration_s = crate::report::closed_duration_s(end);
    let by_duration =
        end.started_at + chrono::Duration::microseconds((duration_s * 1e6).ceil() as i64);
    Some(by_duration).max(end.ended_at)
}

/// The Start of the gap between the previous run's last evidence and this run, and not
/// before `charged_until`. (An event closed at the last analysed frame ends on its own
/// stream clock, which can run a few milliseconds past that frame's wall time.)
fn daemon_down_start(
    session: &Session,
    heartbeat: Option<&Heartbeat>,
    charged_until: Option<DateTime<Utc>>,
) -> ProctorEvent {
    // Without a heartbeat nothing of the session was ever analysed.
    let since = heartbeat
        .map_or(session.started_at, Heartbeat::evidence_until)
        .max(session.started_at)
        .max(charged_until.unwrap_or(session.started_at));
    ProctorEvent {
        id: Uuid::now_v7(),
        session_id: Some(session.id),
        kind: EventKind::DaemonDown,
        phase: Phase::Start,
        started_at: since,
        ended_at: None,
        duration_s: None,
        // The gap spans two runs, which have no stream clock in common: its duration
        // comes from the wall clock (see `daemon_down_end`).
        started_at_s: 0.0,
        ended_at_s: None,
        details: EventDetails {
            note: Some("proctord was not running (crash, kill or restart)".into()),
            ..EventDetails::default()
        },
    }
}

/// The End of the gap, at the first analysed frame (`at`, on the session's clock).
pub fn daemon_down_end(start: &ProctorEvent, at: DateTime<Utc>) -> ProctorEvent {
    let at = at.max(start.started_at);
    ProctorEvent {
        phase: Phase::End,
        ended_at: Some(at),
        duration_s: Some((at - start.started_at).num_milliseconds() as f64 / 1000.0),
        ..start.clone()
    }
}

/// Records every segment file of a known session that has no record yet: the one being
/// written when the previous run died.
fn record_cut_off_segments(store: &Store, state_dir: &Path) -> Result<usize, StoreError> {
    let recorded: HashSet<_> = store.all_segments()?.into_iter().map(|s| s.path).collect();
    let Ok(dirs) = std::fs::read_dir(recordings_dir(state_dir)) else {
        return Ok(0);
    };
    let mut count = 0;
    for dir in dirs.flatten() {
        let Some(session) = dir
            .file_name()
            .to_str()
            .and_then(|n| Uuid::parse_str(n).ok())
            .map(|id| store.session(id))
            .transpose()?
            .flatten()
        else {
            continue;
        };
        let Ok(files) = std::fs::read_dir(dir.path()) else {
            continue;
        };
        let mut cut_off: Vec<_> = files
            .flatten()
            .map(|f| f.path())
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .and_then(segment_index)
                    .is_some()
                    && !recorded.contains(p)
            })
            .collect();
        cut_off.sort();
        for path in cut_off {
            match salvage_segment(&path) {
                Ok(found) => {
                    let previous = store.segments_for(session.id)?;
                    let started_at = previous.last().map_or(session.started_at, |s| {
                        s.started_at
                            + chrono::Duration::milliseconds((s.duration_s * 1000.0) as i64)
                    });
                    let state = if found.playable_s.is_some() {
                        SegmentState::Recovered
                    } else {
                        SegmentState::Lost
                    };
                    log::warn!(
                        "Recording segment {} was cut off by the previous run's end; recorded as {:?} ({:.1} s playable).",
                        path.display(),
                        state,
                        found.playable_s.unwrap_or(0.0)
                    );
                    store.add_segment(&SegmentRecord {
                        session_id: Some(session.id),
                        path: found.path,
                        started_at,
                        duration_s: found.playable_s.unwrap_or(0.0),
                        sha256: found.sha256,
                        bytes: found.bytes,
                        state,
                    })?;
                    count += 1;
                }
                Err(e) => log::error!(
                    "Cannot read the cut-off recording segment {}: {e}; it is left as it is.",
                    path.display()
                ),
            }
        }
    }
    Ok(count)
}
