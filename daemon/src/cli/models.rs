use std::path::Path;
use std::process::ExitCode;

use crate::models::Manifest;

pub fn verify(config: Option<&Path>) -> anyhow::Result<ExitCode> {
    let cfg = super::load_config(config)?;
    let manifest = Manifest::load(&cfg.models.manifest)?;
    let mut names = vec![cfg.models.face.clone()];
    if !cfg.models.objects.is_empty() {
        names.push(cfg.models.objects.clone());
        if let Some(labels) = manifest
            .get(&cfg.models.objects)
            .and_then(|m| m.labels.clone())
        {
            names.push(labels);
        }
    }
    let mut failed = false;
    for name in names {
        match manifest.verified(&cfg.models.dir, &name) {
            Ok(m) => println!(
                "ok      {} {} sha256 {}",
                m.name,
                m.path.display(),
                m.sha256
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
