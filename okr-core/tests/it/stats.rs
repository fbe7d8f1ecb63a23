//! Statistics by unit, never by person: a unit with fewer than k members has no row of its
//! own, its figures count in the nearest unit above it with k members, or in the totals.

use chrono::{DateTime, Duration, TimeZone, Utc};
use okr_core::stats::{stats, Stats, StatsOptions, MIN_UNIT_MEMBERS};
use okr_core::*;

const M: PersonId = PersonId::from_u128(100);
const ROOT: UnitId = UnitId::from_u128(10);
const DEPT: UnitId = UnitId::from_u128(11);
const TEAM: UnitId = UnitId::from_u128(12);
const CYCLE: CycleId = CycleId::from_u128(20);

struct Script {
    state: State,
    n: u128,
    day0: DateTime<Utc>,
}

impl Script {
    fn run(&mut self, day: i64, body: CommandBody) {
        self.n += 1;
        let at = self.day0 + Duration::days(day);
        let command = Command::new(uuid::Uuid::from_u128(1000 + self.n), M, at, body);
        let name = command.body.name();
        execute(&mut self.state, &command).unwrap_or_else(|r| panic!("{name}: {r}"));
    }
}

/// A closed four-week cycle over three units: the organisation (6 members), a department
/// below it (5 members) and a team below that (4 members); one committed objective with one
/// key result (0 → 10) per unit, checked in to 8, 6 and 4, and one agreement per unit.
fn organisation() -> State {
    let mut s = Script {
        state: State::new(),
        n: 0,
        day0: Utc.with_ymd_and_hms(2025, 1, 6, 9, 0, 0).unwrap(),
    };
    let mut person = 100u128;
    for (unit, name, kind, parent, members) in [
        (ROOT, "Verbund", UnitKind::Organisation, None, 6),
        (DEPT, "Bürgeramt", UnitKind::Department, Some(ROOT), 5),
        (TEAM, "Meldewesen", UnitKind::Team, Some(DEPT), 4),
    ] {
        s.run(
            -14,
            CommandBody::DefineUnit {
                unit,
                name: name.into(),
                kind,
                parent,
            },
        );
        for i in 0..members {
            let p = PersonId::from_u128(person);
            if p == M {
                s.run(
                    -14,
                    CommandBody::RegisterPerson {
                        person: M,
                        name: "Alex".into(),
                    },
                );
                for role in [Role::Lead, Role::OkrMaster] {
                    s.run(
                        -14,
                        CommandBody::GrantMembership {
                            unit,
                            person: M,
                            role,
                        },
                    );
                }
            } else {
                s.run(
                    -14,
                    CommandBody::RegisterPerson {
                        person: p,
                        name: format!("Person {person}"),
                    },
                );
                let role = if i == 0 { Role::Lead } else { Role::Member };
                s.run(
                    -14,
                    CommandBody::GrantMembership {
                        unit,
                        person: p,
                        role,
                    },
                );
            }
            person += 1;
        }
    }
    s.run(
        -7,
        CommandBody::PlanCycle {
            cycle: CYCLE,
            name: "2025-01".into(),
            kind: CycleKind::Regular,
            start: s.day0.date_naive(),
            end: (s.day0 + Duration::days(27)).date_naive(),
            check_in_weekday: chrono::Weekday::Mon,
            policy: None,
        },
    );
    let plan = [(ROOT, 8.0), (DEPT, 6.0), (TEAM, 4.0)];
    for (i, (unit, _)) in plan.iter().enumerate() {
        let objective = ObjectiveId::from_u128(30 + i as u128);
        s.run(
            -1,
            CommandBody::DraftObjective {
                cycle: CYCLE,
                objective,
                unit: *unit,
                // The team's objective is titled like a work order: an output.
                title: if *unit == TEAM {
                    "Wir führen die E-Akte ein".to_string()
                } else {
                    format!("Residents wait less ({i})")
                },
                beneficiary: Some("residents".into()),
                change: None,
                value: None,
                kind: ObjectiveKind::Committed,
                weight: 1,
            },
        );
        s.run(
            -1,
            CommandBody::AddKeyResult {
                objective,
                key_result: KeyResultId::from_u128(40 + i as u128),
                title: "Requests online".into(),
                kind: KrKind::Increase {
                    baseline: Some(0.0),
                    target: 10.0,
                    unit: "n".into(),
                },
                weight: 1,
                owner: None,
            },
        );
        s.run(-1, CommandBody::CommitObjective { objective });
    }
    s.run(0, CommandBody::StartCycle { cycle: CYCLE });
    for (i, (unit, value)) in plan.iter().enumerate() {
        s.run(
            1,
            CommandBody::CheckIn {
                key_result: KeyResultId::from_u128(40 + i as u128),
                value: *value,
                confidence: 7,
                note: String::new(),
                effective_at: None,
            },
        );
        s.run(
            2,
            crate::support::b::agreement(
                CYCLE,
                AgreementId::from_u128(50 + i as u128),
                *unit,
                "Formulare prüfen",
            ),
        );
    }
    s.run(
        27,
        CommandBody::BeginReview {
            cycle: CYCLE,
            early_reason: None,
        },
    );
    s.run(27, CommandBody::BeginRetrospective { cycle: CYCLE });
    for n in 0..4u128 {
        s.run(
            27,
            CommandBody::AddRetroAction {
                cycle: CYCLE,
                action: RetroActionId::from_u128(70 + n),
                text: format!("Maßnahme {n}"),
                owner: M,
                item: None,
            },
        );
    }
    s.run(27, CommandBody::CloseCycle { cycle: CYCLE });
    s.state
}

