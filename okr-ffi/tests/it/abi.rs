//! The ABI driven from Rust through the extern functions: bad input of every kind (exact
//! code and a message naming the problem), the closed handle, threads, and schema drift.

use std::ffi::CStr;
use std::ptr;

use okr_ffi::*;
use serde_json::{json, Value};

pub(crate) const MASTER: &str = "00000000-0000-0000-0000-000000000001";
pub(crate) const MEMBER: &str = "00000000-0000-0000-0000-000000000003";
pub(crate) const ROOT: &str = "00000000-0000-0000-0000-000000000100";
pub(crate) const CYCLE: &str = "00000000-0000-0000-0000-000000000200";

/// What one call returned.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) code: okr_result,
    pub(crate) out: Option<String>,
    pub(crate) message: String,
}

impl Reply {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_str(self.out.as_deref().expect("an output")).expect("output JSON")
    }

    pub(crate) fn message_json(&self) -> Value {
        serde_json::from_str(&self.message).expect("the message is JSON")
    }

    #[track_caller]
    pub(crate) fn expect(&self, code: okr_result, needles: &[&str]) {
        assert_eq!(self.code, code, "{self:?}");
        assert!(self.out.is_none(), "no output on failure: {self:?}");
        for n in needles {
            assert!(
                self.message.contains(n),
                "message lacks {n:?}: {}",
                self.message
            );
        }
    }
}

/// Collects output and error of a call and frees both.
pub(crate) fn finish(code: okr_result, out: *mut okr_bytes, err: *mut okr_error) -> Reply {
    // SAFETY: `out` and `err` are NULL or fresh objects of this library, freed once here.
    unsafe {
        let reply = Reply {
            code,
            out: out
                .as_ref()
                .map(|b| String::from_utf8(b.as_slice().to_vec()).expect("UTF-8 output")),
            message: CStr::from_ptr(okr_error_message(err))
                .to_str()
                .expect("UTF-8 message")
                .to_owned(),
        };
        assert_eq!(
            okr_error_code(err),
            if err.is_null() { okr_result::Ok } else { code }
        );
        okr_bytes_free(out);
        okr_error_free(err);
        reply
    }
}

pub(crate) struct Engine(pub(crate) *mut okr_engine);

// SAFETY: okr_engine is Send + Sync; the pointer is only freed in Drop.
unsafe impl Send for Engine {}
// SAFETY: as above.
unsafe impl Sync for Engine {}

impl Engine {
    pub(crate) fn open(path: &str, options: &str) -> Result<Engine, Reply> {
        let (mut engine, mut err) = (ptr::null_mut(), ptr::null_mut());
        // SAFETY: valid pointers for the call.
        let code = unsafe {
            okr_engine_open(
                path.as_ptr(),
                path.len(),
                options.as_ptr(),
                options.len(),
                &mut engine,
                &mut err,
            )
        };
        if code == okr_result::Ok {
            assert!(err.is_null());
            Ok(Engine(engine))
        } else {
            assert!(engine.is_null());
            Err(finish(code, ptr::null_mut(), err))
        }
    }

    pub(crate) fn memory() -> Engine {
        Engine::open(":memory:", "").expect("open in memory")
    }

    pub(crate) fn execute_bytes(&self, input: &[u8]) -> Reply {
        let (mut out, mut err) = (ptr::null_mut(), ptr::null_mut());
        // SAFETY: valid pointers for the call.
        let code =
            unsafe { okr_engine_execute(self.0, input.as_ptr(), input.len(), &mut out, &mut err) };
        finish(code, out, err)
    }

    pub(crate) fn execute(&self, command: &Value) -> Reply {
        self.execute_bytes(command.to_string().as_bytes())
    }

    pub(crate) fn query(&self, query: &Value) -> Reply {
        let input = query.to_string();
        let (mut out, mut err) = (ptr::null_mut(), ptr::null_mut());
        // SAFETY: valid pointers for the call.
        let code =
            unsafe { okr_engine_query(self.0, input.as_ptr(), input.len(), &mut out, &mut err) };
        finish(code, out, err)
    }

