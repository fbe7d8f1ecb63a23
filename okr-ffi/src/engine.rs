//! The `okr_engine` handle and its calls.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{RwLock, RwLockReadGuard};

use okr_core::Command;
use okr_store::{Durability, Engine, EngineError, EngineOptions, MemoryStore};

use crate::boundary::{self, encode, input, run, run_out, utf8, Kind};
use crate::bytes::okr_bytes;
use crate::error::{okr_error, okr_result, Error};
use crate::message::{Batch, OpenOptions, Query};
use crate::subscription::okr_subscription;
use okr_wire::run as wire;

/// The path that opens an engine in memory instead of on disk.
pub const OKR_MEMORY_PATH: &str = ":memory:";

/// An engine handle: opened with `okr_engine_open`, shut down with `okr_engine_shutdown`
/// (optional), freed with `okr_engine_close`. May be used from several threads at once.
#[derive(Debug)]
pub struct okr_engine {
    /// The engine; `None` after `okr_engine_shutdown`.
    engine: RwLock<Option<Engine>>,
    /// Set when a call on this handle panicked.
    poisoned: AtomicBool,
}

/// Compile-time proof that a handle may be shared between threads.
const _: fn() = || {
    fn assert<T: Send + Sync>() {}
    assert::<okr_engine>();
};

/// Sets the handle's poison flag if dropped during a panic.
struct PoisonOnPanic<'a>(&'a AtomicBool);

impl Drop for PoisonOnPanic<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.store(true, Ordering::SeqCst);
        }
    }
}

