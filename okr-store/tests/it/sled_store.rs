//! Tests that only make sense on disk: reopening, foreign paths, format versions, damage and
//! durability modes.

use std::path::{Path, PathBuf};

use okr_store::{
    Durability, Engine, EventStore, ExpectedVersion, RecordedEvent, SledStore, StoreError,
    StoreOptions, StreamId,
};
use tempfile::TempDir;

use crate::support::{all, cmd, evs, positions, stream, versions};

/// A store at `<tmp>/store` holding 3 streams and 12 events, closed again.
fn filled_store() -> (TempDir, PathBuf) {
    filled_store_with(Durability::Sync)
}

fn filled_store_with(durability: Durability) -> (TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store");
    let options = StoreOptions {
        durability,
        ..StoreOptions::default()
    };
    let store = SledStore::open(&path, options).unwrap();
    for n in 0..6u64 {
        let s = stream(["org", "cycle-a", "cycle-b"][n as usize % 3]);
        store
            .append(&s, ExpectedVersion::Any, cmd(u128::from(n)), evs(n, 2))
            .unwrap();
    }
    drop(store);
    (dir, path)
}

fn open(path: &Path) -> Result<SledStore, StoreError> {
    open_with(path, StoreOptions::default())
}

fn open_with(path: &Path, options: StoreOptions) -> Result<SledStore, StoreError> {
    SledStore::open(path, options)
}

/// Opens the store's sled database directly, bypassing every check, to damage it.
/// A stored record with its events plain (encoding 0): a compressed record (encoding 1: a
/// header, the plain length and a zstd frame, see `codec.rs`) decompressed, so that a test can
/// find and change an event's bytes the way someone editing the database would.
pub(crate) fn plain_record(record: &[u8]) -> Vec<u8> {
    if record.len() < 10 || record[0] != 3 || record[1] != 1 {
        return record.to_vec();
    }
    let len = u32::from_le_bytes(record[6..10].try_into().unwrap()) as usize;
    let plain = zstd::bulk::decompress(&record[10..], len).unwrap();
    let mut bytes = vec![3, 0];
    bytes.extend_from_slice(&record[2..6]);
    bytes.extend_from_slice(&plain);
    bytes
}

pub(crate) fn with_raw_sled(path: &Path, damage: impl FnOnce(&sled::Db)) {
    // sled releases its file lock shortly after the last handle is dropped, not at once.
    let mut tries = 0;
    let db = loop {
        match sled::open(path) {
            Ok(db) => break db,
            Err(e) if tries < 200 => {
                tries += 1;
                assert!(matches!(e, sled::Error::Io(_)), "{e:?}");
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            Err(e) => panic!("cannot open {}: {e:?}", path.display()),
        }
    };
    damage(&db);
    db.flush().unwrap();
}

/// Sets the position counter behind the store's back.
fn set_counter(path: &Path, next: u64) {
    with_raw_sled(path, |db| {
        db.open_tree("counters")
            .unwrap()
            .insert("next_position", &next.to_be_bytes())
            .unwrap();
    });
}

/// Stores a copy of the record under key `from` under key `to`, behind the store's back.
fn copy_record(path: &Path, from: u64, to: u64) {
    with_raw_sled(path, |db| {
        let events = db.open_tree("events").unwrap();
        let record = events.get(from.to_be_bytes()).unwrap().unwrap();
        events.insert(to.to_be_bytes(), record).unwrap();
    });
}

fn assert_corrupt(result: Result<SledStore, StoreError>, path: &Path, detail_part: &str) {
    match result {
        Err(StoreError::Corrupt { location, detail }) => {
            assert!(location.contains(&path.display().to_string()), "{location}");
            assert!(detail.contains(detail_part), "{detail}");
        }
        other => panic!("expected Corrupt containing {detail_part:?}, got {other:?}"),
    }
}

fn assert_not_a_store(result: Result<SledStore, StoreError>, path: &Path, reason_part: &str) {
    match result {
        Err(err @ StoreError::NotAnOkrStore { .. }) => {
            let text = err.to_string();
            assert!(text.contains(&path.display().to_string()), "{text}");
            assert!(text.contains(reason_part), "{text}");
        }
        other => panic!("expected NotAnOkrStore containing {reason_part:?}, got {other:?}"),
    }
}

#[test]
fn reopening_keeps_events_heads_counter_and_command_index() {
    let (_dir, path) = filled_store();
    let store = open(&path).unwrap();
    let events = all(&store);
    assert_eq!(positions(&events), (0..12).collect::<Vec<_>>());
    assert_eq!(
        versions(&store.read_stream(&stream("cycle-b"), 0).unwrap()),
        [0, 1, 2, 3]
    );
    let heads = store.heads().unwrap();
    assert_eq!(heads.get(&stream("org")), Some(&4));
    assert_eq!(heads.len(), 3);

    let retry = store
        .append(&stream("org"), ExpectedVersion::NoStream, cmd(0), evs(0, 2))
        .unwrap();
    assert!(retry.duplicate);
    assert_eq!(retry.events, events[..2].to_vec());

    let next = store
        .append(
            &stream("org"),
            ExpectedVersion::Exact(4),
            cmd(99),
            evs(0, 1),
        )
        .unwrap();
    assert_eq!(positions(&next.events), [12]);
    assert_eq!(versions(&next.events), [4]);
    drop(store);
    assert_eq!(all(&open(&path).unwrap()).len(), 13);
}

#[test]
fn a_regular_file_is_not_a_store() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.txt");
    std::fs::write(&path, "hello").unwrap();
    assert_not_a_store(open(&path), &path, "is a file");
}

