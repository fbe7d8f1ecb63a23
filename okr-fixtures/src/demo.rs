//! A realistic, deterministic history for demos, docs and tests: the intercommunal
//! digitalisation project of six communes near Gießen ("Total Digital"), worked the way German
//! municipalities practise OKR: practice sprints first, outcomes for people, a steering
//! committee that decides escalated blockers.
//!
//! [`Demo::build`] produces the commands of about 20 months: the organisation (a federation
//! of Allendorf (Lumda), Biebertal, Buseck, Fernwald, Lollar and Staufenberg, a steering
//! committee (Lenkungsausschuss), an OKR master, a project lead, a lead and a member per
//! commune), two practice sprints with exactly one objective per commune, and six regular
//! quarters (2025-Q1 … 2026-Q2). Each quarter has a federation objective worded as an
//! outcome (beneficiary, change, value) with "from X to Y" key results — share of requests
//! filed online 5 % → 25 %, rating of the online services 3.2 → 4.0 stars, processing days
//! 12 → 5 over the six quarters — and one aligned objective per commune with two key
//! results. Every week the communes check in value and confidence (some weeks are skipped,
//! so check-in discipline stays below 100 %), make agreements and resolve the previous
//! week's as kept or missed; blockers are raised, escalated to the Lenkungsausschuss and
//! decided some days later; each review has notes (and one score override with a reason in
//! 2025-Q2), each retrospective has items and an action, and commune objectives that scored
//! below 0.6 are carried over to the next quarter, whose planning gives them new key
//! results. The last carry-overs go to 2026-Q3, left in Planning.
//!
//! Everything is a pure function: ids are `Uuid::from_u128(DEMO_ID_BASE + n)`, times are
//! fixed dates, variation comes from a fixed integer hash. Every command is accepted by
//! [`decide`](okr_core::decide()) in order; [`Demo::build`] checks that as it goes (it keeps the
//! [`State`]) and counts what a hand count of the events must find ([`DemoFacts`]).
//!
//! ```
//! use okr_fixtures::demo::Demo;
//! use okr_core::{execute, CycleKind, Phase, State};
//!
//! let demo = Demo::build();
//! let mut state = State::new();
//! for command in &demo.commands {
//!     execute(&mut state, command).expect("every demo command is accepted");
//! }
//! assert_eq!(state, demo.state);
//! let regular_closed = state
//!     .cycles
//!     .values()
//!     .filter(|c| c.kind == CycleKind::Regular && c.phase == Phase::Closed)
//!     .count();
//! assert_eq!(regular_closed, 6);
//! assert!(demo.facts.agreements_missed > 0 && demo.facts.check_ins_skipped > 0);
//! ```

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use okr_core::rollup;
use okr_core::{
    AgreementId, AgreementOutcome, BlockerId, Command, CommandBody, CycleId, CycleKind,
    InitiativeId, InitiativeStatus, KeyResultId, KrKind, ObjectiveId, ObjectiveKind, PersonId,
    RetroActionId, RetroItemId, RetroKind, Role, State, UnitId, UnitKind,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Every id of the demo is this plus a running number.
pub const DEMO_ID_BASE: u128 = 0x0de0_0000_0000_4000_8000_0000_0000_0000;

/// The six communes of the federation.
pub const COMMUNES: [&str; 6] = [
    "Allendorf (Lumda)",
    "Biebertal",
    "Buseck",
    "Fernwald",
    "Lollar",
    "Staufenberg",
];

/// The demo's commands, the state they lead to, and the facts a hand count must find.
#[derive(Debug, Clone, PartialEq)]
pub struct Demo {
    /// The commands, in order; each is accepted by `decide` against the state of those before.
    pub commands: Vec<Command>,
    /// The state after every command.
    pub state: State,
    /// What happened, counted while generating.
    pub facts: DemoFacts,
}

/// Counts of what the demo did, for checking statistics by hand.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DemoFacts {
    /// Cycle names in start order (practice sprints first, 2026-Q3 last).
    pub cycles: Vec<String>,
    /// Check-ins given.
    pub check_ins: u64,
    /// Commune check-ins skipped (a commune missed its weekly).
    pub check_ins_skipped: u64,
    /// Agreements resolved as kept.
    pub agreements_kept: u64,
    /// Agreements resolved as missed.
    pub agreements_missed: u64,
    /// Blockers raised (every one is escalated and decided).
    pub blockers: u64,
    /// Days from raising to the committee's decision, per blocker.
    pub escalation_days: Vec<i64>,
    /// Objectives carried over to a later quarter.
    pub carried_over: u64,
    /// Review scores overridden.
    pub overrides: u64,
    /// Retrospective items.
    pub retro_items: u64,
    /// Retrospective actions.
    pub retro_actions: u64,
}

/// A key result to plan: title, unit of measure, from, to.
#[derive(Debug, Clone, Copy)]
struct KrPlan {
    title: &'static str,
    unit: &'static str,
    from: f64,
    to: f64,
}

/// What a commune objective of a quarter says and measures.
#[derive(Debug, Clone, Copy)]
struct Theme {
    title: &'static str,
    beneficiary: &'static str,
    change: &'static str,
    value: &'static str,
    krs: [KrPlan; 2],
}

const QUARTERS: [(&str, &str, &str); 6] = [
    ("2025-Q1", "2025-01-01", "2025-03-31"),
    ("2025-Q2", "2025-04-01", "2025-06-30"),
    ("2025-Q3", "2025-07-01", "2025-09-30"),
    ("2025-Q4", "2025-10-01", "2025-12-31"),
    ("2026-Q1", "2026-01-01", "2026-03-31"),
    ("2026-Q2", "2026-04-01", "2026-06-30"),
];

