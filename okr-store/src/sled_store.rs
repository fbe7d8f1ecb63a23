//! [`SledStore`]: the on-disk backend, on [sled](https://docs.rs/sled/0.34) 0.34.
//!
//! # Layout
//!
//! One sled `Db` per store with a fixed set of trees (never a tree per stream):
//!
//! | tree | key | value |
//! |---|---|---|
//! | `meta` | `b"format"` | store format version, `u32` big-endian |
//! | `events` | global position, `u64` big-endian | the [`RecordedEvent`] as JSON |
//! | `streams` | stream name, `0x00`, stream version `u64` big-endian | global position, `u64` BE |
//! | `heads` | stream name | version of the stream's last event, `u64` BE |
//! | `commands` | command id, 16 bytes | JSON `{stream, first_version, first_position, count}` |
//! | `counters` | `b"next_position"` | next global position, `u64` BE |
//! | `snapshots` | global position covered, `u64` BE | opaque bytes from [`SnapshotStore::save_snapshot`] |
//!
//! Snapshots live outside the append transaction: they are written after the events they
//! cover and are never needed for correctness (a store whose snapshots are all gone, or were
//! never written, holds the same log). Stores created before the `snapshots` tree existed get
//! it on their next open; the store format version stays 1.
//!
//! Next to sled's files the directory holds `OKR_STORE`, a small text file written when the
//! store is created: if it is there but the sled database holds no okr data, sled's files were
//! truncated, replaced or deleted (sled would silently start an empty database), and `open`
//! reports [`StoreError::Corrupt`] instead of starting over.
//!
//! Every append (or batch) is one sled transaction over `events`, `streams`, `heads`,
//! `commands` and `counters` that reads the counter, the head and the command index, checks the
//! expected version and writes everything; sled serialises conflicting transactions, so
//! positions are gapless and ordered. The big-endian keys make sled's byte order the numeric
//! order.
//!
//! # Durability
//!
//! See [`Durability`]. In short: with [`Durability::Sync`] an append returns only after
//! `sled::Db::flush`, which writes sled's log and calls `fsync`; an acknowledged event then
//! survives a process crash (the crash test kills writers with `SIGKILL` to check this) and a
//! power loss to the extent the file system and the device honour `fsync`. sled 0.34 is beta
//! software: its authors do not promise on-disk format stability between releases, and this
//! crate checks the store's own format version on open but cannot check sled's.
//!
//! What `open` does not detect: sled recovers its log up to the first damaged or torn
//! segment, so damage in the middle of the `db` file (bad sectors, a stray write) loses the
//! events after it without an error. What remains is a consistent prefix (every transaction
//! whole, counter, heads and log agreeing), which `open` checks.

use std::fs;
use std::io::{self, Write};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use sled::transaction::{ConflictableTransactionError, TransactionError, TransactionalTree};
use sled::Transactional;
use uuid::Uuid;

use crate::error::StoreError;
use crate::event::{RecordedEvent, StreamId};
use crate::snapshot::SnapshotStore;
use crate::store::{append_in, AppendOutcome, AppendRequest, CommandRecord, EventStore, Tx};

/// How long [`SledStore::open`] waits for sled's file lock held by a handle this process
/// just dropped.
pub const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// The store format this build writes and the newest it reads.
pub const FORMAT_VERSION: u32 = 1;

const FORMAT_KEY: &[u8] = b"format";
/// A file next to sled's, written when a store is created. It lets `open` tell a store whose
/// sled files were truncated, replaced or deleted (sled then silently starts empty) from a new
/// one.
const MARKER_FILE: &str = "OKR_STORE";
const NEXT_POSITION_KEY: &[u8] = b"next_position";
const TREES: [&str; 7] = [
    "meta",
    "events",
    "streams",
    "heads",
    "commands",
    "counters",
    "snapshots",
];
const SLED_DEFAULT_TREE: &[u8] = b"__sled__default";

/// When appended events reach the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// Flush (write and `fsync` sled's log) before every append returns. An acknowledged
    /// append survives a crash of the process or, if the storage honours `fsync`, of the
    /// machine. The slowest mode, and the default.
    #[default]
    Sync,
    /// sled flushes in the background every so many milliseconds (sled's `flush_every_ms`).
    /// A crash loses at most the appends of roughly the last period; what survives is still a
    /// consistent prefix of the log, as every append is one sled transaction.
    Periodic(u64),
    /// No flushes except [`SledStore::flush`] and sled's own when its buffers fill or the
    /// store is dropped. For tests, imports that are redone on failure, and benchmarks.
    None,
}

