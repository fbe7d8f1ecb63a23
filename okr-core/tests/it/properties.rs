//! Invariants over arbitrary command sequences (proptest): decide never panics, replaying the
//! accepted events gives the same state, every event survives a JSON round trip, and the
//! alignment graph stays acyclic.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc, Weekday};
use okr_core::*;
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use uuid::Uuid;

const UNITS: u128 = 0x100;
const PEOPLE: u128 = 0x200;
const CYCLES: u128 = 0x300;
const OBJECTIVES: u128 = 0x400;
const KRS: u128 = 0x500;
const OTHER: u128 = 0x600;

fn unit(i: u8) -> UnitId {
    UnitId::from_u128(UNITS + u128::from(i % 5))
}
fn person(i: u8) -> PersonId {
    PersonId::from_u128(PEOPLE + u128::from(i % 6))
}
fn cycle(i: u8) -> CycleId {
    CycleId::from_u128(CYCLES + u128::from(i % 3))
}
fn objective(i: u8) -> ObjectiveId {
    ObjectiveId::from_u128(OBJECTIVES + u128::from(i % 8))
}
fn key_result(i: u8) -> KeyResultId {
    KeyResultId::from_u128(KRS + u128::from(i % 10))
}
fn other(i: u8) -> Uuid {
    Uuid::from_u128(OTHER + u128::from(i % 6))
}
fn start() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 1, 6).unwrap()
}

/// The organisation every sequence starts from: a root, three units below it, a committee,
/// and people with every role.
fn setup() -> Vec<CommandBody> {
    let mut v = vec![CommandBody::DefineUnit {
        unit: unit(0),
        name: "Root".into(),
        kind: UnitKind::Organisation,
        parent: None,
    }];
    for i in 1..4 {
        v.push(CommandBody::DefineUnit {
            unit: unit(i),
            name: format!("Unit {i}"),
            kind: UnitKind::Team,
            parent: Some(unit(0)),
        });
    }
    v.push(CommandBody::DefineUnit {
        unit: unit(4),
        name: "Steering".into(),
        kind: UnitKind::Committee,
        parent: Some(unit(0)),
    });
    for i in 0..6 {
        v.push(CommandBody::RegisterPerson {
            person: person(i),
            name: format!("P{i}"),
        });
    }
    let roles = [
        (0, 0, Role::OkrMaster),
        // P0 also leads the root: an OkrMaster alone holds no content rights, and the
        // backbone has P0 draft, commit, override and carry over.
        (0, 0, Role::Lead),
        (1, 1, Role::Lead),
        (1, 2, Role::Member),
        (2, 3, Role::Member),
        (4, 4, Role::Steering),
        (0, 5, Role::Observer),
    ];
    for (u, p, role) in roles {
        v.push(CommandBody::GrantMembership {
            unit: unit(u),
            person: person(p),
            role,
        });
    }
    v
}

fn kind_of(a: u8, b: i16) -> KrKind {
    let b = f64::from(b) / 4.0;
    match a % 5 {
        0 | 1 => KrKind::Increase {
            baseline: if a % 7 == 0 { None } else { Some(b) },
            // a % 9 == 0 gives baseline == target, which is refused.
            target: b + f64::from(a % 9),
            unit: "%".into(),
        },
        2 => KrKind::Decrease {
            baseline: Some(b),
            target: b - f64::from(a % 4),

            unit: "days".into(),
        },
        3 => KrKind::Threshold {
            bound: if a % 2 == 0 {
                Bound::AtLeast
            } else {
                Bound::AtMost
            },
            value: b,
            unit: "".into(),
        },
        _ => KrKind::Milestone,
    }
}

/// Maps raw numbers to a command over small id pools, so that many commands are accepted
/// and many are refused.
/// Ops weighted toward the lifecycle's main road, so sequences get deep into it.
const OPS: &[u8] = &[
    0, 0, 1, 1, 1, 2, 2, 3, 3, 4, 4, 5, 6, 6, 6, 6, 9, 10, 10, 10, 12, 13, 13, 13, 13, 15, 16, 17,
    17, 17, 17, 17, 20, 21, 22, 23, 23, 23, 23, 23, 23, 23, 23, 28, 28, 29, 29, 30, 30, 31, 31, 32,
    32, 33, 33, 34, 35, 35, 36, 36, 37, 37, 38, 39, 39, 39,
];

