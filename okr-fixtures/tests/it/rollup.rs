//! The incremental rollup equals a full recomputation, exactly, over random workloads and
//! event orders; the weekly history ends where the cycle stands.

use chrono::{DateTime, Utc};
use okr_core::rollup::{self, Rollup};
use okr_core::*;
use okr_fixtures::workload::{Size, Workload, WorkloadSpec};
use proptest::prelude::*;

const MASTER: PersonId = PersonId::from_u128(1);

#[test]
fn the_incremental_rollup_fed_event_by_event_equals_the_reference() {
    let spec = WorkloadSpec {
        check_in_weeks: 2,
        ..WorkloadSpec::size(Size::S, 1)
    };
    let mut events = Workload::events(spec.clone());
    let mut state = State::new();
    let cycle = Workload::new(spec).cycle_id();
    let mut rollup = None::<Rollup>;
    for e in events.by_ref() {
        state.apply(&e);
        match rollup.as_mut() {
            Some(r) => r.apply(&e),
            None if state.cycles.contains_key(&cycle) => rollup = Rollup::build(&state, cycle),
            None => {}
        }
    }
    let mut rollup = rollup.unwrap();
    rollup.refresh(&state);
    assert_eq!(
        rollup.to_cycle_rollup(),
        rollup::cycle(&state.cycles[&cycle])
    );
}

#[test]
fn the_history_of_a_workload_has_every_week_and_ends_where_the_cycle_stands() {
    let spec = WorkloadSpec {
        check_in_weeks: 3,
        ..WorkloadSpec::size(Size::S, 1)
    };
    let cycle = Workload::new(spec.clone()).cycle_id();
    let events: Vec<Event> = Workload::events(spec).collect();
    let state = State::from_events(&events);
    let h = rollup::history(&state, cycle, &events).unwrap();
    assert!(h
        .weeks
        .iter()
        .enumerate()
        .all(|(i, w)| w.week as usize == i + 1));
    let now = rollup::cycle(&state.cycles[&cycle]);
    assert_eq!(h.weeks.last().unwrap().cycle_ppm, now.cycle);
}

/// The day after the workloads' first day, for an amendment with nothing to follow.
fn t1() -> DateTime<Utc> {
    "2025-01-07T09:00:00Z".parse().unwrap()
}

fn spec() -> impl Strategy<Value = WorkloadSpec> {
    (
        any::<u64>(),
        1u32..3,
        1u32..4,
        1u32..4,
        1u32..5,
        0u32..=1_000_000,
        1u32..5,
    )
        .prop_map(
            |(seed, depth, fan_out, objectives, krs, density, weeks)| WorkloadSpec {
                seed,
                depth,
                fan_out,
                objectives_per_unit: objectives,
                key_results_per_objective: krs,
                alignment_density_ppm: density,
                check_in_weeks: weeks,
                last_level_units: None,
                ..WorkloadSpec::default()
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn incremental_equals_full_recomputation(
        spec in spec(),
        order_seed in any::<u64>(),
        amendments in prop::collection::vec((any::<u16>(), 1u32..6, any::<bool>()), 0..10),
        checkpoint_every in 1usize..40,
        own_key_results_only in any::<bool>(),
    ) {
        // The workload rolls aligned objectives in; half the cases plan the cycle under the
        // standard policy instead, where alignment links carry no figures.
        let events: Vec<Event> = Workload::events(spec.clone())
            .map(|mut e| {
                if let EventBody::CyclePlanned { policy, .. } = &mut e.body {
                    if own_key_results_only {
                        policy.scoring = rollup::ScoringPolicy::STANDARD;
                    }
                }
                e
            })
            .collect();
        let cycle = Workload::new(spec).cycle_id();
        // Keep everything up to the cycle start in order; shuffle the check-ins after it.
        let split = events
            .iter()
            .position(|e| matches!(e.body, EventBody::CycleStarted { .. }))
            .map_or(events.len(), |i| i + 1);
        let (setup, rest) = events.split_at(split);
        let mut rest: Vec<Event> = rest.to_vec();
        let mut x = order_seed | 1;
        for i in (1..rest.len()).rev() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            rest.swap(i, (x % (i as u64 + 1)) as usize);
        }
        // Weave in key result amendments (weight or a new target).
        let mut state = State::from_events(setup);
        let krs: Vec<KeyResultId> = state.cycles[&cycle].key_results.keys().copied().collect();
        for (i, (pick, weight, retarget)) in amendments.iter().enumerate() {
            if krs.is_empty() {
                break;
            }
            let k = krs[usize::from(*pick) % krs.len()];
            let patch = KeyResultPatch {
                weight: Some(*weight),
                kind: retarget.then(|| KrKind::Increase { baseline: Some(0.0), target: f64::from(*weight) * 7.0, unit: "%".into() }),
                ..KeyResultPatch::default()
            };
            let at = rest.first().map_or(t1(), |e| e.at);
            let pos = (i * 7919) % (rest.len() + 1);
            rest.insert(pos, Event { at, by: MASTER, body: EventBody::KeyResultAmended { cycle, key_result: k, patch, reason: "why".into() } });
        }
        let mut r = Rollup::build(&state, cycle).unwrap();
        for (i, e) in rest.iter().enumerate() {
            state.apply(e);
            r.apply(e);
            if i % checkpoint_every == 0 || i + 1 == rest.len() {
                r.refresh(&state);
                let full = Rollup::build(&state, cycle).unwrap();
                prop_assert_eq!(r.to_cycle_rollup(), full.to_cycle_rollup());
                prop_assert_eq!(r.to_cycle_rollup(), rollup::cycle(&state.cycles[&cycle]));
                prop_assert_eq!(r.units(), full.units());
                for o in full.objective_ids() {
                    prop_assert_eq!(r.objective(o), full.objective(o));
                }
            }
        }
        // The state keeps, per key result, the latest check-in among the events (by
        // effective time, ties: the one told last), their number and their weeks.
        let c = &state.cycles[&cycle];
        for k in c.key_results.values() {
            let told: Vec<(f64, u8, DateTime<Utc>, DateTime<Utc>)> = setup
                .iter()
                .chain(&rest)
                .filter_map(|e| match &e.body {
                    EventBody::CheckedIn { key_result, value, confidence, effective_at, .. }
                        if *key_result == k.id => Some((*value, *confidence, *effective_at, e.at)),
                    _ => None,
                })
                .collect();
            let latest = told.iter().fold(None, |best: Option<&(f64, u8, DateTime<Utc>, DateTime<Utc>)>, x| {
                match best {
                    Some(b) if x.2 < b.2 => Some(b),
                    _ => Some(x),
                }
            });
            let got = k.latest().map(|x| (x.value, x.confidence, x.effective_at, x.recorded_at));
            prop_assert_eq!(got, latest.copied());
            prop_assert_eq!(k.check_in_count() as usize, told.len());
            let weeks: std::collections::BTreeSet<u32> = told
                .iter()
                .map(|x| ((x.2.date_naive() - c.start).num_days() / 7) as u32)
                .collect();
            prop_assert_eq!(k.check_in_weeks().iter().collect::<std::collections::BTreeSet<_>>(), weeks);
        }
        // The burn-up from the shuffled log ends where the state stands.
        let all: Vec<Event> = setup.iter().chain(&rest).cloned().collect();
        let h = rollup::history(&state, cycle, &all).unwrap();
        prop_assert_eq!(h.weeks.last().unwrap().cycle_ppm, rollup::cycle(c).cycle);
    }
}
