//! Helpers shared by the integration tests.

use chrono::{DateTime, TimeZone, Utc};
use okr_core::CycleId;
use okr_store::{
    Durability, EventStore, NewEvent, PostgresOptions, PostgresStore, RecordedEvent, SledStore,
    StoreOptions, StreamId,
};
use serde_json::json;
use tempfile::TempDir;
use uuid::Uuid;

/// A fixed instant: the store has no clock, and neither do its tests.
pub fn at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 1, 6, 9, 0, 0).unwrap()
}

/// A distinct command id per number.
pub fn cmd(n: u128) -> Uuid {
    Uuid::from_u128(0xC0DE_0000_0000_0000_0000_0000_0000_0000 + n)
}

/// A stream for a test's name: `"org"` is the organisation's, any other name a cycle's whose
/// id is derived from the name (the same name, the same stream).
pub fn stream(name: &str) -> StreamId {
    if name == "org" {
        return StreamId::Organisation;
    }
    // FNV-1a, 128 bits.
    let mut hash: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
    for b in name.bytes() {
        hash ^= u128::from(b);
        hash = hash.wrapping_mul(0x0000_0000_0100_0000_0000_0000_0000_013B);
    }
    StreamId::Cycle(CycleId(Uuid::from_u128(hash)))
}

/// A small event whose payload carries `n`.
pub fn ev(n: u64) -> NewEvent {
    NewEvent::new("Tested", 1, json!({ "n": n }), "tester", at())
}

/// `count` events numbered from `from`.
pub fn evs(from: u64, count: u64) -> Vec<NewEvent> {
    (from..from + count).map(ev).collect()
}

/// Global positions of events.
pub fn positions(events: &[RecordedEvent]) -> Vec<u64> {
    events.iter().map(|e| e.global_position).collect()
}

/// Stream versions of events.
pub fn versions(events: &[RecordedEvent]) -> Vec<u64> {
    events.iter().map(|e| e.stream_version).collect()
}

/// Every event in the store.
pub fn all<S: EventStore + ?Sized>(store: &S) -> Vec<RecordedEvent> {
    store.read_all(0, usize::MAX).unwrap()
}

/// A sled store in a fresh temporary directory; keep the `TempDir` alive as long as the store.
pub fn sled_store(durability: Durability) -> (SledStore, TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let options = StoreOptions {
        durability,
        ..StoreOptions::default()
    };
    let store = SledStore::open(dir.path().join("store"), options).unwrap();
    (store, dir)
}

/// The PostgreSQL server of the tests (`OKR_TEST_POSTGRES_URL`, as `.ci/postgres.sh start`
/// exports it). Without it a test prints a note and is skipped, unless `CI` is set: then it
/// fails.
pub fn postgres_url() -> Option<String> {
    match std::env::var("OKR_TEST_POSTGRES_URL") {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ => {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI is set but OKR_TEST_POSTGRES_URL is not: .ci/run starts a server with .ci/postgres.sh"
            );
            eprintln!(
                "note: OKR_TEST_POSTGRES_URL is not set, skipping a PostgreSQL test \
                 (eval \"$(bash .ci/postgres.sh start)\" starts a server)"
            );
            None
        }
    }
}

/// An organisation name no other test (in this run or an earlier one) uses.
pub fn fresh_organisation(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!(
        "{prefix}-{}-{nanos}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// `url` with `?organisation=<organisation>` (or `&…`) added.
pub fn with_organisation(url: &str, organisation: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}organisation={organisation}")
}

/// A PostgreSQL store of a fresh organisation on the tests' server, `None` (skipped) without one.
pub fn postgres_store() -> Option<(PostgresStore, ())> {
    let url = postgres_url()?;
    let organisation = fresh_organisation("t");
    let store = PostgresStore::open(
        &url,
        PostgresOptions {
            organisation: Some(organisation),
            ..PostgresOptions::default()
        },
    )
    .unwrap();
    Some((store, ()))
}
