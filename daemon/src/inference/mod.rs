//! Inference: the LiteRT runtime (a thin FFI of our own over the C API, loaded at run
//! time), model wrappers, and the face and object decoders.

mod anchors;
pub mod detector;
pub mod error;
pub mod face;
pub mod face_mesh;
pub mod face_path;
pub mod face_roi;
mod ffi;
pub mod frame_detector;
pub mod gaze;
pub mod head_pose;
pub mod labels;
pub mod model;
pub mod objects;
pub mod preprocess;
pub mod runtime;

pub use detector::Detector;
pub use error::InferenceError;
pub use frame_detector::{FrameDetector, ReplayDetector};
pub use model::{CompileOptions, CompiledModel, ElementType, Quantization, RanOn, TensorInfo};
pub use runtime::Runtime;
