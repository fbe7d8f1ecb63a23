//! Corruption campaign (its own harness): damages every file of a store, one damage at a
//! time, and checks that opening it either yields the whole acknowledged log or refuses
//! with a storage error — never a shorter or different log, never a panic, never a hang —
//! and that a refused open left the damaged files exactly as they were.
//!
//! Two images of one store are damaged: the store closed cleanly (its journal holds only
//! the anchor), and a copy taken while it was open (sled's files as far as sled had written
//! them, the journal with its frames): what a crash leaves. For every file of each image
//! (sled's `db`, `conf` and `snap.*`, the `journal`, the `OKR_STORE` marker, blob files), the
//! campaign flips a byte at a number of offsets (spread over the file, plus random ones) and
//! truncates the file at a number of lengths, then opens a copy and reads the whole log.
//!
//! Size: `OKR_CORRUPTION_CASES` damages per file and kind (default 12, or 6 when `CI` is
//! set); `OKR_CORRUPTION_SEED` picks the random offsets. The long campaign:
//!
//! ```text
//! OKR_CORRUPTION_CASES=400 cargo test -p okr-store --release --test corruption
//! ```
//!
//! It prints intact / refused / lost per file; any lost, panicked, hung or modified case
//! fails the run.

use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::mpsc;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use okr_store::{
    AppendRequest, Durability, EventStore, ExpectedVersion, NewEvent, RecordedEvent, SledStore,
    StoreOptions, StreamId,
};
use serde_json::json;
use uuid::Uuid;

/// A case that takes longer than this is a hang.
const PATIENCE: Duration = Duration::from_secs(120);

#[derive(Debug, Default, Clone, Copy)]
struct Tally {
    intact: u64,
    refused: u64,
    lost: u64,
}

fn main() -> ExitCode {
    let cases: u64 = std::env::var("OKR_CORRUPTION_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if std::env::var_os("CI").is_some() {
            6
        } else {
            12
        });
    let seed: u64 = std::env::var("OKR_CORRUPTION_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    let work = tempfile::tempdir().expect("a temporary directory");
    let (images, log) = build_images(work.path());
    let mut tally: BTreeMap<String, Tally> = BTreeMap::new();
    let mut failures = Vec::new();
    let mut rng = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut n = 0u64;
    for (image_name, image) in &images {
        for file in files_of(image) {
            let len = std::fs::metadata(image.join(&file)).map_or(0, |m| m.len());
            if len == 0 {
                continue;
            }
            let mut damages = Vec::new();
            for i in 0..cases {
                // Half spread over the file, half random.
                let offset = if i % 2 == 0 {
                    len * (i / 2) / cases.div_ceil(2).max(1)
                } else {
                    rng = xorshift(rng);
                    rng % len
                };
                rng = xorshift(rng);
                damages.push(Damage::Flip(offset.min(len - 1), (rng % 255 + 1) as u8));
                let cut = if i % 2 == 0 {
                    len * (i / 2) / cases.div_ceil(2).max(1)
                } else {
                    rng = xorshift(rng);
                    rng % len
                };
                damages.push(Damage::Truncate(cut));
            }
            for damage in damages {
                n += 1;
                let case = work.path().join(format!("case-{n}"));
                copy_dir(image, &case);
                damage.apply(&case.join(&file));
                let before = snapshot(&case);
                let outcome = open_and_read(&case);
                let key = format!("{image_name}/{}", kind_of(&file));
                let t = tally.entry(key).or_default();
                let label = format!("{image_name} {file} {damage:?}");
                match outcome {
                    Outcome::Read(events) if events == log => t.intact += 1,
                    Outcome::Read(events) => {
                        t.lost += 1;
                        failures.push(format!(
                            "{label}: opened with {} events instead of the {} acknowledged",
                            events.len(),
                            log.len()
                        ));
                    }
                    Outcome::Refused => {
                        t.refused += 1;
                        if snapshot(&case) != before {
                            failures.push(format!("{label}: refused, but the files changed"));
                        }
                    }
                    Outcome::Panicked(p) => failures.push(format!("{label}: panicked: {p}")),
                    Outcome::Hung => failures.push(format!("{label}: hung")),
                }
                let _ = std::fs::remove_dir_all(&case);
            }
        }
    }
    println!("corruption: {n} cases over {} acknowledged events (seed {seed}, {cases} per file and kind)", log.len());
    println!(
        "{:<28} {:>7} {:>8} {:>5}",
        "image/file", "intact", "refused", "lost"
    );
    for (key, t) in &tally {
        println!("{key:<28} {:>7} {:>8} {:>5}", t.intact, t.refused, t.lost);
    }
    if failures.is_empty() {
        println!("corruption: no silent loss, no panic, no hang");
        ExitCode::SUCCESS
    } else {
        for f in &failures {
            eprintln!("corruption: FAILED {f}");
        }
        ExitCode::FAILURE
    }
}

fn xorshift(mut x: u64) -> u64 {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    x
}

/// Files are grouped by kind in the table: `snap.*` and blob files by their kind.
fn kind_of(file: &str) -> &str {
    if file.starts_with("snap.") {
        "snap.*"
    } else if file.starts_with("blobs/") {
        "blobs/*"
    } else {
        file
    }
}

#[derive(Debug, Clone, Copy)]
enum Damage {
    /// XOR the byte at the offset with the mask.
    Flip(u64, u8),
    /// Cut the file to this length.
    Truncate(u64),
}

