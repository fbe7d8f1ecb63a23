//! Given / when / then for `decide`, and the fixtures the cases are built from.
//!
//! `given` is a list of events folded with [`State::from_events`]; `when` is one command;
//! `then` is either the exact event bodies `decide` returns or what the rejection must be.
//! Every fixture is produced by running real commands through `decide` + `apply`
//! ([`run`]), so the given events are exactly what the engine would have written.

#![allow(dead_code)]

use chrono::{DateTime, NaiveDate, TimeZone, Utc, Weekday};
use okr_core::{
    decide, Command, CommandBody, CycleKind, EntityKind, Event, EventBody, KrKind, ObjectiveKind,
    PersonId, Phase, Rejection, Role, Rule, State, StreamId, UnitId, UnitKind,
};
use std::fmt;
use uuid::Uuid;

// ---------------------------------------------------------------------------------------------
// The helper: check(given, when, then)
// ---------------------------------------------------------------------------------------------

/// What a command must lead to.
#[derive(Debug, Clone)]
pub enum Expect {
    /// Accepted; exactly these event bodies, in this order.
    Events(Vec<EventBody>),
    /// Refused with exactly this rejection.
    Rejected(Rejection),
    /// Refused with `RuleViolated { rule, detail }` where `detail` contains the string.
    Rule(Rule, String),
    /// Refused with `InvalidField { field, .. }` naming this field.
    Field(String),
}

/// Accepted with exactly these bodies.
pub fn events(bodies: Vec<EventBody>) -> Expect {
    Expect::Events(bodies)
}

/// Accepted with exactly this one body.
pub fn event(body: EventBody) -> Expect {
    Expect::Events(vec![body])
}

/// Refused with exactly this rejection.
pub fn rejected(r: Rejection) -> Expect {
    Expect::Rejected(r)
}

/// Refused by `rule`, with a detail containing `contains` (use "" to not care).
pub fn rule(rule: Rule, contains: impl Into<String>) -> Expect {
    Expect::Rule(rule, contains.into())
}

/// Refused by `rule` with exactly this detail.
pub fn rule_exact(rule: Rule, detail: impl Into<String>) -> Expect {
    let detail: String = detail.into();
    Expect::Rejected(Rejection::RuleViolated {
        rule,
        detail: detail.into(),
    })
}

/// Refused for an invalid field.
pub fn field(name: &str) -> Expect {
    Expect::Field(name.to_string())
}

/// Refused for an invalid field, with exactly this reason.
pub fn field_exact(name: &str, reason: impl Into<String>) -> Expect {
    let reason: String = reason.into();
    Expect::Rejected(Rejection::InvalidField {
        field: name.to_string(),
        reason: reason.into(),
    })
}

/// Refused: the cycle is in the wrong phase.
pub fn wrong_phase(cycle: okr_core::CycleId, phase: Phase, allowed: &[Phase]) -> Expect {
    Expect::Rejected(Rejection::WrongPhase {
        cycle,
        phase,
        allowed: allowed.to_vec(),
    })
}

/// Refused: the actor may not do this.
pub fn unauthorized(actor: PersonId, action: &str, unit: Option<UnitId>) -> Expect {
    Expect::Rejected(Rejection::Unauthorized {
        actor,
        action: action.into(),
        unit,
    })
}

/// Refused: an unknown id.
pub fn unknown(kind: EntityKind, id: impl fmt::Display) -> Expect {
    Expect::Rejected(Rejection::UnknownId {
        kind,
        id: id.to_string().into(),
    })
}

/// Refused: the id exists already.
pub fn exists(kind: EntityKind, id: impl fmt::Display) -> Expect {
    Expect::Rejected(Rejection::AlreadyExists {
        kind,
        id: id.to_string().into(),
    })
}

/// Refused: the stream is not at the expected version.
pub fn conflict(stream: StreamId, expected: u64, actual: u64) -> Expect {
    Expect::Rejected(Rejection::VersionConflict {
        stream,
        expected,
        actual,
    })
}

