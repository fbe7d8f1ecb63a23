//! Rollup: hand-computed expectations, the incremental rollup and the weekly history.
//! (The incremental rollup against a full recomputation over random workloads and event
//! orders is in okr-fixtures' tests, where the workload generator lives.)

use chrono::{DateTime, Duration, TimeZone, Utc, Weekday};
use okr_core::rollup::{self, Rollup, ScoringPolicy, Status, PPM};
use okr_core::*;
use uuid::Uuid;

// ---------------------------------------------------------------------------------------
// A small world driven through `execute`, for hand-computed cases.

const MASTER: PersonId = PersonId::from_u128(1);
const ROOT: UnitId = UnitId::from_u128(10);
const TEAM: UnitId = UnitId::from_u128(11);
const TEAM2: UnitId = UnitId::from_u128(12);
const CYCLE: CycleId = CycleId::from_u128(20);

fn t(day: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 1, 6, 9, 0, 0).unwrap() + Duration::days(day)
}

struct World {
    state: State,
    /// Every event so far, in the order told.
    events: Vec<Event>,
    n: u128,
}

impl World {
    fn new() -> Self {
        let mut w = World {
            state: State::new(),
            events: Vec::new(),
            n: 0,
        };
        w.run(
            -7,
            CommandBody::DefineUnit {
                unit: ROOT,
                name: "Root".into(),
                kind: UnitKind::Organisation,
                parent: None,
            },
        );
        for (u, name) in [(TEAM, "Team"), (TEAM2, "Team 2")] {
            w.run(
                -7,
                CommandBody::DefineUnit {
                    unit: u,
                    name: name.into(),
                    kind: UnitKind::Team,
                    parent: Some(ROOT),
                },
            );
        }
        w.run(
            -7,
            CommandBody::RegisterPerson {
                person: MASTER,
                name: "M".into(),
            },
        );
        // Rollup tests are not about rights: the one actor also leads the organisation,
        // since an OkrMaster alone holds no content rights.
        w.run(
            -7,
            CommandBody::GrantMembership {
                unit: ROOT,
                person: MASTER,
                role: Role::Lead,
            },
        );
        w.run(
            -7,
            CommandBody::GrantMembership {
                unit: ROOT,
                person: MASTER,
                role: Role::OkrMaster,
            },
        );
        w.run(
            -7,
            CommandBody::PlanCycle {
                cycle: CYCLE,
                name: "Q".into(),
                kind: CycleKind::Regular,
                start: t(0).date_naive(),
                end: t(91).date_naive(),
                check_in_weekday: Weekday::Mon,
                policy: None,
            },
        );
        w
    }

    fn run(&mut self, day: i64, body: CommandBody) {
        self.n += 1;
        let cmd = Command::new(Uuid::from_u128(self.n), MASTER, t(day), body);
        let name = cmd.body.name();
        let outcome = execute(&mut self.state, &cmd).unwrap_or_else(|r| panic!("{name}: {r}"));
        self.events.extend(outcome.events);
    }

    /// Plans the cycle's explicit roll-up: aligned objectives count in their parents.
    fn roll_up_aligned(&mut self) {
        let policy = Policy {
            scoring: rollup::ScoringPolicy::ROLL_UP_ALIGNED,
            ..Policy::for_kind(CycleKind::Regular)
        };
        self.run(
            -7,
            CommandBody::SetPolicy {
                cycle: CYCLE,
                policy,
            },
        );
    }

    fn objective(&mut self, id: u128, unit: UnitId, weight: u32) -> ObjectiveId {
        let o = ObjectiveId::from_u128(id);
        self.run(
            -1,
            CommandBody::DraftObjective {
                cycle: CYCLE,
                objective: o,
                unit,
                title: format!("Objective {id}"),
                beneficiary: Some("residents".into()),
                change: None,
                value: None,
                kind: ObjectiveKind::Committed,
                weight,
            },
        );
        o
    }

    fn kr(&mut self, o: ObjectiveId, id: u128, kind: KrKind, weight: u32) -> KeyResultId {
        let k = KeyResultId::from_u128(id);
        self.run(
            -1,
            CommandBody::AddKeyResult {
                objective: o,
                key_result: k,
                title: format!("KR {id}"),
                kind,
                weight,
                owner: None,
            },
        );
        k
    }

    fn commit(&mut self, o: ObjectiveId) {
        self.run(-1, CommandBody::CommitObjective { objective: o });
    }

    fn align(&mut self, child: ObjectiveId, parent: ObjectiveId, contribution: u32) {
        self.run(
            -1,
            CommandBody::AlignObjective {
                objective: child,
                parent,
                contribution,
            },
        );
    }

    fn start(&mut self) {
        self.run(0, CommandBody::StartCycle { cycle: CYCLE });
    }

    fn check_in(&mut self, day: i64, k: KeyResultId, value: f64, confidence: u8) {
        self.run(
            day,
            CommandBody::CheckIn {
                key_result: k,
                value,
                confidence,
                note: String::new(),
                effective_at: None,
            },
        );
    }

    fn reference(&self) -> rollup::CycleRollup {
        rollup::cycle(&self.state.cycles[&CYCLE])
    }

    fn incremental(&self) -> Rollup {
        Rollup::build(&self.state, CYCLE).unwrap()
    }
}

fn inc(b: f64, t: f64) -> KrKind {
    KrKind::Increase {
        baseline: Some(b),
        target: t,
        unit: "%".into(),
    }
}

