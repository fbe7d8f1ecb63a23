//! The durable store and the engine against a SQLite peer.
//!
//! Groups:
//! - `append_durable`: one command, durable before returning (okr with `Durability::Sync`:
//!   its journal frame `fdatasync`ed, for the engine and the bare store; SQLite in WAL mode
//!   with `synchronous=FULL`: its WAL synced, one transaction per command with the same
//!   optimistic-concurrency checks).
//! - `append_concurrent`: durable commands from 1 and from 8 threads at once (commands/s):
//!   the engine, whose concurrent commands share one `fdatasync` (group commit), against
//!   SQLite `synchronous=FULL` with one connection per thread in the same run.
//! - `append_batch_1000`: 1000 commands in one all-or-nothing append.
//! - `replay`: a log of ~100k events read from disk and folded into `State` (events/s): with
//!   the bare store's `read_all`, with the engine's own replay (opening an engine on a store
//!   without snapshots), and with SQLite.
//! - `open`: opening an engine on that log with and without a snapshot.
//! - `open_store`: opening an engine on the store that `OKR_BENCH_OPEN_STORE` names (say an
//!   XL cycle applied with `okr apply`), from its snapshot, as `okr` does.
//!
//! In the append groups each contender starts after `sync`, so that none pays for the
//! writeback the one before it left (they share the disk; SQLite runs last). A `Sync` store
//! returns once its journal frame is durable and applies it to sled on a thread of its own, so
//! the okr figures include that thread's competition for the second core but not its time.
//!
//! - `postgres_writer_processes`: commands per second through the engine with 1, 4 and 8
//!   writer processes (this binary started again) on one PostgreSQL organisation.
//!
//! PostgreSQL contenders (`okr_*_postgres`) run when `OKR_TEST_POSTGRES_URL` names a server
//! (`eval "$(bash .ci/postgres.sh start)"` starts one), each in an organisation of its own;
//! without it they are left out with a note. A PostgreSQL append is durable when its commit
//! returns (the server's defaults: `fsync` on, `synchronous_commit` on).
//!
//! Bytes on disk per event are printed during the set-up of `replay`, for the log written in
//! batches of 5000 commands, written one command per append (`Durability::None`), and its
//! first `SYNC_LOG_EVENTS` events written one durable command per append
//! (`Durability::Sync`), each against SQLite holding the same events written the same way;
//! the figures also go to `target/bench-disk.json`, which `benches/suite.py` includes. Run
//! with `cargo bench --bench store`.

use std::path::Path;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use criterion::{criterion_group, BatchSize, Criterion, Throughput};
use okr_core::{
    Command, CommandBody, CycleId, CycleKind, Event, EventBody, KeyResultId, KrKind, ObjectiveId,
    ObjectiveKind, PersonId, Role, State, UnitId, UnitKind,
};
use okr_store::{
    AppendRequest, Durability, Engine, EngineOptions, EventStore, ExpectedVersion, NewEvent,
    RecordedEvent, SledStore, StoreOptions, StreamId,
};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use serde::Deserialize;
use uuid::Uuid;

/// Teams, each with one objective of `KRS_PER_TEAM` key results; check-ins follow.
const TEAMS: u128 = 50;
const KRS_PER_TEAM: u128 = 4;
/// Events in the log that `replay` and `open` read.
const LOG_EVENTS: usize = 100_000;
/// Events of the log written one durable append at a time for the bytes-on-disk figures
/// (each waits for its `fdatasync`, so not the whole log).
const SYNC_LOG_EVENTS: usize = 10_000;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 17, 9, 0, 0).unwrap()
}

/// A deterministic workload: organisation, one running cycle, then check-ins round-robin
/// over all key results. Command ids start at `base`.
struct Workload {
    setup: Vec<Command>,
    people: Vec<PersonId>,
    krs: Vec<KeyResultId>,
    next: u128,
}

