//! The write-ahead journal of `Durability::Sync` stores, through the public API: what a crash
//! leaves (sled's files behind, the journal ahead) opens with every acknowledged append.

use std::path::{Path, PathBuf};

use serde_json::json;

use okr_store::{
    AppendRequest, Durability, EventStore, ExpectedVersion, RecordedEvent, SledStore, StoreError,
    StoreOptions,
};

use crate::support::{all, cmd, ev, evs, stream};

const JOURNAL_MAGIC: &[u8] = b"OKRJRNL\0";
const FRAME_MAGIC: &[u8] = b"OKRF";

fn sync_store(path: &Path) -> SledStore {
    SledStore::open(path, StoreOptions::default()).unwrap()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Appends `count` commands of two events each, spread over three streams.
fn append_commands(store: &SledStore, from: u64, count: u64) {
    for n in from..from + count {
        let s = stream(["org", "cycle-a", "cycle-b"][n as usize % 3]);
        store
            .append(&s, ExpectedVersion::Any, cmd(u128::from(n)), evs(n * 10, 2))
            .unwrap();
    }
}

fn assert_same_log(store: &SledStore, expected: &[RecordedEvent]) {
    assert_eq!(all(store), expected);
    for s in ["org", "cycle-a", "cycle-b"] {
        let s = stream(s);
        let mine: Vec<_> = expected.iter().filter(|e| e.stream == s).cloned().collect();
        assert_eq!(store.read_stream(&s, 0).unwrap(), mine, "{s}");
        assert_eq!(store.stream_version(&s).unwrap(), mine.len() as u64);
    }
}

#[test]
fn sled_files_from_before_the_appends_plus_the_journal_hold_every_append() {
    let dir = tempfile::tempdir().unwrap();
    let live = dir.path().join("live");
    let store = sync_store(&live);
    append_commands(&store, 0, 5);
    drop(store);
    // A cleanly closed store: sled holds everything, the journal nothing.
    let behind = dir.path().join("behind");
    copy_dir(&live, &behind);
    let journal = std::fs::read(behind.join("journal")).unwrap();
    assert_eq!(&journal[..8], JOURNAL_MAGIC);
    // The frames are still there, but of the previous generation.
    assert_eq!(&journal[4096..4100], FRAME_MAGIC);
    assert_ne!(
        journal[12..20],
        journal[4096 + 16..4096 + 24],
        "a clean close retires the journal's frames"
    );
    assert_eq!(journal.len(), 1 << 20);

    let store = sync_store(&live);
    append_commands(&store, 5, 20);
    // The journal ahead of sled's files as they were before these appends: what a machine
    // that stopped before sled wrote its log leaves.
    std::fs::copy(live.join("journal"), behind.join("journal")).unwrap();
    let expected = all(&store);
    assert_eq!(expected.len(), 50);

    let recovered = sync_store(&behind);
    assert_same_log(&recovered, &expected);
    // The command index came back with the frames: a retry is recognised.
    let retry = recovered
        .append(&stream("cycle-a"), ExpectedVersion::Any, cmd(7), evs(70, 2))
        .unwrap();
    assert!(retry.duplicate);
    // Recovery made sled hold the frames and started the journal over: the recovered store
    // goes on from there, and so does a reopen of it.
    append_commands(&recovered, 25, 1);
    drop(recovered);
    let reopened = sync_store(&behind);
    assert_eq!(all(&reopened).len(), 52);
    assert_eq!(&all(&reopened)[..50], &expected[..]);
}

#[test]
fn a_copy_taken_while_the_store_is_open_holds_every_acknowledged_append() {
    let dir = tempfile::tempdir().unwrap();
    let live = dir.path().join("live");
    let store = sync_store(&live);
    append_commands(&store, 0, 30);
    let copy = dir.path().join("copy");
    copy_dir(&live, &copy);
    let journal = std::fs::read(copy.join("journal")).unwrap();
    assert_eq!(
        &journal[4096..4100],
        FRAME_MAGIC,
        "the appends are in the journal"
    );
    let expected = all(&store);
    assert_same_log(&sync_store(&copy), &expected);
    // Opening in another durability replays the journal too.
    let copy2 = dir.path().join("copy2");
    copy_dir(&live, &copy2);
    let other = SledStore::open(
        &copy2,
        StoreOptions {
            durability: Durability::None,
            ..StoreOptions::default()
        },
    )
    .unwrap();
    assert_same_log(&other, &expected);
}

#[test]
fn a_checkpoint_moves_the_journal_into_sled_and_starts_it_over() {
    let dir = tempfile::tempdir().unwrap();
    let live = dir.path().join("live");
    let store = sync_store(&live);
    // Batches of 2,000 events of about 2 KB (a frame of about 4 MB each) pass the 32 MiB
    // checkpoint mark. The texts differ and hardly compress (records are compressed: 2,600
    // characters of 75 kinds take about 2 KB).
    let mut n = 0u64;
    let mut noise = 0x2545_f491_4f6c_dd1du64;
    let mut text = move || -> String {
        (0..2600)
            .map(|_| {
                noise ^= noise << 13;
                noise ^= noise >> 7;
                noise ^= noise << 17;
                char::from(b'0' + (noise % 75) as u8)
            })
            .collect()
    };
    for b in 0..10u64 {
        let batch = (0..2000u64)
            .map(|_| {
                n += 1;
                let mut event = ev(n);
                event.payload = json!({ "n": n, "text": text() });
                AppendRequest {
                    stream: stream(["org", "cycle-a"][b as usize % 2]),
                    expected: ExpectedVersion::Any,
                    command_id: cmd(u128::from(n)),
                    fingerprint: None,
                    events: vec![event],
                }
            })
            .collect();
        store.append_batch(batch).unwrap();
    }
    let journal_len = std::fs::metadata(live.join("journal")).unwrap().len();
    assert!(journal_len > 32 << 20, "the journal grew to {journal_len}");
    // After the checkpoint the journal holds only the batches since: its first frame starts
    // past position 0.
    let journal = std::fs::read(live.join("journal")).unwrap();
    assert_eq!(&journal[4096..4100], FRAME_MAGIC);
    let first = u64::from_be_bytes(journal[4096 + 24..4096 + 32].try_into().unwrap());
    assert!(first > 0 && first % 2000 == 0, "first frame at {first}");
    let copy = dir.path().join("copy");
    copy_dir(&live, &copy);
    let expected = all(&store);
    assert_eq!(expected.len(), 20_000);
    assert_eq!(all(&sync_store(&copy)), expected);
    drop(store);
    assert_eq!(
        std::fs::metadata(live.join("journal")).unwrap().len(),
        1 << 20,
        "a clean close shrinks the journal"
    );
    assert_eq!(all(&sync_store(&live)), expected);
}

/// A store with three appends in its journal (live), and a copy of it from before them
/// (behind), whose journal holds nothing yet.
fn three_appends_ahead_of_a_copy() -> (tempfile::TempDir, PathBuf, PathBuf, SledStore) {
    let dir = tempfile::tempdir().unwrap();
    let live = dir.path().join("live");
    drop(sync_store(&live));
    let behind = dir.path().join("behind");
    copy_dir(&live, &behind);
    let store = sync_store(&live);
    append_commands(&store, 0, 3);
    (dir, live, behind, store)
}

#[test]
fn a_torn_last_frame_is_an_append_that_never_happened() {
    let (_dir, live, behind, store) = three_appends_ahead_of_a_copy();
    let expected = all(&store);
    let mut journal = std::fs::read(live.join("journal")).unwrap();
    // The third frame (at the sixth page; each frame is followed by its copy) and its copy
    // lost their last payload bytes.
    let third = 5 * 4096;
    assert_eq!(&journal[third..third + 4], FRAME_MAGIC);
    let len = u64::from_be_bytes(journal[third + 8..third + 16].try_into().unwrap()) as usize;
    journal[third + 24 + len - 1] ^= 0xFF;
    journal[third + 4096 + 24 + len - 1] ^= 0xFF;
    std::fs::write(behind.join("journal"), journal).unwrap();
    let recovered = sync_store(&behind);
    assert_eq!(all(&recovered), expected[..4]);
    // Its command id is free again.
    let again = recovered
        .append(&stream("cycle-b"), ExpectedVersion::Any, cmd(2), evs(20, 2))
        .unwrap();
    assert!(!again.duplicate);
}

#[test]
fn a_journal_that_skips_appends_is_corruption_named_on_open() {
    let (_dir, live, behind, _store) = three_appends_ahead_of_a_copy();
    let mut journal = std::fs::read(live.join("journal")).unwrap();
    // Drop the first frame by making it of another generation: the journal now starts at
    // position 2 while sled's log ends before position 0.
    journal[4096 + 16] ^= 0x01;
    // Keep the frame out of the journal, not torn: later frames would stop the scan anyway,
    // so move the second and third frame (with their copies) forward.
    let frames = journal[3 * 4096..7 * 4096].to_vec();
    journal[4096..5 * 4096].copy_from_slice(&frames);
    journal[5 * 4096..7 * 4096].fill(0);
    std::fs::write(behind.join("journal"), journal).unwrap();
    match SledStore::open(&behind, StoreOptions::default()) {
        Err(StoreError::Corrupt { location, detail }) => {
            assert!(location.contains("journal"), "{location}");
            assert!(detail.contains("starts at position 2"), "{detail}");
        }
        other => panic!("expected Corrupt, got {other:?}"),
    }
}
