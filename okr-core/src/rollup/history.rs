//! The same figures per cycle week: burn-up series for charts and analysts.

use super::{expected_ppm, span, Rollup};
use crate::event::{Event, EventBody};
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
/// check-ins effective by then, with today's structure (objectives, key results, weights
/// and kinds as in `state`). `None` for an unknown cycle.
///
/// The state keeps only each key result's latest check-in; the past comes from `events`,
/// the cycle's events as they were folded into `state` (its stream, in the order told;
/// events of other streams and of other cycles are skipped). Check-ins are replayed by
/// `effective_at`, ties in the order told, so every week's figures take for each key result
/// the check-in effective last by the week's end, the one told last among equals — the
/// rule of [`crate::KeyResult::latest`].
///
/// ```
/// use okr_core::rollup;
/// use okr_core::workload::{Size, Workload, WorkloadSpec};
///
/// let spec = WorkloadSpec { check_in_weeks: 3, ..WorkloadSpec::size(Size::S, 1) };
/// let cycle = Workload::new(spec.clone()).cycle_id();
/// let events: Vec<okr_core::Event> = Workload::events(spec).collect();
/// let state = okr_core::State::from_events(&events);
/// let h = rollup::history(&state, cycle, &events).unwrap();
/// assert!(h.weeks.iter().enumerate().all(|(i, w)| w.week as usize == i + 1));
/// // The last week stands where the cycle stands now.
/// let now = rollup::cycle(&state.cycles[&cycle]);
/// assert_eq!(h.weeks.last().unwrap().cycle_ppm, now.cycle);
/// ```
pub fn history<'a>(
    state: &State,
    cycle: CycleId,
    events: impl IntoIterator<Item = &'a Event>,
) -> Option<History> {
    let c = state.cycles.get(&cycle)?;
    let mut r = Rollup::build_unchecked(state, cycle)?;
    let mut check_ins: Vec<(DateTime<Utc>, KeyResultId, f64, u8)> = events
        .into_iter()
        .filter_map(|e| match &e.body {
            EventBody::CheckedIn {
                cycle: of,
                key_result,
                value,
                confidence,
                effective_at,
                ..
            } if *of == cycle => Some((*effective_at, *key_result, *value, *confidence)),
            _ => None,
        })
        .collect();
    // Stable: equal instants keep the order told.
    check_ins.sort_by_key(|x| x.0);
    let mut pending = check_ins.into_iter().peekable();
    let (start, end) = span(c);
    let mut weeks = Vec::new();
    let mut week = 1u32;
    loop {
        let t = (start + Duration::weeks(i64::from(week))).min(end);
        while let Some((at, key_result, value, confidence)) =
            pending.next_if(|x| x.0.timestamp_micros() <= t.timestamp_micros())
        {
            // A check-in on a key result the rollup does not count (removed) counts nowhere.
            r.check_in(key_result, value, confidence, at);
        }
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
