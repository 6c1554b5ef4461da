//! One compiled model with its input and output buffers, allocated once and reused for
//! every frame.

use std::ffi::{CStr, CString, c_void};
use std::path::{Path, PathBuf};

use super::error::InferenceError;
use super::ffi;
use super::runtime::Runtime;
use crate::config::{Accelerator, GpuFallback};

/// Element type of a tensor, as far as proctord's models need.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ElementType {
    Float32,
    UInt8,
    Int8,
    Int32,
    Other(i32),
}

impl ElementType {
    fn from_raw(v: i32) -> Self {
        match v {
            ffi::ELEMENT_FLOAT32 => ElementType::Float32,
            ffi::ELEMENT_UINT8 => ElementType::UInt8,
            ffi::ELEMENT_INT8 => ElementType::Int8,
            ffi::ELEMENT_INT32 => ElementType::Int32,
            other => ElementType::Other(other),
        }
    }
    pub fn size_bytes(&self) -> usize {
        match self {
            ElementType::Float32 | ElementType::Int32 => 4,
            ElementType::UInt8 | ElementType::Int8 => 1,
            ElementType::Other(_) => 1,
        }
    }
}

/// Affine quantisation of a tensor: real = scale × (q − zero_point).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Quantization {
    pub scale: f32,
    pub zero_point: i64,
}

#[derive(Clone, Debug)]
pub struct TensorInfo {
    pub name: String,
    pub element_type: ElementType,
    /// Empty when the model declares no shape (e.g. SSD post-process outputs).
    pub dims: Vec<i32>,
    pub quantization: Option<Quantization>,
    /// Size of the runtime's buffer in bytes.
    pub bytes: usize,
}

impl TensorInfo {
    pub fn element_count(&self) -> usize {
        self.bytes / self.element_type.size_bytes()
    }
}

/// Which hardware actually runs a model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RanOn {
    Cpu,
    Gpu,
}

impl RanOn {
    pub fn as_str(&self) -> &'static str {
        match self {
            RanOn::Cpu => "cpu",
            RanOn::Gpu => "gpu",
        }
    }
}

#[derive(Clone, Copy, Debug)]
pub struct CompileOptions {
    pub accelerator: Accelerator,
    pub gpu_fallback: GpuFallback,
    pub threads: u32,
}

/// Buffer size for outputs whose shape is only known after a run.
const DYNAMIC_OUTPUT_BYTES: usize = 64 * 1024;

/// Custom ops that the stock LiteRT CPU runtime implements itself.
const BUILT_IN_CUSTOM_OPS: &[&str] = &["TFLite_Detection_PostProcess"];

pub struct CompiledModel {
    runtime: Runtime,
    path: PathBuf,
    model: ffi::Model,
    options: ffi::Options,
    compiled: ffi::CompiledModel,
    inputs: Vec<ffi::TensorBuffer>,
    outputs: Vec<ffi::TensorBuffer>,
    input_info: Vec<TensorInfo>,
    output_info: Vec<TensorInfo>,
    ran_on: RanOn,
}

// SAFETY: a compiled model and its buffers are owned by this value and used by one
// thread at a time (`&mut self` for every call that touches them).
unsafe impl Send for CompiledModel {}

/// Turns a LiteRT status into a result: every status proctord receives goes through here.
fn check(call: &'static str, status: ffi::LiteRtStatus) -> Result<(), InferenceError> {
    if status == ffi::STATUS_OK {
        Ok(())
    } else {
        Err(InferenceError::Runtime {
            call,
            status: status_name(status),
        })
    }
}

fn status_name(status: ffi::LiteRtStatus) -> String {
    format!("{} (LiteRT status {status})", ffi::status_name(status))
}

