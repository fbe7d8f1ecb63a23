//! Eight threads issue check-ins on their own key results against one engine: nothing is lost
//! or doubled, positions are gapless, and the state equals the fold of the stored log.

use std::sync::Arc;

use chrono::Duration;
use okr_core::{
    CommandBody, CycleId, CycleKind, EventBody, KeyResultId, KrKind, ObjectiveId, ObjectiveKind,
    PersonId, Role, State, UnitId, UnitKind,
};
use okr_store::{Durability, Engine};

use crate::engine::{options, run_all, sled_path};
use crate::scenario::{day, Script};

const THREADS: u128 = 8;

/// A running cycle with one team, lead and key result per writer.
pub struct Setup {
    pub cycle: CycleId,
    pub people: Vec<PersonId>,
    pub krs: Vec<KeyResultId>,
    pub commands: Vec<okr_core::Command>,
}

fn setup() -> Setup {
    setup_teams(THREADS)
}

/// The set-up of a cycle for `teams` writers (also used by the PostgreSQL process tests).
pub fn setup_teams(teams: u128) -> Setup {
    use CommandBody::*;
    let mut s = Script::new(0xA0_0000);
    let t0 = day("2025-03-17", 9);
    let master = PersonId::from_u128(0x1);
    let root = UnitId::from_u128(0x10);
    let cycle = CycleId::from_u128(0x20);
    s.command(
        master,
        t0,
        DefineUnit {
            unit: root,
            name: "Root".into(),
            kind: UnitKind::Organisation,
            parent: None,
        },
    );
    s.command(
        master,
        t0,
        RegisterPerson {
            person: master,
            name: "Master".into(),
        },
    );
    s.command(
        master,
        t0,
        GrantMembership {
            unit: root,
            person: master,
            role: Role::OkrMaster,
        },
    );
    s.command(
        master,
        t0,
        PlanCycle {
            cycle,
            name: "2025-Q2".into(),
            kind: CycleKind::Regular,
            start: "2025-04-01".parse().unwrap(),
            end: "2025-06-30".parse().unwrap(),
            check_in_weekday: chrono::Weekday::Tue,
            policy: None,
        },
    );
    let (mut people, mut krs) = (Vec::new(), Vec::new());
    for t in 0..teams {
        let unit = UnitId::from_u128(0x100 + t);
        let person = PersonId::from_u128(0x200 + t);
        let objective = ObjectiveId::from_u128(0x300 + t);
        let kr = KeyResultId::from_u128(0x400 + t);
        s.command(
            master,
            t0,
            DefineUnit {
                unit,
                name: format!("Team {t}"),
                kind: UnitKind::Team,
                parent: Some(root),
            },
        );
        s.command(
            master,
            t0,
            RegisterPerson {
                person,
                name: format!("Lead {t}"),
            },
        );
        s.command(
            master,
            t0,
            GrantMembership {
                unit,
                person,
                role: Role::Lead,
            },
        );
        s.command(
            person,
            t0,
            DraftObjective {
                cycle,
                objective,
                unit,
                title: "Residents get answers the same day".into(),
                beneficiary: Some("residents".into()),
                change: Some("they ask online".into()),
                value: Some("no waiting".into()),
                kind: ObjectiveKind::Committed,
                weight: 1,
            },
        );
        s.command(
            person,
            t0,
            AddKeyResult {
                objective,
                key_result: kr,
                title: "Requests answered the same day".into(),
                kind: KrKind::Increase {
                    baseline: Some(0.0),
                    target: 100.0,
                    unit: "%".into(),
                },
                weight: 1,
                owner: Some(person),
            },
        );
        s.command(person, t0, CommitObjective { objective });
        people.push(person);
        krs.push(kr);
    }
    s.command(master, day("2025-04-01", 8), StartCycle { cycle });
    Setup {
        cycle,
        people,
        krs,
        commands: s.commands,
    }
}