impl Workload {
    fn new() -> Self {
        use CommandBody::*;
        let mut w = Workload {
            setup: Vec::new(),
            people: Vec::new(),
            krs: Vec::new(),
            next: 1,
        };
        let master = PersonId::from_u128(0x1);
        let root = UnitId::from_u128(0x10);
        let cycle = CycleId::from_u128(0x20);
        let at = t0();
        let push = |w: &mut Workload, actor, body| {
            let c = w.command(actor, at, body);
            w.setup.push(c);
        };
        push(
            &mut w,
            master,
            DefineUnit {
                unit: root,
                name: "Root".into(),
                kind: UnitKind::Organisation,
                parent: None,
            },
        );
        push(
            &mut w,
            master,
            RegisterPerson {
                person: master,
                name: "Master".into(),
            },
        );
        push(
            &mut w,
            master,
            GrantMembership {
                unit: root,
                person: master,
                role: Role::OkrMaster,
            },
        );
        push(
            &mut w,
            master,
            PlanCycle {
                cycle,
                name: "2025-Q2".into(),
                kind: CycleKind::Regular,
                start: "2025-04-01".parse().unwrap(),
                end: "2025-06-30".parse().unwrap(),
                check_in_weekday: chrono::Weekday::Tue,
                policy: None,
            },
        );
        for t in 0..TEAMS {
            let unit = UnitId::from_u128(0x1000 + t);
            let person = PersonId::from_u128(0x2000 + t);
            let objective = ObjectiveId::from_u128(0x3000 + t);
            push(
                &mut w,
                master,
                DefineUnit {
                    unit,
                    name: format!("Team {t}"),
                    kind: UnitKind::Team,
                    parent: Some(root),
                },
            );
            push(
                &mut w,
                master,
                RegisterPerson {
                    person,
                    name: format!("Lead {t}"),
                },
            );
            push(
                &mut w,
                master,
                GrantMembership {
                    unit,
                    person,
                    role: Role::Lead,
                },
            );
            push(
                &mut w,
                person,
                DraftObjective {
                    cycle,
                    objective,
                    unit,
                    title: "Residents get answers the same day".into(),
                    beneficiary: Some("residents".into()),
                    change: Some("they ask online".into()),
                    value: Some("no waiting".into()),
                    kind: ObjectiveKind::Committed,
                    weight: 1,
                },
            );
            for k in 0..KRS_PER_TEAM {
                let kr = KeyResultId::from_u128(0x4000 + t * 16 + k);
                push(
                    &mut w,
                    person,
                    AddKeyResult {
                        objective,
                        key_result: kr,
                        title: format!("Requests answered the same day, channel {k}"),
                        kind: KrKind::Increase {
                            baseline: Some(10.0),
                            target: 90.0,
                            unit: "%".into(),
                        },
                        weight: 1,
                        owner: Some(person),
                    },
                );
                w.people.push(person);
                w.krs.push(kr);
            }
            push(&mut w, person, CommitObjective { objective });
        }
        let start = Utc.with_ymd_and_hms(2025, 4, 1, 8, 0, 0).unwrap();
        let c = w.command(master, start, StartCycle { cycle });
        w.setup.push(c);
        w
    }

    fn command(&mut self, actor: PersonId, at: DateTime<Utc>, body: CommandBody) -> Command {
        self.next += 1;
        Command::new(
            Uuid::from_u64_pair(0x0b5e, self.next as u64),
            actor,
            at,
            body,
        )
    }

    /// The `i`-th check-in (round-robin over key results, one second apart).
    fn check_in(&mut self, i: u64) -> Command {
        let k = (i % self.krs.len() as u64) as usize;
        let at = Utc.with_ymd_and_hms(2025, 4, 1, 9, 0, 0).unwrap() + Duration::from_secs(i);
        let body = CommandBody::CheckIn {
            key_result: self.krs[k],
            value: 10.0 + (i % 800) as f64 / 10.0,
            confidence: (i % 11) as u8,
            note: if i % 7 == 0 {
                "waiting for the new form".into()
            } else {
                String::new()
            },
            effective_at: None,
        };
        self.command(self.people[k], at, body)
    }
}

/// The recorded events of the setup plus `check_ins` check-ins, as the engine writes them.
fn recorded_log(check_ins: u64) -> Vec<RecordedEvent> {
    let engine = Engine::with_store(okr_store::MemoryStore::new(), 0).unwrap();
    let mut w = Workload::new();
    engine.execute_batch(&w.setup).unwrap();
    let commands: Vec<Command> = (0..check_ins).map(|i| w.check_in(i)).collect();
    for chunk in commands.chunks(10_000) {
        engine.execute_batch(chunk).unwrap();
    }
    engine.events_from(0, usize::MAX).unwrap()
}

fn new_event(e: &RecordedEvent) -> NewEvent {
    NewEvent {
        event_type: e.event_type.clone(),
        schema_version: e.schema_version,
        payload: e.payload.clone(),
        actor: e.actor.clone(),
        recorded_at: e.recorded_at,
        correlation_id: e.correlation_id,
    }
}

