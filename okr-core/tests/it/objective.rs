//! Objectives: draft, revise, align, unalign, commit, drop, amend.

use crate::support::fx::*;
use crate::support::*;
use okr_core::{
    CommandBody, CycleKind, EntityKind, Event, EventBody, ObjectiveId, ObjectiveKind,
    ObjectivePatch, ObjectiveText, Phase, Rule,
};

/// Every case of this module.
pub fn cases() -> Vec<Case> {
    let mut all = Vec::new();
    all.extend(draft_objective_cases());
    all.extend(revise_objective_cases());
    all.extend(align_objective_cases());
    all.extend(unalign_objective_cases());
    all.extend(commit_objective_cases());
    all.extend(drop_objective_cases());
    all.extend(amend_objective_cases());
    all
}

fn title(t: &str) -> ObjectivePatch {
    ObjectivePatch {
        title: Some(t.into()),
        ..Default::default()
    }
}

fn draft_objective_cases() -> Vec<Case> {
    let at = t_plan();
    let planned = planned();
    let full = CommandBody::DraftObjective {
        cycle: CYCLE,
        objective: OBJ_A2,
        unit: UNIT_A,
        title: "  Residents trust the town hall ".into(),
        beneficiary: Some(" residents ".into()),
        change: Some("  ".into()),
        value: Some("less waiting".into()),
        kind: ObjectiveKind::Aspirational,
        weight: 2,
    };
    let drafted = |title: &str| {
        event(EventBody::ObjectiveDrafted {
            cycle: CYCLE,
            objective: OBJ_A2,
            unit: UNIT_A,
            text: plain_text(title),
            kind: ObjectiveKind::Committed,
            weight: 1,
        })
    };
    let draft = |actor, unit| cmd(actor, at, b::draft(CYCLE, OBJ_A2, unit, "Title"));
    let b_retired = after(
        &planned,
        vec![(MASTER, at, CommandBody::RetireUnit { unit: UNIT_B })],
    );
    let mut weight0 = b::draft(CYCLE, OBJ_A2, UNIT_A, "Title");
    if let CommandBody::DraftObjective { weight, .. } = &mut weight0 {
        *weight = 0;
    }
    let mut cases = vec![
        case(
            "by a Member, text trimmed, blank change dropped",
            &planned,
            cmd(MEMBER_A, at, full),
            event(EventBody::ObjectiveDrafted {
                cycle: CYCLE,
                objective: OBJ_A2,
                unit: UNIT_A,
                text: ObjectiveText {
                    title: "Residents trust the town hall".into(),
                    beneficiary: Some("residents".into()),
                    change: None,
                    value: Some("less waiting".into()),
                },
                kind: ObjectiveKind::Aspirational,
                weight: 2,
            }),
        ),
        case(
            "by the Lead",
            &planned,
            draft(LEAD_A, UNIT_A),
            drafted("Title"),
        ),
        case(
            "by the OkrMaster of the root, for a commune: a facilitator holds no content rights",
            &planned,
            draft(MASTER, UNIT_A),
            unauthorized(MASTER, "draft objective", Some(UNIT_A)),
        ),
        case(
            "by the OkrMaster who is also a Member of the commune",
            &after(
                &planned,
                vec![(
                    MASTER,
                    t_plan(),
                    b::grant(UNIT_A, MASTER, okr_core::Role::Member),
                )],
            ),
            draft(MASTER, UNIT_A),
            drafted("Title"),
        ),
        case(
            "by the Observer",
            &planned,
            draft(OBSERVER, UNIT_A),
            unauthorized(OBSERVER, "draft objective", Some(UNIT_A)),
        ),
        case(
            "by a Member of another commune",
            &planned,
            draft(MEMBER_B, UNIT_A),
            unauthorized(MEMBER_B, "draft objective", Some(UNIT_A)),
        ),
        case(
            "by Steering for a commune",
            &planned,
            draft(STEERING, UNIT_A),
            unauthorized(STEERING, "draft objective", Some(UNIT_A)),
        ),
        case(
            "by an unregistered actor",
            &planned,
            draft(STRANGER, UNIT_A),
            unauthorized(STRANGER, "draft objective", Some(UNIT_A)),
        ),
        case(
            "weight 0",
            &planned,
            cmd(MEMBER_A, at, weight0),
            rule_exact(Rule::WeightPositive, "weight must be greater than 0"),
        ),
        case(
            "empty title",
            &planned,
            cmd(MEMBER_A, at, b::draft(CYCLE, OBJ_A2, UNIT_A, " ")),
            field_exact("title", "must not be empty"),
        ),
        case(
            "objective exists",
            &planning(),
            cmd(MEMBER_A, at, b::draft(CYCLE, OBJ_A, UNIT_A, "Again")),
            exists(EntityKind::Objective, OBJ_A),
        ),
        case(
            "id taken by a key result",
            &planning(),
            cmd(
                MEMBER_A,
                at,
                b::draft(CYCLE, ObjectiveId(KR_A.0), UNIT_A, "X"),
            ),
            exists(EntityKind::KeyResult, KR_A),
        ),
        case(
            "unknown cycle",
            &planned,
            cmd(MEMBER_A, at, b::draft(NO_CYCLE, OBJ_A2, UNIT_A, "X")),
            unknown(EntityKind::Cycle, NO_CYCLE),
        ),
        case(
            "unknown unit",
            &planned,
            cmd(MASTER, at, b::draft(CYCLE, OBJ_A2, NO_UNIT, "X")),
            unknown(EntityKind::Unit, NO_UNIT),
        ),
        case(
            "retired unit takes no new objective",
            &b_retired,
            cmd(MASTER, at, b::draft(CYCLE, OBJ_B, UNIT_B, "X")),
            rule_exact(
                Rule::UnitActive,
                format!("unit Commune B ({UNIT_B}) is retired"),
            ),
        ),
    ];
    cases.extend(wrong_phase_cases(
        "draft",
        MEMBER_A,
        b::draft(CYCLE, OBJ_A2, UNIT_A, "Title"),
        &[Phase::Planning],
    ));
    cases
}

