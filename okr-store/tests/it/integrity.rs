//! The tamper-evident log: verify, export lines with their hashes, imports that check the
//! chain, read-only opens, and what an operator sees when a store is damaged or in use.

use std::path::Path;

use okr_store::{
    Durability, Engine, EngineError, EngineOptions, ImportOptions, SledStore, StoreError,
    StoreOptions,
};
use serde_json::Value;

use crate::engine::{options, run_all, sled_path};
use crate::scenario::scenario;

fn exported(engine: &Engine) -> String {
    let mut out = Vec::new();
    engine.export(&mut out).unwrap();
    String::from_utf8(out).unwrap()
}

/// Rewrites the payload field `field` of the event at `position` with `value`, behind the
/// store's back, keeping the record well formed: what someone editing the database would do.
fn alter_event(path: &Path, position: u64, field: &str, value: Value) {
    crate::sled_store::with_raw_sled(path, |db| alter_in(db, position, field, value));
}

fn alter_in(db: &sled::Db, position: u64, field: &str, value: Value) {
    let events = db.open_tree("events").unwrap();
    let (key, record) = events
        .range(..=position.to_be_bytes())
        .next_back()
        .unwrap()
        .unwrap();
    let first = u64::from_be_bytes(key.as_ref().try_into().unwrap());
    let record = crate::sled_store::plain_record(&record);
    // Find the payload of the event by its JSON text and replace the field's value, padding
    // to the same length so that the record's lengths stay right.
    let text = String::from_utf8_lossy(&record).into_owned();
    let needle = format!("\"{field}\":");
    let mut from = 0;
    let mut found = None;
    for _ in first..=position {
        let at = text[from..].find(&needle).unwrap() + from;
        found = Some(at);
        from = at + 1;
    }
    let at = found.unwrap() + needle.len();
    let end = at + text[at..].find([',', '}']).unwrap();
    let old = &text[at..end];
    let mut new = value.to_string();
    assert!(new.len() <= old.len(), "the new value must not be longer");
    while new.len() < old.len() {
        new.insert(0, ' ');
    }
    let mut bytes = record.to_vec();
    bytes[at..end].copy_from_slice(new.as_bytes());
    events.insert(key, bytes).unwrap();
}

#[test]
fn verify_finds_an_altered_check_in_and_names_its_position() {
    let sc = scenario();
    let (_dir, path) = sled_path();
    {
        let engine = Engine::open_with(&path, options(Durability::Sync, 0)).unwrap();
        run_all(&engine, &sc.commands);
        let report = engine.verify().unwrap();
        assert!(report.intact, "{report:?}");
        assert_eq!(report.events, sc.commands.len() as u64);
        // The export's lines carry the chain over the opened personal data (the store's own
        // chain is over the sealed bytes), and it checks out on import.
        let export = exported(&engine);
        let last: Value = serde_json::from_str(export.lines().last().unwrap()).unwrap();
        assert_ne!(
            last["hash"].as_str(),
            report.head.map(|h| h.to_hex()).as_deref(),
            "the scenario holds personal data, sealed in the store and open in the export"
        );
        let copy = Engine::in_memory();
        assert_eq!(
            copy.import(export.as_bytes()).unwrap(),
            sc.commands.len() as u64
        );
    }
    // A check-in's value is changed after the fact.
    let engine = Engine::open_with(&path, options(Durability::Sync, 0)).unwrap();
    let check_in = engine
        .events_from(0, usize::MAX)
        .unwrap()
        .into_iter()
        .find(|e| e.event_type == "checked_in")
        .unwrap()
        .global_position;
    drop(engine);
    alter_event(&path, check_in, "value", serde_json::json!(99));
    let engine = Engine::open_with(&path, options(Durability::Sync, 0)).unwrap();
    let report = engine.verify().unwrap();
    assert!(!report.intact);
    assert_eq!(report.events, check_in);
    let broken = report.broken.unwrap();
    assert_eq!(broken.position, check_in);
    assert!(
        broken.detail.contains("does not match its hash"),
        "{}",
        broken.detail
    );
    assert_ne!(broken.stored, broken.computed);
}