impl Damage {
    fn apply(&self, file: &Path) {
        match *self {
            Damage::Flip(offset, mask) => {
                let mut bytes = std::fs::read(file).expect("read the file");
                bytes[offset as usize] ^= mask;
                std::fs::write(file, bytes).expect("write the file");
            }
            Damage::Truncate(len) => {
                let f = std::fs::OpenOptions::new()
                    .write(true)
                    .open(file)
                    .expect("open the file");
                f.set_len(len).expect("truncate the file");
            }
        }
    }
}

enum Outcome {
    Read(Vec<RecordedEvent>),
    Refused,
    Panicked(String),
    Hung,
}

/// Opens the store and reads the whole log, in a thread watched for a hang.
fn open_and_read(path: &Path) -> Outcome {
    let path = path.to_owned();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let result = catch_unwind(AssertUnwindSafe(|| {
            let store = SledStore::open(&path, options())?;
            let events = store.read_all(0, usize::MAX)?;
            // Every stream reads back as the log says, too.
            for (stream, version) in store.heads()? {
                let of_stream = store.read_stream(&stream, 0)?;
                if of_stream.len() as u64 != version {
                    return Ok(Vec::new());
                }
            }
            Ok::<_, okr_store::StoreError>(events)
        }));
        let _ = tx.send(match result {
            Ok(Ok(events)) => Outcome::Read(events),
            Ok(Err(_)) => Outcome::Refused,
            Err(panic) => Outcome::Panicked(
                panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                    .unwrap_or_default(),
            ),
        });
    });
    rx.recv_timeout(PATIENCE).unwrap_or(Outcome::Hung)
}

fn options() -> StoreOptions {
    StoreOptions {
        durability: Durability::Sync,
        create_if_missing: false,
        lock_wait: Duration::from_secs(5),
        ..StoreOptions::default()
    }
}

/// Builds the store: appends of one event and batches of many, over three streams, big
/// enough for sled to write several segments; returns the closed image, the image copied
/// while the store was open, and the acknowledged log.
fn build_images(work: &Path) -> (Vec<(String, PathBuf)>, Vec<RecordedEvent>) {
    let path = work.join("store");
    let store = SledStore::open(&path, StoreOptions::default()).expect("a new store");
    let at = Utc.with_ymd_and_hms(2025, 3, 3, 9, 0, 0).unwrap();
    let streams = [
        StreamId::Organisation,
        "cycle-00000000-0000-0000-0000-00000000000a"
            .parse()
            .unwrap(),
        "cycle-00000000-0000-0000-0000-00000000000b"
            .parse()
            .unwrap(),
    ];
    let event = |i: u64| {
        NewEvent::new(
            "checked_in",
            1,
            json!({"i": i, "note": "x".repeat((i % 7 * 40) as usize)}),
            "00000000-0000-0000-0000-000000000007",
            at,
        )
    };
    let mut command = 0u128;
    for round in 0..6u64 {
        for i in 0..40u64 {
            command += 1;
            store
                .append(
                    &streams[(i % 3) as usize],
                    ExpectedVersion::Any,
                    Uuid::from_u128(command),
                    vec![event(round * 1000 + i)],
                )
                .expect("an append");
        }
        let batch = (0..50u64)
            .map(|i| {
                command += 1;
                AppendRequest::new(
                    streams[(i % 3) as usize],
                    ExpectedVersion::Any,
                    Uuid::from_u128(command),
                    vec![event(round * 1000 + 500 + i), event(i)],
                )
            })
            .collect();
        store.append_batch(batch).expect("a batch");
    }
    let log = store.read_all(0, usize::MAX).expect("the log");
    // What a crash would leave now: sled's files as far as sled wrote them, the journal
    // with its frames.
    let open = work.join("open-image");
    copy_dir(&path, &open);
    drop(store);
    // sled lets go of the store a moment after the last handle is dropped.
    std::thread::sleep(Duration::from_millis(300));
    let closed = work.join("closed-image");
    copy_dir(&path, &closed);
    for image in [&open, &closed] {
        let check = work.join("image-check");
        copy_dir(image, &check);
        match open_and_read(&check) {
            Outcome::Read(events) if events == log => {}
            _ => panic!(
                "the undamaged image {} does not hold the log",
                image.display()
            ),
        }
        std::fs::remove_dir_all(&check).expect("remove the check");
    }
    (
        vec![("closed".to_owned(), closed), ("open".to_owned(), open)],
        log,
    )
}

/// Every file of a store directory, relative to it.
fn files_of(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read the image") {
        let entry = entry.expect("an entry");
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.path().is_dir() {
            for blob in std::fs::read_dir(entry.path()).expect("read blobs") {
                let blob = blob.expect("a blob");
                out.push(format!("{name}/{}", blob.file_name().to_string_lossy()));
            }
        } else {
            out.push(name);
        }
    }
    out.sort();
    out
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create the copy");
    for entry in std::fs::read_dir(from).expect("read the store") {
        let entry = entry.expect("an entry");
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy a file");
        }
    }
}

/// Every file under `dir` with its bytes.
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = files_of(dir)
        .into_iter()
        .map(|f| {
            let bytes = std::fs::read(dir.join(&f)).unwrap_or_default();
            (f, bytes)
        })
        .collect();
    out.sort();
    out
}
