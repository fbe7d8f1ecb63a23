//! [`MemoryStore`]: the in-memory backend, for tests and short-lived tools.

use std::collections::{BTreeMap, HashMap};
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use okr_core::StreamId;
use uuid::Uuid;

use crate::chain::EventHash;
use crate::error::StoreError;
use crate::event::RecordedEvent;
use crate::keys::{KeyEntry, KeyOwner};
use crate::store::{
    append_in, AppendOutcome, AppendRequest, CommandEntry, CommandRecord, EventStore, Tx,
};

/// An [`EventStore`] held in memory behind one `RwLock`, snapshots included: appends are
/// serialised, reads run in parallel. Nothing survives the process.
#[derive(Debug, Default)]
pub struct MemoryStore {
    inner: RwLock<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    /// Index = global position.
    events: Vec<RecordedEvent>,
    /// Per stream, the global positions of its events; index = stream version.
    streams: BTreeMap<StreamId, Vec<u64>>,
    commands: HashMap<Uuid, CommandRecord>,
    /// Snapshots by the global position they cover.
    snapshots: BTreeMap<u64, Vec<u8>>,
    keys: crate::keys::Keyring,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        MemoryStore::default()
    }

    fn read(&self) -> RwLockReadGuard<'_, Inner> {
        // A panic while holding the lock cannot leave `Inner` half-written: writes are staged
        // and applied by infallible pushes, so a poisoned lock is still consistent.
        self.inner.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, Inner> {
        self.inner.write().unwrap_or_else(|e| e.into_inner())
    }
}

/// Writes of a batch are staged here and applied only when every request succeeded.
struct Staged<'a> {
    base: &'a Inner,
    events: Vec<RecordedEvent>,
    /// Versions of the streams the batch wrote.
    versions: HashMap<StreamId, u64>,
    commands: HashMap<Uuid, CommandRecord>,
}

impl Tx for Staged<'_> {
    type Error = StoreError;

    fn command(&mut self, command_id: Uuid) -> Result<Option<CommandEntry>, StoreError> {
        Ok(self
            .commands
            .get(&command_id)
            .or_else(|| self.base.commands.get(&command_id))
            .map(|r| (r.first_position, r.count, r.fingerprint)))
    }

    fn event(&mut self, position: u64) -> Result<RecordedEvent, StoreError> {
        let index = usize::try_from(position).unwrap_or(usize::MAX);
        let base_len = self.base.events.len();
        let found = if index < base_len {
            self.base.events.get(index)
        } else {
            self.events.get(index - base_len)
        };
        found.cloned().ok_or_else(|| StoreError::Corrupt {
            location: format!("memory store, position {position}"),
            detail: "command index points at a missing event".to_owned(),
        })
    }

    fn version(&mut self, stream: &StreamId) -> Result<u64, StoreError> {
        if let Some(v) = self.versions.get(stream) {
            return Ok(*v);
        }
        Ok(self.base.streams.get(stream).map_or(0, |p| p.len() as u64))
    }

    fn next_position(&mut self) -> Result<u64, StoreError> {
        Ok((self.base.events.len() + self.events.len()) as u64)
    }

    fn head_hash(&mut self) -> Result<EventHash, StoreError> {
        Ok(self
            .events
            .last()
            .or_else(|| self.base.events.last())
            .map_or(EventHash::GENESIS, |e| e.hash))
    }

    fn write(
        &mut self,
        command_id: Uuid,
        record: &CommandRecord,
        events: &[RecordedEvent],
        _payloads: &[Vec<u8>],
    ) -> Result<(), StoreError> {
        if let Some(last) = events.last() {
            self.versions.insert(last.stream, last.stream_version + 1);
        }
        self.events.extend_from_slice(events);
        self.commands.insert(command_id, record.clone());
        Ok(())
    }
}

impl EventStore for MemoryStore {
    fn append_batch(&self, batch: Vec<AppendRequest>) -> Result<Vec<AppendOutcome>, StoreError> {
        let mut inner = self.write();
        let mut staged = Staged {
            base: &inner,
            events: Vec::new(),
            versions: HashMap::new(),
            commands: HashMap::new(),
        };
        let outcomes = batch
            .into_iter()
            .map(|request| append_in(&mut staged, request))
            .collect::<Result<Vec<_>, _>>()?;
        let Staged {
            events, commands, ..
        } = staged;
        for event in events {
            inner
                .streams
                .entry(event.stream)
                .or_default()
                .push(event.global_position);
            inner.events.push(event);
        }
        inner.commands.extend(commands);
        Ok(outcomes)
    }

