//! Export and import of the log as JSON Lines, and the committed v1 fixture log that every
//! later version must keep reading.

use std::path::PathBuf;

use okr_core::{rollup, Phase, Role, State};
use okr_store::{Durability, Engine, EngineError};
use serde_json::Value;

use crate::engine::{options, run_all, sled_path};
use crate::scenario::scenario;

fn fixture_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/v1-log.jsonl")
}

fn exported(engine: &Engine) -> String {
    let mut out = Vec::new();
    engine.export(&mut out).unwrap();
    String::from_utf8(out).unwrap()
}

fn scenario_log() -> String {
    let engine = Engine::in_memory();
    run_all(&engine, &scenario().commands);
    exported(&engine)
}

#[test]
fn export_then_import_reproduces_log_and_state() {
    let sc = scenario();
    let engine = Engine::in_memory();
    run_all(&engine, &sc.commands);
    let log = exported(&engine);
    assert_eq!(log.lines().count(), sc.commands.len());
    let (_dir, path) = sled_path();
    let imported = Engine::open_with(&path, options(Durability::Sync, 0)).unwrap();
    assert_eq!(
        imported.import(log.as_bytes()).unwrap(),
        sc.commands.len() as u64
    );
    assert_eq!(imported.read(State::clone), engine.read(State::clone));
    assert_eq!(exported(&imported), log, "byte for byte");
    // Commands keep their ids: a retry after import is a duplicate.
    let retry = imported.execute(&sc.commands[3]).unwrap();
    assert!(retry.duplicate);
    assert_eq!(retry.positions, vec![3]);
    // Importing again into the now non-empty store is refused.
    assert!(matches!(
        imported.import(log.as_bytes()),
        Err(EngineError::ImportIntoNonEmpty { last_position }) if last_position == sc.commands.len() as u64 - 1
    ));
}

/// Imports `log` into a fresh engine and expects the line and a part of the message.
fn assert_bad_line(log: &str, line: usize, contains: &str) {
    let engine = Engine::in_memory();
    match engine.import(log.as_bytes()) {
        Err(EngineError::Import { line: got, detail }) => {
            assert_eq!(got, line, "{detail}");
            assert!(
                detail.contains(contains),
                "{detail:?} should contain {contains:?}"
            );
        }
        other => panic!("expected a bad line {line}, got {other:?}"),
    }
    assert_eq!(engine.position(), None, "nothing imported");
    assert_eq!(engine.events_from(0, 10).unwrap(), vec![]);
}

