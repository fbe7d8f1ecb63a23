//! The weekly: agreements, blockers, escalations, decisions, initiatives.

use crate::support::fx::*;
use crate::support::*;
use okr_core::{
    AgreementOutcome, CommandBody, EntityKind, Event, EventBody, InitiativeStatus, Party, Phase,
    Rule, UnitKind,
};

/// Every case of this module.
pub fn cases() -> Vec<Case> {
    let mut all = Vec::new();
    all.extend(make_agreement_cases());
    all.extend(resolve_agreement_cases());
    all.extend(raise_blocker_cases());
    all.extend(escalate_blocker_cases());
    all.extend(decide_blocker_cases());
    all.extend(add_initiative_cases());
    all.extend(move_initiative_cases());
    all
}

/// CYCLE in `phase` (Running or later, or Cancelled while Running) after `running_extra`
/// ran while Running; `None` for Planning, where nothing of the weekly exists yet.
fn after_running(phase: Phase, running_extra: impl Fn(&mut World)) -> Option<Vec<Event>> {
    match phase {
        Phase::Planning => None,
        Phase::Cancelled => Some(cycle_cancelled_running(running_extra)),
        p => Some(cycle_full(p, |_| {}, running_extra)),
    }
}

fn with_agreement(w: &mut World) {
    w.step(
        MEMBER_A,
        t_week(),
        b::agreement(CYCLE, AGREEMENT, UNIT_A, "Call the printer"),
    );
}

fn with_blocker(w: &mut World) {
    w.step(
        MEMBER_A,
        t_week(),
        b::raise(CYCLE, BLOCKER, UNIT_A, "No budget for the portal"),
    );
}

fn with_escalation(w: &mut World) {
    with_blocker(w);
    w.step(LEAD_A, t_week(), b::escalate(BLOCKER, COMMITTEE));
}

const PROVIDES: &str = " The print budget ";
const CONSEQUENCE: &str = " The leaflet goes out a week later ";

/// A mutual agreement of UNIT_A's weekly of 10 January: MEMBER_A calls the printer for
/// UNIT_B, LEAD_A provides `provides`.
fn mutual(provides: Option<&str>, consequence: Option<&str>) -> CommandBody {
    CommandBody::MakeAgreement {
        cycle: CYCLE,
        agreement: AGREEMENT,
        unit: UNIT_A,
        text: " Call the printer ".into(),
        owner: Some(MEMBER_A),
        due: Some(d(2025, 1, 20)),
        weekly: Some(d(2025, 1, 10)),
        provider: Some(Party::Person(LEAD_A)),
        provides: provides.map(str::to_string),
        receiver: Some(Party::Unit(UNIT_B)),
        consequence: consequence.map(str::to_string),
    }
}