impl CompiledModel {
    /// Loads and compiles `path`. The model is compiled once; its buffers are allocated
    /// once from the compiled model's own requirements.
    pub fn load(
        runtime: &Runtime,
        path: &Path,
        opts: CompileOptions,
    ) -> Result<CompiledModel, InferenceError> {
        if !path.is_file() {
            return Err(InferenceError::ModelMissing {
                path: path.to_owned(),
            });
        }
        let api = runtime.inner.api;
        let env = runtime.inner.env;
        let cpath = CString::new(path.as_os_str().as_encoded_bytes()).map_err(|_| {
            InferenceError::ModelInvalid {
                path: path.to_owned(),
                reason: "path contains a NUL byte".into(),
            }
        })?;
        let mut model = std::ptr::null_mut();
        // SAFETY: `env` is the live environment `runtime` owns, `cpath` is a NUL-terminated
        // string that outlives the call, and `model` is a valid out-pointer.
        let status = unsafe { (api.create_model_from_file)(env, cpath.as_ptr(), &mut model) };
        if status != ffi::STATUS_OK || model.is_null() {
            return Err(InferenceError::ModelInvalid {
                path: path.to_owned(),
                reason: status_name(status),
            });
        }
        // From here on, `partial` releases what was created if a later step fails.
        let mut partial = CompiledModel {
            runtime: runtime.clone(),
            path: path.to_owned(),
            model,
            options: std::ptr::null_mut(),
            compiled: std::ptr::null_mut(),
            inputs: Vec::new(),
            outputs: Vec::new(),
            input_info: Vec::new(),
            output_info: Vec::new(),
            ran_on: RanOn::Cpu,
        };
        let want_gpu = matches!(opts.accelerator, Accelerator::Gpu | Accelerator::Auto);
        if want_gpu {
            match partial.compile(RanOn::Gpu, opts.threads) {
                Ok(()) => {}
                Err(e) => {
                    let reason = e.to_string();
                    let may_fall_back = opts.accelerator == Accelerator::Auto
                        || opts.gpu_fallback == GpuFallback::Cpu;
                    if !may_fall_back {
                        return Err(InferenceError::GpuUnavailable { reason });
                    }
                    log::warn!(
                        "The GPU could not run model {} ({reason}); running it on the CPU instead.",
                        path.display()
                    );
                    partial.release_compiled();
                    partial.compile(RanOn::Cpu, opts.threads)?;
                }
            }
        } else {
            partial.compile(RanOn::Cpu, opts.threads)?;
        }
        partial.describe_tensors()?;
        partial.allocate_buffers()?;
        partial.warm_up()?;
        log::info!(
            "Model {} compiled for the {} with {} thread(s).",
            path.display(),
            partial.ran_on.as_str().to_uppercase(),
            opts.threads
        );
        Ok(partial)
    }

    fn compile(&mut self, on: RanOn, threads: u32) -> Result<(), InferenceError> {
        let api = self.runtime.inner.api;
        let mut options = std::ptr::null_mut();
        // SAFETY: `options` is a valid out-pointer; the options are stored in `self` at
        // once so that `release_compiled` (or Drop) destroys them on every path.
        check("LiteRtCreateOptions", unsafe {
            (api.create_options)(&mut options)
        })?;
        self.options = options;
        let hw = match on {
            RanOn::Cpu => ffi::HW_CPU,
            RanOn::Gpu => ffi::HW_GPU,
        };
        // SAFETY: `options` was just created and is owned by `self`.
        check("LiteRtSetOptionsHardwareAccelerators", unsafe {
            (api.set_options_hardware_accelerators)(options, hw)
        })?;
        if on == RanOn::Cpu {
            // XNNPACK reads its thread count from an opaque "xnnpack" payload in TOML-like
            // text; without it LiteRT runs one thread.
            let payload = CString::new(format!("num_threads = {threads}\n")).expect("no NUL");
            let payload = payload.into_raw();
            let mut opaque = std::ptr::null_mut();
            // SAFETY: the identifier is a static C string; on success LiteRT owns
            // `payload` and frees it with `free_cstring`, the matching deallocator.
            let s = unsafe {
                (api.create_opaque_options)(
                    c"xnnpack".as_ptr(),
                    payload as *mut c_void,
                    Some(free_cstring),
                    &mut opaque,
                )
            };
            if s != ffi::STATUS_OK {
                // SAFETY: LiteRT refused the payload, so it is still ours to free.
                unsafe { free_cstring(payload as *mut c_void) };
            }
            check("LiteRtCreateOpaqueOptions", s)?;
            // SAFETY: both handles are live; `options` takes ownership of `opaque`.
            check("LiteRtAddOpaqueOptions", unsafe {
                (api.add_opaque_options)(options, opaque)
            })?;
        }
        let mut compiled = std::ptr::null_mut();
        // SAFETY: environment, model and options are live handles owned by `runtime` and
        // `self`; `compiled` is a valid out-pointer.
        let s = unsafe {
            (api.create_compiled_model)(self.runtime.inner.env, self.model, options, &mut compiled)
        };
        if s != ffi::STATUS_OK || compiled.is_null() {
            let custom = self.custom_ops();
            if !custom.is_empty() {
                return Err(InferenceError::UnsupportedOps {
                    path: self.path.clone(),
                    accelerator: on.as_str(),
                    ops: format!("custom op(s) {}", custom.join(", ")),
                });
            }
            if on == RanOn::Gpu {
                return Err(InferenceError::GpuUnavailable {
                    reason: status_name(s),
                });
            }
            check("LiteRtCreateCompiledModel", s)?;
            return Err(InferenceError::Runtime {
                call: "LiteRtCreateCompiledModel",
                status: "it returned no compiled model".into(),
            });
        }
        self.compiled = compiled;
        self.ran_on = on;
        Ok(())
    }

