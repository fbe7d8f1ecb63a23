//! [`SledStore`]: the on-disk backend, on [sled](https://docs.rs/sled/0.34) 0.34.
//!
//! # Layout (store format 3)
//!
//! One sled `Db` per store with a fixed set of trees (never a tree per stream):
//!
//! | tree | key | value |
//! |---|---|---|
//! | `meta` | `b"format"` | store format version, `u32` big-endian |
//! | `events` | global position of the record's first event, `u64` big-endian | a record: the events of consecutive positions (see below) |
//! | `streams` | stream name, `0x00`, stream version of a run's first event, `u64` BE | the run's first global position and its length, two `u64` BE |
//! | `heads` | stream name | `stream_version` of the stream's last event (the stream's version, its number of events, minus one), `u64` BE |
//! | `command_batches` | global position of the first event of the value's first command, `u64` BE (an append's first value: the append's first position) | the tag `3`, then per command, up to 128: id (16 bytes), first position and count (`u64` BE each), fingerprint (16 bytes, zeros: none) |
//! | `counters` | `b"next_position"` | next global position, `u64` BE |
//! | `snapshots` | global position covered, `u64` BE | opaque bytes from [`EventStore::save_snapshot`] |
//!
//! **Records.** An append writes its events as records of up to 1024 events (or 7 KiB stored)
//! with a binary envelope and the payload as JSON: per event the event id, command id,
//! stream, stream version, event type, schema version, `recorded_at`, actor, correlation id,
//! payload and hash of a [`RecordedEvent`] (the global position is the record's
//! key plus the event's index); a header byte names the encoding (`codec.rs`): 0 for the
//! events as they are, 1 for the same bytes as one zstd frame, which this build writes
//! whenever it is smaller (about a sixth of the plain size for check-ins), so a record
//! holds several times the events. sled pays per key written, so one key per record instead
//! of one per event is what makes batched appends and replays fast.

//!
//! **Streams.** A *run* is a stretch of one stream's events with consecutive versions and
//! consecutive positions, as one append writes them; the `streams` tree has one entry per run,
//! so reading a stream from a version is one range scan plus the records it points into.
//!
//! **Commands.** Each append that writes something records its command ids, positions and
//! counts and fingerprints (see [`crate::chain`]) in `command_batches`, under one key per 128
//! commands (so that no value makes sled write a blob file). The
//! store keeps an index of all command ids in memory (about 56 bytes per command), built from
//! that tree when it is first needed (the
//! first append or [`EventStore::find_command`] after opening), so a repeated command id is
//! found without a disk read and appends write no key per command.
//!
//! Snapshots live outside the append transaction: they are written after the events they
//! cover and are never needed for correctness (a store whose snapshots are all gone, or were
//! never written, holds the same log).
//!
//! **Formats 1 and 2.** Format 1 (the first release) kept one JSON [`RecordedEvent`] per key
//! in `events`, one `streams` entry per event (value: its position) and a `commands` tree
//! keyed by command id; format 2 wrote binary records without hashes and `command_batches`
//! entries without fingerprints. This build reads both: a format-1 event is a record of one
//! event, a format-1 stream entry is a run of one, and the `commands` tree feeds the command
//! index (commands without a fingerprint match any command). A writable open *chains* such a
//! store once its checks pass: it rewrites every record under its own key as a format-3
//! record with the hashes of its events, computed from the first event on, then marks the
//! store format 3 (in `meta` and the marker), so older builds refuse it rather than misread
//! it. The rewrite is idempotent; a crash half-way is redone on the next open. A read-only
//! open chains its private copy instead and leaves the store as it is.
//!
//! Next to sled's files the directory holds `OKR_STORE`, a small text file written when the
//! store is created: if it is there but the sled database holds no okr data, sled's files were
//! truncated, replaced or deleted (sled would silently start an empty database), and `open`
//! reports [`StoreError::Corrupt`] instead of starting over. Every store opened by this build
//! also holds `journal` (see below), whose header is okr's own record of what it
//! acknowledged: the position counter and the head's hash.
//!
//! Opening checks the store on a copy before anything on disk changes; see the `open`
//! module's documentation (in `open.rs`) for exactly what it guarantees.
//!
//! Appends to one store are serialised by a lock the store holds (sled allows one process per
//! database). Under it an append (or batch) takes the counter and the stream versions (the
//! lock keeps the counter, and the versions of the streams it wrote, in memory; other heads
//! come from sled),
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
//!   writer keeps the counter and the versions it wrote in memory, so the next append does not
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
//! `fdatasync` of its journal frame, written by the write-ahead log (`src/wal/`, the file
//! `journal`; its format, checkpoints, recovery and failures are described there). The
//! frames' keyspaces are this store's trees: meta, events, streams, heads, command_batches,
//! counters = 0 to 5. A checkpoint (every 32 MiB of journal, and when the last handle of a
//! `Sync` store is dropped) flushes sled and `fsync`s its files.
//!
//! * **Recovery.** [`SledStore::open`] applies the journal's frames to sled, in order. Then
//!   records past the counter that no finished append owns (no `command_batches` entry at the
//!   counter) are removed: earlier builds inserted the records of a big append while its
//!   frame was being synced, and a crash in between left them behind. Then sled is flushed
//!   and the journal starts over.
//! * **Failures.** A handle whose journal write failed, or whose applier could not insert a
//!   durable append into sled, refuses later appends (and, for the latter, every read that
//!   would have to wait for that append) with [`StoreError::Halted`]. Reopening settles it;
//!   [`EventStore::find_command`] then tells whether the append was recorded.
//! * **Reads** go through one accessor that first waits for the applier (see `trees.rs`), so
//!   a reader sees every acknowledged append and never one that a crash could take back.
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
//! Damage sled does not report: sled recovers its log up to the first damaged or torn
//! segment, so damage in the middle of the `db` file (bad sectors, a stray write) makes sled
//! open a consistent but shorter log. The journal's anchor catches that: it records how far
//! the log reached at the last checkpoint (and every frame after it, how far each append
//! took it), so such a store is refused with [`StoreError::Missing`], naming the missing
//! positions, before anything is written. What remains undetectable is loss behind the
//! anchor's back: appends of [`Durability::Periodic`] or [`Durability::None`] after the last
//! [`SledStore::flush`] (which those modes do not promise to keep anyway), and damage to
//! the journal and sled's files together.

