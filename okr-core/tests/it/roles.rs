//! Roles as the practice has them: the OkrMaster facilitates (moderates, runs the calendar)
//! without content rights, the steering committee approves cross-unit objectives while
//! planning, and objectives of different units record what they depend on.

use crate::objective::planning_abc;
use crate::support::fx::*;
use crate::support::*;
use okr_core::{CommandBody, EntityKind, Event, EventBody, ObjectiveId, Phase, Policy, Role, Rule};

/// Every case of this file, for the coverage test.
pub fn cases() -> Vec<Case> {
    let mut all = Vec::new();
    all.extend(approve_objective_cases());
    all.extend(commit_with_approval_cases());
    all.extend(link_dependency_cases());
    all.extend(unlink_dependency_cases());
    all.extend(moderation_cases());
    all
}

fn approve(objective: ObjectiveId) -> CommandBody {
    CommandBody::ApproveObjective {
        objective,
        committee: COMMITTEE,
    }
}

fn approved(objective: ObjectiveId) -> Expect {
    event(EventBody::ObjectiveApproved {
        cycle: CYCLE,
        objective,
        committee: COMMITTEE,
    })
}

fn link(objective: ObjectiveId, depends_on: ObjectiveId) -> CommandBody {
    CommandBody::LinkDependency {
        objective,
        depends_on,
    }
}

fn unlink(objective: ObjectiveId, depends_on: ObjectiveId) -> CommandBody {
    CommandBody::UnlinkDependency {
        objective,
        depends_on,
    }
}

/// Planning with OBJ_B (commune B) and OBJ_C (the federation, a unit with units below it),
/// under a policy that wants cross-unit objectives approved.
fn with_approval_policy() -> Vec<Event> {
    let given = planning_abc(&[]);
    let policy = Policy {
        cross_unit_approval: true,
        ..Policy::for_kind(okr_core::CycleKind::Regular)
    };
    after(
        &given,
        vec![(
            MASTER,
            t_plan(),
            CommandBody::SetPolicy {
                cycle: CYCLE,
                policy,
            },
        )],
    )
}

fn approve_objective_cases() -> Vec<Case> {
    let at = t_plan();
    let abc = planning_abc(&[]);
    let a_to_b = planning_abc(&[(OBJ_A, OBJ_B)]);
    let approved_once = after(&abc, vec![(STEERING, at, approve(OBJ_C))]);
    let mut cases = vec![
        case(
            "the federation's objective, by the steering member",
            &abc,
            cmd(STEERING, at, approve(OBJ_C)),
            approved(OBJ_C),
        ),
        case(
            "a commune's objective that another commune's objective is aligned to",
            &a_to_b,
            cmd(STEERING, at, approve(OBJ_B)),
            approved(OBJ_B),
        ),
        case(
            "by the OkrMaster, who moderates but does not decide",
            &abc,
            cmd(MASTER, at, approve(OBJ_C)),
            unauthorized(MASTER, "approve objective", Some(COMMITTEE)),
        ),
        case(
            "by the federation's project lead",
            &abc,
            cmd(PROJECT_LEAD, at, approve(OBJ_C)),
            unauthorized(PROJECT_LEAD, "approve objective", Some(COMMITTEE)),
        ),
        case(
            "an objective of one commune alone",
            &abc,
            cmd(STEERING, at, approve(OBJ_B)),
            rule(Rule::CrossUnitApproval, "concerns Commune B"),
        ),
        case(
            "twice",
            &approved_once,
            cmd(STEERING, at, approve(OBJ_C)),
            rule(
                Rule::CrossUnitApproval,
                "approved already, by Steering committee",
            ),
        ),
        case(
            "by a unit that is no committee",
            &abc,
            cmd(
                STEERING,
                at,
                CommandBody::ApproveObjective {
                    objective: OBJ_C,
                    committee: UNIT_A,
                },
            ),
            field("committee"),
        ),
        case(
            "unknown objective",
            &abc,
            cmd(STEERING, at, approve(NO_OBJ)),
            unknown(EntityKind::Objective, NO_OBJ),
        ),
    ];
    cases.extend(wrong_phase_cases_in(
        "approve",
        STEERING,
        approve(OBJ_C),
        &[Phase::Planning],
        |p| {
            Some(cycle_with(p, |w| {
                w.step(PROJECT_LEAD, t_plan(), b::draft(CYCLE, OBJ_C, ROOT, "C"));
            }))
        },
    ));
    cases
}

