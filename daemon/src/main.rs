//! The `proctord` command line: the daemon (`run`) and its offline tools.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use proctord::cli;

/// Exam-kiosk proctoring daemon: camera → LiteRT face and object models → proctoring
/// events → sled store → MQTT, with H.264 recording and a local status page.
#[derive(Parser)]
#[command(name = "proctord", version, about, long_about = None)]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the daemon: camera → models → events → store → MQTT, recording and status page.
    Run {
        #[arg(long, default_value = cli::INSTALLED_CONFIG)]
        config: PathBuf,
    },
    /// Detect faces (with head pose) and objects in an image or a video file.
    Detect {
        /// Image (jpg, png, bmp) or video (mp4, mkv).
        #[arg(long)]
        input: PathBuf,
        /// Config file; without it the built-in defaults (as in config/proctord.toml).
        #[arg(long)]
        config: Option<PathBuf>,
        /// Print JSON (one object for an image; one line per analysed frame for a video).
        #[arg(long)]
        json: bool,
    },
    /// Measure the daemon's per-frame verdicts (phone, notes, device, person, looking
    /// away, face count) against labelled images: precision, recall, accuracy and the
    /// images judged wrong. Label format: one JSON object per line, as in
    /// ../shared/media/eval/labels.jsonl (README "Check the verdicts on your own kiosks").
    Eval {
        /// labels.jsonl; image paths in it are relative to its folder.
        #[arg(long)]
        labels: PathBuf,
        /// Config file; without it the built-in defaults (as in config/proctord.toml).
        #[arg(long)]
        config: Option<PathBuf>,
        /// Print the figures as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Run the daemon's pipeline (detection and rules) on a recording, offline and
    /// deterministic; prints the events and the integrity score.
    Analyze {
        /// Video file (mp4, mkv).
        #[arg(long)]
        input: PathBuf,
        #[arg(long)]
        config: Option<PathBuf>,
        /// Candidate name for the report.
        #[arg(long)]
        candidate: Option<String>,
        /// Also write the report as PDF here.
        #[arg(long)]
        report_pdf: Option<PathBuf>,
        /// Also write the report as HTML here.
        #[arg(long)]
        report_html: Option<PathBuf>,
        /// Print JSON: {"duration_s", "frames", "events": [...], "integrity_score"}.
        #[arg(long)]
        json: bool,
    },
    /// Recompute the evidence hash chain of every session (or one) and every recording
    /// segment's SHA-256; says OK or exactly which record or file does not match.
    /// Exit 0 when everything matches, 1 otherwise. Run it while proctord is stopped.
    Verify {
        #[arg(long, default_value = cli::INSTALLED_CONFIG)]
        config: PathBuf,
        /// Only this session (its id). For a session deleted on request it says who
        /// deleted it, when and why (its records are gone by design).
        #[arg(long)]
        session: Option<uuid::Uuid>,
    },
    /// Check a config file; prints every error with its key path. Exit 78 when invalid.
    CheckConfig {
        #[arg(long)]
        config: PathBuf,
    },
    /// Print the argon2id hash of a password for a `[[web.users]]` account's
    /// `password_hash`. Asks twice on a terminal, else reads the first line of stdin.
    HashPassword,
    /// Verify the models in the manifest against their sha256 (fetch them with `make models`).
    Models {
        #[command(subcommand)]
        action: ModelsAction,
    },
}

#[derive(Subcommand)]
enum ModelsAction {
    /// Check that the configured models are present and match the manifest.
    Verify {
        /// Config file; default /etc/proctord/proctord.toml when it exists, else the
        /// built-in defaults (as in config/proctord.toml).
        #[arg(long)]
        config: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    let args = Args::parse();
    cli::logging::init();
    let result = match args.command {
        Command::Run { config } => proctord::service::run(&config).map(|()| ExitCode::SUCCESS),
        Command::Detect {
            input,
            config,
            json,
        } => cli::detect::run(&input, config.as_deref(), json),
        Command::Eval {
            labels,
            config,
            json,
        } => cli::eval::run(&labels, config.as_deref(), json),
        Command::Analyze {
            input,
            config,
            candidate,
            report_pdf,
            report_html,
            json,
        } => cli::analyze::run(cli::analyze::AnalyzeArgs {
            input: &input,
            config: config.as_deref(),
            candidate: candidate.as_deref(),
            report_pdf: report_pdf.as_deref(),
            report_html: report_html.as_deref(),
            json,
        }),
        Command::CheckConfig { config } => return cli::check_config::run(&config),
        Command::HashPassword => cli::hash_password::run().map(|()| ExitCode::SUCCESS),
        Command::Verify { config, session } => cli::verify::run(&config, session),
        Command::Models {
            action: ModelsAction::Verify { config },
        } => cli::models::verify(config.as_deref()),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("proctord: {e:#}");
            ExitCode::FAILURE
        }
    }
}
