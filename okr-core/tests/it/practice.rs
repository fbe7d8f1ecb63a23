//! The practice sprint ("Übungssprint"): each participating unit commits exactly one
//! objective. A lint names a unit with none or more than one; a policy with
//! `start_needs_objective_per_unit` (the practice default) refuses to start the sprint while
//! a participating unit has none.

use crate::support::fx::*;
use crate::support::*;
use okr_core::lint::{self, LintCode};
use okr_core::*;

/// Every case of this module.
pub fn cases() -> Vec<Case> {
    start_cases()
}

/// PRACTICE planned (Jan 2025) with OBJ_A2 of commune A committed with a key result and
/// OBJ_B of commune B drafted with a key result; `extra` after, in Planning.
fn sprint(policy: Option<Policy>, extra: impl FnOnce(&mut World)) -> Vec<Event> {
    let at = t_plan();
    let mut w = World::from_events(&org());
    w.step(
        MASTER,
        at,
        CommandBody::PlanCycle {
            cycle: PRACTICE,
            name: "2025-Sprint".into(),
            kind: CycleKind::Practice,
            start: start(),
            end: d(2025, 1, 31),
            check_in_weekday: chrono::Weekday::Mon,
            policy,
        },
    )
    .step(LEAD_A, at, b::draft(PRACTICE, OBJ_A2, UNIT_A, "First"))
    .step(
        LEAD_A,
        at,
        b::add_kr(OBJ_A2, KR_A2, "KR", b::increase(None, 3.0)),
    )
    .step(LEAD_A, at, b::commit(OBJ_A2))
    .step(MEMBER_B, at, b::draft(PRACTICE, OBJ_B, UNIT_B, "B's"))
    .step(
        MEMBER_B,
        at,
        b::add_kr(OBJ_B, KR_B, "KR", b::increase(None, 3.0)),
    );
    extra(&mut w);
    w.events
}

fn start_cases() -> Vec<Case> {
    let at = t_start();
    let start = || cmd(MASTER, at, b::start_cycle(PRACTICE));
    let started = event(EventBody::CycleStarted { cycle: PRACTICE });
    let refused = |unit: &str| {
        rule_exact(
            Rule::StartNeedsObjectivePerUnit,
            format!(
                "unit {unit} takes part in cycle 2025-Sprint without a committed objective with a key result; the policy starts the cycle only when every participating unit has one"
            ),
        )
    };
    let lenient = Policy {
        start_needs_objective_per_unit: false,
        ..Policy::for_kind(CycleKind::Practice)
    };
    vec![
        case(
            "a practice sprint while commune B's objective is a draft",
            &sprint(None, |_| {}),
            start(),
            refused(&format!("Commune B ({UNIT_B})")),
        ),
        case(
            "a practice sprint once commune B committed its objective",
            &sprint(None, |w| {
                w.step(PROJECT_LEAD, t_plan(), b::commit(OBJ_B));
            }),
            start(),
            started.clone(),
        ),
        case(
            "a practice sprint where commune B dropped its only objective",
            &sprint(None, |w| {
                w.step(PROJECT_LEAD, t_plan(), b::drop_obj(OBJ_B, None));
            }),
            start(),
            refused(&format!("Commune B ({UNIT_B})")),
        ),
        case(
            "a practice sprint whose policy does not require one objective per unit",
            &sprint(Some(lenient), |_| {}),
            start(),
            started.clone(),
        ),
        case(
            "a regular cycle whose policy requires one objective per unit",
            &after(
                &planning(),
                vec![
                    (
                        MASTER,
                        t_plan(),
                        CommandBody::SetPolicy {
                            cycle: CYCLE,
                            policy: Policy {
                                start_needs_objective_per_unit: true,
                                ..Policy::for_kind(CycleKind::Regular)
                            },
                        },
                    ),
                    (MEMBER_B, t_plan(), b::draft(CYCLE, OBJ_B, UNIT_B, "B's")),
                ],
            ),
            cmd(MASTER, at, b::start_cycle(CYCLE)),
            rule(Rule::StartNeedsObjectivePerUnit, "Commune B"),
        ),
    ]
}

