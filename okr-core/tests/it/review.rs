//! Review, retrospective, carry-over and corrections after close.

use crate::support::fx::*;
use crate::support::*;
use okr_core::{
    CommandBody, CycleKind, EntityKind, Event, EventBody, ObjectiveKind, Phase, RetroKind, Rule,
    StreamId,
};

/// Every case of this module.
pub fn cases() -> Vec<Case> {
    let mut all = Vec::new();
    all.extend(override_score_cases());
    all.extend(correct_score_cases());
    all.extend(add_review_note_cases());
    all.extend(add_retro_item_cases());
    all.extend(add_retro_action_cases());
    all.extend(follow_up_retro_action_cases());
    all.extend(carry_over_cases());
    all
}

fn override_score_cases() -> Vec<Case> {
    let at = t_end();
    let review = review();
    let overridden = |ppm, reason: &str| {
        event(EventBody::ScoreOverridden {
            cycle: CYCLE,
            key_result: KR_A,
            score_ppm: ppm,
            reason: reason.into(),
        })
    };
    let mut cases = vec![
        case(
            "by the Lead, reason trimmed",
            &review,
            cmd(
                LEAD_A,
                at,
                b::override_score(KR_A, 0.75, "  data came late "),
            ),
            overridden(750_000, "data came late"),
        ),
        case(
            "0.0 by the project lead above the unit",
            &review,
            cmd(
                PROJECT_LEAD,
                at,
                b::override_score(KR_A, 0.0, "nothing happened"),
            ),
            overridden(0, "nothing happened"),
        ),
        case(
            "by the OkrMaster, who holds no content rights",
            &review,
            cmd(MASTER, at, b::override_score(KR_A, 0.0, "nothing happened")),
            unauthorized(MASTER, "override score", Some(UNIT_A)),
        ),
        case(
            "1.0, rounded to ppm",
            &review,
            cmd(LEAD_A, at, b::override_score(KR_A, 1.0, "done")),
            overridden(1_000_000, "done"),
        ),
        case(
            "a third, rounded to ppm",
            &review,
            cmd(LEAD_A, at, b::override_score(KR_A, 1.0 / 3.0, "a third")),
            overridden(333_333, "a third"),
        ),
        case(
            "by a Member",
            &review,
            cmd(MEMBER_A, at, b::override_score(KR_A, 0.5, "why")),
            unauthorized(MEMBER_A, "override score", Some(UNIT_A)),
        ),
        case(
            "above 1",
            &review,
            cmd(LEAD_A, at, b::override_score(KR_A, 1.5, "why")),
            field_exact("score", "must lie in 0.0..=1.0, got 1.5"),
        ),
        case(
            "below 0",
            &review,
            cmd(LEAD_A, at, b::override_score(KR_A, -0.1, "why")),
            field("score"),
        ),
        case(
            "not a number",
            &review,
            cmd(LEAD_A, at, b::override_score(KR_A, f64::NAN, "why")),
            field_exact("score", "must be a finite number, got NaN"),
        ),
        case(
            "without a reason",
            &review,
            cmd(LEAD_A, at, b::override_score(KR_A, 0.5, " ")),
            rule_exact(
                Rule::ReasonRequired,
                "overriding a computed score needs a reason",
            ),
        ),
        case(
            "unknown key result",
            &review,
            cmd(LEAD_A, at, b::override_score(NO_KR, 0.5, "why")),
            unknown(EntityKind::KeyResult, NO_KR),
        ),
    ];
    cases.extend(wrong_phase_cases(
        "override",
        LEAD_A,
        b::override_score(KR_A, 0.5, "why"),
        &[Phase::Review],
    ));
    cases
}

#[test]
fn override_score() {
    check_all(override_score_cases());
}

