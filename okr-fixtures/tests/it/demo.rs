//! The demo history: its organisation set-up, the event payloads it produces and the
//! statistics over it.

use okr_core::lint::{self, LintCode};
use okr_core::rollup;
use okr_core::stats::{stats, StatsOptions};
use okr_core::{
    decide, execute, CycleKind, EventBody, KrKind, ObjectiveStatus, Phase, Role, State,
};
use okr_fixtures::demo::{Demo, Organisation, COMMUNES, DEMO_ID_BASE, PROJECT, TOPICS};
use uuid::Uuid;

#[test]
fn the_organisation_is_how_the_demo_starts() {
    let org = Organisation::build();
    let demo = Demo::build();
    assert_eq!(org, Organisation::build(), "deterministic");
    assert_eq!(org.commands[..], demo.commands[..org.commands.len()]);
    // Its ids are the first of the demo's sequence, every one used once.
    let last = Uuid::from_u128(DEMO_ID_BASE + org.ids_used);
    assert!(org.commands.iter().all(|c| c.envelope.command_id <= last));
    assert!(demo.commands[org.commands.len()..]
        .iter()
        .all(|c| c.envelope.command_id > last));

    let mut state = State::new();
    for command in &org.commands {
        execute(&mut state, command).expect("the set-up is accepted");
    }
    let names: Vec<&str> = org.communes.iter().map(|c| c.name).collect();
    assert_eq!(
        names,
        [
            "Gießen",
            "Fulda",
            "Limburg",
            "Marburg",
            "Offenbach",
            "Wetzlar"
        ]
    );
    assert_eq!(names, COMMUNES);
    assert_eq!(&*state.units[&org.federation].name, PROJECT);
    assert_eq!(&*state.units[&org.steering].name, "Lenkungsausschuss");
    let role = |unit, person| state.units[&unit].members.get(&person).copied();
    assert!(role(org.federation, org.master).is_some_and(|r| r.contains(&Role::OkrMaster)));
    assert!(state.people[&org.master].name.contains("Christian Konz"));
    assert!(role(org.federation, org.project_lead).is_some_and(|r| r.contains(&Role::Lead)));
    assert!(role(org.steering, org.chair).is_some_and(|r| r.contains(&Role::Steering)));
    assert!(state.people[&org.chair].name.contains("Hendrik Schaus"));
    for (c, topic) in org.communes.iter().zip(TOPICS) {
        assert_eq!(&*state.units[&c.unit].name, c.name);
        assert_eq!(c.topic, topic);
        assert_eq!(state.units[&c.unit].parent, Some(org.federation));
        // One project person per city, and nobody else in the city's unit.
        assert_eq!(state.units[&c.unit].members.len(), 1);
        assert!(role(c.unit, c.person).is_some_and(|r| r.contains(&Role::Lead)));
        assert!(state.people[&c.person].name.contains(c.name));
        // Every city sits on the Lenkungsausschuss.
        assert!(role(org.steering, c.steering).is_some_and(|r| r.contains(&Role::Steering)));
    }
    assert_eq!(state.units[&org.steering].members.len(), COMMUNES.len());
}

/// The cycles in start order.
fn cycles(state: &State) -> Vec<&okr_core::Cycle> {
    let mut c: Vec<_> = state.cycles.values().collect();
    c.sort_by_key(|c| (c.start, c.id));
    c
}

#[test]
fn two_practice_sprints_then_eight_quarters_within_the_funding() {
    let demo = Demo::build();
    let all = cycles(&demo.state);
    let names: Vec<&str> = all.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "Übungssprint 1",
            "Übungssprint 2",
            "2022-Q3",
            "2022-Q4",
            "2023-Q1",
            "2023-Q2",
            "2023-Q3",
            "2023-Q4",
            "2024-Q1",
            "2024-Q2",
            "2024-Q3"
        ]
    );
    assert_eq!(demo.facts.cycles, names);
    assert!(all[..2].iter().all(|c| c.kind == CycleKind::Practice));
    assert!(all[2..].iter().all(|c| c.kind == CycleKind::Regular));
    let funding = (
        chrono::NaiveDate::from_ymd_opt(2022, 7, 1).unwrap(),
        chrono::NaiveDate::from_ymd_opt(2024, 6, 30).unwrap(),
    );
    for c in &all[..10] {
        assert!(c.start >= funding.0 && c.end <= funding.1, "{}", c.name);
        assert_eq!(c.phase, Phase::Closed, "{}", c.name);
    }
    assert_eq!(all[9].end, funding.1);
    assert_eq!(all[10].phase, Phase::Planning);
    // Practice sprints: exactly one objective per city.
    for c in &all[..2] {
        let mut units: Vec<_> = c.objectives.values().map(|o| o.unit).collect();
        units.sort();
        units.dedup();
        assert_eq!((c.objectives.len(), units.len()), (6, 6), "{}", c.name);
    }
    // No two city objectives of the demo read the same, except carried-over ones.
    let project = Organisation::build().federation;
    let mut titles = std::collections::BTreeSet::new();
    for c in &all {
        for o in c.objectives.values() {
            if o.carried_from.is_none() && o.unit != project {
                let fresh = titles.insert(o.text.title.to_string());
                assert!(fresh, "{} repeats \"{}\"", c.name, o.text.title);
            }
        }
    }
    assert_eq!(titles.len(), 6 * 10);
}