    pub(crate) fn batch(&self, batch: &Value) -> Reply {
        let input = batch.to_string();
        let (mut out, mut err) = (ptr::null_mut(), ptr::null_mut());
        // SAFETY: valid pointers for the call.
        let code = unsafe {
            okr_engine_execute_batch(self.0, input.as_ptr(), input.len(), &mut out, &mut err)
        };
        finish(code, out, err)
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        // SAFETY: the handle came from okr_engine_open and is freed once.
        unsafe { okr_engine_close(self.0) }
    }
}

pub(crate) fn command(n: u32, actor: &str, at: &str, body: Value) -> Value {
    json!({
        "version": 1,
        "envelope": {
            "command_id": format!("00000000-0000-0000-0001-{n:012}"),
            "actor": actor,
            "at": at,
        },
        "body": body,
    })
}

/// An organisation with an OkrMaster and a member, and a cycle in Planning.
pub(crate) fn planned() -> Engine {
    let e = Engine::memory();
    let t = "2025-01-02T09:00:00Z";
    let bodies = [
        json!({"type": "define_unit", "unit": ROOT, "name": "Federation", "kind": "organisation"}),
        json!({"type": "register_person", "person": MASTER, "name": "Alex"}),
        json!({"type": "grant_membership", "unit": ROOT, "person": MASTER, "role": "okr_master"}),
        json!({"type": "register_person", "person": MEMBER, "name": "Mo"}),
        json!({"type": "grant_membership", "unit": ROOT, "person": MEMBER, "role": "member"}),
        json!({"type": "plan_cycle", "cycle": CYCLE, "name": "2025-Q1", "kind": "regular",
               "start": "2025-01-06", "end": "2025-03-28", "check_in_weekday": "Mon"}),
    ];
    for (n, body) in bodies.into_iter().enumerate() {
        let r = e.execute(&command(n as u32 + 1, MASTER, t, body));
        assert_eq!(r.code, okr_result::Ok, "{r:?}");
    }
    e
}

fn begin_retrospective(n: u32, actor: &str) -> Value {
    command(
        n,
        actor,
        "2025-01-06T08:00:00Z",
        json!({"type": "begin_retrospective", "cycle": CYCLE}),
    )
}

#[test]
fn null_arguments_are_named() {
    let e = Engine::memory();
    let input = br#"{"query":"position"}"#;
    let (mut out, mut err) = (ptr::null_mut(), ptr::null_mut());
    // SAFETY: the NULL arguments are what is tested; the others are valid.
    unsafe {
        let code = okr_engine_query(ptr::null(), input.as_ptr(), input.len(), &mut out, &mut err);
        finish(code, out, err).expect(okr_result::NullArgument, &["`engine`"]);
        let code = okr_engine_query(e.0, input.as_ptr(), input.len(), ptr::null_mut(), &mut err);
        finish(code, ptr::null_mut(), err).expect(okr_result::NullArgument, &["`out`"]);
        let code = okr_engine_query(e.0, ptr::null(), 5, &mut out, &mut err);
        finish(code, out, err).expect(okr_result::NullArgument, &["`json`"]);
        let code = okr_engine_open(
            ptr::null(),
            0,
            ptr::null(),
            0,
            &mut ptr::null_mut(),
            &mut err,
        );
        finish(code, ptr::null_mut(), err).expect(okr_result::NullArgument, &["`path`"]);
        let code = okr_engine_import(ptr::null(), ptr::null(), 0, &mut err);
        finish(code, ptr::null_mut(), err).expect(okr_result::NullArgument, &["`engine`"]);
        let code = okr_engine_export(ptr::null(), &mut out, &mut err);
        finish(code, out, err).expect(okr_result::NullArgument, &["`engine`"]);
        let code = okr_engine_events_since(ptr::null(), 0, 1, &mut out, &mut err);
        finish(code, out, err).expect(okr_result::NullArgument, &["`engine`"]);
        // No err_out: the code alone.
        let code = okr_engine_execute(ptr::null(), ptr::null(), 0, &mut out, ptr::null_mut());
        assert_eq!(code, okr_result::NullArgument);
        assert!(out.is_null());
        // NULL with length 0 is the empty input: not JSON.
        let code = okr_engine_execute(e.0, ptr::null(), 0, &mut out, &mut err);
        finish(code, out, err).expect(okr_result::MalformedJson, &["EOF"]);
    }
}

