//! Handles: what C holds is never a pointer into Rust memory but a number that the
//! handle table maps to the object. A NULL, freed, never-issued or wrong-kind handle
//! is therefore an error code, not undefined behaviour; numbers are never reused.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::LazyLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use parking_lot::RwLock;

use crate::status::{Failure, psws_status};

/// Everything a handle can stand for.
pub(crate) enum Object {
    Server(Arc<crate::server::ServerObject>),
    Request(Arc<crate::request::RequestObject>),
    Client(Arc<crate::client::ClientObject>),
    List(Arc<crate::list::ListObject>),
}

impl Object {
    fn kind(&self) -> &'static str {
        match self {
            Object::Server(_) => "psws_server",
            Object::Request(_) => "psws_request",
            Object::Client(_) => "psws_client",
            Object::List(_) => "psws_list",
        }
    }
}

/// Implemented by each opaque C type: how its objects sit in the table.
pub(crate) trait Handle {
    /// The Rust object behind the handle.
    type Target;
    /// The C type name, for messages.
    const KIND: &'static str;
    /// Wraps an object for the table.
    fn wrap(target: Arc<Self::Target>) -> Object;
    /// The object, if the entry is of this kind.
    fn unwrap(object: &Object) -> Option<&Arc<Self::Target>>;
}

static TABLE: LazyLock<RwLock<HashMap<usize, Object>>> = LazyLock::new(Default::default);
/// Next handle number: starts high and steps by 16, so handles look like (never
/// dereferenced) aligned pointers and small integers are never valid.
static NEXT: AtomicUsize = AtomicUsize::new(0x7000_0000);

/// Registers an object and returns its new handle.
pub(crate) fn insert<H: Handle>(target: Arc<H::Target>) -> *mut H {
    let id = NEXT.fetch_add(16, Ordering::Relaxed);
    TABLE.write().insert(id, H::wrap(target));
    id as *mut H
}

fn lookup_error<H: Handle>(id: usize, found: Option<&Object>) -> Failure {
    match (id, found) {
        (0, _) => Failure(psws_status::NullArgument, format!("the {} handle is NULL", H::KIND)),
        (_, Some(other)) => Failure(psws_status::InvalidHandle, format!("the handle is a {}, not a {}", other.kind(), H::KIND)),
        (_, None) => Failure(psws_status::InvalidHandle, format!("the {} handle is not live (freed, or never created)", H::KIND)),
    }
}

/// The object behind a live handle of this kind.
pub(crate) fn get<H: Handle>(handle: *const H) -> Result<Arc<H::Target>, Failure> {
    let id = handle as usize;
    let table = TABLE.read();
    let found = table.get(&id);
    match found.and_then(H::unwrap) {
        Some(target) => Ok(target.clone()),
        None => Err(lookup_error::<H>(id, found)),
    }
}

/// Removes a handle and returns its object; freeing NULL is a no-op (None).
pub(crate) fn remove<H: Handle>(handle: *mut H) -> Result<Option<Arc<H::Target>>, Failure> {
    let id = handle as usize;
    if id == 0 {
        return Ok(None);
    }
    let mut table = TABLE.write();
    match table.get(&id).and_then(H::unwrap) {
        Some(target) => {
            let target = target.clone();
            table.remove(&id);
            Ok(Some(target))
        }
        None => Err(lookup_error::<H>(id, table.get(&id))),
    }
}

/// Puts an opaque C type (declared beside it as `pub struct x { _private: [u8; 0] }`,
/// spelled out so that cbindgen sees it) into the handle table.
macro_rules! opaque_handle {
    ($name:ident => $variant:ident($target:ty)) => {
        impl crate::handles::Handle for $name {
            type Target = $target;
            const KIND: &'static str = stringify!($name);
            fn wrap(target: std::sync::Arc<$target>) -> crate::handles::Object {
                crate::handles::Object::$variant(target)
            }
            fn unwrap(object: &crate::handles::Object) -> Option<&std::sync::Arc<$target>> {
                match object {
                    crate::handles::Object::$variant(target) => Some(target),
                    _ => None,
                }
            }
        }
    };
}
pub(crate) use opaque_handle;