/// How to open a [`SledStore`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreOptions {
    /// When appends reach the disk; default [`Durability::Sync`].
    pub durability: Durability,
    /// Create the store when the path does not exist (default `true`). When `false`, a
    /// missing path is [`StoreError::NotAnOkrStore`].
    pub create_if_missing: bool,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            durability: Durability::Sync,
            create_if_missing: true,
        }
    }
}

/// An [`EventStore`] on disk, in one sled database directory.
///
/// Cheap to share between threads (`&SledStore` is enough: every method takes `&self`). One
/// process at a time can open a path; a second open fails with [`StoreError::Sled`].
#[derive(Debug, Clone)]
pub struct SledStore {
    path: PathBuf,
    durability: Durability,
    db: sled::Db,
    meta: sled::Tree,
    events: sled::Tree,
    streams: sled::Tree,
    heads: sled::Tree,
    commands: sled::Tree,
    counters: sled::Tree,
    snapshots: sled::Tree,
}

impl SledStore {
    /// Opens (or creates) the store at `path`, a directory.
    ///
    /// Fails without panicking, and without touching anything, when `path` is a file, a
    /// directory with files but no `OKR_STORE` marker (a new store gets its marker before sled
    /// writes anything), a directory with files that are not sled's, a sled database that is
    /// not an okr store, a store of a newer format
    /// ([`StoreError::NewerFormat`]), or a damaged store ([`StoreError::Corrupt`]: sled
    /// reported or panicked on corruption, the position counter is missing, or the counter,
    /// the last event and the stream heads disagree).
    ///
    /// One process at a time holds a store. sled lets go of its file lock a moment after the
    /// last handle is dropped, not at once, so a store closed and reopened in the same
    /// process is waited for up to [`LOCK_WAIT`]; a store another handle keeps open fails
    /// with [`StoreError::Sled`] after that wait.
    pub fn open(path: impl AsRef<Path>, options: StoreOptions) -> Result<SledStore, StoreError> {
        let path = path.as_ref();
        let marker = inspect_directory(path, options.create_if_missing)?;
        let flush_every_ms = match options.durability {
            Durability::Periodic(ms) => Some(ms.max(1)),
            Durability::Sync | Durability::None => None,
        };
        let config = sled::Config::new()
            .path(path)
            .flush_every_ms(flush_every_ms);
        let waited = std::time::Instant::now();
        let open = || loop {
            match config.open() {
                Err(sled::Error::Io(e))
                    if e.to_string().contains("acquire lock") && waited.elapsed() < LOCK_WAIT =>
                {
                    std::thread::sleep(std::time::Duration::from_millis(5));
                }
                other => return other,
            }
        };
        let db = match catch_unwind(AssertUnwindSafe(open)) {
            Ok(Ok(db)) => db,
            Ok(Err(e)) => return Err(open_error(path, e)),
            Err(panic) => {
                return Err(StoreError::Corrupt {
                    location: path.display().to_string(),
                    detail: format!("sled panicked while opening: {}", panic_message(&panic)),
                })
            }
        };
        let had_format = check_format(path, &db)?;
        let tree = |name: &str| db.open_tree(name).map_err(|e| sled_error(path, e));
        let store = SledStore {
            path: path.to_owned(),
            durability: options.durability,
            meta: tree("meta")?,
            events: tree("events")?,
            streams: tree("streams")?,
            heads: tree("heads")?,
            commands: tree("commands")?,
            counters: tree("counters")?,
            snapshots: tree("snapshots")?,
            db,
        };
        if !had_format {
            if marker == Marker::Ready {
                return Err(store.corrupt(
                    MARKER_FILE,
                    "the store's marker file is present but the sled database holds no okr \
                     data: sled's files were truncated, replaced or deleted"
                        .to_owned(),
                ));
            }
            store.initialise()?;
        }
        store.validate()?;
        if marker == Marker::Creating {
            store.flush()?;
            write_marker(path, Marker::Ready)?;
        }
        Ok(store)
    }

