use std::path::Path;
use std::process::ExitCode;

use crate::config::{Config, ConfigLoadError};

/// sysexits.h EX_CONFIG: systemd and scripts can tell a bad config from a crash.
pub const EXIT_CONFIG: u8 = 78;

pub fn run(path: &Path) -> ExitCode {
    match Config::load(path) {
        Ok(config) => {
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