fn make_agreement_cases() -> Vec<Case> {
    let at = t_week();
    let running = running();
    let b_retired = after(
        &running,
        vec![(MASTER, at, CommandBody::RetireUnit { unit: UNIT_B })],
    );
    let with = |unit, owner| CommandBody::MakeAgreement {
        cycle: CYCLE,
        agreement: AGREEMENT,
        unit,
        text: " Call the printer ".into(),
        owner,
        due: Some(d(2025, 1, 20)),
        weekly: None,
        provider: None,
        provides: None,
        receiver: None,
        consequence: None,
    };
    let mut cases = vec![
        case(
            "by a Member, text trimmed, owner and due kept",
            &running,
            cmd(MEMBER_A, at, with(UNIT_A, Some(LEAD_A))),
            event(EventBody::AgreementMade {
                cycle: CYCLE,
                agreement: AGREEMENT,
                unit: UNIT_A,
                text: "Call the printer".into(),
                owner: Some(LEAD_A),
                due: Some(d(2025, 1, 20)),
                weekly: Some(d(2025, 1, 13)),
                provider: None,
                provides: None,
                receiver: None,
                consequence: None,
            }),
        ),
        case(
            "without owner and due",
            &running,
            cmd(MEMBER_B, at, b::agreement(CYCLE, AGREEMENT, UNIT_B, "Ask")),
            event(EventBody::AgreementMade {
                cycle: CYCLE,
                agreement: AGREEMENT,
                unit: UNIT_B,
                text: "Ask".into(),
                owner: None,
                due: None,
                weekly: Some(d(2025, 1, 13)),
                provider: None,
                provides: None,
                receiver: None,
                consequence: None,
            }),
        ),
        case(
            "mutual: who does what, who provides what, for whom, what if not kept",
            &running,
            cmd(MEMBER_A, at, mutual(Some(PROVIDES), Some(CONSEQUENCE))),
            event(EventBody::AgreementMade {
                cycle: CYCLE,
                agreement: AGREEMENT,
                unit: UNIT_A,
                text: "Call the printer".into(),
                owner: Some(MEMBER_A),
                due: Some(d(2025, 1, 20)),
                weekly: Some(d(2025, 1, 10)),
                provider: Some(Party::Person(LEAD_A)),
                provides: Some("The print budget".into()),
                receiver: Some(Party::Unit(UNIT_B)),
                consequence: Some("The leaflet goes out a week later".into()),
            }),
        ),
        case(
            "a provider without what it provides",
            &running,
            cmd(MEMBER_A, at, mutual(None, Some(CONSEQUENCE))),
            rule_exact(
                Rule::ProviderProvides,
                "a provider needs `provides`: what it provides",
            ),
        ),
        case(
            "what is provided without a provider",
            &running,
            cmd(MEMBER_A, at, {
                let mut c = mutual(Some(PROVIDES), None);
                if let CommandBody::MakeAgreement { provider, .. } = &mut c {
                    *provider = None;
                }
                c
            }),
            rule_exact(
                Rule::ProviderProvides,
                "`provides` needs a provider: who provides it",
            ),
        ),
        case(
            "an empty consequence",
            &running,
            cmd(MEMBER_A, at, mutual(Some(PROVIDES), Some("  "))),
            field_exact("consequence", "must not be empty"),
        ),
        case(
            "an empty provision",
            &running,
            cmd(MEMBER_A, at, mutual(Some(" "), None)),
            field_exact("provides", "must not be empty"),
        ),
        case(
            "an unregistered provider",
            &running,
            cmd(MEMBER_A, at, {
                let mut c = mutual(Some(PROVIDES), None);
                if let CommandBody::MakeAgreement { provider, .. } = &mut c {
                    *provider = Some(Party::Person(STRANGER));
                }
                c
            }),
            field_exact("provider", format!("unknown person {STRANGER}")),
        ),
        case(
            "an unknown receiving unit",
            &running,
            cmd(MEMBER_A, at, {
                let mut c = mutual(Some(PROVIDES), None);
                if let CommandBody::MakeAgreement { receiver, .. } = &mut c {
                    *receiver = Some(Party::Unit(NO_UNIT));
                }
                c
            }),
            unknown(EntityKind::Unit, NO_UNIT),
        ),
        case(
            "a retired unit as provider",
            &b_retired,
            cmd(MEMBER_A, at, {
                let mut c = mutual(Some(PROVIDES), None);
                if let CommandBody::MakeAgreement { provider, .. } = &mut c {
                    *provider = Some(Party::Unit(UNIT_B));
                }
                c
            }),
            rule(Rule::UnitActive, "is retired"),
        ),
        case(
            "by the Observer",
            &running,
            cmd(OBSERVER, at, with(UNIT_A, None)),
            unauthorized(OBSERVER, "make agreement", Some(UNIT_A)),
        ),
        case(
            "by a Member of another commune",
            &running,
            cmd(MEMBER_B, at, with(UNIT_A, None)),
            unauthorized(MEMBER_B, "make agreement", Some(UNIT_A)),
        ),
        case(
            "empty text",
            &running,
            cmd(MEMBER_A, at, b::agreement(CYCLE, AGREEMENT, UNIT_A, "")),
            field_exact("text", "must not be empty"),
        ),
        case(
            "unregistered owner",
            &running,
            cmd(MEMBER_A, at, with(UNIT_A, Some(STRANGER))),
            field_exact("owner", format!("unknown person {STRANGER}")),
        ),
        case(
            "agreement exists",
            &after_running(Phase::Running, with_agreement).unwrap(),
            cmd(MEMBER_A, at, with(UNIT_A, None)),
            exists(EntityKind::Agreement, AGREEMENT),
        ),
        case(
            "unknown unit",
            &running,
            cmd(MASTER, at, with(NO_UNIT, None)),
            unknown(EntityKind::Unit, NO_UNIT),
        ),
        case(
            "retired unit",
            &b_retired,
            cmd(MASTER, at, with(UNIT_B, None)),
            rule(Rule::UnitActive, "is retired"),
        ),
        case(
            "unknown cycle",
            &running,
            cmd(MEMBER_A, at, b::agreement(NO_CYCLE, AGREEMENT, UNIT_A, "X")),
            unknown(EntityKind::Cycle, NO_CYCLE),
        ),
    ];
    cases.extend(wrong_phase_cases(
        "make agreement",
        MEMBER_A,
        with(UNIT_A, None),
        &[Phase::Running],
    ));
    cases
}

