//! Cross-cycle statistics over a [`State`]: how an organisation's OKR practice
//! matures over cycles ("OKR braucht zwei bis drei Zyklen").
//!
//! Statistics describe *finished* cycles: those in phase Closed. Practice sprints are left
//! out unless [`StatsOptions::include_practice`] is set. Counted are the committed
//! objectives of those cycles and their key results (removed ones excluded). Per cycle and
//! overall (the overall figures pool the raw samples, they are not means of per-cycle means):
//!
//! | figure | definition |
//! |---|---|
//! | check-in discipline | per key result: the share of the cycle's weeks (7-day blocks from the start date, the last one possibly shorter) with at least one check-in effective in that week (of a cycle's first 64 weeks: a key result records no more, see `WeekSet`); averaged over key results |
//! | score distribution | the review scores of committed objectives, by kind (committed / aspirational): count, mean, min, quartiles (nearest rank), max, and buckets `<0.3`, `0.3–0.7`, `0.7–1.0`, `≥1.0` |
//! | confidence calibration | Brier score: the mean of `(c/10 − a)²` over key results with a check-in, where `c` is the confidence of the key result's latest check-in and `a` is 1 when its review score reaches what its objective's kind expects (1.0 committed, 0.7 aspirational), else 0. 0 is perfect, 0.25 is what always saying 5 earns |
//! | carry-over rate | committed objectives carried over to a later cycle ÷ committed objectives |
//! | agreement keep rate | agreements resolved kept ÷ agreements resolved (open ones do not count) |
//! | escalation lead time | for blockers escalated and decided: days from raising to the decision (fractional), mean / median / max |
//! | retro actions followed up | per cycle: the actions its retrospective added, how many of them were followed up in a later cycle, and the share of those done (organisation-wide: a retrospective belongs to no unit) |
//! | score trend | per cycle in start order: the cycle's score and the mean score of its committed and of its aspirational objectives |
//!
//! Scores are the cycles' own review scores ([`rollup::scores`]): overrides count.
//!
//! ## By unit, never by person
//!
//! Besides the totals, the figures are broken down by unit (over all finished cycles in
//! [`Stats::units`], per cycle in [`CycleStats::units`]): a unit's objectives with their key
//! results, its agreements and its blockers. There is no breakdown by person, and no query
//! of okr lists one person's check-ins or scores: OKRs measure the organisation's practice,
//! not its people ("keine Leistungsbeurteilung").
//!
//! A small unit's figures would tell about the few people in it, so a unit gets a row of its
//! own only with at least *k* members ([`StatsOptions::min_unit_members`], by default
//! [`MIN_UNIT_MEMBERS`] = 5; the members are the people holding a role in the unit itself).
//! The figures of a smaller unit count in the row of the nearest unit above it that has at
//! least *k* members (listed in that row's [`UnitStats::folded`]); with no such unit above
//! it, in the totals only ([`Stats::in_totals_only`]). Nothing is dropped: the totals are
//! the same for every *k*. With *k* = 1 (or 0) every unit with anything counted has its row.
//! Memberships are the organisation's as it stands now, not as it was in the cycle.
//!
//! ```
//! use chrono::{Duration, TimeZone, Utc};
//! use okr_core::stats::{stats, StatsOptions};
//! use okr_core::*;
//!
//! // A closed four-week cycle: one committed objective, a key result 0 → 10 checked in
//! // in three of the four weeks.
//! let master = PersonId::from_u128(1);
//! let (unit, cycle) = (UnitId::from_u128(2), CycleId::from_u128(3));
//! let (objective, key_result) = (ObjectiveId::from_u128(4), KeyResultId::from_u128(5));
//! let day0 = Utc.with_ymd_and_hms(2025, 1, 6, 9, 0, 0).unwrap();
//! let mut script = vec![
//!     // A unit with its OKR master, and after the plan a committed objective with its key
//!     // result: not shown here.
//! #   (-7, CommandBody::DefineUnit { unit, name: "Bürgerbüro".into(), kind: UnitKind::Organisation, parent: None }),
//! #   (-7, CommandBody::RegisterPerson { person: master, name: "Alex".into() }),
//! #   (-7, CommandBody::GrantMembership { unit, person: master, role: Role::Lead }),
//! #   (-7, CommandBody::GrantMembership { unit, person: master, role: Role::OkrMaster }),
//!     (-7, CommandBody::PlanCycle {
//!         cycle,
//!         name: "2025-01".into(),
//!         kind: CycleKind::Regular,
//!         start: day0.date_naive(),
//!         end: (day0 + Duration::days(27)).date_naive(),
//!         check_in_weekday: chrono::Weekday::Mon,
//!         policy: None,
//!     }),
//! #   (-1, CommandBody::DraftObjective { cycle, objective, unit, title: "Residents file their requests online".into(), beneficiary: Some("residents".into()), change: None, value: None, kind: ObjectiveKind::Committed, weight: 1 }),
//! #   (-1, CommandBody::AddKeyResult { objective, key_result, title: "Forms online".into(), kind: KrKind::Increase { baseline: Some(0.0), target: 10.0, unit: "forms".into() }, weight: 1, owner: None }),
//! #   (-1, CommandBody::CommitObjective { objective }),
//!     (0, CommandBody::StartCycle { cycle }),
//! ];
//! for week in 0..3 {
//!     let (value, note) = (3.0 * (week + 1) as f64, String::new());
//!     let check_in = CommandBody::CheckIn { key_result, value, confidence: 7, note, effective_at: None };
//!     script.push((7 * week + 1, check_in));
//! }
//! script.push((27, CommandBody::BeginReview { cycle, early_reason: None }));
//! script.push((27, CommandBody::BeginRetrospective { cycle }));
//! script.push((27, CommandBody::CloseCycle { cycle }));
//! let mut state = State::new();
//! for (n, (day, body)) in script.into_iter().enumerate() {
//!     let at = day0 + Duration::days(day);
//!     let command = Command::new(uuid::Uuid::from_u128(100 + n as u128), master, at, body);
//!     execute(&mut state, &command).unwrap();
//! }
//!
//! let s = stats(&state, &StatsOptions::default());
//! assert_eq!(s.cycles.len(), 1, "one closed regular cycle");
//! assert_eq!(s.overall.check_in_discipline, Some(0.75), "three weeks of four");
//! ```