#[test]
fn the_learning_curve_fewer_output_objectives_from_cycle_to_cycle() {
    let demo = Demo::build();
    let state = &demo.state;
    // Per cycle: the share of its objectives the outcome check flags as outputs.
    let share: Vec<(String, f64)> = cycles(state)
        .iter()
        .filter(|c| c.phase == Phase::Closed)
        .map(|c| {
            let at = c.end.and_hms_opt(23, 0, 0).unwrap().and_utc();
            let flagged = lint::cycle(state, c.id, at)
                .iter()
                .filter(|l| l.code == LintCode::ObjectiveReadsLikeOutput)
                .count();
            let objectives = c
                .objectives
                .values()
                .filter(|o| o.status != ObjectiveStatus::Dropped)
                .count();
            (c.name.clone(), flagged as f64 / objectives as f64)
        })
        .collect();
    println!("{share:?}");
    let s: Vec<f64> = share.iter().map(|x| x.1).collect();
    assert_eq!(s.len(), 10);
    // The practice sprints and the first quarter: most objectives are work orders.
    assert!(s[..3].iter().all(|x| *x >= 0.8), "{share:?}");
    // The last two quarters: none.
    assert_eq!(&s[8..], &[0.0, 0.0], "{share:?}");
    // The first cycles' mean is far above the last cycles', and the curve falls.
    let mean = |x: &[f64]| x.iter().sum::<f64>() / x.len() as f64;
    assert!(mean(&s[..4]) > 0.6 && mean(&s[6..]) < 0.15, "{share:?}");
    for w in s[2..].windows(2) {
        assert!(w[1] <= w[0] + 1e-9 || w[1] < 0.6, "{share:?}");
    }
}

/// A key result's score by hand: the share of the way from baseline to target its last
/// check-in covered, clamped to 0..=1 (the default policy).
fn by_hand(k: &okr_core::KeyResult) -> f64 {
    let v = k.latest().map(|c| c.value);
    let (b, t) = match &k.kind {
        KrKind::Increase {
            baseline, target, ..
        }
        | KrKind::Decrease {
            baseline, target, ..
        } => (baseline.unwrap(), *target),
        other => panic!("the demo plans from-to key results only: {other:?}"),
    };
    let v = v.unwrap_or(b);
    ((v - b) / (t - b)).clamp(0.0, 1.0)
}

#[test]
fn city_objective_scores_equal_a_hand_computation_from_their_key_results() {
    let demo = Demo::build();
    let state = &demo.state;
    let org = Organisation::build();
    let mut checked = 0;
    for c in cycles(state)
        .iter()
        .filter(|c| c.kind == CycleKind::Regular)
    {
        if c.phase != Phase::Closed {
            continue;
        }
        let scores = rollup::scores(c);
        for o in c
            .objectives
            .values()
            .filter(|o| org.communes.iter().any(|x| x.unit == o.unit))
        {
            let krs: Vec<_> = c.key_results_of(o.id).filter(|k| !k.removed).collect();
            // A key result's score as recorded at review: the override where there is one.
            let (sum, weights) = krs.iter().fold((0.0, 0.0), |(s, w), k| {
                let score = match c.manual_scores.get(&k.id) {
                    Some(m) => m.score_ppm as f64 / 1e6,
                    None => by_hand(k),
                };
                (s + score * f64::from(k.weight), w + f64::from(k.weight))
            });
            let hand = sum / weights;
            let recorded = scores.objectives[&o.id].unwrap() as f64 / 1e6;
            assert!(
                (hand - recorded).abs() < 2e-6,
                "{} {}: by hand {hand}, recorded {recorded}",
                c.name,
                o.text.title
            );
            checked += 1;
        }
    }
    // Six new city objectives a quarter, and the carried-over ones.
    assert_eq!(checked, 8 * 6 + demo.facts.carried_over as usize);
}

