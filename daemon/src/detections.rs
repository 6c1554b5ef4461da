//! What the models saw in one frame. Produced by `inference`, consumed by `rules`.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Axis-aligned box, normalised to 0..1 of the image width/height.
/// Serialised as `[x0, y0, x1, y1]`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(from = "[f32; 4]", into = "[f32; 4]")]
pub struct BBox {
    pub x0: f32,
    pub y0: f32,
    pub x1: f32,
    pub y1: f32,
}

impl From<[f32; 4]> for BBox {
    fn from(v: [f32; 4]) -> Self {
        Self {
            x0: v[0],
            y0: v[1],
            x1: v[2],
            y1: v[3],
        }
    }
}

impl From<BBox> for [f32; 4] {
    fn from(b: BBox) -> Self {
        [b.x0, b.y0, b.x1, b.y1]
    }
}

/// `[x0, y0, x1, y1]`, as it is serialised.
impl utoipa::PartialSchema for BBox {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Type};
        ArrayBuilder::new()
            .items(ObjectBuilder::new().schema_type(Type::Number))
            .min_items(Some(4))
            .max_items(Some(4))
            .description(Some(
                "[x0, y0, x1, y1], normalised to 0..1 of the image width and height",
            ))
            .into()
    }
}

impl utoipa::ToSchema for BBox {}

impl BBox {
    pub fn width(&self) -> f32 {
        (self.x1 - self.x0).max(0.0)
    }
    pub fn height(&self) -> f32 {
        (self.y1 - self.y0).max(0.0)
    }
    pub fn area(&self) -> f32 {
        self.width() * self.height()
    }
    /// Intersection over union; 0 when either box is empty.
    pub fn iou(&self, other: &BBox) -> f32 {
        let ix = (self.x1.min(other.x1) - self.x0.max(other.x0)).max(0.0);
        let iy = (self.y1.min(other.y1) - self.y0.max(other.y0)).max(0.0);
        let inter = ix * iy;
        let union = self.area() + other.area() - inter;
        if union <= 0.0 { 0.0 } else { inter / union }
    }
    pub fn clamped(self) -> BBox {
        BBox {
            x0: self.x0.clamp(0.0, 1.0),
            y0: self.y0.clamp(0.0, 1.0),
            x1: self.x1.clamp(0.0, 1.0),
            y1: self.y1.clamp(0.0, 1.0),
        }
    }
}

/// A detected face with its head pose estimate.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Face {
    /// The face detector's score.
    pub score: f32,
    #[serde(rename = "box")]
    pub bbox: BBox,
    /// Right eye, left eye, nose tip, mouth centre, right ear tragion, left ear tragion
    /// (normalised x, y), in BlazeFace's order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keypoints: Vec<[f32; 2]>,
    /// Positive = head turned to the image's right. 0 = facing the camera (relative to
    /// the line of sight from the camera to the face).
    pub yaw_deg: f32,
    /// Positive = head tilted down. 0 = facing the camera.
    pub pitch_deg: f32,
    /// Positive = head tilted towards the image's right shoulder. 0 = upright.
    #[serde(default)]
    pub roll_deg: f32,
    /// The face-landmark model's presence score (0..1); `None` when no landmark model ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mesh_score: Option<f32>,
    /// Where the eyes point within the head, when the landmarks include the irises.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gaze: Option<Gaze>,
    /// The rules' per-face verdict with the configured thresholds (see
    /// `rules::face_looks_away`); filled in by the analysis stage.
    #[serde(default)]
    pub looking_away: bool,
    /// A detection so confident (`[detection] face_unconfirmed_score`) that it counts as
    /// a face although the landmark model could not confirm it (a head in profile, a hand
    /// or a camera over the face): there are no landmarks, so no head pose or gaze, and
    /// the rules judge it as they judge a person without a detectable face: looking away.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub pose_unknown: bool,
}

/// Eye direction from the iris centres against the eye corners and lids, averaged over
/// both eyes: `x` −1 (image left) … +1 (image right), `y` −1 (up) … +1 (down); 0 = centred.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Gaze {
    pub x: f32,
    pub y: f32,
}

impl Gaze {
    /// Degrees the eyes turn within the head per unit of `x` (an iris offset of one half
    /// eye width). An eyeball's radius (~12 mm) is a little under half an eye's width
    /// (~15 mm), so a full half-width offset is an extreme turn; 30° per unit keeps the
    /// estimate on the cautious side of that geometry for the small offsets that matter.
    pub const EYE_YAW_DEG_PER_UNIT: f32 = 30.0;

    pub fn eye_yaw_deg(&self) -> f32 {
        self.x * Self::EYE_YAW_DEG_PER_UNIT
    }
}

/// The proctoring classes a COCO label maps to.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    PartialOrd,
    Ord,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ObjectClass {
    Phone,
    Notes,
    Device,
    Person,
}

impl ObjectClass {
    pub const ALL: [ObjectClass; 4] = [
        ObjectClass::Phone,
        ObjectClass::Notes,
        ObjectClass::Device,
        ObjectClass::Person,
    ];
    pub fn as_str(&self) -> &'static str {
        match self {
            ObjectClass::Phone => "phone",
            ObjectClass::Notes => "notes",
            ObjectClass::Device => "device",
            ObjectClass::Person => "person",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DetectedObject {
    pub class: ObjectClass,
    /// The model's own label, e.g. "cell phone".
    pub label: String,
    pub score: f32,
    #[serde(rename = "box")]
    pub bbox: BBox,
}

/// Milliseconds spent per stage on one frame.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct InferenceTimes {
    pub face_ms: f32,
    /// Whether the face detector ran on this frame (otherwise the faces were tracked from
    /// the previous frame's landmarks).
    #[serde(default)]
    pub face_detector_ran: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub objects_ms: Option<f32>,
    pub total_ms: f32,
}

/// Everything seen in one analysed frame.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Detections {
    pub frame_seq: u64,
    /// Frame time since the start of the source (see `Frame::pts`).
    #[serde(with = "duration_secs")]
    #[schema(value_type = f64)]
    pub at: Duration,
    pub faces: Vec<Face>,
    /// `None` when object detection did not run on this frame (it may run at a lower
    /// rate than face detection); `Some(vec![])` when it ran and found nothing.
    pub objects: Option<Vec<DetectedObject>>,
    /// The zone of the hands-and-desk object pass, normalised to the frame, on the
    /// frames where that pass ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hands_zone: Option<BBox>,
    /// The time of the frame `objects` were found on, when that is an earlier frame: the
    /// live daemon's object stage runs on its own thread, and its result joins the next
    /// analysed frame (see `inference::ParallelDetector`). `None` = this frame.
    #[serde(
        default,
        with = "optional_duration_secs",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<f64>)]
    pub objects_at: Option<Duration>,
    pub inference_ms: InferenceTimes,
}

impl Detections {
    /// When the objects of this frame were seen (see `objects_at`).
    pub fn objects_seen_at(&self) -> Duration {
        self.objects_at.unwrap_or(self.at)
    }
}

/// Serialises a Duration as fractional seconds.
pub mod duration_secs {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;
    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(d.as_secs_f64())
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let v = f64::deserialize(d)?;
        Ok(Duration::from_secs_f64(v.max(0.0)))
    }
}

/// Serialises an optional Duration as fractional seconds.
pub mod optional_duration_secs {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;
    pub fn serialize<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_some(&d.as_secs_f64()),
            None => s.serialize_none(),
        }
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
        let v = Option::<f64>::deserialize(d)?;
        Ok(v.map(|v| Duration::from_secs_f64(v.max(0.0))))
    }
}