use crate::cycle::{Cycle, Phase};
use crate::ids::{CycleId, UnitId};
use crate::key_result::WeekSet;
use crate::objective::{ObjectiveKind, ObjectiveStatus};
use crate::policy::CycleKind;
use crate::rollup::{self, PPM};
use crate::state::State;
use crate::weekly::AgreementOutcome;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// What to include.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct StatsOptions {
    /// Include practice sprints (left out by default: a practice sprint is for learning the
    /// method, not a measure of it).
    #[serde(default)]
    pub include_practice: bool,
    /// The fewest members a unit needs for a row of its own ([`MIN_UNIT_MEMBERS`] by
    /// default). A smaller unit's figures count in the nearest unit above it that has as
    /// many, or in the organisation's totals only; 0 and 1 show every unit.
    #[serde(default = "default_min_unit_members")]
    pub min_unit_members: u32,
}

/// The fewest members a unit needs for a row of its own in the statistics, unless
/// [`StatsOptions::min_unit_members`] says otherwise: in a smaller unit, figures would tell
/// about the few people in it.
pub const MIN_UNIT_MEMBERS: u32 = 5;

fn default_min_unit_members() -> u32 {
    MIN_UNIT_MEMBERS
}

impl Default for StatsOptions {
    fn default() -> Self {
        StatsOptions {
            include_practice: false,
            min_unit_members: MIN_UNIT_MEMBERS,
        }
    }
}

/// Statistics per cycle, overall, and the score trend.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Stats {
    /// Whether practice sprints were included.
    pub include_practice: bool,
    /// The fewest members a unit needed for a row of its own.
    pub min_unit_members: u32,
    /// Per finished cycle, in start order.
    pub cycles: Vec<CycleStats>,
    /// All finished cycles pooled.
    pub overall: Figures,
    /// All finished cycles pooled, per unit with at least `min_unit_members` members (the
    /// figures of smaller units below it included), in the order of the unit tree.
    pub units: Vec<UnitStats>,
    /// Units with fewer members and no such unit above them: their figures count in
    /// `overall` (and the cycles' figures) only.
    pub in_totals_only: Vec<UnitId>,
    /// The score trend across cycles, in start order.
    pub trend: Vec<TrendPoint>,
    /// The retrospective actions of all finished cycles pooled, and their follow-up.
    #[serde(default)]
    pub retro_actions: RetroActions,
}

/// The retrospective actions of a cycle and their follow-up in later cycles. They belong to
/// the organisation's retrospective, not to a unit, so they have no unit rows (and, like
/// every figure here, no breakdown by their owners).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RetroActions {
    /// Actions the cycle's retrospective added.
    pub added: u64,
    /// Of those, followed up in a later cycle.
    pub followed_up: u64,
    /// Of those, done.
    pub done: u64,
    /// `done / followed_up`.
    pub done_share: Option<f64>,
}

impl RetroActions {
    fn of(c: &Cycle) -> RetroActions {
        let mut r = RetroActions::default();
        for a in c.retro_actions.values() {
            r.added += 1;
            if let Some(f) = &a.follow_up {
                r.followed_up += 1;
                r.done += u64::from(f.done);
            }
        }
        r.share();
        r
    }

    fn add(&mut self, o: &RetroActions) {
        self.added += o.added;
        self.followed_up += o.followed_up;
        self.done += o.done;
        self.share();
    }

    fn share(&mut self) {
        self.done_share =
            (self.followed_up > 0).then(|| self.done as f64 / self.followed_up as f64);
    }
}

