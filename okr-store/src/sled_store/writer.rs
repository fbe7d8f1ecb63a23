//! Appends: the writer lock and what it keeps in memory (the command index, the counter, the
//! versions of the streams it wrote), staging a batch into records and a write set, and
//! writing it: through the write-ahead log under [`Durability::Sync`](super::Durability::Sync),
//! in one sled transaction otherwise.

use std::collections::HashMap;
use std::sync::MutexGuard;

use okr_core::StreamId;
use rustc_hash::FxHashMap;
use sled::transaction::{ConflictableTransactionError, TransactionError};
use sled::Transactional;
use uuid::Uuid;

use crate::chain::{EventHash, Fingerprint};
use crate::codec::{Record, RecordPacker};
use crate::error::StoreError;
use crate::event::RecordedEvent;
use crate::store::{
    append_in, AppendOutcome, AppendRequest, CommandEntry, CommandRecord, PendingAppend, Tx,
};
use crate::wal::WriteSet;

use super::handle::SledStore;
use super::records::{decode_u64, stream_key, NEXT_POSITION_KEY};
use super::trees::{CommandIndex, Space, Writer};

/// Bytes per command in a `command_batches` value of format 2: id, first position, count.
const COMMAND_ENTRY_2: usize = 32;
/// Bytes per command in a `command_batches` value of format 3: id, first position, count,
/// fingerprint (16 zero bytes: none).
const COMMAND_ENTRY: usize = 48;
/// First byte of a `command_batches` value of format 3 (a format-2 value is a multiple of 32
/// bytes long, a format-3 value one more than a multiple of 48: never both).
const COMMAND_BATCH_TAG: u8 = 3;
/// At most this many commands per `command_batches` value (6 KiB): an append of more
/// records them under several keys, each the first position of its first command. sled keeps
/// up to 16 values in a leaf page and writes a page over 128 KiB to a blob file of its own,
/// which costs a file and a sync per page written; records stay under 7 KiB for the same reason.
pub(super) const COMMANDS_PER_BATCH_VALUE: usize = 128;
/// How many stream versions the writer keeps in memory (see [`Writer::versions`]) before it
/// lets the applier catch up and reads them from sled again.
const MAX_CACHED_VERSIONS: usize = 4096;

/// What format 1's `commands` tree keeps per command id (as JSON), as far as the index needs
/// it.
#[derive(serde::Deserialize)]
struct Format1Command {
    first_position: u64,
    count: u64,
}

