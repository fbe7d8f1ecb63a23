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

/// An agreement made in a weekly: what should be different by the next one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Agreement {
    /// Its id.
    pub id: AgreementId,
    /// The unit whose weekly made it.
    pub unit: UnitId,
    /// What was agreed.
    pub text: String,
    /// Who took it on.
    pub owner: Option<PersonId>,
    /// By when.
    pub due: Option<NaiveDate>,
    /// When it was made.
    pub made_at: DateTime<Utc>,
    /// How it ended, once resolved, and when.
    pub resolution: Option<(AgreementOutcome, DateTime<Utc>)>,
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