#[test]
fn start_needs_an_objective_per_unit() {
    check_all(start_cases());
}

/// Given a sprint, when a command, then the lint names exactly these units.
#[test]
fn the_lint_names_a_unit_without_or_with_several_committed_objectives() {
    let units_linted = |lints: &[lint::Lint]| -> Vec<uuid::Uuid> {
        lints
            .iter()
            .filter(|l| l.code == LintCode::PracticeSprintObjectives)
            .map(|l| l.subject)
            .collect()
    };
    let lenient = Policy {
        max_committed_objectives_per_unit: 2,
        start_needs_objective_per_unit: false,
        ..Policy::for_kind(CycleKind::Practice)
    };
    // Given/when/then: (name, given, command, units named by the outcome's lints).
    let with_second_a = |w: &mut World| {
        w.step(
            LEAD_A,
            t_plan(),
            b::draft(PRACTICE, OBJ_C, UNIT_A, "Second"),
        )
        .step(
            LEAD_A,
            t_plan(),
            b::add_kr(OBJ_C, KR_NEW, "KR", b::increase(None, 3.0)),
        );
    };
    let cases: Vec<(&str, Vec<Event>, Command, Vec<UnitId>)> = vec![
        (
            "commune B drops its draft and takes part with none",
            sprint(None, |_| {}),
            cmd(PROJECT_LEAD, t_plan(), b::drop_obj(OBJ_B, None)),
            vec![UNIT_B],
        ),
        (
            "commune B commits: every unit has exactly one",
            sprint(None, |_| {}),
            cmd(PROJECT_LEAD, t_plan(), b::commit(OBJ_B)),
            vec![],
        ),
        (
            "commune A commits a second objective under a lenient policy",
            sprint(Some(lenient.clone()), |w| {
                with_second_a(w);
                w.step(PROJECT_LEAD, t_plan(), b::commit(OBJ_B));
            }),
            cmd(LEAD_A, t_plan(), b::commit(OBJ_C)),
            vec![UNIT_A],
        ),
        (
            "started under a lenient policy with commune B uncommitted",
            sprint(Some(lenient), |_| {}),
            cmd(MASTER, t_start(), b::start_cycle(PRACTICE)),
            vec![UNIT_B],
        ),
        (
            "a regular cycle is not a practice sprint",
            after(
                &planning(),
                vec![(MEMBER_B, t_plan(), b::draft(CYCLE, OBJ_B, UNIT_B, "B's"))],
            ),
            cmd(MASTER, t_start(), b::start_cycle(CYCLE)),
            vec![],
        ),
    ];
    for (name, given, when, units) in cases {
        let mut state = State::from_events(&given);
        let outcome = execute(&mut state, &when).unwrap_or_else(|r| panic!("{name}: {r}"));
        let expected: Vec<uuid::Uuid> = units.iter().map(|u| u.0).collect();
        assert_eq!(units_linted(&outcome.lints), expected, "{name}");
        for l in outcome
            .lints
            .iter()
            .filter(|l| l.code == LintCode::PracticeSprintObjectives)
        {
            let unit = &state.units[&UnitId(l.subject)];
            assert!(
                l.message_en.contains(&*unit.name),
                "{name}: {}",
                l.message_en
            );
            assert!(
                l.message_de.contains(&*unit.name),
                "{name}: {}",
                l.message_de
            );
            assert!(l.message_de.contains("Übungssprint"), "{name}");
        }
    }
}

#[test]
fn lint_cycle_reports_the_sprint_and_ignores_it_once_in_review() {
    let given = sprint(None, |_| {});
    let state = State::from_events(&given);
    let lints = lint::cycle(&state, PRACTICE, t_plan());
    let named: Vec<_> = lints
        .iter()
        .filter(|l| l.code == LintCode::PracticeSprintObjectives)
        .map(|l| (l.subject, l.message_en.clone()))
        .collect();
    assert_eq!(
        named,
        vec![(
            UNIT_B.0,
            "Unit Commune B takes part in practice sprint 2025-Sprint without a committed objective; in a practice sprint each unit commits exactly one.".to_string()
        )]
    );
}
