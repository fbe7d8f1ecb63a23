//! The `okr_engine` handle and its calls.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{RwLock, RwLockReadGuard};

use okr_core::rollup::{self, ScoringPolicy};
use okr_core::{lint, Command, CycleId};
use okr_store::{AsOf, Durability, Engine, EngineError, EngineOptions, MemoryStore, StoreError};

use crate::boundary::{self, encode, input, run, run_out, utf8, Kind};
use crate::bytes::okr_bytes;
use crate::error::{okr_error, okr_result, Error};
use crate::message::{
    Batch, BatchOutcome, EventRecord, EventsPage, OpenOptions, PolicyArg, Query, QueryResult,
    RejectionMessage, Versioned,
};

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
    match e {
        EngineError::Rejected(rejection) => rejected(None, rejection),
        EngineError::BatchRejected { index, rejection } => rejected(Some(index), rejection),
        EngineError::Store(s) => store_error(s),
        e @ EngineError::Corrupt { .. } => Error::new(okr_result::Corrupt, e.to_string()),
        e @ (EngineError::Import { .. } | EngineError::ImportIntoNonEmpty { .. }) => {
            Error::new(okr_result::Import, e.to_string())
        }
        e @ EngineError::BeyondEnd { .. } => Error::new(okr_result::NotFound, e.to_string()),
        e @ EngineError::CommandConflict { .. } => Error::new(okr_result::Conflict, e.to_string()),
        e => Error::new(okr_result::Storage, e.to_string()),
    }
}

fn store_error(s: StoreError) -> Error {
    let code = match &s {
        StoreError::Corrupt { .. } | StoreError::Missing { .. } => okr_result::Corrupt,
        StoreError::NotAnOkrStore { path, .. } if !path.exists() => okr_result::NotFound,
        _ => okr_result::Storage,
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
    Error::new(okr_result::Rejected, text)
}

fn unknown_cycle(cycle: CycleId) -> Error {
    Error::new(okr_result::NotFound, format!("unknown cycle {cycle}"))
}

fn parse_options(bytes: &[u8]) -> Result<(EngineOptions, OpenOptions), Error> {
    let options: OpenOptions = if bytes.iter().all(u8::is_ascii_whitespace) {
        utf8(bytes, "options")?;
        OpenOptions {
            durability: None,
            snapshot_every: None,
            create_if_missing: None,
        }
    } else {
        boundary::message(bytes, "options", Kind::Options)?
    };
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
    Ok((engine_options, options))
}

fn parse_durability(d: &str) -> Result<Durability, Error> {
    let bad = || {
        Error::new(
            okr_result::InvalidOptions,
            format!(
                "invalid options at `durability`: `{d}` is not one of \"sync\", \"periodic:<ms>\", \"none\""
            ),
        )
    };
    match d {
        "sync" => Ok(Durability::Sync),
        "none" => Ok(Durability::None),
        _ => match d.strip_prefix("periodic:") {
            Some(ms) => ms.parse().map(Durability::Periodic).map_err(|_| bad()),
            None => Err(bad()),
        },
    }
}

/// Opens an engine on a sled store at a path (created when missing, unless the options say
/// otherwise), or in memory when the path is `":memory:"`.
///
/// `path`/`path_len`: the path as UTF-8 bytes (no NUL needed). `options`/`options_len`: a
/// JSON object `{"version":1,"durability":"sync"|"periodic:<ms>"|"none","snapshot_every":N,
/// "create_if_missing":bool}`, every field optional; NULL with length 0 (or only
/// whitespace) means the defaults (sync, 10000, true). In memory, only `snapshot_every`
/// applies.
///
/// On success `*out` is the new handle, owned by the caller until `okr_engine_close`.
/// Codes: NULL_ARGUMENT, INVALID_UTF8, INVALID_ARGUMENT (empty path), MALFORMED_JSON,
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
            let (engine_options, _) = parse_options(input(options, options_len, "options")?)?;
            let engine = if path == OKR_MEMORY_PATH {
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
                let outcome = e.execute(&command).map_err(engine_error)?;
                Ok(okr_bytes::new(encode(&Versioned::new(outcome))?))
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
                let outcomes = e.execute_batch(&batch.commands).map_err(engine_error)?;
                Ok(okr_bytes::new(encode(&Versioned::new(BatchOutcome {
                    outcomes,
                }))?))
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
/// | `scores` | `cycle` | `scores` |
/// | `rescore` | `cycle`, `policy` (e.g. `"unbounded,kr-only"` or an object) | `scores` |
/// | `lints` | `cycle`, `at` | `cycle`, `at`, `lints` |
/// | `history` | `cycle` | `history` |
/// | `as_of` | `position` or `at`, optional `cycle` | `state`, or `cycle` and `rollup` |
///
/// Every result is `{"version":1,"query":"<name>", ...}` (see `schema/query_result.json`).
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
            h.with(|e| answer(e, query).map(okr_bytes::new))
        })
    }
}