#[test]
fn draft_objective() {
    check_all(draft_objective_cases());
}

/// Planning with OBJ_A2 (commune A) drafted and dropped.
fn planning_a2_dropped() -> Vec<Event> {
    cycle_with(Phase::Planning, |w| {
        w.step(LEAD_A, t_plan(), b::draft(CYCLE, OBJ_A2, UNIT_A, "Second"))
            .step(LEAD_A, t_plan(), b::drop_obj(OBJ_A2, None));
    })
}

fn revise_objective_cases() -> Vec<Case> {
    let at = t_plan();
    let planning = planning();
    let revise = |patch| CommandBody::ReviseObjective {
        objective: OBJ_A,
        patch,
    };
    let mut cases = vec![
        case(
            "committed objective by a Member, title and beneficiary trimmed",
            &planning,
            cmd(
                MEMBER_A,
                at,
                revise(ObjectivePatch {
                    title: Some(" Shorter queues ".into()),
                    beneficiary: Some(" families ".into()),
                    kind: Some(ObjectiveKind::Aspirational),
                    weight: Some(3),
                    ..Default::default()
                }),
            ),
            event(EventBody::ObjectiveRevised {
                cycle: CYCLE,
                objective: OBJ_A,
                patch: ObjectivePatch {
                    title: Some("Shorter queues".into()),
                    beneficiary: Some("families".into()),
                    kind: Some(ObjectiveKind::Aspirational),
                    weight: Some(3),
                    ..Default::default()
                },
            }),
        ),
        case(
            "empty patch",
            &planning,
            cmd(MEMBER_A, at, revise(ObjectivePatch::default())),
            field_exact("patch", "changes nothing"),
        ),
        case(
            "blank title",
            &planning,
            cmd(MEMBER_A, at, revise(title("  "))),
            field_exact("patch.title", "must not be empty"),
        ),
        case(
            "blank beneficiary",
            &planning,
            cmd(
                MEMBER_A,
                at,
                revise(ObjectivePatch {
                    beneficiary: Some(" ".into()),
                    ..Default::default()
                }),
            ),
            field_exact("patch.beneficiary", "must not be empty"),
        ),
        case(
            "weight 0",
            &planning,
            cmd(
                MEMBER_A,
                at,
                revise(ObjectivePatch {
                    weight: Some(0),
                    ..Default::default()
                }),
            ),
            rule_exact(Rule::WeightPositive, "patch.weight must be greater than 0"),
        ),
        case(
            "dropped objective",
            &planning_a2_dropped(),
            cmd(
                MEMBER_A,
                at,
                CommandBody::ReviseObjective {
                    objective: OBJ_A2,
                    patch: title("Back"),
                },
            ),
            rule_exact(
                Rule::ObjectiveOpen,
                format!("objective \"Second\" ({OBJ_A2}) was dropped"),
            ),
        ),
        case(
            "by the Observer",
            &planning,
            cmd(OBSERVER, at, revise(title("X"))),
            unauthorized(OBSERVER, "revise objective", Some(UNIT_A)),
        ),
        case(
            "by a Member of another commune",
            &planning,
            cmd(MEMBER_B, at, revise(title("X"))),
            unauthorized(MEMBER_B, "revise objective", Some(UNIT_A)),
        ),
        case(
            "unknown objective",
            &planning,
            cmd(
                MEMBER_A,
                at,
                CommandBody::ReviseObjective {
                    objective: NO_OBJ,
                    patch: title("X"),
                },
            ),
            unknown(EntityKind::Objective, NO_OBJ),
        ),
    ];
    cases.extend(wrong_phase_cases(
        "revise",
        MEMBER_A,
        revise(title("X")),
        &[Phase::Planning],
    ));
    cases
}

