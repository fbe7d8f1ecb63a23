//! Compaction: the small records of single appends merged into full ones.
//!
//! An append writes its events as records of their own, so a log written one command at a
//! time holds one record of one event per command, a `command_batches` entry per command and
//! a `streams` run per command; sled pays its per-entry overhead on each, and a record of one
//! event compresses badly. Compaction rewrites a *region* of the log, the positions
//! `from..to` written since the last compaction, once it holds [`COMPACT_AFTER_RECORDS`]
//! records that average under [`SMALL_RECORD`] stored bytes:
//!
//! * its records are packed again into as few records as the record limits allow (see
//!   `codec.rs`), keyed by their first positions as always;
//! * its `streams` runs that continue each other (same stream, consecutive versions and
//!   positions) become one run, keyed by the first run's key;
//! * its `command_batches` entries become one entry under the region's first position,
//!   holding every command's entry in order.
//!
//! Everything is removed and inserted in one sled transaction, so sled holds either the old
//! region or the new one; readers of the log hold the store's read lock, and compaction runs
//! only when it gets the write lock at once (otherwise it is tried again after the next
//! append), so no scan sees half of it. The events, their positions, hashes, streams and
//! command ids are unchanged: every read gives the same answer before and after.
//!
//! Under [`Durability::Sync`](super::Durability::Sync) compaction runs in the applier, on a
//! region inside the journal's current generation (`from` is never below the anchor the
//! journal was last started over with): every key it removes or rewrites was inserted by a
//! frame of that generation, so a replay after a crash inserts each of them again and gives
//! back the uncompacted region, whichever of the two sled had kept.

use std::path::Path;
use std::sync::RwLock;

use okr_core::StreamId;
use sled::transaction::ConflictableTransactionError;
use sled::Transactional;

use crate::codec::{is_record, record_count, Record, RecordPacker, RECORD_MAX_BYTES};
use crate::error::StoreError;

use super::dir::sled_error;
use super::records::{decode_u64, stream_key};
use super::trees::{Space, Trees};
use crate::wal::WriteSet;

/// A region is compacted once it holds this many records...
pub(super) const COMPACT_AFTER_RECORDS: u64 = 64;
/// ...that average fewer stored bytes than this (a batch's full records are left as they
/// are).
pub(super) const SMALL_RECORD: u64 = (RECORD_MAX_BYTES / 4) as u64;

/// First byte of a `command_batches` value of format 3 (see `writer.rs`).
const COMMAND_BATCH_TAG: u8 = 3;
const COMMAND_ENTRY: usize = 48;
const COMMAND_ENTRY_2: usize = 32;

/// The records written since the last compaction, as the store counts them.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(super) struct Loose {
    /// The region's first position.
    pub(super) from: u64,
    /// The position after its last event.
    to: u64,
    /// Records written into it and their stored bytes.
    records: u64,
    bytes: u64,
}

impl Loose {
    /// A region starting at `from`, empty.
    pub(super) fn at(from: u64) -> Self {
        Loose {
            from,
            to: from,
            records: 0,
            bytes: 0,
        }
    }

    /// Counts the records of an append's write set into the region.
    pub(super) fn add(&mut self, set: &WriteSet) {
        for (keyspace, _, value) in &set.writes {
            if *keyspace == Space::Events.keyspace() {
                self.records += 1;
                self.bytes += value.len() as u64;
            }
        }
        self.to = self.to.max(set.next);
    }

    /// The position after the region's last event, unless it is empty.
    pub(super) fn next(&self) -> Option<u64> {
        (self.to > self.from).then_some(self.to)
    }

    /// Whether the region is worth compacting.
    pub(super) fn is_due(&self) -> bool {
        self.records >= COMPACT_AFTER_RECORDS && self.bytes < self.records * SMALL_RECORD
    }

    /// Whether the region is long enough to be judged: due, or of big records not worth it.
    pub(super) fn is_judged(&self) -> bool {
        self.records >= COMPACT_AFTER_RECORDS
    }
}

/// What compacting a region removes and inserts.
#[derive(Debug, Default)]
struct Plan {
    remove_events: Vec<u64>,
    insert_events: Vec<(u64, Vec<u8>)>,
    remove_runs: Vec<Vec<u8>>,
    insert_runs: Vec<(Vec<u8>, Vec<u8>)>,
    remove_batches: Vec<u64>,
    insert_batch: Option<(u64, Vec<u8>)>,
}

