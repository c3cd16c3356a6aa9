//! The loop that moves frames between one WebSocket and the engine, shared by server
//! connections and external client connections: batched writes from a send queue,
//! inbound messages to a handler, keep-alive pings, and both kinds of close.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
use tokio_tungstenite::tungstenite::{self, Message, Utf8Bytes};

use crate::queue::{Outbound, SendQueue};

/// The timing and size settings a pump needs.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timings {
    /// Ping after this long without an inbound frame.
    pub ping_interval: Duration,
    /// Give up this long after the ping if nothing arrived.
    pub pong_timeout: Duration,
    /// How long a close waits for the peer's Close reply.
    pub close_timeout: Duration,
    /// The inbound message limit (for the 1009 reason text).
    pub max_message_size: usize,
}

/// Where inbound data goes.
pub(crate) trait Inbound {
    /// A text message arrived.
    fn text(&self, text: Utf8Bytes);
    /// A binary message arrived.
    fn binary(&self, data: Bytes);
    /// Any frame arrived (for the last-activity time).
    fn activity(&self) {}
    /// Something worth a warning in the log.
    fn warn(&self, message: String);
}

/// Which end of the socket ended it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    /// This process (a close call, a timeout, a protocol violation by the peer).
    Local,
    /// The other end (its Close frame, or it went away).
    Peer,
}

/// Why a connection ended: the reason label of the closed-connections counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cause {
    /// The peer sent a Close frame.
    PeerClosed,
    /// The peer went away without a Close frame (reset, end of stream, failed write).
    PeerGone,
    /// The peer answered no keep-alive ping, or took nothing while a write was blocked.
    PongTimeout,
    /// Its send queue overflowed under the close policy (1008).
    SlowReader,
    /// It sent a message over the size limit (1009).
    TooBig,
    /// It broke the protocol (1002, 1007).
    ProtocolError,
    /// This process closed it: a close call, a replacement, the end of a Local scope,
    /// shutdown.
    ClosedHere,
}

impl Cause {
    /// Every cause, in the order the counters keep them.
    pub(crate) const ALL: [Cause; 7] =
        [Cause::PeerClosed, Cause::PeerGone, Cause::PongTimeout, Cause::SlowReader, Cause::TooBig, Cause::ProtocolError, Cause::ClosedHere];

    /// Which end ended the connection.
    pub(crate) fn side(self) -> Side {
        match self {
            Cause::PeerClosed | Cause::PeerGone => Side::Peer,
            _ => Side::Local,
        }
    }

    /// The Prometheus label value.
    pub(crate) fn label(self) -> &'static str {
        match self {
            Cause::PeerClosed => "peer_closed",
            Cause::PeerGone => "peer_gone",
            Cause::PongTimeout => "pong_timeout",
            Cause::SlowReader => "slow_reader",
            Cause::TooBig => "too_big",
            Cause::ProtocolError => "protocol_error",
            Cause::ClosedHere => "server",
        }
    }
}

/// How a connection ended.
#[derive(Debug, Clone)]
pub(crate) struct Ending {
    pub code: u16,
    pub reason: String,
    pub cause: Cause,
}

impl Ending {
    pub(crate) fn new(code: u16, reason: impl Into<String>, cause: Cause) -> Self {
        Self { code, reason: reason.into(), cause }
    }
}

/// Outcome of writing one batch.
enum Written {
    /// Everything was sent.
    Sent,
    /// A Close was reached: start the close handshake with this code and reason.
    Close(u16, String, Cause),
}

/// Runs the socket until it closes and says how it ended.
pub(crate) async fn run<S, I>(ws: &mut WebSocketStream<S>, queue: &SendQueue, inbound: &I, timings: Timings) -> Ending
where
    S: AsyncRead + AsyncWrite + Unpin,
    I: Inbound,
{
    Pump { ws, queue, inbound, timings }.run().await
}

struct Pump<'a, S, I> {
    ws: &'a mut WebSocketStream<S>,
    queue: &'a SendQueue,
    inbound: &'a I,
    timings: Timings,
}