impl SledStore {
    /// Locks the writer and loads it (the command index, the counter) if this is its first
    /// use.
    pub(super) fn lock_writer(&self) -> Result<MutexGuard<'_, Option<Writer>>, StoreError> {
        // The writer changes only after an append is durable, in steps that cannot fail, so a
        // poisoned lock still guards a consistent writer.
        let mut guard = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        if guard.is_none() {
            let next = self.next_position()?;
            *guard = Some(Writer {
                index: self.load_command_index()?,
                next,
                head: self.hash_at(next.checked_sub(1))?,
                versions: FxHashMap::default(),
            });
        }
        Ok(guard)
    }

    /// Where the events of the append of `command_id` are: first position, count and
    /// fingerprint.
    pub(super) fn find_in_index(
        &self,
        command_id: Uuid,
    ) -> Result<Option<CommandEntry>, StoreError> {
        let writer = self.lock_writer()?;
        let writer = writer.as_ref().expect("lock_writer loads the writer");
        Ok(writer
            .index
            .get(&command_id.as_u128())
            .map(|&(first, count, f)| (first, count, fingerprint(f))))
    }

    /// The stored hash of the event at `position` ([`EventHash::GENESIS`] for `None`, before
    /// the first event).
    pub(super) fn hash_at(&self, position: Option<u64>) -> Result<EventHash, StoreError> {
        let Some(position) = position else {
            return Ok(EventHash::GENESIS);
        };
        let mut hash = None;
        self.scan_events(position, position, |_, stored| {
            hash = Some(stored.hash());
            Ok::<(), StoreError>(())
        })?;
        hash.ok_or_else(|| {
            self.corrupt(
                &format!("events/{position}"),
                "the last event below the position counter is missing".to_owned(),
            )
        })
    }

    fn load_command_index(&self) -> Result<CommandIndex, StoreError> {
        let trees = self.sled.trees()?;
        let mut index = CommandIndex::default();
        for entry in trees.commands.iter() {
            let (key, value) = entry.map_err(|e| self.sled_error(e))?;
            let at = || format!("commands/{}", Uuid::from_slice(&key).unwrap_or_default());
            let id = <[u8; 16]>::try_from(key.as_ref())
                .map_err(|_| self.corrupt(&at(), "key is not a command id".to_owned()))?;
            let record: Format1Command = serde_json::from_slice(&value)
                .map_err(|e| self.corrupt(&at(), format!("does not decode: {e}")))?;
            index.insert(
                u128::from_be_bytes(id),
                (record.first_position, record.count, 0),
            );
        }
        for entry in trees.command_batches.iter() {
            let (key, value) = entry.map_err(|e| self.sled_error(e))?;
            let key = self.decode_u64("command_batches", &key)?;
            let (entries, size) = if value.len() % COMMAND_ENTRY_2 == 0 && !value.is_empty() {
                (&value[..], COMMAND_ENTRY_2)
            } else if value.first() == Some(&COMMAND_BATCH_TAG)
                && value.len() > 1
                && (value.len() - 1) % COMMAND_ENTRY == 0
            {
                (&value[1..], COMMAND_ENTRY)
            } else {
                return Err(self.corrupt(
                    &format!("command_batches/{key}"),
                    format!(
                        "expected a multiple of {COMMAND_ENTRY_2} bytes or a tag and a multiple \
                         of {COMMAND_ENTRY}, found {} bytes",
                        value.len()
                    ),
                ));
            };
            for e in entries.chunks_exact(size) {
                let id = u128::from_be_bytes(e[..16].try_into().expect("16 bytes"));
                let first = decode_u64(&e[16..24]).unwrap_or_default();
                let count = decode_u64(&e[24..32]).unwrap_or_default();
                let fingerprint = e
                    .get(32..48)
                    .map_or(0, |f| u128::from_be_bytes(f.try_into().expect("16 bytes")));
                index.insert(id, (first, count, fingerprint));
            }
        }
        Ok(index)
    }

    /// Applies `batch` (see [`crate::EventStore::append_batch`]).
    pub(super) fn write_batch(
        &self,
        batch: Vec<AppendRequest>,
    ) -> Result<Vec<AppendOutcome>, StoreError> {
        self.begin_batch(batch)?.wait()
    }

    /// Stages and writes `batch` (see [`crate::EventStore::begin_append_batch`]): under
    /// [`Durability::Sync`](super::Durability::Sync) its inserts are queued for the journal
    /// but not yet written when this returns, and the writer's memory (counter, versions,
    /// command index) already includes it, so the next append stages on top of it; the
    /// returned [`PendingAppend`] waits for the shared frame and `fdatasync`.
    pub(super) fn begin_batch(
        &self,
        batch: Vec<AppendRequest>,
    ) -> Result<PendingAppend, StoreError> {
        if batch.is_empty() {
            return Ok(PendingAppend::durable(Vec::new()));
        }
        self.writable()?;
        let mut guard = self.lock_writer()?;
        let writer = guard.as_mut().expect("lock_writer loads the writer");
        if writer.versions.len() > MAX_CACHED_VERSIONS {
            // sled holds every head once the applier caught up.
            self.sled.trees()?;
            writer.versions.clear();
        }
        let mut staging = Staging {
            store: self,
            writer: &*writer,
            first: writer.next,
            staged: 0,
            records: RecordPacker::new(writer.next),
            runs: Vec::new(),
            versions: HashMap::new(),
            commands: FxHashMap::default(),
            order: Vec::new(),
            head: writer.head,
        };
        let outcomes = batch
            .into_iter()
            .map(|request| append_in(&mut staging, request))
            .collect::<Result<Vec<_>, StoreError>>()?;
        if staging.staged == 0 {
            // Only repeated commands: their originals may still wait for their sync.
            return Ok(match self.sled.wal_arc() {
                Some(wal) => PendingAppend::new(outcomes, move || wal.settle()),
                None => PendingAppend::durable(outcomes),
            });
        }
        let set = staging.write_set();
        let staging_head = staging.head;
        let (next, versions, commands) = (set.next, staging.versions, staging.commands);
        let pending = match self.sled.wal_arc() {
            // Durable first, then visible: the applier gets the set only once its frame is
            // synced, so readers never see an append that a crash could take back. The
            // writer's memory moves on at once: a later append stages on top of this one
            // and is synced with it or after it (frames are synced in order), and if the
            // sync fails the journal halts, refusing every later append.
            Some(wal) => {
                let ticket = wal.append(set)?;
                PendingAppend::new(outcomes, move || wal.wait(ticket))
            }
            None => {
                self.commit(writer, &set)?;
                PendingAppend::durable(outcomes)
            }
        };
        writer.next = next;
        writer.head = staging_head;
        writer.versions.extend(versions);
        writer.index.extend(commands);
        Ok(pending)
    }

    /// Applies a write set in one sled transaction, if the position counter is still where
    /// the set expects it.
    fn commit(&self, writer: &Writer, set: &WriteSet) -> Result<(), StoreError> {
        let trees = self.sled.trees_for_writer(writer);
        (
            &trees.meta,
            &trees.events,
            &trees.streams,
            &trees.heads,
            &trees.command_batches,
            &trees.counters,
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
                    for (keyspace, key, value) in &set.writes {
                        let tree = match Space::from_keyspace(*keyspace) {
                            Some(Space::Meta) => meta,
                            Some(Space::Events) => events,
                            Some(Space::Streams) => streams,
                            Some(Space::Heads) => heads,
                            Some(Space::CommandBatches) => command_batches,
                            Some(Space::Counters) => counters,
                            None => unreachable!("the writer stages only its own trees"),
                        };
                        tree.insert(key.as_slice(), value.as_slice())?;
                    }
                    Ok(())
                },
            )
            .map_err(|e| self.transaction_error(e))
    }

    /// The version of `stream` as sled holds it, without waiting for the applier: only for
    /// a stream the writer did not append to since it last caught up.
    fn stored_version(&self, writer: &Writer, stream: &StreamId) -> Result<u64, StoreError> {
        let head = self
            .sled
            .trees_for_writer(writer)
            .heads
            .get(stream.name().as_bytes())
            .map_err(|e| self.sled_error(e))?;
        self.version_from_head(head)
    }

    pub(super) fn transaction_error(&self, e: TransactionError<StoreError>) -> StoreError {
        match e {
            TransactionError::Abort(e) => e,
            TransactionError::Storage(e) => self.sled_error(e),
        }
    }
}

