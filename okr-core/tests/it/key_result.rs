//! Key results: add, revise, remove, amend, and check-ins.

use crate::support::fx::*;
use crate::support::*;
use okr_core::{
    Bound, CommandBody, EntityKind, Event, EventBody, KeyResultId, KeyResultPatch, KrKind, Phase,
    Policy, Rule,
};

/// Every case of this module.
pub fn cases() -> Vec<Case> {
    let mut all = Vec::new();
    all.extend(add_key_result_cases());
    all.extend(revise_key_result_cases());
    all.extend(remove_key_result_cases());
    all.extend(amend_key_result_cases());
    all.extend(check_in_cases());
    all
}

fn added(
    key_result: KeyResultId,
    title: &str,
    kind: KrKind,
    weight: u32,
    owner: Option<okr_core::PersonId>,
) -> Expect {
    event(EventBody::KeyResultAdded {
        cycle: CYCLE,
        objective: OBJ_A,
        key_result,
        title: title.into(),
        kind,
        weight,
        owner,
    })
}

/// Planning with OBJ_A carrying `n` key results in all (KR_A and n-1 more).
fn obj_a_with_krs(n: u128) -> Vec<Event> {
    cycle_with(Phase::Planning, |w| {
        for i in 1..n {
            w.step(
                LEAD_A,
                t_plan(),
                b::add_kr(
                    OBJ_A,
                    KeyResultId::from_u128(0x5B0 + i),
                    "More",
                    b::increase(None, 1.0),
                ),
            );
        }
    })
}

