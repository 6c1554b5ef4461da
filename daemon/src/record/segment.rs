//! Segment files: their names, and the facts reported once one is finished.

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// `splitmuxsink` location pattern inside a session's directory.
pub const SEGMENT_FILE_PATTERN: &str = "segment-%05d.mp4";

/// One closed segment file, ready to be recorded by the store.
#[derive(Clone, Debug, PartialEq)]
pub struct SegmentFinished {
    pub session_id: Uuid,
    pub path: PathBuf,
    /// Wall-clock time of the segment's first frame.
    pub started_at: DateTime<Utc>,
    pub duration_s: f64,
    /// Hex SHA-256 of the file as closed: proves later that it was not altered.
    pub sha256: String,
    pub bytes: u64,
}

/// The index in a `segment-NNNNN.mp4` file name.
pub fn segment_index(file_name: &str) -> Option<u32> {
    let digits = file_name.strip_prefix("segment-")?.strip_suffix(".mp4")?;
    if digits.len() < 5 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// The index for the next new segment in `dir`: after every segment already there, so a
/// session resumed after a restart never overwrites its earlier segments.
pub fn next_segment_index(dir: &Path) -> io::Result<u32> {
    let mut next = 0;
    for entry in std::fs::read_dir(dir)? {
        if let Some(index) = entry?.file_name().to_str().and_then(segment_index) {
            next = next.max(index + 1);
        }
    }
    Ok(next)
}

/// Makes a closed segment durable and describes it: flushed to disk with its directory
/// entry, then hashed.
pub fn finish_segment(
    session_id: Uuid,
    path: &Path,
    started_at: DateTime<Utc>,
    duration_s: f64,
) -> io::Result<SegmentFinished> {
    let mut file = File::open(path)?;
    file.sync_all()?;
    if let Some(dir) = path.parent() {
        File::open(dir)?.sync_all()?;
    }
    let (sha256, bytes) = sha256_of(&mut file)?;
    Ok(SegmentFinished {
        session_id,
        path: path.to_path_buf(),
        started_at,
        duration_s,
        sha256,
        bytes,
    })
}

/// Hex SHA-256 and length of everything `reader` yields.
pub fn sha256_of(reader: &mut impl Read) -> io::Result<(String, u64)> {
    let mut hasher = Sha256::new();
    let mut buffer = vec![0; 256 * 1024];
    let mut bytes = 0;
    loop {
        let n = reader.read(&mut buffer)?;
        if n == 0 {
            return Ok((hex::encode(hasher.finalize()), bytes));
        }
        hasher.update(&buffer[..n]);
        bytes += n as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segment_names_give_their_index_and_other_names_none() {
        assert_eq!(segment_index("segment-00000.mp4"), Some(0));
        assert_eq!(segment_index("segment-00042.mp4"), Some(42));
        assert_eq!(segment_index("segment-123456.mp4"), Some(123_456));
        for other in [
            "segment-42.mp4",
            "segment-00042.mkv",
            "notes.txt",
            "segment-0004a.mp4",
        ] {
            assert_eq!(segment_index(other), None, "{other}");
        }
    }

    #[test]
    fn the_next_index_follows_the_highest_existing_segment() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(next_segment_index(dir.path()).unwrap(), 0);
        for name in [
            "segment-00000.mp4",
            "segment-00007.mp4",
            "segment-00003.mp4",
            "segment-00099.mkv",
        ] {
            std::fs::write(dir.path().join(name), b"x").unwrap();
        }
        assert_eq!(next_segment_index(dir.path()).unwrap(), 8);
    }

    #[test]
    fn the_hash_of_a_known_text_is_its_published_sha256() {
        let (hash, bytes) = sha256_of(&mut &b"abc"[..]).unwrap();
        assert_eq!(
            hash,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(bytes, 3);
    }
}
