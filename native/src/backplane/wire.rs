//! A broadcast as a stream entry, and the check that delivers each publisher's
//! entries once and in order.
//!
//! An entry has three fields: `n` (publishing node id), `s` (its sequence number,
//! from 1, one per broadcast) and `m` (the JSON body below). A publisher that retries
//! an `XADD` whose reply it lost may write an entry twice; readers skip any sequence
//! number they have already seen from that node.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::Broadcast;

/// Field names of a stream entry.
pub(super) const NODE: &str = "n";
pub(super) const SEQ: &str = "s";
pub(super) const BODY: &str = "m";

/// The JSON body of an entry, as written.
#[derive(Serialize)]
struct BodyOut<'a> {
    /// Publisher's wall clock at the send, in ms since the Unix epoch (for the lag).
    t: u64,
    n: &'a [String],
    g: &'a [String],
    c: &'a [String],
    p: &'a str,
}

/// The JSON body of an entry, as read.
#[derive(Deserialize)]
struct BodyIn {
    t: u64,
    n: Vec<String>,
    g: Vec<String>,
    c: Vec<String>,
    p: String,
}

/// The body of an entry for `b`, sent at `sent_ms`.
pub(super) fn encode(b: &Broadcast, sent_ms: u64) -> String {
    let body = BodyOut { t: sent_ms, n: &b.names, g: &b.groups, c: &b.client_ids, p: b.payload.as_str() };
    serde_json::to_string(&body).expect("strings always serialise")
}

/// The broadcast in a body and when it was sent; None if the body is malformed.
pub(super) fn decode(body: &str) -> Option<(Broadcast, u64)> {
    let b: BodyIn = serde_json::from_str(body).ok()?;
    Some((Broadcast { names: b.n, groups: b.g, client_ids: b.c, payload: b.p.into() }, b.t))
}

/// What a reader does with an entry.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Verdict {
    /// New and next in line.
    Deliver,
    /// New, but `missed` entries of that node never arrived (dropped from its outbox
    /// or trimmed from the stream).
    DeliverAfterGap { missed: u64 },
    /// Already delivered (a retried publish).
    Duplicate,
}

/// The last sequence number delivered, per publishing node.
#[derive(Default)]
pub(super) struct Seen {
    last: HashMap<String, u64>,
}

impl Seen {
    pub(super) fn check(&mut self, node: &str, seq: u64) -> Verdict {
        match self.last.get_mut(node) {
            Some(last) if seq <= *last => Verdict::Duplicate,
            Some(last) => {
                let missed = seq - *last - 1;
                *last = seq;
                if missed == 0 { Verdict::Deliver } else { Verdict::DeliverAfterGap { missed } }
            }
            None => {
                // The first entry seen from a node: it may have published before this
                // node started reading, which is not a gap.
                self.last.insert(node.to_string(), seq);
                Verdict::Deliver
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_round_trip() {
        let b = Broadcast { names: vec!["Chat".into()], groups: vec![], client_ids: vec!["a\"b".into(), "c".into()], payload: "{\"x\":\"é\\n\"}".into() };
        let (back, t) = decode(&encode(&b, 42)).unwrap();
        assert_eq!((back, t), (b, 42));
        assert!(decode("{").is_none());
    }

    #[test]
    fn each_sequence_number_is_delivered_once_and_gaps_are_reported() {
        let mut seen = Seen::default();
        assert_eq!(seen.check("a", 5), Verdict::Deliver);
        assert_eq!(seen.check("a", 6), Verdict::Deliver);
        assert_eq!(seen.check("a", 6), Verdict::Duplicate);
        assert_eq!(seen.check("a", 3), Verdict::Duplicate);
        assert_eq!(seen.check("b", 1), Verdict::Deliver);
        assert_eq!(seen.check("a", 9), Verdict::DeliverAfterGap { missed: 2 });
    }
}
