//! The engine on both stores: a whole cycle, reopen, refusals, retries, time travel,
//! subscriptions, batches and snapshots.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use okr_core::rollup;
use okr_core::{
    Command, CommandBody, EntityKind, KeyResultId, Phase, Rejection, State, StreamId, UnitId,
    UnitKind,
};
use okr_store::{
    AsOf, Durability, Engine, EngineError, EngineOptions, EventStore, ExpectedVersion, MemoryStore,
    NewEvent, SledStore, StoreOptions,
};
use tempfile::TempDir;
use uuid::Uuid;

use crate::scenario::{day, scenario, Script};

pub fn options(durability: Durability, snapshot_every: u64) -> EngineOptions {
    EngineOptions {
        durability,
        snapshot_every,
        ..EngineOptions::default()
    }
}

/// A fresh directory for a sled engine; keep the `TempDir` alive.
pub fn sled_path() -> (TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("engine");
    (dir, path)
}

pub fn run_all(engine: &Engine, commands: &[Command]) {
    for c in commands {
        if let Err(e) = engine.execute(c) {
            panic!("{} refused: {e}", c.body.name());
        }
    }
}

fn state(engine: &Engine) -> State {
    engine.read(State::clone)
}

/// Every event in the engine's log, decoded.
pub fn log_state(engine: &Engine) -> State {
    let recorded = engine.events_from(0, usize::MAX).unwrap();
    let events: Vec<_> = recorded.iter().map(|r| engine.decode(r).unwrap()).collect();
    State::from_events(&events)
}

fn open(path: &Path, snapshot_every: u64) -> Engine {
    Engine::open_with(path, options(Durability::Sync, snapshot_every)).unwrap()
}

#[test]
fn whole_cycle_on_sled_survives_reopen() {
    let sc = scenario();
    let (_dir, path) = sled_path();
    let (before, position) = {
        let engine = open(&path, 0);
        run_all(&engine, &sc.commands);
        let s = state(&engine);
        assert_eq!(s.cycles[&sc.cycle].phase, Phase::Closed);
        assert_eq!(s.units.len(), 4);
        assert_eq!(s, log_state(&engine));
        (s, engine.position())
    };
    let engine = open(&path, 0);
    assert_eq!(state(&engine), before);
    assert_eq!(engine.position(), position);
    assert_eq!(
        engine.stats().replayed_on_open,
        position.unwrap() + 1,
        "no snapshots: the whole log is replayed"
    );
    // Position and stream versions agree: one event per command in this scenario.
    assert_eq!(position, Some(sc.commands.len() as u64 - 1));
}

#[test]
fn outcome_carries_stream_positions_and_lints() {
    let sc = scenario();
    let engine = Engine::in_memory();
    let mut lints = 0;
    // The pure pipeline beside the engine: both must route every command alike.
    let mut pure = State::new();
    for (i, c) in sc.commands.iter().enumerate() {
        let outcome = engine.execute(c).unwrap();
        assert_eq!(outcome.positions, vec![i as u64]);
        assert!(!outcome.duplicate);
        let expected_stream = match okr_core::execute(&mut pure, c).unwrap().stream {
            StreamId::Organisation => "org".to_owned(),
            StreamId::Cycle(cycle) => {
                assert_eq!(cycle, sc.cycle);
                format!("cycle-{}", sc.cycle)
            }
        };
        assert_eq!(outcome.stream, expected_stream);
        lints += outcome.lints.len();
        let json = serde_json::to_value(&outcome).unwrap();
        assert_eq!(json["positions"][0], i as u64);
    }
    // The objectives are well formed; only the override far below 1.0 may be linted.
    assert!(lints <= 3, "unexpected lints: {lints}");
}