#[test]
fn increase_decrease_threshold_milestone() {
    let mut w = World::new();
    let o = w.objective(100, TEAM, 1);
    let up = w.kr(o, 200, inc(5.0, 25.0), 1);
    let down = w.kr(
        o,
        201,
        KrKind::Decrease {
            baseline: Some(12.0),
            target: 5.0,
            unit: "days".into(),
        },
        1,
    );
    let at_least = w.kr(
        o,
        202,
        KrKind::Threshold {
            bound: Bound::AtLeast,
            value: 4.0,
            unit: "stars".into(),
        },
        1,
    );
    let at_most = w.kr(
        o,
        203,
        KrKind::Threshold {
            bound: Bound::AtMost,
            value: 2.0,
            unit: "days".into(),
        },
        1,
    );
    let milestone = w.kr(o, 204, KrKind::Milestone, 1);
    w.commit(o);
    w.start();
    // Before any check-in: increase/decrease at baseline (0), thresholds and milestone 0.
    let r = w.reference();
    assert!(r.key_results.values().all(|k| k.progress_ppm == 0));
    assert_eq!(r.objectives[&o], Some(0));

    w.check_in(7, up, 10.0, 6); // (10-5)/(25-5) = 0.25
    w.check_in(7, down, 8.5, 7); // (8.5-12)/(5-12) = 0.5
    w.check_in(7, at_least, 4.0, 8); // on the boundary: inclusive → 1
    w.check_in(7, at_most, 2.000001, 5); // just over → 0
    w.check_in(7, milestone, 1.0, 9); // done → 1
    let r = w.reference();
    assert_eq!(r.key_results[&up].progress_ppm, 250_000);
    assert_eq!(r.key_results[&down].progress_ppm, 500_000);
    assert_eq!(r.key_results[&at_least].progress_ppm, PPM);
    assert_eq!(r.key_results[&at_most].progress_ppm, 0);
    assert_eq!(r.key_results[&milestone].progress_ppm, PPM);
    // (0.25 + 0.5 + 1 + 0 + 1) / 5 = 0.55
    assert_eq!(r.objectives[&o], Some(550_000));
    assert_eq!(r.cycle, Some(550_000));
    let i = w.incremental();
    assert_eq!(i.to_cycle_rollup(), r);
    // Confidence: (6+7+8+5+9)/5 = 7 → 0.7.
    assert_eq!(i.objective(o).unwrap().confidence_ppm, Some(700_000));
}

#[test]
fn weights_and_over_achievement() {
    let mut w = World::new();
    let o = w.objective(100, TEAM, 1);
    let a = w.kr(o, 200, inc(0.0, 10.0), 3);
    let b = w.kr(o, 201, inc(0.0, 10.0), 1);
    w.commit(o);
    w.start();
    w.check_in(7, a, 14.0, 9); // raw 1.4, clamped 1.0
    w.check_in(7, b, 2.0, 3); // 0.2
    let r = w.reference();
    assert_eq!(
        r.key_results[&a].raw_ppm, 1_400_000,
        "over-achievement kept raw"
    );
    assert_eq!(r.key_results[&a].progress_ppm, PPM);
    // (3·1.0 + 1·0.2) / 4 = 0.8
    assert_eq!(r.objectives[&o], Some(800_000));
    // Unbounded scoring uses the raw attainment: (3·1.4 + 0.2)/4 = 1.1
    let unbounded = ScoringPolicy::parse("unbounded").unwrap();
    let s = rollup::rescore(&w.state, CYCLE, &unbounded).unwrap();
    assert_eq!(s.objectives[&o], Some(1_100_000));
    // Equal weighting: (1.0 + 0.2)/2 = 0.6
    let equal = ScoringPolicy::parse("clamped,equal").unwrap();
    assert_eq!(
        rollup::rescore(&w.state, CYCLE, &equal).unwrap().objectives[&o],
        Some(600_000)
    );
    // Rescoring left state alone: the standard scores are unchanged.
    assert_eq!(
        rollup::scores(&w.state.cycles[&CYCLE]).objectives[&o],
        Some(800_000)
    );
    assert_eq!(w.incremental().to_cycle_rollup(), r);
}

#[test]
fn objective_without_key_results_has_no_progress() {
    let mut w = World::new();
    let empty = w.objective(100, TEAM, 1);
    let o = w.objective(101, TEAM, 1);
    let k = w.kr(o, 200, inc(0.0, 4.0), 1);
    w.commit(o);
    w.start();
    w.check_in(7, k, 1.0, 5);
    let r = w.reference();
    assert_eq!(
        r.objectives[&empty], None,
        "nothing to average is None, not 0"
    );
    assert_eq!(r.objectives[&o], Some(250_000));
    assert_eq!(w.incremental().to_cycle_rollup(), r);
}