#[cfg(test)]
thread_local! {
    /// Test hook: the next engine call on this thread panics inside the engine lock.
    pub(crate) static PANIC_NEXT: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

impl okr_engine {
    fn new(engine: Engine) -> okr_engine {
        okr_engine {
            engine: RwLock::new(Some(engine)),
            poisoned: AtomicBool::new(false),
        }
    }

    fn read(&self) -> RwLockReadGuard<'_, Option<Engine>> {
        // A panic never happens while the write lock is held (only shutdown takes it, to
        // drop the engine), and read guards do not poison; recover anyway.
        self.engine.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `f` on the open, unpoisoned engine; a panic in `f` poisons the handle.
    fn with<R>(&self, f: impl FnOnce(&Engine) -> Result<R, Error>) -> Result<R, Error> {
        if self.poisoned.load(Ordering::SeqCst) {
            return Err(Error::new(
                okr_result::Poisoned,
                "the engine handle is poisoned: an earlier call on it panicked; shut it down and close it",
            ));
        }
        let guard = self.read();
        let Some(engine) = guard.as_ref() else {
            return Err(Error::new(
                okr_result::Closed,
                "the engine handle is closed: okr_engine_shutdown was called on it",
            ));
        };
        let _poison = PoisonOnPanic(&self.poisoned);
        #[cfg(test)]
        if PANIC_NEXT.with(|p| p.replace(false)) {
            panic!("test panic");
        }
        f(engine)
    }
}

/// The handle behind a pointer, or NULL_ARGUMENT.
///
/// # Safety
///
/// A non-NULL `engine` is a live handle from `okr_engine_open` for the lifetime `'a`.
unsafe fn handle<'a>(engine: *const okr_engine) -> Result<&'a okr_engine, Error> {
    // SAFETY: the caller passes NULL or a live handle.
    unsafe { engine.as_ref() }.ok_or_else(|| Error::null("engine"))
}

/// Turns an engine error into a code and message.
pub(crate) fn engine_error(e: EngineError) -> Error {
    Error::wire(e.into())
}

fn parse_options(bytes: &[u8]) -> Result<(EngineOptions, OpenOptions), Error> {
    let options: OpenOptions =
        okr_wire::parse::options(bytes, "argument `options`").map_err(Error::wire)?;
    let mut engine_options = EngineOptions::default();
    if let Some(d) = &options.durability {
        engine_options.durability = parse_durability(d)?;
    }
    if let Some(n) = options.snapshot_every {
        engine_options.snapshot_every = n;
    }
    if let Some(c) = options.create_if_missing {
        engine_options.create_if_missing = c;
    }
    engine_options
        .organisation
        .clone_from(&options.organisation);
    Ok((engine_options, options))
}

fn parse_durability(d: &str) -> Result<Durability, Error> {
    okr_wire::parse::durability(d).map_err(Error::wire)
}

/// Opens an engine on a sled store at a path (created when missing, unless the options say
/// otherwise), on a PostgreSQL store when the path is a URL
/// `postgres://user@host:port/db?organisation=<name>`, or in memory when the path is
/// `":memory:"`.
///
/// `path`/`path_len`: the path or URL as UTF-8 bytes (no NUL needed). `options`/`options_len`:
/// a JSON object `{"version":1,"durability":"sync"|"periodic:<ms>"|"none","snapshot_every":N,
/// "create_if_missing":bool,"organisation":"<name>"}`, every field optional; NULL with
/// length 0 (or only whitespace) means the defaults (sync, 10000, true). In memory, only
/// `snapshot_every` applies; `organisation` only for a URL (where it replaces the URL's).
///
/// On success `*out` is the new handle, owned by the caller until `okr_engine_close`.
/// Codes: NULL_ARGUMENT, INVALID_UTF8, INVALID_ARGUMENT (empty path, a URL without or with a
/// malformed organisation, an organisation for a path), MALFORMED_JSON,
/// VERSION, INVALID_OPTIONS, NOT_FOUND (missing path with `create_if_missing: false`),
/// STORAGE, CORRUPT, PANIC.
///
/// # Safety
///
/// `path` is valid for reading `path_len` bytes (or NULL), likewise `options`; `out` is
/// valid for writing a pointer; `err` is NULL or valid for writing a pointer.
#[no_mangle]
pub unsafe extern "C" fn okr_engine_open(
    path: *const u8,
    path_len: usize,
    options: *const u8,
    options_len: usize,
    out: *mut *mut okr_engine,
    err: *mut *mut okr_error,
) -> okr_result {
    // SAFETY: the caller upholds the pointer contracts stated above.
    unsafe {
        run_out(out, "out", err, || {
            if path.is_null() {
                return Err(Error::null("path"));
            }
            let path = utf8(input(path, path_len, "path")?, "path")?;
            if path.is_empty() {
                return Err(Error::new(
                    okr_result::InvalidArgument,
                    "argument `path` is empty; use \":memory:\" for an engine in memory",
                ));
            }
            if let Some(at) = path.find('\0') {
                return Err(Error::new(
                    okr_result::InvalidArgument,
                    format!(
                        "argument `path` holds a NUL byte at offset {at}; a path cannot contain one (pass `path_len` without a terminating NUL)"
                    ),
                ));
            }
            let (engine_options, _) = parse_options(input(options, options_len, "options")?)?;
            let engine = if path == OKR_MEMORY_PATH {
                if engine_options.organisation.is_some() {
                    return Err(Error::new(
                        okr_result::InvalidOptions,
                        "invalid options at `organisation`: an engine in memory holds one organisation; name a postgres:// store",
                    ));
                }
                Engine::with_store(MemoryStore::new(), engine_options.snapshot_every)
            } else {
                Engine::open_with(path, engine_options)
            }
            .map_err(engine_error)?;
            Ok(okr_engine::new(engine))
        })
    }
}

/// Shuts the engine down: waits for calls in flight, flushes and closes the store (releasing
/// its lock on the directory), and keeps the handle, on which every later call returns
/// `OKR_RESULT_CLOSED`. Shutting down twice is OK. A poisoned handle can be shut down. The
/// handle must still be freed with `okr_engine_close`.
///
/// # Safety
///
/// `engine` is a live handle from `okr_engine_open`; `err` is NULL or valid for writing a
/// pointer.
#[no_mangle]
pub unsafe extern "C" fn okr_engine_shutdown(
    engine: *const okr_engine,
    err: *mut *mut okr_error,
) -> okr_result {
    // SAFETY: the caller upholds the pointer contracts stated above.
    unsafe {
        run(err, || {
            let h = handle(engine)?;
            let taken = h.engine.write().unwrap_or_else(|e| e.into_inner()).take();
            drop(taken);
            Ok(())
        })
    }
}

/// Closes and frees a handle (shutting it down first if needed). NULL is accepted and
/// ignored. The handle must not be used afterwards, nor be in use by another thread.
///
/// # Safety
///
/// `engine` is NULL or a handle from `okr_engine_open`, closed at most once, with no call on
/// it running or following.
#[no_mangle]
pub unsafe extern "C" fn okr_engine_close(engine: *mut okr_engine) {
    if engine.is_null() {
        return;
    }
    // SAFETY: a non-NULL `engine` came from `Box::into_raw` in `okr_engine_open` and the
    // caller gives it up here.
    let boxed = unsafe { Box::from_raw(engine) };
    // Dropping flushes the store; a panic there must not cross the boundary.
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || drop(boxed)));
}