impl From<StoreError> for ConflictableTransactionError<StoreError> {
    fn from(e: StoreError) -> Self {
        ConflictableTransactionError::Abort(e)
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
    /// The staged events, packed into records.
    records: RecordPacker,
    /// Stream runs: stream, first version, first position, length.
    runs: Vec<(StreamId, u64, u64, u64)>,
    /// The versions of the streams the batch wrote.
    versions: HashMap<StreamId, u64>,
    commands: FxHashMap<u128, (u64, u64, u128)>,
    /// Command ids in the order of their appends.
    order: Vec<u128>,
    /// The hash of the last staged event (or the writer's head before the batch).
    head: EventHash,
}

impl Staging<'_> {
    /// A staged event, decoded back from the records (only a command repeated within its own
    /// batch needs this).
    fn staged_event(&self, position: u64) -> Result<RecordedEvent, StoreError> {
        for (key, bytes) in self.records.snapshot() {
            let Ok(record) = Record::new(&bytes) else {
                continue;
            };
            if position < key || position >= key + u64::from(record.count()) {
                continue;
            }
            let mut reader = record.reader(key);
            let mut p = key;
            while let Some(Ok(view)) = reader.next_event() {
                if p == position {
                    return view
                        .to_recorded()
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

    /// What the batch staged, as sled writes: records, stream runs, heads, counter and
    /// command ids.
    fn write_set(&mut self) -> WriteSet {
        let records = std::mem::replace(&mut self.records, RecordPacker::new(self.first)).finish();
        let mut writes =
            Vec::with_capacity(records.len() + self.runs.len() + self.versions.len() + 3);
        for (key, bytes) in records {
            writes.push((Space::Events.keyspace(), key.to_be_bytes().to_vec(), bytes));
        }
        for (stream, version, position, len) in &self.runs {
            let mut value = Vec::with_capacity(16);
            value.extend_from_slice(&position.to_be_bytes());
            value.extend_from_slice(&len.to_be_bytes());
            writes.push((
                Space::Streams.keyspace(),
                stream_key(stream, *version),
                value,
            ));
        }
        for (stream, version) in &self.versions {
            // On disk, a head is the version of the stream's last event.
            writes.push((
                Space::Heads.keyspace(),
                stream.name().into_bytes(),
                (version - 1).to_be_bytes().to_vec(),
            ));
        }
        let next = self.first + self.staged;
        writes.push((
            Space::Counters.keyspace(),
            NEXT_POSITION_KEY.to_vec(),
            next.to_be_bytes().to_vec(),
        ));
        // The first value's key is the append's first position: every command of an append
        // has events, the first command's start there.
        for chunk in self.order.chunks(COMMANDS_PER_BATCH_VALUE) {
            let mut ids = Vec::with_capacity(1 + chunk.len() * COMMAND_ENTRY);
            ids.push(COMMAND_BATCH_TAG);
            for id in chunk {
                let (position, count, fingerprint) = self.commands[id];
                ids.extend_from_slice(&id.to_be_bytes());
                ids.extend_from_slice(&position.to_be_bytes());
                ids.extend_from_slice(&count.to_be_bytes());
                ids.extend_from_slice(&fingerprint.to_be_bytes());
            }
            let first = self.commands[&chunk[0]].0;
            writes.push((
                Space::CommandBatches.keyspace(),
                first.to_be_bytes().to_vec(),
                ids,
            ));
        }
        WriteSet {
            first: self.first,
            next,
            head: self.head.0,
            writes,
        }
    }
}

impl Tx for Staging<'_> {
    type Error = StoreError;

    fn command(&mut self, command_id: Uuid) -> Result<Option<CommandEntry>, StoreError> {
        let id = command_id.as_u128();
        Ok(self
            .commands
            .get(&id)
            .or_else(|| self.writer.index.get(&id))
            .map(|&(first, count, f)| (first, count, fingerprint(f))))
    }

    fn event(&mut self, position: u64) -> Result<RecordedEvent, StoreError> {
        if position >= self.first {
            return self.staged_event(position);
        }
        // A repeated command: its events may still be on their way into sled, which
        // `events_at` waits for.
        let mut events = self.store.events_at(position, 1)?;
        Ok(events.pop().expect("events_at returns exactly one"))
    }

    fn version(&mut self, stream: &StreamId) -> Result<u64, StoreError> {
        match self
            .versions
            .get(stream)
            .or_else(|| self.writer.versions.get(stream))
        {
            Some(version) => Ok(*version),
            // No append this handle remembers wrote the stream, so sled's head is the
            // latest.
            None => self.store.stored_version(self.writer, stream),
        }
    }

    fn next_position(&mut self) -> Result<u64, StoreError> {
        Ok(self.first + self.staged)
    }

    fn head_hash(&mut self) -> Result<EventHash, StoreError> {
        Ok(self.head)
    }

    fn write(
        &mut self,
        command_id: Uuid,
        record: &CommandRecord,
        events: &[RecordedEvent],
        payloads: &[Vec<u8>],
    ) -> Result<(), StoreError> {
        for (e, payload) in events.iter().zip(payloads) {
            self.records.push_encoded(e, payload)?;
            self.head = e.hash;
            self.staged += 1;
            match self.runs.last_mut() {
                Some((stream, version, _, len))
                    if *stream == e.stream && *version + *len == e.stream_version =>
                {
                    *len += 1;
                }
                _ => self
                    .runs
                    .push((e.stream, e.stream_version, e.global_position, 1)),
            }
        }
        if let Some(last) = events.last() {
            self.versions.insert(last.stream, last.stream_version + 1);
        }
        let id = command_id.as_u128();
        let fingerprint = record.fingerprint.map_or(0, |f| u128::from_be_bytes(f.0));
        self.commands
            .insert(id, (record.first_position, record.count, fingerprint));
        self.order.push(id);
        Ok(())
    }
}

/// A fingerprint as the command index keeps it (0: none).
fn fingerprint(stored: u128) -> Option<Fingerprint> {
    (stored != 0).then(|| Fingerprint(stored.to_be_bytes()))
}
