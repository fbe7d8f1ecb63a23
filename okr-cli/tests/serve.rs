//! `okr serve` as a process: started on a free 127.0.0.1 port, talked to over HTTP from Rust
//! (ureq) and from Python (okr-serve/tests/python/test_http.py), stopped with SIGTERM.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value};

const TOKEN: &str = "s3cret-any";
const FIXED: &str = "s3cret-fixed";
const ALEX: &str = "00000000-0000-0000-0000-000000000001";
const MO: &str = "00000000-0000-0000-0000-000000000002";

/// A running `okr serve`, terminated (SIGTERM) and waited for on drop.
pub struct Server {
    child: Option<Child>,
    pub base: String,
    pub dir: PathBuf,
}

/// The SHA-256 of a token as `okr serve --hash-token` prints it.
fn okr_serve_hash(token: &str) -> String {
    let mut child = Command::new(env!("CARGO_BIN_EXE_okr"))
        .args(["serve", "--hash-token"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{token}\n").as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

impl Server {
    pub fn start(dir: &Path, limits: &str) -> Server {
        let config = format!(
            "listen = \"127.0.0.1:0\"\nstore = \"db\"\norganisation = \"kreis-a\"\n{limits}\n\
             [[tokens]]\nname = \"intranet\"\nsha256 = \"{}\"\norganisation = \"kreis-a\"\nacts_for = \"any\"\n\
             [[tokens]]\nname = \"mo-only\"\nsha256 = \"{}\"\norganisation = \"kreis-a\"\nacts_for = \"{MO}\"\n",
            okr_serve_hash(TOKEN),
            okr_serve_hash(FIXED)
        );
        std::fs::write(dir.join("okr.toml"), config).unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_okr"))
            .args(["serve", "--config"])
            .arg(dir.join("okr.toml"))
            .env("OKR_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let address = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_owned();
        Server {
            child: Some(child),
            base: format!("http://{address}"),
            dir: dir.to_path_buf(),
        }
    }

    /// Sends SIGTERM and waits; returns whether the process exited with 0.
    pub fn stop(&mut self) -> bool {
        let Some(mut child) = self.child.take() else {
            return true;
        };
        let pid = child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        child.wait().map(|s| s.success()).unwrap_or(false)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Status and JSON body of a request.
fn call(method: &str, url: &str, token: Option<&str>, body: Option<&str>) -> (u16, Value) {
    let mut req = ureq::request(method, url).timeout(Duration::from_secs(20));
    if let Some(t) = token {
        req = req.set("Authorization", &format!("Bearer {t}"));
    }
    let resp = match body {
        Some(b) => req.set("Content-Type", "application/json").send_string(b),
        None => req.call(),
    };
    let resp = match resp {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("{method} {url}: {e}"),
    };
    let status = resp.status();
    let text = resp.into_string().unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

fn command(n: u32, actor: &str, body: Value) -> String {
    json!({
        "version": 1,
        "envelope": {"command_id": format!("00000000-0000-0000-0001-{n:012}"), "actor": actor,
                     "at": "2025-01-06T09:00:00Z"},
        "body": body,
    })
    .to_string()
}

fn register(n: u32, person: &str, name: &str) -> String {
    command(
        n,
        ALEX,
        json!({"type": "register_person", "person": person, "name": name}),
    )
}

#[test]
fn tokens_organisations_and_acting_persons() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), "");
    let api = format!("{}/v1/orgs/kreis-a", s.base);
    assert_eq!(
        call("GET", &format!("{}/health", s.base), None, None).0,
        200
    );
    let (status, v) = call("GET", &format!("{}/version", s.base), None, None);
    assert_eq!((status, v["message_version"].clone()), (200, json!(1)));
    let (status, doc) = call("GET", &format!("{}/openapi.json", s.base), None, None);
    assert_eq!((status, doc["openapi"].clone()), (200, json!("3.1.0")));

    let q = r#"{"query":"position"}"#;
    let (status, e) = call("POST", &format!("{api}/query"), None, Some(q));
    assert_eq!(
        (status, e["name"].clone()),
        (401, json!("UNAUTHORIZED")),
        "{e}"
    );
    let (status, _) = call("POST", &format!("{api}/query"), Some("wrong"), Some(q));
    assert_eq!(status, 401);
    let other = format!("{}/v1/orgs/kreis-b/query", s.base);
    let (status, e) = call("POST", &other, Some(TOKEN), Some(q));
    assert_eq!(status, 403, "{e}");
    assert!(e["message"].as_str().unwrap().contains("kreis-a"), "{e}");

    // The fixed-person token may act for Mo only; the engine then judges Mo.
    let (status, e) = call(
        "POST",
        &format!("{api}/commands"),
        Some(FIXED),
        Some(&register(1, ALEX, "Alex")),
    );
    assert_eq!(status, 403, "{e}");
    assert!(
        e["message"].as_str().unwrap().contains("envelope.actor"),
        "{e}"
    );
    let as_mo = command(
        2,
        MO,
        json!({"type": "register_person", "person": MO, "name": "Mo"}),
    );
    let (status, out) = call(
        "POST",
        &format!("{api}/commands"),
        Some(FIXED),
        Some(&as_mo),
    );
    assert_eq!(status, 200, "{out}");
    let (status, e) = call(
        "POST",
        &format!("{api}/batches"),
        Some(FIXED),
        Some(&format!(
            r#"{{"commands":[{as_mo},{}]}}"#,
            register(3, ALEX, "A")
        )),
    );
    assert_eq!(status, 403, "{e}");
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("commands[1].envelope.actor"),
        "{e}"
    );
}

#[test]
fn commands_queries_events_and_errors() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), "");
    let api = format!("{}/v1/orgs/kreis-a", s.base);
    let post =
        |path: &str, body: &str| call("POST", &format!("{api}/{path}"), Some(TOKEN), Some(body));

    let first = register(1, ALEX, "Alex");
    let (status, out) = post("commands", &first);
    assert_eq!(
        (status, out["positions"].clone()),
        (200, json!([0])),
        "{out}"
    );
    // A retry is idempotent.
    let (status, again) = post("commands", &first);
    assert_eq!((status, again["duplicate"].clone()), (200, json!(true)));
    // The same person again is refused by the rules: 422 with the rejection.
    let (status, e) = post("commands", &register(2, ALEX, "Alex"));
    assert_eq!(status, 422, "{e}");
    assert_eq!(e["code"], 5);
    assert_eq!(e["rejection"]["rejection"], "already_exists", "{e}");
    // Bad input names the field inside the body; version 1.0 is 1.
    let bad = command(
        3,
        ALEX,
        json!({"type": "register_person", "person": 7, "name": "X"}),
    );
    let (status, e) = post("commands", &bad);
    assert_eq!(
        (status, e["name"].clone()),
        (400, json!("INVALID_COMMAND")),
        "{e}"
    );
    assert!(
        e["message"].as_str().unwrap().contains("`body.person`"),
        "{e}"
    );
    let long = register(4, MO, &"x".repeat(10_001));
    let (status, e) = post("commands", &long);
    assert_eq!((status, e["code"].clone()), (413, json!(19)), "{e}");
    let (status, e) = post("commands", r#"{"version":1,"version":1}"#);
    assert_eq!(status, 400, "{e}");
    let (status, e) = post("commands", "{");
    assert_eq!((status, e["name"].clone()), (400, json!("MALFORMED_JSON")));

    // Validate writes nothing; a batch is all or nothing.
    let (status, dry) = post("validate", &register(5, MO, "Mo"));
    assert_eq!(
        (status, dry["duplicate"].clone()),
        (200, json!(false)),
        "{dry}"
    );
    let (_, pos) = post("query", r#"{"version":1.0,"query":"position"}"#);
    assert_eq!(pos["position"], 0);
    let (status, e) = post(
        "batches",
        &format!(
            r#"{{"commands":[{},{}]}}"#,
            register(6, MO, "Mo"),
            register(7, MO, "Mo")
        ),
    );
    assert_eq!(status, 422, "{e}");
    assert_eq!(e["rejection"]["index"], 1, "{e}");
    let (status, out) = post(
        "batches",
        &format!(
            r#"{{"commands":[{},{}]}}"#,
            register(6, MO, "Mo"),
            register(8, "00000000-0000-0000-0000-000000000003", "Kim")
        ),
    );
    assert_eq!(status, 200, "{out}");
    assert_eq!(out["outcomes"].as_array().unwrap().len(), 2);

    // Queries: cycles, stats, a report without cycles is 404.
    let (status, c) = post("query", r#"{"query":"cycles"}"#);
    assert_eq!((status, c["cycles"].clone()), (200, json!([])));
    let (status, st) = post("query", r#"{"query":"stats"}"#);
    assert_eq!(status, 200, "{st}");
    assert_eq!(st["stats"]["min_unit_members"], 5, "{st}");
    let (status, st) = post("query", r#"{"query":"stats","min_unit_members":2}"#);
    assert_eq!(
        (status, st["stats"]["min_unit_members"].clone()),
        (200, json!(2)),
        "{st}"
    );
    let (status, e) = post("query", r#"{"query":"report"}"#);
    assert_eq!(
        (status, e["name"].clone()),
        (404, json!("NOT_FOUND")),
        "{e}"
    );
    let (status, e) = post("query", r#"{"query":"nope"}"#);
    assert_eq!((status, e["name"].clone()), (400, json!("INVALID_QUERY")));

    // Events by cursor: 3 events, pages of 2.
    let get = |q: &str| call("GET", &format!("{api}/events?{q}"), Some(TOKEN), None);
    let (status, p1) = get("from=0&limit=2");
    assert_eq!(status, 200);
    assert_eq!(p1["events"].as_array().unwrap().len(), 2);
    let next = p1["next_position"].as_u64().unwrap();
    let (_, p2) = get(&format!("from={next}&limit=2"));
    assert_eq!(p2["events"].as_array().unwrap().len(), 1);
    assert_eq!(p2["next_position"], 3);
    let (_, p3) = get("from=3");
    assert_eq!(p3["events"], json!([]));
    assert_eq!(get("from=4").0, 404);
    assert_eq!(get("limit=0").0, 400);
    assert_eq!(get("from=abc").0, 400);

    // The live feed: catch up from 2, then one new event.
    let resp = ureq::get(&format!("{api}/events/stream?from=2"))
        .set("Authorization", &format!("Bearer {TOKEN}"))
        .timeout(Duration::from_secs(20))
        .call()
        .unwrap();
    assert_eq!(resp.header("content-type"), Some("text/event-stream"));
    let mut lines = BufReader::new(resp.into_reader()).lines();
    let mut next_data = || loop {
        let line = lines.next().unwrap().unwrap();
        if let Some(d) = line.strip_prefix("data: ") {
            return serde_json::from_str::<Value>(d).unwrap();
        }
    };
    assert_eq!(next_data()["position"], 2);
    let (status, _) = post(
        "commands",
        &register(9, "00000000-0000-0000-0000-000000000004", "Lu"),
    );
    assert_eq!(status, 200);
    let live = next_data();
    assert_eq!(live["position"], 3);
    assert_eq!(live["event_type"], "person_registered");
}

#[test]
fn the_rate_per_token_is_limited() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(
        dir.path(),
        "[limits]\nrequests_per_second = 0.5\nburst = 2\n",
    );
    let url = format!("{}/v1/orgs/kreis-a/query", s.base);
    let q = Some(r#"{"query":"position"}"#);
    assert_eq!(call("POST", &url, Some(TOKEN), q).0, 200);
    assert_eq!(call("POST", &url, Some(TOKEN), q).0, 200);
    let resp = ureq::post(&url)
        .set("Authorization", &format!("Bearer {TOKEN}"))
        .send_string(r#"{"query":"position"}"#);
    match resp {
        Err(ureq::Error::Status(429, r)) => {
            assert!(r.header("retry-after").is_some());
        }
        other => panic!("expected 429, got {other:?}"),
    }
    // Another token has its own bucket.
    assert_eq!(call("POST", &url, Some(FIXED), q).0, 200);
}

#[test]
fn sigterm_finishes_requests_and_loses_no_acknowledged_command() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Server::start(dir.path(), "durability = \"none\"\n");
    let api = format!("{}/v1/orgs/kreis-a", s.base);
    let mut acknowledged = 0;
    for n in 0..50u32 {
        let person = format!("00000000-0000-0000-0003-{n:012}");
        let (status, _) = call(
            "POST",
            &format!("{api}/commands"),
            Some(TOKEN),
            Some(&register(100 + n, &person, "P")),
        );
        assert_eq!(status, 200);
        acknowledged += 1;
    }
    assert!(s.stop(), "okr serve exits with 0 on SIGTERM");
    let out = Command::new(env!("CARGO_BIN_EXE_okr"))
        .arg("--store")
        .arg(s.dir.join("db"))
        .args(["export", "-"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap().lines().count(),
        acknowledged
    );
}

#[test]
fn python_http_client() {
    if !on_path("python3") {
        assert!(
            std::env::var_os("CI").is_none(),
            "python3 is required in CI"
        );
        eprintln!("note: python3 not found; skipping the Python HTTP client");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), "");
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../okr-serve/tests/python/test_http.py");
    let out = Command::new("python3")
        .arg(script)
        .arg(&s.base)
        .arg(TOKEN)
        .output()
        .unwrap();
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{text}");
    assert!(text.contains("test_http.py: ok"), "{text}");
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}

#[test]
fn php_http_client() {
    if !on_path("php") {
        assert!(std::env::var_os("CI").is_none(), "php is required in CI");
        eprintln!("note: php not found; skipping the PHP HTTP client (apt-get install php-cli)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), "");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../clients/php/tests/run.php");
    let out = Command::new("php")
        .arg(script)
        .args(["http", &s.base, TOKEN])
        .output()
        .unwrap();
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{text}");
    assert!(text.contains("run.php http: ok"), "{text}");
}
