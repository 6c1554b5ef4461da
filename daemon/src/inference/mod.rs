//! Inference: the LiteRT runtime (a thin FFI of our own over the C API, loaded at run
//! time), model wrappers, and the face and object decoders.

mod anchors;
pub mod detector;
pub mod downscale;
pub mod error;
pub mod face;
pub mod face_mesh;
pub mod face_path;
pub mod face_roi;
mod ffi;
pub mod frame_detector;
pub mod gaze;
pub mod hands_zone;
pub mod head_pose;
pub mod labels;
pub mod model;
pub mod nms;
pub mod object_passes;
pub mod object_stage;
pub mod objects;
pub mod preprocess;
pub mod runtime;
mod ssd;
pub mod yolo;

pub use detector::{Detector, ObjectsMode};
pub use error::InferenceError;
pub use frame_detector::{FrameDetector, ReplayDetector};
pub use model::{CompileOptions, CompiledModel, ElementType, Quantization, RanOn, TensorInfo};
pub use runtime::Runtime;
