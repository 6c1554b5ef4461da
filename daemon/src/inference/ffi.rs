//! Raw LiteRT C API (2.3.0) loaded at run time with libloading.
//!
//! Only the calls proctord needs are bound. The signatures follow the 2.1.4 headers
//! vendored in the `litert-sys` crate, corrected for 2.2.0's silent change:
//! `LiteRtCreateModelFromFile` takes a leading `LiteRtEnvironment`. A mismatch would fail
//! silently, which is why the library is pinned by sha256 (see `runtime.rs`).

#![allow(non_camel_case_types, non_snake_case)]

use std::ffi::{c_char, c_int, c_void};

pub type LiteRtStatus = c_int;
pub const STATUS_OK: LiteRtStatus = 0;
pub type LiteRtParamIndex = usize;

macro_rules! opaque {
    ($($name:ident),*) => {$(
        #[repr(C)]
        pub struct $name { _private: [u8; 0] }
    )*};
}
opaque!(
    EnvT,
    ModelT,
    OptionsT,
    OpaqueOptionsT,
    CompiledModelT,
    TensorBufferT,
    RequirementsT,
    SignatureT,
    TensorT,
    SubgraphT,
    OpT
);

pub type Env = *mut EnvT;
pub type Model = *mut ModelT;
pub type Options = *mut OptionsT;
pub type OpaqueOptions = *mut OpaqueOptionsT;
pub type CompiledModel = *mut CompiledModelT;
pub type TensorBuffer = *mut TensorBufferT;
pub type Requirements = *mut RequirementsT;
pub type Signature = *mut SignatureT;
pub type Tensor = *mut TensorT;
pub type Subgraph = *mut SubgraphT;
pub type Op = *mut OpT;

/// `LiteRtGetStatusString` is not exported by the 2.3.0 build, so the names from
/// `litert_common.h` are kept here.
pub fn status_name(status: LiteRtStatus) -> &'static str {
    match status {
        0 => "ok",
        1 => "invalid argument",
        2 => "memory allocation failure",
        3 => "runtime failure",
        4 => "missing input tensor",
        5 => "unsupported",
        6 => "not found",
        7 => "timeout expired",
        8 => "wrong version",
        9 => "unknown error",
        10 => "already exists",
        100 => "cancelled",
        500 => "file I/O error",
        501 => "invalid flatbuffer",
        502 => "dynamic loading error",
        503 => "serialization error",
        504 => "compilation error",
        _ => "unrecognised status",
    }
}

pub const MAX_RANK: usize = 8;

/// `LiteRtLayout`: a 7-bit rank and a 1-bit has_strides flag share the first 4 bytes.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct Layout {
    pub rank_and_flags: u32,
    pub dimensions: [i32; MAX_RANK],
    pub strides: [u32; MAX_RANK],
}

impl Layout {
    pub fn rank(&self) -> usize {
        (self.rank_and_flags & 0x7f) as usize
    }
    pub fn dims(&self) -> &[i32] {
        &self.dimensions[..self.rank().min(MAX_RANK)]
    }
    pub fn with_dims(dims: &[i32]) -> Layout {
        let mut d = [0i32; MAX_RANK];
        d[..dims.len()].copy_from_slice(dims);
        Layout {
            rank_and_flags: dims.len() as u32,
            dimensions: d,
            strides: [0; MAX_RANK],
        }
    }
}

#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct RankedTensorType {
    pub element_type: c_int,
    pub layout: Layout,
}

#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct QuantizationPerTensor {
    pub scale: f32,
    pub zero_point: i64,
}

pub const ELEMENT_FLOAT32: c_int = 1;
pub const ELEMENT_INT32: c_int = 2;
pub const ELEMENT_UINT8: c_int = 3;
pub const ELEMENT_INT8: c_int = 9;
pub const QUANT_PER_TENSOR: c_int = 1;
pub const HW_CPU: c_int = 1;
pub const HW_GPU: c_int = 2;
pub const BUFFER_HOST_MEMORY: c_int = 1;
pub const LOCK_READ: c_int = 0;
pub const LOCK_WRITE: c_int = 1;
pub const TENSOR_TYPE_RANKED: c_int = 0;

