//! How an organisation's OKR practice matures over cycles ("OKR braucht zwei bis drei
//! Zyklen"): per finished cycle in start order, four figures that should improve as the
//! practice settles.
//!
//! | figure | definition |
//! |---|---|
//! | output share | committed objectives whose title the outcome check ([`crate::outcome::assess`]) reads as an output ÷ committed objectives |
//! | check-in discipline | as in [`crate::stats`]: per key result the share of weeks with a check-in, averaged |
//! | agreement keep rate | as in [`crate::stats`]: agreements kept ÷ agreements resolved |
//! | retro actions done | as in [`crate::stats`]: the cycle's retro actions done ÷ those followed up in a later cycle |
//!
//! The cycles are those of the statistics: closed ones, practice sprints only with
//! [`StatsOptions::include_practice`]. A figure with nothing to count is `None`, not 0.

use crate::ids::CycleId;
use crate::objective::ObjectiveStatus;
use crate::outcome;
use crate::policy::CycleKind;
use crate::state::State;
use crate::stats::{stats, StatsOptions};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// The maturity figures of one finished cycle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct MaturityPoint {
    /// The cycle.
    pub cycle: CycleId,
    /// Its name.
    pub name: String,
    /// Practice or regular.
    pub kind: CycleKind,
    /// First day.
    pub start: NaiveDate,
    /// Committed objectives.
    pub objectives: u64,
    /// Of those, titled like an output.
    pub output_objectives: u64,
    /// `output_objectives / objectives`.
    pub output_share: Option<f64>,
    /// Check-in discipline (0..=1).
    pub check_in_discipline: Option<f64>,
    /// Agreement keep rate (0..=1).
    pub agreement_keep_rate: Option<f64>,
    /// Share of the followed-up retro actions that were done (0..=1).
    pub retro_actions_done: Option<f64>,
}

/// The maturity figures of the finished cycles of `state`, in start order.
pub fn maturity(state: &State, options: &StatsOptions) -> Vec<MaturityPoint> {
    stats(state, options)
        .cycles
        .iter()
        .filter_map(|cs| {
            let c = state.cycles.get(&cs.cycle)?;
            let committed: Vec<_> = c
                .objectives
                .values()
                .filter(|o| o.status == ObjectiveStatus::Committed)
                .collect();
            let objectives = committed.len() as u64;
            let output_objectives = committed
                .iter()
                .filter(|o| outcome::assess(&o.text.title).is_output())
                .count() as u64;
            Some(MaturityPoint {
                cycle: cs.cycle,
                name: cs.name.clone(),
                kind: cs.kind,
                start: cs.start,
                objectives,
                output_objectives,
                output_share: (objectives > 0)
                    .then(|| output_objectives as f64 / objectives as f64),
                check_in_discipline: cs.figures.check_in_discipline,
                agreement_keep_rate: cs.figures.agreements.keep_rate,
                retro_actions_done: cs.retro_actions.done_share,
            })
        })
        .collect()
}
