use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::{ConfigError, Validate, err};

/// `[kiosk]`: who this kiosk is and where it keeps its state.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct KioskConfig {
    /// Test centre identifier, used in MQTT topics.
    pub site: String,
    /// This kiosk's identifier, unique within the site.
    pub kiosk_id: String,
    /// Directory for the sled store and recordings (systemd: StateDirectory).
    pub state_dir: PathBuf,
}

impl Default for KioskConfig {
    fn default() -> Self {
        Self {
            site: "demo-site".into(),
            kiosk_id: "kiosk-01".into(),
            state_dir: PathBuf::from("var/proctord"),
        }
    }
}

/// MQTT topic levels must not contain wildcards or separators.
pub(crate) fn is_topic_level(s: &str) -> bool {
    !s.is_empty() && !s.contains(['/', '+', '#', '\0'])
}

impl Validate for KioskConfig {
    fn validate(&self, path: &str, errors: &mut Vec<ConfigError>) {
        if !is_topic_level(&self.site) {
            err(
                errors,
                path,
                "site",
                "must be non-empty and contain no '/', '+' or '#' (it is an MQTT topic level)",
            );
        }
        if !is_topic_level(&self.kiosk_id) {
            err(
                errors,
                path,
                "kiosk_id",
                "must be non-empty and contain no '/', '+' or '#' (it is an MQTT topic level)",
            );
        }
        if self.state_dir.as_os_str().is_empty() {
            err(errors, path, "state_dir", "must not be empty");
        }
    }
}