    fn read_stream(
        &self,
        stream: &StreamId,
        from_version: u64,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let inner = self.read();
        let Some(positions) = inner.streams.get(stream) else {
            return Ok(Vec::new());
        };
        let from = usize::try_from(from_version).unwrap_or(usize::MAX);
        Ok(positions
            .iter()
            .skip(from)
            .filter_map(|p| inner.events.get(*p as usize).cloned())
            .collect())
    }

    fn read_all(&self, from_position: u64, max: usize) -> Result<Vec<RecordedEvent>, StoreError> {
        let inner = self.read();
        let from = usize::try_from(from_position).unwrap_or(usize::MAX);
        Ok(inner.events.iter().skip(from).take(max).cloned().collect())
    }

    fn stream_version(&self, stream: &StreamId) -> Result<u64, StoreError> {
        Ok(self
            .read()
            .streams
            .get(stream)
            .map_or(0, |p| p.len() as u64))
    }

    fn heads(&self) -> Result<BTreeMap<StreamId, u64>, StoreError> {
        Ok(self
            .read()
            .streams
            .iter()
            .filter(|(_, p)| !p.is_empty())
            .map(|(s, p)| (*s, p.len() as u64))
            .collect())
    }

    fn last_position(&self) -> Result<Option<u64>, StoreError> {
        Ok((self.read().events.len() as u64).checked_sub(1))
    }

    fn find_command(&self, command_id: Uuid) -> Result<Option<AppendOutcome>, StoreError> {
        let inner = self.read();
        let Some(record) = inner.commands.get(&command_id) else {
            return Ok(None);
        };
        let from = usize::try_from(record.first_position).unwrap_or(usize::MAX);
        let count = usize::try_from(record.count).unwrap_or(usize::MAX);
        let events: Vec<RecordedEvent> = inner
            .events
            .iter()
            .skip(from)
            .take(count)
            .cloned()
            .collect();
        if events.len() != count {
            return Err(StoreError::Corrupt {
                location: format!("memory store, command {command_id}"),
                detail: "command index points at missing events".to_owned(),
            });
        }
        Ok(Some(AppendOutcome {
            events,
            duplicate: true,
            fingerprint: record.fingerprint,
        }))
    }

    fn save_snapshot(&self, position: u64, bytes: &[u8]) -> Result<(), StoreError> {
        self.write().snapshots.insert(position, bytes.to_vec());
        Ok(())
    }

    fn latest_snapshot(
        &self,
        at_or_before: Option<u64>,
    ) -> Result<Option<(u64, Vec<u8>)>, StoreError> {
        let inner = self.read();
        let found = match at_or_before {
            Some(p) => inner.snapshots.range(..=p).next_back(),
            None => inner.snapshots.iter().next_back(),
        };
        Ok(found.map(|(p, b)| (*p, b.clone())))
    }

    fn load_keys(&self) -> Result<Vec<(KeyOwner, KeyEntry)>, StoreError> {
        Ok(self.read().keys.entries())
    }

    fn put_keys(&self, entries: &[(KeyOwner, KeyEntry)]) -> Result<(), StoreError> {
        let mut inner = self.write();
        for (owner, entry) in entries {
            inner.keys.insert(*owner, entry.clone());
        }
        Ok(())
    }

    fn prune_snapshots(&self, keep: usize) -> Result<(), StoreError> {
        let mut inner = self.write();
        let Some(last_kept) = keep.checked_sub(1) else {
            inner.snapshots.clear();
            return Ok(());
        };
        // Fewer than `keep`: all stay.
        if let Some(&first_kept) = inner.snapshots.keys().rev().nth(last_kept) {
            inner.snapshots = inner.snapshots.split_off(&first_kept);
        }
        Ok(())
    }

    fn clear_snapshots(&self) -> Result<(), StoreError> {
        self.write().snapshots.clear();
        Ok(())
    }
}