/// Executes one command, given as JSON:
/// `{"version":1,"envelope":{"command_id":"<uuid>","actor":"<uuid>","at":"<RFC 3339>"},
/// "body":{"type":"plan_cycle",...}}` (see `schema/command.json`).
///
/// On success `*out` holds `{"version":1,"stream":..,"events":[..],"positions":[..],
/// "lints":[..],"duplicate":bool}`. A command id seen before returns the original outcome
/// with `"duplicate":true`. Codes: NULL_ARGUMENT, INVALID_UTF8, MALFORMED_JSON, VERSION,
/// INVALID_COMMAND, REJECTED (message: the rejection as JSON), STORAGE, CLOSED, POISONED,
/// PANIC. On failure nothing was written.
///
/// # Safety
///
/// `engine` is a live handle; `json` is valid for reading `json_len` bytes (or NULL with 0);
/// `out` is valid for writing a pointer; `err` is NULL or valid for writing a pointer.
#[no_mangle]
pub unsafe extern "C" fn okr_engine_execute(
    engine: *const okr_engine,
    json: *const u8,
    json_len: usize,
    out: *mut *mut okr_bytes,
    err: *mut *mut okr_error,
) -> okr_result {
    // SAFETY: the caller upholds the pointer contracts stated above.
    unsafe {
        run_out(out, "out", err, || {
            let h = handle(engine)?;
            let command: Command =
                boundary::message(input(json, json_len, "json")?, "json", Kind::Command)?;
            h.with(|e| {
                let outcome = wire::execute(e, &command).map_err(Error::wire)?;
                Ok(okr_bytes::new(encode(&outcome)?))
            })
        })
    }
}

/// Executes several commands as one all-or-nothing append:
/// `{"version":1,"commands":[<command>, ...]}` (commands without their own `version`).
///
/// On success `*out` holds `{"version":1,"outcomes":[<outcome>, ...]}`. When a command is
/// refused, nothing is written and the REJECTED message carries its `index`. Codes as
/// `okr_engine_execute`.
///
/// # Safety
///
/// As `okr_engine_execute`.
#[no_mangle]
pub unsafe extern "C" fn okr_engine_execute_batch(
    engine: *const okr_engine,
    json: *const u8,
    json_len: usize,
    out: *mut *mut okr_bytes,
    err: *mut *mut okr_error,
) -> okr_result {
    // SAFETY: the caller upholds the pointer contracts stated above.
    unsafe {
        run_out(out, "out", err, || {
            let h = handle(engine)?;
            let batch: Batch =
                boundary::message(input(json, json_len, "json")?, "json", Kind::Batch)?;
            h.with(|e| {
                let outcomes = wire::execute_batch(e, &batch.commands).map_err(Error::wire)?;
                Ok(okr_bytes::new(encode(&outcomes)?))
            })
        })
    }
}

/// Answers a query, given as JSON `{"version":1,"query":"<name>", ...}`:
///
/// | query | parameters | result fields |
/// |---|---|---|
/// | `state` | | `position`, `state` |
/// | `position` | | `position` (`null` for an empty log) |
/// | `cycle` | `cycle` | `position`, `cycle` |
/// | `rollup` | `cycle` | `position`, `rollup` (ppm) |
/// | `alignment` | `cycle` | `position`, `alignment` (per objective: own and with-aligned progress, contributions, dependencies) |
/// | `scores` | `cycle` | `scores` |
/// | `rescore` | `cycle`, `policy` (e.g. `"unbounded,kr-only"` or an object) | `scores` |
/// | `lints` | `cycle`, `at` | `cycle`, `at`, `lints` |
/// | `history` | `cycle` | `history` |
/// | `as_of` | `position` or `at`, optional `cycle` | `state`, or `cycle` and `rollup` |
/// | `board` | optional `cycle`, at most one of `unit`, `objective`, `key_result` | `board` (initiatives in Kanban columns ranked by impact over effort, `top3`; as `okr board --json`) |
///
/// Every result is `{"version":1,"query":"<name>", ...}` (see `schema/query_result.json`).
/// On a PostgreSQL store, which other processes append to, the engine first catches up with
/// the log, so the answer covers what every process appended before the query.
/// Codes: NULL_ARGUMENT, INVALID_UTF8, MALFORMED_JSON, VERSION, INVALID_QUERY, NOT_FOUND
/// (unknown cycle, position beyond the end), CORRUPT, STORAGE, CLOSED, POISONED, PANIC.
///
/// # Safety
///
/// As `okr_engine_execute`.
#[no_mangle]
pub unsafe extern "C" fn okr_engine_query(
    engine: *const okr_engine,
    json: *const u8,
    json_len: usize,
    out: *mut *mut okr_bytes,
    err: *mut *mut okr_error,
) -> okr_result {
    // SAFETY: the caller upholds the pointer contracts stated above.
    unsafe {
        run_out(out, "out", err, || {
            let h = handle(engine)?;
            let query: Query =
                boundary::message(input(json, json_len, "json")?, "json", Kind::Query)?;
            h.with(|e| {
                okr_wire::run::answer(e, query)
                    .map(okr_bytes::new)
                    .map_err(Error::wire)
            })
        })
    }
}

