//! The store's handle and its options: [`SledStore`], [`Durability`], [`StoreOptions`].
//! `records.rs` and `writer.rs` add methods to the handle; the module above opens it and
//! implements the store trait.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::dir::SledFiles;
use super::trees::{Sled, Writer};

/// When appended events reach the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// Every append is written to the store's journal and `fdatasync`ed before it is applied
    /// and before it returns (see the [`sled_store`](crate::sled_store) documentation). An
    /// acknowledged append survives a crash of the process or, if the storage honours
    /// `fdatasync`, of the machine. The slowest mode, and the default.
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
    /// missing path is [`StoreError::NotAnOkrStore`](crate::StoreError::NotAnOkrStore).
    /// Ignored when `read_only`: a read-only open never creates anything.
    pub create_if_missing: bool,
    /// Open for reading only (default `false`): nothing in the store's directory is written,
    /// created or deleted. sled 0.34 cannot open a database without writing to it, so the
    /// store copies sled's files into a private temporary directory (under the system's
    /// temporary directory, `TMPDIR`) and serves reads from the copy, which is removed when
    /// the last handle is dropped; appends fail with
    /// [`StoreError::ReadOnly`](crate::StoreError::ReadOnly). A store another process has
    /// open for writing is waited for like a writable open.
    pub read_only: bool,
    /// How long to wait for another process (or a handle this process just dropped) to let
    /// go of the store (default [`LOCK_WAIT`](crate::LOCK_WAIT), 2 s); after that, open
    /// fails with [`StoreError::InUse`](crate::StoreError::InUse).
    pub lock_wait: Duration,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            durability: Durability::Sync,
            create_if_missing: true,
            read_only: false,
            lock_wait: super::LOCK_WAIT,
        }
    }
}

/// An [`EventStore`](crate::EventStore) on disk, in one sled database directory.
///
/// Cheap to share between threads (`&SledStore` is enough: every method takes `&self`; a
/// clone shares the database and the command index). One process at a time can open a path;
/// a second open fails with [`StoreError::Sled`](crate::StoreError::Sled).
#[derive(Debug, Clone)]
pub struct SledStore {
    pub(super) path: PathBuf,
    pub(super) durability: Durability,
    /// sled's trees, behind the accessor that lets the applier catch up before a read, and
    /// the write-ahead log of [`Durability::Sync`] appends.
    pub(super) sled: Sled,
    /// Held by every append; `None` until it is first needed.
    pub(super) writer: Arc<Mutex<Option<Writer>>>,
    /// sled's files, for the `fsync` that sled's own flush leaves out.
    pub(super) files: Arc<SledFiles>,
    /// The store format in `meta` (0 before the store is initialised).
    pub(super) format: Arc<std::sync::atomic::AtomicU32>,
    /// Opened with [`StoreOptions::read_only`]: appends are refused.
    pub(super) read_only: bool,
    /// The private copy a read-only handle reads (removed with the last handle; declared
    /// last so that sled's database is dropped before it).
    pub(super) scratch: Option<Arc<tempfile::TempDir>>,
}