/// One append request per recorded event (every command of the workload has one event).
fn requests(events: &[RecordedEvent]) -> Vec<AppendRequest> {
    events
        .iter()
        .map(|e| AppendRequest {
            stream: e.stream,
            expected: match e.stream_version {
                0 => ExpectedVersion::NoStream,
                v => ExpectedVersion::Exact(v),
            },
            command_id: e.command_id,
            fingerprint: None,
            events: vec![new_event(e)],
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The SQLite peer
// ---------------------------------------------------------------------------------------------

struct Sqlite {
    conn: Connection,
}

#[derive(Debug)]
enum SqliteAppend {
    Appended,
    Duplicate,
    Conflict,
}

impl Sqlite {
    fn open(path: &Path) -> Sqlite {
        let conn = Connection::open(path).unwrap();
        conn.pragma_update(None, "journal_mode", "WAL").unwrap();
        conn.pragma_update(None, "synchronous", "FULL").unwrap();
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS events (
                global_position INTEGER PRIMARY KEY,
                stream TEXT NOT NULL,
                stream_version INTEGER NOT NULL,
                command_id BLOB UNIQUE,
                payload TEXT NOT NULL,
                UNIQUE(stream, stream_version)
            );",
        )
        .unwrap();
        Sqlite { conn }
    }

    /// Appends requests in one transaction with the store's rules: a known command id is a
    /// duplicate, the stream head must match the expectation, positions are gapless.
    fn append(&mut self, batch: &[(&AppendRequest, String)]) -> Vec<SqliteAppend> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .unwrap();
        let mut results = Vec::with_capacity(batch.len());
        {
            let mut known = tx
                .prepare_cached("SELECT global_position FROM events WHERE command_id = ?1")
                .unwrap();
            let mut head = tx
                .prepare_cached("SELECT MAX(stream_version) FROM events WHERE stream = ?1")
                .unwrap();
            let mut last = tx
                .prepare_cached("SELECT MAX(global_position) FROM events")
                .unwrap();
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO events (global_position, stream, stream_version, command_id, payload)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                )
                .unwrap();
            for (request, payload) in batch {
                let id = request.command_id.as_bytes().to_vec();
                let found: Option<i64> = known
                    .query_row(params![id], |r| r.get(0))
                    .optional()
                    .unwrap();
                if found.is_some() {
                    results.push(SqliteAppend::Duplicate);
                    continue;
                }
                let stream = request.stream.name();
                let current: Option<i64> = head.query_row(params![stream], |r| r.get(0)).unwrap();
                // The stream's version: its number of events.
                let version = current.map_or(0, |v| v as u64 + 1);
                if !request.expected.matches(version) {
                    results.push(SqliteAppend::Conflict);
                    continue;
                }
                let position: Option<i64> = last.query_row([], |r| r.get(0)).unwrap();
                let position = position.map_or(0, |p| p + 1);
                let version = version as i64;
                insert
                    .execute(params![position, stream, version, id, payload])
                    .unwrap();
                results.push(SqliteAppend::Appended);
            }
        }
        tx.commit().unwrap();
        results
    }

    fn replay(&self) -> (State, u64) {
        let mut stmt = self
            .conn
            .prepare("SELECT payload FROM events ORDER BY global_position")
            .unwrap();
        let mut rows = stmt.query([]).unwrap();
        let mut state = State::new();
        let mut n = 0;
        while let Some(row) = rows.next().unwrap() {
            let text: String = row.get(0).unwrap();
            let stored: StoredPayload = serde_json::from_str(&text).unwrap();
            state.apply(&Event {
                at: stored.at,
                by: stored.by,
                body: stored.body,
            });
            n += 1;
        }
        (state, n)
    }
}

/// What the SQLite peer keeps per event: the same fields the engine needs to rebuild it.
#[derive(serde::Serialize, Deserialize)]
struct StoredPayload {
    at: DateTime<Utc>,
    by: PersonId,
    body: EventBody,
}