fn add_key_result_cases() -> Vec<Case> {
    let at = t_plan();
    let planning = planning();
    let add = |kind| b::add_kr(OBJ_A, KR_NEW, "Waiting time", kind);
    let refuse = |name: &str, kind: KrKind, then: Expect| {
        case(name, &planning, cmd(MEMBER_A, at, add(kind)), then)
    };
    let threshold = KrKind::Threshold {
        bound: Bound::AtLeast,
        value: 4.0,
        unit: "stars".into(),
    };
    let a2_dropped = cycle_with(Phase::Planning, |w| {
        w.step(LEAD_A, t_plan(), b::draft(CYCLE, OBJ_A2, UNIT_A, "X"))
            .step(LEAD_A, t_plan(), b::drop_obj(OBJ_A2, None));
    });
    let max2 = cycle_with(Phase::Planning, |w| {
        w.step(
            LEAD_A,
            t_plan(),
            b::add_kr(OBJ_A, KR_A2, "Second", b::increase(None, 1.0)),
        )
        .step(
            MASTER,
            t_plan(),
            CommandBody::SetPolicy {
                cycle: CYCLE,
                policy: Policy {
                    max_key_results_per_objective: 2,
                    ..Policy::for_kind(okr_core::CycleKind::Regular)
                },
            },
        );
    });
    let mut cases = vec![
        case(
            "decrease by a Member, title trimmed, weight and owner kept",
            &planning,
            cmd(
                MEMBER_A,
                at,
                CommandBody::AddKeyResult {
                    objective: OBJ_A,
                    key_result: KR_NEW,
                    title: "  Waiting time ".into(),
                    kind: b::decrease(Some(10.0), 2.0),
                    weight: 2,
                    owner: Some(OUTSIDER),
                },
            ),
            added(
                KR_NEW,
                "Waiting time",
                b::decrease(Some(10.0), 2.0),
                2,
                Some(OUTSIDER),
            ),
        ),
        case(
            "increase without a baseline (taken as 0)",
            &planning,
            cmd(MEMBER_A, at, add(b::increase(None, 5.0))),
            added(KR_NEW, "Waiting time", b::increase(None, 5.0), 1, None),
        ),
        case(
            "threshold",
            &planning,
            cmd(MEMBER_A, at, add(threshold.clone())),
            added(KR_NEW, "Waiting time", threshold, 1, None),
        ),
        case(
            "milestone",
            &planning,
            cmd(LEAD_A, at, add(KrKind::Milestone)),
            added(KR_NEW, "Waiting time", KrKind::Milestone, 1, None),
        ),
        case(
            "the fifth key result",
            &obj_a_with_krs(4),
            cmd(MEMBER_A, at, add(KrKind::Milestone)),
            added(KR_NEW, "Waiting time", KrKind::Milestone, 1, None),
        ),
        case(
            "the sixth key result",
            &obj_a_with_krs(5),
            cmd(MEMBER_A, at, add(KrKind::Milestone)),
            rule_exact(
                Rule::MaxKeyResults,
                format!(
                    "objective \"{OBJ_A_TITLE}\" ({OBJ_A}) has 5 key results; the policy allows 5"
                ),
            ),
        ),
        case(
            "a third key result under a policy of 2",
            &max2,
            cmd(MEMBER_A, at, add(KrKind::Milestone)),
            rule_exact(
                Rule::MaxKeyResults,
                format!(
                    "objective \"{OBJ_A_TITLE}\" ({OBJ_A}) has 2 key results; the policy allows 2"
                ),
            ),
        ),
        case(
            "weight 0",
            &planning,
            cmd(
                MEMBER_A,
                at,
                CommandBody::AddKeyResult {
                    objective: OBJ_A,
                    key_result: KR_NEW,
                    title: "Waiting time".into(),
                    kind: KrKind::Milestone,
                    weight: 0,
                    owner: None,
                },
            ),
            rule_exact(Rule::WeightPositive, "weight must be greater than 0"),
        ),
        refuse(
            "increase with baseline == target",
            b::increase(Some(20.0), 20.0),
            rule_exact(
                Rule::BaselineNotTarget,
                "an increase needs its target above the baseline: baseline 20, target 20",
            ),
        ),
        refuse(
            "increase with target below baseline",
            b::increase(Some(20.0), 10.0),
            rule(Rule::BaselineNotTarget, "baseline 20, target 10"),
        ),
        refuse(
            "increase without baseline to 0",
            b::increase(None, 0.0),
            rule(Rule::BaselineNotTarget, "baseline 0, target 0"),
        ),
        refuse(
            "decrease without baseline",
            b::decrease(None, 2.0),
            rule_exact(Rule::DecreaseNeedsBaseline, "kind.baseline is missing"),
        ),
        refuse(
            "decrease with baseline == target",
            b::decrease(Some(5.0), 5.0),
            rule_exact(
                Rule::BaselineNotTarget,
                "a decrease needs its target below the baseline: baseline 5, target 5",
            ),
        ),
        refuse(
            "decrease with target above baseline",
            b::decrease(Some(5.0), 7.0),
            rule(Rule::BaselineNotTarget, "below the baseline"),
        ),
        refuse(
            "target not a number",
            b::increase(Some(1.0), f64::NAN),
            field_exact("kind.target", "must be a finite number, got NaN"),
        ),
        refuse(
            "infinite baseline",
            b::decrease(Some(f64::INFINITY), 1.0),
            field("kind.baseline"),
        ),
        refuse(
            "threshold not a number",
            KrKind::Threshold {
                bound: Bound::AtMost,
                value: f64::NAN,
                unit: "ms".into(),
            },
            field("kind.value"),
        ),
        case(
            "unregistered owner",
            &planning,
            cmd(
                MEMBER_A,
                at,
                CommandBody::AddKeyResult {
                    objective: OBJ_A,
                    key_result: KR_NEW,
                    title: "Waiting time".into(),
                    kind: KrKind::Milestone,
                    weight: 1,
                    owner: Some(STRANGER),
                },
            ),
            field_exact("owner", format!("unknown person {STRANGER}")),
        ),
        case(
            "empty title",
            &planning,
            cmd(
                MEMBER_A,
                at,
                b::add_kr(OBJ_A, KR_NEW, "", KrKind::Milestone),
            ),
            field_exact("title", "must not be empty"),
        ),
        case(
            "key result exists",
            &planning,
            cmd(
                MEMBER_A,
                at,
                b::add_kr(OBJ_A, KR_A, "Again", KrKind::Milestone),
            ),
            exists(EntityKind::KeyResult, KR_A),
        ),
        case(
            "unknown objective",
            &planning,
            cmd(
                MEMBER_A,
                at,
                b::add_kr(NO_OBJ, KR_NEW, "X", KrKind::Milestone),
            ),
            unknown(EntityKind::Objective, NO_OBJ),
        ),
        case(
            "dropped objective",
            &a2_dropped,
            cmd(
                LEAD_A,
                at,
                b::add_kr(OBJ_A2, KR_NEW, "X", KrKind::Milestone),
            ),
            rule_exact(
                Rule::ObjectiveOpen,
                format!("objective \"X\" ({OBJ_A2}) was dropped"),
            ),
        ),
        case(
            "by the Observer",
            &planning,
            cmd(OBSERVER, at, add(KrKind::Milestone)),
            unauthorized(OBSERVER, "add key result", Some(UNIT_A)),
        ),
        case(
            "by a Member of another commune",
            &planning,
            cmd(MEMBER_B, at, add(KrKind::Milestone)),
            unauthorized(MEMBER_B, "add key result", Some(UNIT_A)),
        ),
    ];
    cases.extend(wrong_phase_cases(
        "add key result",
        MEMBER_A,
        add(KrKind::Milestone),
        &[Phase::Planning],
    ));
    cases
}

