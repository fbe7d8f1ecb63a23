//! Eight writer threads and one reader share a store; afterwards nothing is lost or doubled
//! and positions and versions are gapless.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};

use okr_store::{Durability, EventStore, ExpectedVersion, MemoryStore, NewEvent, StoreError};
use serde_json::json;

use crate::support::{all, at, positions, sled_store, stream};

const THREADS: u64 = 8;

fn command(thread: u64, i: u64) -> uuid::Uuid {
    uuid::Uuid::from_u64_pair(thread + 1, i)
}

fn event(thread: u64, i: u64) -> NewEvent {
    NewEvent::new(
        "Tested",
        1,
        json!({ "thread": thread, "i": i }),
        "tester",
        at(),
    )
}

/// Thread `t` appends `per_thread` single events: to a shared stream with `Any`, to a
/// contended stream with `Exact` and retry on conflict, and to its own stream with `Exact`.
/// Every fifth append is sent twice and must come back as a duplicate.
fn writer<S: EventStore>(store: &S, t: u64, per_thread: u64) {
    let own = stream(&format!("own-{t}"));
    let mut own_version: u64 = 0;
    for i in 0..per_thread {
        let id = command(t, i);
        let outcome = match i % 3 {
            0 => store.append(
                &stream("shared"),
                ExpectedVersion::Any,
                id,
                vec![event(t, i)],
            ),
            1 => loop {
                let s = stream("contended");
                let expected = match store.stream_version(&s).unwrap() {
                    0 => ExpectedVersion::NoStream,
                    v => ExpectedVersion::Exact(v),
                };
                match store.append(&s, expected, id, vec![event(t, i)]) {
                    Err(StoreError::VersionConflict { .. }) => continue,
                    other => break other,
                }
            },
            _ => {
                let expected = match own_version {
                    0 => ExpectedVersion::NoStream,
                    v => ExpectedVersion::Exact(v),
                };
                store.append(&own, expected, id, vec![event(t, i)])
            }
        }
        .unwrap();
        assert!(!outcome.duplicate);
        if i % 3 == 2 {
            own_version = outcome.version_after().unwrap_or(0);
        }
        if i % 5 == 0 {
            let again = store
                .append(
                    &stream("elsewhere"),
                    ExpectedVersion::NoStream,
                    id,
                    vec![event(t, i)],
                )
                .unwrap();
            assert!(again.duplicate);
            assert_eq!(again.events, outcome.events);
        }
    }
}

/// While writers run, every window `read_all` returns is gapless and never shrinks.
fn reader<S: EventStore>(store: &S, done: &AtomicBool) {
    let mut seen = 0u64;
    while !done.load(Ordering::Relaxed) {
        let from = seen.saturating_sub(50);
        let events = store.read_all(from, 500).unwrap();
        let expected: Vec<u64> = (from..from + events.len() as u64).collect();
        assert_eq!(positions(&events), expected);
        assert!(from + events.len() as u64 >= seen);
        seen = from + events.len() as u64;
        std::thread::yield_now();
    }
}

fn hammer<S: EventStore>(store: &S, per_thread: u64) {
    let done = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let reader = scope.spawn(|| reader(store, &done));
        let writers: Vec<_> = (0..THREADS)
            .map(|t| scope.spawn(move || writer(store, t, per_thread)))
            .collect();
        for w in writers {
            w.join().unwrap();
        }
        done.store(true, Ordering::Relaxed);
        reader.join().unwrap();
    });

    let events = all(store);
    let total = THREADS * per_thread;
    assert_eq!(positions(&events), (0..total).collect::<Vec<_>>());

    // Each (thread, i) exactly once.
    let seen: BTreeSet<(u64, u64)> = events
        .iter()
        .map(|e| {
            (
                e.payload["thread"].as_u64().unwrap(),
                e.payload["i"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(seen.len() as u64, total);

    // Per stream: versions gapless, positions rising, version = number of events.
    let mut by_stream: BTreeMap<_, Vec<_>> = BTreeMap::new();
    for e in &events {
        by_stream.entry(e.stream).or_default().push(e.clone());
    }
    let heads = store.heads().unwrap();
    assert_eq!(heads.len(), by_stream.len());
    assert!(!heads.contains_key(&stream("elsewhere")));
    for (s, in_log) in by_stream {
        let read = store.read_stream(&s, 0).unwrap();
        assert_eq!(read, in_log, "{s}");
        let versions: Vec<u64> = read.iter().map(|e| e.stream_version).collect();
        assert_eq!(versions, (0..read.len() as u64).collect::<Vec<_>>(), "{s}");
        assert_eq!(heads[&s], read.len() as u64);
    }
}

#[test]
fn memory_store_under_eight_writers() {
    hammer(&MemoryStore::new(), 2000);
}

#[test]
fn sled_store_under_eight_writers() {
    let (store, _dir) = sled_store(Durability::None);
    hammer(&store, 300);
}