    /// The directory the store lives in.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The durability the store was opened with.
    pub fn durability(&self) -> Durability {
        self.durability
    }

    /// Writes everything appended so far to disk and `fsync`s it, whatever the durability.
    pub fn flush(&self) -> Result<(), StoreError> {
        self.db.flush().map_err(|e| sled_error(&self.path, e))?;
        Ok(())
    }

    /// Calls `f` with the position and the stored bytes of every event from `from` to `last`
    /// (inclusive), in order, without decoding them; stops early at the end of the log. A gap
    /// in the log is [`StoreError::Corrupt`], as in [`EventStore::read_all`].
    pub(crate) fn scan_events<E: From<StoreError>>(
        &self,
        from: u64,
        last: u64,
        mut f: impl FnMut(u64, &[u8]) -> Result<(), E>,
    ) -> Result<(), E> {
        if from > last {
            return Ok(());
        }
        let range = from.to_be_bytes()..=last.to_be_bytes();
        for (expected, entry) in (from..).zip(self.events.range(range)) {
            let (key, value) = entry.map_err(|e| self.sled_error(e))?;
            let position = self.decode_u64("events", &key)?;
            if position != expected {
                return Err(self
                    .corrupt(
                        &format!("events/{expected}"),
                        format!("event missing: the log jumps to {position}"),
                    )
                    .into());
            }
            f(position, &value)?;
        }
        Ok(())
    }

    fn initialise(&self) -> Result<(), StoreError> {
        (&self.meta, &self.counters)
            .transaction(|(meta, counters)| {
                meta.insert(FORMAT_KEY, &FORMAT_VERSION.to_be_bytes())?;
                counters.insert(NEXT_POSITION_KEY, &0u64.to_be_bytes())?;
                Ok::<(), ConflictableTransactionError<StoreError>>(())
            })
            .map_err(|e| self.transaction_error(e))?;
        self.flush()
    }

    /// Checks that the counter, the last event and the stream heads agree. Costs one read per
    /// stream, not per event.
    fn validate(&self) -> Result<(), StoreError> {
        let next = self.next_position()?;
        let last = self.events.last().map_err(|e| self.sled_error(e))?;
        match last {
            None if next != 0 => {
                return Err(self.corrupt(
                    "counters/next_position",
                    format!("counter is {next} but the events tree is empty"),
                ))
            }
            None => {}
            Some((key, value)) => {
                let position = self.decode_u64("events", &key)?;
                if position + 1 != next {
                    return Err(self.corrupt(
                        "counters/next_position",
                        format!("counter is {next} but the last event has position {position}"),
                    ));
                }
                let event = self.decode_event(position, &value)?;
                if event.global_position != position {
                    return Err(self.corrupt(
                        &format!("events/{position}"),
                        format!("event records position {}", event.global_position),
                    ));
                }
            }
        }
        for entry in self.heads.iter() {
            let (name, version) = entry.map_err(|e| self.sled_error(e))?;
            let stream = stream_from_key(&self.path, &name)?;
            let version = self.decode_u64("heads", &version)?;
            let (start, end) = stream_range(&stream, 0);
            let last = self
                .streams
                .range(start..=end)
                .next_back()
                .transpose()
                .map_err(|e| self.sled_error(e))?;
            let indexed = match last {
                Some((key, _)) => Some(self.decode_u64("streams", &key[key.len() - 8..])?),
                None => None,
            };
            if indexed != Some(version) {
                return Err(self.corrupt(
                    &format!("heads/{stream}"),
                    format!(
                        "head is {version} but the stream index ends at {}",
                        indexed.map_or("nothing".to_owned(), |v| v.to_string())
                    ),
                ));
            }
        }
        Ok(())
    }

    fn next_position(&self) -> Result<u64, StoreError> {
        match self
            .counters
            .get(NEXT_POSITION_KEY)
            .map_err(|e| self.sled_error(e))?
        {
            Some(bytes) => self.decode_u64("counters", &bytes),
            None => Err(self.corrupt("counters/next_position", "counter is missing".to_owned())),
        }
    }

    fn event_at(&self, position: u64) -> Result<RecordedEvent, StoreError> {
        match self
            .events
            .get(position.to_be_bytes())
            .map_err(|e| self.sled_error(e))?
        {
            Some(bytes) => self.decode_event(position, &bytes),
            None => Err(self.corrupt(
                &format!("events/{position}"),
                "indexed event is missing".to_owned(),
            )),
        }
    }