fn hammer(engine: Arc<Engine>, per_thread: u64) {
    let setup = setup();
    run_all(&engine, &setup.commands);
    let base = engine.position().unwrap() + 1;
    let handles: Vec<_> = (0..THREADS as usize)
        .map(|t| {
            let engine = Arc::clone(&engine);
            let (person, kr) = (setup.people[t], setup.krs[t]);
            std::thread::spawn(move || {
                let mut s = Script::new(0xF000_0000 + ((t as u128) << 20));
                for i in 0..per_thread {
                    let at = day("2025-04-01", 9) + Duration::seconds(i as i64);
                    let c = s.command(
                        person,
                        at,
                        CommandBody::CheckIn {
                            key_result: kr,
                            value: (i % 100) as f64 + 0.25,
                            confidence: (i % 11) as u8,
                            note: String::new(),
                            effective_at: None,
                        },
                    );
                    let outcome = engine.execute(&c).unwrap();
                    assert_eq!(outcome.positions.len(), 1);
                    assert!(!outcome.duplicate);
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let total = base + THREADS as u64 * per_thread;
    assert_eq!(engine.position(), Some(total - 1));
    let recorded = engine.events_from(0, usize::MAX).unwrap();
    let positions: Vec<u64> = recorded.iter().map(|e| e.global_position).collect();
    assert_eq!(positions, (0..total).collect::<Vec<_>>(), "gapless");
    let events: Vec<_> = recorded.iter().map(|r| engine.decode(r).unwrap()).collect();
    let folded = State::from_events(&events);
    let state = engine.read(State::clone);
    assert_eq!(state, folded);
    let cycle = &state.cycles[&setup.cycle];
    assert_eq!(
        cycle.version,
        1 + THREADS as u64 * 3 + 1 + THREADS as u64 * per_thread
    );
    for kr in &setup.krs {
        assert_eq!(
            u64::from(cycle.key_results[kr].check_in_count()),
            per_thread
        );
        // Each thread's check-ins arrive in the order it gave them.
        let told: Vec<_> = events
            .iter()
            .filter(
                |e| matches!(&e.body, EventBody::CheckedIn { key_result, .. } if key_result == kr),
            )
            .map(|e| e.at)
            .collect();
        assert_eq!(told.len() as u64, per_thread);
        assert!(told.windows(2).all(|w| w[0] < w[1]));
        let latest = cycle.key_results[kr].latest().unwrap();
        assert_eq!(Some(&latest.recorded_at), told.last());
    }
}

#[test]
fn eight_threads_in_memory() {
    hammer(Arc::new(Engine::in_memory()), 500);
}

#[test]
fn eight_threads_on_sled_without_flushes() {
    let (_dir, path) = sled_path();
    let engine = Engine::open_with(&path, options(Durability::None, 1000)).unwrap();
    let engine = Arc::new(engine);
    hammer(Arc::clone(&engine), 200);
    let expected = engine.read(State::clone);
    drop(engine);
    let reopened = Engine::open_with(&path, options(Durability::None, 1000)).unwrap();
    assert!(reopened.stats().snapshot_on_open.is_some());
    assert_eq!(reopened.read(State::clone), expected);
}

#[test]
fn eight_threads_on_a_durable_store_share_syncs_and_lose_nothing() {
    let (_dir, path) = sled_path();
    let engine = Arc::new(Engine::open_with(&path, options(Durability::Sync, 100)).unwrap());
    let subscription = engine.subscribe(0).unwrap();
    // A reader alongside: the state it sees only moves forward and always equals a fold of
    // the stored log up to its position (it never runs ahead of what is durable).
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = std::thread::spawn({
        let (engine, stop) = (Arc::clone(&engine), Arc::clone(&stop));
        move || {
            let mut last = None;
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                let seen = engine.position();
                assert!(seen >= last, "the readers' state went back");
                if let Some(p) = seen {
                    let stored = engine.events_from(p, 1).unwrap();
                    assert_eq!(stored.len(), 1, "position {p} is seen but not stored");
                }
                last = seen;
            }
        }
    });
    // A subscriber that joins while the writers run: appends staged before it joined and
    // acknowledged after reach it too, each once.
    let late = std::thread::spawn({
        let engine = Arc::clone(&engine);
        move || {
            while engine.position().is_none_or(|p| p < 100) {
                std::thread::yield_now();
            }
            engine.subscribe(0).unwrap()
        }
    });
    hammer(Arc::clone(&engine), 40);
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    reader.join().unwrap();
    let late_sub = late.join().unwrap();
    let total = engine.position().unwrap() + 1;
    let delivered: Vec<u64> = (0..total)
        .map(|_| {
            subscription
                .recv_timeout(std::time::Duration::from_secs(30))
                .unwrap()
                .global_position
        })
        .collect();
    assert_eq!(
        delivered,
        (0..total).collect::<Vec<_>>(),
        "each event once, in order"
    );
    assert!(subscription.try_recv().is_err());
    let late: Vec<u64> = (0..total)
        .map(|_| {
            late_sub
                .recv_timeout(std::time::Duration::from_secs(30))
                .unwrap()
                .global_position
        })
        .collect();
    assert_eq!(
        late,
        (0..total).collect::<Vec<_>>(),
        "each event once, in order"
    );
    assert!(late_sub.try_recv().is_err());
    let expected = engine.read(State::clone);
    drop(subscription);
    drop(late_sub);
    drop(engine);
    let reopened = Engine::open_with(&path, options(Durability::Sync, 100)).unwrap();
    assert_eq!(reopened.read(State::clone), expected);
}