#[test]
fn make_agreement() {
    check_all(make_agreement_cases());
}

fn resolve_agreement_cases() -> Vec<Case> {
    let at = t_week();
    let made = after_running(Phase::Running, with_agreement).unwrap();
    let in_review = after_running(Phase::Review, with_agreement).unwrap();
    // The agreement was made at the weekly of 13 January; the next one is a week later.
    let next = t(2025, 1, 20, 9, 0);
    let resolved = |outcome, weekly| {
        event(EventBody::AgreementResolved {
            cycle: CYCLE,
            agreement: AGREEMENT,
            outcome,
            weekly: Some(weekly),
        })
    };
    let at_weekly = |weekly| CommandBody::ResolveAgreement {
        agreement: AGREEMENT,
        outcome: AgreementOutcome::Kept,
        weekly: Some(weekly),
    };
    let mut cases = vec![
        case(
            "kept at the next weekly, by the owner unit's Lead",
            &made,
            cmd(LEAD_A, next, b::resolve(AGREEMENT, AgreementOutcome::Kept)),
            resolved(AgreementOutcome::Kept, d(2025, 1, 20)),
        ),
        case(
            "missed, during Review",
            &in_review,
            cmd(
                MEMBER_A,
                t_end(),
                b::resolve(AGREEMENT, AgreementOutcome::Missed),
            ),
            resolved(AgreementOutcome::Missed, d(2025, 3, 28)),
        ),
        case(
            "kept at a later weekly named by its date, recorded afterwards",
            &made,
            cmd(LEAD_A, t(2025, 1, 22, 9, 0), at_weekly(d(2025, 1, 20))),
            resolved(AgreementOutcome::Kept, d(2025, 1, 20)),
        ),
        case(
            "at the weekly that made it",
            &made,
            cmd(
                LEAD_A,
                t(2025, 1, 13, 17, 0),
                b::resolve(AGREEMENT, AgreementOutcome::Kept),
            ),
            rule_exact(
                Rule::ResolveAtLaterWeekly,
                format!(
                    "agreement {AGREEMENT} was made at the weekly of 2025-01-13; it is \
                     resolved at a later weekly, not at one of 2025-01-13"
                ),
            ),
        ),
        case(
            "at an earlier weekly",
            &made,
            cmd(LEAD_A, next, at_weekly(d(2025, 1, 6))),
            rule_exact(
                Rule::ResolveAtLaterWeekly,
                format!(
                    "agreement {AGREEMENT} was made at the weekly of 2025-01-13; it is \
                     resolved at a later weekly, not at one of 2025-01-06"
                ),
            ),
        ),
        case(
            "resolved already",
            &after(
                &made,
                vec![(
                    MEMBER_A,
                    next,
                    b::resolve(AGREEMENT, AgreementOutcome::Kept),
                )],
            ),
            cmd(
                MEMBER_A,
                next,
                b::resolve(AGREEMENT, AgreementOutcome::Missed),
            ),
            rule_exact(
                Rule::ResolveOnce,
                format!("agreement {AGREEMENT} is resolved already"),
            ),
        ),
        case(
            "by a Member of another commune",
            &made,
            cmd(MEMBER_B, at, b::resolve(AGREEMENT, AgreementOutcome::Kept)),
            unauthorized(MEMBER_B, "resolve agreement", Some(UNIT_A)),
        ),
        case(
            "unknown agreement",
            &made,
            cmd(
                MEMBER_A,
                at,
                b::resolve(NO_AGREEMENT, AgreementOutcome::Kept),
            ),
            unknown(EntityKind::Agreement, NO_AGREEMENT),
        ),
    ];
    cases.extend(wrong_phase_cases_in(
        "resolve agreement",
        MEMBER_A,
        b::resolve(AGREEMENT, AgreementOutcome::Kept),
        &[Phase::Running, Phase::Review],
        |p| after_running(p, with_agreement),
    ));
    cases
}

