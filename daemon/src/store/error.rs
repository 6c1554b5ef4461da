//! What can go wrong with the store, phrased so that an operator knows what to do.

use std::io;
use std::path::PathBuf;

use uuid::Uuid;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "the disk holding the store at {dir} is full, so nothing more can be recorded: free space on that disk (old recordings may be deleted) and restart proctord"
    )]
    DiskFull { dir: PathBuf },

    #[error(
        "cannot read or write the store at {dir}: {source}. Check that the directory exists, is writable by proctord and that the disk is healthy"
    )]
    Io { dir: PathBuf, source: io::Error },

    #[error(
        "the store at {dir} is in use by another process (probably another proctord): stop it, or point [kiosk] state_dir elsewhere"
    )]
    Locked { dir: PathBuf },

    #[error(
        "the store at {dir} is corrupt ({detail}): move the directory aside to keep it for analysis and restart proctord with an empty one"
    )]
    Corrupt { dir: PathBuf, detail: String },

    #[error(
        "the store at {dir} has schema version {found}, but this proctord only understands versions up to {supported}: run a newer proctord, or move the directory aside"
    )]
    SchemaTooNew {
        dir: PathBuf,
        found: u32,
        supported: u32,
    },

    #[error(
        "the store at {dir} is damaged ({cause}) and could not be moved aside to {to}: {source}. Move it away by hand (keep it: it holds exam evidence) and restart proctord"
    )]
    CannotMoveAside {
        dir: PathBuf,
        to: PathBuf,
        cause: String,
        source: io::Error,
    },

    #[error("the store refused an operation: {0}")]
    Internal(String),

    #[error(
        "session {active} is still active: end it before starting another (one session per kiosk)"
    )]
    SessionAlreadyActive { active: Uuid },

    #[error("there is no session {0}")]
    SessionNotFound(Uuid),

    #[error("session {0} is still running: end it first, then delete it")]
    SessionStillActive(Uuid),

    #[error("session {0} has already ended; its report is final and takes no more events")]
    SessionAlreadyEnded(Uuid),

    #[error(
        "a {bytes}-byte message is larger than the broker accepts ([mqtt] max_message_bytes = {max}); nothing was stored: raise the limit if the broker allows it"
    )]
    PayloadTooLarge { bytes: usize, max: usize },
}

impl StoreError {
    /// Turns a sled error into one that names the store directory and says what to do.
    pub(crate) fn from_sled(dir: &std::path::Path, error: sled::Error) -> StoreError {
        let dir = dir.to_path_buf();
        match error {
            sled::Error::Io(source) => Self::from_io(dir, source),
            sled::Error::Corruption { at, .. } => StoreError::Corrupt {
                dir,
                detail: format!("damaged data at {at:?}"),
            },
            sled::Error::CollectionNotFound(name) => StoreError::Corrupt {
                dir,
                detail: format!("tree {:?} is missing", String::from_utf8_lossy(&name)),
            },
            sled::Error::Unsupported(what) | sled::Error::ReportableBug(what) => {
                StoreError::Internal(what)
            }
        }
    }

    pub(crate) fn from_io(dir: PathBuf, source: io::Error) -> StoreError {
        // ENOSPC and EDQUOT: the disk (or this user's quota) is full.
        let full = source.kind() == io::ErrorKind::StorageFull
            || source.kind() == io::ErrorKind::QuotaExceeded
            || matches!(source.raw_os_error(), Some(28) | Some(122));
        if full {
            StoreError::DiskFull { dir }
        } else if source.kind() == io::ErrorKind::WouldBlock
            || source.to_string().contains("could not acquire lock")
        {
            StoreError::Locked { dir }
        } else {
            StoreError::Io { dir, source }
        }
    }

    /// A record that no longer decodes means the bytes on disk are not what we wrote.
    pub(crate) fn undecodable(
        dir: &std::path::Path,
        what: &str,
        error: impl std::fmt::Display,
    ) -> StoreError {
        StoreError::Corrupt {
            dir: dir.to_path_buf(),
            detail: format!("a {what} record does not decode: {error}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_disk_becomes_an_error_that_says_to_free_space() {
        let e = StoreError::from_sled(
            std::path::Path::new("/var/lib/proctord"),
            sled::Error::Io(io::Error::from_raw_os_error(28)),
        );
        assert!(matches!(e, StoreError::DiskFull { .. }), "{e:?}");
        let message = e.to_string();
        assert!(
            message.contains("/var/lib/proctord") && message.contains("free space"),
            "{message}"
        );
    }

    #[test]
    fn a_lock_held_by_another_process_is_reported_as_such() {
        let e = StoreError::from_sled(
            std::path::Path::new("/s"),
            sled::Error::Io(io::Error::other(
                "could not acquire lock on \"/s/db\": WouldBlock",
            )),
        );
        assert!(matches!(e, StoreError::Locked { .. }), "{e:?}");
    }

    #[test]
    fn other_io_errors_keep_their_cause() {
        let e = StoreError::from_sled(
            std::path::Path::new("/s"),
            sled::Error::Io(io::Error::from_raw_os_error(13)),
        );
        assert!(matches!(e, StoreError::Io { .. }), "{e:?}");
        assert!(e.to_string().contains("writable"), "{e}");
    }
}
