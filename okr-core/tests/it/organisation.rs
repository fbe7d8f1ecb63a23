//! Units, people, memberships, and the setup mode.

use crate::support::fx::*;
use crate::support::*;
use okr_core::{CommandBody, EntityKind, EventBody, Role, Rule, StreamId, UnitKind};

/// Every case of this module.
pub fn cases() -> Vec<Case> {
    let mut all = Vec::new();
    all.extend(define_unit_cases());
    all.extend(rename_unit_cases());
    all.extend(move_unit_cases());
    all.extend(retire_unit_cases());
    all.extend(register_person_cases());
    all.extend(forget_person_cases());
    all.extend(grant_membership_cases());
    all.extend(revoke_membership_cases());
    all.extend(setup_mode_cases());
    all
}

/// The organisation with TEAM_A1 below commune A.
fn org_with_team() -> Vec<Event> {
    after(
        &org(),
        vec![(
            MASTER,
            t_setup(),
            b::define_unit(TEAM_A1, "Team A1", UnitKind::Team, Some(UNIT_A)),
        )],
    )
}

/// The organisation with commune B retired.
fn org_b_retired() -> Vec<Event> {
    after(
        &org(),
        vec![(MASTER, t_setup(), CommandBody::RetireUnit { unit: UNIT_B })],
    )
}

fn unit_defined(
    unit: okr_core::UnitId,
    name: &str,
    kind: UnitKind,
    parent: Option<okr_core::UnitId>,
) -> EventBody {
    EventBody::UnitDefined {
        unit,
        name: name.into(),
        kind,
        parent,
    }
}

use okr_core::Event;

fn define_unit_cases() -> Vec<Case> {
    let at = t_setup();
    let org = org();
    let team = |parent| b::define_unit(NEW_UNIT, "Team", UnitKind::Team, Some(parent));
    vec![
        case(
            "root of an empty organisation, by anybody, name trimmed",
            &[],
            cmd(
                STRANGER,
                at,
                b::define_unit(ROOT, "  Federation ", UnitKind::Organisation, None),
            ),
            event(unit_defined(
                ROOT,
                "Federation",
                UnitKind::Organisation,
                None,
            )),
        ),
        case(
            "child by the OkrMaster",
            &org,
            cmd(MASTER, at, team(UNIT_A)),
            event(unit_defined(NEW_UNIT, "Team", UnitKind::Team, Some(UNIT_A))),
        ),
        case(
            "child by the parent's Lead",
            &org,
            cmd(LEAD_A, at, team(UNIT_A)),
            event(unit_defined(NEW_UNIT, "Team", UnitKind::Team, Some(UNIT_A))),
        ),
        case(
            "committee below the root",
            &org,
            cmd(
                MASTER,
                at,
                b::define_unit(NEW_UNIT, "Audit board", UnitKind::Committee, Some(ROOT)),
            ),
            event(unit_defined(
                NEW_UNIT,
                "Audit board",
                UnitKind::Committee,
                Some(ROOT),
            )),
        ),
        case(
            "second root unit",
            &org,
            cmd(
                MASTER,
                at,
                b::define_unit(NEW_UNIT, "Other", UnitKind::Organisation, None),
            ),
            rule_exact(
                Rule::SingleRoot,
                "the organisation has a root unit already; give a parent",
            ),
        ),
        case(
            "unit id taken by a unit",
            &org,
            cmd(
                MASTER,
                at,
                b::define_unit(UNIT_A, "Again", UnitKind::Team, Some(ROOT)),
            ),
            exists(EntityKind::Unit, UNIT_A),
        ),
        case(
            "unit id taken by a person",
            &org,
            cmd(
                MASTER,
                at,
                b::define_unit(
                    okr_core::UnitId(MEMBER_A.0),
                    "X",
                    UnitKind::Team,
                    Some(ROOT),
                ),
            ),
            exists(EntityKind::Person, MEMBER_A),
        ),
        case(
            "unknown parent",
            &org,
            cmd(MASTER, at, team(NO_UNIT)),
            unknown(EntityKind::Unit, NO_UNIT),
        ),
        case(
            "retired parent",
            &org_b_retired(),
            cmd(MASTER, at, team(UNIT_B)),
            rule_exact(
                Rule::UnitActive,
                format!("unit Commune B ({UNIT_B}) is retired"),
            ),
        ),
        case(
            "empty name",
            &org,
            cmd(
                MASTER,
                at,
                b::define_unit(NEW_UNIT, "   ", UnitKind::Team, Some(UNIT_A)),
            ),
            field_exact("name", "must not be empty"),
        ),
        case(
            "Lead of A below B",
            &org,
            cmd(LEAD_A, at, team(UNIT_B)),
            unauthorized(LEAD_A, "define unit", Some(UNIT_B)),
        ),
        case(
            "Member below their own unit",
            &org,
            cmd(MEMBER_A, at, team(UNIT_A)),
            unauthorized(MEMBER_A, "define unit", Some(UNIT_A)),
        ),
        case(
            "unregistered actor after setup",
            &org,
            cmd(STRANGER, at, team(ROOT)),
            unauthorized(STRANGER, "define unit", Some(ROOT)),
        ),
        case(
            "stale organisation version",
            &org,
            expecting(cmd(MASTER, at, team(UNIT_A)), ORG_VERSION - 1),
            conflict(StreamId::Organisation, ORG_VERSION - 1, ORG_VERSION),
        ),
        case(
            "current organisation version",
            &org,
            expecting(cmd(MASTER, at, team(UNIT_A)), ORG_VERSION),
            event(unit_defined(NEW_UNIT, "Team", UnitKind::Team, Some(UNIT_A))),
        ),
    ]
}

