//! The calls and checks added to complete the ABI: strict input (versions, repeated keys,
//! full paths, limits), flush, validate, report, stats, cycles, events at the ends of the
//! log, subscriptions, and paths the store cannot take.

use std::ptr;

use okr_ffi::*;
use serde_json::{json, Value};

use crate::abi::{command, finish, planned, Engine, Reply, CYCLE, MASTER};

impl Engine {
    pub(crate) fn validate(&self, command: &Value) -> Reply {
        let input = command.to_string();
        let (mut out, mut err) = (ptr::null_mut(), ptr::null_mut());
        // SAFETY: valid pointers for the call.
        let code =
            unsafe { okr_engine_validate(self.0, input.as_ptr(), input.len(), &mut out, &mut err) };
        finish(code, out, err)
    }

    pub(crate) fn events_since(&self, position: u64, max: usize) -> Reply {
        let (mut out, mut err) = (ptr::null_mut(), ptr::null_mut());
        // SAFETY: valid pointers for the call.
        let code = unsafe { okr_engine_events_since(self.0, position, max, &mut out, &mut err) };
        finish(code, out, err)
    }

    fn flush(&self) -> okr_result {
        // SAFETY: a live handle; no error wanted.
        unsafe { okr_engine_flush(self.0, ptr::null_mut()) }
    }
}

/// A command the planned organisation accepts: a team below the root, its id from `n`.
fn define_team(n: u32) -> Value {
    command(
        n,
        MASTER,
        "2025-01-06T08:00:00Z",
        json!({"type": "define_unit", "unit": format!("00000000-0000-0000-0002-{n:012}"),
               "name": format!("Team {n}"), "kind": "team", "parent": crate::abi::ROOT}),
    )
}

#[test]
fn version_one_point_zero_is_version_one() {
    let e = planned();
    let mut c = define_team(60);
    c["version"] = json!(1.0);
    let r = e.execute(&c);
    assert_eq!(r.code, okr_result::Ok, "{r:?}");
    e.query(&json!({"version": 1.5, "query": "position"}))
        .expect(okr_result::Version, &["version 1.5"]);
}

#[test]
fn repeated_keys_are_refused_with_their_path() {
    let e = planned();
    let text = format!(
        r#"{{"version":1,"envelope":{{"command_id":"00000000-0000-0000-0001-000000000061","actor":"{MASTER}","at":"2025-01-06T08:00:00Z"}},"body":{{"type":"start_cycle","cycle":"{CYCLE}","cycle":"{CYCLE}"}}}}"#
    );
    e.execute_bytes(text.as_bytes()).expect(
        okr_result::InvalidCommand,
        &["`body.cycle`", "more than once", "line 1"],
    );
    e.query(&json!({"query": "position"})); // the engine is still fine
    let q = br#"{"query":"position","query":"state"}"#;
    let (mut out, mut err) = (ptr::null_mut(), ptr::null_mut());
    // SAFETY: valid pointers for the call.
    let code = unsafe { okr_engine_query(e.0, q.as_ptr(), q.len(), &mut out, &mut err) };
    finish(code, out, err).expect(okr_result::InvalidQuery, &["`query`", "more than once"]);
}

#[test]
fn errors_inside_the_body_name_the_full_path() {
    let e = planned();
    let r = e.execute(&command(
        62,
        MASTER,
        "2025-01-06T08:00:00Z",
        json!({"type": "check_in", "key_result": CYCLE, "value": 3, "confidence": 256}),
    ));
    r.expect(
        okr_result::InvalidCommand,
        &["at `body.confidence`", "integer `256`, expected u8"],
    );
    let r = e.execute(&command(
        63,
        MASTER,
        "2025-01-06T08:00:00Z",
        json!({"type": "check_in", "key_result": CYCLE, "value": "three", "confidence": 5}),
    ));
    r.expect(
        okr_result::InvalidCommand,
        &["at `body.value`", "\"three\""],
    );
}

#[test]
fn a_batch_command_may_carry_version_one_only() {
    let e = planned();
    let mut c = define_team(64);
    let ok = e.batch(&json!({"version": 1, "commands": [c.clone()]}));
    assert_eq!(ok.code, okr_result::Ok, "{ok:?}");
    c["version"] = json!(2);
    c["envelope"]["command_id"] = json!("00000000-0000-0000-0001-000000000065");
    e.batch(&json!({"commands": [c]}))
        .expect(okr_result::Version, &["at `commands[0]`", "version 2"]);
}

