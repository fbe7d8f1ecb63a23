//! okr-wire: okr's JSON messages, one implementation for every way in.
//!
//! The C ABI (`okr-ffi`), `okr apply` and `okr serve` read the same messages and must refuse
//! bad input the same way: with the same code and a message naming the full field path. This
//! crate is that one place, without the C ABI's raw pointers and without an HTTP stack:
//!
//! * [`message`]: the messages as Rust types (the JSON Schemas and the OpenAPI document are
//!   generated from them);
//! * [`parse`]: strict parsing — size limits ([`limits`]), UTF-8, JSON without repeated keys,
//!   `version` 1 (also written `1.0`), text lengths, the typed message with full paths;
//! * [`run`]: executing, validating and answering them against an [`okr_store::Engine`];
//! * [`Code`] and [`Error`]: what went wrong, numbered as the C ABI numbers it.
//!
//! ```
//! use okr_wire::{parse, Code};
//!
//! let bad = br#"{"version":1.0,"envelope":{"command_id":"00000000-0000-0000-0000-000000000001",
//!   "actor":"00000000-0000-0000-0000-000000000007","at":"2025-01-06T09:00:00Z"},
//!   "body":{"type":"check_in","key_result":"00000000-0000-0000-0000-000000000009",
//!   "value":3,"confidence":256}}"#;
//! let e = parse::command(bad, "the input").unwrap_err();
//! assert_eq!(e.code, Code::InvalidCommand);
//! assert!(e.message.contains("`body.confidence`"), "{}", e.message);
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod code;
pub mod limits;
pub mod message;
pub mod parse;
pub mod run;

pub use code::{Code, Error};