#[test]
fn one_child_aligned_to_two_parents() {
    let mut w = World::new();
    w.roll_up_aligned();
    let p1 = w.objective(100, ROOT, 1);
    let p2 = w.objective(101, ROOT, 1);
    let child = w.objective(102, TEAM, 1);
    let k1 = w.kr(p1, 200, inc(0.0, 10.0), 1);
    let k2 = w.kr(p2, 201, inc(0.0, 10.0), 2);
    let kc = w.kr(child, 202, inc(0.0, 10.0), 1);
    w.align(child, p1, 1);
    w.align(child, p2, 2);
    for o in [p1, p2, child] {
        w.commit(o);
    }
    w.start();
    w.check_in(7, k1, 2.0, 5); // 0.2
    w.check_in(7, k2, 4.0, 5); // 0.4
    w.check_in(7, kc, 8.0, 5); // 0.8
    let r = w.reference();
    // p1 = (1·0.2 + 1·0.8) / 2 = 0.5; p2 = (2·0.4 + 2·0.8) / 4 = 0.6
    assert_eq!(r.objectives[&p1], Some(500_000));
    assert_eq!(r.objectives[&p2], Some(600_000));
    assert_eq!(r.objectives[&child], Some(800_000));
    // Units: root = (0.5 + 0.6)/2 = 0.55; team = 0.8; cycle = (0.5+0.6+0.8)/3 = 0.6333…
    assert_eq!(r.units[&ROOT], Some(550_000));
    assert_eq!(r.units[&TEAM], Some(800_000));
    assert_eq!(r.cycle, Some(633_333));
    let mut i = w.incremental();
    assert_eq!(i.to_cycle_rollup(), r);
    assert_eq!(i.unit(ROOT).unwrap().subtree_ppm, Some(633_333));
    // A later check-in on the child moves both parents, incrementally.
    let before = w.state.clone();
    w.check_in(14, kc, 10.0, 8);
    let last = {
        assert_eq!(w.state.cycles[&CYCLE].key_results[&kc].check_in_count(), 2);
        Event {
            at: t(14),
            by: MASTER,
            body: EventBody::CheckedIn {
                cycle: CYCLE,
                key_result: kc,
                value: 10.0,
                confidence: 8,
                note: String::new(),
                effective_at: t(14),
            },
        }
    };
    assert_ne!(before, w.state);
    i.apply(&last);
    assert!(!i.is_stale());
    assert_eq!(i.objective(p1).unwrap().progress_ppm, Some(600_000));
    assert_eq!(i.objective(p2).unwrap().progress_ppm, Some(700_000));
    assert_eq!(i.to_cycle_rollup(), w.reference());
}

#[test]
fn a_draft_child_counts_nowhere_not_even_in_its_parent() {
    let world = |commit_child: bool| {
        let mut w = World::new();
        w.roll_up_aligned();
        let parent = w.objective(100, ROOT, 1);
        let child = w.objective(101, TEAM, 1);
        let kp = w.kr(parent, 200, inc(0.0, 10.0), 1);
        let kc = w.kr(child, 201, inc(0.0, 10.0), 1);
        w.align(child, parent, 3);
        w.commit(parent);
        if commit_child {
            w.commit(child);
        }
        w.start();
        w.check_in(7, kp, 6.0, 5); // 0.6
        w.check_in(7, kc, 0.0, 5); // 0.0
        (w, parent)
    };
    let (w, parent) = world(false);
    let r = w.reference();
    // The parent stands on its own key result: the draft pulls nothing down.
    assert_eq!(r.objectives[&parent], Some(600_000));
    assert_eq!(r.units[&ROOT], Some(600_000));
    assert_eq!(
        r.units.get(&TEAM).copied().flatten(),
        None,
        "the draft's unit has no committed objective"
    );
    assert_eq!(r.cycle, Some(600_000));
    assert_eq!(w.incremental().to_cycle_rollup(), r);
    // Committed, the same child counts, in its parent too: (1·0.6 + 3·0.0) / 4 = 0.15.
    let (w, parent) = world(true);
    let r = w.reference();
    assert_eq!(r.objectives[&parent], Some(150_000));
    assert_eq!(w.incremental().to_cycle_rollup(), r);
}

#[test]
fn status_against_expected_progress() {
    let mut w = World::new();
    let o = w.objective(100, TEAM, 1);
    let k = w.kr(o, 200, inc(0.0, 100.0), 1);
    w.commit(o);
    w.start();
    let c = w.state.cycles[&CYCLE].clone();
    let i = w.incremental();
    assert_eq!(i.objective_status(&c, o, t(45)), Some(Status::NotStarted));
    // The cycle runs 92 whole days (2025-01-06 to 2025-04-07 inclusive); halfway is day 46.
    w.check_in(45, k, 45.0, 5);
    let i = w.incremental();
    let half = Utc.with_ymd_and_hms(2025, 1, 6, 0, 0, 0).unwrap() + Duration::days(46);
    assert_eq!(rollup::expected_ppm(&c, half), 500_000);
    assert_eq!(i.objective_status(&c, o, half), Some(Status::OnTrack)); // -0.05
    let mut w2 = World::new();
    let o2 = w2.objective(100, TEAM, 1);
    let k2 = w2.kr(o2, 200, inc(0.0, 100.0), 1);
    w2.commit(o2);
    w2.start();
    w2.check_in(45, k2, 30.0, 5);
    let i2 = w2.incremental();
    assert_eq!(i2.objective_status(&c, o2, half), Some(Status::AtRisk)); // -0.20
    w2.check_in(45, k2, 20.0, 5);
    let i2 = w2.incremental();
    assert_eq!(i2.objective_status(&c, o2, half), Some(Status::OffTrack)); // -0.30
}