#[test]
fn refused_command_writes_nothing() {
    let sc = scenario();
    let (_dir, path) = sled_path();
    let engine = open(&path, 0);
    run_all(&engine, &sc.commands);
    let position = engine.position();
    let before = state(&engine);
    let mut s = Script::new(0xBAD_0000);
    let late = s.command(
        sc.members[0],
        day("2025-07-01", 9),
        CommandBody::CheckIn {
            key_result: sc.krs[0],
            value: 60.0,
            confidence: 9,
            note: String::new(),
            effective_at: None,
        },
    );
    match engine.execute(&late) {
        Err(EngineError::Rejected(Rejection::WrongPhase { phase, .. })) => {
            assert_eq!(phase, Phase::Closed)
        }
        other => panic!("expected a wrong-phase rejection, got {other:?}"),
    }
    assert_eq!(engine.position(), position);
    assert_eq!(state(&engine), before);
    drop(engine);
    let reopened = open(&path, 0);
    assert_eq!(reopened.position(), position);
    // The refused command's id was not consumed: nothing remembers it.
    assert!(matches!(
        reopened.execute(&late),
        Err(EngineError::Rejected(_))
    ));
}

#[test]
fn retried_command_returns_the_original_outcome() {
    let sc = scenario();
    let engine = Engine::in_memory();
    let mut originals = Vec::new();
    for c in &sc.commands {
        originals.push(engine.execute(c).unwrap());
    }
    let position = engine.position();
    // A check-in of week 1 would now be refused (the cycle is closed), but as a retry it
    // returns what it did then.
    for i in [0, sc.mid - 1, sc.commands.len() - 1] {
        let retry = engine.execute(&sc.commands[i]).unwrap();
        assert!(retry.duplicate);
        assert_eq!(retry.positions, originals[i].positions);
        assert_eq!(retry.events, originals[i].events);
        assert_eq!(retry.stream, originals[i].stream);
        assert!(retry.lints.is_empty());
    }
    assert_eq!(engine.position(), position);
}

#[test]
fn a_command_id_reused_for_another_command_is_a_conflict() {
    let sc = scenario();
    let (_dir, path) = sled_path();
    for engine in [Engine::in_memory(), open(&path, 0)] {
        run_all(&engine, &sc.commands[..3]);
        let position = engine.position();
        // The same id, the same actor and body, another time: still the retry.
        let mut later = sc.commands[1].clone();
        later.envelope.at += chrono::Duration::hours(1);
        assert!(engine.execute(&later).unwrap().duplicate);
        // The same id for another command.
        let mut other = sc.commands[5].clone();
        other.envelope.command_id = sc.commands[1].envelope.command_id;
        match engine.execute(&other) {
            Err(err @ EngineError::CommandConflict { index: None, .. }) => {
                let text = err.to_string();
                let id = sc.commands[1].envelope.command_id.to_string();
                assert!(text.contains(&id), "{text}");
            }
            other => panic!("expected a command conflict, got {other:?}"),
        }
        // Another actor is another command too.
        let mut by_other = sc.commands[1].clone();
        by_other.envelope.actor = okr_core::PersonId::from_u128(0xdead);
        assert!(matches!(
            engine.execute(&by_other),
            Err(EngineError::CommandConflict { .. })
        ));
        // In a batch: named by its index, and nothing of the batch is written.
        let batch = vec![sc.commands[3].clone(), other.clone()];
        assert!(matches!(
            engine.execute_batch(&batch),
            Err(EngineError::CommandConflict { index: Some(1), .. })
        ));
        let mut twice = sc.commands[3].clone();
        twice.envelope.command_id = Uuid::from_u128(0x5151);
        let mut clash = sc.commands[4].clone();
        clash.envelope.command_id = Uuid::from_u128(0x5151);
        assert!(matches!(
            engine.execute_batch(&[twice, clash]),
            Err(EngineError::CommandConflict { index: Some(1), .. })
        ));
        assert_eq!(engine.position(), position);
    }
    // The fingerprint survives a reopen.
    let engine = open(&path, 0);
    let mut other = sc.commands[5].clone();
    other.envelope.command_id = sc.commands[1].envelope.command_id;
    assert!(matches!(
        engine.execute(&other),
        Err(EngineError::CommandConflict { .. })
    ));
    assert!(engine.execute(&sc.commands[1]).unwrap().duplicate);
}

