//! Personal data apart from the facts: names and texts are sealed in the store, and
//! `forget_person` erases them from every read path and from the store at rest, while the
//! figures stay as they were and the chain verifies.
//!
//! One scenario, run on every store: sled (at rest: every file of its directory) and
//! PostgreSQL (at rest: every live row of every okr table, on the tests' server; skipped
//! with a note without one, a failure in CI).

use std::path::{Path, PathBuf};

use chrono::Duration;
use okr_core::{AgreementId, BlockerId, Command, CommandBody, Party, PersonId, Role, ERASED_TEXT};
use okr_store::{Durability, Engine};
use proptest::prelude::*;
use tempfile::TempDir;

use crate::engine::{options, run_all, sled_path};
use crate::scenario::{scenario, Script};
use crate::support::{fresh_organisation, postgres_url, with_organisation};

/// Distinctive strings, so that a byte search for them means something.
const NAME: &str = "Zephyrine Quaxwell";
const NOTE: &str = "Notiz-Xylophon-4711";
const BLOCKER: &str = "Hindernis-Quarzkiesel-0815";
const PROVIDES: &str = "Beistellung-Pfauenauge-2718";
const CONSEQUENCE: &str = "Folge-Kolibrifeder-3141";
const NEEDLES: [&str; 5] = [NAME, NOTE, BLOCKER, PROVIDES, CONSEQUENCE];

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

/// Neither a needle nor its hex form (how PostgreSQL writes `bytea` as text) is in `bytes`.
fn assert_absent(what: &str, bytes: &[u8]) {
    assert_none_of(&NEEDLES, what, bytes);
}

/// As [`assert_absent`], for any needles.
fn assert_none_of(needles: &[&str], what: &str, bytes: &[u8]) {
    for &needle in needles {
        assert!(!contains(bytes, needle), "{what} holds {needle:?}");
        let hex: String = needle.bytes().map(|b| format!("{b:02x}")).collect();
        assert!(!contains(bytes, &hex), "{what} holds {needle:?} in hex");
    }
}

fn assert_no_file_holds(dir: &Path) {
    assert_no_file_holds_any(&NEEDLES, dir);
}

fn assert_no_file_holds_any(needles: &[&str], dir: &Path) {
    let all = files(dir);
    assert!(!all.is_empty());
    for (name, bytes) in all {
        assert_none_of(needles, &name, &bytes);
    }
}

/// A store the scenario runs on, and how to look at it at rest.
enum Backend {
    Sled { path: PathBuf },
    Postgres { url: String },
}

impl Backend {
    fn location(&self) -> &str {
        match self {
            Backend::Sled { path } => path.to_str().unwrap(),
            Backend::Postgres { url } => url,
        }
    }

    fn open(&self) -> Engine {
        Engine::open_with(self.location(), options(Durability::Sync, 3))
            .unwrap_or_else(|e| panic!("opening {}: {e}", self.location()))
    }

    /// Nothing of the needles is at rest: in any file of the sled store's directory, or in
    /// any live row of an okr table on the PostgreSQL server (old row versions are
    /// `VACUUM`'s business, as the README says).
    fn assert_nothing_at_rest(&self) {
        match self {
            Backend::Sled { path } => assert_no_file_holds(path),
            Backend::Postgres { url } => {
                let (base, query) = url.split_once('?').unwrap();
                let organisation = query.rsplit("organisation=").next().unwrap();
                let mut client = postgres::Client::connect(base, postgres::NoTls).unwrap();
                // The rows looked at include this organisation's log and keys.
                let own = client
                    .query_one(
                        "SELECT (SELECT count(*) FROM okr_events WHERE organisation = $1), \
                                (SELECT count(*) FROM okr_keys WHERE organisation = $1)",
                        &[&organisation],
                    )
                    .unwrap();
                assert!(
                    own.get::<_, i64>(0) > 0 && own.get::<_, i64>(1) > 0,
                    "{own:?}"
                );
                for table in [
                    "okr_organisations",
                    "okr_events",
                    "okr_commands",
                    "okr_streams",
                    "okr_snapshots",
                    "okr_keys",
                ] {
                    let rows = client
                        .query(&format!("SELECT t::text FROM {table} t"), &[])
                        .unwrap();
                    for row in rows {
                        let text: String = row.get(0);
                        assert_absent(table, text.as_bytes());
                    }
                }
            }
        }
    }
}

