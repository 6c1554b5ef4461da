//! Problems found when setting the publisher up. Once running, it never fails: broker
//! trouble is logged, shown in [`super::PublisherStatus`] and retried.

use std::io;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error("cannot read the MQTT {what} {path}: {source}. Check [mqtt] in the configuration")]
    ReadTlsFile {
        what: &'static str,
        path: PathBuf,
        source: io::Error,
    },

    #[error(
        "the MQTT {what} {path} is not usable: {detail}. It must be PEM; check [mqtt] in the configuration"
    )]
    InvalidTlsFile {
        what: &'static str,
        path: PathBuf,
        detail: String,
    },

    #[error("cannot set up TLS for MQTT: {0}")]
    Tls(String),
}