fn sqlite_payload(e: &RecordedEvent) -> String {
    let body: EventBody = serde_json::from_value(e.payload.clone()).unwrap();
    serde_json::to_string(&StoredPayload {
        at: e.recorded_at,
        by: PersonId(Uuid::parse_str(&e.actor).unwrap()),
        body,
    })
    .unwrap()
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

fn dir_size(path: &Path) -> u64 {
    let mut total = 0;
    for entry in std::fs::read_dir(path).unwrap() {
        let entry = entry.unwrap();
        let meta = entry.metadata().unwrap();
        total += if meta.is_dir() {
            dir_size(&entry.path())
        } else {
            meta.len()
        };
    }
    total
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.metadata().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn file_size(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

/// A SQLite database's bytes: the file, its WAL and its shared-memory index.
fn sqlite_size(path: &Path) -> u64 {
    file_size(path)
        + file_size(&path.with_extension("sqlite-wal"))
        + file_size(&path.with_extension("sqlite-shm"))
}

/// Bytes on disk per event of `log` written one command per append with `durability`, for
/// okr's sled store and for SQLite (one transaction per command; `synchronous=FULL` for
/// `Sync`, `OFF` otherwise), each closed cleanly (SQLite's WAL checkpointed).
fn single_appends(dir: &Path, log: &[RecordedEvent], durability: Durability) -> (f64, f64) {
    let name = format!("{durability:?}").to_lowercase();
    let sled = dir.join(format!("sled-single-{name}"));
    {
        let store = SledStore::open(
            &sled,
            StoreOptions {
                durability,
                ..StoreOptions::default()
            },
        )
        .unwrap();
        for request in requests(log) {
            store.append_batch(vec![request]).unwrap();
        }
        store.flush().unwrap();
    }
    let sqlite = dir.join(format!("single-{name}.sqlite"));
    {
        let mut db = Sqlite::open(&sqlite);
        if durability != Durability::Sync {
            db.conn.pragma_update(None, "synchronous", "OFF").unwrap();
        }
        let reqs = requests(log);
        for (request, e) in reqs.iter().zip(log) {
            db.append(&[(request, sqlite_payload(e))]);
        }
        db.conn
            .pragma_update(None, "wal_checkpoint", "TRUNCATE")
            .unwrap();
    }
    let events = log.len() as f64;
    (
        dir_size(&sled) as f64 / events,
        sqlite_size(&sqlite) as f64 / events,
    )
}

/// Writes the bytes-on-disk figures to `target/bench-disk.json` for `benches/suite.py`.
fn write_disk_figures(figures: &[(&str, usize, f64, f64)], json_lines: f64) {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
    let runs: Vec<serde_json::Value> = figures
        .iter()
        .map(|(how, events, okr, sqlite)| {
            serde_json::json!({
                "written": how,
                "events": events,
                "okr_sled_bytes_per_event": okr,
                "sqlite_bytes_per_event": sqlite,
                "okr_over_sqlite": okr / sqlite,
            })
        })
        .collect();
    let doc = serde_json::json!({
        "what": "bytes on disk per event after a clean close, okr's sled store against SQLite \
                 (WAL mode) holding the same events written the same way",
        "json_lines_export_bytes_per_event": json_lines,
        "runs": runs,
    });
    let _ = std::fs::create_dir_all(&target);
    let _ = std::fs::write(
        target.join("bench-disk.json"),
        serde_json::to_string_pretty(&doc).unwrap() + "\n",
    );
}

fn configure<'a>(
    c: &'a mut Criterion,
    name: &str,
) -> criterion::BenchmarkGroup<'a, criterion::measurement::WallTime> {
    let mut g = c.benchmark_group(name);
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    g
}

/// Writes back every dirty page on the machine, so that a contender does not pay for the
/// writeback of the one before it (their `fdatasync`s share the disk).
fn quiet_disk() {
    let _ = std::process::Command::new("sync").status();
}

/// The URL of a fresh organisation on the benchmark's PostgreSQL server, `None` (with a
/// note, once per group) without one.
fn postgres_url(prefix: &str) -> Option<String> {
    let Ok(base) = std::env::var("OKR_TEST_POSTGRES_URL") else {
        println!("note: OKR_TEST_POSTGRES_URL is not set: the PostgreSQL contenders of {prefix} are left out");
        return None;
    };
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let sep = if base.contains('?') { '&' } else { '?' };
    Some(format!(
        "{base}{sep}organisation=bench-{prefix}-{}-{nanos}",
        std::process::id()
    ))
}

fn postgres_engine(url: &str) -> Engine {
    Engine::open_with(
        url,
        EngineOptions {
            snapshot_every: 0,
            ..EngineOptions::default()
        },
    )
    .unwrap()
}

// ---------------------------------------------------------------------------------------------
// Benchmarks
// ---------------------------------------------------------------------------------------------

fn append_durable(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let mut g = configure(c, "append_durable");
    g.throughput(Throughput::Elements(1));

    // The whole engine: decide, append with fsync, apply, lints.
    {
        quiet_disk();
        let engine = Engine::open_with(
            dir.path().join("engine"),
            EngineOptions {
                durability: Durability::Sync,
                snapshot_every: 0,
                ..EngineOptions::default()
            },
        )
        .unwrap();
        let mut w = Workload::new();
        engine.execute_batch(&w.setup).unwrap();
        let mut i = 0;
        g.bench_function("okr_engine_execute_sled_sync", |b| {
            b.iter(|| {
                let c = w.check_in(i);
                i += 1;
                engine.execute(&c).unwrap()
            })
        });
    }
    if let Some(url) = postgres_url("append_durable") {
        quiet_disk();
        let engine = postgres_engine(&url);
        let mut w = Workload::new();
        engine.execute_batch(&w.setup).unwrap();
        let mut i = 0;
        g.bench_function("okr_engine_execute_postgres", |b| {
            b.iter(|| {
                let c = w.check_in(i);
                i += 1;
                engine.execute(&c).unwrap()
            })
        });
        drop(engine);
    }
    if let Some(url) = postgres_url("append_durable_store") {
        let store = okr_store::PostgresStore::open(&url, Default::default()).unwrap();
        let mut feed = Feed::new(template_event());
        g.bench_function("okr_postgres_store_append", |b| {
            b.iter(|| store.append_batch(vec![feed.next_request()]).unwrap())
        });
    }

    // The bare stores: the same check-in event under a new command id each time.
    let template = template_event();
    {
        quiet_disk();
        let store = SledStore::open(
            dir.path().join("sled"),
            StoreOptions {
                durability: Durability::Sync,
                ..StoreOptions::default()
            },
        )
        .unwrap();
        let mut feed = Feed::new(template.clone());
        g.bench_function("okr_sled_store_append_sync", |b| {
            b.iter(|| store.append_batch(vec![feed.next_request()]).unwrap())
        });
    }
    {
        quiet_disk();
        let mut db = Sqlite::open(&dir.path().join("peer.sqlite"));
        let mut feed = Feed::new(template);
        g.bench_function("sqlite_wal_full_append", |b| {
            b.iter(|| {
                let request = feed.next_request();
                let payload = feed.payload.clone();
                let out = db.append(&[(&request, payload)]);
                assert!(matches!(out[0], SqliteAppend::Appended), "{out:?}");
                out
            })
        });
    }
    g.finish();
}

/// Writer threads of the `append_concurrent` group.
const WRITERS: usize = 8;

/// Runs `iters` rounds of `each(thread, i)` on every one of `threads` threads at once and
/// returns the wall time: a round is one command per thread.
fn time_threads(threads: usize, iters: u64, each: impl Fn(usize, u64) + Sync) -> Duration {
    let start = Instant::now();
    std::thread::scope(|scope| {
        for t in 0..threads {
            let each = &each;
            scope.spawn(move || {
                for i in 0..iters {
                    each(t, i);
                }
            });
        }
    });
    start.elapsed()
}

/// The `i`-th check-in of writer `t` of several: on the key results of that writer only,
/// under command ids of its own.
fn writer_check_in(w: &Workload, t: usize, round: u64, i: u64) -> Command {
    let per = w.krs.len() / WRITERS;
    let k = t * per + (i as usize % per);
    let at = Utc.with_ymd_and_hms(2025, 4, 1, 9, 0, 0).unwrap() + Duration::from_secs(i);
    Command::new(
        Uuid::from_u64_pair(0xc0c0_0000 + t as u64, (round << 32) + i),
        w.people[k],
        at,
        CommandBody::CheckIn {
            key_result: w.krs[k],
            value: 10.0 + (i % 800) as f64 / 10.0,
            confidence: (i % 11) as u8,
            note: String::new(),
            effective_at: None,
        },
    )
}

/// Durable commands from one and from eight threads at once: the engine's group commit
/// against SQLite with `synchronous=FULL` under the same threads (one connection each,
/// each command its own `IMMEDIATE` transaction on a stream of its thread).
fn append_concurrent(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let mut g = configure(c, "append_concurrent");
    let options = EngineOptions {
        durability: Durability::Sync,
        snapshot_every: 0,
        ..EngineOptions::default()
    };
    {
        quiet_disk();
        let engine = Engine::open_with(dir.path().join("engine"), options.clone()).unwrap();
        let w = Workload::new();
        engine.execute_batch(&w.setup).unwrap();
        let round = std::sync::atomic::AtomicU64::new(0);
        for threads in [1, WRITERS] {
            g.throughput(Throughput::Elements(threads as u64));
            g.bench_function(
                format!("okr_engine_execute_sled_sync_{threads}_threads"),
                |b| {
                    b.iter_custom(|iters| {
                        let r = round.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        time_threads(threads, iters, |t, i| {
                            engine.execute(&writer_check_in(&w, t, r, i)).unwrap();
                        })
                    })
                },
            );
        }
    }
    let template = template_event();
    {
        quiet_disk();
        let path = dir.path().join("peer.sqlite");
        drop(Sqlite::open(&path));
        for threads in [1, WRITERS] {
            let feeds: Vec<std::sync::Mutex<(Sqlite, Feed)>> = (0..threads)
                .map(|t| {
                    let db = Sqlite::open(&path);
                    db.conn.busy_timeout(Duration::from_secs(60)).unwrap();
                    let feed = Feed::for_writer(template.clone(), (threads * 100 + t) as u64);
                    std::sync::Mutex::new((db, feed))
                })
                .collect();
            g.throughput(Throughput::Elements(threads as u64));
            g.bench_function(format!("sqlite_wal_full_append_{threads}_threads"), |b| {
                b.iter_custom(|iters| {
                    time_threads(threads, iters, |t, _| {
                        let mut guard = feeds[t].lock().unwrap();
                        let (db, feed) = &mut *guard;
                        let request = feed.next_request();
                        let payload = feed.payload.clone();
                        let out = db.append(&[(&request, payload)]);
                        assert!(matches!(out[0], SqliteAppend::Appended), "{out:?}");
                    })
                })
            });
        }
    }
    g.finish();
}

/// A check-in event as the engine records it.
fn template_event() -> RecordedEvent {
    let log = recorded_log(1);
    log.last().unwrap().clone()
}

/// Append requests of one event each to one stream, with the right expected version.
struct Feed {
    event: NewEvent,
    payload: String,
    stream: StreamId,
    /// The stream's version: the events appended so far.
    version: u64,
    next: u64,
}

impl Feed {
    fn new(template: RecordedEvent) -> Self {
        Feed {
            payload: sqlite_payload(&template),
            event: new_event(&template),
            stream: template.stream,
            version: 0,
            next: 0,
        }
    }

    /// A feed of its own for writer `n` of several: its own stream and command ids.
    fn for_writer(template: RecordedEvent, n: u64) -> Self {
        let mut feed = Feed::new(template);
        feed.stream = StreamId::Cycle(CycleId::from_u128(0xc0c0_0000 + u128::from(n)));
        feed.next = n << 40;
        feed
    }

    fn next_request(&mut self) -> AppendRequest {
        let expected = match self.version {
            0 => ExpectedVersion::NoStream,
            v => ExpectedVersion::Exact(v),
        };
        self.version += 1;
        self.next += 1;
        AppendRequest {
            stream: self.stream,
            expected,
            command_id: Uuid::from_u64_pair(0xfeed, self.next),
            fingerprint: None,
            events: vec![self.event.clone()],
        }
    }

    fn next_batch(&mut self, n: usize) -> Vec<(AppendRequest, String)> {
        (0..n)
            .map(|_| (self.next_request(), self.payload.clone()))
            .collect()
    }
}

fn append_batch_1000(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let mut g = configure(c, "append_batch_1000");
    g.throughput(Throughput::Elements(1000));
    {
        quiet_disk();
        let engine = Engine::open_with(
            dir.path().join("engine"),
            EngineOptions {
                durability: Durability::Sync,
                snapshot_every: 0,
                ..EngineOptions::default()
            },
        )
        .unwrap();
        let mut w = Workload::new();
        engine.execute_batch(&w.setup).unwrap();
        let mut i = 0u64;
        g.bench_function("okr_engine_execute_batch_sled_sync", |b| {
            b.iter_batched(
                || {
                    let batch: Vec<Command> = (i..i + 1000).map(|n| w.check_in(n)).collect();
                    i += 1000;
                    batch
                },
                |batch: Vec<Command>| engine.execute_batch(&batch).unwrap(),
                BatchSize::PerIteration,
            )
        });
    }
    if let Some(url) = postgres_url("append_batch_1000") {
        quiet_disk();
        let engine = postgres_engine(&url);
        let mut w = Workload::new();
        engine.execute_batch(&w.setup).unwrap();
        let mut i = 0u64;
        g.bench_function("okr_engine_execute_batch_postgres", |b| {
            b.iter_batched(
                || {
                    let batch: Vec<Command> = (i..i + 1000).map(|n| w.check_in(n)).collect();
                    i += 1000;
                    batch
                },
                |batch: Vec<Command>| engine.execute_batch(&batch).unwrap(),
                BatchSize::PerIteration,
            )
        });
    }
    if let Some(url) = postgres_url("append_batch_1000_store") {
        let store = okr_store::PostgresStore::open(&url, Default::default()).unwrap();
        let mut feed = Feed::new(template_event());
        g.bench_function("okr_postgres_store_append_batch", |b| {
            b.iter_batched(
                || (0..1000).map(|_| feed.next_request()).collect::<Vec<_>>(),
                |batch| store.append_batch(batch).unwrap(),
                BatchSize::PerIteration,
            )
        });
    }
    let template = template_event();
    {
        quiet_disk();
        let store = SledStore::open(
            dir.path().join("sled"),
            StoreOptions {
                durability: Durability::Sync,
                ..StoreOptions::default()
            },
        )
        .unwrap();
        let mut feed = Feed::new(template.clone());
        g.bench_function("okr_sled_store_append_batch_sync", |b| {
            b.iter_batched(
                || (0..1000).map(|_| feed.next_request()).collect::<Vec<_>>(),
                |batch| store.append_batch(batch).unwrap(),
                BatchSize::PerIteration,
            )
        });
    }
    {
        quiet_disk();
        let mut db = Sqlite::open(&dir.path().join("peer.sqlite"));
        let mut feed = Feed::new(template);
        g.bench_function("sqlite_wal_full_append_batch", |b| {
            b.iter_batched(
                || feed.next_batch(1000),
                |batch| {
                    let refs: Vec<(&AppendRequest, String)> =
                        batch.iter().map(|(r, p)| (r, p.clone())).collect();
                    db.append(&refs)
                },
                BatchSize::PerIteration,
            )
        });
    }
    g.finish();
}

/// A sled store and a SQLite database holding the same ~100k events.
struct BigLog {
    _dir: tempfile::TempDir,
    sled: std::path::PathBuf,
    /// A copy of `sled` that never gets a snapshot.
    sled_without_snapshot: std::path::PathBuf,
    sqlite: std::path::PathBuf,
    /// The same log in an organisation of the benchmark's PostgreSQL server, if there is one.
    postgres: Option<String>,
    events: u64,
    state: State,
}

fn big_log() -> BigLog {
    let started = Instant::now();
    let setup = Workload::new().setup.len();
    let log = recorded_log((LOG_EVENTS - setup) as u64);
    let dir = tempfile::tempdir().unwrap();
    let sled = dir.path().join("sled");
    let sqlite = dir.path().join("peer.sqlite");
    {
        let store = SledStore::open(
            &sled,
            StoreOptions {
                durability: Durability::None,
                ..StoreOptions::default()
            },
        )
        .unwrap();
        for chunk in requests(&log).chunks(5000) {
            store.append_batch(chunk.to_vec()).unwrap();
        }
        store.flush().unwrap();
    }
    {
        let mut db = Sqlite::open(&sqlite);
        let reqs = requests(&log);
        let payloads: Vec<String> = log.iter().map(sqlite_payload).collect();
        let all: Vec<_> = reqs.iter().zip(payloads).collect();
        for chunk in all.chunks(5000) {
            db.append(chunk);
        }
        db.conn
            .pragma_update(None, "wal_checkpoint", "TRUNCATE")
            .unwrap();
    }
    let postgres = postgres_url("replay").inspect(|url| {
        let store = okr_store::PostgresStore::open(url, Default::default()).unwrap();
        for chunk in requests(&log).chunks(5000) {
            store.append_batch(chunk.to_vec()).unwrap();
        }
    });
    let sled_without_snapshot = dir.path().join("sled-without-snapshot");
    copy_dir(&sled, &sled_without_snapshot);
    let events = log.len() as u64;
    let sled_bytes = dir_size(&sled);
    let sqlite_bytes = sqlite_size(&sqlite);
    let json_bytes: usize = log
        .iter()
        .map(|e| serde_json::to_vec(e).unwrap().len() + 1)
        .sum();
    // Open once: a full replay that also writes the snapshot the `open` group uses.
    let opened = Instant::now();
    let engine = Engine::open_with(
        &sled,
        EngineOptions {
            snapshot_every: 10_000,
            ..EngineOptions::default()
        },
    )
    .unwrap();
    let replay_once = opened.elapsed();
    let state = engine.read(State::clone);
    assert_eq!(engine.stats().replayed_on_open, events);
    drop(engine);
    let snapshot_bytes = dir_size(&sled).saturating_sub(sled_bytes);
    println!(
        "log of {events} events built in {:.1} s; first open (full replay + snapshot) {:.2} s",
        started.elapsed().as_secs_f64(),
        replay_once.as_secs_f64()
    );
    println!(
        "bytes on disk per event: okr sled {:.0} (without snapshot), SQLite WAL {:.0}, \
         export JSON Lines {:.0}; one snapshot of the final state adds about {} KiB",
        sled_bytes as f64 / events as f64,
        sqlite_bytes as f64 / events as f64,
        json_bytes as f64 / events as f64,
        snapshot_bytes / 1024
    );
    let batched = (
        sled_bytes as f64 / events as f64,
        sqlite_bytes as f64 / events as f64,
    );
    let single = single_appends(dir.path(), &log, Durability::None);
    let sync_log = &log[..SYNC_LOG_EVENTS.min(log.len())];
    let single_sync = single_appends(dir.path(), sync_log, Durability::Sync);
    let figures = [
        (
            "batches of 5000, Durability::None",
            log.len(),
            batched.0,
            batched.1,
        ),
        (
            "one command per append, Durability::None",
            log.len(),
            single.0,
            single.1,
        ),
        (
            "one command per append, Durability::Sync",
            sync_log.len(),
            single_sync.0,
            single_sync.1,
        ),
    ];
    for (how, n, okr, sqlite) in &figures {
        println!(
            "bytes on disk per event, {how} ({n} events): okr sled {okr:.0}, SQLite WAL \
             {sqlite:.0}, okr/SQLite {:.2}",
            okr / sqlite
        );
    }
    write_disk_figures(&figures, json_bytes as f64 / events as f64);
    BigLog {
        _dir: dir,
        sled,
        sled_without_snapshot,
        sqlite,
        postgres,
        events,
        state,
    }
}

/// Times `iters` opens; each engine is closed (sled flushes and releases its lock) outside
/// the measurement, before the next open.
fn time_opens(iters: u64, open: impl Fn() -> Engine) -> Duration {
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        let started = Instant::now();
        let engine = open();
        total += started.elapsed();
        drop(engine);
    }
    total
}

