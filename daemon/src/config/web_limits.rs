use serde::{Deserialize, Serialize};

use super::{ConfigError, Validate, err};

/// `[web.limits]`: what keeps idle, slow or greedy clients from exhausting the kiosk's
/// web server (and its file descriptors, see `LimitNOFILE` in the unit).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct WebLimits {
    /// Seconds a client has to send a request's headers, counted from the moment the
    /// server waits for them: also how long an idle keep-alive connection stays open.
    pub header_timeout_s: u64,
    /// Connections open at once; more are answered 503 and closed.
    pub max_connections: usize,
    /// Event (SSE) and MJPEG streams open at once; more are answered 503.
    pub max_streams: usize,
    /// PDF reports rendered at once; more are answered 503 (rendering takes a core).
    pub max_pdf_renders: usize,
}

impl Default for WebLimits {
    fn default() -> Self {
        Self {
            header_timeout_s: 10,
            max_connections: 256,
            max_streams: 8,
            max_pdf_renders: 2,
        }
    }
}

impl Validate for WebLimits {
    fn validate(&self, path: &str, errors: &mut Vec<ConfigError>) {
        if !(1..=300).contains(&self.header_timeout_s) {
            err(errors, path, "header_timeout_s", "must be 1..300 seconds");
        }
        // Below LimitNOFILE=4096 in the unit, with room for recordings, sled and MQTT.
        if !(8..=2048).contains(&self.max_connections) {
            err(errors, path, "max_connections", "must be 8..2048");
        }
        if self.max_streams == 0 || self.max_streams >= self.max_connections {
            err(
                errors,
                path,
                "max_streams",
                "must be at least 1 and below max_connections",
            );
        }
        if !(1..=16).contains(&self.max_pdf_renders) {
            err(errors, path, "max_pdf_renders", "must be 1..16");
        }
    }
}
