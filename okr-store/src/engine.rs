//! The [`Engine`]: okr-core's rules on top of an event store. What embedders use.
//!
//! An engine owns a store (a [`SledStore`] on a path, a [`MemoryStore`], or any other
//! [`EventStore`]: it uses nothing of a store but that trait) and the [`State`] folded from its
//! log. [`Engine::execute`] decides a command against that state, appends the
//! events (one atomic, idempotent append per command) and only then applies them; a refused
//! command ([`EngineError::Rejected`]) and a failed write ([`EngineError::Store`]) both leave
//! state and log as they were.
//!
//! # Mapping between core events and stored events
//!
//! | [`RecordedEvent`] field | from the core [`Event`] / [`Command`] |
//! |---|---|
//! | `stream` | the [`okr_core::StreamId`] the command is routed to, kept by its name (`org` or `cycle-<uuid>`) |
//! | `event_type`, `schema_version` | [`EventBody::event_type`], [`EventBody::schema_version`] |
//! | `payload` | the [`EventBody`] as JSON, including its `type` tag |
//! | `actor` | `by`, the acting person's UUID as a string |
//! | `recorded_at` | `at`, the envelope's time |
//! | `command_id` | the envelope's command id |
//! | `stream_version` | the stream's version (its number of events) before the event, as [`State::stream_version`] counts it |
//!
//! Reading back runs the payload through the [`Upcasters`] and decodes it; an event that does
//! not decode is [`EngineError::Corrupt`] naming its global position.
//!
//! # Threads
//!
//! `Engine` is `Send + Sync`; share it with an `Arc`. Commands are decided and staged one at
//! a time under a writer mutex, against the *state ahead*: the readers' state plus every
//! append staged but not yet durable. The mutex is released while the append waits for the
//! disk, so the commands of several threads share one `fdatasync` (group commit). Once an
//! append is durable its events are applied to the readers' state, in position order, and
//! delivered to subscribers. Readers ([`Engine::read`] and the query wrappers) take a read
//! lock on that state, so they never see an event a crash could take back; the lock is
//! held exclusively only while durable events are applied. The engine keeps both states in
//! memory, so it needs about twice the memory of one.

use std::collections::{HashSet, VecDeque};
use std::io::{BufRead, Write};
use std::ops::ControlFlow;
use std::path::Path;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, TryRecvError};
use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard, Weak};
use std::time::Duration;

use chrono::{DateTime, Utc};
use okr_core::lint::{self, Lint};
use okr_core::rollup::{self, CycleRollup, CycleScores, History};
use okr_core::{
    decide, Command, CycleId, Decision, Event, EventBody, PersonId, Rejection, State, StreamId,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::chain::{same_command, EventHash, Fingerprint};
use crate::error::StoreError;
use crate::event::{derive_event_id, EventView, NewEvent, RecordedEvent};
use crate::keys::{Key, KeyEntry, KeyOwner, Keyring, Sealer};
use crate::memory::MemoryStore;
use crate::scan::ScanChunk;
use crate::sled_store::{Durability, SledStore, StoreOptions};
use crate::snapshot::{self, SnapshotHeader, SNAPSHOTS_KEPT};
use crate::store::{AppendOutcome, AppendRequest, EventStore, PendingAppend};
use crate::upcast::Upcasters;
use crate::version::ExpectedVersion;

/// How many events an export or catch-up reads from the store at a time.
const CHUNK: usize = 4096;
/// How many threads at most decode the events of a replay.
const REPLAY_THREADS: usize = 4;
/// How often a command is decided again when another process appended to its stream first.
pub const MAX_ATTEMPTS: u32 = 16;
/// How long a subscription on a shared store waits for a notification before it reads the
/// log anyway.
const FOLLOW_POLL: Duration = Duration::from_millis(500);

/// Everything that can go wrong in the engine.
///
/// [`EngineError::Rejected`] and [`EngineError::BatchRejected`] mean the command was refused
/// by the rules; everything else is about storage or input data. Nothing is written or
/// applied when any error is returned.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EngineError {
    /// The command was refused by okr-core; the rejection says which rule and why.
    #[error("command refused: {0}")]
    Rejected(Rejection),

    /// A command of [`Engine::execute_batch`] was refused; nothing of the batch was written.
    #[error("command {index} of the batch refused: {rejection}")]
    BatchRejected {
        /// The index of the refused command in the batch, from 0.
        index: usize,
        /// Why it was refused.
        rejection: Rejection,
    },

    /// The command id was used before for another command (another actor or body: see
    /// [`Fingerprint`]); nothing was written. `index` is the command's index in an
    /// [`Engine::execute_batch`], from 0.
    #[error("command id {command_id}{} was already used for another command; give a new command a new id", index.map_or(String::new(), |i| format!(" (command {i} of the batch)")))]
    CommandConflict {
        /// The command id used twice.
        command_id: Uuid,
        /// The index in the batch, `None` for a single command.
        index: Option<usize>,
    },

    /// The store failed (I/O, sled, a stale expected version, a damaged store, ...).
    #[error("storage failure: {0}")]
    Store(StoreError),

    /// A stored event could not be turned back into a core event: its payload, actor or type
    /// do not decode, or an upcaster failed.
    #[error("event at global position {position} is corrupt: {detail}")]
    Corrupt {
        /// The event's global position.
        position: u64,
        /// What is wrong, with the decoder's message.
        detail: String,
    },

    /// A line of an [`Engine::import`] is not a valid event of the log; nothing was imported.
    #[error("import line {line}: {detail}")]
    Import {
        /// The line number, from 1.
        line: usize,
        /// Which field or rule is broken, with the decoder's message.
        detail: String,
    },

    /// [`Engine::import`] needs an empty store, and this one already holds events.
    #[error(
        "import needs an empty store; this one holds events up to global position {last_position}"
    )]
    ImportIntoNonEmpty {
        /// The global position of the store's last event.
        last_position: u64,
    },

    /// [`Engine::as_of`] asked for a position after the last event.
    #[error("position {requested} is beyond the end of the log (last position: {})", last.map_or("none".to_owned(), |l| l.to_string()))]
    BeyondEnd {
        /// The requested position.
        requested: u64,
        /// The last global position, `None` for an empty log.
        last: Option<u64>,
    },

    /// Reading an import or writing an export failed.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),

    /// On a store shared with other processes, other writers appended to the command's
    /// stream before each of [`MAX_ATTEMPTS`] attempts could: the command was decided again
    /// after every conflict and never written. Nothing was written; retrying later is safe.
    #[error(
        "gave up after {attempts} attempts: other processes kept appending first (last: {last})"
    )]
    Contended {
        /// How many times the command was decided and appended.
        attempts: u32,
        /// The last conflict the store reported.
        last: StoreError,
    },
}

impl From<StoreError> for EngineError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::CommandConflict { command_id } => EngineError::CommandConflict {
                command_id,
                index: None,
            },
            other => EngineError::Store(other),
        }
    }
}

/// How to open an [`Engine`] on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineOptions {
    /// When appends reach the disk; default [`Durability::Sync`].
    pub durability: Durability,
    /// Write a snapshot of the state every this many events (default 10 000), or once the
    /// log has grown by an eighth since the last one if that is later (so that a large log
    /// is not slowed down by snapshots of its whole state); 0 never.
    ///
    /// A snapshot is the whole state as compressed JSON (it grows with the organisation and
    /// its cycles: about 0.5 MB for the 10 000 key results of the M workload, 7.4 MB as
    /// plain JSON). The newest [`SNAPSHOTS_KEPT`] are kept, older ones deleted;
    /// [`Engine::as_of`] starts from the newest one before its target, or from the start.
    pub snapshot_every: u64,
    /// Create the store when the path does not exist (default `true`). A PostgreSQL
    /// database is never created; its tables always are.
    pub create_if_missing: bool,
    /// The organisation of a `postgres://` store, instead of the URL's `organisation`
    /// parameter (default `None`). Refused for a path.
    pub organisation: Option<String>,
    /// Open the store for reading only (default `false`; see
    /// [`StoreOptions::read_only`]): commands fail with a storage error, no snapshot is
    /// written, and nothing in the store's directory changes.
    pub read_only: bool,
    /// How long to wait for another process holding the store (default 2 s; see
    /// [`StoreOptions::lock_wait`]).
    pub lock_wait: Duration,
}

impl Default for EngineOptions {
    fn default() -> Self {
        EngineOptions {
            durability: Durability::Sync,
            snapshot_every: 10_000,
            create_if_missing: true,
            organisation: None,
            read_only: false,
            lock_wait: crate::sled_store::LOCK_WAIT,
        }
    }
}

/// What `Engine::execute` did (and what the C ABI's `okr_engine_execute` returns).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ExecuteOutcome {
    /// The stream written to: `org` or `cycle-<uuid>`.
    pub stream: String,
    /// The events, in order.
    pub events: Vec<Event>,
    /// The events' global positions, in order.
    pub positions: Vec<u64>,
    /// Advisory lints about what the command touched (empty for a duplicate).
    pub lints: Vec<Lint>,
    /// `true` when the command id had been executed before: the events and positions are the
    /// original ones and nothing was decided or written.
    pub duplicate: bool,
}

/// What [`Engine::dry_run`] found: what executing the command now would do, with nothing
/// written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct DryRun {
    /// The stream the events would go to: `org` or `cycle-<uuid>` (for a duplicate, the
    /// stream they went to).
    pub stream: String,
    /// The events the command would record (for a duplicate: the ones it recorded).
    pub events: Vec<Event>,
    /// The advisory lints the command would meet (empty for a duplicate).
    pub lints: Vec<Lint>,
    /// `true` when the command id was executed before: executing it again would write
    /// nothing and return the original outcome.
    pub duplicate: bool,
}

/// What [`Engine::verify`] found (and what the C ABI's `okr_engine_verify` returns).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct VerifyReport {
    /// How many events, from position 0 on, were checked and found intact.
    pub events: u64,
    /// The hash of the last intact event (`null` for an empty log).
    pub head: Option<EventHash>,
    /// Whether the whole log checked.
    pub intact: bool,
    /// The first broken link, if any.
    pub broken: Option<BrokenLink>,
}

/// The first event of the log whose link in the hash chain does not check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct BrokenLink {
    /// The event's global position.
    pub position: u64,
    /// The hash the store holds for it, if the event could be read.
    pub stored: Option<EventHash>,
    /// The hash the chain gives it, if the event could be read.
    pub computed: Option<EventHash>,
    /// What is wrong, in words.
    pub detail: String,
}

/// What [`Engine::backup`] copied and verified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupReport {
    /// The number of events in the backup (positions `0..events`).
    pub events: u64,
    /// The hash of its last event, the source's hash at that position.
    pub head: Option<EventHash>,
}

/// Options of [`Engine::import_with`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ImportOptions {
    /// Accept lines whose hashes do not match the chain (a log from elsewhere, or one edited
    /// on purpose) and chain the log anew; default `false`: such a log is refused.
    pub rechain: bool,
}

/// A moment in the log for [`Engine::as_of`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AsOf {
    /// Every event up to and including this global position.
    Position(u64),
    /// Every event whose `recorded_at` is at or before this instant.
    Time(DateTime<Utc>),
}