mod dir;
mod handle;
mod open;
mod records;
mod trees;
mod writer;

use std::collections::BTreeMap;
use std::ops::ControlFlow;
use std::path::Path;

use okr_core::StreamId;
use uuid::Uuid;

use crate::error::StoreError;
use crate::event::RecordedEvent;
use crate::keys::{KeyEntry, KeyFile, KeyOwner};
use crate::scan::ScanChunk;
use crate::store::{AppendOutcome, AppendRequest, EventStore, PendingAppend};
use crate::wal;

use records::{stream_from_key, stream_key, stream_range, RecordBytes};

pub use handle::{Durability, SledStore, StoreOptions};

/// How long [`SledStore::open`] waits for sled's file lock held by a handle this process
/// just dropped.
pub const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

pub use dir::FORMAT_VERSION;

/// sled's background flush interval under [`Durability::Sync`] (sled's own default).
pub(super) const SYNC_FLUSH_EVERY_MS: u64 = 500;
/// Bytes of records [`EventStore::scan`] hands out at a time: a replay decodes each such
/// chunk on several threads.
const SCAN_CHUNK_BYTES: usize = 4 << 20;

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
        SledStore::open_store(path.as_ref(), &options)
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
        self.sled.flush(&self.files)?;
        if self.durability != Durability::Sync && self.scratch.is_none() && !self.read_only {
            // Without the journal's frames, the journal's header is okr's record of what the
            // store holds: it is brought up to date whenever sled's files are.
            wal::start_over(&self.path, self.anchor()?)?;
        }
        Ok(())
    }

    /// Whether the store was opened read-only ([`StoreOptions::read_only`]).
    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    /// [`StoreError::ReadOnly`] for a store opened read-only: what every write checks first.
    pub(super) fn writable(&self) -> Result<(), StoreError> {
        if self.read_only {
            return Err(StoreError::ReadOnly {
                path: self.path.clone(),
            });
        }
        Ok(())
    }

    /// After a change to the snapshots, which live outside the journal: a `Sync` store
    /// makes it durable at once.
    fn flush_snapshots(&self) -> Result<(), StoreError> {
        if self.durability == Durability::Sync {
            self.flush()?;
        }
        Ok(())
    }
}

impl EventStore for SledStore {
    fn flush(&self) -> Result<(), StoreError> {
        SledStore::flush(self)
    }

    fn append_batch(&self, batch: Vec<AppendRequest>) -> Result<Vec<AppendOutcome>, StoreError> {
        self.write_batch(batch)
    }

    /// Stages the batch and queues its inserts for the journal, returning before they are
    /// written: the group commit of [`Durability::Sync`] (the first to wait writes every
    /// queued append as one frame with one `fdatasync`).
    fn begin_append_batch(&self, batch: Vec<AppendRequest>) -> Result<PendingAppend, StoreError> {
        self.begin_batch(batch)
    }