fn replay_and_open(c: &mut Criterion) {
    let big = big_log();
    {
        let mut g = configure(c, "replay");
        g.throughput(Throughput::Elements(big.events));
        let store = SledStore::open(&big.sled, StoreOptions::default()).unwrap();
        g.bench_function("okr_sled_replay_into_state", |b| {
            b.iter(|| {
                let mut state = State::new();
                let mut from = 0;
                loop {
                    let chunk = store.read_all(from, 4096).unwrap();
                    let Some(last) = chunk.last() else { break };
                    from = last.global_position + 1;
                    for e in &chunk {
                        let body = EventBody::deserialize(&e.payload).unwrap();
                        let by = PersonId(Uuid::parse_str(&e.actor).unwrap());
                        state.apply(&Event {
                            at: e.recorded_at,
                            by,
                            body,
                        });
                    }
                }
                assert_eq!(state.org_version, big.state.org_version);
                state
            })
        });
        drop(store);
        // The engine's own replay: open a store without snapshots, fold the whole log.
        g.bench_function("okr_engine_open_replay_into_state", |b| {
            b.iter_custom(|iters| {
                time_opens(iters, || {
                    let engine = Engine::open_with(
                        &big.sled_without_snapshot,
                        EngineOptions {
                            snapshot_every: 0,
                            ..EngineOptions::default()
                        },
                    )
                    .unwrap();
                    assert_eq!(engine.stats().replayed_on_open, big.events);
                    assert_eq!(engine.read(|s| s.org_version), big.state.org_version);
                    engine
                })
            })
        });
        if let Some(url) = &big.postgres {
            // The same replay, the events read from PostgreSQL (no snapshot is stored there).
            g.bench_function("okr_engine_open_replay_into_state_postgres", |b| {
                b.iter_custom(|iters| {
                    time_opens(iters, || {
                        let engine = postgres_engine(url);
                        assert_eq!(engine.stats().replayed_on_open, big.events);
                        assert_eq!(engine.read(|s| s.org_version), big.state.org_version);
                        engine
                    })
                })
            });
        }
        let db = Sqlite::open(&big.sqlite);
        g.bench_function("sqlite_replay_into_state", |b| {
            b.iter(|| {
                let (state, n) = db.replay();
                assert_eq!(n, big.events);
                state
            })
        });
        g.finish();
    }
    {
        let mut g = configure(c, "open_100k");
        let options = |snapshot_every| EngineOptions {
            snapshot_every,
            ..EngineOptions::default()
        };
        g.bench_function("okr_engine_open_with_snapshot", |b| {
            b.iter_custom(|iters| {
                time_opens(iters, || {
                    let engine = Engine::open_with(&big.sled, options(10_000)).unwrap();
                    assert_eq!(engine.stats().replayed_on_open, 0);
                    engine
                })
            })
        });
        {
            let store = SledStore::open(&big.sled, StoreOptions::default()).unwrap();
            store.clear_snapshots().unwrap();
        }
        g.bench_function("okr_engine_open_without_snapshot", |b| {
            b.iter_custom(|iters| {
                time_opens(iters, || {
                    let engine = Engine::open_with(&big.sled, options(0)).unwrap();
                    assert_eq!(engine.stats().replayed_on_open, big.events);
                    engine
                })
            })
        });
        g.finish();
    }
}

