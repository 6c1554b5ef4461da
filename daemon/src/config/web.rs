use serde::{Deserialize, Serialize};

use super::{ConfigError, Validate, err};

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
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            listen: "127.0.0.1:8080".into(),
            api_token: String::new(),
        }
    }
}

impl Validate for WebConfig {
    fn validate(&self, path: &str, errors: &mut Vec<ConfigError>) {
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
