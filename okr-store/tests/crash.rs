//! Crash test (its own harness): a child process appends to a sled store in `Durability::Sync`
//! and prints every acknowledged append; the parent kills it with `SIGKILL` after a
//! pseudo-random delay, reopens the store and checks that every acknowledged event is present
//! and intact, the log is gapless and the stream heads match the events. The store is kept
//! across cycles, so each child also starts on a store that was just crashed.
//!
//! Cycles: `OKR_CRASH_CYCLES` (default 100, or 20 when `CI` is set). Run a long one with
//! `OKR_CRASH_CYCLES=1000 cargo test -p okr-store --release --test crash`.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, ExitCode, Stdio};
use std::time::Duration;

use chrono::{TimeZone, Utc};
use okr_store::{
    AppendRequest, Durability, EventStore, ExpectedVersion, NewEvent, SledStore, StoreOptions,
    StreamId,
};
use serde_json::json;
use uuid::Uuid;

const CHILD_ENV: &str = "OKR_CRASH_CHILD_DIR";
const CYCLE_ENV: &str = "OKR_CRASH_CHILD_CYCLE";
const STREAMS: [&str; 3] = [
    "org",
    "cycle-00000000-0000-0000-0000-00000000000a",
    "cycle-00000000-0000-0000-0000-00000000000b",
];
/// Appends in the child's big batches.
const BIG_BATCH: u64 = 100;
/// A child that is never killed stops after this many appends.
const CHILD_LIMIT: u64 = 100_000;

fn main() -> ExitCode {
    match std::env::var_os(CHILD_ENV) {
        Some(dir) => child(Path::new(&dir)),
        None => parent(),
    }
}

/// What the child printed for one acknowledged event.
#[derive(Debug, Clone, PartialEq)]
struct Ack {
    position: u64,
    stream: String,
    version: u64,
    cycle: u64,
    i: u64,
    k: u64,
}

fn check(cycle: u64, i: u64, k: u64) -> u64 {
    let mut x = cycle.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ i.rotate_left(17) ^ k.rotate_left(41);
    x ^= x >> 29;
    x.wrapping_mul(0xBF58_476D_1CE4_E5B9)
}

fn options() -> StoreOptions {
    StoreOptions {
        durability: Durability::Sync,
        ..StoreOptions::default()
    }
}

// ---- child ----

fn child(dir: &Path) -> ExitCode {
    let cycle: u64 = std::env::var(CYCLE_ENV)
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    match run_child(dir, cycle) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("crash child {cycle}: {e}");
            ExitCode::from(3)
        }
    }
}

fn run_child(dir: &Path, cycle: u64) -> Result<(), Box<dyn std::error::Error>> {
    let store = SledStore::open(dir, options())?;
    let mut heads = store.heads()?;
    let at = Utc.with_ymd_and_hms(2025, 1, 6, 9, 0, 0).unwrap();
    let stdout = std::io::stdout();
    let request = |heads: &BTreeMap<StreamId, u64>, i: u64| {
        let stream: StreamId = STREAMS[(i % 3) as usize].parse().unwrap();
        let expected = heads
            .get(&stream)
            .map_or(ExpectedVersion::NoStream, |v| ExpectedVersion::Exact(*v));
        let events = (0..1 + i % 3)
            .map(|k| {
                let payload = json!({"cycle": cycle, "i": i, "k": k, "check": check(cycle, i, k)});
                NewEvent::new("CrashTested", 1, payload, "crash", at)
            })
            .collect();
        AppendRequest {
            stream,
            expected,
            command_id: Uuid::from_u64_pair(cycle + 1, i),
            fingerprint: None,
            events,
        }
    };
    let mut i = 0;
    let mut writes = 0u64;
    while i < CHILD_LIMIT {
        writes += 1;
        // Every seventh write is a batch of two appends to two streams; every 250th a batch of
        // 100 appends with padded payloads (about 200 events and 330 KB, enough to wake the
        // store's applier at once, while small appends wait for it in groups).
        let outcomes = if writes % 250 == 0 {
            let batch = (i..i + BIG_BATCH)
                .map(|n| {
                    let mut request = request(&heads, n);
                    request.expected = ExpectedVersion::Any;
                    for e in &mut request.events {
                        e.payload["pad"] = json!("p".repeat(1500));
                    }
                    request
                })
                .collect();
            i += BIG_BATCH - 1;
            store.append_batch(batch)?
        } else if writes % 7 == 6 {
            let batch = vec![request(&heads, i), request(&heads, i + 1)];
            i += 1;
            store.append_batch(batch)?
        } else {
            vec![store.append_batch(vec![request(&heads, i)])?.remove(0)]
        };
        i += 1;
        let mut out = stdout.lock();
        for outcome in outcomes {
            for e in &outcome.events {
                heads.insert(e.stream, e.stream_version + 1);
                writeln!(
                    out,
                    "{} {} {} {} {} {}",
                    e.global_position,
                    e.stream,
                    e.stream_version,
                    e.payload["cycle"],
                    e.payload["i"],
                    e.payload["k"]
                )?;
            }
        }
        out.flush()?;
    }
    Ok(())
}

// ---- parent ----