#[test]
fn revise_objective() {
    check_all(revise_objective_cases());
}

/// Planning with OBJ_B (commune B) and OBJ_C (root) drafted; `links` aligned afterwards.
pub fn planning_abc(links: &[(ObjectiveId, ObjectiveId)]) -> Vec<Event> {
    let links = links.to_vec();
    cycle_with(Phase::Planning, move |w| {
        w.step(MEMBER_B, t_plan(), b::draft(CYCLE, OBJ_B, UNIT_B, "B"))
            .step(PROJECT_LEAD, t_plan(), b::draft(CYCLE, OBJ_C, ROOT, "C"));
        for (o, p) in links {
            w.step(PROJECT_LEAD, t_plan(), b::align(o, p, 1));
        }
    })
}

fn aligned(objective: ObjectiveId, parent: ObjectiveId, contribution: u32) -> Expect {
    event(EventBody::ObjectiveAligned {
        cycle: CYCLE,
        objective,
        parent,
        contribution,
    })
}

fn align_objective_cases() -> Vec<Case> {
    let at = t_plan();
    let abc = planning_abc(&[]);
    let with_next = after(
        &abc,
        vec![
            (
                MASTER,
                at,
                b::plan(
                    NEXT,
                    "2025-Q2",
                    CycleKind::Regular,
                    d(2025, 4, 7),
                    d(2025, 6, 27),
                ),
            ),
            (LEAD_A, at, b::draft(NEXT, OBJ_NEXT, UNIT_A, "Later")),
        ],
    );
    let c_dropped = after(&abc, vec![(PROJECT_LEAD, at, b::drop_obj(OBJ_C, None))]);
    let a_dropped = after(&abc, vec![(LEAD_A, at, b::drop_obj(OBJ_A, None))]);
    let mut cases = vec![
        case(
            "commune objective to the federation's, by a Member",
            &abc,
            cmd(MEMBER_A, at, b::align(OBJ_A, OBJ_C, 2)),
            aligned(OBJ_A, OBJ_C, 2),
        ),
        case(
            "across communes, contribution 0",
            &abc,
            cmd(MEMBER_B, at, b::align(OBJ_B, OBJ_A, 0)),
            aligned(OBJ_B, OBJ_A, 0),
        ),
        case(
            "relinking replaces the contribution",
            &planning_abc(&[(OBJ_A, OBJ_C)]),
            cmd(MEMBER_A, at, b::align(OBJ_A, OBJ_C, 5)),
            aligned(OBJ_A, OBJ_C, 5),
        ),
        case(
            "a diamond is no loop",
            &planning_abc(&[(OBJ_A, OBJ_B), (OBJ_B, OBJ_C)]),
            cmd(MEMBER_A, at, b::align(OBJ_A, OBJ_C, 1)),
            aligned(OBJ_A, OBJ_C, 1),
        ),
        case(
            "closing the loop A → B → C → A",
            &planning_abc(&[(OBJ_A, OBJ_B), (OBJ_B, OBJ_C)]),
            cmd(PROJECT_LEAD, at, b::align(OBJ_C, OBJ_A, 1)),
            rule_exact(
                Rule::AlignmentAcyclic,
                format!(
                    "aligning would close the loop \"C\" ({OBJ_C}) → \"{OBJ_A_TITLE}\" ({OBJ_A}) → \"B\" ({OBJ_B}) → \"C\" ({OBJ_C})"
                ),
            ),
        ),
        case(
            "closing the loop A → B → A",
            &planning_abc(&[(OBJ_A, OBJ_B)]),
            cmd(MEMBER_B, at, b::align(OBJ_B, OBJ_A, 1)),
            rule(
                Rule::AlignmentAcyclic,
                format!("\"B\" ({OBJ_B}) → \"{OBJ_A_TITLE}\" ({OBJ_A}) → \"B\" ({OBJ_B})"),
            ),
        ),
        case(
            "to itself",
            &abc,
            cmd(MEMBER_A, at, b::align(OBJ_A, OBJ_A, 1)),
            rule_exact(
                Rule::AlignNotSelf,
                format!("objective \"{OBJ_A_TITLE}\" ({OBJ_A}) cannot align to itself"),
            ),
        ),
        case(
            "to an objective of another cycle",
            &with_next,
            cmd(MEMBER_A, at, b::align(OBJ_A, OBJ_NEXT, 1)),
            rule_exact(
                Rule::AlignSameCycle,
                format!(
                    "objective \"{OBJ_A_TITLE}\" ({OBJ_A}) is in cycle 2025-Q1 ({CYCLE}), \"Later\" ({OBJ_NEXT}) in cycle 2025-Q2 ({NEXT})"
                ),
            ),
        ),
        case(
            "to an unknown objective",
            &abc,
            cmd(MEMBER_A, at, b::align(OBJ_A, NO_OBJ, 1)),
            unknown(EntityKind::Objective, NO_OBJ),
        ),
        case(
            "unknown objective",
            &abc,
            cmd(MEMBER_A, at, b::align(NO_OBJ, OBJ_C, 1)),
            unknown(EntityKind::Objective, NO_OBJ),
        ),
        case(
            "to a dropped objective",
            &c_dropped,
            cmd(MEMBER_A, at, b::align(OBJ_A, OBJ_C, 1)),
            rule_exact(
                Rule::ObjectiveOpen,
                format!("objective \"C\" ({OBJ_C}) was dropped"),
            ),
        ),
        case(
            "a dropped objective",
            &a_dropped,
            cmd(MEMBER_A, at, b::align(OBJ_A, OBJ_C, 1)),
            rule_exact(
                Rule::ObjectiveOpen,
                format!("objective \"{OBJ_A_TITLE}\" ({OBJ_A}) was dropped"),
            ),
        ),
        case(
            "by a Member of another commune",
            &abc,
            cmd(MEMBER_B, at, b::align(OBJ_A, OBJ_C, 1)),
            unauthorized(MEMBER_B, "align objective", Some(UNIT_A)),
        ),
        case(
            "the federation's objective by a commune Lead",
            &abc,
            cmd(LEAD_A, at, b::align(OBJ_C, OBJ_A, 1)),
            unauthorized(LEAD_A, "align objective", Some(ROOT)),
        ),
    ];
    cases.extend(wrong_phase_cases_in(
        "align",
        MASTER,
        b::align(OBJ_A, OBJ_C, 1),
        &[Phase::Planning],
        |p| {
            Some(cycle_with(p, |w| {
                w.step(PROJECT_LEAD, t_plan(), b::draft(CYCLE, OBJ_C, ROOT, "C"));
            }))
        },
    ));
    cases
}

