//! okr-ffi: the C ABI of okr, for embedding the engine in other languages.
//!
//! JSON goes in (commands, queries, options) and JSON comes out (outcomes, events, state,
//! rollups, scores); every message carries `"version": 1`. The C header
//! `okr-ffi/include/okr.h` is generated from this crate by cbindgen and committed; its top
//! comment states ownership and thread-safety rules. In short:
//!
//! * functions are named `okr_<object>_<verb>` and return an `okr_result` code
//!   (`OKR_RESULT_OK` = 0; the numbers never change, see [`okr_result`]);
//! * the last parameter of every fallible call is an optional `okr_error **` that receives
//!   a code and a message ([`okr_error_code`], [`okr_error_message`], [`okr_error_free`]);
//! * inputs are UTF-8 `ptr + len` and stay the caller's; outputs are [`okr_bytes`] buffers
//!   (with a trailing NUL) that the caller frees with [`okr_bytes_free`];
//! * every `*_free` and [`okr_engine_close`] accept NULL;
//! * panics never cross the boundary: a call that panics returns `OKR_RESULT_PANIC` and
//!   poisons its engine handle.
//!
//! The same functions can be called from Rust, which is how this crate's tests drive them:
//!
//! ```
//! use okr_ffi::*;
//! use std::ptr;
//!
//! let path = ":memory:";
//! let mut engine = ptr::null_mut();
//! let mut err = ptr::null_mut();
//! // SAFETY: every pointer is valid for the call; outputs are freed below.
//! unsafe {
//!     let rc = okr_engine_open(path.as_ptr(), path.len(), ptr::null(), 0, &mut engine, &mut err);
//!     assert_eq!(rc, okr_result::Ok);
//!
//!     let command = |id: u128| {
//!         serde_json::json!({
//!             "version": 1,
//!             "envelope": {
//!                 "command_id": uuid::Uuid::from_u128(id),
//!                 "actor": "00000000-0000-0000-0000-000000000007",
//!                 "at": "2025-01-06T09:00:00Z"
//!             },
//!             "body": {
//!                 "type": "define_unit",
//!                 "unit": "00000000-0000-0000-0000-000000000100",
//!                 "name": "Federation",
//!                 "kind": "organisation"
//!             }
//!         })
//!         .to_string()
//!     };
//!     let first = command(1);
//!     let mut out = ptr::null_mut();
//!     let rc = okr_engine_execute(engine, first.as_ptr(), first.len(), &mut out, &mut err);
//!     assert_eq!(rc, okr_result::Ok);
//!     let json: serde_json::Value = serde_json::from_slice((*out).as_slice()).unwrap();
//!     assert_eq!(json["version"], 1);
//!     assert_eq!(json["positions"], serde_json::json!([0]));
//!     okr_bytes_free(out);
//!
//!     // The same unit again: the code says REJECTED, the message is the rejection as JSON.
//!     let again = command(2);
//!     let rc = okr_engine_execute(engine, again.as_ptr(), again.len(), &mut out, &mut err);
//!     assert_eq!(rc, okr_result::Rejected);
//!     assert!(out.is_null());
//!     assert_eq!(okr_error_code(err), okr_result::Rejected);
//!     let message = std::ffi::CStr::from_ptr(okr_error_message(err)).to_str().unwrap();
//!     assert!(message.contains(r#""rejection":"already_exists""#), "{message}");
//!     okr_error_free(err);
//!
//!     okr_engine_close(engine);
//! }
//! ```
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs)]
#![allow(non_camel_case_types)]

mod boundary;
mod bytes;
mod engine;
mod error;
pub mod schema;
mod subscription;

/// The JSON messages of the ABI, as Rust types (from `okr-wire`, shared with `okr serve`).
pub use okr_wire::message;

