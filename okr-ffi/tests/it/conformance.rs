//! The committed JSON Schemas describe what the ABI really reads and writes: the demo's
//! whole history goes in through `okr_engine_execute`, a batch and a dry run, every query
//! is asked of every cycle, the log is read back page by page, the chain is verified and a
//! command is refused — and every input and output is validated against its schema under
//! `schema/` (a schema that refused a real message, or a message its schema does not
//! describe, fails here).

use std::collections::BTreeMap;
use std::ptr;

use okr_ffi::*;
use serde_json::{json, Value};

use crate::abi::{finish, Engine};

/// The committed schemas, compiled, by file name.
struct Schemas(BTreeMap<&'static str, jsonschema::Validator>);

impl Schemas {
    fn load() -> Schemas {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schema");
        let names = [
            "command.json",
            "batch.json",
            "event.json",
            "outcome.json",
            "batch_outcome.json",
            "query.json",
            "query_result.json",
            "events_page.json",
            "rejection.json",
            "options.json",
            "validation.json",
            "verify.json",
        ];
        let mut map = BTreeMap::new();
        for name in names {
            let text = std::fs::read_to_string(dir.join(name)).expect("a committed schema");
            let schema: Value = serde_json::from_str(&text).expect("schema JSON");
            let validator = jsonschema::validator_for(&schema)
                .unwrap_or_else(|e| panic!("schema/{name} does not compile: {e}"));
            map.insert(name, validator);
        }
        Schemas(map)
    }

    /// Fails with every violation when `value` does not conform to `schema/<name>`.
    #[track_caller]
    fn check(&self, name: &str, what: &str, value: &Value) {
        let errors: Vec<String> = self.0[name]
            .iter_errors(value)
            .take(5)
            .map(|e| format!("{e} (at `{}`)", e.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "{what} does not conform to schema/{name}:\n  {}\nvalue: {:.2000}",
            errors.join("\n  "),
            value.to_string()
        );
    }
}

fn message(command: &okr_core::Command) -> Value {
    let mut v = serde_json::to_value(command).expect("a command serialises");
    v.as_object_mut()
        .expect("a command is an object")
        .insert("version".into(), json!(1));
    v
}

#[test]
fn every_message_conforms_to_its_schema() {
    let schemas = Schemas::load();
    schemas.check(
        "options.json",
        "open options",
        &json!({"durability": "none"}),
    );
    let e = Engine::open(":memory:", r#"{"durability":"none"}"#).expect("open");
    let demo = okr_fixtures::demo::Demo::build();
    let (batched, single) = demo.commands.split_at(demo.commands.len().min(50));

    // A batch, then every other command on its own (the last one first as a dry run).
    let batch = json!({"version": 1, "commands": batched});
    schemas.check("batch.json", "the batch", &batch);
    let r = e.batch(&batch);
    assert_eq!(r.code, okr_result::Ok, "{r:?}");
    schemas.check("batch_outcome.json", "the batch outcome", &r.json());
    for (i, command) in single.iter().enumerate() {
        let input = message(command);
        if i == 0 {
            schemas.check("command.json", "a command", &input);
            let dry = e.validate(&input);
            assert_eq!(dry.code, okr_result::Ok, "{dry:?}");
            schemas.check("validation.json", "a dry run", &dry.json());
        }
        let r = e.execute(&input);
        assert_eq!(r.code, okr_result::Ok, "command {i}: {r:?}");
        if i % 97 == 0 || i + 1 == single.len() {
            schemas.check("command.json", "a command", &input);
            schemas.check("outcome.json", "an outcome", &r.json());
        }
    }
    // Every kind of command and event that the demo has, validated once each.
    let mut kinds = BTreeMap::new();
    for command in &demo.commands {
        let input = message(command);
        let kind = input["body"]["type"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        kinds.entry(kind).or_insert(input);
    }
    for (kind, input) in &kinds {
        schemas.check("command.json", &format!("a `{kind}` command"), input);
    }

    // The log, page by page; every event kind.
    let (mut from, mut seen) = (0, 0);
    loop {
        let page = e.events_since(from, 1000);
        assert_eq!(page.code, okr_result::Ok, "{page:?}");
        let page = page.json();
        schemas.check("events_page.json", "a page of events", &page);
        let events = page["events"].as_array().expect("events").clone();
        if events.is_empty() {
            break;
        }
        for recorded in &events {
            schemas.check("event.json", "an event", &recorded["event"]);
        }
        seen += events.len();
        from = page["next_position"].as_u64().expect("next_position");
    }
    let position = e.query(&json!({"version": 1, "query": "position"})).json()["position"].clone();
    assert_eq!(json!(seen - 1), position, "every event was read once");

    // Every query, of every cycle.
    let cycles = e.query(&json!({"version": 1, "query": "cycles"})).json();
    schemas.check("query_result.json", "the cycles", &cycles);
    let ids: Vec<String> = cycles["cycles"]
        .as_array()
        .expect("cycles")
        .iter()
        .map(|c| c["id"].as_str().expect("a cycle id").to_string())
        .collect();
    assert!(ids.len() >= 3, "{cycles}");
    let mut queries = vec![
        json!({"version": 1, "query": "state"}),
        json!({"version": 1, "query": "position"}),
        json!({"version": 1, "query": "stats"}),
        json!({"version": 1, "query": "stats", "include_practice": true}),
        json!({"version": 1, "query": "maturity"}),
        json!({"version": 1, "query": "maturity", "include_practice": true}),
        json!({"version": 1, "query": "report"}),
        json!({"version": 1, "query": "as_of", "position": 10}),
    ];
    for cycle in &ids {
        for name in ["cycle", "rollup", "alignment", "scores", "history"] {
            queries.push(json!({"version": 1, "query": name, "cycle": cycle}));
        }
        queries.push(json!({"version": 1, "query": "rescore", "cycle": cycle, "policy": "v1:unbounded,kr-only,equal"}));
        queries.push(
            json!({"version": 1, "query": "lints", "cycle": cycle, "at": "2025-03-01T12:00:00Z"}),
        );
        queries.push(json!({"version": 1, "query": "report", "cycle": cycle}));
        queries.push(json!({"version": 1, "query": "as_of", "position": 400, "cycle": cycle}));
    }
    for q in &queries {
        schemas.check("query.json", "a query", q);
        let r = e.query(q);
        if r.code == okr_result::NotFound {
            continue; // as_of a cycle that did not exist yet at position 400
        }
        assert_eq!(r.code, okr_result::Ok, "{q}: {r:?}");
        schemas.check(
            "query_result.json",
            &format!("the answer to {q}"),
            &r.json(),
        );
    }

    // The chain, verified.
    let (mut out, mut err) = (ptr::null_mut(), ptr::null_mut());
    // SAFETY: a live handle and valid pointers.
    let code = unsafe { okr_engine_verify(e.0, &mut out, &mut err) };
    let verify = finish(code, out, err);
    assert_eq!(verify.code, okr_result::Ok, "{verify:?}");
    schemas.check("verify.json", "the verify report", &verify.json());

    // A refusal: the first command again under a new id (the unit exists already).
    let mut again = message(&demo.commands[0]);
    again["envelope"]["command_id"] = json!("00000000-0000-0000-00ff-000000000001");
    let r = e.execute(&again);
    assert_eq!(r.code, okr_result::Rejected, "{r:?}");
    schemas.check("rejection.json", "a rejection", &r.message_json());
}
