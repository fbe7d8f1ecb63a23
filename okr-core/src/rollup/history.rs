//! The same figures per cycle week: burn-up series for charts and analysts.

use super::{expected_ppm, span, Rollup};
use crate::ids::{CycleId, KeyResultId, ObjectiveId, UnitId};
use crate::state::State;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The figures at the end of one cycle week.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct WeekFigures {
    /// Week number, 1-based.
    pub week: u32,
    /// The instant the figures stand at: the end of the week, exclusive (the end of the
    /// cycle's last day for the last week); check-ins effective up to it count.
    pub end: DateTime<Utc>,
    /// Expected progress at that instant.
    pub expected_ppm: i64,
    /// The cycle's progress.
    pub cycle_ppm: Option<i64>,
    /// Per key result: progress (clamped).
    pub key_results: BTreeMap<KeyResultId, i64>,
    /// Per objective.
    pub objectives: BTreeMap<ObjectiveId, Option<i64>>,
    /// Per unit (its own committed objectives).
    pub units: BTreeMap<UnitId, Option<i64>>,
}

/// A cycle's burn-up: one [`WeekFigures`] per week from the start to the end date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct History {
    /// The cycle.
    pub cycle: CycleId,
    /// Week by week.
    pub weeks: Vec<WeekFigures>,
}

/// The burn-up of a cycle: the figures as they stood at the end of every cycle week, from
/// check-ins effective by then (today's structure). `None` for an unknown cycle.
pub fn history(state: &State, cycle: CycleId) -> Option<History> {
    let c = state.cycles.get(&cycle)?;
    let (start, end) = span(c);
    let mut weeks = Vec::new();
    let mut week = 1u32;
    loop {
        let t = (start + Duration::weeks(i64::from(week))).min(end);
        let r = Rollup::build_as_of(state, cycle, t)?;
        let figures = r.to_cycle_rollup();
        weeks.push(WeekFigures {
            week,
            end: t,
            expected_ppm: expected_ppm(c, t),
            cycle_ppm: figures.cycle,
            key_results: figures
                .key_results
                .iter()
                .map(|(k, p)| (*k, p.progress_ppm))
                .collect(),
            objectives: figures.objectives,
            units: figures.units,
        });
        if t >= end {
            break;
        }
        week += 1;
    }
    Some(History { cycle, weeks })
}