#[test]
fn a_directory_with_foreign_files_is_not_a_store() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("Cargo.toml"), "[package]").unwrap();
    std::fs::create_dir(dir.path().join("src")).unwrap();
    assert_not_a_store(open(dir.path()), dir.path(), "Cargo.toml, src");
    // Nothing was created next to the foreign files.
    assert!(!dir.path().join("db").exists());
}

#[test]
fn a_foreign_sled_database_is_not_a_store() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("other");
    with_raw_sled(&path, |db| {
        db.open_tree("users")
            .unwrap()
            .insert("ada", "admin")
            .unwrap();
    });
    // Without our marker, sled never gets to open it.
    assert_not_a_store(
        open(&path),
        &path,
        "holds files but no OKR_STORE marker: blobs, conf, db",
    );
    // With a marker someone copied in, the trees still give it away.
    std::fs::write(
        path.join("OKR_STORE"),
        "okr event store, format 1, on sled 0.34\n",
    )
    .unwrap();
    assert_not_a_store(open(&path), &path, "foreign tree \"users\"");

    let path = dir.path().join("default-tree");
    with_raw_sled(&path, |db| {
        db.insert("key", "value").unwrap();
    });
    std::fs::write(
        path.join("OKR_STORE"),
        "okr event store, format 1, on sled 0.34\n",
    )
    .unwrap();
    assert_not_a_store(open(&path), &path, "holds data");
}

#[test]
fn a_directory_without_marker_is_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    // A user's own file that happens to be called like sled's: never opened, never rewritten.
    let path = dir.path().join("mine");
    std::fs::create_dir(&path).unwrap();
    std::fs::write(path.join("db"), "my notes\n").unwrap();
    assert_not_a_store(open(&path), &path, "no OKR_STORE marker: db");
    assert_eq!(
        std::fs::read_to_string(path.join("db")).unwrap(),
        "my notes\n"
    );
    assert_eq!(std::fs::read_dir(&path).unwrap().count(), 1);

    // An empty directory is not a store either, unless asked to create one.
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let options = StoreOptions {
        create_if_missing: false,
        ..StoreOptions::default()
    };
    assert_not_a_store(open_with(&empty, options), &empty, "empty directory");
    assert!(open(&empty).is_ok());
}