    pub(crate) fn decode_event(
        &self,
        position: u64,
        bytes: &[u8],
    ) -> Result<RecordedEvent, StoreError> {
        serde_json::from_slice(bytes).map_err(|e| {
            self.corrupt(
                &format!("events/{position}"),
                format!("event does not decode: {e}"),
            )
        })
    }

    fn decode_u64(&self, tree: &str, bytes: &[u8]) -> Result<u64, StoreError> {
        decode_u64(bytes).ok_or_else(|| {
            self.corrupt(
                tree,
                format!("expected an 8-byte number, found {} bytes", bytes.len()),
            )
        })
    }

    fn corrupt(&self, at: &str, detail: String) -> StoreError {
        StoreError::Corrupt {
            location: format!("{} ({at})", self.path.display()),
            detail,
        }
    }

    fn sled_error(&self, e: sled::Error) -> StoreError {
        sled_error(&self.path, e)
    }

    fn transaction_error(&self, e: TransactionError<StoreError>) -> StoreError {
        match e {
            TransactionError::Abort(e) => e,
            TransactionError::Storage(e) => self.sled_error(e),
        }
    }
}

/// The store's view inside one sled transaction.
struct SledTx<'a> {
    path: &'a Path,
    events: &'a TransactionalTree,
    streams: &'a TransactionalTree,
    heads: &'a TransactionalTree,
    commands: &'a TransactionalTree,
    counters: &'a TransactionalTree,
}

type TxError = ConflictableTransactionError<StoreError>;

impl SledTx<'_> {
    fn corrupt(&self, at: String, detail: String) -> TxError {
        ConflictableTransactionError::Abort(StoreError::Corrupt {
            location: format!("{} ({at})", self.path.display()),
            detail,
        })
    }
}

impl Tx for SledTx<'_> {
    type Error = TxError;

    fn command(&mut self, command_id: Uuid) -> Result<Option<CommandRecord>, TxError> {
        match self.commands.get(command_id.as_bytes())? {
            None => Ok(None),
            Some(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| {
                self.corrupt(
                    format!("commands/{command_id}"),
                    format!("does not decode: {e}"),
                )
            }),
        }
    }

    fn event(&mut self, position: u64) -> Result<RecordedEvent, TxError> {
        match self.events.get(position.to_be_bytes())? {
            None => Err(self.corrupt(
                format!("events/{position}"),
                "command index points at a missing event".to_owned(),
            )),
            Some(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
                self.corrupt(
                    format!("events/{position}"),
                    format!("does not decode: {e}"),
                )
            }),
        }
    }

    fn head(&mut self, stream: &StreamId) -> Result<Option<u64>, TxError> {
        match self.heads.get(stream.as_str().as_bytes())? {
            None => Ok(None),
            Some(bytes) => decode_u64(&bytes).map(Some).ok_or_else(|| {
                self.corrupt(format!("heads/{stream}"), "not an 8-byte number".to_owned())
            }),
        }
    }

    fn next_position(&mut self) -> Result<u64, TxError> {
        match self.counters.get(NEXT_POSITION_KEY)? {
            None => Err(self.corrupt(
                "counters/next_position".to_owned(),
                "counter is missing".to_owned(),
            )),
            Some(bytes) => decode_u64(&bytes).ok_or_else(|| {
                self.corrupt(
                    "counters/next_position".to_owned(),
                    "not an 8-byte number".to_owned(),
                )
            }),
        }
    }

    fn write(
        &mut self,
        command_id: Uuid,
        record: &CommandRecord,
        events: &[RecordedEvent],
    ) -> Result<(), TxError> {
        for event in events {
            let json = serde_json::to_vec(event).map_err(StoreError::from)?;
            self.events
                .insert(&event.global_position.to_be_bytes(), json)?;
            self.streams.insert(
                stream_key(&event.stream, event.stream_version),
                &event.global_position.to_be_bytes(),
            )?;
        }
        let next = record.first_position + record.count;
        let head = record.first_version + record.count - 1;
        self.heads
            .insert(record.stream.as_str().as_bytes(), &head.to_be_bytes())?;
        self.counters
            .insert(NEXT_POSITION_KEY, &next.to_be_bytes())?;
        let json = serde_json::to_vec(record).map_err(StoreError::from)?;
        self.commands.insert(command_id.as_bytes(), json)?;
        Ok(())
    }
}

