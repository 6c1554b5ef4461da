use std::path::Path;
use std::process::ExitCode;

use crate::config::{Config, ConfigLoadError};
use crate::models::Manifest;

/// sysexits.h EX_CONFIG: systemd and scripts can tell a bad config from a crash.
pub const EXIT_CONFIG: u8 = 78;

pub fn run(path: &Path) -> ExitCode {
    match Config::load(path) {
        Ok(config) => {
            if !models_and_licences(&config) {
                return ExitCode::from(EXIT_CONFIG);
            }
            let warnings = config.warnings();
            for w in &warnings {
                eprintln!("warning: {w}");
            }
            match warnings.len() {
                0 => println!("{}: valid", path.display()),
                n => println!("{}: valid, with {n} warning(s)", path.display()),
            }
            ExitCode::SUCCESS
        }
        Err(e @ ConfigLoadError::Read { .. }) => {
            eprintln!("proctord: {e}");
            ExitCode::from(EXIT_CONFIG)
        }
        Err(ConfigLoadError::Invalid { path, errors }) => {
            eprintln!("{}: {} error(s):", path.display(), errors.len());
            for e in &errors {
                eprintln!("  {e}");
            }
            ExitCode::from(EXIT_CONFIG)
        }
    }
}

/// Prints each configured model with its licence; false when a model is not in the
/// manifest or its licence is not in `[models] accepted_licences`. A manifest that is
/// not there (a board config checked off the board) is only noted: the daemon checks
/// again at start.
fn models_and_licences(cfg: &Config) -> bool {
    let manifest = match Manifest::load(&cfg.models.manifest) {
        Ok(m) => m,
        Err(e) => {
            println!("models not checked here: {e}");
            return true;
        }
    };
    let mut ok = true;
    for name in manifest.configured(&cfg.models) {
        let Some(entry) = manifest.get(&name) else {
            eprintln!(
                "  models: no model named {name:?} in {}",
                cfg.models.manifest.display()
            );
            ok = false;
            continue;
        };
        match manifest.check_licence(&name, &cfg.models.accepted_licences) {
            Ok(()) => println!("model {name} ({}): licence {}", entry.role, entry.licence),
            Err(e) => {
                eprintln!("  models.accepted_licences: {e}");
                ok = false;
            }
        }
    }
    ok
}
