//! Configuration: `config/proctord.toml`, strict (unknown keys and sections are errors),
//! every field documented there with its default.
//!
//! Each section lives in its own file and owns its validation. Loading collects every
//! problem (unknown keys, wrong types, bad values) with its key path before failing, so
//! `proctord check-config` can print all of them at once.

mod capture;
mod inference;
mod kiosk;
mod mqtt;
mod recording;
mod rules;
mod scoring;
mod web;
mod web_limits;

pub use capture::{CaptureConfig, CaptureSource, PixelFormatPref};
pub use inference::{Accelerator, DetectionConfig, GpuFallback, ModelsConfig, RuntimeConfig};
pub use kiosk::KioskConfig;
pub use mqtt::MqttConfig;
pub use recording::RecordingConfig;
pub use rules::RulesConfig;
pub use scoring::{Deduction, ScoringConfig};
pub use web::{WebConfig, WebRole, WebToken, WebUser};
pub use web_limits::WebLimits;

use std::fmt;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// One problem found in a configuration file, with the dotted path of the key.
#[derive(Clone, Debug, PartialEq)]
pub struct ConfigError {
    pub path: String,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// Every problem found in one file.
#[derive(Debug, thiserror::Error)]
pub enum ConfigLoadError {
    #[error(
        "cannot read config file {path}: {source}. Pass an existing file with --config (the documented default is config/proctord.toml)."
    )]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{} error(s) in config {}:\n{}", .errors.len(), .path.display(), .errors.iter().map(|e| format!("  - {e}")).collect::<Vec<_>>().join("\n"))]
    Invalid {
        path: PathBuf,
        errors: Vec<ConfigError>,
    },
}

/// Semantic checks of a section; push every problem, never stop at the first.
pub trait Validate {
    fn validate(&self, path: &str, errors: &mut Vec<ConfigError>);
}

pub(crate) fn err(
    errors: &mut Vec<ConfigError>,
    path: &str,
    key: &str,
    message: impl Into<String>,
) {
    errors.push(ConfigError {
        path: format!("{path}.{key}"),
        message: message.into(),
    });
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Config {
    pub kiosk: KioskConfig,
    pub runtime: RuntimeConfig,
    pub models: ModelsConfig,
    pub detection: DetectionConfig,
    pub rules: RulesConfig,
    pub scoring: ScoringConfig,
    pub capture: CaptureConfig,
    pub recording: RecordingConfig,
    pub mqtt: MqttConfig,
    pub web: WebConfig,
}

const SECTIONS: &[&str] = &[
    "kiosk",
    "runtime",
    "models",
    "detection",
    "rules",
    "scoring",
    "capture",
    "recording",
    "mqtt",
    "web",
];

impl Config {
    /// Reads and validates a file. Relative paths inside it are resolved against the
    /// current directory (the daemon runs with a fixed working directory under systemd).
    pub fn load(path: &Path) -> Result<Config, ConfigLoadError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigLoadError::Read {
            path: path.to_owned(),
            source,
        })?;
        Config::parse(&text).map_err(|errors| ConfigLoadError::Invalid {
            path: path.to_owned(),
            errors,
        })
    }

    /// Parses TOML text, returning every problem found.
    pub fn parse(text: &str) -> Result<Config, Vec<ConfigError>> {
        let mut errors = Vec::new();
        let table: toml::Table = match text.parse() {
            Ok(t) => t,
            Err(e) => {
                let msg = e.to_string().replace('\n', " ");
                return Err(vec![ConfigError {
                    path: "(file)".into(),
                    message: format!("not valid TOML: {msg}"),
                }]);
            }
        };
        for key in table.keys() {
            if !SECTIONS.contains(&key.as_str()) {
                errors.push(ConfigError {
                    path: key.clone(),
                    message: format!(
                        "unknown section or key; known sections are: {}",
                        SECTIONS.join(", ")
                    ),
                });
            }
        }
        let mut cfg = Config::default();
        section(&table, "kiosk", &mut cfg.kiosk, &mut errors);
        section(&table, "runtime", &mut cfg.runtime, &mut errors);
        section(&table, "models", &mut cfg.models, &mut errors);
        section(&table, "detection", &mut cfg.detection, &mut errors);
        section(&table, "rules", &mut cfg.rules, &mut errors);
        section(&table, "scoring", &mut cfg.scoring, &mut errors);
        section(&table, "capture", &mut cfg.capture, &mut errors);
        section(&table, "recording", &mut cfg.recording, &mut errors);
        section(&table, "mqtt", &mut cfg.mqtt, &mut errors);
        section(&table, "web", &mut cfg.web, &mut errors);
        if errors.is_empty() {
            cfg.validate("", &mut errors);
        }
        if errors.is_empty() {
            Ok(cfg)
        } else {
            Err(errors)
        }
    }
}

impl Config {
    /// What is allowed but unwise (`check-config` prints these; the daemon logs them).
    pub fn warnings(&self) -> Vec<String> {
        let mut warnings = self.web.warnings();
        warnings.extend(self.mqtt.warnings());
        warnings
    }
}

impl Validate for Config {
    fn validate(&self, _path: &str, errors: &mut Vec<ConfigError>) {
        self.kiosk.validate("kiosk", errors);
        self.runtime.validate("runtime", errors);
        self.models.validate("models", errors);
        self.detection.validate("detection", errors);
        self.rules.validate("rules", errors);
        self.scoring.validate("scoring", errors);
        self.capture.validate("capture", errors);
        self.recording.validate("recording", errors);
        self.mqtt.validate("mqtt", errors);
        self.web.validate("web", errors);
    }
}

/// Strictness comes from serde_ignored rather than `deny_unknown_fields`, which would stop
/// at the first unknown key; this way every unknown key is reported with its path.
///
/// Deserialises one section on its own so that a type error in one section does not hide
/// the problems of the others; unknown keys are collected with their full path.
fn section<T: DeserializeOwned + Default>(
    table: &toml::Table,
    name: &str,
    out: &mut T,
    errors: &mut Vec<ConfigError>,
) {
    let Some(value) = table.get(name) else { return };
    let mut unknown = Vec::new();
    let result: Result<T, _> =
        serde_ignored::deserialize(value.clone(), |p| unknown.push(p.to_string()));
    for p in unknown {
        errors.push(ConfigError {
            path: format!("{name}.{p}"),
            message: "unknown key (check the spelling against config/proctord.toml)".into(),
        });
    }
    match result {
        Ok(v) => *out = v,
        Err(e) => errors.push(ConfigError {
            path: name.to_string(),
            message: e.to_string().trim().replace('\n', " "),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_default_config_is_valid_and_equals_the_built_in_defaults() {
        let text = include_str!("../../../config/proctord.toml");
        let cfg = Config::parse(text).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(cfg, Config::default());
    }

    #[test]
    fn an_unknown_key_and_an_unknown_section_are_both_reported_with_their_paths() {
        let errors = Config::parse("[rules]\nno_face_afer_s = 3\n[camera]\nx = 1\n").unwrap_err();
        let paths: Vec<_> = errors.iter().map(|e| e.path.as_str()).collect();
        assert!(paths.contains(&"rules.no_face_afer_s"), "{errors:?}");
        assert!(paths.contains(&"camera"), "{errors:?}");
    }

    #[test]
    fn type_errors_in_two_sections_are_reported_together() {
        let errors =
            Config::parse("[rules]\nno_face_after_s = \"ten\"\n[web]\nlisten = 5\n").unwrap_err();
        assert_eq!(errors.len(), 2, "{errors:?}");
    }
}