#[test]
fn on_sled_forget_person_erases_name_and_texts_everywhere_and_keeps_the_figures() {
    let (dir, path) = sled_path();
    forget_person_erases_everywhere(&Backend::Sled { path }, &dir);
}

#[test]
fn on_postgres_forget_person_erases_name_and_texts_everywhere_and_keeps_the_figures() {
    let Some(url) = postgres_url() else { return };
    let url = with_organisation(&url, &fresh_organisation("privacy"));
    let dir = tempfile::tempdir().unwrap();
    forget_person_erases_everywhere(&Backend::Postgres { url }, &dir);
}

/// Registers `person` as `name` and makes them a member of the scenario's first team.
fn join_team(
    s: &mut Script,
    sc: &crate::scenario::Scenario,
    person: PersonId,
    name: &str,
    at: chrono::DateTime<chrono::Utc>,
) {
    s.command(
        sc.master,
        at,
        CommandBody::RegisterPerson {
            person,
            name: name.into(),
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
}

/// The scenario: a person with a distinctive name, a check-in note and a blocker text, then
/// `forget_person`; `dir` takes the backup.
fn forget_person_erases_everywhere(backend: &Backend, dir: &TempDir) {
    let sc = scenario();
    let person = PersonId::from_u128(0x5EC_0001);
    let at = sc.mid_time + Duration::hours(1);
    let mut s = Script::new(0x5EC_1000);
    join_team(&mut s, &sc, person, NAME, at);
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
    // A mutual agreement: what the provider provides and what happens if it is not kept
    // are the person's texts too.
    s.command(
        person,
        at,
        CommandBody::MakeAgreement {
            cycle: sc.cycle,
            agreement: AgreementId::from_u128(0x5EC_2001),
            unit: sc.teams[0],
            text: "Formular senden".into(),
            owner: Some(person),
            due: None,
            weekly: None,
            provider: Some(Party::Person(sc.master)),
            provides: Some(PROVIDES.into()),
            receiver: Some(Party::Unit(sc.teams[0])),
            consequence: Some(CONSEQUENCE.into()),
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
    let engine = backend.open();
    run_all(&engine, &sc.commands[..sc.mid]);
    run_all(&engine, before);
    assert!(engine.stats().snapshots_written > 0);
    let state_json = engine.read(|st| serde_json::to_vec(st).unwrap());
    assert!(contains(&state_json, NAME) && contains(&state_json, BLOCKER));
    assert!(contains(&state_json, PROVIDES) && contains(&state_json, CONSEQUENCE));
    assert!(
        contains(&exported(&engine), NOTE),
        "the export opens the data"
    );
    engine.flush().unwrap();
    // Sealed at rest even before anyone is forgotten.
    backend.assert_nothing_at_rest();
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
    backend.assert_nothing_at_rest();
    let reopened = backend.open();
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

/// What one generated case does: a person with a generated name joins team 0, writes
/// check-in notes and maybe a blocker, a colleague writes a note that must stay, and the
/// person is forgotten — in the middle of the cycle, with the rest of the cycle (review,
/// retrospective, close) run before or after the erasure, and snapshots every few events.
#[derive(Debug, Clone)]
struct Case {
    name: String,
    notes: Vec<String>,
    blocker: Option<String>,
    kept: String,
    snapshot_every: u64,
    rest_after: bool,
}

fn case() -> impl Strategy<Value = Case> {
    (
        "[A-Z][a-z]{6,10} [A-Z][a-z]{8,12}",
        proptest::collection::vec("Notiz [a-zäöü]{10,16}", 1..4),
        proptest::option::of("Hindernis [a-zäöü]{10,16}"),
        "Bleibt [a-z]{12}",
        1u64..8,
        any::<bool>(),
    )
        .prop_map(
            |(name, notes, blocker, kept, snapshot_every, rest_after)| Case {
                name,
                notes,
                blocker,
                kept,
                snapshot_every,
                rest_after,
            },
        )
}

/// The commands of a case, and the index of the `forget_person` among them.
fn case_commands(case: &Case) -> (Vec<Command>, usize) {
    let sc = scenario();
    let person = PersonId::from_u128(0x5EC_0002);
    let at = sc.mid_time + Duration::hours(1);
    let mut s = Script::new(0x5EC_4000);
    join_team(&mut s, &sc, person, &case.name, at);
    for (i, note) in case.notes.iter().enumerate() {
        s.command(
            person,
            at + Duration::minutes(i as i64),
            CommandBody::CheckIn {
                key_result: sc.krs[0],
                value: 20.0 + i as f64,
                confidence: 6,
                note: note.as_str().into(),
                effective_at: None,
            },
        );
    }
    if let Some(text) = &case.blocker {
        s.command(
            person,
            at + Duration::minutes(10),
            CommandBody::RaiseBlocker {
                cycle: sc.cycle,
                blocker: BlockerId::from_u128(0x5EC_5000),
                unit: sc.teams[0],
                key_result: None,
                text: text.as_str().into(),
            },
        );
    }
    s.command(
        sc.members[0],
        at + Duration::minutes(20),
        CommandBody::CheckIn {
            key_result: sc.krs[0],
            value: 30.0,
            confidence: 7,
            note: case.kept.as_str().into(),
            effective_at: None,
        },
    );
    let forget = s.command(
        sc.master,
        at + Duration::minutes(30),
        CommandBody::ForgetPerson {
            person,
            reason: "Antrag auf Löschung".into(),
        },
    );
    let mut commands = sc.commands[..sc.mid].to_vec();
    commands.extend(
        s.commands
            .iter()
            .filter(|c| c.envelope.command_id != forget.envelope.command_id)
            .cloned(),
    );
    let rest = &sc.commands[sc.mid..];
    let at_forget;
    if case.rest_after {
        at_forget = commands.len();
        commands.push(forget);
        commands.extend_from_slice(rest);
    } else {
        commands.extend_from_slice(rest);
        at_forget = commands.len();
        // The erasure comes last; its time must not run backwards.
        let mut forget = forget;
        let last = commands
            .last()
            .map_or(forget.envelope.at, |c| c.envelope.at);
        forget.envelope.at = last.max(forget.envelope.at);
        commands.push(forget);
    }
    (commands, at_forget)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    /// After `forget_person`, no byte of the person's name or texts is in the state, the
    /// events read back, the export, a backup or any file of the store (the key store keeps
    /// only a tombstone); a colleague's text stays; rollup and scores equal those of the
    /// same history without the erasure; the chain verifies, also after reopening.
    #[test]
    fn erasure_leaves_nothing_and_changes_no_figure(case in case()) {
        let sc = scenario();
        let (commands, at_forget) = case_commands(&case);
        let mut needles: Vec<&str> = vec![case.name.as_str()];
        needles.extend(case.notes.iter().map(String::as_str));
        needles.extend(case.blocker.as_deref());

        let twin = Engine::in_memory();
        for (i, c) in commands.iter().enumerate() {
            if i != at_forget {
                twin.execute(c).unwrap_or_else(|e| panic!("{} refused: {e}", c.body.name()));
            }
        }
        let (dir, path) = sled_path();
        let engine = Engine::open_with(
            path.to_str().unwrap(),
            options(Durability::Sync, case.snapshot_every),
        )
        .unwrap();
        run_all(&engine, &commands);
        let check = |engine: &Engine, what: &str| {
            let state = engine.read(|st| serde_json::to_vec(st).unwrap());
            assert_none_of(&needles, &format!("the state ({what})"), &state);
            let events = serde_json::to_vec(&engine.events_from(0, usize::MAX).unwrap()).unwrap();
            assert_none_of(&needles, &format!("the events ({what})"), &events);
            assert!(contains(&events, &case.kept), "a colleague's note stays ({what})");
            let export = exported(engine);
            assert_none_of(&needles, &format!("the export ({what})"), &export);
            assert!(contains(&export, &case.kept), "a colleague's note stays ({what})");
            assert_eq!(engine.cycle_rollup(sc.cycle).unwrap(), twin.cycle_rollup(sc.cycle).unwrap());
            assert_eq!(engine.cycle_scores(sc.cycle).unwrap(), twin.cycle_scores(sc.cycle).unwrap());
            let report = engine.verify().unwrap();
            assert!(report.intact, "{what}: {report:?}");
        };
        check(&engine, "open");
        let backup = dir.path().join("backup");
        engine.backup(&backup).unwrap();
        assert_no_file_holds_any(&needles, &backup);
        engine.flush().unwrap();
        drop(engine);
        assert_no_file_holds_any(&needles, &path);
        let reopened = Engine::open(&path).unwrap();
        check(&reopened, "reopened");
    }
}