#[test]
fn add_key_result() {
    check_all(add_key_result_cases());
}

fn kind_patch(kind: KrKind) -> KeyResultPatch {
    KeyResultPatch {
        kind: Some(kind),
        ..Default::default()
    }
}

/// The patch cases revise and amend share: (name, patch, expected rejection).
fn bad_patches(prefix: &str) -> Vec<(String, KeyResultPatch, Expect)> {
    vec![
        (
            format!("{prefix}: empty patch"),
            KeyResultPatch::default(),
            field_exact("patch", "changes nothing"),
        ),
        (
            format!("{prefix}: weight 0"),
            KeyResultPatch {
                weight: Some(0),
                ..Default::default()
            },
            rule_exact(Rule::WeightPositive, "patch.weight must be greater than 0"),
        ),
        (
            format!("{prefix}: blank title"),
            KeyResultPatch {
                title: Some("  ".into()),
                ..Default::default()
            },
            field_exact("patch.title", "must not be empty"),
        ),
        (
            format!("{prefix}: increase with baseline == target"),
            kind_patch(b::increase(Some(3.0), 3.0)),
            rule(Rule::BaselineNotTarget, "baseline 3, target 3"),
        ),
        (
            format!("{prefix}: decrease without baseline"),
            kind_patch(b::decrease(None, 3.0)),
            rule_exact(
                Rule::DecreaseNeedsBaseline,
                "patch.kind.baseline is missing",
            ),
        ),
        (
            format!("{prefix}: target not a number"),
            kind_patch(b::increase(None, f64::NAN)),
            field("patch.kind.target"),
        ),
        (
            format!("{prefix}: unregistered owner"),
            KeyResultPatch {
                owner: Some(STRANGER),
                ..Default::default()
            },
            field_exact("patch.owner", format!("unknown person {STRANGER}")),
        ),
    ]
}

fn revise_key_result_cases() -> Vec<Case> {
    let at = t_plan();
    let planning = planning();
    let revise = |patch| CommandBody::ReviseKeyResult {
        key_result: KR_A,
        patch,
    };
    let removed = after(&planning, vec![(LEAD_A, at, b::remove_kr(KR_A))]);
    let mut cases = vec![
        case(
            "title and kind by a Member, title trimmed",
            &planning,
            cmd(
                MEMBER_A,
                at,
                revise(KeyResultPatch {
                    title: Some(" Online share ".into()),
                    kind: Some(b::increase(Some(20.0), 60.0)),
                    ..Default::default()
                }),
            ),
            event(EventBody::KeyResultRevised {
                cycle: CYCLE,
                key_result: KR_A,
                patch: KeyResultPatch {
                    title: Some("Online share".into()),
                    kind: Some(b::increase(Some(20.0), 60.0)),
                    ..Default::default()
                },
            }),
        ),
        case(
            "owner and weight",
            &planning,
            cmd(
                LEAD_A,
                at,
                revise(KeyResultPatch {
                    owner: Some(OUTSIDER),
                    weight: Some(3),
                    ..Default::default()
                }),
            ),
            event(EventBody::KeyResultRevised {
                cycle: CYCLE,
                key_result: KR_A,
                patch: KeyResultPatch {
                    owner: Some(OUTSIDER),
                    weight: Some(3),
                    ..Default::default()
                },
            }),
        ),
        case(
            "by a Member of another commune",
            &planning,
            cmd(MEMBER_B, at, revise(kind_patch(KrKind::Milestone))),
            unauthorized(MEMBER_B, "revise key result", Some(UNIT_A)),
        ),
        case(
            "removed key result",
            &removed,
            cmd(MEMBER_A, at, revise(kind_patch(KrKind::Milestone))),
            unknown(EntityKind::KeyResult, KR_A),
        ),
        case(
            "unknown key result",
            &planning,
            cmd(
                MEMBER_A,
                at,
                CommandBody::ReviseKeyResult {
                    key_result: NO_KR,
                    patch: kind_patch(KrKind::Milestone),
                },
            ),
            unknown(EntityKind::KeyResult, NO_KR),
        ),
    ];
    for (name, patch, then) in bad_patches("revise") {
        cases.push(case(
            name,
            &planning,
            cmd(MEMBER_A, at, revise(patch)),
            then,
        ));
    }
    cases.extend(wrong_phase_cases(
        "revise key result",
        MEMBER_A,
        revise(kind_patch(KrKind::Milestone)),
        &[Phase::Planning],
    ));
    cases
}

