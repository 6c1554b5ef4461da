//! `GET /metrics`: the health snapshot in Prometheus' text exposition format (0.0.4), for
//! a monitoring server that scrapes the kiosk with a bearer token. It names no session
//! and no candidate: only counts, times and states.

use std::fmt::Write;

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;

use super::AppState;
use super::auth::Proctor;
use super::health::{ApiHealth, snapshot};

const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

#[utoipa::path(
    get,
    path = "/metrics",
    summary = "The health snapshot in Prometheus text format",
    responses((status = 200, description = "Prometheus text exposition format 0.0.4", content_type = "text/plain; version=0.0.4", body = String)),
)]
pub async fn metrics(_: Proctor, State(state): State<AppState>) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, CONTENT_TYPE),
            (header::CACHE_CONTROL, "no-store"),
        ],
        render(&snapshot(&state)),
    )
}

/// The exposition text. Before the pipeline reports, only `proctord_pipeline_reporting 0`
/// and the session gauge: a scraper sees "up, not ready" rather than zeros that look real.
pub fn render(health: &ApiHealth) -> String {
    let mut out = Metrics::default();
    out.gauge(
        "proctord_session_active",
        "1 while an exam session is running.",
        health.active_session_id.is_some().into(),
    );
    let Some(p) = &health.pipeline else {
        out.gauge(
            "proctord_pipeline_reporting",
            "1 once the pipeline has published its health.",
            0.0,
        );
        return out.text;
    };
    out.gauge(
        "proctord_pipeline_reporting",
        "1 once the pipeline has published its health.",
        1.0,
    );
    out.gauge(
        "proctord_uptime_seconds",
        "Seconds since proctord started.",
        p.uptime_s as f64,
    );
    out.gauge(
        "proctord_camera_connected",
        "1 while the camera delivers frames.",
        p.camera.connected.into(),
    );
    out.counter(
        "proctord_frames_captured_total",
        "Frames read from the camera.",
        p.camera.frames,
    );
    out.counter(
        "proctord_frames_converted_to_rgb_total",
        "Frames converted from the camera's own format to RGB for the models.",
        p.camera.converted_to_rgb,
    );
    out.counter(
        "proctord_frames_analysed_total",
        "Frames the models ran on.",
        p.inference.frames,
    );
    out.counter(
        "proctord_frames_dropped_total",
        "Frames replaced by a newer one before inference took them.",
        p.inference.dropped_frames,
    );
    out.counter(
        "proctord_camera_outages_total",
        "Times the camera stopped delivering frames.",
        p.camera.outages,
    );
    out.counter(
        "proctord_inference_errors_total",
        "Frames inference failed on.",
        p.inference.errors,
    );
    out.histogram(
        "proctord_inference_ms",
        "Inference time per analysed frame, in milliseconds.",
        &p.inference.histogram_ms,
    );
    out.header(
        "proctord_events_total",
        "counter",
        "Events that ended since proctord started, by kind.",
    );
    for (kind, count) in &p.events_by_kind {
        // Kinds are fixed snake_case names: nothing to escape in the label.
        let _ = writeln!(out.text, "proctord_events_total{{kind=\"{kind}\"}} {count}");
    }
    out.gauge(
        "proctord_outbox_items",
        "Items stored but not yet acknowledged by the MQTT broker.",
        p.outbox_len as f64,
    );
    out.gauge(
        "proctord_mqtt_enabled",
        "1 when MQTT publishing is configured.",
        p.mqtt.enabled.into(),
    );
    let status = p.mqtt.status.clone().unwrap_or_default();
    out.gauge(
        "proctord_mqtt_connected",
        "1 while connected to the MQTT broker.",
        status.connected.into(),
    );
    out.counter(
        "proctord_mqtt_connection_failures_total",
        "Failed connection attempts to the MQTT broker.",
        status.connection_failures,
    );
    out.counter(
        "proctord_mqtt_acknowledged_total",
        "Outbox items the broker acknowledged.",
        status.acknowledged,
    );
    out.gauge(
        "proctord_recording_active",
        "1 while the session is being recorded.",
        p.recording.active.into(),
    );
    out.counter(
        "proctord_recording_segments_total",
        "Recording segments finished.",
        p.recording.segments,
    );
    out.counter(
        "proctord_recording_dropped_frames_total",
        "Frames the recorder could not take.",
        p.recording.dropped_frames,
    );
    if let Some(mib) = p.disk_free_mib {
        out.gauge(
            "proctord_disk_free_bytes",
            "Free space on the disk holding the state directory.",
            (mib * 1024 * 1024) as f64,
        );
    }
    out.counter(
        "proctord_store_errors_total",
        "Events the store could not take.",
        p.store_errors,
    );
    out.counter(
        "proctord_store_unflushed_commits_total",
        "Committed writes whose flush to disk failed.",
        p.store_unflushed_commits,
    );
    out.counter(
        "proctord_clock_steps_total",
        "Steps of the system's wall clock seen.",
        p.clock_steps,
    );
    out.text
}

#[derive(Default)]
struct Metrics {
    text: String,
}

impl Metrics {
    fn header(&mut self, name: &str, kind: &str, help: &str) {
        let _ = writeln!(self.text, "# HELP {name} {help}\n# TYPE {name} {kind}");
    }

    fn gauge(&mut self, name: &str, help: &str, value: f64) {
        self.header(name, "gauge", help);
        let _ = writeln!(self.text, "{name} {value}");
    }

    fn counter(&mut self, name: &str, help: &str, value: u64) {
        self.header(name, "counter", help);
        let _ = writeln!(self.text, "{name} {value}");
    }

    /// Prometheus buckets are cumulative; the snapshot's counts are per bucket.
    fn histogram(&mut self, name: &str, help: &str, h: &crate::health_snapshot::Histogram) {
        self.header(name, "histogram", help);
        let mut cumulative = 0;
        for (i, count) in h.counts.iter().enumerate() {
            cumulative += count;
            let le = h
                .bounds
                .get(i)
                .map_or("+Inf".to_string(), |bound| bound.to_string());
            let _ = writeln!(self.text, "{name}_bucket{{le=\"{le}\"}} {cumulative}");
        }
        let _ = writeln!(self.text, "{name}_sum {}", h.sum);
        let _ = writeln!(self.text, "{name}_count {cumulative}");
    }
}
