//! Key results: "how do I know I am getting there?", from X to Y.

use crate::ids::{KeyResultId, ObjectiveId, PersonId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Which side of a threshold is the right one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Bound {
    /// The value must stay at or above the threshold.
    AtLeast,
    /// The value must stay at or below the threshold.
    AtMost,
}

/// How a key result is measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum KrKind {
    /// Raise a value from `baseline` to `target` (target above baseline).
    Increase {
        /// The value at the start; `None` means "not measured yet" (linted), taken as 0.
        baseline: Option<f64>,
        /// The value to reach.
        target: f64,
        /// The unit of measure, e.g. `%` or `stars`.
        unit: String,
    },
    /// Lower a value from `baseline` to `target` (target below baseline).
    Decrease {
        /// The value at the start (required).
        baseline: Option<f64>,
        /// The value to reach.
        target: f64,
        /// The unit of measure, e.g. `days`.
        unit: String,
    },
    /// Keep a health value on the right side of a threshold.
    Threshold {
        /// Which side is right.
        bound: Bound,
        /// The threshold, inclusive.
        value: f64,
        /// The unit of measure.
        unit: String,
    },
    /// Done or not (a check-in value ≥ 1 means done). Allowed, but linted as output-like.
    Milestone,
}

impl KrKind {
    /// The baseline as progress counts it: the given one, else 0.
    pub fn effective_baseline(&self) -> f64 {
        match self {
            KrKind::Increase { baseline, .. } | KrKind::Decrease { baseline, .. } => {
                baseline.unwrap_or(0.0)
            }
            KrKind::Threshold { .. } | KrKind::Milestone => 0.0,
        }
    }
}

/// A weekly check-in on a key result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CheckIn {
    /// The measured value.
    pub value: f64,
    /// Confidence 0..=10 that the key result will be reached.
    pub confidence: u8,
    /// Free text.
    pub note: String,
    /// When the value was true.
    pub effective_at: DateTime<Utc>,
    /// When it was told.
    pub recorded_at: DateTime<Utc>,
    /// Who told it.
    pub by: PersonId,
}

/// A key result in a cycle's state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct KeyResult {
    /// Its id.
    pub id: KeyResultId,
    /// The objective it measures.
    pub objective: ObjectiveId,
    /// What it measures.
    pub title: String,
    /// Who owns it, if anyone.
    pub owner: Option<PersonId>,
    /// Its weight in the objective's mean (> 0).
    pub weight: u32,
    /// How it is measured.
    pub kind: KrKind,
    /// Check-ins in the order they were told.
    pub check_ins: Vec<CheckIn>,
    /// Whether it was removed in Planning (removed key results keep no weight).
    pub removed: bool,
}

impl KeyResult {
    /// The latest check-in by `effective_at` (ties: the one told last).
    pub fn latest(&self) -> Option<&CheckIn> {
        let mut best: Option<&CheckIn> = None;
        for c in &self.check_ins {
            if best.is_none_or(|b| c.effective_at >= b.effective_at) {
                best = Some(c);
            }
        }
        best
    }
}

/// Changes to a key result; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct KeyResultPatch {
    /// New title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// New owner.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<PersonId>,
    /// New weight.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<u32>,
    /// New kind (baseline, target, unit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<KrKind>,
}

impl KeyResultPatch {
    /// Whether the patch changes nothing.
    pub fn is_empty(&self) -> bool {
        self.title.is_none() && self.owner.is_none() && self.weight.is_none() && self.kind.is_none()
    }
}
