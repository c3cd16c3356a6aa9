//! A node process killed with SIGKILL (this test binary, run again as a node): the live
//! nodes' clients keep receiving what the live nodes send, and the dead node's clients
//! leave the lists once its presence expires.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::redis::{RedisServer, eventually, linked, node};
use common::*;
use psws::BackplaneConfig;

/// Set for the node process: the Redis URL it joins.
const NODE_REDIS: &str = "PSWS_TEST_NODE_REDIS";

/// Short presence expiry, so the dead node's clients leave the lists quickly.
const TTL: Duration = Duration::from_millis(1500);

/// The node process: a node with one client (`Chat`/`victim`), then "READY" on stdout
/// (after libtest's "test node_process ... ", on the same line),
/// then it waits to be killed. Without the variable (a normal test run) it does nothing.
#[tokio::test]
async fn node_process() {
    let Ok(url) = std::env::var(NODE_REDIS) else { return };
    let mut n = node(BackplaneConfig::new(url).presence_ttl(TTL));
    linked(&[&n]).await;
    let _victim = n.join(member("Chat", "victim", None)).await.0;
    println!("READY");
    tokio::time::sleep(Duration::from_secs(600)).await;
}

/// The node process, killed by its pid when dropped.
struct NodeProcess(Child);

impl NodeProcess {
    fn start(redis_url: &str) -> Self {
        let child = Command::new(std::env::current_exe().expect("the test binary"))
            .args(["node_process", "--exact", "--nocapture", "--test-threads=1"])
            .env(NODE_REDIS, redis_url)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the test binary runs again");
        let mut process = Self(child);
        let stdout = process.0.stdout.take().expect("piped stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let ready = BufReader::new(stdout).lines().map_while(Result::ok).any(|line| line.trim_end().ends_with("READY"));
            let _ = tx.send(ready);
        });
        assert!(rx.recv_timeout(LIMIT).unwrap_or(false), "the node process did not get ready");
        process
    }

    fn kill(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for NodeProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// `n` broadcasts of A (`a0`...) and of B (`b0`...), interleaved, each node's in order.
async fn expect_both_in_order(ws: &mut Ws, n: usize) {
    let (mut from_a, mut from_b) = (0, 0);
    for _ in 0..2 * n {
        let text = recv_text(ws).await;
        if text == format!("a{from_a}") {
            from_a += 1;
        } else {
            assert_eq!(text, format!("b{from_b}"), "each node's broadcasts arrive in order");
            from_b += 1;
        }
    }
}

#[tokio::test]
async fn a_killed_node_leaves_the_lists_and_the_live_nodes_carry_on() {
    let redis = RedisServer::start();
    let config = || BackplaneConfig::new(redis.url()).presence_ttl(TTL);
    let mut a = node(config());
    let mut b = node(config());
    linked(&[&a, &b]).await;
    let mut a1 = a.join(member("Chat", "a1", None)).await.0;
    let mut b1 = b.join(member("Chat", "b1", None)).await.0;

    let mut doomed = NodeProcess::start(&redis.url());
    eventually("A to list the other process's client", || a.server.signal_exists("Chat", &[], &strings(&["victim"]))).await;
    doomed.kill();

    for i in 0..20 {
        a.server.send(&strings(&["Chat"]), &[], &[], format!("a{i}")).unwrap();
        b.server.send(&strings(&["Chat"]), &[], &[], format!("b{i}")).unwrap();
    }
    for ws in [&mut a1, &mut b1] {
        expect_both_in_order(ws, 20).await;
    }
    eventually("the killed node's client to leave A's lists", || !a.server.signal_exists("Chat", &[], &strings(&["victim"]))).await;
    assert_eq!(a.server.signal_client_ids("Chat", &[]).unwrap(), ["a1", "b1"]);
}