/// Counters about the engine's work, for tests and monitoring.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EngineStats {
    /// Events folded when the engine was opened (after the snapshot, if one was used).
    pub replayed_on_open: u64,
    /// The position of the snapshot the engine was opened from, if any.
    pub snapshot_on_open: Option<u64>,
    /// Snapshots written since open.
    pub snapshots_written: u64,
    /// Snapshots that could not be written since open (they are optional; the command that
    /// triggered them succeeded).
    pub snapshot_failures: u64,
}

/// The state and how far into the log it reaches.
#[derive(Debug, Clone, Default)]
struct Folded {
    state: State,
    position: Option<u64>,
    max_recorded_at: Option<DateTime<Utc>>,
}

impl Folded {
    fn apply(&mut self, position: u64, event: &Event) {
        self.state.apply(event);
        self.position = Some(position);
        self.max_recorded_at = self.max_recorded_at.max(Some(event.at));
    }
}

/// The deciding side, under the writer mutex.
#[derive(Debug, Default)]
struct Writer {
    /// The state *ahead*: the readers' state plus every append staged but not yet durable,
    /// which the next command is decided against. Built from the readers' state when first
    /// needed (and again after a batch it had to give up), then kept in step with every
    /// append.
    ahead: Option<Folded>,
}

/// The acknowledging side, under its own mutex: appends staged but not yet durable, in
/// position order, and what happens once they are (the readers' state, subscribers,
/// snapshots).
#[derive(Debug, Default)]
struct Durable {
    staged: VecDeque<Staged>,
    subscribers: Vec<Sender<RecordedEvent>>,
    stats: EngineStats,
    /// The position of the newest snapshot this engine wrote or was opened from.
    last_snapshot: Option<u64>,
    /// The snapshot being encoded and stored on a thread of its own, if any: it returns the
    /// position it covers and whether it was stored.
    snapshot_job: Option<std::thread::JoinHandle<(u64, bool)>>,
}

/// The events of one staged append, waiting to be applied to the readers' state.
#[derive(Debug)]
struct Staged {
    /// The global position of its first event.
    first: u64,
    events: Vec<(u64, Event)>,
    /// The stored events, for subscribers; `None` when there were none at staging time.
    recorded: Option<Vec<RecordedEvent>>,
}

/// How far apart snapshots are once the log is large: at least `1 / SNAPSHOT_SPACING` of
/// the log at the newest one (see [`snapshot_due`]).
const SNAPSHOT_SPACING: u64 = 8;

/// Whether a snapshot at `after` is due, the newest one being at `last`: once `every` events
/// have come since, or — for a large log — once the log has grown by an eighth since then,
/// whichever is later. A snapshot costs in proportion to the state, which grows with the
/// log; writing one every `every` events would make writing a log of `n` events cost
/// `n² / every`. Spaced like this, the snapshots of a log cost about nine times its last
/// one, and opening replays at most an eighth of the log (and never fewer events than
/// `every` could leave).
fn snapshot_due(every: u64, last: Option<u64>, after: u64) -> bool {
    let since = last.map_or(after.saturating_add(1), |last| after.saturating_sub(last));
    let grown = last.map_or(0, |last| last.saturating_add(1) / SNAPSHOT_SPACING);
    since >= every.max(grown)
}

/// Why one command of [`Engine::execute_each`] was not applied; the others go on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Refusal {
    /// okr-core refused it; the rejection says which rule and why.
    #[error("{0}")]
    Rejected(Rejection),
    /// Its command id was used before (in the store, or earlier in the same call) for
    /// another command (another actor or body: see [`Fingerprint`]): a conflict, the same
    /// rule as [`EngineError::CommandConflict`] of [`Engine::execute`].
    #[error("conflict: command id {command_id} was already used for another command; give a new command a new id")]
    Conflict {
        /// The command id used twice.
        command_id: Uuid,
    },
}

/// How [`Engine::run`] treats a refused command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// [`Engine::execute`]: the refusal is the error.
    One,
    /// [`Engine::execute_batch`]: a refusal refuses the batch.
    AllOrNothing,
    /// [`Engine::execute_each`]: a refusal is that command's outcome.
    Each,
}

/// Per command of a run: where its result comes from.
enum Slot {
    Appended {
        request: usize,
        lints: Vec<Lint>,
        stream: String,
        events: Vec<Event>,
    },
    Stored(Box<ExecuteOutcome>),
    SameAs(usize),
    Empty(String),
    Refused(Refusal),
}

/// The OKR engine: okr-core's decide and evolve over a durable event log.
///
/// ```
/// use okr_core::{Command, CommandBody, PersonId, UnitId, UnitKind};
/// use okr_store::Engine;
///
/// let engine = Engine::in_memory();
/// let at = "2025-01-06T09:00:00Z".parse().unwrap();
/// let command = Command::new(
///     uuid::Uuid::from_u128(1),
///     PersonId::from_u128(7),
///     at,
///     CommandBody::DefineUnit {
///         unit: UnitId::from_u128(100),
///         name: "Federation".into(),
///         kind: UnitKind::Organisation,
///         parent: None,
///     },
/// );
/// let outcome = engine.execute(&command).unwrap();
/// assert_eq!(outcome.positions, vec![0]);
/// assert_eq!(engine.read(|s| s.units.len()), 1);
/// ```
pub struct Engine {
    store: Arc<dyn EventStore>,
    /// The key store's entries (see [`crate::keys`]): loaded on open, grown when a person's
    /// first personal data is sealed, a key destroyed when a person is forgotten.
    keys: Arc<RwLock<Keyring>>,
    upcasters: Arc<Upcasters>,
    snapshot_every: u64,
    writer: Mutex<Writer>,
    durable: Mutex<Durable>,
    folded: RwLock<Folded>,
}

impl Drop for Engine {
    /// Waits for a snapshot still being written, so that it is in the store once the engine
    /// is gone.
    fn drop(&mut self) {
        let durable = self.durable.get_mut().unwrap_or_else(|e| e.into_inner());
        if let Some(job) = durable.snapshot_job.take() {
            let _ = job.join();
        }
    }
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("position", &self.position())
            .field("snapshot_every", &self.snapshot_every)
            .field("upcasters", &self.upcasters)
            .finish_non_exhaustive()
    }
}

/// Compile-time proof that an engine can be shared between threads.
const _: fn() = || {
    fn assert<T: Send + Sync>() {}
    assert::<Engine>();
    fn assert_send<T: Send>() {}
    assert_send::<Subscription>();
};

/// The upcasters for okr-core's event payloads. Every event type is at schema version 1, so
/// the registry is empty; a step goes here when a payload's schema changes.
pub fn core_upcasters() -> Upcasters {
    Upcasters::new()
}

impl Engine {
    /// Opens (or creates) an engine on the store at `location` with default options: a
    /// sled store on a path, or a PostgreSQL store for a `postgres://…?organisation=<name>`
    /// URL (see [`Engine::open_with`]).
    pub fn open(location: impl AsRef<Path>) -> Result<Engine, EngineError> {
        Engine::open_with(location, EngineOptions::default())
    }

    /// Opens (or creates) an engine on the store at `location`: loads the newest snapshot,
    /// if any is usable, and folds the rest of the log.
    ///
    /// A location that starts with `postgres://` or `postgresql://` is a PostgreSQL
    /// database ([`crate::PostgresStore`], with the organisation from the URL or
    /// [`EngineOptions::organisation`]; `durability` does not apply: a commit is durable as
    /// the server's settings make it); anything else is the path of a sled store.
    pub fn open_with(
        location: impl AsRef<Path>,
        options: EngineOptions,
    ) -> Result<Engine, EngineError> {
        let path = location.as_ref();
        #[cfg(feature = "postgres")]
        if let Some(url) = path.to_str().filter(|l| crate::is_postgres_url(l)) {
            let store = crate::PostgresStore::open(
                url,
                crate::PostgresOptions {
                    organisation: options.organisation,
                    create_if_missing: options.create_if_missing,
                },
            )?;
            return Engine::with_store(store, options.snapshot_every);
        }
        if options.organisation.is_some() {
            return Err(EngineError::Store(StoreError::InvalidLocation {
                location: path.display().to_string(),
                reason: "an organisation is given, but this is the path of a sled store, which holds one organisation; name a postgres:// store".to_owned(),
            }));
        }
        let store = SledStore::open(
            path,
            StoreOptions {
                durability: options.durability,
                create_if_missing: options.create_if_missing,
                read_only: options.read_only,
                lock_wait: options.lock_wait,
            },
        )?;
        // A read-only engine writes no snapshots.
        let snapshot_every = if options.read_only {
            0
        } else {
            options.snapshot_every
        };
        Engine::with_store(store, snapshot_every)
    }

    /// An engine on an empty [`MemoryStore`] (snapshots every 10 000 events, kept in memory).
    pub fn in_memory() -> Engine {
        let snapshot_every = EngineOptions::default().snapshot_every;
        match Engine::with_store(MemoryStore::new(), snapshot_every) {
            Ok(engine) => engine,
            // An empty memory store has nothing to read, so nothing can fail.
            Err(e) => unreachable!("opening an empty memory store failed: {e}"),
        }
    }

    /// An engine on any [`EventStore`]; folds what the store holds. `snapshot_every` as in
    /// [`EngineOptions::snapshot_every`].
    pub fn with_store<S>(store: S, snapshot_every: u64) -> Result<Engine, EngineError>
    where
        S: EventStore + 'static,
    {
        let keys = Keyring::from_entries(store.load_keys()?);
        let engine = Engine {
            store: Arc::new(store),
            keys: Arc::new(RwLock::new(keys)),
            upcasters: Arc::new(core_upcasters()),
            snapshot_every,
            writer: Mutex::new(Writer::default()),
            durable: Mutex::new(Durable::default()),
            folded: RwLock::new(Folded::default()),
        };
        let last = engine.store.last_position()?;
        let (mut folded, snapshot_on_open) = match last.and_then(|l| engine.snapshot_at(l)) {
            Some(f) => {
                let at = f.position;
                (f, at)
            }
            None => (Folded::default(), None),
        };
        let replayed = engine.fold_log(&mut folded, last, |_| true)?;
        *engine.write_folded() = folded;
        // A person forgotten whose key a crash left behind: destroy it now.
        engine.settle_forgotten(&mut engine.lock_writer())?;
        {
            let mut durable = engine.lock_durable();
            durable.stats.replayed_on_open = replayed;
            durable.stats.snapshot_on_open = snapshot_on_open;
            durable.last_snapshot = snapshot_on_open;
            if let Some(last) = last {
                // Replayed past the next snapshot's mark: write it now, for the next open.
                engine.maybe_snapshot(&mut durable, last, false);
            }
        }
        Ok(engine)
    }

