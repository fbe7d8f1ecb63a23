//! Progress, rollup, status and score, in exact integer parts per million.
//!
//! Two ways to the same figures: the functions here compute a cycle's rollup from its state
//! directly (the reference), and [`Rollup`] keeps the figures in flat arrays and updates them
//! incrementally as events arrive — a check-in touches only its key result's ancestors.
//! Integer sums make the two agree exactly; a property test asserts `==`.
//!
//! ```
//! use okr_core::rollup::{attainment_ppm, format_ppm, PPM};
//! use okr_core::KrKind;
//! let kr = KrKind::Increase { baseline: Some(5.0), target: 25.0, unit: "%".into() };
//! assert_eq!(attainment_ppm(&kr, Some(15.0)), PPM / 2);
//! assert_eq!(attainment_ppm(&kr, Some(33.0)), 1_400_000, "over-achievement stays visible");
//! assert_eq!(format_ppm(PPM / 2), "0.50");
//! ```

mod history;
mod incremental;

pub use crate::scoring::{ScoreBounds, ScoreScope, ScoreWeighting, ScoringPolicy};
pub use history::{history, History, WeekFigures};
pub use incremental::{ObjectiveFigures, Parallelism, Rollup, ScoreTable, UnitFigures};

use crate::cycle::Cycle;
use crate::ids::CycleId;
use crate::ids::{KeyResultId, ObjectiveId, UnitId};
use crate::key_result::{Bound, KeyResult, KrKind};
use crate::objective::{ObjectiveKind, ObjectiveStatus};
use crate::review::ScoreProvenance;
use crate::state::State;
use chrono::{DateTime, NaiveTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One whole in parts per million.
pub const PPM: i64 = 1_000_000;

/// Raw attainment is kept within ±this many ppm (±1000×), so sums never overflow.
const RAW_LIMIT: i64 = 1_000 * PPM;

/// A key result's progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct KrProgress {
    /// Progress clamped to 0..=1 000 000 ppm.
    pub progress_ppm: i64,
    /// Attainment, not clamped (over-achievement and regression stay visible).
    pub raw_ppm: i64,
    /// The latest confidence, if checked in.
    pub confidence: Option<u8>,
}

/// Where a key result or objective stands against expected progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// No check-in yet.
    NotStarted,
    /// Progress minus expected (scaled to the objective's kind, see [`status`]) ≥ the
    /// policy's on-track threshold.
    OnTrack,
    /// Progress minus expected (scaled to the objective's kind) ≥ the policy's at-risk
    /// threshold.
    AtRisk,
    /// Further behind.
    OffTrack,
}

/// The value a key result's progress is measured at: its latest check-in by `effective_at`.
fn current(kr: &KeyResult) -> Option<f64> {
    kr.latest().map(|c| c.value)
}

/// How a key result turns a value into attainment; the numeric core of [`KrKind`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Measure {
    /// From `base` to `target`, either direction.
    Linear { base: f64, target: f64 },
    /// At or above the threshold.
    AtLeast(f64),
    /// At or below the threshold.
    AtMost(f64),
    /// Done or not: `decide` admits 0 (open) and 1 (done) only; a value above 1, which a
    /// log from before that rule may hold, counts as done too.
    Milestone,
}

impl Measure {
    pub(crate) fn of(kind: &KrKind) -> Self {
        match kind {
            KrKind::Increase { target, .. } | KrKind::Decrease { target, .. } => Measure::Linear {
                base: kind.effective_baseline(),
                target: *target,
            },
            KrKind::Threshold {
                bound: Bound::AtLeast,
                value,
                ..
            } => Measure::AtLeast(*value),
            KrKind::Threshold {
                bound: Bound::AtMost,
                value,
                ..
            } => Measure::AtMost(*value),
            KrKind::Milestone => Measure::Milestone,
        }
    }

    /// Attainment in ppm, unclamped (within ±1000×); `None` means no check-in yet.
    pub(crate) fn attainment(&self, value: Option<f64>) -> i64 {
        match *self {
            Measure::Linear { base, target } => {
                let v = value.unwrap_or(base);
                let span = target - base;
                if span == 0.0 || !span.is_finite() {
                    return 0;
                }
                let r = ((v - base) / span * PPM as f64).round();
                if r.is_nan() {
                    0
                } else {
                    (r as i64).clamp(-RAW_LIMIT, RAW_LIMIT)
                }
            }
            Measure::AtLeast(t) => match value {
                Some(v) if v >= t => PPM,
                _ => 0,
            },
            Measure::AtMost(t) => match value {
                Some(v) if v <= t => PPM,
                _ => 0,
            },
            Measure::Milestone => match value {
                Some(v) if v >= 1.0 => PPM,
                _ => 0,
            },
        }
    }
}