pub use bytes::{okr_bytes, okr_bytes_data, okr_bytes_free, okr_bytes_len};
pub use engine::{
    okr_engine, okr_engine_close, okr_engine_events_since, okr_engine_execute,
    okr_engine_execute_batch, okr_engine_export, okr_engine_flush, okr_engine_import,
    okr_engine_open, okr_engine_query, okr_engine_shutdown, okr_engine_subscribe,
    okr_engine_validate, okr_engine_verify, OKR_MEMORY_PATH,
};
pub use error::{
    okr_error, okr_error_code, okr_error_free, okr_error_message, okr_result, okr_result_str,
};
pub use subscription::{okr_subscription, okr_subscription_free, okr_subscription_next};

use std::ffi::c_char;

/// The ABI version: raised when a function's signature or meaning changes incompatibly.
/// New functions and new result codes do not raise it.
pub const OKR_ABI_VERSION: u32 = 1;

/// The library version (the crate version, e.g. `"0.1.0"`) as a static NUL-terminated
/// string; never NULL, never freed.
#[no_mangle]
pub extern "C" fn okr_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

/// The ABI version, `OKR_ABI_VERSION` of the library actually loaded; compare it with the
/// header's `OKR_ABI_VERSION`.
#[no_mangle]
pub extern "C" fn okr_abi_version() -> u32 {
    OKR_ABI_VERSION
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ptr;

    fn open() -> *mut okr_engine {
        let mut engine = ptr::null_mut();
        // SAFETY: valid pointers; the handle is closed by the caller.
        let rc = unsafe {
            okr_engine_open(
                OKR_MEMORY_PATH.as_ptr(),
                OKR_MEMORY_PATH.len(),
                ptr::null(),
                0,
                &mut engine,
                ptr::null_mut(),
            )
        };
        assert_eq!(rc, okr_result::Ok);
        engine
    }

    fn query(engine: *mut okr_engine, q: &str) -> (okr_result, String) {
        let (mut out, mut err) = (ptr::null_mut(), ptr::null_mut());
        // SAFETY: valid pointers; outputs are freed here.
        unsafe {
            let rc = okr_engine_query(engine, q.as_ptr(), q.len(), &mut out, &mut err);
            let msg = std::ffi::CStr::from_ptr(okr_error_message(err))
                .to_string_lossy()
                .into_owned();
            okr_bytes_free(out);
            okr_error_free(err);
            (rc, msg)
        }
    }

    #[test]
    fn a_panic_is_caught_and_poisons_the_handle() {
        let engine = open();
        engine::PANIC_NEXT.with(|p| p.set(true));
        let (rc, msg) = query(engine, r#"{"query":"position"}"#);
        assert_eq!(rc, okr_result::Panic);
        assert!(msg.contains("test panic"), "{msg}");
        let (rc, msg) = query(engine, r#"{"query":"position"}"#);
        assert_eq!(rc, okr_result::Poisoned);
        assert!(msg.contains("poisoned"), "{msg}");
        // SAFETY: the handle is live; it is shut down and then freed once.
        unsafe {
            assert_eq!(okr_engine_shutdown(engine, ptr::null_mut()), okr_result::Ok);
            okr_engine_close(engine);
        }
    }

    #[test]
    fn codes_are_stable() {
        for pair in okr_result::ALL.windows(2) {
            assert!((pair[0] as u32) < (pair[1] as u32), "{pair:?} out of order");
        }
        for code in okr_result::ALL {
            assert_eq!(okr_result::from_u32(code as u32), Some(code));
        }
        assert_eq!(okr_result::TooLarge as u32, 19);
        assert_eq!(okr_result::from_u32(999), None);
        // SAFETY: okr_result_str returns static C strings.
        let text = unsafe { std::ffi::CStr::from_ptr(okr_result_str(999)) };
        assert_eq!(text.to_str().unwrap(), "unknown result code");
    }

    #[test]
    fn version_functions() {
        // SAFETY: okr_version returns a static C string.
        let v = unsafe { std::ffi::CStr::from_ptr(okr_version()) };
        assert_eq!(v.to_str().unwrap(), env!("CARGO_PKG_VERSION"));
        assert_eq!(okr_abi_version(), OKR_ABI_VERSION);
    }
}
