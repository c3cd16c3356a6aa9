//! Presence: which Global connections a node holds, as the cluster-wide lists see them.
//!
//! Each node writes its members as one JSON value under `<prefix>:presence:<node>`
//! with an expiry of `presence_ttl`, and its id into the set `<prefix>:nodes`; it
//! rewrites both when its connections change and every third of the expiry. Readers
//! take every node of the set whose presence value still exists.

use serde::{Deserialize, Serialize};

/// One Global connection of some node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Member {
    #[serde(rename = "n")]
    pub name: String,
    #[serde(rename = "g")]
    pub group: String,
    #[serde(rename = "c")]
    pub client_id: String,
}

impl Member {
    /// The registry's rule: same Name (case-sensitive), one of the lower-cased groups
    /// (any when empty), one of the client ids (any when empty).
    pub(crate) fn matches(&self, name: &str, groups_lower: &[String], client_ids: &[String]) -> bool {
        self.name == name
            && (groups_lower.is_empty() || (!self.group.is_empty() && groups_lower.contains(&self.group.to_lowercase())))
            && (client_ids.is_empty() || client_ids.contains(&self.client_id))
    }
}

pub(super) fn encode(members: &[Member]) -> String {
    serde_json::to_string(members).expect("strings always serialise")
}

/// A node's members; a malformed value counts as none.
pub(super) fn decode(value: &str) -> Vec<Member> {
    serde_json::from_str(value).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(name: &str, group: &str, id: &str) -> Member {
        Member { name: name.into(), group: group.into(), client_id: id.into() }
    }

    #[test]
    fn matching_follows_the_registry() {
        let m = member("Chat", "Admins", "a");
        assert!(m.matches("Chat", &[], &[]));
        assert!(!m.matches("chat", &[], &[]), "Names are case-sensitive");
        assert!(m.matches("Chat", &["admins".into()], &[]));
        assert!(!m.matches("Chat", &["users".into()], &[]));
        assert!(m.matches("Chat", &[], &["a".into()]));
        assert!(!m.matches("Chat", &[], &["A".into()]));
        assert!(!member("Chat", "", "b").matches("Chat", &["".into()], &[]), "no group matches no group filter");
    }

    #[test]
    fn values_round_trip_and_garbage_is_empty() {
        let members = vec![member("Chat", "", "x"), member("News", "G", "y")];
        assert_eq!(decode(&encode(&members)), members);
        assert!(decode("nope").is_empty());
    }
}
