//! A registered C callback and its userdata, shared with engine threads.

use parking_lot::RawRwLockRecursive;
use parking_lot::lock_api::RwLock;

/// The callback slot of a server or client. Engine threads call through it under a
/// read lock; clearing it takes the write lock, so once `clear` returns no call is in
/// flight and none will start (the host may then free its userdata).
pub(crate) struct CallbackSlot<F: Copy> {
    /// Readers are preferred over a waiting writer, so a callback that triggers another
    /// event on its own thread re-enters without deadlock.
    inner: RwLock<RawRwLockRecursive, Option<(F, usize)>>,
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
            call(callback, userdata as *mut std::ffi::c_void);
        }
    }
}