fn body(op: u8, a: u8, b: u8, c: u8, x: i16) -> CommandBody {
    use CommandBody as C;
    let op = OPS[usize::from(op) % OPS.len()];
    // Cycles start within the first weeks of the sequence's time and last 4 to 15 weeks.
    let s = start() + Duration::days(i64::from(c % 6) * 7 - 100);
    match op {
        0 => C::PlanCycle {
            cycle: cycle(a),
            name: format!("C{a}"),
            kind: if b % 2 == 0 {
                CycleKind::Regular
            } else {
                CycleKind::Practice
            },
            start: s,
            end: s + Duration::days(if x % 13 == 0 {
                -1
            } else {
                28 + i64::from(b % 12) * 7
            }),
            check_in_weekday: Weekday::Mon,
            policy: None,
        },
        1 => C::StartCycle { cycle: cycle(a) },
        2 => C::BeginReview {
            cycle: cycle(a),
            early_reason: (b % 2 == 0).then(|| "early".to_string()),
        },
        3 => C::BeginRetrospective { cycle: cycle(a) },
        4 => C::CloseCycle { cycle: cycle(a) },
        5 => C::CancelCycle {
            cycle: cycle(a),
            reason: if b % 3 == 0 {
                String::new()
            } else {
                "stop".into()
            },
        },
        6 => C::DraftObjective {
            cycle: cycle(a),
            objective: objective(b),
            unit: unit(c),
            title: if x % 11 == 0 {
                " ".into()
            } else {
                format!("Objective {b}")
            },
            beneficiary: (x % 2 == 0).then(|| "residents".to_string()),
            change: None,
            value: None,
            kind: if c % 2 == 0 {
                ObjectiveKind::Committed
            } else {
                ObjectiveKind::Aspirational
            },
            weight: u32::from(c % 3),
        },
        9 => C::ReviseObjective {
            objective: objective(a),
            patch: ObjectivePatch {
                title: Some(format!("Revised {b}")),
                weight: (c % 2 == 0).then_some(u32::from(c % 4)),
                ..Default::default()
            },
        },
        10 => C::AlignObjective {
            objective: objective(a),
            parent: objective(b),
            contribution: u32::from(c % 3),
        },
        12 => C::UnalignObjective {
            objective: objective(a),
            parent: objective(b),
        },
        13 => C::CommitObjective {
            objective: objective(a),
        },
        15 => C::DropObjective {
            objective: objective(a),
            reason: (b % 2 == 0).then(|| "no longer relevant".to_string()),
        },
        16 => C::AmendObjective {
            objective: objective(a),
            patch: ObjectivePatch {
                beneficiary: Some("businesses".into()),
                ..Default::default()
            },
            reason: if b % 2 == 0 {
                "learned".into()
            } else {
                String::new()
            },
        },
        17 => C::AddKeyResult {
            objective: objective(a),
            key_result: key_result(b),
            title: format!("KR {b}"),
            kind: kind_of(c, x),
            weight: u32::from(c % 3),
            owner: (c % 4 == 0).then(|| person(c)),
        },
        20 => C::ReviseKeyResult {
            key_result: key_result(a),
            patch: KeyResultPatch {
                kind: (b % 2 == 0).then(|| kind_of(c, x)),
                weight: (b % 2 == 1).then_some(u32::from(c % 3)),
                ..Default::default()
            },
        },
        21 => C::RemoveKeyResult {
            key_result: key_result(a),
        },
        22 => C::AmendKeyResult {
            key_result: key_result(a),
            patch: KeyResultPatch {
                title: Some("amended".into()),
                ..Default::default()
            },
            reason: if b % 2 == 0 {
                "data source changed".into()
            } else {
                String::new()
            },
        },
        23 => C::CheckIn {
            key_result: key_result(a),
            value: f64::from(x) / 8.0,
            confidence: b % 12,
            note: String::new(),
            effective_at: (c % 5 == 0).then(|| day(c) - Duration::days(i64::from(b % 20) + 90)),
        },
        28 => C::MakeAgreement {
            cycle: cycle(a),
            agreement: AgreementId(other(b)),
            unit: unit(c),
            text: "do it".into(),
            owner: None,
            due: None,
            weekly: None,
            provider: None,
            provides: None,
            receiver: None,
            consequence: None,
        },
        29 => C::ResolveAgreement {
            agreement: AgreementId(other(a)),
            outcome: if b % 2 == 0 {
                AgreementOutcome::Kept
            } else {
                AgreementOutcome::Missed
            },
            weekly: None,
        },
        30 => C::RaiseBlocker {
            cycle: cycle(a),
            blocker: BlockerId(other(b)),
            unit: unit(c),
            key_result: (x % 2 == 0).then(|| key_result(c)),
            text: "in the way".into(),
        },
        31 => C::EscalateBlocker {
            blocker: BlockerId(other(a)),
            to: unit(b),
        },
        32 => C::DecideBlocker {
            blocker: BlockerId(other(a)),
            decision: "go ahead".into(),
        },
        33 => C::AddInitiative {
            key_result: key_result(a),
            initiative: InitiativeId(other(b)),
            title: "do".into(),
            effort: c % 7,
            impact: b % 7,
        },
        34 => C::MoveInitiative {
            initiative: InitiativeId(other(a)),
            status: [
                InitiativeStatus::Todo,
                InitiativeStatus::Doing,
                InitiativeStatus::Done,
            ][usize::from(b % 3)],
        },
        35 => C::OverrideScore {
            key_result: key_result(a),
            score: f64::from(x) / 1000.0,
            reason: if b % 2 == 0 {
                "context".into()
            } else {
                String::new()
            },
        },
        36 => C::AddRetroItem {
            cycle: cycle(a),
            item: RetroItemId(other(b)),
            kind: [
                RetroKind::Keep,
                RetroKind::Improve,
                RetroKind::Stop,
                RetroKind::Try,
            ][usize::from(c % 4)],
            text: "noted".into(),
        },
        37 => C::CarryOver {
            objective: objective(a),
            to_cycle: cycle(b),
            new_objective: objective(c),
        },
        38 => C::CorrectScore {
            key_result: key_result(a),
            score: f64::from(x) / 1000.0,
            reason: "typo".into(),
        },
        _ => match a % 8 {
            0 => C::MoveUnit {
                unit: unit(b),
                parent: unit(c),
            },
            1 => C::GrantMembership {
                unit: unit(b),
                person: person(c),
                role: Role::Member,
            },
            2 => C::RevokeMembership {
                unit: unit(b),
                person: person(c),
                role: Role::Member,
            },
            3 => C::RetireUnit { unit: unit(b) },
            4 => C::RenameUnit {
                unit: unit(b),
                name: if c % 5 == 0 {
                    String::new()
                } else {
                    format!("Unit {c}")
                },
            },
            5 => C::SetPolicy {
                cycle: cycle(b),
                policy: Policy {
                    max_committed_objectives_per_unit: u32::from(c % 4),
                    ..Policy::for_kind(CycleKind::Regular)
                },
            },
            6 => C::AddReviewNote {
                cycle: cycle(b),
                text: "seen".into(),
            },
            _ => C::AddRetroAction {
                cycle: cycle(b),
                action: RetroActionId(other(c)),
                text: "act".into(),
                owner: person(c),
                item: (x % 2 == 0).then(|| RetroItemId(other(b))),
            },
        },
    }
}

