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