impl From<StoreError> for ConflictableTransactionError<StoreError> {
    fn from(e: StoreError) -> Self {
        ConflictableTransactionError::Abort(e)
    }
}

impl EventStore for SledStore {
    fn append_batch(&self, batch: Vec<AppendRequest>) -> Result<Vec<AppendOutcome>, StoreError> {
        if batch.is_empty() {
            return Ok(Vec::new());
        }
        let outcomes = (
            &self.events,
            &self.streams,
            &self.heads,
            &self.commands,
            &self.counters,
        )
            .transaction(|(events, streams, heads, commands, counters)| {
                let mut tx = SledTx {
                    path: &self.path,
                    events,
                    streams,
                    heads,
                    commands,
                    counters,
                };
                batch
                    .iter()
                    .map(|request| append_in(&mut tx, request))
                    .collect::<Result<Vec<_>, TxError>>()
            })
            .map_err(|e| self.transaction_error(e))?;
        // Flush even when every request was a duplicate: the original append may have been
        // committed by another thread that has not flushed yet.
        if self.durability == Durability::Sync {
            self.flush()?;
        }
        Ok(outcomes)
    }

    fn read_stream(
        &self,
        stream: &StreamId,
        from_version: u64,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let (start, end) = stream_range(stream, from_version);
        let mut events = Vec::new();
        for entry in self.streams.range(start..=end) {
            let (_, position) = entry.map_err(|e| self.sled_error(e))?;
            let position = self.decode_u64("streams", &position)?;
            events.push(self.event_at(position)?);
        }
        Ok(events)
    }

    fn read_all(&self, from_position: u64, max: usize) -> Result<Vec<RecordedEvent>, StoreError> {
        // Everything below the counter is committed, so reading up to it gives a gapless
        // prefix even while other threads append.
        let next = self.next_position()?;
        let mut events = Vec::new();
        if from_position >= next || max == 0 {
            return Ok(events);
        }
        let range = from_position.to_be_bytes()..next.to_be_bytes();
        for (expected, entry) in (from_position..).zip(self.events.range(range).take(max)) {
            let (key, value) = entry.map_err(|e| self.sled_error(e))?;
            let position = self.decode_u64("events", &key)?;
            if position != expected {
                return Err(self.corrupt(
                    &format!("events/{expected}"),
                    format!("event missing: the log jumps to {position}"),
                ));
            }
            events.push(self.decode_event(position, &value)?);
        }
        Ok(events)
    }

    fn stream_version(&self, stream: &StreamId) -> Result<Option<u64>, StoreError> {
        match self
            .heads
            .get(stream.as_str().as_bytes())
            .map_err(|e| self.sled_error(e))?
        {
            None => Ok(None),
            Some(bytes) => self.decode_u64("heads", &bytes).map(Some),
        }
    }

    fn heads(&self) -> Result<std::collections::BTreeMap<StreamId, u64>, StoreError> {
        let mut heads = std::collections::BTreeMap::new();
        for entry in self.heads.iter() {
            let (name, version) = entry.map_err(|e| self.sled_error(e))?;
            heads.insert(
                stream_from_key(&self.path, &name)?,
                self.decode_u64("heads", &version)?,
            );
        }
        Ok(heads)
    }

    fn last_position(&self) -> Result<Option<u64>, StoreError> {
        Ok(self.next_position()?.checked_sub(1))
    }

    fn find_command(&self, command_id: Uuid) -> Result<Option<AppendOutcome>, StoreError> {
        let Some(bytes) = self
            .commands
            .get(command_id.as_bytes())
            .map_err(|e| self.sled_error(e))?
        else {
            return Ok(None);
        };
        let record: CommandRecord = serde_json::from_slice(&bytes).map_err(|e| {
            self.corrupt(
                &format!("commands/{command_id}"),
                format!("does not decode: {e}"),
            )
        })?;
        let events = (record.first_position..record.first_position + record.count)
            .map(|position| self.event_at(position))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Some(AppendOutcome {
            events,
            duplicate: true,
        }))
    }
}

