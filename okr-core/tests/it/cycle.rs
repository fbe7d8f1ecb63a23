//! Cycles: planning, policy, the phase transitions and cancelling.

use crate::support::fx::*;
use crate::support::*;
use chrono::Weekday;
use okr_core::{
    CommandBody, CycleKind, EntityKind, Event, EventBody, Phase, Policy, Rule, StreamId,
};

/// Every case of this module.
pub fn cases() -> Vec<Case> {
    let mut all = Vec::new();
    all.extend(plan_cycle_cases());
    all.extend(set_policy_cases());
    all.extend(start_cycle_cases());
    all.extend(begin_review_cases());
    all.extend(begin_retrospective_cases());
    all.extend(close_cycle_cases());
    all.extend(cancel_cycle_cases());
    all
}

/// The regular defaults, changed by `f`.
pub fn policy(f: impl FnOnce(&mut Policy)) -> Policy {
    let mut p = Policy::for_kind(CycleKind::Regular);
    f(&mut p);
    p
}

fn plan_q2(name: &str, kind: CycleKind, policy: Option<Policy>) -> CommandBody {
    CommandBody::PlanCycle {
        cycle: NEW_CYCLE,
        name: name.into(),
        kind,
        start: d(2025, 4, 7),
        end: d(2025, 6, 27),
        check_in_weekday: Weekday::Tue,
        policy,
    }
}

fn q2_planned(kind: CycleKind, policy: Policy) -> Expect {
    event(EventBody::CyclePlanned {
        cycle: NEW_CYCLE,
        name: "2025-Q2".into(),
        kind,
        start: d(2025, 4, 7),
        end: d(2025, 6, 27),
        check_in_weekday: Weekday::Tue,
        policy,
    })
}

fn plan_cycle_cases() -> Vec<Case> {
    let at = t_plan();
    let org = org();
    let custom = policy(|p| {
        p.max_key_results_per_objective = 3;
        p.leads_may_advance = true;
    });
    let with_dates = |start, end| CommandBody::PlanCycle {
        cycle: NEW_CYCLE,
        name: "2025-Q2".into(),
        kind: CycleKind::Regular,
        start,
        end,
        check_in_weekday: Weekday::Mon,
        policy: None,
    };
    vec![
        case(
            "regular cycle by the OkrMaster, defaults, name trimmed",
            &org,
            cmd(MASTER, at, plan_q2(" 2025-Q2  ", CycleKind::Regular, None)),
            q2_planned(CycleKind::Regular, Policy::for_kind(CycleKind::Regular)),
        ),
        case(
            "practice cycle gets the practice defaults",
            &org,
            cmd(MASTER, at, plan_q2("2025-Q2", CycleKind::Practice, None)),
            q2_planned(CycleKind::Practice, Policy::for_kind(CycleKind::Practice)),
        ),
        case(
            "explicit policy is kept",
            &org,
            cmd(
                MASTER,
                at,
                plan_q2("2025-Q2", CycleKind::Regular, Some(custom.clone())),
            ),
            q2_planned(CycleKind::Regular, custom),
        ),
        case(
            "new cycle stream expected at version 0",
            &org,
            expecting(
                cmd(MASTER, at, plan_q2("2025-Q2", CycleKind::Regular, None)),
                0,
            ),
            q2_planned(CycleKind::Regular, Policy::for_kind(CycleKind::Regular)),
        ),
        case(
            "new cycle stream expected at version 1",
            &org,
            expecting(
                cmd(MASTER, at, plan_q2("2025-Q2", CycleKind::Regular, None)),
                1,
            ),
            conflict(StreamId::Cycle(NEW_CYCLE), 1, 0),
        ),
        case(
            "by a Lead",
            &org,
            cmd(LEAD_A, at, plan_q2("2025-Q2", CycleKind::Regular, None)),
            unauthorized(LEAD_A, "plan cycle", Some(ROOT)),
        ),
        case(
            "by a Member",
            &org,
            cmd(MEMBER_A, at, plan_q2("2025-Q2", CycleKind::Regular, None)),
            unauthorized(MEMBER_A, "plan cycle", Some(ROOT)),
        ),
        case(
            "end on the start day",
            &org,
            cmd(MASTER, at, with_dates(d(2025, 4, 7), d(2025, 4, 7))),
            field_exact("end", "must lie after start 2025-04-07, got 2025-04-07"),
        ),
        case(
            "end before start",
            &org,
            cmd(MASTER, at, with_dates(d(2025, 4, 7), d(2025, 4, 1))),
            field("end"),
        ),
        case(
            "empty name",
            &org,
            cmd(MASTER, at, plan_q2(" ", CycleKind::Regular, None)),
            field_exact("name", "must not be empty"),
        ),
        case(
            "policy allowing no committed objective",
            &org,
            cmd(
                MASTER,
                at,
                plan_q2(
                    "2025-Q2",
                    CycleKind::Regular,
                    Some(policy(|p| p.max_committed_objectives_per_unit = 0)),
                ),
            ),
            field_exact(
                "policy.max_committed_objectives_per_unit",
                "must be at least 1",
            ),
        ),
        case(
            "policy with at-risk above on-track",
            &org,
            cmd(
                MASTER,
                at,
                plan_q2(
                    "2025-Q2",
                    CycleKind::Regular,
                    Some(policy(|p| p.at_risk_ppm = 0)),
                ),
            ),
            field("policy.at_risk_ppm"),
        ),
        case(
            "cycle planned already",
            &planned(),
            cmd(
                MASTER,
                at,
                b::plan(CYCLE, "2025-Q1", CycleKind::Regular, start(), end()),
            ),
            exists(EntityKind::Cycle, CYCLE),
        ),
        case(
            "cycle id taken by a unit",
            &org,
            cmd(
                MASTER,
                at,
                b::plan(
                    okr_core::CycleId(UNIT_A.0),
                    "X",
                    CycleKind::Regular,
                    start(),
                    end(),
                ),
            ),
            exists(EntityKind::Unit, UNIT_A),
        ),
    ]
}

