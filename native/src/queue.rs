//! A connection's bounded send queue.
//!
//! Senders push from any thread; the connection's task drains everything queued in one
//! go and writes it with as few syscalls as it can (see `pump`). The writer is woken
//! only when the queue goes from empty to non-empty.
//!
//! Server connections queue frames already encoded once for all their recipients
//! ([`Outbound::Frame`]); external client connections queue messages that tungstenite
//! still has to mask and encode ([`Outbound::Message`]).

use std::collections::VecDeque;

use bytes::Bytes;
use parking_lot::Mutex;
use tokio::sync::Notify;
use tokio_tungstenite::tungstenite::Message;

use crate::SlowReaderPolicy;
use crate::pump::Cause;

/// Bookkeeping bytes counted per queued message, so that floods of tiny messages are
/// bounded too.
const PER_MESSAGE_OVERHEAD: usize = 64;

/// One item for the writer.
#[derive(Debug)]
pub(crate) enum Outbound {
    /// A complete, unmasked data frame (header and payload), shared by every recipient.
    Frame(Bytes),
    /// A data message for tungstenite to frame.
    Message(Message),
    /// Close the connection with this code and reason once everything before it is sent.
    Close(u16, String, Cause),
}

/// What a push did.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Pushed {
    /// Queued.
    Queued,
    /// Queued after dropping this many older messages (drop-oldest policy).
    DroppedOldest(usize),
    /// The queue was full and the policy is close: the connection is being closed with
    /// 1008; this many messages were dropped (those queued and the new one).
    Overflow(usize),
    /// The connection is closing or closed; nothing was queued.
    Closed,
}

#[derive(Default)]
struct State {
    items: VecDeque<Outbound>,
    bytes: usize,
    /// No more data messages are accepted (a Close was queued or the task ended).
    closed: bool,
}

/// The queue itself; owned by a [`crate::Connection`]. A fan-out pushes to thousands of
/// queues in a row, each one cold in the cache: what a push touches (the lock, the
/// state, the capacity) is laid out to fill exactly one cache line.
#[repr(C, align(64))]
pub(crate) struct SendQueue {
    state: Mutex<State>,
    capacity: usize,
    /// Wakes the writer when the queue becomes non-empty.
    ready: Notify,
    /// Wakes the writer out of a blocked write when it must give up (overflow).
    abort: Notify,
    /// Wakes a blocked writer when a Close is queued, so that it can bound how long the
    /// Close waits behind data the peer does not take. Separate from `ready`, so that
    /// pushes to a writer blocked on a full socket do not wake it for nothing.
    closing: Notify,
    policy: SlowReaderPolicy,
}

fn cost(item: &Outbound) -> usize {
    PER_MESSAGE_OVERHEAD
        + match item {
            Outbound::Frame(frame) => frame.len(),
            Outbound::Message(message) => message.len(),
            Outbound::Close(_, reason, _) => reason.len(),
        }
}

impl SendQueue {
    pub(crate) fn new(capacity: usize, policy: SlowReaderPolicy) -> Self {
        Self { state: Mutex::new(State::default()), ready: Notify::new(), abort: Notify::new(), closing: Notify::new(), capacity, policy }
    }

    /// Queues an encoded frame, applying the slow-reader policy when the queue is full.
    pub(crate) fn push_frame(&self, frame: Bytes) -> Pushed {
        self.push(Outbound::Frame(frame))
    }

    /// Queues a message, applying the slow-reader policy when the queue is full.
    pub(crate) fn push_message(&self, message: Message) -> Pushed {
        self.push(Outbound::Message(message))
    }

    fn push(&self, item: Outbound) -> Pushed {
        let size = cost(&item);
        let mut state = self.state.lock();
        if state.closed {
            return Pushed::Closed;
        }
        let mut dropped = 0;
        while !state.items.is_empty() && state.bytes + size > self.capacity {
            match self.policy {
                SlowReaderPolicy::Close => {
                    let dropped = state.items.len() + 1;
                    state.closed = true;
                    state.items.clear();
                    state.bytes = 0;
                    state.items.push_back(Outbound::Close(1008, "send queue full: the client reads too slowly".into(), Cause::SlowReader));
                    drop(state);
                    self.ready.notify_one();
                    self.abort.notify_one();
                    return Pushed::Overflow(dropped);
                }
                SlowReaderPolicy::DropOldest => {
                    // An open queue holds only data: a Close closes it.
                    if let Some(old) = state.items.pop_front() {
                        state.bytes -= cost(&old);
                        dropped += 1;
                    }
                }
            }
        }
        let was_empty = state.items.is_empty();
        state.bytes += size;
        state.items.push_back(item);
        drop(state);
        if was_empty {
            self.ready.notify_one();
        }
        if dropped > 0 { Pushed::DroppedOldest(dropped) } else { Pushed::Queued }
    }