#[test]
fn resolve_agreement() {
    check_all(resolve_agreement_cases());
}

fn raise_blocker_cases() -> Vec<Case> {
    let at = t_week();
    let running = running();
    let kr_removed = cycle_with(Phase::Running, |w| {
        w.step(
            LEAD_A,
            t_plan(),
            b::add_kr(OBJ_A, KR_NEW, "Gone", okr_core::KrKind::Milestone),
        )
        .step(LEAD_A, t_plan(), b::remove_kr(KR_NEW));
    });
    let b_retired = after(
        &running,
        vec![(MASTER, at, CommandBody::RetireUnit { unit: UNIT_B })],
    );
    let about = |kr| CommandBody::RaiseBlocker {
        cycle: CYCLE,
        blocker: BLOCKER,
        unit: UNIT_A,
        key_result: Some(kr),
        text: "  No budget ".into(),
    };
    let mut cases = vec![
        case(
            "about a key result, by a Member, text trimmed",
            &running,
            cmd(MEMBER_A, at, about(KR_A)),
            event(EventBody::BlockerRaised {
                cycle: CYCLE,
                blocker: BLOCKER,
                unit: UNIT_A,
                key_result: Some(KR_A),
                text: "No budget".into(),
            }),
        ),
        case(
            "without a key result",
            &running,
            cmd(MEMBER_B, at, b::raise(CYCLE, BLOCKER, UNIT_B, "Staff ill")),
            event(EventBody::BlockerRaised {
                cycle: CYCLE,
                blocker: BLOCKER,
                unit: UNIT_B,
                key_result: None,
                text: "Staff ill".into(),
            }),
        ),
        case(
            "about an unknown key result",
            &running,
            cmd(MEMBER_A, at, about(NO_KR)),
            unknown(EntityKind::KeyResult, NO_KR),
        ),
        case(
            "about a removed key result",
            &kr_removed,
            cmd(MEMBER_A, at, about(KR_NEW)),
            unknown(EntityKind::KeyResult, KR_NEW),
        ),
        case(
            "by the Observer",
            &running,
            cmd(OBSERVER, at, about(KR_A)),
            unauthorized(OBSERVER, "raise blocker", Some(UNIT_A)),
        ),
        case(
            "empty text",
            &running,
            cmd(MEMBER_A, at, b::raise(CYCLE, BLOCKER, UNIT_A, " ")),
            field_exact("text", "must not be empty"),
        ),
        case(
            "blocker exists",
            &after_running(Phase::Running, with_blocker).unwrap(),
            cmd(MEMBER_A, at, about(KR_A)),
            exists(EntityKind::Blocker, BLOCKER),
        ),
        case(
            "unknown unit",
            &running,
            cmd(MASTER, at, b::raise(CYCLE, BLOCKER, NO_UNIT, "X")),
            unknown(EntityKind::Unit, NO_UNIT),
        ),
        case(
            "retired unit",
            &b_retired,
            cmd(MASTER, at, b::raise(CYCLE, BLOCKER, UNIT_B, "X")),
            rule(Rule::UnitActive, "is retired"),
        ),
        case(
            "unknown cycle",
            &running,
            cmd(MEMBER_A, at, b::raise(NO_CYCLE, BLOCKER, UNIT_A, "X")),
            unknown(EntityKind::Cycle, NO_CYCLE),
        ),
    ];
    cases.extend(wrong_phase_cases(
        "raise blocker",
        MEMBER_A,
        about(KR_A),
        &[Phase::Running],
    ));
    cases
}