/// Attainment of a value on a key result, in ppm, unclamped (within ±1000×): increase and
/// decrease go linearly from baseline (0 %) to target (100 %); a threshold is 100 % on the
/// right side (inclusive), else 0; a milestone is 100 % once it is checked in as done (1).
/// `None` (no check-in) counts as the baseline.
pub fn attainment_ppm(kind: &KrKind, value: Option<f64>) -> i64 {
    Measure::of(kind).attainment(value)
}

/// A key result's progress now (latest check-in by `effective_at`, else the baseline).
pub fn key_result(kr: &KeyResult) -> KrProgress {
    let raw = attainment_ppm(&kr.kind, current(kr));
    KrProgress {
        progress_ppm: raw.clamp(0, PPM),
        raw_ppm: raw,
        confidence: kr.latest().map(|c| c.confidence),
    }
}

/// Expected progress at `t`: how much of the cycle has passed, in ppm. The cycle
/// runs from its start date's first instant to the end of its end date.
pub fn expected_ppm(cycle: &Cycle, t: DateTime<Utc>) -> i64 {
    let (start, end) = span(cycle);
    let total = (end - start).num_seconds();
    if total <= 0 {
        return PPM;
    }
    let done = (t - start).num_seconds().clamp(0, total);
    (i128::from(done) * i128::from(PPM) / i128::from(total)) as i64
}

/// The instants a cycle runs between: its start date at 00:00 and the day after its end
/// date at 00:00 (UTC).
pub fn span(cycle: &Cycle) -> (DateTime<Utc>, DateTime<Utc>) {
    (
        cycle.start.and_time(NaiveTime::MIN).and_utc(),
        (cycle.end + chrono::Duration::days(1))
            .and_time(NaiveTime::MIN)
            .and_utc(),
    )
}

/// Status from progress and expected progress with the cycle's thresholds, measured against
/// what the objective's kind expects.
///
/// The rule: the time-based expectation (how much of the cycle has passed,
/// [`expected_ppm`]) is scaled to what the kind is expected to reach by the end
/// ([`expected_score_ppm`]: 1.0 for a committed objective, 0.7 for an aspirational one), and
/// the gap between progress and that scaled expectation is compared with the policy's
/// thresholds (`on_track_ppm`, `at_risk_ppm`, in absolute ppm as for committed
/// objectives). Halfway through a cycle a committed objective is expected at 0.50 and an
/// aspirational one at 0.35: an aspirational objective at 0.30 (0.85 of its 0.35) is on
/// track, a committed one at 0.30 is at risk. A key result is rated by the kind of its
/// objective.
///
/// ```
/// use okr_core::rollup::{scaled_expectation_ppm, PPM};
/// use okr_core::ObjectiveKind;
/// assert_eq!(scaled_expectation_ppm(ObjectiveKind::Committed, PPM / 2), 500_000);
/// assert_eq!(scaled_expectation_ppm(ObjectiveKind::Aspirational, PPM / 2), 350_000);
/// ```
pub fn status(
    cycle: &Cycle,
    kind: ObjectiveKind,
    progress_ppm: Option<i64>,
    started: bool,
    t: DateTime<Utc>,
) -> Status {
    status_against(cycle, kind, progress_ppm, started, expected_ppm(cycle, t))
}

/// The time-based expectation `expected_ppm` scaled to what an objective of `kind` is
/// expected to reach by the end of the cycle (floored).
pub fn scaled_expectation_ppm(kind: ObjectiveKind, expected_ppm: i64) -> i64 {
    (i128::from(expected_ppm) * i128::from(expected_score_ppm(kind))).div_euclid(i128::from(PPM))
        as i64
}

/// Status from progress and an already computed (time-based, unscaled) expected progress,
/// so that a caller rating many objectives at one instant computes the expectation once.
pub(crate) fn status_against(
    cycle: &Cycle,
    kind: ObjectiveKind,
    progress_ppm: Option<i64>,
    started: bool,
    expected_ppm: i64,
) -> Status {
    status_scaled(
        cycle,
        progress_ppm,
        started,
        scaled_expectation_ppm(kind, expected_ppm),
    )
}