/// Folds `given`, decides `when`, and compares with `then`; the error says what went wrong.
pub fn try_check(given: &[Event], when: &Command, then: &Expect) -> Result<(), String> {
    let state = State::from_events(given);
    let outcome = decide(&state, when);
    let again = decide(&state, when);
    let mut problems = Vec::new();
    if outcome != again {
        problems.push("decide is not deterministic".to_string());
    }
    match (&outcome, then) {
        (Ok(decision), Expect::Events(bodies)) => {
            let evs = &decision.events;
            let actual: Vec<&EventBody> = evs.iter().map(|e| &e.body).collect();
            let wanted: Vec<&EventBody> = bodies.iter().collect();
            if actual != wanted {
                problems.push("event bodies differ".to_string());
            }
            if let Some(e) = evs
                .iter()
                .find(|e| e.at != when.envelope.at || e.by != when.envelope.actor)
            {
                problems.push(format!("event not stamped with the envelope: {e:?}"));
            }
            let stream = decision.stream;
            if let Some(e) = evs.iter().find(|e| e.stream() != stream) {
                problems.push(format!(
                    "event {} goes to {}, but the decision names stream {stream}",
                    e.body.event_type(),
                    e.stream()
                ));
            }
        }
        (Err(r), Expect::Rejected(want)) => {
            if r != want {
                problems.push("rejection differs".to_string());
            }
        }
        (Err(Rejection::RuleViolated { rule, detail }), Expect::Rule(want, contains)) => {
            if rule != want {
                problems.push(format!("rule {rule} instead of {want}"));
            }
            if !detail.contains(contains.as_str()) {
                problems.push(format!("detail {detail:?} lacks {contains:?}"));
            }
        }
        (Err(Rejection::InvalidField { field, .. }), Expect::Field(want)) => {
            if field != want {
                problems.push(format!("field {field:?} instead of {want:?}"));
            }
        }
        (Ok(_), _) => problems.push("accepted, but a rejection was expected".to_string()),
        (Err(_), _) => problems.push("refused, but something else was expected".to_string()),
    }
    if problems.is_empty() {
        return Ok(());
    }
    let actual = match &outcome {
        Ok(d) => format!(
            "{:#?}",
            d.events.iter().map(|e| &e.body).collect::<Vec<_>>()
        ),
        Err(r) => format!("{r:#?}\n  ({r})"),
    };
    Err(format!(
        "{}\ncommand: {} {:#?}\nexpected: {then:#?}\nactual: {actual}",
        problems.join("; "),
        when.body.name(),
        when
    ))
}

/// Given `given`, when `when`, then `then` — panics with the command and the actual outcome.
pub fn check(given: &[Event], when: Command, then: Expect) {
    if let Err(e) = try_check(given, &when, &then) {
        panic!("{e}");
    }
}

/// One named row of a table.
#[derive(Debug, Clone)]
pub struct Case {
    /// Shown when the case fails.
    pub name: String,
    /// Folded into the state.
    pub given: Vec<Event>,
    /// Decided.
    pub when: Command,
    /// Expected.
    pub then: Expect,
}

/// A named case.
pub fn case(name: impl Into<String>, given: &[Event], when: Command, then: Expect) -> Case {
    Case {
        name: name.into(),
        given: given.to_vec(),
        when,
        then,
    }
}

