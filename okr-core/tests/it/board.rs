//! The prioritised board (`okr_core::board`): given a cycle's initiatives, when the board of
//! a scope is asked for, then its columns, lanes and TOP-3.

use crate::support::fx::*;
use crate::support::*;
use okr_core::board::{board, Scope};
use okr_core::*;

const I3: InitiativeId = InitiativeId::from_u128(0x802);
const I4: InitiativeId = InitiativeId::from_u128(0x803);
const I5: InitiativeId = InitiativeId::from_u128(0x804);

/// CYCLE running with OBJ_A (KR_A) of commune A and OBJ_B (KR_B) of commune B, and
/// initiatives: on KR_A "Form" 2/4 doing, "Chatbot" 5/5, "FAQ" 1/3 done, "Flyer" 1/1; on
/// KR_B "Calendar" 2/5.
fn given() -> State {
    let at = t_week();
    let add = |kr, id, title: &str, effort, impact| CommandBody::AddInitiative {
        key_result: kr,
        initiative: id,
        title: title.into(),
        effort,
        impact,
    };
    let events = cycle_full(
        Phase::Running,
        |w| {
            w.step(MEMBER_B, t_plan(), b::draft(CYCLE, OBJ_B, UNIT_B, "B's"))
                .step(
                    MEMBER_B,
                    t_plan(),
                    b::add_kr(OBJ_B, KR_B, "KR B", b::increase(Some(0.0), 3.0)),
                )
                .step(PROJECT_LEAD, t_plan(), b::commit(OBJ_B));
        },
        |w| {
            w.step(MEMBER_A, at, add(KR_A, INITIATIVE, "Form", 2, 4))
                .step(MEMBER_A, at, add(KR_A, INITIATIVE2, "Chatbot", 5, 5))
                .step(MEMBER_A, at, add(KR_A, I3, "FAQ", 1, 3))
                .step(MEMBER_A, at, add(KR_A, I4, "Flyer", 1, 1))
                .step(MEMBER_B, at, add(KR_B, I5, "Calendar", 2, 5))
                .step(
                    MEMBER_A,
                    at,
                    b::move_initiative(INITIATIVE, InitiativeStatus::Doing),
                )
                .step(MEMBER_A, at, b::move_initiative(I3, InitiativeStatus::Done));
        },
    );
    State::from_events(&events)
}

fn titles(cards: &[board::Card]) -> Vec<&str> {
    cards.iter().map(|c| c.title.as_str()).collect()
}

#[test]
fn the_board_ranks_each_column_by_impact_over_effort_and_names_the_top3() {
    let s = given();
    /// Name, scope, TOP-3, to do, doing, done.
    type BoardCase<'a> = (
        &'a str,
        Scope,
        &'a [&'a str],
        &'a [&'a str],
        &'a [&'a str],
        &'a [&'a str],
    );
    let cases: &[BoardCase] = &[
        (
            "the whole cycle",
            Scope::Cycle,
            &["Calendar", "Form", "Chatbot"],
            &["Calendar", "Chatbot", "Flyer"],
            &["Form"],
            &["FAQ"],
        ),
        (
            "commune A",
            Scope::Unit(UNIT_A),
            &["Form", "Chatbot", "Flyer"],
            &["Chatbot", "Flyer"],
            &["Form"],
            &["FAQ"],
        ),
        (
            "the root unit and the units below it",
            Scope::Unit(ROOT),
            &["Calendar", "Form", "Chatbot"],
            &["Calendar", "Chatbot", "Flyer"],
            &["Form"],
            &["FAQ"],
        ),
        (
            "objective B",
            Scope::Objective(OBJ_B),
            &["Calendar"],
            &["Calendar"],
            &[],
            &[],
        ),
        (
            "key result A",
            Scope::KeyResult(KR_A),
            &["Form", "Chatbot", "Flyer"],
            &["Chatbot", "Flyer"],
            &["Form"],
            &["FAQ"],
        ),
    ];
    for (name, scope, top3, todo, doing, done) in cases {
        let b = board(&s, CYCLE, *scope).unwrap_or_else(|r| panic!("{name}: {r}"));
        assert_eq!(b.scope, *scope, "{name}");
        assert_eq!(titles(&b.top3), *top3, "{name}: top3");
        assert_eq!(titles(&b.columns.todo), *todo, "{name}: todo");
        assert_eq!(titles(&b.columns.doing), *doing, "{name}: doing");
        assert_eq!(titles(&b.columns.done), *done, "{name}: done");
        // Every lane holds exactly the cards of the level below it.
        for u in &b.units {
            let n: usize = u.objectives.iter().map(|o| o.columns.cards().count()).sum();
            assert_eq!(u.columns.cards().count(), n, "{name}: unit {}", u.name);
            for o in &u.objectives {
                let n: usize = o
                    .key_results
                    .iter()
                    .map(|k| k.columns.cards().count())
                    .sum();
                assert_eq!(
                    o.columns.cards().count(),
                    n,
                    "{name}: objective {}",
                    o.title
                );
            }
        }
    }
    let b = board(&s, CYCLE, Scope::Cycle).unwrap();
    let names: Vec<&str> = b.units.iter().map(|u| u.name.as_str()).collect();
    assert_eq!(
        names,
        ["Commune A", "Commune B"],
        "tree order, units with objectives"
    );
    assert_eq!(b.columns.todo[0].priority, 2_500);
    assert_eq!(b.columns.todo[0].unit, UNIT_B);
}

#[test]
fn a_dropped_objective_leaves_the_board_and_unknown_scopes_are_refused() {
    let mut s = given();
    execute(
        &mut s,
        &cmd(PROJECT_LEAD, t_week(), b::drop_obj(OBJ_B, Some("merged"))),
    )
    .unwrap();
    let b = board(&s, CYCLE, Scope::Cycle).unwrap();
    assert_eq!(titles(&b.top3), ["Form", "Chatbot", "Flyer"]);
    assert!(b.units.iter().all(|u| u.unit != UNIT_B));
    for (scope, kind, id) in [
        (Scope::Unit(NO_UNIT), EntityKind::Unit, NO_UNIT.0),
        (Scope::Objective(NO_OBJ), EntityKind::Objective, NO_OBJ.0),
        (Scope::KeyResult(NO_KR), EntityKind::KeyResult, NO_KR.0),
    ] {
        assert_eq!(
            board(&s, CYCLE, scope),
            Err(Rejection::UnknownId {
                kind,
                id: id.to_string().into()
            })
        );
    }
    assert!(matches!(
        board(&s, NO_CYCLE, Scope::Cycle),
        Err(Rejection::UnknownId {
            kind: EntityKind::Cycle,
            ..
        })
    ));
}
