//! The durable outbox: what still has to reach the MQTT broker.
//!
//! An item is enqueued in the same flushed transaction as the record it announces, and
//! leaves only through [`Outbox::ack`], which the publisher calls after the broker's
//! PUBACK. A crash, a power cut or a broker outage therefore never loses an item; at
//! worst an item is published twice (consumers de-duplicate by event id).
//!
//! Layout: tree `outbox`, key = sequence (u64 big-endian), value = topic suffix length
//! (1 byte) ++ topic suffix (UTF-8) ++ payload. Sequences come from sled's
//! `generate_id`, which is monotonic across restarts (even after a crash).
//!
//! # Order is assigned at commit
//!
//! The publisher sends what follows the last item it sent (`peek_from(last + 1)`), so an
//! item committed with a *lower* sequence than one already sent would be passed over
//! until the next reconnect. Every write that enqueues therefore takes the outbox's
//! order lock, allocates its sequences, commits, and only then lets the next writer
//! allocate: sequences become visible in increasing order, whichever thread writes.
//!
//! # Bounded
//!
//! With publishing off (`[mqtt] enabled = false`) nothing is enqueued: the records
//! themselves are the evidence, and nobody would ever acknowledge the items. Items
//! queued while publishing was on stay until it is on again (they no longer grow).
//!
//! # Messages the broker would refuse
//!
//! No item is larger than the broker's message limit (`[mqtt] max_message_bytes`). A
//! report above it is split into parts (see [`report_parts`](super::report_parts)) that
//! are enqueued together; any other item above it is refused at enqueue, so nothing can
//! block the head of the queue.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use sled::transaction::{TransactionalTree, UnabortableTransactionError};
use tokio::sync::Notify;

use super::StoreError;
use super::keys::{seq_from_key, seq_key};
use super::report_parts;

/// The largest item the outbox can ever hold; `[mqtt] max_message_bytes` is at most
/// this. The publisher's MQTT packet limit is above it.
pub const MAX_PAYLOAD_BYTES: usize = 4 * 1024 * 1024;

/// The broker message limit assumed until the publisher sets the configured one: the
/// default of `[mqtt] max_message_bytes`.
pub const DEFAULT_MAX_MESSAGE_BYTES: usize = 128 * 1024;

/// Where an outbox item is published, under `proctord/<site>/<kiosk_id>/`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OutboxTopic {
    Events,
    Sessions,
    Reports,
    /// `cmd/result`: the outcome of each MQTT command.
    CommandResults,
}

impl OutboxTopic {
    pub const ALL: [OutboxTopic; 4] = [
        OutboxTopic::Events,
        OutboxTopic::Sessions,
        OutboxTopic::Reports,
        OutboxTopic::CommandResults,
    ];