fn commit_with_approval_cases() -> Vec<Case> {
    let at = t_plan();
    let policy = with_approval_policy();
    let with_kr = after(
        &policy,
        vec![(
            PROJECT_LEAD,
            at,
            b::add_kr(OBJ_C, KR_NEW, "Share online", b::increase(Some(5.0), 25.0)),
        )],
    );
    let approved = after(&with_kr, vec![(STEERING, at, approve(OBJ_C))]);
    let b_with_kr = after(
        &policy,
        vec![(
            MEMBER_B,
            at,
            b::add_kr(OBJ_B, KR_B, "Share online", b::increase(Some(5.0), 25.0)),
        )],
    );
    let b_lead = after(
        &b_with_kr,
        vec![(MASTER, at, b::grant(UNIT_B, MEMBER_B, Role::Lead))],
    );
    vec![
        case(
            "a cross-unit objective the committee has not approved",
            &with_kr,
            cmd(PROJECT_LEAD, at, b::commit(OBJ_C)),
            rule(Rule::CrossUnitApproval, "\"C\""),
        ),
        case(
            "a cross-unit objective after the committee approved it",
            &approved,
            cmd(PROJECT_LEAD, at, b::commit(OBJ_C)),
            event(EventBody::ObjectiveCommitted {
                cycle: CYCLE,
                objective: OBJ_C,
            }),
        ),
        case(
            "an objective of one commune needs no approval",
            &b_lead,
            cmd(MEMBER_B, at, b::commit(OBJ_B)),
            event(EventBody::ObjectiveCommitted {
                cycle: CYCLE,
                objective: OBJ_B,
            }),
        ),
    ]
}

fn link_dependency_cases() -> Vec<Case> {
    let at = t_plan();
    let abc = planning_abc(&[]);
    let b_on_a = after(&abc, vec![(MEMBER_B, at, link(OBJ_B, OBJ_A))]);
    let chain = after(&b_on_a, vec![(PROJECT_LEAD, at, link(OBJ_C, OBJ_B))]);
    let running_b = cycle_full(
        Phase::Running,
        |w| {
            w.step(MEMBER_B, t_plan(), b::draft(CYCLE, OBJ_B, UNIT_B, "B"));
        },
        |_| {},
    );
    let mut cases = vec![
        case(
            "commune B's objective depends on commune A's",
            &abc,
            cmd(MEMBER_B, at, link(OBJ_B, OBJ_A)),
            event(EventBody::DependencyLinked {
                cycle: CYCLE,
                objective: OBJ_B,
                depends_on: OBJ_A,
            }),
        ),
        case(
            "while running, when the dependency shows up",
            &running_b,
            cmd(MEMBER_B, t_week(), link(OBJ_B, OBJ_A)),
            event(EventBody::DependencyLinked {
                cycle: CYCLE,
                objective: OBJ_B,
                depends_on: OBJ_A,
            }),
        ),
        case(
            "by the OkrMaster, who holds no content rights",
            &abc,
            cmd(MASTER, at, link(OBJ_B, OBJ_A)),
            unauthorized(MASTER, "link dependency", Some(UNIT_B)),
        ),
        case(
            "by a member of the other commune",
            &abc,
            cmd(MEMBER_A, at, link(OBJ_B, OBJ_A)),
            unauthorized(MEMBER_A, "link dependency", Some(UNIT_B)),
        ),
        case(
            "within one unit",
            &after(
                &abc,
                vec![(LEAD_A, at, b::draft(CYCLE, OBJ_A2, UNIT_A, "A2"))],
            ),
            cmd(LEAD_A, at, link(OBJ_A2, OBJ_A)),
            rule(Rule::DependencyOtherUnit, "both belong to Commune A"),
        ),
        case(
            "twice",
            &b_on_a,
            cmd(MEMBER_B, at, link(OBJ_B, OBJ_A)),
            rule(Rule::DependencyOtherUnit, "depends on"),
        ),
        case(
            "closing a loop names it by titles",
            &chain,
            cmd(LEAD_A, at, link(OBJ_A, OBJ_C)),
            rule_exact(
                Rule::DependencyAcyclic,
                format!(
                    "the dependency would close the loop \"{OBJ_A_TITLE}\" ({OBJ_A}) → \
                     \"C\" ({OBJ_C}) → \"B\" ({OBJ_B}) → \"{OBJ_A_TITLE}\" ({OBJ_A})"
                ),
            ),
        ),
        case(
            "on an objective of another cycle",
            &abc,
            cmd(MEMBER_B, at, link(OBJ_B, NO_OBJ)),
            unknown(EntityKind::Objective, NO_OBJ),
        ),
    ];
    cases.extend(wrong_phase_cases_in(
        "link dependency",
        MEMBER_B,
        link(OBJ_B, OBJ_A),
        &[Phase::Planning, Phase::Running],
        |p| {
            Some(cycle_with(p, |w| {
                w.step(MEMBER_B, t_plan(), b::draft(CYCLE, OBJ_B, UNIT_B, "B"));
            }))
        },
    ));
    cases
}