impl<S, I> Pump<'_, S, I>
where
    S: AsyncRead + AsyncWrite + Unpin,
    I: Inbound,
{
    /// What only a busy or closing connection needs (a batch being written, a ping, a
    /// close handshake) is boxed, so that an idle connection's task stays small.
    async fn run(mut self) -> Ending {
        let t = self.timings;
        let mut batch = VecDeque::new();
        // Encoded frames of one batch, on their way to the socket.
        let mut out = Vec::new();
        let mut last_inbound = Instant::now();
        let mut pinged = false;
        // When the ping that was sent must have been answered by.
        let mut pong_due = Instant::now();
        let keepalive = tokio::time::sleep(t.ping_interval);
        tokio::pin!(keepalive);
        loop {
            self.queue.drain_into(&mut batch);
            if !batch.is_empty() {
                let written = {
                    let mut write = Box::pin(write_batch(self.ws, &mut batch, &mut out));
                    let mut closing = Box::pin(close_deadline(self.queue, t.close_timeout));
                    loop {
                        tokio::select! {
                            biased;
                            written = &mut write => break written,
                            () = self.queue.aborted() => {
                                return Ending::new(1008, "send queue full: the peer reads too slowly", Cause::SlowReader);
                            }
                            // A close was asked for, but the Close frame waits behind data
                            // the peer does not take: drop the connection instead.
                            () = &mut closing => {
                                return Ending::new(1006, "closed without a Close frame: the peer stopped reading", Cause::ClosedHere);
                            }
                            // The write is blocked, so no ping can reach the peer: give it
                            // the time an unanswered ping gets to send anything at all.
                            () = &mut keepalive => {
                                let due = if pinged { pong_due } else { last_inbound + t.ping_interval + t.pong_timeout };
                                if Instant::now() >= due {
                                    return Ending::new(1006, "the peer stopped reading and sent nothing", Cause::PongTimeout);
                                }
                                keepalive.as_mut().reset(due.into());
                            }
                        }
                    }
                };
                batch.clear();
                match written {
                    Ok(Written::Sent) => continue,
                    Ok(Written::Close(code, reason, cause)) => return Box::pin(self.close(code, reason, cause)).await,
                    Err(e) => return Ending::new(1006, format!("write failed: {e}"), Cause::PeerGone),
                }
            }
            tokio::select! {
                () = self.queue.pending() => {}
                inbound = self.ws.next() => {
                    last_inbound = Instant::now();
                    if std::mem::take(&mut pinged) {
                        // The ping was answered: the timer still points at the pong
                        // deadline, but the next ping is due one interval from now.
                        keepalive.as_mut().reset((last_inbound + t.ping_interval).into());
                    }
                    self.inbound.activity();
                    match inbound {
                        Some(Ok(Message::Text(text))) => self.inbound.text(text),
                        Some(Ok(Message::Binary(data))) => self.inbound.binary(data),
                        Some(Ok(Message::Close(frame))) => return Box::pin(self.closed_by_peer(frame)).await,
                        Some(Ok(_)) => {}
                        Some(Err(e)) => return Box::pin(self.failed(e)).await,
                        None => return Ending::new(1006, "the connection was dropped without a Close frame", Cause::PeerGone),
                    }
                }
                () = &mut keepalive => {
                    if pinged && Instant::now() >= pong_due {
                        return Ending::new(1006, "no answer to the keep-alive ping", Cause::PongTimeout);
                    }
                    let next = if pinged {
                        pong_due
                    } else if last_inbound.elapsed() < t.ping_interval {
                        last_inbound + t.ping_interval
                    } else {
                        // The answer is due a pong timeout after the ping really went out
                        // (a long write may have delayed it); a peer that does not even
                        // take the ping by then is as dead as one that does not answer.
                        pinged = true;
                        pong_due = Instant::now() + t.pong_timeout;
                        match Box::pin(tokio::time::timeout_at(pong_due.into(), self.ws.send(Message::Ping(Bytes::new())))).await {
                            Ok(Ok(())) => {}
                            Ok(Err(_)) => return Ending::new(1006, "the keep-alive ping could not be sent", Cause::PeerGone),
                            Err(_) => return Ending::new(1006, "no answer to the keep-alive ping", Cause::PongTimeout),
                        }
                        pong_due
                    };
                    keepalive.as_mut().reset(next.into());
                }
            }
        }
    }

    /// Our close: send the Close frame, wait (bounded) for the reply.
    async fn close(&mut self, code: u16, reason: String, cause: Cause) -> Ending {
        let frame = CloseFrame { code: code.into(), reason: reason.clone().into() };
        let limit = self.timings.close_timeout;
        if let Ok(Ok(())) = tokio::time::timeout(limit, self.ws.close(Some(frame))).await {
            self.drain_until_closed().await;
        }
        Ending::new(code, reason, cause)
    }

    /// The peer sent Close: tungstenite has queued the echo; flush it and finish.
    async fn closed_by_peer(&mut self, frame: Option<CloseFrame>) -> Ending {
        self.drain_until_closed().await;
        match frame {
            Some(f) => Ending::new(f.code.into(), f.reason.as_str(), Cause::PeerClosed),
            None => Ending::new(1005, "", Cause::PeerClosed),
        }
    }

    /// A read failed: answer protocol violations with the matching close code.
    async fn failed(&mut self, error: tungstenite::Error) -> Ending {
        use tungstenite::Error as E;
        use tungstenite::error::ProtocolError;
        let code = match &error {
            // EOF without a Close frame: the peer went away, it broke no protocol rule.
            E::Protocol(ProtocolError::ResetWithoutClosingHandshake) => {
                return Ending::new(1006, "the connection was dropped without a Close frame", Cause::PeerGone);
            }
            E::Capacity(_) => 1009,
            E::Utf8(_) => 1007,
            E::Protocol(_) | E::AttackAttempt => 1002,
            _ => return Ending::new(1006, format!("read failed: {error}"), Cause::PeerGone),
        };
        let reason = match code {
            1009 => format!("message too big (the maximum is {} bytes)", self.timings.max_message_size),
            _ => error.to_string(),
        };
        self.inbound.warn(format!("{error}; closing with {code}"));
        let cause = if code == 1009 { Cause::TooBig } else { Cause::ProtocolError };
        self.close(code, truncate_reason(reason), cause).await
    }

    async fn drain_until_closed(&mut self) {
        let _ = tokio::time::timeout(self.timings.close_timeout, async { while let Some(Ok(_)) = self.ws.next().await {} }).await;
    }
}

