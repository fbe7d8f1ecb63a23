//! Advisory lints: each code fires on the outcome of the command that meets it, not on
//! commands that don't, and `lint::cycle` reports a whole cycle at an instant.

use crate::support::fx::*;
use crate::support::*;
use chrono::Duration;
use okr_core::lint::{self, Lint, LintCode};
use okr_core::*;
use std::collections::BTreeSet;

fn codes(lints: &[Lint]) -> BTreeSet<LintCode> {
    lints.iter().map(|l| l.code).collect()
}

fn outcome_lints(given: &[Event], when: Command) -> Vec<Lint> {
    let mut state = State::from_events(given);
    let name = when.body.name();
    execute(&mut state, &when)
        .unwrap_or_else(|r| panic!("{name} refused: {r}"))
        .lints
}

fn draft_with(title: &str, beneficiary: Option<&str>) -> CommandBody {
    CommandBody::DraftObjective {
        cycle: CYCLE,
        objective: OBJ_NEW,
        unit: UNIT_A,
        title: title.into(),
        beneficiary: beneficiary.map(str::to_string),
        change: None,
        value: None,
        kind: ObjectiveKind::Committed,
        weight: 1,
    }
}

#[test]
fn each_code_fires_on_the_command_that_meets_it() {
    use LintCode::*;
    let planning = planning();
    let add = |kind: KrKind| b::add_kr(OBJ_A, KR_NEW, "New key result", kind);
    let cases: Vec<(&str, CommandBody, Vec<LintCode>)> = vec![
        (
            "outcome with beneficiary",
            draft_with(
                "Residents get their permits without queuing",
                Some("residents"),
            ),
            vec![],
        ),
        (
            "no beneficiary",
            draft_with("Permits are granted without queuing", None),
            vec![ObjectiveWithoutBeneficiary],
        ),
        (
            "beneficiary named in the title, field empty",
            draft_with("Residents get their permits without queuing", None),
            vec![],
        ),
        (
            "English implementation verb",
            draft_with("Implement the online permit portal", Some("residents")),
            vec![ObjectiveReadsLikeOutput],
        ),
        (
            "German work order with a count",
            draft_with("575 OZG-Leistungen digitalisieren", None),
            vec![ObjectiveWithoutBeneficiary, ObjectiveReadsLikeOutput],
        ),
        (
            "count of deliverables",
            draft_with("Residents use 12 new online forms", Some("residents")),
            vec![ObjectiveReadsLikeOutput],
        ),
        ("baseline given", add(b::increase(Some(5.0), 25.0)), vec![]),
        (
            "no baseline",
            add(b::increase(None, 25.0)),
            vec![KeyResultWithoutBaseline],
        ),
        (
            "milestone",
            add(KrKind::Milestone),
            vec![MilestoneKeyResult],
        ),
        (
            "100 % of a deliverable count",
            add(b::increase(Some(0.0), 100.0)),
            vec![KeyResultHundredPercent],
        ),
        ("a decrease", add(b::decrease(Some(12.0), 5.0)), vec![]),
        (
            "key result that reads like an activity",
            b::add_kr(
                OBJ_A,
                KR_NEW,
                "10 Workshops zur Prozessanalyse durchführen",
                b::increase(Some(0.0), 10.0),
            ),
            vec![KeyResultReadsLikeActivity],
        ),
    ];
    for (name, body, expected) in cases {
        let lints = outcome_lints(&planning, cmd(LEAD_A, t_plan(), body));
        // Adding a key result re-lints its objective, whose title (in the fixture) names its
        // beneficiary, "Residents": no lint about the objective.
        let got = codes(&lints);
        let expected: BTreeSet<_> = expected.into_iter().collect();
        assert_eq!(got, expected, "case {name}: {lints:#?}");
    }
}

#[test]
fn many_key_results_fire_above_the_policy_threshold() {
    let mut w = World::from_events(&planning());
    // OBJ_A has one key result; the default threshold is 3.
    for (i, kr) in [KR_A2, KR_B].into_iter().enumerate() {
        w.step(
            LEAD_A,
            t_plan(),
            b::add_kr(OBJ_A, kr, &format!("KR {i}"), b::increase(Some(1.0), 2.0)),
        );
    }
    let state = State::from_events(&w.events.clone());
    assert!(
        !codes(&lint::cycle(&state, CYCLE, t_plan())).contains(&LintCode::ObjectiveManyKeyResults)
    );
    let lints = outcome_lints(
        &w.events,
        cmd(
            LEAD_A,
            t_plan(),
            b::add_kr(OBJ_A, KR_NEW, "KR 4", b::increase(Some(1.0), 2.0)),
        ),
    );
    let many: Vec<_> = lints
        .iter()
        .filter(|l| l.code == LintCode::ObjectiveManyKeyResults)
        .collect();
    assert_eq!(many.len(), 1, "{lints:#?}");
    assert_eq!(many[0].subject, OBJ_A.0);
    assert_eq!(many[0].subject_kind, EntityKind::Objective);
    assert!(
        many[0].message_en.contains("4 key results"),
        "{}",
        many[0].message_en
    );
    assert!(
        many[0].message_de.contains("4 Key Results"),
        "{}",
        many[0].message_de
    );
}