/// Status from progress and the expectation already scaled to the objective's kind
/// ([`scaled_expectation_ppm`]), so that a caller rating many objectives computes it once
/// per kind.
pub(crate) fn status_scaled(
    cycle: &Cycle,
    progress_ppm: Option<i64>,
    started: bool,
    scaled_expected_ppm: i64,
) -> Status {
    let Some(p) = progress_ppm.filter(|_| started) else {
        return Status::NotStarted;
    };
    let gap = p - scaled_expected_ppm;
    if gap >= cycle.policy.on_track_ppm {
        Status::OnTrack
    } else if gap >= cycle.policy.at_risk_ppm {
        Status::AtRisk
    } else {
        Status::OffTrack
    }
}

/// Weighted mean of `(value, weight)` pairs, floored; `None` when the weights sum to 0.
pub fn weighted_mean(items: impl IntoIterator<Item = (i64, u64)>) -> Option<i64> {
    let (mut sum, mut weights) = (0i128, 0i128);
    for (v, w) in items {
        sum += i128::from(v) * i128::from(w);
        weights += i128::from(w);
    }
    (weights > 0).then(|| sum.div_euclid(weights) as i64)
}

/// The full rollup of one cycle at its current state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CycleRollup {
    /// Per key result (removed ones excluded).
    pub key_results: BTreeMap<KeyResultId, KrProgress>,
    /// Per objective: weighted mean over its key results (and, when the cycle's scoring
    /// policy rolls aligned objectives in, its contributing children), if any.
    pub objectives: BTreeMap<ObjectiveId, Option<i64>>,
    /// Per unit: weighted mean over its committed objectives.
    pub units: BTreeMap<UnitId, Option<i64>>,
    /// The whole cycle: weighted mean over all committed objectives.
    pub cycle: Option<i64>,
}

/// Computes the rollup of a cycle from scratch.
pub fn cycle(c: &Cycle) -> CycleRollup {
    let key_results: BTreeMap<_, _> = c
        .key_results
        .values()
        .filter(|k| !k.removed)
        .map(|k| (k.id, key_result(k)))
        .collect();
    let objectives = objective_values(c, |k| key_results.get(&k).map(|p| p.progress_ppm));
    let (units, total) = unit_values(c, &objectives, u64::from);
    CycleRollup {
        key_results,
        objectives,
        units,
        cycle: total,
    }
}

/// Objective values: each is the weighted mean of its key results' values and, when the
/// cycle's scoring policy rolls aligned objectives in ([`ScoringPolicy::rolls_up_aligned`]),
/// of its committed children's values (drafts and dropped objectives count nowhere).
pub fn objective_values(
    c: &Cycle,
    kr_value: impl Fn(KeyResultId) -> Option<i64>,
) -> BTreeMap<ObjectiveId, Option<i64>> {
    mean_over_graph(c, kr_value, c.policy.scoring.rolls_up_aligned(), u64::from)
}

/// The weighted means of every objective over its key results' values and, when
/// `with_children`, its contributing children's means; `weight` maps a stored weight to the
/// one that counts.
fn mean_over_graph(
    c: &Cycle,
    kr_value: impl Fn(KeyResultId) -> Option<i64>,
    with_children: bool,
    weight: impl Fn(u32) -> u64,
) -> BTreeMap<ObjectiveId, Option<i64>> {
    let mut children: BTreeMap<ObjectiveId, Vec<(ObjectiveId, u32)>> = BTreeMap::new();
    for o in c.objectives.values() {
        // Only committed objectives contribute: a draft or a dropped one counts nowhere.
        if o.status != ObjectiveStatus::Committed || !with_children {
            continue;
        }
        for (p, w) in &o.aligned_to {
            children.entry(*p).or_default().push((o.id, *w));
        }
    }
    let mut memo: BTreeMap<ObjectiveId, Option<i64>> = BTreeMap::new();
    // Depth-first, children before parents; the graph is acyclic (decide keeps it so),
    // and `visiting` guards against a damaged log all the same.
    let mut visiting = std::collections::BTreeSet::new();
    fn visit(
        id: ObjectiveId,
        c: &Cycle,
        children: &BTreeMap<ObjectiveId, Vec<(ObjectiveId, u32)>>,
        kr_value: &dyn Fn(KeyResultId) -> Option<i64>,
        weight: &dyn Fn(u32) -> u64,
        memo: &mut BTreeMap<ObjectiveId, Option<i64>>,
        visiting: &mut std::collections::BTreeSet<ObjectiveId>,
    ) -> Option<i64> {
        if let Some(v) = memo.get(&id) {
            return *v;
        }
        if !visiting.insert(id) {
            return None;
        }
        let mut items: Vec<(i64, u64)> = Vec::new();
        for k in c.key_results_of(id) {
            if let Some(v) = kr_value(k.id) {
                items.push((v, weight(k.weight)));
            }
        }
        for (child, w) in children.get(&id).map(Vec::as_slice).unwrap_or_default() {
            if let Some(v) = visit(*child, c, children, kr_value, weight, memo, visiting) {
                items.push((v, weight(*w)));
            }
        }
        let v = weighted_mean(items);
        memo.insert(id, v);
        v
    }
    for id in c.objectives.keys() {
        visit(
            *id,
            c,
            &children,
            &kr_value,
            &weight,
            &mut memo,
            &mut visiting,
        );
    }
    memo
}

