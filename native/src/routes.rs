//! Route tables for HTTP routes and signal routes, with Pode's path syntax: `:name`
//! captures one segment, `*` matches anything, matching is case-insensitive, an exact
//! path wins over a pattern (Pode's `Find-PodeRoute`). Signal routes use the method
//! `SIGNAL`, as Pode keys them.

use parking_lot::RwLock;
use regex::Regex;

use crate::{Error, Result};

/// The method under which signal routes are kept.
pub(crate) const SIGNAL_METHOD: &str = "SIGNAL";

/// A route that matched a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteMatch {
    /// Id returned when the route was added.
    pub id: u64,
    /// The route's path as registered (normalised with a leading `/`).
    pub path: String,
    /// Values of the `:name` placeholders, in path order.
    pub params: Vec<(String, String)>,
}

struct Route {
    id: u64,
    /// Upper-case method, `*` for any.
    method: String,
    path: String,
    pattern: Regex,
    params: Vec<String>,
    /// Endpoint names the route is limited to (empty: every endpoint).
    endpoints: Vec<String>,
}

impl Route {
    fn serves(&self, method: &str, endpoint: &str) -> bool {
        (self.method == "*" || self.method == method) && (self.endpoints.is_empty() || self.endpoints.iter().any(|e| e.eq_ignore_ascii_case(endpoint)))
    }
}

/// Adds the leading slash Pode adds.
pub(crate) fn normalise(path: &str) -> String {
    if path.starts_with('/') { path.to_string() } else { format!("/{path}") }
}

/// Compiles a Pode path to `(?i)^...$` with one group per `:name`.
fn compile(path: &str) -> Result<(Regex, Vec<String>)> {
    let mut pattern = String::from("(?i)^");
    let mut params = Vec::new();
    for (i, segment) in path.split('/').enumerate() {
        if i > 0 {
            pattern.push('/');
        }
        if let Some(name) = segment.strip_prefix(':') {
            if name.is_empty() || !name.chars().all(|c| c.is_alphanumeric() || c == '_') {
                return Err(Error::Route(format!("invalid parameter ':{name}' in '{path}'")));
            }
            pattern.push_str("([^/]+)");
            params.push(name.to_string());
        } else {
            let parts: Vec<String> = segment.split('*').map(regex::escape).collect();
            pattern.push_str(&parts.join(".*"));
        }
    }
    pattern.push('$');
    let regex = Regex::new(&pattern).map_err(|e| Error::Route(format!("'{path}': {e}")))?;
    Ok((regex, params))
}

/// An ordered, thread-safe table of routes.
#[derive(Default)]
pub(crate) struct RouteTable {
    routes: RwLock<Vec<Route>>,
    next_id: std::sync::atomic::AtomicU64,
}

impl RouteTable {
    /// Adds a route; the same method, path and endpoint filter twice is an error.
    pub(crate) fn add(&self, method: &str, path: &str, endpoints: &[String]) -> Result<u64> {
        if path.is_empty() {
            return Err(Error::Route("a route needs a path".into()));
        }
        let method = method.to_ascii_uppercase();
        let path = normalise(path);
        let (pattern, params) = compile(&path)?;
        let mut routes = self.routes.write();
        if routes.iter().any(|r| r.method == method && r.path.eq_ignore_ascii_case(&path) && same_names(&r.endpoints, endpoints)) {
            return Err(Error::Route(format!("a {method} route for '{path}' already exists")));
        }
        let id = self.next_id.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        routes.push(Route { id, method, path, pattern, params, endpoints: endpoints.to_vec() });
        Ok(id)
    }

    /// Removes the routes for `method` and `path` whose endpoint filter contains
    /// `endpoint`, or that have none when `endpoint` is None (Pode's `Remove-Pode*Route`).
    /// Returns how many were removed.
    pub(crate) fn remove(&self, method: &str, path: &str, endpoint: Option<&str>) -> usize {
        let path = normalise(path);
        let mut routes = self.routes.write();
        let before = routes.len();
        routes.retain(|r| {
            let endpoint_matches = match endpoint {
                None => r.endpoints.is_empty(),
                Some(e) => r.endpoints.iter().any(|x| x.eq_ignore_ascii_case(e)),
            };
            !(r.method.eq_ignore_ascii_case(method) && r.path.eq_ignore_ascii_case(&path) && endpoint_matches)
        });
        before - routes.len()
    }

    /// Removes every route of `method`.
    pub(crate) fn clear(&self, method: &str) {
        self.routes.write().retain(|r| !r.method.eq_ignore_ascii_case(method));
    }