/// The federation's key results, quarter by quarter: 5 % → 25 %, 3.2 → 4.0, 12 → 5 days.
const FED_SHARE: [(f64, f64); 6] = [
    (5.0, 9.0),
    (8.0, 12.0),
    (11.0, 15.0),
    (14.0, 18.0),
    (17.0, 21.0),
    (20.0, 25.0),
];
const FED_RATING: [(f64, f64); 6] = [
    (3.2, 3.4),
    (3.3, 3.5),
    (3.4, 3.6),
    (3.5, 3.7),
    (3.6, 3.8),
    (3.7, 4.0),
];
const FED_DAYS: [(f64, f64); 6] = [
    (12.0, 10.5),
    (11.0, 9.5),
    (10.0, 8.5),
    (9.0, 7.5),
    (8.0, 6.5),
    (7.0, 5.0),
];

const THEMES: [Theme; 6] = [
    Theme {
        title: "Einwohnerinnen und Einwohner erledigen Meldeangelegenheiten ohne Gang ins Rathaus",
        beneficiary: "Einwohnerinnen und Einwohner",
        change: "sie buchen Termine und stellen Anträge online",
        value: "kein Warteraum, schnellere Bescheinigungen",
        krs: [
            KrPlan {
                title: "Online gebuchte Termine im Bürgerbüro",
                unit: "%",
                from: 10.0,
                to: 40.0,
            },
            KrPlan {
                title: "Tage bis zur Meldebescheinigung",
                unit: "Tage",
                from: 12.0,
                to: 5.0,
            },
        ],
    },
    Theme {
        title: "Gewerbetreibende melden ihr Gewerbe vollständig online an",
        beneficiary: "Gewerbetreibende",
        change: "sie reichen Gewerbeanmeldungen digital und vollständig ein",
        value: "weniger Rückfragen, schneller Start",
        krs: [
            KrPlan {
                title: "Online eingereichte Gewerbeanmeldungen",
                unit: "%",
                from: 8.0,
                to: 35.0,
            },
            KrPlan {
                title: "Rückfragen je Antrag",
                unit: "Rückfragen",
                from: 2.5,
                to: 1.0,
            },
        ],
    },
    Theme {
        title: "Eltern finden und beantragen einen Kita-Platz ohne Papierformular",
        beneficiary: "Eltern kleiner Kinder",
        change: "sie melden ihr Kind über das Portal an",
        value: "Planungssicherheit für Familien",
        krs: [
            KrPlan {
                title: "Kita-Anmeldungen über das Portal",
                unit: "%",
                from: 5.0,
                to: 50.0,
            },
            KrPlan {
                title: "Tage bis zur Platzzusage",
                unit: "Tage",
                from: 21.0,
                to: 10.0,
            },
        ],
    },
    Theme {
        title: "Mitarbeitende finden Vorgänge in der E-Akte statt im Papierarchiv",
        beneficiary: "Mitarbeitende der Verwaltung",
        change: "sie legen Vorgänge digital ab und suchen dort",
        value: "mehr Zeit für Bürgeranliegen",
        krs: [
            KrPlan {
                title: "Vorgänge in der E-Akte",
                unit: "%",
                from: 20.0,
                to: 60.0,
            },
            KrPlan {
                title: "Suchzeit je Vorgang",
                unit: "Minuten",
                from: 15.0,
                to: 5.0,
            },
        ],
    },
    Theme {
        title: "Bürgerinnen und Bürger melden Mängel im Ort digital und erfahren, was daraus wird",
        beneficiary: "Bürgerinnen und Bürger",
        change: "sie melden Schlaglöcher und Müll über den Mängelmelder",
        value: "ein gepflegter Ort und sichtbare Rückmeldung",
        krs: [
            KrPlan {
                title: "Mängelmeldungen über den Mängelmelder",
                unit: "%",
                from: 10.0,
                to: 45.0,
            },
            KrPlan {
                title: "Tage bis zur Rückmeldung",
                unit: "Tage",
                from: 14.0,
                to: 4.0,
            },
        ],
    },
    Theme {
        title: "Antragstellende erhalten Wohngeld ohne wiederholte Nachforderungen",
        beneficiary: "Menschen, die Wohngeld beantragen",
        change: "sie reichen vollständige Anträge online ein",
        value: "Geld kommt früher an",
        krs: [
            KrPlan {
                title: "Vollständig eingereichte Online-Anträge",
                unit: "%",
                from: 30.0,
                to: 70.0,
            },
            KrPlan {
                title: "Bearbeitungstage Wohngeld",
                unit: "Tage",
                from: 45.0,
                to: 25.0,
            },
        ],
    },
];

const AGREEMENTS: [&str; 5] = [
    "Nächstes Online-Formular auf der Website veröffentlichen",
    "Rückmeldung an den Datenschutzbeauftragten geben",
    "Zwei Bürgerinnen zum neuen Antrag befragen",
    "Schulung im Bürgerbüro terminieren",
    "Kennzahl für den Check-in aus dem Fachverfahren ziehen",
];

const BLOCKERS: [&str; 4] = [
    "Terminkalender wartet auf die Freigabe durch den Datenschutz",
    "Schnittstelle zum Fachverfahren ist beim Rechenzentrum nicht beauftragt",
    "Kein Budget für die Lizenz des Formularservers",
    "Personalrat muss der E-Akte zustimmen",
];

const DECISIONS: [&str; 4] = [
    "Gemeinsame Datenschutzvereinbarung des Verbunds nutzen; Freigabe bis Monatsende",
    "Verbund beauftragt die Schnittstelle zentral für alle sechs Kommunen",
    "Lizenz wird aus dem Verbundbudget bezahlt",
    "Lenkungsausschuss lädt den Personalrat zur nächsten Sitzung ein",
];