#[test]
fn revise_key_result() {
    check_all(revise_key_result_cases());
}

fn remove_key_result_cases() -> Vec<Case> {
    let at = t_plan();
    let planning = planning();
    let removed = after(&planning, vec![(LEAD_A, at, b::remove_kr(KR_A))]);
    let mut cases = vec![
        case(
            "by a Member",
            &planning,
            cmd(MEMBER_A, at, b::remove_kr(KR_A)),
            event(EventBody::KeyResultRemoved {
                cycle: CYCLE,
                key_result: KR_A,
            }),
        ),
        case(
            "removed already",
            &removed,
            cmd(MEMBER_A, at, b::remove_kr(KR_A)),
            unknown(EntityKind::KeyResult, KR_A),
        ),
        case(
            "removed id cannot be reused",
            &removed,
            cmd(
                MEMBER_A,
                at,
                b::add_kr(OBJ_A, KR_A, "Reborn", KrKind::Milestone),
            ),
            exists(EntityKind::KeyResult, KR_A),
        ),
        case(
            "by the Observer",
            &planning,
            cmd(OBSERVER, at, b::remove_kr(KR_A)),
            unauthorized(OBSERVER, "remove key result", Some(UNIT_A)),
        ),
        case(
            "unknown key result",
            &planning,
            cmd(MEMBER_A, at, b::remove_kr(NO_KR)),
            unknown(EntityKind::KeyResult, NO_KR),
        ),
    ];
    cases.extend(wrong_phase_cases(
        "remove key result",
        MEMBER_A,
        b::remove_kr(KR_A),
        &[Phase::Planning],
    ));
    cases
}

#[test]
fn remove_key_result() {
    check_all(remove_key_result_cases());
}

fn amend_key_result_cases() -> Vec<Case> {
    let at = t_week();
    let running = running();
    let amend = |patch, reason: &str| CommandBody::AmendKeyResult {
        key_result: KR_A,
        patch,
        reason: reason.into(),
    };
    let mut cases = vec![
        case(
            "target by a Member with a reason, trimmed",
            &running,
            cmd(
                MEMBER_A,
                at,
                amend(kind_patch(b::increase(Some(10.0), 40.0)), " too ambitious "),
            ),
            event(EventBody::KeyResultAmended {
                cycle: CYCLE,
                key_result: KR_A,
                patch: kind_patch(b::increase(Some(10.0), 40.0)),
                reason: "too ambitious".into(),
            }),
        ),
        case(
            "without a reason",
            &running,
            cmd(MEMBER_A, at, amend(kind_patch(KrKind::Milestone), "")),
            rule_exact(
                Rule::ReasonRequired,
                "amending a key result while running needs a reason",
            ),
        ),
        case(
            "by a Member of another commune",
            &running,
            cmd(MEMBER_B, at, amend(kind_patch(KrKind::Milestone), "why")),
            unauthorized(MEMBER_B, "amend key result", Some(UNIT_A)),
        ),
        case(
            "unknown key result",
            &running,
            cmd(
                MEMBER_A,
                at,
                CommandBody::AmendKeyResult {
                    key_result: NO_KR,
                    patch: kind_patch(KrKind::Milestone),
                    reason: "why".into(),
                },
            ),
            unknown(EntityKind::KeyResult, NO_KR),
        ),
    ];
    for (name, patch, then) in bad_patches("amend") {
        cases.push(case(
            name,
            &running,
            cmd(MEMBER_A, at, amend(patch, "why")),
            then,
        ));
    }
    cases.extend(wrong_phase_cases(
        "amend key result",
        MEMBER_A,
        amend(kind_patch(KrKind::Milestone), "why"),
        &[Phase::Running],
    ));
    cases
}

#[test]
fn amend_key_result() {
    check_all(amend_key_result_cases());
}