#[test]
fn raise_blocker() {
    check_all(raise_blocker_cases());
}

fn escalate_blocker_cases() -> Vec<Case> {
    let at = t_week();
    let raised = after_running(Phase::Running, with_blocker).unwrap();
    let committee_retired = after(
        &raised,
        vec![(MASTER, at, CommandBody::RetireUnit { unit: COMMITTEE })],
    );
    let mut cases = vec![
        case(
            "to the steering committee, by the unit's Lead",
            &raised,
            cmd(LEAD_A, at, b::escalate(BLOCKER, COMMITTEE)),
            event(EventBody::BlockerEscalated {
                cycle: CYCLE,
                blocker: BLOCKER,
                to: COMMITTEE,
            }),
        ),
        case(
            "by the project lead above the unit",
            &raised,
            cmd(PROJECT_LEAD, at, b::escalate(BLOCKER, COMMITTEE)),
            event(EventBody::BlockerEscalated {
                cycle: CYCLE,
                blocker: BLOCKER,
                to: COMMITTEE,
            }),
        ),
        case(
            "by the OkrMaster: escalating is the unit lead's decision",
            &raised,
            cmd(MASTER, at, b::escalate(BLOCKER, COMMITTEE)),
            unauthorized(MASTER, "escalate blocker", Some(UNIT_A)),
        ),
        case(
            "by a Member",
            &raised,
            cmd(MEMBER_A, at, b::escalate(BLOCKER, COMMITTEE)),
            unauthorized(MEMBER_A, "escalate blocker", Some(UNIT_A)),
        ),
        case(
            "to a unit that is no committee",
            &raised,
            cmd(LEAD_A, at, b::escalate(BLOCKER, UNIT_B)),
            rule_exact(
                Rule::EscalateToCommittee,
                format!("unit Commune B ({UNIT_B}) is not a committee"),
            ),
        ),
        case(
            "to the federation root",
            &raised,
            cmd(LEAD_A, at, b::escalate(BLOCKER, ROOT)),
            rule(Rule::EscalateToCommittee, "is not a committee"),
        ),
        case(
            "to a retired committee",
            &committee_retired,
            cmd(LEAD_A, at, b::escalate(BLOCKER, COMMITTEE)),
            rule(Rule::UnitActive, "is retired"),
        ),
        case(
            "to an unknown unit",
            &raised,
            cmd(LEAD_A, at, b::escalate(BLOCKER, NO_UNIT)),
            unknown(EntityKind::Unit, NO_UNIT),
        ),
        case(
            "escalated already",
            &after_running(Phase::Running, with_escalation).unwrap(),
            cmd(LEAD_A, at, b::escalate(BLOCKER, COMMITTEE)),
            rule_exact(
                Rule::EscalateOnce,
                format!("blocker {BLOCKER} is escalated already"),
            ),
        ),
        case(
            "unknown blocker",
            &raised,
            cmd(LEAD_A, at, b::escalate(NO_BLOCKER, COMMITTEE)),
            unknown(EntityKind::Blocker, NO_BLOCKER),
        ),
    ];
    cases.extend(wrong_phase_cases_in(
        "escalate",
        LEAD_A,
        b::escalate(BLOCKER, COMMITTEE),
        &[Phase::Running],
        |p| after_running(p, with_blocker),
    ));
    cases
}

#[test]
fn escalate_blocker() {
    check_all(escalate_blocker_cases());
}