/// Runs every case and reports all failing ones by name.
pub fn check_all(cases: Vec<Case>) {
    assert!(!cases.is_empty(), "empty table");
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|c| {
            try_check(&c.given, &c.when, &c.then)
                .err()
                .map(|e| format!("--- case `{}` failed: {e}", c.name))
        })
        .collect();
    if !failures.is_empty() {
        panic!(
            "{} of {} cases failed:\n{}",
            failures.len(),
            cases.len(),
            failures.join("\n\n")
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Commands, events, running setup steps
// ---------------------------------------------------------------------------------------------

/// The command id every test command carries (decide does not look at it).
pub const COMMAND_ID: Uuid = Uuid::from_u128(0xC0_11AD);

/// A command by `actor` at `at`, without an expected version.
pub fn cmd(actor: PersonId, at: DateTime<Utc>, body: CommandBody) -> Command {
    Command::new(COMMAND_ID, actor, at, body)
}

/// Sets the expected stream version of a command.
pub fn expecting(command: Command, version: u64) -> Command {
    command.expecting(version)
}

/// An event as decide stamps it.
pub fn ev(at: DateTime<Utc>, by: PersonId, body: EventBody) -> Event {
    Event { at, by, body }
}

/// Decides `command` and applies its events; a refused setup step panics with the rejection.
pub fn run(state: &mut State, command: Command) -> Vec<Event> {
    match decide(state, &command) {
        Ok(decision) => {
            for e in &decision.events {
                state.apply(e);
            }
            decision.events
        }
        Err(r) => panic!(
            "setup step {} refused: {r}\n{r:?}\n{command:#?}",
            command.body.name()
        ),
    }
}

/// A log being built by running commands.
#[derive(Debug, Clone, Default)]
pub struct World {
    /// The state so far.
    pub state: State,
    /// Every event so far.
    pub events: Vec<Event>,
}

impl World {
    /// The empty world.
    pub fn new() -> Self {
        Self::default()
    }

    /// A world continuing from `events`.
    pub fn from_events(events: &[Event]) -> Self {
        World {
            state: State::from_events(events),
            events: events.to_vec(),
        }
    }

    /// Runs one command (panicking when refused).
    pub fn step(&mut self, actor: PersonId, at: DateTime<Utc>, body: CommandBody) -> &mut Self {
        let evs = run(&mut self.state, cmd(actor, at, body));
        self.events.extend(evs);
        self
    }

    /// Runs one command, by value.
    pub fn then(mut self, actor: PersonId, at: DateTime<Utc>, body: CommandBody) -> Self {
        self.step(actor, at, body);
        self
    }

    /// The events.
    pub fn events(self) -> Vec<Event> {
        self.events
    }
}

/// `given` followed by the events of more commands.
pub fn after(given: &[Event], steps: Vec<(PersonId, DateTime<Utc>, CommandBody)>) -> Vec<Event> {
    let mut w = World::from_events(given);
    for (actor, at, body) in steps {
        w.step(actor, at, body);
    }
    w.events
}

// ---------------------------------------------------------------------------------------------
// Fixed ids and times
// ---------------------------------------------------------------------------------------------

/// Fixed ids, dates and times.
pub mod fx {
    use super::*;
    use okr_core::{
        AgreementId, BlockerId, CycleId, InitiativeId, KeyResultId, ObjectiveId, RetroActionId,
        RetroItemId,
    };

    // units
    pub const ROOT: UnitId = UnitId::from_u128(0x100);
    pub const UNIT_A: UnitId = UnitId::from_u128(0x101);
    pub const UNIT_B: UnitId = UnitId::from_u128(0x102);
    pub const COMMITTEE: UnitId = UnitId::from_u128(0x103);
    pub const NEW_UNIT: UnitId = UnitId::from_u128(0x104);
    pub const TEAM_A1: UnitId = UnitId::from_u128(0x105);
    pub const NO_UNIT: UnitId = UnitId::from_u128(0x1FF);

    // people
    pub const MASTER: PersonId = PersonId::from_u128(0x200);
    pub const LEAD_A: PersonId = PersonId::from_u128(0x201);
    pub const MEMBER_A: PersonId = PersonId::from_u128(0x202);
    pub const MEMBER_B: PersonId = PersonId::from_u128(0x203);
    pub const STEERING: PersonId = PersonId::from_u128(0x204);
    pub const OBSERVER: PersonId = PersonId::from_u128(0x205);
    /// Registered, holds no role anywhere.
    pub const OUTSIDER: PersonId = PersonId::from_u128(0x206);
    /// Never registered.
    pub const STRANGER: PersonId = PersonId::from_u128(0x207);
    /// Registered by a test.
    pub const NEWCOMER: PersonId = PersonId::from_u128(0x208);
    /// Lead of ROOT (the federation's project lead): drafts and commits its objectives.
    pub const PROJECT_LEAD: PersonId = PersonId::from_u128(0x209);

    // cycles
    /// The regular cycle 2025-Q1 the phase fixtures drive.
    pub const CYCLE: CycleId = CycleId::from_u128(0x300);
    /// 2025-Q2, later than CYCLE.
    pub const NEXT: CycleId = CycleId::from_u128(0x301);
    /// 2024-Q4, earlier than CYCLE.
    pub const PREV: CycleId = CycleId::from_u128(0x302);
    pub const PRACTICE: CycleId = CycleId::from_u128(0x303);
    pub const NEW_CYCLE: CycleId = CycleId::from_u128(0x304);
    pub const NO_CYCLE: CycleId = CycleId::from_u128(0x3FF);

    // objectives
    /// Commune A's committed objective in CYCLE (with KR_A).
    pub const OBJ_A: ObjectiveId = ObjectiveId::from_u128(0x400);
    pub const OBJ_A2: ObjectiveId = ObjectiveId::from_u128(0x401);
    pub const OBJ_B: ObjectiveId = ObjectiveId::from_u128(0x402);
    pub const OBJ_C: ObjectiveId = ObjectiveId::from_u128(0x403);
    /// An objective of NEXT.
    pub const OBJ_NEXT: ObjectiveId = ObjectiveId::from_u128(0x404);
    pub const OBJ_NEW: ObjectiveId = ObjectiveId::from_u128(0x405);
    pub const OBJ_CARRIED: ObjectiveId = ObjectiveId::from_u128(0x406);
    pub const OBJ_CARRIED2: ObjectiveId = ObjectiveId::from_u128(0x407);
    pub const NO_OBJ: ObjectiveId = ObjectiveId::from_u128(0x4FF);

    // key results
    /// OBJ_A's key result, owned by MEMBER_A.
    pub const KR_A: KeyResultId = KeyResultId::from_u128(0x500);
    pub const KR_A2: KeyResultId = KeyResultId::from_u128(0x501);
    pub const KR_NEW: KeyResultId = KeyResultId::from_u128(0x502);
    pub const KR_B: KeyResultId = KeyResultId::from_u128(0x503);
    pub const NO_KR: KeyResultId = KeyResultId::from_u128(0x5FF);

    pub const AGREEMENT: AgreementId = AgreementId::from_u128(0x600);
    pub const NO_AGREEMENT: AgreementId = AgreementId::from_u128(0x6FF);
    pub const BLOCKER: BlockerId = BlockerId::from_u128(0x700);
    pub const BLOCKER2: BlockerId = BlockerId::from_u128(0x701);
    pub const NO_BLOCKER: BlockerId = BlockerId::from_u128(0x7FF);
    pub const INITIATIVE: InitiativeId = InitiativeId::from_u128(0x800);
    pub const INITIATIVE2: InitiativeId = InitiativeId::from_u128(0x801);
    pub const NO_INITIATIVE: InitiativeId = InitiativeId::from_u128(0x8FF);
    pub const RETRO_ITEM: RetroItemId = RetroItemId::from_u128(0x900);
    pub const RETRO_ITEM2: RetroItemId = RetroItemId::from_u128(0x901);
    pub const NO_RETRO_ITEM: RetroItemId = RetroItemId::from_u128(0x9FF);
    pub const RETRO_ACTION: RetroActionId = RetroActionId::from_u128(0xA00);
    pub const RETRO_ACTION2: RetroActionId = RetroActionId::from_u128(0xA01);

    /// A date.
    pub fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("valid date")
    }

    /// A UTC time.
    pub fn t(y: i32, m: u32, day: u32, h: u32, min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, day, h, min, 0)
            .single()
            .expect("valid time")
    }

    /// CYCLE's first day (a Monday).
    pub fn start() -> NaiveDate {
        d(2025, 1, 6)
    }
    /// CYCLE's last day (a Friday).
    pub fn end() -> NaiveDate {
        d(2025, 3, 28)
    }
    /// The organisation is set up.
    pub fn t_setup() -> DateTime<Utc> {
        t(2025, 1, 2, 8, 0)
    }
    /// CYCLE is planned and its objectives drafted.
    pub fn t_plan() -> DateTime<Utc> {
        t(2025, 1, 3, 9, 0)
    }
    /// CYCLE starts.
    pub fn t_start() -> DateTime<Utc> {
        t(2025, 1, 6, 9, 0)
    }
    /// A weekly while CYCLE runs.
    pub fn t_week() -> DateTime<Utc> {
        t(2025, 1, 13, 9, 0)
    }
    /// A week before CYCLE's end.
    pub fn t_early() -> DateTime<Utc> {
        t(2025, 3, 20, 9, 0)
    }
    /// On CYCLE's last day.
    pub fn t_end() -> DateTime<Utc> {
        t(2025, 3, 28, 16, 0)
    }
    /// CYCLE's retrospective.
    pub fn t_retro() -> DateTime<Utc> {
        t(2025, 4, 1, 9, 0)
    }
    /// CYCLE closes.
    pub fn t_close() -> DateTime<Utc> {
        t(2025, 4, 2, 9, 0)
    }
    /// After CYCLE closed.
    pub fn t_after() -> DateTime<Utc> {
        t(2025, 4, 10, 9, 0)
    }

    /// OBJ_A's title.
    pub const OBJ_A_TITLE: &str = "Residents get permits without queuing";
    /// KR_A's title.
    pub const KR_A_TITLE: &str = "Share of permits applied for online";
}

