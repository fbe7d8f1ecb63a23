//! The PostgreSQL store through the Engine, on the tests' server (`OKR_TEST_POSTGRES_URL`;
//! each test skips with a note without it, and fails when `CI` is set): organisations kept
//! apart, engines of several processes on one log (OS processes: this test binary started
//! again as a worker), a writer killed with SIGKILL, a server that stops and comes back,
//! migration from sled and back, snapshots, and a schema newer than the build.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command as Process, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use okr_core::{Command, CommandBody, KeyResultId, PersonId, State};
use okr_store::{
    AppendOutcome, AppendRequest, Engine, EngineError, EngineOptions, EventStore, PostgresOptions,
    PostgresStore, RecordedEvent, StoreError, StreamId,
};

use crate::engine::{log_state, run_all, sled_path};
use crate::engine_concurrency::setup_teams;
use crate::scenario::{day, scenario, Script};
use crate::support::{fresh_organisation, postgres_url, with_organisation};

/// The URL of a fresh organisation on the tests' server.
fn fresh_url(prefix: &str) -> Option<String> {
    Some(with_organisation(
        &postgres_url()?,
        &fresh_organisation(prefix),
    ))
}

fn open(url: &str, snapshot_every: u64) -> Engine {
    Engine::open_with(
        url,
        EngineOptions {
            snapshot_every,
            ..EngineOptions::default()
        },
    )
    .unwrap_or_else(|e| panic!("opening {url}: {e}"))
}

fn state(engine: &Engine) -> State {
    engine.read(State::clone)
}

fn export(engine: &Engine) -> Vec<u8> {
    let mut out = Vec::new();
    engine.export(&mut out).unwrap();
    out
}

/// The `i`-th check-in of writer `writer` (its own script of command ids).
fn check_in(script: &mut Script, person: PersonId, kr: KeyResultId, i: u64) -> Command {
    script.command(
        person,
        day("2025-04-01", 9) + chrono::Duration::seconds(i as i64),
        CommandBody::CheckIn {
            key_result: kr,
            value: (i % 100) as f64 + 0.5,
            confidence: (i % 11) as u8,
            note: String::new(),
            effective_at: None,
        },
    )
}

fn check_ins(writer: usize, person: PersonId, kr: KeyResultId, count: u64) -> Vec<Command> {
    let mut script = Script::new(0xF000_0000 + ((writer as u128) << 24));
    (0..count)
        .map(|i| check_in(&mut script, person, kr, i))
        .collect()
}

// ---- organisations ----

#[test]
fn organisations_in_one_database_never_see_each_other() {
    let Some(base) = postgres_url() else { return };
    let (a, b) = (fresh_organisation("iso-a"), fresh_organisation("iso-b"));
    let sc = scenario();
    let ea = open(&with_organisation(&base, &a), 0);
    run_all(&ea, &sc.commands);
    // The same command ids in another organisation are new commands there.
    let eb = open(&with_organisation(&base, &b), 0);
    for (i, c) in sc.commands[..3].iter().enumerate() {
        let out = eb.execute(c).unwrap();
        assert!(!out.duplicate, "command {i} is new in organisation b");
        assert_eq!(out.positions, vec![i as u64]);
    }
    assert_eq!(eb.position(), Some(2));
    assert_eq!(
        ea.position(),
        Some(sc.commands.len() as u64 - 1).max(ea.position())
    );
    let b_log = eb.events_from(0, usize::MAX).unwrap();
    assert_eq!(b_log.len(), 3);
    assert_ne!(state(&ea), state(&eb));
    // A store of b finds none of a's commands, and reads none of its events.
    let store_b = PostgresStore::open(
        &base,
        PostgresOptions {
            organisation: Some(b.clone()),
            ..PostgresOptions::default()
        },
    )
    .unwrap();
    let last = sc.commands.last().unwrap().envelope.command_id;
    assert!(store_b.find_command(last).unwrap().is_none());
    assert_eq!(store_b.read_all(3, usize::MAX).unwrap(), vec![]);
    assert_eq!(store_b.last_position().unwrap(), Some(2));
    // A new engine of a sees a's log, whole.
    let again = open(&with_organisation(&base, &a), 0);
    assert_eq!(state(&again), state(&ea));
    assert_eq!(export(&again), export(&ea));
}

