//! Broadcasts waiting to be published, in order, bounded by a count and a size; past
//! the bound the oldest go.

use std::collections::VecDeque;

/// One encoded broadcast with its publisher sequence number.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Pending {
    pub seq: u64,
    pub body: String,
}

/// The bounded queue of broadcasts not yet in Redis.
pub(super) struct Outbox {
    queue: VecDeque<Pending>,
    bytes: usize,
    max_messages: usize,
    max_bytes: usize,
    next_seq: u64,
}

impl Outbox {
    pub(super) fn new(max_messages: usize, max_bytes: usize) -> Self {
        Self { queue: VecDeque::new(), bytes: 0, max_messages, max_bytes, next_seq: 1 }
    }

    /// Queues a body under the next sequence number; returns how many older entries
    /// were dropped to make room. A body always fits into an empty outbox.
    pub(super) fn push(&mut self, body: String) -> usize {
        let seq = self.next_seq;
        self.next_seq += 1;
        let mut dropped = 0;
        while !self.queue.is_empty() && (self.queue.len() >= self.max_messages || self.bytes + body.len() > self.max_bytes) {
            self.pop_front();
            dropped += 1;
        }
        self.bytes += body.len();
        self.queue.push_back(Pending { seq, body });
        dropped
    }

    fn pop_front(&mut self) {
        if let Some(p) = self.queue.pop_front() {
            self.bytes -= p.body.len();
        }
    }

    /// Copies of up to `max` oldest entries, to publish.
    pub(super) fn peek(&self, max: usize) -> Vec<Pending> {
        self.queue.iter().take(max).cloned().collect()
    }

    /// Forgets the entries up to and including `seq` (they are in Redis).
    pub(super) fn confirm(&mut self, seq: u64) {
        while self.queue.front().is_some_and(|p| p.seq <= seq) {
            self.pop_front();
        }
    }

    pub(super) fn len(&self) -> usize {
        self.queue.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seqs(o: &Outbox) -> Vec<u64> {
        o.peek(usize::MAX).iter().map(|p| p.seq).collect()
    }

    #[test]
    fn keeps_order_and_drops_the_oldest_past_the_count() {
        let mut o = Outbox::new(3, 1 << 20);
        let dropped: usize = (0..5).map(|_| o.push(String::from("m"))).sum();
        assert_eq!(dropped, 2);
        assert_eq!(seqs(&o), [3, 4, 5]);
        assert_eq!(o.peek(1)[0].body, "m");
    }

    #[test]
    fn drops_the_oldest_past_the_size_but_keeps_one_big_body() {
        let mut o = Outbox::new(100, 10);
        o.push("aaaa".into());
        o.push("bbbb".into());
        assert_eq!(o.push("cccc".into()), 1);
        assert_eq!(seqs(&o), [2, 3]);
        assert_eq!(o.push("x".repeat(50)), 2, "a body larger than the bound replaces everything");
        assert_eq!(seqs(&o), [4]);
    }

    #[test]
    fn confirm_forgets_what_was_published_even_after_drops() {
        let mut o = Outbox::new(2, 1 << 20);
        (0..3).for_each(|_| {
            o.push("m".into());
        });
        o.confirm(2);
        assert_eq!(seqs(&o), [3]);
        o.confirm(9);
        assert_eq!(o.len(), 0);
    }
}