    /// Decides `command` against the current state and records its events.
    ///
    /// A command id seen before returns the original outcome with `duplicate: true` (lints
    /// empty) without deciding again. A refused command is [`EngineError::Rejected`]; a
    /// failed append is [`EngineError::Store`]; in both cases nothing is written or applied.
    /// A command that `decide` accepts with no events returns an empty outcome and does not
    /// consume its command id.
    ///
    /// Concurrent calls share the disk's sync (group commit): the command is decided and
    /// staged under the writer mutex, against a state that includes the appends of other
    /// threads still waiting for the disk; then the mutex is released, and the call returns
    /// once its append is durable. Readers see the events only then.
    pub fn execute(&self, command: &Command) -> Result<ExecuteOutcome, EngineError> {
        let mut outcomes = self.run(std::slice::from_ref(command), Mode::One)?;
        match outcomes.pop() {
            Some(Ok(outcome)) => Ok(outcome),
            Some(Err(Refusal::Rejected(rejection))) => Err(EngineError::Rejected(rejection)),
            Some(Err(Refusal::Conflict { command_id })) => Err(EngineError::CommandConflict {
                command_id,
                index: None,
            }),
            None => unreachable!("one command gives one outcome"),
        }
    }

    /// Executes commands in order as one all-or-nothing append, for imports and bulk work.
    ///
    /// Each command is decided against the state left by the ones before it. When one is
    /// refused, nothing is written and the error names its index
    /// ([`EngineError::BatchRejected`]). Commands whose id was executed before (or appears
    /// earlier in the batch) are not decided again and come back with `duplicate: true`.
    /// A refused batch costs a copy of the state (the next command rebuilds the state it is
    /// decided against); an accepted one costs nothing beyond its commands.
    pub fn execute_batch(&self, commands: &[Command]) -> Result<Vec<ExecuteOutcome>, EngineError> {
        let outcomes = self.run(commands, Mode::AllOrNothing)?;
        Ok(outcomes
            .into_iter()
            .map(|o| o.unwrap_or_else(|_| unreachable!("a refusal ends an all-or-nothing run")))
            .collect())
    }

    /// Executes commands in order, each on its own, and writes the accepted ones as one
    /// append with one disk sync: for applying a file of commands.
    ///
    /// Each command is decided against the state left by the accepted ones before it; a
    /// refused command is that command's `Err` and the others go on. Commands whose id was
    /// executed before (or appears earlier) come back with `duplicate: true`, as in
    /// [`Engine::execute`]; a command id used before for *another* command is that command's
    /// [`Refusal::Conflict`] (the rule of [`EngineError::CommandConflict`]). Nothing is acknowledged before it is durable: the call returns
    /// after the append is synced. A failed append is [`EngineError::Store`] for the whole
    /// call, and none of its commands is recorded as far as this engine can tell (reopen the
    /// store and look the command ids up to know).
    pub fn execute_each(
        &self,
        commands: &[Command],
    ) -> Result<Vec<Result<ExecuteOutcome, Refusal>>, EngineError> {
        self.run(commands, Mode::Each)
    }

    /// Decides and stages `commands` under the writer mutex, then waits for the append
    /// outside it, and acknowledges it: the readers' state, subscribers and snapshots move on.
    fn run(
        &self,
        commands: &[Command],
        mode: Mode,
    ) -> Result<Vec<Result<ExecuteOutcome, Refusal>>, EngineError> {
        let (slots, pending) = {
            let mut writer = self.lock_writer();
            let shared = self.store.shared();
            // Other processes append too: decide on everything they appended, and decide
            // again when one of them appended to a command's stream between the catch-up and
            // the append (the store's version check is what tells). The writers' turn makes
            // the engines of the log take turns, so that this is rare.
            let _turn = shared.then(|| self.store.writer_turn());
            let mut attempts = 0;
            loop {
                attempts += 1;
                let staged = if shared {
                    self.catch_up_locked(&mut writer)
                } else {
                    Ok(())
                }
                .and_then(|()| self.stage(&mut writer, commands, mode));
                match staged {
                    Ok(staged) => break staged,
                    Err(e) => match e {
                        EngineError::Store(conflict @ StoreError::VersionConflict { .. })
                            if shared =>
                        {
                            if attempts >= MAX_ATTEMPTS {
                                return Err(EngineError::Contended {
                                    attempts,
                                    last: conflict,
                                });
                            }
                        }
                        other => return Err(other),
                    },
                }
            }
        };
        let appended = match pending {
            Some((pending, last)) => {
                let appended = pending.wait()?;
                self.acknowledge(last);
                if slots.iter().any(|s| {
                    matches!(s, Slot::Appended { events, .. }
                        if events.iter().any(|e| matches!(e.body, EventBody::PersonForgotten { .. })))
                }) {
                    self.settle_forgotten(&mut self.lock_writer())?;
                }
                appended
            }
            None => Vec::new(),
        };
        let mut positions: Vec<Vec<u64>> = appended
            .iter()
            .map(|o| o.events.iter().map(|e| e.global_position).collect())
            .collect();
        let mut outcomes: Vec<Result<ExecuteOutcome, Refusal>> = Vec::with_capacity(slots.len());
        for slot in slots {
            let outcome = match slot {
                Slot::Appended {
                    request,
                    lints,
                    stream,
                    events,
                } => Ok(ExecuteOutcome {
                    stream,
                    events,
                    positions: std::mem::take(&mut positions[request]),
                    lints,
                    duplicate: false,
                }),
                Slot::Stored(outcome) => Ok(*outcome),
                Slot::SameAs(first) => outcomes[first].clone().map(|mut outcome| {
                    outcome.lints.clear();
                    outcome.duplicate = true;
                    outcome
                }),
                Slot::Empty(stream) => Ok(ExecuteOutcome {
                    stream,
                    events: Vec::new(),
                    positions: Vec::new(),
                    lints: Vec::new(),
                    duplicate: false,
                }),
                Slot::Refused(refusal) => Err(refusal),
            };
            outcomes.push(outcome);
        }
        Ok(outcomes)
    }

    /// Decides `commands` against the state ahead, applying the events of each accepted one
    /// before the next is decided, and begins their append. Returns what each command
    /// became and the pending append with the position of its last event. An error after
    /// events were applied to the state ahead drops it (the next command rebuilds it); a
    /// command refused before anything was applied keeps it.
    #[allow(clippy::type_complexity)]
    fn stage(
        &self,
        writer: &mut Writer,
        commands: &[Command],
        mode: Mode,
    ) -> Result<(Vec<Slot>, Option<(PendingAppend, u64)>), EngineError> {
        let ahead = match &mut writer.ahead {
            Some(ahead) => ahead,
            none => none.insert(self.rebuild_ahead()),
        };
        let mark = ahead.position;
        let staged = self.stage_on_ahead(writer, commands, mode);
        if staged.is_err() && writer.ahead.as_ref().is_some_and(|a| a.position != mark) {
            // The state ahead holds events of commands that are not written.
            writer.ahead = None;
        }
        staged
    }

    /// [`Engine::stage`] once the state ahead is there.
    #[allow(clippy::type_complexity)]
    fn stage_on_ahead(
        &self,
        writer: &mut Writer,
        commands: &[Command],
        mode: Mode,
    ) -> Result<(Vec<Slot>, Option<(PendingAppend, u64)>), EngineError> {
        let mut slots = Vec::with_capacity(commands.len());
        let mut requests = Vec::with_capacity(commands.len());
        let mut staged_events: Vec<(u64, Event)> = Vec::with_capacity(commands.len());
        let mut seen: rustc_hash::FxHashMap<Uuid, (usize, Fingerprint)> =
            rustc_hash::FxHashMap::default();
        seen.reserve(commands.len());
        let ahead = match &mut writer.ahead {
            Some(ahead) => ahead,
            none => none.insert(self.rebuild_ahead()),
        };
        // Positions the state ahead assigns, to apply events before the store confirms.
        let first_position = ahead.position.map_or(0, |p| p + 1);
        let mut next_position = first_position;
        let ring = self.read_keys();
        let mut sealer = Sealer::new(&ring);
        for (index, command) in commands.iter().enumerate() {
            let id = command.envelope.command_id;
            let fingerprint = Fingerprint::of_command(command);
            let conflict = EngineError::CommandConflict {
                command_id: id,
                index: (mode != Mode::One).then_some(index),
            };
            // A conflict refuses that command alone in `execute_each`, like a rejection.
            let refuse = |slots: &mut Vec<Slot>| match mode {
                Mode::Each => {
                    slots.push(Slot::Refused(Refusal::Conflict { command_id: id }));
                    Ok(())
                }
                Mode::One | Mode::AllOrNothing => Err(conflict),
            };
            if let Some((first, earlier)) = seen.get(&id) {
                if *earlier != fingerprint {
                    refuse(&mut slots)?;
                    continue;
                }
                slots.push(Slot::SameAs(*first));
                continue;
            }
            if let Some(original) = self.store.find_command(id)? {
                if !same_command(original.fingerprint, Some(fingerprint)) {
                    refuse(&mut slots)?;
                    continue;
                }
                slots.push(Slot::Stored(Box::new(self.duplicate_outcome(original)?)));
                seen.insert(id, (index, fingerprint));
                continue;
            }
            let Decision { stream, events } = match decide(&ahead.state, command) {
                Ok(decision) => decision,
                Err(rejection) => match mode {
                    Mode::One => return Err(EngineError::Rejected(rejection)),
                    Mode::AllOrNothing => {
                        return Err(EngineError::BatchRejected { index, rejection })
                    }
                    Mode::Each => {
                        slots.push(Slot::Refused(Refusal::Rejected(rejection)));
                        continue;
                    }
                },
            };
            if events.is_empty() {
                slots.push(Slot::Empty(stream.name()));
                continue;
            }
            seen.insert(id, (index, fingerprint));
            let expected = ExpectedVersion::Exact(ahead.state.stream_version(stream));
            let new_events = events
                .iter()
                .map(|e| {
                    let mut sealed = e.clone();
                    sealer.seal_event(&mut sealed);
                    to_new_event(&sealed)
                })
                .collect::<Result<_, _>>()?;
            for event in &events {
                ahead.apply(next_position, event);
                staged_events.push((next_position, event.clone()));
                next_position += 1;
            }
            let lints = lint::for_events(&ahead.state, &events);
            requests.push(AppendRequest {
                stream,
                expected,
                command_id: id,
                fingerprint: Some(fingerprint),
                events: new_events,
            });
            slots.push(Slot::Appended {
                request: requests.len() - 1,
                lints,
                stream: stream.name(),
                events,
            });
        }
        let fresh = sealer.into_fresh();
        drop(ring);
        if requests.is_empty() {
            return Ok((slots, None));
        }
        if !fresh.is_empty() {
            // The keys are in the key store before anything sealed with them is in the log.
            self.store.put_keys(&fresh)?;
            let mut ring = self.write_keys();
            for (owner, entry) in fresh {
                ring.insert(owner, entry);
            }
        }
        let pending = self
            .store
            .begin_append_batch(requests)
            .map_err(|e| match e {
                StoreError::CommandConflict { command_id } => EngineError::CommandConflict {
                    command_id,
                    index: commands
                        .iter()
                        .position(|c| c.envelope.command_id == command_id)
                        .filter(|_| mode != Mode::One),
                },
                other => EngineError::Store(other),
            })?;
        let mut positions = pending
            .outcomes()
            .iter()
            .flat_map(|o| o.events.iter().map(|e| e.global_position));
        let in_sync = pending.outcomes().iter().all(|o| !o.duplicate)
            && positions.next() == Some(first_position)
            && positions.count() + 1 == staged_events.len();
        if !in_sync {
            // Only a writer outside this engine could cause this (the writer mutex excludes
            // the others in this process): wait for the append, acknowledge everything before
            // it, and fold the log up to its end from there rather than trust the state ahead.
            let appended = pending.wait()?;
            if let Some(before) = first_position.checked_sub(1) {
                self.acknowledge(before);
            }
            let last = appended.iter().filter_map(|o| o.last_position()).max();
            let mut durable = self.lock_durable();
            let mut folded = self.read_folded().clone();
            self.fold_log(&mut folded, last, |_| true)?;
            *self.write_folded() = folded;
            let events: Vec<RecordedEvent> =
                appended.iter().flat_map(|o| o.events.clone()).collect();
            self.publish(&mut durable, &events);
            drop(durable);
            writer.ahead = None;
            return Ok((slots, Some((PendingAppend::durable(appended), 0))));
        }
        let last = next_position - 1;
        let mut durable = self.lock_durable();
        // The stored events are kept for subscribers only; one who subscribes meanwhile gets
        // them from the store once they are durable (see `acknowledge`).
        let recorded = (!durable.subscribers.is_empty()).then(|| {
            pending
                .outcomes()
                .iter()
                .flat_map(|o| o.events.iter().cloned())
                .collect()
        });
        durable.staged.push_back(Staged {
            first: first_position,
            events: staged_events,
            recorded,
        });
        Ok((slots, Some((pending, last))))
    }

