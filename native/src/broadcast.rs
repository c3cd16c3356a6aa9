//! Broadcast levels (Pode's `Set-PodeSignalBroadcastLevel`): how specific a send to a
//! Name must be.

use std::collections::HashMap;
use std::fmt;

use parking_lot::RwLock;

/// The least a send must name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BroadcastLevel {
    /// A Name is enough (the default).
    Name,
    /// A Group or a ClientId is required.
    Group,
    /// A ClientId is required.
    ClientId,
}

impl BroadcastLevel {
    /// True if a send with these filters is allowed at this level.
    pub fn allows(self, groups: &[String], client_ids: &[String]) -> bool {
        match self {
            BroadcastLevel::Name => true,
            BroadcastLevel::Group => !groups.is_empty() || !client_ids.is_empty(),
            BroadcastLevel::ClientId => !client_ids.is_empty(),
        }
    }
}

impl fmt::Display for BroadcastLevel {
    /// Pode stores levels lower-cased: `name`, `group`, `clientid`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BroadcastLevel::Name => "name",
            BroadcastLevel::Group => "group",
            BroadcastLevel::ClientId => "clientid",
        })
    }
}

/// Levels per Name (case-insensitive), with `*` for every Name.
#[derive(Default)]
pub(crate) struct BroadcastLevels {
    levels: RwLock<HashMap<String, BroadcastLevel>>,
}

/// The key that applies to every Name.
pub(crate) const ANY_NAME: &str = "*";

impl BroadcastLevels {
    pub(crate) fn set(&self, name: &str, level: BroadcastLevel) {
        self.levels.write().insert(name.to_lowercase(), level);
    }

    /// The level for `name`, else the one for `*`, else [`BroadcastLevel::Name`].
    pub(crate) fn get(&self, name: &str) -> BroadcastLevel {
        let levels = self.levels.read();
        if levels.is_empty() {
            return BroadcastLevel::Name;
        }
        levels.get(&name.to_lowercase()).or_else(|| levels.get(ANY_NAME)).copied().unwrap_or(BroadcastLevel::Name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_then_star_then_default() {
        let levels = BroadcastLevels::default();
        assert_eq!(levels.get("x"), BroadcastLevel::Name);
        levels.set("*", BroadcastLevel::Group);
        levels.set("Times", BroadcastLevel::ClientId);
        assert_eq!(levels.get("TIMES"), BroadcastLevel::ClientId);
        assert_eq!(levels.get("other"), BroadcastLevel::Group);
    }

    #[test]
    fn allows_follows_pode() {
        let some = vec!["a".to_string()];
        assert!(BroadcastLevel::Name.allows(&[], &[]));
        assert!(!BroadcastLevel::Group.allows(&[], &[]));
        assert!(BroadcastLevel::Group.allows(&[], &some));
        assert!(BroadcastLevel::Group.allows(&some, &[]));
        assert!(!BroadcastLevel::ClientId.allows(&some, &[]));
        assert!(BroadcastLevel::ClientId.allows(&[], &some));
    }
}