#[test]
fn align_objective() {
    check_all(align_objective_cases());
}

/// The loop refusal names all three objectives of A → B → C → A.
#[test]
fn alignment_loop_names_all_three() {
    let given = planning_abc(&[(OBJ_A, OBJ_B), (OBJ_B, OBJ_C)]);
    let state = okr_core::State::from_events(&given);
    let r = okr_core::decide(
        &state,
        &cmd(PROJECT_LEAD, t_plan(), b::align(OBJ_C, OBJ_A, 1)),
    )
    .expect_err("loop must be refused");
    match r {
        okr_core::Rejection::RuleViolated { rule, detail } => {
            assert_eq!(rule, Rule::AlignmentAcyclic);
            for id in [OBJ_A, OBJ_B, OBJ_C] {
                assert!(detail.contains(&id.to_string()), "{detail} lacks {id}");
            }
        }
        other => panic!("expected AlignmentAcyclic, got {other:?}"),
    }
}

fn unalign_objective_cases() -> Vec<Case> {
    let at = t_plan();
    let linked = planning_abc(&[(OBJ_A, OBJ_C)]);
    let mut cases = vec![
        case(
            "by a Member",
            &linked,
            cmd(MEMBER_A, at, b::unalign(OBJ_A, OBJ_C)),
            event(EventBody::ObjectiveUnaligned {
                cycle: CYCLE,
                objective: OBJ_A,
                parent: OBJ_C,
            }),
        ),
        case(
            "no such link",
            &linked,
            cmd(MEMBER_A, at, b::unalign(OBJ_A, OBJ_B)),
            unknown(
                EntityKind::Objective,
                format!("{OBJ_B} (no alignment link from {OBJ_A})"),
            ),
        ),
        case(
            "link in the other direction",
            &linked,
            cmd(PROJECT_LEAD, at, b::unalign(OBJ_C, OBJ_A)),
            unknown(
                EntityKind::Objective,
                format!("{OBJ_A} (no alignment link from {OBJ_C})"),
            ),
        ),
        case(
            "by a Member of another commune",
            &linked,
            cmd(MEMBER_B, at, b::unalign(OBJ_A, OBJ_C)),
            unauthorized(MEMBER_B, "unalign objective", Some(UNIT_A)),
        ),
        case(
            "unknown objective",
            &linked,
            cmd(MEMBER_A, at, b::unalign(NO_OBJ, OBJ_C)),
            unknown(EntityKind::Objective, NO_OBJ),
        ),
    ];
    cases.extend(wrong_phase_cases_in(
        "unalign",
        MASTER,
        b::unalign(OBJ_A, OBJ_C),
        &[Phase::Planning],
        |p| {
            Some(cycle_with(p, |w| {
                w.step(PROJECT_LEAD, t_plan(), b::draft(CYCLE, OBJ_C, ROOT, "C"))
                    .step(PROJECT_LEAD, t_plan(), b::align(OBJ_A, OBJ_C, 1));
            }))
        },
    ));
    cases
}