fn decide_blocker_cases() -> Vec<Case> {
    let at = t_week();
    let escalated = after_running(Phase::Running, with_escalation).unwrap();
    let decided = |decision: &str| {
        event(EventBody::BlockerDecided {
            cycle: CYCLE,
            blocker: BLOCKER,
            decision: decision.into(),
        })
    };
    let other_committee = after(
        &escalated,
        vec![
            (
                MASTER,
                at,
                b::define_unit(NEW_UNIT, "Audit board", UnitKind::Committee, Some(ROOT)),
            ),
            (
                MASTER,
                at,
                b::grant(NEW_UNIT, OUTSIDER, okr_core::Role::Steering),
            ),
        ],
    );
    let mut cases = vec![
        case(
            "by Steering, trimmed",
            &escalated,
            cmd(
                STEERING,
                at,
                b::decide_blocker(BLOCKER, "  Budget granted "),
            ),
            decided("Budget granted"),
        ),
        case(
            "by Steering during Review",
            &after_running(Phase::Review, with_escalation).unwrap(),
            cmd(STEERING, t_end(), b::decide_blocker(BLOCKER, "Next year")),
            decided("Next year"),
        ),
        case(
            "by the OkrMaster, who is not Steering",
            &escalated,
            cmd(MASTER, at, b::decide_blocker(BLOCKER, "Yes")),
            unauthorized(MASTER, "decide blocker", Some(COMMITTEE)),
        ),
        case(
            "by the Lead who escalated it",
            &escalated,
            cmd(LEAD_A, at, b::decide_blocker(BLOCKER, "Yes")),
            unauthorized(LEAD_A, "decide blocker", Some(COMMITTEE)),
        ),
        case(
            "by Steering of another committee",
            &other_committee,
            cmd(OUTSIDER, at, b::decide_blocker(BLOCKER, "Yes")),
            unauthorized(OUTSIDER, "decide blocker", Some(COMMITTEE)),
        ),
        case(
            "a blocker that was not escalated",
            &after_running(Phase::Running, with_blocker).unwrap(),
            cmd(STEERING, at, b::decide_blocker(BLOCKER, "Yes")),
            rule_exact(
                Rule::DecideEscalatedOnce,
                format!("blocker {BLOCKER} was not escalated"),
            ),
        ),
        case(
            "decided already",
            &after(
                &escalated,
                vec![(STEERING, at, b::decide_blocker(BLOCKER, "Yes"))],
            ),
            cmd(STEERING, at, b::decide_blocker(BLOCKER, "No")),
            rule_exact(
                Rule::DecideEscalatedOnce,
                format!("blocker {BLOCKER} is decided already"),
            ),
        ),
        case(
            "empty decision",
            &escalated,
            cmd(STEERING, at, b::decide_blocker(BLOCKER, "")),
            field_exact("decision", "must not be empty"),
        ),
        case(
            "unknown blocker",
            &escalated,
            cmd(STEERING, at, b::decide_blocker(NO_BLOCKER, "Yes")),
            unknown(EntityKind::Blocker, NO_BLOCKER),
        ),
    ];
    cases.extend(wrong_phase_cases_in(
        "decide",
        STEERING,
        b::decide_blocker(BLOCKER, "Yes"),
        &[Phase::Running, Phase::Review],
        |p| after_running(p, with_escalation),
    ));
    cases
}

#[test]
fn decide_blocker() {
    check_all(decide_blocker_cases());
}

