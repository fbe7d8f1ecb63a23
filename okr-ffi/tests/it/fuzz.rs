//! Fuzzing the boundary: arbitrary and mutated bytes into `okr_engine_execute`,
//! `okr_engine_execute_batch`, `okr_engine_query` and `okr_engine_import`. No panic may escape,
//! every call returns a defined code other than PANIC or INTERNAL, and on every path exactly
//! one of output and error is set, both freeable.
//!
//! `OKR_FUZZ_CASES` sets the number of cases per target (default 256); a long campaign:
//! `OKR_FUZZ_CASES=1000000 cargo test -p okr-ffi --release --test it fuzz`.

use std::ptr;

use okr_ffi::*;
use proptest::prelude::*;

const SEEDS: &[&str] = &[
    r#"{"version":1,"envelope":{"command_id":"00000000-0000-0000-0001-000000000001","actor":"00000000-0000-0000-0000-000000000001","at":"2025-01-02T09:00:00Z"},"body":{"type":"define_unit","unit":"00000000-0000-0000-0000-000000000100","name":"Federation","kind":"organisation"}}"#,
    r#"{"version":1,"envelope":{"command_id":"00000000-0000-0000-0001-000000000002","actor":"00000000-0000-0000-0000-000000000001","at":"2025-01-02T09:00:00Z"},"body":{"type":"register_person","person":"00000000-0000-0000-0000-000000000001","name":"Alex"}}"#,
    r#"{"version":1,"envelope":{"command_id":"00000000-0000-0000-0001-000000000003","actor":"00000000-0000-0000-0000-000000000001","at":"2025-01-03T09:00:00Z"},"body":{"type":"plan_cycle","cycle":"00000000-0000-0000-0000-000000000200","name":"Q","kind":"regular","start":"2025-01-06","end":"2025-03-28","check_in_weekday":"Mon"}}"#,
    r#"{"version":1,"envelope":{"command_id":"00000000-0000-0000-0001-000000000004","actor":"00000000-0000-0000-0000-000000000001","at":"2025-01-13T09:00:00Z"},"body":{"type":"check_in","key_result":"00000000-0000-0000-0000-000000000400","value":1e308,"confidence":11}}"#,
    r#"{"version":1,"commands":[{"envelope":{"command_id":"00000000-0000-0000-0001-000000000005","actor":"00000000-0000-0000-0000-000000000001","at":"2025-01-03T09:00:00Z"},"body":{"type":"start_cycle","cycle":"00000000-0000-0000-0000-000000000200"}}]}"#,
    r#"{"version":1,"query":"rollup","cycle":"00000000-0000-0000-0000-000000000200"}"#,
    r#"{"version":1,"query":"as_of","position":1,"cycle":"00000000-0000-0000-0000-000000000200"}"#,
    r#"{"version":1,"query":"rescore","cycle":"00000000-0000-0000-0000-000000000200","policy":"v1:unbounded,kr-only,equal"}"#,
    r#"{"version":1,"query":"history","cycle":"00000000-0000-0000-0000-000000000200"}"#,
    r#"{"query":"lints","cycle":"00000000-0000-0000-0000-000000000200","at":"2025-02-01T00:00:00Z"}"#,
    r#"{"query":"state"}"#,
];

fn cases() -> u32 {
    std::env::var("OKR_FUZZ_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(256)
}

struct Handle(*mut okr_engine);
// SAFETY: okr_engine is Send + Sync.
unsafe impl Send for Handle {}
// SAFETY: as above.
unsafe impl Sync for Handle {}

fn engine() -> &'static Handle {
    static ENGINE: std::sync::OnceLock<Handle> = std::sync::OnceLock::new();
    ENGINE.get_or_init(|| {
        let mut e = ptr::null_mut();
        // SAFETY: valid pointers; the engine lives for the whole test process.
        let rc = unsafe {
            okr_engine_open(
                b":memory:".as_ptr(),
                8,
                ptr::null(),
                0,
                &mut e,
                ptr::null_mut(),
            )
        };
        assert_eq!(rc, okr_result::Ok);
        for seed in &SEEDS[..3] {
            let mut out = ptr::null_mut();
            // SAFETY: valid pointers; the output is freed.
            unsafe {
                okr_engine_execute(e, seed.as_ptr(), seed.len(), &mut out, ptr::null_mut());
                okr_bytes_free(out);
            }
        }
        Handle(e)
    })
}