#[test]
fn a_location_without_or_with_a_bad_organisation_is_refused_by_name() {
    let Some(base) = postgres_url() else { return };
    let err = Engine::open(&base).unwrap_err();
    assert!(err.to_string().contains("no organisation"), "{err}");
    let err = Engine::open(with_organisation(&base, "a%20b")).unwrap_err();
    assert!(err.to_string().contains("holds ' '"), "{err}");
    // An organisation never opened is not created when the caller says not to.
    let url = with_organisation(&base, &fresh_organisation("absent"));
    let options = EngineOptions {
        create_if_missing: false,
        ..EngineOptions::default()
    };
    let err = Engine::open_with(&url, options).unwrap_err();
    assert!(
        err.to_string()
            .contains("the database holds no store of this organisation"),
        "{err}"
    );
    // The option names the organisation as well; on a path it is refused.
    let options = EngineOptions {
        organisation: Some(fresh_organisation("by-option")),
        ..EngineOptions::default()
    };
    assert_eq!(
        Engine::open_with(&base, options.clone())
            .unwrap()
            .position(),
        None
    );
    let (_dir, path) = sled_path();
    let err = Engine::open_with(&path, options).unwrap_err();
    assert!(err.to_string().contains("sled store"), "{err}");
}

// ---- many engines, one log ----

#[test]
fn an_engine_catches_up_with_another_before_it_decides() {
    let Some(url) = fresh_url("catch-up") else {
        return;
    };
    let setup = setup_teams(2);
    let one = open(&url, 0);
    let two = open(&url, 0);
    // `two` opened on an empty log; the set-up it continues was written by `one`.
    let (first, rest) = setup.commands.split_at(5);
    run_all(&one, first);
    run_all(&two, rest);
    assert_eq!(one.position(), Some(4), "one has not looked since");
    let ones = check_ins(0, setup.people[0], setup.krs[0], 20);
    let twos = check_ins(1, setup.people[1], setup.krs[1], 20);
    // Both append to the cycle's stream in turn: each finds the other's event first.
    for (a, b) in ones.iter().zip(&twos) {
        assert!(!one.execute(a).unwrap().duplicate);
        assert!(!two.execute(b).unwrap().duplicate);
    }
    // A command the other engine executed is a duplicate here, with the same positions.
    let retried = one.execute(&twos[3]).unwrap();
    assert!(retried.duplicate);
    assert_eq!(one.refresh().unwrap(), two.position());
    assert_eq!(state(&one), state(&two));
    assert_eq!(state(&one), log_state(&one));
    let cycle = &state(&one).cycles[&setup.cycle];
    for kr in &setup.krs {
        assert_eq!(cycle.key_results[kr].check_in_count(), 20);
    }
}

/// A store that lets a rival engine append first, just before each of the first `races`
/// appends: a conflict in the window between catch-up and append, as another process causes.
struct Racing {
    inner: PostgresStore,
    rival: Mutex<(Engine, Vec<Command>)>,
    races: AtomicUsize,
}

impl EventStore for Racing {
    fn append_batch(&self, batch: Vec<AppendRequest>) -> Result<Vec<AppendOutcome>, StoreError> {
        if self.races.load(Ordering::SeqCst) > 0 {
            self.races.fetch_sub(1, Ordering::SeqCst);
            let mut rival = self.rival.lock().unwrap();
            let (engine, commands) = &mut *rival;
            let next = commands.remove(0);
            engine.execute(&next).unwrap();
        }
        self.inner.append_batch(batch)
    }
    fn read_stream(&self, s: &StreamId, v: u64) -> Result<Vec<RecordedEvent>, StoreError> {
        self.inner.read_stream(s, v)
    }
    fn read_all(&self, from: u64, max: usize) -> Result<Vec<RecordedEvent>, StoreError> {
        self.inner.read_all(from, max)
    }
    fn stream_version(&self, s: &StreamId) -> Result<u64, StoreError> {
        self.inner.stream_version(s)
    }
    fn heads(&self) -> Result<std::collections::BTreeMap<StreamId, u64>, StoreError> {
        self.inner.heads()
    }
    fn last_position(&self) -> Result<Option<u64>, StoreError> {
        self.inner.last_position()
    }
    fn find_command(&self, id: uuid::Uuid) -> Result<Option<AppendOutcome>, StoreError> {
        self.inner.find_command(id)
    }
    fn save_snapshot(&self, p: u64, bytes: &[u8]) -> Result<(), StoreError> {
        self.inner.save_snapshot(p, bytes)
    }
    fn prune_snapshots(&self, keep: usize) -> Result<(), StoreError> {
        self.inner.prune_snapshots(keep)
    }
    fn latest_snapshot(&self, at: Option<u64>) -> Result<Option<(u64, Vec<u8>)>, StoreError> {
        self.inner.latest_snapshot(at)
    }
    fn clear_snapshots(&self) -> Result<(), StoreError> {
        self.inner.clear_snapshots()
    }
    fn load_keys(&self) -> Result<Vec<(okr_store::KeyOwner, okr_store::KeyEntry)>, StoreError> {
        self.inner.load_keys()
    }
    fn put_keys(&self, e: &[(okr_store::KeyOwner, okr_store::KeyEntry)]) -> Result<(), StoreError> {
        self.inner.put_keys(e)
    }
    fn shared(&self) -> bool {
        true
    }
}

