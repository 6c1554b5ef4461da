//! The model manifest (`models/manifest.toml`): every model proctord may run, with its
//! upstream location and pinned sha256. Files are fetched by `models/fetch.py`
//! (`make models`); the daemon verifies each file against the manifest before loading it.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::config::ModelsConfig;
use crate::inference::InferenceError;
use crate::inference::objects::ObjectFamily;
use crate::inference::runtime::sha256_file;

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ModelEntry {
    pub name: String,
    pub role: String,
    pub file: String,
    pub url: String,
    pub sha256: String,
    pub input: String,
    #[serde(default)]
    pub labels: Option<String>,
    pub mirror_path: String,
    /// SPDX identifier of the file's licence (AGPL-3.0 for the Ultralytics weights).
    #[serde(alias = "license")]
    pub licence: String,
    /// What this model scored on the labelled eval set (`proctord eval`), quoted when a
    /// model with a licence the config does not accept is refused.
    #[serde(default)]
    pub measured: Option<String>,
    /// Role objects: how the model's output is decoded.
    #[serde(default)]
    pub family: Option<ObjectFamily>,
    #[serde(default)]
    pub optional: bool,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    #[serde(rename = "model")]
    pub models: Vec<ModelEntry>,
}

/// A model file that passed its checksum, as reports list it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct VerifiedModel {
    pub name: String,
    pub file: String,
    pub sha256: String,
    pub path: PathBuf,
    #[serde(default)]
    pub licence: String,
}

impl Manifest {
    pub fn load(path: &Path) -> Result<Manifest, InferenceError> {
        let text = std::fs::read_to_string(path).map_err(|e| InferenceError::Manifest {
            path: path.to_owned(),
            reason: format!("cannot read it: {e}"),
        })?;
        toml::from_str(&text).map_err(|e| InferenceError::Manifest {
            path: path.to_owned(),
            reason: e.to_string(),
        })
    }

    pub fn get(&self, name: &str) -> Option<&ModelEntry> {
        self.models.iter().find(|m| m.name == name)
    }

    /// Manifest names of every file a config runs: the face models, the landmark model
    /// and face geometry, the object model and its labels.
    pub fn configured(&self, cfg: &ModelsConfig) -> Vec<String> {
        let mut names = vec![cfg.face.clone()];
        for optional in [&cfg.face_short_range, &cfg.landmarks, &cfg.face_geometry] {
            if !optional.is_empty() {
                names.push(optional.clone());
            }
        }
        if !cfg.objects.is_empty() {
            names.push(cfg.objects.clone());
            if let Some(labels) = self.get(&cfg.objects).and_then(|m| m.labels.clone()) {
                names.push(labels);
            }
        }
        names
    }

    /// Refuses `name` when its licence is not in `accepted`; the error names the
    /// models of the same role whose licence is accepted, with their measured figures.
    pub fn check_licence(&self, name: &str, accepted: &[String]) -> Result<(), InferenceError> {
        let Some(entry) = self.get(name) else {
            return Ok(()); // `verified` reports unknown names.
        };
        if accepted.iter().any(|l| l == &entry.licence) {
            return Ok(());
        }
        let alternatives: Vec<String> = self
            .models
            .iter()
            .filter(|m| m.role == entry.role && !m.optional && accepted.contains(&m.licence))
            .map(|m| match &m.measured {
                Some(figures) => format!("\"{}\" ({}; {figures})", m.name, m.licence),
                None => format!("\"{}\" ({})", m.name, m.licence),
            })
            .collect();
        Err(InferenceError::LicenceNotAccepted {
            name: name.to_owned(),
            role: entry.role.clone(),
            licence: entry.licence.clone(),
            accepted: accepted.join(", "),
            alternatives: if alternatives.is_empty() {
                "none in the manifest".into()
            } else {
                alternatives.join(", or ")
            },
        })
    }

    /// Finds `name` in `dir` and checks its sha256 against the manifest.
    pub fn verified(&self, dir: &Path, name: &str) -> Result<VerifiedModel, InferenceError> {
        let entry = self
            .get(name)
            .ok_or_else(|| InferenceError::NotInManifest {
                name: name.to_owned(),
                known: self
                    .models
                    .iter()
                    .map(|m| m.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })?;
        let path = dir.join(&entry.file);
        if !path.is_file() {
            return Err(InferenceError::ModelMissing { path });
        }
        let actual = sha256_file(&path).map_err(|e| InferenceError::ModelInvalid {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        if actual != entry.sha256 {
            return Err(InferenceError::ModelChecksum {
                path,
                actual,
                expected: entry.sha256.clone(),
            });
        }
        Ok(VerifiedModel {
            name: entry.name.clone(),
            file: entry.file.clone(),
            sha256: actual,
            path,
            licence: entry.licence.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shipped() -> Manifest {
        Manifest::load(Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../models/manifest.toml"
        )))
        .unwrap()
    }

    #[test]
    fn an_agpl_model_is_refused_unless_its_licence_is_accepted_and_the_error_names_the_permissive_one()
     {
        let m = shipped();
        let permissive = vec!["Apache-2.0".to_string()];
        let e = m
            .check_licence("yolov8n_int8", &permissive)
            .unwrap_err()
            .to_string();
        assert!(e.contains("yolov8n_int8") && e.contains("AGPL-3.0"), "{e}");
        assert!(
            e.contains("\"ssd_mobilenet_v1_quant\" (Apache-2.0; "),
            "{e}"
        );
        assert!(e.contains("accepted_licences"), "says what to change: {e}");
        let with_agpl = vec!["Apache-2.0".to_string(), "AGPL-3.0".to_string()];
        m.check_licence("yolov8n_int8", &with_agpl).unwrap();
        m.check_licence("ssd_mobilenet_v1_quant", &permissive)
            .unwrap();
    }

    #[test]
    fn the_shipped_manifest_parses_and_pins_every_model() {
        let m = Manifest::load(Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../models/manifest.toml"
        )))
        .unwrap();
        assert!(m.get("blazeface_128x128_quant").is_some());
        for e in &m.models {
            assert_eq!(e.sha256.len(), 64, "{}", e.name);
            assert!(!e.licence.is_empty(), "{} names no licence", e.name);
            if e.role == "objects" {
                assert!(e.family.is_some(), "{} names no family", e.name);
            }
            assert!(
                e.url.contains("://") || e.url.starts_with("pypi:"),
                "{}",
                e.name
            );
        }
    }
}