/// The index in [`OPS`] of a raw op, for scripted sequences.
fn op(raw: u8) -> u8 {
    OPS.iter().position(|o| *o == raw).expect("op in table") as u8
}

fn day(i: u8) -> DateTime<Utc> {
    Utc.from_utc_datetime(&start().and_hms_opt(9, 0, 0).unwrap()) + Duration::days(i64::from(i))
}

type Step = (u8, u8, u8, u8, u8, i16, bool);

/// The lifecycle's main road for cycle 0 (and a later cycle 1 to carry over into), woven
/// evenly into every random sequence so that the properties are exercised in every phase.
fn backbone() -> Vec<Step> {
    vec![
        (op(0), 0, 0, 8, 0, 1, false),    // plan cycle 0, twelve weeks
        (op(6), 0, 0, 0, 1, 2, false),    // draft objective 0 in unit 1
        (op(17), 0, 0, 0, 1, 40, false),  // key result 0: increase 10 -> 11
        (op(13), 0, 0, 0, 0, 0, false),   // commit objective 0
        (op(0), 0, 1, 8, 3, 1, false),    // plan cycle 1, three weeks later
        (op(1), 0, 0, 0, 0, 0, false),    // start cycle 0
        (op(23), 0, 0, 5, 1, 84, false),  // check in 10.5
        (op(30), 0, 0, 0, 1, 1, false),   // raise blocker other(0) in unit 1
        (op(31), 0, 0, 4, 0, 0, false),   // escalate it to the committee, unit 4
        (op(32), 4, 0, 0, 0, 0, false),   // the steering member decides
        (op(2), 0, 0, 0, 0, 0, false),    // early review, with a reason
        (op(35), 0, 0, 0, 0, 700, false), // override key result 0's score: 0.7
        (op(3), 0, 0, 0, 0, 0, false),    // retrospective
        (op(37), 0, 0, 1, 5, 0, false),   // carry objective 0 over to cycle 1
        (op(4), 0, 0, 0, 0, 0, false),    // close
        (op(38), 0, 0, 0, 0, 650, false), // correct key result 0's score: 0.65
    ]
}