#[test]
fn define_unit() {
    check_all(define_unit_cases());
}

fn rename_unit_cases() -> Vec<Case> {
    let at = t_setup();
    let org = org();
    let rename = |unit, name: &str| CommandBody::RenameUnit {
        unit,
        name: name.into(),
    };
    vec![
        case(
            "by the OkrMaster, trimmed",
            &org,
            cmd(MASTER, at, rename(UNIT_A, " Commune Alpha ")),
            event(EventBody::UnitRenamed {
                unit: UNIT_A,
                name: "Commune Alpha".into(),
            }),
        ),
        case(
            "by the unit's Lead",
            &org,
            cmd(LEAD_A, at, rename(UNIT_A, "Alpha")),
            event(EventBody::UnitRenamed {
                unit: UNIT_A,
                name: "Alpha".into(),
            }),
        ),
        case(
            "by a Member",
            &org,
            cmd(MEMBER_A, at, rename(UNIT_A, "Alpha")),
            unauthorized(MEMBER_A, "rename unit", Some(UNIT_A)),
        ),
        case(
            "by the Lead of another unit",
            &org,
            cmd(LEAD_A, at, rename(UNIT_B, "Beta")),
            unauthorized(LEAD_A, "rename unit", Some(UNIT_B)),
        ),
        case(
            "unknown unit",
            &org,
            cmd(MASTER, at, rename(NO_UNIT, "X")),
            unknown(EntityKind::Unit, NO_UNIT),
        ),
        case(
            "empty name",
            &org,
            cmd(MASTER, at, rename(UNIT_A, " ")),
            field_exact("name", "must not be empty"),
        ),
    ]
}

#[test]
fn rename_unit() {
    check_all(rename_unit_cases());
}

