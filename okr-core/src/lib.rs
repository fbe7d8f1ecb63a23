//! okr-core: the pure OKR cycle engine.
#![forbid(unsafe_code)]

pub mod command;
pub mod cycle;
pub mod decide;
pub mod event;
pub mod ids;
pub mod key_result;
pub mod objective;
pub mod organisation;
pub mod policy;
pub mod rejection;
pub mod review;
pub mod state;
pub mod weekly;

pub use command::{Command, CommandBody, Envelope};
pub use cycle::{Cycle, Phase};
pub use decide::{decide, route};
pub use event::{Event, EventBody};
pub use ids::*;
pub use key_result::{Bound, CheckIn, KeyResult, KeyResultPatch, KrKind};
pub use objective::{Objective, ObjectiveKind, ObjectivePatch, ObjectiveStatus, ObjectiveText};
pub use organisation::{Person, Role, Unit, UnitKind};
pub use policy::{CycleKind, Policy};
pub use rejection::{Rejection, Rule};
pub use review::{ManualScore, RetroAction, RetroItem, RetroKind, ScoreProvenance};
pub use state::State;
pub use weekly::{Agreement, AgreementOutcome, Blocker, BlockerDecision, Initiative, InitiativeStatus};