    /// Folds what other writers appended to the log since the state's position, and hands
    /// it to the subscribers. Returns the state's position after. An engine on a shared
    /// store ([`EventStore::shared`], e.g. PostgreSQL) does this before every command on its
    /// own; readers call it to see the others' latest events.
    pub fn refresh(&self) -> Result<Option<u64>, EngineError> {
        let mut writer = self.lock_writer();
        self.catch_up_locked(&mut writer)?;
        Ok(self.position())
    }

    /// Whether other processes may append to this engine's log ([`EventStore::shared`]):
    /// then [`Engine::refresh`] is how a reader sees their latest events.
    pub fn is_shared(&self) -> bool {
        self.store.shared()
    }

    /// [`Engine::refresh`] under the writer lock. The store's end includes this engine's
    /// own staged appends (a read waits until they are durable), so they are folded from the
    /// log here and leave the staged queue; the state ahead is kept unless other writers'
    /// events came in.
    fn catch_up_locked(&self, writer: &mut Writer) -> Result<(), EngineError> {
        let last = self.store.last_position()?;
        let mut durable = self.lock_durable();
        let before = self.position();
        if last <= before {
            return Ok(());
        }
        if self.store.shared() {
            // Other engines register people: their keys are in the key store before anything
            // sealed with them is in the log.
            self.merge_stored_keys()?;
        }
        let mut folded = self.read_folded().clone();
        self.fold_log(&mut folded, last, |_| true)?;
        let after = folded.position;
        *self.write_folded() = folded;
        let own_last = durable
            .staged
            .back()
            .map(|s| s.first + s.events.len() as u64 - 1);
        durable.staged.retain(|s| after.is_none_or(|a| s.first > a));
        if after > own_last.max(before) {
            writer.ahead = None;
        }
        if let Some(after) = after {
            let from = before.map_or(0, |b| b + 1);
            if !durable.subscribers.is_empty() {
                let mut recorded = Vec::new();
                self.for_each_stored(from, after, |e| {
                    recorded.push(self.open_recorded(e)?);
                    Ok(())
                })?;
                self.publish(&mut durable, &recorded);
            }
            self.maybe_snapshot(&mut durable, after, false);
        }
        drop(durable);
        // Another engine may have forgotten someone: its tombstone is in the key store.
        let forgotten_live = {
            let ring = self.read_keys();
            self.read_folded()
                .state
                .people
                .values()
                .any(|p| p.forgotten && !ring.is_destroyed(KeyOwner::Person(p.id.0)))
        };
        if forgotten_live {
            self.merge_stored_keys()?;
            self.settle_forgotten(writer)?;
        }
        Ok(())
    }

    /// Takes the key store's entries into the keyring: keys and tombstones other engines on a
    /// shared store wrote.
    fn merge_stored_keys(&self) -> Result<(), EngineError> {
        merge_keys(&*self.store, &self.keys)?;
        Ok(())
    }

    /// Destroys the key of every forgotten person whose key is still live (the tombstone in
    /// the key store first, then in memory), replaces the snapshots' key and deletes every
    /// snapshot, and folds the readers' state anew from the log, so that it holds nothing
    /// of theirs but the pseudonym. Nothing to do when every forgotten person's key is
    /// destroyed already. A read-only store gets its tombstones in memory only.
    fn settle_forgotten(&self, writer: &mut Writer) -> Result<(), EngineError> {
        let live: Vec<KeyOwner> = {
            let ring = self.read_keys();
            self.read_folded()
                .state
                .people
                .values()
                .filter(|p| p.forgotten)
                .map(|p| KeyOwner::Person(p.id.0))
                .filter(|o| !ring.is_destroyed(*o))
                .collect()
        };
        if live.is_empty() {
            return Ok(());
        }
        let mut entries: Vec<(KeyOwner, KeyEntry)> =
            live.iter().map(|o| (*o, KeyEntry::Destroyed)).collect();
        entries.push((KeyOwner::Snapshots, KeyEntry::Key(Key::generate())));
        match self.store.put_keys(&entries) {
            Ok(()) | Err(StoreError::ReadOnly { .. }) => {}
            Err(e) => return Err(e.into()),
        }
        {
            let mut ring = self.write_keys();
            for (owner, entry) in entries {
                ring.insert(owner, entry);
            }
        }
        let mut durable = self.lock_durable();
        // A snapshot in flight was sealed with the old key: it ends before every one goes.
        self.finish_snapshot(&mut durable, true);
        match self.store.clear_snapshots() {
            Ok(()) | Err(StoreError::ReadOnly { .. }) => {}
            Err(e) => return Err(e.into()),
        }
        let last = self.read_folded().position;
        let mut folded = Folded::default();
        self.fold_log(&mut folded, last, |_| true)?;
        *self.write_folded() = folded;
        writer.ahead = None;
        if let Some(last) = last {
            self.maybe_snapshot(&mut durable, last, true);
        }
        Ok(())
    }