fn move_unit_cases() -> Vec<Case> {
    let at = t_setup();
    let given = org_with_team();
    let mv = |unit, parent| CommandBody::MoveUnit { unit, parent };
    let retired_b = after(
        &given,
        vec![(MASTER, at, CommandBody::RetireUnit { unit: UNIT_B })],
    );
    vec![
        case(
            "team from A to B by the OkrMaster",
            &given,
            cmd(MASTER, at, mv(TEAM_A1, UNIT_B)),
            event(EventBody::UnitMoved {
                unit: TEAM_A1,
                parent: UNIT_B,
            }),
        ),
        case(
            "below its own child",
            &given,
            cmd(MASTER, at, mv(UNIT_A, TEAM_A1)),
            rule_exact(
                Rule::UnitTreeAcyclic,
                format!(
                    "unit Commune A ({UNIT_A}) cannot move below Team A1 ({TEAM_A1}): Team A1 ({TEAM_A1}) → Commune A ({UNIT_A}) lies below it"
                ),
            ),
        ),
        case(
            "the root below a grandchild",
            &given,
            cmd(MASTER, at, mv(ROOT, TEAM_A1)),
            rule(
                Rule::UnitTreeAcyclic,
                format!("Team A1 ({TEAM_A1}) → Commune A ({UNIT_A}) → Federation ({ROOT})"),
            ),
        ),
        case(
            "below itself",
            &given,
            cmd(MASTER, at, mv(UNIT_A, UNIT_A)),
            rule(Rule::UnitTreeAcyclic, ""),
        ),
        case(
            "Lead of A moves A's team to B",
            &given,
            cmd(LEAD_A, at, mv(TEAM_A1, UNIT_B)),
            unauthorized(LEAD_A, "move unit", Some(UNIT_B)),
        ),
        case(
            "Member moves a unit",
            &given,
            cmd(MEMBER_B, at, mv(TEAM_A1, UNIT_B)),
            unauthorized(MEMBER_B, "move unit", Some(TEAM_A1)),
        ),
        case(
            "unknown unit",
            &given,
            cmd(MASTER, at, mv(NO_UNIT, UNIT_B)),
            unknown(EntityKind::Unit, NO_UNIT),
        ),
        case(
            "unknown parent",
            &given,
            cmd(MASTER, at, mv(TEAM_A1, NO_UNIT)),
            unknown(EntityKind::Unit, NO_UNIT),
        ),
        case(
            "retired parent",
            &retired_b,
            cmd(MASTER, at, mv(TEAM_A1, UNIT_B)),
            rule(Rule::UnitActive, "is retired"),
        ),
    ]
}

#[test]
fn move_unit() {
    check_all(move_unit_cases());
}

fn retire_unit_cases() -> Vec<Case> {
    let at = t_setup();
    let org = org();
    let retire = |unit| CommandBody::RetireUnit { unit };
    vec![
        case(
            "by the OkrMaster",
            &org,
            cmd(MASTER, at, retire(UNIT_B)),
            event(EventBody::UnitRetired { unit: UNIT_B }),
        ),
        case(
            "by the unit's Lead",
            &org,
            cmd(LEAD_A, at, retire(UNIT_A)),
            event(EventBody::UnitRetired { unit: UNIT_A }),
        ),
        case(
            "twice",
            &org_b_retired(),
            cmd(MASTER, at, retire(UNIT_B)),
            rule_exact(
                Rule::UnitActive,
                format!("unit {UNIT_B} is retired already"),
            ),
        ),
        case(
            "by a Member",
            &org,
            cmd(MEMBER_B, at, retire(UNIT_B)),
            unauthorized(MEMBER_B, "retire unit", Some(UNIT_B)),
        ),
        case(
            "unknown unit",
            &org,
            cmd(MASTER, at, retire(NO_UNIT)),
            unknown(EntityKind::Unit, NO_UNIT),
        ),
    ]
}

#[test]
fn retire_unit() {
    check_all(retire_unit_cases());
}

fn register_person_cases() -> Vec<Case> {
    let at = t_setup();
    let org = org();
    let registered = |name: &str| {
        event(EventBody::PersonRegistered {
            person: NEWCOMER,
            name: name.into(),
        })
    };
    vec![
        case(
            "by the OkrMaster, trimmed",
            &org,
            cmd(MASTER, at, b::register(NEWCOMER, "  Nora New ")),
            registered("Nora New"),
        ),
        case(
            "by a Lead",
            &org,
            cmd(LEAD_A, at, b::register(NEWCOMER, "Nora New")),
            registered("Nora New"),
        ),
        case(
            "by a Member",
            &org,
            cmd(MEMBER_A, at, b::register(NEWCOMER, "Nora New")),
            unauthorized(MEMBER_A, "register person", Some(ROOT)),
        ),
        case(
            "by a registered person without roles",
            &org,
            cmd(OUTSIDER, at, b::register(NEWCOMER, "Nora New")),
            unauthorized(OUTSIDER, "register person", Some(ROOT)),
        ),
        case(
            "person registered already",
            &org,
            cmd(MASTER, at, b::register(MEMBER_A, "Anton again")),
            exists(EntityKind::Person, MEMBER_A),
        ),
        case(
            "id taken by a unit",
            &org,
            cmd(MASTER, at, b::register(okr_core::PersonId(UNIT_A.0), "X")),
            exists(EntityKind::Unit, UNIT_A),
        ),
        case(
            "empty name",
            &org,
            cmd(MASTER, at, b::register(NEWCOMER, "")),
            field_exact("name", "must not be empty"),
        ),
    ]
}