#[test]
fn unalign_objective() {
    check_all(unalign_objective_cases());
}

/// A practice cycle (PRACTICE) in Planning with OBJ_A2 and OBJ_C drafted for commune A and
/// OBJ_B for commune B, each with a key result; OBJ_A2 committed.
fn practice() -> Vec<Event> {
    let at = t_plan();
    World::from_events(&org())
        .then(
            MASTER,
            at,
            b::plan(
                PRACTICE,
                "2025-Sprint",
                CycleKind::Practice,
                start(),
                d(2025, 1, 31),
            ),
        )
        .then(LEAD_A, at, b::draft(PRACTICE, OBJ_A2, UNIT_A, "First"))
        .then(
            LEAD_A,
            at,
            b::add_kr(OBJ_A2, KR_A2, "KR", b::increase(None, 3.0)),
        )
        .then(LEAD_A, at, b::commit(OBJ_A2))
        .then(LEAD_A, at, b::draft(PRACTICE, OBJ_C, UNIT_A, "Second"))
        .then(
            LEAD_A,
            at,
            b::add_kr(OBJ_C, KR_NEW, "KR", b::increase(None, 3.0)),
        )
        .then(MEMBER_B, at, b::draft(PRACTICE, OBJ_B, UNIT_B, "B's"))
        .then(
            MEMBER_B,
            at,
            b::add_kr(OBJ_B, KR_B, "KR", b::increase(None, 3.0)),
        )
        .events()
}

