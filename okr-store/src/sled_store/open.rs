//! Opening a store: the checks that run before anything on disk changes, recovery, the
//! upgrade of older formats and the creation of a new store.
//!
//! # What an open guarantees
//!
//! sled 0.34 writes to its files as it opens them (it cuts its log back to the last intact
//! message, writes its configuration, takes a file lock), so checking a store by opening it
//! would destroy the evidence of the damage it finds. A writable open therefore runs in two
//! steps:
//!
//! 1. **Checks on a copy.** With a shared lock on sled's `db` (so no other process writes it
//!    meanwhile), sled's files (`conf`, `db`, finished `snap.*` files, `blobs/`) are copied
//!    into a private temporary directory, and sled opens the copy. The journal is read, not
//!    written. Then: the store format, the journal's frames (a journal damaged in the middle
//!    is refused), the replay of those frames into the copy, the counter, the last record,
//!    the stream heads, every record of the log decoded and gapless, and okr's own record of
//!    what it acknowledged: the journal's anchor (the position counter and the head's hash
//!    at its last start-over) or its last frame. sled must hold at least that many events,
//!    and the event at the anchor must have the anchor's hash. If anything fails, the copy
//!    is removed and open returns the error: **nothing in the store's directory was
//!    written, created or deleted.**
//! 2. **The real open.** sled opens the store's own files, the same replay and checks run
//!    again (without the full scan, which the copy had), older formats are chained, and
//!    the journal is started over with the new anchor.
//!
//! A read-only open stops after step 1 and serves reads from the copy. A new store is built
//! in a temporary directory next to its path and renamed into place once it is complete, so
//! a failed creation leaves nothing behind.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sled::transaction::ConflictableTransactionError;
use sled::Transactional;

use crate::chain::EventHash;
use crate::codec::{is_record, RecordWriter};
use crate::error::{panic_message, quietly, StoreError};
use crate::wal::{self, Anchor, Recovery};

use super::dir::{
    check_conf, check_format, inspect_directory, open_error, read_format,
    remove_unfinished_sled_snapshots, write_marker, Marker, SledFiles, FORMAT_KEY, FORMAT_VERSION,
    MARKER_FILE,
};
use super::handle::{Durability, SledStore, StoreOptions};
use super::records::{stream_from_key, stream_range, NEXT_POSITION_KEY};
use super::trees::{Sled, Space};
use super::SYNC_FLUSH_EVERY_MS;
use okr_core::StreamId;

impl SledStore {
    /// See [`SledStore::open`].
    pub(super) fn open_store(path: &Path, options: &StoreOptions) -> Result<SledStore, StoreError> {
        let marker = inspect_directory(path, options.create_if_missing && !options.read_only)?;
        if marker == Marker::Absent {
            create(path, options)?;
        }
        let recovery = wal::read(path)?;
        let checked = {
            let _lock = wait_for_lock(path, options.lock_wait)?;
            check_conf(path)?;
            let scratch = tempfile::Builder::new()
                .prefix("okr-open-check-")
                .tempdir()
                .map_err(|source| StoreError::Io {
                    path: std::env::temp_dir(),
                    source,
                })?;
            copy_sled_files(path, scratch.path())?;
            let dir = scratch.path().to_owned();
            let mut store = SledStore::on(path, &dir, options, None, Some(scratch))?;
            store.read_only = true;
            store.settle(marker, recovery.as_ref(), true)?;
            store
        };
        if options.read_only {
            return Ok(checked);
        }
        drop(checked);
        remove_unfinished_sled_snapshots(path)?;
        let flush_every_ms = match options.durability {
            Durability::Periodic(ms) => Some(ms.max(1)),
            // The journal makes appends durable; sled writes its log in the background so
            // that checkpoints find little left to write.
            Durability::Sync => Some(SYNC_FLUSH_EVERY_MS),
            Durability::None => None,
        };
        let mut store = SledStore::on(path, path, options, flush_every_ms, None)?;
        store.settle(marker, recovery.as_ref(), false)?;
        let anchor = store.anchor()?;
        if options.durability == Durability::Sync {
            let (path, files) = (store.path.clone(), Arc::clone(&store.files));
            store.sled.start_wal(&path, files, anchor)?;
        } else {
            wal::start_over(&store.path, anchor)?;
        }
        if marker == Marker::Creating {
            store.flush()?;
            write_marker(path, Marker::Ready)?;
        }
        Ok(store)
    }