/// Status by kind, as a table: given an objective of a kind with one key result 0 → 1000
/// checked in at a value, when rated at a moment, then its status (and its key result's).
/// The expectation by now is scaled to what the kind expects: 1.0 committed, 0.7
/// aspirational.
#[test]
fn status_is_measured_against_the_kinds_expectation() {
    use ObjectiveKind::{Aspirational, Committed};
    let half = Utc.with_ymd_and_hms(2025, 1, 6, 0, 0, 0).unwrap() + Duration::days(46);
    let after_end = t(95);
    let cases: &[(&str, ObjectiveKind, f64, DateTime<Utc>, Status)] = &[
        (
            "committed at 0.45 halfway",
            Committed,
            450.0,
            half,
            Status::OnTrack,
        ),
        (
            "committed at 0.30 halfway",
            Committed,
            300.0,
            half,
            Status::AtRisk,
        ),
        (
            "committed at 0.20 halfway",
            Committed,
            200.0,
            half,
            Status::OffTrack,
        ),
        // 0.85 of the expectation scaled to 0.7: 0.85 · 0.35 = 0.2975; committed-scale
        // would call it at risk (−0.2025), against 0.35 it is −0.0525.
        (
            "aspirational at 0.85 of 0.35 halfway",
            Aspirational,
            297.5,
            half,
            Status::OnTrack,
        ),
        (
            "aspirational at 0.30 halfway",
            Aspirational,
            300.0,
            half,
            Status::OnTrack,
        ),
        (
            "aspirational at 0.20 halfway",
            Aspirational,
            200.0,
            half,
            Status::AtRisk,
        ),
        (
            "aspirational at 0.05 halfway",
            Aspirational,
            50.0,
            half,
            Status::OffTrack,
        ),
        (
            "aspirational at 0.60 after the end",
            Aspirational,
            600.0,
            after_end,
            Status::OnTrack,
        ),
        (
            "aspirational at 0.50 after the end",
            Aspirational,
            500.0,
            after_end,
            Status::AtRisk,
        ),
        (
            "committed at 0.60 after the end",
            Committed,
            600.0,
            after_end,
            Status::OffTrack,
        ),
    ];
    for (name, kind, value, at, expected) in cases {
        let mut w = World::new();
        let o = w.objective(100, TEAM, 1);
        if *kind != Committed {
            w.run(
                -1,
                CommandBody::ReviseObjective {
                    objective: o,
                    patch: ObjectivePatch {
                        kind: Some(*kind),
                        ..ObjectivePatch::default()
                    },
                },
            );
        }
        let k = w.kr(o, 200, inc(0.0, 1000.0), 1);
        w.commit(o);
        w.start();
        w.check_in(45, k, *value, 5);
        let c = w.state.cycles[&CYCLE].clone();
        let i = w.incremental();
        assert_eq!(
            i.objective_status(&c, o, *at),
            Some(*expected),
            "{name}: objective"
        );
        assert_eq!(
            i.key_result_status(&c, k, *at),
            Some(*expected),
            "{name}: key result"
        );
        assert_eq!(i.statuses(&c, *at), vec![*expected], "{name}: statuses");
        assert_eq!(
            rollup::status(&c, *kind, Some((value * 1000.0) as i64), true, *at),
            *expected,
            "{name}: rollup::status"
        );
    }
}

#[test]
fn history_is_a_burn_up_per_week() {
    let mut w = World::new();
    let o = w.objective(100, TEAM, 1);
    let k = w.kr(o, 200, inc(0.0, 10.0), 1);
    w.commit(o);
    w.start();
    w.check_in(3, k, 2.0, 5); // week 1
    w.check_in(17, k, 6.0, 6); // week 3
    let h = rollup::history(&w.state, CYCLE, &w.events).unwrap();
    assert_eq!(h.weeks.len(), 14, "92 days: 13 full weeks and one day");
    let p: Vec<Option<i64>> = h.weeks.iter().map(|x| x.objectives[&o]).collect();
    assert_eq!(
        &p[..4],
        &[Some(200_000), Some(200_000), Some(600_000), Some(600_000)]
    );
    assert!(h
        .weeks
        .windows(2)
        .all(|x| x[0].expected_ppm < x[1].expected_ppm));
    assert_eq!(h.weeks.last().unwrap().expected_ppm, PPM);
}

#[test]
fn history_replays_check_ins_by_effective_time_ties_by_order_told() {
    let mut w = World::new();
    let o = w.objective(100, TEAM, 1);
    let k = w.kr(o, 200, inc(0.0, 10.0), 1);
    let gone = w.kr(o, 201, inc(0.0, 10.0), 1);
    w.run(-1, CommandBody::RemoveKeyResult { key_result: gone });
    w.commit(o);
    w.start();
    let back = |day: i64, told: i64, value: f64, w: &mut World| {
        w.run(
            told,
            CommandBody::CheckIn {
                key_result: k,
                value,
                confidence: 5,
                note: String::new(),
                effective_at: Some(t(day)),
            },
        )
    };
    w.check_in(10, k, 5.0, 5); // week 2
    back(2, 12, 1.0, &mut w); // told in week 2, effective in week 1
    w.check_in(15, k, 8.0, 5); // week 3
    back(22, 23, 3.0, &mut w); // week 4: two check-ins effective at the same instant,
    back(22, 24, 4.0, &mut w); // the one told last counts
    let h = rollup::history(&w.state, CYCLE, &w.events).unwrap();
    let p: Vec<i64> = h.weeks.iter().map(|x| x.key_results[&k]).collect();
    assert_eq!(&p[..5], &[100_000, 500_000, 800_000, 400_000, 400_000]);
    assert!(h.weeks.iter().all(|x| !x.key_results.contains_key(&gone)));
    let p: Vec<Option<i64>> = h.weeks.iter().map(|x| x.objectives[&o]).collect();
    assert_eq!(
        &p[..4],
        &[Some(100_000), Some(500_000), Some(800_000), Some(400_000)]
    );
    // The present equals the last week, and the state keeps just that.
    let last = h.weeks.last().unwrap();
    assert_eq!(last.cycle_ppm, w.reference().cycle);
    let kr = &w.state.cycles[&CYCLE].key_results[&k];
    assert_eq!((kr.latest().unwrap().value, kr.check_in_count()), (4.0, 5));
    assert_eq!(kr.check_in_weeks().iter().collect::<Vec<_>>(), [0, 1, 2, 3]);
    // Events of other cycles and the organisation are skipped; the same figures follow.
    let mut noisy = w.events.clone();
    noisy.insert(
        3,
        Event {
            at: t(3),
            by: MASTER,
            body: EventBody::CheckedIn {
                cycle: CycleId::from_u128(99),
                key_result: k,
                value: 10.0,
                confidence: 1,
                note: String::new(),
                effective_at: t(3),
            },
        },
    );
    assert_eq!(rollup::history(&w.state, CYCLE, &noisy), Some(h));
    assert_eq!(
        rollup::history(&w.state, CycleId::from_u128(99), &noisy),
        None
    );
}