fn correct_score_cases() -> Vec<Case> {
    let at = t_after();
    let closed = closed();
    let mut cases = vec![
        case(
            "by the OkrMaster, reason trimmed",
            &closed,
            cmd(MASTER, at, b::correct_score(KR_A, 0.9, " late data ")),
            event(EventBody::ScoreCorrected {
                cycle: CYCLE,
                key_result: KR_A,
                score_ppm: 900_000,
                reason: "late data".into(),
            }),
        ),
        case(
            "by the Lead",
            &closed,
            cmd(LEAD_A, at, b::correct_score(KR_A, 0.9, "late data")),
            unauthorized(LEAD_A, "correct score", Some(ROOT)),
        ),
        case(
            "above 1",
            &closed,
            cmd(MASTER, at, b::correct_score(KR_A, 2.0, "late data")),
            field_exact("score", "must lie in 0.0..=1.0, got 2"),
        ),
        case(
            "without a reason",
            &closed,
            cmd(MASTER, at, b::correct_score(KR_A, 0.9, "")),
            rule_exact(
                Rule::ReasonRequired,
                "correcting a closed cycle needs a reason",
            ),
        ),
        case(
            "unknown key result",
            &closed,
            cmd(MASTER, at, b::correct_score(NO_KR, 0.9, "late data")),
            unknown(EntityKind::KeyResult, NO_KR),
        ),
    ];
    cases.extend(wrong_phase_cases(
        "correct",
        MASTER,
        b::correct_score(KR_A, 0.9, "late data"),
        &[Phase::Closed],
    ));
    cases
}

#[test]
fn correct_score() {
    check_all(correct_score_cases());
}

fn add_review_note_cases() -> Vec<Case> {
    let at = t_end();
    let review = review();
    let noted = |text: &str| {
        event(EventBody::ReviewNoteAdded {
            cycle: CYCLE,
            text: text.into(),
        })
    };
    let mut cases = vec![
        case(
            "by a Member of any unit, trimmed",
            &review,
            cmd(MEMBER_B, at, b::review_note(CYCLE, "  Good quarter ")),
            noted("Good quarter"),
        ),
        case(
            "by Steering",
            &review,
            cmd(STEERING, at, b::review_note(CYCLE, "Noted")),
            noted("Noted"),
        ),
        case(
            "by the Observer",
            &review,
            cmd(OBSERVER, at, b::review_note(CYCLE, "Hmm")),
            unauthorized(OBSERVER, "add review note", Some(ROOT)),
        ),
        case(
            "by a registered person without roles",
            &review,
            cmd(OUTSIDER, at, b::review_note(CYCLE, "Hmm")),
            unauthorized(OUTSIDER, "add review note", Some(ROOT)),
        ),
        case(
            "empty",
            &review,
            cmd(MEMBER_A, at, b::review_note(CYCLE, "")),
            field_exact("text", "must not be empty"),
        ),
        case(
            "unknown cycle",
            &review,
            cmd(MEMBER_A, at, b::review_note(NO_CYCLE, "X")),
            unknown(EntityKind::Cycle, NO_CYCLE),
        ),
    ];
    cases.extend(wrong_phase_cases(
        "review note",
        MEMBER_A,
        b::review_note(CYCLE, "X"),
        &[Phase::Review],
    ));
    cases
}

#[test]
fn add_review_note() {
    check_all(add_review_note_cases());
}

fn add_retro_item_cases() -> Vec<Case> {
    let at = t_retro();
    let retro = retrospective();
    let item = |kind, text: &str| b::retro_item(CYCLE, RETRO_ITEM, kind, text);
    let with_item = after(
        &retro,
        vec![(MEMBER_A, at, item(RetroKind::Keep, "Weekly"))],
    );
    let mut cases = vec![
        case(
            "keep, by a Member, trimmed",
            &retro,
            cmd(MEMBER_A, at, item(RetroKind::Keep, "  The weekly works ")),
            event(EventBody::RetroItemAdded {
                cycle: CYCLE,
                item: RETRO_ITEM,
                kind: RetroKind::Keep,
                text: "The weekly works".into(),
            }),
        ),
        case(
            "try, by the OkrMaster",
            &retro,
            cmd(MASTER, at, item(RetroKind::Try, "Fewer KRs")),
            event(EventBody::RetroItemAdded {
                cycle: CYCLE,
                item: RETRO_ITEM,
                kind: RetroKind::Try,
                text: "Fewer KRs".into(),
            }),
        ),
        case(
            "by the Observer",
            &retro,
            cmd(OBSERVER, at, item(RetroKind::Stop, "X")),
            unauthorized(OBSERVER, "add retro item", Some(ROOT)),
        ),
        case(
            "empty text",
            &retro,
            cmd(MEMBER_A, at, item(RetroKind::Improve, " ")),
            field_exact("text", "must not be empty"),
        ),
        case(
            "item exists",
            &with_item,
            cmd(MEMBER_A, at, item(RetroKind::Improve, "Again")),
            exists(EntityKind::RetroItem, RETRO_ITEM),
        ),
        case(
            "unknown cycle",
            &retro,
            cmd(
                MEMBER_A,
                at,
                b::retro_item(NO_CYCLE, RETRO_ITEM, RetroKind::Keep, "X"),
            ),
            unknown(EntityKind::Cycle, NO_CYCLE),
        ),
    ];
    cases.extend(wrong_phase_cases(
        "retro item",
        MEMBER_A,
        item(RetroKind::Keep, "X"),
        &[Phase::Retrospective],
    ));
    cases
}

