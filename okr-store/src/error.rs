//! The one error type of this crate.

use std::path::PathBuf;

use okr_core::StreamId;

use crate::version::{events, ExpectedVersion};

/// Everything that can go wrong when opening, writing or reading an event store.
///
/// Conflicts and invalid input are the caller's business and are expected in normal
/// operation; [`StoreError::Corrupt`], [`StoreError::NotAnOkrStore`] and
/// [`StoreError::NewerFormat`] mean the data on disk is not what this build can serve.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The stream's current version did not match the [`ExpectedVersion`] of an append.
    ///
    /// `actual` is the stream's version: the number of events it held (0: no such stream).
    #[error("version conflict on stream {stream}: expected {expected}, actual {}", fmt_version(*.actual))]
    VersionConflict {
        /// The stream that was appended to.
        stream: StreamId,
        /// What the caller expected.
        expected: ExpectedVersion,
        /// The stream's version (number of events) at the time of the append.
        actual: u64,
    },

    /// A command id that was appended before came again with another command: its
    /// [`Fingerprint`](crate::Fingerprint) differs from the one kept with the id. Nothing
    /// was written; a retry of the *same* command returns the original outcome instead.
    #[error("command id {command_id} was already used for another command")]
    CommandConflict {
        /// The command id used twice.
        command_id: uuid::Uuid,
    },

    /// An append carried no events. Empty appends are rejected, never recorded, and do not
    /// consume their command id.
    #[error("append to stream {stream} carries no events")]
    EmptyAppend {
        /// The stream that was appended to.
        stream: StreamId,
    },

    /// The path exists but does not hold an okr event store.
    #[error("{} is not an okr event store: {reason}", path.display())]
    NotAnOkrStore {
        /// The path that was opened.
        path: PathBuf,
        /// What was found instead.
        reason: String,
    },

    /// The store was written by a newer version of this crate with a format this build cannot
    /// read.
    #[error("{} has store format {found}, this build supports up to {supported}", path.display())]
    NewerFormat {
        /// The path that was opened.
        path: PathBuf,
        /// The format version recorded in the store.
        found: u32,
        /// The newest format version this build understands.
        supported: u32,
    },

    /// The store is damaged: its indexes disagree with each other, a record does not decode,
    /// or sled reported (or panicked on) corruption.
    #[error("store at {location} is corrupt: {detail}")]
    Corrupt {
        /// Where the damage was found: the store's path, possibly followed by a tree and key.
        location: String,
        /// What is wrong.
        detail: String,
    },

    /// Another process has the store open (sled allows one process per database), or a
    /// handle this process dropped had not let go of it yet, and did not within the wait of
    /// [`StoreOptions::lock_wait`](crate::StoreOptions::lock_wait).
    #[error("{} is in use by another okr process{}; waited {:.1} s for it (wait longer, or stop that process)", path.display(), pid.map_or(String::new(), |p| format!(" (pid {p})")), waited.as_secs_f64())]
    InUse {
        /// The store's directory.
        path: PathBuf,
        /// The process that last opened the store for writing, as its journal records it.
        pid: Option<u32>,
        /// How long the open waited.
        waited: std::time::Duration,
    },

    /// An append to a store opened with
    /// [`StoreOptions::read_only`](crate::StoreOptions::read_only).
    #[error("{} was opened read-only; appends need a writable open", path.display())]
    ReadOnly {
        /// The store's directory.
        path: PathBuf,
    },

    /// The store holds fewer events than okr acknowledged: its journal records (as the anchor
    /// of its last checkpoint, or in its last frame) that the log reached past what sled now
    /// holds, or the log has a gap. Open refuses such a store and changes nothing on disk.
    #[error("store at {} lost acknowledged events: positions {first}..{last} are missing; nothing was changed on disk. Restore a backup (okr restore) or rebuild the store from an export (okr import)", path.display())]
    Missing {
        /// The store's directory.
        path: PathBuf,
        /// The first missing position.
        first: u64,
        /// The last missing position (inclusive).
        last: u64,
    },

    /// An I/O error outside sled, e.g. while inspecting the store's directory.
    #[error("I/O error on {}: {source}", path.display())]
    Io {
        /// The path being accessed.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },

    /// An earlier append failed after its journal frame may have reached the disk, or a
    /// durable append could not be applied to sled, so this handle no longer knows what the
    /// log holds: it refuses further appends, and reads that would need the unapplied append.
    /// Reopening the store settles it: the failed append is then recorded or not, as the
    /// journal says (ask [`EventStore::find_command`](crate::EventStore::find_command)).
    #[error("store at {} stopped after an earlier failure ({reason}); reopen it", path.display())]
    Halted {
        /// The store's directory.
        path: PathBuf,
        /// The earlier failure.
        reason: String,
    },

    /// An error reported by sled that is not corruption (I/O, a held lock, ...): a
    /// `sled::Error`.
    #[error("sled error: {0}")]
    Sled(#[source] Box<dyn std::error::Error + Send + Sync>),

    /// The PostgreSQL server could not be reached, or it refused a statement (the connection
    /// is then made again on the next call).
    #[error("PostgreSQL at {location}: {}", describe_source(source.as_ref()))]
    Postgres {
        /// Host, port, database and organisation of the store (never a password).
        location: String,
        /// The client's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },

    /// A store's location (a `postgres://` URL and its organisation) cannot be used.
    #[error("{location}: {reason}")]
    InvalidLocation {
        /// The location as given, without its password.
        location: String,
        /// What is wrong with it.
        reason: String,
    },

    /// The database's schema was migrated by a newer version of this crate; this build
    /// writes nothing to it.
    #[error("PostgreSQL at {location} has okr schema version {found}, this build supports up to {supported}; use a newer okr")]
    NewerSchema {
        /// Host, port, database and organisation of the store.
        location: String,
        /// The schema version the database records.
        found: u32,
        /// The newest schema version this build understands.
        supported: u32,
    },

    /// An event or index record could not be encoded or decoded as JSON.
    #[error("serialization error: {0}")]
    Serialization(#[source] serde_json::Error),

    /// An upcaster failed to lift a payload to the next schema version.
    #[error("cannot upcast {event_type} from schema version {from_version}: {detail}")]
    Upcast {
        /// The event type being upcast.
        event_type: String,
        /// The schema version the payload had.
        from_version: u32,
        /// The upcaster's message.
        detail: String,
    },
}

/// The client's message with its causes, e.g. "error connecting to server: Connection refused".
fn describe_source(source: &(dyn std::error::Error + 'static)) -> String {
    let mut text = source.to_string();
    let mut cause = source.source();
    while let Some(c) = cause {
        let more = c.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        cause = c.source();
    }
    text
}

fn fmt_version(version: u64) -> String {
    match version {
        0 => "no stream".to_owned(),
        n => format!("version {n} ({})", events(n)),
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(e: serde_json::Error) -> Self {
        StoreError::Serialization(e)
    }
}

thread_local! {
    /// Set while this thread runs [`quietly`].
    static QUIET: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f`, catching a panic, without the panic hook printing it: sled 0.34 panics on some
/// damaged files, and what it says belongs in the error the caller gets, not on stderr.
/// Installs (once) a panic hook that stays silent on a thread inside `quietly` and hands
/// every other panic to the hook that was installed before.
pub(crate) fn quietly<R>(f: impl FnOnce() -> R) -> std::thread::Result<R> {
    static INSTALL: std::sync::Once = std::sync::Once::new();
    INSTALL.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !QUIET.with(|q| q.get()) {
                previous(info);
            }
        }));
    });
    let was = QUIET.with(|q| q.replace(true));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    QUIET.with(|q| q.set(was));
    result
}

/// The message of a caught panic.
pub(crate) fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".to_owned()
    }
}