/// Names a store directory for `open_store`, e.g. one that `okr apply` filled with
/// `okr synth --size XL`.
const OPEN_STORE: &str = "OKR_BENCH_OPEN_STORE";

/// Opening an engine on the store that `OKR_BENCH_OPEN_STORE` names, as `okr` does (from its
/// newest snapshot, replaying the events after it): for stores too big to build in a bench
/// run. Without the variable it is left out with a note.
fn open_store(c: &mut Criterion) {
    let Some(path) = std::env::var_os(OPEN_STORE) else {
        eprintln!("note: {OPEN_STORE} is not set: open_store is left out");
        return;
    };
    let path = std::path::PathBuf::from(path);
    {
        let engine = Engine::open(&path).unwrap();
        let stats = engine.stats();
        eprintln!(
            "open_store: {} ({} key results, {} events); snapshot at {:?}, {} events \
             replayed after it",
            path.display(),
            engine.read(|s| s
                .cycles
                .values()
                .map(|c| c.key_results.len())
                .sum::<usize>()),
            engine.next_position(),
            stats.snapshot_on_open,
            stats.replayed_on_open
        );
    }
    let mut g = configure(c, "open_store");
    g.bench_function("okr_engine_open_with_snapshot", |b| {
        b.iter_custom(|iters| time_opens(iters, || Engine::open(&path).unwrap()))
    });
    g.finish();
}