/// Running, with KR_A2 (milestone, owned by OUTSIDER, who holds no role) on OBJ_A and
/// KR_NEW added then removed in Planning.
fn running_more() -> Vec<Event> {
    cycle_with(Phase::Running, |w| {
        w.step(
            LEAD_A,
            t_plan(),
            CommandBody::AddKeyResult {
                objective: OBJ_A,
                key_result: KR_A2,
                title: "Form published".into(),
                kind: KrKind::Milestone,
                weight: 1,
                owner: Some(OUTSIDER),
            },
        )
        .step(
            LEAD_A,
            t_plan(),
            b::add_kr(OBJ_A, KR_NEW, "Gone", KrKind::Milestone),
        )
        .step(LEAD_A, t_plan(), b::remove_kr(KR_NEW));
    })
}

fn checked_in(
    key_result: KeyResultId,
    value: f64,
    confidence: u8,
    note: &str,
    effective_at: chrono::DateTime<chrono::Utc>,
) -> Expect {
    event(EventBody::CheckedIn {
        cycle: CYCLE,
        key_result,
        value,
        confidence,
        note: note.into(),
        effective_at,
    })
}

fn check_in_cases() -> Vec<Case> {
    let at = t_week();
    let running = running();
    let more = running_more();
    let with_eff = |eff| CommandBody::CheckIn {
        key_result: KR_A,
        value: 20.0,
        confidence: 7,
        note: String::new(),
        effective_at: Some(eff),
    };
    let a_dropped = after(
        &running,
        vec![(LEAD_A, at, b::drop_obj(OBJ_A, Some("law changed")))],
    );
    let cycle_start = t(2025, 1, 6, 0, 0);
    let mut cases = vec![
        case(
            "by the owner, note trimmed, effective when told",
            &running,
            cmd(
                MEMBER_A,
                at,
                CommandBody::CheckIn {
                    key_result: KR_A,
                    value: 20.0,
                    confidence: 7,
                    note: "  forms are live ".into(),
                    effective_at: None,
                },
            ),
            checked_in(KR_A, 20.0, 7, "forms are live", at),
        ),
        case(
            "by the Lead of the unit",
            &running,
            cmd(LEAD_A, at, b::check_in(KR_A, 25.0, 10)),
            checked_in(KR_A, 25.0, 10, "", at),
        ),
        case(
            "by the project lead above the unit, confidence 0",
            &running,
            cmd(PROJECT_LEAD, at, b::check_in(KR_A, 0.0, 0)),
            checked_in(KR_A, 0.0, 0, "", at),
        ),
        case(
            "by the OkrMaster, who neither owns the key result nor works in the unit",
            &running,
            cmd(MASTER, at, b::check_in(KR_A, 0.0, 0)),
            unauthorized(MASTER, "check in", Some(UNIT_A)),
        ),
        case(
            "effective at the cycle's first instant",
            &running,
            cmd(MEMBER_A, at, with_eff(cycle_start)),
            checked_in(KR_A, 20.0, 7, "", cycle_start),
        ),
        case(
            "effective earlier that week",
            &running,
            cmd(MEMBER_A, at, with_eff(t(2025, 1, 10, 17, 0))),
            checked_in(KR_A, 20.0, 7, "", t(2025, 1, 10, 17, 0)),
        ),
        case(
            "effective before the cycle started",
            &running,
            cmd(MEMBER_A, at, with_eff(t(2025, 1, 5, 23, 59))),
            rule(Rule::EffectiveAtInRange, "must lie between the cycle start"),
        ),
        case(
            "effective after it is told",
            &running,
            cmd(MEMBER_A, at, with_eff(t(2025, 1, 13, 9, 1))),
            rule(Rule::EffectiveAtInRange, ""),
        ),
        case(
            "confidence 11",
            &running,
            cmd(MEMBER_A, at, b::check_in(KR_A, 20.0, 11)),
            rule_exact(
                Rule::ConfidenceRange,
                "confidence must lie in 0..=10, got 11",
            ),
        ),
        case(
            "value not a number",
            &running,
            cmd(MEMBER_A, at, b::check_in(KR_A, f64::NAN, 5)),
            field_exact("value", "must be a finite number, got NaN"),
        ),
        case(
            "milestone done (1)",
            &more,
            cmd(MEMBER_A, at, b::check_in(KR_A2, 1.0, 9)),
            checked_in(KR_A2, 1.0, 9, "", at),
        ),
        case(
            "milestone half done",
            &more,
            cmd(MEMBER_A, at, b::check_in(KR_A2, 0.5, 9)),
            field_exact("value", "a milestone is 0 (open) or 1 (done), got 0.5"),
        ),
        case(
            "milestone beyond done (2): refused, as its documentation says",
            &more,
            cmd(MEMBER_A, at, b::check_in(KR_A2, 2.0, 9)),
            field_exact("value", "a milestone is 0 (open) or 1 (done), got 2"),
        ),
        case(
            "KR owner who is no member of the unit, on their own KR",
            &more,
            cmd(OUTSIDER, at, b::check_in(KR_A2, 0.0, 4)),
            checked_in(KR_A2, 0.0, 4, "", at),
        ),
        case(
            "KR owner who is no member of the unit, on another KR",
            &more,
            cmd(OUTSIDER, at, b::check_in(KR_A, 20.0, 4)),
            unauthorized(OUTSIDER, "check in", Some(UNIT_A)),
        ),
        case(
            "by a Member of another commune",
            &running,
            cmd(MEMBER_B, at, b::check_in(KR_A, 20.0, 4)),
            unauthorized(MEMBER_B, "check in", Some(UNIT_A)),
        ),
        case(
            "by the Observer",
            &running,
            cmd(OBSERVER, at, b::check_in(KR_A, 20.0, 4)),
            unauthorized(OBSERVER, "check in", Some(UNIT_A)),
        ),
        case(
            "on a dropped objective",
            &a_dropped,
            cmd(MEMBER_A, at, b::check_in(KR_A, 20.0, 4)),
            rule_exact(
                Rule::ObjectiveOpen,
                format!("objective \"{OBJ_A_TITLE}\" ({OBJ_A}) was dropped"),
            ),
        ),
        case(
            "removed key result",
            &more,
            cmd(MEMBER_A, at, b::check_in(KR_NEW, 1.0, 4)),
            unknown(EntityKind::KeyResult, KR_NEW),
        ),
        case(
            "unknown key result",
            &running,
            cmd(MEMBER_A, at, b::check_in(NO_KR, 1.0, 4)),
            unknown(EntityKind::KeyResult, NO_KR),
        ),
    ];
    cases.extend(wrong_phase_cases(
        "check in",
        MEMBER_A,
        b::check_in(KR_A, 20.0, 7),
        &[Phase::Running],
    ));
    cases
}

