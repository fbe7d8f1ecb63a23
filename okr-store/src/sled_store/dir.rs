//! The store's directory and sled's files: the `OKR_STORE` marker, what `open` accepts, the
//! store format in `meta`, sled's unfinished snapshots, the `fsync` sled's flush leaves out,
//! and sled's errors.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::error::StoreError;
use crate::wal;

/// The store format this build writes and the newest it reads. It reads formats 1 and 2 too
/// and chains them on open (see the module documentation).
pub const FORMAT_VERSION: u32 = 3;

/// The key of the store format in `meta`.
pub(super) const FORMAT_KEY: &[u8] = b"format";
/// A file next to sled's, written when a store is created. It lets `open` tell a store whose
/// sled files were truncated, replaced or deleted (sled then silently starts empty) from a new
/// one.
pub(super) const MARKER_FILE: &str = "OKR_STORE";
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

/// sled 0.34's `flush` writes its log with `pwrite` and `sync_file_range`, which on Linux
/// neither flushes the device's write cache nor makes a grown file's new size durable, and it
/// writes values too big for its log (blob files) without syncing them at all. After every
/// flush the store therefore `fsync`s sled's log file and any blob file it has not synced yet.
#[derive(Debug)]
pub(super) struct SledFiles {
    db: fs::File,
    blobs: PathBuf,
    synced_blobs: Mutex<std::collections::HashSet<std::ffi::OsString>>,
}

impl SledFiles {
    pub(super) fn open(path: &Path) -> Result<SledFiles, StoreError> {
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
    pub(super) fn flush(&self, db: &sled::Db) -> Result<(), StoreError> {
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

pub(super) fn sled_error(path: &Path, e: sled::Error) -> StoreError {
    match e {
        sled::Error::Corruption { at, .. } => StoreError::Corrupt {
            location: match at {
                Some(at) => format!("{} (sled {at:?})", path.display()),
                None => path.display().to_string(),
            },
            detail: "sled detected corruption".to_owned(),
        },
        other => StoreError::Sled(Box::new(other)),
    }
}

/// Checks sled's configuration file `conf` (its text and CRC-32, as sled writes it) before
/// sled reads it, so that damage is reported as damage of that file; sled itself reports a
/// damaged `conf` as a database of a version "earlier than 0.29".
pub(super) fn check_conf(path: &Path) -> Result<(), StoreError> {
    let conf = path.join("conf");
    let bytes = match fs::read(&conf) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(source) => return Err(StoreError::Io { path: conf, source }),
    };
    let damaged = |detail: &str| StoreError::Corrupt {
        location: conf.display().to_string(),
        detail: format!("sled's configuration file is damaged: {detail}"),
    };
    if bytes.len() <= 8 {
        return Err(damaged("it is too short"));
    }
    let (text, crc) = bytes.split_at(bytes.len() - 4);
    if crc32fast::hash(text).to_le_bytes() != crc {
        return Err(damaged("its checksum does not match"));
    }
    Ok(())
}

/// Errors of `sled::Config::open`: a store this crate created has files sled can read, so
/// anything but an I/O error means they were damaged or replaced.
pub(super) fn open_error(path: &Path, e: sled::Error) -> StoreError {
    match e {
        sled::Error::Io(e) if e.kind() == io::ErrorKind::PermissionDenied => StoreError::Io {
            path: path.to_owned(),
            source: e,
        },
        sled::Error::Unsupported(message) | sled::Error::ReportableBug(message) => {
            StoreError::Corrupt {
                location: path.display().to_string(),
                detail: format!("sled cannot open it: {message}"),
            }
        }
        other => sled_error(path, other),
    }
}

/// What the marker file says about the directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Marker {
    /// Nothing there (no path, or an empty directory) and the caller wants a store created.
    Absent,
    /// Written before sled creates its files: the store is being created. Opening such a
    /// store finishes the creation (nothing can have been appended yet).
    Creating,
    /// Written once the store is initialised and flushed.
    Ready,
}

const CREATING_LINE: &str = "okr event store, being created";

/// Writes the marker file and makes it durable.
pub(super) fn write_marker(path: &Path, state: Marker) -> Result<(), StoreError> {
    let marker = path.join(MARKER_FILE);
    let io_error = |source: io::Error| StoreError::Io {
        path: marker.clone(),
        source,
    };
    let text = match state {
        Marker::Creating | Marker::Absent => format!("{CREATING_LINE}\n"),
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
/// never handed to sled: sled would take a file named `db` for its own and overwrite it.
/// Writes nothing: a path to create is [`Marker::Absent`].
pub(super) fn inspect_directory(
    path: &Path,
    create_if_missing: bool,
) -> Result<Marker, StoreError> {
    let not_a_store = |reason: String| StoreError::NotAnOkrStore {
        path: path.to_owned(),
        reason,
    };
    let io_error = |source: io::Error| StoreError::Io {
        path: path.to_owned(),
        source,
    };
    let create = || -> Result<Marker, StoreError> { Ok(Marker::Absent) };
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
                        && *n != wal::FILE_NAME
                        && *n != wal::TEMP_NAME
                        && *n != crate::keys::KEY_FILE
                        && *n != crate::keys::KEY_FILE_TEMP
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
            let marker = path.join(MARKER_FILE);
            let bytes = fs::read(&marker).map_err(|source| StoreError::Io {
                path: marker.clone(),
                source,
            })?;
            let damaged = |detail: &str| StoreError::Corrupt {
                location: marker.display().to_string(),
                detail: format!(
                    "the store's marker file is damaged ({detail}); it should read \
                     \"okr event store, format {FORMAT_VERSION}, on sled 0.34\""
                ),
            };
            let text = std::str::from_utf8(&bytes).map_err(|_| damaged("not UTF-8 text"))?;
            if text.starts_with(CREATING_LINE) {
                Ok(Marker::Creating)
            } else if text.starts_with("okr event store, format ") {
                Ok(Marker::Ready)
            } else {
                Err(damaged("it does not start with \"okr event store\""))
            }
        }
    }
}

/// Removes the page-table snapshots sled 0.34 was still writing when its process stopped
/// (`snap.<lsn>.generating`). sled writes a snapshot under that name, syncs it and renames it,
/// but when it opens it takes the newest `snap.*` file *including* unfinished ones, so a
/// process killed while writing one leaves a store that sled refuses as corrupt (sled issue
/// #1527; this store's crash test hit it). An unfinished snapshot holds nothing the log does
/// not: without it sled starts from the last finished snapshot and reads the log from there.
pub(super) fn remove_unfinished_sled_snapshots(path: &Path) -> Result<(), StoreError> {
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
/// newer formats and for sled databases that hold someone else's data. Runs while `open`
/// inspects the database, before the store's trees are opened.
pub(super) fn check_format(path: &Path, db: &sled::Db) -> Result<Option<u32>, StoreError> {
    let names = db.tree_names();
    if names.iter().any(|n| n.as_ref() == b"meta") {
        let meta = db.open_tree("meta").map_err(|e| sled_error(path, e))?;
        if let Some(found) = read_format(path, &meta)? {
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

/// The format version recorded in `meta`, if any; fails for newer formats and for damage.
pub(super) fn read_format(path: &Path, meta: &sled::Tree) -> Result<Option<u32>, StoreError> {
    let Some(bytes) = meta.get(FORMAT_KEY).map_err(|e| sled_error(path, e))? else {
        return Ok(None);
    };
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
    Ok(Some(found))
}