#[test]
fn add_retro_item() {
    check_all(add_retro_item_cases());
}

fn add_retro_action_cases() -> Vec<Case> {
    let at = t_retro();
    let retro = retrospective();
    let with_item = after(
        &retro,
        vec![(
            MEMBER_A,
            at,
            b::retro_item(CYCLE, RETRO_ITEM, RetroKind::Improve, "Too many KRs"),
        )],
    );
    let answering = |item| CommandBody::AddRetroAction {
        cycle: CYCLE,
        action: RETRO_ACTION,
        text: "Cap at three".into(),
        owner: LEAD_A,
        item: Some(item),
    };
    let with_action = after(
        &retro,
        vec![(
            MEMBER_A,
            at,
            b::retro_action(CYCLE, RETRO_ACTION, "X", LEAD_A),
        )],
    );
    let mut cases = vec![
        case(
            "without an item, trimmed",
            &retro,
            cmd(
                MEMBER_A,
                at,
                b::retro_action(CYCLE, RETRO_ACTION, " Book a room ", OUTSIDER),
            ),
            event(EventBody::RetroActionAdded {
                cycle: CYCLE,
                action: RETRO_ACTION,
                text: "Book a room".into(),
                owner: OUTSIDER,
                item: None,
            }),
        ),
        case(
            "answering an item",
            &with_item,
            cmd(LEAD_A, at, answering(RETRO_ITEM)),
            event(EventBody::RetroActionAdded {
                cycle: CYCLE,
                action: RETRO_ACTION,
                text: "Cap at three".into(),
                owner: LEAD_A,
                item: Some(RETRO_ITEM),
            }),
        ),
        case(
            "answering an unknown item",
            &with_item,
            cmd(LEAD_A, at, answering(NO_RETRO_ITEM)),
            unknown(EntityKind::RetroItem, NO_RETRO_ITEM),
        ),
        case(
            "unregistered owner",
            &retro,
            cmd(
                MEMBER_A,
                at,
                b::retro_action(CYCLE, RETRO_ACTION, "X", STRANGER),
            ),
            field_exact("owner", format!("unknown person {STRANGER}")),
        ),
        case(
            "by the Observer",
            &retro,
            cmd(
                OBSERVER,
                at,
                b::retro_action(CYCLE, RETRO_ACTION, "X", LEAD_A),
            ),
            unauthorized(OBSERVER, "add retro action", Some(ROOT)),
        ),
        case(
            "empty text",
            &retro,
            cmd(
                MEMBER_A,
                at,
                b::retro_action(CYCLE, RETRO_ACTION, "", LEAD_A),
            ),
            field_exact("text", "must not be empty"),
        ),
        case(
            "action exists",
            &with_action,
            cmd(
                MEMBER_A,
                at,
                b::retro_action(CYCLE, RETRO_ACTION, "Y", LEAD_A),
            ),
            exists(EntityKind::RetroAction, RETRO_ACTION),
        ),
        case(
            "unknown cycle",
            &retro,
            cmd(
                MEMBER_A,
                at,
                b::retro_action(NO_CYCLE, RETRO_ACTION, "X", LEAD_A),
            ),
            unknown(EntityKind::Cycle, NO_CYCLE),
        ),
    ];
    cases.extend(wrong_phase_cases(
        "retro action",
        MEMBER_A,
        b::retro_action(CYCLE, RETRO_ACTION, "X", LEAD_A),
        &[Phase::Retrospective],
    ));
    cases
}

