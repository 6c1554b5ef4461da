//! The kiosk's health at one moment, as one typed value: what `service::health` makes
//! every second and what the status page (`/api/health`, the event stream), MQTT
//! `health` and `GET /metrics` all read. It lives below `live`, `web`, `publish` and
//! `service` so that each of them can use it without depending on the others.
//!
//! The JSON field names are the ones the status page and its tests read (see `live`);
//! renaming one is a change of the API.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::publish::PublisherStatus;

/// Upper bounds (ms) of the inference-time histogram's buckets; the last is +Inf.
pub const INFERENCE_MS_BUCKETS: [f64; 11] = [
    1.0, 2.0, 5.0, 10.0, 20.0, 35.0, 50.0, 75.0, 100.0, 200.0, 500.0,
];

#[derive(Clone, Debug, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct HealthSnapshot {
    pub uptime_s: u64,
    pub camera: CameraHealth,
    pub inference: InferenceHealth,
    pub recording: RecordingHealth,
    /// Event records stored by the pipeline.
    pub events_recorded: u64,
    /// Events that ended since proctord started, by kind (`no_face`, `phone_detected`, …);
    /// every event ends exactly once, so each is counted once.
    pub events_by_kind: BTreeMap<String, u64>,
    /// Events the pipeline could not store.
    pub store_errors: u64,
    /// Committed writes whose flush to disk failed: live, but the disk needs a look.
    pub store_unflushed_commits: u64,
    /// Wall-clock steps seen (see `clock::WallMap`).
    pub clock_steps: u64,
    /// Items stored but not yet acknowledged by the broker.
    pub outbox_len: usize,
    pub mqtt: MqttHealth,
    /// Free space on the disk holding `[kiosk] state_dir`, in MiB; `None` if unknown.
    pub disk_free_mib: Option<u64>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct CameraHealth {
    pub connected: bool,
    /// What the camera is doing, as a sentence.
    pub state: String,
    pub fps: f64,
    pub frames: u64,
    /// Frames converted from the camera's own format to RGB for the models: the
    /// analysed ones only (a camera or file that delivers YUV is recorded as YUV), so
    /// normally fewer than `frames`.
    pub converted_to_rgb: u64,
    pub outages: u64,
    pub outage_s: f64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct InferenceHealth {
    /// `cpu` or `gpu`: where the models run.
    pub accelerator: String,
    pub fps: f64,
    pub last_ms: f64,
    pub mean_ms: f64,
    pub frames: u64,
    /// Frames replaced in the slot before inference took them.
    pub dropped_frames: u64,
    pub errors: u64,
    pub queue_depth: usize,
    /// How long inference took per frame since proctord started.
    pub histogram_ms: Histogram,
    /// The object stage's achieved rate: lower than configured when the board cannot
    /// keep up (it drops frames rather than queueing them).
    pub objects_fps: f64,
    pub objects_frames: u64,
    pub objects_mean_ms: f64,
}

/// Counts per bucket (not cumulative) with the bounds of [`INFERENCE_MS_BUCKETS`]; the
/// last count is for everything above the last bound.
#[derive(Clone, Debug, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Histogram {
    pub bounds: Vec<f64>,
    pub counts: Vec<u64>,
    pub sum: f64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct RecordingHealth {
    pub active: bool,
    /// A sentence; `"stopped: …"` is a fault.
    pub note: String,
    pub segments: u64,
    pub dropped_frames: u64,
}

/// `{"enabled": false}` with MQTT off, or the publisher's status (connected,
/// last_error, acknowledged, …) with `"enabled": true`.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct MqttHealth {
    pub enabled: bool,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub status: Option<PublisherStatus>,
}

/// Either `{"enabled": false}` or `{"enabled": true, ...PublisherStatus}`: the flattened
/// optional status is not something the derive can say.
impl utoipa::PartialSchema for MqttHealth {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::Ref;
        use utoipa::openapi::schema::{AllOfBuilder, ObjectBuilder, OneOfBuilder, Type};
        let enabled = |on: bool| {
            ObjectBuilder::new()
                .property(
                    "enabled",
                    ObjectBuilder::new()
                        .schema_type(Type::Boolean)
                        .enum_values(Some([on])),
                )
                .required("enabled")
        };
        let publisher = <PublisherStatus as utoipa::ToSchema>::name();
        OneOfBuilder::new()
            .description(Some(
                "`{\"enabled\": false}` with MQTT off, or the publisher's status with `\"enabled\": true`",
            ))
            .item(enabled(false))
            .item(
                AllOfBuilder::new()
                    .item(enabled(true))
                    .item(Ref::from_schema_name(publisher)),
            )
            .into()
    }
}

impl utoipa::ToSchema for MqttHealth {
    fn schemas(
        schemas: &mut Vec<(
            String,
            utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
        )>,
    ) {
        use utoipa::PartialSchema;
        let name = <PublisherStatus as utoipa::ToSchema>::name();
        schemas.push((name.into(), PublisherStatus::schema()));
        <PublisherStatus as utoipa::ToSchema>::schemas(schemas);
    }
}

impl MqttHealth {
    pub fn off() -> MqttHealth {
        MqttHealth::default()
    }

    pub fn of(status: PublisherStatus) -> MqttHealth {
        MqttHealth {
            enabled: true,
            status: Some(status),
        }
    }
}