#[test]
fn check_in() {
    check_all(check_in_cases());
}

/// Rule::ObjectiveOpen: "Only open (draft or committed) objectives change." AddKeyResult,
/// ReviseObjective, AmendObjective, AlignObjective and CheckIn refuse a dropped objective;
/// revising, removing or amending one of its key results must be refused the same way.
#[test]
fn key_results_of_a_dropped_objective_do_not_change() {
    let planning_dropped = cycle_with(Phase::Planning, |w| {
        w.step(LEAD_A, t_plan(), b::draft(CYCLE, OBJ_A2, UNIT_A, "Second"))
            .step(
                LEAD_A,
                t_plan(),
                b::add_kr(OBJ_A2, KR_A2, "KR", b::increase(None, 5.0)),
            )
            .step(LEAD_A, t_plan(), b::drop_obj(OBJ_A2, None));
    });
    let running_dropped = after(
        &running(),
        vec![(LEAD_A, t_week(), b::drop_obj(OBJ_A, Some("law changed")))],
    );
    let dropped_a2 = rule_exact(
        Rule::ObjectiveOpen,
        format!("objective \"Second\" ({OBJ_A2}) was dropped"),
    );
    check_all(vec![
        case(
            "revise a key result of a dropped objective",
            &planning_dropped,
            cmd(
                MEMBER_A,
                t_plan(),
                CommandBody::ReviseKeyResult {
                    key_result: KR_A2,
                    patch: kind_patch(KrKind::Milestone),
                },
            ),
            dropped_a2.clone(),
        ),
        case(
            "remove a key result of a dropped objective",
            &planning_dropped,
            cmd(MEMBER_A, t_plan(), b::remove_kr(KR_A2)),
            dropped_a2,
        ),
        case(
            "amend a key result of a dropped objective",
            &running_dropped,
            cmd(
                MEMBER_A,
                t_week(),
                CommandBody::AmendKeyResult {
                    key_result: KR_A,
                    patch: kind_patch(b::increase(Some(10.0), 30.0)),
                    reason: "after all".into(),
                },
            ),
            rule_exact(
                Rule::ObjectiveOpen,
                format!("objective \"{OBJ_A_TITLE}\" ({OBJ_A}) was dropped"),
            ),
        ),
    ]);
}
