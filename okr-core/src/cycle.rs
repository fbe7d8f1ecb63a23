//! Cycles and their phases.

use crate::id_map::IdMap;
use crate::ids::{
    AgreementId, BlockerId, CycleId, InitiativeId, KeyResultId, ObjectiveId, RetroActionId,
    RetroItemId, UnitId,
};
use crate::key_result::KeyResult;
use crate::objective::Objective;
use crate::policy::{CycleKind, Policy};
use crate::review::{ManualScore, RetroAction, RetroItem};
use crate::weekly::{Agreement, Blocker, Initiative};
use chrono::{NaiveDate, Weekday};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// The phases of a cycle; they go forward only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// OKR-Planning: objectives and key results are formulated.
    Planning,
    /// The weeks of the cycle: check-ins, agreements, blockers.
    Running,
    /// Scores are looked at and, with a reason, overridden.
    Review,
    /// Keep / improve / stop / try; carry-over.
    Retrospective,
    /// Finished; only corrections with a reason.
    Closed,
    /// Called off.
    Cancelled,
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Phase::Planning => "planning",
            Phase::Running => "running",
            Phase::Review => "review",
            Phase::Retrospective => "retrospective",
            Phase::Closed => "closed",
            Phase::Cancelled => "cancelled",
        })
    }
}

/// A cycle and everything in it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Cycle {
    /// Its id.
    pub id: CycleId,
    /// Its name, e.g. `2025-Q1`.
    pub name: String,
    /// Practice sprint or regular.
    pub kind: CycleKind,
    /// First day.
    pub start: NaiveDate,
    /// Last day.
    pub end: NaiveDate,
    /// The weekday of the weekly check-in.
    pub check_in_weekday: Weekday,
    /// Where it stands.
    pub phase: Phase,
    /// The policy in force.
    pub policy: Policy,
    /// Number of events in the cycle's stream.
    pub version: u64,
    /// The reason given for an early review, if any.
    pub early_review_reason: Option<String>,
    /// The reason given for cancelling, if cancelled.
    pub cancel_reason: Option<String>,
    /// Objectives by id, in the order they were drafted.
    pub objectives: IdMap<ObjectiveId, Objective>,
    /// Key results by id, in the order they were added (removed ones included).
    pub key_results: IdMap<KeyResultId, KeyResult>,
    /// Agreements by id.
    pub agreements: BTreeMap<AgreementId, Agreement>,
    /// Blockers by id.
    pub blockers: BTreeMap<BlockerId, Blocker>,
    /// Initiatives by id.
    pub initiatives: BTreeMap<InitiativeId, Initiative>,
    /// Review scores set by hand, per key result.
    pub manual_scores: BTreeMap<KeyResultId, ManualScore>,
    /// Review notes, oldest first.
    pub review_notes: Vec<String>,
    /// Retrospective items by id.
    pub retro_items: BTreeMap<RetroItemId, RetroItem>,
    /// Retrospective actions by id.
    pub retro_actions: BTreeMap<RetroActionId, RetroAction>,
    /// Committed objectives per unit (derived from the objectives, kept for the policy check).
    pub committed_per_unit: BTreeMap<UnitId, u32>,
}

impl Cycle {
    /// Gives back the room the cycle's maps grew into while objectives and key results were
    /// added. [`crate::State::apply`] calls it when the cycle starts: Planning is over, and
    /// the maps, grown by doubling, may hold up to twice what they need.
    pub fn shrink_to_fit(&mut self) {
        self.objectives.shrink_to_fit();
        self.key_results.shrink_to_fit();
    }

    /// The key results of an objective that count (not removed).
    pub fn key_results_of(&self, objective: ObjectiveId) -> impl Iterator<Item = &KeyResult> {
        self.objectives
            .get(&objective)
            .into_iter()
            .flat_map(|o| o.key_results.iter())
            .filter_map(|k| self.key_results.get(k))
    }
}

/// The units taking part in a cycle (those owning at least one of its objectives, in
/// whatever status), each with its number of committed objectives that have a key result.
/// A practice sprint expects exactly one per unit (lint `practice-sprint-objectives`, rule
/// `start-needs-objective-per-unit`).
pub fn participation(c: &Cycle) -> BTreeMap<UnitId, u32> {
    let mut out: BTreeMap<UnitId, u32> = BTreeMap::new();
    for o in c.objectives.values() {
        let n = out.entry(o.unit).or_default();
        if o.status == crate::objective::ObjectiveStatus::Committed && !o.key_results.is_empty() {
            *n += 1;
        }
    }
    out
}