fn racing(url: &str, races: usize) -> (Engine, Vec<Command>, okr_core::CycleId) {
    let setup = setup_teams(2);
    let rival = open(url, 0);
    run_all(&rival, &setup.commands);
    let rivals = check_ins(1, setup.people[1], setup.krs[1], 40);
    let inner = PostgresStore::open(url, PostgresOptions::default()).unwrap();
    let store = Racing {
        inner,
        rival: Mutex::new((rival, rivals)),
        races: AtomicUsize::new(races),
    };
    let engine = Engine::with_store(store, 0).unwrap();
    let mine = check_ins(0, setup.people[0], setup.krs[0], 5);
    (engine, mine, setup.cycle)
}

#[test]
fn a_conflict_with_another_process_is_decided_again() {
    let Some(url) = fresh_url("race") else { return };
    let (engine, mine, cycle) = racing(&url, 3);
    let before = engine.position().unwrap();
    // Three appends lose to the rival; the fourth attempt is written.
    let out = engine.execute(&mine[0]).unwrap();
    assert!(!out.duplicate);
    assert_eq!(out.positions, vec![before + 4]);
    assert_eq!(state(&engine), log_state(&engine));
    let kr = &state(&engine).cycles[&cycle].key_results;
    let counts: Vec<u32> = kr.values().map(|k| k.check_in_count()).collect();
    assert_eq!(counts.iter().sum::<u32>(), 4, "{counts:?}");
}

#[test]
fn a_command_that_loses_every_race_is_a_clear_conflict_and_writes_nothing() {
    let Some(url) = fresh_url("contended") else {
        return;
    };
    let attempts = okr_store::engine::MAX_ATTEMPTS as usize;
    let (engine, mine, _) = racing(&url, attempts);
    match engine.execute(&mine[0]) {
        Err(e @ EngineError::Contended { .. }) => {
            let EngineError::Contended { attempts: n, .. } = &e else {
                unreachable!()
            };
            assert_eq!(*n as usize, attempts);
            assert!(
                e.to_string()
                    .contains("other processes kept appending first"),
                "{e}"
            );
            assert!(
                e.to_string().contains("version conflict on stream cycle-"),
                "{e}"
            );
        }
        other => panic!("expected Contended, got {other:?}"),
    }
    let store = PostgresStore::open(&url, PostgresOptions::default()).unwrap();
    assert!(store
        .find_command(mine[0].envelope.command_id)
        .unwrap()
        .is_none());
    // The races are over: the same command goes through now.
    assert!(!engine.execute(&mine[0]).unwrap().duplicate);
}