#[test]
fn plan_cycle() {
    check_all(plan_cycle_cases());
}

/// Planning with OBJ_A2 (commune A) committed besides OBJ_A, and KR_A2, KR_NEW added to OBJ_A.
fn planning_two_committed_three_krs() -> Vec<Event> {
    cycle_with(Phase::Planning, |w| {
        w.step(LEAD_A, t_plan(), b::draft(CYCLE, OBJ_A2, UNIT_A, "Second"))
            .step(
                LEAD_A,
                t_plan(),
                b::add_kr(OBJ_A2, KR_B, "KR", b::increase(None, 5.0)),
            )
            .step(LEAD_A, t_plan(), b::commit(OBJ_A2))
            .step(
                LEAD_A,
                t_plan(),
                b::add_kr(OBJ_A, KR_A2, "KR 2", b::increase(None, 5.0)),
            )
            .step(
                LEAD_A,
                t_plan(),
                b::add_kr(OBJ_A, KR_NEW, "KR 3", b::increase(None, 5.0)),
            );
    })
}

/// Planning with a policy that lets Leads advance phases.
fn planning_leads_advance() -> Vec<Event> {
    cycle_with(Phase::Planning, |w| {
        w.step(
            MASTER,
            t_plan(),
            CommandBody::SetPolicy {
                cycle: CYCLE,
                policy: policy(|p| p.leads_may_advance = true),
            },
        );
    })
}