    /// Runs the model once on zeroed inputs. LiteRT prepares ops lazily, so a model with
    /// an op this runtime cannot run (e.g. an Edge TPU custom op) compiles fine and only
    /// fails here: better at start than on the first frame.
    fn warm_up(&mut self) -> Result<(), InferenceError> {
        for i in 0..self.inputs.len() {
            self.write_input(i, |b| b.fill(0))?;
        }
        match self.invoke() {
            Ok(()) => Ok(()),
            Err(e) => {
                let custom: Vec<String> = self
                    .custom_ops()
                    .into_iter()
                    .filter(|op| !BUILT_IN_CUSTOM_OPS.contains(&op.as_str()))
                    .collect();
                if custom.is_empty() {
                    Err(e)
                } else {
                    Err(InferenceError::UnsupportedOps {
                        path: self.path.clone(),
                        accelerator: self.ran_on.as_str(),
                        ops: format!("custom op(s) {}", custom.join(", ")),
                    })
                }
            }
        }
    }

    /// Names of custom ops in the model: the usual reason a model will not compile.
    /// Best effort (it only explains another error), so a failed query ends the search.
    fn custom_ops(&self) -> Vec<String> {
        let mut found = Vec::new();
        // The error is dropped on purpose: see above.
        let _ = self.collect_custom_ops(&mut found);
        found
    }

    fn collect_custom_ops(&self, found: &mut Vec<String>) -> Result<(), InferenceError> {
        let api = self.runtime.inner.api;
        let mut n_sub = 0usize;
        // SAFETY (this and the calls below): `self.model` is a live model handle and every
        // out-pointer is a valid local; subgraph and op handles are borrowed from the
        // model and used only while it lives.
        check("LiteRtGetNumModelSubgraphs", unsafe {
            (api.get_num_model_subgraphs)(self.model, &mut n_sub)
        })?;
        for si in 0..n_sub {
            let mut sub = std::ptr::null_mut();
            // SAFETY: as above; `si` is below the subgraph count.
            check("LiteRtGetModelSubgraph", unsafe {
                (api.get_model_subgraph)(self.model, si, &mut sub)
            })?;
            let mut n_ops = 0usize;
            // SAFETY: `sub` is a subgraph handle of the live model.
            check("LiteRtGetNumSubgraphOps", unsafe {
                (api.get_num_subgraph_ops)(sub, &mut n_ops)
            })?;
            for oi in 0..n_ops {
                let mut op = std::ptr::null_mut();
                // SAFETY: `oi` is below the op count of `sub`.
                check("LiteRtGetSubgraphOp", unsafe {
                    (api.get_subgraph_op)(sub, oi, &mut op)
                })?;
                let mut code = std::ptr::null();
                // SAFETY: `op` is an op handle of the live model. A builtin op has no
                // custom code: that status is an answer, not an error, so it is only
                // compared here.
                let has_code = unsafe { (api.get_custom_code)(op, &mut code) } == ffi::STATUS_OK;
                if has_code && !code.is_null() {
                    // SAFETY: LiteRT returns a NUL-terminated string owned by the model,
                    // copied out before the model can go away.
                    let name = unsafe { CStr::from_ptr(code) }
                        .to_string_lossy()
                        .into_owned();
                    if !name.is_empty() && !found.contains(&name) {
                        found.push(name);
                    }
                }
            }
        }
        Ok(())
    }

