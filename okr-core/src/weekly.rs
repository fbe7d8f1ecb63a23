//! The weekly: agreements, blockers and escalations, initiatives.

use crate::ids::{AgreementId, BlockerId, InitiativeId, KeyResultId, PersonId, UnitId};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// How an agreement ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum AgreementOutcome {
    /// It was kept.
    Kept,
    /// It was missed.
    Missed,
}

/// A party to an agreement: a person or a unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Party {
    /// A registered person.
    Person(PersonId),
    /// A unit of the organisation.
    Unit(UnitId),
}

/// An agreement made in a weekly: a mutual declaration of intent. Who does what (the
/// owner and the text), who provides what for it (the provider and what it provides), for
/// whom (the receiver), and what happens if it is not kept (the consequence). It is made at
/// the weekly of a unit held on a date and resolved, kept or missed, at a later weekly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Agreement {
    /// Its id.
    pub id: AgreementId,
    /// The unit whose weekly made it.
    pub unit: UnitId,
    /// What was agreed: what the owner does.
    pub text: String,
    /// Who took it on.
    pub owner: Option<PersonId>,
    /// By when.
    pub due: Option<NaiveDate>,
    /// When it was made.
    pub made_at: DateTime<Utc>,
    /// The date of the weekly that made it (the day it was made, for agreements recorded
    /// before weeklies carried a date).
    pub weekly: NaiveDate,
    /// Who provides something the owner needs to keep it.
    #[serde(default)]
    pub provider: Option<Party>,
    /// What the provider provides.
    #[serde(default)]
    pub provides: Option<String>,
    /// For whom it is done.
    #[serde(default)]
    pub receiver: Option<Party>,
    /// What happens if it is not kept.
    #[serde(default)]
    pub consequence: Option<String>,
    /// How it ended, once resolved, and when.
    pub resolution: Option<(AgreementOutcome, DateTime<Utc>)>,
    /// The date of the weekly that resolved it, once resolved.
    #[serde(default)]
    pub resolved_weekly: Option<NaiveDate>,
}

/// A decision taken on an escalated blocker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct BlockerDecision {
    /// What was decided.
    pub decision: String,
    /// Who decided.
    pub by: PersonId,
    /// When.
    pub at: DateTime<Utc>,
}

/// Something in a unit's way.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Blocker {
    /// Its id.
    pub id: BlockerId,
    /// The unit that raised it.
    pub unit: UnitId,
    /// The key result it holds up, if one.
    pub key_result: Option<KeyResultId>,
    /// What is in the way.
    pub text: String,
    /// When it was raised.
    pub raised_at: DateTime<Utc>,
    /// The committee it was escalated to, and when.
    pub escalation: Option<(UnitId, DateTime<Utc>)>,
    /// The committee's decision.
    pub decision: Option<BlockerDecision>,
}

/// Where an initiative stands on the board.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum InitiativeStatus {
    /// Not started.
    Todo,
    /// In progress.
    Doing,
    /// Finished.
    Done,
}

/// Work that should move a key result, prioritised by effort and impact (1..=5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Initiative {
    /// Its id.
    pub id: InitiativeId,
    /// The key result it should move.
    pub key_result: KeyResultId,
    /// What will be done.
    pub title: String,
    /// Effort 1 (little) ..= 5 (much).
    pub effort: u8,
    /// Impact 1 (little) ..= 5 (much).
    pub impact: u8,
    /// Board column.
    pub status: InitiativeStatus,
}

impl Initiative {
    /// Impact per effort in parts per thousand; higher comes first on the board.
    pub fn priority(&self) -> u32 {
        u32::from(self.impact) * 1000 / u32::from(self.effort.max(1))
    }
}