/// Set in the environment of a writer process of `postgres_writer_processes`.
const WRITER: &str = "OKR_BENCH_POSTGRES_WRITER";
/// Commands each writer executes per measured round.
const WRITER_COMMANDS: u64 = 20;

/// A writer process: opens an engine on the URL in `WRITER`, says `ready`, and for each
/// `go` line on standard input executes `WRITER_COMMANDS` check-ins on its own key result,
/// then says `done`. Ends with standard input.
fn writer_process() {
    use std::io::{BufRead, Write};
    let url = std::env::var(WRITER).unwrap();
    let index: u64 = std::env::var("OKR_BENCH_WRITER_INDEX")
        .unwrap()
        .parse()
        .unwrap();
    let engine = postgres_engine(&url);
    let mut w = Workload::new();
    w.next = u128::from(index + 1) << 40;
    let krs = w.krs.len() as u64;
    let mut n = 0u64;
    let mut out = std::io::stdout().lock();
    writeln!(out, "ready").unwrap();
    out.flush().unwrap();
    for line in std::io::stdin().lock().lines() {
        if line.unwrap() != "go" {
            break;
        }
        for _ in 0..WRITER_COMMANDS {
            // Writer `index` checks in on key result `index`, one second later each time.
            engine.execute(&w.check_in(n * krs + index)).unwrap();
            n += 1;
        }
        writeln!(out, "done").unwrap();
        out.flush().unwrap();
    }
}