/// Compacts the region `from..to` of the log in `trees` if it gets `lock` for writing at
/// once; returns whether the region is settled (compacted, or found not worth it or not
/// compactable), `false` when readers held the lock and it should be tried again.
pub(super) fn compact(
    path: &Path,
    trees: &Trees,
    lock: &RwLock<()>,
    from: u64,
    to: u64,
) -> Result<bool, StoreError> {
    if to <= from {
        return Ok(true);
    }
    let Ok(_guard) = lock.try_write() else {
        return Ok(false);
    };
    let Some(plan) = plan(path, trees, from, to)? else {
        return Ok(true);
    };
    (&trees.events, &trees.streams, &trees.command_batches)
        .transaction(|(events, streams, batches)| {
            for key in &plan.remove_events {
                events.remove(&key.to_be_bytes())?;
            }
            for (key, bytes) in &plan.insert_events {
                events.insert(&key.to_be_bytes(), bytes.as_slice())?;
            }
            for key in &plan.remove_runs {
                streams.remove(key.as_slice())?;
            }
            for (key, value) in &plan.insert_runs {
                streams.insert(key.as_slice(), value.as_slice())?;
            }
            for key in &plan.remove_batches {
                batches.remove(&key.to_be_bytes())?;
            }
            if let Some((key, value)) = &plan.insert_batch {
                batches.insert(&key.to_be_bytes(), value.as_slice())?;
            }
            Ok::<(), ConflictableTransactionError<StoreError>>(())
        })
        .map_err(|e| match e {
            sled::transaction::TransactionError::Abort(e) => e,
            sled::transaction::TransactionError::Storage(e) => sled_error(path, e),
        })?;
    Ok(true)
}