#[test]
fn invalid_utf8_names_the_offset() {
    let e = Engine::memory();
    e.execute_bytes(b"{\"version\":1,\"x\":\"\xff\"}")
        .expect(okr_result::InvalidUtf8, &["`json`", "offset 18"]);
}

#[test]
fn invalid_utf8_in_path_and_import() {
    let path = b"/tmp/okr-\xc3(";
    let (mut engine, mut err) = (ptr::null_mut(), ptr::null_mut());
    // SAFETY: valid pointers for the call.
    let code = unsafe {
        okr_engine_open(
            path.as_ptr(),
            path.len(),
            ptr::null(),
            0,
            &mut engine,
            &mut err,
        )
    };
    finish(code, ptr::null_mut(), err).expect(okr_result::InvalidUtf8, &["`path`", "offset 9"]);
    let e = Engine::memory();
    let data = b"{}\n\xfe";
    // SAFETY: valid pointers for the call.
    let code = unsafe { okr_engine_import(e.0, data.as_ptr(), data.len(), &mut err) };
    finish(code, ptr::null_mut(), err).expect(okr_result::InvalidUtf8, &["`data`", "offset 3"]);
}

#[test]
fn malformed_json_gives_line_and_column() {
    let e = Engine::memory();
    e.execute_bytes(b"{\"version\":1,\n  \"envelope\": }")
        .expect(okr_result::MalformedJson, &["line 2 column 15"]);
    e.execute_bytes(b"")
        .expect(okr_result::MalformedJson, &["EOF"]);
    e.query(&json!([1, 2])).expect(
        okr_result::InvalidQuery,
        &["expected a JSON object, found an array"],
    );
}

#[test]
fn unknown_command_type_is_named() {
    let e = planned();
    let r = e.execute(&command(
        50,
        MASTER,
        "2025-01-03T09:00:00Z",
        json!({"type": "launch_rocket", "cycle": CYCLE}),
    ));
    r.expect(
        okr_result::InvalidCommand,
        &["`body.type`", "unknown variant `launch_rocket`"],
    );
}

#[test]
fn missing_and_wrong_fields_are_named() {
    let e = planned();
    let r = e.execute(&command(
        50,
        MASTER,
        "2025-01-03T09:00:00Z",
        json!({"type": "plan_cycle", "name": "x", "kind": "regular",
               "start": "2025-04-01", "end": "2025-06-30", "check_in_weekday": "Mon"}),
    ));
    r.expect(
        okr_result::InvalidCommand,
        &["at `body.cycle`", "missing field `cycle`"],
    );
    let r = e.execute(&command(
        51,
        MASTER,
        "2025-01-03T09:00:00Z",
        json!({"type": "start_cycle", "cycle": "not-a-uuid"}),
    ));
    r.expect(
        okr_result::InvalidCommand,
        &["at `body.cycle`", "UUID parsing failed"],
    );
    let r = e.execute(&json!({"version": 1, "body": {"type": "start_cycle", "cycle": CYCLE}}));
    r.expect(okr_result::InvalidCommand, &["missing field `envelope`"]);
    let r = e.execute(&command(
        52,
        MASTER,
        "2025-01-03T09:00:00Z",
        json!({"type": "start_cycle", "cycle": CYCLE, "colour": "red"}),
    ));
    r.expect(
        okr_result::InvalidCommand,
        &["at `body.colour`", "unknown field `colour`"],
    );
}

