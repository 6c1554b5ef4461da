//! The LiteRT runtime: the shared library, loaded once and pinned by sha256, plus one
//! LiteRT environment shared by every model.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use sha2::{Digest, Sha256};

use super::error::InferenceError;
use super::ffi;

pub const PINNED_VERSION: &str = "2.3.0";

/// sha256 of `ai_edge_litert/libLiteRt.so` in the ai-edge-litert 2.3.0 wheels.
pub fn pinned_sha256() -> &'static str {
    if cfg!(target_arch = "aarch64") {
        "b57687dc234d2b8b0598aef5a9c961ed24263df8f8b3f56adbee1cff618e544b"
    } else {
        "eec47eb35e2924b3166015887e652a58edc9af823ae38e02bf83bef2548300bb"
    }
}

pub(crate) struct RuntimeInner {
    pub(crate) api: ffi::Api,
    pub(crate) env: ffi::Env,
    pub(crate) path: PathBuf,
    // Dropped last: every function pointer in `api` points into it.
    _lib: libloading::Library,
}

// SAFETY: the environment is only used to create models and buffers, which LiteRT
// documents as thread-safe; models themselves are used from one thread at a time.
unsafe impl Send for RuntimeInner {}
unsafe impl Sync for RuntimeInner {}

impl Drop for RuntimeInner {
    fn drop(&mut self) {
        unsafe { (self.api.destroy_environment)(self.env) };
    }
}

/// A loaded runtime. Cheap to clone; models keep it alive.
#[derive(Clone)]
pub struct Runtime {
    pub(crate) inner: Arc<RuntimeInner>,
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Runtime({})", self.inner.path.display())
    }
}

impl Runtime {
    /// Loads the library at `path`, refusing it unless its sha256 is the pinned one
    /// (when `verify_sha256`): an ABI mismatch between LiteRT versions fails silently.
    pub fn load(path: &Path, verify_sha256: bool) -> Result<Runtime, InferenceError> {
        if !path.is_file() {
            return Err(InferenceError::LibraryMissing {
                path: path.to_owned(),
                version: PINNED_VERSION,
                sha256: pinned_sha256(),
            });
        }
        if verify_sha256 {
            let actual = sha256_file(path).map_err(|e| InferenceError::LibraryLoad {
                path: path.to_owned(),
                version: PINNED_VERSION,
                reason: e.to_string(),
            })?;
            if actual != pinned_sha256() {
                return Err(InferenceError::LibraryWrongVersion {
                    path: path.to_owned(),
                    version: PINNED_VERSION,
                    actual,
                    expected: pinned_sha256(),
                });
            }
        }
        let load_err = |reason: String| InferenceError::LibraryLoad {
            path: path.to_owned(),
            version: PINNED_VERSION,
            reason,
        };
        // SAFETY: loading runs the library's initialisers; it is the pinned LiteRT build.
        let lib = unsafe { libloading::Library::new(path) }.map_err(|e| load_err(e.to_string()))?;
        // SAFETY: the symbols are resolved from the library that stays alive with them.
        let api = unsafe { ffi::Api::load(&lib) }
            .map_err(|sym| load_err(format!("symbol {sym} is missing")))?;
        let mut env = std::ptr::null_mut();
        let status = unsafe { (api.create_environment)(0, std::ptr::null(), &mut env) };
        if status != ffi::STATUS_OK || env.is_null() {
            return Err(load_err(format!(
                "LiteRtCreateEnvironment failed: {}",
                status_string(&api, status)
            )));
        }
        log::info!("Loaded LiteRT {PINNED_VERSION} from {}.", path.display());
        Ok(Runtime {
            inner: Arc::new(RuntimeInner {
                api,
                env,
                path: path.to_owned(),
                _lib: lib,
            }),
        })
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }
}

pub(crate) fn status_string(_api: &ffi::Api, status: ffi::LiteRtStatus) -> String {
    format!("{} (LiteRT status {status})", ffi::status_name(status))
}

pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    let mut f = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}