impl SnapshotStore for SledStore {
    /// Inserts the snapshot; flushed with the next append (or at once under
    /// [`Durability::Sync`]).
    fn save_snapshot(&self, position: u64, bytes: &[u8]) -> Result<(), StoreError> {
        self.snapshots
            .insert(position.to_be_bytes(), bytes)
            .map_err(|e| self.sled_error(e))?;
        if self.durability == Durability::Sync {
            self.flush()?;
        }
        Ok(())
    }

    fn latest_snapshot(
        &self,
        at_or_before: Option<u64>,
    ) -> Result<Option<(u64, Vec<u8>)>, StoreError> {
        let found = match at_or_before {
            Some(p) => self.snapshots.range(..=p.to_be_bytes()).next_back(),
            None => self.snapshots.iter().next_back(),
        };
        match found.transpose().map_err(|e| self.sled_error(e))? {
            None => Ok(None),
            Some((key, value)) => Ok(Some((self.decode_u64("snapshots", &key)?, value.to_vec()))),
        }
    }

    fn clear_snapshots(&self) -> Result<(), StoreError> {
        self.snapshots.clear().map_err(|e| self.sled_error(e))?;
        if self.durability == Durability::Sync {
            self.flush()?;
        }
        Ok(())
    }
}

fn stream_key(stream: &StreamId, version: u64) -> Vec<u8> {
    let mut key = Vec::with_capacity(stream.as_str().len() + 9);
    key.extend_from_slice(stream.as_str().as_bytes());
    key.push(0);
    key.extend_from_slice(&version.to_be_bytes());
    key
}

/// Inclusive key range of the stream's index entries with version `>= from_version`.
fn stream_range(stream: &StreamId, from_version: u64) -> (Vec<u8>, Vec<u8>) {
    (
        stream_key(stream, from_version),
        stream_key(stream, u64::MAX),
    )
}

fn stream_from_key(path: &Path, key: &[u8]) -> Result<StreamId, StoreError> {
    std::str::from_utf8(key)
        .ok()
        .and_then(|s| StreamId::new(s).ok())
        .ok_or_else(|| StoreError::Corrupt {
            location: format!("{} (heads)", path.display()),
            detail: format!("key {key:?} is not a stream id"),
        })
}

fn decode_u64(bytes: &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(bytes.try_into().ok()?))
}

fn sled_error(path: &Path, e: sled::Error) -> StoreError {
    match e {
        sled::Error::Corruption { at, .. } => StoreError::Corrupt {
            location: match at {
                Some(at) => format!("{} (sled {at:?})", path.display()),
                None => path.display().to_string(),
            },
            detail: "sled detected corruption".to_owned(),
        },
        other => StoreError::Sled(other),
    }
}

/// Errors of `sled::Config::open`: a store this crate created has files sled can read, so
/// anything but an I/O error means they were damaged or replaced.
fn open_error(path: &Path, e: sled::Error) -> StoreError {
    match e {
        sled::Error::Unsupported(message) | sled::Error::ReportableBug(message) => {
            StoreError::Corrupt {
                location: path.display().to_string(),
                detail: format!("sled cannot open it: {message}"),
            }
        }
        other => sled_error(path, other),
    }
}

fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".to_owned()
    }
}

/// What the marker file says about the directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Marker {
    /// Written before sled creates its files: the store is being created. Opening such a
    /// store finishes the creation (nothing can have been appended yet).
    Creating,
    /// Written once the store is initialised and flushed.
    Ready,
}

const CREATING_LINE: &str = "okr event store, being created";

/// Writes the marker file and makes it durable.
fn write_marker(path: &Path, state: Marker) -> Result<(), StoreError> {
    let marker = path.join(MARKER_FILE);
    let io_error = |source: io::Error| StoreError::Io {
        path: marker.clone(),
        source,
    };
    let text = match state {
        Marker::Creating => format!("{CREATING_LINE}\n"),
        Marker::Ready => format!("okr event store, format {FORMAT_VERSION}, on sled 0.34\n"),
    };
    let mut file = fs::File::create(&marker).map_err(io_error)?;
    file.write_all(text.as_bytes()).map_err(io_error)?;
    file.sync_all().map_err(io_error)?;
    fs::File::open(path)
        .and_then(|dir| dir.sync_all())
        .map_err(io_error)
}