#[test]
fn other_versions_are_refused() {
    let e = planned();
    let mut c = command(
        50,
        MASTER,
        "2025-01-03T09:00:00Z",
        json!({"type": "start_cycle", "cycle": CYCLE}),
    );
    c["version"] = json!(2);
    e.execute(&c)
        .expect(okr_result::Version, &["version 2", "reads version 1"]);
    e.query(&json!({"version": "1", "query": "position"}))
        .expect(okr_result::Version, &["version \"1\""]);
    // Absent means 1.
    let r = e.query(&json!({"query": "position"}));
    assert_eq!(r.code, okr_result::Ok, "{r:?}");
    assert_eq!(
        r.json(),
        json!({"version": 1, "query": "position", "position": 5})
    );
}

#[test]
fn wrong_phase_is_rejected_with_the_rejection_as_json() {
    let e = planned();
    let r = e.execute(&begin_retrospective(50, MASTER));
    r.expect(okr_result::Rejected, &["wrong_phase"]);
    let m = r.message_json();
    assert_eq!(m["version"], 1);
    assert_eq!(m["rejection"], "wrong_phase");
    assert_eq!(m["phase"], "planning");
    assert_eq!(m["allowed"], json!(["review"]));
    assert!(m["message"].as_str().unwrap().contains("planning"), "{m}");
}

#[test]
fn unauthorized_actor_is_rejected() {
    let e = planned();
    let r = e.execute(&command(
        50,
        MEMBER,
        "2025-01-03T09:00:00Z",
        json!({"type": "plan_cycle", "cycle": "00000000-0000-0000-0000-000000000201",
               "name": "2025-Q2", "kind": "regular", "start": "2025-04-01",
               "end": "2025-06-30", "check_in_weekday": "Mon"}),
    ));
    r.expect(okr_result::Rejected, &["unauthorized", MEMBER]);
    let m = r.message_json();
    assert_eq!(m["rejection"], "unauthorized");
    assert_eq!(m["actor"], MEMBER);
    // Nothing was written.
    let p = e.query(&json!({"query": "position"}));
    assert_eq!(p.json()["position"], 5);
}

#[test]
fn rule_violation_names_the_rule() {
    let e = planned();
    let r = e.execute(&command(
        50,
        MASTER,
        "2025-01-06T08:00:00Z",
        json!({"type": "start_cycle", "cycle": CYCLE}),
    ));
    r.expect(okr_result::Rejected, &["start-needs-committed-objective"]);
    assert_eq!(r.message_json()["rule"], "start-needs-committed-objective");
}

#[test]
fn a_batch_is_all_or_nothing_and_names_the_refused_index() {
    let e = planned();
    let ok = command(
        60,
        MASTER,
        "2025-01-03T09:00:00Z",
        json!({"type": "register_person", "person": "00000000-0000-0000-0000-000000000009", "name": "Kim"}),
    );
    let bad = begin_retrospective(61, MASTER);
    let mut commands = vec![ok.clone(), bad];
    for c in &mut commands {
        c.as_object_mut().unwrap().remove("version");
    }
    let r = e.batch(&json!({"version": 1, "commands": commands}));
    r.expect(okr_result::Rejected, &["\"index\":1"]);
    assert_eq!(e.query(&json!({"query": "position"})).json()["position"], 5);
    let mut ok = ok;
    ok.as_object_mut().unwrap().remove("version");
    let r = e.batch(&json!({"version": 1, "commands": [ok]}));
    assert_eq!(r.code, okr_result::Ok, "{r:?}");
    assert_eq!(r.json()["outcomes"][0]["positions"], json!([6]));
}

