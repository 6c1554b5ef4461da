//! The model manifest (`models/manifest.toml`): every model proctord may run, with its
//! upstream location and pinned sha256. Files are fetched by `models/fetch.py`
//! (`make models`); the daemon verifies each file against the manifest before loading it.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::inference::InferenceError;
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
    pub license: String,
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
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
            assert!(
                e.url.contains("://") || e.url.starts_with("pypi:"),
                "{}",
                e.name
            );
        }
    }
}
