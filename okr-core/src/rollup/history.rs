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
/// use chrono::{Duration, TimeZone, Utc};
/// use okr_core::*;
///
/// // A twelve-week cycle: one committed objective with a key result 0 → 10, checked in
/// // weekly for three weeks.
/// let master = PersonId::from_u128(1);
/// let (unit, cycle) = (UnitId::from_u128(2), CycleId::from_u128(3));
/// let (objective, key_result) = (ObjectiveId::from_u128(4), KeyResultId::from_u128(5));
/// let day0 = Utc.with_ymd_and_hms(2025, 1, 6, 9, 0, 0).unwrap();
/// let mut script = vec![
/// #   (-7, CommandBody::DefineUnit { unit, name: "Bürgerbüro".into(), kind: UnitKind::Organisation, parent: None }),
/// #   (-7, CommandBody::RegisterPerson { person: master, name: "Alex".into() }),
/// #   (-7, CommandBody::GrantMembership { unit, person: master, role: Role::Lead }),
/// #   (-7, CommandBody::GrantMembership { unit, person: master, role: Role::OkrMaster }),
/// #   (-7, CommandBody::PlanCycle { cycle, name: "2025-Q1".into(), kind: CycleKind::Regular, start: day0.date_naive(), end: (day0 + Duration::days(83)).date_naive(), check_in_weekday: chrono::Weekday::Mon, policy: None }),
/// #   (-1, CommandBody::DraftObjective { cycle, objective, unit, title: "Residents file their requests online".into(), beneficiary: Some("residents".into()), change: None, value: None, kind: ObjectiveKind::Committed, weight: 1 }),
/// #   (-1, CommandBody::AddKeyResult { objective, key_result, title: "Forms online".into(), kind: KrKind::Increase { baseline: Some(0.0), target: 10.0, unit: "forms".into() }, weight: 1, owner: None }),
/// #   (-1, CommandBody::CommitObjective { objective }),
///     // The unit, its OKR master, the plan, the objective and its key result: not shown.
///     (0, CommandBody::StartCycle { cycle }),
/// ];
/// for week in 0..3 {
///     let (value, note) = (3.0 * (week + 1) as f64, String::new());
///     let check_in = CommandBody::CheckIn { key_result, value, confidence: 7, note, effective_at: None };
///     script.push((7 * week + 1, check_in));
/// }
/// let mut state = State::new();
/// let mut events = Vec::new();
/// for (n, (day, body)) in script.into_iter().enumerate() {
///     let at = day0 + Duration::days(day);
///     let command = Command::new(uuid::Uuid::from_u128(100 + n as u128), master, at, body);
///     events.extend(execute(&mut state, &command).unwrap().events);
/// }
///
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
