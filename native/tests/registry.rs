//! The registry of Global connections (Name -> ClientId -> connection, one Group each):
//! listings and exists checks with Pode's case rules, unknown Names, replacement of a
//! duplicate Name + ClientId, and closing by Name, Groups and ClientIds with a Close frame.

mod common;

use common::*;
use psws::{CloseInitiator, Error, ServerConfig};

/// Chat: a (Admins), b (admins), c (Users), d (no group); News: e.
async fn populated() -> (TestServer, Vec<Ws>) {
    let mut t = TestServer::with_upgrade_route(ServerConfig::default());
    let mut clients = Vec::new();
    for options in [
        member("Chat", "a", Some("Admins")),
        member("Chat", "b", Some("admins")),
        member("Chat", "c", Some("Users")),
        member("Chat", "d", None),
        member("News", "e", None),
    ] {
        clients.push(t.join(options).await.0);
    }
    (t, clients)
}

#[tokio::test]
async fn names_groups_and_client_ids_are_listed() {
    let (t, _clients) = populated().await;
    let s = &t.server;
    assert_eq!(s.signal_names(), ["Chat", "News"]);
    // Distinct without regard to case, sorted the same way, one spelling chosen the same
    // way every time (the first in ordinal order).
    assert_eq!(s.signal_groups("Chat").unwrap(), ["Admins", "Users"], "distinct, compared without case");
    assert!(s.signal_groups("News").unwrap().is_empty());
    assert_eq!(s.signal_client_ids("Chat", &[]).unwrap(), ["a", "b", "c", "d"]);
    assert_eq!(s.signal_client_ids("Chat", &strings(&["ADMINS"])).unwrap(), ["a", "b"]);
    assert_eq!(s.signal_client_ids("Chat", &strings(&["users", "nobody"])).unwrap(), ["c"]);
    assert_eq!((s.signal_count(Some("Chat")), s.signal_count(Some("News")), s.signal_count(None)), (4, 1, 5));
}

#[tokio::test]
async fn exists_checks_follow_pode_case_rules() {
    let (t, _clients) = populated().await;
    let s = &t.server;
    assert!(s.signal_exists("Chat", &[], &[]));
    assert!(s.signal_exists("Chat", &strings(&["USERS"]), &[]), "groups ignore case");
    assert!(s.signal_exists("Chat", &[], &strings(&["x", "d"])));
    assert!(s.signal_exists("Chat", &strings(&["admins"]), &strings(&["b"])));
    assert!(!s.signal_exists("Chat", &strings(&["users"]), &strings(&["a"])), "a is not a User");
    assert!(!s.signal_exists("Chat", &strings(&["admins"]), &strings(&["d"])), "d has no group");
    assert!(!s.signal_exists("Chat", &[], &strings(&["A"])), "client ids are case-sensitive");
    assert!(!s.signal_exists("chat", &[], &[]), "Names are case-sensitive");
    assert!(s.find_connection("Chat", "c").is_some_and(|c| c.group() == "Users"));
    assert!(s.find_connection("Chat", "e").is_none());
}

#[tokio::test]
async fn an_unknown_name_is_reported_or_ignored() {
    let (t, _clients) = populated().await;
    let s = &t.server;
    let err = s.signal_groups("Nope").unwrap_err();
    assert!(matches!(&err, Error::UnknownName(n) if n == "Nope"));
    assert_eq!(err.to_string(), "no Signal connection found with the name 'Nope'");
    assert!(matches!(s.signal_client_ids("Nope", &[]), Err(Error::UnknownName(_))));
    assert!(!s.signal_exists("Nope", &[], &[]));
    assert_eq!(s.signal_count(Some("Nope")), 0);
    assert_eq!(s.close_signals("Nope", &[], &[]).unwrap(), 0);
    assert_eq!(s.send(&strings(&["Nope"]), &[], &[], "x").unwrap(), 0);
}

#[tokio::test]
async fn a_duplicate_name_and_client_id_replaces_and_closes_the_old_connection() {
    let mut t = TestServer::with_upgrade_route(ServerConfig::default());
    let (mut old, old_conn) = t.join(member("Chat", "x", None)).await;
    let (mut other_name, _) = t.join(member("News", "x", None)).await;
    let (mut new, new_conn) = t.join(member("Chat", "x", Some("G"))).await;

    assert_eq!(recv_close_code(&mut old).await, 1000);
    let gone = t.events.disconnect().await;
    assert_eq!((gone.connection.id(), gone.code, gone.initiator), (old_conn.id(), 1000, CloseInitiator::Server));
    // The old connection's departure does not take the new one out of the registry.
    assert!(t.server.find_connection("Chat", "x").is_some_and(|c| c.id() == new_conn.id()));
    assert_eq!(t.server.signal_count(Some("Chat")), 1);
    assert_eq!(t.server.signal_count(Some("News")), 1, "the same id under another Name is another connection");

    assert_eq!(t.server.send(&[], &[], &strings(&["x"]), "hi").unwrap(), 2);
    assert_eq!(recv_text(&mut new).await, "hi");
    assert_eq!(recv_text(&mut other_name).await, "hi");
}

#[tokio::test]
async fn connections_close_by_name_groups_and_client_ids() {
    let (mut t, mut clients) = populated().await;
    // Each round: the close call, its count, the clients (by index) that get a Close
    // frame (answering it ends the close handshake at once), their Disconnect events.
    type Round<'a> = (&'a [&'a str], &'a [&'a str], usize, &'a [usize]);
    let rounds: [Round; 4] = [(&["ADMINS"], &[], 2, &[0, 1]), (&[], &["c", "zz"], 1, &[2]), (&["users"], &[], 0, &[]), (&[], &[], 1, &[3])];
    for (groups, client_ids, count, closed) in rounds {
        assert_eq!(t.server.close_signals("Chat", &strings(groups), &strings(client_ids)).unwrap(), count, "{groups:?} {client_ids:?}");
        for &i in closed {
            assert_eq!(recv_close_code(&mut clients[i]).await, 1000);
        }
        let mut gone: Vec<String> = t.events.disconnects(closed.len()).await.iter().map(|d| d.connection.client_id().to_string()).collect();
        gone.sort();
        let want: Vec<String> = closed.iter().map(|&i| ["a", "b", "c", "d"][i].to_string()).collect();
        assert_eq!(gone, want);
    }
    // A Name leaves the list with its last connection; the others stay.
    assert_eq!(t.server.signal_names(), ["News"]);
    assert!(matches!(t.server.signal_groups("Chat"), Err(Error::UnknownName(_))));
    assert_eq!(t.server.send(&[], &[], &[], "still here").unwrap(), 1);
    assert_eq!(recv_text(&mut clients[4]).await, "still here");
}