/// Commands per second on one PostgreSQL organisation with 1, 4 and 8 writer processes,
/// each with its own engine. A measured round sends every writer `go` and waits until all
/// said `done`; starting the processes and opening their engines is outside the measurement.
fn postgres_writer_processes(c: &mut Criterion) {
    use std::io::{BufRead, BufReader, Write};
    use std::process::{Command as Process, Stdio};
    let Some(url) = postgres_url("writer_processes") else {
        return;
    };
    let setup = postgres_engine(&url);
    setup.execute_batch(&Workload::new().setup).unwrap();
    drop(setup);
    let mut g = configure(c, "postgres_writer_processes");
    for writers in [1u64, 4, 8] {
        g.throughput(Throughput::Elements(writers * WRITER_COMMANDS));
        let mut children: Vec<_> = (0..writers)
            .map(|p| {
                Process::new(std::env::current_exe().unwrap())
                    .env(WRITER, &url)
                    .env("OKR_BENCH_WRITER_INDEX", p.to_string())
                    .stdin(Stdio::piped())
                    .stdout(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        let mut pipes: Vec<_> = children
            .iter_mut()
            .map(|c| {
                let stdin = c.stdin.take().unwrap();
                let mut stdout = BufReader::new(c.stdout.take().unwrap()).lines();
                assert_eq!(stdout.next().unwrap().unwrap(), "ready");
                (stdin, stdout)
            })
            .collect();
        g.bench_function(
            format!("okr_engine_execute_postgres_{writers}_processes"),
            |b| {
                b.iter_custom(|iters| {
                    let started = Instant::now();
                    for _ in 0..iters {
                        for (stdin, _) in &mut pipes {
                            writeln!(stdin, "go").unwrap();
                            stdin.flush().unwrap();
                        }
                        for (_, stdout) in &mut pipes {
                            assert_eq!(stdout.next().unwrap().unwrap(), "done");
                        }
                    }
                    started.elapsed()
                })
            },
        );
        drop(pipes);
        for mut child in children {
            child.wait().unwrap();
        }
    }
    g.finish();
}

criterion_group!(
    benches,
    append_durable,
    append_concurrent,
    append_batch_1000,
    replay_and_open,
    open_store,
    postgres_writer_processes
);

fn main() {
    if std::env::var_os(WRITER).is_some() {
        writer_process();
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