#[test]
fn a_subscription_sees_what_other_engines_append() {
    let Some(url) = fresh_url("follow") else {
        return;
    };
    let sc = scenario();
    let reader = open(&url, 0);
    let sub = reader.subscribe(0).unwrap();
    let writer = open(&url, 0);
    run_all(&writer, &sc.commands[..4]);
    let mut got = Vec::new();
    while got.len() < 4 {
        let event = sub
            .recv_timeout(Duration::from_secs(20))
            .expect("the subscription delivers the other engine's events");
        got.push(event.global_position);
    }
    assert_eq!(got, vec![0, 1, 2, 3]);
    assert!(sub.recv_timeout(Duration::from_millis(200)).is_err());
    // The reader's own appends come the same way, once.
    reader.execute(&sc.commands[4]).unwrap();
    let next = sub.recv_timeout(Duration::from_secs(20)).unwrap();
    assert_eq!(next.global_position, 4);
    drop(reader);
    // Dropping the engine ends the subscription.
    let start = Instant::now();
    while sub.recv_timeout(Duration::from_secs(5)).is_ok() {
        assert!(start.elapsed() < Duration::from_secs(30));
    }
}

// ---- snapshots, migration, schema ----

#[test]
fn snapshots_are_kept_in_postgres() {
    let Some(url) = fresh_url("snap") else { return };
    let sc = scenario();
    let engine = open(&url, 8);
    run_all(&engine, &sc.commands);
    let expected = state(&engine);
    let last = engine.position().unwrap();
    assert!(engine.stats().snapshots_written > 0);
    drop(engine);
    let reopened = open(&url, 8);
    let stats = reopened.stats();
    let at = stats.snapshot_on_open.expect("opened from a snapshot");
    assert_eq!(stats.replayed_on_open, last - at);
    assert_eq!(state(&reopened), expected);
}

#[test]
fn sled_to_postgres_and_back_is_byte_identical() {
    let Some(url) = fresh_url("migrate") else {
        return;
    };
    let sc = scenario();
    let (_dir, path) = sled_path();
    let sled = Engine::open(&path).unwrap();
    run_all(&sled, &sc.commands);
    let from_sled = export(&sled);
    let pg = open(&url, 0);
    let n = pg.import(&from_sled[..]).unwrap();
    assert_eq!(n, sled.position().unwrap() + 1);
    let from_pg = export(&pg);
    assert_eq!(from_pg, from_sled, "export of the PostgreSQL store");
    assert_eq!(state(&pg), state(&sled));
    let (_dir2, path2) = sled_path();
    let back = Engine::open(&path2).unwrap();
    back.import(&from_pg[..]).unwrap();
    assert_eq!(
        export(&back),
        from_sled,
        "export of the sled store imported from PostgreSQL"
    );
}

/// A database of its own on the tests' server, dropped at the end.
struct Database {
    admin: String,
    name: String,
    url: String,
}

impl Database {
    fn create(base: &str, prefix: &str) -> Database {
        let name = fresh_organisation(prefix).replace(['-', '.'], "_");
        let mut client = postgres::Client::connect(base, postgres::NoTls).unwrap();
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .unwrap();
        let (head, _) = base.rsplit_once('/').unwrap();
        Database {
            admin: base.to_owned(),
            url: format!("{head}/{name}"),
            name,
        }
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        if let Ok(mut client) = postgres::Client::connect(&self.admin, postgres::NoTls) {
            let _ = client.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}

#[test]
fn the_schema_is_created_versioned_and_a_newer_one_is_refused() {
    let Some(base) = postgres_url() else { return };
    let db = Database::create(&base, "newer");
    let url = with_organisation(&db.url, "acme");
    // Without create_if_missing an empty database is not touched.
    let options = EngineOptions {
        create_if_missing: false,
        ..EngineOptions::default()
    };
    let err = Engine::open_with(&url, options).unwrap_err();
    assert!(err.to_string().contains("holds no okr tables"), "{err}");
    let engine = open(&url, 0);
    run_all(&engine, &scenario().commands[..2]);
    drop(engine);
    let mut client = postgres::Client::connect(&db.url, postgres::NoTls).unwrap();
    let versions: Vec<i32> = client
        .query(
            "SELECT version FROM okr_schema_migrations ORDER BY version",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(
        versions,
        (1..=okr_store::postgres_store::SCHEMA_VERSION).collect::<Vec<_>>(),
        "every migration is recorded"
    );
    client
        .execute(
            "INSERT INTO okr_schema_migrations (version, description) VALUES ($1, 'from the future')",
            &[&(okr_store::postgres_store::SCHEMA_VERSION + 1)],
        )
        .unwrap();
    let err = Engine::open(&url).unwrap_err();
    match &err {
        EngineError::Store(StoreError::NewerSchema {
            found, supported, ..
        }) => {
            assert_eq!(*found, *supported + 1);
        }
        other => panic!("expected NewerSchema, got {other:?}"),
    }
    assert!(err.to_string().contains("use a newer okr"), "{err}");
}

// ---- a server of the test's own ----

/// A cluster of the test's own, started by `.ci/postgres.sh` and deleted at the end.
struct Cluster {
    dir: String,
    url: String,
}

fn script() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.ci/postgres.sh"))
}

impl Cluster {
    fn start() -> Cluster {
        let out = Process::new("bash")
            .arg(script())
            .arg("start")
            .stderr(Stdio::inherit())
            .output()
            .unwrap();
        assert!(out.status.success(), ".ci/postgres.sh start failed");
        let text = String::from_utf8(out.stdout).unwrap();
        let value = |key: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(&format!("export {key}=")))
                .unwrap_or_else(|| panic!("no {key} in {text:?}"))
                .to_owned()
        };
        Cluster {
            dir: value("OKR_PG_DIR"),
            url: value("OKR_TEST_POSTGRES_URL"),
        }
    }