    fn read_keys(&self) -> RwLockReadGuard<'_, Keyring> {
        self.keys.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write_keys(&self) -> RwLockWriteGuard<'_, Keyring> {
        self.keys.write().unwrap_or_else(|e| e.into_inner())
    }

    /// A stored event with its personal data opened (what readers outside the engine get:
    /// [`Engine::events_from`], subscriptions, exports). Its hash stays the stored one.
    fn open_recorded(&self, recorded: RecordedEvent) -> Result<RecordedEvent, EngineError> {
        open_recorded_with(&self.upcasters, &self.read_keys(), recorded)
    }

    /// The readers' state with every staged append applied: what the state ahead is.
    fn rebuild_ahead(&self) -> Folded {
        let durable = self.lock_durable();
        let mut ahead = self.read_folded().clone();
        for staged in &durable.staged {
            for (position, event) in &staged.events {
                ahead.apply(*position, event);
            }
        }
        ahead
    }

    /// Applies the staged appends up to global position `last`, which are durable now, to
    /// the readers' state, in order, and delivers them to subscribers; snapshots follow. A
    /// later append's thread may have done it already.
    fn acknowledge(&self, last: u64) {
        let mut durable = self.lock_durable();
        if durable.staged.front().is_none_or(|s| s.first > last) {
            return;
        }
        let mut recorded = Vec::new();
        let mut unrecorded = None;
        let after = {
            let mut folded = self.write_folded();
            while durable.staged.front().is_some_and(|s| s.first <= last) {
                let Some(staged) = durable.staged.pop_front() else {
                    break;
                };
                for (position, event) in &staged.events {
                    folded.apply(*position, event);
                }
                match staged.recorded {
                    Some(events) => recorded.extend(events),
                    None => {
                        unrecorded.get_or_insert(staged.first);
                    }
                }
            }
            folded.position
        };
        if let (Some(first), Some(after)) = (unrecorded, after) {
            if !durable.subscribers.is_empty() {
                // Staged before anyone subscribed, durable now: read back from the store.
                let count = usize::try_from(after + 1 - first).unwrap_or(usize::MAX);
                match self.store.read_all(first, count) {
                    Ok(events) => {
                        recorded.retain(|e| e.global_position < first);
                        recorded.extend(events);
                    }
                    // A subscriber cannot be told; dropping it ends its iteration early
                    // rather than leave a gap in what it receives.
                    Err(_) => durable.subscribers.clear(),
                }
            }
        }
        self.publish(&mut durable, &recorded);
        if let Some(after) = after {
            self.maybe_snapshot(&mut durable, after, false);
        }
    }

    /// Decides `command` against the current state without writing anything: the events it
    /// would record and the lints it would meet, or the [`EngineError::Rejected`] executing it
    /// would give. A command id executed before is reported as a duplicate with its original
    /// events. Another command may be executed between a dry run and the real one, so the
    /// real one can still be refused. Costs a clone of the state (for the lints).
    pub fn dry_run(&self, command: &Command) -> Result<DryRun, EngineError> {
        if let Some(original) = self.store.find_command(command.envelope.command_id)? {
            if !same_command(original.fingerprint, Some(Fingerprint::of_command(command))) {
                return Err(EngineError::CommandConflict {
                    command_id: command.envelope.command_id,
                    index: None,
                });
            }
            let outcome = self.duplicate_outcome(original)?;
            return Ok(DryRun {
                stream: outcome.stream,
                events: outcome.events,
                lints: Vec::new(),
                duplicate: true,
            });
        }
        let (mut state, stream, events) = {
            let folded = self.read_folded();
            let Decision { stream, events } =
                decide(&folded.state, command).map_err(EngineError::Rejected)?;
            if events.is_empty() {
                return Ok(DryRun {
                    stream: stream.name(),
                    events,
                    lints: Vec::new(),
                    duplicate: false,
                });
            }
            (folded.state.clone(), stream, events)
        };
        for event in &events {
            state.apply(event);
        }
        let lints = lint::for_events(&state, &events);
        Ok(DryRun {
            stream: stream.name(),
            events,
            lints,
            duplicate: false,
        })
    }

    /// Makes every append so far durable, whatever the durability the engine was opened
    /// with (under [`Durability::None`] the only way to; under `Sync` a no-op in effect).
    pub fn flush(&self) -> Result<(), EngineError> {
        let _writer = self.lock_writer();
        Ok(self.store.flush()?)
    }

    /// The global position the next event will get: 0 for an empty log.
    pub fn next_position(&self) -> u64 {
        self.position().map_or(0, |p| p + 1)
    }

    /// Runs `f` on the current state under a read lock. Keep `f` short: commands are
    /// acknowledged only once they are applied to this state, which waits while `f` holds
    /// the lock. `f` must not call [`Engine::execute`] or the other writing methods of the
    /// same engine: they would wait for the lock `f` holds.
    pub fn read<R>(&self, f: impl FnOnce(&State) -> R) -> R {
        f(&self.read_folded().state)
    }

    /// The global position of the last event folded into the state, `None` for an empty log.
    pub fn position(&self) -> Option<u64> {
        self.read_folded().position
    }

    /// The rollup of a cycle now; `None` for an unknown cycle.
    pub fn cycle_rollup(&self, cycle: CycleId) -> Option<CycleRollup> {
        self.read(|s| s.cycles.get(&cycle).map(rollup::cycle))
    }

    /// The review scores of a cycle now; `None` for an unknown cycle.
    pub fn cycle_scores(&self, cycle: CycleId) -> Option<CycleScores> {
        self.read(|s| s.cycles.get(&cycle).map(rollup::scores))
    }

    /// All lints of a cycle, evaluated at instant `at`; empty for an unknown cycle.
    pub fn lints(&self, cycle: CycleId, at: DateTime<Utc>) -> Vec<Lint> {
        self.read(|s| lint::cycle(s, cycle, at))
    }

    /// The burn-up of a cycle now ([`rollup::history`]); `Ok(None)` for an unknown cycle.
    ///
    /// The state keeps only each key result's latest check-in; the earlier ones are read
    /// from the cycle's stream in the store (the events folded into the state so far). This
    /// reads and decodes the cycle's whole stream under the state's read lock, so commands
    /// wait while it runs: a report query, not one for every check-in.
    pub fn history(&self, cycle: CycleId) -> Result<Option<History>, EngineError> {
        let folded = self.read_folded();
        if !folded.state.cycles.contains_key(&cycle) {
            return Ok(None);
        }
        let last = folded.position;
        let events = self.cycle_events(cycle, last, |_, _| true)?;
        Ok(rollup::history(&folded.state, cycle, &events))
    }

    /// The burn-up of a cycle as it was at a position or an instant: [`rollup::history`] of
    /// the state [`Engine::as_of`] gives, over the cycle's events it folds. `Ok(None)` for a
    /// cycle unknown then.
    pub fn history_as_of(&self, cycle: CycleId, at: AsOf) -> Result<Option<History>, EngineError> {
        let state = self.as_of(at)?;
        if !state.cycles.contains_key(&cycle) {
            return Ok(None);
        }
        let events =
            self.cycle_events(cycle, self.position(), |position, recorded_at| match at {
                AsOf::Position(p) => position <= p,
                AsOf::Time(t) => recorded_at <= t,
            })?;
        Ok(rollup::history(&state, cycle, &events))
    }

    /// Counters about open, snapshots and so on.
    /// A snapshot being written on its own thread is waited for first, so that the counters
    /// include it.
    pub fn stats(&self) -> EngineStats {
        let mut durable = self.lock_durable();
        self.finish_snapshot(&mut durable, true);
        durable.stats.clone()
    }

    /// The state as it was at a position or an instant, folded from the newest usable
    /// snapshot before that point (or from the start).
    ///
    /// [`AsOf::Time`] folds every event with `recorded_at <= t`, wherever it is in the log
    /// (the callers' clocks need not agree with the log's order).
    pub fn as_of(&self, at: AsOf) -> Result<State, EngineError> {
        let last = self.position();
        match at {
            AsOf::Position(p) => {
                if last.is_none_or(|l| p > l) {
                    return Err(EngineError::BeyondEnd { requested: p, last });
                }
                {
                    let folded = self.read_folded();
                    if folded.position == Some(p) {
                        return Ok(folded.state.clone());
                    }
                }
                let mut folded = self.snapshot_at(p).unwrap_or_default();
                self.fold_log(&mut folded, Some(p), |_| true)?;
                Ok(folded.state)
            }
            AsOf::Time(t) => {
                let Some(last) = last else {
                    return Ok(State::new());
                };
                let mut folded = self.snapshot_before_time(last, t).unwrap_or_default();
                self.fold_log(&mut folded, Some(last), |at| at <= t)?;
                Ok(folded.state)
            }
        }
    }

    /// Up to `max` stored events from global position `from` on, upcast to the current
    /// schema versions. For embedders that poll.
    pub fn events_from(&self, from: u64, max: usize) -> Result<Vec<RecordedEvent>, EngineError> {
        self.store
            .read_all(from, max)?
            .into_iter()
            .map(|e| self.open_recorded(e))
            .collect()
    }

    /// Turns a stored event into a core event (upcasting first).
    pub fn decode(&self, recorded: &RecordedEvent) -> Result<Event, EngineError> {
        let upcast = self.upcast(recorded.clone())?;
        decode_current(&upcast, Some(&self.read_keys()))
    }

    /// Walks the whole log and checks its hash chain (see [`crate::chain`]): every event's
    /// stored hash must be the hash of the event before it and of the event itself, and the
    /// positions must be gapless. Reports the first broken link with its position; a store
    /// that cannot be read at all is an error.
    ///
    /// An intact chain shows that no event was altered, removed, inserted or reordered after
    /// it was recorded, provided its last hash ([`VerifyReport::head`]) is the one the store
    /// acknowledged (the sled store checks that against its journal on every open). Decodes
    /// no payload; reads the log once.
    pub fn verify(&self) -> Result<VerifyReport, EngineError> {
        let Some(last) = self.store.last_position()? else {
            return Ok(VerifyReport {
                events: 0,
                head: None,
                intact: true,
                broken: None,
            });
        };
        let mut previous = EventHash::GENESIS;
        let mut expected = 0u64;
        let mut broken = None;
        self.store.scan(0, last, &mut |chunk| {
            let result = chunk.for_each(|view| {
                if broken.is_some() {
                    return Ok::<(), StoreError>(());
                }
                let computed = view.chain_hash(&previous);
                if view.global_position != expected {
                    broken = Some(BrokenLink {
                        position: expected,
                        stored: None,
                        computed: None,
                        detail: format!(
                            "the event at position {expected} is missing: the log jumps to \
                             position {}",
                            view.global_position
                        ),
                    });
                } else if view.hash != computed {
                    let detail = if view.hash.is_genesis() {
                        format!(
                            "the event at position {expected} has no hash (it was recorded \
                             before the chain; a writable open chains the store)"
                        )
                    } else {
                        format!(
                            "the event at position {expected} does not match its hash: it, or \
                             an event before it, was altered after it was recorded"
                        )
                    };
                    broken = Some(BrokenLink {
                        position: expected,
                        stored: Some(view.hash),
                        computed: Some(computed),
                        detail,
                    });
                } else {
                    previous = computed;
                    expected += 1;
                }
                Ok(())
            });
            match result {
                Err(e) => {
                    broken = Some(BrokenLink {
                        position: expected,
                        stored: None,
                        computed: None,
                        detail: format!("the event at position {expected} cannot be read: {e}"),
                    });
                    ControlFlow::Break(())
                }
                Ok(()) if broken.is_some() => ControlFlow::Break(()),
                Ok(()) => ControlFlow::Continue(()),
            }
        })?;
        if broken.is_none() && expected != last + 1 {
            broken = Some(BrokenLink {
                position: expected,
                stored: None,
                computed: None,
                detail: format!(
                    "the log ends at position {}, before its last position {last}",
                    expected.saturating_sub(1)
                ),
            });
        }
        Ok(VerifyReport {
            events: expected,
            head: expected.checked_sub(1).map(|_| previous),
            intact: broken.is_none(),
            broken,
        })
    }

    /// Copies the log into a new sled store at `dir` (missing, or an empty directory) and
    /// verifies the copy: a backup that can be opened like any store, or restored with
    /// another `backup` from it.
    ///
    /// The copy is consistent without stopping writers: it holds the log from position 0 to
    /// the last position when the backup started (appends made meanwhile are not in it), read
    /// in chunks like an export; the log is append-only, so those events cannot change under
    /// it. The only pause is for appends to the *new* store, which no one else sees. Each
    /// command keeps its fingerprint. Afterwards the copy is reopened read-only and its hash
    /// chain verified end to end, and its head must be the source's hash at that position; a
    /// backup that fails any of this is an error (and what was written at `dir` stays, for
    /// inspection). Snapshots are not copied: the copy replays its log when opened.
    pub fn backup(&self, dir: impl AsRef<Path>) -> Result<BackupReport, EngineError> {
        let dir = dir.as_ref();
        let not_empty = || StoreError::NotAnOkrStore {
            path: dir.to_owned(),
            reason: "a backup goes into a new or empty directory, and this one holds files"
                .to_owned(),
        };
        match std::fs::read_dir(dir) {
            Ok(mut entries) => {
                if entries.next().is_some() {
                    return Err(not_empty().into());
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => {
                return Err(StoreError::Io {
                    path: dir.to_owned(),
                    source,
                }
                .into())
            }
        }
        let last = self.store.last_position()?;
        let head = match last {
            Some(p) => self.store.read_all(p, 1)?.first().map(|e| e.hash),
            None => None,
        };
        let target = SledStore::open(
            dir,
            StoreOptions {
                durability: Durability::None,
                ..StoreOptions::default()
            },
        )?;
        // The people's keys and tombstones, so that the copy reads what this store reads;
        // a key destroyed before the backup is not in it. Snapshots are not copied, nor is
        // their key.
        let people_keys: Vec<(KeyOwner, KeyEntry)> = self
            .read_keys()
            .entries()
            .into_iter()
            .filter(|(o, _)| matches!(o, KeyOwner::Person(_)))
            .collect();
        if !people_keys.is_empty() {
            target.put_keys(&people_keys)?;
        }
        if let Some(last) = last {
            let mut requests: Vec<AppendRequest> = Vec::new();
            let mut pending = 0usize;
            let write = |requests: &mut Vec<AppendRequest>| -> Result<(), EngineError> {
                target.append_batch(std::mem::take(requests))?;
                Ok(())
            };
            self.for_each_stored(0, last, |event| {
                let continues = requests
                    .last()
                    .is_some_and(|r| r.command_id == event.command_id);
                if continues {
                    if let Some(r) = requests.last_mut() {
                        r.events.push(new_event_from(&event));
                    }
                } else {
                    if pending >= 4096 {
                        write(&mut requests)?;
                        pending = 0;
                    }
                    let fingerprint = self
                        .store
                        .find_command(event.command_id)?
                        .and_then(|o| o.fingerprint);
                    requests.push(AppendRequest {
                        stream: event.stream,
                        expected: ExpectedVersion::Exact(event.stream_version),
                        command_id: event.command_id,
                        fingerprint,
                        events: vec![new_event_from(&event)],
                    });
                }
                pending += 1;
                Ok(())
            })?;
            write(&mut requests)?;
        }
        target.flush()?;
        drop(target);
        let copy = Engine::open_with(
            dir,
            EngineOptions {
                read_only: true,
                create_if_missing: false,
                ..EngineOptions::default()
            },
        )?;
        let report = copy.verify()?;
        let failed = |detail: String| {
            EngineError::Store(StoreError::Corrupt {
                location: dir.display().to_string(),
                detail: format!("the backup does not verify: {detail}"),
            })
        };
        if let Some(broken) = report.broken {
            return Err(failed(broken.detail));
        }
        if report.head != head || report.events != last.map_or(0, |l| l + 1) {
            return Err(failed(format!(
                "it holds {} events ending in {}, the store {} ending in {}",
                report.events,
                report.head.map_or("nothing".to_owned(), |h| h.to_hex()),
                last.map_or(0, |l| l + 1),
                head.map_or("nothing".to_owned(), |h| h.to_hex())
            )));
        }
        Ok(BackupReport {
            events: report.events,
            head,
        })
    }

    /// Writes the whole log as JSON Lines: one [`RecordedEvent`] per line, in global order.
    /// Returns the number of events written.
    ///
    /// The personal data is opened (see [`crate::keys`]): names and texts read as plaintext,
    /// or as the pseudonym and [`okr_core::ERASED_TEXT`] for a forgotten person, so an export
    /// holds no sealed value and no key, and nothing of a forgotten person. Each line's `hash`
    /// is the chain over the lines as written (an event without personal data keeps its stored
    /// hash up to the first one with), which [`Engine::import`] checks; the store's own chain,
    /// over the sealed bytes, is what [`Engine::verify`] checks. Events are otherwise as stored.
    pub fn export(&self, w: impl Write) -> Result<u64, EngineError> {
        self.export_with(w, false)
    }

    /// [`Engine::export`] for analysts outside the organisation: with `pseudonymise`, every
    /// person's name is `Person N` (N: their registration number, stable across exports)
    /// and every non-empty free text is [`okr_core::ERASED_TEXT`]; ids, times and
    /// figures stay, so the statistics of an import of it equal the original's. Without it,
    /// the same as [`Engine::export`].
    pub fn export_with(&self, mut w: impl Write, pseudonymise: bool) -> Result<u64, EngineError> {
        let Some(last) = self.store.last_position()? else {
            return Ok(0);
        };
        let mut written = 0;
        let mut previous = EventHash::GENESIS;
        let mut registered: std::collections::HashMap<PersonId, u32> = Default::default();
        self.for_each_stored(0, last, |stored| {
            let mut opened = self.open_recorded(stored.clone())?;
            if pseudonymise {
                let mut event = decode_current(&opened, None)?;
                if let EventBody::PersonRegistered { person, .. } = &event.body {
                    let next = u32::try_from(registered.len() + 1).unwrap_or(u32::MAX);
                    registered.entry(*person).or_insert(next);
                }
                for field in event.personal_data_mut() {
                    match field.kind {
                        okr_core::PersonalKind::Name => {
                            let n = registered.get(&field.owner).copied().unwrap_or(0);
                            *field.value = format!("Person {n}");
                        }
                        okr_core::PersonalKind::Text if !field.value.is_empty() => {
                            *field.value = okr_core::ERASED_TEXT.to_owned();
                        }
                        okr_core::PersonalKind::Text => {}
                    }
                }
                opened.payload = serde_json::to_value(&event.body).map_err(StoreError::from)?;
            }
            let mut event = if opened.payload == stored.payload {
                stored
            } else {
                opened
            };
            event.hash = event.chain_hash(&previous).map_err(StoreError::from)?;
            previous = event.hash;
            let mut line = serde_json::to_vec(&event).map_err(StoreError::from)?;
            line.push(b'\n');
            w.write_all(&line)?;
            written += 1;
            Ok(())
        })?;
        w.flush()?;
        Ok(written)
    }

    /// Imports a JSON Lines log (as [`Engine::export`] writes it) into this engine, whose
    /// store must be empty.
    ///
    /// Every line is validated before anything is written: it must decode as a
    /// [`RecordedEvent`] whose payload decodes as a core event of the stated type and stream,
    /// with gapless global positions from 0, gapless stream versions, the events of one
    /// command adjacent, and the event ids the store derives. The first bad line is reported
    /// as [`EngineError::Import`] with its number. Then everything is written with one
    /// all-or-nothing append. Returns the number of events imported.
    ///
    /// Lines carry their `hash` in the log's chain, and each must match the chain computed
    /// from the lines before it: a line altered, removed, inserted or moved is refused,
    /// naming the first line whose hash does not match. A log without any hashes (an export
    /// of a build before the chain) is imported and chained anew; a log where some lines have
    /// hashes and others not is refused. [`Engine::import_with`] with
    /// [`ImportOptions::rechain`] accepts a log whose hashes do not match (a log from
    /// elsewhere, edited on purpose) and chains it anew.
    pub fn import(&self, reader: impl BufRead) -> Result<u64, EngineError> {
        self.import_with(reader, ImportOptions::default())
    }

    /// [`Engine::import`] with options.
    pub fn import_with(
        &self,
        reader: impl BufRead,
        options: ImportOptions,
    ) -> Result<u64, EngineError> {
        let mut writer = self.lock_writer();
        if let Some(last_position) = self.store.last_position()? {
            return Err(EngineError::ImportIntoNonEmpty { last_position });
        }
        let mut folded = Folded::default();
        let mut requests: Vec<AppendRequest> = Vec::new();
        let mut used_commands: HashSet<Uuid> = HashSet::new();
        let mut versions: std::collections::HashMap<StreamId, u64> =
            std::collections::HashMap::new();
        let mut count = 0u64;
        let mut previous = EventHash::GENESIS;
        // Whether the lines carry hashes, as the first line says.
        let mut hashed: Option<bool> = None;
        let ring = self.read_keys();
        let mut sealer = Sealer::new(&ring);
        for (index, line) in reader.lines().enumerate() {
            let number = index + 1;
            let bad = |detail: String| EngineError::Import {
                line: number,
                detail,
            };
            let line = line.map_err(|e| bad(format!("cannot read the line: {e}")))?;
            if line.trim().is_empty() {
                return Err(bad("empty line".to_owned()));
            }
            let recorded: RecordedEvent =
                serde_json::from_str(&line).map_err(|e| bad(format!("not an event: {e}")))?;
            if recorded.global_position != count {
                return Err(bad(format!(
                    "global_position is {}, expected {count}",
                    recorded.global_position
                )));
            }
            let next_version = versions.get(&recorded.stream).copied().unwrap_or(0);
            if recorded.stream_version != next_version {
                return Err(bad(format!(
                    "stream_version is {} on stream {}, expected {next_version}",
                    recorded.stream_version, recorded.stream
                )));
            }
            let upcast = self
                .upcast(recorded.clone())
                .map_err(|e| bad(format!("payload: {e}")))?;
            let event = decode_current(&upcast, Some(&self.read_keys())).map_err(|e| match e {
                EngineError::Corrupt { detail, .. } => bad(detail),
                other => bad(other.to_string()),
            })?;
            // What is stored: the line's event with its personal data sealed anew.
            let stored = {
                let mut sealed = event.clone();
                sealer.seal_event(&mut sealed);
                NewEvent {
                    payload: serde_json::to_value(&sealed.body)
                        .map_err(|e| bad(format!("payload does not serialise: {e}")))?,
                    ..new_event_from(&recorded)
                }
            };
            let routed = event.body.stream();
            if routed != recorded.stream {
                return Err(bad(format!(
                    "stream is {}, but the payload belongs to stream {routed}",
                    recorded.stream
                )));
            }
            let continues = requests
                .last()
                .is_some_and(|r| r.command_id == recorded.command_id);
            let index_in_command = if continues {
                let request = requests.last_mut().expect("checked above");
                if request.stream != recorded.stream {
                    return Err(bad(format!(
                        "command_id {} continues on another stream ({} after {})",
                        recorded.command_id, recorded.stream, request.stream
                    )));
                }
                request.events.push(stored);
                request.events.len() as u64 - 1
            } else {
                if !used_commands.insert(recorded.command_id) {
                    return Err(bad(format!(
                        "command_id {} was used by earlier events that are not adjacent",
                        recorded.command_id
                    )));
                }
                requests.push(AppendRequest {
                    stream: recorded.stream,
                    // The event gets stream version v when the stream holds v events.
                    expected: ExpectedVersion::Exact(recorded.stream_version),
                    command_id: recorded.command_id,
                    // An export does not say which command produced the events.
                    fingerprint: None,
                    events: vec![stored],
                });
                0
            };
            let derived =
                derive_event_id(recorded.command_id, index_in_command, recorded.recorded_at);
            if recorded.event_id != derived {
                return Err(bad(format!(
                    "event_id is {}, but the store derives {derived} from command_id, index and recorded_at",
                    recorded.event_id
                )));
            }
            let computed = recorded
                .chain_hash(&previous)
                .map_err(|e| bad(format!("payload does not serialise: {e}")))?;
            if !options.rechain {
                let has = !recorded.hash.is_genesis();
                match hashed {
                    None => hashed = Some(has),
                    Some(before) if before != has => {
                        return Err(bad(if has {
                            "the line has a hash, but the lines before it have none".to_owned()
                        } else {
                            "the line has no hash, but the lines before it have".to_owned()
                        }))
                    }
                    Some(_) => {}
                }
                if has && recorded.hash != computed {
                    return Err(bad(format!(
                        "hash does not match the chain: this event, or one before it, was \
                         altered, removed or moved after it was exported (the line says {}, \
                         the chain gives {computed}); import with rechain to accept the log \
                         as it is and chain it anew",
                        recorded.hash
                    )));
                }
            }
            previous = computed;
            versions.insert(recorded.stream, recorded.stream_version + 1);
            folded.apply(recorded.global_position, &event);
            count += 1;
        }
        let fresh = sealer.into_fresh();
        drop(ring);
        if count == 0 {
            return Ok(0);
        }
        if !fresh.is_empty() {
            self.store.put_keys(&fresh)?;
            let mut ring = self.write_keys();
            for (owner, entry) in fresh {
                ring.insert(owner, entry);
            }
        }
        let appended = self.store.append_batch(requests)?;
        let recorded: Vec<RecordedEvent> = appended.into_iter().flat_map(|o| o.events).collect();
        let after = folded.position;
        let mut durable = self.lock_durable();
        *self.write_folded() = folded;
        writer.ahead = None;
        self.publish(&mut durable, &recorded);
        if let Some(after) = after {
            self.maybe_snapshot(&mut durable, after, false);
        }
        drop(durable);
        // The people the log forgot: their keys (made for the import) are destroyed too.
        self.settle_forgotten(&mut writer)?;
        Ok(count)
    }

    /// Delivers every event from global position `from` on, in order, including events
    /// appended later, each exactly once. The subscription ends when the engine is dropped.
    ///
    /// Events already in the log are read (outside the writer lock, then the last few under
    /// it) before live delivery starts, so there is no gap and no duplicate at the switch.
    /// The channel is unbounded: a subscriber that does not read keeps events in memory.
    ///
    /// On a shared store ([`EventStore::shared`]) a thread of the subscription follows the
    /// log instead, so it delivers the events of every process: it reads from `from` on,
    /// then waits for the store's notification of the next append (or polls every half
    /// second), and ends when the engine is dropped, or at the next event after the
    /// subscription is dropped. An event it
    /// cannot upcast ends it; a failed read is tried again after the wait.
    pub fn subscribe(&self, from: u64) -> Result<Subscription, EngineError> {
        let (tx, rx) = mpsc::channel();
        if self.store.shared() {
            let store = Arc::downgrade(&self.store);
            let upcasters = Arc::clone(&self.upcasters);
            let keys = Arc::clone(&self.keys);
            std::thread::Builder::new()
                .name("okr-subscription".to_owned())
                .spawn(move || follow(store, &upcasters, &keys, &tx, from))
                .map_err(EngineError::Io)?;
            return Ok(Subscription { rx });
        }
        let mut cursor = from;
        // Catch up without blocking writers, then finish under the lock that delivers: up to
        // the readers' state, as everything after it is delivered when it is acknowledged.
        self.catch_up(&tx, &mut cursor, self.position())?;
        let mut durable = self.lock_durable();
        self.catch_up(&tx, &mut cursor, self.position())?;
        durable.subscribers.push(tx);
        Ok(Subscription { rx })
    }

    /// Deletes every snapshot of the store; the next open replays the whole log.
    pub fn clear_snapshots(&self) -> Result<(), EngineError> {
        let mut durable = self.lock_durable();
        self.finish_snapshot(&mut durable, true);
        self.store.clear_snapshots()?;
        durable.last_snapshot = None;
        Ok(())
    }

    /// Sends the stored events from `cursor` up to `last` (inclusive) to `tx`.
    fn catch_up(
        &self,
        tx: &Sender<RecordedEvent>,
        cursor: &mut u64,
        last: Option<u64>,
    ) -> Result<(), EngineError> {
        let Some(last) = last else { return Ok(()) };
        loop {
            if *cursor > last {
                return Ok(());
            }
            let max = usize::try_from(last - *cursor + 1)
                .unwrap_or(usize::MAX)
                .min(CHUNK);
            let chunk = self.store.read_all(*cursor, max)?;
            let full = chunk.len() == max;
            for event in chunk {
                *cursor = event.global_position + 1;
                // A dropped receiver is fine: nothing to deliver to.
                let _ = tx.send(self.open_recorded(event)?);
            }
            if !full {
                return Ok(());
            }
        }
    }

    fn publish(&self, durable: &mut Durable, events: &[RecordedEvent]) {
        if durable.subscribers.is_empty() {
            return;
        }
        let opened: Result<Vec<RecordedEvent>, EngineError> = events
            .iter()
            .map(|e| self.open_recorded(e.clone()))
            .collect();
        let Ok(events) = opened else {
            // A subscriber cannot be told; dropping it ends its iteration early rather
            // than leave a gap in what it receives.
            durable.subscribers.clear();
            return;
        };
        let events = &events[..];
        durable
            .subscribers
            .retain(|tx| events.iter().all(|e| tx.send(e.clone()).is_ok()));
    }

    /// Writes a snapshot at `after` when it is due ([`snapshot_due`]; always, with `force`).
    /// Failures are counted, not returned.
    /// Writes a snapshot at `after` (the readers' state's position) when one is due, or
    /// always with `force`. The state is cloned under the read lock (a few milliseconds at
    /// the sizes a snapshot matters for) and encoded, compressed, sealed and stored on a
    /// thread of its own, so that the writers wait for the clone only, not for the encoding
    /// (several times the clone). One snapshot is in flight at a time: one due while the
    /// one before is still in flight waits for it first. `force` writes on the caller's
    /// thread.
    fn maybe_snapshot(&self, durable: &mut Durable, after: u64, force: bool) {
        let every = self.snapshot_every;
        let due = |durable: &Durable| force || snapshot_due(every, durable.last_snapshot, after);
        self.finish_snapshot(durable, false);
        if every == 0 || !due(durable) {
            return;
        }
        // Due while the one before is still being written: wait for it, so that every
        // snapshot is written where it is due (and the count of them does not depend on
        // how fast the thread was).
        self.finish_snapshot(durable, true);
        if !due(durable) {
            return;
        }
        let (header, state) = {
            let folded = self.read_folded();
            if folded.position != Some(after) {
                return;
            }
            if self.read_keys().get(KeyOwner::Snapshots).is_none() {
                let entry = [(KeyOwner::Snapshots, KeyEntry::Key(Key::generate()))];
                if self.store.put_keys(&entry).is_err() {
                    durable.stats.snapshot_failures += 1;
                    return;
                }
                let [(owner, entry)] = entry;
                self.write_keys().insert(owner, entry);
            }
            let header = SnapshotHeader::current(after, folded.max_recorded_at);
            (header, folded.state.clone())
        };
        let (store, keys) = (Arc::clone(&self.store), self.read_keys().clone());
        let write = move || {
            let stored = match snapshot::encode(&header, &state, &keys) {
                Ok(Some(bytes)) => store.save_snapshot(after, &bytes).is_ok(),
                Ok(None) | Err(_) => false,
            };
            drop(state);
            // The older ones go once the new one is stored.
            (
                after,
                stored && store.prune_snapshots(SNAPSHOTS_KEPT).is_ok(),
            )
        };
        if force {
            let outcome = write();
            Self::count_snapshot(durable, Some(outcome));
            return;
        }
        match std::thread::Builder::new()
            .name("okr-snapshot".into())
            .spawn(write)
        {
            Ok(job) => durable.snapshot_job = Some(job),
            Err(_) => durable.stats.snapshot_failures += 1,
        }
    }

    /// Takes the outcome of the snapshot in flight once it has ended, or waits for it with
    /// `wait`.
    fn finish_snapshot(&self, durable: &mut Durable, wait: bool) {
        if !(wait
            || durable
                .snapshot_job
                .as_ref()
                .is_some_and(|j| j.is_finished()))
        {
            return;
        }
        if let Some(job) = durable.snapshot_job.take() {
            // A panic while encoding counts as a failure; the engine goes on without it.
            Self::count_snapshot(durable, job.join().ok());
        }
    }

    fn count_snapshot(durable: &mut Durable, outcome: Option<(u64, bool)>) {
        match outcome {
            Some((position, true)) => {
                durable.stats.snapshots_written += 1;
                durable.last_snapshot = Some(position);
            }
            Some((_, false)) | None => durable.stats.snapshot_failures += 1,
        }
    }

    /// The newest usable snapshot at or before `position`.
    fn snapshot_at(&self, position: u64) -> Option<Folded> {
        let (at, bytes) = self.store.latest_snapshot(Some(position)).ok()??;
        let (header, state) = snapshot::decode(at, &bytes, &self.read_keys())?;
        Some(Folded {
            state,
            position: Some(at),
            max_recorded_at: header.max_recorded_at,
        })
    }

    /// The newest usable snapshot at or before `last` whose events were all recorded at or
    /// before `t`.
    fn snapshot_before_time(&self, last: u64, t: DateTime<Utc>) -> Option<Folded> {
        let mut cursor = last;
        loop {
            let (at, bytes) = self.store.latest_snapshot(Some(cursor)).ok()??;
            let header = snapshot::decode_header(&bytes);
            if header.is_some_and(|h| h.max_recorded_at.is_none_or(|m| m <= t)) {
                let (header, state) = snapshot::decode(at, &bytes, &self.read_keys())?;
                return Some(Folded {
                    state,
                    position: Some(at),
                    max_recorded_at: header.max_recorded_at,
                });
            }
            cursor = at.checked_sub(1)?;
        }
    }

    /// Folds the log after `folded.position` up to and including `last` into `folded`,
    /// skipping events whose `recorded_at` `keep` refuses. Returns the number of events folded.
    ///
    /// Decoding payloads is most of a replay's work: the store's [`EventStore::scan`] hands
    /// out chunks of borrowed events, each chunk is decoded on up to [`REPLAY_THREADS`]
    /// threads straight into core events (without an intermediate `serde_json::Value`), and
    /// the events are applied in order.
    fn fold_log(
        &self,
        folded: &mut Folded,
        last: Option<u64>,
        keep: impl Fn(DateTime<Utc>) -> bool + Sync,
    ) -> Result<u64, EngineError> {
        let Some(last) = last else { return Ok(0) };
        let from = folded.position.map_or(0, |p| p + 1);
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .clamp(1, REPLAY_THREADS);
        let mut count = 0;
        self.scan_log(from, last, |chunk| {
            count += self.fold_chunk(folded, chunk, threads, &keep)?;
            Ok(())
        })?;
        Ok(count)
    }

    /// [`EventStore::scan`] from `from` to `last` (inclusive) with a fallible `f`: the scan
    /// stops at the first chunk `f` fails on, and that error is returned.
    fn scan_log(
        &self,
        from: u64,
        last: u64,
        mut f: impl FnMut(ScanChunk<'_>) -> Result<(), EngineError>,
    ) -> Result<(), EngineError> {
        let mut failure = None;
        self.store.scan(from, last, &mut |chunk| match f(chunk) {
            Ok(()) => ControlFlow::Continue(()),
            Err(e) => {
                failure = Some(e);
                ControlFlow::Break(())
            }
        })?;
        failure.map_or(Ok(()), Err)
    }

    /// Decodes a chunk of a replay on up to `threads` threads and folds its events in order.
    fn fold_chunk(
        &self,
        folded: &mut Folded,
        chunk: ScanChunk<'_>,
        threads: usize,
        keep: &(impl Fn(DateTime<Utc>) -> bool + Sync),
    ) -> Result<u64, EngineError> {
        let ring = self.read_keys();
        let keys: &Keyring = &ring;
        let decode_part = |part: &ScanChunk<'_>| -> Result<Vec<(u64, Event)>, EngineError> {
            let mut out = Vec::new();
            part.for_each(|view| {
                if let Some(event) = self.decode_view(view, keys, keep)? {
                    out.push((view.global_position, event));
                }
                Ok::<(), EngineError>(())
            })?;
            Ok(out)
        };
        let parts = chunk.split(threads);
        let decoded: Vec<Result<Vec<(u64, Event)>, EngineError>> = if parts.len() < 2 {
            parts.iter().map(decode_part).collect()
        } else {
            std::thread::scope(|scope| {
                let (own, others) = parts.split_first().expect("two parts or more");
                let others: Vec<_> = others
                    .iter()
                    .map(|part| scope.spawn(|| decode_part(part)))
                    .collect();
                let mut results = vec![decode_part(own)];
                for handle in others {
                    results.push(
                        handle
                            .join()
                            .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
                    );
                }
                results
            })
        };
        let mut count = 0;
        for part in decoded {
            for (position, event) in part? {
                folded.apply(position, &event);
                count += 1;
            }
        }
        Ok(count)
    }

    /// Decodes a stored event into a core event, `None` when `keep` refuses its time. An
    /// event no upcaster applies to is read straight from its payload's JSON text; the others
    /// go through [`RecordedEvent`] and the upcasters.
    fn decode_view(
        &self,
        view: &EventView<'_>,
        keys: &Keyring,
        keep: &impl Fn(DateTime<Utc>) -> bool,
    ) -> Result<Option<Event>, EngineError> {
        let position = view.global_position;
        if !self.upcasters.applies(view.event_type, view.schema_version) {
            if !keep(view.recorded_at) {
                return Ok(None);
            }
            let body = decode_payload(view.event_type, view.payload).map_err(|e| {
                EngineError::Corrupt {
                    position,
                    detail: format!("payload does not decode: {e}"),
                }
            })?;
            return check_event(
                position,
                body,
                view.event_type,
                view.recorded_at,
                view.actor,
                Some(keys),
            )
            .map(Some);
        }
        let recorded = view
            .to_recorded()
            .map_err(|detail| EngineError::Corrupt { position, detail })?;
        if !keep(recorded.recorded_at) {
            return Ok(None);
        }
        decode_current(&self.upcast(recorded)?, Some(keys)).map(Some)
    }

    /// Calls `f` with every stored event from `from` to `last` (inclusive), in order, reading
    /// the store [`CHUNK`] events at a time; stops early at the end of the log.
    fn for_each_stored(
        &self,
        mut from: u64,
        last: u64,
        mut f: impl FnMut(RecordedEvent) -> Result<(), EngineError>,
    ) -> Result<(), EngineError> {
        while from <= last {
            let max = usize::try_from(last - from + 1)
                .unwrap_or(usize::MAX)
                .min(CHUNK);
            let chunk = self.store.read_all(from, max)?;
            let Some(tail) = chunk.last() else { break };
            from = tail.global_position + 1;
            for event in chunk {
                f(event)?;
            }
        }
        Ok(())
    }

    /// The check-ins of a cycle's stream up to global position `last` that `keep` accepts
    /// (given each one's position and `recorded_at`), decoded, in stream order (the only
    /// events [`rollup::history`] replays). Streams the log rather than reading the whole
    /// stream at once, so that only the decoded check-ins are held, whatever the cycle's size.
    fn cycle_events(
        &self,
        cycle: CycleId,
        last: Option<u64>,
        keep: impl Fn(u64, DateTime<Utc>) -> bool,
    ) -> Result<Vec<Event>, EngineError> {
        let Some(last) = last else {
            return Ok(Vec::new());
        };
        let stream = StreamId::Cycle(cycle).name();
        let ring = self.read_keys();
        let mut events = Vec::new();
        self.scan_log(0, last, |chunk| {
            chunk.for_each(|view| {
                // An upcaster may turn an event of another type into a check-in.
                let may_check_in = view.event_type == "checked_in"
                    || self.upcasters.applies(view.event_type, view.schema_version);
                if view.stream != stream
                    || !may_check_in
                    || !keep(view.global_position, view.recorded_at)
                {
                    return Ok(());
                }
                if let Some(event) = self.decode_view(view, &ring, &|_| true)? {
                    if matches!(event.body, EventBody::CheckedIn { .. }) {
                        events.push(event);
                    }
                }
                Ok(())
            })
        })?;
        Ok(events)
    }

    fn upcast(&self, recorded: RecordedEvent) -> Result<RecordedEvent, EngineError> {
        let position = recorded.global_position;
        self.upcasters
            .upcast(recorded)
            .map_err(|e| EngineError::Corrupt {
                position,
                detail: e.to_string(),
            })
    }

    fn duplicate_outcome(&self, original: AppendOutcome) -> Result<ExecuteOutcome, EngineError> {
        let stream = original
            .events
            .first()
            .map(|e| e.stream.to_string())
            .unwrap_or_default();
        let events = original
            .events
            .iter()
            .map(|e| self.decode(e))
            .collect::<Result<_, _>>()?;
        Ok(ExecuteOutcome {
            stream,
            events,
            positions: original.events.iter().map(|e| e.global_position).collect(),
            lints: Vec::new(),
            duplicate: true,
        })
    }

    fn lock_writer(&self) -> MutexGuard<'_, Writer> {
        // Nothing under the writer mutex panics midway through a change (decide, lints and
        // `State::apply` do not panic): the state ahead is whole after a panic.
        self.writer.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Locks the acknowledging side. Lock order: writer, then this, then the state.
    fn lock_durable(&self) -> MutexGuard<'_, Durable> {
        // Staged appends, subscribers and counters stay usable after a panic.
        self.durable.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn read_folded(&self) -> RwLockReadGuard<'_, Folded> {
        // `State::apply` never panics (an okr-core invariant), so a poisoned lock still
        // guards a whole state.
        self.folded.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write_folded(&self) -> RwLockWriteGuard<'_, Folded> {
        self.folded.write().unwrap_or_else(|e| e.into_inner())
    }
}