fn answer(e: &Engine, query: Query) -> Result<Vec<u8>, Error> {
    match query {
        Query::State => {
            // Read before the state: never more than the state holds. (Calling `position`
            // inside `read` would take the state lock twice.)
            let position = e.position();
            e.read(|s| encode(&Versioned::new(QueryResult::State { position, state: s })))
        }
        Query::Position => encode(&Versioned::new(QueryResult::Position {
            position: e.position(),
        })),
        Query::Cycle { cycle } => {
            let position = e.position();
            e.read(|s| {
                let c = s.cycles.get(&cycle).ok_or_else(|| unknown_cycle(cycle))?;
                encode(&Versioned::new(QueryResult::Cycle { position, cycle: c }))
            })
        }
        Query::Rollup { cycle } => {
            let position = e.position();
            let rollup = e.cycle_rollup(cycle).ok_or_else(|| unknown_cycle(cycle))?;
            encode(&Versioned::new(QueryResult::Rollup { position, rollup }))
        }
        Query::Scores { cycle } => {
            let scores = e.cycle_scores(cycle).ok_or_else(|| unknown_cycle(cycle))?;
            encode(&Versioned::new(QueryResult::Scores { scores }))
        }
        Query::Rescore { cycle, policy } => {
            let policy = match policy {
                PolicyArg::Name(n) => ScoringPolicy::parse(&n).map_err(|m| {
                    Error::new(
                        okr_result::InvalidQuery,
                        format!("invalid query at `policy`: {m}"),
                    )
                })?,
                PolicyArg::Policy(p) => p,
            };
            let scores = e
                .read(|s| rollup::rescore(s, cycle, &policy))
                .ok_or_else(|| unknown_cycle(cycle))?;
            encode(&Versioned::new(QueryResult::Rescore { scores }))
        }
        Query::Lints { cycle, at } => {
            let lints = e.read(|s| {
                s.cycles
                    .contains_key(&cycle)
                    .then(|| lint::cycle(s, cycle, at))
            });
            let lints = lints.ok_or_else(|| unknown_cycle(cycle))?;
            encode(&Versioned::new(QueryResult::Lints { cycle, at, lints }))
        }
        Query::History { cycle } => {
            let history = e
                .history(cycle)
                .map_err(engine_error)?
                .ok_or_else(|| unknown_cycle(cycle))?;
            encode(&Versioned::new(QueryResult::History { history }))
        }
        Query::AsOf {
            position,
            at,
            cycle,
        } => {
            let target = match (position, at) {
                (Some(p), None) => AsOf::Position(p),
                (None, Some(t)) => AsOf::Time(t),
                _ => {
                    return Err(Error::new(
                        okr_result::InvalidQuery,
                        "invalid query: `as_of` needs exactly one of `position` and `at`",
                    ))
                }
            };
            let state = e.as_of(target).map_err(engine_error)?;
            match cycle {
                None => encode(&Versioned::new(QueryResult::AsOf {
                    position,
                    at,
                    state: Some(&state),
                    cycle: None,
                    rollup: None,
                })),
                Some(id) => {
                    let c = state.cycles.get(&id).ok_or_else(|| unknown_cycle(id))?;
                    encode(&Versioned::new(QueryResult::AsOf {
                        position,
                        at,
                        state: None,
                        cycle: Some(c),
                        rollup: Some(rollup::cycle(c)),
                    }))
                }
            }
        }
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

/// Up to `max` events from global position `position` on, for polling:
/// `{"version":1,"events":[{"position","stream","stream_version","event_id","command_id",
/// "event_type","schema_version","event"}, ...],"next_position":N}`. Poll again from
/// `next_position`. An empty list means nothing new.
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
                let recorded = e.events_from(position, max).map_err(engine_error)?;
                let mut events = Vec::with_capacity(recorded.len());
                for r in &recorded {
                    let event = e.decode(r).map_err(engine_error)?;
                    events.push(EventRecord {
                        position: r.global_position,
                        stream: r.stream.name(),
                        stream_version: r.stream_version,
                        event_id: r.event_id,
                        command_id: r.command_id,
                        event_type: r.event_type.clone(),
                        schema_version: r.schema_version,
                        event,
                    });
                }
                let next_position = events.last().map_or(position, |r| r.position + 1);
                Ok(okr_bytes::new(encode(&Versioned::new(EventsPage {
                    events,
                    next_position,
                }))?))
            })
        })
    }
}
