//! Logs go to journald when the process runs under it, to stderr otherwise.

use systemd_journal_logger::{JournalLog, connected_to_journal};

pub fn init() {
    let level = std::env::var("RUST_LOG")
        .ok()
        .and_then(|l| l.parse().ok())
        .unwrap_or(log::LevelFilter::Info);
    if connected_to_journal()
        && let Ok(journal) = JournalLog::new()
        && journal.install().is_ok()
    {
        log::set_max_level(level);
        return;
    }
    let _ = env_logger::Builder::new()
        .filter_level(level)
        .parse_default_env()
        .format_timestamp_millis()
        .try_init();
}