/// The figures of one cycle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CycleStats {
    /// The cycle.
    pub cycle: CycleId,
    /// Its name.
    pub name: String,
    /// Practice or regular.
    pub kind: CycleKind,
    /// First day.
    pub start: NaiveDate,
    /// Last day.
    pub end: NaiveDate,
    /// Its weeks (7-day blocks from the start).
    pub weeks: u32,
    /// Its figures.
    pub figures: Figures,
    /// Its figures per unit with at least `min_unit_members` members (see [`Stats::units`]).
    pub units: Vec<UnitStats>,
    /// Its retrospective's actions and their follow-up in later cycles.
    #[serde(default)]
    pub retro_actions: RetroActions,
}

/// The figures of one unit: its own objectives, key results, agreements and blockers, and
/// those of the units below it that have too few members for a row of their own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct UnitStats {
    /// The unit.
    pub unit: UnitId,
    /// Its name.
    pub name: String,
    /// The people holding a role in the unit itself.
    pub members: u32,
    /// The smaller units below it whose figures count here, in the order of the unit tree.
    pub folded: Vec<UnitId>,
    /// The figures.
    pub figures: Figures,
}

/// One point of the score trend.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct TrendPoint {
    /// The cycle.
    pub cycle: CycleId,
    /// Its name.
    pub name: String,
    /// First day.
    pub start: NaiveDate,
    /// The cycle's review score (weighted over committed objectives).
    pub score_ppm: Option<i64>,
    /// Mean score of its committed objectives of kind committed.
    pub committed_mean_ppm: Option<i64>,
    /// Mean score of its committed objectives of kind aspirational.
    pub aspirational_mean_ppm: Option<i64>,
}

/// The statistics of a set of cycles.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Figures {
    /// Key results counted.
    pub key_results: u64,
    /// Mean over key results of the share of weeks with a check-in (0..=1).
    pub check_in_discipline: Option<f64>,
    /// Key-result weeks (key results × their cycle's weeks).
    pub key_result_weeks: u64,
    /// Of those, weeks with at least one check-in.
    pub key_result_weeks_checked_in: u64,
    /// Scores of objectives of kind committed.
    pub committed_scores: Distribution,
    /// Scores of objectives of kind aspirational.
    pub aspirational_scores: Distribution,
    /// Confidence calibration.
    pub calibration: Calibration,
    /// Carry-overs.
    pub carry_over: CarryOver,
    /// Agreements.
    pub agreements: Agreements,
    /// Escalations.
    pub escalations: Escalations,
}

/// A distribution of scores in ppm.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Distribution {
    /// How many scores.
    pub count: u64,
    /// Their mean (floored), `None` when there are none.
    pub mean_ppm: Option<i64>,
    /// Smallest.
    pub min_ppm: Option<i64>,
    /// First quartile (nearest rank).
    pub q1_ppm: Option<i64>,
    /// Median (nearest rank).
    pub median_ppm: Option<i64>,
    /// Third quartile (nearest rank).
    pub q3_ppm: Option<i64>,
    /// Largest.
    pub max_ppm: Option<i64>,
    /// Counts in `[<0.3, 0.3–0.7, 0.7–1.0, ≥1.0]`.
    pub buckets: [u64; 4],
}

/// Confidence calibration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Calibration {
    /// Key results with a check-in (the samples).
    pub key_results: u64,
    /// Of those, achieved (score ≥ the kind's expectation).
    pub achieved: u64,
    /// The Brier score, `None` without samples.
    pub brier: Option<f64>,
}

/// Carry-overs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CarryOver {
    /// Committed objectives.
    pub objectives: u64,
    /// Of those, carried over.
    pub carried: u64,
    /// `carried / objectives`.
    pub rate: Option<f64>,
}

/// Agreements.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Agreements {
    /// Agreements made.
    pub made: u64,
    /// Resolved as kept.
    pub kept: u64,
    /// Resolved as missed.
    pub missed: u64,
    /// `kept / (kept + missed)`.
    pub keep_rate: Option<f64>,
}

/// Escalation lead times.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Escalations {
    /// Blockers raised.
    pub blockers: u64,
    /// Blockers escalated.
    pub escalated: u64,
    /// Escalated blockers with a decision (the samples).
    pub decided: u64,
    /// Mean days from raising to decision.
    pub mean_days: Option<f64>,
    /// Median days (mean of the middle two for an even count).
    pub median_days: Option<f64>,
    /// Longest.
    pub max_days: Option<f64>,
}

/// Raw samples, pooled per cycle and overall.
#[derive(Debug, Clone, Default)]
struct Samples {
    kr_shares: Vec<f64>,
    kr_weeks: u64,
    kr_weeks_in: u64,
    committed: Vec<i64>,
    aspirational: Vec<i64>,
    brier: Vec<f64>,
    achieved: u64,
    objectives: u64,
    carried: u64,
    made: u64,
    kept: u64,
    missed: u64,
    blockers: u64,
    escalated: u64,
    lead_days: Vec<f64>,
}