/// Rejects paths that cannot be an okr store before sled touches them, and says in which
/// state the marker file finds the store. A directory that holds anything but no marker is
/// never handed to sled: sled would take a file named `db` for its own and overwrite it. A
/// new store gets its marker (`Creating`) before sled writes anything.
fn inspect_directory(path: &Path, create_if_missing: bool) -> Result<Marker, StoreError> {
    let not_a_store = |reason: String| StoreError::NotAnOkrStore {
        path: path.to_owned(),
        reason,
    };
    let io_error = |source: io::Error| StoreError::Io {
        path: path.to_owned(),
        source,
    };
    let create = || -> Result<Marker, StoreError> {
        fs::create_dir_all(path).map_err(io_error)?;
        write_marker(path, Marker::Creating)?;
        Ok(Marker::Creating)
    };
    match fs::metadata(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            if create_if_missing {
                create()
            } else {
                Err(not_a_store("it does not exist".to_owned()))
            }
        }
        Err(e) => Err(io_error(e)),
        Ok(meta) if !meta.is_dir() => Err(not_a_store(
            "it is a file; a store is a directory".to_owned(),
        )),
        Ok(_) => {
            let mut names = Vec::new();
            for entry in fs::read_dir(path).map_err(io_error)? {
                names.push(
                    entry
                        .map_err(io_error)?
                        .file_name()
                        .to_string_lossy()
                        .into_owned(),
                );
            }
            names.sort();
            if !names.iter().any(|n| n == MARKER_FILE) {
                return match (names.is_empty(), create_if_missing) {
                    (true, true) => create(),
                    (true, false) => Err(not_a_store("it is an empty directory".to_owned())),
                    (false, _) => Err(not_a_store(format!(
                        "it holds files but no {MARKER_FILE} marker: {}",
                        names.join(", ")
                    ))),
                };
            }
            let foreign: Vec<&String> = names
                .iter()
                .filter(|n| {
                    *n != MARKER_FILE
                        && *n != "conf"
                        && *n != "db"
                        && *n != "blobs"
                        && !n.starts_with("snap.")
                })
                .collect();
            if !foreign.is_empty() {
                let foreign: Vec<&str> = foreign.iter().map(|s| s.as_str()).collect();
                return Err(not_a_store(format!(
                    "the directory holds files that are not sled's: {}",
                    foreign.join(", ")
                )));
            }
            let text = fs::read_to_string(path.join(MARKER_FILE)).map_err(io_error)?;
            Ok(if text.starts_with(CREATING_LINE) {
                Marker::Creating
            } else {
                Marker::Ready
            })
        }
    }
}

/// Returns whether the store carries our format marker; fails for newer formats and for sled
/// databases that hold someone else's data.
fn check_format(path: &Path, db: &sled::Db) -> Result<bool, StoreError> {
    let names = db.tree_names();
    if names.iter().any(|n| n.as_ref() == b"meta") {
        let meta = db.open_tree("meta").map_err(|e| sled_error(path, e))?;
        if let Some(bytes) = meta.get(FORMAT_KEY).map_err(|e| sled_error(path, e))? {
            let found = <[u8; 4]>::try_from(bytes.as_ref())
                .map(u32::from_be_bytes)
                .map_err(|_| StoreError::Corrupt {
                    location: format!("{} (meta/format)", path.display()),
                    detail: format!("expected a 4-byte number, found {} bytes", bytes.len()),
                })?;
            if found > FORMAT_VERSION {
                return Err(StoreError::NewerFormat {
                    path: path.to_owned(),
                    found,
                    supported: FORMAT_VERSION,
                });
            }
            if found == 0 {
                return Err(StoreError::Corrupt {
                    location: format!("{} (meta/format)", path.display()),
                    detail: "format version 0 was never written".to_owned(),
                });
            }
            return Ok(true);
        }
    }
    for name in &names {
        let tree = db.open_tree(name).map_err(|e| sled_error(path, e))?;
        if !tree.is_empty() {
            let shown = String::from_utf8_lossy(name);
            let reason = if TREES.contains(&shown.as_ref()) || name.as_ref() == SLED_DEFAULT_TREE {
                format!("sled database without okr format marker, but tree {shown:?} holds data")
            } else {
                format!("sled database with foreign tree {shown:?}")
            };
            return Err(StoreError::NotAnOkrStore {
                path: path.to_owned(),
                reason,
            });
        }
    }
    Ok(false)
}