#[test]
fn no_recent_check_in_after_two_weeks_of_silence() {
    let running = running();
    let state = State::from_events(&running);
    let start = t_start();
    let silent = |state: &State, at| {
        lint::cycle(state, CYCLE, at)
            .into_iter()
            .filter(|l| l.code == LintCode::NoRecentCheckIn)
            .map(|l| l.subject)
            .collect::<Vec<_>>()
    };
    assert!(silent(&state, start + Duration::days(13)).is_empty());
    assert_eq!(silent(&state, start + Duration::days(14)), vec![KR_A.0]);
    // The message names the key result, its objective and its unit, in the present tense.
    let l = lint::cycle(&state, CYCLE, start + Duration::days(14))
        .into_iter()
        .find(|l| l.code == LintCode::NoRecentCheckIn)
        .unwrap();
    let (kr, o) = (
        &*state.key_result(KR_A).unwrap().title,
        &*state.objective(OBJ_A).unwrap().text.title,
    );
    let unit = &*state.units[&UNIT_A].name;
    assert_eq!(
        l.message(okr_core::i18n::Lang::De),
        format!("Das Key Result „{kr}“ des Objectives „{o}“ ({unit}) hat seit 14 Tagen keinen Check-in.")
    );
    assert_eq!(
        l.message(okr_core::i18n::Lang::En),
        format!(
            "Key result \"{kr}\" of objective \"{o}\" ({unit}) has had no check-in for 14 days."
        )
    );

    let mut w = World::from_events(&running);
    w.step(
        MEMBER_A,
        start + Duration::days(10),
        b::check_in(KR_A, 20.0, 7),
    );
    let state = State::from_events(&w.events);
    assert!(silent(&state, start + Duration::days(23)).is_empty());
    assert_eq!(silent(&state, start + Duration::days(24)), vec![KR_A.0]);
    // Outside Running nobody is expected to check in.
    let review = State::from_events(&review());
    assert!(silent(&review, t_after() + Duration::days(60)).is_empty());
}

#[test]
fn escalation_overdue_after_the_policys_days_until_decided() {
    // Raised and escalated in the first week; the policy gives the committee 14 days.
    let mut w = World::from_events(&running());
    w.step(
        LEAD_A,
        t_week(),
        b::raise(CYCLE, BLOCKER, UNIT_A, "No e-file licence"),
    )
    .step(LEAD_A, t_week(), b::escalate(BLOCKER, COMMITTEE));
    let overdue = |events: &[Event], at| {
        lint::cycle(&State::from_events(events), CYCLE, at)
            .into_iter()
            .filter(|l| l.code == LintCode::EscalationOverdue)
            .collect::<Vec<_>>()
    };
    assert!(overdue(&w.events, t_week() + Duration::days(14)).is_empty());
    let late = overdue(&w.events, t_week() + Duration::days(15));
    assert_eq!(late.len(), 1, "{late:#?}");
    assert_eq!(late[0].subject, BLOCKER.0);
    assert_eq!(
        late[0].message_en,
        "Blocker \"No e-file licence\" of Commune A has waited 15 days for a decision by \
         Steering committee; the policy gives the committee 14 days."
    );
    assert!(
        late[0].message_de.contains("wartet seit 15 Tagen"),
        "{}",
        late[0].message_de
    );
    // Decided: nothing is overdue any more.
    w.step(
        STEERING,
        t_week() + Duration::days(16),
        b::decide_blocker(BLOCKER, "Licence from the district"),
    );
    assert!(overdue(&w.events, t_week() + Duration::days(30)).is_empty());
}