    /// The route for a request: an exact path first, else the first pattern that matches.
    pub(crate) fn find(&self, method: &str, path: &str, endpoint: &str) -> Option<RouteMatch> {
        let routes = self.routes.read();
        if routes.is_empty() {
            return None;
        }
        let method = method.to_ascii_uppercase();
        let exact = routes.iter().find(|r| r.path == path && r.params.is_empty() && r.serves(&method, endpoint));
        let (route, captures) = match exact {
            Some(r) => (r, None),
            None => routes.iter().find_map(|r| {
                if !r.serves(&method, endpoint) {
                    return None;
                }
                r.pattern.captures(path).map(|c| (r, Some(c)))
            })?,
        };
        let params = match captures {
            Some(c) => route.params.iter().zip(c.iter().skip(1)).map(|(n, v)| (n.clone(), percent_decode(v.map_or("", |m| m.as_str())))).collect(),
            None => Vec::new(),
        };
        Some(RouteMatch { id: route.id, path: route.path.clone(), params })
    }

    /// True if a route of another method than `method` serves `path` on `endpoint`: Pode's
    /// 405 Method Not Allowed, where a 404 would say the path does not exist.
    pub(crate) fn serves_other_method(&self, method: &str, path: &str, endpoint: &str) -> bool {
        let method = method.to_ascii_uppercase();
        self.routes.read().iter().any(|r| {
            r.method != method && r.method != SIGNAL_METHOD && r.serves(&r.method, endpoint) && (r.path == path || r.pattern.is_match(path))
        })
    }

    /// The routes of `method` as (path, endpoint names), in the order they were added.
    pub(crate) fn list(&self, method: &str) -> Vec<(String, Vec<String>)> {
        self.routes.read().iter().filter(|r| r.method.eq_ignore_ascii_case(method)).map(|r| (r.path.clone(), r.endpoints.clone())).collect()
    }
}

fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned()
}

fn same_names(a: &[String], b: &[String]) -> bool {
    a.len() == b.len() && a.iter().all(|x| b.iter().any(|y| x.eq_ignore_ascii_case(y)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_then_wildcard_then_endpoint_filter() {
        let t = RouteTable::default();
        t.add(SIGNAL_METHOD, "/chat/*", &[]).unwrap();
        t.add(SIGNAL_METHOD, "msg", &["api".into()]).unwrap();
        assert_eq!(t.find(SIGNAL_METHOD, "/CHAT/room.1", "x").unwrap().path, "/chat/*");
        assert_eq!(t.find(SIGNAL_METHOD, "/msg", "API").unwrap().path, "/msg");
        assert_eq!(t.find(SIGNAL_METHOD, "/msg", "web"), None);
        assert_eq!(t.find(SIGNAL_METHOD, "/chatx", "x"), None);
        assert_eq!(t.find("GET", "/chat/a", "x"), None);
    }

    #[test]
    fn another_method_of_a_served_path_is_told_apart() {
        let table = RouteTable::default();
        table.add("GET", "/ping", &[]).unwrap();
        table.add("GET", "/users/:id", &["one".to_string()]).unwrap();
        assert!(table.serves_other_method("POST", "/ping", "any"));
        assert!(!table.serves_other_method("GET", "/ping", "any"));
        assert!(!table.serves_other_method("POST", "/eek", "any"));
        assert!(table.serves_other_method("DELETE", "/users/7", "one"));
        assert!(!table.serves_other_method("DELETE", "/users/7", "two"));
    }

    #[test]
    fn params_are_captured_and_decoded() {
        let t = RouteTable::default();
        let id = t.add("get", "/users/:id/files/:name", &[]).unwrap();
        let m = t.find("GET", "/users/42/files/a%20b", "e").unwrap();
        assert_eq!(m.id, id);
        assert_eq!(m.params, vec![("id".into(), "42".into()), ("name".into(), "a b".into())]);
        assert!(t.find("GET", "/users/42/files/", "e").is_none());
        assert!(t.find("POST", "/users/42/files/x", "e").is_none());
        assert!(t.add("GET", "/bad/:", &[]).is_err());
    }

    #[test]
    fn any_method_and_literal_regex_characters() {
        let t = RouteTable::default();
        t.add("*", "/a.b", &[]).unwrap();
        assert!(t.find("DELETE", "/a.b", "e").is_some());
        assert!(t.find("GET", "/axb", "e").is_none());
    }

    #[test]
    fn duplicates_refused_and_remove_follows_pode() {
        let t = RouteTable::default();
        t.add(SIGNAL_METHOD, "/x", &[]).unwrap();
        assert!(t.add(SIGNAL_METHOD, "x", &[]).is_err());
        t.add(SIGNAL_METHOD, "/x", &["e1".into()]).unwrap();
        assert_eq!(t.remove(SIGNAL_METHOD, "/x", None), 1);
        assert_eq!(t.list(SIGNAL_METHOD), vec![("/x".to_string(), vec!["e1".to_string()])]);
        assert_eq!(t.remove(SIGNAL_METHOD, "/x", Some("E1")), 1);
        assert!(t.list(SIGNAL_METHOD).is_empty());
    }
}