#[test]
fn add_retro_action() {
    check_all(add_retro_action_cases());
}

/// CYCLE's retrospective adds RETRO_ACTION; NEXT (later) and PREV (earlier) are planned;
/// CYCLE closes when `close` says so.
fn follow_up_given(close: bool) -> Vec<Event> {
    let mut w = World::from_events(&retrospective());
    w.step(
        MEMBER_A,
        t_retro(),
        b::retro_action(CYCLE, RETRO_ACTION, "Cap at three", LEAD_A),
    );
    plan_next(&mut w);
    w.step(
        MASTER,
        t_retro(),
        b::plan(
            PREV,
            "2024-Q4",
            CycleKind::Regular,
            d(2024, 10, 7),
            d(2024, 12, 20),
        ),
    );
    if close {
        w.step(MASTER, t_close(), b::close(CYCLE));
    }
    w.events
}

fn follow_up_retro_action_cases() -> Vec<Case> {
    let at = t_after();
    let given = follow_up_given(true);
    let follow = |cycle, action, done| CommandBody::FollowUpRetroAction {
        cycle,
        action,
        done,
    };
    let followed = |done| {
        event(EventBody::RetroActionFollowedUp {
            cycle: NEXT,
            action: RETRO_ACTION,
            of_cycle: CYCLE,
            done,
        })
    };
    vec![
        case(
            "done, in the next cycle's planning, by a Member",
            &given,
            cmd(MEMBER_A, at, follow(NEXT, RETRO_ACTION, true)),
            followed(true),
        ),
        case(
            "not done, by the OkrMaster",
            &given,
            cmd(MASTER, at, follow(NEXT, RETRO_ACTION, false)),
            followed(false),
        ),
        case(
            "followed up already",
            &after(
                &given,
                vec![(MEMBER_A, at, follow(NEXT, RETRO_ACTION, true))],
            ),
            cmd(MEMBER_A, at, follow(NEXT, RETRO_ACTION, false)),
            rule_exact(
                Rule::FollowUpOnce,
                format!("retro action {RETRO_ACTION} is followed up already, in cycle {NEXT}"),
            ),
        ),
        case(
            "its own cycle is not closed yet",
            &follow_up_given(false),
            cmd(MEMBER_A, at, follow(NEXT, RETRO_ACTION, true)),
            rule(Rule::FollowUpLaterCycle, "not closed"),
        ),
        case(
            "in an earlier cycle",
            &given,
            cmd(MEMBER_A, at, follow(PREV, RETRO_ACTION, true)),
            rule(Rule::FollowUpLaterCycle, "does not start after cycle"),
        ),
        case(
            "in its own, closed cycle",
            &given,
            cmd(MEMBER_A, at, follow(CYCLE, RETRO_ACTION, true)),
            wrong_phase(
                CYCLE,
                Phase::Closed,
                &[
                    Phase::Planning,
                    Phase::Running,
                    Phase::Review,
                    Phase::Retrospective,
                ],
            ),
        ),
        case(
            "an unknown action",
            &given,
            cmd(MEMBER_A, at, follow(NEXT, RETRO_ACTION2, true)),
            unknown(EntityKind::RetroAction, RETRO_ACTION2),
        ),
        case(
            "by the Observer",
            &given,
            cmd(OBSERVER, at, follow(NEXT, RETRO_ACTION, true)),
            unauthorized(OBSERVER, "follow up retro action", Some(ROOT)),
        ),
        case(
            "in an unknown cycle",
            &given,
            cmd(MEMBER_A, at, follow(NO_CYCLE, RETRO_ACTION, true)),
            unknown(EntityKind::Cycle, NO_CYCLE),
        ),
    ]
}

#[test]
fn follow_up_retro_action() {
    check_all(follow_up_retro_action_cases());
}

