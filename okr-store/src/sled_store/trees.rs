//! sled's database and trees, behind the accessors that keep reads behind the applier.
//!
//! [`Sled`] keeps its trees private: a reader gets them from [`Sled::trees`], which first
//! waits until the [applier](crate::wal::applier) has applied every `Sync` append
//! acknowledged so far, so a read method cannot forget to. The only other way in is
//! [`Sled::trees_for_writer`], for the append that holds the writer lock (and with it the
//! [`Writer`]) and knows what it has not applied yet.

use std::path::Path;
use std::sync::Arc;

use okr_core::StreamId;
use rustc_hash::FxHashMap;

use crate::error::StoreError;
use crate::wal::{self, Keyspace, Wal, WriteSet};

use super::dir::{sled_error, SledFiles};

/// The trees an append writes, as numbered in the journal's frames (see
/// [`wal::Keyspace`]): the numbers are part of the journal's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Space {
    Meta = 0,
    Events = 1,
    Streams = 2,
    Heads = 3,
    CommandBatches = 4,
    Counters = 5,
}

impl Space {
    pub(super) fn from_keyspace(keyspace: Keyspace) -> Option<Space> {
        Some(match keyspace {
            0 => Space::Meta,
            1 => Space::Events,
            2 => Space::Streams,
            3 => Space::Heads,
            4 => Space::CommandBatches,
            5 => Space::Counters,
            _ => return None,
        })
    }

    /// The keyspace number of the journal.
    pub(super) fn keyspace(self) -> Keyspace {
        self as Keyspace
    }
}

/// The trees of a store.
#[derive(Debug, Clone)]
pub(super) struct Trees {
    pub(super) meta: sled::Tree,
    pub(super) events: sled::Tree,
    pub(super) streams: sled::Tree,
    pub(super) heads: sled::Tree,
    /// Format 1's command index, read into the writer's index; never written.
    pub(super) commands: sled::Tree,
    pub(super) command_batches: sled::Tree,
    pub(super) counters: sled::Tree,
    pub(super) snapshots: sled::Tree,
}

impl Trees {
    /// The tree of a journal keyspace.
    pub(super) fn space(&self, space: Space) -> &sled::Tree {
        match space {
            Space::Meta => &self.meta,
            Space::Events => &self.events,
            Space::Streams => &self.streams,
            Space::Heads => &self.heads,
            Space::CommandBatches => &self.command_batches,
            Space::Counters => &self.counters,
        }
    }

    /// Applies a journaled write set: plain inserts, in order (the journal, not a sled
    /// transaction, makes them atomic across a crash). The counter is written after the
    /// events and the stream index, so a reader that sees it sees them.
    pub(super) fn apply(&self, path: &Path, set: &WriteSet) -> Result<(), StoreError> {
        for (keyspace, key, value) in &set.writes {
            let space = Space::from_keyspace(*keyspace).ok_or_else(|| StoreError::Corrupt {
                location: format!("{} ({})", path.display(), wal::FILE_NAME),
                detail: format!("a frame writes to unknown tree {keyspace}"),
            })?;
            self.space(space)
                .insert(key.as_slice(), value.as_slice())
                .map_err(|e| sled_error(path, e))?;
        }
        Ok(())
    }
}

/// sled's database and trees, and the write-ahead log of a `Sync` store.
#[derive(Debug, Clone)]
pub(super) struct Sled {
    db: sled::Db,
    trees: Trees,
    wal: Option<Arc<Wal>>,
}

impl Sled {
    /// Opens the store's trees in `db`.
    pub(super) fn open(path: &Path, db: sled::Db) -> Result<Sled, StoreError> {
        let tree = |name: &str| db.open_tree(name).map_err(|e| sled_error(path, e));
        let trees = Trees {
            meta: tree("meta")?,
            events: tree("events")?,
            streams: tree("streams")?,
            heads: tree("heads")?,
            commands: tree("commands")?,
            command_batches: tree("command_batches")?,
            counters: tree("counters")?,
            snapshots: tree("snapshots")?,
        };
        Ok(Sled {
            db,
            trees,
            wal: None,
        })
    }