/// Function table. The pointers stay valid while the `libloading::Library` they came
/// from is alive; `runtime::Runtime` keeps both together.
#[derive(Clone, Copy)]
pub struct Api {
    pub create_environment: unsafe extern "C" fn(c_int, *const c_void, *mut Env) -> LiteRtStatus,
    pub destroy_environment: unsafe extern "C" fn(Env),
    pub create_model_from_file:
        unsafe extern "C" fn(Env, *const c_char, *mut Model) -> LiteRtStatus,
    pub destroy_model: unsafe extern "C" fn(Model),
    pub get_num_model_signatures:
        unsafe extern "C" fn(Model, *mut LiteRtParamIndex) -> LiteRtStatus,
    pub get_model_signature:
        unsafe extern "C" fn(Model, LiteRtParamIndex, *mut Signature) -> LiteRtStatus,
    pub get_num_signature_inputs:
        unsafe extern "C" fn(Signature, *mut LiteRtParamIndex) -> LiteRtStatus,
    pub get_num_signature_outputs:
        unsafe extern "C" fn(Signature, *mut LiteRtParamIndex) -> LiteRtStatus,
    pub get_signature_input_tensor_by_index:
        unsafe extern "C" fn(Signature, LiteRtParamIndex, *mut Tensor) -> LiteRtStatus,
    pub get_signature_output_tensor_by_index:
        unsafe extern "C" fn(Signature, LiteRtParamIndex, *mut Tensor) -> LiteRtStatus,
    pub get_tensor_name: unsafe extern "C" fn(Tensor, *mut *const c_char) -> LiteRtStatus,
    pub get_tensor_type_id: unsafe extern "C" fn(Tensor, *mut c_int) -> LiteRtStatus,
    pub get_ranked_tensor_type: unsafe extern "C" fn(Tensor, *mut RankedTensorType) -> LiteRtStatus,
    pub get_unranked_tensor_type: unsafe extern "C" fn(Tensor, *mut c_int) -> LiteRtStatus,
    pub get_quantization_type_id: unsafe extern "C" fn(Tensor, *mut c_int) -> LiteRtStatus,
    pub get_per_tensor_quantization:
        unsafe extern "C" fn(Tensor, *mut QuantizationPerTensor) -> LiteRtStatus,
    pub get_num_model_subgraphs: unsafe extern "C" fn(Model, *mut LiteRtParamIndex) -> LiteRtStatus,
    pub get_model_subgraph:
        unsafe extern "C" fn(Model, LiteRtParamIndex, *mut Subgraph) -> LiteRtStatus,
    pub get_num_subgraph_ops: unsafe extern "C" fn(Subgraph, *mut LiteRtParamIndex) -> LiteRtStatus,
    pub get_subgraph_op: unsafe extern "C" fn(Subgraph, LiteRtParamIndex, *mut Op) -> LiteRtStatus,
    pub get_custom_code: unsafe extern "C" fn(Op, *mut *const c_char) -> LiteRtStatus,
    pub create_options: unsafe extern "C" fn(*mut Options) -> LiteRtStatus,
    pub destroy_options: unsafe extern "C" fn(Options),
    pub set_options_hardware_accelerators: unsafe extern "C" fn(Options, c_int) -> LiteRtStatus,
    pub create_opaque_options: unsafe extern "C" fn(
        *const c_char,
        *mut c_void,
        Option<unsafe extern "C" fn(*mut c_void)>,
        *mut OpaqueOptions,
    ) -> LiteRtStatus,
    pub add_opaque_options: unsafe extern "C" fn(Options, OpaqueOptions) -> LiteRtStatus,
    pub create_compiled_model:
        unsafe extern "C" fn(Env, Model, Options, *mut CompiledModel) -> LiteRtStatus,
    pub destroy_compiled_model: unsafe extern "C" fn(CompiledModel),
    pub get_input_buffer_requirements: unsafe extern "C" fn(
        CompiledModel,
        LiteRtParamIndex,
        LiteRtParamIndex,
        *mut Requirements,
    ) -> LiteRtStatus,
    pub get_output_buffer_requirements: unsafe extern "C" fn(
        CompiledModel,
        LiteRtParamIndex,
        LiteRtParamIndex,
        *mut Requirements,
    ) -> LiteRtStatus,
    pub get_requirements_buffer_size:
        unsafe extern "C" fn(Requirements, *mut usize) -> LiteRtStatus,
    pub create_managed_tensor_buffer: unsafe extern "C" fn(
        Env,
        c_int,
        *const RankedTensorType,
        usize,
        *mut TensorBuffer,
    ) -> LiteRtStatus,
    pub destroy_tensor_buffer: unsafe extern "C" fn(TensorBuffer),
    pub lock_tensor_buffer:
        unsafe extern "C" fn(TensorBuffer, *mut *mut c_void, c_int) -> LiteRtStatus,
    pub unlock_tensor_buffer: unsafe extern "C" fn(TensorBuffer) -> LiteRtStatus,
    pub run_compiled_model: unsafe extern "C" fn(
        CompiledModel,
        LiteRtParamIndex,
        usize,
        *mut TensorBuffer,
        usize,
        *mut TensorBuffer,
    ) -> LiteRtStatus,
}

