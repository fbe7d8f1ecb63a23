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

    /// Whether the region holds at least two records, small ones: worth compacting when
    /// the store is about to be flushed.
    pub(super) fn is_small(&self) -> bool {
        self.records >= 2 && self.bytes < self.records * SMALL_RECORD
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
        plan.insert_runs.push((stream_key(&stream, *version), value));
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
