//! The rules in force for one cycle, set during Planning: limits, thresholds, who may
//! advance the cycle and how it is scored.

use crate::scoring::ScoringPolicy;
use crate::text::Text;
use serde::{Deserialize, Serialize};

/// Whether a cycle is a practice sprint or a regular cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum CycleKind {
    /// A short learning cycle ("Übungssprint"): start with exactly one objective.
    Practice,
    /// A regular cycle, usually a quarter.
    Regular,
}

/// The policy of a cycle: hard limits (violations are rejections) and advisory thresholds.
///
/// ```
/// use okr_core::{CycleKind, Policy};
/// assert_eq!(Policy::for_kind(CycleKind::Regular).max_committed_objectives_per_unit, 5);
/// assert_eq!(Policy::for_kind(CycleKind::Practice).max_committed_objectives_per_unit, 1);
/// assert!(Policy::for_kind(CycleKind::Practice).start_needs_objective_per_unit);
/// assert!(!Policy::for_kind(CycleKind::Regular).start_needs_objective_per_unit);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Policy {
    /// At most this many committed objectives per unit (Regular 5, Practice 1).
    pub max_committed_objectives_per_unit: u32,
    /// At most this many key results per objective (default 5).
    pub max_key_results_per_objective: u32,
    /// Lint `objective-many-key-results` fires above this many key results (default 3).
    pub lint_key_results_above: u32,
    /// Status "on track" when progress minus expected progress is at least this (ppm, default −100 000).
    pub on_track_ppm: i64,
    /// Status "at risk" when progress minus expected progress is at least this (ppm, default −250 000).
    pub at_risk_ppm: i64,
    /// Lint `committed-objective-low-score` fires when a committed objective scores below this (ppm, default 700 000).
    pub low_score_ppm: i64,
    /// Whether a unit's Lead may advance cycle phases besides an OkrMaster.
    pub leads_may_advance: bool,
    /// How progress and review scores are computed (versioned): whether aligned objectives
    /// roll into the objectives they are aligned to, bounds and weighting. New cycles get
    /// [`ScoringPolicy::STANDARD`] (own key results only); a log that records no scoring
    /// policy replays with [`ScoringPolicy::unrecorded`], the roll-up it was written under.
    #[serde(default = "ScoringPolicy::unrecorded")]
    pub scoring: ScoringPolicy,
    /// Whether a cross-unit objective (of a unit with units below it, or one that
    /// objectives of other units are aligned to or depend on) needs a steering committee's
    /// approval before it is committed (default false).
    #[serde(default)]
    pub cross_unit_approval: bool,
    /// Days a steering committee has to decide an escalated blocker; lint
    /// `escalation-overdue` fires after that (default 14).
    #[serde(default = "default_steering_decision_days")]
    pub steering_decision_days: u32,
    /// Whether the cycle starts only when every participating unit (one that owns an
    /// objective of the cycle, in whatever status) has a committed objective with a key
    /// result (rule `start-needs-objective-per-unit`). A practice sprint's default: each
    /// unit learns the method on exactly one objective of its own. Default false (also for
    /// a log that does not record it).
    #[serde(default)]
    pub start_needs_objective_per_unit: bool,
}

fn default_steering_decision_days() -> u32 {
    14
}

impl Policy {
    /// The defaults for a cycle kind: a practice sprint allows one committed objective per
    /// unit and starts only when every participating unit has one, a regular cycle allows
    /// five; everything else is the same.
    pub fn for_kind(kind: CycleKind) -> Self {
        Policy {
            max_committed_objectives_per_unit: match kind {
                CycleKind::Practice => 1,
                CycleKind::Regular => 5,
            },
            max_key_results_per_objective: 5,
            lint_key_results_above: 3,
            on_track_ppm: -100_000,
            at_risk_ppm: -250_000,
            low_score_ppm: 700_000,
            leads_may_advance: false,
            scoring: ScoringPolicy::STANDARD,
            cross_unit_approval: false,
            steering_decision_days: default_steering_decision_days(),
            start_needs_objective_per_unit: kind == CycleKind::Practice,
        }
    }

    /// Checks the policy's own consistency; returns the offending field and why (in English
    /// and German).
    pub fn validate(&self) -> Result<(), (&'static str, Text)> {
        let at_least_one = || Text::new("must be at least 1", "Der Wert muss mindestens 1 sein.");
        if self.max_committed_objectives_per_unit == 0 {
            return Err(("policy.max_committed_objectives_per_unit", at_least_one()));
        }
        if self.max_key_results_per_objective == 0 {
            return Err(("policy.max_key_results_per_objective", at_least_one()));
        }
        if self.on_track_ppm > 0 || self.on_track_ppm < -1_000_000 {
            return Err((
                "policy.on_track_ppm",
                Text::new(
                    format!("must lie in -1000000..=0, got {}", self.on_track_ppm),
                    format!(
                        "Der Wert muss zwischen -1000000 und 0 liegen, angegeben ist {}.",
                        self.on_track_ppm
                    ),
                ),
            ));
        }
        if self.at_risk_ppm > self.on_track_ppm || self.at_risk_ppm < -1_000_000 {
            return Err((
                "policy.at_risk_ppm",
                Text::new(
                    format!(
                        "must lie in -1000000..=on_track_ppm ({}), got {}",
                        self.on_track_ppm, self.at_risk_ppm
                    ),
                    format!(
                        "Der Wert muss zwischen -1000000 und on_track_ppm ({}) liegen, \
                         angegeben ist {}.",
                        self.on_track_ppm, self.at_risk_ppm
                    ),
                ),
            ));
        }
        if self.steering_decision_days == 0 {
            return Err(("policy.steering_decision_days", at_least_one()));
        }
        if !(0..=1_000_000).contains(&self.low_score_ppm) {
            return Err((
                "policy.low_score_ppm",
                Text::new(
                    format!("must lie in 0..=1000000, got {}", self.low_score_ppm),
                    format!(
                        "Der Wert muss zwischen 0 und 1000000 liegen, angegeben ist {}.",
                        self.low_score_ppm
                    ),
                ),
            ));
        }
        Ok(())
    }
}
