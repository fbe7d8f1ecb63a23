//! Load bench of `okr serve`: the server is a second process; 16 client threads (each with
//! its own keep-alive connection) send 1 000 commands each over HTTP, every 50th twice (an
//! idempotent retry). Afterwards the log is read back through the API: every command must be
//! there exactly once. Prints p50/p99/max latency and commands per second, next to the peer
//! measured in the same run: the same commands executed in-process on an `Engine` over the
//! same kind of store (sled, durability sync) by as many threads.
//!
//! `cargo bench -p okr-cli --bench serve_load`; sizes with `OKR_LOAD_CLIENTS` and
//! `OKR_LOAD_COMMANDS` (commands per client). On a shared machine the figures are noisy:
//! compare the ratio to the peer, not the absolute numbers.

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

const TOKEN: &str = "bench-token";
const ACTOR: &str = "00000000-0000-0000-0000-000000000001";

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn command(client: usize, i: usize) -> String {
    json!({
        "version": 1,
        "envelope": {"command_id": format!("00000000-0000-0000-{client:04x}-{i:012x}"),
                     "actor": ACTOR, "at": "2025-01-06T09:00:00Z"},
        "body": {"type": "register_person",
                 "person": format!("00000000-0000-0001-{client:04x}-{i:012x}"),
                 "name": format!("Person {client}/{i}")},
    })
    .to_string()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn report(name: &str, mut latencies: Vec<Duration>, total: Duration) {
    latencies.sort();
    let n = latencies.len();
    println!(
        "{name:<28} {n:>6} commands in {:>7.2} s: {:>8.0} commands/s, p50 {:>7.2} ms, p99 {:>7.2} ms, max {:>7.2} ms",
        total.as_secs_f64(),
        n as f64 / total.as_secs_f64(),
        percentile(&latencies, 0.5).as_secs_f64() * 1e3,
        percentile(&latencies, 0.99).as_secs_f64() * 1e3,
        latencies[n - 1].as_secs_f64() * 1e3,
    );
}

fn main() {
    let clients = env("OKR_LOAD_CLIENTS", 16);
    let per_client = env("OKR_LOAD_COMMANDS", 1000);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let hash = {
        use std::io::Write;
        let mut child = Command::new(env!("CARGO_BIN_EXE_okr"))
            .args(["serve", "--hash-token"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("okr serve --hash-token");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(TOKEN.as_bytes())
            .expect("token");
        let out = child.wait_with_output().expect("hash");
        String::from_utf8(out.stdout)
            .expect("UTF-8")
            .trim()
            .to_owned()
    };
    std::fs::write(
        dir.path().join("okr.toml"),
        format!(
            "listen = \"127.0.0.1:0\"\nstore = \"db\"\n[limits]\nrequests_per_second = 1e9\nburst = 1e9\n\
             [[tokens]]\nname = \"bench\"\nsha256 = \"{hash}\"\norganisation = \"default\"\nacts_for = \"any\"\n"
        ),
    )
    .expect("config");
    let mut server = Command::new(env!("CARGO_BIN_EXE_okr"))
        .args(["serve", "--config"])
        .arg(dir.path().join("okr.toml"))
        .env("OKR_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .expect("okr serve");
    let mut line = String::new();
    BufReader::new(server.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("the listening line");
    let base = format!(
        "http://{}/v1/orgs/default",
        line.trim().trim_start_matches("listening on ")
    );
    println!(
        "okr serve at {base}: {clients} clients x {per_client} commands (every 50th sent twice)"
    );

    let base = Arc::new(base);
    let started = Instant::now();
    let threads: Vec<_> = (0..clients)
        .map(|c| {
            let base = Arc::clone(&base);
            std::thread::spawn(move || {
                let agent = ureq::AgentBuilder::new()
                    .timeout(Duration::from_secs(60))
                    .build();
                let url = format!("{base}/commands");
                let mut latencies = Vec::with_capacity(per_client);
                let mut duplicates = 0;
                for i in 0..per_client {
                    let body = command(c, i);
                    let sends = if i % 50 == 49 { 2 } else { 1 };
                    for s in 0..sends {
                        let t = Instant::now();
                        let resp = agent
                            .post(&url)
                            .set("Authorization", &format!("Bearer {TOKEN}"))
                            .send_string(&body)
                            .expect("a command is accepted");
                        let out: Value = resp.into_json().expect("JSON outcome");
                        if s == 0 {
                            latencies.push(t.elapsed());
                            assert_eq!(out["duplicate"], false);
                        } else {
                            assert_eq!(out["duplicate"], true, "a retry is a duplicate");
                            duplicates += 1;
                        }
                    }
                }
                (latencies, duplicates)
            })
        })
        .collect();
    let mut latencies = Vec::new();
    let mut duplicates = 0;
    for t in threads {
        let (l, d) = t.join().expect("a client thread");
        latencies.extend(l);
        duplicates += d;
    }
    let total = started.elapsed();

    // Every command exactly once: read the log back by cursor.
    let agent = ureq::agent();
    let mut ids = HashSet::new();
    let mut events = 0usize;
    let mut from = 0u64;
    loop {
        let page: Value = agent
            .get(&format!("{base}/events?from={from}&limit=10000"))
            .set("Authorization", &format!("Bearer {TOKEN}"))
            .call()
            .expect("events")
            .into_json()
            .expect("JSON page");
        let list = page["events"].as_array().expect("events");
        if list.is_empty() {
            break;
        }
        for e in list {
            events += 1;
            ids.insert(e["command_id"].as_str().expect("command id").to_owned());
        }
        from = page["next_position"].as_u64().expect("next position");
    }
    let _ = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status();
    let _ = server.wait();
    let expected = clients * per_client;
    assert_eq!(events, expected, "one event per command");
    assert_eq!(ids.len(), expected, "every command applied exactly once");
    println!("verified: {expected} commands applied exactly once, {duplicates} retries answered as duplicates");
    report("okr serve (HTTP, 2nd process)", latencies, total);

    // The peer, same run: the same commands in-process on an Engine, as many threads.
    let peer_dir = tempfile::tempdir().expect("a temporary directory");
    let engine = Arc::new(okr_store::Engine::open(peer_dir.path().join("db")).expect("engine"));
    let started = Instant::now();
    let threads: Vec<_> = (0..clients)
        .map(|c| {
            let engine = Arc::clone(&engine);
            std::thread::spawn(move || {
                let mut latencies = Vec::with_capacity(per_client);
                for i in 0..per_client {
                    let cmd: okr_core::Command =
                        okr_wire::parse::command(command(c, i).as_bytes(), "bench")
                            .expect("command");
                    let t = Instant::now();
                    engine.execute(&cmd).expect("executed");
                    latencies.push(t.elapsed());
                }
                latencies
            })
        })
        .collect();
    let mut peer = Vec::new();
    for t in threads {
        peer.extend(t.join().expect("a peer thread"));
    }
    report("peer: Engine in-process", peer, started.elapsed());
}