#[test]
fn alignment_is_shown_beside_an_objective_and_rolled_in_only_under_an_explicit_policy() {
    let world = |roll_up: bool| {
        let mut w = World::new();
        if roll_up {
            w.roll_up_aligned();
        }
        let parent = w.objective(100, ROOT, 1);
        let child = w.objective(101, TEAM, 1);
        let kp = w.kr(parent, 200, inc(0.0, 10.0), 1);
        let kc = w.kr(child, 201, inc(0.0, 10.0), 1);
        w.align(child, parent, 3);
        w.commit(parent);
        w.commit(child);
        w.start();
        w.check_in(7, kp, 6.0, 5); // 0.6
        w.check_in(7, kc, 0.0, 5); // 0.0
        (w, parent, child)
    };
    // The standard: the parent stands on its own key results; the child is shown beside it.
    let (w, parent, child) = world(false);
    let r = w.reference();
    assert_eq!(r.objectives[&parent], Some(600_000));
    assert_eq!(w.incremental().to_cycle_rollup(), r);
    let c = &w.state.cycles[&CYCLE];
    let view = &rollup::alignment(c)[&parent];
    assert_eq!(view.own_ppm, Some(600_000));
    assert_eq!(view.with_aligned_ppm, Some(150_000), "(1·0.6 + 3·0.0) / 4");
    assert!(!view.rolled_in);
    assert_eq!(view.contributions.len(), 1);
    assert_eq!(view.contributions[0].objective, child);
    assert_eq!(view.contributions[0].unit, TEAM);
    assert_eq!(view.contributions[0].contribution, 3);
    assert_eq!(view.contributions[0].own_ppm, Some(0));
    assert_eq!(rollup::scores(c).objectives[&parent], Some(600_000));
    // A what-if under the roll-up policy rolls the child in, without touching the cycle.
    let what_if = rollup::scores_with(c, &ScoringPolicy::ROLL_UP_ALIGNED);
    assert_eq!(what_if.objectives[&parent], Some(150_000));
    // Under the explicit policy the child counts in progress and score alike.
    let (w, parent, _) = world(true);
    let r = w.reference();
    assert_eq!(r.objectives[&parent], Some(150_000));
    assert_eq!(w.incremental().to_cycle_rollup(), r);
    let c = &w.state.cycles[&CYCLE];
    assert!(rollup::alignment(c)[&parent].rolled_in);
    assert_eq!(rollup::scores(c).objectives[&parent], Some(150_000));
}

#[test]
fn a_cycle_planned_before_the_scoring_policy_was_recorded_keeps_rolling_aligned_in() {
    // Older logs carry a policy without `scoring`: they were written under the roll-up and
    // replay with it, so their figures do not change.
    let mut policy = serde_json::to_value(Policy::for_kind(CycleKind::Regular)).unwrap();
    policy.as_object_mut().unwrap().remove("scoring");
    policy
        .as_object_mut()
        .unwrap()
        .remove("cross_unit_approval");
    policy
        .as_object_mut()
        .unwrap()
        .remove("steering_decision_days");
    let old: Policy = serde_json::from_value(policy).unwrap();
    assert!(old.scoring.rolls_up_aligned());
    assert!(!old.cross_unit_approval);
    assert_eq!(old.steering_decision_days, 14);
    assert!(!Policy::for_kind(CycleKind::Regular)
        .scoring
        .rolls_up_aligned());
}