/// Receives the events of [`Engine::subscribe`], in global order.
///
/// Iterating blocks until the next event and ends when the engine is dropped.
#[derive(Debug)]
pub struct Subscription {
    rx: Receiver<RecordedEvent>,
}

impl Subscription {
    /// Waits for the next event; `None` once the engine is gone and everything was delivered.
    pub fn recv(&self) -> Option<RecordedEvent> {
        self.rx.recv().ok()
    }

    /// Waits at most `timeout` for the next event.
    pub fn recv_timeout(&self, timeout: Duration) -> Result<RecordedEvent, RecvTimeoutError> {
        self.rx.recv_timeout(timeout)
    }

    /// The next event if one is waiting.
    pub fn try_recv(&self) -> Result<RecordedEvent, TryRecvError> {
        self.rx.try_recv()
    }
}

impl Iterator for Subscription {
    type Item = RecordedEvent;

    fn next(&mut self) -> Option<RecordedEvent> {
        self.recv()
    }
}

/// Takes the entries of `store`'s key store into `keys`.
fn merge_keys(store: &dyn EventStore, keys: &RwLock<Keyring>) -> Result<(), StoreError> {
    let stored = store.load_keys()?;
    let mut ring = keys.write().unwrap_or_else(|e| e.into_inner());
    for (owner, entry) in stored {
        ring.insert(owner, entry);
    }
    Ok(())
}