fn parent() -> ExitCode {
    let cycles = std::env::var("OKR_CRASH_CYCLES")
        .ok()
        .and_then(|c| c.parse::<u64>().ok())
        .unwrap_or(if std::env::var_os("CI").is_some() {
            20
        } else {
            100
        });
    let dir = tempfile::tempdir().expect("temporary directory");
    let store_dir = dir.path().join("store");
    let exe = std::env::current_exe().expect("path of the test binary");

    let mut acked: Vec<Ack> = Vec::new();
    let (mut passed, mut failed) = (0u64, 0u64);
    for cycle in 0..cycles {
        match run_cycle(&exe, &store_dir, cycle, &mut acked) {
            Ok(()) => passed += 1,
            Err(e) => {
                failed += 1;
                eprintln!("crash cycle {cycle}: FAILED: {e}");
            }
        }
    }
    if acked.is_empty() {
        failed += 1;
        eprintln!("crash: no child acknowledged any append; the test proved nothing");
    }
    eprintln!(
        "crash: {} events acknowledged over {cycles} cycles",
        acked.len()
    );
    println!("crash: {passed} passed, {failed} failed");
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn xorshift(seed: u64) -> u64 {
    let mut x = seed.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    for _ in 0..3 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
    }
    x
}

fn run_cycle(exe: &Path, store_dir: &Path, cycle: u64, acked: &mut Vec<Ack>) -> Result<(), String> {
    let delay = Duration::from_millis(5 + xorshift(cycle) % 75);
    let mut child = Command::new(exe)
        .env(CHILD_ENV, store_dir)
        .env(CYCLE_ENV, cycle.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("cannot start child: {e}"))?;
    let stdout = child.stdout.take().ok_or("child has no stdout")?;
    let (first_tx, first_rx) = std::sync::mpsc::channel::<()>();
    let reader = std::thread::spawn(move || {
        let mut lines = Vec::new();
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        // A line cut off by the kill has no newline and was never acknowledged.
        while reader.read_line(&mut line).unwrap_or(0) > 0 && line.ends_with('\n') {
            lines.push(std::mem::take(&mut line));
            let _ = first_tx.send(());
        }
        lines
    });
    // Three cycles in four start the clock at the first acknowledged append, so that a slow,
    // loaded machine still kills children mid-write; the fourth kills blind, which may land
    // while the child opens or recovers the store.
    if cycle % 4 != 0 {
        let _ = first_rx.recv_timeout(Duration::from_secs(60));
    }
    std::thread::sleep(delay);
    if let Ok(Some(status)) = child.try_wait() {
        return Err(format!("child exited on its own before the kill: {status}"));
    }
    child
        .kill()
        .map_err(|e| format!("cannot kill child: {e}"))?;
    child
        .wait()
        .map_err(|e| format!("cannot reap child: {e}"))?;
    let lines = reader.join().map_err(|_| "stdout reader panicked")?;
    for line in &lines {
        acked.push(parse_ack(line)?);
    }
    verify(store_dir, acked)
}

fn parse_ack(line: &str) -> Result<Ack, String> {
    let fields: Vec<&str> = line.split_whitespace().collect();
    let number = |i: usize| -> Result<u64, String> {
        fields
            .get(i)
            .and_then(|f| f.parse().ok())
            .ok_or_else(|| format!("bad line from child: {line:?}"))
    };
    Ok(Ack {
        position: number(0)?,
        stream: fields.get(1).ok_or("line without stream")?.to_string(),
        version: number(2)?,
        cycle: number(3)?,
        i: number(4)?,
        k: number(5)?,
    })
}

fn verify(store_dir: &Path, acked: &[Ack]) -> Result<(), String> {
    let store = SledStore::open(store_dir, options()).map_err(|e| format!("reopen: {e}"))?;
    let log = store
        .read_all(0, usize::MAX)
        .map_err(|e| format!("read_all: {e}"))?;
    for (expected, e) in log.iter().enumerate() {
        if e.global_position != expected as u64 {
            return Err(format!(
                "log has a gap: position {expected} holds {}",
                e.global_position
            ));
        }
        let (cycle, i, k) = (
            e.payload["cycle"].as_u64(),
            e.payload["i"].as_u64(),
            e.payload["k"].as_u64(),
        );
        let intact = match (cycle, i, k) {
            (Some(c), Some(i), Some(k)) => e.payload["check"].as_u64() == Some(check(c, i, k)),
            _ => false,
        };
        if !intact {
            return Err(format!("event {expected} is damaged: {}", e.payload));
        }
    }
    let last = store.last_position().map_err(|e| e.to_string())?;
    if last != (log.len() as u64).checked_sub(1) {
        return Err(format!(
            "last_position {last:?} but the log has {} events",
            log.len()
        ));
    }
    for ack in acked {
        let Some(e) = log.get(ack.position as usize) else {
            return Err(format!("acknowledged event {} is missing", ack.position));
        };
        let same = e.stream.name() == ack.stream
            && e.stream_version == ack.version
            && e.payload["cycle"].as_u64() == Some(ack.cycle)
            && e.payload["i"].as_u64() == Some(ack.i)
            && e.payload["k"].as_u64() == Some(ack.k);
        if !same {
            return Err(format!("acknowledged {ack:?} but the store holds {e:?}"));
        }
    }
    let heads = store.heads().map_err(|e| e.to_string())?;
    let mut by_stream: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    for e in &log {
        by_stream
            .entry(e.stream.name())
            .or_default()
            .push(e.stream_version);
    }
    if heads.len() != by_stream.len() {
        return Err(format!(
            "{} heads for {} streams",
            heads.len(),
            by_stream.len()
        ));
    }
    for (name, versions) in by_stream {
        let stream: StreamId = name.parse().map_err(|e| format!("{e}"))?;
        if versions != (0..versions.len() as u64).collect::<Vec<_>>() {
            return Err(format!("stream {name} has versions {versions:?}"));
        }
        if heads.get(&stream) != Some(&(versions.len() as u64)) {
            return Err(format!(
                "version of {name} is {:?}, but it holds {} events",
                heads.get(&stream),
                versions.len()
            ));
        }
        let read = store.read_stream(&stream, 0).map_err(|e| e.to_string())?;
        if read.len() != versions.len() {
            return Err(format!("read_stream({name}) returns {} events", read.len()));
        }
    }
    Ok(())
}