/// A fixed integer hash (splitmix64 of the folded inputs): the demo's only variation.
fn mix(parts: &[u64]) -> u64 {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for p in parts {
        x ^= p.wrapping_add(0x9e37_79b9_7f4a_7c15).wrapping_add(x << 6);
        x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = x;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        x = z ^ (z >> 31);
    }
    x
}

fn date(s: &str) -> NaiveDate {
    s.parse().expect("the demo's dates are valid")
}

fn at(d: NaiveDate, hour: u32, minute: u32) -> DateTime<Utc> {
    Utc.from_utc_datetime(&d.and_hms_opt(hour, minute, 0).expect("valid time"))
}

fn round_to(v: f64, places: i32) -> f64 {
    let f = 10f64.powi(places);
    (v * f).round() / f
}

/// One commune of the federation: its unit, its lead ("Digitallotse") and its member ("Team").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Commune {
    /// The commune's name, one of [`COMMUNES`].
    pub name: &'static str,
    /// The commune's unit, below the federation.
    pub unit: UnitId,
    /// Holds the Lead role in the commune's unit.
    pub lead: PersonId,
    /// Holds the Member role in the commune's unit.
    pub member: PersonId,
}

/// The demo's organisation: the commands that set it up and the ids a caller needs to go on.
///
/// The federation "Interkommunale Digitalisierung" (an organisation unit) with its OKR master,
/// the steering committee "Lenkungsausschuss" below it chaired by a mayor (role Steering),
/// the project lead (Lead of the federation), and the six [`COMMUNES`] as organisation units
/// below the federation, each with a lead and a member. All commands are given by the OKR
/// master at 2024-11-04 08:00 UTC; the ids are `DEMO_ID_BASE + 1` onwards, up to
/// `DEMO_ID_BASE + ids_used`. [`Demo::build`] starts with exactly these commands.
///
/// ```
/// use okr_fixtures::demo::{Organisation, COMMUNES};
/// use okr_core::{execute, Role, State};
///
/// let org = Organisation::build();
/// let mut state = State::new();
/// for command in &org.commands {
///     execute(&mut state, command).expect("the set-up is accepted");
/// }
/// assert_eq!(state.units.len(), 2 + COMMUNES.len());
/// assert_eq!(state.people.len(), 3 + 2 * COMMUNES.len());
/// assert_eq!(org.communes[1].name, "Biebertal");
/// assert!(state.units[&org.communes[1].unit].parent == Some(org.federation));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Organisation {
    /// The set-up commands, in order; each is accepted against the state of those before.
    pub commands: Vec<Command>,
    /// The federation, the root unit.
    pub federation: UnitId,
    /// The steering committee (Lenkungsausschuss), a committee below the federation.
    pub steering: UnitId,
    /// The OKR master of the federation; gives every set-up command.
    pub master: PersonId,
    /// The mayor chairing the steering committee (role Steering there).
    pub chair: PersonId,
    /// The project lead (Lead of the federation).
    pub project_lead: PersonId,
    /// The six communes, in the order of [`COMMUNES`].
    pub communes: Vec<Commune>,
    /// How many ids of the `DEMO_ID_BASE + n` sequence the set-up used (`n` = 1 ..= this).
    pub ids_used: u128,
}

impl Organisation {
    /// The organisation set-up alone. Deterministic: every call gives the same commands,
    /// and they equal the first commands of [`Demo::build`].
    ///
    /// # Panics
    /// Only on a generator bug (a command `decide` refuses).
    pub fn build() -> Organisation {
        let mut b = Builder::new();
        let mut org = b.organisation();
        org.commands = b.commands;
        org
    }
}

/// A key result in flight: who checks in, from/to, how fast it moves.
#[derive(Clone)]
struct LiveKr {
    id: KeyResultId,
    owner: PersonId,
    /// The commune (index) or `None` for the federation.
    commune: Option<usize>,
    plan: KrPlanOwned,
    /// Share of the way covered by the end of the cycle, in percent.
    pace: u64,
    last: f64,
}

#[derive(Clone)]
struct KrPlanOwned {
    title: String,
    unit: String,
    from: f64,
    to: f64,
}

impl From<KrPlan> for KrPlanOwned {
    fn from(p: KrPlan) -> Self {
        KrPlanOwned {
            title: p.title.into(),
            unit: p.unit.into(),
            from: p.from,
            to: p.to,
        }
    }
}

struct Builder {
    state: State,
    commands: Vec<Command>,
    next: u128,
    facts: DemoFacts,
}

impl Builder {
    fn new() -> Builder {
        Builder {
            state: State::new(),
            commands: Vec::new(),
            next: 0,
            facts: DemoFacts::default(),
        }
    }

