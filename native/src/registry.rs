//! Global connections: Name -> ClientId -> connection. Names and client ids compare
//! case-sensitively, groups case-insensitively (as Pode).

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::RwLock;

use crate::Connection;
use crate::backplane::Member;

/// Which connections of a Name a call is about.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Filter<'a> {
    /// Lower-cased groups; empty: any group.
    pub groups_lower: &'a [String],
    /// Client ids; empty: every client.
    pub client_ids: &'a [String],
}

type Clients = HashMap<String, Arc<Connection>>;

/// The registry of Global connections.
#[derive(Default)]
pub(crate) struct Registry {
    names: RwLock<HashMap<String, Clients>>,
}

impl Registry {
    /// Adds a connection; returns the one it replaces (same Name and ClientId).
    pub(crate) fn insert(&self, conn: Arc<Connection>) -> Option<Arc<Connection>> {
        let mut names = self.names.write();
        names.entry(conn.name().to_string()).or_default().insert(conn.client_id().to_string(), conn)
    }

    /// Removes this connection (not a newer one that replaced it). A Name without
    /// connections is forgotten.
    pub(crate) fn remove(&self, conn: &Connection) {
        let mut names = self.names.write();
        if let Some(clients) = names.get_mut(conn.name()) {
            if clients.get(conn.client_id()).is_some_and(|c| c.id() == conn.id()) {
                clients.remove(conn.client_id());
            }
            if clients.is_empty() {
                names.remove(conn.name());
            }
        }
    }

    /// Calls `f` for every connection of `name` that passes the filter, under the read
    /// lock (so `f` must be quick). Returns false if the Name is unknown.
    pub(crate) fn for_each(&self, name: &str, filter: Filter<'_>, mut f: impl FnMut(&Arc<Connection>)) -> bool {
        let names = self.names.read();
        let Some(clients) = names.get(name) else { return false };
        if filter.client_ids.is_empty() {
            clients.values().filter(|c| c.in_groups(filter.groups_lower)).for_each(&mut f);
        } else {
            filter.client_ids.iter().filter_map(|id| clients.get(id)).filter(|c| c.in_groups(filter.groups_lower)).for_each(&mut f);
        }
        true
    }

    /// The connections of `name` that pass the filter; None if the Name is unknown.
    pub(crate) fn collect(&self, name: &str, filter: Filter<'_>) -> Option<Vec<Arc<Connection>>> {
        let mut out = Vec::new();
        self.for_each(name, filter, |c| out.push(c.clone())).then_some(out)
    }

    /// The one connection with this Name and ClientId.
    pub(crate) fn get(&self, name: &str, client_id: &str) -> Option<Arc<Connection>> {
        self.names.read().get(name)?.get(client_id).cloned()
    }

    /// Every Name with at least one connection, sorted.
    pub(crate) fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.names.read().keys().cloned().collect();
        names.sort();
        names
    }

    /// Number of connections, of one Name or of all.
    pub(crate) fn count(&self, name: Option<&str>) -> usize {
        let names = self.names.read();
        match name {
            Some(n) => names.get(n).map_or(0, |c| c.len()),
            None => names.values().map(|c| c.len()).sum(),
        }
    }

    /// Every connection as a presence entry.
    pub(crate) fn members(&self) -> Vec<Member> {
        let names = self.names.read();
        names.values().flat_map(|c| c.values()).map(|c| Member { name: c.name().to_string(), group: c.group().to_string(), client_id: c.client_id().to_string() }).collect()
    }
}