    fn run(&self, what: &str) {
        let status = Process::new("bash")
            .arg(script())
            .args([what, &self.dir])
            .status()
            .unwrap();
        assert!(status.success(), ".ci/postgres.sh {what} failed");
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = Process::new("bash")
            .arg(script())
            .args(["stop", &self.dir])
            .status();
    }
}

#[test]
fn a_stopped_server_is_a_clear_error_and_the_engine_goes_on_when_it_is_back() {
    // Needs the shared server only to know that PostgreSQL is there; the stops hit a
    // cluster of this test's own.
    if postgres_url().is_none() {
        return;
    }
    let cluster = Cluster::start();
    let url = with_organisation(&cluster.url, "restart");
    let sc = scenario();
    let engine = open(&url, 0);
    run_all(&engine, &sc.commands[..3]);
    cluster.run("halt");
    let err = engine.execute(&sc.commands[3]).unwrap_err();
    let text = err.to_string();
    assert!(
        matches!(err, EngineError::Store(StoreError::Postgres { .. })),
        "{err:?}"
    );
    let host = cluster.url.trim_start_matches("postgres://okr@");
    assert!(
        text.contains(&format!("PostgreSQL at {host} (organisation restart)")),
        "{text}"
    );
    // The next call tries again, and says the server is not there.
    let err = engine.execute(&sc.commands[3]).unwrap_err().to_string();
    assert!(err.contains("error connecting to server"), "{err}");
    assert!(Engine::open(&url).is_err());
    cluster.run("resume");
    let out = engine.execute(&sc.commands[3]).unwrap();
    assert!(!out.duplicate);
    assert_eq!(out.positions, vec![3]);
    run_all(&engine, &sc.commands[4..8]);
    assert_eq!(state(&engine), log_state(&engine));
    assert_eq!(state(&open(&url, 0)), state(&engine));
}

// ---- processes ----

/// The environment a worker reads.
const WORKER: &str = "OKR_PG_WORKER";

/// Starts this test binary again as a worker: writer `index` executes `count` check-ins
/// on `url`, printing `ack <n>` after each acknowledged one; with `total`, it then waits
/// until the log holds `total` events and writes its state as JSON to `out`.
fn spawn_worker(url: &str, index: usize, count: u64, total: u64, out: &Path) -> Child {
    Process::new(std::env::current_exe().unwrap())
        .args([
            "pg::worker",
            "--exact",
            "--nocapture",
            "--test-threads",
            "1",
        ])
        .env(WORKER, "1")
        .env("OKR_PG_WORKER_URL", url)
        .env("OKR_PG_WORKER_INDEX", index.to_string())
        .env("OKR_PG_WORKER_COUNT", count.to_string())
        .env("OKR_PG_WORKER_TOTAL", total.to_string())
        .env("OKR_PG_WORKER_OUT", out)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap()
}