/// Planning of CYCLE with OBJ_A2 drafted and given KR_A2; `extra` after.
fn planning_a2(extra: impl FnOnce(&mut World)) -> Vec<Event> {
    cycle_with(Phase::Planning, |w| {
        w.step(LEAD_A, t_plan(), b::draft(CYCLE, OBJ_A2, UNIT_A, "Second"))
            .step(
                LEAD_A,
                t_plan(),
                b::add_kr(OBJ_A2, KR_A2, "KR", b::increase(None, 5.0)),
            );
        extra(w);
    })
}

fn commit_objective_cases() -> Vec<Case> {
    let at = t_plan();
    let a2 = planning_a2(|_| {});
    let committed = |objective, cycle| event(EventBody::ObjectiveCommitted { cycle, objective });
    // commune A with four committed objectives (OBJ_A and three more) and a fifth drafted
    let five = cycle_with(Phase::Planning, |w| {
        for n in 0..4u128 {
            let o = ObjectiveId::from_u128(0x4A0 + n);
            let k = okr_core::KeyResultId::from_u128(0x5A0 + n);
            w.step(LEAD_A, t_plan(), b::draft(CYCLE, o, UNIT_A, "More"))
                .step(
                    LEAD_A,
                    t_plan(),
                    b::add_kr(o, k, "KR", b::increase(None, 1.0)),
                );
            if n < 3 {
                w.step(LEAD_A, t_plan(), b::commit(o));
            }
        }
    });
    let mut cases = vec![
        case("by the Lead", &a2, cmd(LEAD_A, at, b::commit(OBJ_A2)), committed(OBJ_A2, CYCLE)),
        case(
            "by the OkrMaster, who facilitates and holds no content rights",
            &a2,
            cmd(MASTER, at, b::commit(OBJ_A2)),
            unauthorized(MASTER, "commit objective", Some(UNIT_A)),
        ),
        case(
            "by the OkrMaster who is also Lead of the commune",
            &after(&a2, vec![(MASTER, at, b::grant(UNIT_A, MASTER, okr_core::Role::Lead))]),
            cmd(MASTER, at, b::commit(OBJ_A2)),
            committed(OBJ_A2, CYCLE),
        ),
        case(
            "by a Member",
            &a2,
            cmd(MEMBER_A, at, b::commit(OBJ_A2)),
            unauthorized(MEMBER_A, "commit objective", Some(UNIT_A)),
        ),
        case(
            "by the Observer",
            &a2,
            cmd(OBSERVER, at, b::commit(OBJ_A2)),
            unauthorized(OBSERVER, "commit objective", Some(UNIT_A)),
        ),
        case(
            "without a key result",
            &after(&planning(), vec![(LEAD_A, at, b::draft(CYCLE, OBJ_A2, UNIT_A, "Bare"))]),
            cmd(LEAD_A, at, b::commit(OBJ_A2)),
            rule_exact(
                Rule::CommitNeedsKeyResult,
                format!("objective {OBJ_A2} has no key result"),
            ),
        ),
        case(
            "whose only key result was removed",
            &planning_a2(|w| {
                w.step(LEAD_A, t_plan(), b::remove_kr(KR_A2));
            }),
            cmd(LEAD_A, at, b::commit(OBJ_A2)),
            rule(Rule::CommitNeedsKeyResult, ""),
        ),
        case(
            "committed already",
            &planning(),
            cmd(LEAD_A, at, b::commit(OBJ_A)),
            rule_exact(
                Rule::ObjectiveOpen,
                format!("objective {OBJ_A} is committed, not a draft"),
            ),
        ),
        case(
            "dropped",
            &planning_a2(|w| {
                w.step(LEAD_A, t_plan(), b::drop_obj(OBJ_A2, None));
            }),
            cmd(LEAD_A, at, b::commit(OBJ_A2)),
            rule_exact(
                Rule::ObjectiveOpen,
                format!("objective {OBJ_A2} is dropped, not a draft"),
            ),
        ),
        case(
            "practice cycle: a second committed objective in a unit",
            &practice(),
            cmd(LEAD_A, at, b::commit(OBJ_C)),
            rule_exact(
                Rule::MaxCommittedObjectives,
                format!(
                    "unit {UNIT_A} has 1 committed objectives in cycle 2025-Sprint; the policy allows 1"
                ),
            ),
        ),
        case(
            "practice cycle: the first committed objective of another unit",
            &practice(),
            cmd(MEMBER_B, at, b::commit(OBJ_B)),
            unauthorized(MEMBER_B, "commit objective", Some(UNIT_B)),
        ),
        case(
            "practice cycle: the first committed objective of another unit, by the project lead",
            &practice(),
            cmd(PROJECT_LEAD, at, b::commit(OBJ_B)),
            committed(OBJ_B, PRACTICE),
        ),
        case(
            "regular cycle: the fifth committed objective of a unit",
            &five,
            cmd(LEAD_A, at, b::commit(ObjectiveId::from_u128(0x4A3))),
            committed(ObjectiveId::from_u128(0x4A3), CYCLE),
        ),
        case(
            "unknown objective",
            &a2,
            cmd(LEAD_A, at, b::commit(NO_OBJ)),
            unknown(EntityKind::Objective, NO_OBJ),
        ),
    ];
    // the sixth: commit a further drafted objective once five are committed
    let six = after(
        &five,
        vec![
            (LEAD_A, at, b::commit(ObjectiveId::from_u128(0x4A3))),
            (LEAD_A, at, b::draft(CYCLE, OBJ_A2, UNIT_A, "Sixth")),
            (
                LEAD_A,
                at,
                b::add_kr(OBJ_A2, KR_A2, "KR", b::increase(None, 1.0)),
            ),
        ],
    );
    cases.push(case(
        "regular cycle: a sixth committed objective in a unit",
        &six,
        cmd(LEAD_A, at, b::commit(OBJ_A2)),
        rule_exact(
            Rule::MaxCommittedObjectives,
            format!(
                "unit {UNIT_A} has 5 committed objectives in cycle 2025-Q1; the policy allows 5"
            ),
        ),
    ));
    cases.extend(wrong_phase_cases(
        "commit",
        LEAD_A,
        b::commit(OBJ_A),
        &[Phase::Planning],
    ));
    cases
}