    fn release_compiled(&mut self) {
        let api = self.runtime.inner.api;
        if !self.compiled.is_null() {
            // SAFETY: `compiled` was created by LiteRT, is destroyed once (nulled below),
            // and no buffer run refers to it any more.
            unsafe { (api.destroy_compiled_model)(self.compiled) };
            self.compiled = std::ptr::null_mut();
        }
        if !self.options.is_null() {
            // SAFETY: as above for the options.
            unsafe { (api.destroy_options)(self.options) };
            self.options = std::ptr::null_mut();
        }
    }

    fn describe_tensors(&mut self) -> Result<(), InferenceError> {
        let api = self.runtime.inner.api;
        let mut n_sig = 0usize;
        // SAFETY: `self.model` is live and `n_sig` a valid out-pointer.
        let s = unsafe { (api.get_num_model_signatures)(self.model, &mut n_sig) };
        check("LiteRtGetNumModelSignatures", s)?;
        if n_sig == 0 {
            return Err(InferenceError::UnexpectedModel {
                path: self.path.clone(),
                reason: "it has no signature".into(),
            });
        }
        let mut sig = std::ptr::null_mut();
        // SAFETY: signature 0 exists (n_sig > 0); the handle is borrowed from the model.
        check("LiteRtGetModelSignature", unsafe {
            (api.get_model_signature)(self.model, 0, &mut sig)
        })?;
        let (mut n_in, mut n_out) = (0usize, 0usize);
        // SAFETY: `sig` is a live signature handle; out-pointers are valid locals.
        check("LiteRtGetNumSignatureInputs", unsafe {
            (api.get_num_signature_inputs)(sig, &mut n_in)
        })?;
        // SAFETY: as above.
        check("LiteRtGetNumSignatureOutputs", unsafe {
            (api.get_num_signature_outputs)(sig, &mut n_out)
        })?;
        for i in 0..n_in {
            let mut t = std::ptr::null_mut();
            // SAFETY: `i` is below the signature's input count.
            check("LiteRtGetSignatureInputTensorByIndex", unsafe {
                (api.get_signature_input_tensor_by_index)(sig, i, &mut t)
            })?;
            let mut req = std::ptr::null_mut();
            // SAFETY: `self.compiled` is live (compile ran first); signature 0, input `i`.
            check("LiteRtGetCompiledModelInputBufferRequirements", unsafe {
                (api.get_input_buffer_requirements)(self.compiled, 0, i, &mut req)
            })?;
            let info = self.tensor_info(t, req)?;
            self.input_info.push(info);
        }
        for i in 0..n_out {
            let mut t = std::ptr::null_mut();
            // SAFETY: `i` is below the signature's output count.
            check("LiteRtGetSignatureOutputTensorByIndex", unsafe {
                (api.get_signature_output_tensor_by_index)(sig, i, &mut t)
            })?;
            let mut req = std::ptr::null_mut();
            // SAFETY: as for the inputs.
            check("LiteRtGetCompiledModelOutputBufferRequirements", unsafe {
                (api.get_output_buffer_requirements)(self.compiled, 0, i, &mut req)
            })?;
            let mut info = self.tensor_info(t, req)?;
            // Outputs declared without a shape (SSD's TFLite_Detection_PostProcess) report
            // a 4-byte requirement, yet LiteRT copies the whole resized tensor into the
            // buffer at run time: a buffer that small is a heap overflow. Give them room;
            // decoders bound what they read by the count the model reports.
            if info.dims.is_empty() {
                info.bytes = info.bytes.max(DYNAMIC_OUTPUT_BYTES);
            }
            self.output_info.push(info);
        }
        Ok(())
    }

