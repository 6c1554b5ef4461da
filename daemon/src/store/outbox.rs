//! The durable outbox: what still has to reach the MQTT broker.
//!
//! An item is enqueued in the same flushed transaction as the record it announces, and
//! leaves only through [`Outbox::ack`], which the publisher calls after the broker's
//! PUBACK. A crash, a power cut or a broker outage therefore never loses an item; at
//! worst an item is published twice (consumers de-duplicate by event id).
//!
//! Layout: tree `outbox`, key = sequence (u64 big-endian), value = topic suffix length
//! (1 byte) ++ topic suffix (UTF-8) ++ payload. Sequences come from sled's
//! `generate_id`, which is monotonic across restarts (even after a crash), so items are
//! published in the order they were enqueued and a sequence is never reused.

use std::path::PathBuf;
use std::sync::Arc;

use sled::transaction::{TransactionalTree, UnabortableTransactionError};
use tokio::sync::Notify;

use super::StoreError;
use super::keys::{seq_from_key, seq_key};

/// Topic suffixes the outbox publishes to, under `proctord/<site>/<kiosk_id>/`.
pub const OUTBOX_TOPICS: [&str; 3] = ["events", "sessions", "reports"];

/// The largest payload the outbox accepts. The publisher's MQTT packet limit is above
/// it; refusing bigger items here keeps one oversized report from blocking the queue
/// behind it forever.
pub const MAX_PAYLOAD_BYTES: usize = 4 * 1024 * 1024;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboxItem {
    pub seq: u64,
    /// One of [`OUTBOX_TOPICS`].
    pub topic_suffix: String,
    pub payload: Vec<u8>,
}

/// A handle on the outbox tree; cheap to clone, shared with the publisher.
#[derive(Clone)]
pub struct Outbox {
    db: sled::Db,
    tree: sled::Tree,
    dir: Arc<PathBuf>,
    /// Wakes the publisher's drain loop when an item arrives.
    enqueued: Arc<Notify>,
}

impl Outbox {
    pub(crate) fn new(db: sled::Db, tree: sled::Tree, dir: Arc<PathBuf>) -> Outbox {
        Outbox {
            db,
            tree,
            dir,
            enqueued: Arc::new(Notify::new()),
        }
    }

    /// Adds an item on its own and flushes; returns its sequence.
    pub fn enqueue(&self, topic_suffix: &str, payload: &[u8]) -> Result<u64, StoreError> {
        check_item(topic_suffix, payload)?;
        let seq = self.db.generate_id().map_err(|e| self.error(e))?;
        self.tree
            .insert(seq_key(seq), encode(topic_suffix, payload))
            .map_err(|e| self.error(e))?;
        self.flush()?;
        self.wake();
        Ok(seq)
    }

    /// The oldest `n` items, in sequence order.
    pub fn peek_batch(&self, n: usize) -> Result<Vec<OutboxItem>, StoreError> {
        self.peek_from(0, n)
    }

    /// Up to `n` items whose sequence is `first_seq` or later, in sequence order. The
    /// publisher uses it to send what follows the items it already has in flight.
    pub fn peek_from(&self, first_seq: u64, n: usize) -> Result<Vec<OutboxItem>, StoreError> {
        self.tree
            .range(seq_key(first_seq)..)
            .take(n)
            .map(|entry| {
                let (key, value) = entry.map_err(|e| self.error(e))?;
                self.decode(&key, &value)
            })
            .collect()
    }

    /// Removes an item once the broker has acknowledged it; `false` if it was not there
    /// (already acknowledged: a duplicate PUBACK after a re-send).
    ///
    /// The removal is not flushed here: sled writes it out within its flush interval, and
    /// if a crash loses it the item is merely sent again, which consumers tolerate (they
    /// de-duplicate by id). Flushing on every PUBACK capped the drain at a few thousand
    /// items per second.
    pub fn ack(&self, seq: u64) -> Result<bool, StoreError> {
        let removed = self.tree.remove(seq_key(seq)).map_err(|e| self.error(e))?;
        Ok(removed.is_some())
    }

    pub fn len(&self) -> usize {
        self.tree.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tree.is_empty()
    }

    /// Completes after the next enqueue, or at once if one happened since the last call
    /// (a stored permit). Meant for a single consumer: the publisher's drain loop.
    pub async fn enqueued(&self) {
        self.enqueued.notified().await
    }

    /// Called after a transaction that enqueued an item has been committed and flushed.
    pub(crate) fn wake(&self) {
        self.enqueued.notify_one();
    }

    fn flush(&self) -> Result<(), StoreError> {
        self.db.flush().map(drop).map_err(|e| self.error(e))
    }

    fn error(&self, e: sled::Error) -> StoreError {
        StoreError::from_sled(&self.dir, e)
    }

    fn decode(&self, key: &[u8], value: &[u8]) -> Result<OutboxItem, StoreError> {
        let seq = seq_from_key(key)
            .ok_or_else(|| StoreError::undecodable(&self.dir, "outbox", "key is not 8 bytes"))?;
        let (topic_suffix, payload) = decode(value)
            .ok_or_else(|| StoreError::undecodable(&self.dir, "outbox", "value is truncated"))?;
        Ok(OutboxItem {
            seq,
            topic_suffix,
            payload,
        })
    }
}

/// Enqueues inside a multi-tree transaction; the caller flushes and then calls
/// [`Outbox::wake`].
pub(crate) fn enqueue_in(
    outbox: &TransactionalTree,
    seq: u64,
    topic_suffix: &str,
    payload: &[u8],
) -> Result<(), UnabortableTransactionError> {
    outbox.insert(&seq_key(seq), encode(topic_suffix, payload))?;
    Ok(())
}

pub(crate) fn check_item(topic_suffix: &str, payload: &[u8]) -> Result<(), StoreError> {
    if !OUTBOX_TOPICS.contains(&topic_suffix) {
        return Err(StoreError::UnknownTopic(topic_suffix.to_owned()));
    }
    if payload.len() > MAX_PAYLOAD_BYTES {
        return Err(StoreError::PayloadTooLarge {
            bytes: payload.len(),
            max: MAX_PAYLOAD_BYTES,
        });
    }
    Ok(())
}

fn encode(topic_suffix: &str, payload: &[u8]) -> Vec<u8> {
    // Topic suffixes are short constants (checked by `check_item`), so one length byte does.
    let mut value = Vec::with_capacity(1 + topic_suffix.len() + payload.len());
    value.push(topic_suffix.len() as u8);
    value.extend_from_slice(topic_suffix.as_bytes());
    value.extend_from_slice(payload);
    value
}

fn decode(value: &[u8]) -> Option<(String, Vec<u8>)> {
    let (&len, rest) = value.split_first()?;
    let len = len as usize;
    if rest.len() < len {
        return None;
    }
    let topic_suffix = String::from_utf8(rest[..len].to_vec()).ok()?;
    Some((topic_suffix, rest[len..].to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_encoded_value_decodes_to_the_same_topic_and_payload() {
        let value = encode("reports", b"{\"score\":90}");
        assert_eq!(
            decode(&value),
            Some(("reports".to_owned(), b"{\"score\":90}".to_vec()))
        );
    }

    #[test]
    fn a_truncated_value_does_not_decode() {
        assert_eq!(decode(&[7, b'e', b'v']), None);
        assert_eq!(decode(&[]), None);
    }
}