type Call = unsafe extern "C" fn(
    *const okr_engine,
    *const u8,
    usize,
    *mut *mut okr_bytes,
    *mut *mut okr_error,
) -> okr_result;

/// Calls `f` with `input` and checks the contract of every outcome.
fn check(f: Call, input: &[u8]) -> Result<(), TestCaseError> {
    let e = engine().0;
    let (mut out, mut err) = (ptr::null_mut(), ptr::null_mut());
    // SAFETY: valid pointers for the call; the outputs are freed below.
    let code = unsafe { f(e, input.as_ptr(), input.len(), &mut out, &mut err) };
    prop_assert!(
        !matches!(
            code,
            okr_result::Panic | okr_result::Internal | okr_result::Poisoned
        ),
        "{code:?}"
    );
    // SAFETY: `out` and `err` are NULL or live objects of this library, freed once.
    unsafe {
        if code == okr_result::Ok {
            prop_assert!(!out.is_null() && err.is_null());
            let data = std::slice::from_raw_parts(okr_bytes_data(out), okr_bytes_len(out) + 1);
            prop_assert_eq!(data.last(), Some(&0));
            prop_assert!(
                serde_json::from_slice::<serde_json::Value>(&data[..data.len() - 1]).is_ok()
            );
        } else {
            prop_assert!(out.is_null() && !err.is_null());
            prop_assert_eq!(okr_error_code(err), code);
            let message = std::ffi::CStr::from_ptr(okr_error_message(err));
            prop_assert!(message.to_str().is_ok() && !message.to_bytes().is_empty());
        }
        okr_bytes_free(out);
        okr_error_free(err);
    }
    Ok(())
}

/// Arbitrary bytes, JSON-ish text, and seeds with bytes replaced, inserted or removed.
fn inputs() -> impl Strategy<Value = Vec<u8>> {
    let mutated = (
        prop::sample::select(SEEDS),
        prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..6),
    )
        .prop_map(|(seed, edits)| {
            let mut bytes = seed.as_bytes().to_vec();
            for (at, byte, op) in edits {
                let i = at.index(bytes.len().max(1));
                match op {
                    0 if i < bytes.len() => bytes[i] = byte,
                    1 => bytes.insert(i.min(bytes.len()), byte),
                    _ if i < bytes.len() => {
                        bytes.remove(i);
                    }
                    _ => {}
                }
            }
            bytes
        });
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..128),
        "[{}\\[\\]\":,0-9a-z_ -]{0,80}".prop_map(String::into_bytes),
        mutated,
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn execute_never_panics(input in inputs()) {
        check(okr_engine_execute, &input)?;
    }

    #[test]
    fn execute_batch_never_panics(input in inputs()) {
        check(okr_engine_execute_batch, &input)?;
    }

    #[test]
    fn query_never_panics(input in inputs()) {
        check(okr_engine_query, &input)?;
    }

    #[test]
    fn import_never_panics(input in inputs()) {
        let mut e = ptr::null_mut();
        let mut err = ptr::null_mut();
            // SAFETY: valid pointers; the engine and error are freed below.
        unsafe {
            prop_assert_eq!(okr_engine_open(b":memory:".as_ptr(), 8, ptr::null(), 0, &mut e, ptr::null_mut()), okr_result::Ok);
            let code = okr_engine_import(e, input.as_ptr(), input.len(), &mut err);
            prop_assert!(!matches!(code, okr_result::Panic | okr_result::Internal), "{:?}", code);
            prop_assert_eq!(code == okr_result::Ok, err.is_null());
            okr_error_free(err);
            okr_engine_close(e);
        }
    }
}
