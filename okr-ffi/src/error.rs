//! Result codes and the `okr_error` object.

use std::ffi::{c_char, CStr, CString};

/// What a call did. `OKR_RESULT_OK` (0) is success; every other code is a failure whose
/// `okr_error` (when one was asked for) carries a message.
///
/// The numbers are part of the ABI: a code keeps its number for ever and a number is never
/// given to another meaning. New codes are added at the end. In C the type is a `uint32_t`.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum okr_result {
    /// Success.
    Ok = 0,
    /// A required pointer argument was NULL (or a data pointer was NULL with a length above
    /// 0). The message names the argument.
    NullArgument = 1,
    /// A text input is not valid UTF-8. The message names the byte offset of the first bad
    /// byte.
    InvalidUtf8 = 2,
    /// A JSON input does not parse. The message gives line, column and what was expected.
    MalformedJson = 3,
    /// The JSON is well formed but not a command: unknown `type`, missing field, wrong field
    /// type, unknown field. The message names the field and its path.
    InvalidCommand = 4,
    /// The engine refused the command by the OKR rules (wrong phase, unauthorized actor,
    /// broken rule, unknown id, ...). The message is the rejection as a JSON object with
    /// `version`, `rejection` (the variant, e.g. `wrong_phase`), its fields (e.g. `rule`,
    /// `field`, `actor`) and `message` (English text). Nothing was written.
    Rejected = 5,
    /// The store failed: I/O, a held lock, a store of a newer format, ... Nothing was
    /// written, with one exception: when an append fails after its journal frame may have
    /// reached the disk, the store stops taking appends (the message says so) and the
    /// append is recorded or not as the journal says when the store is next opened. A store
    /// that could not apply a durable append to its database also stops, for appends and
    /// for reads that would need that append, until it is reopened.
    Storage = 6,
    /// Stored data is damaged or does not decode. The message names the position or place.
    Corrupt = 7,
    /// What was asked for does not exist: an unknown cycle, a position beyond the end of the
    /// log, a store path that does not exist when `create_if_missing` is false.
    NotFound = 8,
    /// The engine handle was shut down with `okr_engine_shutdown`.
    Closed = 9,
    /// A previous call on this engine handle panicked; the handle only accepts
    /// `okr_engine_shutdown` and `okr_engine_close` now.
    Poisoned = 10,
    /// The call panicked inside the library (a bug). The panic was caught at the boundary and
    /// the engine handle, if any, is poisoned.
    Panic = 11,
    /// An import was refused: a line does not decode or does not fit the log (the message
    /// names the line), or the store is not empty. Nothing was imported.
    Import = 12,
    /// A JSON message carries a `version` this library does not read (it reads 1).
    Version = 13,
    /// The JSON is well formed but not a query: unknown `query`, missing or wrong parameter.
    InvalidQuery = 14,
    /// The options JSON of `okr_engine_open` is not valid.
    InvalidOptions = 15,
    /// An argument has an invalid value that is not JSON: an empty path, a length too large.
    InvalidArgument = 16,
    /// An output could not be encoded (a bug).
    Internal = 17,
    /// The command id was already used for another command (another actor or body);
    /// nothing was written. A retry of the same command is not a conflict: it returns the
    /// original outcome with `duplicate: true`.
    Conflict = 18,
    /// A message or a text inside it is over a documented limit: a command or query over
    /// 1 MiB, a batch over 16 MiB or 10 000 commands, a text (any JSON string of a command)
    /// over 10 000 characters. The message names the limit and, for a text, its path.
    /// Nothing was written.
    TooLarge = 19,
}

impl okr_result {
    /// Every code, in numeric order.
    pub(crate) const ALL: [okr_result; 20] = [
        okr_result::Ok,
        okr_result::NullArgument,
        okr_result::InvalidUtf8,
        okr_result::MalformedJson,
        okr_result::InvalidCommand,
        okr_result::Rejected,
        okr_result::Storage,
        okr_result::Corrupt,
        okr_result::NotFound,
        okr_result::Closed,
        okr_result::Poisoned,
        okr_result::Panic,
        okr_result::Import,
        okr_result::Version,
        okr_result::InvalidQuery,
        okr_result::InvalidOptions,
        okr_result::InvalidArgument,
        okr_result::Internal,
        okr_result::Conflict,
        okr_result::TooLarge,
    ];

    /// The code for a number, if the number names one.
    pub fn from_u32(n: u32) -> Option<okr_result> {
        okr_result::ALL.iter().copied().find(|c| *c as u32 == n)
    }