/// The thread of a subscription on a shared store: reads the log from `cursor` on and waits
/// for more, until the store is gone (the engine was dropped) or the receiver is.
fn follow(
    store: Weak<dyn EventStore>,
    upcasters: &Upcasters,
    keys: &RwLock<Keyring>,
    tx: &Sender<RecordedEvent>,
    mut cursor: u64,
) {
    loop {
        let Some(store) = store.upgrade() else { return };
        let chunk = match store.read_all(cursor, CHUNK) {
            Ok(chunk) => chunk,
            Err(_) => {
                // The server may be restarting: read again after a while.
                drop(store);
                std::thread::sleep(FOLLOW_POLL);
                continue;
            }
        };
        let full = chunk.len() == CHUNK;
        for event in chunk {
            cursor = event.global_position + 1;
            let ring = keys.read().unwrap_or_else(|e| e.into_inner());
            let opened = open_recorded_with(upcasters, &ring, event.clone());
            drop(ring);
            let event = match opened {
                Ok(event) => event,
                // Sealed with a key another engine made after this one loaded its keys.
                Err(_) if merge_keys(&*store, keys).is_ok() => {
                    let ring = keys.read().unwrap_or_else(|e| e.into_inner());
                    match open_recorded_with(upcasters, &ring, event) {
                        Ok(event) => event,
                        Err(_) => return,
                    }
                }
                Err(_) => return,
            };
            if tx.send(event).is_err() {
                return;
            }
        }
        if !full
            && store
                .wait_for_append(cursor.checked_sub(1), FOLLOW_POLL)
                .is_err()
        {
            drop(store);
            std::thread::sleep(FOLLOW_POLL);
        }
    }
}