    /// The topic below the kiosk's prefix; also what the outbox stores.
    pub fn suffix(self) -> &'static str {
        match self {
            OutboxTopic::Events => "events",
            OutboxTopic::Sessions => "sessions",
            OutboxTopic::Reports => "reports",
            OutboxTopic::CommandResults => "cmd/result",
        }
    }

    fn from_suffix(suffix: &[u8]) -> Option<OutboxTopic> {
        OutboxTopic::ALL
            .into_iter()
            .find(|t| t.suffix().as_bytes() == suffix)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboxItem {
    pub seq: u64,
    pub topic: OutboxTopic,
    pub payload: Vec<u8>,
}

/// A handle on the outbox tree; cheap to clone, shared with the publisher.
#[derive(Clone)]
pub struct Outbox {
    db: sled::Db,
    tree: sled::Tree,
    dir: Arc<PathBuf>,
    shared: Arc<Shared>,
}

struct Shared {
    /// Wakes the publisher's drain loop when an item arrives.
    enqueued: Notify,
    /// Items in the tree. Counted once at open and kept up to date, because sled's
    /// `len` walks the whole tree and health asks every second. Signed: an item can be
    /// acknowledged between its commit and the increment that follows it.
    len: AtomicI64,
    publishing: AtomicBool,
    max_message_bytes: AtomicUsize,
    /// Held from allocating sequences until the commit (see the module docs).
    order: Mutex<()>,
}

/// Items allocated for one write, to be committed in its transaction.
#[derive(Debug, Default)]
pub(crate) struct Staged {
    items: Vec<(u64, Vec<u8>)>,
}

impl Staged {
    /// The sequence of the first item; `None` when nothing is queued (publishing off).
    pub(crate) fn first_seq(&self) -> Option<u64> {
        self.items.first().map(|(seq, _)| *seq)
    }

    /// These items followed by `other`'s (staged later, so with higher sequences).
    pub(crate) fn and(mut self, other: Staged) -> Staged {
        self.items.extend(other.items);
        self
    }

    /// Writes the items inside the caller's transaction.
    pub(crate) fn write(
        &self,
        outbox: &TransactionalTree,
    ) -> Result<(), UnabortableTransactionError> {
        for (seq, value) in &self.items {
            outbox.insert(&seq_key(*seq), value.as_slice())?;
        }
        Ok(())
    }

    fn seqs(&self) -> Vec<u64> {
        self.items.iter().map(|(seq, _)| *seq).collect()
    }
}

impl Outbox {
    pub(crate) fn new(db: sled::Db, tree: sled::Tree, dir: Arc<PathBuf>) -> Outbox {
        let len = tree.len() as i64;
        Outbox {
            db,
            tree,
            dir,
            shared: Arc::new(Shared {
                enqueued: Notify::new(),
                len: AtomicI64::new(len),
                publishing: AtomicBool::new(true),
                max_message_bytes: AtomicUsize::new(DEFAULT_MAX_MESSAGE_BYTES),
                order: Mutex::new(()),
            }),
        }
    }

    /// Whether writes queue items at all (`[mqtt] enabled`); on by default.
    pub fn set_publishing(&self, on: bool) {
        self.shared.publishing.store(on, Ordering::Relaxed);
    }

    /// The broker's message limit (`[mqtt] max_message_bytes`, at most
    /// [`MAX_PAYLOAD_BYTES`]): reports above it are split, other items refused.
    pub fn set_max_message_bytes(&self, bytes: usize) {
        self.shared.max_message_bytes.store(
            bytes.clamp(report_parts::MIN_MESSAGE_BYTES, MAX_PAYLOAD_BYTES),
            Ordering::Relaxed,
        );
    }

    /// Adds an item on its own (a report may become several) and flushes; returns the
    /// sequences queued: none when publishing is off.
    pub fn enqueue(&self, topic: OutboxTopic, payload: &[u8]) -> Result<Vec<u64>, StoreError> {
        let order = self.order();
        let staged = self.stage(topic, payload)?;
        let mut batch = sled::Batch::default();
        for (seq, value) in &staged.items {
            batch.insert(&seq_key(*seq), value.as_slice());
        }
        self.tree.apply_batch(batch).map_err(|e| self.error(e))?;
        self.committed(&staged);
        drop(order);
        self.flush()?;
        self.wake();
        Ok(staged.seqs())
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
        if removed.is_some() {
            self.shared.len.fetch_sub(1, Ordering::Relaxed);
        }
        Ok(removed.is_some())
    }

    /// The sequences of the items that carry session `id`'s data (its events, its start
    /// and end, its report or report parts), for a deletion on request. Command results
    /// only name the id and stay.
    pub(crate) fn items_naming(&self, id: uuid::Uuid) -> Result<Vec<u64>, StoreError> {
        let id = id.to_string();
        let mut seqs = Vec::new();
        for entry in self.tree.iter() {
            let (key, value) = entry.map_err(|e| self.error(e))?;
            let item = self.decode(&key, &value)?;
            if item.topic == OutboxTopic::CommandResults {
                continue;
            }
            let Ok(payload) = serde_json::from_slice::<serde_json::Value>(&item.payload) else {
                continue;
            };
            let names = |v: &serde_json::Value| v.as_str() == Some(id.as_str());
            if names(&payload["session_id"])
                || (item.topic == OutboxTopic::Sessions && names(&payload["id"]))
                || names(&payload["report_part"]["session_id"])
            {
                seqs.push(item.seq);
            }
        }
        Ok(seqs)
    }

    /// Counts items removed in a caller's committed transaction (a deletion).
    pub(crate) fn forget(&self, removed: usize) {
        self.shared.len.fetch_sub(removed as i64, Ordering::Relaxed);
    }

    /// Items waiting for the broker; a counter, not a walk of the tree.
    pub fn len(&self) -> usize {
        self.shared.len.load(Ordering::Relaxed).max(0) as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Completes after the next enqueue, or at once if one happened since the last call
    /// (a stored permit). Meant for a single consumer: the publisher's drain loop.
    pub async fn enqueued(&self) {
        self.shared.enqueued.notified().await
    }

    /// Serialises writers that enqueue, from allocating their sequences to their commit.
    pub(crate) fn order(&self) -> MutexGuard<'_, ()> {
        // The guard protects no data, so a panic elsewhere cannot leave it inconsistent.
        self.shared.order.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Allocates and encodes the item(s) for `payload`; call under [`Outbox::order`].
    pub(crate) fn stage(&self, topic: OutboxTopic, payload: &[u8]) -> Result<Staged, StoreError> {
        if !self.shared.publishing.load(Ordering::Relaxed) {
            return Ok(Staged::default());
        }
        let max = self.shared.max_message_bytes.load(Ordering::Relaxed);
        let payloads = if payload.len() <= max {
            vec![payload.to_vec()]
        } else if topic == OutboxTopic::Reports {
            report_parts::split(payload, max)
        } else {
            return Err(StoreError::PayloadTooLarge {
                bytes: payload.len(),
                max,
            });
        };
        let items = payloads
            .into_iter()
            .map(|p| {
                Ok((
                    self.db.generate_id().map_err(|e| self.error(e))?,
                    encode(topic, &p),
                ))
            })
            .collect::<Result<_, StoreError>>()?;
        Ok(Staged { items })
    }

    /// Counts what a committed transaction added; call before releasing the order lock.
    pub(crate) fn committed(&self, staged: &Staged) {
        self.shared
            .len
            .fetch_add(staged.items.len() as i64, Ordering::Relaxed);
    }

    /// Called after a transaction that enqueued an item has been committed and flushed.
    pub(crate) fn wake(&self) {
        self.shared.enqueued.notify_one();
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
        let (topic, payload) = decode(value).ok_or_else(|| {
            StoreError::undecodable(&self.dir, "outbox", "value is truncated or names no topic")
        })?;
        Ok(OutboxItem {
            seq,
            topic,
            payload,
        })
    }
}

fn encode(topic: OutboxTopic, payload: &[u8]) -> Vec<u8> {
    // Topic suffixes are short constants, so one length byte does.
    let suffix = topic.suffix();
    let mut value = Vec::with_capacity(1 + suffix.len() + payload.len());
    value.push(suffix.len() as u8);
    value.extend_from_slice(suffix.as_bytes());
    value.extend_from_slice(payload);
    value
}

fn decode(value: &[u8]) -> Option<(OutboxTopic, Vec<u8>)> {
    let (&len, rest) = value.split_first()?;
    let len = len as usize;
    if rest.len() < len {
        return None;
    }
    let topic = OutboxTopic::from_suffix(&rest[..len])?;
    Some((topic, rest[len..].to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_encoded_value_decodes_to_the_same_topic_and_payload() {
        for topic in OutboxTopic::ALL {
            let value = encode(topic, b"{\"score\":90}");
            assert_eq!(decode(&value), Some((topic, b"{\"score\":90}".to_vec())));
        }
    }

    #[test]
    fn a_truncated_value_or_an_unknown_topic_does_not_decode() {
        assert_eq!(decode(&[7, b'e', b'v']), None);
        assert_eq!(decode(&[]), None);
        assert_eq!(decode(b"\x06statusxyz"), None);
    }
}
