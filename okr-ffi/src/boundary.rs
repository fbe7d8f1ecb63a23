//! The boundary every export goes through: out-parameters, the panic guard, input decoding.

use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};

use serde::de::DeserializeOwned;

pub(crate) use okr_wire::parse::Kind;

use crate::error::{okr_error, okr_result, Error};

/// Runs `f` behind the panic boundary and reports its error through `err_out`.
///
/// `*err_out` is set to NULL first, then to a new error when the call fails.
///
/// # Safety
///
/// `err_out` is NULL or valid for writing one pointer.
pub(crate) unsafe fn run(
    err_out: *mut *mut okr_error,
    f: impl FnOnce() -> Result<(), Error>,
) -> okr_result {
    if !err_out.is_null() {
        // SAFETY: the caller guarantees a non-NULL `err_out` is valid for writes.
        unsafe { err_out.write(std::ptr::null_mut()) };
    }
    let result = match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(panic) => Err(Error::new(
            okr_result::Panic,
            format!("panic inside okr: {}", panic_message(&*panic)),
        )),
    };
    match result {
        Ok(()) => okr_result::Ok,
        Err(e) => {
            let code = e.code;
            if !err_out.is_null() {
                // Building the error cannot panic in practice; keep the boundary tight anyway.
                let boxed = catch_unwind(AssertUnwindSafe(|| Box::new(e.into_ffi())));
                if let Ok(b) = boxed {
                    // SAFETY: the caller guarantees a non-NULL `err_out` is valid for writes.
                    unsafe { err_out.write(Box::into_raw(b)) };
                }
            }
            code
        }
    }
}

/// Like [`run`] for calls with one owned output: checks `out`, sets `*out` to NULL, and on
/// success stores the boxed result there.
///
/// # Safety
///
/// `out` is NULL or valid for writing one pointer; `err_out` as in [`run`].
pub(crate) unsafe fn run_out<T>(
    out: *mut *mut T,
    out_name: &str,
    err_out: *mut *mut okr_error,
    f: impl FnOnce() -> Result<T, Error>,
) -> okr_result {
    // SAFETY: forwarded from the caller.
    unsafe {
        run(err_out, || {
            if out.is_null() {
                return Err(Error::null(out_name));
            }
            // SAFETY: `out` is not NULL and the caller guarantees it is valid for writes.
            out.write(std::ptr::null_mut());
            let value = f()?;
            // SAFETY: as above.
            out.write(Box::into_raw(Box::new(value)));
            Ok(())
        })
    }
}

/// The text of a panic payload.
fn panic_message(panic: &(dyn Any + Send)) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "(no message)".to_owned()
    }
}

/// The bytes at `ptr .. ptr + len`. NULL with length 0 is the empty input.
///
/// # Safety
///
/// A non-NULL `ptr` is valid for reading `len` bytes for the lifetime `'a`.
pub(crate) unsafe fn input<'a>(ptr: *const u8, len: usize, name: &str) -> Result<&'a [u8], Error> {
    if ptr.is_null() {
        return if len == 0 {
            Ok(&[])
        } else {
            Err(Error::null(name))
        };
    }
    if len > isize::MAX as usize {
        return Err(Error::new(
            okr_result::InvalidArgument,
            format!("argument `{name}_len` is {len}, more than any buffer can hold"),
        ));
    }
    // SAFETY: `ptr` is not NULL, the caller guarantees `len` readable bytes, and `len` fits
    // in `isize`.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// Checks that `bytes` are UTF-8, naming the argument and the offset of the first bad byte.
pub(crate) fn utf8<'a>(bytes: &'a [u8], name: &str) -> Result<&'a str, Error> {
    okr_wire::parse::utf8(bytes, &format!("argument `{name}`")).map_err(Error::wire)
}

/// Parses a JSON message argument through the shared strict parser of `okr-wire`.
pub(crate) fn message<T: DeserializeOwned>(
    bytes: &[u8],
    name: &str,
    kind: Kind,
) -> Result<T, Error> {
    okr_wire::parse::message(bytes, &format!("argument `{name}`"), kind).map_err(Error::wire)
}

/// Encodes an output message as JSON.
pub(crate) fn encode(value: &impl serde::Serialize) -> Result<Vec<u8>, Error> {
    okr_wire::run::encode(value).map_err(Error::wire)
}