/// Weaves the backbone evenly into `steps`.
fn woven(steps: &[Step]) -> Vec<Step> {
    let spine = backbone();
    let mut out = Vec::with_capacity(steps.len() + spine.len());
    let mut next = 0;
    for (i, s) in steps.iter().enumerate() {
        while next < spine.len() && next * steps.len() <= i * spine.len() {
            out.push(spine[next]);
            next += 1;
        }
        out.push(*s);
    }
    out.extend_from_slice(&spine[next..]);
    out
}

fn commands(steps: &[Step]) -> Vec<Command> {
    let mut out = Vec::new();
    let mut n = 0u128;
    let mut command = |actor: PersonId, at: DateTime<Utc>, expected: Option<u64>, body| {
        n += 1;
        let c = Command::new(Uuid::from_u128(n), actor, at, body);
        match expected {
            Some(v) => c.expecting(v),
            None => c,
        }
    };
    let t0 = day(0) - Duration::days(100);
    for b in setup() {
        out.push(command(person(0), t0, None, b));
    }
    for (i, (op, actor, a, b, c, x, versioned)) in steps.iter().enumerate() {
        // Time moves forward a little with every step; actors vary.
        let at = t0 + Duration::hours(i as i64 * 9);
        let expected = versioned.then_some(u64::from(*c % 4));
        out.push(command(
            person(*actor),
            at,
            expected,
            body(*op, *a, *b, *c, *x),
        ));
    }
    out
}

fn acyclic(state: &State) -> Result<(), String> {
    for c in state.cycles.values() {
        // Kahn's algorithm over "aligned to" edges.
        let mut indegree: BTreeMap<ObjectiveId, usize> =
            c.objectives.keys().map(|k| (*k, 0)).collect();
        for o in c.objectives.values() {
            for p in o.aligned_to.keys() {
                if let Some(d) = indegree.get_mut(p) {
                    *d += 1;
                } else {
                    return Err(format!("{} aligned to {p} outside its cycle", o.id));
                }
            }
        }
        let mut ready: Vec<ObjectiveId> = indegree
            .iter()
            .filter(|(_, d)| **d == 0)
            .map(|(k, _)| *k)
            .collect();
        let mut done = BTreeSet::new();
        while let Some(o) = ready.pop() {
            done.insert(o);
            for p in c.objectives[&o].aligned_to.keys() {
                let d = indegree.get_mut(p).unwrap();
                *d -= 1;
                if *d == 0 {
                    ready.push(*p);
                }
            }
        }
        if done.len() != c.objectives.len() {
            return Err(format!("alignment loop in cycle {}", c.name));
        }
    }
    Ok(())
}