    fn tensor_info(
        &self,
        t: ffi::Tensor,
        req: ffi::Requirements,
    ) -> Result<TensorInfo, InferenceError> {
        let api = self.runtime.inner.api;
        let mut name_ptr = std::ptr::null();
        // SAFETY (all calls in this function): `t` is a tensor handle and `req` a
        // requirements handle borrowed from the live model and compiled model; every
        // out-pointer is a valid local.
        check("LiteRtGetTensorName", unsafe {
            (api.get_tensor_name)(t, &mut name_ptr)
        })?;
        let name = if name_ptr.is_null() {
            String::new()
        } else {
            // SAFETY: a NUL-terminated string owned by the model, copied out at once.
            unsafe { CStr::from_ptr(name_ptr) }
                .to_string_lossy()
                .into_owned()
        };
        let mut type_id = -1;
        // SAFETY: see the top of this function.
        check("LiteRtGetTensorTypeId", unsafe {
            (api.get_tensor_type_id)(t, &mut type_id)
        })?;
        let (element_type, dims) = if type_id == ffi::TENSOR_TYPE_RANKED {
            let mut rt = ffi::RankedTensorType {
                element_type: 0,
                layout: ffi::Layout::with_dims(&[]),
            };
            // SAFETY: see the top of this function; `rt` has the C layout LiteRT fills.
            check("LiteRtGetRankedTensorType", unsafe {
                (api.get_ranked_tensor_type)(t, &mut rt)
            })?;
            (
                ElementType::from_raw(rt.element_type),
                rt.layout.dims().to_vec(),
            )
        } else {
            let mut et = 0;
            // SAFETY: see the top of this function.
            check("LiteRtGetUnrankedTensorType", unsafe {
                (api.get_unranked_tensor_type)(t, &mut et)
            })?;
            (ElementType::from_raw(et), Vec::new())
        };
        let mut qtype = 0;
        // SAFETY: see the top of this function.
        check("LiteRtGetQuantizationTypeId", unsafe {
            (api.get_quantization_type_id)(t, &mut qtype)
        })?;
        let quantization = if qtype == ffi::QUANT_PER_TENSOR {
            let mut q = ffi::QuantizationPerTensor::default();
            // SAFETY: see the top of this function; the tensor is per-tensor quantised.
            check("LiteRtGetPerTensorQuantization", unsafe {
                (api.get_per_tensor_quantization)(t, &mut q)
            })?;
            Some(Quantization {
                scale: q.scale,
                zero_point: q.zero_point,
            })
        } else {
            None
        };
        let mut bytes = 0usize;
        // SAFETY: see the top of this function.
        check("LiteRtGetTensorBufferRequirementsBufferSize", unsafe {
            (api.get_requirements_buffer_size)(req, &mut bytes)
        })?;
        Ok(TensorInfo {
            name,
            element_type,
            dims,
            quantization,
            bytes,
        })
    }

    fn allocate_buffers(&mut self) -> Result<(), InferenceError> {
        for i in 0..self.input_info.len() {
            let b = self.create_buffer(&self.input_info[i])?;
            self.inputs.push(b);
        }
        for i in 0..self.output_info.len() {
            let b = self.create_buffer(&self.output_info[i])?;
            self.outputs.push(b);
        }
        Ok(())
    }

    fn create_buffer(&self, info: &TensorInfo) -> Result<ffi::TensorBuffer, InferenceError> {
        let api = self.runtime.inner.api;
        let dims: Vec<i32> = if info.dims.is_empty() || info.dims.iter().any(|d| *d < 0) {
            vec![info.element_count() as i32]
        } else {
            info.dims.clone()
        };
        let raw_type = match info.element_type {
            ElementType::Float32 => ffi::ELEMENT_FLOAT32,
            ElementType::UInt8 => ffi::ELEMENT_UINT8,
            ElementType::Int8 => ffi::ELEMENT_INT8,
            ElementType::Int32 => ffi::ELEMENT_INT32,
            ElementType::Other(v) => v,
        };
        let rt = ffi::RankedTensorType {
            element_type: raw_type,
            layout: ffi::Layout::with_dims(&dims),
        };
        let mut buf = std::ptr::null_mut();
        // SAFETY: the environment is live, `rt` describes `info.bytes` bytes and outlives
        // the call (LiteRT copies it), and `buf` is a valid out-pointer. The buffer is
        // pushed into `self` by the caller, so Drop destroys it.
        let s = unsafe {
            (api.create_managed_tensor_buffer)(
                self.runtime.inner.env,
                ffi::BUFFER_HOST_MEMORY,
                &rt,
                info.bytes,
                &mut buf,
            )
        };
        check("LiteRtCreateManagedTensorBuffer", s)?;
        if buf.is_null() {
            return Err(InferenceError::Runtime {
                call: "LiteRtCreateManagedTensorBuffer",
                status: "it returned no buffer".into(),
            });
        }
        Ok(buf)
    }