/// The acceptance case: a draft with one key result at 0, aligned with contribution 3 to a
/// committed parent, does not pull the parent down (0.597222 stays); committed it does, and
/// dropped while the cycle runs it no longer does — in the full rollup and in the
/// incremental one fed event by event (which marks itself stale on a commit or drop and is
/// rebuilt from the state then).
#[test]
fn committing_and_dropping_an_aligned_child_moves_its_parent_in_both_rollups() {
    let (kp, kc, parent, child) = (
        KeyResultId::from_u128(200),
        KeyResultId::from_u128(201),
        ObjectiveId::from_u128(100),
        ObjectiveId::from_u128(101),
    );
    let planned = |commit_child: bool| {
        let mut w = World::new();
        w.roll_up_aligned();
        w.objective(100, ROOT, 1);
        w.objective(101, TEAM, 1);
        w.kr(parent, 200, inc(0.0, 36.0), 1);
        w.kr(child, 201, inc(0.0, 10.0), 1);
        w.align(child, parent, 3);
        w.commit(parent);
        if commit_child {
            w.commit(child);
        }
        w.start();
        w.check_in(7, kp, 21.5, 5); // 21.5 / 36 = 0.597222
        w.check_in(7, kc, 0.0, 5);
        w
    };
    let own = Some(597_222);
    let draft = planned(false);
    assert_eq!(
        draft.reference().objectives[&parent],
        own,
        "the draft counts nowhere"
    );
    assert_eq!(draft.incremental().to_cycle_rollup(), draft.reference());
    // Committed: (1·0.597222 + 3·0) / 4.
    let mut w = planned(true);
    assert_eq!(w.reference().objectives[&parent], Some(149_305));
    let mut i = w.incremental();
    assert_eq!(i.objective(parent).unwrap().progress_ppm, Some(149_305));
    // Dropped while running: the incremental rollup, fed the drop, agrees with the full one.
    let from = w.events.len();
    w.run(
        8,
        CommandBody::DropObjective {
            objective: child,
            reason: Some("merged into another objective".into()),
        },
    );
    for e in &w.events[from..] {
        i.apply(e);
    }
    assert!(i.is_stale(), "a drop changes what counts: rebuild");
    let i = w.incremental();
    assert_eq!(i.to_cycle_rollup(), w.reference());
    assert_eq!(i.objective(parent).unwrap().progress_ppm, own);
    assert_eq!(w.reference().objectives[&parent], own);
    assert_eq!(w.reference().units.get(&TEAM).copied().flatten(), None);
}

// ---------------------------------------------------------------------------------------
// Properties over generated cycles: the rescore on the indexed rollup equals the reference
// `scores_with` for every policy, a split recompute equals the sequential one and the
// reference around the split threshold, and the rollup fed event by event equals a full
// one.

mod generated {
    use super::*;
    use proptest::prelude::*;
    use rollup::{Parallelism, ScoreBounds, ScoreScope, ScoreWeighting};

    /// Every scoring policy of version 1.
    pub(super) fn policies() -> Vec<ScoringPolicy> {
        let mut out = Vec::new();
        for bounds in [ScoreBounds::Clamped, ScoreBounds::Unbounded] {
            for scope in [ScoreScope::KeyResultsOnly, ScoreScope::WithChildren] {
                for weighting in [ScoreWeighting::Weighted, ScoreWeighting::Equal] {
                    out.push(ScoringPolicy {
                        version: 1,
                        bounds,
                        scope,
                        weighting,
                    });
                }
            }
        }
        out
    }

    /// One objective of a generated cycle: unit, weight, aspirational, fate (0 draft,
    /// 1..=3 committed, 4 committed then dropped while running), an alignment to an earlier
    /// objective (pick, contribution) and its key results (kind, number, weight, removed).
    type ObjPlan = (
        u8,
        u32,
        bool,
        u8,
        Option<(u8, u32)>,
        Vec<(u8, i16, u32, bool)>,
    );

    #[derive(Debug, Clone)]
    pub(super) struct Plan {
        scoring: ScoringPolicy,
        objectives: Vec<ObjPlan>,
        /// Key result pick, value, confidence, day.
        check_ins: Vec<(u16, i16, u8, u8)>,
        /// Key result pick, score in thousandths; overrides in the review, then corrections
        /// after the close.
        overrides: Vec<(u16, u16)>,
        corrections: Vec<(u16, u16)>,
    }

    fn kr_kind(kind: u8, x: i16) -> KrKind {
        let b = f64::from(x) / 8.0;
        match kind % 6 {
            0 => inc(b, b + 10.0),
            1 => KrKind::Decrease {
                baseline: Some(b),
                target: b - 4.0,
                unit: "days".into(),
            },
            2 => KrKind::Threshold {
                bound: Bound::AtLeast,
                value: b,
                unit: "".into(),
            },
            3 => KrKind::Threshold {
                bound: Bound::AtMost,
                value: b,
                unit: "".into(),
            },
            4 => KrKind::Milestone,
            _ => KrKind::Increase {
                baseline: None,
                target: 20.0,
                unit: "%".into(),
            },
        }
    }

    fn plan() -> impl Strategy<Value = Plan> {
        let kr = (0u8..6, any::<i16>(), 1u32..6, prop::bool::weighted(0.1));
        let objective = (
            0u8..3,
            1u32..5,
            any::<bool>(),
            0u8..5,
            prop::option::weighted(0.6, (any::<u8>(), 0u32..4)),
            prop::collection::vec(kr, 0..5),
        );
        (
            0usize..8,
            prop::collection::vec(objective, 1..9),
            prop::collection::vec((any::<u16>(), -40i16..200, 0u8..11, 1u8..85), 0..40),
            prop::collection::vec((any::<u16>(), 0u16..=1000), 0..5),
            prop::collection::vec((any::<u16>(), 0u16..=1000), 0..3),
        )
            .prop_map(|(p, objectives, check_ins, overrides, corrections)| Plan {
                scoring: policies()[p],
                objectives,
                check_ins,
                overrides,
                corrections,
            })
    }

    /// A world run from a plan, and the rollup built when the cycle started, fed every
    /// event after.
    pub(super) struct Run {
        pub(super) world: World,
        pub(super) fed: Rollup,
        /// Commands the rules accepted, of those tried.
        pub(super) accepted: usize,
    }