#[test]
fn commit_objective() {
    check_all(commit_objective_cases());
}

fn drop_objective_cases() -> Vec<Case> {
    let dropped = |reason: Option<&str>| {
        event(EventBody::ObjectiveDropped {
            cycle: CYCLE,
            objective: OBJ_A,
            reason: reason.map(str::to_string),
        })
    };
    let running = running();
    let mut cases = vec![
        case(
            "in Planning without a reason",
            &planning(),
            cmd(LEAD_A, t_plan(), b::drop_obj(OBJ_A, None)),
            dropped(None),
        ),
        case(
            "in Planning with a reason, trimmed",
            &planning(),
            cmd(LEAD_A, t_plan(), b::drop_obj(OBJ_A, Some(" duplicate "))),
            dropped(Some("duplicate")),
        ),
        case(
            "in Planning with a blank reason",
            &planning(),
            cmd(LEAD_A, t_plan(), b::drop_obj(OBJ_A, Some("  "))),
            dropped(None),
        ),
        case(
            "while Running with a reason",
            &running,
            cmd(LEAD_A, t_week(), b::drop_obj(OBJ_A, Some("law changed"))),
            dropped(Some("law changed")),
        ),
        case(
            "while Running without a reason",
            &running,
            cmd(LEAD_A, t_week(), b::drop_obj(OBJ_A, None)),
            rule_exact(
                Rule::ReasonRequired,
                "dropping an objective while running needs a reason",
            ),
        ),
        case(
            "while Running with a blank reason",
            &running,
            cmd(LEAD_A, t_week(), b::drop_obj(OBJ_A, Some(" "))),
            rule(Rule::ReasonRequired, ""),
        ),
        case(
            "by a Member",
            &planning(),
            cmd(MEMBER_A, t_plan(), b::drop_obj(OBJ_A, None)),
            unauthorized(MEMBER_A, "drop objective", Some(UNIT_A)),
        ),
        case(
            "dropped already",
            &after(
                &planning(),
                vec![(LEAD_A, t_plan(), b::drop_obj(OBJ_A, None))],
            ),
            cmd(LEAD_A, t_plan(), b::drop_obj(OBJ_A, None)),
            rule_exact(
                Rule::ObjectiveOpen,
                format!("objective \"{OBJ_A_TITLE}\" ({OBJ_A}) was dropped"),
            ),
        ),
        case(
            "unknown objective",
            &planning(),
            cmd(LEAD_A, t_plan(), b::drop_obj(NO_OBJ, None)),
            unknown(EntityKind::Objective, NO_OBJ),
        ),
    ];
    cases.extend(wrong_phase_cases(
        "drop",
        LEAD_A,
        b::drop_obj(OBJ_A, Some("why")),
        &[Phase::Planning, Phase::Running],
    ));
    cases
}

