//! Property tests (proptest) for the three parsers that see what clients send: the signal
//! envelope, signed client ids and route paths. Random input never panics, what is built is
//! read back unchanged, and any change to a signed id is caught.

use proptest::prelude::*;

use crate::envelope::Envelope;
use crate::routes::{RouteTable, SIGNAL_METHOD};
use crate::signing::{Signer, SigningContext};

/// A path segment of the characters Pode paths use.
fn segment() -> impl Strategy<Value = String> {
    "[A-Za-z0-9_.~-]{1,12}"
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_text_parses_or_is_explained(text in any::<String>()) {
        if let Err(why) = Envelope::parse(&text) {
            prop_assert!(!why.is_empty());
        }
    }

    #[test]
    fn any_json_value_parses_or_is_explained(value in json_value(3)) {
        let text = value.to_string();
        match Envelope::parse(&text) {
            Ok(e) => { let _ = e.payload(); }
            Err(why) => prop_assert!(!why.is_empty()),
        }
    }

    #[test]
    fn a_built_envelope_reads_back(message in any::<String>(), path in "/[a-z0-9/]{0,20}", ids in prop::collection::vec("[a-z0-9-]{1,10}", 0..4), group in "[a-z]{1,8}", direct in any::<bool>()) {
        let text = serde_json::json!({ "message": message, "path": path, "clientId": ids, "group": group, "direct": direct }).to_string();
        let e = Envelope::parse(&text).unwrap();
        prop_assert_eq!(&e.path, &path);
        prop_assert_eq!(&e.client_ids, &ids);
        prop_assert_eq!(e.groups, vec![group]);
        prop_assert_eq!(e.direct, direct);
        prop_assert_eq!(serde_json::from_str::<String>(&e.message).unwrap(), message);
    }

    #[test]
    fn signing_round_trips(secret in any::<String>(), id in any::<String>(), strict in any::<bool>(), ua in any::<String>(), ip in "[0-9.:a-f]{0,39}") {
        let signer = Signer::new(secret, strict);
        let ctx = SigningContext { user_agent: &ua, remote_ip: &ip };
        let signed = signer.sign(&id, &ctx);
        prop_assert_eq!(signer.verify(&signed, &ctx), Some(id.as_str()));
    }

    #[test]
    fn any_change_to_a_signed_id_is_caught(secret in "[ -~]{1,20}", id in "[ -~]{0,40}", at in any::<prop::sample::Index>(), with in any::<char>()) {
        let signer = Signer::new(secret, false);
        let ctx = SigningContext::default();
        let signed = signer.sign(&id, &ctx);
        let mut chars: Vec<char> = signed.chars().collect();
        let i = at.index(chars.len());
        prop_assume!(chars[i] != with);
        chars[i] = with;
        let tampered: String = chars.into_iter().collect();
        prop_assert_eq!(signer.verify(&tampered, &ctx), None, "{} verified", tampered);
    }

    #[test]
    fn another_secret_or_client_never_verifies(id in "[a-z0-9-]{1,36}", ua in "[ -~]{0,20}") {
        let signed = Signer::new("one".into(), true).sign(&id, &SigningContext { user_agent: &ua, remote_ip: "127.0.0.1" });
        prop_assert_eq!(Signer::new("two".into(), true).verify(&signed, &SigningContext { user_agent: &ua, remote_ip: "127.0.0.1" }), None);
        prop_assert_eq!(Signer::new("one".into(), true).verify(&signed, &SigningContext { user_agent: &ua, remote_ip: "10.0.0.1" }), None);
    }

    #[test]
    fn any_request_path_is_matched_without_panicking(route in "[/:*A-Za-z0-9]{0,24}", path in any::<String>()) {
        let t = RouteTable::default();
        if t.add(SIGNAL_METHOD, &route, &[]).is_ok() {
            let _ = t.find(SIGNAL_METHOD, &path, "e");
        }
    }

    #[test]
    fn a_literal_route_matches_its_path_in_any_case(segments in prop::collection::vec(segment(), 1..5)) {
        let path = format!("/{}", segments.join("/"));
        let t = RouteTable::default();
        let id = t.add(SIGNAL_METHOD, &path, &[]).unwrap();
        prop_assert_eq!(t.find(SIGNAL_METHOD, &path.to_uppercase(), "e").map(|m| m.id), Some(id));
        let other = format!("{path}/x");
        prop_assert_eq!(t.find(SIGNAL_METHOD, &other, "e"), None);
    }

    #[test]
    fn parameters_capture_their_segments(values in prop::collection::vec(segment(), 1..4)) {
        let route: Vec<String> = (0..values.len()).map(|i| format!(":p{i}")).collect();
        let t = RouteTable::default();
        t.add("GET", &format!("/r/{}", route.join("/")), &[]).unwrap();
        let m = t.find("GET", &format!("/r/{}", values.join("/")), "e").unwrap();
        let captured: Vec<String> = m.params.into_iter().map(|(_, v)| v).collect();
        prop_assert_eq!(captured, values);
    }
}

/// Any JSON value, nested up to `depth`, with the envelope's keys in any case among the keys.
fn json_value(depth: u32) -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::Bool),
        any::<f64>().prop_filter_map("finite", |f| serde_json::Number::from_f64(f).map(serde_json::Value::Number)),
        any::<i64>().prop_map(|i| serde_json::Value::Number(i.into())),
        any::<String>().prop_map(serde_json::Value::String),
    ];
    let key = prop_oneof!["message", "MESSAGE", "path", "clientId", "CLIENTID", "group", "direct", "[a-z]{1,6}"];
    leaf.prop_recursive(depth, 32, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::Array),
            prop::collection::vec((key.clone(), inner), 0..6).prop_map(|kv| serde_json::Value::Object(kv.into_iter().collect())),
        ]
    })
}