    impl World {
        fn try_run(&mut self, day: i64, body: CommandBody) -> bool {
            self.n += 1;
            let cmd = Command::new(Uuid::from_u128(self.n), MASTER, t(day), body);
            match execute(&mut self.state, &cmd) {
                Ok(outcome) => {
                    self.events.extend(outcome.events);
                    true
                }
                Err(_) => false,
            }
        }
    }

    pub(super) fn run(plan: &Plan) -> Run {
        let mut w = World::new();
        let mut accepted = 0;
        let policy = Policy {
            scoring: plan.scoring,
            ..Policy::for_kind(CycleKind::Regular)
        };
        w.run(
            -7,
            CommandBody::SetPolicy {
                cycle: CYCLE,
                policy,
            },
        );
        let units = [ROOT, TEAM, TEAM2];
        let mut objectives = Vec::new();
        let mut krs = Vec::new();
        for (i, (unit, weight, aspirational, _, _, key_results)) in
            plan.objectives.iter().enumerate()
        {
            let o = ObjectiveId::from_u128(100 + i as u128);
            objectives.push(o);
            let kind = if *aspirational {
                ObjectiveKind::Aspirational
            } else {
                ObjectiveKind::Committed
            };
            w.run(
                -2,
                CommandBody::DraftObjective {
                    cycle: CYCLE,
                    objective: o,
                    unit: units[usize::from(*unit)],
                    title: format!("Objective {i}"),
                    beneficiary: Some("residents".into()),
                    change: None,
                    value: None,
                    kind,
                    weight: *weight,
                },
            );
            for (j, (k, x, weight, removed)) in key_results.iter().enumerate() {
                let id = KeyResultId::from_u128(1000 + 10 * i as u128 + j as u128);
                let added = w.try_run(
                    -2,
                    CommandBody::AddKeyResult {
                        objective: o,
                        key_result: id,
                        title: format!("KR {i}.{j}"),
                        kind: kr_kind(*k, *x),
                        weight: *weight,
                        owner: None,
                    },
                );
                accepted += usize::from(added);
                if added && *removed {
                    w.run(-2, CommandBody::RemoveKeyResult { key_result: id });
                } else if added {
                    krs.push(id);
                }
            }
            // The cycle starts only with a committed objective with a key result: the
            // first objective always has one and is committed.
            if i == 0 && krs.is_empty() {
                let id = KeyResultId::from_u128(1009);
                w.kr(o, 1009, inc(0.0, 10.0), 1);
                krs.push(id);
            }
        }
        for (i, (_, _, _, _, align, _)) in plan.objectives.iter().enumerate() {
            if let (Some((pick, contribution)), true) = (align, i > 0) {
                let parent = objectives[usize::from(*pick) % i];
                accepted += usize::from(w.try_run(
                    -1,
                    CommandBody::AlignObjective {
                        objective: objectives[i],
                        parent,
                        contribution: *contribution,
                    },
                ));
            }
        }
        for (i, (_, _, _, fate, _, _)) in plan.objectives.iter().enumerate() {
            if *fate > 0 || i == 0 {
                accepted += usize::from(w.try_run(
                    -1,
                    CommandBody::CommitObjective {
                        objective: objectives[i],
                    },
                ));
            }
        }
        w.start();
        let mut fed = Rollup::build(&w.state, CYCLE).unwrap();
        let mut from = w.events.len();
        let feed = |w: &World, from: &mut usize, fed: &mut Rollup| {
            for e in &w.events[*from..] {
                fed.apply(e);
            }
            *from = w.events.len();
            fed.refresh(&w.state);
        };
        let pick = |p: u16| krs.get(usize::from(p) % krs.len().max(1)).copied();
        let mut check_ins = plan.check_ins.clone();
        check_ins.sort_by_key(|c| c.3);
        for (n, (p, value, confidence, day)) in check_ins.iter().enumerate() {
            let Some(k) = pick(*p) else { break };
            accepted += usize::from(w.try_run(
                i64::from(*day),
                CommandBody::CheckIn {
                    key_result: k,
                    value: f64::from(*value) / 8.0,
                    confidence: *confidence,
                    note: String::new(),
                    effective_at: None,
                },
            ));
            if n % 7 == 3 {
                feed(&w, &mut from, &mut fed);
            }
        }
        for (i, (_, _, _, fate, _, _)) in plan.objectives.iter().enumerate() {
            if *fate == 4 {
                accepted += usize::from(w.try_run(
                    86,
                    CommandBody::DropObjective {
                        objective: objectives[i],
                        reason: Some("no longer needed".into()),
                    },
                ));
            }
        }
        w.run(
            92,
            CommandBody::BeginReview {
                cycle: CYCLE,
                early_reason: None,
            },
        );
        for (p, score) in &plan.overrides {
            let Some(k) = pick(*p) else { break };
            accepted += usize::from(w.try_run(
                93,
                CommandBody::OverrideScore {
                    key_result: k,
                    score: f64::from(*score) / 1000.0,
                    reason: "judged in the review".into(),
                },
            ));
        }
        feed(&w, &mut from, &mut fed);
        w.run(94, CommandBody::BeginRetrospective { cycle: CYCLE });
        w.run(95, CommandBody::CloseCycle { cycle: CYCLE });
        for (p, score) in &plan.corrections {
            let Some(k) = pick(*p) else { break };
            accepted += usize::from(w.try_run(
                96,
                CommandBody::CorrectScore {
                    key_result: k,
                    score: f64::from(*score) / 1000.0,
                    reason: "a late figure".into(),
                },
            ));
        }
        feed(&w, &mut from, &mut fed);
        Run {
            world: w,
            fed,
            accepted,
        }
    }