/// What compacting `from..to` takes, or `None` when there is nothing to gain or the region
/// is not one compaction can rewrite (records that do not follow each other exactly,
/// format-1 events, entries of another shape: left as they are for the checks to report).
fn plan(path: &Path, trees: &Trees, from: u64, to: u64) -> Result<Option<Plan>, StoreError> {
    let sled = |e| sled_error(path, e);
    let mut records = Vec::new();
    let mut expected = from;
    for entry in trees.events.range(from.to_be_bytes()..to.to_be_bytes()) {
        let (key, value) = entry.map_err(sled)?;
        let Some(key) = decode_u64(&key) else {
            return Ok(None);
        };
        if key != expected || !is_record(&value) {
            return Ok(None);
        }
        let Ok(count) = record_count(&value) else {
            return Ok(None);
        };
        expected = key + u64::from(count);
        records.push((key, value));
    }
    if expected != to || records.len() < 2 {
        return Ok(None);
    }
    let mut plan = Plan::default();
    let mut packer = RecordPacker::new(from);
    // Runs of the region's events: stream, first version, first position, length.
    let mut runs: Vec<(String, u64, u64, u64)> = Vec::new();
    // Per stream, the lowest and highest version in the region.
    let mut streams: Vec<(String, u64, u64)> = Vec::new();
    for (key, value) in &records {
        let Ok(record) = Record::new(value) else {
            return Ok(None);
        };
        let mut reader = record.reader(*key);
        while let Some(view) = reader.next_event() {
            let Ok(view) = view else {
                return Ok(None);
            };
            let (p, v) = (view.global_position, view.stream_version);
            match runs.last_mut() {
                Some((s, version, position, len))
                    if s == view.stream && *version + *len == v && *position + *len == p =>
                {
                    *len += 1;
                }
                _ => runs.push((view.stream.to_owned(), v, p, 1)),
            }
            match streams.iter_mut().find(|(s, _, _)| s == view.stream) {
                Some((_, low, high)) => {
                    *low = (*low).min(v);
                    *high = (*high).max(v);
                }
                None => streams.push((view.stream.to_owned(), v, v)),
            }
        }
        if packer.push_record(&record).is_err() {
            return Ok(None);
        }
        plan.remove_events.push(*key);
    }
    plan.insert_events = packer.finish();
    if plan.insert_events.len() >= records.len() {
        return Ok(None);
    }
    // The region's runs as stored: every run of a touched stream whose first version lies
    // within the region's versions of it must lie within the region's positions.
    for (name, low, high) in &streams {
        let Ok(stream) = name.parse::<StreamId>() else {
            return Ok(None);
        };
        for entry in trees
            .streams
            .range(stream_key(&stream, *low)..=stream_key(&stream, *high))
        {
            let (key, value) = entry.map_err(sled)?;
            let Some(position) = value.get(..8).and_then(decode_u64) else {
                return Ok(None);
            };
            if !(from..to).contains(&position) {
                return Ok(None);
            }
            plan.remove_runs.push(key.to_vec());
        }
    }
    for (name, version, position, len) in &runs {
        let Ok(stream) = name.parse::<StreamId>() else {
            return Ok(None);
        };
        let mut value = Vec::with_capacity(16);
        value.extend_from_slice(&position.to_be_bytes());
        value.extend_from_slice(&len.to_be_bytes());
        plan.insert_runs
            .push((stream_key(&stream, *version), value));
    }
    // The region's command entries, in order, as one format-3 value.
    let mut batch = vec![COMMAND_BATCH_TAG];
    for entry in trees
        .command_batches
        .range(from.to_be_bytes()..to.to_be_bytes())
    {
        let (key, value) = entry.map_err(sled)?;
        let Some(key) = decode_u64(&key) else {
            return Ok(None);
        };
        if value.first() == Some(&COMMAND_BATCH_TAG) && (value.len() - 1) % COMMAND_ENTRY == 0 {
            batch.extend_from_slice(&value[1..]);
        } else if !value.is_empty() && value.len() % COMMAND_ENTRY_2 == 0 {
            for e in value.chunks_exact(COMMAND_ENTRY_2) {
                batch.extend_from_slice(e);
                batch.extend_from_slice(&[0; 16]);
            }
        } else {
            return Ok(None);
        }
        plan.remove_batches.push(key);
    }
    if plan.remove_batches.first() == Some(&from) {
        plan.insert_batch = Some((from, batch));
    } else if !plan.remove_batches.is_empty() {
        // The region does not start with an append's entry: not a region of whole appends.
        return Ok(None);
    }
    Ok(Some(plan))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::RecordWriter;
    use crate::event::{NewEvent, RecordedEvent};
    use crate::sled_store::{Durability, SledStore, StoreOptions};
    use crate::store::{EventStore, ExpectedVersion};
    use okr_core::CycleId;
    use uuid::Uuid;

    fn cycle() -> StreamId {
        StreamId::Cycle(CycleId::from_u128(7))
    }

    fn event(n: u64) -> NewEvent {
        let at = chrono::DateTime::from_timestamp(1_736_150_400 + n as i64, 0).expect("instant");
        NewEvent::new(
            "Tested",
            1,
            serde_json::json!({ "n": n, "note": "checked in" }),
            "tester",
            at,
        )
    }

    fn open(path: &Path, durability: Durability) -> SledStore {
        SledStore::open(
            path,
            StoreOptions {
                durability,
                ..StoreOptions::default()
            },
        )
        .unwrap()
    }

    /// `n` single appends, in blocks of ten to the organisation and to a cycle; returns
    /// the log as read back.
    fn single_appends(store: &SledStore, from: u64, n: u64) -> Vec<RecordedEvent> {
        for i in from..from + n {
            let stream = if (i / 10) % 2 == 0 {
                StreamId::Organisation
            } else {
                cycle()
            };
            store
                .append(
                    &stream,
                    ExpectedVersion::Any,
                    Uuid::from_u128(u128::from(i) + 1),
                    vec![event(i), event(i + 1_000_000)],
                )
                .unwrap();
        }
        store.read_all(0, usize::MAX).unwrap()
    }

    fn entries(tree: &sled::Tree) -> usize {
        tree.iter().count()
    }

    /// Everything a reader can ask gives the same answers as `log` says.
    fn check_reads(store: &SledStore, log: &[RecordedEvent]) {
        assert_eq!(store.read_all(0, usize::MAX).unwrap(), log);
        assert_eq!(store.read_all(37, 5).unwrap(), log[37..42]);
        for stream in [StreamId::Organisation, cycle()] {
            let of: Vec<RecordedEvent> =
                log.iter().filter(|e| e.stream == stream).cloned().collect();
            assert_eq!(store.read_stream(&stream, 0).unwrap(), of);
            assert_eq!(store.read_stream(&stream, 13).unwrap(), of[13..]);
            assert_eq!(store.stream_version(&stream).unwrap(), of.len() as u64);
        }
        let appends = log.len() as u64 / 2;
        for i in [0, 1, 63, 64, appends / 2, appends - 1] {
            let outcome = store
                .find_command(Uuid::from_u128(u128::from(i) + 1))
                .unwrap();
            let outcome = outcome.expect("the command is indexed");
            assert_eq!(outcome.events, log[2 * i as usize..2 * i as usize + 2]);
        }
    }

    #[test]
    fn single_appends_are_compacted_and_read_the_same() {
        for durability in [Durability::None, Durability::Sync] {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("store");
            let store = open(&path, durability);
            let log = single_appends(&store, 0, 300);
            assert_eq!(log.len(), 600);
            check_reads(&store, &log);
            let trees = store.sled.trees().unwrap();
            // Compacted in regions of 64 appends as they were written (the last 44 appends
            // wait for the next region): far fewer keys than appends in every tree an
            // append writes.
            for (tree, most) in [
                (&trees.events, 4 * 2 + 44),
                (&trees.command_batches, 4 + 44),
                (&trees.streams, 4 * 8 + 44),
            ] {
                let n = entries(tree);
                assert!(
                    n <= most,
                    "{durability:?}: {n} entries, expected at most {most}"
                );
            }
            store.flush().unwrap();
            drop(store);
            let store = open(&path, durability);
            check_reads(&store, &log);
            // Appends go on on top of compacted regions, and a command repeated after its
            // region was compacted is still found with its events.
            let more = single_appends(&store, 300, 100);
            assert_eq!(more[..600], log[..]);
            let again = store
                .append(
                    &StreamId::Organisation,
                    ExpectedVersion::Any,
                    Uuid::from_u128(5),
                    vec![event(4)],
                )
                .unwrap();
            assert!(again.duplicate);
            assert_eq!(again.events, log[8..10]);
            drop(store);
            let store = open(&path, durability);
            check_reads(&store, &more);
        }
    }

    #[test]
    fn a_reader_holding_the_log_defers_compaction() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(&dir.path().join("store"), Durability::None);
        {
            let _reading = store.compaction.read().unwrap();
            single_appends(&store, 0, 100);
            let trees = store.sled.trees().unwrap();
            assert_eq!(
                entries(&trees.events),
                100,
                "no compaction while a scan runs"
            );
        }
        let log = single_appends(&store, 100, 1);
        let trees = store.sled.trees().unwrap();
        assert!(entries(&trees.events) < 10, "{}", entries(&trees.events));
        assert_eq!(log.len(), 202);
        check_reads(&store, &log);
    }

    #[test]
    fn batches_of_full_records_are_left_as_they_are() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(&dir.path().join("store"), Durability::None);
        let batch = |from: u64| {
            (from..from + 400)
                .map(|i| crate::store::AppendRequest {
                    stream: StreamId::Organisation,
                    expected: ExpectedVersion::Any,
                    command_id: Uuid::from_u128(u128::from(i) + 1),
                    fingerprint: None,
                    events: vec![NewEvent::new(
                        "Tested",
                        1,
                        serde_json::json!({ "text": format!("{:x}", Uuid::from_u128(u128::from(i) * 7_919).as_u128().wrapping_mul(0x9e37_79b9_7f4a_7c15)) }),
                        "tester",
                        chrono::DateTime::from_timestamp(1_736_150_400, 0).expect("instant"),
                    )],
                })
                .collect::<Vec<_>>()
        };
        for k in 0..70 {
            store.append_batch(batch(k * 400)).unwrap();
        }
        let before: Vec<(sled::IVec, sled::IVec)> = store
            .sled
            .trees()
            .unwrap()
            .command_batches
            .iter()
            .collect::<Result<_, _>>()
            .unwrap();
        store.flush().unwrap();
        let after: Vec<(sled::IVec, sled::IVec)> = store
            .sled
            .trees()
            .unwrap()
            .command_batches
            .iter()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(before.len(), 70, "one entry per batch");
        assert_eq!(after, before, "big records are not worth compacting");
    }

    fn copy_dir(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            let target = to.join(entry.file_name());
            if entry.metadata().unwrap().is_dir() {
                copy_dir(&entry.path(), &target);
            } else {
                std::fs::copy(entry.path(), target).unwrap();
            }
        }
    }

    /// sled holds a compacted region whose appends are still frames of the journal (as after
    /// a crash between sled's flush and the next checkpoint): the replay on open puts the
    /// region's old records, runs and command entries back under their keys, and every
    /// record the compaction wrote starts where an old one did, so the log reads the same.
    #[test]
    fn a_replay_over_a_compacted_region_gives_the_same_log() {
        let dir = tempfile::tempdir().unwrap();
        let live = dir.path().join("live");
        let store = open(&live, Durability::Sync);
        let mut noise = 0x9e37_79b9_7f4a_7c15u64;
        for i in 0..100u64 {
            // Notes that hardly compress: the region needs several records.
            let mut text = || -> String {
                (0..300)
                    .map(|_| {
                        noise ^= noise << 13;
                        noise ^= noise >> 7;
                        noise ^= noise << 17;
                        char::from(b'a' + (noise % 26) as u8)
                    })
                    .collect()
            };
            let mut first = event(i);
            first.payload = serde_json::json!({ "text": text() });
            let mut second = event(i + 1000);
            second.payload = serde_json::json!({ "text": text() });
            store
                .append(
                    &cycle(),
                    ExpectedVersion::Any,
                    Uuid::from_u128(u128::from(i) + 1),
                    vec![first, second],
                )
                .unwrap();
        }
        let log = store.read_all(0, usize::MAX).unwrap();
        let trees = store.sled.trees().unwrap();
        let keys: Vec<u64> = trees
            .events
            .iter()
            .keys()
            .map(|k| decode_u64(&k.unwrap()).unwrap())
            .collect();
        assert!(
            keys.len() < 100,
            "the applier compacted: {} records",
            keys.len()
        );
        assert!(
            keys.iter().filter(|&&k| k < 128).count() > 1,
            "the compacted region took several records: {keys:?}"
        );
        // sled's files hold the compaction; the journal still holds every append.
        store.flush().unwrap();
        let crashed = dir.path().join("crashed");
        copy_dir(&live, &crashed);
        drop(store);
        let store = open(&crashed, Durability::Sync);
        assert_eq!(store.read_all(0, usize::MAX).unwrap(), log);
        assert_eq!(store.read_stream(&cycle(), 0).unwrap(), log);
        let outcome = store.find_command(Uuid::from_u128(10)).unwrap().unwrap();
        assert_eq!(outcome.events, log[18..20]);
    }

    /// A store whose records are all plain (encoding 0, as earlier builds wrote them) opens,
    /// reads, takes appends and is compacted like any other.
    #[test]
    fn plain_records_of_earlier_builds_still_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store");
        let store = open(&path, Durability::None);
        // Fewer appends than a region: not compacted.
        let log = single_appends(&store, 0, 50);
        let trees = store.sled.trees().unwrap();
        let mut rewritten = 0;
        for entry in trees.events.iter() {
            let (key, value) = entry.unwrap();
            let first = decode_u64(&key).unwrap();
            let record = Record::new(&value).unwrap();
            let mut plain = RecordWriter::new();
            let mut reader = record.reader(first);
            while let Some(view) = reader.next_event() {
                plain.push(&view.unwrap().to_recorded().unwrap()).unwrap();
            }
            let bytes = plain.snapshot();
            assert_eq!(bytes[1], crate::codec::ENCODING_PLAIN);
            trees.events.insert(key, bytes).unwrap();
            rewritten += 1;
        }
        assert_eq!(rewritten, 50);
        store.flush().unwrap();
        drop(store);
        let store = open(&path, Durability::None);
        assert_eq!(store.read_all(0, usize::MAX).unwrap(), log);
        let more = single_appends(&store, 50, 250);
        assert_eq!(more[..100], log[..]);
        drop(store);
        let store = open(&path, Durability::None);
        check_reads(&store, &more);
    }
}
