//! The okr event store and the [`Engine`] that runs okr-core's rules on it.
//!
//! Embedders open an [`Engine`] on a path, execute commands and read state; the engine
//! decides each command with okr-core, appends its events durably and idempotently, and folds
//! them into the state:
//!
//! ```
//! use okr_core::{Command, CommandBody, PersonId, UnitId, UnitKind};
//! use okr_store::{AsOf, Engine, EngineError};
//!
//! let dir = tempfile::tempdir().unwrap();
//! let engine = Engine::open(dir.path().join("okr")).unwrap();
//! let master = PersonId::from_u128(1);
//! let at = "2025-01-06T09:00:00Z".parse().unwrap();
//! let command = |n: u128, body| Command::new(uuid::Uuid::from_u128(n), master, at, body);
//! let root = UnitId::from_u128(10);
//! let define = command(1, CommandBody::DefineUnit {
//!     unit: root,
//!     name: "Federation".into(),
//!     kind: UnitKind::Organisation,
//!     parent: None,
//! });
//! let outcome = engine.execute(&define).unwrap();
//! assert_eq!((outcome.stream.as_str(), outcome.positions.as_slice()), ("org", &[0][..]));
//! engine.execute(&command(2, CommandBody::RegisterPerson { person: master, name: "Alex".into() })).unwrap();
//!
//! // A retry of the same command id returns the original outcome and writes nothing.
//! assert!(engine.execute(&define).unwrap().duplicate);
//! // A command the rules refuse is told apart from a storage failure.
//! let again = command(3, CommandBody::DefineUnit {
//!     unit: root,
//!     name: "Twice".into(),
//!     kind: UnitKind::Organisation,
//!     parent: None,
//! });
//! assert!(matches!(engine.execute(&again), Err(EngineError::Rejected(_))));
//!
//! assert_eq!(engine.read(|state| state.people.len()), 1);
//! assert_eq!(engine.position(), Some(1));
//! let before = engine.as_of(AsOf::Position(0)).unwrap();
//! assert!(before.people.is_empty());
//! ```
//!
//! Underneath, the store knows nothing about OKRs: it keeps [`RecordedEvent`] envelopes (event
//! id, stream, stream version, global position, type, schema version, time, actor, command
//! and correlation ids) whose payload is JSON. Streams are okr-core's [`StreamId`]s, kept by
//! name: `"org"` and `"cycle-<uuid>"`. A stream's version is its number of events, as in
//! okr-core. Every backend implements [`EventStore`] (the log, snapshots, and a scan of
//! borrowed [`EventView`]s for replays) and passes the same conformance suite
//! (`tests/it/conformance.rs`); the [`Engine`] uses nothing else.
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use okr_store::{EventStore, ExpectedVersion, MemoryStore, NewEvent, StoreError, StreamId};
//! use serde_json::json;
//! use uuid::Uuid;
//!
//! let store = MemoryStore::new();
//! let org = StreamId::Organisation;
//! let at = Utc.with_ymd_and_hms(2025, 1, 6, 9, 0, 0).unwrap();
//! let event = NewEvent::new("UnitAdded", 1, json!({"name": "Sales"}), "ada", at);
//! let command = Uuid::from_u128(1);
//!
//! let outcome = store
//!     .append(&org, ExpectedVersion::NoStream, command, vec![event.clone()])
//!     .unwrap();
//! assert_eq!(outcome.first_position(), Some(0));
//! assert!(!outcome.duplicate);
//!
//! // Retrying the same command writes nothing and returns the original outcome.
//! let retry = store
//!     .append(&org, ExpectedVersion::NoStream, command, vec![event.clone()])
//!     .unwrap();
//! assert!(retry.duplicate);
//! assert_eq!(retry.events, outcome.events);
//!
//! // A new command with a stale expectation is a conflict.
//! let err = store
//!     .append(&org, ExpectedVersion::NoStream, Uuid::from_u128(2), vec![event])
//!     .unwrap_err();
//! assert!(matches!(err, StoreError::VersionConflict { actual: 1, .. }));
//!
//! assert_eq!(store.read_stream(&org, 0).unwrap().len(), 1);
//! assert_eq!(store.stream_version(&org).unwrap(), 1);
//! ```
//!
//! On disk the same calls go to a [`SledStore`]:
//!
//! ```
//! use okr_store::{Durability, EventStore, SledStore, StoreOptions};
//!
//! let dir = tempfile::tempdir().unwrap();
//! let options = StoreOptions { durability: Durability::Sync, ..StoreOptions::default() };
//! let store = SledStore::open(dir.path().join("events"), options).unwrap();
//! assert_eq!(store.last_position().unwrap(), None);
//! ```
//!
//! # Tests
//!
//! `cargo test -p okr-store` runs the conformance suite on both backends, the sled-specific
//! tests (reopen, foreign and damaged stores), concurrency tests (of the store and of the
//! engine), the engine tests (a whole cycle, reopen, time travel, subscriptions, batches,
//! snapshots, import and export, and the committed v1 fixture log
//! `tests/fixtures/v1-log.jsonl` that later versions must keep reading), and a crash test that kills
//! a writer process with `SIGKILL` 100 times (20 when `CI` is set) and checks that every
//! acknowledged append survived. For a longer crash run:
//!
//! ```text
//! OKR_CRASH_CYCLES=1000 cargo test -p okr-store --release --test crash
//! ```
//!
//! A corruption campaign (`tests/corruption.rs`) damages every file of a store (flipped
//! bytes, truncations) and checks that each open yields the whole acknowledged log or
//! refuses, and that a refused open changed nothing; a longer one:
//!
//! ```text
//! OKR_CORRUPTION_CASES=400 cargo test -p okr-store --release --test corruption
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

// Modules, each using only those before it: version, error, chain, event, codec, scan, snapshot,
// store, memory, wal, sled_store, upcast, engine. (rustfmt sorts the declarations.)
pub mod chain;
mod codec;
pub mod engine;
pub mod error;
pub mod event;
pub mod keys;
pub mod memory;
#[cfg(feature = "postgres")]
pub mod postgres_store;
pub mod scan;
pub mod sled_store;
pub mod snapshot;
pub mod store;
pub mod upcast;
pub mod version;
mod wal;

pub use chain::{EventHash, Fingerprint};
pub use engine::{
    AsOf, BackupReport, BrokenLink, DryRun, Engine, EngineError, EngineOptions, EngineStats,
    ExecuteOutcome, ImportOptions, Refusal, Subscription, VerifyReport,
};
pub use error::StoreError;
pub use event::{derive_event_id, EventView, NewEvent, RecordedEvent};
pub use keys::{Key, KeyEntry, KeyOwner, Keyring};
pub use memory::MemoryStore;
pub use okr_core::{ParseStreamIdError, StreamId};
#[cfg(feature = "postgres")]
pub use postgres_store::{is_postgres_url, PostgresOptions, PostgresStore};
pub use scan::ScanChunk;
pub use sled_store::{Durability, SledStore, StoreOptions, LOCK_WAIT};
pub use store::{AppendOutcome, AppendRequest, EventStore, PendingAppend, WriterTurn};
pub use upcast::Upcasters;
pub use version::ExpectedVersion;

/// Compile-time proof that the stores can be shared between threads.
const _: () = {
    const fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<MemoryStore>();
    assert_send_sync::<SledStore>();
    #[cfg(feature = "postgres")]
    assert_send_sync::<postgres_store::PostgresStore>();
};