#[test]
fn verify_reports_the_chain_and_export_carries_it() {
    let e = Engine::memory();
    let verify = |e: &Engine| {
        let (mut out, mut err) = (ptr::null_mut(), ptr::null_mut());
        // SAFETY: valid pointers for the call.
        let code = unsafe { okr_engine_verify(e.0, &mut out, &mut err) };
        finish(code, out, err)
    };
    let empty = verify(&e).json();
    assert_eq!(
        empty,
        json!({"version": 1, "events": 0, "head": null, "intact": true, "broken": null})
    );
    for n in 1..=3 {
        let c = command(
            n,
            MASTER,
            "2025-01-02T09:00:00Z",
            json!({"type": "register_person", "person": format!("00000000-0000-0000-0000-00000000010{n}"), "name": format!("P{n}")}),
        );
        assert_eq!(e.execute(&c).code, okr_result::Ok);
    }
    let report = verify(&e).json();
    assert_eq!(report["intact"], true, "{report}");
    assert_eq!(report["events"], 3);
    let (mut out, mut err) = (ptr::null_mut(), ptr::null_mut());
    // SAFETY: valid pointers for the call.
    let code = unsafe { okr_engine_export(e.0, &mut out, &mut err) };
    let export = finish(code, out, err);
    let text = export.out.expect("an export");
    let last: Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    // Names are sealed in the store and open in the export, whose lines carry the chain
    // over what they hold; the store's head is the chain over the sealed bytes.
    assert_ne!(last["hash"], report["head"]);
    assert_eq!(last["hash"].as_str().unwrap().len(), 64);
    assert!(text.contains("\"P3\"") && !text.contains("okr:sealed:"));
    let mut err = ptr::null_mut();
    // SAFETY: a NULL `out` is what is tested; `err` is valid.
    let code = unsafe { okr_engine_verify(e.0, ptr::null_mut(), &mut err) };
    finish(code, ptr::null_mut(), err).expect(okr_result::NullArgument, &["`out`"]);
}

#[test]
fn a_repeated_command_id_is_a_duplicate() {
    let e = Engine::memory();
    let c = command(
        1,
        MASTER,
        "2025-01-02T09:00:00Z",
        json!({"type": "define_unit", "unit": ROOT, "name": "Federation", "kind": "organisation"}),
    );
    let first = e.execute(&c).json();
    assert_eq!(first["duplicate"], false);
    let again = e.execute(&c).json();
    assert_eq!(again["duplicate"], true);
    assert_eq!(again["positions"], first["positions"]);
    // The same id for another command is a conflict (code 18), naming the id.
    let other = command(
        1,
        MASTER,
        "2025-01-02T09:00:00Z",
        json!({"type": "define_unit", "unit": ROOT, "name": "Another", "kind": "organisation"}),
    );
    e.execute(&other).expect(
        okr_result::Conflict,
        &[
            "already used for another command",
            "00000000-0000-0000-0001-000000000001",
        ],
    );
    e.batch(&json!({"version": 1, "commands": [other]}))
        .expect(okr_result::Conflict, &["command 0 of the batch"]);
    assert_eq!(okr_result::Conflict as u32, 18);
}

#[test]
fn queries_refuse_bad_parameters() {
    let e = planned();
    e.query(&json!({"query": "weather"}))
        .expect(okr_result::InvalidQuery, &["unknown variant `weather`"]);
    e.query(&json!({"query": "rollup"}))
        .expect(okr_result::InvalidQuery, &["missing field `cycle`"]);
    e.query(&json!({"query": "rollup", "cycle": "00000000-0000-0000-0000-000000000999"}))
        .expect(
            okr_result::NotFound,
            &["unknown cycle 00000000-0000-0000-0000-000000000999"],
        );
    e.query(&json!({"query": "as_of", "position": 99}))
        .expect(okr_result::NotFound, &["position 99 is beyond the end"]);
    e.query(&json!({"query": "as_of"})).expect(
        okr_result::InvalidQuery,
        &["exactly one of `position` and `at`"],
    );
    e.query(&json!({"query": "rescore", "cycle": CYCLE, "policy": "generous"}))
        .expect(okr_result::InvalidQuery, &["`generous`"]);
    let r = e.query(&json!({"query": "lints", "cycle": CYCLE, "at": "2025-01-03T00:00:00Z"}));
    assert_eq!(r.code, okr_result::Ok, "{r:?}");
    let r = e.query(&json!({"query": "state"}));
    assert_eq!(r.json()["state"]["cycles"][CYCLE]["phase"], "planning");
    let r = e.query(&json!({"query": "as_of", "at": "2025-01-01T00:00:00Z", "cycle": CYCLE}));
    r.expect(okr_result::NotFound, &["unknown cycle"]);
}

