//! `psws_list`: a list of strings the library hands out (names, groups, client ids).

use crate::boundary::boundary;
use crate::handles::{self, opaque_handle};
use crate::status::{Failure, psws_status};
use crate::strings::{psws_str, write};

/// The strings of one list.
pub(crate) struct ListObject(pub Vec<String>);

/// A list of strings owned by the library; free it with psws_list_free().
pub struct psws_list {
    _private: [u8; 0],
}

opaque_handle!(psws_list => List(ListObject));

/// Hands a list to the caller through `out`.
///
/// # Safety
/// `out` must be NULL or valid for a write.
pub(crate) unsafe fn hand_out(items: Vec<String>, out: *mut *mut psws_list) -> Result<(), Failure> {
    crate::strings::require_out(out, "out")?;
    let handle = handles::insert::<psws_list>(std::sync::Arc::new(ListObject(items)));
    // SAFETY: checked non-null; valid per the caller.
    unsafe { write(out, handle, "out") }
}

/// Number of strings in the list.
///
/// # Safety
/// `out_len` must be valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn psws_list_len(list: *const psws_list, out_len: *mut usize) -> psws_status {
    boundary(|| {
        let list = handles::get(list)?;
        // SAFETY: valid per the caller.
        unsafe { write(out_len, list.0.len(), "out_len") }
    })
}

/// The string at `index` (0-based); valid until the list is freed.
///
/// # Safety
/// `out` must be valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn psws_list_get(list: *const psws_list, index: usize, out: *mut psws_str) -> psws_status {
    boundary(|| {
        let list = handles::get(list)?;
        crate::strings::require_out(out, "out")?;
        let item =
            list.0.get(index).ok_or_else(|| Failure(psws_status::InvalidArgument, format!("index {index} is past the end of a list of {}", list.0.len())))?;
        // The string lives in the list object, which the table keeps until psws_list_free.
        // SAFETY: valid per the caller.
        unsafe { write(out, psws_str::borrow(item), "out") }
    })
}

/// Frees a list. NULL is a no-op; a list freed twice is InvalidHandle.
#[unsafe(no_mangle)]
pub extern "C" fn psws_list_free(list: *mut psws_list) -> psws_status {
    boundary(|| handles::remove(list).map(drop))
}