fn unit_values(
    c: &Cycle,
    objectives: &BTreeMap<ObjectiveId, Option<i64>>,
    weight: impl Fn(u32) -> u64,
) -> (BTreeMap<UnitId, Option<i64>>, Option<i64>) {
    let mut per_unit: BTreeMap<UnitId, Vec<(i64, u64)>> = BTreeMap::new();
    for o in c.objectives.values() {
        if o.status != ObjectiveStatus::Committed {
            continue;
        }
        let items = per_unit.entry(o.unit).or_default();
        if let Some(Some(v)) = objectives.get(&o.id) {
            items.push((*v, weight(o.weight)));
        }
    }
    let total = weighted_mean(per_unit.values().flatten().copied());
    let units = per_unit
        .into_iter()
        .map(|(u, items)| (u, weighted_mean(items)))
        .collect();
    (units, total)
}

/// What one aligned objective contributes to the objective it is aligned to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Contribution {
    /// The aligned (contributing) objective.
    pub objective: ObjectiveId,
    /// Its unit.
    pub unit: UnitId,
    /// The contribution weight of the link.
    pub contribution: u32,
    /// Its progress over its own key results.
    pub own_ppm: Option<i64>,
}

/// An objective's alignment, for transparency: its own figure, what the objectives aligned
/// to it contribute (shown beside it, rolled in only under a policy that says so), and the
/// dependency links („hängt ab von“) in both directions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct AlignmentView {
    /// Progress over its own key results only.
    pub own_ppm: Option<i64>,
    /// Progress with its committed aligned objectives rolled in, weighted by contribution:
    /// what a roll-up policy counts.
    pub with_aligned_ppm: Option<i64>,
    /// Whether the cycle's scoring policy rolls aligned objectives in; when `false` the
    /// objective's figure is `own_ppm`, when `true` it is `with_aligned_ppm`.
    pub rolled_in: bool,
    /// The committed objectives aligned to it (drafts and dropped ones contribute nothing).
    pub contributions: Vec<Contribution>,
    /// Objectives of other units it depends on.
    pub depends_on: Vec<ObjectiveId>,
    /// Objectives of other units that depend on it.
    pub needed_by: Vec<ObjectiveId>,
}

/// The alignment of every objective of a cycle, from its current progress.
pub fn alignment(c: &Cycle) -> BTreeMap<ObjectiveId, AlignmentView> {
    let progress = |k: KeyResultId| {
        c.key_results
            .get(&k)
            .filter(|k| !k.removed)
            .map(|k| key_result(k).progress_ppm)
    };
    let own = mean_over_graph(c, progress, false, u64::from);
    let with = mean_over_graph(c, progress, true, u64::from);
    let rolled_in = c.policy.scoring.rolls_up_aligned();
    let mut out: BTreeMap<ObjectiveId, AlignmentView> = c
        .objectives
        .values()
        .map(|o| {
            (
                o.id,
                AlignmentView {
                    own_ppm: own.get(&o.id).copied().flatten(),
                    with_aligned_ppm: with.get(&o.id).copied().flatten(),
                    rolled_in,
                    contributions: Vec::new(),
                    depends_on: o.depends_on.to_vec(),
                    needed_by: Vec::new(),
                },
            )
        })
        .collect();
    for o in c.objectives.values() {
        if o.status == ObjectiveStatus::Committed {
            for (parent, w) in &o.aligned_to {
                if let Some(v) = out.get_mut(parent) {
                    v.contributions.push(Contribution {
                        objective: o.id,
                        unit: o.unit,
                        contribution: *w,
                        own_ppm: own.get(&o.id).copied().flatten(),
                    });
                }
            }
        }
        for d in o.depends_on.iter() {
            if let Some(v) = out.get_mut(d) {
                v.needed_by.push(o.id);
            }
        }
    }
    out
}