/// The worker's side: runs only when started by [`spawn_worker`].
#[test]
fn worker() {
    if std::env::var_os(WORKER).is_none() {
        return;
    }
    let var = |k: &str| std::env::var(k).unwrap();
    let url = var("OKR_PG_WORKER_URL");
    let index: usize = var("OKR_PG_WORKER_INDEX").parse().unwrap();
    let count: u64 = var("OKR_PG_WORKER_COUNT").parse().unwrap();
    let total: u64 = var("OKR_PG_WORKER_TOTAL").parse().unwrap();
    let setup = setup_teams(4);
    let engine = open(&url, 1000);
    for (i, c) in check_ins(index, setup.people[index], setup.krs[index], count)
        .iter()
        .enumerate()
    {
        let out = engine
            .execute(c)
            .unwrap_or_else(|e| panic!("worker {index}, command {i}: {e}"));
        assert!(!out.duplicate);
        println!("ack {i}");
    }
    if total > 0 {
        let deadline = Instant::now() + Duration::from_secs(600);
        while engine.refresh().unwrap() < Some(total - 1) {
            assert!(Instant::now() < deadline, "the others did not finish");
            std::thread::sleep(Duration::from_millis(50));
        }
        let json = serde_json::to_vec(&state(&engine)).unwrap();
        std::fs::write(var("OKR_PG_WORKER_OUT"), json).unwrap();
    }
    println!("done");
}

/// Reads a worker's output until it ends; returns how many commands it acknowledged.
fn acks(child: &mut Child) -> u64 {
    let out = child.stdout.take().unwrap();
    BufReader::new(out)
        .lines()
        .map_while(Result::ok)
        // The first line follows libtest's "test pg::worker ... " on the same line.
        .filter(|l| l.contains("ack "))
        .count() as u64
}

