//! The one tokio runtime of the process, created on first use and shared by every
//! server and client.

use std::sync::OnceLock;

use tokio::runtime::{Builder, Handle, Runtime};

static RUNTIME: OnceLock<Runtime> = OnceLock::new();

/// Name of the runtime's worker threads.
const THREAD_NAME: &str = "psws-worker";

/// Scheduler ticks between two polls of the I/O driver (tokio's default is 61). One
/// inbound message can wake a thousand connection tasks; polling for new input less
/// often lets the worker write out what is queued before it reads more, which keeps
/// send queues short and writes large. Measured with `bench/run.sh` (1,000
/// subscribers, 128 B): 61 left W=64/W=32 bimodal at 0.6-1.2x the tuned
/// tokio-tungstenite peer; 120 gave 1.3x at W=64 and W=32 in every run and 1.6x at
/// W=1; 200 and more starve the reads at W=1.
const EVENT_INTERVAL: u32 = 120;

/// Handle of the shared multi-thread runtime (one worker per available CPU).
pub(crate) fn handle() -> &'static Handle {
    RUNTIME
        .get_or_init(|| {
            Builder::new_multi_thread()
                .enable_all()
                .thread_name(THREAD_NAME)
                .event_interval(EVENT_INTERVAL)
                .build()
                .expect("the operating system refused to start the engine's threads")
        })
        .handle()
}

/// True on one of the runtime's worker threads (where waiting for the runtime would
/// deadlock it).
pub(crate) fn on_engine_thread() -> bool {
    std::thread::current().name() == Some(THREAD_NAME)
}

/// Runs `fut` on the runtime and waits for it; callers check [`on_engine_thread`] first.
pub(crate) fn block_on<F>(fut: F) -> F::Output
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    handle().spawn(async move {
        let _ = tx.send(fut.await);
    });
    rx.recv().expect("the engine runtime dropped a task it was asked to run")
}