/// A key result's review score with where it comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct KrScore {
    /// The score in ppm.
    pub score_ppm: i64,
    /// Computed, overridden or corrected.
    pub provenance: ScoreProvenance,
}

/// An objective's review score, with what is expected of its kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ObjectiveScore {
    /// The score in ppm; `None` when there is nothing to average.
    pub score_ppm: Option<i64>,
    /// Committed or aspirational.
    pub kind: ObjectiveKind,
    /// What its kind is expected to reach: 1.0 committed, about 0.7 aspirational
    /// (reported, not enforced).
    pub expected_ppm: i64,
}

/// Review scores of a cycle: per key result (with provenance) and per objective.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CycleScores {
    /// The scoring policy they were computed with.
    pub policy: ScoringPolicy,
    /// Per key result.
    pub key_results: BTreeMap<KeyResultId, KrScore>,
    /// Per objective: weighted mean of its key results' scores (and, with children, of the
    /// scores of the objectives aligned to it).
    pub objectives: BTreeMap<ObjectiveId, Option<i64>>,
    /// Per objective, with kind and expectation.
    pub objective_details: BTreeMap<ObjectiveId, ObjectiveScore>,
    /// The cycle: weighted mean over committed objectives.
    pub cycle: Option<i64>,
}

/// What an objective of a kind is expected to score.
pub fn expected_score_ppm(kind: ObjectiveKind) -> i64 {
    match kind {
        ObjectiveKind::Committed => PPM,
        ObjectiveKind::Aspirational => 700_000,
    }
}

/// Review scores under the cycle's own scoring policy: the final progress of each key result
/// unless overridden or corrected.
pub fn scores(c: &Cycle) -> CycleScores {
    scores_with(c, &c.policy.scoring)
}

/// Review scores under `policy` (a what-if when it is not the cycle's own). Pure: the cycle
/// and its log are untouched.
pub fn scores_with(c: &Cycle, policy: &ScoringPolicy) -> CycleScores {
    let key_results: BTreeMap<_, _> = c
        .key_results
        .values()
        .filter(|k| !k.removed)
        .map(|k| {
            let s = match c.manual_scores.get(&k.id) {
                Some(m) => KrScore {
                    score_ppm: m.score_ppm,
                    provenance: m.provenance.clone(),
                },
                None => {
                    let p = key_result(k);
                    KrScore {
                        score_ppm: match policy.bounds {
                            ScoreBounds::Clamped => p.progress_ppm,
                            ScoreBounds::Unbounded => p.raw_ppm,
                        },
                        provenance: ScoreProvenance::Computed,
                    }
                }
            };
            (k.id, s)
        })
        .collect();
    let objectives = mean_over_graph(
        c,
        |k| key_results.get(&k).map(|s| s.score_ppm),
        policy.scope == ScoreScope::WithChildren,
        |w| policy.weight(w),
    );
    let (_, total) = unit_values(c, &objectives, |w| policy.weight(w));
    let objective_details = c
        .objectives
        .values()
        .map(|o| {
            (
                o.id,
                ObjectiveScore {
                    score_ppm: objectives.get(&o.id).copied().flatten(),
                    kind: o.kind,
                    expected_ppm: expected_score_ppm(o.kind),
                },
            )
        })
        .collect();
    CycleScores {
        policy: *policy,
        key_results,
        objectives,
        objective_details,
        cycle: total,
    }
}

/// Re-scores a cycle under another policy: what-if figures, nothing changes. The same
/// figures as [`scores_with`], computed on the cycle's indexed [`Rollup`]
/// ([`Rollup::rescore`]); a caller that keeps a built rollup rescores it directly.
pub fn rescore(state: &State, cycle: CycleId, policy: &ScoringPolicy) -> Option<CycleScores> {
    Rollup::for_scores(state, cycle).map(|r| r.rescore(policy).to_cycle_scores())
}

/// Formats ppm as a decimal with two places, e.g. `0.73`.
pub fn format_ppm(ppm: i64) -> String {
    let sign = if ppm < 0 { "-" } else { "" };
    let a = ppm.unsigned_abs();
    let hundredths = (a + 5_000) / 10_000;
    format!("{sign}{}.{:02}", hundredths / 100, hundredths % 100)
}