#[test]
fn unknown_ids_are_refused() {
    let sc = scenario();
    let engine = Engine::in_memory();
    run_all(&engine, &sc.commands[..sc.mid]);
    let mut s = Script::new(0xBAD_0000);
    let ghost = KeyResultId::from_u128(0xdead);
    let c = s.command(
        sc.members[0],
        sc.mid_time,
        CommandBody::CheckIn {
            key_result: ghost,
            value: 1.0,
            confidence: 5,
            note: String::new(),
            effective_at: None,
        },
    );
    match engine.execute(&c) {
        Err(EngineError::Rejected(Rejection::UnknownId { kind, id })) => {
            assert_eq!(kind, EntityKind::KeyResult);
            assert_eq!(id, ghost.to_string());
        }
        other => panic!("expected an unknown id, got {other:?}"),
    }
    let c = s.command(
        sc.master,
        sc.mid_time,
        CommandBody::RenameUnit {
            unit: UnitId::from_u128(0xdead),
            name: "nobody".into(),
        },
    );
    assert!(matches!(
        engine.execute(&c),
        Err(EngineError::Rejected(Rejection::UnknownId {
            kind: EntityKind::Unit,
            ..
        }))
    ));
    assert_eq!(engine.position(), Some(sc.mid as u64 - 1));
}

#[test]
fn envelope_expected_version_is_checked() {
    let sc = scenario();
    let engine = Engine::in_memory();
    run_all(&engine, &sc.commands[..sc.mid]);
    let cycle_version = engine.read(|s| s.stream_version(StreamId::Cycle(sc.cycle)));
    let position = engine.position();
    let mut s = Script::new(0xBAD_0000);
    let check_in = s.command(
        sc.members[0],
        sc.mid_time,
        CommandBody::CheckIn {
            key_result: sc.krs[0],
            value: 31.0,
            confidence: 7,
            note: String::new(),
            effective_at: None,
        },
    );
    let stale = check_in.clone().expecting(cycle_version - 1);
    match engine.execute(&stale) {
        Err(EngineError::Rejected(Rejection::VersionConflict {
            expected, actual, ..
        })) => {
            assert_eq!((expected, actual), (cycle_version - 1, cycle_version));
        }
        other => panic!("expected a version conflict, got {other:?}"),
    }
    assert_eq!(engine.position(), position);
    let outcome = engine.execute(&check_in.expecting(cycle_version)).unwrap();
    assert_eq!(outcome.positions, vec![position.unwrap() + 1]);
    assert_eq!(
        engine.read(|s| s.stream_version(StreamId::Cycle(sc.cycle))),
        cycle_version + 1
    );
}

#[test]
fn as_of_shows_mid_cycle_values() {
    let sc = scenario();
    for snapshot_every in [0, 7] {
        let (_dir, path) = sled_path();
        let engine = Engine::open_with(&path, options(Durability::None, snapshot_every)).unwrap();
        run_all(&engine, &sc.commands);
        let kr = sc.krs[0];
        let check_ins = |s: &State| s.key_result(kr).unwrap().check_in_count();
        let progress =
            |s: &State| rollup::cycle(&s.cycles[&sc.cycle]).key_results[&kr].progress_ppm;
        // Final: four check-ins, 50 % of 10 → 50 %.
        assert_eq!(engine.read(check_ins), 4);
        assert_eq!(engine.read(progress), 1_000_000);
        // Position of the last check-in of week 2.
        let mid = engine.as_of(AsOf::Position(sc.mid as u64 - 1)).unwrap();
        assert_eq!(check_ins(&mid), 2);
        assert_eq!(progress(&mid), 500_000);
        assert_eq!(mid.cycles[&sc.cycle].phase, Phase::Running);
        let by_time = engine.as_of(AsOf::Time(sc.mid_time)).unwrap();
        assert_eq!(check_ins(&by_time), 2);
        // The agreement was made at the same instant as the week-2 check-ins.
        assert_eq!(by_time.cycles[&sc.cycle].agreements.len(), 1);
        assert_eq!(progress(&by_time), 500_000);
        // Every position agrees with folding the log prefix.
        let recorded = engine.events_from(0, usize::MAX).unwrap();
        let events: Vec<_> = recorded.iter().map(|r| engine.decode(r).unwrap()).collect();
        for p in 0..events.len() {
            let folded = State::from_events(&events[..=p]);
            assert_eq!(
                engine.as_of(AsOf::Position(p as u64)).unwrap(),
                folded,
                "position {p}"
            );
        }
        let before_all = engine.as_of(AsOf::Time(day("2025-01-01", 0))).unwrap();
        assert_eq!(before_all, State::new());
        assert_eq!(
            engine.as_of(AsOf::Time(day("2026-01-01", 0))).unwrap(),
            state(&engine)
        );
        let last = engine.position();
        assert!(matches!(
            engine.as_of(AsOf::Position(last.unwrap() + 1)),
            Err(EngineError::BeyondEnd { last: l, .. }) if l == last
        ));
        // The burn-up reads the past check-ins from the log: now and as of week 2.
        let history = engine.history(sc.cycle).unwrap().unwrap();
        let now = engine.read(State::clone);
        assert_eq!(
            Some(&history),
            rollup::history(&now, sc.cycle, &events).as_ref()
        );
        let mid_p = sc.mid as u64 - 1;
        let at_mid = engine
            .history_as_of(sc.cycle, AsOf::Position(mid_p))
            .unwrap()
            .unwrap();
        let expected = rollup::history(&mid, sc.cycle, &events[..=mid_p as usize]).unwrap();
        assert_eq!(at_mid, expected);
        assert_ne!(at_mid, history);
        let by_time = engine
            .history_as_of(sc.cycle, AsOf::Time(sc.mid_time))
            .unwrap();
        assert_eq!(by_time, Some(expected));
        let unknown = okr_core::CycleId::from_u128(0xdead);
        assert_eq!(engine.history(unknown).unwrap(), None);
    }
}