#[test]
fn committed_objective_low_score_at_review() {
    // KR_A (10 → 50) never checked in: its score is 0, far below 1.0.
    let lints = outcome_lints(
        &running(),
        cmd(MASTER, t_end(), b::begin_review(CYCLE, None)),
    );
    let low: Vec<_> = lints
        .iter()
        .filter(|l| l.code == LintCode::CommittedObjectiveLowScore)
        .collect();
    assert_eq!(low.len(), 1, "{lints:#?}");
    assert_eq!(low[0].subject, OBJ_A.0);
    assert!(
        low[0].message_en.contains("scored 0.00"),
        "{}",
        low[0].message_en
    );
    assert!(
        low[0]
            .message_de
            .contains("erreichte 0,00, weit unter den erwarteten 1,00 (Schwelle 0,"),
        "{}",
        low[0].message_de
    );

    // Reaching the target: no lint.
    let mut w = World::from_events(&running());
    w.step(MEMBER_A, t_week(), b::check_in(KR_A, 50.0, 9));
    let lints = outcome_lints(
        &w.events,
        cmd(MASTER, t_end(), b::begin_review(CYCLE, None)),
    );
    assert!(
        !codes(&lints).contains(&LintCode::CommittedObjectiveLowScore),
        "{lints:#?}"
    );

    // At the threshold (0.70) it does not fire; just below it does.
    for (value, fires) in [(38.0, false), (37.6, true)] {
        let mut w = World::from_events(&running());
        w.step(MEMBER_A, t_week(), b::check_in(KR_A, value, 9));
        let lints = outcome_lints(
            &w.events,
            cmd(MASTER, t_end(), b::begin_review(CYCLE, None)),
        );
        assert_eq!(
            codes(&lints).contains(&LintCode::CommittedObjectiveLowScore),
            fires,
            "value {value}: {lints:#?}"
        );
    }
}

#[test]
fn codes_are_stable_and_messages_bilingual() {
    let expected = [
        (
            LintCode::ObjectiveWithoutBeneficiary,
            "objective-without-beneficiary",
        ),
        (
            LintCode::ObjectiveReadsLikeOutput,
            "objective-reads-like-output",
        ),
        (
            LintCode::ObjectiveManyKeyResults,
            "objective-many-key-results",
        ),
        (
            LintCode::KeyResultWithoutBaseline,
            "key-result-without-baseline",
        ),
        (LintCode::MilestoneKeyResult, "milestone-key-result"),
        (
            LintCode::KeyResultHundredPercent,
            "key-result-hundred-percent",
        ),
        (LintCode::NoRecentCheckIn, "no-recent-check-in"),
        (
            LintCode::CommittedObjectiveLowScore,
            "committed-objective-low-score",
        ),
        (
            LintCode::KeyResultReadsLikeActivity,
            "key-result-reads-like-activity",
        ),
        (LintCode::EscalationOverdue, "escalation-overdue"),
    ];
    for (code, text) in expected {
        assert_eq!(code.code(), text);
        assert_eq!(serde_json::to_value(code).unwrap(), serde_json::json!(text));
    }
    let lints = outcome_lints(
        &planning(),
        cmd(
            LEAD_A,
            t_plan(),
            draft_with("575 OZG-Leistungen digitalisieren", None),
        ),
    );
    for l in &lints {
        assert!(l.message_en.contains("575 OZG-Leistungen digitalisieren"));
        assert!(l.message_de.contains("575 OZG-Leistungen digitalisieren"));
        assert_ne!(l.message_en, l.message_de);
    }
    // Lints are advisory: the command was accepted and the objective exists.
    let mut state = State::from_events(&planning());
    execute(
        &mut state,
        &cmd(
            LEAD_A,
            t_plan(),
            draft_with("575 OZG-Leistungen digitalisieren", None),
        ),
    )
    .unwrap();
    assert!(state.objective(OBJ_NEW).is_some());
}

fn draft_full(title: &str, change: Option<&str>, value: Option<&str>) -> CommandBody {
    CommandBody::DraftObjective {
        cycle: CYCLE,
        objective: OBJ_NEW,
        unit: UNIT_A,
        title: title.into(),
        beneficiary: None,
        change: change.map(str::to_string),
        value: value.map(str::to_string),
        kind: ObjectiveKind::Committed,
        weight: 1,
    }
}

fn objective_codes(body: CommandBody) -> Vec<Lint> {
    outcome_lints(&planning(), cmd(LEAD_A, t_plan(), body))
}

#[test]
fn objective_reads_like_output_by_sentence_pattern() {
    // Given a planning cycle, when an objective is drafted whose title is built like a work
    // order (not just by its first or last word), then objective-reads-like-output fires and
    // quotes the words that show it.
    for (title, words) in [
        ("Wir setzen das neue Bürgerportal um", "setzen … um"),
        ("Einführung der E-Akte in allen Fachbereichen", "Einführung"),
        ("Wir bauen ein Kompetenzzentrum für RPA auf", "bauen … auf"),
        (
            "Wir digitalisieren bis Ende 2022 575 Verwaltungsleistungen (OZG)",
            "digitalisieren",
        ),
        ("Rollout of the new HR software", "Rollout of"),
        ("Implement the online permit portal", "Implement"),
    ] {
        let lints = objective_codes(draft_with(title, Some("Bürgerinnen und Bürger")));
        assert_eq!(
            codes(&lints),
            BTreeSet::from([LintCode::ObjectiveReadsLikeOutput]),
            "{title}: {lints:#?}"
        );
        let l = &lints[0];
        assert!(
            l.message_en.contains(&format!("\"{words}\"")),
            "{}",
            l.message_en
        );
        assert!(
            l.message_de.contains(&format!("„{words}“")),
            "{}",
            l.message_de
        );
        assert!(l.message_de.contains("beschreiben Sie"), "{}", l.message_de);
    }
    // Given an outcome whose subject is the people who benefit, a work verb does not fire.
    let lints = objective_codes(draft_with(
        "Die Bürger und Unternehmen führen mit großer Zufriedenheit ihre Behördengänge online durch.",
        None,
    ));
    assert!(lints.is_empty(), "{lints:#?}");
}

