//! The boundary every export goes through: out-parameters, the panic guard, input decoding.

use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::error::{okr_error, okr_result, Error};

/// The message version this library reads and writes.
pub(crate) const MESSAGE_VERSION: u64 = 1;

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

/// Checks that `bytes` are UTF-8, naming the offset of the first bad byte.
pub(crate) fn utf8<'a>(bytes: &'a [u8], name: &str) -> Result<&'a str, Error> {
    std::str::from_utf8(bytes).map_err(|e| {
        Error::new(
            okr_result::InvalidUtf8,
            format!(
                "argument `{name}` is not valid UTF-8: invalid byte at offset {}",
                e.valid_up_to()
            ),
        )
    })
}

/// What kind of message a JSON input is, for error codes and texts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Command,
    Batch,
    Query,
    Options,
}

impl Kind {
    fn noun(self) -> &'static str {
        match self {
            Kind::Command => "command",
            Kind::Batch => "batch",
            Kind::Query => "query",
            Kind::Options => "options",
        }
    }

    fn code(self) -> okr_result {
        match self {
            Kind::Command | Kind::Batch => okr_result::InvalidCommand,
            Kind::Query => okr_result::InvalidQuery,
            Kind::Options => okr_result::InvalidOptions,
        }
    }
}

/// Parses a versioned JSON message: UTF-8, then JSON, then an object, then `version` (absent
/// means 1; anything but 1 is refused), then the typed message without `version`.
pub(crate) fn message<T: DeserializeOwned>(
    bytes: &[u8],
    name: &str,
    kind: Kind,
) -> Result<T, Error> {
    let text = utf8(bytes, name)?;
    let value: Value = serde_json::from_str(text).map_err(|e| {
        Error::new(
            okr_result::MalformedJson,
            format!("malformed JSON in `{name}`: {e}"),
        )
    })?;
    let Value::Object(mut map) = value else {
        return Err(Error::new(
            kind.code(),
            format!(
                "invalid {}: expected a JSON object, found {}",
                kind.noun(),
                type_name(&value)
            ),
        ));
    };
    check_version(&mut map, kind)?;
    let de: Result<T, _> = serde_path_to_error::deserialize(Value::Object(map));
    de.map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let message = if path == "." || path.is_empty() {
            format!("invalid {}: {inner}", kind.noun())
        } else {
            format!("invalid {} at `{path}`: {inner}", kind.noun())
        };
        Error::new(kind.code(), message)
    })
}

/// Removes and checks the `version` field of a message.
fn check_version(map: &mut Map<String, Value>, kind: Kind) -> Result<(), Error> {
    match map.remove("version") {
        None => Ok(()),
        Some(Value::Number(n)) if n.as_u64() == Some(MESSAGE_VERSION) => Ok(()),
        Some(other) => Err(Error::new(
            okr_result::Version,
            format!(
                "unsupported {} version {other}; this library reads version {MESSAGE_VERSION}",
                kind.noun()
            ),
        )),
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Encodes an output message as JSON.
pub(crate) fn encode(value: &impl serde::Serialize) -> Result<Vec<u8>, Error> {
    serde_json::to_vec(value).map_err(|e| {
        Error::new(
            okr_result::Internal,
            format!("cannot encode the output as JSON: {e}"),
        )
    })
}
