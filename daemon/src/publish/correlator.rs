//! Matches broker PUBACKs to outbox sequences.
//!
//! rumqttc has no per-message acknowledgement callback. What it does give, in order, is
//! `Outgoing::Publish(pkid)` when it takes a publish request off its channel and assigns
//! it a packet id, and `Incoming::PubAck(pkid)` when the broker acknowledges it. Since
//! rumqttc handles requests in the order they were sent, the n-th `Outgoing::Publish`
//! belongs to the n-th request we sent: a FIFO of sent requests gives each packet id its
//! outbox sequence, and the PUBACK then names the sequence to acknowledge.
//!
//! One wrinkle: when a packet id is still in use (a broker acking out of order), rumqttc
//! reports `Outgoing::AwaitAck(pkid)` instead, parks the request, and reports
//! `Outgoing::Publish(pkid)` once that id is free again; no other request moves meanwhile.
//!
//! The correlator lives for one connection: rumqttc's state is rebuilt on reconnect and
//! whatever was not acknowledged is sent again from the outbox.

use std::collections::{HashMap, VecDeque};

/// What a publish request carried: an outbox item, or something the outbox does not
/// track (status, health).
pub(crate) type Tag = Option<u64>;

#[derive(Debug, Default)]
pub(crate) struct AckCorrelator {
    /// Requests handed to rumqttc that it has not yet given a packet id.
    sent: VecDeque<Tag>,
    /// A request rumqttc parked because its packet id was still in use.
    parked: Option<(u16, Tag)>,
    /// Packet ids on the wire, waiting for their PUBACK.
    awaiting: HashMap<u16, Tag>,
}

impl AckCorrelator {
    /// A publish request was accepted by `try_publish`.
    pub(crate) fn sent(&mut self, tag: Tag) {
        self.sent.push_back(tag);
    }

    /// `Event::Outgoing(Outgoing::Publish(pkid))`; packet id 0 is QoS 0 (no PUBACK).
    pub(crate) fn on_outgoing_publish(&mut self, pkid: u16) {
        let tag = match self.parked.take_if(|(parked, _)| *parked == pkid) {
            Some((_, tag)) => tag,
            None => match self.sent.pop_front() {
                Some(tag) => tag,
                None => {
                    log::debug!(
                        "rumqttc reported publish {pkid} that proctord did not send; ignoring it."
                    );
                    return;
                }
            },
        };
        if pkid != 0 {
            self.awaiting.insert(pkid, tag);
        }
    }

    /// `Event::Outgoing(Outgoing::AwaitAck(pkid))`: the next request waits for `pkid`.
    pub(crate) fn on_await_ack(&mut self, pkid: u16) {
        if let Some(tag) = self.sent.pop_front() {
            self.parked = Some((pkid, tag));
        }
    }

    /// `Event::Incoming(Packet::PubAck(..))`: the outbox sequence now safe to remove.
    pub(crate) fn on_puback(&mut self, pkid: u16) -> Option<u64> {
        self.awaiting.remove(&pkid).flatten()
    }

    /// Outbox items handed over and not yet acknowledged: the publisher's window.
    pub(crate) fn outbox_in_flight(&self) -> usize {
        let parked = self.parked.iter().map(|(_, tag)| tag);
        self.sent
            .iter()
            .chain(parked)
            .chain(self.awaiting.values())
            .filter(|tag| tag.is_some())
            .count()
    }

    /// Nothing sent is still waiting for an id or an acknowledgement.
    pub(crate) fn is_idle(&self) -> bool {
        self.sent.is_empty() && self.parked.is_none() && self.awaiting.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_puback_names_the_sequence_of_the_request_that_got_its_packet_id() {
        let mut c = AckCorrelator::default();
        c.sent(Some(10));
        c.sent(None); // health, QoS 0
        c.sent(Some(11));
        c.on_outgoing_publish(1);
        c.on_outgoing_publish(0);
        c.on_outgoing_publish(2);
        assert_eq!(c.outbox_in_flight(), 2);

        assert_eq!(c.on_puback(2), Some(11));
        assert_eq!(c.on_puback(1), Some(10));
        assert!(c.is_idle());
    }

    #[test]
    fn a_puback_for_an_untracked_publish_or_an_unknown_id_acknowledges_nothing() {
        let mut c = AckCorrelator::default();
        c.sent(None); // retained status, QoS 1
        c.on_outgoing_publish(1);
        assert_eq!(c.on_puback(1), None);
        assert_eq!(c.on_puback(7), None);
    }

    #[test]
    fn a_parked_request_takes_its_packet_id_when_the_old_holder_is_acknowledged() {
        let mut c = AckCorrelator::default();
        c.sent(Some(1));
        c.on_outgoing_publish(1);
        c.sent(Some(2));
        // Packet id 1 is still in use: rumqttc parks request 2 until 1 is acknowledged.
        c.on_await_ack(1);
        assert_eq!(c.outbox_in_flight(), 2);
        assert_eq!(c.on_puback(1), Some(1));
        c.on_outgoing_publish(1);
        assert_eq!(c.on_puback(1), Some(2));
        assert!(c.is_idle());
    }

    #[test]
    fn requests_not_yet_given_a_packet_id_count_as_in_flight() {
        let mut c = AckCorrelator::default();
        c.sent(Some(5));
        c.sent(Some(6));
        assert_eq!(c.outbox_in_flight(), 2);
        assert!(!c.is_idle());
    }
}