#[test]
fn size_limits_are_enforced_with_too_large() {
    let e = planned();
    let long = "x".repeat(10_001);
    let r = e.execute(&command(
        66,
        MASTER,
        "2025-01-06T08:00:00Z",
        json!({"type": "rename_unit", "unit": crate::abi::ROOT, "name": long}),
    ));
    r.expect(
        okr_result::TooLarge,
        &["`body.name`", "10001 characters", "at most 10000"],
    );
    let huge = vec![b' '; (1 << 20) + 1];
    e.execute_bytes(&huge)
        .expect(okr_result::TooLarge, &["1048577 bytes", "at most 1048576"]);
    // Exactly at the limit is fine.
    let r = e.execute(&command(
        67,
        MASTER,
        "2025-01-06T08:00:00Z",
        json!({"type": "rename_unit", "unit": crate::abi::ROOT, "name": "y".repeat(10_000)}),
    ));
    assert_eq!(r.code, okr_result::Ok, "{r:?}");
    // SAFETY: okr_result_str returns static strings.
    let text = unsafe { std::ffi::CStr::from_ptr(okr_result_str(19)) };
    assert!(text.to_str().unwrap().contains("limit"));
}

#[test]
fn validate_decides_without_writing() {
    let e = planned();
    let before = e.query(&json!({"query": "position"})).json()["position"].clone();
    let r = e.validate(&define_team(70));
    assert_eq!(r.code, okr_result::Ok, "{r:?}");
    let dry = r.json();
    assert_eq!(dry["version"], 1);
    assert_eq!(dry["duplicate"], false);
    assert_eq!(dry["stream"], "org");
    assert_eq!(dry["events"][0]["body"]["type"], "unit_defined", "{dry}");
    assert_eq!(
        e.query(&json!({"query": "position"})).json()["position"],
        before
    );
    // A refusal is the same as execute's.
    let mut bad = define_team(71);
    bad["envelope"]["actor"] = json!(crate::abi::MEMBER);
    let r = e.validate(&bad);
    assert_eq!(r.code, okr_result::Rejected);
    assert_eq!(r.message_json()["rejection"], "unauthorized");
    // After executing, validating the same id says duplicate.
    assert_eq!(e.execute(&define_team(70)).code, okr_result::Ok);
    let again = e.validate(&define_team(70)).json();
    assert_eq!(again["duplicate"], true);
}