fn set_policy_cases() -> Vec<Case> {
    let at = t_plan();
    let planning = planning();
    let set = |p: Policy| CommandBody::SetPolicy {
        cycle: CYCLE,
        policy: p,
    };
    let three = policy(|p| p.max_committed_objectives_per_unit = 3);
    let mut cases = vec![
        case(
            "by the OkrMaster",
            &planning,
            cmd(MASTER, at, set(three.clone())),
            event(EventBody::PolicySet {
                cycle: CYCLE,
                policy: three.clone(),
            }),
        ),
        case(
            "by a Lead when Leads may advance",
            &planning_leads_advance(),
            cmd(LEAD_A, at, set(three.clone())),
            event(EventBody::PolicySet {
                cycle: CYCLE,
                policy: three.clone(),
            }),
        ),
        case(
            "by a Lead",
            &planning,
            cmd(LEAD_A, at, set(three.clone())),
            unauthorized(LEAD_A, "set policy", Some(ROOT)),
        ),
        case(
            "by a Member when Leads may advance",
            &planning_leads_advance(),
            cmd(MEMBER_A, at, set(three.clone())),
            unauthorized(MEMBER_A, "set policy", Some(ROOT)),
        ),
        case(
            "invalid policy",
            &planning,
            cmd(
                MASTER,
                at,
                set(policy(|p| p.max_key_results_per_objective = 0)),
            ),
            field_exact("policy.max_key_results_per_objective", "must be at least 1"),
        ),
        case(
            "fewer committed objectives than a unit has",
            &planning_two_committed_three_krs(),
            cmd(
                MASTER,
                at,
                set(policy(|p| p.max_committed_objectives_per_unit = 1)),
            ),
            rule_exact(
                Rule::MaxCommittedObjectives,
                format!("unit Commune A ({UNIT_A}) has 2 committed objectives; the new policy allows 1"),
            ),
        ),
        case(
            "fewer key results than an objective has",
            &planning_two_committed_three_krs(),
            cmd(
                MASTER,
                at,
                set(policy(|p| p.max_key_results_per_objective = 2)),
            ),
            rule_exact(
                Rule::MaxKeyResults,
                format!("objective \"{OBJ_A_TITLE}\" ({OBJ_A}) has 3 key results; the new policy allows 2"),
            ),
        ),
        case(
            "exactly as many key results as an objective has",
            &planning_two_committed_three_krs(),
            cmd(
                MASTER,
                at,
                set(policy(|p| p.max_key_results_per_objective = 3)),
            ),
            event(EventBody::PolicySet {
                cycle: CYCLE,
                policy: policy(|p| p.max_key_results_per_objective = 3),
            }),
        ),
        case(
            "unknown cycle",
            &planning,
            cmd(
                MASTER,
                at,
                CommandBody::SetPolicy {
                    cycle: NO_CYCLE,
                    policy: three.clone(),
                },
            ),
            unknown(EntityKind::Cycle, NO_CYCLE),
        ),
    ];
    cases.extend(wrong_phase_cases(
        "set policy",
        MASTER,
        set(three),
        &[Phase::Planning],
    ));
    cases
}

#[test]
fn set_policy() {
    check_all(set_policy_cases());
}

fn start_cycle_cases() -> Vec<Case> {
    let at = t_start();
    let started = event(EventBody::CycleStarted { cycle: CYCLE });
    let no_ready = |name: &str, given: &[Event]| {
        case(
            name,
            given,
            cmd(MASTER, at, b::start_cycle(CYCLE)),
            rule_exact(
                Rule::StartNeedsCommittedObjective,
                "cycle 2025-Q1 has no committed objective with a key result",
            ),
        )
    };
    let drafted_only = after(
        &planned(),
        vec![
            (
                LEAD_A,
                t_plan(),
                b::draft(CYCLE, OBJ_A, UNIT_A, OBJ_A_TITLE),
            ),
            (LEAD_A, t_plan(), kr_a_body()),
        ],
    );
    let kr_removed = after(&planning(), vec![(LEAD_A, t_plan(), b::remove_kr(KR_A))]);
    let mut cases = vec![
        case(
            "by the OkrMaster with a committed objective",
            &planning(),
            cmd(MASTER, at, b::start_cycle(CYCLE)),
            started.clone(),
        ),
        case(
            "by a Lead when Leads may advance",
            &planning_leads_advance(),
            cmd(LEAD_A, at, b::start_cycle(CYCLE)),
            started.clone(),
        ),
        case(
            "current cycle version",
            &planning(),
            expecting(cmd(MASTER, at, b::start_cycle(CYCLE)), 4),
            started,
        ),
        case(
            "stale cycle version",
            &planning(),
            expecting(cmd(MASTER, at, b::start_cycle(CYCLE)), 3),
            conflict(StreamId::Cycle(CYCLE), 3, 4),
        ),
        no_ready("without any objective", &planned()),
        no_ready("with a drafted, uncommitted objective", &drafted_only),
        no_ready(
            "with a committed objective whose key result was removed",
            &kr_removed,
        ),
        case(
            "by a Lead",
            &planning(),
            cmd(LEAD_A, at, b::start_cycle(CYCLE)),
            unauthorized(LEAD_A, "start cycle", Some(ROOT)),
        ),
        case(
            "by a Member when Leads may advance",
            &planning_leads_advance(),
            cmd(MEMBER_A, at, b::start_cycle(CYCLE)),
            unauthorized(MEMBER_A, "start cycle", Some(ROOT)),
        ),
        case(
            "unknown cycle",
            &planning(),
            cmd(MASTER, at, b::start_cycle(NO_CYCLE)),
            unknown(EntityKind::Cycle, NO_CYCLE),
        ),
    ];
    cases.extend(wrong_phase_cases(
        "start",
        MASTER,
        b::start_cycle(CYCLE),
        &[Phase::Planning],
    ));
    cases
}