#[test]
fn subscriber_sees_every_event_once_in_order() {
    let sc = scenario();
    let engine = Arc::new(Engine::in_memory());
    run_all(&engine, &sc.commands[..10]);
    let writer = {
        let engine = Arc::clone(&engine);
        let commands = sc.commands[10..].to_vec();
        std::thread::spawn(move || {
            for c in &commands {
                engine.execute(c).unwrap();
                std::thread::yield_now();
            }
        })
    };
    let subscription = engine.subscribe(0).unwrap();
    let total = sc.commands.len();
    let mut seen = Vec::new();
    while seen.len() < total {
        let event = subscription
            .recv_timeout(Duration::from_secs(30))
            .expect("every event arrives");
        seen.push(event);
    }
    writer.join().unwrap();
    let positions: Vec<u64> = seen.iter().map(|e| e.global_position).collect();
    assert_eq!(positions, (0..total as u64).collect::<Vec<_>>());
    assert_eq!(seen, engine.events_from(0, usize::MAX).unwrap());
    assert!(subscription.try_recv().is_err(), "nothing twice");
    // A late subscriber from the middle gets the tail, then live events.
    let late = engine.subscribe(total as u64 - 2).unwrap();
    let tail: Vec<u64> = (0..2)
        .map(|_| late.recv().unwrap().global_position)
        .collect();
    assert_eq!(tail, [total as u64 - 2, total as u64 - 1]);
    drop(engine);
    assert_eq!(late.count(), 0, "the subscription ends with the engine");
}

#[test]
fn batch_is_all_or_nothing_and_names_the_refused_command() {
    let sc = scenario();
    let engine = Engine::in_memory();
    let org = &sc.commands[..5];
    let mut bad = org.to_vec();
    // A command naming a unit that does not exist, in third place.
    bad[2] = Script::new(0xBAD_0000).command(
        sc.master,
        day("2025-03-17", 9),
        CommandBody::DefineUnit {
            unit: UnitId::from_u128(0xabc),
            name: "orphan".into(),
            kind: UnitKind::Team,
            parent: Some(UnitId::from_u128(0xdead)),
        },
    );
    match engine.execute_batch(&bad) {
        Err(EngineError::BatchRejected { index, .. }) => assert_eq!(index, 2),
        other => panic!("expected a batch rejection, got {other:?}"),
    }
    assert_eq!(engine.position(), None);
    let outcomes = engine.execute_batch(&sc.commands).unwrap();
    let positions: Vec<u64> = outcomes.iter().flat_map(|o| o.positions.clone()).collect();
    assert_eq!(positions, (0..sc.commands.len() as u64).collect::<Vec<_>>());
    let sequential = Engine::in_memory();
    run_all(&sequential, &sc.commands);
    assert_eq!(state(&engine), state(&sequential));
    assert_eq!(state(&engine), log_state(&engine));
    // Retried as a batch, with one id twice: all duplicates, nothing written.
    let mut again = sc.commands[..3].to_vec();
    again.push(sc.commands[0].clone());
    let retried = engine.execute_batch(&again).unwrap();
    assert!(retried.iter().all(|o| o.duplicate));
    assert_eq!(retried[3].positions, vec![0]);
    assert_eq!(engine.position(), Some(sc.commands.len() as u64 - 1));
}

