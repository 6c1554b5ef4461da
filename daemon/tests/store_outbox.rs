//! The durable outbox: order, acknowledgement and survival across reopening, checked
//! against a simple in-memory model.

use std::collections::VecDeque;
use std::time::Duration;

use proctord::store::{MAX_PAYLOAD_BYTES, OUTBOX_TOPICS, OutboxItem, Store, StoreError};
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Op {
    Enqueue { topic: usize, payload: Vec<u8> },
    Peek { n: usize },
    PeekFrom { nth: usize, n: usize },
    Ack { nth: usize },
    AckUnknown,
    Reopen,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..OUTBOX_TOPICS.len(), proptest::collection::vec(any::<u8>(), 0..48))
            .prop_map(|(topic, payload)| Op::Enqueue { topic, payload }),
        2 => (0usize..8).prop_map(|n| Op::Peek { n }),
        1 => (any::<usize>(), 0usize..8).prop_map(|(nth, n)| Op::PeekFrom { nth, n }),
        3 => any::<usize>().prop_map(|nth| Op::Ack { nth }),
        1 => Just(Op::AckUnknown),
        1 => Just(Op::Reopen),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn the_outbox_behaves_like_a_queue_that_only_acks_remove_from_and_that_survives_reopening(
        ops in proptest::collection::vec(op(), 1..40)
    ) {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Some(Store::open(dir.path()).unwrap());
        let mut model: VecDeque<OutboxItem> = VecDeque::new();
        let mut highest_seq_issued: Option<u64> = None;

        for op in ops {
            let outbox = store.as_ref().unwrap().outbox().clone();
            match op {
                Op::Enqueue { topic, payload } => {
                    let topic_suffix = OUTBOX_TOPICS[topic];
                    let seq = outbox.enqueue(topic_suffix, &payload).unwrap();
                    prop_assert!(highest_seq_issued.is_none_or(|h| seq > h), "seq {seq} after {highest_seq_issued:?}");
                    highest_seq_issued = Some(seq);
                    model.push_back(OutboxItem { seq, topic_suffix: topic_suffix.to_owned(), payload });
                }
                Op::Peek { n } => {
                    let expected: Vec<_> = model.iter().take(n).cloned().collect();
                    prop_assert_eq!(outbox.peek_batch(n).unwrap(), expected);
                }
                Op::PeekFrom { nth, n } => {
                    let first_seq = if model.is_empty() { 0 } else { model[nth % model.len()].seq };
                    let expected: Vec<_> = model.iter().filter(|i| i.seq >= first_seq).take(n).cloned().collect();
                    prop_assert_eq!(outbox.peek_from(first_seq, n).unwrap(), expected);
                }
                Op::Ack { nth } => {
                    if !model.is_empty() {
                        let item = model.remove(nth % model.len()).unwrap();
                        prop_assert!(outbox.ack(item.seq).unwrap());
                        // A second PUBACK for the same item (after a re-send) changes nothing.
                        prop_assert!(!outbox.ack(item.seq).unwrap());
                    }
                }
                Op::AckUnknown => {
                    let never_issued = highest_seq_issued.map_or(0, |h| h + 1_000_000);
                    prop_assert!(!outbox.ack(never_issued).unwrap());
                }
                Op::Reopen => {
                    drop(outbox);
                    drop(store.take());
                    store = Some(Store::open(dir.path()).unwrap());
                }
            }
            let outbox = store.as_ref().unwrap().outbox();
            prop_assert_eq!(outbox.len(), model.len());
        }
        let remaining = store.as_ref().unwrap().outbox().peek_batch(usize::MAX).unwrap();
        prop_assert_eq!(remaining, Vec::from(model));
    }
}

#[test]
fn sequences_keep_increasing_after_every_item_was_acknowledged_and_the_store_reopened() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let first = store.outbox().enqueue("reports", b"r1").unwrap();
    assert!(store.outbox().ack(first).unwrap());
    drop(store);

    let store = Store::open(dir.path()).unwrap();
    assert!(store.outbox().is_empty());
    let second = store.outbox().enqueue("reports", b"r2").unwrap();
    assert!(second > first, "{second} after {first}");
}

#[test]
fn an_unknown_topic_is_refused_and_nothing_is_enqueued() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let error = store.outbox().enqueue("status", b"{}").unwrap_err();
    assert!(
        matches!(error, StoreError::UnknownTopic(ref t) if t == "status"),
        "{error:?}"
    );
    assert!(store.outbox().is_empty());
}

#[test]
fn a_payload_too_large_to_publish_is_refused_so_that_it_cannot_block_the_queue() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let error = store
        .outbox()
        .enqueue("reports", &vec![b'x'; MAX_PAYLOAD_BYTES + 1])
        .unwrap_err();
    assert!(
        matches!(error, StoreError::PayloadTooLarge { .. }),
        "{error:?}"
    );
    assert!(store.outbox().is_empty());
    store
        .outbox()
        .enqueue("reports", &vec![b'x'; MAX_PAYLOAD_BYTES])
        .unwrap();
}

#[tokio::test]
async fn enqueueing_wakes_a_waiting_drain_loop() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let outbox = store.outbox().clone();
    let waiter = tokio::spawn(async move { outbox.enqueued().await });
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(!waiter.is_finished());
    store.outbox().enqueue("events", b"{}").unwrap();
    tokio::time::timeout(Duration::from_secs(5), waiter)
        .await
        .expect("the waiter was not woken")
        .unwrap();
}