/// Writes the whole log as JSON Lines, as stored: one event per line, each with its
/// `schema_version`, in log order. `okr_engine_import` reads it back.
///
/// # Safety
///
/// `engine` is a live handle; `out` is valid for writing a pointer; `err` is NULL or valid
/// for writing a pointer.
#[no_mangle]
pub unsafe extern "C" fn okr_engine_export(
    engine: *const okr_engine,
    out: *mut *mut okr_bytes,
    err: *mut *mut okr_error,
) -> okr_result {
    // SAFETY: the caller upholds the pointer contracts stated above.
    unsafe {
        run_out(out, "out", err, || {
            let h = handle(engine)?;
            h.with(|e| {
                let mut buf = Vec::new();
                e.export(&mut buf).map_err(engine_error)?;
                Ok(okr_bytes::new(buf))
            })
        })
    }
}

/// Imports a JSON Lines log (as `okr_engine_export` writes it) into an engine whose store is
/// empty. Every line is checked before anything is written; the first bad one is reported
/// as IMPORT with its line number, and nothing is imported.
///
/// # Safety
///
/// `engine` is a live handle; `data` is valid for reading `data_len` bytes (or NULL with 0);
/// `err` is NULL or valid for writing a pointer.
#[no_mangle]
pub unsafe extern "C" fn okr_engine_import(
    engine: *const okr_engine,
    data: *const u8,
    data_len: usize,
    err: *mut *mut okr_error,
) -> okr_result {
    // SAFETY: the caller upholds the pointer contracts stated above.
    unsafe {
        run(err, || {
            let h = handle(engine)?;
            let data = input(data, data_len, "data")?;
            utf8(data, "data")?;
            h.with(|e| e.import(data).map(drop).map_err(engine_error))
        })
    }
}

/// Up to `max` events (at most 10 000) from global position `position` on, for polling:
/// `{"version":1,"events":[{"position","stream","stream_version","event_id","command_id",
/// "event_type","schema_version","event"}, ...],"next_position":N}`. Poll again from
/// `next_position`. An empty list means nothing new.
///
/// `position` may be at most the position the next event will get (the number of events in
/// the log): there the list is empty and `next_position` is `position`. Beyond it the code is
/// NOT_FOUND, as for an `as_of` query beyond the end. `max` of 0 is INVALID_ARGUMENT.
///
/// # Safety
///
/// `engine` is a live handle; `out` is valid for writing a pointer; `err` is NULL or valid
/// for writing a pointer.
#[no_mangle]
pub unsafe extern "C" fn okr_engine_events_since(
    engine: *const okr_engine,
    position: u64,
    max: usize,
    out: *mut *mut okr_bytes,
    err: *mut *mut okr_error,
) -> okr_result {
    // SAFETY: the caller upholds the pointer contracts stated above.
    unsafe {
        run_out(out, "out", err, || {
            let h = handle(engine)?;
            h.with(|e| {
                let page = okr_wire::run::events_page(e, position, max).map_err(Error::wire)?;
                Ok(okr_bytes::new(encode(&page)?))
            })
        })
    }
}