    /// Runs the organisation set-up; the returned value has no commands (they are in `self`).
    fn organisation(&mut self) -> Organisation {
        let b = self;
        let t0 = at(date("2024-11-04"), 8, 0);

        // --- Organisation. ---
        let master = PersonId(b.id());
        let federation = UnitId(b.id());
        b.run(
            master,
            t0,
            CommandBody::DefineUnit {
                unit: federation,
                name: "Interkommunale Digitalisierung".into(),
                kind: UnitKind::Organisation,
                parent: None,
            },
        );
        b.run(
            master,
            t0,
            CommandBody::RegisterPerson {
                person: master,
                name: "Miriam Kraus (OKR Master)".into(),
            },
        );
        b.run(
            master,
            t0,
            CommandBody::GrantMembership {
                unit: federation,
                person: master,
                role: Role::OkrMaster,
            },
        );
        let steering = UnitId(b.id());
        b.run(
            master,
            t0,
            CommandBody::DefineUnit {
                unit: steering,
                name: "Lenkungsausschuss".into(),
                kind: UnitKind::Committee,
                parent: Some(federation),
            },
        );
        let chair = PersonId(b.id());
        let project_lead = PersonId(b.id());
        for (p, name) in [
            (chair, "Bürgermeisterin Helga Roth (Lenkungsausschuss)"),
            (project_lead, "Jonas Weber (Projektleitung)"),
        ] {
            b.run(
                master,
                t0,
                CommandBody::RegisterPerson {
                    person: p,
                    name: name.into(),
                },
            );
        }
        b.run(
            master,
            t0,
            CommandBody::GrantMembership {
                unit: steering,
                person: chair,
                role: Role::Steering,
            },
        );
        b.run(
            master,
            t0,
            CommandBody::GrantMembership {
                unit: federation,
                person: project_lead,
                role: Role::Lead,
            },
        );
        let mut communes = Vec::new();
        for name in COMMUNES {
            let unit = UnitId(b.id());
            let lead = PersonId(b.id());
            let member = PersonId(b.id());
            b.run(
                master,
                t0,
                CommandBody::DefineUnit {
                    unit,
                    name: name.into(),
                    kind: UnitKind::Organisation,
                    parent: Some(federation),
                },
            );
            for (p, who, role) in [
                (lead, "Digitallotse", Role::Lead),
                (member, "Team", Role::Member),
            ] {
                b.run(
                    master,
                    t0,
                    CommandBody::RegisterPerson {
                        person: p,
                        name: format!("{who} {name}"),
                    },
                );
                b.run(
                    master,
                    t0,
                    CommandBody::GrantMembership {
                        unit,
                        person: p,
                        role,
                    },
                );
            }
            communes.push(Commune {
                name,
                unit,
                lead,
                member,
            });
        }

        Organisation {
            commands: Vec::new(),
            federation,
            steering,
            master,
            chair,
            project_lead,
            communes,
            ids_used: b.next,
        }
    }

    fn id(&mut self) -> Uuid {
        self.next += 1;
        Uuid::from_u128(DEMO_ID_BASE + self.next)
    }

    fn run(&mut self, actor: PersonId, when: DateTime<Utc>, body: CommandBody) {
        let command = Command::new(self.id(), actor, when, body);
        if let Err(rejection) = okr_core::execute(&mut self.state, &command) {
            panic!(
                "demo generator bug: {} refused: {rejection}",
                command.body.name()
            );
        }
        self.commands.push(command);
    }

    fn kr_kind(plan: &KrPlanOwned) -> KrKind {
        if plan.to >= plan.from {
            KrKind::Increase {
                baseline: Some(plan.from),
                target: plan.to,
                unit: plan.unit.as_str().into(),
            }
        } else {
            KrKind::Decrease {
                baseline: Some(plan.from),
                target: plan.to,
                unit: plan.unit.as_str().into(),
            }
        }
    }
}

/// The value a key result has reached after `week` of `weeks` at `pace` percent, with a
/// little deterministic noise; stalled weeks keep the last value.
fn value_at(kr: &LiveKr, week: u64, weeks: u64, salt: u64) -> f64 {
    let frac = kr.pace as f64 / 100.0 * week as f64 / weeks as f64;
    let noise = (mix(&[salt, week, 7]) % 7) as f64 / 100.0 - 0.03;
    let f = (frac + noise * (week as f64 / weeks as f64)).max(0.0);
    let places = if (kr.plan.to - kr.plan.from).abs() < 5.0 {
        2
    } else {
        1
    };
    round_to(kr.plan.from + (kr.plan.to - kr.plan.from) * f, places)
}

