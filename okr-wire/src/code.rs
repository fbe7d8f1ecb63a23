//! What went wrong, as a stable number and a message naming where.

use okr_store::{EngineError, StoreError};

use crate::message::{RejectionMessage, Versioned};

/// The kind of a failure. The numbers are the C ABI's `okr_result` codes (`okr_result` in
/// `okr-ffi` has the same numbers) and `okr serve` sends them as `code` in its error bodies;
/// a number keeps its meaning for ever.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Code {
    /// A required argument is missing.
    NullArgument = 1,
    /// A text input is not valid UTF-8 (the byte offset is named).
    InvalidUtf8 = 2,
    /// A JSON input does not parse (line and column are named).
    MalformedJson = 3,
    /// Well-formed JSON that is not a command or batch: unknown `type`, a missing, wrong,
    /// unknown or repeated field (its full path is named, e.g. `body.progress.value`).
    InvalidCommand = 4,
    /// The OKR rules refused the command; the message is the rejection as JSON.
    Rejected = 5,
    /// The store failed.
    Storage = 6,
    /// Stored data is damaged.
    Corrupt = 7,
    /// What was asked for does not exist (an unknown cycle, a position beyond the end).
    NotFound = 8,
    /// An import was refused.
    Import = 12,
    /// A message carries a `version` other than 1.
    Version = 13,
    /// Well-formed JSON that is not a query.
    InvalidQuery = 14,
    /// The open options are not valid.
    InvalidOptions = 15,
    /// A non-JSON argument has a bad value.
    InvalidArgument = 16,
    /// An output could not be encoded (a bug).
    Internal = 17,
    /// The command id was already used for another command (another actor or body);
    /// nothing was written.
    Conflict = 18,
    /// A message or a text inside it is larger than the limits in [`crate::limits`]; the
    /// message names the limit and, for a text, its path.
    TooLarge = 19,
}

impl Code {
    /// The code's number.
    pub fn number(self) -> u32 {
        self as u32
    }

    /// The code's name in the C header without the `OKR_RESULT_` prefix, e.g.
    /// `INVALID_COMMAND`.
    pub fn name(self) -> &'static str {
        match self {
            Code::NullArgument => "NULL_ARGUMENT",
            Code::InvalidUtf8 => "INVALID_UTF8",
            Code::MalformedJson => "MALFORMED_JSON",
            Code::InvalidCommand => "INVALID_COMMAND",
            Code::Rejected => "REJECTED",
            Code::Storage => "STORAGE",
            Code::Corrupt => "CORRUPT",
            Code::NotFound => "NOT_FOUND",
            Code::Import => "IMPORT",
            Code::Version => "VERSION",
            Code::InvalidQuery => "INVALID_QUERY",
            Code::InvalidOptions => "INVALID_OPTIONS",
            Code::InvalidArgument => "INVALID_ARGUMENT",
            Code::Internal => "INTERNAL",
            Code::Conflict => "CONFLICT",
            Code::TooLarge => "TOO_LARGE",
        }
    }
}

/// A failure: its [`Code`] and a message. For [`Code::Rejected`] the message is the
/// rejection as JSON ([`RejectionMessage`]); otherwise English text naming the argument,
/// field path, line, column or limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// What kind of failure.
    pub code: Code,
    /// What was wrong and where.
    pub message: String,
}

impl Error {
    /// An error of `code` with `message`.
    pub fn new(code: Code, message: impl Into<String>) -> Error {
        Error {
            code,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

impl From<EngineError> for Error {
    fn from(e: EngineError) -> Error {
        match e {
            EngineError::Rejected(rejection) => rejected(None, rejection),
            EngineError::BatchRejected { index, rejection } => rejected(Some(index), rejection),
            EngineError::Store(s) => store_error(s),
            e @ EngineError::Corrupt { .. } => Error::new(Code::Corrupt, e.to_string()),
            e @ (EngineError::Import { .. } | EngineError::ImportIntoNonEmpty { .. }) => {
                Error::new(Code::Import, e.to_string())
            }
            e @ EngineError::BeyondEnd { .. } => Error::new(Code::NotFound, e.to_string()),
            e @ EngineError::CommandConflict { .. } => Error::new(Code::Conflict, e.to_string()),
            e => Error::new(Code::Storage, e.to_string()),
        }
    }
}

fn store_error(s: StoreError) -> Error {
    let code = match &s {
        StoreError::Corrupt { .. } | StoreError::Missing { .. } => Code::Corrupt,
        StoreError::NotAnOkrStore { path, .. } if !path.exists() => Code::NotFound,
        StoreError::InvalidLocation { .. } => Code::InvalidArgument,
        _ => Code::Storage,
    };
    Error::new(code, s.to_string())
}

fn rejected(index: Option<usize>, rejection: okr_core::Rejection) -> Error {
    let message = rejection.to_string();
    let body = Versioned::new(RejectionMessage {
        index,
        rejection,
        message: message.clone(),
    });
    let text = serde_json::to_string(&body).unwrap_or(message);
    Error::new(Code::Rejected, text)
}
