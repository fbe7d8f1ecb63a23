//! The workload generator: exact sizes, every command accepted, byte-identical replays,
//! alignment density and check-in counts. Small shapes only, so the tests stay fast in debug.

use okr_core::{decide, Command, Event, EventBody, Phase, State};
use okr_fixtures::workload::{Size, Workload, WorkloadError, WorkloadSpec};

/// A small custom shape: root, 2 departments, 4 teams below them (7 units), 3 objectives
/// per unit, 4 key results each (84 key results), 3 weeks of two check-ins.
fn small(seed: u64) -> WorkloadSpec {
    WorkloadSpec {
        seed,
        depth: 2,
        fan_out: 2,
        last_level_units: None,
        objectives_per_unit: 3,
        key_results_per_objective: 4,
        alignment_density_ppm: 500_000,
        check_in_weeks: 3,
        check_ins_per_week: 2,
        with_review: true,
    }
}

/// Runs every command through `decide` and `apply`, failing with the command and rejection.
fn run(commands: impl Iterator<Item = Command>) -> (State, usize) {
    let mut state = State::new();
    let mut n = 0;
    let mut last_at = None;
    for command in commands {
        if let Some(prev) = last_at {
            assert!(
                command.envelope.at > prev,
                "envelope times increase: {command:?}"
            );
        }
        last_at = Some(command.envelope.at);
        match decide(&state, &command) {
            Ok(decision) => {
                for e in &decision.events {
                    state.apply(e);
                }
            }
            Err(r) => panic!("command #{n} refused: {r:?}\n{command:#?}"),
        }
        n += 1;
    }
    (state, n)
}

fn jsonl(events: impl Iterator<Item = Event>) -> Vec<u8> {
    let mut out = Vec::new();
    for e in events {
        serde_json::to_writer(&mut out, &e).unwrap();
        out.push(b'\n');
    }
    out
}

fn only_cycle(state: &State) -> &okr_core::Cycle {
    assert_eq!(state.cycles.len(), 1);
    state.cycles.values().next().unwrap()
}

#[test]
fn s_has_exactly_100_key_results() {
    let state = Workload::state(WorkloadSpec::size(Size::S, 1));
    let cycle = only_cycle(&state);
    assert_eq!(cycle.key_results.len(), 100);
    assert_eq!(cycle.objectives.len(), 20);
    assert_eq!(state.units.len(), 10);
    assert_eq!(cycle.phase, Phase::Review);
}

#[test]
fn named_sizes_compute_their_counts_without_generating() {
    assert_eq!(WorkloadSpec::size(Size::M, 0).key_results(), 10_000);
    for size in Size::ALL {
        let spec = WorkloadSpec::size(size, 9);
        spec.validate().unwrap();
        assert_eq!(spec.key_results(), size.key_results(), "{size}");
        assert_eq!(
            spec.units() * u64::from(spec.objectives_per_unit),
            spec.objectives()
        );
        assert_eq!(spec.check_ins(), size.key_results() * 13);
    }
    assert_eq!(small(0).units(), 7);
    assert_eq!(small(0).key_results(), 84);
}

#[test]
fn sizes_parse_and_display() {
    for size in Size::ALL {
        assert_eq!(size.to_string().parse::<Size>().unwrap(), size);
    }
    assert_eq!("xl".parse::<Size>().unwrap(), Size::XL);
    let err = "XXL".parse::<Size>().unwrap_err();
    assert_eq!(err, WorkloadError::UnknownSize("XXL".into()));
    assert!(err.to_string().contains("S, M, L, XL"), "{err}");
}

#[test]
fn invalid_specs_are_refused() {
    let cases = [
        WorkloadSpec {
            fan_out: 0,
            ..small(0)
        },
        WorkloadSpec {
            objectives_per_unit: 0,
            ..small(0)
        },
        WorkloadSpec {
            alignment_density_ppm: 1_000_001,
            ..small(0)
        },
        WorkloadSpec {
            check_in_weeks: 0,
            ..small(0)
        },
        WorkloadSpec {
            last_level_units: Some(5),
            ..small(0)
        },
    ];
    for spec in cases {
        assert!(
            matches!(
                Workload::try_new(spec.clone()),
                Err(WorkloadError::InvalidSpec { .. })
            ),
            "{spec:?}"
        );
    }
}

#[test]
fn every_generated_command_is_accepted() {
    for seed in [0, 1, 42, u64::MAX] {
        let spec = WorkloadSpec::size(Size::S, seed);
        let (state, n) = run(Workload::new(spec.clone()));
        assert!(n > 1_300, "{n} commands");
        assert_eq!(only_cycle(&state).key_results.len(), 100);
    }
    for seed in [3, 4] {
        let (state, _) = run(Workload::new(small(seed)));
        assert_eq!(only_cycle(&state).key_results.len(), 84);
    }
    // Edge shapes: the root alone, no check-ins, no review, a one-wide partial deepest level.
    let edges = [
        WorkloadSpec {
            depth: 0,
            fan_out: 0,
            last_level_units: None,
            ..small(5)
        },
        WorkloadSpec {
            check_ins_per_week: 0,
            with_review: false,
            ..small(6)
        },
        WorkloadSpec {
            depth: 3,
            fan_out: 3,
            last_level_units: Some(1),
            objectives_per_unit: 6,
            key_results_per_objective: 6,
            alignment_density_ppm: 1_000_000,
            check_in_weeks: 1,
            check_ins_per_week: 7,
            ..small(7)
        },
    ];
    for spec in edges {
        let (state, _) = run(Workload::new(spec.clone()));
        assert_eq!(
            only_cycle(&state).key_results.len() as u64,
            spec.key_results(),
            "{spec:?}"
        );
    }
}