#[test]
fn a_store_whose_creation_was_interrupted_is_finished_on_open() {
    // The marker says "being created" and sled has written nothing yet: nothing was ever
    // acknowledged, so opening finishes the creation instead of calling it corrupt.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new");
    std::fs::create_dir(&path).unwrap();
    std::fs::write(path.join("OKR_STORE"), "okr event store, being created\n").unwrap();
    let store = open(&path).unwrap();
    assert_eq!(store.last_position().unwrap(), None);
    drop(store);
    let marker = std::fs::read_to_string(path.join("OKR_STORE")).unwrap();
    assert!(marker.contains("format 3"), "{marker}");
}

#[test]
fn a_missing_path_is_created_unless_told_otherwise() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a").join("b");
    let options = StoreOptions {
        create_if_missing: false,
        ..StoreOptions::default()
    };
    assert_not_a_store(SledStore::open(&path, options), &path, "does not exist");
    assert!(!path.exists());
    let store = open(&path).unwrap();
    assert_eq!(store.path(), path);
    assert_eq!(store.last_position().unwrap(), None);
    assert!(path.join("OKR_STORE").is_file());
}

#[test]
fn a_newer_format_is_refused() {
    let (_dir, path) = filled_store();
    with_raw_sled(&path, |db| {
        db.open_tree("meta")
            .unwrap()
            .insert("format", &4u32.to_be_bytes())
            .unwrap();
    });
    match open(&path) {
        Err(
            err @ StoreError::NewerFormat {
                found: 4,
                supported: 3,
                ..
            },
        ) => {
            assert!(err.to_string().contains(&path.display().to_string()));
        }
        other => panic!("expected NewerFormat, got {other:?}"),
    }
}

#[test]
fn a_store_that_is_open_cannot_be_opened_twice() {
    let (_dir, path) = filled_store();
    let _first = open(&path).unwrap();
    let options = StoreOptions {
        lock_wait: std::time::Duration::from_millis(200),
        ..StoreOptions::default()
    };
    for read_only in [false, true] {
        let options = StoreOptions {
            read_only,
            ..options.clone()
        };
        match SledStore::open(&path, options) {
            Err(err @ StoreError::InUse { pid: Some(_), .. }) => {
                let text = err.to_string();
                assert!(
                    text.contains("in use by another okr process (pid "),
                    "{text}"
                );
                assert!(
                    text.contains(&format!("pid {}", std::process::id())),
                    "{text}"
                );
            }
            other => panic!("expected InUse, got {other:?}"),
        }
    }
}

#[test]
fn a_missing_counter_is_corruption() {
    let (_dir, path) = filled_store();
    with_raw_sled(&path, |db| {
        db.open_tree("counters")
            .unwrap()
            .remove("next_position")
            .unwrap();
    });
    assert_corrupt(open(&path), &path, "counter is missing");
}

#[test]
fn a_counter_that_disagrees_with_the_log_is_corruption() {
    let (_dir, path) = filled_store();
    set_counter(&path, 15);
    match open(&path) {
        Err(StoreError::Missing {
            first: 12,
            last: 14,
            ..
        }) => {}
        other => panic!("expected positions 12..14 missing, got {other:?}"),
    }
}

#[test]
fn a_counter_behind_a_finished_append_is_corruption() {
    // The last append (positions 10 and 11) recorded its command ids: its records past the
    // counter are damage, not the leftovers of an append that never became durable.
    let (_dir, path) = filled_store();
    set_counter(&path, 10);
    assert_corrupt(
        open(&path),
        &path,
        "counter is 10 but the last event has position 11",
    );
}

#[test]
fn records_past_the_counter_that_no_append_owns_are_removed_on_open() {
    // What a crash leaves when a big Sync append had inserted its records but its journal
    // frame never became durable.
    let (_dir, path) = filled_store();
    let expected = all(&open(&path).unwrap());
    copy_record(&path, 0, 12);
    // Only builds of journal format 1 inserted records before their frame was durable.
    let mut header = vec![0u8; 1 << 20];
    header[..8].copy_from_slice(b"OKRJRNL\0");
    header[8..12].copy_from_slice(&1u32.to_be_bytes());
    header[12..20].copy_from_slice(&7u64.to_be_bytes());
    let crc = crc32fast::hash(&header[..20]);
    header[20..24].copy_from_slice(&crc.to_be_bytes());
    std::fs::write(path.join("journal"), &header).unwrap();
    let store = open(&path).unwrap();
    assert_eq!(all(&store), expected);
    let appended = store
        .append(&stream("org"), ExpectedVersion::Any, cmd(99), evs(99, 1))
        .unwrap();
    assert_eq!(appended.first_position(), Some(12));
    assert_eq!(all(&store).len(), 13);
    // In a store this build wrote, such records are damage.
    let (_dir, path) = filled_store_with(Durability::None);
    copy_record(&path, 0, 12);
    let none = StoreOptions {
        durability: Durability::None,
        ..StoreOptions::default()
    };
    assert_corrupt(
        open_with(&path, none),
        &path,
        "counter is 12 but the last event has position 13",
    );
}

