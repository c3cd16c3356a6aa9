//! Strings and byte slices across the boundary: `psws_str` (UTF-8, pointer + length,
//! not NUL-terminated) and `psws_bytes`, in both directions, plus caller buffers.

use std::ffi::c_char;

use crate::status::{Failure, psws_status};

/// UTF-8 text as pointer + length (not NUL-terminated). Passed in, it is only read
/// during the call; handed out, it stays valid as long as the documentation of the
/// call says (usually: until the owning handle is freed, or during a callback).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct psws_str {
    /// First byte; may be NULL when `len` is 0.
    pub ptr: *const c_char,
    /// Length in bytes.
    pub len: usize,
}

/// Bytes as pointer + length, with the same lifetime rules as `psws_str`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct psws_bytes {
    /// First byte; may be NULL when `len` is 0.
    pub ptr: *const u8,
    /// Length in bytes.
    pub len: usize,
}

/// A header (or any name/value pair).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct psws_header {
    /// Name.
    pub name: psws_str,
    /// Value.
    pub value: psws_str,
}

impl psws_str {
    /// A view of `s`; the caller keeps `s` alive as long as the view is used.
    pub(crate) fn borrow(s: &str) -> Self {
        Self { ptr: s.as_ptr().cast(), len: s.len() }
    }

    /// Reads an argument: NULL with length 0 is the empty string.
    ///
    /// # Safety
    /// `ptr` must point to `len` readable bytes (or be NULL).
    pub(crate) unsafe fn read<'a>(self, what: &str) -> Result<&'a str, Failure> {
        // SAFETY: forwarded to the caller.
        let bytes = unsafe { read_bytes(self.ptr.cast(), self.len, what)? };
        std::str::from_utf8(bytes).map_err(|_| Failure(psws_status::InvalidUtf8, format!("{what} is not valid UTF-8")))
    }

    /// Like [`Self::read`], but the empty string reads as None.
    ///
    /// # Safety
    /// As [`Self::read`].
    pub(crate) unsafe fn read_opt<'a>(self, what: &str) -> Result<Option<&'a str>, Failure> {
        // SAFETY: forwarded to the caller.
        Ok(Some(unsafe { self.read(what)? }).filter(|s| !s.is_empty()))
    }
}

impl psws_bytes {
    /// A view of `b`; the caller keeps `b` alive as long as the view is used.
    pub(crate) fn borrow(b: &[u8]) -> Self {
        Self { ptr: b.as_ptr(), len: b.len() }
    }
}

/// Reads a byte argument: NULL with length 0 is empty; NULL with a length is an error.
///
/// # Safety
/// `ptr` must point to `len` readable bytes (or be NULL).
pub(crate) unsafe fn read_bytes<'a>(ptr: *const u8, len: usize, what: &str) -> Result<&'a [u8], Failure> {
    if len == 0 {
        return Ok(&[]);
    }
    if ptr.is_null() {
        return Err(Failure(psws_status::NullArgument, format!("{what} is NULL but its length is {len}")));
    }
    // SAFETY: non-null, and the caller promises `len` readable bytes.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// Reads an array of strings (NULL with count 0 is empty) into owned Strings.
///
/// # Safety
/// `items` must point to `count` valid `psws_str` (or be NULL with count 0).
pub(crate) unsafe fn read_list(items: *const psws_str, count: usize, what: &str) -> Result<Vec<String>, Failure> {
    if count == 0 {
        return Ok(Vec::new());
    }
    if items.is_null() {
        return Err(Failure(psws_status::NullArgument, format!("{what} is NULL but its count is {count}")));
    }
    // SAFETY: non-null, and the caller promises `count` items.
    let items = unsafe { std::slice::from_raw_parts(items, count) };
    // SAFETY: each item is a caller-provided string.
    items.iter().map(|s| unsafe { s.read(what) }.map(str::to_string)).collect()
}

/// Writes `value` through an output pointer (only called once the call has succeeded).
///
/// # Safety
/// `out` must be NULL or valid for a write of `T`.
pub(crate) unsafe fn write<T>(out: *mut T, value: T, what: &str) -> Result<(), Failure> {
    if out.is_null() {
        return Err(Failure(psws_status::NullArgument, format!("{what} is NULL")));
    }
    // SAFETY: non-null and valid per the caller.
    unsafe { out.write(value) };
    Ok(())
}

/// Writes `value` through an optional output pointer (NULL: the caller does not want it).
///
/// # Safety
/// `out` must be NULL or valid for a write of `T`.
pub(crate) unsafe fn write_optional<T>(out: *mut T, value: T) -> Result<(), Failure> {
    if !out.is_null() {
        // SAFETY: non-null and valid per the caller.
        unsafe { out.write(value) };
    }
    Ok(())
}

/// Checks an output pointer before any work is done, so that a NULL output does not
/// leave a half-done operation behind.
pub(crate) fn require_out<T>(out: *mut T, what: &str) -> Result<(), Failure> {
    if out.is_null() { Err(Failure(psws_status::NullArgument, format!("{what} is NULL"))) } else { Ok(()) }
}

/// Copies `text` into a caller buffer of `capacity` bytes, NUL-terminated when there
/// is room, and writes its length (without NUL) to `out_len`. A buffer that is too
/// small gets nothing; `out_len` then holds the length needed.
///
/// # Safety
/// `buffer` must be valid for `capacity` bytes of writes (or NULL with capacity 0);
/// `out_len` must be valid for a write.
pub(crate) unsafe fn copy_out(text: &str, buffer: *mut c_char, capacity: usize, out_len: *mut usize) -> Result<(), Failure> {
    require_out(out_len, "out_len")?;
    // SAFETY: checked non-null above; valid per the caller.
    unsafe { out_len.write(text.len()) };
    if capacity < text.len() {
        return Err(Failure(psws_status::BufferTooSmall, format!("the buffer holds {capacity} bytes; {} are needed", text.len())));
    }
    if buffer.is_null() {
        return Err(Failure(psws_status::NullArgument, "buffer is NULL".into()));
    }
    // SAFETY: the buffer holds at least `text.len()` bytes (checked above).
    unsafe {
        std::ptr::copy_nonoverlapping(text.as_ptr(), buffer.cast(), text.len());
        if capacity > text.len() {
            buffer.add(text.len()).write(0);
        }
    }
    Ok(())
}
