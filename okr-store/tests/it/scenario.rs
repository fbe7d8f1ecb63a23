//! A small but complete OKR cycle as a list of commands with fixed ids and times: an
//! organisation with two teams and a steering committee, a quarter through planning, four
//! weekly check-ins with an agreement and an escalated blocker, review with an overridden
//! score, retrospective and close. The engine tests and the v1 fixture log are built from it.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc, Weekday};
use okr_core::{
    AgreementId, AgreementOutcome, BlockerId, Command, CommandBody, CycleId, CycleKind,
    InitiativeId, KeyResultId, KrKind, ObjectiveId, ObjectiveKind, PersonId, RetroActionId,
    RetroItemId, RetroKind, Role, UnitId, UnitKind,
};
use uuid::Uuid;

/// The ids of the scenario and its commands.
pub struct Scenario {
    pub root: UnitId,
    pub teams: [UnitId; 2],
    pub steering: UnitId,
    pub master: PersonId,
    pub leads: [PersonId; 2],
    pub members: [PersonId; 2],
    pub mayor: PersonId,
    pub cycle: CycleId,
    /// Objective of team 0 (committed) and team 1 (aspirational, aligned to the first).
    pub objectives: [ObjectiveId; 2],
    /// Booking share (10 → 50 %), days to certificate (12 → 5), rating (3.2 → 4.0 stars).
    pub krs: [KeyResultId; 3],
    pub commands: Vec<Command>,
    /// How many commands lead up to and include the check-ins of week 2.
    pub mid: usize,
    /// When the check-ins of week 2 were given.
    pub mid_time: DateTime<Utc>,
}

pub fn day(d: &str, hour: u32) -> DateTime<Utc> {
    let d: NaiveDate = d.parse().unwrap();
    Utc.from_utc_datetime(&d.and_hms_opt(hour, 0, 0).unwrap())
}

/// Builds commands with consecutive command ids.
pub struct Script {
    pub commands: Vec<Command>,
    base: u128,
}

impl Script {
    pub fn new(base: u128) -> Self {
        Script {
            commands: Vec::new(),
            base,
        }
    }

    pub fn command(&mut self, actor: PersonId, at: DateTime<Utc>, body: CommandBody) -> Command {
        let n = self.commands.len() as u128;
        let command = Command::new(Uuid::from_u128(self.base + n), actor, at, body);
        self.commands.push(command.clone());
        command
    }
}