#[test]
fn a_head_that_disagrees_with_the_stream_index_is_corruption() {
    let (_dir, path) = filled_store();
    with_raw_sled(&path, |db| {
        db.open_tree("heads")
            .unwrap()
            .insert("org", &7u64.to_be_bytes())
            .unwrap();
    });
    assert_corrupt(
        open(&path),
        &path,
        "head is 7 but the stream index ends at 3",
    );
}

#[test]
fn an_undecodable_event_is_corruption() {
    let (_dir, path) = filled_store();
    with_raw_sled(&path, |db| {
        db.open_tree("events")
            .unwrap()
            .insert(11u64.to_be_bytes(), "{not json")
            .unwrap();
    });
    assert_corrupt(open(&path), &path, "does not decode");
}

#[test]
fn a_missing_event_is_refused_on_open() {
    let (_dir, path) = filled_store();
    with_raw_sled(&path, |db| {
        db.open_tree("events")
            .unwrap()
            .remove(4u64.to_be_bytes())
            .unwrap();
    });
    // The open's scan of the log finds the gap, before anything is written.
    match open(&path) {
        Err(
            err @ StoreError::Missing {
                first: 4, last: 5, ..
            },
        ) => {
            let text = err.to_string();
            assert!(text.contains("positions 4..5 are missing"), "{text}");
            assert!(text.contains("nothing was changed on disk"), "{text}");
        }
        other => panic!("expected positions 4..5 missing, got {other:?}"),
    }
}

#[test]
fn a_damaged_record_is_refused_on_open_naming_it() {
    let (_dir, path) = filled_store();
    with_raw_sled(&path, |db| {
        let events = db.open_tree("events").unwrap();
        // Events 2 and 3 are the second append's record; cut its last bytes off.
        let record = events.get(2u64.to_be_bytes()).unwrap().unwrap();
        events
            .insert(2u64.to_be_bytes(), &record[..record.len() - 3])
            .unwrap();
    });
    // The open's scan decodes every record and names the damaged one.
    match open(&path) {
        Err(StoreError::Corrupt { location, detail }) => {
            assert!(location.contains("events/2"), "{location}");
            assert!(detail.contains("record does not decode"), "{detail}");
        }
        other => panic!("expected Corrupt, got {other:?}"),
    }
    assert!(Engine::open(&path).is_err());
}

#[test]
fn an_unfinished_sled_snapshot_is_set_aside_not_taken_for_corruption() {
    // sled 0.34 writes a page-table snapshot as `snap.<lsn>.generating`, then renames it; a
    // process killed in between leaves the unfinished file, which sled's own open takes for
    // the newest snapshot and refuses as corrupt.
    let (_dir, path) = filled_store();
    let expected = all(&open(&path).unwrap());
    let unfinished = path.join("snap.FFFFFFFFFFFFFFFF.generating");
    std::fs::write(&unfinished, vec![0x5A; 4096]).unwrap();
    let store = open(&path).unwrap();
    assert_eq!(all(&store), expected);
    assert!(!unfinished.exists());
}

#[test]
fn garbage_in_sleds_files_is_an_error_not_a_panic() {
    for (file, damage) in [
        ("db", Damage::Empty),
        ("db", Damage::Garbage),
        ("db", Damage::Delete),
        ("conf", Damage::Garbage),
    ] {
        let (_dir, path) = filled_store();
        damage.apply(&path.join(file));
        let result = open(&path);
        assert!(
            matches!(result, Err(StoreError::Corrupt { .. })),
            "{file} {damage:?}: {result:?}"
        );
    }
}