    pub fn inputs(&self) -> &[TensorInfo] {
        &self.input_info
    }
    /// The image input every model here takes first; the reason when there is none.
    pub fn image_input(&self) -> Result<&TensorInfo, String> {
        self.input_info
            .first()
            .ok_or_else(|| "the model has no input".to_owned())
    }
    pub fn outputs(&self) -> &[TensorInfo] {
        &self.output_info
    }
    pub fn ran_on(&self) -> RanOn {
        self.ran_on
    }
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Gives `fill` write access to input `index`'s bytes.
    pub fn write_input<R>(
        &mut self,
        index: usize,
        fill: impl FnOnce(&mut [u8]) -> R,
    ) -> Result<R, InferenceError> {
        let len = self.input_info[index].bytes;
        let buf = self.inputs[index];
        let ptr = self.lock(buf, ffi::LOCK_WRITE)?;
        // SAFETY: the locked host buffer is `len` bytes long (created with that size) and
        // exclusively ours until unlock; `&mut self` keeps any other access out.
        let r = fill(unsafe { std::slice::from_raw_parts_mut(ptr as *mut u8, len) });
        self.unlock(buf)?;
        Ok(r)
    }

    /// Gives `read` the bytes of output `index`.
    pub fn read_output<R>(
        &mut self,
        index: usize,
        read: impl FnOnce(&[u8]) -> R,
    ) -> Result<R, InferenceError> {
        let len = self.output_info[index].bytes;
        let buf = self.outputs[index];
        let ptr = self.lock(buf, ffi::LOCK_READ)?;
        // SAFETY: as in `write_input`, read-only; the slice does not outlive the lock.
        let r = read(unsafe { std::slice::from_raw_parts(ptr as *const u8, len) });
        self.unlock(buf)?;
        Ok(r)
    }

    /// Runs the model on the current inputs.
    pub fn invoke(&mut self) -> Result<(), InferenceError> {
        let api = self.runtime.inner.api;
        // SAFETY: the compiled model and every buffer are live and owned by `self`; the
        // buffer arrays' lengths are passed with them; no buffer is locked here.
        let s = unsafe {
            (api.run_compiled_model)(
                self.compiled,
                0,
                self.inputs.len(),
                self.inputs.as_mut_ptr(),
                self.outputs.len(),
                self.outputs.as_mut_ptr(),
            )
        };
        check("LiteRtRunCompiledModel", s)
    }

    fn lock(&self, buf: ffi::TensorBuffer, mode: i32) -> Result<*mut c_void, InferenceError> {
        let api = self.runtime.inner.api;
        let mut ptr = std::ptr::null_mut();
        // SAFETY: `buf` is one of this model's live buffers; `ptr` a valid out-pointer.
        check("LiteRtLockTensorBuffer", unsafe {
            (api.lock_tensor_buffer)(buf, &mut ptr, mode)
        })?;
        if ptr.is_null() {
            return Err(InferenceError::Runtime {
                call: "LiteRtLockTensorBuffer",
                status: "it returned no memory".into(),
            });
        }
        Ok(ptr)
    }

    fn unlock(&self, buf: ffi::TensorBuffer) -> Result<(), InferenceError> {
        let api = self.runtime.inner.api;
        // SAFETY: `buf` is a live buffer locked by `lock` just before.
        check("LiteRtUnlockTensorBuffer", unsafe {
            (api.unlock_tensor_buffer)(buf)
        })
    }
}

impl Drop for CompiledModel {
    fn drop(&mut self) {
        let api = self.runtime.inner.api;
        for b in self.inputs.drain(..).chain(self.outputs.drain(..)) {
            // SAFETY: each buffer was created for this model, is unlocked, and is
            // destroyed once (drained).
            unsafe { (api.destroy_tensor_buffer)(b) };
        }
        self.release_compiled();
        if !self.model.is_null() {
            // SAFETY: the model outlives its compiled model (released above) and is
            // destroyed once, here.
            unsafe { (api.destroy_model)(self.model) };
        }
    }
}

/// Frees a payload made by `CString::into_raw`; LiteRT calls it when the opaque options die.
unsafe extern "C" fn free_cstring(p: *mut c_void) {
    if !p.is_null() {
        // SAFETY: `p` came from `CString::into_raw` in `compile` and is freed once.
        drop(unsafe { CString::from_raw(p as *mut std::ffi::c_char) });
    }
}