use fx::*;

// ---------------------------------------------------------------------------------------------
// Command body builders
// ---------------------------------------------------------------------------------------------

/// Body builders with the defaults the cases need.
pub mod b {
    use super::*;
    use okr_core::{
        AgreementId, BlockerId, CycleId, InitiativeId, KeyResultId, ObjectiveId, RetroActionId,
        RetroItemId,
    };

    pub fn define_unit(
        unit: UnitId,
        name: &str,
        kind: UnitKind,
        parent: Option<UnitId>,
    ) -> CommandBody {
        CommandBody::DefineUnit {
            unit,
            name: name.into(),
            kind,
            parent,
        }
    }
    pub fn register(person: PersonId, name: &str) -> CommandBody {
        CommandBody::RegisterPerson {
            person,
            name: name.into(),
        }
    }
    pub fn grant(unit: UnitId, person: PersonId, role: Role) -> CommandBody {
        CommandBody::GrantMembership { unit, person, role }
    }
    pub fn revoke(unit: UnitId, person: PersonId, role: Role) -> CommandBody {
        CommandBody::RevokeMembership { unit, person, role }
    }
    pub fn plan(
        cycle: CycleId,
        name: &str,
        kind: CycleKind,
        start: NaiveDate,
        end: NaiveDate,
    ) -> CommandBody {
        CommandBody::PlanCycle {
            cycle,
            name: name.into(),
            kind,
            start,
            end,
            check_in_weekday: Weekday::Mon,
            policy: None,
        }
    }
    pub fn start_cycle(cycle: CycleId) -> CommandBody {
        CommandBody::StartCycle { cycle }
    }
    pub fn begin_review(cycle: CycleId, early_reason: Option<&str>) -> CommandBody {
        CommandBody::BeginReview {
            cycle,
            early_reason: early_reason.map(str::to_string),
        }
    }
    pub fn begin_retro(cycle: CycleId) -> CommandBody {
        CommandBody::BeginRetrospective { cycle }
    }
    pub fn close(cycle: CycleId) -> CommandBody {
        CommandBody::CloseCycle { cycle }
    }
    pub fn cancel(cycle: CycleId, reason: &str) -> CommandBody {
        CommandBody::CancelCycle {
            cycle,
            reason: reason.into(),
        }
    }
    /// A committed-kind objective of weight 1 without beneficiary, change or value.
    pub fn draft(cycle: CycleId, objective: ObjectiveId, unit: UnitId, title: &str) -> CommandBody {
        CommandBody::DraftObjective {
            cycle,
            objective,
            unit,
            title: title.into(),
            beneficiary: None,
            change: None,
            value: None,
            kind: ObjectiveKind::Committed,
            weight: 1,
        }
    }
    pub fn commit(objective: ObjectiveId) -> CommandBody {
        CommandBody::CommitObjective { objective }
    }
    pub fn drop_obj(objective: ObjectiveId, reason: Option<&str>) -> CommandBody {
        CommandBody::DropObjective {
            objective,
            reason: reason.map(str::to_string),
        }
    }
    pub fn align(objective: ObjectiveId, parent: ObjectiveId, contribution: u32) -> CommandBody {
        CommandBody::AlignObjective {
            objective,
            parent,
            contribution,
        }
    }
    pub fn unalign(objective: ObjectiveId, parent: ObjectiveId) -> CommandBody {
        CommandBody::UnalignObjective { objective, parent }
    }
    /// Increase from `baseline` to `target` in `%`.
    pub fn increase(baseline: Option<f64>, target: f64) -> KrKind {
        KrKind::Increase {
            baseline,
            target,
            unit: "%".into(),
        }
    }
    /// Decrease from `baseline` to `target` in days.
    pub fn decrease(baseline: Option<f64>, target: f64) -> KrKind {
        KrKind::Decrease {
            baseline,
            target,
            unit: "days".into(),
        }
    }
    /// A key result of weight 1 without owner.
    pub fn add_kr(
        objective: ObjectiveId,
        key_result: KeyResultId,
        title: &str,
        kind: KrKind,
    ) -> CommandBody {
        CommandBody::AddKeyResult {
            objective,
            key_result,
            title: title.into(),
            kind,
            weight: 1,
            owner: None,
        }
    }
    pub fn remove_kr(key_result: KeyResultId) -> CommandBody {
        CommandBody::RemoveKeyResult { key_result }
    }
    /// A check-in without note, effective when told.
    pub fn check_in(key_result: KeyResultId, value: f64, confidence: u8) -> CommandBody {
        CommandBody::CheckIn {
            key_result,
            value,
            confidence,
            note: String::new(),
            effective_at: None,
        }
    }
    pub fn agreement(
        cycle: CycleId,
        agreement: AgreementId,
        unit: UnitId,
        text: &str,
    ) -> CommandBody {
        CommandBody::MakeAgreement {
            cycle,
            agreement,
            unit,
            text: text.into(),
            owner: None,
            due: None,
            weekly: None,
            provider: None,
            provides: None,
            receiver: None,
            consequence: None,
        }
    }
    pub fn resolve(agreement: AgreementId, outcome: okr_core::AgreementOutcome) -> CommandBody {
        CommandBody::ResolveAgreement {
            agreement,
            outcome,
            weekly: None,
        }
    }
    pub fn raise(cycle: CycleId, blocker: BlockerId, unit: UnitId, text: &str) -> CommandBody {
        CommandBody::RaiseBlocker {
            cycle,
            blocker,
            unit,
            key_result: None,
            text: text.into(),
        }
    }
    pub fn escalate(blocker: BlockerId, to: UnitId) -> CommandBody {
        CommandBody::EscalateBlocker { blocker, to }
    }
    pub fn decide_blocker(blocker: BlockerId, decision: &str) -> CommandBody {
        CommandBody::DecideBlocker {
            blocker,
            decision: decision.into(),
        }
    }
    pub fn initiative(
        key_result: KeyResultId,
        initiative: InitiativeId,
        title: &str,
    ) -> CommandBody {
        CommandBody::AddInitiative {
            key_result,
            initiative,
            title: title.into(),
            effort: 2,
            impact: 4,
        }
    }
    pub fn move_initiative(
        initiative: InitiativeId,
        status: okr_core::InitiativeStatus,
    ) -> CommandBody {
        CommandBody::MoveInitiative { initiative, status }
    }
    pub fn override_score(key_result: KeyResultId, score: f64, reason: &str) -> CommandBody {
        CommandBody::OverrideScore {
            key_result,
            score,
            reason: reason.into(),
        }
    }
    pub fn correct_score(key_result: KeyResultId, score: f64, reason: &str) -> CommandBody {
        CommandBody::CorrectScore {
            key_result,
            score,
            reason: reason.into(),
        }
    }
    pub fn review_note(cycle: CycleId, text: &str) -> CommandBody {
        CommandBody::AddReviewNote {
            cycle,
            text: text.into(),
        }
    }
    pub fn retro_item(
        cycle: CycleId,
        item: RetroItemId,
        kind: okr_core::RetroKind,
        text: &str,
    ) -> CommandBody {
        CommandBody::AddRetroItem {
            cycle,
            item,
            kind,
            text: text.into(),
        }
    }
    pub fn retro_action(
        cycle: CycleId,
        action: RetroActionId,
        text: &str,
        owner: PersonId,
    ) -> CommandBody {
        CommandBody::AddRetroAction {
            cycle,
            action,
            text: text.into(),
            owner,
            item: None,
        }
    }
    pub fn carry(
        objective: ObjectiveId,
        to_cycle: CycleId,
        new_objective: ObjectiveId,
    ) -> CommandBody {
        CommandBody::CarryOver {
            objective,
            to_cycle,
            new_objective,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Fixtures: the standard organisation and a cycle in every phase
// ---------------------------------------------------------------------------------------------

/// The standard organisation, set up in setup mode by MASTER (who becomes OkrMaster last):
///
/// ```text
/// ROOT "Federation" (organisation)      MASTER: okr_master, PROJECT_LEAD: lead,
///                                       OBSERVER: observer
/// ├── UNIT_A "Commune A" (organisation) LEAD_A: lead, MEMBER_A: member
/// ├── UNIT_B "Commune B" (organisation) MEMBER_B: member
/// └── COMMITTEE "Steering committee"    STEERING: steering
/// ```
/// OUTSIDER is registered without any role; STRANGER is not registered. MASTER facilitates
/// and holds no content rights: the federation's objectives are PROJECT_LEAD's.
pub fn org() -> Vec<Event> {
    org_world().events
}

/// The standard organisation as a world.
pub fn org_world() -> World {
    let at = t_setup();
    let mut w = World::new();
    w.step(
        MASTER,
        at,
        b::define_unit(ROOT, "Federation", UnitKind::Organisation, None),
    )
    .step(
        MASTER,
        at,
        b::define_unit(UNIT_A, "Commune A", UnitKind::Organisation, Some(ROOT)),
    )
    .step(
        MASTER,
        at,
        b::define_unit(UNIT_B, "Commune B", UnitKind::Organisation, Some(ROOT)),
    )
    .step(
        MASTER,
        at,
        b::define_unit(
            COMMITTEE,
            "Steering committee",
            UnitKind::Committee,
            Some(ROOT),
        ),
    );
    for (p, name) in [
        (MASTER, "Mara Master"),
        (LEAD_A, "Lea Lead"),
        (MEMBER_A, "Anton Member"),
        (MEMBER_B, "Berta Member"),
        (STEERING, "Stefan Steering"),
        (OBSERVER, "Olga Observer"),
        (OUTSIDER, "Otto Outsider"),
        (PROJECT_LEAD, "Paula Projectlead"),
    ] {
        w.step(MASTER, at, b::register(p, name));
    }
    w.step(MASTER, at, b::grant(UNIT_A, LEAD_A, Role::Lead))
        .step(MASTER, at, b::grant(UNIT_A, MEMBER_A, Role::Member))
        .step(MASTER, at, b::grant(UNIT_B, MEMBER_B, Role::Member))
        .step(MASTER, at, b::grant(COMMITTEE, STEERING, Role::Steering))
        .step(MASTER, at, b::grant(ROOT, OBSERVER, Role::Observer))
        .step(MASTER, at, b::grant(ROOT, PROJECT_LEAD, Role::Lead))
        .step(MASTER, at, b::grant(ROOT, MASTER, Role::OkrMaster));
    w
}

/// Number of events in the standard organisation stream.
pub const ORG_VERSION: u64 = 4 + 8 + 7;

/// The organisation and CYCLE planned (regular, 2025-Q1), without objectives.
pub fn planned() -> Vec<Event> {
    org_world()
        .then(
            MASTER,
            t_plan(),
            b::plan(CYCLE, "2025-Q1", CycleKind::Regular, start(), end()),
        )
        .events()
}

/// KR_A as added by the fixture: increase 10 → 50 %, owned by MEMBER_A.
pub fn kr_a_body() -> CommandBody {
    CommandBody::AddKeyResult {
        objective: OBJ_A,
        key_result: KR_A,
        title: KR_A_TITLE.into(),
        kind: b::increase(Some(10.0), 50.0),
        weight: 1,
        owner: Some(MEMBER_A),
    }
}

/// CYCLE in `phase`, with OBJ_A (commune A) drafted, KR_A added and OBJ_A committed.
pub fn cycle_in(phase: Phase) -> Vec<Event> {
    cycle_with(phase, |_| {})
}

/// Like [`cycle_in`], running `extra` at the end of Planning (at `t_plan()`).
pub fn cycle_with(phase: Phase, extra: impl FnOnce(&mut World)) -> Vec<Event> {
    cycle_full(phase, extra, |_| {})
}

/// CYCLE driven to `phase`: OBJ_A drafted, KR_A added and OBJ_A committed by LEAD_A, then
/// `planning_extra`; from Running on (started at `t_start()`), `running_extra`, then the
/// review on the end date, the retrospective and the close. `Cancelled` cancels after
/// Planning, or, when `running_extra` is given, after it while Running — use
/// [`cycle_cancelled_running`] for that.
pub fn cycle_full(
    phase: Phase,
    planning_extra: impl FnOnce(&mut World),
    running_extra: impl FnOnce(&mut World),
) -> Vec<Event> {
    let mut w = World::from_events(&planned());
    w.step(
        LEAD_A,
        t_plan(),
        b::draft(CYCLE, OBJ_A, UNIT_A, OBJ_A_TITLE),
    )
    .step(LEAD_A, t_plan(), kr_a_body())
    .step(LEAD_A, t_plan(), b::commit(OBJ_A));
    planning_extra(&mut w);
    match phase {
        Phase::Planning => {}
        Phase::Cancelled => {
            w.step(MASTER, t_plan(), b::cancel(CYCLE, "budget frozen"));
        }
        _ => {
            w.step(MASTER, t_start(), b::start_cycle(CYCLE));
            running_extra(&mut w);
            if phase >= Phase::Review {
                w.step(MASTER, t_end(), b::begin_review(CYCLE, None));
            }
            if phase >= Phase::Retrospective {
                w.step(MASTER, t_retro(), b::begin_retro(CYCLE));
            }
            if phase >= Phase::Closed {
                w.step(MASTER, t_close(), b::close(CYCLE));
            }
        }
    }
    w.events
}

/// CYCLE started, `running_extra` run, then cancelled while Running.
pub fn cycle_cancelled_running(running_extra: impl FnOnce(&mut World)) -> Vec<Event> {
    let mut w = World::from_events(&cycle_in(Phase::Running));
    running_extra(&mut w);
    w.step(MASTER, t_week(), b::cancel(CYCLE, "budget frozen"));
    w.events
}

/// CYCLE in Planning with OBJ_A committed.
pub fn planning() -> Vec<Event> {
    cycle_in(Phase::Planning)
}
/// CYCLE Running.
pub fn running() -> Vec<Event> {
    cycle_in(Phase::Running)
}
/// CYCLE in Review.
pub fn review() -> Vec<Event> {
    cycle_in(Phase::Review)
}
/// CYCLE in Retrospective.
pub fn retrospective() -> Vec<Event> {
    cycle_in(Phase::Retrospective)
}
/// CYCLE Closed.
pub fn closed() -> Vec<Event> {
    cycle_in(Phase::Closed)
}
/// CYCLE cancelled while Planning.
pub fn cancelled() -> Vec<Event> {
    cycle_in(Phase::Cancelled)
}

/// A time at which a command can be given in the fixture of `phase` (for wrong-phase tables).
pub fn time_in(phase: Phase) -> DateTime<Utc> {
    match phase {
        Phase::Planning | Phase::Cancelled => t_plan(),
        Phase::Running => t_week(),
        Phase::Review => t_end(),
        Phase::Retrospective => t_retro(),
        Phase::Closed => t_after(),
    }
}

/// Wrong-phase cases: `body` by `actor` in every phase of CYCLE not in `allowed`, on the
/// standard fixtures.
pub fn wrong_phase_cases(
    name: &str,
    actor: PersonId,
    body: CommandBody,
    allowed: &[Phase],
) -> Vec<Case> {
    wrong_phase_cases_in(name, actor, body, allowed, |p| Some(cycle_in(p)))
}

/// Wrong-phase cases on fixtures from `fixture` (which gives `None` for a phase it cannot build).
pub fn wrong_phase_cases_in(
    name: &str,
    actor: PersonId,
    body: CommandBody,
    allowed: &[Phase],
    fixture: impl Fn(Phase) -> Option<Vec<Event>>,
) -> Vec<Case> {
    let cases: Vec<Case> = PHASES
        .into_iter()
        .filter(|p| !allowed.contains(p))
        .filter_map(|p| fixture(p).map(|given| (p, given)))
        .map(|(p, given)| {
            case(
                format!("{name} in {p}"),
                &given,
                cmd(actor, time_in(p), body.clone()),
                wrong_phase(CYCLE, p, allowed),
            )
        })
        .collect();
    assert!(!cases.is_empty(), "no wrong-phase case for {name}");
    cases
}

/// Every phase.
pub const PHASES: [Phase; 6] = [
    Phase::Planning,
    Phase::Running,
    Phase::Review,
    Phase::Retrospective,
    Phase::Closed,
    Phase::Cancelled,
];

/// The objective text drafted by [`b::draft`] with `title`.
pub fn plain_text(title: &str) -> okr_core::ObjectiveText {
    okr_core::ObjectiveText {
        title: title.into(),
        beneficiary: None,
        change: None,
        value: None,
    }
}