#[test]
fn snapshots_change_the_replay_not_the_state() {
    let sc = scenario();
    let (_dir, path) = sled_path();
    let total = sc.commands.len() as u64;
    let (full, written) = {
        let engine = open(&path, 10);
        run_all(&engine, &sc.commands);
        (state(&engine), engine.stats().snapshots_written)
    };
    assert_eq!(written, total / 10);
    let with_snapshot = open(&path, 10);
    let stats = with_snapshot.stats();
    assert_eq!(stats.snapshot_on_open, Some(total / 10 * 10 - 1));
    assert_eq!(stats.replayed_on_open, total % 10);
    assert_eq!(state(&with_snapshot), full);
    drop(with_snapshot);

    {
        let store = SledStore::open(&path, StoreOptions::default()).unwrap();
        store.clear_snapshots().unwrap();
        assert_eq!(store.latest_snapshot(None).unwrap(), None);
    }
    let without = open(&path, 0);
    assert_eq!(without.stats().replayed_on_open, total);
    assert_eq!(without.stats().snapshot_on_open, None);
    assert_eq!(state(&without), full);
    drop(without);

    // A snapshot that does not decode is ignored.
    {
        let store = SledStore::open(&path, StoreOptions::default()).unwrap();
        store.save_snapshot(total - 1, b"{not a snapshot").unwrap();
    }
    let damaged = open(&path, 0);
    assert_eq!(damaged.stats().replayed_on_open, total);
    assert_eq!(state(&damaged), full);
}

#[test]
fn long_replay_on_open_writes_a_snapshot() {
    let sc = scenario();
    let (_dir, path) = sled_path();
    {
        let engine = open(&path, 0);
        run_all(&engine, &sc.commands);
    }
    let first = open(&path, 16);
    assert_eq!(first.stats().replayed_on_open, sc.commands.len() as u64);
    assert_eq!(first.stats().snapshots_written, 1);
    let expected = state(&first);
    drop(first);
    let second = open(&path, 16);
    assert_eq!(second.stats().replayed_on_open, 0);
    assert_eq!(state(&second), expected);
}

#[test]
fn corrupt_payload_names_its_position() {
    let store = MemoryStore::new();
    let sc = scenario();
    let engine = Engine::with_store(store, 0).unwrap();
    run_all(&engine, &sc.commands[..3]);
    let exported = {
        let mut out = Vec::new();
        engine.export(&mut out).unwrap();
        out
    };
    assert_eq!(String::from_utf8(exported).unwrap().lines().count(), 3);

    let store = MemoryStore::new();
    let at = day("2025-03-17", 9);
    let actor = sc.master.to_string();
    let good = serde_json::json!({"type": "person_registered", "person": actor, "name": "A"});
    store
        .append(
            &okr_store::StreamId::Organisation,
            ExpectedVersion::NoStream,
            Uuid::from_u128(1),
            vec![NewEvent::new(
                "person_registered",
                1,
                good,
                actor.clone(),
                at,
            )],
        )
        .unwrap();
    let bad = serde_json::json!({"type": "person_registered", "person": 42});
    store
        .append(
            &okr_store::StreamId::Organisation,
            ExpectedVersion::Any,
            Uuid::from_u128(2),
            vec![NewEvent::new("person_registered", 1, bad, actor, at)],
        )
        .unwrap();
    match Engine::with_store(store, 0) {
        Err(EngineError::Corrupt { position, detail }) => {
            assert_eq!(position, 1);
            assert!(detail.contains("payload does not decode"), "{detail}");
        }
        other => panic!("expected corruption, got {other:?}"),
    }
}