/// Makes every append so far durable, whatever the durability the engine was opened with:
/// under `"none"` the only way to, under `"periodic:<ms>"` it does not wait for the next
/// period, under `"sync"` every acknowledged append is durable already. In memory there is
/// nothing to do. Codes: NULL_ARGUMENT, STORAGE, CLOSED, POISONED, PANIC.
///
/// # Safety
///
/// `engine` is a live handle; `err` is NULL or valid for writing a pointer.
#[no_mangle]
pub unsafe extern "C" fn okr_engine_flush(
    engine: *const okr_engine,
    err: *mut *mut okr_error,
) -> okr_result {
    // SAFETY: the caller upholds the pointer contracts stated above.
    unsafe {
        run(err, || {
            let h = handle(engine)?;
            h.with(|e| e.flush().map_err(engine_error))
        })
    }
}

/// Walks the whole log and checks its hash chain: every event's hash must chain to the one
/// before it, positions gapless. On success `*out` holds `{"version":1,"events":N,
/// "head":"<64 hex digits>"|null,"intact":bool,"broken":null|{"position":N,"stored":..,
/// "computed":..,"detail":".."}}` (see `schema/verify.json`): a broken link is reported, not
/// returned as an error, so a caller can show where the log was altered. Codes:
/// NULL_ARGUMENT, STORAGE, CORRUPT (the store cannot be read at all), CLOSED, POISONED,
/// PANIC.
///
/// # Safety
///
/// `engine` is a live handle; `out` is valid for writing a pointer; `err` is NULL or valid
/// for writing a pointer.
#[no_mangle]
pub unsafe extern "C" fn okr_engine_verify(
    engine: *const okr_engine,
    out: *mut *mut okr_bytes,
    err: *mut *mut okr_error,
) -> okr_result {
    // SAFETY: the caller upholds the pointer contracts stated above.
    unsafe {
        run_out(out, "out", err, || {
            let h = handle(engine)?;
            h.with(|e| {
                let report = e.verify().map_err(engine_error)?;
                Ok(okr_bytes::new(encode(&okr_wire::message::Versioned::new(
                    report,
                ))?))
            })
        })
    }
}

/// Decides a command without writing it (a dry run): the same input and the same refusals as
/// `okr_engine_execute`, nothing recorded. On success `*out` holds `{"version":1,"stream":..,
/// "events":[..],"lints":[..],"duplicate":bool}` (see `schema/validation.json`): the events
/// executing it now would record and the lints it would meet; for a command id executed
/// before, `"duplicate":true` and its original events. Another command may change the state
/// before the real execution, which can then still be refused. Codes as
/// `okr_engine_execute`.
///
/// # Safety
///
/// As `okr_engine_execute`.
#[no_mangle]
pub unsafe extern "C" fn okr_engine_validate(
    engine: *const okr_engine,
    json: *const u8,
    json_len: usize,
    out: *mut *mut okr_bytes,
    err: *mut *mut okr_error,
) -> okr_result {
    // SAFETY: the caller upholds the pointer contracts stated above.
    unsafe {
        run_out(out, "out", err, || {
            let h = handle(engine)?;
            let command: Command =
                boundary::message(input(json, json_len, "json")?, "json", Kind::Command)?;
            h.with(|e| {
                let dry = wire::validate(e, &command).map_err(Error::wire)?;
                Ok(okr_bytes::new(encode(&dry)?))
            })
        })
    }
}

/// Subscribes to every event from global position `from` on, including events appended
/// later: poll it with `okr_subscription_next`, free it with `okr_subscription_free`.
/// `from` may be at most the position the next event will get (beyond: NOT_FOUND).
///
/// The subscription is independent of the handle's lifetime: after `okr_engine_shutdown` or
/// `okr_engine_close` it delivers what had arrived and then answers CLOSED. Events wait in
/// memory until they are polled (an unpolled subscription grows).
///
/// # Safety
///
/// `engine` is a live handle; `out` is valid for writing a pointer; `err` is NULL or valid
/// for writing a pointer.
#[no_mangle]
pub unsafe extern "C" fn okr_engine_subscribe(
    engine: *const okr_engine,
    from: u64,
    out: *mut *mut okr_subscription,
    err: *mut *mut okr_error,
) -> okr_result {
    // SAFETY: the caller upholds the pointer contracts stated above.
    unsafe {
        run_out(out, "out", err, || {
            let h = handle(engine)?;
            h.with(|e| {
                let next = e.next_position();
                if from > next {
                    return Err(Error::new(
                        okr_result::NotFound,
                        format!(
                            "position {from} is beyond the end of the log (the next event gets position {next})"
                        ),
                    ));
                }
                let sub = e.subscribe(from).map_err(engine_error)?;
                Ok(okr_subscription::new(sub, from))
            })
        })
    }
}
