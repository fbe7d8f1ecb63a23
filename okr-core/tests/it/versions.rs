//! Optimistic concurrency: every accepting case of every table, replayed with the right
//! expected stream version (accepted, same events) and with wrong ones (VersionConflict
//! naming the stream the command's decision names).

use crate::support::*;
use okr_core::{decide, State};

#[test]
fn every_accepting_case_checks_the_expected_version() {
    let mut cases = Vec::new();
    for c in crate::all_cases() {
        if !matches!(c.then, Expect::Events(_)) || c.when.envelope.expected_version.is_some() {
            continue;
        }
        let state = State::from_events(&c.given);
        let stream = decide(&state, &c.when)
            .unwrap_or_else(|r| {
                panic!("case `{}`: decide refuses an accepted command: {r}", c.name)
            })
            .stream;
        let actual = state.stream_version(stream);
        cases.push(case(
            format!("{} / expected version {actual} (current)", c.name),
            &c.given,
            expecting(c.when.clone(), actual),
            c.then.clone(),
        ));
        cases.push(case(
            format!("{} / expected version {} (ahead)", c.name, actual + 1),
            &c.given,
            expecting(c.when.clone(), actual + 1),
            conflict(stream, actual + 1, actual),
        ));
        if actual > 0 {
            cases.push(case(
                format!("{} / expected version {} (stale)", c.name, actual - 1),
                &c.given,
                expecting(c.when.clone(), actual - 1),
                conflict(stream, actual - 1, actual),
            ));
        }
    }
    assert!(cases.len() > 300, "only {} version cases", cases.len());
    check_all(cases);
}

/// The version check comes before every other check but the unknown-id check of routing:
/// a stale command is a conflict even when it would be refused otherwise.
#[test]
fn version_conflict_comes_before_other_refusals() {
    use crate::support::fx::*;
    use okr_core::{EntityKind, StreamId};
    check_all(vec![
        case(
            "stale and unauthorized",
            &planning(),
            expecting(cmd(OBSERVER, t_plan(), b::commit(OBJ_A)), 2),
            conflict(StreamId::Cycle(CYCLE), 2, 4),
        ),
        case(
            "stale and in the wrong phase",
            &running(),
            expecting(
                cmd(MEMBER_A, t_week(), b::draft(CYCLE, OBJ_A2, UNIT_A, "X")),
                4,
            ),
            conflict(StreamId::Cycle(CYCLE), 4, 5),
        ),
        case(
            "unknown id comes first",
            &planning(),
            expecting(cmd(LEAD_A, t_plan(), b::commit(NO_OBJ)), 99),
            unknown(EntityKind::Objective, NO_OBJ),
        ),
        case(
            "organisation commands check the organisation stream",
            &planning(),
            expecting(cmd(MASTER, t_plan(), b::register(NEWCOMER, "Nora")), 4),
            conflict(StreamId::Organisation, 4, ORG_VERSION),
        ),
    ]);
}
