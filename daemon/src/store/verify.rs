//! Recomputes an owner's hash chain and every segment file's SHA-256, and says exactly
//! which record or file does not match: what `proctord verify` runs.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::chain::{self, ChainHead, GENESIS, Retired};
use super::keys::owner_prefix;
use super::{DeletionRecord, SegmentRecord, Store, StoreError};
use crate::event::ProctorEvent;

/// What verifying one owner's records found.
#[derive(Clone, Debug, PartialEq)]
pub struct ChainVerdict {
    /// The session, or `None` for the kiosk's own records.
    pub owner: Option<Uuid>,
    pub head: ChainHead,
    /// Segment files whose SHA-256 was recomputed and matched.
    pub files_matched: usize,
    /// Records that left the chain by policy (retention), still accounted for.
    pub retired: usize,
    /// Records stored before proctord kept a chain: not verifiable.
    pub unchained: usize,
    /// Every mismatch, as a sentence naming the record or file; empty means OK.
    pub problems: Vec<String>,
}

impl ChainVerdict {
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// One link as found in the store.
struct Found {
    what: String,
    sha256: String,
    prev: String,
}

impl Store {
    /// Verifies the records of `owner` (a session, or `None` for the kiosk's own).
    pub fn verify_chain(&self, owner: Option<Uuid>) -> Result<ChainVerdict, StoreError> {
        let mut verdict = ChainVerdict {
            owner,
            head: self.chain_head(owner)?,
            files_matched: 0,
            retired: 0,
            unchained: 0,
            problems: Vec::new(),
        };
        let mut links: BTreeMap<u64, Found> = BTreeMap::new();
        let mut add = |verdict: &mut ChainVerdict, stored: &[u8], what: String| {
            let Some(link) = chain::link_of(stored) else {
                verdict.unchained += 1;
                return;
            };
            let found = Found {
                what,
                sha256: chain::sha256_hex(stored),
                prev: link.prev,
            };
            if let Some(other) = links.insert(link.index, found) {
                verdict.problems.push(format!(
                    "{} claims chain position {} that {} already holds: a record was slipped in",
                    links[&link.index].what, link.index, other.what
                ));
            }
        };
        for entry in self.events.scan_prefix(owner_prefix(owner)) {
            let (_, stored) = entry.map_err(|e| self.error(e))?;
            let what = match serde_json::from_slice::<ProctorEvent>(&stored) {
                Ok(e) => format!("event {} ({} {:?})", e.id, e.kind.as_str(), e.phase),
                Err(_) => "an event record that no longer decodes".to_owned(),
            };
            add(&mut verdict, &stored, what);
        }
        for entry in self.segments.scan_prefix(owner_prefix(owner)) {
            let (_, stored) = entry.map_err(|e| self.error(e))?;
            let what = match serde_json::from_slice::<SegmentRecord>(&stored) {
                Ok(segment) => {
                    match check_file(&segment) {
                        Ok(()) => verdict.files_matched += 1,
                        Err(problem) => verdict.problems.push(problem),
                    }
                    format!("segment record {}", segment.path.display())
                }
                Err(_) => "a segment record that no longer decodes".to_owned(),
            };
            add(&mut verdict, &stored, what);
        }
        // Deletion records are the kiosk's own (nil owner): see `deletion`.
        for entry in self.deletions.scan_prefix(owner_prefix(owner)) {
            let (_, stored) = entry.map_err(|e| self.error(e))?;
            let what = match serde_json::from_slice::<DeletionRecord>(&stored) {
                Ok(d) => format!("the deletion record of session {}", d.session_id),
                Err(_) => "a deletion record that no longer decodes".to_owned(),
            };
            add(&mut verdict, &stored, what);
        }
        for entry in self.chain_retired.scan_prefix(owner_prefix(owner)) {
            let (_, stored) = entry.map_err(|e| self.error(e))?;
            let retired: Retired = self.decode("retired chain entry", &stored)?;
            verdict.retired += 1;
            let found = Found {
                what: format!("{} ({})", retired.what, retired.why),
                sha256: retired.sha256,
                prev: retired.chain.prev,
            };
            links.insert(retired.chain.index, found);
        }
        check_links(&mut verdict, &links);
        Ok(verdict)
    }

    /// Every owner with records: the kiosk first, then each session, oldest first.
    pub fn chain_owners(&self) -> Result<Vec<Option<Uuid>>, StoreError> {
        let mut owners = vec![None];
        owners.extend(self.list_sessions()?.into_iter().map(|s| Some(s.id)));
        Ok(owners)
    }
}

/// Walks positions `0..head.records`: each must be there, name the hash of the one
/// before it, and the last must be what the head names.
fn check_links(verdict: &mut ChainVerdict, links: &BTreeMap<u64, Found>) {
    let head = &verdict.head;
    let mut previous: Option<(u64, &Found)> = None;
    for index in 0..head.records {
        let Some(found) = links.get(&index) else {
            verdict.problems.push(format!(
                "chain position {index} is empty: a record was deleted from the store"
            ));
            previous = None;
            continue;
        };
        // After an empty position there is nothing to compare with; the gap was reported.
        let mismatch = match previous {
            Some((i, p)) if found.prev != p.sha256 => Some(format!(
                "{} (chain position {i}) does not match the hash that {} (position {index}) names: it was changed after it was stored",
                p.what, found.what
            )),
            None if index == 0 && found.prev != GENESIS => Some(format!(
                "{} (chain position 0) does not start the chain: its link was changed",
                found.what
            )),
            _ => None,
        };
        verdict.problems.extend(mismatch);
        previous = Some((index, found));
    }
    if let Some((i, last)) = previous
        && last.sha256 != head.sha256
    {
        verdict.problems.push(format!(
            "{} (chain position {i}, the last) does not match the chain head: it was changed after it was stored",
            last.what
        ));
    }
    for (index, found) in links.range(head.records..) {
        verdict.problems.push(format!(
            "{} claims chain position {index}, beyond the head ({} records): it was added behind proctord's back",
            found.what, head.records
        ));
    }
}

/// The segment file still has the size and SHA-256 recorded when it was finished.
fn check_file(segment: &SegmentRecord) -> Result<(), String> {
    let path = &segment.path;
    let sha256 = file_sha256(path).map_err(|e| {
        format!(
            "segment file {} cannot be read ({e}): it was moved or deleted",
            path.display()
        )
    })?;
    if sha256 != segment.sha256 {
        return Err(format!(
            "segment file {} does not match its record: SHA-256 {sha256}, recorded {}; the file was changed after it was recorded",
            path.display(),
            segment.sha256
        ));
    }
    Ok(())
}

fn file_sha256(path: &Path) -> std::io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 16];
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            return Ok(hex::encode(hasher.finalize()));
        }
        hasher.update(&buffer[..n]);
    }
}