#[test]
fn beneficiary_named_in_title_change_or_value_is_enough() {
    use LintCode::ObjectiveWithoutBeneficiary as W;
    // Given an empty beneficiary field, when the title, the change or the value names the
    // people who benefit, then objective-without-beneficiary does not fire.
    let title_only = "Die Bürger und Unternehmen erledigen Behördengänge online";
    assert!(!codes(&objective_codes(draft_full(title_only, None, None))).contains(&W));
    let neutral = "Anträge kommen vollständig und ohne Rückfragen an";
    assert!(codes(&objective_codes(draft_full(neutral, None, None))).contains(&W));
    let by_change = draft_full(
        neutral,
        Some("Antragstellende reichen alles beim ersten Mal ein"),
        None,
    );
    assert!(!codes(&objective_codes(by_change)).contains(&W));
    let by_value = draft_full(neutral, None, Some("Mitarbeitende sparen Zeit"));
    assert!(!codes(&objective_codes(by_value)).contains(&W));
    let english_value = draft_full(
        "Permits arrive complete",
        None,
        Some("less waiting for citizens"),
    );
    assert!(!codes(&objective_codes(english_value)).contains(&W));
    // A value that names nobody does not count.
    let no_one = draft_full(
        neutral,
        Some("weniger Rückfragen"),
        Some("kürzere Bearbeitung"),
    );
    assert!(codes(&objective_codes(no_one)).contains(&W));
}

#[test]
fn key_result_reads_like_activity() {
    let planning = planning();
    let add = |title: &str, kind: KrKind| {
        outcome_lints(
            &planning,
            cmd(LEAD_A, t_plan(), b::add_kr(OBJ_A, KR_NEW, title, kind)),
        )
    };
    // Given a key result whose title is an activity or a count of deliverables, when it is
    // added, then key-result-reads-like-activity fires on it, in both languages.
    for title in [
        "575 OZG-Leistungen digitalisieren",
        "10 Workshops zur Prozessanalyse durchführen",
        "Run 10 workshops with department heads",
        "Anzahl der veröffentlichten Online-Formulare steigt von 12 auf 40",
    ] {
        let lints = add(title, b::increase(Some(2.0), 40.0));
        let hits: Vec<_> = lints
            .iter()
            .filter(|l| l.code == LintCode::KeyResultReadsLikeActivity)
            .collect();
        assert_eq!(hits.len(), 1, "{title}: {lints:#?}");
        assert_eq!(hits[0].subject, KR_NEW.0);
        assert_eq!(hits[0].subject_kind, EntityKind::KeyResult);
        assert!(hits[0].message_en.contains(title), "{}", hits[0].message_en);
        assert!(
            hits[0].message_de.contains("beschreiben Sie"),
            "{}",
            hits[0].message_de
        );
    }
    // Given measured outcomes, it does not fire.
    for title in [
        "Die Nutzungsrate von Online-Behördengängen gegenüber Offline steigt von 5% auf 25%.",
        "Bearbeitungszeit für Wohngeldanträge sinkt von 20 auf 5 Tage",
        "Share of applications filed online rises from 5% to 25%",
    ] {
        let lints = add(title, b::increase(Some(5.0), 25.0));
        assert!(lints.is_empty(), "{title}: {lints:#?}");
    }
    // Given a milestone, only milestone-key-result names it (no second lint for the title).
    let lints = add("Go-live des Bürgerportals", KrKind::Milestone);
    assert_eq!(
        codes(&lints),
        BTreeSet::from([LintCode::MilestoneKeyResult]),
        "{lints:#?}"
    );
    // And lint::cycle reports it for the whole cycle too.
    let mut w = World::from_events(&planning);
    w.step(
        LEAD_A,
        t_plan(),
        b::add_kr(
            OBJ_A,
            KR_NEW,
            "Launch the chatbot",
            b::increase(Some(0.0), 1.0),
        ),
    );
    let state = State::from_events(&w.events);
    let all = lint::cycle(&state, CYCLE, t_plan());
    assert!(
        all.iter()
            .any(|l| l.code == LintCode::KeyResultReadsLikeActivity && l.subject == KR_NEW.0),
        "{all:#?}"
    );
}
