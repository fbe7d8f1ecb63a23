//! Personal data apart from the facts: names and texts are sealed in the store, and
//! `forget_person` erases them from every read path and every file of the store, while the
//! figures stay as they were and the chain verifies.

use std::path::Path;

use chrono::Duration;
use okr_core::{BlockerId, CommandBody, PersonId, Role, ERASED_TEXT};
use okr_store::{Durability, Engine};

use crate::engine::{options, run_all, sled_path};
use crate::scenario::{scenario, Script};

/// Distinctive strings, so that a byte search for them means something.
const NAME: &str = "Zephyrine Quaxwell";
const NOTE: &str = "Notiz-Xylophon-4711";
const BLOCKER: &str = "Hindernis-Quarzkiesel-0815";
const NEEDLES: [&str; 3] = [NAME, NOTE, BLOCKER];

fn exported(engine: &Engine) -> Vec<u8> {
    let mut out = Vec::new();
    engine.export(&mut out).unwrap();
    out
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

/// Every file below `dir`, read whole.
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files(&path));
        } else {
            out.push((path.display().to_string(), std::fs::read(&path).unwrap()));
        }
    }
    out
}

fn assert_absent(what: &str, bytes: &[u8]) {
    for needle in NEEDLES {
        assert!(!contains(bytes, needle), "{what} holds {needle:?}");
    }
}

fn assert_no_file_holds(dir: &Path) {
    let all = files(dir);
    assert!(!all.is_empty());
    for (name, bytes) in all {
        assert_absent(&name, &bytes);
    }
}

#[test]
fn forget_person_erases_name_and_texts_everywhere_and_keeps_the_figures() {
    let sc = scenario();
    let (dir, path) = sled_path();
    let person = PersonId::from_u128(0x5EC_0001);
    let at = sc.mid_time + Duration::hours(1);
    let mut s = Script::new(0x5EC_1000);
    s.command(
        sc.master,
        at,
        CommandBody::RegisterPerson {
            person,
            name: NAME.into(),
        },
    );
    s.command(
        sc.master,
        at,
        CommandBody::GrantMembership {
            unit: sc.teams[0],
            person,
            role: Role::Member,
        },
    );
    s.command(
        person,
        at,
        CommandBody::CheckIn {
            key_result: sc.krs[0],
            value: 27.0,
            confidence: 7,
            note: NOTE.into(),
            effective_at: None,
        },
    );
    s.command(
        person,
        at,
        CommandBody::RaiseBlocker {
            cycle: sc.cycle,
            blocker: BlockerId::from_u128(0x5EC_2000),
            unit: sc.teams[0],
            key_result: None,
            text: BLOCKER.into(),
        },
    );
    s.command(
        sc.master,
        at,
        CommandBody::ForgetPerson {
            person,
            reason: "Antrag auf Löschung".into(),
        },
    );
    let (before, mine) = s.commands.split_at(s.commands.len() - 1);
    // Snapshots every few events, so that some are written while the name is known.
    let engine = Engine::open_with(&path, options(Durability::Sync, 3)).unwrap();
    run_all(&engine, &sc.commands[..sc.mid]);
    run_all(&engine, before);
    assert!(engine.stats().snapshots_written > 0);
    let state_json = engine.read(|st| serde_json::to_vec(st).unwrap());
    assert!(contains(&state_json, NAME) && contains(&state_json, BLOCKER));
    assert!(
        contains(&exported(&engine), NOTE),
        "the export opens the data"
    );
    engine.flush().unwrap();
    // Sealed at rest even before anyone is forgotten.
    assert_no_file_holds(&path);
    let rollup = engine.cycle_rollup(sc.cycle).unwrap();
    let scores = engine.cycle_scores(sc.cycle).unwrap();
    let number = engine.read(|st| st.people[&person].number);

    run_all(&engine, mine);
    let pseudonym = okr_core::pseudonym(number);
    let check = |engine: &Engine| {
        let state_json = engine.read(|st| serde_json::to_vec(st).unwrap());
        assert_absent("the state", &state_json);
        assert!(contains(&state_json, &pseudonym));
        assert!(contains(&state_json, ERASED_TEXT));
        assert_absent("the export", &exported(engine));
        let events = serde_json::to_vec(&engine.events_from(0, usize::MAX).unwrap()).unwrap();
        assert_absent("the events read back", &events);
        assert_eq!(engine.cycle_rollup(sc.cycle).unwrap(), rollup);
        assert_eq!(engine.cycle_scores(sc.cycle).unwrap(), scores);
        let report = engine.verify().unwrap();
        assert!(report.intact, "{report:?}");
        engine.read(|st| {
            assert_eq!(&*st.people[&person].name, pseudonym);
            assert!(st.people[&person].forgotten);
        });
    };
    check(&engine);
    // An export imports, and its import keeps the erasure and the figures.
    let copy = Engine::in_memory();
    copy.import(exported(&engine).as_slice()).unwrap();
    check(&copy);
    // A backup after the erasure holds nothing of it.
    let backup = dir.path().join("backup");
    engine.backup(&backup).unwrap();
    assert_no_file_holds(&backup);
    drop(engine);
    assert_no_file_holds(&path);
    let reopened = Engine::open_with(&path, options(Durability::Sync, 3)).unwrap();
    check(&reopened);
    // The forgotten person gives no more commands.
    let mut later = Script::new(0x5EC_3000);
    let refused = later.command(
        person,
        at,
        CommandBody::CheckIn {
            key_result: sc.krs[0],
            value: 28.0,
            confidence: 7,
            note: "again".into(),
            effective_at: None,
        },
    );
    assert!(reopened.execute(&refused).is_err());
    let from_backup = Engine::open(&backup).unwrap();
    check(&from_backup);
}