    fn read_stream(
        &self,
        stream: &StreamId,
        from_version: u64,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let trees = self.sled.trees()?;
        // The run holding `from_version` starts at or before it; later runs follow.
        let (start, _) = stream_range(stream, 0);
        let first_run = trees
            .streams
            .range(start..=stream_key(stream, from_version))
            .next_back()
            .transpose()
            .map_err(|e| self.sled_error(e))?;
        let (after, end) = stream_range(stream, from_version.saturating_add(1));
        let later = trees.streams.range(after..=end);
        let name = stream.name();
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
                if stored.stream_name() != name || stored.stream_version() != want {
                    return Err(self.corrupt(
                        &format!("events/{p}"),
                        format!(
                            "stream index says {stream} version {want}, the event is {} version {}",
                            stored.stream_name(),
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

    fn stream_version(&self, stream: &StreamId) -> Result<u64, StoreError> {
        let head = self
            .sled
            .trees()?
            .heads
            .get(stream.name().as_bytes())
            .map_err(|e| self.sled_error(e))?;
        self.version_from_head(head)
    }

    fn heads(&self) -> Result<BTreeMap<StreamId, u64>, StoreError> {
        let mut heads = BTreeMap::new();
        for entry in self.sled.trees()?.heads.iter() {
            let (name, head) = entry.map_err(|e| self.sled_error(e))?;
            heads.insert(
                stream_from_key(&self.path, &name)?,
                self.version_from_head(Some(head))?,
            );
        }
        Ok(heads)
    }

    fn last_position(&self) -> Result<Option<u64>, StoreError> {
        Ok(self.next_position()?.checked_sub(1))
    }

    fn find_command(&self, command_id: Uuid) -> Result<Option<AppendOutcome>, StoreError> {
        let Some((first, count, fingerprint)) = self.find_in_index(command_id)? else {
            return Ok(None);
        };
        Ok(Some(AppendOutcome {
            events: self.events_at(first, count)?,
            duplicate: true,
            fingerprint,
        }))
    }

    /// Hands out views of the stored records, a few MiB at a time, without building a
    /// [`RecordedEvent`] per event; a format-1 event is handed out as a record of one.
    fn scan(
        &self,
        from: u64,
        last: u64,
        visit: &mut dyn FnMut(ScanChunk<'_>) -> ControlFlow<()>,
    ) -> Result<(), StoreError> {
        let location = self.path.display().to_string();
        let mut hand_out = |records: &mut Vec<(u64, RecordBytes)>| {
            let views: Vec<(u64, &[u8])> = records.iter().map(|(k, b)| (*k, b.as_ref())).collect();
            let flow = visit(ScanChunk::from_records(&views, from, last, &location));
            records.clear();
            flow
        };
        let mut records = Vec::new();
        let mut bytes = 0;
        self.scan_records(from, last, |key, value| {
            let record = self.as_record(key, value)?;
            bytes += record.as_ref().len();
            records.push((key, record));
            if bytes < SCAN_CHUNK_BYTES {
                return Ok::<_, StoreError>(ControlFlow::Continue(()));
            }
            bytes = 0;
            Ok(hand_out(&mut records))
        })?;
        if !records.is_empty() {
            let _ = hand_out(&mut records);
        }
        Ok(())
    }

    /// Inserts the snapshot; flushed with the next append (or at once under
    /// [`Durability::Sync`]).
    fn save_snapshot(&self, position: u64, bytes: &[u8]) -> Result<(), StoreError> {
        self.writable()?;
        self.sled
            .trees()?
            .snapshots
            .insert(position.to_be_bytes(), bytes)
            .map_err(|e| self.sled_error(e))?;
        self.flush_snapshots()
    }

    fn latest_snapshot(
        &self,
        at_or_before: Option<u64>,
    ) -> Result<Option<(u64, Vec<u8>)>, StoreError> {
        let snapshots = &self.sled.trees()?.snapshots;
        let found = match at_or_before {
            Some(p) => snapshots.range(..=p.to_be_bytes()).next_back(),
            None => snapshots.iter().next_back(),
        };
        match found.transpose().map_err(|e| self.sled_error(e))? {
            None => Ok(None),
            Some((key, value)) => Ok(Some((self.decode_u64("snapshots", &key)?, value.to_vec()))),
        }
    }

    /// The key store is the file `keys` beside sled's files (see [`crate::keys`]).
    fn load_keys(&self) -> Result<Vec<(KeyOwner, KeyEntry)>, StoreError> {
        KeyFile::new(&self.path).load()
    }

    /// Rewrites `keys` whole (through `keys.tmp`, synced and renamed): a destroyed key is
    /// not left behind in an older version of the file the way sled keeps old values in its
    /// segments.
    fn put_keys(&self, entries: &[(KeyOwner, KeyEntry)]) -> Result<(), StoreError> {
        self.writable()?;
        KeyFile::new(&self.path).put(entries)
    }

    fn prune_snapshots(&self, keep: usize) -> Result<(), StoreError> {
        self.writable()?;
        let snapshots = &self.sled.trees()?.snapshots;
        let stale: Vec<sled::IVec> = snapshots
            .iter()
            .keys()
            .rev()
            .skip(keep)
            .collect::<Result<_, _>>()
            .map_err(|e| self.sled_error(e))?;
        if stale.is_empty() {
            return Ok(());
        }
        let mut batch = sled::Batch::default();
        for key in stale {
            batch.remove(key);
        }
        snapshots
            .apply_batch(batch)
            .map_err(|e| self.sled_error(e))?;
        self.flush_snapshots()
    }

    fn clear_snapshots(&self) -> Result<(), StoreError> {
        self.writable()?;
        self.sled
            .trees()?
            .snapshots
            .clear()
            .map_err(|e| self.sled_error(e))?;
        self.flush_snapshots()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::NewEvent;
    use crate::store::ExpectedVersion;
    use crate::wal::WriteSet;

    fn event() -> NewEvent {
        let at = chrono::DateTime::from_timestamp(1_736_150_400, 0).expect("valid instant");
        NewEvent::new("Tested", 1, serde_json::json!({ "n": 1 }), "tester", at)
    }

    fn org() -> StreamId {
        StreamId::Organisation
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
    fn a_large_batch_records_its_commands_in_small_values_and_no_blob() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store");
        let commands = 1000u128;
        {
            let store = SledStore::open(&path, StoreOptions::default()).unwrap();
            // Two events for every third command, so positions and command starts differ.
            let batch = (0..commands)
                .map(|n| AppendRequest {
                    stream: org(),
                    expected: ExpectedVersion::Any,
                    command_id: Uuid::from_u128(n + 1),
                    fingerprint: None,
                    events: vec![event(); if n % 3 == 0 { 2 } else { 1 }],
                })
                .collect();
            store.append_batch(batch).unwrap();
            let keys: Vec<u64> = store
                .sled
                .trees()
                .unwrap()
                .command_batches
                .iter()
                .keys()
                .map(|k| u64::from_be_bytes(k.unwrap().as_ref().try_into().unwrap()))
                .collect();
            let values = (commands as usize).div_ceil(writer::COMMANDS_PER_BATCH_VALUE);
            assert_eq!(keys.len(), values, "one value per 128 commands");
            assert_eq!(
                keys[0], 0,
                "the first value under the append's first position"
            );
            // The k-th value starts at the command 128 k, whose first event is there.
            let starts = |c: u64| c + c.div_ceil(3);
            for (k, key) in keys.iter().enumerate() {
                let first_command = (k * writer::COMMANDS_PER_BATCH_VALUE) as u64;
                assert_eq!(*key, starts(first_command), "value {k}");
            }
        }
        let blobs = std::fs::read_dir(path.join("blobs")).unwrap().count();
        assert_eq!(blobs, 0, "no page of the store went to a blob file");
        let store = SledStore::open(&path, StoreOptions::default()).unwrap();
        for n in [0u128, 127, 128, 500, 999] {
            let found = store.find_command(Uuid::from_u128(n + 1)).unwrap().unwrap();
            let first = found.events[0].global_position;
            assert_eq!(first, n as u64 + (n as u64).div_ceil(3), "command {n}");
            assert_eq!(found.events.len(), if n % 3 == 0 { 2 } else { 1 });
        }
    }

    #[test]
    fn a_halted_journal_refuses_appends_until_the_store_is_reopened() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store");
        let store = SledStore::open(&path, StoreOptions::default()).unwrap();
        append(&store, 1, ExpectedVersion::Any).unwrap();
        store
            .sled
            .wal()
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
        append(&store, 2, ExpectedVersion::Exact(1)).unwrap();
        assert_eq!(store.read_all(0, 10).unwrap().len(), 2);
    }

    #[test]
    fn a_failed_apply_stops_reads_and_appends_and_reopening_applies_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store");
        let mut store = SledStore::open(&path, StoreOptions::default()).unwrap();
        append(&store, 1, ExpectedVersion::Any).unwrap();
        store.flush().unwrap();
        store
            .sled
            .wal_mut()
            .expect("a Sync store has a journal and no other handle")
            .replace_applier(Box::new(|_: &WriteSet| Err("sled said no".to_owned())));

        // The append is durable, so it is acknowledged; reading it is not possible.
        let outcome = append(&store, 2, ExpectedVersion::Exact(1)).unwrap();
        assert_eq!(outcome.events[0].global_position, 1);
        for err in [
            store.read_all(0, 10).unwrap_err(),
            store.stream_version(&org()).unwrap_err(),
            store.last_position().unwrap_err(),
            append(&store, 3, ExpectedVersion::Exact(2)).unwrap_err(),
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
        assert_eq!(store.stream_version(&org()).unwrap(), 2);
    }
}
