//! Inference: the LiteRT runtime (a thin FFI of our own over the C API, loaded at run
//! time), model wrappers, and the face and object decoders.

pub mod error;
mod ffi;
pub mod model;
pub mod runtime;

pub use error::InferenceError;
pub use model::{CompileOptions, CompiledModel, ElementType, Quantization, RanOn, TensorInfo};
pub use runtime::Runtime;