/// Overwrites the second half of sled's log file.
fn damage_second_half_of_log(path: &Path) {
    let db = path.join("db");
    let mut bytes = std::fs::read(&db).unwrap();
    let len = bytes.len();
    bytes[len / 2..].fill(0x5A);
    std::fs::write(&db, bytes).unwrap();
}

/// What a store damaged in the middle of sled's log may hold: a gapless prefix of the 12
/// events whose heads match the streams.
fn assert_consistent_prefix(store: &SledStore) {
    let events = all(store);
    assert!(events.len() <= 12);
    assert_eq!(
        positions(&events),
        (0..events.len() as u64).collect::<Vec<_>>()
    );
    for (s, version) in store.heads().unwrap() {
        assert_eq!(
            store
                .read_stream(&s, 0)
                .unwrap()
                .last()
                .unwrap()
                .stream_version
                + 1,
            version
        );
    }
}

#[test]
fn damage_in_the_middle_of_sleds_log_leaves_a_consistent_prefix_or_an_error() {
    // FIXME: sled 0.34 treats a damaged log segment like a torn write and recovers the intact
    // prefix, so flushed events after the damage can be lost without an error. The store can
    // only check that what remains is consistent; this asserts today's behaviour.
    //
    // Without the journal every append is one sled transaction, so what sled recovers is a
    // prefix of whole appends.
    let (_dir, path) = filled_store_with(Durability::None);
    damage_second_half_of_log(&path);
    let options = StoreOptions {
        durability: Durability::None,
        ..StoreOptions::default()
    };
    assert_consistent_prefix(&open_with(&path, options).unwrap());
    // Under `Sync` the journal, not a sled transaction, makes an append atomic, and a
    // cleanly closed store's journal is empty: sled may recover part of an append, which
    // `open` reports instead of serving it.
    let (_dir, path) = filled_store();
    damage_second_half_of_log(&path);
    match open(&path) {
        Ok(store) => assert_consistent_prefix(&store),
        Err(StoreError::Corrupt { location, detail }) => {
            assert!(location.contains(&path.display().to_string()), "{location}");
            assert!(!detail.is_empty());
        }
        Err(other) => panic!("expected a consistent prefix or Corrupt, got {other:?}"),
    }
}

#[derive(Debug, Clone, Copy)]
enum Damage {
    Empty,
    Garbage,
    Delete,
}

impl Damage {
    fn apply(self, file: &Path) {
        match self {
            Damage::Empty => std::fs::write(file, b"").unwrap(),
            Damage::Garbage => {
                let len = std::fs::metadata(file).unwrap().len() as usize;
                std::fs::write(file, vec![0xA5; len]).unwrap();
            }
            Damage::Delete => std::fs::remove_file(file).unwrap(),
        }
    }
}

#[test]
fn every_durability_mode_opens_appends_and_reopens() {
    for durability in [Durability::Sync, Durability::Periodic(5), Durability::None] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store");
        let options = StoreOptions {
            durability,
            ..StoreOptions::default()
        };
        let store = SledStore::open(&path, options.clone()).unwrap();
        assert_eq!(store.durability(), durability);
        for n in 0..20 {
            store
                .append(&stream("org"), ExpectedVersion::Any, cmd(n), evs(0, 2))
                .unwrap();
        }
        store.flush().unwrap();
        drop(store);
        let store = open_with(&path, options).unwrap();
        assert_eq!(all(&store).len(), 40, "{durability:?}");
        assert_eq!(store.stream_version(&stream("org")).unwrap(), 40);
    }
}

/// A copy of `tests/fixtures/v1-store`: a store written by the first release (store format 1,
/// one JSON event per key) by importing `tests/fixtures/v1-log.jsonl`.
fn format_1_store() -> (TempDir, PathBuf) {
    let fixture = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/v1-store");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store");
    std::fs::create_dir(&path).unwrap();
    for entry in std::fs::read_dir(&fixture).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), path.join(entry.file_name())).unwrap();
    }
    (dir, path)
}