#[test]
fn start_cycle() {
    check_all(start_cycle_cases());
}

fn begin_review_cases() -> Vec<Case> {
    let running = running();
    let begun = |reason: Option<&str>| {
        event(EventBody::ReviewBegun {
            cycle: CYCLE,
            early_reason: reason.map(str::to_string),
        })
    };
    let mut cases = vec![
        case(
            "on the end date without a reason",
            &running,
            cmd(MASTER, t_end(), b::begin_review(CYCLE, None)),
            begun(None),
        ),
        case(
            "at the first minute of the end date",
            &running,
            cmd(MASTER, t(2025, 3, 28, 0, 0), b::begin_review(CYCLE, None)),
            begun(None),
        ),
        case(
            "after the end date",
            &running,
            cmd(MASTER, t_retro(), b::begin_review(CYCLE, None)),
            begun(None),
        ),
        case(
            "before the end date without a reason",
            &running,
            cmd(MASTER, t_early(), b::begin_review(CYCLE, None)),
            rule_exact(
                Rule::ReviewNotBeforeEnd,
                "cycle 2025-Q1 ends 2025-03-28; a review on 2025-03-20 needs an early_reason",
            ),
        ),
        case(
            "the last minute before the end date without a reason",
            &running,
            cmd(MASTER, t(2025, 3, 27, 23, 59), b::begin_review(CYCLE, None)),
            rule(Rule::ReviewNotBeforeEnd, "needs an early_reason"),
        ),
        case(
            "before the end date with a blank reason",
            &running,
            cmd(MASTER, t_early(), b::begin_review(CYCLE, Some("   "))),
            rule(Rule::ReviewNotBeforeEnd, "needs an early_reason"),
        ),
        case(
            "before the end date with a reason, trimmed",
            &running,
            cmd(
                MASTER,
                t_early(),
                b::begin_review(CYCLE, Some("  budget cut ")),
            ),
            begun(Some("budget cut")),
        ),
        case(
            "by a Lead",
            &running,
            cmd(LEAD_A, t_end(), b::begin_review(CYCLE, None)),
            unauthorized(LEAD_A, "begin review", Some(ROOT)),
        ),
        case(
            "unknown cycle",
            &running,
            cmd(MASTER, t_end(), b::begin_review(NO_CYCLE, None)),
            unknown(EntityKind::Cycle, NO_CYCLE),
        ),
    ];
    cases.extend(wrong_phase_cases(
        "begin review",
        MASTER,
        b::begin_review(CYCLE, Some("why not")),
        &[Phase::Running],
    ));
    cases
}

#[test]
fn begin_review() {
    check_all(begin_review_cases());
}