const LATER: CycleId = CycleId::from_u128(21);

/// `organisation()`, then a later cycle planned in which three of CYCLE's four retro
/// actions are followed up: two done, one not done.
fn followed_up() -> State {
    let mut s = Script {
        state: organisation(),
        n: 500,
        day0: Utc.with_ymd_and_hms(2025, 1, 6, 9, 0, 0).unwrap(),
    };
    s.run(
        30,
        CommandBody::PlanCycle {
            cycle: LATER,
            name: "2025-02".into(),
            kind: CycleKind::Regular,
            start: (s.day0 + Duration::days(35)).date_naive(),
            end: (s.day0 + Duration::days(62)).date_naive(),
            check_in_weekday: chrono::Weekday::Mon,
            policy: None,
        },
    );
    for (n, done) in [(0u128, true), (1, true), (2, false)] {
        s.run(
            31,
            CommandBody::FollowUpRetroAction {
                cycle: LATER,
                action: RetroActionId::from_u128(70 + n),
                done,
            },
        );
    }
    s.state
}

#[test]
fn retro_actions_followed_up_count_per_cycle_of_the_action_and_in_no_unit_row() {
    let state = followed_up();
    for k in [0, 1, MIN_UNIT_MEMBERS, 100] {
        let s = with_k(&state, k);
        // LATER is not closed: only CYCLE has a row, with its four actions.
        assert_eq!(s.cycles.len(), 1);
        let r = &s.cycles[0].retro_actions;
        assert_eq!((r.added, r.followed_up, r.done), (4, 3, 2), "k = {k}");
        assert_eq!(r.done_share, Some(2.0 / 3.0));
        assert_eq!(s.retro_actions, *r);
    }
    // Without follow-ups the share is unknown, not 0.
    let before = with_k(&organisation(), MIN_UNIT_MEMBERS);
    let r = &before.cycles[0].retro_actions;
    assert_eq!(
        (r.added, r.followed_up, r.done, r.done_share),
        (4, 0, 0, None)
    );
}

fn with_k(state: &State, k: u32) -> Stats {
    stats(
        state,
        &StatsOptions {
            min_unit_members: k,
            ..StatsOptions::default()
        },
    )
}

/// A row in short: unit, members, objectives, committed mean, folded units.
type Row = (UnitId, u32, u64, Option<i64>, Vec<UnitId>);

/// The rows in short.
fn rows(s: &Stats) -> Vec<Row> {
    s.units
        .iter()
        .map(|u| {
            (
                u.unit,
                u.members,
                u.figures.carry_over.objectives,
                u.figures.committed_scores.mean_ppm,
                u.folded.clone(),
            )
        })
        .collect()
}