fn fixture_log() -> Vec<RecordedEvent> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/v1-log.jsonl");
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

/// The events without their hashes, as a log from before the chain holds them.
fn unhashed(events: &[RecordedEvent]) -> Vec<RecordedEvent> {
    events
        .iter()
        .cloned()
        .map(|mut e| {
            e.hash = okr_store::EventHash::GENESIS;
            e
        })
        .collect()
}

/// Every file of the directory and its bytes.
fn snapshot_of(path: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(path)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.path().is_file())
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

/// Asserts that every event's hash chains to the one before it.
fn assert_chained(events: &[RecordedEvent]) {
    let mut previous = okr_store::EventHash::GENESIS;
    for e in events {
        assert_eq!(
            e.chain_hash(&previous).unwrap(),
            e.hash,
            "position {}",
            e.global_position
        );
        previous = e.hash;
    }
}

fn stored_format(path: &Path) -> Vec<u8> {
    let mut format = Vec::new();
    with_raw_sled(path, |db| {
        format = db
            .open_tree("meta")
            .unwrap()
            .get("format")
            .unwrap()
            .unwrap()
            .to_vec();
    });
    format
}

#[test]
fn a_format_1_store_keeps_reading_and_takes_new_appends() {
    let (_dir, path) = format_1_store();
    let log = fixture_log();
    assert_eq!(log.len(), 50);
    // A read-only open reads it (chained in its private copy) and changes nothing.
    let before = snapshot_of(&path);
    let read_only = StoreOptions {
        read_only: true,
        ..StoreOptions::default()
    };
    let store = open_with(&path, read_only.clone()).unwrap();
    let read = store.read_all(0, 1000).unwrap();
    assert_eq!(unhashed(&read), log);
    assert_chained(&read);
    assert!(matches!(
        store.append(
            &StreamId::Organisation,
            ExpectedVersion::Any,
            cmd(1),
            evs(0, 1)
        ),
        Err(StoreError::ReadOnly { .. })
    ));
    drop(store);
    assert_eq!(
        snapshot_of(&path),
        before,
        "a read-only open wrote to the store"
    );
    let marker = std::fs::read_to_string(path.join("OKR_STORE")).unwrap();
    assert!(marker.contains("format 1"), "{marker}");
    assert_eq!(stored_format(&path), 1u32.to_be_bytes());

    // A writable open chains it: the same hashes.
    let store = open(&path).unwrap();
    assert_eq!(store.read_all(0, 1000).unwrap(), read);
    assert_eq!(
        unhashed(&store.read_all(17, 5).unwrap()),
        log[17..22].to_vec()
    );
    for (name, version) in store.heads().unwrap() {
        let of_stream: Vec<RecordedEvent> =
            log.iter().filter(|e| e.stream == name).cloned().collect();
        assert_eq!(of_stream.last().unwrap().stream_version + 1, version);
        assert_eq!(unhashed(&store.read_stream(&name, 0).unwrap()), of_stream);
        assert_eq!(
            unhashed(&store.read_stream(&name, 2).unwrap()),
            of_stream[2..].to_vec()
        );
    }
    // The format-1 command index still answers for old commands.
    let old = store.find_command(log[20].command_id).unwrap().unwrap();
    assert!(old.duplicate);
    assert!(unhashed(&old.events).contains(&log[20]));
    // New appends land after the old log and continue the chain, and a retried old command
    // writes nothing.
    let org = StreamId::Organisation;
    let version = store.stream_version(&org).unwrap();
    let added = store
        .append(
            &org,
            ExpectedVersion::Exact(version),
            cmd(0xfeed),
            evs(0, 2),
        )
        .unwrap();
    assert_eq!(positions(&added.events), vec![50, 51]);
    assert_eq!(versions(&added.events), vec![version, version + 1]);
    let retried = store
        .append(&org, ExpectedVersion::Any, log[0].command_id, evs(9, 1))
        .unwrap();
    assert!(retried.duplicate);
    drop(store);
    // Reopened: old and new events together, chained; the store is format 3.
    let store = open(&path).unwrap();
    let mut expected = read.clone();
    expected.extend(added.events.iter().cloned());
    let all_events = store.read_all(0, 1000).unwrap();
    assert_eq!(all_events, expected);
    assert_chained(&all_events);
    let org_events: Vec<RecordedEvent> = expected
        .iter()
        .filter(|e| e.stream == org)
        .cloned()
        .collect();
    assert_eq!(store.read_stream(&org, 0).unwrap(), org_events);
    drop(store);
    let marker = std::fs::read_to_string(path.join("OKR_STORE")).unwrap();
    assert!(marker.contains("format 3"), "{marker}");
    assert_eq!(stored_format(&path), 3u32.to_be_bytes());
}