    /// Queues a Close after everything already queued; later pushes are refused.
    /// Returns false if the queue was already closed.
    pub(crate) fn close(&self, code: u16, reason: String) -> bool {
        let mut state = self.state.lock();
        if state.closed {
            return false;
        }
        state.closed = true;
        state.items.push_back(Outbound::Close(code, reason, Cause::ClosedHere));
        drop(state);
        self.ready.notify_one();
        self.closing.notify_one();
        true
    }

    /// Refuses every later push (the connection is gone) and drops what is queued.
    pub(crate) fn shut(&self) {
        let mut state = self.state.lock();
        state.closed = true;
        state.items.clear();
        state.bytes = 0;
    }

    /// Moves everything queued into `into` (which the writer reuses between batches).
    pub(crate) fn drain_into(&self, into: &mut VecDeque<Outbound>) {
        let mut state = self.state.lock();
        state.bytes = 0;
        std::mem::swap(&mut state.items, into);
    }

    /// Resolves once something is queued (at once if something already is).
    pub(crate) async fn pending(&self) {
        while self.state.lock().items.is_empty() {
            self.ready.notified().await;
        }
    }

    /// Resolves once a Close has been queued (at once if it already was).
    pub(crate) async fn closed(&self) {
        while !self.is_closed() {
            self.closing.notified().await;
        }
    }

    /// Resolves when a blocked writer must give up because the queue overflowed.
    pub(crate) async fn aborted(&self) {
        self.abort.notified().await
    }

    /// What waits for the writer now: (messages, bytes of frames and messages).
    pub(crate) fn depth(&self) -> (usize, usize) {
        let state = self.state.lock();
        (state.items.len(), state.bytes - state.items.len() * PER_MESSAGE_OVERHEAD)
    }

    /// True once a Close was queued or the connection is gone.
    pub(crate) fn is_closed(&self) -> bool {
        self.state.lock().closed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(n: usize) -> Message {
        Message::text("x".repeat(n))
    }

    impl SendQueue {
        fn push_text(&self, n: usize) -> Pushed {
            self.push_message(text(n))
        }
    }

    #[test]
    fn close_policy_overflows_once_and_then_refuses() {
        let q = SendQueue::new(300, SlowReaderPolicy::Close);
        assert_eq!(q.push_text(100), Pushed::Queued);
        assert_eq!(q.push_text(100), Pushed::Overflow(2));
        assert_eq!(q.push_text(1), Pushed::Closed);
        let mut out = VecDeque::new();
        q.drain_into(&mut out);
        assert!(matches!(out.as_slices().0, [Outbound::Close(1008, _, Cause::SlowReader)]));
    }

    #[test]
    fn drop_oldest_keeps_the_newest() {
        let q = SendQueue::new(500, SlowReaderPolicy::DropOldest);
        for _ in 0..3 {
            q.push_text(100);
        }
        assert_eq!(q.push_message(Message::text("new")), Pushed::DroppedOldest(1));
        let mut out = VecDeque::new();
        q.drain_into(&mut out);
        assert_eq!(out.len(), 3);
        assert!(matches!(out.back(), Some(Outbound::Message(m)) if m.to_text().unwrap() == "new"));
    }

    #[test]
    fn an_oversize_message_fits_an_empty_queue() {
        let q = SendQueue::new(10, SlowReaderPolicy::Close);
        assert_eq!(q.push_text(1000), Pushed::Queued);
    }

    #[test]
    fn close_is_queued_after_data() {
        let q = SendQueue::new(1000, SlowReaderPolicy::Close);
        q.push_text(1);
        assert!(q.close(1000, String::new()));
        assert!(!q.close(1001, String::new()));
        assert_eq!(q.push_text(1), Pushed::Closed);
        let mut out = VecDeque::new();
        q.drain_into(&mut out);
        assert!(matches!(out.back(), Some(Outbound::Close(1000, _, Cause::ClosedHere))));
    }
}
