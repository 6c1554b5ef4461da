//! Command implementations behind `main.rs`; `anyhow` lives here, at the edge.

pub mod analyze;
pub mod check_config;
pub mod detect;
pub mod eval;
pub mod hash_password;
pub mod logging;
pub mod models;
pub mod verify;

use std::path::Path;

use anyhow::Context;

use crate::config::Config;

/// Where the Debian package installs the config (and `run`'s default).
pub const INSTALLED_CONFIG: &str = "/etc/proctord/proctord.toml";

/// The config file if given, else the built-in defaults.
pub fn load_config(path: Option<&Path>) -> anyhow::Result<Config> {
    match path {
        Some(p) => Config::load(p).context("the configuration is not usable"),
        None => Ok(Config::default()),
    }
}