/// A copy of `tests/fixtures/v2-store`: a store written by the release of store format 2
/// (binary records, no hash chain) by importing `tests/fixtures/v1-log.jsonl`.
fn format_2_store() -> (TempDir, PathBuf) {
    let fixture = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/v2-store");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store");
    std::fs::create_dir(&path).unwrap();
    for entry in std::fs::read_dir(&fixture).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), path.join(entry.file_name())).unwrap();
    }
    (dir, path)
}

#[test]
fn a_format_2_store_is_read_as_it_is_and_chained_on_a_writable_open() {
    let (_dir, path) = format_2_store();
    let log = fixture_log();
    let before = snapshot_of(&path);
    let read_only = StoreOptions {
        read_only: true,
        ..StoreOptions::default()
    };
    let read = all(&open_with(&path, read_only).unwrap());
    assert_eq!(unhashed(&read), log);
    assert_chained(&read);
    assert_eq!(
        snapshot_of(&path),
        before,
        "a read-only open wrote to the store"
    );
    let store = open(&path).unwrap();
    assert_eq!(all(&store), read);
    let added = store
        .append(
            &StreamId::Organisation,
            ExpectedVersion::Any,
            cmd(0xbeef),
            evs(0, 1),
        )
        .unwrap();
    assert_eq!(
        added.events[0].chain_hash(&read[49].hash).unwrap(),
        added.events[0].hash
    );
    drop(store);
    assert_eq!(stored_format(&path), 3u32.to_be_bytes());
    // The format-1 and format-2 stores of the same log chain to the same hashes.
    let (_dir1, path1) = format_1_store();
    assert_eq!(all(&open(&path1).unwrap()), read);
}

#[test]
fn an_engine_on_a_format_1_store_has_the_state_of_its_log() {
    let (_dir, path) = format_1_store();
    let imported = Engine::in_memory();
    let log = std::fs::read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/v1-log.jsonl"),
    )
    .unwrap();
    assert_eq!(imported.import(log.as_slice()).unwrap(), 50);
    let engine = Engine::open(&path).unwrap();
    assert_eq!(engine.position(), Some(49));
    engine.read(|on_disk| imported.read(|from_log| assert!(on_disk == from_log)));
}

#[test]
fn records_spanning_a_big_batch_survive_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store");
    let store = open(&path).unwrap();
    let mut batch = Vec::new();
    for n in 0..800u64 {
        let mut events = evs(n, 1 + n % 4);
        if n % 50 == 0 {
            events[0].payload = serde_json::json!({ "n": n, "pad": "y".repeat(20_000) });
        }
        batch.push(okr_store::AppendRequest {
            stream: stream(["org", "cycle-a"][(n / 100 % 2) as usize]),
            expected: ExpectedVersion::Any,
            command_id: cmd(u128::from(n)),
            fingerprint: None,
            events,
        });
    }
    store.append_batch(batch).unwrap();
    let before = all(&store);
    assert_eq!(before.len(), 2000);
    drop(store);
    let store = open(&path).unwrap();
    assert_eq!(all(&store), before);
    assert_eq!(
        store.read_stream(&stream("cycle-a"), 10).unwrap(),
        before
            .iter()
            .filter(|e| e.stream == stream("cycle-a"))
            .skip(10)
            .cloned()
            .collect::<Vec<_>>()
    );
    assert!(store.find_command(cmd(799)).unwrap().unwrap().duplicate);
}