#[test]
fn a_unit_of_four_members_counts_in_its_parent_by_default() {
    let state = organisation();
    let s = stats(&state, &StatsOptions::default());
    assert_eq!(s.min_unit_members, MIN_UNIT_MEMBERS);
    assert_eq!(MIN_UNIT_MEMBERS, 5);
    // The team (4 members) has no row; its objective counts in the department's:
    // (0.6 + 0.4) / 2 = 0.5.
    assert_eq!(
        rows(&s),
        vec![
            (ROOT, 6, 1, Some(800_000), vec![]),
            (DEPT, 5, 2, Some(500_000), vec![TEAM]),
        ]
    );
    assert_eq!(s.units[1].figures.agreements.made, 2);
    assert_eq!(s.units[1].figures.key_results, 2);
    assert!(s.in_totals_only.is_empty());
    // The cycle's own breakdown folds the same way.
    assert_eq!(s.cycles[0].units, s.units);
    assert_eq!(s.overall.carry_over.objectives, 3);
}

#[test]
fn every_k_keeps_the_totals_and_k_1_shows_every_unit() {
    let state = organisation();
    let every = with_k(&state, 1);
    assert_eq!(
        rows(&every),
        vec![
            (ROOT, 6, 1, Some(800_000), vec![]),
            (DEPT, 5, 1, Some(600_000), vec![]),
            (TEAM, 4, 1, Some(400_000), vec![]),
        ]
    );
    assert_eq!(rows(&with_k(&state, 0)), rows(&every), "0 is as 1");
    // k = 6: the department (5) and the team (4) count in the organisation.
    assert_eq!(
        rows(&with_k(&state, 6)),
        vec![(ROOT, 6, 3, Some(600_000), vec![DEPT, TEAM])]
    );
    // k = 7: no unit has as many; everything counts in the totals only.
    let none = with_k(&state, 7);
    assert!(none.units.is_empty(), "{:?}", rows(&none));
    assert_eq!(none.in_totals_only, vec![ROOT, DEPT, TEAM]);
    for k in [0, 1, 4, 5, 6, 7, 100] {
        let s = with_k(&state, k);
        assert_eq!(s.overall, every.overall, "k = {k}: the totals change");
        assert_eq!(s.trend, every.trend, "k = {k}");
        for (c, e) in s.cycles.iter().zip(&every.cycles) {
            assert_eq!(c.figures, e.figures, "k = {k}");
        }
        // Nothing is counted twice or lost: the rows and the totals-only units add up.
        let in_rows: u64 = s
            .units
            .iter()
            .map(|u| u.figures.carry_over.objectives)
            .sum();
        let shown: usize = s.units.iter().map(|u| 1 + u.folded.len()).sum();
        assert_eq!(shown + s.in_totals_only.len(), 3, "k = {k}");
        if s.in_totals_only.is_empty() {
            assert_eq!(in_rows, 3, "k = {k}");
        }
    }
}

#[test]
fn stats_options_read_from_json_default_to_five_members() {
    let o: StatsOptions = serde_json::from_str("{}").unwrap();
    assert_eq!(o, StatsOptions::default());
    assert_eq!(o.min_unit_members, 5);
    let o: StatsOptions = serde_json::from_str(r#"{"min_unit_members": 2}"#).unwrap();
    assert_eq!(o.min_unit_members, 2);
}

#[test]
fn maturity_per_cycle_counts_outputs_discipline_keep_rate_and_retro_actions() {
    let state = followed_up();
    let m = okr_core::maturity::maturity(&state, &StatsOptions::default());
    assert_eq!(m.len(), 1, "only the closed cycle");
    let p = &m[0];
    assert_eq!((p.cycle, p.objectives, p.output_objectives), (CYCLE, 3, 1));
    assert_eq!(p.output_share, Some(1.0 / 3.0));
    // One check-in per key result in the first of four weeks.
    assert_eq!(p.check_in_discipline, Some(0.25));
    // No agreement was resolved: the keep rate is unknown.
    assert_eq!(p.agreement_keep_rate, None);
    assert_eq!(p.retro_actions_done, Some(2.0 / 3.0));
}
