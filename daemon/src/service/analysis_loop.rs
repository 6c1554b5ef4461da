//! The analysis thread: newest frame → detector → rules → events into the store (through
//! `Control`), and the live view for the status page.

use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use uuid::Uuid;

use super::Shared;
use super::evidence::EvidenceKeeper;
use super::recovery::daemon_down_end;
use crate::event::RuleEvent;
use crate::pipeline::Analysis;

/// How long to wait for a frame before telling the rules that none came.
const IDLE_TICK: Duration = Duration::from_millis(250);
/// Consecutive inference failures after which the daemon gives up (systemd restarts it).
const MAX_CONSECUTIVE_ERRORS: u32 = 50;

pub fn run(shared: Arc<Shared>, mut analysis: Analysis) -> Result<(), String> {
    let cfg = shared.control.config().clone();
    let mut session: Option<Uuid> = shared.control.active().map(|s| s.id);
    if session.is_some() {
        shared.begin_session();
    }
    let mut evidence = EvidenceKeeper::default();
    let mut consecutive_errors = 0u32;
    while !shared.is_shutting_down() {
        let now = shared.stream_now();
        let close_requests = shared.take_close_requests();
        if !close_requests.is_empty() {
            // The session is about to end: its open events end now, under it.
            record_all(&shared, analysis.finish(now), session);
            analysis.reset_rules(&cfg);
            for done in close_requests {
                let _ = done.send(());
            }
        }
        let active = shared.control.active().map(|s| s.id);
        if active != session {
            // Close what is open under the old owner, then start the new session clean.
            record_all(&shared, analysis.finish(now), session);
            analysis.reset_rules(&cfg);
            if active.is_some() {
                shared.begin_session();
            }
            session = active;
        }
        let frame = shared.slot.take(IDLE_TICK);
        if let Some(frame) = &frame {
            shared.observe_clocks(frame, session.is_some());
        }
        match frame {
            Some(frame) => match analysis.process(&frame) {
                Ok(Some(a)) => {
                    consecutive_errors = 0;
                    if a.converted_to_rgb {
                        shared.health.frames_converted_to_rgb.fetch_add(1, Relaxed);
                    }
                    shared
                        .health
                        .record_inference(a.detections.inference_ms.total_ms);
                    if let Some(ms) = a.detections.inference_ms.objects_ms {
                        shared.health.record_objects(ms);
                    }
                    shared.analysis_heartbeat();
                    shared.notify_ready_once();
                    if let Some(down) = shared.take_down_since(session) {
                        // The first frame since the previous run: the gap ends here.
                        shared.record(&daemon_down_end(&down, shared.wall_at(frame.pts)));
                    }
                    evidence.frame_analysed(
                        &shared,
                        &analysis,
                        session,
                        frame.pts,
                        !a.events.is_empty(),
                    );
                    record_all(&shared, a.events, session);
                    if let Some(live) = &shared.live {
                        live.publish_frame(&frame, &a.detections);
                    }
                }
                Ok(None) => shared.analysis_heartbeat(),
                Err(e) => {
                    consecutive_errors += 1;
                    shared.health.inference_errors.fetch_add(1, Relaxed);
                    log::error!("Inference failed on frame {}: {e}", frame.seq);
                    if consecutive_errors >= MAX_CONSECUTIVE_ERRORS {
                        return Err(format!(
                            "inference failed {consecutive_errors} times in a row (last: {e})"
                        ));
                    }
                }
            },
            None => {
                let idle = analysis.idle(shared.stream_now());
                if !idle.is_empty() {
                    evidence.write(&shared, &analysis, session, false);
                }
                record_all(&shared, idle, session);
                // Waiting for a camera that is gone is the job; waiting on a healthy one is not.
                if !shared.health.camera_connected.load(Relaxed) {
                    shared.analysis_heartbeat();
                }
            }
        }
        evidence.tick(&shared, &analysis, session);
        if session.is_some() {
            shared.control.update_health(shared.session_health());
        }
    }
    record_all(&shared, analysis.finish(shared.stream_now()), session);
    // Nothing is open any more; the next start counts the time down from here.
    evidence.write(&shared, &analysis, session, true);
    log::info!("Analysis stopped.");
    Ok(())
}

fn record_all(shared: &Shared, events: Vec<RuleEvent>, session: Option<Uuid>) {
    for ev in events {
        let event = shared.event_from_rule(&ev, session);
        shared.record(&event);
    }
}
