//! The evidence hash chain: every stored event and segment record of a session (or of
//! the kiosk, outside sessions) carries a link to the record stored before it, so that
//! changing, removing or slipping in a record afterwards shows.
//!
//! A record's stored JSON gets a `"chain": {"index": n, "prev": "<hex>"}` member: `n`
//! counts the owner's records from 0 and `prev` is the SHA-256 of the previous
//! record's stored bytes (64 zeros for the first). Tree `chain_heads` keeps, per owner,
//! how many records there are and the SHA-256 of the last one: the head, which reports
//! show and the central office may keep. A segment record that is replaced or removed
//! (retention) leaves a retired entry in `chain_retired` (owner ++ index) with its
//! hash and link, so the chain stays whole while the file is gone by policy.
//!
//! Links are made under the outbox's order lock (see [`Store::write_queued`]), so two
//! writers never take the same index. `proctord verify` recomputes everything
//! ([`super::verify`]).

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sled::transaction::{TransactionalTree, UnabortableTransactionError};
use uuid::Uuid;

use super::keys::owner_prefix;
use super::{Store, StoreError};

/// `prev` of an owner's first record.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The link a stored record carries.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainLink {
    pub index: u64,
    pub prev: String,
}

/// The end of an owner's chain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ChainHead {
    /// Records in the chain (retired ones included).
    pub records: u64,
    /// Hex SHA-256 of the last record's stored bytes; [`GENESIS`] when there is none.
    pub sha256: String,
}

impl Default for ChainHead {
    fn default() -> Self {
        ChainHead {
            records: 0,
            sha256: GENESIS.to_owned(),
        }
    }
}

/// A record that left the chain's trees (its file removed by retention, or replaced).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Retired {
    pub chain: ChainLink,
    /// Hex SHA-256 of the record's stored bytes when it left.
    pub sha256: String,
    /// What it was, e.g. `segment /var/lib/proctord/recordings/…/000003.mp4`.
    pub what: String,
    pub why: String,
}

pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// `record` as stored: its JSON with the link after `head`, and the head after it.
pub(crate) fn link(record: &impl Serialize, head: &ChainHead) -> (Vec<u8>, ChainHead) {
    let mut value = serde_json::to_value(record).expect("a stored record always serialises");
    let chain = ChainLink {
        index: head.records,
        prev: head.sha256.clone(),
    };
    if let serde_json::Value::Object(fields) = &mut value {
        fields.insert(
            "chain".into(),
            serde_json::to_value(chain).expect("a link serialises"),
        );
    }
    let bytes = serde_json::to_vec(&value).expect("a stored record always serialises");
    let next = ChainHead {
        records: head.records + 1,
        sha256: sha256_hex(&bytes),
    };
    (bytes, next)
}

/// The link in a stored record, if it has one (records written before the chain existed
/// have none).
pub(crate) fn link_of(stored: &[u8]) -> Option<ChainLink> {
    #[derive(Deserialize)]
    struct Linked {
        chain: ChainLink,
    }
    serde_json::from_slice::<Linked>(stored)
        .ok()
        .map(|l| l.chain)
}

pub(crate) fn retired_key(owner: Option<Uuid>, index: u64) -> [u8; 24] {
    let mut key = [0u8; 24];
    key[..16].copy_from_slice(&owner_prefix(owner));
    key[16..].copy_from_slice(&index.to_be_bytes());
    key
}

/// Writes the new head inside the caller's transaction.
pub(crate) fn put_head(
    heads: &TransactionalTree,
    owner: Option<Uuid>,
    head: &ChainHead,
) -> Result<(), UnabortableTransactionError> {
    heads.insert(
        &owner_prefix(owner),
        serde_json::to_vec(head).expect("a head serialises"),
    )?;
    Ok(())
}

/// Moves a stored record out of the chain's record trees into `chain_retired`, inside
/// the caller's transaction.
pub(crate) fn retire(
    retired: &TransactionalTree,
    owner: Option<Uuid>,
    stored: &[u8],
    what: String,
    why: &str,
) -> Result<(), UnabortableTransactionError> {
    let Some(chain) = link_of(stored) else {
        return Ok(()); // Stored before the chain existed: nothing to keep whole.
    };
    let entry = Retired {
        sha256: sha256_hex(stored),
        chain: chain.clone(),
        what,
        why: why.to_owned(),
    };
    retired.insert(
        &retired_key(owner, chain.index),
        serde_json::to_vec(&entry).expect("a retired entry serialises"),
    )?;
    Ok(())
}

impl Store {
    /// The head of a session's chain (`None`: the kiosk's own records).
    pub fn chain_head(&self, owner: Option<Uuid>) -> Result<ChainHead, StoreError> {
        match self
            .chain_heads
            .get(owner_prefix(owner))
            .map_err(|e| self.error(e))?
        {
            Some(bytes) => self.decode("chain head", &bytes),
            None => Ok(ChainHead::default()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_link_names_the_hash_of_the_record_before_it() {
        let (first, head) = link(&serde_json::json!({"n": 1}), &ChainHead::default());
        let (second, head2) = link(&serde_json::json!({"n": 2}), &head);
        assert_eq!(
            link_of(&first),
            Some(ChainLink {
                index: 0,
                prev: GENESIS.into()
            })
        );
        assert_eq!(
            link_of(&second),
            Some(ChainLink {
                index: 1,
                prev: sha256_hex(&first)
            })
        );
        assert_eq!(
            head2,
            ChainHead {
                records: 2,
                sha256: sha256_hex(&second)
            }
        );
        assert_eq!(link_of(br#"{"n":3}"#), None);
    }
}