    /// Opens sled on `dir` (the store's own directory or a copy of it) for the store at
    /// `path`: waits for sled's lock, keeps sled's panics off stderr, and checks the
    /// database is an okr store.
    fn on(
        path: &Path,
        dir: &Path,
        options: &StoreOptions,
        flush_every_ms: Option<u64>,
        scratch: Option<tempfile::TempDir>,
    ) -> Result<SledStore, StoreError> {
        let config = sled::Config::new().path(dir).flush_every_ms(flush_every_ms);
        let waited = Instant::now();
        let db = loop {
            match quietly(|| config.open()) {
                Ok(Ok(db)) => break db,
                Ok(Err(sled::Error::Io(e))) if e.to_string().contains("acquire lock") => {
                    if waited.elapsed() >= options.lock_wait {
                        return Err(StoreError::InUse {
                            path: path.to_owned(),
                            pid: wal::last_pid(path),
                            waited: waited.elapsed(),
                        });
                    }
                    std::thread::sleep(Duration::from_millis(5));
                }
                Ok(Err(e)) => return Err(open_error(path, e)),
                Err(panic) => {
                    return Err(StoreError::Corrupt {
                        location: path.display().to_string(),
                        detail: format!(
                            "sled's files are damaged: sled failed while opening them ({})",
                            panic_message(&panic)
                        ),
                    })
                }
            }
        };
        let guarded = |what: &str, f: &mut dyn FnMut() -> Result<(), StoreError>| {
            quietly(f).unwrap_or_else(|panic| {
                Err(StoreError::Corrupt {
                    location: path.display().to_string(),
                    detail: format!(
                        "sled's files are damaged: sled failed while {what} ({})",
                        panic_message(&panic)
                    ),
                })
            })
        };
        let mut format = None;
        guarded("reading the store format", &mut || {
            format = check_format(path, &db)?;
            Ok(())
        })?;
        let mut sled = None;
        guarded("opening its trees", &mut || {
            sled = Some(Sled::open(path, db.clone())?);
            Ok(())
        })?;
        let sled = sled.expect("set by the closure above");
        Ok(SledStore {
            path: path.to_owned(),
            durability: if scratch.is_some() {
                Durability::None
            } else {
                options.durability
            },
            sled,
            writer: Arc::new(Mutex::new(None)),
            files: Arc::new(SledFiles::open(dir)?),
            format: Arc::new(std::sync::atomic::AtomicU32::new(format.unwrap_or(0))),
            read_only: false,
            scratch: scratch.map(Arc::new),
        })
    }

    /// Brings sled's data to what the store acknowledged and checks it (see the module
    /// documentation); `full` adds the scan of every record. Panics inside sled are
    /// reported as damage.
    fn settle(
        &mut self,
        marker: Marker,
        recovery: Option<&Recovery>,
        full: bool,
    ) -> Result<(), StoreError> {
        let path = self.path.clone();
        quietly(|| self.settle_inner(marker, recovery, full)).unwrap_or_else(|panic| {
            Err(StoreError::Corrupt {
                location: path.display().to_string(),
                detail: format!(
                    "sled's files are damaged: sled failed while reading them ({})",
                    panic_message(&panic)
                ),
            })
        })
    }

    fn settle_inner(
        &mut self,
        marker: Marker,
        recovery: Option<&Recovery>,
        full: bool,
    ) -> Result<(), StoreError> {
        let format = self.format.load(std::sync::atomic::Ordering::SeqCst);
        if format == 0 {
            if marker == Marker::Ready {
                return Err(self.corrupt(
                    MARKER_FILE,
                    "the store's marker file is present but the sled database holds no okr \
                     data: sled's files were truncated, replaced or deleted"
                        .to_owned(),
                ));
            }
            self.initialise()?;
        }
        let mut changed = false;
        if let Some(recovery) = recovery {
            let known = |keyspace| Space::from_keyspace(keyspace).is_some();
            recovery.replay(&self.path, self.next_position()?, known, |set| {
                self.sled.trees()?.apply(&self.path, set)
            })?;
            changed |= recovery.frames() > 0;
            if recovery.written_by_older_build() {
                changed |= self.remove_unjournaled_records()?;
            }
        }
        self.validate()?;
        if full {
            self.scan_everything()?;
        }
        if let Some((next, head)) = recovery.and_then(|r| r.acknowledged()) {
            self.check_acknowledged(next, head)?;
        }
        if read_format(&self.path, &self.sled.trees()?.meta)?.is_some_and(|f| f < FORMAT_VERSION) {
            self.chain_older_format()?;
            changed = true;
        }
        if changed {
            self.flush()?;
        }
        Ok(())
    }

    /// What the journal records when it starts over: the counter and the head's hash now.
    pub(super) fn anchor(&self) -> Result<Anchor, StoreError> {
        let next = self.next_position()?;
        Ok(Anchor {
            next,
            head: self.hash_at(next.checked_sub(1))?.0,
        })
    }

