//! [`SledStore`]: the on-disk backend, on [sled](https://docs.rs/sled/0.34) 0.34.
//!
//! # Layout (store format 2)
//!
//! One sled `Db` per store with a fixed set of trees (never a tree per stream):
//!
//! | tree | key | value |
//! |---|---|---|
//! | `meta` | `b"format"` | store format version, `u32` big-endian |
//! | `events` | global position of the record's first event, `u64` big-endian | a record: the events of consecutive positions (see below) |
//! | `streams` | stream name, `0x00`, stream version of a run's first event, `u64` BE | the run's first global position and its length, two `u64` BE |
//! | `heads` | stream name | version of the stream's last event, `u64` BE |
//! | `command_batches` | global position of the append's first event, `u64` BE | per command: id (16 bytes), first position and count (`u64` BE each) |
//! | `counters` | `b"next_position"` | next global position, `u64` BE |
//! | `snapshots` | global position covered, `u64` BE | opaque bytes from [`SnapshotStore::save_snapshot`] |
//!
//! **Records.** An append writes its events as records of up to 1024 events (or 7 KiB) with a
//! binary envelope and the payload as JSON: per event the event id, command id, stream,
//! stream version, event type, schema version, `recorded_at`, actor, correlation id and
//! payload of DESIGN §8 (the global position is the record's key plus the event's index).
//! sled pays per key written, so one key per record instead of one per event is what makes
//! batched appends and replays fast.
//!
//! **Streams.** A *run* is a stretch of one stream's events with consecutive versions and
//! consecutive positions, as one append writes them; the `streams` tree has one entry per run,
//! so reading a stream from a version is one range scan plus the records it points into.
//!
//! **Commands.** Each append that writes something records its command ids, positions and
//! counts under one key in `command_batches`. The store keeps an index of all command ids in
//! memory (about 40 bytes per command), built from that tree when it is first needed (the
//! first append or [`EventStore::find_command`] after opening), so a repeated command id is
//! found without a disk read and appends write no key per command.
//!
//! Snapshots live outside the append transaction: they are written after the events they
//! cover and are never needed for correctness (a store whose snapshots are all gone, or were
//! never written, holds the same log).
//!
//! **Format 1** (the first release) kept one JSON [`RecordedEvent`] per key in `events`, one
//! `streams` entry per event (value: its position) and a `commands` tree keyed by command id.
//! This build reads such stores as they are: a format-1 event is a record of one event, a
//! format-1 stream entry is a run of one, and the `commands` tree feeds the command index.
//! Reading leaves such a store as it is; the first append marks it format 2 in the same
//! write set (transaction or journal frame) that writes the first format-2 records, so an
//! older build refuses it rather than misreading them.
//!
//! Next to sled's files the directory holds `OKR_STORE`, a small text file written when the
//! store is created: if it is there but the sled database holds no okr data, sled's files were
//! truncated, replaced or deleted (sled would silently start an empty database), and `open`
//! reports [`StoreError::Corrupt`] instead of starting over. A store opened with
//! [`Durability::Sync`] also holds `journal` (see below).
//!
//! Appends to one store are serialised by a lock the store holds (sled allows one process per
//! database). Under it an append (or batch) takes the counter and the heads (the lock keeps
//! the counter, and the heads of the streams it wrote, in memory; other heads come from sled),
//! checks the expected versions and encodes the records into a *write set*: every insert the
//! append makes, with the counter before and after. How the write set reaches sled depends on
//! the durability:
//!
//! * [`Durability::Sync`]: the write set goes first, as one frame, into the store's
//!   write-ahead journal (the file `journal`, see below), which is `fdatasync`ed; then the
//!   append returns, and a thread of the store (the *applier*) inserts the write set into
//!   sled, in order, the counter after the records and the stream index. The journal makes
//!   the append atomic and durable; sled writes its own log in the background. Every read
//!   first waits until the applier has applied the appends acknowledged before it, so a
//!   reader sees every acknowledged append and never one that a crash could take back. The
//!   writer keeps the counter and the heads it wrote in memory, so the next append does not
//!   wait for the applier either, unless more than 8 MiB of write sets are queued.
//! * [`Durability::Periodic`] and [`Durability::None`]: one sled transaction over `meta`,
//!   `events`, `streams`, `heads`, `command_batches` and `counters` reads the counter again,
//!   refuses to go on if it moved, and writes everything.
//!
//! Positions are therefore gapless and ordered. The big-endian keys make sled's byte order the
//! numeric order.
//!
//! # The journal
//!
//! sled 0.34 makes writes durable only through `Db::flush`, and every multi-tree transaction
//! writes and syncs (`sync_file_range`) its log buffer twice; an append that waited for sled
//! waited for the disk three or four times. A `Sync` append instead waits once: for the
//! `fdatasync` of its journal frame. The file is filled with zeros ahead of its tail and
//! reused, so a frame overwrites allocated blocks and `fdatasync` has no size or block map to
//! write. Layout (all numbers big-endian):
//!
//! * a header page (4 KiB): `OKRJRNL\0`, the journal format (`u32`, 1), the generation
//!   (`u64`), a CRC-32 of those 20 bytes, zeros; a checkpoint rewrites it with the next
//!   generation, which retires every frame;
//! * frames, each starting on a 4 KiB boundary and padded with zeros to one: `OKRF`, a CRC-32
//!   of the rest of the frame (`u32`), the payload's length (`u64`), the generation (`u64`),
//!   and the payload: the counter before and after the append (`u64` each), the number of
//!   inserts (`u32`), and per insert the tree (`u8`: meta, events, streams, heads,
//!   command_batches, counters = 0 to 5), the key and the value, each as a `u32` length and
//!   the bytes.
//!
//! * **Checkpoints.** Once the journal passes 32 MiB, the append that crossed the mark
//!   flushes sled (and `fsync`s its files) and starts the journal over with the next
//!   generation. Dropping the last handle of a `Sync` store does the same and shrinks the
//!   file back to 1 MiB, so a store closed cleanly opens without a replay.
//! * **Recovery.** [`SledStore::open`] reads the frames of the journal's generation up to
//!   the first one that is missing, torn (CRC) or of an older generation. Every insert sled
//!   received since the last checkpoint belongs to one of these frames (a frame is durable
//!   before its inserts are applied), so applying all of them in order gives the state after
//!   the last one, whatever part of them sled had written. Records past the counter that no
//!   finished append owns (no `command_batches` entry at the counter) are removed: earlier
//!   builds inserted the records of a big append while its frame was being synced, and a
//!   crash in between left them behind. Then sled is flushed and the journal starts over. A
//!   journal whose frames do not continue each other, or that starts after the end of sled's
//!   log, or ends before it, is [`StoreError::Corrupt`].
//! * **Failures.** If the journal write or its `fdatasync` fails, the append's outcome is
//!   unknown until the store is reopened, so the handle refuses all later appends
//!   ([`StoreError::Halted`]). Reopening settles it; [`EventStore::find_command`] then tells
//!   whether the append was recorded. If the applier fails to insert a write set into sled
//!   (the append itself is durable), the handle refuses later appends and every read that
//!   would have to wait for that write set, with [`StoreError::Halted`]; reopening applies it
//!   from the journal.
//! * **Older builds** do not know the journal: they refuse a store directory that holds one
//!   (a file that is not sled's) rather than miss its frames.
//!
//! # Durability
//!
//! See [`Durability`]. In short: with [`Durability::Sync`] an append returns only after its
//! journal frame is `fdatasync`ed; an acknowledged event then survives a process crash (the
//! crash test kills writers with `SIGKILL` to check this, and most of its reopens replay the
//! journal) and a power loss to the extent the file system and the device honour
//! `fdatasync`. [`SledStore::flush`] and checkpoints add an `fsync` of their own to sled's:
//! sled 0.34's flush ends in `sync_file_range` on Linux, which neither flushes the device's
//! write cache nor makes the log file's new length durable, and sled writes values too large
//! for its log segments (blob files, pages over 128 KiB) without syncing them; records are
//! kept small enough that ordinary events never take that path. sled 0.34 is beta
//! software: its authors do not promise on-disk format stability between releases, and this
//! crate checks the store's own format version on open but cannot check sled's.
//!
//! sled 0.34 writes page-table snapshots (`snap.<lsn>`) by writing `snap.<lsn>.generating`,
//! syncing it and renaming it, but its own open takes the newest `snap.*` file even when it is
//! unfinished, so a process killed during that write left a store sled refused as corrupt
//! (sled issue #1527). `open` deletes unfinished snapshots before sled opens the database.
//!
//! What `open` does not detect: sled recovers its log up to the first damaged or torn
//! segment, so damage in the middle of the `db` file (bad sectors, a stray write) loses the
//! events after it. Where that cut falls inside a `Sync` append that a checkpoint already took
//! out of the journal, `open` reports the disagreement between counter, log and heads as
//! [`StoreError::Corrupt`]; where it falls between appends, what remains is a consistent,
//! shorter log and no error is reported.