#[test]
fn import_checks_the_chain_and_rechains_only_when_told() {
    let sc = scenario();
    let engine = Engine::in_memory();
    run_all(&engine, &sc.commands);
    let log = exported(&engine);
    assert!(log.lines().all(|l| l.contains("\"hash\":\"")));
    // The log as exported imports with the same hashes.
    let copy = Engine::in_memory();
    copy.import(log.as_bytes()).unwrap();
    assert_eq!(exported(&copy), log);

    // One line's payload altered: refused, naming the line.
    let mut lines: Vec<String> = log.lines().map(str::to_owned).collect();
    let at = lines.iter().position(|l| l.contains("checked_in")).unwrap();
    let mut event: Value = serde_json::from_str(&lines[at]).unwrap();
    event["payload"]["note"] = "edited later".into();
    lines[at] = event.to_string();
    let altered = lines.join("\n") + "\n";
    match Engine::in_memory().import(altered.as_bytes()) {
        Err(EngineError::Import { line, detail }) => {
            assert_eq!(line, at + 1);
            assert!(detail.contains("hash does not match the chain"), "{detail}");
            assert!(detail.contains("rechain"), "{detail}");
        }
        other => panic!("expected an import error, got {other:?}"),
    }
    // With rechain: accepted, and chained anew.
    let rechained = Engine::in_memory();
    rechained
        .import_with(altered.as_bytes(), ImportOptions { rechain: true })
        .unwrap();
    assert!(rechained.verify().unwrap().intact);
    let again = exported(&rechained);
    assert_ne!(again, log);
    assert_eq!(
        again.lines().take(at).collect::<Vec<_>>(),
        log.lines().take(at).collect::<Vec<_>>()
    );

    // A log from before the chain (no hashes) imports and gets the chain.
    let unhashed: String = log
        .lines()
        .map(|l| {
            let mut v: Value = serde_json::from_str(l).unwrap();
            v.as_object_mut().unwrap().remove("hash");
            v.to_string() + "\n"
        })
        .collect();
    let old = Engine::in_memory();
    old.import(unhashed.as_bytes()).unwrap();
    assert_eq!(exported(&old), log);
    // Some lines with hashes, others without: refused.
    let mixed: String = log
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i == 2 {
                unhashed.lines().nth(2).unwrap().to_owned() + "\n"
            } else {
                l.to_owned() + "\n"
            }
        })
        .collect();
    match Engine::in_memory().import(mixed.as_bytes()) {
        Err(EngineError::Import { line: 3, detail }) => {
            assert!(detail.contains("has no hash"), "{detail}");
        }
        other => panic!("expected an import error on line 3, got {other:?}"),
    }
}

#[test]
fn a_read_only_open_writes_nothing_and_refuses_commands() {
    let sc = scenario();
    let (_dir, path) = sled_path();
    {
        let engine = Engine::open_with(&path, options(Durability::Sync, 0)).unwrap();
        run_all(&engine, &sc.commands[..10]);
    }
    std::thread::sleep(std::time::Duration::from_millis(100));
    let before = files(&path);
    let read_only = EngineOptions {
        read_only: true,
        ..EngineOptions::default()
    };
    let engine = Engine::open_with(&path, read_only.clone()).unwrap();
    assert_eq!(engine.position(), Some(9));
    assert!(engine.verify().unwrap().intact);
    assert!(matches!(
        engine.execute(&sc.commands[10]),
        Err(EngineError::Store(StoreError::ReadOnly { .. }))
    ));
    drop(engine);
    assert_eq!(
        files(&path),
        before,
        "a read-only open changed the store's files"
    );
    // A read-only open of a missing store creates nothing.
    let missing = path.with_file_name("typo").join("dir");
    assert!(Engine::open_with(&missing, read_only).is_err());
    assert!(!missing.parent().unwrap().exists());
}

/// Every file under `path` with its bytes.
fn files(path: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![path.to_owned()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let entry = entry.unwrap();
            if entry.path().is_dir() {
                stack.push(entry.path());
            } else {
                out.push((
                    entry.path().display().to_string(),
                    std::fs::read(entry.path()).unwrap(),
                ));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn a_store_behind_its_journal_is_refused_naming_the_missing_positions_and_left_as_it_was() {
    let sc = scenario();
    let (_dir, path) = sled_path();
    let (copy_dir, copy) = sled_path();
    std::fs::create_dir_all(&copy).unwrap();
    {
        let engine = Engine::open_with(&path, options(Durability::Sync, 0)).unwrap();
        run_all(&engine, &sc.commands[..20]);
        engine.flush().unwrap();
        // sled's files as they were after 20 commands.
        for name in ["conf", "db", "OKR_STORE"] {
            std::fs::copy(path.join(name), copy.join(name)).unwrap();
        }
        run_all(&engine, &sc.commands[20..40]);
    }
    std::thread::sleep(std::time::Duration::from_millis(100));
    // Put the old sled files back next to the newer journal: a shorter but consistent log.
    for name in ["conf", "db"] {
        std::fs::copy(copy.join(name), path.join(name)).unwrap();
    }
    for entry in std::fs::read_dir(&path).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if name.starts_with("snap.") {
            std::fs::remove_file(path.join(name)).unwrap();
        }
    }
    drop(copy_dir);
    let before = files(&path);
    match SledStore::open(&path, StoreOptions::default()) {
        Err(
            err @ StoreError::Missing {
                first: 20,
                last: 39,
                ..
            },
        ) => {
            let text = err.to_string();
            assert!(text.contains("positions 20..39 are missing"), "{text}");
            assert!(text.contains("okr restore"), "{text}");
        }
        other => panic!("expected positions 20..39 missing, got {other:?}"),
    }
    assert_eq!(
        files(&path),
        before,
        "a refused open changed the store's files"
    );
}