#[test]
fn a_follow_up_is_kept_on_the_action_with_its_cycle() {
    let s = okr_core::State::from_events(&after(
        &follow_up_given(true),
        vec![(
            MEMBER_A,
            t_after(),
            CommandBody::FollowUpRetroAction {
                cycle: NEXT,
                action: RETRO_ACTION,
                done: true,
            },
        )],
    ));
    let f = s.cycles[&CYCLE].retro_actions[&RETRO_ACTION]
        .follow_up
        .expect("followed up");
    assert_eq!((f.cycle, f.done, f.at), (NEXT, true, t_after()));
}

/// Plans NEXT (2025-Q2, later) in Planning.
fn plan_next(w: &mut World) {
    w.step(
        MASTER,
        t_plan(),
        b::plan(
            NEXT,
            "2025-Q2",
            CycleKind::Regular,
            d(2025, 4, 7),
            d(2025, 6, 27),
        ),
    );
}

/// CYCLE in Retrospective with OBJ_A2 drafted and dropped in Planning; NEXT (later, Planning),
/// PREV (earlier, Planning) and NEW_CYCLE (later, cancelled) planned.
fn carry_given() -> Vec<Event> {
    let retro = cycle_with(Phase::Retrospective, |w| {
        w.step(LEAD_A, t_plan(), b::draft(CYCLE, OBJ_A2, UNIT_A, "Dropped"))
            .step(LEAD_A, t_plan(), b::drop_obj(OBJ_A2, None));
    });
    let mut w = World::from_events(&retro);
    plan_next(&mut w);
    w.step(
        MASTER,
        t_retro(),
        b::plan(
            PREV,
            "2024-Q4",
            CycleKind::Regular,
            d(2024, 10, 7),
            d(2024, 12, 20),
        ),
    )
    .step(
        MASTER,
        t_retro(),
        b::plan(
            NEW_CYCLE,
            "2025-Q3",
            CycleKind::Regular,
            d(2025, 7, 7),
            d(2025, 9, 26),
        ),
    )
    .step(MASTER, t_retro(), b::cancel(NEW_CYCLE, "merged into Q2"));
    w.events
}