impl Samples {
    fn extend(&mut self, o: &Samples) {
        self.kr_shares.extend_from_slice(&o.kr_shares);
        self.kr_weeks += o.kr_weeks;
        self.kr_weeks_in += o.kr_weeks_in;
        self.committed.extend_from_slice(&o.committed);
        self.aspirational.extend_from_slice(&o.aspirational);
        self.brier.extend_from_slice(&o.brier);
        self.achieved += o.achieved;
        self.objectives += o.objectives;
        self.carried += o.carried;
        self.made += o.made;
        self.kept += o.kept;
        self.missed += o.missed;
        self.blockers += o.blockers;
        self.escalated += o.escalated;
        self.lead_days.extend_from_slice(&o.lead_days);
    }

    fn figures(&self) -> Figures {
        let ratio = |a: u64, b: u64| (b > 0).then(|| a as f64 / b as f64);
        let mut days = self.lead_days.clone();
        days.sort_by(f64::total_cmp);
        let median = match days.len() {
            0 => None,
            n if n % 2 == 1 => Some(days[n / 2]),
            n => Some((days[n / 2 - 1] + days[n / 2]) / 2.0),
        };
        Figures {
            key_results: self.kr_shares.len() as u64,
            check_in_discipline: mean(&self.kr_shares),
            key_result_weeks: self.kr_weeks,
            key_result_weeks_checked_in: self.kr_weeks_in,
            committed_scores: distribution(&self.committed),
            aspirational_scores: distribution(&self.aspirational),
            calibration: Calibration {
                key_results: self.brier.len() as u64,
                achieved: self.achieved,
                brier: mean(&self.brier),
            },
            carry_over: CarryOver {
                objectives: self.objectives,
                carried: self.carried,
                rate: ratio(self.carried, self.objectives),
            },
            agreements: Agreements {
                made: self.made,
                kept: self.kept,
                missed: self.missed,
                keep_rate: ratio(self.kept, self.kept + self.missed),
            },
            escalations: Escalations {
                blockers: self.blockers,
                escalated: self.escalated,
                decided: days.len() as u64,
                mean_days: mean(&days),
                median_days: median,
                max_days: days.last().copied(),
            },
        }
    }
}

fn mean(xs: &[f64]) -> Option<f64> {
    (!xs.is_empty()).then(|| xs.iter().sum::<f64>() / xs.len() as f64)
}

/// The nearest-rank `num/den` quantile of sorted values.
fn nearest_rank(sorted: &[i64], num: usize, den: usize) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (num * sorted.len()).div_ceil(den).max(1);
    Some(sorted[rank - 1])
}

fn distribution(scores: &[i64]) -> Distribution {
    let mut s = scores.to_vec();
    s.sort_unstable();
    let mut buckets = [0u64; 4];
    for v in &s {
        let i = if *v < 300_000 {
            0
        } else if *v < 700_000 {
            1
        } else if *v < PPM {
            2
        } else {
            3
        };
        buckets[i] += 1;
    }
    Distribution {
        count: s.len() as u64,
        mean_ppm: rollup::weighted_mean(s.iter().map(|v| (*v, 1))),
        min_ppm: s.first().copied(),
        q1_ppm: nearest_rank(&s, 1, 4),
        median_ppm: nearest_rank(&s, 1, 2),
        q3_ppm: nearest_rank(&s, 3, 4),
        max_ppm: s.last().copied(),
        buckets,
    }
}

/// The number of weeks of a cycle: 7-day blocks from its start to its end date inclusive.
pub fn cycle_weeks(c: &Cycle) -> u32 {
    let days = (c.end - c.start).num_days().max(0) + 1;
    u32::try_from((days + 6) / 7).unwrap_or(u32::MAX)
}

/// The samples of a cycle, by row: `row` gives the row a unit's samples count in (`None`:
/// in no row).
fn cycle_samples<R: Ord + Copy>(
    c: &Cycle,
    scores: &rollup::CycleScores,
    row: impl Fn(UnitId) -> Option<R>,
) -> BTreeMap<R, Samples> {
    let mut rows: BTreeMap<R, Samples> = BTreeMap::new();
    // Discipline is measured over the weeks a key result records (see `WeekSet`).
    let weeks = cycle_weeks(c).min(WeekSet::LIMIT);
    for o in c.objectives.values() {
        if o.status != ObjectiveStatus::Committed {
            continue;
        }
        let Some(r) = row(o.unit) else { continue };
        let s = rows.entry(r).or_default();
        s.objectives += 1;
        if o.carried_to.is_some() {
            s.carried += 1;
        }
        if let Some(Some(v)) = scores.objectives.get(&o.id) {
            match o.kind {
                ObjectiveKind::Committed => s.committed.push(*v),
                ObjectiveKind::Aspirational => s.aspirational.push(*v),
            }
        }
        for k in c.key_results_of(o.id).filter(|k| !k.removed) {
            let checked = u64::from(k.check_in_weeks().count_below(weeks));
            s.kr_weeks += u64::from(weeks);
            s.kr_weeks_in += checked;
            if weeks > 0 {
                s.kr_shares.push(checked as f64 / f64::from(weeks));
            }
            if let Some(last) = k.latest() {
                let p = f64::from(last.confidence) / 10.0;
                let score = scores.key_results.get(&k.id).map_or(0, |x| x.score_ppm);
                let achieved = score >= rollup::expected_score_ppm(o.kind);
                if achieved {
                    s.achieved += 1;
                }
                let a = if achieved { 1.0 } else { 0.0 };
                s.brier.push((p - a) * (p - a));
            }
        }
    }
    for a in c.agreements.values() {
        let Some(r) = row(a.unit) else { continue };
        let s = rows.entry(r).or_default();
        s.made += 1;
        match a.resolution {
            Some((AgreementOutcome::Kept, _)) => s.kept += 1,
            Some((AgreementOutcome::Missed, _)) => s.missed += 1,
            None => {}
        }
    }
    for b in c.blockers.values() {
        let Some(r) = row(b.unit) else { continue };
        let s = rows.entry(r).or_default();
        s.blockers += 1;
        if b.escalation.is_some() {
            s.escalated += 1;
            if let Some(d) = &b.decision {
                s.lead_days
                    .push((d.at - b.raised_at).num_seconds() as f64 / 86_400.0);
            }
        }
    }
    rows
}