/// The log with line `n` (from 1) changed by `edit` on its JSON.
fn edit_line(log: &str, n: usize, edit: impl Fn(&mut Value)) -> String {
    log.lines()
        .enumerate()
        .map(|(i, l)| {
            if i + 1 == n {
                let mut v: Value = serde_json::from_str(l).unwrap();
                edit(&mut v);
                serde_json::to_string(&v).unwrap()
            } else {
                l.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn malformed_lines_are_named_and_nothing_is_imported() {
    let log = scenario_log();
    let lines: Vec<&str> = log.lines().collect();
    let mut not_json = lines.clone();
    not_json[4] = "{oops";
    assert_bad_line(&not_json.join("\n"), 5, "not an event");
    let missing = edit_line(&log, 3, |v| {
        v.as_object_mut().unwrap().remove("stream");
    });
    assert_bad_line(&missing, 3, "missing field `stream`");
    let bad_payload = edit_line(&log, 4, |v| v["payload"]["name"] = Value::from(42));
    assert_bad_line(&bad_payload, 4, "payload does not decode");
    let wrong_type = edit_line(&log, 2, |v| v["event_type"] = Value::from("unit_defined"));
    assert_bad_line(&wrong_type, 2, "event_type");
    let bad_actor = edit_line(&log, 6, |v| v["actor"] = Value::from("somebody"));
    assert_bad_line(&bad_actor, 6, "actor");
    let tampered = edit_line(&log, 7, |v| {
        v["event_id"] = Value::from("00000000-0000-7000-8000-000000000000")
    });
    assert_bad_line(&tampered, 7, "event_id");
    let mut gap = lines.clone();
    gap.remove(1);
    assert_bad_line(&gap.join("\n"), 2, "global_position is 2, expected 1");
    let mut blank = lines.clone();
    blank.insert(3, "");
    assert_bad_line(&blank.join("\n"), 4, "empty line");
    let other_cycle = format!("cycle-{}", uuid::Uuid::from_u128(0xc1));
    let wrong_stream = edit_line(&log, 1, |v| v["stream"] = Value::from(other_cycle.as_str()));
    assert_bad_line(&wrong_stream, 1, "belongs to stream org");
    let not_a_stream = edit_line(&log, 1, |v| v["stream"] = Value::from("cycle-x"));
    assert_bad_line(&not_a_stream, 1, "\"cycle-x\" is not a stream name");
    // The last line bad: still nothing of the earlier ones is written.
    let last = lines.len();
    let bad_last = edit_line(&log, last, |v| {
        v["payload"]["type"] = Value::from("nonsense")
    });
    assert_bad_line(&bad_last, last, "payload");
}

/// Regenerates the fixture with `OKR_WRITE_FIXTURE=1 cargo test -p okr-store --test it
/// write_fixture`. Only for a deliberate new fixture version: v1 must stay as committed.
#[test]
fn write_fixture() {
    if std::env::var_os("OKR_WRITE_FIXTURE").is_none() {
        return;
    }
    let (_dir, path) = sled_path();
    let engine = Engine::open_with(&path, options(Durability::Sync, 0)).unwrap();
    run_all(&engine, &scenario().commands);
    let file = std::fs::File::create(fixture_path()).unwrap();
    engine.export(std::io::BufWriter::new(file)).unwrap();
}

/// The v1 log, committed in `tests/fixtures/v1-log.jsonl`, written by the first engine.
/// Later versions must import it (upcasting if needed) to exactly this state.
#[test]
fn fixture_v1_log_keeps_reading() {
    let sc = scenario();
    let file = std::fs::File::open(fixture_path()).unwrap();
    let engine = Engine::in_memory();
    let count = engine.import(std::io::BufReader::new(file)).unwrap();
    assert_eq!(count, 50);
    let s = engine.read(State::clone);
    assert_eq!(s.units.len(), 4);
    assert_eq!(s.people.len(), 6);
    assert_eq!(s.org_version, 16);
    for unit in [sc.root, sc.teams[0], sc.teams[1], sc.steering] {
        assert!(s.units.contains_key(&unit));
    }
    assert_eq!(s.units[&sc.teams[1]].parent, Some(sc.root));
    assert!(s.has_role(sc.mayor, sc.steering, Role::Steering));
    assert!(s.has_role(sc.leads[0], sc.teams[0], Role::Lead));
    assert!(s.has_role(sc.master, sc.teams[1], Role::OkrMaster));
    let cycle = &s.cycles[&sc.cycle];
    assert_eq!(cycle.name, "2025-Q2");
    assert_eq!(cycle.phase, Phase::Closed);
    assert_eq!(cycle.objectives.len(), 2);
    assert_eq!(cycle.key_results[&sc.krs[0]].check_in_count(), 4);
    assert_eq!(cycle.agreements.len(), 1);
    assert!(cycle.blockers.values().all(|b| b.decision.is_some()));
    assert_eq!(cycle.retro_items.len(), 1);
    assert_eq!(cycle.retro_actions.len(), 1);
    let scores = rollup::scores(cycle);
    // 10 → 50 %: reached. 12 → 5 days, at 8: 4/7. Rating overridden to 0.5.
    assert_eq!(scores.key_results[&sc.krs[0]].score_ppm, 1_000_000);
    assert_eq!(scores.key_results[&sc.krs[1]].score_ppm, 571_429);
    assert_eq!(scores.key_results[&sc.krs[2]].score_ppm, 500_000);
    assert_eq!(scores.objectives[&sc.objectives[1]], Some(500_000));
    // The first objective averages its two key results and its aligned child.
    assert_eq!(scores.objectives[&sc.objectives[0]], Some(690_476));
    assert_eq!(scores.cycle, Some(626_984));
}
