//! okr-core: the pure OKR cycle engine.
//!
//! The whole OKR cycle — organisation, planning, weekly check-ins, review, retrospective —
//! is modelled as commands that [`decide()`] turns into a [`Decision`] (the stream written
//! to and its events), and events that [`State::apply`] folds into state; [`execute`] does
//! both. Nothing here does I/O, reads a clock or makes random numbers: ids and time arrive
//! in each command's [`Envelope`]. Which command is allowed in which phase, and who may give
//! it on which unit, is one table, [`decide::rules`], rendered as `PERMISSIONS.md`.
//!
//! ```
//! use okr_core::*;
//! use uuid::Uuid;
//!
//! let master = PersonId::from_u128(1);
//! let at: chrono::DateTime<chrono::Utc> = "2025-01-06T09:00:00Z".parse().unwrap();
//! let mut n = 0u128;
//! let mut cmd = |body| {
//!     n += 1;
//!     Command::new(Uuid::from_u128(n), master, at, body)
//! };
//! let mut state = State::new();
//! let root = UnitId::from_u128(10);
//! for body in [
//!     CommandBody::DefineUnit { unit: root, name: "Federation".into(), kind: UnitKind::Organisation, parent: None },
//!     CommandBody::RegisterPerson { person: master, name: "Alex".into() },
//!     CommandBody::GrantMembership { unit: root, person: master, role: Role::OkrMaster },
//! ] {
//!     execute(&mut state, &cmd(body)).unwrap();
//! }
//! let cycle = CycleId::from_u128(20);
//! let plan = cmd(CommandBody::PlanCycle {
//!     cycle,
//!     name: "Practice sprint".into(),
//!     kind: CycleKind::Practice,
//!     start: "2025-01-06".parse().unwrap(),
//!     end: "2025-01-31".parse().unwrap(),
//!     check_in_weekday: chrono::Weekday::Mon,
//!     policy: None,
//! });
//! // Deciding alone changes nothing: it says which stream the events go to, and which events.
//! let decision = decide(&state, &plan).unwrap();
//! assert_eq!(decision.stream, StreamId::Cycle(cycle));
//! assert_eq!(decision.events.len(), 1);
//! // Executing decides and applies.
//! let outcome = execute(&mut state, &plan).unwrap();
//! assert_eq!(outcome.events, decision.events);
//! assert_eq!(state.cycles[&cycle].phase, Phase::Planning);
//!
//! // Starting needs a committed objective with a key result: the rule is named.
//! let refused = execute(&mut state, &cmd(CommandBody::StartCycle { cycle })).unwrap_err();
//! assert!(matches!(refused, Rejection::RuleViolated { rule: Rule::StartNeedsCommittedObjective, .. }));
//! ```
#![forbid(unsafe_code)]

pub mod board;
pub mod command;
pub mod cycle;
pub mod decide;
pub mod event;
pub mod i18n;
mod id_map;
pub mod ids;
pub mod key_result;
pub mod kpi;
pub mod lint;
pub mod maturity;
pub mod objective;
pub mod organisation;
pub mod outcome;
pub mod policy;
pub mod rejection;
pub mod report;
pub mod review;
pub mod rollup;
pub mod scoring;
mod small_map;
pub mod state;
pub mod stats;
mod text;
pub mod weekly;

pub use command::{Command, CommandBody, CommandKind, Envelope};
pub use cycle::{Cycle, Phase};
pub use decide::{decide, Decision};
pub use event::{Event, EventBody, PersonalField, PersonalKind};
pub use id_map::{IdMap, Keyed};
pub use ids::*;
pub use key_result::{
    Bound, CheckIn, CheckIns, KeyResult, KeyResultPatch, KrKind, LatestCheckIn, WeekSet,
};
pub use kpi::{Kpi, KpiHealth, KpiReading};
pub use lint::{Lint, LintCode};
pub use objective::{
    Alignments, Objective, ObjectiveKind, ObjectivePatch, ObjectiveStatus, ObjectiveText,
};
pub use organisation::{pseudonym, Person, Role, Roles, Unit, UnitKind, ERASED_TEXT};
pub use policy::{CycleKind, Policy};
pub use rejection::{Rejection, Rule};
pub use review::{ManualScore, RetroAction, RetroFollowUp, RetroItem, RetroKind, ScoreProvenance};
pub use small_map::SmallMap;
pub use state::State;
pub use weekly::{
    Agreement, AgreementOutcome, Blocker, BlockerDecision, Initiative, InitiativeStatus, Party,
};

/// What an accepted command did: its stream, its events and the lints it met.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Outcome {
    /// The stream the events belong to.
    pub stream: StreamId,
    /// The events, in order.
    pub events: Vec<Event>,
    /// Advisory findings about what the command touched.
    pub lints: Vec<Lint>,
}

/// Decides a command and, when accepted, applies its [`Decision`]'s events to `state` and
/// returns them with their stream and the lints they met. A refused command leaves `state`
/// untouched.
pub fn execute(state: &mut State, command: &Command) -> Result<Outcome, Rejection> {
    let Decision { stream, events } = decide(state, command)?;
    for e in &events {
        state.apply(e);
    }
    let lints = lint::for_events(state, &events);
    Ok(Outcome {
        stream,
        events,
        lints,
    })
}
