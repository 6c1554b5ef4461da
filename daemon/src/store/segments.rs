//! Records of finished recording segments, so that reports can list them and retention
//! can find the oldest. The files themselves belong to recording.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use sled::Transactional;
use sled::transaction::ConflictableTransactionError;

use super::chain;
use super::keys::{owner_prefix, segment_key};
use super::outbox::Staged;
use super::{Store, StoreError};

/// One finished, closed segment file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SegmentRecord {
    /// `None` for recording outside any session.
    pub session_id: Option<Uuid>,
    pub path: PathBuf,
    pub started_at: DateTime<Utc>,
    pub duration_s: f64,
    /// Hex SHA-256 of the file, so a report can prove the file is unaltered.
    pub sha256: String,
    pub bytes: u64,
}

impl Store {
    /// Records a segment, linked into its owner's hash chain; recording the same path
    /// again replaces the record (the old one is retired, see [`chain`]).
    pub fn add_segment(&self, segment: &SegmentRecord) -> Result<(), StoreError> {
        if let Some(id) = segment.session_id
            && self.session(id)?.is_none()
        {
            return Err(StoreError::SessionNotFound(id));
        }
        let key = segment_key(segment.session_id, &segment.path);
        let what = format!("segment {}", segment.path.display());
        self.write_queued(|| {
            let (stored, head) = chain::link(segment, &self.chain_head(segment.session_id)?);
            (&self.segments, &self.chain_heads, &self.chain_retired)
                .transaction(|(segments, heads, retired)| {
                    if let Some(old) = segments.insert(key.as_slice(), stored.as_slice())? {
                        let why = "replaced by a later record of the same file";
                        chain::retire(retired, segment.session_id, &old, what.clone(), why)?;
                    }
                    chain::put_head(heads, segment.session_id, &head)?;
                    Ok::<_, ConflictableTransactionError<StoreError>>(())
                })
                .map_err(|e| self.transaction_error(e))?;
            Ok(((), Staged::default()))
        })
    }

    /// A session's segments, oldest first.
    pub fn segments_for(&self, session_id: Uuid) -> Result<Vec<SegmentRecord>, StoreError> {
        self.segments_of(Some(session_id))
    }

    /// Segments recorded outside any session, oldest first.
    pub fn kiosk_segments(&self) -> Result<Vec<SegmentRecord>, StoreError> {
        self.segments_of(None)
    }

    /// Every segment, oldest first: what retention walks.
    pub fn all_segments(&self) -> Result<Vec<SegmentRecord>, StoreError> {
        let segments = self
            .segments
            .iter()
            .values()
            .map(|bytes| bytes.map_err(|e| self.error(e)));
        self.decode_segments(segments)
    }

    /// Forgets a segment (after its file was deleted); returns the record if there was
    /// one. Its hash stays in the chain as a retired entry.
    pub fn remove_segment(
        &self,
        session_id: Option<Uuid>,
        path: &Path,
    ) -> Result<Option<SegmentRecord>, StoreError> {
        let key = segment_key(session_id, path);
        let what = format!("segment {}", path.display());
        let removed = self.write_queued(|| {
            let removed = (&self.segments, &self.chain_retired)
                .transaction(|(segments, retired)| {
                    let old = segments.remove(key.as_slice())?;
                    if let Some(old) = &old {
                        let why = "file removed by retention";
                        chain::retire(retired, session_id, old, what.clone(), why)?;
                    }
                    Ok::<_, ConflictableTransactionError<StoreError>>(old)
                })
                .map_err(|e| self.transaction_error(e))?;
            Ok((removed, Staged::default()))
        })?;
        removed
            .map(|bytes| self.decode("segment", &bytes))
            .transpose()
    }

    fn segments_of(&self, session_id: Option<Uuid>) -> Result<Vec<SegmentRecord>, StoreError> {
        let segments = self
            .segments
            .scan_prefix(owner_prefix(session_id))
            .values()
            .map(|bytes| bytes.map_err(|e| self.error(e)));
        self.decode_segments(segments)
    }

    fn decode_segments(
        &self,
        values: impl Iterator<Item = Result<sled::IVec, StoreError>>,
    ) -> Result<Vec<SegmentRecord>, StoreError> {
        // Keys order segments by path, not time; sort on the recorded start instead.
        let mut segments = values
            .map(|bytes| self.decode("segment", &bytes?))
            .collect::<Result<Vec<SegmentRecord>, _>>()?;
        segments.sort_by_key(|s| s.started_at);
        Ok(segments)
    }
}