fn carry_over_cases() -> Vec<Case> {
    let at = t_retro();
    let given = carry_given();
    let carried_once = after(
        &given,
        vec![(LEAD_A, at, b::carry(OBJ_A, NEXT, OBJ_CARRIED))],
    );
    let a_retired = after(
        &given,
        vec![(MASTER, at, CommandBody::RetireUnit { unit: UNIT_A })],
    );
    let carried = event(EventBody::ObjectiveCarriedOver {
        cycle: NEXT,
        objective: OBJ_CARRIED,
        from_cycle: CYCLE,
        from_objective: OBJ_A,
        unit: UNIT_A,
        text: okr_core::ObjectiveText {
            title: OBJ_A_TITLE.into(),
            beneficiary: None,
            change: None,
            value: None,
        },
        kind: ObjectiveKind::Committed,
        weight: 1,
    });
    let mut cases = vec![
        case(
            "to a later cycle in Planning, by the Lead",
            &given,
            cmd(LEAD_A, at, b::carry(OBJ_A, NEXT, OBJ_CARRIED)),
            carried.clone(),
        ),
        case(
            "expecting the later cycle's stream version",
            &given,
            expecting(cmd(LEAD_A, at, b::carry(OBJ_A, NEXT, OBJ_CARRIED)), 1),
            carried,
        ),
        case(
            "expecting the source cycle's stream version",
            &given,
            expecting(cmd(LEAD_A, at, b::carry(OBJ_A, NEXT, OBJ_CARRIED)), 7),
            conflict(StreamId::Cycle(NEXT), 7, 1),
        ),
        case(
            "to an earlier cycle in Planning",
            &given,
            cmd(LEAD_A, at, b::carry(OBJ_A, PREV, OBJ_CARRIED)),
            rule_exact(
                Rule::CarryToLaterCycle,
                "cycle 2024-Q4 (starts 2024-10-07, phase planning) is not a later cycle in planning than 2025-Q1 (starts 2025-01-06)",
            ),
        ),
        case(
            "to a later cycle that is not in Planning",
            &given,
            cmd(LEAD_A, at, b::carry(OBJ_A, NEW_CYCLE, OBJ_CARRIED)),
            rule(Rule::CarryToLaterCycle, "phase cancelled"),
        ),
        case(
            "to its own cycle",
            &given,
            cmd(LEAD_A, at, b::carry(OBJ_A, CYCLE, OBJ_CARRIED)),
            rule(Rule::CarryToLaterCycle, ""),
        ),
        case(
            "twice",
            &carried_once,
            cmd(LEAD_A, at, b::carry(OBJ_A, NEXT, OBJ_CARRIED2)),
            rule_exact(
                Rule::CarryOnce,
                format!("objective {OBJ_A} was carried over already, as {OBJ_CARRIED}"),
            ),
        ),
        case(
            "a dropped objective",
            &given,
            cmd(LEAD_A, at, b::carry(OBJ_A2, NEXT, OBJ_CARRIED)),
            rule_exact(Rule::CarryOnce, format!("objective {OBJ_A2} was dropped")),
        ),
        case(
            "new id taken",
            &given,
            cmd(LEAD_A, at, b::carry(OBJ_A, NEXT, OBJ_A2)),
            exists(EntityKind::Objective, OBJ_A2),
        ),
        case(
            "by a Member",
            &given,
            cmd(MEMBER_A, at, b::carry(OBJ_A, NEXT, OBJ_CARRIED)),
            unauthorized(MEMBER_A, "carry over objective", Some(UNIT_A)),
        ),
        case(
            "of a retired unit",
            &a_retired,
            cmd(PROJECT_LEAD, at, b::carry(OBJ_A, NEXT, OBJ_CARRIED)),
            rule_exact(Rule::UnitActive, format!("unit Commune A ({UNIT_A}) is retired")),
        ),
        case(
            "unknown objective",
            &given,
            cmd(LEAD_A, at, b::carry(NO_OBJ, NEXT, OBJ_CARRIED)),
            unknown(EntityKind::Objective, NO_OBJ),
        ),
        case(
            "to an unknown cycle",
            &given,
            cmd(LEAD_A, at, b::carry(OBJ_A, NO_CYCLE, OBJ_CARRIED)),
            unknown(EntityKind::Cycle, NO_CYCLE),
        ),
    ];
    cases.extend(wrong_phase_cases_in(
        "carry over",
        LEAD_A,
        b::carry(OBJ_A, NEXT, OBJ_CARRIED),
        &[Phase::Retrospective],
        |p| Some(cycle_with(p, plan_next)),
    ));
    cases
}

#[test]
fn carry_over() {
    check_all(carry_over_cases());
}

/// After a carry-over the new objective lives in the later cycle as a draft with lineage both
/// ways, and can be worked on there.
#[test]
fn carried_objective_is_a_draft_of_the_later_cycle() {
    let given = after(
        &carry_given(),
        vec![(LEAD_A, t_retro(), b::carry(OBJ_A, NEXT, OBJ_CARRIED))],
    );
    let s = okr_core::State::from_events(&given);
    let new = s.objective(OBJ_CARRIED).expect("carried objective");
    assert!(s.cycles[&NEXT].objectives.contains_key(&OBJ_CARRIED));
    assert_eq!(
        s.cycle_of(okr_core::EntityKind::Objective, OBJ_CARRIED.0),
        Some(NEXT)
    );
    assert_eq!(new.status, okr_core::ObjectiveStatus::Draft);
    assert_eq!(new.carried_from, Some(OBJ_A));
    assert_eq!(s.objective(OBJ_A).unwrap().carried_to, Some(OBJ_CARRIED));
    check(
        &given,
        cmd(
            MEMBER_A,
            t_retro(),
            b::add_kr(OBJ_CARRIED, KR_NEW, "Again", okr_core::KrKind::Milestone),
        ),
        event(EventBody::KeyResultAdded {
            cycle: NEXT,
            objective: OBJ_CARRIED,
            key_result: KR_NEW,
            title: "Again".into(),
            kind: okr_core::KrKind::Milestone,
            weight: 1,
            owner: None,
        }),
    );
}