pub fn scenario() -> Scenario {
    let root = UnitId::from_u128(0x100);
    let teams = [UnitId::from_u128(0x101), UnitId::from_u128(0x102)];
    let steering = UnitId::from_u128(0x103);
    let master = PersonId::from_u128(0x200);
    let leads = [PersonId::from_u128(0x201), PersonId::from_u128(0x202)];
    let members = [PersonId::from_u128(0x203), PersonId::from_u128(0x204)];
    let mayor = PersonId::from_u128(0x205);
    let cycle = CycleId::from_u128(0x300);
    let objectives = [ObjectiveId::from_u128(0x400), ObjectiveId::from_u128(0x401)];
    let krs = [
        KeyResultId::from_u128(0x500),
        KeyResultId::from_u128(0x501),
        KeyResultId::from_u128(0x502),
    ];
    let agreement = AgreementId::from_u128(0x600);
    let blocker = BlockerId::from_u128(0x700);
    let initiative = InitiativeId::from_u128(0x800);
    let item = RetroItemId::from_u128(0x900);
    let action = RetroActionId::from_u128(0x901);

    let mut s = Script::new(0xC0_0000);
    let t0 = day("2025-03-17", 9);
    use CommandBody::*;

    // Organisation.
    s.command(
        master,
        t0,
        DefineUnit {
            unit: root,
            name: "Interkommunale Digitalisierung".into(),
            kind: UnitKind::Organisation,
            parent: None,
        },
    );
    s.command(
        master,
        t0,
        RegisterPerson {
            person: master,
            name: "OKR Master".into(),
        },
    );
    s.command(
        master,
        t0,
        GrantMembership {
            unit: root,
            person: master,
            role: Role::OkrMaster,
        },
    );
    for (i, (name, team)) in ["Bürgerbüro", "Webredaktion"].iter().zip(teams).enumerate() {
        s.command(
            master,
            t0,
            DefineUnit {
                unit: team,
                name: (*name).into(),
                kind: UnitKind::Team,
                parent: Some(root),
            },
        );
        s.command(
            master,
            t0,
            RegisterPerson {
                person: leads[i],
                name: format!("Lead {name}"),
            },
        );
        s.command(
            master,
            t0,
            RegisterPerson {
                person: members[i],
                name: format!("Team {name}"),
            },
        );
        s.command(
            master,
            t0,
            GrantMembership {
                unit: team,
                person: leads[i],
                role: Role::Lead,
            },
        );
        s.command(
            master,
            t0,
            GrantMembership {
                unit: team,
                person: members[i],
                role: Role::Member,
            },
        );
    }
    s.command(
        master,
        t0,
        DefineUnit {
            unit: steering,
            name: "Lenkungsausschuss".into(),
            kind: UnitKind::Committee,
            parent: Some(root),
        },
    );
    s.command(
        master,
        t0,
        RegisterPerson {
            person: mayor,
            name: "Bürgermeisterin".into(),
        },
    );
    s.command(
        master,
        t0,
        GrantMembership {
            unit: steering,
            person: mayor,
            role: Role::Steering,
        },
    );

    // Planning.
    s.command(
        master,
        day("2025-03-18", 9),
        PlanCycle {
            cycle,
            name: "2025-Q2".into(),
            kind: CycleKind::Regular,
            start: "2025-04-01".parse().unwrap(),
            end: "2025-06-30".parse().unwrap(),
            check_in_weekday: Weekday::Tue,
            policy: None,
        },
    );
    let planning = day("2025-03-25", 10);
    s.command(
        members[0],
        planning,
        DraftObjective {
            cycle,
            objective: objectives[0],
            unit: teams[0],
            title: "Residents settle registration matters without a visit to the town hall".into(),
            beneficiary: Some("residents".into()),
            change: Some("they book and file online".into()),
            value: Some("no waiting room, faster certificates".into()),
            kind: ObjectiveKind::Committed,
            weight: 2,
        },
    );
    s.command(
        members[0],
        planning,
        AddKeyResult {
            objective: objectives[0],
            key_result: krs[0],
            title: "Appointments booked online".into(),
            kind: KrKind::Increase {
                baseline: Some(10.0),
                target: 50.0,
                unit: "%".into(),
            },
            weight: 1,
            owner: Some(members[0]),
        },
    );
    s.command(
        members[0],
        planning,
        AddKeyResult {
            objective: objectives[0],
            key_result: krs[1],
            title: "Days until a registration certificate arrives".into(),
            kind: KrKind::Decrease {
                baseline: Some(12.0),
                target: 5.0,
                unit: "days".into(),
            },
            weight: 1,
            owner: Some(members[0]),
        },
    );
    s.command(
        members[0],
        planning,
        AddInitiative {
            key_result: krs[0],
            initiative,
            title: "Online appointment calendar".into(),
            effort: 2,
            impact: 4,
        },
    );
    s.command(
        members[1],
        planning,
        DraftObjective {
            cycle,
            objective: objectives[1],
            unit: teams[1],
            title: "Residents find the right online service at the first attempt".into(),
            beneficiary: Some("residents".into()),
            change: Some("they search less and call less".into()),
            value: Some("time saved on both sides".into()),
            kind: ObjectiveKind::Aspirational,
            weight: 1,
        },
    );
    s.command(
        members[1],
        planning,
        AddKeyResult {
            objective: objectives[1],
            key_result: krs[2],
            title: "Rating of the online services".into(),
            kind: KrKind::Increase {
                baseline: Some(3.2),
                target: 4.0,
                unit: "stars".into(),
            },
            weight: 1,
            owner: Some(members[1]),
        },
    );
    s.command(
        members[1],
        planning,
        AlignObjective {
            objective: objectives[1],
            parent: objectives[0],
            contribution: 1,
        },
    );
    s.command(
        leads[0],
        planning,
        CommitObjective {
            objective: objectives[0],
        },
    );
    s.command(
        leads[1],
        planning,
        CommitObjective {
            objective: objectives[1],
        },
    );
    s.command(master, day("2025-04-01", 8), StartCycle { cycle });

    // Four weeklies.
    let mut mid = 0;
    let mut mid_time = t0;
    for week in 1..=4i64 {
        let at = day("2025-04-01", 9) + Duration::weeks(week);
        let w = week as f64;
        s.command(
            members[0],
            at,
            CheckIn {
                key_result: krs[0],
                value: 10.0 + 10.0 * w,
                confidence: 6 + week as u8,
                note: String::new(),
                effective_at: None,
            },
        );
        s.command(
            members[0],
            at,
            CheckIn {
                key_result: krs[1],
                value: 12.0 - w,
                confidence: 6,
                note: String::new(),
                effective_at: Some(at - Duration::hours(12)),
            },
        );
        s.command(
            members[1],
            at,
            CheckIn {
                key_result: krs[2],
                value: 3.2 + 0.1 * w,
                confidence: 5,
                note: "survey running".into(),
                effective_at: None,
            },
        );
        match week {
            2 => {
                mid = s.commands.len();
                mid_time = at;
                s.command(
                    members[0],
                    at,
                    MakeAgreement {
                        cycle,
                        agreement,
                        unit: teams[0],
                        text: "Publish the appointment form on the website".into(),
                        owner: Some(members[0]),
                        due: Some((at + Duration::weeks(1)).date_naive()),
                        weekly: None,
                        provider: None,
                        provides: None,
                        receiver: None,
                        consequence: None,
                    },
                );
            }
            3 => {
                s.command(
                    members[0],
                    at,
                    ResolveAgreement {
                        agreement,
                        outcome: AgreementOutcome::Kept,
                        weekly: None,
                    },
                );
                s.command(
                    members[1],
                    at,
                    RaiseBlocker {
                        cycle,
                        blocker,
                        unit: teams[1],
                        key_result: Some(krs[2]),
                        text: "The survey tool waits for data protection clearance".into(),
                    },
                );
                s.command(
                    leads[1],
                    at,
                    EscalateBlocker {
                        blocker,
                        to: steering,
                    },
                );
            }
            4 => {
                s.command(
                    mayor,
                    at,
                    DecideBlocker {
                        blocker,
                        decision: "Use the federation's joint data protection agreement".into(),
                    },
                );
            }
            _ => {}
        }
    }

    // Review, retrospective, close.
    s.command(
        master,
        day("2025-06-30", 14),
        BeginReview {
            cycle,
            early_reason: None,
        },
    );
    s.command(
        leads[1],
        day("2025-06-30", 15),
        OverrideScore {
            key_result: krs[2],
            score: 0.5,
            reason: "the survey had only 41 answers".into(),
        },
    );
    s.command(master, day("2025-06-30", 16), BeginRetrospective { cycle });
    s.command(
        members[1],
        day("2025-06-30", 16),
        AddRetroItem {
            cycle,
            item,
            kind: RetroKind::Improve,
            text: "Escalate blockers in the first week, not the third".into(),
        },
    );
    s.command(
        master,
        day("2025-06-30", 16),
        AddRetroAction {
            cycle,
            action,
            text: "Add a blocker round to every weekly".into(),
            owner: master,
            item: Some(item),
        },
    );
    s.command(master, day("2025-06-30", 17), CloseCycle { cycle });

    Scenario {
        root,
        teams,
        steering,
        master,
        leads,
        members,
        mayor,
        cycle,
        objectives,
        krs,
        commands: s.commands,
        mid,
        mid_time,
    }
}