#[test]
fn register_person() {
    check_all(register_person_cases());
}

fn forget(person: okr_core::PersonId, reason: &str) -> CommandBody {
    CommandBody::ForgetPerson {
        person,
        reason: reason.into(),
    }
}

fn forget_person_cases() -> Vec<Case> {
    let at = t_setup();
    let org = org();
    let forgotten = after(
        &org,
        vec![(MASTER, at, forget(MEMBER_A, "Antrag auf Löschung"))],
    );
    vec![
        case(
            "by the OkrMaster, reason trimmed",
            &org,
            cmd(MASTER, at, forget(MEMBER_A, "  Antrag auf Löschung ")),
            event(EventBody::PersonForgotten {
                person: MEMBER_A,
                reason: "Antrag auf Löschung".into(),
            }),
        ),
        case(
            "a person without roles",
            &org,
            cmd(MASTER, at, forget(OUTSIDER, "left before the first cycle")),
            event(EventBody::PersonForgotten {
                person: OUTSIDER,
                reason: "left before the first cycle".into(),
            }),
        ),
        case(
            "by a Lead, who administers but does not erase",
            &org,
            cmd(LEAD_A, at, forget(MEMBER_A, "Antrag")),
            unauthorized(LEAD_A, "forget person", Some(ROOT)),
        ),
        case(
            "by the person themselves, a Member",
            &org,
            cmd(MEMBER_A, at, forget(MEMBER_A, "Antrag")),
            unauthorized(MEMBER_A, "forget person", Some(ROOT)),
        ),
        case(
            "unknown person",
            &org,
            cmd(MASTER, at, forget(NEWCOMER, "Antrag")),
            field_exact("person", format!("unknown person {NEWCOMER}")),
        ),
        case(
            "empty reason",
            &org,
            cmd(MASTER, at, forget(MEMBER_A, "  ")),
            field_exact("reason", "must not be empty"),
        ),
        case(
            "forgotten already",
            &forgotten,
            cmd(MASTER, at, forget(MEMBER_A, "again")),
            rule_exact(
                Rule::Forgotten,
                format!("ehemaliges Mitglied 3 ({MEMBER_A}) was forgotten already"),
            ),
        ),
        case(
            "a forgotten person gives no more commands",
            &forgotten,
            cmd(MEMBER_A, at, b::register(NEWCOMER, "Nora New")),
            rule(Rule::Forgotten, "gives no more commands"),
        ),
    ]
}

#[test]
fn forget_person() {
    check_all(forget_person_cases());
}

/// The pseudonym is the registration number, so it is the same however often the state is
/// folded, and a later registration does not move it.
#[test]
fn a_forgotten_person_keeps_a_stable_pseudonym() {
    let at = t_setup();
    let events = after(
        &org(),
        vec![
            (MASTER, at, forget(MEMBER_A, "Antrag")),
            (MASTER, at, b::register(NEWCOMER, "Nora New")),
        ],
    );
    let state = okr_core::State::from_events(&events);
    let p = &state.people[&MEMBER_A];
    assert!(p.forgotten);
    assert_eq!(&*p.name, okr_core::pseudonym(p.number));
    let numbers: Vec<u32> = state.people.values().map(|p| p.number).collect();
    let mut sorted = numbers.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(
        sorted.len(),
        numbers.len(),
        "every person has their own number"
    );
    assert_eq!(state.people[&NEWCOMER].number as usize, numbers.len());
}

