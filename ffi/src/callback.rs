//! A registered C callback and its userdata, shared with engine threads.

use std::cell::RefCell;

use parking_lot::RawRwLockRecursive;
use parking_lot::lock_api::RwLock;

use crate::status::{Failure, psws_status};

/// The callback slot of a server or client. Engine threads call through it under a
/// read lock; clearing it takes the write lock, so once `clear` returns no call is in
/// flight and none will start (the host may then free its userdata).
pub(crate) struct CallbackSlot<F: Copy> {
    /// Readers are preferred over a waiting writer, so a callback that triggers another
    /// event on its own thread re-enters without deadlock.
    inner: RwLock<RawRwLockRecursive, Option<(F, usize)>>,
}

thread_local! {
    /// The slots whose callbacks are running on this thread, innermost last.
    static RUNNING: RefCell<Vec<usize>> = const { RefCell::new(Vec::new()) };
}

impl<F: Copy> Default for CallbackSlot<F> {
    fn default() -> Self {
        Self { inner: RwLock::new(None) }
    }
}

impl<F: Copy> CallbackSlot<F> {
    /// Installs (or with None removes) the callback; waits for calls in flight.
    pub(crate) fn set(&self, callback: Option<F>, userdata: *mut std::ffi::c_void) {
        *self.inner.write() = callback.map(|cb| (cb, userdata as usize));
    }

    /// Runs `call` with the callback, if one is set.
    pub(crate) fn with(&self, call: impl FnOnce(F, *mut std::ffi::c_void)) {
        let guard = self.inner.read();
        if let Some((callback, userdata)) = *guard {
            RUNNING.with(|r| r.borrow_mut().push(self.id()));
            call(callback, userdata as *mut std::ffi::c_void);
            RUNNING.with(|r| r.borrow_mut().pop());
        }
    }

    fn id(&self) -> usize {
        self as *const Self as usize
    }

    /// Fails when called from inside this slot's own callback, where replacing the
    /// callback or freeing its owner would wait for the call that is making it.
    pub(crate) fn refuse_reentry(&self, what: &str) -> Result<(), Failure> {
        if RUNNING.with(|r| r.borrow().contains(&self.id())) {
            return Err(Failure(psws_status::InCallback, format!("{what} cannot be called from the object's own callback")));
        }
        Ok(())
    }
}