impl Api {
    /// Resolves every symbol; the first missing one is returned as its name.
    ///
    /// # Safety
    /// `lib` must be a LiteRT 2.2+ library; the returned pointers are valid only while
    /// `lib` is loaded.
    pub unsafe fn load(lib: &libloading::Library) -> Result<Api, String> {
        macro_rules! sym {
            ($name:literal) => {
                *unsafe { lib.get(concat!($name, "\0").as_bytes()) }
                    .map_err(|_| $name.to_string())?
            };
        }
        // Exists only from 2.2.0 on, together with the new `LiteRtCreateModelFromFile`
        // signature; its absence means an older, incompatible ABI.
        let _abi_marker: unsafe extern "C" fn() = sym!("LiteRtCreateModelFromFd");
        Ok(Api {
            create_environment: sym!("LiteRtCreateEnvironment"),
            destroy_environment: sym!("LiteRtDestroyEnvironment"),
            create_model_from_file: sym!("LiteRtCreateModelFromFile"),
            destroy_model: sym!("LiteRtDestroyModel"),
            get_num_model_signatures: sym!("LiteRtGetNumModelSignatures"),
            get_model_signature: sym!("LiteRtGetModelSignature"),
            get_num_signature_inputs: sym!("LiteRtGetNumSignatureInputs"),
            get_num_signature_outputs: sym!("LiteRtGetNumSignatureOutputs"),
            get_signature_input_tensor_by_index: sym!("LiteRtGetSignatureInputTensorByIndex"),
            get_signature_output_tensor_by_index: sym!("LiteRtGetSignatureOutputTensorByIndex"),
            get_tensor_name: sym!("LiteRtGetTensorName"),
            get_tensor_type_id: sym!("LiteRtGetTensorTypeId"),
            get_ranked_tensor_type: sym!("LiteRtGetRankedTensorType"),
            get_unranked_tensor_type: sym!("LiteRtGetUnrankedTensorType"),
            get_quantization_type_id: sym!("LiteRtGetQuantizationTypeId"),
            get_per_tensor_quantization: sym!("LiteRtGetPerTensorQuantization"),
            get_num_model_subgraphs: sym!("LiteRtGetNumModelSubgraphs"),
            get_model_subgraph: sym!("LiteRtGetModelSubgraph"),
            get_num_subgraph_ops: sym!("LiteRtGetNumSubgraphOps"),
            get_subgraph_op: sym!("LiteRtGetSubgraphOp"),
            get_custom_code: sym!("LiteRtGetCustomCode"),
            create_options: sym!("LiteRtCreateOptions"),
            destroy_options: sym!("LiteRtDestroyOptions"),
            set_options_hardware_accelerators: sym!("LiteRtSetOptionsHardwareAccelerators"),
            create_opaque_options: sym!("LiteRtCreateOpaqueOptions"),
            add_opaque_options: sym!("LiteRtAddOpaqueOptions"),
            create_compiled_model: sym!("LiteRtCreateCompiledModel"),
            destroy_compiled_model: sym!("LiteRtDestroyCompiledModel"),
            get_input_buffer_requirements: sym!("LiteRtGetCompiledModelInputBufferRequirements"),
            get_output_buffer_requirements: sym!("LiteRtGetCompiledModelOutputBufferRequirements"),
            get_requirements_buffer_size: sym!("LiteRtGetTensorBufferRequirementsBufferSize"),
            create_managed_tensor_buffer: sym!("LiteRtCreateManagedTensorBuffer"),
            destroy_tensor_buffer: sym!("LiteRtDestroyTensorBuffer"),
            lock_tensor_buffer: sym!("LiteRtLockTensorBuffer"),
            unlock_tensor_buffer: sym!("LiteRtUnlockTensorBuffer"),
            run_compiled_model: sym!("LiteRtRunCompiledModel"),
        })
    }
}