fn step() -> impl Strategy<Value = Step> {
    (
        any::<u8>(),
        prop_oneof![3 => Just(0u8), 2 => Just(1u8), 2 => Just(2u8), 1 => any::<u8>()],
        0u8..12,
        0u8..12,
        any::<u8>(),
        any::<i16>(),
        prop::bool::weighted(0.05),
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn decide_never_panics_replay_is_deterministic_and_events_round_trip(
        steps in prop::collection::vec(step(), 0..250)
    ) {
        let mut state = State::new();
        let mut log: Vec<Event> = Vec::new();
        let mut accepted = 0usize;
        for cmd in commands(&woven(&steps)) {
            let before = state.clone();
            match execute(&mut state, &cmd) {
                Ok(outcome) => {
                    accepted += 1;
                    prop_assert!(!outcome.events.is_empty());
                    for e in &outcome.events {
                        prop_assert_eq!(e.stream(), outcome.stream);
                        let json = serde_json::to_string(e).unwrap();
                        let back: Event = serde_json::from_str(&json).unwrap();
                        prop_assert_eq!(&back, e, "round trip of {}", json);
                        let payload = serde_json::to_string(&e.body).unwrap();
                        let by_type = EventBody::deserialize_of_type(
                            e.body.event_type(),
                            &mut serde_json::Deserializer::from_str(&payload),
                        );
                        let by_type = by_type.ok();
                        prop_assert_eq!(by_type.as_ref(), Some(&e.body), "by type: {}", payload);
                    }
                    log.extend(outcome.events);
                }
                Err(rejection) => {
                    prop_assert_eq!(&state, &before, "a refusal changed state: {}", rejection);
                    // Rejections cross boundaries as JSON too.
                    let json = serde_json::to_string(&rejection).unwrap();
                    let back: Rejection = serde_json::from_str(&json).unwrap();
                    prop_assert_eq!(back, rejection);
                }
            }
            prop_assert!(acyclic(&state).is_ok(), "{:?}", acyclic(&state));
        }
        prop_assert!(accepted >= setup().len());
        let replayed = State::from_events(&log);
        prop_assert_eq!(replayed, state);
    }

    #[test]
    fn alignment_stays_acyclic_under_random_linking(
        links in prop::collection::vec((0u8..8, 0u8..8, 0u8..3), 0..80)
    ) {
        let mut steps: Vec<Step> = Vec::new();
        // Plan a cycle and draft eight objectives in units the member may edit.
        steps.push((op(0), 0, 0, 8, 0, 1, false));
        for o in 0..8u8 {
            steps.push((op(6), 0, 0, o, 1, 2, false));
        }
        for (a, b, c) in links {
            steps.push((op(10), 0, a, b, c, 0, false));
        }
        let mut state = State::new();
        for cmd in commands(&steps) {
            if let Err(Rejection::RuleViolated { rule: Rule::AlignmentAcyclic, detail }) = execute(&mut state, &cmd) {
                prop_assert!(detail.contains("→"), "the loop is named: {}", detail);
            }
            prop_assert!(acyclic(&state).is_ok());
        }
    }
}

#[test]
fn random_sequences_reach_every_phase() {
    // Guards the generator above: a test over sequences that never get past Planning would
    // prove little. A fixed script through the same `body` mapping reaches Closed.
    let steps: Vec<Step> = vec![
        (op(0), 0, 0, 8, 0, 1, false),    // plan cycle 0, 12 weeks
        (op(6), 2, 0, 0, 1, 2, false),    // member drafts objective 0 in unit 1
        (op(17), 2, 0, 0, 4, 8, false),   // adds KR 0, a milestone (kind from c=4)
        (op(13), 1, 0, 0, 0, 0, false),   // lead commits
        (op(1), 0, 0, 0, 0, 0, false),    // start
        (op(23), 2, 0, 5, 1, 8, false),   // check-in: done
        (op(2), 0, 0, 0, 0, 0, false),    // early review with reason
        (op(3), 0, 0, 0, 0, 0, false),    // retrospective
        (op(4), 0, 0, 0, 0, 0, false),    // close
        (op(38), 0, 0, 0, 0, 650, false), // correct key result 0's score: 0.65
    ];
    let mut state = State::new();
    for cmd in commands(&steps) {
        let name = cmd.body.name();
        execute(&mut state, &cmd).unwrap_or_else(|r| panic!("{name}: {r}"));
    }
    assert_eq!(state.cycles[&cycle(0)].phase, Phase::Closed);
}

#[test]
fn random_sequences_accept_most_command_types() {
    // Guards the strategy's strength: over a fixed set of pseudo-random sequences, most
    // command types are accepted at least once, so the properties above are exercised deep
    // into the lifecycle, not only at its door.
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut accepted: BTreeSet<&'static str> = BTreeSet::new();
    for _ in 0..300 {
        let steps: Vec<Step> = (0..250)
            .map(|_| {
                let r = next();
                let actor = [0u8, 0, 0, 1, 1, 2, 2, 4][(r % 8) as usize];
                (
                    (r >> 8) as u8,
                    actor,
                    ((r >> 16) % 12) as u8,
                    ((r >> 24) % 12) as u8,
                    (r >> 32) as u8,
                    (r >> 40) as i16,
                    false,
                )
            })
            .collect();
        let mut state = State::new();
        for cmd in commands(&woven(&steps)) {
            if execute(&mut state, &cmd).is_ok() {
                accepted.insert(cmd.body.name());
            }
        }
    }
    assert!(
        accepted.len() >= 37,
        "only {} command types accepted: {accepted:?}",
        accepted.len()
    );
}
