use serde::{Deserialize, Serialize};

use super::{ConfigError, Validate, WebLimits, err};

/// `[web]`: the local status page and REST API.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct WebConfig {
    pub enabled: bool,
    /// Address and port to listen on.
    pub listen: String,
    /// Bearer token for the authenticated routes (`GET /api/interviews` and session
    /// control). Empty = those routes are refused; set one on every real kiosk.
    pub api_token: String,
    /// `[web.limits]`: timeouts and caps on connections, streams and PDF rendering.
    pub limits: WebLimits,
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            listen: "127.0.0.1:8080".into(),
            api_token: String::new(),
            limits: WebLimits::default(),
        }
    }
}

impl Validate for WebConfig {
    fn validate(&self, path: &str, errors: &mut Vec<ConfigError>) {
        self.limits.validate(&format!("{path}.limits"), errors);
        if self.listen.parse::<std::net::SocketAddr>().is_err() {
            err(
                errors,
                path,
                "listen",
                format!(
                    "must be an address:port such as 127.0.0.1:8080, got {:?}",
                    self.listen
                ),
            );
        }
    }
}