fn grant_membership_cases() -> Vec<Case> {
    let at = t_setup();
    let org = org();
    let granted = |unit, person, role| event(EventBody::MembershipGranted { unit, person, role });
    vec![
        case(
            "Member by the OkrMaster",
            &org,
            cmd(MASTER, at, b::grant(UNIT_B, OUTSIDER, Role::Member)),
            granted(UNIT_B, OUTSIDER, Role::Member),
        ),
        case(
            "Steering by the OkrMaster",
            &org,
            cmd(MASTER, at, b::grant(COMMITTEE, OUTSIDER, Role::Steering)),
            granted(COMMITTEE, OUTSIDER, Role::Steering),
        ),
        case(
            "a second role to a member",
            &org,
            cmd(MASTER, at, b::grant(UNIT_A, MEMBER_A, Role::Lead)),
            granted(UNIT_A, MEMBER_A, Role::Lead),
        ),
        case(
            "Member in A by A's Lead",
            &org,
            cmd(LEAD_A, at, b::grant(UNIT_A, OUTSIDER, Role::Member)),
            granted(UNIT_A, OUTSIDER, Role::Member),
        ),
        case(
            "Observer in A by A's Lead",
            &org,
            cmd(LEAD_A, at, b::grant(UNIT_A, OUTSIDER, Role::Observer)),
            granted(UNIT_A, OUTSIDER, Role::Observer),
        ),
        case(
            "Lead in A by A's Lead",
            &org,
            cmd(LEAD_A, at, b::grant(UNIT_A, OUTSIDER, Role::Lead)),
            unauthorized(LEAD_A, "grant membership", Some(UNIT_A)),
        ),
        case(
            "OkrMaster by A's Lead",
            &org,
            cmd(LEAD_A, at, b::grant(UNIT_A, OUTSIDER, Role::OkrMaster)),
            unauthorized(LEAD_A, "grant membership", Some(UNIT_A)),
        ),
        case(
            "Member in B by A's Lead",
            &org,
            cmd(LEAD_A, at, b::grant(UNIT_B, OUTSIDER, Role::Member)),
            unauthorized(LEAD_A, "grant membership", Some(UNIT_B)),
        ),
        case(
            "Member in A by a Member",
            &org,
            cmd(MEMBER_A, at, b::grant(UNIT_A, OUTSIDER, Role::Member)),
            unauthorized(MEMBER_A, "grant membership", Some(UNIT_A)),
        ),
        case(
            "role held already",
            &org,
            cmd(MASTER, at, b::grant(UNIT_A, MEMBER_A, Role::Member)),
            exists(
                EntityKind::Membership,
                format!("member of {MEMBER_A} in {UNIT_A}"),
            ),
        ),
        case(
            "unknown unit",
            &org,
            cmd(MASTER, at, b::grant(NO_UNIT, OUTSIDER, Role::Member)),
            unknown(EntityKind::Unit, NO_UNIT),
        ),
        case(
            "unregistered person",
            &org,
            cmd(MASTER, at, b::grant(UNIT_A, STRANGER, Role::Member)),
            field_exact("person", format!("unknown person {STRANGER}")),
        ),
        case(
            "retired unit",
            &org_b_retired(),
            cmd(MASTER, at, b::grant(UNIT_B, OUTSIDER, Role::Member)),
            rule_exact(
                Rule::UnitActive,
                format!("unit Commune B ({UNIT_B}) is retired"),
            ),
        ),
    ]
}

#[test]
fn grant_membership() {
    check_all(grant_membership_cases());
}

fn revoke_membership_cases() -> Vec<Case> {
    let at = t_setup();
    let org = org();
    let revoked = |unit, person, role| event(EventBody::MembershipRevoked { unit, person, role });
    vec![
        case(
            "Member by the OkrMaster",
            &org,
            cmd(MASTER, at, b::revoke(UNIT_B, MEMBER_B, Role::Member)),
            revoked(UNIT_B, MEMBER_B, Role::Member),
        ),
        case(
            "Member of A by A's Lead",
            &org,
            cmd(LEAD_A, at, b::revoke(UNIT_A, MEMBER_A, Role::Member)),
            revoked(UNIT_A, MEMBER_A, Role::Member),
        ),
        case(
            "Steering by A's Lead",
            &org,
            cmd(LEAD_A, at, b::revoke(COMMITTEE, STEERING, Role::Steering)),
            unauthorized(LEAD_A, "revoke membership", Some(COMMITTEE)),
        ),
        case(
            "own Lead role by A's Lead",
            &org,
            cmd(LEAD_A, at, b::revoke(UNIT_A, LEAD_A, Role::Lead)),
            unauthorized(LEAD_A, "revoke membership", Some(UNIT_A)),
        ),
        case(
            "role not held",
            &org,
            cmd(MASTER, at, b::revoke(UNIT_A, MEMBER_A, Role::Lead)),
            unknown(
                EntityKind::Membership,
                format!("lead of {MEMBER_A} in {UNIT_A}"),
            ),
        ),
        case(
            "unknown unit",
            &org,
            cmd(MASTER, at, b::revoke(NO_UNIT, MEMBER_A, Role::Member)),
            unknown(EntityKind::Unit, NO_UNIT),
        ),
        case(
            "the last OkrMaster's role (set-up would open again)",
            &org,
            cmd(MASTER, at, b::revoke(ROOT, MASTER, Role::OkrMaster)),
            rule(Rule::KeepOneOkrMaster, "last OkrMaster"),
        ),
    ]
}