/// Resolves `limit` after a close was queued (at once if it already was): how long a
/// blocked write may still hold up the Close frame behind it.
async fn close_deadline(queue: &SendQueue, limit: Duration) {
    queue.closed().await;
    tokio::time::sleep(limit).await;
}

/// Close reasons must fit a control frame (123 bytes of UTF-8).
fn truncate_reason(mut reason: String) -> String {
    if reason.len() > 123 {
        let mut end = 123;
        while !reason.is_char_boundary(end) {
            end -= 1;
        }
        reason.truncate(end);
    }
    reason
}

/// An unmasked server frame for `message` (text or binary), encoded once by tungstenite
/// so that every recipient writes the same bytes.
pub(crate) fn encode(message: &Message) -> Bytes {
    let opcode = if matches!(message, Message::Binary(_)) { Data::Binary } else { Data::Text };
    let frame = Frame::message(message.clone().into_data(), OpCode::Data(opcode), true);
    let mut encoded = Vec::with_capacity(frame.len());
    // Formatting into a Vec cannot fail.
    let _ = frame.format(&mut encoded);
    Bytes::from(encoded)
}

/// Writes a batch: runs of encoded frames are copied into buffers of up to
/// [`WRITE_CHUNK`] bytes and written with one syscall each (no encoding or framing per
/// recipient); messages go through tungstenite, which frames (and for clients masks)
/// them; then one flush.
async fn write_batch<S>(ws: &mut WebSocketStream<S>, batch: &mut VecDeque<Outbound>, frames: &mut Vec<Bytes>) -> Result<Written, tungstenite::Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut written = Written::Sent;
    while let Some(item) = batch.pop_front() {
        match item {
            Outbound::Frame(frame) => frames.push(frame),
            Outbound::Message(message) => {
                write_frames(ws, frames).await?;
                ws.feed(message).await?
            }
            Outbound::Close(code, reason, cause) => {
                written = Written::Close(code, reason, cause);
                break;
            }
        }
    }
    write_frames(ws, frames).await?;
    ws.flush().await?;
    Ok(written)
}

/// Bytes gathered for one write. Copying small frames into one buffer costs less than
/// handing the kernel one iovec per frame.
const WRITE_CHUNK: usize = 256 << 10;

/// Writes encoded frames after whatever tungstenite holds (a pong, a message), so that
/// frames never interleave. The buffer is allocated per write, not kept per connection:
/// the allocator hands the same warm memory to whichever connection writes next, and an
/// idle connection holds none.
async fn write_frames<S>(ws: &mut WebSocketStream<S>, frames: &mut Vec<Bytes>) -> Result<(), tungstenite::Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    if frames.is_empty() {
        return Ok(());
    }
    ws.flush().await?;
    let stream = ws.get_mut();
    let total: usize = frames.iter().map(|f| f.len()).sum();
    let mut buffer = Vec::with_capacity(total.min(WRITE_CHUNK));
    for frame in frames.drain(..) {
        if frame.len() >= WRITE_CHUNK {
            stream.write_all(&buffer).await?;
            buffer.clear();
            stream.write_all(&frame).await?;
            continue;
        }
        if buffer.len() + frame.len() > WRITE_CHUNK {
            stream.write_all(&buffer).await?;
            buffer.clear();
        }
        buffer.extend_from_slice(&frame);
    }
    stream.write_all(&buffer).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_encoded_as_rfc_6455_server_frames() {
        assert_eq!(&encode(&Message::text("hi"))[..], [0x81, 0x02, b'h', b'i']);
        assert_eq!(&encode(&Message::binary(vec![7u8; 3]))[..], [0x82, 0x03, 7, 7, 7]);
        let long = encode(&Message::text("x".repeat(300)));
        assert_eq!(&long[..4], [0x81, 126, 0x01, 0x2c]);
        assert_eq!(long.len(), 4 + 300);
    }

    #[test]
    fn reasons_are_cut_on_a_char_boundary() {
        let r = truncate_reason("é".repeat(100));
        assert!(r.len() <= 123 && r.chars().all(|c| c == 'é'));
    }
}
