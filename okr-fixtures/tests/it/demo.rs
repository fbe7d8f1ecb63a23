//! The demo history: its organisation set-up, the event payloads it produces and the
//! statistics over it.

use okr_core::stats::{stats, StatsOptions};
use okr_core::{decide, execute, EventBody, Role, State};
use okr_fixtures::demo::{Demo, Organisation, COMMUNES, DEMO_ID_BASE};
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
    assert_eq!(names, COMMUNES);
    let role = |unit, person| state.units[&unit].members.get(&person).copied();
    assert!(role(org.federation, org.master).is_some_and(|r| r.contains(&Role::OkrMaster)));
    assert!(role(org.federation, org.project_lead).is_some_and(|r| r.contains(&Role::Lead)));
    assert!(role(org.steering, org.chair).is_some_and(|r| r.contains(&Role::Steering)));
    for c in &org.communes {
        assert_eq!(&*state.units[&c.unit].name, c.name);
        assert_eq!(state.units[&c.unit].parent, Some(org.federation));
        assert!(role(c.unit, c.lead).is_some_and(|r| r.contains(&Role::Lead)));
        assert!(role(c.unit, c.member).is_some_and(|r| r.contains(&Role::Member)));
    }
}

#[test]
fn cross_cycle_statistics_of_the_demo() {
    let state = Demo::build().state;
    let s = stats(&state, &StatsOptions::default());
    assert_eq!(
        s.cycles.len(),
        6,
        "six closed regular quarters, practice sprints left out"
    );
    let discipline = s.overall.check_in_discipline.unwrap();
    assert!(discipline > 0.8 && discipline < 1.0);
    let with_practice = stats(
        &state,
        &StatsOptions {
            include_practice: true,
            ..StatsOptions::default()
        },
    );
    assert_eq!(with_practice.cycles.len(), 8);
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
