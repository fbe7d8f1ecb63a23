//! Review scores, retrospective items and actions.

use crate::ids::{CycleId, PersonId, RetroActionId, RetroItemId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Where a key result's review score comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "source", rename_all = "snake_case")]
pub enum ScoreProvenance {
    /// Computed from the final progress.
    Computed,
    /// Set by a person during Review, with a reason.
    Overridden {
        /// Why.
        reason: String,
        /// Who.
        by: PersonId,
        /// When.
        at: DateTime<Utc>,
    },
    /// Corrected after the cycle closed, with a reason.
    Corrected {
        /// Why.
        reason: String,
        /// Who.
        by: PersonId,
        /// When.
        at: DateTime<Utc>,
    },
}

/// A review score set by hand (override or correction), in parts per million.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ManualScore {
    /// The score, 0..=1 000 000 ppm.
    pub score_ppm: i64,
    /// Override or correction, with reason.
    pub provenance: ScoreProvenance,
}

/// Keep, improve, stop or try.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum RetroKind {
    /// Keep doing.
    Keep,
    /// Do better.
    Improve,
    /// Stop doing.
    Stop,
    /// Try next time.
    Try,
}

/// A retrospective item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RetroItem {
    /// Its id.
    pub id: RetroItemId,
    /// Keep / improve / stop / try.
    pub kind: RetroKind,
    /// What was said.
    pub text: String,
    /// Who said it.
    pub by: PersonId,
}

/// A retrospective action, carried to the next cycle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RetroAction {
    /// Its id.
    pub id: RetroActionId,
    /// What will be done.
    pub text: String,
    /// Who does it.
    pub owner: PersonId,
    /// The item it answers, if one.
    pub item: Option<RetroItemId>,
    /// How it was followed up in a later cycle, once it was.
    #[serde(default)]
    pub follow_up: Option<RetroFollowUp>,
}

/// The follow-up of a retrospective action in a later cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RetroFollowUp {
    /// The later cycle in which it was followed up.
    pub cycle: CycleId,
    /// Whether it was done.
    pub done: bool,
    /// When.
    pub at: DateTime<Utc>,
}