#[test]
fn revoke_membership() {
    check_all(revoke_membership_cases());
}

/// Before anybody holds the OkrMaster role, anybody (even unregistered) may administer the
/// organisation; afterwards an unregistered actor is refused.
fn setup_mode_cases() -> Vec<Case> {
    let at = t_setup();
    let setting_up = World::new()
        .then(
            STRANGER,
            at,
            b::define_unit(ROOT, "Federation", UnitKind::Organisation, None),
        )
        .then(
            STRANGER,
            at,
            b::define_unit(UNIT_A, "Commune A", UnitKind::Organisation, Some(ROOT)),
        )
        .then(STRANGER, at, b::register(MASTER, "Mara Master"))
        .then(STRANGER, at, b::register(OUTSIDER, "Otto Outsider"))
        .then(STRANGER, at, b::grant(UNIT_A, OUTSIDER, Role::Lead))
        .events();
    let set_up = after(
        &setting_up,
        vec![(STRANGER, at, b::grant(ROOT, MASTER, Role::OkrMaster))],
    );
    let define = b::define_unit(NEW_UNIT, "Team", UnitKind::Team, Some(UNIT_A));
    vec![
        case(
            "setting up (a Lead exists, no OkrMaster): stranger defines a unit",
            &setting_up,
            cmd(STRANGER, at, define.clone()),
            event(unit_defined(NEW_UNIT, "Team", UnitKind::Team, Some(UNIT_A))),
        ),
        case(
            "setting up: stranger registers a person",
            &setting_up,
            cmd(STRANGER, at, b::register(NEWCOMER, "Nora")),
            event(EventBody::PersonRegistered {
                person: NEWCOMER,
                name: "Nora".into(),
            }),
        ),
        case(
            "setting up: stranger grants the first OkrMaster",
            &setting_up,
            cmd(STRANGER, at, b::grant(ROOT, MASTER, Role::OkrMaster)),
            event(EventBody::MembershipGranted {
                unit: ROOT,
                person: MASTER,
                role: Role::OkrMaster,
            }),
        ),
        case(
            "setting up: stranger renames a unit",
            &setting_up,
            cmd(
                STRANGER,
                at,
                CommandBody::RenameUnit {
                    unit: UNIT_A,
                    name: "Alpha".into(),
                },
            ),
            event(EventBody::UnitRenamed {
                unit: UNIT_A,
                name: "Alpha".into(),
            }),
        ),
        case(
            "set up: stranger defines a unit",
            &set_up,
            cmd(STRANGER, at, define.clone()),
            unauthorized(STRANGER, "define unit", Some(UNIT_A)),
        ),
        case(
            "set up: stranger registers a person",
            &set_up,
            cmd(STRANGER, at, b::register(NEWCOMER, "Nora")),
            unauthorized(STRANGER, "register person", Some(ROOT)),
        ),
        case(
            "set up: stranger grants a role",
            &set_up,
            cmd(STRANGER, at, b::grant(UNIT_A, MASTER, Role::Member)),
            unauthorized(STRANGER, "grant membership", Some(UNIT_A)),
        ),
        case(
            "set up: the OkrMaster defines a unit",
            &set_up,
            cmd(MASTER, at, define),
            event(unit_defined(NEW_UNIT, "Team", UnitKind::Team, Some(UNIT_A))),
        ),
        case(
            "setting up: nobody but an OkrMaster plans a cycle",
            &setting_up,
            cmd(
                STRANGER,
                at,
                b::plan(
                    NEW_CYCLE,
                    "2025-Q1",
                    okr_core::CycleKind::Regular,
                    start(),
                    end(),
                ),
            ),
            unauthorized(STRANGER, "plan cycle", Some(ROOT)),
        ),
    ]
}

#[test]
fn setup_mode() {
    check_all(setup_mode_cases());
}

/// The fixture's organisation stream has the expected number of events.
#[test]
fn organisation_fixture_version() {
    let s = okr_core::State::from_events(&org());
    assert_eq!(s.stream_version(StreamId::Organisation), ORG_VERSION);
    assert_eq!(s.units.len(), 4);
    assert_eq!(s.people.len(), 8);
}
