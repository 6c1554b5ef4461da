//! Key encodings. Every integer in a key is big-endian so that sled's byte order is
//! numeric order; every session prefix is the 16 raw bytes of the UUID (UUIDv7, so
//! sessions sort by start time) or the nil UUID for the kiosk's own records.

use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use uuid::Uuid;

/// Prefix for records that belong to a session, or to the kiosk itself (`None`).
pub(crate) fn owner_prefix(session_id: Option<Uuid>) -> [u8; 16] {
    *session_id.unwrap_or(Uuid::nil()).as_bytes()
}

/// `events` key: owner (16 bytes) ++ sequence (u64 big-endian).
pub(crate) fn event_key(session_id: Option<Uuid>, seq: u64) -> [u8; 24] {
    let mut key = [0u8; 24];
    key[..16].copy_from_slice(&owner_prefix(session_id));
    key[16..].copy_from_slice(&seq.to_be_bytes());
    key
}

/// `segments` key: owner (16 bytes) ++ the segment file's path bytes.
pub(crate) fn segment_key(session_id: Option<Uuid>, path: &Path) -> Vec<u8> {
    let path = path.as_os_str().as_bytes();
    let mut key = Vec::with_capacity(16 + path.len());
    key.extend_from_slice(&owner_prefix(session_id));
    key.extend_from_slice(path);
    key
}

/// `outbox` key: the sequence (u64 big-endian).
pub(crate) fn seq_key(seq: u64) -> [u8; 8] {
    seq.to_be_bytes()
}

pub(crate) fn seq_from_key(key: &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(key.try_into().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_keys_of_one_session_sort_by_sequence_even_across_byte_boundaries() {
        let session = Some(Uuid::now_v7());
        assert!(event_key(session, 255) < event_key(session, 256));
        assert!(event_key(session, 1) < event_key(session, u64::MAX));
    }

    #[test]
    fn kiosk_events_sort_before_every_session() {
        assert!(event_key(None, u64::MAX) < event_key(Some(Uuid::now_v7()), 0));
    }

    #[test]
    fn a_sequence_key_round_trips() {
        assert_eq!(
            seq_from_key(&seq_key(0x0102_0304_0506_0708)),
            Some(0x0102_0304_0506_0708)
        );
        assert_eq!(seq_from_key(b"short"), None);
    }
}