fn to_new_event(event: &Event) -> Result<NewEvent, EngineError> {
    let payload = serde_json::to_value(&event.body).map_err(StoreError::from)?;
    Ok(NewEvent::new(
        event.body.event_type(),
        event.body.schema_version(),
        payload,
        event
            .by
            .0
            .hyphenated()
            .encode_lower(&mut Uuid::encode_buffer())
            .to_owned(),
        event.at,
    ))
}

fn new_event_from(recorded: &RecordedEvent) -> NewEvent {
    NewEvent {
        event_type: recorded.event_type.clone(),
        schema_version: recorded.schema_version,
        payload: recorded.payload.clone(),
        actor: recorded.actor.clone(),
        recorded_at: recorded.recorded_at,
        correlation_id: recorded.correlation_id,
    }
}

/// Reads a JSON payload of a known event type straight into the core event body.
fn decode_payload(event_type: &str, payload: &[u8]) -> Result<EventBody, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_slice(payload);
    let body = EventBody::deserialize_of_type(event_type, &mut de)?;
    de.end()?;
    Ok(body)
}

/// Turns a stored event into a core event, upcasting it with [`core_upcasters`] first: what
/// [`Engine::decode`] does, for events that arrive without their engine (a
/// [`Subscription`]'s).
pub fn decode_recorded(recorded: &RecordedEvent) -> Result<Event, EngineError> {
    let position = recorded.global_position;
    let upcast = core_upcasters()
        .upcast(recorded.clone())
        .map_err(|e| EngineError::Corrupt {
            position,
            detail: e.to_string(),
        })?;
    decode_current(&upcast, None)
}

/// Decodes an event that is already at the current schema versions; opens its personal data
/// with `keys` when given.
fn decode_current(recorded: &RecordedEvent, keys: Option<&Keyring>) -> Result<Event, EngineError> {
    let body = EventBody::deserialize(&recorded.payload).map_err(|e| EngineError::Corrupt {
        position: recorded.global_position,
        detail: format!("payload does not decode: {e}"),
    })?;
    check_event(
        recorded.global_position,
        body,
        &recorded.event_type,
        recorded.recorded_at,
        &recorded.actor,
        keys,
    )
}

/// [`Engine::open_recorded`] without the engine: upcast, decode, open, and the payload
/// written again when anything was opened.
fn open_recorded_with(
    upcasters: &Upcasters,
    keys: &Keyring,
    recorded: RecordedEvent,
) -> Result<RecordedEvent, EngineError> {
    let position = recorded.global_position;
    let mut recorded = upcasters
        .upcast(recorded)
        .map_err(|e| EngineError::Corrupt {
            position,
            detail: e.to_string(),
        })?;
    let sealed = decode_current(&recorded, None)?;
    let opened = decode_current(&recorded, Some(keys))?;
    if opened != sealed {
        recorded.payload = serde_json::to_value(&opened.body).map_err(StoreError::from)?;
    }
    Ok(recorded)
}

/// Checks a decoded payload against its envelope and builds the core event.
fn check_event(
    position: u64,
    body: EventBody,
    event_type: &str,
    at: DateTime<Utc>,
    actor: &str,
    keys: Option<&Keyring>,
) -> Result<Event, EngineError> {
    let corrupt = |detail: String| EngineError::Corrupt { position, detail };
    if body.event_type() != event_type {
        return Err(corrupt(format!(
            "event_type is {:?}, but the payload is a {:?}",
            event_type,
            body.event_type()
        )));
    }
    let by = Uuid::parse_str(actor)
        .map(PersonId)
        .map_err(|e| corrupt(format!("actor {actor:?} is not a person id: {e}")))?;
    let mut event = Event { at, by, body };
    if let Some(keys) = keys {
        keys.open_event(&mut event).map_err(corrupt)?;
    }
    Ok(event)
}

#[cfg(test)]
mod tests {
    use super::snapshot_due;

    #[test]
    fn snapshots_come_every_so_many_events_then_as_the_log_grows_by_an_eighth() {
        // (every, newest snapshot, position now, due?)
        let cases = [
            (10, None, 8, false),
            (10, None, 9, true),
            (10, Some(9), 18, false),
            (10, Some(9), 19, true),
            // Small logs: `every` decides.
            (10_000, Some(39_999), 49_998, false),
            (10_000, Some(39_999), 49_999, true),
            // Large logs: an eighth of the log at the newest snapshot.
            (10_000, Some(799_999), 809_999, false),
            (10_000, Some(799_999), 899_998, false),
            (10_000, Some(799_999), 899_999, true),
            // A position before the newest snapshot (another engine wrote it) is not due.
            (10, Some(100), 50, false),
            (1, Some(u64::MAX - 1), u64::MAX, false),
        ];
        for (every, last, after, due) in cases {
            assert_eq!(
                snapshot_due(every, last, after),
                due,
                "every {every}, newest snapshot at {last:?}, now at {after}"
            );
        }
    }
}