#[test]
fn open_without_create_fails_for_a_missing_store() {
    let (_dir, path) = sled_path();
    let options = EngineOptions {
        create_if_missing: false,
        ..EngineOptions::default()
    };
    assert!(matches!(
        Engine::open_with(&path, options),
        Err(EngineError::Store(
            okr_store::StoreError::NotAnOkrStore { .. }
        ))
    ));
}

#[test]
fn execute_each_refuses_commands_on_their_own_and_writes_the_rest_durably() {
    let sc = scenario();
    let (_dir, path) = sled_path();
    let engine = Engine::open_with(&path, options(Durability::Sync, 0)).unwrap();
    let mut commands = sc.commands.clone();
    let orphan = Script::new(0xBAD_0000).command(
        sc.master,
        day("2025-03-17", 9),
        CommandBody::DefineUnit {
            unit: UnitId::from_u128(0xabc),
            name: "orphan".into(),
            kind: UnitKind::Team,
            parent: Some(UnitId::from_u128(0xdead)),
        },
    );
    commands.insert(3, orphan);
    // The first command again, at the end: a duplicate of an append of the same call.
    commands.push(sc.commands[0].clone());
    let outcomes = engine.execute_each(&commands).unwrap();
    assert_eq!(outcomes.len(), commands.len());
    assert!(outcomes[3].is_err(), "{:?}", outcomes[3]);
    let accepted: Vec<_> = outcomes.iter().filter_map(|o| o.as_ref().ok()).collect();
    assert_eq!(accepted.len(), commands.len() - 1);
    let last = outcomes.last().unwrap().as_ref().unwrap();
    assert!(last.duplicate);
    assert_eq!(last.positions, vec![0]);
    let positions: Vec<u64> = accepted[..accepted.len() - 1]
        .iter()
        .flat_map(|o| o.positions.clone())
        .collect();
    assert_eq!(positions, (0..sc.commands.len() as u64).collect::<Vec<_>>());
    let sequential = Engine::in_memory();
    run_all(&sequential, &sc.commands);
    assert_eq!(state(&engine), state(&sequential));
    // A refused batch gives up the state ahead; the next command is decided against the
    // readers' state again.
    let bad = vec![commands[3].clone()];
    assert!(matches!(
        engine.execute_batch(&bad),
        Err(EngineError::BatchRejected { index: 0, .. })
    ));
    assert!(matches!(
        engine.execute(&commands[3]),
        Err(EngineError::Rejected(_))
    ));
    engine.execute(&sc.commands[1]).unwrap();
    drop(engine);
    let reopened = open(&path, 0);
    assert_eq!(state(&reopened), state(&sequential));
}

/// A command id reused for another command is a conflict in `execute_each` too, refused on
/// its own like a rejection (the same rule `execute` applies as `CommandConflict`): the
/// commands around it go on, earlier in the same call and in the store alike.
#[test]
fn execute_each_refuses_a_reused_command_id_as_a_conflict_on_its_own() {
    let sc = scenario();
    let engine = Engine::in_memory();
    let first = sc.commands[0].clone();
    let mut other = sc.commands[0].clone();
    other.envelope.actor = okr_core::PersonId::from_u128(0xfeed);
    let mut commands = vec![first.clone(), other.clone()];
    commands.extend(sc.commands[1..].iter().cloned());
    let outcomes = engine.execute_each(&commands).unwrap();
    assert_eq!(
        outcomes[1],
        Err(okr_store::Refusal::Conflict {
            command_id: first.envelope.command_id
        })
    );
    assert!(outcomes
        .iter()
        .enumerate()
        .all(|(i, o)| i == 1 || o.is_ok()));
    let sequential = Engine::in_memory();
    run_all(&sequential, &sc.commands);
    assert_eq!(state(&engine), state(&sequential));
    // Against the store: the same refusal, nothing written.
    let before = engine.position();
    let again = engine.execute_each(&[other.clone(), first]).unwrap();
    assert!(matches!(again[0], Err(okr_store::Refusal::Conflict { .. })));
    assert!(again[1].as_ref().unwrap().duplicate);
    assert_eq!(engine.position(), before);
    assert!(matches!(
        engine.execute(&other),
        Err(EngineError::CommandConflict { index: None, .. })
    ));
}
