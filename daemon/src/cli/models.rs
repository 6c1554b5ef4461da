use std::path::Path;
use std::process::ExitCode;

use crate::models::Manifest;

/// Checks every configured model against the manifest (sha256) and the config's
/// accepted licences, printing each with its licence. Without `--config` it checks the
/// installed config (`/etc/proctord/proctord.toml`, as the packages set it up) when there
/// is one, else the built-in defaults.
pub fn verify(config: Option<&Path>) -> anyhow::Result<ExitCode> {
    let installed = Path::new(super::INSTALLED_CONFIG);
    let config = config.or_else(|| installed.is_file().then_some(installed));
    match config {
        Some(path) => println!("config  {}", path.display()),
        None => println!("config  the built-in defaults (no {})", installed.display()),
    }
    let cfg = super::load_config(config)?;
    let manifest = Manifest::load(&cfg.models.manifest)?;
    let accepted = &cfg.models.accepted_licences;
    let mut failed = false;
    for name in manifest.configured(&cfg.models) {
        let checked = manifest
            .verified(&cfg.models.dir, &name)
            .and_then(|m| manifest.check_licence(&name, accepted).map(|()| m));
        match checked {
            Ok(m) => println!(
                "ok      {} {} sha256 {} licence {}",
                m.name,
                m.path.display(),
                m.sha256,
                m.licence
            ),
            Err(e) => {
                failed = true;
                println!("FAILED  {name}: {e}");
            }
        }
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