use std::collections::HashMap;
use std::fs;
use std::io::{self, Write};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use rustc_hash::FxHashMap;
use sled::transaction::{ConflictableTransactionError, TransactionError};
use sled::Transactional;
use uuid::Uuid;

use crate::applier::Applier;
use crate::codec::{record_count, EventView, RecordReader, RecordWriter, RECORD_TAG};
use crate::error::StoreError;
use crate::event::{RecordedEvent, StreamId};
use crate::journal::{self, Journal, TreeId, WriteSet};
use crate::snapshot::SnapshotStore;
use crate::store::{append_in, AppendOutcome, AppendRequest, CommandRecord, EventStore, Tx};

/// How long [`SledStore::open`] waits for sled's file lock held by a handle this process
/// just dropped.
pub const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// The store format this build writes and the newest it reads. It reads format 1 too.
pub const FORMAT_VERSION: u32 = 2;

const FORMAT_KEY: &[u8] = b"format";
/// A file next to sled's, written when a store is created. It lets `open` tell a store whose
/// sled files were truncated, replaced or deleted (sled then silently starts empty) from a new
/// one.
const MARKER_FILE: &str = "OKR_STORE";
const NEXT_POSITION_KEY: &[u8] = b"next_position";
const TREES: [&str; 8] = [
    "meta",
    "events",
    "streams",
    "heads",
    "commands",
    "command_batches",
    "counters",
    "snapshots",
];
const SLED_DEFAULT_TREE: &[u8] = b"__sled__default";
/// Bytes per command in a `command_batches` value: id, first position, count.
const COMMAND_ENTRY: usize = 32;
/// How many stream heads the writer keeps in memory (see [`Writer::heads`]) before it lets
/// the applier catch up and reads them from sled again.
const MAX_CACHED_HEADS: usize = 4096;
/// sled's background flush interval under [`Durability::Sync`] (sled's own default).
const SYNC_FLUSH_EVERY_MS: u64 = 500;

/// When appended events reach the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// Every append is written to the store's journal and `fdatasync`ed before it is applied
    /// and before it returns (see the module documentation). An acknowledged append survives
    /// a crash of the process or, if the storage honours `fdatasync`, of the machine. The
    /// slowest mode, and the default.
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
/// Cheap to share between threads (`&SledStore` is enough: every method takes `&self`; a
/// clone shares the database and the command index). One process at a time can open a path;
/// a second open fails with [`StoreError::Sled`].
#[derive(Debug, Clone)]
pub struct SledStore {
    path: PathBuf,
    durability: Durability,
    db: sled::Db,
    /// The trees appends write.
    trees: Trees,
    /// Format 1's command index, read into [`CommandIndex`]; never written.
    commands: sled::Tree,
    snapshots: sled::Tree,
    /// Held by every append; `None` until it is first needed.
    writer: Arc<Mutex<Option<Writer>>>,
    /// sled's files, for the `fsync` that sled's own flush leaves out.
    files: Arc<SledFiles>,
    /// The write-ahead journal of [`Durability::Sync`] appends (see the module documentation).
    journal: Option<Arc<SyncJournal>>,
    /// The store is of format 1 and nothing of format 2 was written yet: the first append
    /// marks it format 2 in its own transaction.
    older_format: Arc<AtomicBool>,
}

/// sled 0.34's `flush` writes its log with `pwrite` and `sync_file_range`, which on Linux
/// neither flushes the device's write cache nor makes a grown file's new size durable, and it
/// writes values too big for its log (blob files) without syncing them at all. After every
/// flush the store therefore `fsync`s sled's log file and any blob file it has not synced yet.
#[derive(Debug)]
struct SledFiles {
    db: fs::File,
    blobs: PathBuf,
    synced_blobs: Mutex<std::collections::HashSet<std::ffi::OsString>>,
}

impl SledFiles {
    fn open(path: &Path) -> Result<SledFiles, StoreError> {
        let db_path = path.join("db");
        let db = fs::File::open(&db_path).map_err(|source| StoreError::Io {
            path: db_path,
            source,
        })?;
        Ok(SledFiles {
            db,
            blobs: path.join("blobs"),
            synced_blobs: Mutex::new(std::collections::HashSet::new()),
        })
    }

    /// sled's flush, then the `fsync` it leaves out.
    fn flush(&self, db: &sled::Db) -> Result<(), StoreError> {
        let dir = self.blobs.parent().unwrap_or(&self.blobs);
        db.flush().map_err(|e| sled_error(dir, e))?;
        self.sync()
    }

