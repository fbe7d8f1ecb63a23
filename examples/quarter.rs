//! The six cities of the demo's project work with OKR: a practice sprint with exactly one objective
//! per commune, then a regular quarter with aligned objectives, weekly check-ins and
//! agreements, a blocker escalated to the steering committee, review, retrospective and
//! carry-over. Prints the lints met along the way and the final scores.
//!
//! The organisation is the one `okr demo` builds, taken from
//! `okr_fixtures::demo::Organisation`; everything after it is driven here.
//!
//! Run with `cargo run --release --example quarter`.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc, Weekday};
use okr::rollup::{self, format_ppm};
use okr::*;
use okr_fixtures::demo::Organisation;
use std::collections::BTreeMap;
use uuid::Uuid;

/// Drives the engine like an embedding system would: ids and time come from here.
struct Office {
    state: State,
    next_id: std::cell::Cell<u128>,
    lints: BTreeMap<(LintCode, Uuid), Lint>,
    events: usize,
}

impl Office {
    fn id(&self) -> Uuid {
        self.next_id.set(self.next_id.get() + 1);
        Uuid::from_u128(0x0f0f_0000_0000_0000_0000_0000_0000_0000 + self.next_id.get())
    }

    fn run(&mut self, actor: PersonId, at: DateTime<Utc>, body: CommandBody) {
        let command = Command::new(self.id(), actor, at, body);
        self.accept(&command);
    }

    /// Runs a command that must be accepted, counting its events and the lints it meets.
    fn accept(&mut self, command: &Command) {
        match execute(&mut self.state, command) {
            Ok(outcome) => {
                self.events += outcome.events.len();
                for l in outcome.lints {
                    self.lints.entry((l.code, l.subject)).or_insert(l);
                }
            }
            Err(rejection) => panic!("{} refused: {rejection}", command.body.name()),
        }
    }

    /// Runs a command that should be refused and shows why.
    fn refused(&mut self, actor: PersonId, at: DateTime<Utc>, body: CommandBody) {
        let command = Command::new(self.id(), actor, at, body);
        match execute(&mut self.state, &command) {
            Ok(_) => panic!("{} was accepted but should not be", command.body.name()),
            Err(r) => println!("  refused as expected: {r}"),
        }
    }
}

fn day(d: NaiveDate, hour: u32) -> DateTime<Utc> {
    Utc.from_utc_datetime(&d.and_hms_opt(hour, 0, 0).expect("valid hour"))
}

fn date(s: &str) -> NaiveDate {
    s.parse().expect("valid date")
}