#[test]
fn drop_objective() {
    check_all(drop_objective_cases());
}

fn amend_objective_cases() -> Vec<Case> {
    let at = t_week();
    let running = running();
    let amend = |patch, reason: &str| CommandBody::AmendObjective {
        objective: OBJ_A,
        patch,
        reason: reason.into(),
    };
    let a2_dropped = cycle_full(
        Phase::Running,
        |w| {
            w.step(LEAD_A, t_plan(), b::draft(CYCLE, OBJ_A2, UNIT_A, "Second"));
        },
        |w| {
            w.step(LEAD_A, t_week(), b::drop_obj(OBJ_A2, Some("merged")));
        },
    );
    let mut cases = vec![
        case(
            "by a Member with a reason, trimmed",
            &running,
            cmd(
                MEMBER_A,
                at,
                amend(title(" Permits in a day "), "  council decision "),
            ),
            event(EventBody::ObjectiveAmended {
                cycle: CYCLE,
                objective: OBJ_A,
                patch: title("Permits in a day"),
                reason: "council decision".into(),
            }),
        ),
        case(
            "without a reason",
            &running,
            cmd(MEMBER_A, at, amend(title("X"), "")),
            rule_exact(
                Rule::ReasonRequired,
                "amending an objective while running needs a reason",
            ),
        ),
        case(
            "with a blank reason",
            &running,
            cmd(MEMBER_A, at, amend(title("X"), "   ")),
            rule(Rule::ReasonRequired, ""),
        ),
        case(
            "empty patch",
            &running,
            cmd(MEMBER_A, at, amend(ObjectivePatch::default(), "why")),
            field_exact("patch", "changes nothing"),
        ),
        case(
            "weight 0",
            &running,
            cmd(
                MEMBER_A,
                at,
                amend(
                    ObjectivePatch {
                        weight: Some(0),
                        ..Default::default()
                    },
                    "why",
                ),
            ),
            rule_exact(Rule::WeightPositive, "patch.weight must be greater than 0"),
        ),
        case(
            "dropped objective",
            &a2_dropped,
            cmd(
                MEMBER_A,
                at,
                CommandBody::AmendObjective {
                    objective: OBJ_A2,
                    patch: title("X"),
                    reason: "why".into(),
                },
            ),
            rule_exact(
                Rule::ObjectiveOpen,
                format!("objective \"Second\" ({OBJ_A2}) was dropped"),
            ),
        ),
        case(
            "by a Member of another commune",
            &running,
            cmd(MEMBER_B, at, amend(title("X"), "why")),
            unauthorized(MEMBER_B, "amend objective", Some(UNIT_A)),
        ),
        case(
            "by the Observer",
            &running,
            cmd(OBSERVER, at, amend(title("X"), "why")),
            unauthorized(OBSERVER, "amend objective", Some(UNIT_A)),
        ),
        case(
            "unknown objective",
            &running,
            cmd(
                MEMBER_A,
                at,
                CommandBody::AmendObjective {
                    objective: NO_OBJ,
                    patch: title("X"),
                    reason: "why".into(),
                },
            ),
            unknown(EntityKind::Objective, NO_OBJ),
        ),
    ];
    cases.extend(wrong_phase_cases(
        "amend",
        MEMBER_A,
        amend(title("X"), "why"),
        &[Phase::Running],
    ));
    cases
}

#[test]
fn amend_objective() {
    check_all(amend_objective_cases());
}