    fn sync(&self) -> Result<(), StoreError> {
        let io = |path: &Path| {
            let path = path.to_owned();
            move |source| StoreError::Io { path, source }
        };
        self.db
            .sync_data()
            .map_err(io(&self.blobs.with_file_name("db")))?;
        let entries = match fs::read_dir(&self.blobs) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(io(&self.blobs)(e)),
        };
        let mut synced = self.synced_blobs.lock().unwrap_or_else(|e| e.into_inner());
        let mut new = false;
        for entry in entries {
            let entry = entry.map_err(io(&self.blobs))?;
            if !synced.contains(&entry.file_name()) {
                let file = entry.path();
                match fs::File::open(&file) {
                    Ok(f) => f.sync_all().map_err(io(&file))?,
                    // sled removes blobs it no longer needs.
                    Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                    Err(e) => return Err(io(&file)(e)),
                }
                synced.insert(entry.file_name());
                new = true;
            }
        }
        if new {
            fs::File::open(&self.blobs)
                .and_then(|dir| dir.sync_all())
                .map_err(io(&self.blobs))?;
        }
        Ok(())
    }
}

/// The trees an append writes to.
#[derive(Debug, Clone)]
struct Trees {
    meta: sled::Tree,
    events: sled::Tree,
    streams: sled::Tree,
    heads: sled::Tree,
    command_batches: sled::Tree,
    counters: sled::Tree,
}

impl Trees {
    fn tree(&self, tree: TreeId) -> &sled::Tree {
        match tree {
            TreeId::Meta => &self.meta,
            TreeId::Events => &self.events,
            TreeId::Streams => &self.streams,
            TreeId::Heads => &self.heads,
            TreeId::CommandBatches => &self.command_batches,
            TreeId::Counters => &self.counters,
        }
    }

    /// Applies a journaled write set: plain inserts, in order (the journal, not a sled
    /// transaction, makes them atomic across a crash). The counter is written after the
    /// events and the stream index, so a reader that sees it sees them.
    fn apply(&self, set: &WriteSet) -> Result<(), sled::Error> {
        for (tree, key, value) in &set.writes {
            self.tree(*tree).insert(key.as_slice(), value.as_slice())?;
        }
        Ok(())
    }
}

/// The journal of a [`Durability::Sync`] store and the thread that applies its write sets to
/// sled. When the last handle of the store is dropped, it lets the applier finish and
/// checkpoints (flushes sled, starts the journal over), so that a store closed cleanly opens
/// without a replay.
#[derive(Debug)]
struct SyncJournal {
    journal: Journal,
    applier: Applier,
    db: sled::Db,
    files: Arc<SledFiles>,
}

impl std::ops::Deref for SyncJournal {
    type Target = Journal;
    fn deref(&self) -> &Journal {
        &self.journal
    }
}

impl Drop for SyncJournal {
    fn drop(&mut self) {
        let failure = self.applier.finish();
        // Best effort: if any step fails the journal keeps its frames and the next open
        // replays them.
        if failure.is_none() && !self.journal.is_halted() && self.files.flush(&self.db).is_ok() {
            let _ = self.journal.close();
        }
    }
}

/// What appends to a store share, under its writer lock.
#[derive(Debug)]
struct Writer {
    /// Every command id of the store.
    index: CommandIndex,
    /// The position counter after this handle's last append. Under [`Durability::Sync`] sled's
    /// counter can lag behind it until the applier catches up.
    next: u64,
    /// The heads of streams this handle appended to: sled's `heads` may not hold them yet
    /// under [`Durability::Sync`]. A stream missing here has its latest head in sled.
    heads: FxHashMap<StreamId, u64>,
}

/// Command id → (first global position, number of events).
type CommandIndex = FxHashMap<u128, (u64, u64)>;

/// An event as stored: a view into a format-2 record, or a whole format-1 event.
#[derive(Debug)]
pub(crate) enum Stored<'a> {
    /// Borrowed from a record's bytes.
    View(EventView<'a>),
    /// A format-1 record, decoded.
    Owned(RecordedEvent),
}