fn main() {
    let mut o = Office {
        state: State::new(),
        next_id: std::cell::Cell::new(0),
        lints: BTreeMap::new(),
        events: 0,
    };

    // --- Organisation: the project, six cities, a steering committee (as in `okr demo`). ---
    let org = Organisation::build();
    for command in &org.commands {
        o.accept(command);
    }
    // The example's own ids keep their base and go on numbering after the set-up's.
    o.next_id.set(org.ids_used);
    let (master, federation, steering) = (org.master, org.federation, org.steering);
    let (mayor, project_lead, communes) = (org.chair, org.project_lead, &org.communes);
    println!(
        "Organisation: {} units, {} people",
        o.state.units.len(),
        o.state.people.len()
    );

    // --- Practice sprint: exactly one objective per commune. ---
    let sprint = CycleId(o.id());
    let (s_start, s_end) = (date("2025-01-06"), date("2025-01-31"));
    o.run(
        master,
        day(s_start, 8),
        CommandBody::PlanCycle {
            cycle: sprint,
            name: "Übungssprint 2025-01".into(),
            kind: CycleKind::Practice,
            start: s_start,
            end: s_end,
            check_in_weekday: Weekday::Mon,
            policy: None,
        },
    );
    let mut sprint_krs = Vec::new();
    for (i, c) in communes.iter().enumerate() {
        let obj = ObjectiveId(o.id());
        let kr = KeyResultId(o.id());
        o.run(
            c.person,
            day(s_start, 10),
            CommandBody::DraftObjective {
                cycle: sprint,
                objective: obj,
                unit: c.unit,
                title: "Residents find the right service on our website at first attempt".into(),
                beneficiary: Some("residents".into()),
                change: Some("search less, call less".into()),
                value: Some("time saved on both sides".into()),
                kind: ObjectiveKind::Aspirational,
                weight: 1,
            },
        );
        o.run(
            c.person,
            day(s_start, 10),
            CommandBody::AddKeyResult {
                objective: obj,
                key_result: kr,
                title: "Calls asking where to find a service per week".into(),
                kind: KrKind::Decrease {
                    baseline: Some(40.0 + i as f64),
                    target: 20.0,
                    unit: "calls".into(),
                },
                weight: 1,
                owner: Some(c.person),
            },
        );
        o.run(
            c.person,
            day(s_start, 11),
            CommandBody::CommitObjective { objective: obj },
        );
        sprint_krs.push((c.person, kr, 40.0 + i as f64));
    }
    // The practice sprint allows one committed objective per unit: a second is refused.
    let extra = ObjectiveId(o.id());
    let c0 = &communes[0];
    o.run(
        c0.person,
        day(s_start, 12),
        CommandBody::DraftObjective {
            cycle: sprint,
            objective: extra,
            unit: c0.unit,
            title: "575 OZG-Leistungen digitalisieren".into(),
            beneficiary: None,
            change: None,
            value: None,
            kind: ObjectiveKind::Committed,
            weight: 1,
        },
    );
    o.run(
        c0.person,
        day(s_start, 12),
        CommandBody::AddKeyResult {
            objective: extra,
            key_result: KeyResultId(o.id()),
            title: "Services online".into(),
            kind: KrKind::Increase {
                baseline: None,
                target: 100.0,
                unit: "%".into(),
            },
            weight: 1,
            owner: None,
        },
    );
    println!("Practice sprint: a second objective for {}:", c0.name);
    o.refused(
        c0.person,
        day(s_start, 12),
        CommandBody::CommitObjective { objective: extra },
    );
    o.run(
        c0.person,
        day(s_start, 12),
        CommandBody::DropObjective {
            objective: extra,
            reason: Some("one objective to start with".into()),
        },
    );

    o.run(
        master,
        day(s_start, 13),
        CommandBody::StartCycle { cycle: sprint },
    );
    for week in 1..=3i64 {
        let at = day(s_start + Duration::weeks(week), 9);
        for (member, kr, base) in &sprint_krs {
            o.run(
                *member,
                at,
                CommandBody::CheckIn {
                    key_result: *kr,
                    value: base - 5.0 * week as f64,
                    confidence: (5 + week) as u8,
                    note: String::new(),
                    effective_at: None,
                },
            );
        }
    }
    o.run(
        master,
        day(s_end, 15),
        CommandBody::BeginReview {
            cycle: sprint,
            early_reason: None,
        },
    );
    o.run(
        master,
        day(s_end, 16),
        CommandBody::BeginRetrospective { cycle: sprint },
    );
    o.run(
        communes[1].person,
        day(s_end, 16),
        CommandBody::AddRetroItem {
            cycle: sprint,
            item: RetroItemId(o.id()),
            kind: RetroKind::Keep,
            text: "Weekly check-ins of 15 minutes keep everyone informed".into(),
        },
    );
    o.run(
        master,
        day(s_end, 17),
        CommandBody::CloseCycle { cycle: sprint },
    );
    let sprint_scores = rollup::scores(&o.state.cycles[&sprint]);
    println!(
        "Practice sprint closed, score {}",
        sprint_scores
            .cycle
            .map(format_ppm)
            .unwrap_or_else(|| "-".into())
    );

    // --- Regular quarter with aligned objectives. ---
    let q2 = CycleId(o.id());
    let (q_start, q_end) = (date("2025-04-01"), date("2025-06-30"));
    o.run(
        master,
        day(q_start - Duration::days(14), 9),
        CommandBody::PlanCycle {
            cycle: q2,
            name: "2025-Q2".into(),
            kind: CycleKind::Regular,
            start: q_start,
            end: q_end,
            check_in_weekday: Weekday::Tue,
            policy: None,
        },
    );
    let planning = day(q_start - Duration::days(7), 10);
    let top = ObjectiveId(o.id());
    o.run(project_lead, planning, CommandBody::DraftObjective {
        cycle: q2,
        objective: top,
        unit: federation,
        title: "Citizens and businesses handle their administrative matters online, with high satisfaction".into(),
        beneficiary: Some("citizens and businesses".into()),
        change: Some("they use online services instead of visiting the town hall".into()),
        value: Some("less travel and waiting, faster decisions".into()),
        kind: ObjectiveKind::Aspirational,
        weight: 2,
    });
    let online_share = KeyResultId(o.id());
    let rating = KeyResultId(o.id());
    o.run(
        project_lead,
        planning,
        CommandBody::AddKeyResult {
            objective: top,
            key_result: online_share,
            title: "Share of requests filed online".into(),
            kind: KrKind::Increase {
                baseline: Some(5.0),
                target: 25.0,
                unit: "%".into(),
            },
            weight: 2,
            owner: Some(project_lead),
        },
    );
    o.run(
        project_lead,
        planning,
        CommandBody::AddKeyResult {
            objective: top,
            key_result: rating,
            title: "Rating of online services".into(),
            kind: KrKind::Increase {
                baseline: Some(3.2),
                target: 4.0,
                unit: "stars".into(),
            },
            weight: 1,
            owner: Some(project_lead),
        },
    );
    o.run(
        project_lead,
        planning,
        CommandBody::CommitObjective { objective: top },
    );

    let mut commune_objs = Vec::new();
    let mut commune_krs = Vec::new();
    for (i, c) in communes.iter().enumerate() {
        let obj = ObjectiveId(o.id());
        let kr_booking = KeyResultId(o.id());
        let kr_days = KeyResultId(o.id());
        o.run(
            c.person,
            planning,
            CommandBody::DraftObjective {
                cycle: q2,
                objective: obj,
                unit: c.unit,
                title:
                    "Residents settle their registration matters without a visit to the town hall"
                        .into(),
                beneficiary: Some("residents".into()),
                change: Some("book and file online".into()),
                value: Some("no waiting room, faster certificates".into()),
                kind: if i % 2 == 0 {
                    ObjectiveKind::Committed
                } else {
                    ObjectiveKind::Aspirational
                },
                weight: 1,
            },
        );
        o.run(
            c.person,
            planning,
            CommandBody::AlignObjective {
                objective: obj,
                parent: top,
                contribution: 1,
            },
        );
        o.run(
            c.person,
            planning,
            CommandBody::AddKeyResult {
                objective: obj,
                key_result: kr_booking,
                title: "Appointments booked online".into(),
                kind: KrKind::Increase {
                    baseline: Some(10.0),
                    target: 50.0,
                    unit: "%".into(),
                },
                weight: 1,
                owner: Some(c.person),
            },
        );
        o.run(
            c.person,
            planning,
            CommandBody::AddKeyResult {
                objective: obj,
                key_result: kr_days,
                title: "Days until a registration certificate arrives".into(),
                kind: KrKind::Decrease {
                    baseline: Some(12.0),
                    target: 5.0,
                    unit: "days".into(),
                },
                weight: 1,
                owner: Some(c.person),
            },
        );
        o.run(
            c.person,
            planning,
            CommandBody::AddInitiative {
                key_result: kr_booking,
                initiative: InitiativeId(o.id()),
                title: "Online appointment calendar for the citizens' office".into(),
                effort: 2,
                impact: 4,
            },
        );
        o.run(
            c.person,
            planning,
            CommandBody::CommitObjective { objective: obj },
        );
        commune_objs.push(obj);
        commune_krs.push((c.person, kr_booking, kr_days, i));
    }
    // Aligning the top objective below a commune's would close a loop: refused.
    println!("Quarter planning: aligning the federation objective below a commune's:");
    o.refused(
        project_lead,
        planning,
        CommandBody::AlignObjective {
            objective: top,
            parent: commune_objs[0],
            contribution: 1,
        },
    );

    o.run(
        master,
        day(q_start, 8),
        CommandBody::StartCycle { cycle: q2 },
    );

    // Thirteen weeklies: check-ins, agreements, one blocker.
    let blocker = BlockerId(o.id());
    let mut open_agreements: Vec<(PersonId, AgreementId, usize)> = Vec::new();
    for week in 1..=13i64 {
        let at = day(q_start + Duration::weeks(week) - Duration::days(1), 9);
        let w = week as f64;
        for (_, agreement, i) in open_agreements.drain(..) {
            let outcome = if (week as usize + i) % 4 == 0 {
                AgreementOutcome::Missed
            } else {
                AgreementOutcome::Kept
            };
            o.run(
                communes[i].person,
                at,
                CommandBody::ResolveAgreement {
                    agreement,
                    outcome,
                    weekly: None,
                },
            );
        }
        for (member, kr_booking, kr_days, i) in &commune_krs {
            // Marburg (index 3) is blocked for weeks 3..8 and stalls.
            let stalled = *i == 3 && (3..=8).contains(&week);
            let pace = 1.0 - (*i as f64) * 0.08;
            let booking = if stalled {
                10.0 + 2.0 * 2.0
            } else {
                10.0 + 40.0 * pace * w / 13.0
            };
            let days = 12.0 - 7.0 * (pace * w / 13.0).min(1.0);
            let confidence = if stalled { 3 } else { (6.0 + 3.0 * pace) as u8 };
            o.run(
                *member,
                at,
                CommandBody::CheckIn {
                    key_result: *kr_booking,
                    value: (booking * 10.0).round() / 10.0,
                    confidence,
                    note: if stalled {
                        "waiting for data protection clearance".into()
                    } else {
                        String::new()
                    },
                    effective_at: Some(at - Duration::hours(12)),
                },
            );
            o.run(
                *member,
                at,
                CommandBody::CheckIn {
                    key_result: *kr_days,
                    value: (days * 10.0).round() / 10.0,
                    confidence,
                    note: String::new(),
                    effective_at: None,
                },
            );
            if week % 2 == 1 {
                let agreement = AgreementId(o.id());
                o.run(
                    *member,
                    at,
                    CommandBody::MakeAgreement {
                        cycle: q2,
                        agreement,
                        unit: communes[*i].unit,
                        text: "Publish the next online form on the website".into(),
                        owner: Some(*member),
                        due: Some((at + Duration::weeks(1)).date_naive()),
                        weekly: None,
                        provider: None,
                        provides: None,
                        receiver: None,
                        consequence: None,
                    },
                );
                open_agreements.push((*member, agreement, *i));
            }
        }
        o.run(
            project_lead,
            at,
            CommandBody::CheckIn {
                key_result: online_share,
                value: 5.0 + 20.0 * 0.85 * w / 13.0,
                confidence: 7,
                note: String::new(),
                effective_at: None,
            },
        );
        o.run(
            project_lead,
            at,
            CommandBody::CheckIn {
                key_result: rating,
                value: 3.2 + 0.8 * 0.6 * w / 13.0,
                confidence: 6,
                note: String::new(),
                effective_at: None,
            },
        );
        let marburg = &communes[3];
        if week == 3 {
            o.run(
                marburg.person,
                at,
                CommandBody::RaiseBlocker {
                    cycle: q2,
                    blocker,
                    unit: marburg.unit,
                    key_result: Some(commune_krs[3].1),
                    text: "Online appointment calendar waits for data protection clearance".into(),
                },
            );
            o.run(
                marburg.person,
                at,
                CommandBody::EscalateBlocker {
                    blocker,
                    to: steering,
                },
            );
            println!("Week 3: a commune lead tries to decide the escalated blocker:");
            o.refused(
                marburg.person,
                at,
                CommandBody::DecideBlocker {
                    blocker,
                    decision: "go".into(),
                },
            );
        }
        if week == 5 {
            o.run(mayor, at, CommandBody::DecideBlocker {
                blocker,
                decision: "Use the federation's joint data protection agreement; the district's officer signs by week 8".into(),
            });
        }
    }
    // Agreements made at the last weekly stay open: an agreement is resolved at a later
    // weekly, and the quarter has none.
    open_agreements.clear();

    // Review, retrospective, carry-over.
    o.run(
        master,
        day(q_end, 14),
        CommandBody::BeginReview {
            cycle: q2,
            early_reason: None,
        },
    );
    o.run(
        project_lead,
        day(q_end, 15),
        CommandBody::OverrideScore {
            key_result: rating,
            score: 0.5,
            reason: "the survey had only 41 answers; we count the trend, not the last value".into(),
        },
    );
    o.run(
        master,
        day(q_end, 16),
        CommandBody::BeginRetrospective { cycle: q2 },
    );
    let item = RetroItemId(o.id());
    o.run(
        communes[3].person,
        day(q_end, 16),
        CommandBody::AddRetroItem {
            cycle: q2,
            item,
            kind: RetroKind::Improve,
            text: "Escalate blockers in the first week, not the third".into(),
        },
    );
    o.run(
        master,
        day(q_end, 16),
        CommandBody::AddRetroAction {
            cycle: q2,
            action: RetroActionId(o.id()),
            text: "Add a blocker round to every weekly".into(),
            owner: master,
            item: Some(item),
        },
    );
    let q3 = CycleId(o.id());
    o.run(
        master,
        day(q_end, 17),
        CommandBody::PlanCycle {
            cycle: q3,
            name: "2025-Q3".into(),
            kind: CycleKind::Regular,
            start: date("2025-07-01"),
            end: date("2025-09-30"),
            check_in_weekday: Weekday::Tue,
            policy: None,
        },
    );
    let scores = rollup::scores(&o.state.cycles[&q2]);
    let mut carried = 0;
    for (obj, c) in commune_objs.iter().zip(communes) {
        if scores.objectives[obj].unwrap_or(0) < 700_000 {
            o.run(
                c.person,
                day(q_end, 17),
                CommandBody::CarryOver {
                    objective: *obj,
                    to_cycle: q3,
                    new_objective: ObjectiveId(o.id()),
                },
            );
            carried += 1;
        }
    }
    o.run(
        master,
        day(q_end, 18),
        CommandBody::CloseCycle { cycle: q2 },
    );

    // --- What came out. ---
    let q2c = &o.state.cycles[&q2];
    let unit_name = |u: UnitId| o.state.units[&u].name.clone();
    println!("\nLints met ({}):", o.lints.len());
    for l in o.lints.values() {
        println!("  [{}] {}", l.code.code(), l.message_en);
        println!(
            "  {:>width$} {}",
            "",
            l.message_de,
            width = l.code.code().len() + 2
        );
    }
    let at_end = day(q_end, 18);
    let cycle_lints = lint::cycle(&o.state, q2, at_end);
    println!("Lints on 2025-Q2 at close: {}", cycle_lints.len());

    println!("\nFinal scores, 2025-Q2:");
    for obj in q2c.objectives.values() {
        let score = scores.objectives[&obj.id]
            .map(format_ppm)
            .unwrap_or_else(|| "-".into());
        println!(
            "  {score:>5}  {:<22} {:?} {}",
            unit_name(obj.unit),
            obj.kind,
            obj.text.title
        );
        for kr in q2c.key_results_of(obj.id) {
            let s = &scores.key_results[&kr.id];
            let how = match &s.provenance {
                ScoreProvenance::Computed => "computed".to_string(),
                ScoreProvenance::Overridden { reason, .. } => format!("overridden: {reason}"),
                ScoreProvenance::Corrected { reason, .. } => format!("corrected: {reason}"),
            };
            println!(
                "         {:>5}  {} ({how})",
                format_ppm(s.score_ppm),
                kr.title
            );
        }
    }
    println!(
        "  cycle score {}",
        scores.cycle.map(format_ppm).unwrap_or_else(|| "-".into())
    );
    let kept = q2c
        .agreements
        .values()
        .filter(|a| matches!(a.resolution, Some((AgreementOutcome::Kept, _))))
        .count();
    let b = &q2c.blockers[&blocker];
    let lead_days = b
        .decision
        .as_ref()
        .map(|d| (d.at - b.raised_at).num_days())
        .unwrap_or_default();
    println!("Agreements kept: {kept} of {}", q2c.agreements.len());
    println!("Blocker decided by the steering committee after {lead_days} days");
    println!("Objectives carried over to 2025-Q3: {carried}");
    println!("Events: {}", o.events);
}
