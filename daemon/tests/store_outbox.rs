//! The durable outbox: order, acknowledgement and survival across reopening, checked
//! against a simple in-memory model; order under concurrent writers; its bounds.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use proctord::event::{EventDetails, EventKind, Phase, ProctorEvent};
use proctord::store::{OutboxItem, OutboxTopic, Store, StoreError, report_parts};
use proptest::prelude::*;

#[path = "support/reopen.rs"]
mod reopen;
use reopen::reopen;

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
        4 => (0..OutboxTopic::ALL.len(), proptest::collection::vec(any::<u8>(), 0..48))
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
                    let topic = OutboxTopic::ALL[topic];
                    let seq = outbox.enqueue(topic, &payload).unwrap()[0];
                    prop_assert!(highest_seq_issued.is_none_or(|h| seq > h), "seq {seq} after {highest_seq_issued:?}");
                    highest_seq_issued = Some(seq);
                    model.push_back(OutboxItem { seq, topic, payload });
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
                    store = Some(reopen(dir.path()));
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
    let first = store.outbox().enqueue(OutboxTopic::Reports, b"r1").unwrap()[0];
    assert!(store.outbox().ack(first).unwrap());
    drop(store);

    let store = reopen(dir.path());
    assert!(store.outbox().is_empty());
    let second = store.outbox().enqueue(OutboxTopic::Reports, b"r2").unwrap()[0];
    assert!(second > first, "{second} after {first}");
}

#[tokio::test]
async fn enqueueing_wakes_a_waiting_drain_loop() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let outbox = store.outbox().clone();
    let waiter = tokio::spawn(async move { outbox.enqueued().await });
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(!waiter.is_finished());
    store.outbox().enqueue(OutboxTopic::Events, b"{}").unwrap();
    tokio::time::timeout(Duration::from_secs(5), waiter)
        .await
        .expect("the waiter was not woken")
        .unwrap();
}

fn kiosk_event(n: u32) -> ProctorEvent {
    ProctorEvent {
        id: uuid::Uuid::now_v7(),
        session_id: None,
        kind: EventKind::CameraLost,
        phase: Phase::Start,
        started_at: chrono::Utc::now(),
        ended_at: None,
        duration_s: None,
        started_at_s: f64::from(n),
        ended_at_s: None,
        details: EventDetails::default(),
    }
}

#[test]
fn concurrent_writers_never_let_the_drain_pass_over_an_item() {
    const WRITERS: usize = 4;
    const PER_WRITER: u32 = 250;
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let writers_done = Arc::new(AtomicBool::new(false));

    // Reads the way the publisher does: whatever follows the last item it took.
    let drain = {
        let outbox = store.outbox().clone();
        let done = writers_done.clone();
        std::thread::spawn(move || {
            let mut next_seq = 0;
            let mut taken = Vec::new();
            loop {
                let finished = done.load(Ordering::SeqCst);
                let items = outbox.peek_from(next_seq, 32).unwrap();
                if items.is_empty() && finished {
                    return taken;
                }
                for item in items {
                    taken.push(item.seq);
                    next_seq = item.seq + 1;
                    assert!(outbox.ack(item.seq).unwrap());
                }
            }
        })
    };
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let store = store.clone();
            std::thread::spawn(move || {
                (0..PER_WRITER)
                    .map(|n| {
                        if w == 0 && n % 10 == 0 {
                            store.outbox().enqueue(OutboxTopic::Reports, b"{}").unwrap()[0]
                        } else {
                            store.append_event(&kiosk_event(n)).unwrap()
                        }
                    })
                    .collect::<Vec<u64>>()
            })
        })
        .collect();
    let mut written: Vec<u64> = writers
        .into_iter()
        .flat_map(|w| w.join().unwrap())
        .collect();
    writers_done.store(true, Ordering::SeqCst);
    let taken = drain.join().unwrap();

    written.sort_unstable();
    assert_eq!(written.len(), WRITERS * PER_WRITER as usize);
    // Everything written was taken, in increasing order, and nothing was left behind.
    let taken_set: std::collections::HashSet<u64> = taken.iter().copied().collect();
    let passed_over: Vec<u64> = written
        .iter()
        .copied()
        .filter(|seq| !taken_set.contains(seq))
        .collect();
    assert!(
        passed_over.is_empty(),
        "the drain passed over {} of {} items, e.g. {:?}",
        passed_over.len(),
        written.len(),
        &passed_over[..passed_over.len().min(5)]
    );
    assert!(taken.is_sorted(), "the drain saw sequences out of order");
    assert_eq!(taken.len(), written.len(), "an item was taken twice");
    assert!(store.outbox().is_empty());
}

#[test]
fn with_publishing_off_events_are_stored_but_nothing_is_queued() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    store.append_event(&kiosk_event(1)).unwrap();
    store.outbox().set_publishing(false);

    let session = store.start_session("Ada Lovelace", None, None).unwrap();
    for n in 0..100 {
        store.append_event(&kiosk_event(n)).unwrap();
    }
    store.end_session(session.id).unwrap();
    assert!(
        store
            .outbox()
            .enqueue(OutboxTopic::Reports, b"{}")
            .unwrap()
            .is_empty()
    );

    assert_eq!(store.kiosk_events().unwrap().len(), 101);
    // Only what was queued while publishing was on waits for the broker.
    assert_eq!(store.outbox().len(), 1);
    drop(store);
    assert_eq!(reopen(dir.path()).outbox().len(), 1);
}

#[test]
fn a_report_over_the_broker_limit_is_queued_in_parts_and_other_large_items_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let limit = report_parts::MIN_MESSAGE_BYTES;
    store.outbox().set_max_message_bytes(limit);
    let report = serde_json::to_vec(&serde_json::json!({
        "session_id": "0190c5e2-7a4b-7c3d-9e8f-0123456789ab",
        "lines": vec!["a line of the report"; 5_000],
    }))
    .unwrap();

    let seqs = store
        .outbox()
        .enqueue(OutboxTopic::Reports, &report)
        .unwrap();

    let queued = store.outbox().peek_batch(usize::MAX).unwrap();
    assert!(queued.len() > 5, "{} part(s)", queued.len());
    assert_eq!(queued.iter().map(|i| i.seq).collect::<Vec<_>>(), seqs);
    assert!(
        queued
            .iter()
            .all(|i| i.payload.len() <= limit && i.topic == OutboxTopic::Reports)
    );
    let parts: Vec<report_parts::ReportPart> = queued
        .iter()
        .map(|i| serde_json::from_slice(&i.payload).unwrap())
        .collect();
    assert_eq!(report_parts::reassemble(&parts), Some(report));

    let error = store
        .outbox()
        .enqueue(OutboxTopic::Events, &vec![b'x'; limit + 1])
        .unwrap_err();
    assert!(
        matches!(error, StoreError::PayloadTooLarge { .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("max_message_bytes"), "{error}");
    assert_eq!(store.outbox().len(), parts.len());
}