/// The units in the order of the unit tree: each root by name, then depth-first, children
/// by name (ids break ties).
fn tree_order(state: &State) -> Vec<UnitId> {
    let mut children: BTreeMap<Option<UnitId>, Vec<(&str, UnitId)>> = BTreeMap::new();
    for u in state.units.values() {
        // A parent that is not a unit (a damaged log) makes a root.
        let parent = u.parent.filter(|p| state.units.contains_key(p));
        children.entry(parent).or_default().push((&u.name, u.id));
    }
    for list in children.values_mut() {
        list.sort();
    }
    let mut order = Vec::with_capacity(state.units.len());
    let mut stack: Vec<UnitId> = children
        .get(&None)
        .map(|l| l.iter().rev().map(|(_, id)| *id).collect())
        .unwrap_or_default();
    let mut seen = BTreeSet::new();
    while let Some(id) = stack.pop() {
        if !seen.insert(id) {
            continue;
        }
        order.push(id);
        if let Some(l) = children.get(&Some(id)) {
            stack.extend(l.iter().rev().map(|(_, c)| *c));
        }
    }
    order
}

/// Where each unit's figures are shown: the unit itself when it has at least `k` members
/// (every unit when `k` ≤ 1), else the nearest unit above it that has, else no row
/// (`None`: the organisation's totals only).
fn rows_of(state: &State, k: u32) -> BTreeMap<UnitId, Option<UnitId>> {
    let large = |u: UnitId| {
        k <= 1
            || state
                .units
                .get(&u)
                .is_some_and(|u| u.members.len() as u64 >= u64::from(k))
    };
    state
        .units
        .keys()
        .map(|&u| {
            let mut at = Some(u);
            // Bounded by the number of units: a damaged log's cycle ends in the totals.
            for _ in 0..=state.units.len() {
                match at {
                    Some(a) if large(a) => return (u, Some(a)),
                    Some(a) => at = state.units.get(&a).and_then(|x| x.parent),
                    None => break,
                }
            }
            (u, None)
        })
        .collect()
}

/// The rows of one unit breakdown, in tree order.
fn unit_rows(
    state: &State,
    order: &[UnitId],
    rows: &BTreeMap<UnitId, Option<UnitId>>,
    samples: &BTreeMap<UnitId, Samples>,
    counted: &BTreeSet<UnitId>,
) -> Vec<UnitStats> {
    order
        .iter()
        .filter_map(|id| {
            let s = samples.get(id)?;
            let unit = state.units.get(id)?;
            Some(UnitStats {
                unit: *id,
                name: unit.name.to_string(),
                members: u32::try_from(unit.members.len()).unwrap_or(u32::MAX),
                folded: order
                    .iter()
                    .filter(|u| *u != id && rows.get(u) == Some(&Some(*id)) && counted.contains(*u))
                    .copied()
                    .collect(),
                figures: s.figures(),
            })
        })
        .collect()
}

fn kind_mean(c: &Cycle, scores: &rollup::CycleScores, kind: ObjectiveKind) -> Option<i64> {
    rollup::weighted_mean(
        c.objectives
            .values()
            .filter(|o| o.status == ObjectiveStatus::Committed && o.kind == kind)
            .filter_map(|o| scores.objectives.get(&o.id).copied().flatten())
            .map(|v| (v, 1)),
    )
}

