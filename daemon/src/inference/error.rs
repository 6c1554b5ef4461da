use std::path::PathBuf;

/// Everything that can go wrong between the runtime library and a decoded detection.
/// Each message says what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum InferenceError {
    #[error(
        "the LiteRT runtime library {path} is missing. proctord needs libLiteRt.so {version} (sha256 {sha256}); \
         fetch it with `make setup` (or scripts/fetch-litert.sh), or set [runtime] library to its path"
    )]
    LibraryMissing {
        path: PathBuf,
        version: &'static str,
        sha256: &'static str,
    },
    #[error(
        "the LiteRT runtime library {path} is not the pinned version {version}: its sha256 is {actual}, expected {expected}. \
         Replace it with the one from the ai-edge-litert {version} wheel (`make setup`), or set [runtime] verify_sha256 = false \
         only if you have checked that its C API matches"
    )]
    LibraryWrongVersion {
        path: PathBuf,
        version: &'static str,
        actual: String,
        expected: &'static str,
    },
    #[error(
        "cannot load the LiteRT runtime library {path}: {reason}. Is it a LiteRT {version} build for this CPU architecture?"
    )]
    LibraryLoad {
        path: PathBuf,
        version: &'static str,
        reason: String,
    },
    #[error(
        "the model file {path} is missing. Fetch the models in the manifest with `make models` (models/fetch.py) \
         from the source tree, or install the proctord-models package, and check [models] dir"
    )]
    ModelMissing { path: PathBuf },
    #[error(
        "the model file {path} is not a valid TFLite model ({reason}); delete it and fetch it again with `make models`"
    )]
    ModelInvalid { path: PathBuf, reason: String },
    #[error(
        "the model {path} uses operations the {accelerator} runtime cannot run ({ops}). \
         An Edge TPU-compiled model needs a Coral and libedgetpu, which LiteRT does not support: use the model's CPU build from the manifest"
    )]
    UnsupportedOps {
        path: PathBuf,
        accelerator: &'static str,
        ops: String,
    },
    #[error(
        "no GPU is available to LiteRT ({reason}); set [runtime] accelerator = \"cpu\", or gpu_fallback = \"cpu\" to fall back automatically"
    )]
    GpuUnavailable { reason: String },
    #[error(
        "the model {path} has an unexpected shape: {reason}. Is [models] pointing at the right model for this role?"
    )]
    UnexpectedModel { path: PathBuf, reason: String },
    #[error("LiteRT call {call} failed: {status}")]
    Runtime { call: &'static str, status: String },
    #[error("the model manifest {path} is invalid: {reason}")]
    Manifest { path: PathBuf, reason: String },
    #[error(
        "no model named {name:?} in the manifest; known models: {known}. Fix [models] in the config"
    )]
    NotInManifest { name: String, known: String },
    #[error(
        "the model file {path} has sha256 {actual}, but the manifest pins {expected}: it is corrupt or not the pinned model. \
         Delete it and run `make models` (models/fetch.py)"
    )]
    ModelChecksum {
        path: PathBuf,
        actual: String,
        expected: String,
    },
    #[error(
        "the {role} model {name} carries the licence {licence}, which [models] accepted_licences ({accepted}) does not list. \
         If this deployment accepts {licence}'s terms, add \"{licence}\" to accepted_licences; otherwise configure a model \
         whose licence is accepted: {alternatives}"
    )]
    LicenceNotAccepted {
        name: String,
        role: String,
        licence: String,
        accepted: String,
        alternatives: String,
    },
    #[error(
        "the object stage's thread stopped answering ({reason}); proctord restarts it on the next start"
    )]
    ObjectStage { reason: String },
    #[error("cannot decode image {path}: {reason}")]
    Image { path: PathBuf, reason: String },
}

impl InferenceError {
    /// The error for a model at `path` whose tensors are not what its role needs.
    pub fn unexpected_model(
        path: &std::path::Path,
    ) -> impl Fn(String) -> InferenceError + Copy + '_ {
        move |reason| InferenceError::UnexpectedModel {
            path: path.to_owned(),
            reason,
        }
    }
}