    /// Asserts that `r`'s rescore equals the reference for every policy, through the table's
    /// lookups and its conversion, and that `rollup::rescore` gives the same.
    pub(super) fn assert_rescore_equals_reference(
        r: &Rollup,
        state: &State,
    ) -> Result<(), TestCaseError> {
        let c = &state.cycles[&CYCLE];
        for policy in policies() {
            let reference = rollup::scores_with(c, &policy);
            let table = r.rescore(&policy);
            prop_assert_eq!(table.policy(), policy);
            prop_assert_eq!(table.cycle(), reference.cycle, "{}", policy);
            for (k, s) in &reference.key_results {
                prop_assert_eq!(table.key_result(*k), Some(s.clone()), "{} {}", policy, k);
            }
            for (o, s) in &reference.objectives {
                prop_assert_eq!(table.objective(*o), Some(*s), "{} {}", policy, o);
            }
            prop_assert_eq!(&table.to_cycle_scores(), &reference, "{}", policy);
            prop_assert_eq!(
                rollup::rescore(state, CYCLE, &policy),
                Some(reference.clone())
            );
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

        #[test]
        fn rescore_on_the_rollup_equals_the_reference_for_every_policy(plan in plan()) {
            let run = run(&plan);
            let state = &run.world.state;
            let built = Rollup::build(state, CYCLE).unwrap();
            assert_rescore_equals_reference(&built, state)?;
            // The rollup fed the check-ins, drops and manual scores as events, too.
            assert_rescore_equals_reference(&run.fed, state)?;
        }

        #[test]
        fn incremental_equals_full_and_the_reference(plan in plan()) {
            let run = run(&plan);
            let state = &run.world.state;
            let full = Rollup::build(state, CYCLE).unwrap();
            prop_assert_eq!(run.fed.to_cycle_rollup(), full.to_cycle_rollup());
            prop_assert_eq!(full.to_cycle_rollup(), rollup::cycle(&state.cycles[&CYCLE]));
            prop_assert_eq!(run.fed.units(), full.units());
            for o in full.objective_ids() {
                prop_assert_eq!(run.fed.objective(o), full.objective(o));
            }
        }

        #[test]
        fn a_split_recompute_equals_the_sequential_one_around_the_threshold(plan in plan()) {
            let run = run(&plan);
            let state = &run.world.state;
            let c = &state.cycles[&CYCLE];
            let mut sequential = Rollup::build(state, CYCLE).unwrap();
            sequential.set_parallelism(Parallelism::SEQUENTIAL);
            sequential.recompute();
            let reference = rollup::cycle(c);
            prop_assert_eq!(sequential.to_cycle_rollup(), reference.clone());
            let n = sequential.key_result_count();
            let at = t(40);
            for threads in 1..=4 {
                for min_key_results in [0, n.saturating_sub(1), n, n + 1] {
                    let mut r = run.fed.clone();
                    let p = Parallelism { threads, min_key_results };
                    r.set_parallelism(p);
                    prop_assert_eq!(r.parallelism(), p);
                    r.recompute();
                    prop_assert_eq!(r.to_cycle_rollup(), reference.clone(), "{:?}", p);
                    prop_assert_eq!(r.units(), sequential.units(), "{:?}", p);
                    prop_assert_eq!(r.statuses(c, at), sequential.statuses(c, at));
                    assert_rescore_equals_reference(&r, state)?;
                }
            }
            // Statuses by kind, as the one-objective query and the reference rule give them.
            let statuses = sequential.statuses(c, at);
            for (o, s) in sequential.objective_ids().zip(statuses) {
                let f = sequential.objective(o).unwrap();
                let kind = c.objectives[&o].kind;
                prop_assert_eq!(s, rollup::status(c, kind, f.progress_ppm, f.started, at));
                prop_assert_eq!(sequential.objective_status(c, o, at), Some(s));
            }
        }
    }

    /// Guards the generator: over a fixed set of plans, the rules accept most of what it
    /// tries, and the cases reach alignments, drops and manual scores.
    #[test]
    fn generated_cycles_reach_alignment_drops_and_manual_scores() {
        use proptest::strategy::ValueTree;
        use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
        let mut runner = TestRunner::new_with_rng(
            Config::default(),
            TestRng::deterministic_rng(RngAlgorithm::ChaCha),
        );
        let (mut links, mut dropped, mut manual, mut checked, mut accepted) = (0, 0, 0, 0, 0);
        for _ in 0..40 {
            let plan = plan().new_tree(&mut runner).unwrap().current();
            let run = run(&plan);
            accepted += run.accepted;
            let c = &run.world.state.cycles[&CYCLE];
            links += c
                .objectives
                .values()
                .filter(|o| o.status == ObjectiveStatus::Committed)
                .map(|o| o.aligned_to.len())
                .sum::<usize>();
            dropped += c
                .objectives
                .values()
                .filter(|o| o.status == ObjectiveStatus::Dropped)
                .count();
            manual += c.manual_scores.len();
            checked += c
                .key_results
                .values()
                .filter(|k| k.latest().is_some())
                .count();
        }
        assert!(accepted > 200, "{accepted} commands accepted");
        assert!(links > 10, "{links} committed alignment links");
        assert!(dropped > 5, "{dropped} objectives dropped");
        assert!(manual > 10, "{manual} manual scores");
        assert!(checked > 50, "{checked} key results checked in");
    }
}