#[test]
fn events_are_what_decide_produces() {
    // `Workload::events` must equal running the commands by hand.
    let spec = small(11);
    let (by_hand, _) = run(Workload::new(spec.clone()));
    let mut events = Workload::events(spec.clone());
    let log: Vec<Event> = events.by_ref().collect();
    assert_eq!(events.state(), &by_hand);
    assert_eq!(State::from_events(&log), by_hand);
    assert_eq!(Workload::state(spec), by_hand);
}

#[test]
fn same_seed_same_bytes_other_seed_other_bytes() {
    let a = jsonl(Workload::events(WorkloadSpec::size(Size::S, 7)));
    let b = jsonl(Workload::events(WorkloadSpec::size(Size::S, 7)));
    assert!(!a.is_empty());
    assert!(a == b, "the same seed must give byte-identical events");
    let c = jsonl(Workload::events(WorkloadSpec::size(Size::S, 8)));
    assert!(a != c, "another seed must give other events");

    let a = jsonl(Workload::events(small(7)));
    let b = jsonl(Workload::events(small(7)));
    assert!(a == b);
}

fn alignments(spec: WorkloadSpec) -> (usize, usize) {
    let state = Workload::state(spec);
    let root = state
        .units
        .values()
        .find(|u| u.parent.is_none())
        .unwrap()
        .id;
    let cycle = only_cycle(&state);
    let mut non_root = 0;
    let mut aligned = 0;
    for o in cycle.objectives.values() {
        if o.unit != root {
            non_root += 1;
        } else {
            assert!(o.aligned_to.is_empty(), "root objectives align to nothing");
        }
        if !o.aligned_to.is_empty() {
            aligned += 1;
            assert_eq!(o.aligned_to.len(), 1);
            let parent = state
                .objective(*o.aligned_to.keys().next().unwrap())
                .unwrap();
            assert_eq!(Some(parent.unit), state.units[&o.unit].parent);
        }
    }
    (non_root, aligned)
}

#[test]
fn alignment_density_zero_and_full() {
    let (non_root, aligned) = alignments(WorkloadSpec {
        alignment_density_ppm: 0,
        ..small(2)
    });
    assert_eq!((non_root, aligned), (18, 0));
    let (non_root, aligned) = alignments(WorkloadSpec {
        alignment_density_ppm: 1_000_000,
        ..small(2)
    });
    assert_eq!((non_root, aligned), (18, 18));
    let (non_root, aligned) = alignments(WorkloadSpec::size(Size::S, 2));
    assert_eq!(non_root, 18);
    assert!(aligned > 0 && aligned < non_root, "60 % density: {aligned}");
    let events = Workload::events(WorkloadSpec {
        alignment_density_ppm: 0,
        ..WorkloadSpec::size(Size::S, 2)
    });
    assert_eq!(
        events
            .filter(|e| matches!(e.body, EventBody::ObjectiveAligned { .. }))
            .count(),
        0
    );
}

#[test]
fn every_key_result_gets_its_check_ins() {
    for spec in [WorkloadSpec::size(Size::S, 5), small(5)] {
        let expected = (spec.check_in_weeks * spec.check_ins_per_week) as usize;
        let events: Vec<Event> = Workload::events(spec.clone()).collect();
        let state = State::from_events(&events);
        let cycle = only_cycle(&state);
        let start = cycle.start.and_hms_opt(0, 0, 0).unwrap().and_utc();
        for k in cycle.key_results.values() {
            assert_eq!(k.check_in_count() as usize, expected, "{}", k.title);
            let told = events.iter().filter_map(|e| match &e.body {
                EventBody::CheckedIn {
                    key_result,
                    confidence,
                    effective_at,
                    ..
                } if *key_result == k.id => Some((*confidence, *effective_at, e.at)),
                _ => None,
            });
            for (i, (confidence, effective_at, recorded_at)) in told.enumerate() {
                assert!(confidence <= 10);
                assert!(effective_at >= start && effective_at <= recorded_at);
                // Check-in i lies in week i / per-week of the cycle.
                let week = (effective_at - start).num_days() / 7;
                assert_eq!(week as usize, i / spec.check_ins_per_week as usize);
                assert!(k.check_in_weeks().contains(week as u32));
            }
        }
        let kinds: std::collections::BTreeSet<&str> = cycle
            .key_results
            .values()
            .map(|k| match k.kind {
                okr_core::KrKind::Increase { .. } => "increase",
                okr_core::KrKind::Decrease { .. } => "decrease",
                okr_core::KrKind::Threshold { .. } => "threshold",
                okr_core::KrKind::Milestone => "milestone",
            })
            .collect();
        assert!(kinds.contains("increase") && kinds.len() >= 3, "{kinds:?}");
    }
}

#[test]
fn commands_are_lazy_and_named_ids_match() {
    let mut w = Workload::new(WorkloadSpec::size(Size::M, 3));
    // Taking a few commands of M generates only those.
    let first: Vec<Command> = w.by_ref().take(3).collect();
    assert_eq!(first[0].envelope.actor, w.okr_master());
    assert!(matches!(
        first[0].body,
        okr_core::CommandBody::DefineUnit { unit, parent: None, .. } if unit == w.root_unit()
    ));
    let state = Workload::state(small(1));
    assert!(state
        .cycles
        .contains_key(&Workload::new(small(1)).cycle_id()));
}