#[test]
fn flush_succeeds_on_every_durability() {
    let dir = tempfile::tempdir().unwrap();
    for (i, d) in ["none", "periodic:50", "sync"].into_iter().enumerate() {
        let path = dir.path().join(format!("s{i}"));
        let e = Engine::open(
            path.to_str().unwrap(),
            &format!(r#"{{"durability":"{d}"}}"#),
        )
        .unwrap();
        assert_eq!(e.flush(), okr_result::Ok);
    }
    assert_eq!(Engine::memory().flush(), okr_result::Ok);
    // SAFETY: NULL engine is refused, not dereferenced.
    assert_eq!(
        unsafe { okr_engine_flush(ptr::null(), ptr::null_mut()) },
        okr_result::NullArgument
    );
}

#[test]
fn events_since_agrees_with_as_of_at_the_ends() {
    let e = planned(); // events 0..=5
    let page = e.events_since(6, 10);
    assert_eq!(page.code, okr_result::Ok);
    assert_eq!(page.json()["events"], json!([]));
    assert_eq!(page.json()["next_position"], 6);
    e.events_since(7, 10)
        .expect(okr_result::NotFound, &["position 7", "beyond the end"]);
    e.events_since(u64::MAX, 10)
        .expect(okr_result::NotFound, &["beyond the end"]);
    e.query(&json!({"query": "as_of", "position": 7}))
        .expect(okr_result::NotFound, &["beyond the end"]);
    e.events_since(0, 0)
        .expect(okr_result::InvalidArgument, &["`max` is 0"]);
    let two = e.events_since(4, 2).json();
    assert_eq!(two["events"].as_array().unwrap().len(), 2);
    assert_eq!(two["next_position"], 6);
    let empty = Engine::memory().events_since(0, 5).json();
    assert_eq!(empty["next_position"], 0);
}

#[test]
fn report_stats_and_cycles_are_queries() {
    let e = planned();
    assert_eq!(e.execute(&define_team(80)).code, okr_result::Ok);
    let cycles = e.query(&json!({"query": "cycles"})).json();
    assert_eq!(cycles["cycles"][0]["name"], "2025-Q1", "{cycles}");
    assert_eq!(cycles["cycles"][0]["phase"], "planning");
    let report = e.query(&json!({"query": "report", "cycle": CYCLE})).json();
    assert_eq!(report["query"], "report");
    assert_eq!(report["report"]["cycle"]["name"], "2025-Q1", "{report}");
    let past = e.query(&json!({"query": "report", "cycle": CYCLE, "position": 5}));
    assert_eq!(
        past.json()["report"]["cycle"]["phase"],
        "planning",
        "{past:?}"
    );
    e.query(&json!({"query": "report", "position": 1}))
        .expect(okr_result::NotFound, &["no cycle is running or closed"]);
    e.query(&json!({"query": "report", "position": 1, "at": "2025-01-01T00:00:00Z"}))
        .expect(okr_result::InvalidQuery, &["at most one"]);
    let stats = e
        .query(&json!({"query": "stats", "include_practice": true}))
        .json();
    assert_eq!(stats["stats"]["include_practice"], true, "{stats}");
    assert_eq!(stats["stats"]["cycles"], json!([]));
    // By unit, never by person: a unit needs 5 members for a row unless the query says.
    assert_eq!(stats["stats"]["min_unit_members"], 5, "{stats}");
    let stats = e
        .query(&json!({"query": "stats", "min_unit_members": 1}))
        .json();
    assert_eq!(stats["stats"]["min_unit_members"], 1, "{stats}");
    assert_eq!(stats["stats"]["units"], json!([]), "no closed cycle yet");
    e.query(&json!({"query": "stats", "min_unit_members": -1}))
        .expect(okr_result::InvalidQuery, &["min_unit_members"]);
    let maturity = e.query(&json!({"query": "maturity"})).json();
    assert_eq!(maturity["query"], "maturity", "{maturity}");
    assert_eq!(maturity["cycles"], json!([]), "no closed cycle yet");
}

#[test]
fn a_path_with_a_nul_byte_is_an_invalid_argument() {
    let r = Engine::open("okr\0.db", "").err().expect("refused");
    r.expect(okr_result::InvalidArgument, &["NUL byte at offset 3"]);
}

#[test]
fn a_store_held_by_another_handle_is_a_storage_error_with_the_stores_text() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("held");
    let path = path.to_str().unwrap();
    let _first = Engine::open(path, "").unwrap();
    let r = Engine::open(path, "").err().expect("refused while held");
    assert_eq!(r.code, okr_result::Storage, "{r:?}");
    assert!(r.message.contains(path), "{}", r.message);
}

#[test]
fn a_subscription_delivers_old_and_new_events_once() {
    let e = planned();
    let (mut sub, mut err) = (ptr::null_mut(), ptr::null_mut());
    // SAFETY: valid pointers; the subscription is freed below.
    unsafe {
        assert_eq!(
            okr_engine_subscribe(e.0, 4, &mut sub, &mut err),
            okr_result::Ok
        );
        let poll = |max: usize, timeout: u64| {
            let (mut out, mut err) = (ptr::null_mut(), ptr::null_mut());
            let code = okr_subscription_next(sub, max, timeout, &mut out, &mut err);
            finish(code, out, err)
        };
        let first = poll(1, 0).json();
        assert_eq!(first["events"][0]["position"], 4);
        assert_eq!(first["next_position"], 5);
        let rest = poll(100, 0).json();
        assert_eq!(rest["events"].as_array().unwrap().len(), 1);
        assert_eq!(rest["next_position"], 6);
        let nothing = poll(100, 10).json();
        assert_eq!(nothing["events"], json!([]));
        assert_eq!(nothing["next_position"], 6);
        assert_eq!(e.execute(&define_team(90)).code, okr_result::Ok);
        let live = poll(100, 1000).json();
        assert_eq!(live["events"][0]["event_type"], "unit_defined", "{live}");
        poll(0, 0).expect(okr_result::InvalidArgument, &["`max` is 0"]);
        assert_eq!(okr_engine_shutdown(e.0, ptr::null_mut()), okr_result::Ok);
        poll(10, 10).expect(okr_result::Closed, &["shut down"]);
        okr_subscription_free(sub);
        okr_subscription_free(ptr::null_mut());
        let mut late = ptr::null_mut();
        assert_eq!(
            okr_engine_subscribe(e.0, 0, &mut late, ptr::null_mut()),
            okr_result::Closed
        );
        let other = planned();
        let r = {
            let code = okr_engine_subscribe(other.0, 7, &mut late, &mut err);
            finish(code, ptr::null_mut(), err)
        };
        r.expect(okr_result::NotFound, &["beyond the end"]);
    }
}