impl Demo {
    /// Builds the whole demo history. Deterministic: every call gives the same commands.
    ///
    /// # Panics
    /// Only on a generator bug (a command `decide` refuses); a test guards against that.
    pub fn build() -> Demo {
        let mut b = Builder::new();
        let Organisation {
            federation,
            steering,
            master,
            chair,
            project_lead,
            communes,
            ..
        } = b.organisation();

        // --- Two practice sprints: exactly one objective per commune. ---
        let sprints = [
            (
                "Übungssprint 1",
                "2024-11-04",
                "2024-11-22",
                "Einwohner finden den richtigen Dienst auf unserer Website beim ersten Versuch",
                "Anrufe \"Wo finde ich…?\" pro Woche",
                40.0,
                25.0,
            ),
            (
                "Übungssprint 2",
                "2024-11-25",
                "2024-12-13",
                "Einwohner verstehen unsere Online-Formulare ohne Rückruf",
                "Rückrufe wegen unklarer Formulare pro Woche",
                30.0,
                15.0,
            ),
        ];
        for (si, (name, start, end, title, kr_title, from, to)) in sprints.into_iter().enumerate() {
            let (start, end) = (date(start), date(end));
            let cycle = CycleId(b.id());
            b.facts.cycles.push(name.into());
            b.run(
                master,
                at(start, 8, 0),
                CommandBody::PlanCycle {
                    cycle,
                    name: name.into(),
                    kind: CycleKind::Practice,
                    start,
                    end,
                    check_in_weekday: (start + Duration::days(6)).weekday(),
                    policy: None,
                },
            );
            let mut krs = Vec::new();
            for (i, c) in communes.iter().enumerate() {
                let objective = ObjectiveId(b.id());
                let key_result = KeyResultId(b.id());
                b.run(
                    c.member,
                    at(start, 10, 3 * i as u32),
                    CommandBody::DraftObjective {
                        cycle,
                        objective,
                        unit: c.unit,
                        title: title.into(),
                        beneficiary: Some("Einwohnerinnen und Einwohner".into()),
                        change: Some("sie suchen und fragen weniger nach".into()),
                        value: Some("Zeit gespart auf beiden Seiten".into()),
                        kind: ObjectiveKind::Aspirational,
                        weight: 1,
                    },
                );
                let base = from + i as f64;
                b.run(
                    c.member,
                    at(start, 10, 3 * i as u32 + 1),
                    CommandBody::AddKeyResult {
                        objective,
                        key_result,
                        title: kr_title.into(),
                        kind: KrKind::Decrease {
                            baseline: Some(base),
                            target: to,
                            unit: "Anrufe".into(),
                        },
                        weight: 1,
                        owner: Some(c.member),
                    },
                );
                b.run(
                    c.lead,
                    at(start, 10, 3 * i as u32 + 2),
                    CommandBody::CommitObjective { objective },
                );
                krs.push(LiveKr {
                    id: key_result,
                    owner: c.member,
                    commune: Some(i),
                    plan: KrPlanOwned {
                        title: kr_title.into(),
                        unit: "Anrufe".into(),
                        from: base,
                        to,
                    },
                    pace: 50 + mix(&[si as u64, i as u64, 1]) % 60,
                    last: base,
                });
            }
            b.run(master, at(start, 13, 0), CommandBody::StartCycle { cycle });
            let weeks = 3;
            for week in 1..=weeks {
                let day = (start + Duration::days(7 * week as i64 - 1)).min(end);
                for (k, kr) in krs.iter_mut().enumerate() {
                    if week == 2 && mix(&[si as u64, k as u64, 2]) % 3 == 0 {
                        b.facts.check_ins_skipped += 1;
                        continue;
                    }
                    let v = value_at(kr, week, weeks, mix(&[si as u64, k as u64]));
                    kr.last = v;
                    b.run(
                        kr.owner,
                        at(day, 9, k as u32),
                        CommandBody::CheckIn {
                            key_result: kr.id,
                            value: v,
                            confidence: (4 + week + kr.pace / 40).min(10) as u8,
                            note: String::new(),
                            effective_at: None,
                        },
                    );
                    b.facts.check_ins += 1;
                }
            }
            b.run(
                master,
                at(end, 14, 0),
                CommandBody::BeginReview {
                    cycle,
                    early_reason: None,
                },
            );
            b.run(
                master,
                at(end, 15, 0),
                CommandBody::BeginRetrospective { cycle },
            );
            let retro = [
                (
                    RetroKind::Keep,
                    "Der Check-in in 15 Minuten hält alle auf dem Laufenden",
                ),
                (
                    RetroKind::Try,
                    "Kennzahlen vor dem Weekly eintragen, nicht währenddessen",
                ),
            ];
            let (kind, text) = retro[si];
            let item = RetroItemId(b.id());
            b.run(
                communes[si].member,
                at(end, 15, 30),
                CommandBody::AddRetroItem {
                    cycle,
                    item,
                    kind,
                    text: text.into(),
                },
            );
            b.facts.retro_items += 1;
            b.run(master, at(end, 16, 0), CommandBody::CloseCycle { cycle });
        }

        // --- Six regular quarters. ---
        let mut carried_in: Vec<(ObjectiveId, usize, Vec<LiveKr>)> = Vec::new();
        let mut next_cycle: Option<CycleId> = None;
        let mut blocker_no = 0usize;
        let mut override_done = false;
        let mut planning_day = date("2024-12-13");
        for (q, (name, start, end)) in QUARTERS.into_iter().enumerate() {
            let (start, end) = (date(start), date(end));
            let qs = q as u64;
            let cycle = match next_cycle.take() {
                Some(c) => c,
                None => {
                    let cycle = CycleId(b.id());
                    b.run(
                        master,
                        at(planning_day, 16, 30),
                        CommandBody::PlanCycle {
                            cycle,
                            name: name.into(),
                            kind: CycleKind::Regular,
                            start,
                            end,
                            check_in_weekday: (start + Duration::days(6)).weekday(),
                            policy: None,
                        },
                    );
                    cycle
                }
            };
            b.facts.cycles.push(name.into());
            let plan_at = |minute: u32| at(planning_day, 17, minute.min(59));
            let mut minute = 0u32;
            let mut tick = || {
                minute += 1;
                minute
            };

            // The federation objective.
            let fed = ObjectiveId(b.id());
            b.run(
                project_lead,
                plan_at(tick()),
                CommandBody::DraftObjective {
                    cycle,
                    objective: fed,
                    unit: federation,
                    title: "Bürgerinnen, Bürger und Unternehmen erledigen Verwaltungsanliegen online, schnell und zufrieden".into(),
                    beneficiary: Some("Bürgerinnen, Bürger und Unternehmen".into()),
                    change: Some("sie nutzen Online-Dienste statt den Gang ins Rathaus".into()),
                    value: Some("weniger Wege und Wartezeit, schnellere Entscheidungen".into()),
                    kind: ObjectiveKind::Aspirational,
                    weight: 2,
                },
            );
            let mut live: Vec<LiveKr> = Vec::new();
            for (k, (title, unit, (from, to), weight)) in [
                ("Anteil online gestellter Anträge", "%", FED_SHARE[q], 2),
                ("Bewertung der Online-Dienste", "Sterne", FED_RATING[q], 1),
                (
                    "Durchschnittliche Bearbeitungsdauer",
                    "Tage",
                    FED_DAYS[q],
                    1,
                ),
            ]
            .into_iter()
            .enumerate()
            {
                let id = KeyResultId(b.id());
                let plan = KrPlanOwned {
                    title: title.into(),
                    unit: unit.into(),
                    from,
                    to,
                };
                b.run(
                    project_lead,
                    plan_at(tick()),
                    CommandBody::AddKeyResult {
                        objective: fed,
                        key_result: id,
                        title: title.into(),
                        kind: Builder::kr_kind(&plan),
                        weight,
                        owner: Some(project_lead),
                    },
                );
                live.push(LiveKr {
                    id,
                    owner: project_lead,
                    commune: None,
                    plan,
                    pace: 70 + mix(&[qs, k as u64, 3]) % 40,
                    last: from,
                });
            }
            b.run(
                project_lead,
                plan_at(tick()),
                CommandBody::CommitObjective { objective: fed },
            );

            // Carried-over objectives get new key results first.
            let mut commune_objectives: Vec<(ObjectiveId, usize)> = Vec::new();
            for (objective, i, old_krs) in carried_in.drain(..) {
                let c = &communes[i];
                for old in old_krs {
                    let id = KeyResultId(b.id());
                    let plan = KrPlanOwned {
                        title: old.plan.title.clone(),
                        unit: old.plan.unit.clone(),
                        from: old.last,
                        to: old.plan.to,
                    };
                    if plan.from == plan.to {
                        continue;
                    }
                    b.run(
                        c.member,
                        plan_at(tick()),
                        CommandBody::AddKeyResult {
                            objective,
                            key_result: id,
                            title: plan.title.clone(),
                            kind: Builder::kr_kind(&plan),
                            weight: 1,
                            owner: Some(c.member),
                        },
                    );
                    live.push(LiveKr {
                        id,
                        owner: c.member,
                        commune: Some(i),
                        last: plan.from,
                        plan,
                        pace: 75 + mix(&[qs, i as u64, 4]) % 40,
                    });
                }
                b.run(
                    c.member,
                    plan_at(tick()),
                    CommandBody::AlignObjective {
                        objective,
                        parent: fed,
                        contribution: 1,
                    },
                );
                b.run(
                    c.lead,
                    plan_at(tick()),
                    CommandBody::CommitObjective { objective },
                );
                commune_objectives.push((objective, i));
            }

            // One new objective per commune, aligned to the federation's.
            let theme = THEMES[q];
            for (i, c) in communes.iter().enumerate() {
                let objective = ObjectiveId(b.id());
                let kind = if (i + q) % 3 == 0 {
                    ObjectiveKind::Aspirational
                } else {
                    ObjectiveKind::Committed
                };
                b.run(
                    c.member,
                    plan_at(tick()),
                    CommandBody::DraftObjective {
                        cycle,
                        objective,
                        unit: c.unit,
                        title: theme.title.into(),
                        beneficiary: Some(theme.beneficiary.into()),
                        change: Some(theme.change.into()),
                        value: Some(theme.value.into()),
                        kind,
                        weight: 1,
                    },
                );
                b.run(
                    c.member,
                    plan_at(tick()),
                    CommandBody::AlignObjective {
                        objective,
                        parent: fed,
                        contribution: 1,
                    },
                );
                for (k, p) in theme.krs.iter().enumerate() {
                    let id = KeyResultId(b.id());
                    let plan = KrPlanOwned::from(*p);
                    b.run(
                        c.member,
                        plan_at(tick()),
                        CommandBody::AddKeyResult {
                            objective,
                            key_result: id,
                            title: plan.title.clone(),
                            kind: Builder::kr_kind(&plan),
                            weight: 1,
                            owner: Some(c.member),
                        },
                    );
                    if k == 0 {
                        let initiative = InitiativeId(b.id());
                        b.run(
                            c.member,
                            plan_at(tick()),
                            CommandBody::AddInitiative {
                                key_result: id,
                                initiative,
                                title: "Online-Formular im Serviceportal einrichten".into(),
                                effort: 1 + (mix(&[qs, i as u64, 5]) % 5) as u8,
                                impact: 1 + (mix(&[qs, i as u64, 6]) % 5) as u8,
                            },
                        );
                    }
                    live.push(LiveKr {
                        id,
                        owner: c.member,
                        commune: Some(i),
                        last: plan.from,
                        plan,
                        pace: 35 + mix(&[qs, i as u64, k as u64, 8]) % 85,
                    });
                }
                b.run(
                    c.lead,
                    plan_at(tick()),
                    CommandBody::CommitObjective { objective },
                );
                commune_objectives.push((objective, i));
            }

            b.run(master, at(start, 8, 0), CommandBody::StartCycle { cycle });

            // The weeklies.
            let weeks = ((end - start).num_days() as u64 + 1).div_ceil(7);
            let blocked_commune = (q * 2 + 1) % 6;
            let blocker = BlockerId(b.id());
            let lead_days = [4i64, 8, 3, 6, 2, 5][q];
            let mut open: Vec<(AgreementId, usize)> = Vec::new();
            let mut pending_decision: Option<DateTime<Utc>> = None;
            for week in 1..=weeks {
                let day = (start + Duration::days(7 * week as i64 - 1)).min(end);
                if let Some(when) = pending_decision {
                    if when < at(day, 9, 0) {
                        pending_decision = None;
                        let text = DECISIONS[blocker_no % DECISIONS.len()];
                        b.run(
                            chair,
                            when,
                            CommandBody::DecideBlocker {
                                blocker,
                                decision: text.into(),
                            },
                        );
                        blocker_no += 1;
                    }
                }
                for (agreement, i) in open.drain(..) {
                    let outcome = if mix(&[qs, week, i as u64, 9]) % 4 == 0 {
                        b.facts.agreements_missed += 1;
                        AgreementOutcome::Missed
                    } else {
                        b.facts.agreements_kept += 1;
                        AgreementOutcome::Kept
                    };
                    b.run(
                        communes[i].member,
                        at(day, 8, 30 + i as u32),
                        CommandBody::ResolveAgreement {
                            agreement,
                            outcome,
                            weekly: None,
                        },
                    );
                }
                let skipping: Vec<bool> = (0..6)
                    .map(|i| week > 1 && week < weeks && mix(&[qs, i, week, 10]) % 8 == 0)
                    .collect();
                let stalled = |kr: &LiveKr| {
                    kr.commune == Some(blocked_commune)
                        && (3..3 + (lead_days as u64 + 13) / 7 + 1).contains(&week)
                };
                for (k, kr) in live.iter_mut().enumerate() {
                    if let Some(i) = kr.commune {
                        if skipping[i] {
                            b.facts.check_ins_skipped += 1;
                            continue;
                        }
                    }
                    let is_stalled = stalled(kr);
                    let v = if is_stalled {
                        kr.last
                    } else {
                        value_at(kr, week, weeks, mix(&[qs, k as u64, 11]))
                    };
                    kr.last = v;
                    let expected = week as f64 / weeks as f64;
                    let got = if kr.plan.to == kr.plan.from {
                        1.0
                    } else {
                        (v - kr.plan.from) / (kr.plan.to - kr.plan.from)
                    };
                    let ratio = if expected > 0.0 { got / expected } else { 1.0 };
                    let confidence = if is_stalled {
                        3
                    } else {
                        (2.0 + 6.0 * ratio).round().clamp(1.0, 10.0) as u8
                    };
                    b.run(
                        kr.owner,
                        at(day, 9, (k % 60) as u32),
                        CommandBody::CheckIn {
                            key_result: kr.id,
                            value: v,
                            confidence,
                            note: if is_stalled {
                                "wartet auf Entscheidung des Lenkungsausschusses".into()
                            } else {
                                String::new()
                            },
                            effective_at: None,
                        },
                    );
                    b.facts.check_ins += 1;
                }
                for (i, c) in communes.iter().enumerate() {
                    if skipping[i] || week % 2 == 0 || week == weeks {
                        continue;
                    }
                    let agreement = AgreementId(b.id());
                    b.run(
                        c.member,
                        at(day, 10, i as u32),
                        CommandBody::MakeAgreement {
                            cycle,
                            agreement,
                            unit: c.unit,
                            text: AGREEMENTS[(mix(&[qs, week, i as u64, 12]) % 5) as usize].into(),
                            owner: Some(c.member),
                            due: Some(day + Duration::days(7)),
                            weekly: None,
                            provider: None,
                            provides: None,
                            receiver: None,
                            consequence: None,
                        },
                    );
                    open.push((agreement, i));
                }
                if week == 2 || week == 10 {
                    // The board moves: initiatives go to doing, later to done.
                    let status = if week == 2 {
                        InitiativeStatus::Doing
                    } else {
                        InitiativeStatus::Done
                    };
                    let ids: Vec<(InitiativeId, usize)> = b.state.cycles[&cycle]
                        .initiatives
                        .values()
                        .filter_map(|ini| {
                            let kr = b.state.key_result(ini.key_result)?;
                            let unit = b.state.objective(kr.objective)?.unit;
                            let i = communes.iter().position(|c| c.unit == unit)?;
                            Some((ini.id, i))
                        })
                        .collect();
                    for (initiative, i) in ids {
                        if week == 10 && mix(&[qs, i as u64, 13]) % 3 == 0 {
                            continue;
                        }
                        b.run(
                            communes[i].member,
                            at(day, 11, i as u32),
                            CommandBody::MoveInitiative { initiative, status },
                        );
                    }
                }
                if week == 3 {
                    let c = &communes[blocked_commune];
                    let kr = live
                        .iter()
                        .find(|k| k.commune == Some(blocked_commune))
                        .map(|k| k.id);
                    b.run(
                        c.member,
                        at(day, 11, 30),
                        CommandBody::RaiseBlocker {
                            cycle,
                            blocker,
                            unit: c.unit,
                            key_result: kr,
                            text: BLOCKERS[q % BLOCKERS.len()].into(),
                        },
                    );
                    b.run(
                        c.lead,
                        at(day, 12, 0),
                        CommandBody::EscalateBlocker {
                            blocker,
                            to: steering,
                        },
                    );
                    b.facts.blockers += 1;
                    b.facts.escalation_days.push(lead_days);
                    pending_decision = Some(at(day, 11, 30) + Duration::days(lead_days));
                }
            }
            for (agreement, i) in open.drain(..) {
                b.facts.agreements_kept += 1;
                b.run(
                    communes[i].member,
                    at(end, 9, 30),
                    CommandBody::ResolveAgreement {
                        agreement,
                        outcome: AgreementOutcome::Kept,
                        weekly: None,
                    },
                );
            }

            // Review.
            b.run(
                master,
                at(end, 10, 0),
                CommandBody::BeginReview {
                    cycle,
                    early_reason: None,
                },
            );
            if q == 1 && !override_done {
                override_done = true;
                b.run(
                    project_lead,
                    at(end, 10, 30),
                    CommandBody::OverrideScore {
                        key_result: live[1].id,
                        score: 0.5,
                        reason: "Die Umfrage hatte nur 41 Antworten; wir werten den Trend, nicht den letzten Wert".into(),
                    },
                );
                b.facts.overrides += 1;
            }
            let scores = rollup::scores(&b.state.cycles[&cycle]);
            let below = commune_objectives
                .iter()
                .filter(|(o, _)| scores.objectives[o].unwrap_or(0) < 600_000)
                .count();
            b.run(
                master,
                at(end, 11, 0),
                CommandBody::AddReviewNote {
                    cycle,
                    text: format!(
                        "Zyklus-Score {}; {below} Kommunen-Objectives unter 0,6",
                        scores.cycle.map(rollup::format_ppm).unwrap_or_default()
                    ),
                },
            );

            // Retrospective.
            b.run(
                master,
                at(end, 13, 0),
                CommandBody::BeginRetrospective { cycle },
            );
            let items = [
                (
                    RetroKind::Keep,
                    "Weeklies bleiben kurz und finden jede Woche statt",
                ),
                (
                    RetroKind::Improve,
                    "Blocker in der ersten Woche eskalieren, nicht in der dritten",
                ),
                (
                    RetroKind::Stop,
                    "Kennzahlen erst kurz vor dem Review zusammensuchen",
                ),
                (
                    RetroKind::Try,
                    "Bürgerinnen in die Formulierung der Key Results einbeziehen",
                ),
            ];
            let mut first_item = None;
            for (n, (kind, text)) in items.iter().enumerate() {
                if (n + q) % 4 == 3 {
                    continue;
                }
                let item = RetroItemId(b.id());
                first_item.get_or_insert(item);
                b.run(
                    communes[(q + n) % 6].member,
                    at(end, 13, 10 + n as u32),
                    CommandBody::AddRetroItem {
                        cycle,
                        item,
                        kind: *kind,
                        text: (*text).into(),
                    },
                );
                b.facts.retro_items += 1;
            }
            let action = RetroActionId(b.id());
            b.run(
                master,
                at(end, 13, 40),
                CommandBody::AddRetroAction {
                    cycle,
                    action,
                    text: "Eine Blocker-Runde in jedes Weekly aufnehmen".into(),
                    owner: master,
                    item: first_item,
                },
            );
            b.facts.retro_actions += 1;

            // Plan the next quarter (2026-Q3 after the last) and carry over what is unfinished.
            let (next_name, next_start, next_end) =
                QUARTERS
                    .get(q + 1)
                    .copied()
                    .unwrap_or(("2026-Q3", "2026-07-01", "2026-09-30"));
            let (next_start, next_end) = (date(next_start), date(next_end));
            let next = CycleId(b.id());
            b.run(
                master,
                at(end, 14, 0),
                CommandBody::PlanCycle {
                    cycle: next,
                    name: next_name.into(),
                    kind: CycleKind::Regular,
                    start: next_start,
                    end: next_end,
                    check_in_weekday: (next_start + Duration::days(6)).weekday(),
                    policy: None,
                },
            );
            for (objective, i) in &commune_objectives {
                if scores.objectives[objective].unwrap_or(0) >= 600_000 {
                    continue;
                }
                let new_objective = ObjectiveId(b.id());
                b.run(
                    communes[*i].lead,
                    at(end, 15, *i as u32),
                    CommandBody::CarryOver {
                        objective: *objective,
                        to_cycle: next,
                        new_objective,
                    },
                );
                b.facts.carried_over += 1;
                let old_krs: Vec<LiveKr> = b.state.cycles[&cycle]
                    .key_results_of(*objective)
                    .filter_map(|k| live.iter().find(|l| l.id == k.id).cloned())
                    .collect();
                carried_in.push((new_objective, *i, old_krs));
            }
            b.run(master, at(end, 16, 0), CommandBody::CloseCycle { cycle });
            next_cycle = Some(next);
            planning_day = end;
        }
        if next_cycle.is_some() {
            b.facts.cycles.push("2026-Q3".into());
        }
        Demo {
            commands: b.commands,
            state: b.state,
            facts: b.facts,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use okr_core::{execute, CycleKind, Phase};

    #[test]
    fn every_command_is_accepted_in_order_and_the_demo_is_deterministic() {
        let demo = Demo::build();
        let mut state = State::new();
        for (n, command) in demo.commands.iter().enumerate() {
            if let Err(r) = execute(&mut state, command) {
                panic!("command {n} ({}) refused: {r}", command.body.name());
            }
        }
        assert_eq!(state, demo.state);
        assert_eq!(Demo::build().commands, demo.commands);
        let at: Vec<_> = demo.commands.iter().map(|c| c.envelope.at).collect();
        for (n, w) in at.windows(2).enumerate() {
            assert!(
                w[0] <= w[1],
                "times only grow: command {n} ({}) at {} before {} at {}",
                demo.commands[n].body.name(),
                w[0],
                demo.commands[n + 1].body.name(),
                w[1]
            );
        }
    }

    #[test]
    fn the_facts_match_the_state() {
        let demo = Demo::build();
        let s = &demo.state;
        let practice = s.cycles.values().filter(|c| c.kind == CycleKind::Practice);
        assert_eq!(practice.count(), 2);
        let closed: Vec<_> = s
            .cycles
            .values()
            .filter(|c| c.kind == CycleKind::Regular && c.phase == Phase::Closed)
            .collect();
        assert_eq!(closed.len(), 6);
        let planning: Vec<_> = s
            .cycles
            .values()
            .filter(|c| c.phase == Phase::Planning)
            .collect();
        assert_eq!(planning.len(), 1);
        assert_eq!(planning[0].name, "2026-Q3");
        let check_ins: usize = s
            .cycles
            .values()
            .flat_map(|c| c.key_results.values())
            .map(|k| k.check_in_count() as usize)
            .sum();
        assert_eq!(check_ins as u64, demo.facts.check_ins);
        let resolved: Vec<_> = s
            .cycles
            .values()
            .flat_map(|c| c.agreements.values())
            .filter_map(|a| a.resolution)
            .collect();
        let kept = resolved
            .iter()
            .filter(|(o, _)| *o == AgreementOutcome::Kept)
            .count() as u64;
        assert_eq!(kept, demo.facts.agreements_kept);
        assert_eq!(resolved.len() as u64 - kept, demo.facts.agreements_missed);
        assert!(demo.facts.agreements_missed > 0);
        let decided: Vec<i64> = s
            .cycles
            .values()
            .flat_map(|c| c.blockers.values())
            .filter_map(|b| Some((b.decision.as_ref()?.at - b.raised_at).num_days()))
            .collect();
        assert_eq!(decided.len() as u64, demo.facts.blockers);
        let carried = s
            .cycles
            .values()
            .flat_map(|c| c.objectives.values())
            .filter(|o| o.carried_to.is_some())
            .count() as u64;
        assert_eq!(carried, demo.facts.carried_over);
        assert!(carried > 0, "some objectives are carried over");
        assert!(demo.facts.check_ins_skipped > 0);
        assert_eq!(demo.facts.overrides, 1);
    }
}