    /// okr's own record says the log holds positions `0..next` and the event at `next - 1`
    /// has hash `head`: sled must hold at least that.
    fn check_acknowledged(&self, next: u64, head: Option<[u8; 32]>) -> Result<(), StoreError> {
        let held = self.next_position()?;
        if held < next {
            return Err(StoreError::Missing {
                path: self.path.clone(),
                first: held,
                last: next - 1,
            });
        }
        let (Some(head), Some(position)) = (head, next.checked_sub(1)) else {
            return Ok(());
        };
        let stored = self.hash_at(Some(position))?;
        if stored != EventHash(head) && !stored.is_genesis() {
            return Err(self.corrupt(
                &format!("events/{position}"),
                format!(
                    "the event at position {position} is not the one okr acknowledged: its hash \
                     is {stored}, the journal recorded {}",
                    EventHash(head)
                ),
            ));
        }
        Ok(())
    }

    /// Reads every entry of every tree and decodes every record of the log, checking that
    /// the records follow each other without gaps up to the counter: damage sled would only
    /// report when the page is first read shows up here, on the copy.
    fn scan_everything(&self) -> Result<(), StoreError> {
        let trees = self.sled.trees()?;
        for tree in [
            &trees.meta,
            &trees.streams,
            &trees.heads,
            &trees.commands,
            &trees.command_batches,
            &trees.counters,
            &trees.snapshots,
        ] {
            for entry in tree.iter() {
                entry.map_err(|e| self.sled_error(e))?;
            }
        }
        let next = self.next_position()?;
        let mut expected = 0;
        for entry in trees.events.iter() {
            let (key, value) = entry.map_err(|e| self.sled_error(e))?;
            let key = self.decode_u64("events", &key)?;
            if key >= next {
                break;
            }
            if key != expected {
                return Err(StoreError::Missing {
                    path: self.path.clone(),
                    first: expected,
                    last: key - 1,
                });
            }
            expected =
                key + self.for_each_in_record(key, &value, |_, _| Ok::<(), StoreError>(()))?;
        }
        if expected < next {
            return Err(StoreError::Missing {
                path: self.path.clone(),
                first: expected,
                last: next - 1,
            });
        }
        self.check_stream_index(next)
    }

    /// Every stream's runs in `streams` start at version 0 and continue each other, point
    /// below the counter, and belong to a stream with a head (the heads themselves are
    /// checked against the last run by [`SledStore::validate`]): a damaged run would
    /// otherwise make a stream read back shorter without an error.
    fn check_stream_index(&self, next: u64) -> Result<(), StoreError> {
        let trees = self.sled.trees()?;
        // The stream being walked and the version its next run must start at.
        let mut current: Option<(Vec<u8>, StreamId, u64)> = None;
        for entry in trees.streams.iter() {
            let (key, value) = entry.map_err(|e| self.sled_error(e))?;
            let name = key.len().checked_sub(9).map(|end| &key[..end]);
            let Some(name) = name.filter(|_| key[key.len() - 9] == 0) else {
                return Err(self.corrupt(
                    "streams",
                    format!("key {key:?} is not a stream name, 0 and a version"),
                ));
            };
            if current
                .as_ref()
                .is_none_or(|(n, _, _)| n.as_slice() != name)
            {
                let stream = stream_from_key(&self.path, name).map_err(|_| {
                    self.corrupt(
                        "streams",
                        format!("key {key:?} does not start with a stream id"),
                    )
                })?;
                if !trees
                    .heads
                    .contains_key(name)
                    .map_err(|e| self.sled_error(e))?
                {
                    return Err(self.corrupt(
                        &format!("streams/{stream}"),
                        "the stream index holds a stream without a head".to_owned(),
                    ));
                }
                current = Some((name.to_vec(), stream, 0));
            }
            let (_, stream, want) = current.as_mut().expect("set above");
            let (version, position, count) = self.decode_run(stream, &key, &value)?;
            if version != *want {
                return Err(self.corrupt(
                    &format!("streams/{stream}"),
                    format!("a run starts at version {version}, the stream is at {want}"),
                ));
            }
            if position.checked_add(count).is_none_or(|end| end > next) {
                return Err(self.corrupt(
                    &format!("streams/{stream}"),
                    format!(
                        "the run at version {version} points to positions {position} and on, \
                         past the counter {next}"
                    ),
                ));
            }
            *want = version + count;
        }
        Ok(())
    }