#[test]
fn open_refuses_bad_options_and_missing_stores() {
    Engine::open(":memory:", r#"{"durability":"sometimes"}"#)
        .err()
        .expect("refused")
        .expect(okr_result::InvalidOptions, &["`durability`", "sometimes"]);
    Engine::open(":memory:", r#"{"snapshots":3}"#)
        .err()
        .expect("refused")
        .expect(okr_result::InvalidOptions, &["unknown field `snapshots`"]);
    Engine::open(":memory:", r#"{"version":3}"#)
        .err()
        .expect("refused")
        .expect(okr_result::Version, &["version 3"]);
    Engine::open("", "")
        .err()
        .expect("refused")
        .expect(okr_result::InvalidArgument, &["`path` is empty"]);
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope");
    Engine::open(missing.to_str().unwrap(), r#"{"create_if_missing":false}"#)
        .err()
        .expect("refused")
        .expect(okr_result::NotFound, &["nope"]);
    let path = dir.path().join("store");
    let e = Engine::open(
        path.to_str().unwrap(),
        r#"{"version":1,"durability":"periodic:50","snapshot_every":2}"#,
    )
    .expect("opens on disk");
    drop(e);
}

#[test]
fn a_shut_down_handle_answers_closed() {
    let e = planned();
    let mut err = ptr::null_mut();
    // SAFETY: a live handle; shutting down twice is allowed.
    unsafe {
        assert_eq!(okr_engine_shutdown(e.0, &mut err), okr_result::Ok);
        assert_eq!(okr_engine_shutdown(e.0, &mut err), okr_result::Ok);
    }
    assert!(err.is_null());
    e.execute(&begin_retrospective(70, MASTER))
        .expect(okr_result::Closed, &["closed", "okr_engine_shutdown"]);
    e.query(&json!({"query": "position"}))
        .expect(okr_result::Closed, &["closed"]);
}

#[test]
fn a_store_reopens_after_shutdown_with_its_events() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store");
    let path = path.to_str().unwrap();
    let e = Engine::open(path, r#"{"durability":"none"}"#).unwrap();
    let c = command(
        1,
        MASTER,
        "2025-01-02T09:00:00Z",
        json!({"type": "define_unit", "unit": ROOT, "name": "Federation", "kind": "organisation"}),
    );
    assert_eq!(e.execute(&c).code, okr_result::Ok);
    // SAFETY: a live handle.
    unsafe { assert_eq!(okr_engine_shutdown(e.0, ptr::null_mut()), okr_result::Ok) };
    let again = Engine::open(path, "").unwrap();
    assert_eq!(
        again.query(&json!({"query": "position"})).json()["position"],
        0
    );
}

#[test]
fn threads_share_one_engine() {
    let e = planned();
    std::thread::scope(|s| {
        for t in 0..4u32 {
            let e = &e;
            s.spawn(move || {
                for i in 0..10u32 {
                    let person = format!("00000000-0000-0000-0002-{:012}", t * 100 + i);
                    let r = e.execute(&command(
                        1000 + t * 100 + i,
                        MASTER,
                        "2025-01-03T09:00:00Z",
                        json!({"type": "register_person", "person": person, "name": "P"}),
                    ));
                    assert_eq!(r.code, okr_result::Ok, "{r:?}");
                    let q = e.query(&json!({"query": "state"}));
                    assert_eq!(q.code, okr_result::Ok);
                }
            });
        }
    });
    assert_eq!(
        e.query(&json!({"query": "position"})).json()["position"],
        45
    );
    let mut out = ptr::null_mut();
    // SAFETY: valid pointers.
    let code = unsafe { okr_engine_events_since(e.0, 40, 3, &mut out, ptr::null_mut()) };
    let page = finish(code, out, ptr::null_mut()).json();
    assert_eq!(page["events"].as_array().unwrap().len(), 3);
    assert_eq!(page["next_position"], 43);
    assert_eq!(
        page["events"][0]["event"]["body"]["type"],
        "person_registered"
    );
}

#[test]
fn schemas_are_up_to_date() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schema");
    let bless = std::env::var_os("OKR_BLESS").is_some();
    let mut stale = Vec::new();
    for (name, text) in okr_ffi::schema::rendered() {
        let path = dir.join(name);
        if bless {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, &text).unwrap();
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            stale.push(name);
        }
    }
    assert!(
        stale.is_empty(),
        "schema files out of date with the Rust types: {stale:?}.\n\
         Regenerate them with: OKR_BLESS=1 cargo test -p okr-ffi"
    );
}

#[test]
fn the_alignment_query_shows_contributions_beside_the_objective() {
    let e = planned();
    let team = "00000000-0000-0000-0000-000000000101";
    let lead = "00000000-0000-0000-0000-000000000004";
    let (parent, child) = (
        "00000000-0000-0000-0000-000000000300",
        "00000000-0000-0000-0000-000000000301",
    );
    let t = "2025-01-03T09:00:00Z";
    let steps = [
        (
            MASTER,
            json!({"type": "define_unit", "unit": team, "name": "Permits", "kind": "team", "parent": ROOT}),
        ),
        (
            MASTER,
            json!({"type": "register_person", "person": lead, "name": "Lee"}),
        ),
        (
            MASTER,
            json!({"type": "grant_membership", "unit": team, "person": lead, "role": "lead"}),
        ),
        (
            MEMBER,
            json!({"type": "draft_objective", "cycle": CYCLE, "objective": parent, "unit": ROOT,
                        "title": "Residents get permits faster", "kind": "committed"}),
        ),
        (
            lead,
            json!({"type": "draft_objective", "cycle": CYCLE, "objective": child, "unit": team,
                      "title": "Applicants find the form at once", "kind": "committed"}),
        ),
        (
            lead,
            json!({"type": "align_objective", "objective": child, "parent": parent, "contribution": 1}),
        ),
        (
            lead,
            json!({"type": "add_key_result", "objective": child,
                      "key_result": "00000000-0000-0000-0000-000000000401", "title": "Found at once",
                      "kind": {"type": "increase", "baseline": 0.0, "target": 10.0, "unit": "%"}}),
        ),
        (
            lead,
            json!({"type": "commit_objective", "objective": child}),
        ),
        (
            lead,
            json!({"type": "link_dependency", "objective": child, "depends_on": parent}),
        ),
    ];
    for (n, (actor, body)) in steps.into_iter().enumerate() {
        let r = e.execute(&command(100 + n as u32, actor, t, body));
        assert_eq!(r.code, okr_result::Ok, "{r:?}");
    }
    let r = e.query(&json!({"query": "alignment", "cycle": CYCLE}));
    assert_eq!(r.code, okr_result::Ok, "{r:?}");
    let v = r.json();
    assert_eq!(v["query"], "alignment");
    let p = &v["alignment"][parent];
    assert_eq!(
        p["rolled_in"], false,
        "alignment is for transparency by default"
    );
    assert_eq!(p["contributions"][0]["objective"], child);
    assert_eq!(p["contributions"][0]["contribution"], 1);
    assert_eq!(p["needed_by"][0], child);
    assert_eq!(v["alignment"][child]["depends_on"][0], parent);
    e.query(&json!({"query": "alignment", "cycle": "00000000-0000-0000-0000-000000000999"}))
        .expect(okr_result::NotFound, &["unknown cycle"]);
}
