use std::path::Path;
use std::process::ExitCode;

use gstreamer as gst;

use crate::config::{Accelerator, Config, ConfigLoadError, GpuFallback};
use crate::models::Manifest;
use crate::record::{AUTO_ENCODER_ORDER, choose_encoder};

/// sysexits.h EX_CONFIG: systemd and scripts can tell a bad config from a crash.
pub const EXIT_CONFIG: u8 = 78;

pub fn run(path: &Path) -> ExitCode {
    match Config::load(path) {
        Ok(config) => {
            if !models_and_licences(&config) {
                return ExitCode::from(EXIT_CONFIG);
            }
            print_what_it_will_use(&config);
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

/// The accelerator and the recording encoder this config gets on this machine, so that
/// `check-config` run on a kiosk answers "what will it use" before the service starts.
fn print_what_it_will_use(cfg: &Config) {
    let rt = &cfg.runtime;
    let cpu = format!("the CPU (XNNPACK, {} threads per model)", rt.threads);
    let accelerator = match rt.accelerator {
        Accelerator::Cpu => format!("cpu: {cpu}"),
        Accelerator::Gpu => match rt.gpu_fallback {
            GpuFallback::Cpu => format!(
                "gpu: LiteRT's WebGPU accelerator (Vulkan); without a GPU adapter {cpu}, with a warning"
            ),
            GpuFallback::Fail => {
                "gpu: LiteRT's WebGPU accelerator (Vulkan); without a GPU adapter proctord refuses to start".to_string()
            }
        },
        Accelerator::Auto => format!(
            "auto: LiteRT's WebGPU accelerator (Vulkan) when it finds a GPU adapter at start, else {cpu}; the journal says which ran"
        ),
    };
    println!("accelerator {accelerator}");
    if !cfg.recording.enabled {
        println!("recording   off");
        return;
    }
    if let Err(e) = gst::init() {
        println!("recording   encoder not checked here (GStreamer does not start: {e})");
        return;
    }
    let requested = &cfg.recording.encoder;
    match choose_encoder(requested) {
        Ok(name) if requested == "auto" => println!(
            "recording   encoder {name} (auto: the first installed of {})",
            AUTO_ENCODER_ORDER.join(", ")
        ),
        Ok(name) => println!("recording   encoder {name}"),
        Err(e) => eprintln!("warning: recording.encoder: {e}"),
    }
}
