use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::{ConfigError, Validate, err};

/// `[mqtt]`: publishing to the central office's broker.
/// Topics: `proctord/<site>/<kiosk_id>/{status,events,sessions,reports,health}`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct MqttConfig {
    pub enabled: bool,
    pub host: String,
    pub port: u16,
    /// MQTT client id; empty = "proctord-<site>-<kiosk_id>".
    pub client_id: String,
    pub username: String,
    pub password: String,
    /// Connect with TLS, verifying the broker against `ca_file`.
    pub tls: bool,
    pub ca_file: PathBuf,
    /// Client certificate and key for mutual TLS (optional).
    pub client_cert_file: PathBuf,
    pub client_key_file: PathBuf,
    pub keep_alive_s: u64,
    /// Seconds between `health` messages.
    pub health_interval_s: u64,
    /// Accept session start/end commands on `.../cmd/#`.
    pub accept_commands: bool,
    /// Seconds a command is valid after its `issued_at` when it does not say.
    pub command_expiry_s: u32,
    /// The largest message the broker accepts: reports above it are sent in parts.
    pub max_message_bytes: usize,
}

impl Default for MqttConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            host: "localhost".into(),
            port: 1883,
            client_id: String::new(),
            username: String::new(),
            password: String::new(),
            tls: false,
            ca_file: PathBuf::new(),
            client_cert_file: PathBuf::new(),
            client_key_file: PathBuf::new(),
            keep_alive_s: 30,
            health_interval_s: 30,
            accept_commands: false,
            command_expiry_s: 60,
            max_message_bytes: crate::store::DEFAULT_MAX_MESSAGE_BYTES,
        }
    }
}

impl MqttConfig {
    /// Things that are allowed but unwise, for `check-config`.
    pub fn warnings(&self) -> Vec<String> {
        let mut warnings = Vec::new();
        if self.enabled && !self.password.is_empty() && !self.tls {
            warnings.push(format!(
                "mqtt.password: the broker password is sent to {} in clear text because mqtt.tls is off; set tls = true and ca_file",
                self.host
            ));
        }
        warnings
    }
}

impl Validate for MqttConfig {
    fn validate(&self, path: &str, errors: &mut Vec<ConfigError>) {
        if self.enabled && self.host.is_empty() {
            err(
                errors,
                path,
                "host",
                "must name the broker when mqtt is enabled",
            );
        }
        if self.port == 0 {
            err(errors, path, "port", "must be 1..65535");
        }
        if self.tls && self.ca_file.as_os_str().is_empty() {
            err(
                errors,
                path,
                "ca_file",
                "must name the CA certificate (PEM) when tls = true",
            );
        }
        if self.client_cert_file.as_os_str().is_empty()
            != self.client_key_file.as_os_str().is_empty()
        {
            err(
                errors,
                path,
                "client_key_file",
                "client_cert_file and client_key_file go together",
            );
        }
        if self.keep_alive_s < 5 {
            err(errors, path, "keep_alive_s", "must be at least 5 seconds");
        }
        if self.command_expiry_s == 0 || self.command_expiry_s > 3600 {
            err(errors, path, "command_expiry_s", "must be 1..3600 seconds");
        }
        let (min, max) = (
            crate::store::report_parts::MIN_MESSAGE_BYTES,
            crate::store::MAX_PAYLOAD_BYTES,
        );
        if !(min..=max).contains(&self.max_message_bytes) {
            err(
                errors,
                path,
                "max_message_bytes",
                format!("must be {min}..{max} bytes (the broker's message size limit)"),
            );
        }
        if self.health_interval_s == 0 {
            err(
                errors,
                path,
                "health_interval_s",
                "must be at least 1 second",
            );
        }
    }
}