fn unlink_dependency_cases() -> Vec<Case> {
    let at = t_plan();
    let b_on_a = after(&planning_abc(&[]), vec![(MEMBER_B, at, link(OBJ_B, OBJ_A))]);
    vec![
        case(
            "an existing link",
            &b_on_a,
            cmd(MEMBER_B, at, unlink(OBJ_B, OBJ_A)),
            event(EventBody::DependencyUnlinked {
                cycle: CYCLE,
                objective: OBJ_B,
                depends_on: OBJ_A,
            }),
        ),
        case(
            "the other direction",
            &b_on_a,
            cmd(LEAD_A, at, unlink(OBJ_A, OBJ_B)),
            unknown(
                EntityKind::Objective,
                format!("{OBJ_B} (no dependency link from {OBJ_A})"),
            ),
        ),
        case(
            "by the observer",
            &b_on_a,
            cmd(OBSERVER, at, unlink(OBJ_B, OBJ_A)),
            unauthorized(OBSERVER, "unlink dependency", Some(UNIT_B)),
        ),
    ]
}

fn moderation_cases() -> Vec<Case> {
    let running = running();
    let at = t_week();
    vec![
        case(
            "the OkrMaster records an agreement of the weekly they moderate",
            &running,
            cmd(
                MASTER,
                at,
                b::agreement(CYCLE, AGREEMENT, UNIT_A, "Send the form"),
            ),
            event(EventBody::AgreementMade {
                cycle: CYCLE,
                agreement: AGREEMENT,
                unit: UNIT_A,
                text: "Send the form".into(),
                owner: None,
                due: None,
                weekly: Some(at.date_naive()),
                provider: None,
                provides: None,
                receiver: None,
                consequence: None,
            }),
        ),
        case(
            "the OkrMaster records a blocker raised in the weekly",
            &running,
            cmd(MASTER, at, b::raise(CYCLE, BLOCKER, UNIT_A, "No licence")),
            event(EventBody::BlockerRaised {
                cycle: CYCLE,
                blocker: BLOCKER,
                unit: UNIT_A,
                key_result: None,
                text: "No licence".into(),
            }),
        ),
        case(
            "the steering member records no agreement of a commune",
            &running,
            cmd(
                STEERING,
                at,
                b::agreement(CYCLE, AGREEMENT, UNIT_A, "Send the form"),
            ),
            unauthorized(STEERING, "make agreement", Some(UNIT_A)),
        ),
    ]
}

#[test]
fn approve_objective() {
    check_all(approve_objective_cases());
}

#[test]
fn commit_with_approval() {
    check_all(commit_with_approval_cases());
}

#[test]
fn link_dependency() {
    check_all(link_dependency_cases());
}

#[test]
fn unlink_dependency() {
    check_all(unlink_dependency_cases());
}

#[test]
fn moderation() {
    check_all(moderation_cases());
}