fn add_initiative_cases() -> Vec<Case> {
    let added = |title: &str| {
        event(EventBody::InitiativeAdded {
            cycle: CYCLE,
            key_result: KR_A,
            initiative: INITIATIVE,
            title: title.into(),
            effort: 2,
            impact: 4,
        })
    };
    let with = |effort, impact| CommandBody::AddInitiative {
        key_result: KR_A,
        initiative: INITIATIVE,
        title: "Online form".into(),
        effort,
        impact,
    };
    let planning = planning();
    let at = t_plan();
    let with_initiative = after(
        &planning,
        vec![(MEMBER_A, at, b::initiative(KR_A, INITIATIVE, "Form"))],
    );
    let kr_removed = after(
        &planning,
        vec![
            (
                LEAD_A,
                at,
                b::add_kr(OBJ_A, KR_NEW, "Gone", okr_core::KrKind::Milestone),
            ),
            (LEAD_A, at, b::remove_kr(KR_NEW)),
        ],
    );
    let mut cases = vec![
        case(
            "in Planning by a Member, title trimmed",
            &planning,
            cmd(
                MEMBER_A,
                at,
                b::initiative(KR_A, INITIATIVE, "  Online form "),
            ),
            added("Online form"),
        ),
        case(
            "while Running",
            &running(),
            cmd(
                MEMBER_A,
                t_week(),
                b::initiative(KR_A, INITIATIVE, "Online form"),
            ),
            added("Online form"),
        ),
        case(
            "effort and impact at the bounds",
            &planning,
            cmd(MEMBER_A, at, with(1, 5)),
            event(EventBody::InitiativeAdded {
                cycle: CYCLE,
                key_result: KR_A,
                initiative: INITIATIVE,
                title: "Online form".into(),
                effort: 1,
                impact: 5,
            }),
        ),
        case(
            "effort 0",
            &planning,
            cmd(MEMBER_A, at, with(0, 3)),
            field_exact("effort", "must lie in 1..=5, got 0"),
        ),
        case(
            "impact 6",
            &planning,
            cmd(MEMBER_A, at, with(3, 6)),
            field_exact("impact", "must lie in 1..=5, got 6"),
        ),
        case(
            "empty title",
            &planning,
            cmd(MEMBER_A, at, b::initiative(KR_A, INITIATIVE, "")),
            field_exact("title", "must not be empty"),
        ),
        case(
            "initiative exists",
            &with_initiative,
            cmd(MEMBER_A, at, b::initiative(KR_A, INITIATIVE, "Again")),
            exists(EntityKind::Initiative, INITIATIVE),
        ),
        case(
            "by the Observer",
            &planning,
            cmd(OBSERVER, at, b::initiative(KR_A, INITIATIVE, "X")),
            unauthorized(OBSERVER, "add initiative", Some(UNIT_A)),
        ),
        case(
            "removed key result",
            &kr_removed,
            cmd(MEMBER_A, at, b::initiative(KR_NEW, INITIATIVE, "X")),
            unknown(EntityKind::KeyResult, KR_NEW),
        ),
        case(
            "unknown key result",
            &planning,
            cmd(MEMBER_A, at, b::initiative(NO_KR, INITIATIVE, "X")),
            unknown(EntityKind::KeyResult, NO_KR),
        ),
    ];
    cases.extend(wrong_phase_cases(
        "add initiative",
        MEMBER_A,
        b::initiative(KR_A, INITIATIVE, "X"),
        &[Phase::Planning, Phase::Running],
    ));
    cases
}

#[test]
fn add_initiative() {
    check_all(add_initiative_cases());
}

fn move_initiative_cases() -> Vec<Case> {
    let with_initiative = |p: Phase| {
        cycle_with(p, |w| {
            w.step(MEMBER_A, t_plan(), b::initiative(KR_A, INITIATIVE, "Form"));
        })
    };
    let moved = |status| {
        event(EventBody::InitiativeMoved {
            cycle: CYCLE,
            initiative: INITIATIVE,
            status,
        })
    };
    let planning = with_initiative(Phase::Planning);
    let mut cases = vec![
        case(
            "to doing in Planning",
            &planning,
            cmd(
                MEMBER_A,
                t_plan(),
                b::move_initiative(INITIATIVE, InitiativeStatus::Doing),
            ),
            moved(InitiativeStatus::Doing),
        ),
        case(
            "to done while Running, by the Lead",
            &with_initiative(Phase::Running),
            cmd(
                LEAD_A,
                t_week(),
                b::move_initiative(INITIATIVE, InitiativeStatus::Done),
            ),
            moved(InitiativeStatus::Done),
        ),
        case(
            "by a Member of another commune",
            &planning,
            cmd(
                MEMBER_B,
                t_plan(),
                b::move_initiative(INITIATIVE, InitiativeStatus::Doing),
            ),
            unauthorized(MEMBER_B, "move initiative", Some(UNIT_A)),
        ),
        case(
            "unknown initiative",
            &planning,
            cmd(
                MEMBER_A,
                t_plan(),
                b::move_initiative(NO_INITIATIVE, InitiativeStatus::Doing),
            ),
            unknown(EntityKind::Initiative, NO_INITIATIVE),
        ),
    ];
    cases.extend(wrong_phase_cases_in(
        "move initiative",
        MEMBER_A,
        b::move_initiative(INITIATIVE, InitiativeStatus::Done),
        &[Phase::Planning, Phase::Running],
        |p| Some(with_initiative(p)),
    ));
    cases
}

#[test]
fn move_initiative() {
    check_all(move_initiative_cases());
}