fn begin_retrospective_cases() -> Vec<Case> {
    let review = review();
    let mut cases = vec![
        case(
            "by the OkrMaster",
            &review,
            cmd(MASTER, t_retro(), b::begin_retro(CYCLE)),
            event(EventBody::RetrospectiveBegun { cycle: CYCLE }),
        ),
        case(
            "by a Lead",
            &review,
            cmd(LEAD_A, t_retro(), b::begin_retro(CYCLE)),
            unauthorized(LEAD_A, "begin retrospective", Some(ROOT)),
        ),
        case(
            "by the Observer",
            &review,
            cmd(OBSERVER, t_retro(), b::begin_retro(CYCLE)),
            unauthorized(OBSERVER, "begin retrospective", Some(ROOT)),
        ),
        case(
            "unknown cycle",
            &review,
            cmd(MASTER, t_retro(), b::begin_retro(NO_CYCLE)),
            unknown(EntityKind::Cycle, NO_CYCLE),
        ),
    ];
    cases.extend(wrong_phase_cases(
        "begin retrospective",
        MASTER,
        b::begin_retro(CYCLE),
        &[Phase::Review],
    ));
    cases
}

#[test]
fn begin_retrospective() {
    check_all(begin_retrospective_cases());
}

fn close_cycle_cases() -> Vec<Case> {
    let retro = retrospective();
    let mut cases = vec![
        case(
            "by the OkrMaster",
            &retro,
            cmd(MASTER, t_close(), b::close(CYCLE)),
            event(EventBody::CycleClosed { cycle: CYCLE }),
        ),
        case(
            "by a Member",
            &retro,
            cmd(MEMBER_A, t_close(), b::close(CYCLE)),
            unauthorized(MEMBER_A, "close cycle", Some(ROOT)),
        ),
        case(
            "unknown cycle",
            &retro,
            cmd(MASTER, t_close(), b::close(NO_CYCLE)),
            unknown(EntityKind::Cycle, NO_CYCLE),
        ),
    ];
    cases.extend(wrong_phase_cases(
        "close",
        MASTER,
        b::close(CYCLE),
        &[Phase::Retrospective],
    ));
    cases
}

#[test]
fn close_cycle() {
    check_all(close_cycle_cases());
}

fn cancel_cycle_cases() -> Vec<Case> {
    const OPEN: [Phase; 4] = [
        Phase::Planning,
        Phase::Running,
        Phase::Review,
        Phase::Retrospective,
    ];
    let mut cases: Vec<Case> = OPEN
        .into_iter()
        .map(|p| {
            case(
                format!("in {p}, reason trimmed"),
                &cycle_in(p),
                cmd(MASTER, time_in(p), b::cancel(CYCLE, "  merger ")),
                event(EventBody::CycleCancelled {
                    cycle: CYCLE,
                    reason: "merger".into(),
                }),
            )
        })
        .collect();
    cases.extend([
        case(
            "a planned cycle without objectives",
            &planned(),
            cmd(MASTER, t_plan(), b::cancel(CYCLE, "merger")),
            event(EventBody::CycleCancelled {
                cycle: CYCLE,
                reason: "merger".into(),
            }),
        ),
        case(
            "without a reason",
            &running(),
            cmd(MASTER, t_week(), b::cancel(CYCLE, "  ")),
            rule_exact(Rule::ReasonRequired, "cancelling a cycle needs a reason"),
        ),
        case(
            "by a Lead",
            &running(),
            cmd(LEAD_A, t_week(), b::cancel(CYCLE, "merger")),
            unauthorized(LEAD_A, "cancel cycle", Some(ROOT)),
        ),
        case(
            "unknown cycle",
            &running(),
            cmd(MASTER, t_week(), b::cancel(NO_CYCLE, "merger")),
            unknown(EntityKind::Cycle, NO_CYCLE),
        ),
    ]);
    cases.extend(wrong_phase_cases(
        "cancel",
        MASTER,
        b::cancel(CYCLE, "merger"),
        &OPEN,
    ));
    cases
}

#[test]
fn cancel_cycle() {
    check_all(cancel_cycle_cases());
}

/// The phase fixtures really are in their phase, with the versions the cases count on.
#[test]
fn phase_fixtures() {
    for p in PHASES {
        let s = okr_core::State::from_events(&cycle_in(p));
        assert_eq!(s.cycles[&CYCLE].phase, p, "fixture for {p}");
    }
    let s = okr_core::State::from_events(&planning());
    assert_eq!(s.stream_version(StreamId::Cycle(CYCLE)), 4);
    assert_eq!(s.stream_version(StreamId::Organisation), ORG_VERSION);
}