    /// Chains a store of format 1 or 2: rewrites every record of the log as a format-3
    /// record with its events' hashes (same keys, same events), then marks the store format
    /// 3. Idempotent: a crash half-way leaves a store of the old format with some records
    /// already rewritten, and the next open chains it again to the same hashes.
    fn chain_older_format(&self) -> Result<(), StoreError> {
        let trees = self.sled.trees()?;
        let next = self.next_position()?;
        let mut previous = EventHash::GENESIS;
        let mut from = 0u64;
        loop {
            // Read a batch, then rewrite it: sled's iterators do not promise to see or skip
            // what is inserted while they run.
            let batch = trees
                .events
                .range(from.to_be_bytes()..next.to_be_bytes())
                .take(256)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| self.sled_error(e))?;
            let Some((last, _)) = batch.last() else { break };
            from = self.decode_u64("events", last)? + 1;
            let mut rewritten = Vec::with_capacity(batch.len());
            for (key, value) in batch {
                let key = self.decode_u64("events", &key)?;
                let mut record = RecordWriter::new();
                self.for_each_in_record(key, &value, |position, stored| {
                    let mut event = self.to_recorded(position, stored)?;
                    let payload = serde_json::to_vec(&event.payload)?;
                    event.hash = event.link(&event.stream.name(), &payload).hash(&previous);
                    previous = event.hash;
                    record.push_encoded(&event, &payload)
                })?;
                rewritten.push((key, record.finish()));
            }
            self.insert_records(&mut rewritten)?;
        }
        self.flush()?;
        trees
            .meta
            .insert(FORMAT_KEY, &FORMAT_VERSION.to_be_bytes())
            .map_err(|e| self.sled_error(e))?;
        self.format
            .store(FORMAT_VERSION, std::sync::atomic::Ordering::SeqCst);
        self.flush()?;
        if self.scratch.is_none() {
            write_marker(&self.path, Marker::Ready)?;
        }
        Ok(())
    }

    fn insert_records(&self, records: &mut Vec<(u64, Vec<u8>)>) -> Result<(), StoreError> {
        let events = &self.sled.trees()?.events;
        for (key, bytes) in records.drain(..) {
            events
                .insert(key.to_be_bytes(), bytes)
                .map_err(|e| self.sled_error(e))?;
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
        let trees = self.sled.trees()?;
        let owned = trees
            .command_batches
            .contains_key(next.to_be_bytes())
            .map_err(|e| self.sled_error(e))?;
        if owned {
            return Ok(false);
        }
        let mut removed = false;
        for entry in trees.events.range(next.to_be_bytes()..) {
            let (key, value) = entry.map_err(|e| self.sled_error(e))?;
            if !is_record(&value) {
                return Ok(removed);
            }
            trees.events.remove(key).map_err(|e| self.sled_error(e))?;
            removed = true;
        }
        Ok(removed)
    }

    fn initialise(&self) -> Result<(), StoreError> {
        let trees = self.sled.trees()?;
        (&trees.meta, &trees.counters)
            .transaction(|(meta, counters)| {
                meta.insert(FORMAT_KEY, &FORMAT_VERSION.to_be_bytes())?;
                counters.insert(NEXT_POSITION_KEY, &0u64.to_be_bytes())?;
                Ok::<(), ConflictableTransactionError<StoreError>>(())
            })
            .map_err(|e| self.transaction_error(e))?;
        self.format
            .store(FORMAT_VERSION, std::sync::atomic::Ordering::SeqCst);
        self.flush()
    }

    /// Checks that the counter, the last record and the stream heads agree. Costs one read
    /// per stream, not per event.
    fn validate(&self) -> Result<(), StoreError> {
        let next = self.next_position()?;
        let trees = self.sled.trees()?;
        let last = trees.events.last().map_err(|e| self.sled_error(e))?;
        match last {
            None if next != 0 => {
                return Err(StoreError::Missing {
                    path: self.path.clone(),
                    first: 0,
                    last: next - 1,
                })
            }
            None => {}
            Some((key, value)) => {
                let key = self.decode_u64("events", &key)?;
                let position = key + self.record_len(key, &value)? - 1;
                if position + 1 < next {
                    return Err(StoreError::Missing {
                        path: self.path.clone(),
                        first: position + 1,
                        last: next - 1,
                    });
                }
                if position + 1 != next {
                    return Err(self.corrupt(
                        "counters/next_position",
                        format!("counter is {next} but the last event has position {position}"),
                    ));
                }
            }
        }
        for entry in trees.heads.iter() {
            let (name, version) = entry.map_err(|e| self.sled_error(e))?;
            let stream = stream_from_key(&self.path, &name)?;
            let version = self.decode_u64("heads", &version)?;
            let (start, end) = stream_range(&stream, 0);
            let last = trees
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
}

/// Waits until no other process has sled's database at `path` open for writing (sled holds
/// an exclusive lock on `db` while it is open), and holds a shared lock on it while the
/// caller copies it. `None` when there is no `db` yet.
fn wait_for_lock(path: &Path, wait: Duration) -> Result<Option<fs::File>, StoreError> {
    let db = path.join("db");
    let file = match fs::File::open(&db) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(StoreError::Io { path: db, source }),
    };
    let started = Instant::now();
    loop {
        match fs2::FileExt::try_lock_shared(&file) {
            Ok(()) => return Ok(Some(file)),
            Err(e) if e.kind() == fs2::lock_contended_error().kind() => {
                if started.elapsed() >= wait {
                    return Err(StoreError::InUse {
                        path: path.to_owned(),
                        pid: wal::last_pid(path),
                        waited: started.elapsed(),
                    });
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(source) => return Err(StoreError::Io { path: db, source }),
        }
    }
}

/// Copies sled's files of the store at `from` into `to`: `conf`, `db`, finished page-table
/// snapshots and blob files. Unfinished snapshots (`snap.*.generating`) are left out, as an
/// open of the store itself deletes them first.
fn copy_sled_files(from: &Path, to: &Path) -> Result<(), StoreError> {
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| StoreError::Io { path, source }
    };
    for entry in fs::read_dir(from).map_err(io(from))? {
        let entry = entry.map_err(io(from))?;
        let name = entry.file_name();
        let text = name.to_string_lossy();
        let source = entry.path();
        if text == "conf"
            || text == "db"
            || (text.starts_with("snap.") && !text.ends_with(".generating"))
        {
            fs::copy(&source, to.join(&name)).map_err(io(&source))?;
        } else if text == "blobs" {
            let blobs = to.join("blobs");
            fs::create_dir_all(&blobs).map_err(io(&blobs))?;
            for blob in fs::read_dir(&source).map_err(io(&source))? {
                let blob = blob.map_err(io(&source))?;
                fs::copy(blob.path(), blobs.join(blob.file_name())).map_err(io(&blob.path()))?;
            }
        }
    }
    Ok(())
}

/// Creates a store at `path` (missing, or an empty directory): builds it in a directory
/// next to it and renames that into place, so that a failure (a full disk, say) leaves
/// nothing behind.
fn create(path: &Path, options: &StoreOptions) -> Result<(), StoreError> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "store".to_owned());
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    let io = |p: &Path| {
        let p = p.to_owned();
        move |source| StoreError::Io { path: p, source }
    };
    fs::create_dir_all(&parent).map_err(io(&parent))?;
    let temp = parent.join(format!(".{name}.okr-init-{}", std::process::id()));
    if temp.exists() {
        fs::remove_dir_all(&temp).map_err(io(&temp))?;
    }
    let built = (|| {
        fs::create_dir(&temp).map_err(io(&temp))?;
        write_marker(&temp, Marker::Creating)?;
        let store = SledStore::on(&temp, &temp, options, None, None)?;
        store.initialise()?;
        store.flush()?;
        wal::start_over(&temp, Anchor::default())?;
        drop(store);
        write_marker(&temp, Marker::Ready)?;
        // An empty directory at `path` is replaced by the rename.
        fs::rename(&temp, path).map_err(io(path))?;
        fs::File::open(&parent)
            .and_then(|d| d.sync_all())
            .map_err(io(&parent))
    })();
    built.map_err(|e| {
        let _ = fs::remove_dir_all(&temp);
        naming_the_store(e, &temp, path)
    })
}

/// An error met while building a new store in its temporary directory, told of the store's
/// own path: the temporary directory is gone by the time anyone reads the message.
fn naming_the_store(e: StoreError, temp: &Path, path: &Path) -> StoreError {
    let text = |s: String| s.replace(&*temp.to_string_lossy(), &path.to_string_lossy());
    match e {
        StoreError::Io { path: at, source } => StoreError::Io {
            path: at
                .strip_prefix(temp)
                .map_or(at.clone(), |rest| path.join(rest)),
            source,
        },
        StoreError::Corrupt { location, detail } => StoreError::Corrupt {
            location: text(location),
            detail: text(detail),
        },
        StoreError::Sled(e) => {
            let kind = match e.downcast_ref::<sled::Error>() {
                Some(sled::Error::Io(io)) => io.kind(),
                _ => io::ErrorKind::Other,
            };
            StoreError::Io {
                path: path.to_owned(),
                source: io::Error::new(kind, text(format!("creating the store: {e}"))),
            }
        }
        other => other,
    }
}