#[test]
fn four_processes_execute_two_thousand_commands_each_exactly_once() {
    let Some(url) = fresh_url("procs") else {
        return;
    };
    const PROCESSES: usize = 4;
    let per: u64 = std::env::var("OKR_PG_COMMANDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    let setup = setup_teams(PROCESSES as u128);
    let engine = open(&url, 0);
    run_all(&engine, &setup.commands);
    let base = engine.position().unwrap() + 1;
    let total = base + PROCESSES as u64 * per;
    let dir = tempfile::tempdir().unwrap();
    let outs: Vec<_> = (0..PROCESSES)
        .map(|p| dir.path().join(format!("state-{p}.json")))
        .collect();
    let mut children: Vec<Child> = (0..PROCESSES)
        .map(|p| spawn_worker(&url, p, per, total, &outs[p]))
        .collect();
    let acked: Vec<u64> = children.iter_mut().map(acks).collect();
    for child in &mut children {
        assert!(child.wait().unwrap().success());
    }
    assert_eq!(acked, vec![per; PROCESSES]);
    // The log: gapless, every command once, each writer's commands in its order.
    assert_eq!(engine.refresh().unwrap(), Some(total - 1));
    let log = engine.events_from(0, usize::MAX).unwrap();
    let positions: Vec<u64> = log.iter().map(|e| e.global_position).collect();
    assert_eq!(positions, (0..total).collect::<Vec<_>>());
    let mut ids: Vec<_> = log.iter().map(|e| e.command_id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(
        ids.len() as u64,
        total,
        "one event per command, no command twice"
    );
    for (p, person) in setup.people.iter().enumerate() {
        let mine: Vec<_> = check_ins(p, *person, setup.krs[p], per)
            .iter()
            .map(|c| c.envelope.command_id)
            .collect();
        let logged: Vec<_> = log
            .iter()
            .map(|e| e.command_id)
            .filter(|id| mine.contains(id))
            .collect();
        assert_eq!(
            logged, mine,
            "writer {p}'s commands, each once, in its order"
        );
    }
    let replay = log_state(&engine);
    assert_eq!(state(&engine), replay);
    for out in &outs {
        let theirs: State = serde_json::from_slice(&std::fs::read(out).unwrap()).unwrap();
        assert!(
            theirs == replay,
            "{} differs from the replay of the log",
            out.display()
        );
    }
}

#[test]
fn a_writer_killed_mid_run_loses_no_acknowledged_command() {
    let Some(url) = fresh_url("kill") else { return };
    let setup = setup_teams(4);
    let engine = open(&url, 0);
    run_all(&engine, &setup.commands);
    let dir = tempfile::tempdir().unwrap();
    let unused = dir.path().join("unused");
    let mut survivor = spawn_worker(&url, 1, 400, 0, &unused);
    let mut victim = spawn_worker(&url, 0, 100_000, 0, &unused);
    let out = victim.stdout.take().unwrap();
    let mut acked = 0u64;
    for line in BufReader::new(out).lines().map_while(Result::ok) {
        if line.contains("ack ") {
            acked += 1;
            if acked == 300 {
                // SIGKILL: no destructor, no rollback from the client; the server sees a
                // connection drop, perhaps in the middle of a transaction.
                victim.kill().unwrap();
                break;
            }
        }
    }
    victim.wait().unwrap();
    assert_eq!(acks(&mut survivor), 400);
    assert!(survivor.wait().unwrap().success());
    engine.refresh().unwrap();
    let store = PostgresStore::open(&url, PostgresOptions::default()).unwrap();
    let victims = check_ins(0, setup.people[0], setup.krs[0], acked + 1);
    for (i, c) in victims.iter().take(acked as usize).enumerate() {
        assert!(
            store.find_command(c.envelope.command_id).unwrap().is_some(),
            "acknowledged command {i} is in the log"
        );
    }
    let cycle = &state(&engine).cycles[&setup.cycle];
    let got = u64::from(cycle.key_results[&setup.krs[0]].check_in_count());
    // Acknowledged ones, and perhaps the one whose answer the kill cut off.
    assert!(
        got == acked || got == acked + 1,
        "{got} check-ins, {acked} acknowledged"
    );
    assert_eq!(cycle.key_results[&setup.krs[1]].check_in_count(), 400);
    assert_eq!(state(&engine), log_state(&engine));
    assert_eq!(state(&open(&url, 0)), state(&engine));
}

#[test]
fn a_role_with_only_the_readme_grants_runs_the_engine() {
    let Some(base) = postgres_url() else { return };
    let db = Database::create(&base, "grants");
    // The owner creates the tables by opening the store once.
    drop(open(&with_organisation(&db.url, "owner"), 0));
    let role = fresh_organisation("app").replace(['-', '.'], "_");
    let mut admin = postgres::Client::connect(&db.url, postgres::NoTls).unwrap();
    // The grants of the README, word for word (the server trusts local logins, so the
    // password is not checked).
    admin
        .batch_execute(&format!(
            "CREATE ROLE {role} LOGIN PASSWORD 'x';
             GRANT CONNECT ON DATABASE {db} TO {role};
             GRANT USAGE ON SCHEMA public TO {role};
             GRANT SELECT ON okr_schema_migrations TO {role};
             GRANT SELECT, INSERT, UPDATE ON okr_organisations, okr_streams TO {role};
             GRANT SELECT, INSERT ON okr_events, okr_commands TO {role};
             GRANT SELECT, INSERT, UPDATE, DELETE ON okr_snapshots TO {role};
             GRANT SELECT, INSERT, UPDATE ON okr_keys TO {role};",
            db = db.name
        ))
        .unwrap();
    let app = db.url.replacen("://okr@", &format!("://{role}@"), 1);
    let url = with_organisation(&app, "lahnau");
    let sc = scenario();
    let engine = open(&url, 5);
    run_all(&engine, &sc.commands);
    let sub = engine.subscribe(0).unwrap();
    assert_eq!(
        sub.recv_timeout(Duration::from_secs(20))
            .unwrap()
            .global_position,
        0
    );
    engine.clear_snapshots().unwrap();
    drop(engine);
    let again = open(&url, 5);
    assert_eq!(state(&again), log_state(&again));
    // The log is append-only for the role.
    let mut client = postgres::Client::connect(&app, postgres::NoTls).unwrap();
    let err = client.batch_execute("DELETE FROM okr_events").unwrap_err();
    let message = err.as_db_error().map(|e| e.message().to_owned());
    assert!(
        message
            .as_deref()
            .is_some_and(|m| m.contains("permission denied")),
        "{err:?}"
    );
    drop(client);
    drop(again);
    drop(sub);
    let _ = admin.batch_execute(&format!("DROP OWNED BY {role}; "));
    drop(admin);
    drop(db);
    if let Ok(mut c) = postgres::Client::connect(&base, postgres::NoTls) {
        let _ = c.batch_execute(&format!("DROP ROLE IF EXISTS {role}"));
    }
}