    /// A short static description, e.g. `"the command was rejected by the OKR rules"`.
    pub fn description(self) -> &'static CStr {
        match self {
            okr_result::Ok => c"success",
            okr_result::NullArgument => c"a required argument is NULL",
            okr_result::InvalidUtf8 => c"an input is not valid UTF-8",
            okr_result::MalformedJson => c"an input is not well-formed JSON",
            okr_result::InvalidCommand => c"the JSON is not a valid command",
            okr_result::Rejected => c"the command was rejected by the OKR rules",
            okr_result::Storage => c"the event store failed",
            okr_result::Corrupt => c"stored data is corrupt",
            okr_result::NotFound => c"not found",
            okr_result::Closed => c"the engine handle is closed",
            okr_result::Poisoned => c"the engine handle is poisoned by an earlier panic",
            okr_result::Panic => c"the library panicked (a bug); the panic was caught",
            okr_result::Import => c"the import was refused",
            okr_result::Version => c"unsupported message version",
            okr_result::InvalidQuery => c"the JSON is not a valid query",
            okr_result::InvalidOptions => c"the open options are not valid",
            okr_result::InvalidArgument => c"an argument has an invalid value",
            okr_result::Internal => c"internal error (a bug)",
            okr_result::Conflict => c"the command id was already used for another command",
            okr_result::TooLarge => c"an input is larger than a documented limit",
        }
    }
}

/// A failure: a code and a message. Owned by the caller until freed with `okr_error_free`.
#[derive(Debug)]
pub struct okr_error {
    code: okr_result,
    message: CString,
}

/// An error inside the library, before it crosses the boundary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Error {
    pub(crate) code: okr_result,
    pub(crate) message: String,
}

impl Error {
    pub(crate) fn new(code: okr_result, message: impl Into<String>) -> Error {
        Error {
            code,
            message: message.into(),
        }
    }

    pub(crate) fn null(argument: &str) -> Error {
        Error::new(
            okr_result::NullArgument,
            format!("argument `{argument}` is NULL"),
        )
    }

    /// The error of the shared message layer, under the ABI's code of the same number.
    pub(crate) fn wire(e: okr_wire::Error) -> Error {
        let code = okr_result::from_u32(e.code.number()).unwrap_or(okr_result::Internal);
        Error::new(code, e.message)
    }

    pub(crate) fn into_ffi(self) -> okr_error {
        // Messages may quote caller input, which may contain NUL bytes.
        let text = self.message.replace('\0', "\\u0000");
        let message = CString::new(text).unwrap_or_default();
        okr_error {
            code: self.code,
            message,
        }
    }
}

/// The description of a result code as a static NUL-terminated string; never NULL. Unknown
/// numbers give `"unknown result code"`.
#[no_mangle]
pub extern "C" fn okr_result_str(code: u32) -> *const c_char {
    match okr_result::from_u32(code) {
        Some(c) => c.description().as_ptr(),
        None => c"unknown result code".as_ptr(),
    }
}

/// The code of an error; `OKR_RESULT_OK` for NULL.
///
/// # Safety
///
/// `err` is NULL or a pointer from this library not yet passed to `okr_error_free`.
#[no_mangle]
pub unsafe extern "C" fn okr_error_code(err: *const okr_error) -> okr_result {
    // SAFETY: the caller passes NULL or a live error from this library.
    match unsafe { err.as_ref() } {
        Some(e) => e.code,
        None => okr_result::Ok,
    }
}

/// The message of an error: a NUL-terminated UTF-8 string owned by the error (valid until
/// `okr_error_free`). For NULL, an empty static string.
///
/// # Safety
///
/// `err` is NULL or a pointer from this library not yet passed to `okr_error_free`.
#[no_mangle]
pub unsafe extern "C" fn okr_error_message(err: *const okr_error) -> *const c_char {
    // SAFETY: the caller passes NULL or a live error from this library.
    match unsafe { err.as_ref() } {
        Some(e) => e.message.as_ptr(),
        None => c"".as_ptr(),
    }
}

/// Frees an error. NULL is accepted and ignored.
///
/// # Safety
///
/// `err` is NULL or a pointer from this library, freed at most once.
#[no_mangle]
pub unsafe extern "C" fn okr_error_free(err: *mut okr_error) {
    if !err.is_null() {
        // SAFETY: a non-NULL `err` came from `Box::into_raw` in this library and is freed once.
        drop(unsafe { Box::from_raw(err) });
    }
}