    /// The trees, once every `Sync` append acknowledged so far is applied to them: what
    /// every read of sled goes through. Fails with [`StoreError::Halted`] when one of them
    /// could not be applied.
    pub(super) fn trees(&self) -> Result<&Trees, StoreError> {
        if let Some(wal) = &self.wal {
            wal.settle()?;
        }
        Ok(&self.trees)
    }

    /// The trees without waiting for the applier, for the append holding the writer lock:
    /// the writer keeps the counter and the heads of the streams it wrote, so what it reads
    /// here (the heads of other streams) is already in sled.
    pub(super) fn trees_for_writer(&self, _writer: &Writer) -> &Trees {
        &self.trees
    }

    /// The write-ahead log, under [`Durability::Sync`](super::Durability::Sync).
    #[cfg(test)]
    pub(super) fn wal(&self) -> Option<&Wal> {
        self.wal.as_deref()
    }

    /// The write-ahead log, shared, for a pending append to wait on.
    pub(super) fn wal_arc(&self) -> Option<Arc<Wal>> {
        self.wal.clone()
    }

    /// Starts the write-ahead log for this handle's appends (after recovery).
    pub(super) fn start_wal(
        &mut self,
        path: &Path,
        files: Arc<SledFiles>,
        anchor: wal::Anchor,
    ) -> Result<(), StoreError> {
        let target = Arc::new(Applied {
            path: path.to_owned(),
            db: self.db.clone(),
            trees: self.trees.clone(),
            files,
        });
        self.wal = Some(Arc::new(Wal::open(path, target, anchor)?));
        Ok(())
    }

    /// The write-ahead log, to replace its applier in tests.
    #[cfg(test)]
    pub(super) fn wal_mut(&mut self) -> Option<&mut Wal> {
        self.wal.as_mut().and_then(Arc::get_mut)
    }

    /// Writes everything appended so far to sled's files and `fsync`s them.
    pub(super) fn flush(&self, files: &SledFiles) -> Result<(), StoreError> {
        self.trees()?;
        files.flush(&self.db)
    }
}

/// Where the applier of a `Sync` store inserts its write sets.
#[derive(Debug)]
struct Applied {
    path: std::path::PathBuf,
    db: sled::Db,
    trees: Trees,
    files: Arc<SledFiles>,
}

impl wal::Target for Applied {
    fn apply(&self, set: &WriteSet) -> Result<(), String> {
        self.trees
            .apply(&self.path, set)
            .map_err(|e| format!("applying a journaled append failed: {e}"))
    }

    fn flush(&self) -> Result<(), StoreError> {
        self.files.flush(&self.db)
    }
}

/// What appends to a store share, under its writer lock.
#[derive(Debug)]
pub(super) struct Writer {
    /// Every command id of the store.
    pub(super) index: CommandIndex,
    /// The hash of the event before [`Writer::next`]: the log's head.
    pub(super) head: crate::chain::EventHash,
    /// The position counter after this handle's last append. Under
    /// [`Durability::Sync`](super::Durability::Sync) sled's counter can lag behind it until
    /// the applier catches up.
    pub(super) next: u64,
    /// The versions of streams this handle appended to: sled's `heads` may not hold them yet
    /// under `Sync`. A stream missing here has its latest head in sled.
    pub(super) versions: FxHashMap<StreamId, u64>,
}

/// Command id → (first global position, number of events, fingerprint or 0).
pub(super) type CommandIndex = FxHashMap<u128, (u64, u64, u128)>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyspace_numbers_are_the_journal_format() {
        let spaces = [
            Space::Meta,
            Space::Events,
            Space::Streams,
            Space::Heads,
            Space::CommandBatches,
            Space::Counters,
        ];
        let numbers: Vec<Keyspace> = spaces.iter().map(|s| s.keyspace()).collect();
        assert_eq!(numbers, [0, 1, 2, 3, 4, 5]);
        for space in spaces {
            assert_eq!(Space::from_keyspace(space.keyspace()), Some(space));
        }
        assert_eq!(Space::from_keyspace(6), None);
    }
}
