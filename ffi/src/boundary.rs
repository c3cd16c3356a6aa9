//! The panic boundary every entry point runs inside.

use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::status::{Failure, finish, psws_status};

/// Runs the body of an exported function: a panic becomes `Panic`, an error records
/// its message for psws_last_error(), and nothing unwinds into C.
pub(crate) fn boundary(body: impl FnOnce() -> Result<(), Failure>) -> psws_status {
    let result = catch_unwind(AssertUnwindSafe(body)).unwrap_or_else(|payload| {
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        Err(Failure(psws_status::Panic, format!("internal error in libpsws: {message}")))
    });
    finish(result)
}