/// Computes the statistics of the finished cycles of `state`.
pub fn stats(state: &State, options: &StatsOptions) -> Stats {
    let mut cycles: Vec<&Cycle> = state
        .cycles
        .values()
        .filter(|c| c.phase == Phase::Closed)
        .filter(|c| options.include_practice || c.kind != CycleKind::Practice)
        .collect();
    cycles.sort_by_key(|c| (c.start, c.id));
    let order = tree_order(state);
    let rows = rows_of(state, options.min_unit_members);
    // A unit unknown to the organisation (a damaged log) counts in the totals only.
    let row = |u: UnitId| rows.get(&u).copied().flatten();
    let mut all = Samples::default();
    let mut all_units: BTreeMap<UnitId, Samples> = BTreeMap::new();
    // The units with anything counted.
    let mut counted = BTreeSet::new();
    let mut per_cycle = Vec::new();
    let mut trend = Vec::new();
    let mut retro_actions = RetroActions::default();
    for c in cycles {
        let scores = rollup::scores(c);
        let s = cycle_samples(c, &scores, |_| Some(()))
            .remove(&())
            .unwrap_or_default();
        all.extend(&s);
        let counted_here: BTreeSet<UnitId> = cycle_samples(c, &scores, Some).into_keys().collect();
        counted.extend(counted_here.iter().copied());
        let by_unit = cycle_samples(c, &scores, row);
        for (u, us) in &by_unit {
            all_units.entry(*u).or_default().extend(us);
        }
        per_cycle.push(CycleStats {
            cycle: c.id,
            name: c.name.clone(),
            kind: c.kind,
            start: c.start,
            end: c.end,
            weeks: cycle_weeks(c),
            figures: s.figures(),
            units: unit_rows(state, &order, &rows, &by_unit, &counted_here),
            retro_actions: {
                let r = RetroActions::of(c);
                retro_actions.add(&r);
                r
            },
        });
        trend.push(TrendPoint {
            cycle: c.id,
            name: c.name.clone(),
            start: c.start,
            score_ppm: scores.cycle,
            committed_mean_ppm: kind_mean(c, &scores, ObjectiveKind::Committed),
            aspirational_mean_ppm: kind_mean(c, &scores, ObjectiveKind::Aspirational),
        });
    }
    Stats {
        include_practice: options.include_practice,
        min_unit_members: options.min_unit_members,
        cycles: per_cycle,
        overall: all.figures(),
        units: unit_rows(state, &order, &rows, &all_units, &counted),
        in_totals_only: order
            .iter()
            .filter(|u| rows.get(u) == Some(&None) && counted.contains(*u))
            .copied()
            .collect(),
        trend,
        retro_actions,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::{Command, CommandBody};
    use crate::ids::*;
    use crate::key_result::KrKind;
    use crate::organisation::{Role, UnitKind};
    use chrono::{DateTime, Utc};

    struct Given {
        state: State,
        n: u128,
    }

    impl Given {
        fn run(&mut self, actor: PersonId, at: &str, body: CommandBody) {
            self.n += 1;
            let at: DateTime<Utc> = at.parse().unwrap();
            let command = Command::new(uuid::Uuid::from_u128(10_000 + self.n), actor, at, body);
            crate::execute(&mut self.state, &command)
                .unwrap_or_else(|r| panic!("{} refused: {r}", command.body.name()));
        }
    }

    const M: PersonId = PersonId::from_u128(1);
    const BOSS: PersonId = PersonId::from_u128(2);
    const ROOT: UnitId = UnitId::from_u128(10);
    const BOARD: UnitId = UnitId::from_u128(11);
    const C: CycleId = CycleId::from_u128(20);
    const O1: ObjectiveId = ObjectiveId::from_u128(30);
    const O2: ObjectiveId = ObjectiveId::from_u128(31);
    const K1: KeyResultId = KeyResultId::from_u128(40);
    const K2: KeyResultId = KeyResultId::from_u128(41);
    const K3: KeyResultId = KeyResultId::from_u128(42);

    /// One closed 4-week cycle (2025-01-06 .. 2025-02-02): O1 committed with K1 (0 → 10)
    /// and K2 (0 → 10), O2 aspirational with K3 (0 → 10); three agreements (2 kept, 1
    /// missed), two escalated blockers decided after 2 and 5 days, O2 carried over.
    fn small() -> State {
        let mut g = Given {
            state: State::new(),
            n: 0,
        };
        let t = "2025-01-01T08:00:00Z";
        g.run(
            M,
            t,
            CommandBody::DefineUnit {
                unit: ROOT,
                name: "Root".into(),
                kind: UnitKind::Organisation,
                parent: None,
            },
        );
        g.run(
            M,
            t,
            CommandBody::RegisterPerson {
                person: M,
                name: "M".into(),
            },
        );
        // M also leads the organisation: an OkrMaster alone holds no content rights.
        g.run(
            M,
            t,
            CommandBody::GrantMembership {
                unit: ROOT,
                person: M,
                role: Role::Lead,
            },
        );
        g.run(
            M,
            t,
            CommandBody::GrantMembership {
                unit: ROOT,
                person: M,
                role: Role::OkrMaster,
            },
        );
        g.run(
            M,
            t,
            CommandBody::DefineUnit {
                unit: BOARD,
                name: "Board".into(),
                kind: UnitKind::Committee,
                parent: Some(ROOT),
            },
        );
        g.run(
            M,
            t,
            CommandBody::RegisterPerson {
                person: BOSS,
                name: "B".into(),
            },
        );
        g.run(
            M,
            t,
            CommandBody::GrantMembership {
                unit: BOARD,
                person: BOSS,
                role: Role::Steering,
            },
        );
        g.run(
            M,
            t,
            CommandBody::PlanCycle {
                cycle: C,
                name: "2025-X".into(),
                kind: CycleKind::Regular,
                start: "2025-01-06".parse().unwrap(),
                end: "2025-02-02".parse().unwrap(),
                check_in_weekday: chrono::Weekday::Mon,
                policy: None,
            },
        );
        for (o, kind, krs) in [
            (O1, ObjectiveKind::Committed, vec![K1, K2]),
            (O2, ObjectiveKind::Aspirational, vec![K3]),
        ] {
            g.run(
                M,
                t,
                CommandBody::DraftObjective {
                    cycle: C,
                    objective: o,
                    unit: ROOT,
                    title: "Residents wait less".into(),
                    beneficiary: Some("residents".into()),
                    change: None,
                    value: None,
                    kind,
                    weight: 1,
                },
            );
            for k in krs {
                g.run(
                    M,
                    t,
                    CommandBody::AddKeyResult {
                        objective: o,
                        key_result: k,
                        title: "x".into(),
                        kind: KrKind::Increase {
                            baseline: Some(0.0),
                            target: 10.0,
                            unit: "n".into(),
                        },
                        weight: 1,
                        owner: Some(M),
                    },
                );
            }
            g.run(M, t, CommandBody::CommitObjective { objective: o });
        }
        g.run(
            M,
            "2025-01-06T08:00:00Z",
            CommandBody::StartCycle { cycle: C },
        );
        // K1: weeks 1, 2, 3, 4 (two in week 1), last value 10 → score 1.0, confidence 9.
        // K2: weeks 1 and 3, last value 5 → 0.5, confidence 8.
        // K3: week 2 only, value 7 → 0.7 (aspirational: achieved), confidence 5.
        for (k, at, v, conf) in [
            (K1, "2025-01-07T09:00:00Z", 2.0, 5),
            (K1, "2025-01-08T09:00:00Z", 3.0, 6),
            (K1, "2025-01-14T09:00:00Z", 5.0, 7),
            (K1, "2025-01-21T09:00:00Z", 8.0, 8),
            (K1, "2025-02-01T09:00:00Z", 10.0, 9),
            (K2, "2025-01-07T09:00:00Z", 2.0, 6),
            (K2, "2025-01-21T09:00:00Z", 5.0, 8),
            (K3, "2025-01-14T09:00:00Z", 7.0, 5),
        ] {
            g.run(
                M,
                at,
                CommandBody::CheckIn {
                    key_result: k,
                    value: v,
                    confidence: conf,
                    note: String::new(),
                    effective_at: None,
                },
            );
        }
        for (n, outcome) in [
            (1u128, Some(AgreementOutcome::Kept)),
            (2, Some(AgreementOutcome::Kept)),
            (3, Some(AgreementOutcome::Missed)),
            (4, None),
        ] {
            let agreement = AgreementId::from_u128(50 + n);
            g.run(
                M,
                "2025-01-14T10:00:00Z",
                CommandBody::MakeAgreement {
                    cycle: C,
                    agreement,
                    unit: ROOT,
                    text: "do".into(),
                    owner: None,
                    due: None,
                    weekly: None,
                    provider: None,
                    provides: None,
                    receiver: None,
                    consequence: None,
                },
            );
            if let Some(outcome) = outcome {
                g.run(
                    M,
                    "2025-01-21T10:00:00Z",
                    CommandBody::ResolveAgreement {
                        agreement,
                        outcome,
                        weekly: None,
                    },
                );
            }
        }
        for (n, days) in [(1u128, "2025-01-09T10:00:00Z"), (2, "2025-01-12T10:00:00Z")] {
            let blocker = BlockerId::from_u128(60 + n);
            g.run(
                M,
                "2025-01-07T10:00:00Z",
                CommandBody::RaiseBlocker {
                    cycle: C,
                    blocker,
                    unit: ROOT,
                    key_result: None,
                    text: "stuck".into(),
                },
            );
            g.run(
                M,
                "2025-01-07T11:00:00Z",
                CommandBody::EscalateBlocker { blocker, to: BOARD },
            );
            g.run(
                BOSS,
                days,
                CommandBody::DecideBlocker {
                    blocker,
                    decision: "go".into(),
                },
            );
        }
        // A third blocker, never escalated.
        g.run(
            M,
            "2025-01-08T10:00:00Z",
            CommandBody::RaiseBlocker {
                cycle: C,
                blocker: BlockerId::from_u128(70),
                unit: ROOT,
                key_result: None,
                text: "minor".into(),
            },
        );
        g.run(
            M,
            "2025-02-02T10:00:00Z",
            CommandBody::BeginReview {
                cycle: C,
                early_reason: None,
            },
        );
        g.run(
            M,
            "2025-02-02T11:00:00Z",
            CommandBody::BeginRetrospective { cycle: C },
        );
        let next = CycleId::from_u128(21);
        g.run(
            M,
            "2025-02-02T12:00:00Z",
            CommandBody::PlanCycle {
                cycle: next,
                name: "2025-Y".into(),
                kind: CycleKind::Regular,
                start: "2025-02-03".parse().unwrap(),
                end: "2025-03-02".parse().unwrap(),
                check_in_weekday: chrono::Weekday::Mon,
                policy: None,
            },
        );
        g.run(
            M,
            "2025-02-02T12:00:00Z",
            CommandBody::CarryOver {
                objective: O2,
                to_cycle: next,
                new_objective: ObjectiveId::from_u128(32),
            },
        );
        g.run(
            M,
            "2025-02-02T13:00:00Z",
            CommandBody::CloseCycle { cycle: C },
        );
        g.state
    }

    #[test]
    fn hand_computed_figures_of_one_closed_cycle() {
        let s = stats(&small(), &StatsOptions::default());
        assert_eq!(s.cycles.len(), 1, "the cycle in planning is not finished");
        assert_eq!(s.cycles[0].weeks, 4);
        let f = &s.overall;
        assert_eq!(f, &s.cycles[0].figures);
        // Discipline: K1 4/4, K2 2/4, K3 1/4 → (1 + 0.5 + 0.25) / 3.
        assert_eq!(f.key_results, 3);
        assert_eq!((f.key_result_weeks, f.key_result_weeks_checked_in), (12, 7));
        assert!((f.check_in_discipline.unwrap() - 1.75 / 3.0).abs() < 1e-12);
        // Scores: O1 = (1.0 + 0.5) / 2 = 0.75 (committed), O2 = 0.7 (aspirational).
        assert_eq!(f.committed_scores.count, 1);
        assert_eq!(f.committed_scores.mean_ppm, Some(750_000));
        assert_eq!(f.committed_scores.buckets, [0, 0, 1, 0]);
        assert_eq!(f.aspirational_scores.median_ppm, Some(700_000));
        // Calibration: K1 0.9 vs 1 (score 1.0 ≥ 1.0), K2 0.8 vs 0, K3 0.5 vs 1 (0.7 ≥ 0.7).
        assert_eq!(f.calibration.key_results, 3);
        assert_eq!(f.calibration.achieved, 2);
        let brier = (0.01 + 0.64 + 0.25) / 3.0;
        assert!((f.calibration.brier.unwrap() - brier).abs() < 1e-12);
        // Carry-over: 1 of 2.
        assert_eq!((f.carry_over.carried, f.carry_over.objectives), (1, 2));
        assert_eq!(f.carry_over.rate, Some(0.5));
        // Agreements: 4 made, 2 kept, 1 missed, 1 open.
        assert_eq!(
            (f.agreements.made, f.agreements.kept, f.agreements.missed),
            (4, 2, 1)
        );
        assert!((f.agreements.keep_rate.unwrap() - 2.0 / 3.0).abs() < 1e-12);
        // Escalations: raised 01-07 10:00, decided 01-09 10:00 (2 d) and 01-12 10:00 (5 d).
        let e = &f.escalations;
        assert_eq!((e.blockers, e.escalated, e.decided), (3, 2, 2));
        assert_eq!(e.mean_days, Some(3.5));
        assert_eq!(e.median_days, Some(3.5));
        assert_eq!(e.max_days, Some(5.0));
        // Trend: cycle score = mean of the two objectives (weight 1 each) = 0.725.
        assert_eq!(s.trend.len(), 1);
        assert_eq!(s.trend[0].score_ppm, Some(725_000));
        assert_eq!(s.trend[0].committed_mean_ppm, Some(750_000));
        assert_eq!(s.trend[0].aspirational_mean_ppm, Some(700_000));
    }

    #[test]
    fn quartiles_by_nearest_rank_and_buckets() {
        let d = distribution(&[900_000, 100_000, 500_000, 1_000_000, 300_000]);
        assert_eq!(d.count, 5);
        assert_eq!(d.min_ppm, Some(100_000));
        assert_eq!(d.q1_ppm, Some(300_000)); // rank ceil(1.25) = 2
        assert_eq!(d.median_ppm, Some(500_000)); // rank ceil(2.5) = 3
        assert_eq!(d.q3_ppm, Some(900_000)); // rank ceil(3.75) = 4
        assert_eq!(d.max_ppm, Some(1_000_000));
        assert_eq!(d.mean_ppm, Some(560_000));
        assert_eq!(d.buckets, [1, 2, 1, 1]);
        assert_eq!(distribution(&[]).mean_ppm, None);
    }

    #[test]
    fn practice_sprints_only_when_asked() {
        let mut state = small();
        if let Some(c) = state.cycles.get_mut(&C) {
            c.kind = CycleKind::Practice;
        }
        assert!(stats(&state, &StatsOptions::default()).cycles.is_empty());
        let with = stats(
            &state,
            &StatsOptions {
                include_practice: true,
                ..StatsOptions::default()
            },
        );
        assert_eq!(with.cycles.len(), 1);
    }
}