impl Stored<'_> {
    fn stream(&self) -> &str {
        match self {
            Stored::View(v) => v.stream,
            Stored::Owned(e) => e.stream.as_str(),
        }
    }

    fn stream_version(&self) -> u64 {
        match self {
            Stored::View(v) => v.stream_version,
            Stored::Owned(e) => e.stream_version,
        }
    }
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
    /// the last record and the stream heads disagree). A store of format 1 is read as it is;
    /// its first append marks it format 2 (see the module documentation).
    ///
    /// One process at a time holds a store. sled lets go of its file lock a moment after the
    /// last handle is dropped, not at once, so a store closed and reopened in the same
    /// process is waited for up to [`LOCK_WAIT`]; a store another handle keeps open fails
    /// with [`StoreError::Sled`] after that wait.
    pub fn open(path: impl AsRef<Path>, options: StoreOptions) -> Result<SledStore, StoreError> {
        let path = path.as_ref();
        let marker = inspect_directory(path, options.create_if_missing)?;
        remove_unfinished_sled_snapshots(path)?;
        let flush_every_ms = match options.durability {
            Durability::Periodic(ms) => Some(ms.max(1)),
            // The journal makes appends durable; sled writes its log in the background so
            // that checkpoints find little left to write.
            Durability::Sync => Some(SYNC_FLUSH_EVERY_MS),
            Durability::None => None,
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
        let format = check_format(path, &db)?;
        let tree = |name: &str| db.open_tree(name).map_err(|e| sled_error(path, e));
        let store = SledStore {
            path: path.to_owned(),
            durability: options.durability,
            trees: Trees {
                meta: tree("meta")?,
                events: tree("events")?,
                streams: tree("streams")?,
                heads: tree("heads")?,
                command_batches: tree("command_batches")?,
                counters: tree("counters")?,
            },
            commands: tree("commands")?,
            snapshots: tree("snapshots")?,
            writer: Arc::new(Mutex::new(None)),
            files: Arc::new(SledFiles::open(path)?),
            journal: None,
            older_format: Arc::new(AtomicBool::new(false)),
            db,
        };
        match format {
            None if marker == Marker::Ready => {
                return Err(store.corrupt(
                    MARKER_FILE,
                    "the store's marker file is present but the sled database holds no okr \
                     data: sled's files were truncated, replaced or deleted"
                        .to_owned(),
                ));
            }
            None => store.initialise()?,
            Some(_) => {}
        }
        let mut store = store;
        store.recover_journal(options.durability)?;
        store.validate()?;
        // The journal may have held the append that marked the store format 2.
        if check_format(path, &store.db)?.is_some_and(|f| f < FORMAT_VERSION) {
            store.older_format.store(true, Ordering::SeqCst);
        }
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

    /// Writes everything appended so far to disk and `fsync`s it, whatever the durability:
    /// sled's flush, then an `fsync` of sled's files (see the module documentation).
    pub fn flush(&self) -> Result<(), StoreError> {
        self.settle()?;
        self.files.flush(&self.db)
    }

    /// Lets the applier catch up, flushes sled and starts the journal over: everything it held
    /// is now in sled's files.
    fn checkpoint(&self) -> Result<(), StoreError> {
        self.flush()?;
        match &self.journal {
            Some(journal) => journal.reset(),
            None => Ok(()),
        }
    }

    /// Replays the journal an earlier [`Durability::Sync`] handle left (see the module
    /// documentation), makes sled hold it durably, and opens the journal for this handle's
    /// appends under [`Durability::Sync`] (otherwise it only starts the old journal over).
    fn recover_journal(&mut self, durability: Durability) -> Result<(), StoreError> {
        let mut frames = Vec::new();
        Journal::recover(&self.path, |offset, set| {
            frames.push((offset, set));
            Ok(())
        })?;
        let sled_next = self.next_position()?;
        let journal_error = |detail: String| self.corrupt(journal::FILE_NAME, detail);
        if let (Some((offset, first)), Some((_, last))) = (frames.first(), frames.last()) {
            if first.first > sled_next {
                return Err(journal_error(format!(
                    "the frame at byte {offset} starts at position {}, but the log ends before \
                     position {sled_next}: sled lost appends that a checkpoint had made durable",
                    first.first
                )));
            }
            if sled_next > last.next {
                return Err(journal_error(format!(
                    "the log holds positions up to {sled_next}, past the journal's end at {}: \
                     appends were made that the journal does not hold",
                    last.next
                )));
            }
            for pair in frames.windows(2) {
                let ((_, before), (offset, set)) = (&pair[0], &pair[1]);
                if set.first != before.next {
                    return Err(journal_error(format!(
                        "the frame at byte {offset} starts at position {}, but the frame \
                         before it ends before position {}",
                        set.first, before.next
                    )));
                }
            }
        }
        // Every write sled holds since the last checkpoint is in these frames: applying all
        // of them, in order, gives the state after the last one.
        for (_, set) in &frames {
            self.apply(set)?;
        }
        let exists = self.path.join(journal::FILE_NAME).exists();
        let removed = exists && self.remove_unjournaled_records()?;
        if !frames.is_empty() || removed {
            self.flush()?;
        }
        if durability == Durability::Sync || exists {
            let journal = Journal::open(&self.path)?;
            if durability == Durability::Sync {
                let trees = self.trees.clone();
                let path = self.path.clone();
                let applier = Applier::start(Box::new(move |set: &WriteSet| {
                    trees.apply(set).map_err(|e| {
                        format!(
                            "applying a journaled append failed: {}",
                            sled_error(&path, e)
                        )
                    })
                }))
                .map_err(|source| StoreError::Io {
                    path: self.path.clone(),
                    source,
                })?;
                self.journal = Some(Arc::new(SyncJournal {
                    journal,
                    applier,
                    db: self.db.clone(),
                    files: Arc::clone(&self.files),
                }));
            }
        }
        Ok(())
    }

    /// Applies a journaled write set (see [`Trees::apply`]).
    fn apply(&self, set: &WriteSet) -> Result<(), StoreError> {
        self.trees.apply(set).map_err(|e| self.sled_error(e))
    }

    /// Waits until every `Sync` append acknowledged so far is applied to sled (see the
    /// [`applier`](crate::applier) module): what a reader does before it reads.
    fn settle(&self) -> Result<(), StoreError> {
        match &self.journal {
            Some(journal) => journal
                .applier
                .settle()
                .map_err(|reason| self.halted(reason)),
            None => Ok(()),
        }
    }

    fn halted(&self, reason: String) -> StoreError {
        StoreError::Halted {
            path: self.path.clone(),
            reason,
        }
    }

    /// A [`Durability::Sync`] append of a write set: its journal frame is made durable, then
    /// the set goes to the applier; a checkpoint follows once the journal is full.
    fn append_journaled(&self, journal: &SyncJournal, set: WriteSet) -> Result<(), StoreError> {
        // After a failed apply this fails for good: the applier keeps its failure.
        journal
            .applier
            .reserve()
            .map_err(|reason| self.halted(reason))?;
        let due = journal.append(&set)?;
        journal.applier.push(set);
        if due {
            if let Err(e) = self.checkpoint() {
                // The append is durable; the next one reports this.
                journal.halt(format!("checkpoint failed: {e}"));
            }
        }
        Ok(())
    }

    /// Removes records at or past the position counter that no finished append owns: earlier
    /// builds inserted the records of a big `Sync` append while its journal frame was being
    /// synced, and a crash before the frame became durable left them behind. A finished append
    /// records its command ids under its first position, so records past the counter *with*
    /// such an entry are not this case but damage, left for [`SledStore::validate`] to
    /// report; so are format-1 records, which no journaled append writes. Returns whether
    /// anything was removed.
    fn remove_unjournaled_records(&self) -> Result<bool, StoreError> {
        let next = self.next_position()?;
        let owned = self
            .trees
            .command_batches
            .contains_key(next.to_be_bytes())
            .map_err(|e| self.sled_error(e))?;
        if owned {
            return Ok(false);
        }
        let mut removed = false;
        for entry in self.trees.events.range(next.to_be_bytes()..) {
            let (key, value) = entry.map_err(|e| self.sled_error(e))?;
            if value.first() != Some(&RECORD_TAG) {
                return Ok(removed);
            }
            self.trees
                .events
                .remove(key)
                .map_err(|e| self.sled_error(e))?;
            removed = true;
        }
        Ok(removed)
    }

    /// Applies a write set in one sled transaction, if the position counter is still where
    /// the set expects it.
    fn commit(&self, set: &WriteSet) -> Result<(), StoreError> {
        (
            &self.trees.meta,
            &self.trees.events,
            &self.trees.streams,
            &self.trees.heads,
            &self.trees.command_batches,
            &self.trees.counters,
        )
            .transaction(
                |(meta, events, streams, heads, command_batches, counters)| {
                    let counter = counters
                        .get(NEXT_POSITION_KEY)?
                        .and_then(|b| decode_u64(&b));
                    if counter != Some(set.first) {
                        return Err(ConflictableTransactionError::Abort(self.corrupt(
                            "counters/next_position",
                            format!(
                                "the counter moved from {} to {counter:?} during an append: \
                             another writer is using the store",
                                set.first
                            ),
                        )));
                    }
                    for (tree, key, value) in &set.writes {
                        let tree = match tree {
                            TreeId::Meta => meta,
                            TreeId::Events => events,
                            TreeId::Streams => streams,
                            TreeId::Heads => heads,
                            TreeId::CommandBatches => command_batches,
                            TreeId::Counters => counters,
                        };
                        tree.insert(key.as_slice(), value.as_slice())?;
                    }
                    Ok(())
                },
            )
            .map_err(|e| self.transaction_error(e))
    }

    /// Calls `f` with the position and the stored form of every event from `from` to `last`
    /// (inclusive), in order, without parsing payloads; stops early at the end of the log. A
    /// gap in the log or a record that does not decode is [`StoreError::Corrupt`].
    pub(crate) fn scan_events<E: From<StoreError>>(
        &self,
        from: u64,
        last: u64,
        mut f: impl FnMut(u64, Stored<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
        self.scan_records(from, last, |key, bytes| {
            self.scan_record(key, &bytes, from, last, &mut f)
        })
    }

    /// Calls `f` with the key and the bytes of every record that holds events from `from` to
    /// `last`, in order, checking that the records follow each other without gaps; stops early
    /// at the end of the log.
    pub(crate) fn scan_records<E: From<StoreError>>(
        &self,
        from: u64,
        last: u64,
        mut f: impl FnMut(u64, sled::IVec) -> Result<(), E>,
    ) -> Result<(), E> {
        if from > last {
            return Ok(());
        }
        self.settle()?;
        // The record holding `from` starts at or before it.
        let start = match self
            .trees
            .events
            .range(..=from.to_be_bytes())
            .next_back()
            .transpose()
            .map_err(|e| self.sled_error(e))?
        {
            Some((key, _)) => self.decode_u64("events", &key)?,
            None => from,
        };
        let mut expected = start;
        for entry in self
            .trees
            .events
            .range(start.to_be_bytes()..=last.to_be_bytes())
        {
            let (key, value) = entry.map_err(|e| self.sled_error(e))?;
            let key = self.decode_u64("events", &key)?;
            if key != expected {
                return Err(self
                    .corrupt(
                        &format!("events/{expected}"),
                        format!("event missing: the log jumps to {key}"),
                    )
                    .into());
            }
            expected = key + self.record_len(key, &value)?;
            f(key, value)?;
        }
        if expected <= from {
            // The record before `from` ends before it: `from` itself is missing, unless the
            // log simply ends there.
            let next = self.next_position()?;
            if from < next {
                return Err(self
                    .corrupt(
                        &format!("events/{from}"),
                        "event missing: no record holds it".to_owned(),
                    )
                    .into());
            }
        }
        Ok(())
    }

    /// Calls `f` for the events of one record (from [`SledStore::scan_records`]) whose
    /// positions lie in `from..=last`.
    pub(crate) fn scan_record<E: From<StoreError>>(
        &self,
        key: u64,
        bytes: &[u8],
        from: u64,
        last: u64,
        mut f: impl FnMut(u64, Stored<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
        self.for_each_in_record(key, bytes, |position, stored| {
            if position >= from && position <= last {
                f(position, stored)
            } else {
                Ok(())
            }
        })
        .map(|_| ())
    }

    /// Calls `f` for every event of the record stored under `key`; returns how many it holds.
    fn for_each_in_record<E: From<StoreError>>(
        &self,
        key: u64,
        bytes: &[u8],
        mut f: impl FnMut(u64, Stored<'_>) -> Result<(), E>,
    ) -> Result<u64, E> {
        if bytes.first() == Some(&RECORD_TAG) {
            let mut reader =
                RecordReader::new(bytes).map_err(|e| self.corrupt(&format!("events/{key}"), e))?;
            let mut position = key;
            while let Some(view) = reader.next_event() {
                let view = view.map_err(|e| {
                    self.corrupt(
                        &format!("events/{key}"),
                        format!("record does not decode: {e}"),
                    )
                })?;
                f(position, Stored::View(view))?;
                position += 1;
            }
            Ok(position - key)
        } else {
            let event = self.decode_json_event(key, bytes)?;
            f(key, Stored::Owned(event))?;
            Ok(1)
        }
    }

    /// How many events the record under `key` holds, from its header.
    fn record_len(&self, key: u64, bytes: &[u8]) -> Result<u64, StoreError> {
        if bytes.first() == Some(&RECORD_TAG) {
            record_count(bytes)
                .map(u64::from)
                .map_err(|e| self.corrupt(&format!("events/{key}"), e))
        } else {
            self.decode_json_event(key, bytes).map(|_| 1)
        }
    }

    /// A format-1 record: one event as JSON, which must name its own position.
    fn decode_json_event(&self, key: u64, bytes: &[u8]) -> Result<RecordedEvent, StoreError> {
        let event: RecordedEvent = serde_json::from_slice(bytes).map_err(|e| {
            self.corrupt(
                &format!("events/{key}"),
                format!("event does not decode: {e}"),
            )
        })?;
        if event.global_position != key {
            return Err(self.corrupt(
                &format!("events/{key}"),
                format!("event records position {}", event.global_position),
            ));
        }
        Ok(event)
    }

    /// The owned envelope of a stored event.
    pub(crate) fn to_recorded(
        &self,
        position: u64,
        stored: Stored<'_>,
    ) -> Result<RecordedEvent, StoreError> {
        match stored {
            Stored::Owned(e) => Ok(e),
            Stored::View(v) => v.to_recorded(position).map_err(|e| {
                self.corrupt(
                    &format!("events/{position}"),
                    format!("event does not decode: {e}"),
                )
            }),
        }
    }

    /// Events `from..from + count`, which must all exist.
    fn events_at(&self, from: u64, count: u64) -> Result<Vec<RecordedEvent>, StoreError> {
        let mut events = Vec::with_capacity(usize::try_from(count).unwrap_or(0).min(4096));
        if count == 0 {
            return Ok(events);
        }
        let last = from + count - 1;
        self.scan_events(from, last, |position, stored| {
            events.push(self.to_recorded(position, stored)?);
            Ok::<(), StoreError>(())
        })?;
        if events.len() as u64 != count {
            let missing = from + events.len() as u64;
            return Err(self.corrupt(
                &format!("events/{missing}"),
                "indexed event is missing".to_owned(),
            ));
        }
        Ok(events)
    }

    fn initialise(&self) -> Result<(), StoreError> {
        (&self.trees.meta, &self.trees.counters)
            .transaction(|(meta, counters)| {
                meta.insert(FORMAT_KEY, &FORMAT_VERSION.to_be_bytes())?;
                counters.insert(NEXT_POSITION_KEY, &0u64.to_be_bytes())?;
                Ok::<(), ConflictableTransactionError<StoreError>>(())
            })
            .map_err(|e| self.transaction_error(e))?;
        self.flush()
    }

    /// Checks that the counter, the last record and the stream heads agree. Costs one read
    /// per stream, not per event.
    fn validate(&self) -> Result<(), StoreError> {
        let next = self.next_position()?;
        let last = self.trees.events.last().map_err(|e| self.sled_error(e))?;
        match last {
            None if next != 0 => {
                return Err(self.corrupt(
                    "counters/next_position",
                    format!("counter is {next} but the events tree is empty"),
                ))
            }
            None => {}
            Some((key, value)) => {
                let key = self.decode_u64("events", &key)?;
                let position = key + self.record_len(key, &value)? - 1;
                if position + 1 != next {
                    return Err(self.corrupt(
                        "counters/next_position",
                        format!("counter is {next} but the last event has position {position}"),
                    ));
                }
            }
        }
        for entry in self.trees.heads.iter() {
            let (name, version) = entry.map_err(|e| self.sled_error(e))?;
            let stream = stream_from_key(&self.path, &name)?;
            let version = self.decode_u64("heads", &version)?;
            let (start, end) = stream_range(&stream, 0);
            let last = self
                .trees
                .streams
                .range(start..=end)
                .next_back()
                .transpose()
                .map_err(|e| self.sled_error(e))?;
            let indexed = match last {
                Some((key, value)) => {
                    let (first, _, count) = self.decode_run(&stream, &key, &value)?;
                    Some(first + count - 1)
                }
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

    /// A `streams` entry: (first version, first position, count). Format 1 wrote runs of one
    /// with the position alone.
    fn decode_run(
        &self,
        stream: &StreamId,
        key: &[u8],
        value: &[u8],
    ) -> Result<(u64, u64, u64), StoreError> {
        let at = || format!("streams/{stream}");
        let version = key
            .len()
            .checked_sub(8)
            .and_then(|i| decode_u64(&key[i..]))
            .ok_or_else(|| self.corrupt(&at(), "key does not end in a version".to_owned()))?;
        match value.len() {
            8 => Ok((version, decode_u64(value).unwrap_or_default(), 1)),
            16 => {
                let position = decode_u64(&value[..8]).unwrap_or_default();
                let count = decode_u64(&value[8..]).unwrap_or_default();
                if count == 0 {
                    return Err(self.corrupt(&at(), "a run of no events".to_owned()));
                }
                Ok((version, position, count))
            }
            n => Err(self.corrupt(&at(), format!("expected 8 or 16 bytes, found {n}"))),
        }
    }

    fn next_position(&self) -> Result<u64, StoreError> {
        match self
            .trees
            .counters
            .get(NEXT_POSITION_KEY)
            .map_err(|e| self.sled_error(e))?
        {
            Some(bytes) => self.decode_u64("counters", &bytes),
            None => Err(self.corrupt("counters/next_position", "counter is missing".to_owned())),
        }
    }

    /// Locks the writer and loads it (the command index, the counter) if this is its first
    /// use.
    fn lock_writer(&self) -> Result<MutexGuard<'_, Option<Writer>>, StoreError> {
        // The writer changes only after an append is durable, in steps that cannot fail, so a
        // poisoned lock still guards a consistent writer.
        let mut guard = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        if guard.is_none() {
            // Nothing is queued for the applier yet: appends need this lock.
            *guard = Some(Writer {
                index: self.load_command_index()?,
                next: self.next_position()?,
                heads: FxHashMap::default(),
            });
        }
        Ok(guard)
    }

    fn load_command_index(&self) -> Result<CommandIndex, StoreError> {
        let mut index = CommandIndex::default();
        for entry in self.commands.iter() {
            let (key, value) = entry.map_err(|e| self.sled_error(e))?;
            let at = || format!("commands/{}", Uuid::from_slice(&key).unwrap_or_default());
            let id = <[u8; 16]>::try_from(key.as_ref())
                .map_err(|_| self.corrupt(&at(), "key is not a command id".to_owned()))?;
            let record: CommandRecord = serde_json::from_slice(&value)
                .map_err(|e| self.corrupt(&at(), format!("does not decode: {e}")))?;
            index.insert(
                u128::from_be_bytes(id),
                (record.first_position, record.count),
            );
        }
        for entry in self.trees.command_batches.iter() {
            let (key, value) = entry.map_err(|e| self.sled_error(e))?;
            let key = self.decode_u64("command_batches", &key)?;
            if value.is_empty() || value.len() % COMMAND_ENTRY != 0 {
                return Err(self.corrupt(
                    &format!("command_batches/{key}"),
                    format!(
                        "expected a multiple of {COMMAND_ENTRY} bytes, found {}",
                        value.len()
                    ),
                ));
            }
            for e in value.chunks_exact(COMMAND_ENTRY) {
                let id = u128::from_be_bytes(e[..16].try_into().expect("16 bytes"));
                let first = decode_u64(&e[16..24]).unwrap_or_default();
                let count = decode_u64(&e[24..]).unwrap_or_default();
                index.insert(id, (first, count));
            }
        }
        Ok(index)
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

/// One batch, staged before it is written: reads go to what the batch staged so far, to the
/// [`Writer`] (the writer lock keeps it still) and to sled; events are encoded into records as
/// they are staged, and [`Staging::write_set`] turns everything into the batch's write set.
struct Staging<'a> {
    store: &'a SledStore,
    writer: &'a Writer,
    /// The position counter when staging began (checked again inside a transaction).
    first: u64,
    /// Number of staged events.
    staged: u64,
    /// Finished records with their keys, then the one being filled.
    records: Vec<(u64, Vec<u8>)>,
    record: RecordWriter,
    /// Stream runs: stream, first version, first position, length.
    runs: Vec<(StreamId, u64, u64, u64)>,
    heads: HashMap<StreamId, u64>,
    commands: FxHashMap<u128, (u64, u64)>,
    /// Command ids in the order of their appends.
    order: Vec<u128>,
}

impl Staging<'_> {
    /// Closes the record being filled.
    fn finish_record(&mut self) {
        let record = std::mem::replace(&mut self.record, RecordWriter::new());
        if record.count() > 0 {
            let key = self.first + self.staged - u64::from(record.count());
            self.records.push((key, record.finish()));
        }
    }

    /// A staged event, decoded back from the records (only a command repeated within its own
    /// batch needs this).
    fn staged_event(&self, position: u64) -> Result<RecordedEvent, StoreError> {
        let current = self.record.snapshot();
        let key_of_current = self.first + self.staged - u64::from(self.record.count());
        let all = self
            .records
            .iter()
            .map(|(k, r)| (*k, r.as_slice()))
            .chain(std::iter::once((key_of_current, current.as_slice())));
        for (key, bytes) in all {
            let Ok(mut reader) = RecordReader::new(bytes) else {
                continue;
            };
            let mut p = key;
            while let Some(Ok(view)) = reader.next_event() {
                if p == position {
                    return view
                        .to_recorded(position)
                        .map_err(|e| self.store.corrupt(&format!("events/{position}"), e));
                }
                p += 1;
            }
        }
        Err(self.store.corrupt(
            &format!("events/{position}"),
            "command index points past the batch".to_owned(),
        ))
    }

    /// What the batch staged, as sled writes: records, stream runs, heads, counter, command
    /// ids, and the format mark when `upgrade`.
    fn write_set(&mut self, upgrade: bool) -> WriteSet {
        let mut writes =
            Vec::with_capacity(self.records.len() + self.runs.len() + self.heads.len() + 3);
        if upgrade {
            writes.push((
                TreeId::Meta,
                FORMAT_KEY.to_vec(),
                FORMAT_VERSION.to_be_bytes().to_vec(),
            ));
        }
        for (key, bytes) in std::mem::take(&mut self.records) {
            writes.push((TreeId::Events, key.to_be_bytes().to_vec(), bytes));
        }
        for (stream, version, position, len) in &self.runs {
            let mut value = Vec::with_capacity(16);
            value.extend_from_slice(&position.to_be_bytes());
            value.extend_from_slice(&len.to_be_bytes());
            writes.push((TreeId::Streams, stream_key(stream, *version), value));
        }
        for (stream, head) in &self.heads {
            writes.push((
                TreeId::Heads,
                stream.as_str().as_bytes().to_vec(),
                head.to_be_bytes().to_vec(),
            ));
        }
        let next = self.first + self.staged;
        writes.push((
            TreeId::Counters,
            NEXT_POSITION_KEY.to_vec(),
            next.to_be_bytes().to_vec(),
        ));
        let mut ids = Vec::with_capacity(self.order.len() * COMMAND_ENTRY);
        for id in &self.order {
            let (position, count) = self.commands[id];
            ids.extend_from_slice(&id.to_be_bytes());
            ids.extend_from_slice(&position.to_be_bytes());
            ids.extend_from_slice(&count.to_be_bytes());
        }
        writes.push((
            TreeId::CommandBatches,
            self.first.to_be_bytes().to_vec(),
            ids,
        ));
        WriteSet {
            first: self.first,
            next,
            writes,
        }
    }
}

impl Tx for Staging<'_> {
    type Error = StoreError;

    fn command(&mut self, command_id: Uuid) -> Result<Option<(u64, u64)>, StoreError> {
        let id = command_id.as_u128();
        Ok(self
            .commands
            .get(&id)
            .or_else(|| self.writer.index.get(&id))
            .copied())
    }

    fn event(&mut self, position: u64) -> Result<RecordedEvent, StoreError> {
        if position >= self.first {
            return self.staged_event(position);
        }
        // A repeated command: its events may still be on their way into sled.
        self.store.settle()?;
        let mut events = self.store.events_at(position, 1)?;
        Ok(events.pop().expect("events_at returns exactly one"))
    }

    fn head(&mut self, stream: &StreamId) -> Result<Option<u64>, StoreError> {
        match self
            .heads
            .get(stream)
            .or_else(|| self.writer.heads.get(stream))
        {
            Some(head) => Ok(Some(*head)),
            // No append this handle remembers wrote the stream, so sled's head is the
            // latest.
            None => self.store.stored_head(stream),
        }
    }

    fn next_position(&mut self) -> Result<u64, StoreError> {
        Ok(self.first + self.staged)
    }

    fn write(
        &mut self,
        command_id: Uuid,
        record: &CommandRecord,
        events: &[RecordedEvent],
    ) -> Result<(), StoreError> {
        for e in events {
            self.record.push(e)?;
            self.staged += 1;
            if self.record.is_full() {
                self.finish_record();
            }
            match self.runs.last_mut() {
                Some((stream, version, _, len))
                    if *stream == e.stream && *version + *len == e.stream_version =>
                {
                    *len += 1;
                }
                _ => self
                    .runs
                    .push((e.stream.clone(), e.stream_version, e.global_position, 1)),
            }
        }
        if let Some(last) = events.last() {
            self.heads.insert(last.stream.clone(), last.stream_version);
        }
        let id = command_id.as_u128();
        self.commands
            .insert(id, (record.first_position, record.count));
        self.order.push(id);
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
        let mut guard = self.lock_writer()?;
        let writer = guard.as_mut().expect("lock_writer loads the writer");
        if writer.heads.len() > MAX_CACHED_HEADS {
            // sled holds every head once the applier caught up.
            self.settle()?;
            writer.heads.clear();
        }
        let mut staging = Staging {
            store: self,
            writer: &*writer,
            first: writer.next,
            staged: 0,
            records: Vec::new(),
            record: RecordWriter::new(),
            runs: Vec::new(),
            heads: HashMap::new(),
            commands: FxHashMap::default(),
            order: Vec::new(),
        };
        let outcomes = batch
            .into_iter()
            .map(|request| append_in(&mut staging, request))
            .collect::<Result<Vec<_>, StoreError>>()?;
        staging.finish_record();
        if staging.staged == 0 {
            return Ok(outcomes);
        }
        let upgrade = self.older_format.load(Ordering::SeqCst);
        let set = staging.write_set(upgrade);
        let (next, heads, commands) = (set.next, staging.heads, staging.commands);
        match &self.journal {
            // Durable first, then visible: a frame that reached the disk is never lost, and
            // readers never see an append that a crash could take back.
            Some(journal) => self.append_journaled(journal, set)?,
            None => self.commit(&set)?,
        }
        writer.next = next;
        writer.heads.extend(heads);
        writer.index.extend(commands);
        if upgrade {
            self.older_format.store(false, Ordering::SeqCst);
            write_marker(&self.path, Marker::Ready)?;
        }
        Ok(outcomes)
    }

    fn read_stream(
        &self,
        stream: &StreamId,
        from_version: u64,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        self.settle()?;
        // The run holding `from_version` starts at or before it; later runs follow.
        let (start, _) = stream_range(stream, 0);
        let first_run = self
            .trees
            .streams
            .range(start..=stream_key(stream, from_version))
            .next_back()
            .transpose()
            .map_err(|e| self.sled_error(e))?;
        let (after, end) = stream_range(stream, from_version.saturating_add(1));
        let later = self.trees.streams.range(after..=end);
        let mut events = Vec::new();
        let mut expected: Option<u64> = None;
        for entry in first_run.into_iter().map(Ok).chain(later) {
            let (key, value) = entry.map_err(|e| self.sled_error(e))?;
            let (version, position, count) = self.decode_run(stream, &key, &value)?;
            if version + count <= from_version {
                continue;
            }
            if expected.is_some_and(|v| v != version) {
                return Err(self.corrupt(
                    &format!("streams/{stream}"),
                    format!(
                        "stream index jumps from version {} to {version}",
                        expected.unwrap_or_default()
                    ),
                ));
            }
            let skip = from_version.saturating_sub(version);
            let mut want = version + skip;
            self.scan_events(position + skip, position + count - 1, |p, stored| {
                if stored.stream() != stream.as_str() || stored.stream_version() != want {
                    return Err(self.corrupt(
                        &format!("events/{p}"),
                        format!(
                            "stream index says {stream} version {want}, the event is {} version {}",
                            stored.stream(),
                            stored.stream_version()
                        ),
                    ));
                }
                want += 1;
                events.push(self.to_recorded(p, stored)?);
                Ok(())
            })?;
            if want != version + count {
                return Err(self.corrupt(
                    &format!("events/{}", position + (want - version)),
                    "indexed event is missing".to_owned(),
                ));
            }
            expected = Some(version + count);
        }
        Ok(events)
    }

    fn read_all(&self, from_position: u64, max: usize) -> Result<Vec<RecordedEvent>, StoreError> {
        // Everything below the counter is committed, so reading up to it gives a gapless
        // prefix even while other threads append.
        self.settle()?;
        let next = self.next_position()?;
        let mut events = Vec::new();
        if from_position >= next || max == 0 {
            return Ok(events);
        }
        let last = (next - 1).min(from_position.saturating_add(max as u64 - 1));
        self.scan_events(from_position, last, |position, stored| {
            events.push(self.to_recorded(position, stored)?);
            Ok::<(), StoreError>(())
        })?;
        if events.len() as u64 != last - from_position + 1 {
            let missing = from_position + events.len() as u64;
            return Err(self.corrupt(
                &format!("events/{missing}"),
                "event missing below the position counter".to_owned(),
            ));
        }
        Ok(events)
    }

    fn stream_version(&self, stream: &StreamId) -> Result<Option<u64>, StoreError> {
        self.settle()?;
        self.stored_head(stream)
    }

    fn heads(&self) -> Result<std::collections::BTreeMap<StreamId, u64>, StoreError> {
        self.settle()?;
        let mut heads = std::collections::BTreeMap::new();
        for entry in self.trees.heads.iter() {
            let (name, version) = entry.map_err(|e| self.sled_error(e))?;
            heads.insert(
                stream_from_key(&self.path, &name)?,
                self.decode_u64("heads", &version)?,
            );
        }
        Ok(heads)
    }

    fn last_position(&self) -> Result<Option<u64>, StoreError> {
        self.settle()?;
        Ok(self.next_position()?.checked_sub(1))
    }

    fn find_command(&self, command_id: Uuid) -> Result<Option<AppendOutcome>, StoreError> {
        let found = {
            let writer = self.lock_writer()?;
            let writer = writer.as_ref().expect("lock_writer loads the writer");
            writer.index.get(&command_id.as_u128()).copied()
        };
        let Some((first, count)) = found else {
            return Ok(None);
        };
        self.settle()?;
        Ok(Some(AppendOutcome {
            events: self.events_at(first, count)?,
            duplicate: true,
        }))
    }
}

impl SledStore {
    /// The head of `stream` as sled holds it, without waiting for the applier.
    fn stored_head(&self, stream: &StreamId) -> Result<Option<u64>, StoreError> {
        match self
            .trees
            .heads
            .get(stream.as_str().as_bytes())
            .map_err(|e| self.sled_error(e))?
        {
            None => Ok(None),
            Some(bytes) => self.decode_u64("heads", &bytes).map(Some),
        }
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

pub(crate) fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
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
                        && *n != journal::FILE_NAME
                        && *n != journal::TEMP_NAME
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

/// Removes the page-table snapshots sled 0.34 was still writing when its process stopped
/// (`snap.<lsn>.generating`). sled writes a snapshot under that name, syncs it and renames it,
/// but when it opens it takes the newest `snap.*` file *including* unfinished ones, so a
/// process killed while writing one leaves a store that sled refuses as corrupt (sled issue
/// #1527; this store's crash test hit it). An unfinished snapshot holds nothing the log does
/// not: without it sled starts from the last finished snapshot and reads the log from there.
fn remove_unfinished_sled_snapshots(path: &Path) -> Result<(), StoreError> {
    let io_error = |path: &Path| {
        let path = path.to_owned();
        move |source| StoreError::Io { path, source }
    };
    let mut removed = false;
    for entry in fs::read_dir(path).map_err(io_error(path))? {
        let entry = entry.map_err(io_error(path))?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with("snap.") && name.ends_with(".generating") {
            fs::remove_file(entry.path()).map_err(io_error(&entry.path()))?;
            removed = true;
        }
    }
    if removed {
        fs::File::open(path)
            .and_then(|dir| dir.sync_all())
            .map_err(io_error(path))?;
    }
    Ok(())
}

/// Returns the store's format version, `None` for a database without okr data; fails for
/// newer formats and for sled databases that hold someone else's data.
fn check_format(path: &Path, db: &sled::Db) -> Result<Option<u32>, StoreError> {
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
            return Ok(Some(found));
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
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::NewEvent;
    use crate::store::ExpectedVersion;

    fn event() -> NewEvent {
        let at = chrono::DateTime::from_timestamp(1_736_150_400, 0).expect("valid instant");
        NewEvent::new("Tested", 1, serde_json::json!({ "n": 1 }), "tester", at)
    }

    fn org() -> StreamId {
        StreamId::new("org").unwrap()
    }

    /// Appends one event to `org` under command id `n`.
    fn append(
        store: &SledStore,
        n: u128,
        expected: ExpectedVersion,
    ) -> Result<AppendOutcome, StoreError> {
        store.append(&org(), expected, Uuid::from_u128(n), vec![event()])
    }

    #[test]
    fn a_halted_journal_refuses_appends_until_the_store_is_reopened() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store");
        let store = SledStore::open(&path, StoreOptions::default()).unwrap();
        append(&store, 1, ExpectedVersion::Any).unwrap();
        store
            .journal
            .as_ref()
            .expect("a Sync store has a journal")
            .halt("the disk went away".to_owned());
        let err = append(&store, 2, ExpectedVersion::Any).unwrap_err();
        assert!(matches!(err, StoreError::Halted { .. }), "{err:?}");
        let text = err.to_string();
        assert!(text.contains("the disk went away"), "{text}");
        assert!(text.contains("reopen it"), "{text}");
        assert!(text.contains(&path.display().to_string()), "{text}");
        assert_eq!(store.read_all(0, 10).unwrap().len(), 1);
        drop(store);
        let store = SledStore::open(&path, StoreOptions::default()).unwrap();
        assert!(store.find_command(Uuid::from_u128(2)).unwrap().is_none());
        append(&store, 2, ExpectedVersion::Exact(0)).unwrap();
        assert_eq!(store.read_all(0, 10).unwrap().len(), 2);
    }

    #[test]
    fn a_failed_apply_stops_reads_and_appends_and_reopening_applies_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store");
        let mut store = SledStore::open(&path, StoreOptions::default()).unwrap();
        append(&store, 1, ExpectedVersion::Any).unwrap();
        store.flush().unwrap();
        let journal = Arc::get_mut(store.journal.as_mut().expect("a Sync store has a journal"))
            .expect("no other handle");
        journal.applier =
            Applier::start(Box::new(|_: &WriteSet| Err("sled said no".to_owned()))).unwrap();

        // The append is durable, so it is acknowledged; reading it is not possible.
        let outcome = append(&store, 2, ExpectedVersion::Exact(0)).unwrap();
        assert_eq!(outcome.events[0].global_position, 1);
        for err in [
            store.read_all(0, 10).unwrap_err(),
            store.stream_version(&org()).unwrap_err(),
            store.last_position().unwrap_err(),
            append(&store, 3, ExpectedVersion::Exact(1)).unwrap_err(),
        ] {
            assert!(matches!(err, StoreError::Halted { .. }), "{err:?}");
            assert!(err.to_string().contains("sled said no"), "{err}");
        }
        drop(store);

        let store = SledStore::open(&path, StoreOptions::default()).unwrap();
        let events = store.read_all(0, 10).unwrap();
        assert_eq!(events.len(), 2, "the journal held the unapplied append");
        assert_eq!(events[1].command_id, Uuid::from_u128(2));
        assert!(store.find_command(Uuid::from_u128(3)).unwrap().is_none());
        assert_eq!(store.stream_version(&org()).unwrap(), Some(1));
    }
}
