//! Invariants over arbitrary command sequences (proptest): decide never panics, replaying the
//! accepted events gives the same state, every event survives a JSON round trip, the
//! incremental rollup fed the accepted events agrees with a full recomputation, and the
//! alignment and dependency graphs stay acyclic. The generator produces every command
//! (checked by `the_generator_produces_every_command`), so weeklies with mutual agreements,
//! retro actions and their follow-up, KPIs and their readings, dependency links, cross-unit
//! approval, policies, aspirational objectives and forgetting a person are all exercised.

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
const KPIS: u128 = 0x700;

/// Units 0..=4 are defined by [`setup`]; 5 and 6 only by a generated `define_unit`.
fn unit(i: u8) -> UnitId {
    UnitId::from_u128(UNITS + u128::from(i % 7))
}
/// People 0..=5 are registered by [`setup`]; 6 only by a generated `register_person`.
fn person(i: u8) -> PersonId {
    PersonId::from_u128(PEOPLE + u128::from(i % 7))
}
fn kpi(i: u8) -> KpiId {
    KpiId::from_u128(KPIS + u128::from(i % 3))
}
/// The date of a weekly `n % 16` weeks after the earliest cycle start.
fn week(n: u8) -> NaiveDate {
    start() + Duration::days(i64::from(n % 16) * 7 - 100)
}
fn party(i: u8) -> Party {
    if i % 2 == 0 {
        Party::Person(person(i / 2))
    } else {
        Party::Unit(unit(i / 2))
    }
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
    17, 17, 17, 17, 20, 21, 22, 23, 23, 23, 23, 23, 23, 23, 23, 28, 28, 28, 29, 29, 29, 30, 30, 31,
    31, 32, 32, 33, 33, 34, 35, 35, 36, 36, 37, 37, 38, 39, 39, 39, 39, 40, 40, 41, 41, 42, 42, 43,
    43, 44, 44, 45, 46, 46, 47,
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
            // Now and then a policy of its own: cross-unit approval, the practice sprint's
            // rule that every participating unit has an objective, fewer objectives.
            policy: (x % 5 == 0).then(|| Policy {
                cross_unit_approval: b % 2 == 0,
                start_needs_objective_per_unit: c % 2 == 1,
                max_committed_objectives_per_unit: 1 + u32::from(c % 3),
                ..Policy::for_kind(if b % 2 == 0 {
                    CycleKind::Regular
                } else {
                    CycleKind::Practice
                })
            }),
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
        // A mutual agreement: who provides what, for whom, and what if not kept; a
        // provider without `provides` (or the other way round) is refused.
        28 => C::MakeAgreement {
            cycle: cycle(a),
            agreement: AgreementId(other(b)),
            unit: unit(c),
            text: if x % 17 == 0 {
                String::new()
            } else {
                "do it".into()
            },
            owner: (x % 2 == 0).then(|| person(c)),
            due: (x % 3 == 0).then(|| week(b.wrapping_add(1))),
            weekly: (x % 4 != 0).then(|| week(b)),
            provider: (x % 5 < 3).then(|| party(c)),
            provides: (x % 5 != 2 && x % 5 != 4).then(|| "the data".to_string()),
            receiver: (x % 7 < 4).then(|| party(a.wrapping_add(c))),
            consequence: (x % 3 == 1).then(|| "escalate to the committee".to_string()),
        },
        // Resolved at a later weekly (an earlier or the same one is refused).
        29 => C::ResolveAgreement {
            agreement: AgreementId(other(a)),
            outcome: if b % 2 == 0 {
                AgreementOutcome::Kept
            } else {
                AgreementOutcome::Missed
            },
            weekly: (c % 3 != 0).then(|| week(b)),
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
        40 => {
            let threshold = f64::from(x) / 8.0;
            let bound = if c % 2 == 0 {
                Bound::AtLeast
            } else {
                Bound::AtMost
            };
            // A warning on the healthy side of the threshold is refused.
            let off = f64::from(b % 3) - 0.5;
            C::DefineKpi {
                kpi: kpi(a),
                unit: unit(b),
                name: if c % 7 == 3 {
                    String::new()
                } else {
                    format!("KPI {a}")
                },
                unit_of_measure: "%".into(),
                bound,
                threshold,
                warning: (c % 3 == 0).then_some(match bound {
                    Bound::AtLeast => threshold - off,
                    Bound::AtMost => threshold + off,
                }),
            }
        }
        41 => C::RecordKpi {
            kpi: kpi(a),
            value: f64::from(x) / 8.0,
            effective_at: (c % 5 == 0).then(|| day(c) - Duration::days(i64::from(b % 20) + 90)),
        },
        42 => C::LinkKpi {
            key_result: key_result(a),
            kpi: kpi(b),
        },
        43 => C::ApproveObjective {
            objective: objective(a),
            committee: unit(b),
        },
        44 => C::LinkDependency {
            objective: objective(a),
            depends_on: objective(b),
        },
        45 => C::UnlinkDependency {
            objective: objective(a),
            depends_on: objective(b),
        },
        46 => C::FollowUpRetroAction {
            cycle: cycle(a),
            action: RetroActionId(other(b)),
            done: c % 2 == 0,
        },
        47 => C::ForgetPerson {
            person: person(b),
            reason: if c % 4 == 0 {
                " ".into()
            } else {
                "erasure request".into()
            },
        },
        _ => match a % 10 {
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
                    cross_unit_approval: x % 2 == 0,
                    start_needs_objective_per_unit: x % 3 == 0,
                    ..Policy::for_kind(CycleKind::Regular)
                },
            },
            6 => C::AddReviewNote {
                cycle: cycle(b),
                text: "seen".into(),
            },
            8 => C::DefineUnit {
                unit: unit(b),
                name: format!("Unit {b}"),
                kind: [UnitKind::Team, UnitKind::Department, UnitKind::Committee]
                    [usize::from(c % 3)],
                parent: (x % 9 != 0).then(|| unit(c)),
            },
            9 => C::RegisterPerson {
                person: person(b),
                name: if c % 5 == 0 {
                    String::new()
                } else {
                    format!("P{b}")
                },
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

/// The lifecycle's main road for cycle 0 (and a later cycle 1 to carry over into and to
/// follow up a retro action in), woven evenly into every random sequence so that the
/// properties are exercised in every phase and with every kind of entity.
fn backbone() -> Vec<Step> {
    vec![
        (op(40), 1, 0, 1, 1, 80, false), // P1 defines KPI 0 of unit 1: at most 10
        (op(0), 0, 0, 8, 0, 1, false),   // plan cycle 0, twelve weeks
        (op(6), 0, 0, 0, 1, 2, false),   // draft objective 0 in unit 1
        (op(17), 0, 0, 0, 1, 40, false), // key result 0: increase 10 -> 11
        (op(42), 0, 0, 0, 0, 0, false),  // key result 0 sets out to move KPI 0
        (op(6), 0, 0, 1, 2, 2, false),   // draft objective 1 in unit 2
        (op(10), 0, 1, 0, 1, 0, false),  // objective 1 aligns to objective 0 ...
        (op(12), 0, 1, 0, 0, 0, false),  // ... is unaligned ...
        (op(10), 0, 1, 0, 2, 0, false),  // ... and aligned again, contributing 2
        (op(44), 0, 1, 0, 0, 0, false),  // objective 1 depends on objective 0
        (op(43), 4, 0, 4, 0, 0, false),  // the committee approves objective 0 (cross-unit)
        (op(13), 0, 0, 0, 0, 0, false),  // commit objective 0
        (op(0), 0, 1, 8, 3, 1, false),   // plan cycle 1, three weeks later
        (op(1), 0, 0, 0, 0, 0, false),   // start cycle 0
        (op(23), 0, 0, 5, 1, 84, false), // check in 10.5
        (op(41), 1, 0, 0, 1, 76, false), // P1 records KPI 0: 9.5
        (op(28), 1, 0, 1, 1, 1, false),  // agreement other(1) at weekly 1, provider and all
        (op(30), 0, 0, 0, 1, 1, false),  // raise blocker other(0) in unit 1
        (op(29), 1, 1, 2, 1, 0, false),  // resolve the agreement at weekly 2: kept
        (op(31), 0, 0, 4, 0, 0, false),  // escalate it to the committee, unit 4
        (op(32), 4, 0, 0, 0, 0, false),  // the steering member decides
        (op(2), 0, 0, 0, 0, 0, false),   // early review, with a reason
        (op(35), 0, 0, 0, 0, 700, false), // override key result 0's score: 0.7
        (op(3), 0, 0, 0, 0, 0, false),   // retrospective
        (op(39), 0, 7, 0, 2, 1, false),  // retro action other(2), owned by P2
        (op(37), 0, 0, 1, 5, 0, false),  // carry objective 0 over to cycle 1
        (op(4), 0, 0, 0, 0, 0, false),   // close
        (op(46), 0, 1, 2, 0, 0, false),  // follow the action up in cycle 1: done
        (op(38), 0, 0, 0, 0, 650, false), // correct key result 0's score: 0.65
        (op(47), 0, 0, 5, 1, 0, false),  // forget P5
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
        // Dependencies: a depth-first walk from every objective never comes back to it.
        for start in c.objectives.keys() {
            let mut stack: Vec<ObjectiveId> = c.objectives[start].depends_on.to_vec();
            let mut seen = BTreeSet::new();
            while let Some(o) = stack.pop() {
                if o == *start {
                    return Err(format!(
                        "dependency loop through {start} in cycle {}",
                        c.name
                    ));
                }
                let Some(found) = c.objectives.get(&o) else {
                    return Err(format!("{start} depends on {o} outside its cycle"));
                };
                if seen.insert(o) {
                    stack.extend(found.depends_on.iter().copied());
                }
            }
        }
    }
    Ok(())
}

/// The incremental rollups of every cycle, fed the accepted events as they come, against a
/// full recomputation from the state.
#[derive(Default)]
struct Rollups(BTreeMap<CycleId, rollup::Rollup>);

impl Rollups {
    fn feed(&mut self, state: &State, events: &[Event]) -> Result<(), String> {
        for r in self.0.values_mut() {
            for e in events {
                r.apply(e);
            }
            r.refresh(state);
        }
        // A cycle planned now gets its rollup from here on.
        for id in state.cycles.keys() {
            if !self.0.contains_key(id) {
                let built = rollup::Rollup::build(state, *id).ok_or("no rollup")?;
                self.0.insert(*id, built);
            }
        }
        for (id, r) in &self.0 {
            let full = rollup::cycle(&state.cycles[id]);
            if r.to_cycle_rollup() != full {
                return Err(format!(
                    "incremental rollup of {id} differs from the full one after {:?}",
                    events
                        .iter()
                        .map(|e| e.body.event_type())
                        .collect::<Vec<_>>()
                ));
            }
        }
        Ok(())
    }
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
    fn decide_never_panics_replay_is_deterministic_rollups_agree_and_events_round_trip(
        steps in prop::collection::vec(step(), 0..250)
    ) {
        let mut state = State::new();
        let mut log: Vec<Event> = Vec::new();
        let mut accepted = 0usize;
        let mut rollups = Rollups::default();
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
                    let fed = rollups.feed(&state, &outcome.events);
                    prop_assert!(fed.is_ok(), "{:?}", fed);
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
fn random_sequences_accept_every_command_type() {
    // Guards the strategy's strength: over a fixed set of pseudo-random sequences, every
    // command type is accepted at least once, so the properties above are exercised deep
    // into the lifecycle and with every kind of entity, not only at its door.
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
    let never: Vec<&str> = CommandKind::ALL
        .iter()
        .map(|k| k.name())
        .filter(|n| !accepted.contains(n))
        .collect();
    assert!(never.is_empty(), "never accepted: {never:?}");
}

#[test]
fn the_generator_produces_every_command() {
    // Guards the generator's reach: 2,000 steps drawn from the same strategy as the
    // properties (with proptest's deterministic runner) produce every command the engine
    // knows, so a new command that the generator does not produce fails here.
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let strategy = step();
    let mut seen: BTreeMap<CommandKind, usize> = BTreeMap::new();
    for _ in 0..2_000 {
        let (op, _actor, a, b, c, x, _) = strategy.new_tree(&mut runner).unwrap().current();
        *seen.entry(body(op, a, b, c, x).kind()).or_default() += 1;
    }
    let missing: Vec<&str> = CommandKind::ALL
        .iter()
        .filter(|k| !seen.contains_key(k))
        .map(|k| k.name())
        .collect();
    assert!(missing.is_empty(), "never generated: {missing:?}");
}

#[test]
fn the_backbone_alone_is_accepted_step_by_step() {
    // The road woven into every sequence works on its own: each of its commands is
    // accepted, so KPIs, dependencies, approval, agreements, retro follow-up and forgetting
    // are reached in every random sequence that does not get in their way.
    let mut state = State::new();
    for cmd in commands(&backbone()) {
        let name = cmd.body.name();
        execute(&mut state, &cmd).unwrap_or_else(|r| panic!("{name}: {r}"));
    }
    let c0 = &state.cycles[&cycle(0)];
    assert_eq!(c0.phase, Phase::Closed);
    assert_eq!(
        c0.objectives[&objective(0)].approved_by,
        Some(unit(4)),
        "approved by the committee"
    );
    assert_eq!(&*c0.objectives[&objective(1)].depends_on, &[objective(0)]);
    let a = &c0.agreements[&AgreementId(other(1))];
    assert!(a.provider.is_some() && a.provides.is_some() && a.receiver.is_some());
    assert!(a.consequence.is_some());
    assert_eq!(a.weekly, week(1));
    assert_eq!(a.resolved_weekly, Some(week(2)));
    assert!(matches!(a.resolution, Some((AgreementOutcome::Kept, _))));
    let action = &c0.retro_actions[&RetroActionId(other(2))];
    let follow_up = action.follow_up.as_ref().expect("followed up");
    assert!(follow_up.done && follow_up.cycle == cycle(1));
    assert_eq!(state.kpis[&kpi(0)].readings, 1);
    assert!(state.people[&person(5)].forgotten);
}