#[test]
fn the_lenkungsausschuss_takes_part_and_decides_every_escalation() {
    let demo = Demo::build();
    let state = &demo.state;
    let org = Organisation::build();
    let steering: Vec<_> = org.communes.iter().map(|c| c.steering).collect();
    let regular: Vec<_> = cycles(state)
        .into_iter()
        .filter(|c| c.kind == CycleKind::Regular && c.phase == Phase::Closed)
        .collect();
    let mut waited = Vec::new();
    for c in &regular {
        // Planning: it approved the project objective.
        let project: Vec<_> = c
            .objectives
            .values()
            .filter(|o| o.unit == org.federation)
            .collect();
        assert_eq!(project.len(), 1, "{}", c.name);
        assert_eq!(project[0].approved_by, Some(org.steering), "{}", c.name);
        // Weeklies: agreements the committee took on.
        assert!(
            c.agreements
                .values()
                .any(|a| a.owner.is_some_and(|p| steering.contains(&p))),
            "{}",
            c.name
        );
        // Review and retrospective.
        assert!(
            c.review_notes
                .iter()
                .any(|n| n.starts_with("Lenkungsausschuss: ")),
            "{}",
            c.name
        );
        assert!(
            c.retro_items.values().any(|i| steering.contains(&i.by)),
            "{}",
            c.name
        );
        // One blocker a quarter, escalated to the committee and decided by a member.
        assert_eq!(c.blockers.len(), 1, "{}", c.name);
        for b in c.blockers.values() {
            assert_eq!(b.escalation.as_ref().map(|e| e.0), Some(org.steering));
            let d = b.decision.as_ref().expect("decided");
            assert!(steering.contains(&d.by));
            waited.push((d.at - b.raised_at).num_days());
        }
    }
    assert_eq!(waited, demo.facts.escalation_days);
    assert_eq!(demo.facts.blockers, 8);
    assert!(demo.facts.steering_agreements >= 8);
}

#[test]
fn cross_cycle_statistics_of_the_demo() {
    let state = Demo::build().state;
    let s = stats(&state, &StatsOptions::default());
    assert_eq!(
        s.cycles.len(),
        8,
        "eight closed regular quarters, practice sprints left out"
    );
    let discipline = s.overall.check_in_discipline.unwrap();
    assert!(discipline > 0.8 && discipline < 1.0);
    // The escalation lead times are the committee's days, counted while generating.
    let demo = Demo::build();
    let days = &demo.facts.escalation_days;
    assert_eq!(s.overall.escalations.decided as usize, days.len());
    let mean = days.iter().sum::<i64>() as f64 / days.len() as f64;
    assert!((s.overall.escalations.mean_days.unwrap() - mean).abs() < 0.05);
    assert_eq!(
        s.overall.escalations.max_days,
        Some(*days.iter().max().unwrap() as f64)
    );
    // The agreements: every resolution the generator made.
    let a = &s.overall.agreements;
    assert_eq!(a.kept, demo.facts.agreements_kept);
    assert_eq!(a.missed, demo.facts.agreements_missed);
    // The retrospective actions: each quarter's followed up in the next, fewer undone later.
    let r = &s.retro_actions;
    assert_eq!(r.added, demo.facts.retro_actions);
    assert_eq!(r.followed_up, demo.facts.retro_actions_followed_up);
    assert_eq!(r.done, demo.facts.retro_actions_done);
    assert_eq!(
        r.followed_up,
        r.added - 1,
        "the last quarter's action is still open"
    );
    assert!(r.done > 0 && r.done < r.followed_up, "{r:?}");
    // The learning curve in the scores: the last quarter scores above the first.
    let first = s.trend.first().unwrap().score_ppm.unwrap();
    let last = s.trend.last().unwrap().score_ppm.unwrap();
    assert!(last > first, "{first} -> {last}");
    let with_practice = stats(
        &state,
        &StatsOptions {
            include_practice: true,
            ..StatsOptions::default()
        },
    );
    assert_eq!(with_practice.cycles.len(), 10);
}

#[test]
fn a_payload_read_by_its_type_equals_the_tagged_reading() {
    let demo = Demo::build();
    let mut state = State::new();
    let mut types = std::collections::BTreeSet::new();
    for command in &demo.commands {
        for event in decide(&state, command)
            .expect("the demo's commands are accepted")
            .events
        {
            let json = serde_json::to_string(&event.body).unwrap();
            let mut payload = serde_json::Deserializer::from_str(&json);
            let body = EventBody::deserialize_of_type(event.body.event_type(), &mut payload)
                .unwrap_or_else(|e| panic!("{json}: {e}"));
            payload.end().unwrap();
            assert_eq!(body, event.body);
            types.insert(event.body.event_type());
            state.apply(&event);
        }
    }
    println!("{} event types: {types:?}", types.len());
    assert!(types.len() >= 25, "{types:?}");
}
