//! The incremental rollup of one cycle: flat arrays, exact integer sums, and updates that
//! touch only what a check-in changes.

use super::{
    expected_ppm, expected_score_ppm, scaled_expectation_ppm, status, status_scaled, CycleRollup,
    CycleScores, KrProgress, KrScore, Measure, ObjectiveScore, Status, PPM,
};
use crate::cycle::Cycle;
use crate::event::{Event, EventBody};
use crate::ids::{CycleId, KeyResultId, ObjectiveId, UnitId};
use crate::objective::{ObjectiveKind, ObjectiveStatus};
use crate::review::{ManualScore, ScoreProvenance};
use crate::scoring::{ScoreBounds, ScoreScope, ScoreWeighting, ScoringPolicy};
use crate::state::State;
use chrono::{DateTime, Utc};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A weighted sum kept exactly: Σ value·weight and Σ weight. The sum is an `i128` held in
/// two 64-bit halves, so that a slot is 24 bytes with 8-byte alignment rather than 32 with 16:
/// the full rollup streams a million of them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Sums {
    lo: u64,
    hi: i64,
    weight: u64,
}

impl Sums {
    fn of(sum: i128, weight: u64) -> Self {
        Sums {
            lo: sum as u64,
            hi: (sum >> 64) as i64,
            weight,
        }
    }

    fn sum(&self) -> i128 {
        (i128::from(self.hi) << 64) | i128::from(self.lo)
    }

    fn add(&mut self, v: Option<i64>, w: u64) {
        if let Some(v) = v {
            *self = Sums::of(self.sum() + i128::from(v) * i128::from(w), self.weight + w);
        }
    }

    fn sub(&mut self, v: Option<i64>, w: u64) {
        if let Some(v) = v {
            *self = Sums::of(self.sum() - i128::from(v) * i128::from(w), self.weight - w);
        }
    }

    fn merge(&mut self, o: &Sums, sign: i128) {
        let weight = if sign > 0 {
            self.weight + o.weight
        } else {
            self.weight - o.weight
        };
        *self = Sums::of(self.sum() + sign * o.sum(), weight);
    }

    /// The floored weighted mean, as [`super::weighted_mean`] computes it (in 64-bit
    /// arithmetic when the sum fits, which gives the same quotient faster).
    fn mean(&self) -> Option<i64> {
        mean(self.sum(), self.weight)
    }
}

/// The floored mean `sum / weight`, `None` when the weight is 0.
fn mean(sum: i128, weight: u64) -> Option<i64> {
    if weight == 0 {
        return None;
    }
    Some(match (i64::try_from(sum), i64::try_from(weight)) {
        (Ok(s), Ok(w)) => s.div_euclid(w),
        _ => sum.div_euclid(i128::from(weight)) as i64,
    })
}

const NO_CONFIDENCE: u8 = u8::MAX;
const NONE: u32 = u32::MAX;

// Raw attainment is kept as `i32` in the dense key result arrays.
const _: () = assert!(super::RAW_LIMIT <= i32::MAX as i64);

/// What [`Rollup`] keeps per key result besides the dense arrays the full passes read.
#[derive(Debug, Clone)]
struct KrSlot {
    id: KeyResultId,
    objective: u32,
    measure: Measure,
    /// Effective time of the latest check-in, in microseconds; `i64::MIN` when none.
    latest_at: i64,
    value: Option<f64>,
}

/// Confidence 0..=10 as ppm of 10; `None` when not checked in.
fn confidence_ppm(c: u8) -> Option<i64> {
    (c != NO_CONFIDENCE).then(|| i64::from(c) * PPM / 10)
}

/// Progress: raw attainment clamped to 0..=1.
fn progress(raw: i32) -> i64 {
    i64::from(raw).clamp(0, PPM)
}

#[derive(Debug, Clone)]
struct ObjSlot {
    id: ObjectiveId,
    unit: u32,
    weight: u32,
    kind: ObjectiveKind,
    /// Committed: counts in its unit's rollup and contributes to the objectives it is
    /// aligned to (a draft or a dropped objective counts nowhere).
    committed: bool,
    /// Whether a committed objective is aligned to this one: under a roll-up its value
    /// waits for its children's.
    receives: bool,
    /// Every alignment link (parent, contribution), whatever the cycle's policy: the
    /// rollup follows them when the cycle rolls aligned objectives in, a rescore when its
    /// policy does.
    parents: Box<[(u32, u32)]>,
}

/// The figures of one objective, written by the full rollup and kept up to date by
/// check-ins.
#[derive(Debug, Clone, Copy, Default)]
struct ObjFig {
    sums: Sums,
    confidence: Sums,
    /// The mean of `sums` when `has_value`.
    value: i64,
    /// The mean of `confidence` when its weight is not 0 (kept so that the unit pass does
    /// not divide).
    confidence_mean: i64,
    /// Own key results with a check-in plus started committed children.
    started: u32,
    has_value: bool,
}

impl ObjFig {
    fn value(&self) -> Option<i64> {
        self.has_value.then_some(self.value)
    }

    fn set_value(&mut self, v: Option<i64>) {
        self.has_value = v.is_some();
        self.value = v.unwrap_or(0);
    }

    fn confidence_mean(&self) -> Option<i64> {
        (self.confidence.weight > 0).then_some(self.confidence_mean)
    }
}

#[derive(Debug, Clone)]
struct UnitSlot {
    id: UnitId,
    parent: u32,
    /// Committed objectives of this unit in the cycle.
    committed: u32,
}

/// The figures of one unit.
#[derive(Debug, Clone, Copy, Default)]
struct UnitFig {
    own: Sums,
    subtree: Sums,
    confidence: Sums,
}

/// How the full passes of a [`Rollup`] ([`Rollup::recompute`], [`Rollup::rescore`]) split
/// their work across threads.
///
/// Key results are stored per objective in order, so the key result pass splits at
/// objective boundaries into chunks with about equal numbers of key results; each chunk is
/// summed on its own thread into its own objectives, with nothing shared. The passes over
/// alignment links and units stay on the calling thread. Sums are exact integers, so the
/// figures are the same for every split.
///
/// ```
/// use okr_core::rollup::Parallelism;
/// assert_eq!(Parallelism::default(), Parallelism::DEFAULT);
/// assert_eq!(Parallelism::SEQUENTIAL.threads_for(1_000_000), 1);
/// assert_eq!(Parallelism::DEFAULT.threads_for(1_000), 1, "small cycles stay on one thread");
/// assert_eq!(Parallelism::DEFAULT.threads_for(1_000_000), 2);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Parallelism {
    /// Threads at most, the calling one included (0 counts as 1).
    pub threads: usize,
    /// Key results from which a pass splits at all: below, starting a thread costs more
    /// than it saves.
    pub min_key_results: usize,
}

impl Parallelism {
    /// One thread, always.
    pub const SEQUENTIAL: Parallelism = Parallelism {
        threads: 1,
        min_key_results: usize::MAX,
    };

    /// Two threads from 50 000 key results on. okr-core does not ask the machine how many
    /// cores it has (on Linux that reads the cgroup files); a caller who knows sets
    /// [`Rollup::set_parallelism`].
    pub const DEFAULT: Parallelism = Parallelism {
        threads: 2,
        min_key_results: 50_000,
    };

    /// The number of threads a pass over `key_results` key results uses.
    pub fn threads_for(&self, key_results: usize) -> usize {
        if key_results < self.min_key_results {
            1
        } else {
            self.threads.max(1)
        }
    }
}

impl Default for Parallelism {
    fn default() -> Self {
        Parallelism::DEFAULT
    }
}

/// Runs `f` over contiguous chunks of `items` split at `bounds` (ascending, from 0 to
/// `items.len()`), the first on the calling thread and every other on a thread of its own;
/// `f` gets the index of the chunk's first item. Returns the results in chunk order.
fn map_chunks<T: Send, R: Send>(
    items: &mut [T],
    bounds: &[usize],
    f: impl Fn(usize, &mut [T]) -> R + Sync,
) -> Vec<R> {
    if bounds.len() <= 2 {
        return vec![f(0, items)];
    }
    std::thread::scope(|s| {
        let f = &f;
        let mut rest = items;
        let mut first = None;
        let mut handles = Vec::with_capacity(bounds.len() - 2);
        for w in bounds.windows(2) {
            let (chunk, tail) = std::mem::take(&mut rest).split_at_mut(w[1] - w[0]);
            rest = tail;
            let start = w[0];
            if first.is_none() {
                first = Some((start, chunk));
            } else {
                handles.push(s.spawn(move || f(start, chunk)));
            }
        }
        let mut out = Vec::with_capacity(bounds.len() - 1);
        if let Some((start, chunk)) = first {
            out.push(f(start, chunk));
        }
        for h in handles {
            out.push(h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)));
        }
        out
    })
}

/// Manual scores of key results by index, ascending.
type Manual = Vec<(u32, ManualScore)>;

/// Figures of one objective.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ObjectiveFigures {
    /// Weighted mean over its key results and contributing children, if any.
    pub progress_ppm: Option<i64>,
    /// Weighted mean of its key results' latest confidences (0..=10 as ppm of 10).
    pub confidence_ppm: Option<i64>,
    /// Whether any key result below it was checked in.
    pub started: bool,
}

/// Figures of one unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct UnitFigures {
    /// Weighted mean over the unit's committed objectives.
    pub own_ppm: Option<i64>,
    /// Weighted mean over the committed objectives of the unit and every unit below it.
    pub subtree_ppm: Option<i64>,
    /// Weighted mean of its committed objectives' confidences.
    pub confidence_ppm: Option<i64>,
}

/// The rollup of one cycle, maintained incrementally.
///
/// Build it from a state with [`Rollup::build`], feed it every event after applying the
/// event to the state with [`Rollup::apply`], and call [`Rollup::refresh`] before reading
/// when structure changed (objectives drafted, aligned, committed, dropped; key results
/// added or removed; units moved): those events mark it stale, and `refresh` rebuilds. A
/// check-in or a key result amendment updates the figures in place, touching only the key
/// result's objective, the objectives it contributes to, their units and the units above.
///
/// ```
/// use chrono::{Duration, TimeZone, Utc};
/// use okr_core::rollup::{self, Rollup};
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
/// let mut rollup = None::<Rollup>;
/// for (n, (day, body)) in script.into_iter().enumerate() {
///     let at = day0 + Duration::days(day);
///     let command = Command::new(uuid::Uuid::from_u128(100 + n as u128), master, at, body);
///     for e in decide(&state, &command).unwrap().events {
///         state.apply(&e);
///         match rollup.as_mut() {
///             Some(r) => r.apply(&e),
///             None if state.cycles.contains_key(&cycle) => rollup = Rollup::build(&state, cycle),
///             None => {}
///         }
///     }
/// }
/// let mut rollup = rollup.unwrap();
/// rollup.refresh(&state);
/// // Incremental figures equal the reference computation exactly.
/// assert_eq!(rollup.to_cycle_rollup(), rollup::cycle(&state.cycles[&cycle]));
/// ```
#[derive(Debug, Clone)]
pub struct Rollup {
    cycle: CycleId,
    /// Whether the cycle's policy rolls aligned objectives into the objectives they are
    /// aligned to.
    rolls_up: bool,
    krs: Vec<KrSlot>,
    // The key results' fields the full passes read, one dense array each (in key result
    // order: per objective, objectives in index order).
    kr_weight: Vec<u32>,
    kr_raw: Vec<i32>,
    kr_confidence: Vec<u8>,
    kr_index: FxHashMap<KeyResultId, u32>,
    /// Manual scores (overrides, corrections) of counted key results.
    manual: Manual,
    objs: Vec<ObjSlot>,
    /// Objective `i`'s key results are `obj_kr[i]..obj_kr[i + 1]`.
    obj_kr: Vec<u32>,
    figs: Vec<ObjFig>,
    obj_index: FxHashMap<ObjectiveId, u32>,
    /// Objectives in an order where every child comes before the objectives it aligns to.
    topo: Vec<u32>,
    /// Whether any objective receives a committed child: else the link pass is skipped.
    any_links: bool,
    units: Vec<UnitSlot>,
    unit_figs: Vec<UnitFig>,
    unit_index: FxHashMap<UnitId, u32>,
    /// Units, deepest first.
    unit_order: Vec<u32>,
    total: Sums,
    stale: bool,
    parallelism: Parallelism,
    /// Scratch stack for [`Rollup::propagate`], kept to avoid an allocation per check-in.
    work: Vec<(u32, bool)>,
}

fn micros(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

/// Sums the own key results of the objectives `first..first + figs.len()` into `figs`:
/// progress, confidence, started; each objective's value is the mean of its own key results
/// (the link pass completes the objectives that receive children).
fn own_figures(
    first: usize,
    figs: &mut [ObjFig],
    obj_kr: &[u32],
    weight: &[u32],
    raw: &[i32],
    confidence: &[u8],
) {
    for (j, f) in figs.iter_mut().enumerate() {
        let (a, b) = (obj_kr[first + j] as usize, obj_kr[first + j + 1] as usize);
        let (mut sum, mut w_sum) = (0i128, 0u64);
        let (mut c_sum, mut c_w, mut started) = (0i128, 0u64, 0u32);
        for ((&w, &r), &c) in weight[a..b].iter().zip(&raw[a..b]).zip(&confidence[a..b]) {
            let w = u64::from(w);
            // Below 2^20 · 2^32: the product fits in 64 bits.
            sum += i128::from(progress(r) * w as i64);
            w_sum += w;
            if c != NO_CONFIDENCE {
                // At most 254 · 10^5 · 2^32 < 2^57.
                c_sum += i128::from(i64::from(c) * (PPM / 10) * w as i64);
                c_w += w;
                started += 1;
            }
        }
        *f = ObjFig {
            sums: Sums::of(sum, w_sum),
            confidence: Sums::of(c_sum, c_w),
            value: 0,
            confidence_mean: mean(c_sum, c_w).unwrap_or(0),
            started,
            has_value: false,
        };
        f.set_value(mean(sum, w_sum));
    }
}

impl Rollup {
    /// Builds the rollup of `cycle` from `state`; `None` when the cycle is unknown.
    pub fn build(state: &State, cycle: CycleId) -> Option<Rollup> {
        Rollup::with_check_ins(state, cycle, true, true)
    }

    /// Builds the rollup of `cycle` with today's structure but as if no key result had been
    /// checked in: the start of a replay of check-ins (see [`crate::rollup::history`]).
    pub(crate) fn build_unchecked(state: &State, cycle: CycleId) -> Option<Rollup> {
        Rollup::with_check_ins(state, cycle, false, true)
    }

    /// Indexes `cycle` for one [`Rollup::rescore`] and [`ScoreTable::to_cycle_scores`]
    /// only: no rollup figures, no units and no index of key results by id (lookups of
    /// key results by id answer `None`), which a rescore from the state does not need.
    pub(crate) fn for_scores(state: &State, cycle: CycleId) -> Option<Rollup> {
        Rollup::with_check_ins(state, cycle, true, false)
    }

    fn with_check_ins(
        state: &State,
        cycle: CycleId,
        check_ins: bool,
        figures: bool,
    ) -> Option<Rollup> {
        let c = state.cycles.get(&cycle)?;
        let mut r = Rollup {
            cycle,
            rolls_up: false,
            krs: Vec::with_capacity(c.key_results.len()),
            kr_weight: Vec::with_capacity(c.key_results.len()),
            kr_raw: Vec::with_capacity(c.key_results.len()),
            kr_confidence: Vec::with_capacity(c.key_results.len()),
            kr_index: FxHashMap::default(),
            manual: Vec::new(),
            objs: Vec::with_capacity(c.objectives.len()),
            obj_kr: Vec::with_capacity(c.objectives.len() + 1),
            figs: Vec::new(),
            obj_index: FxHashMap::default(),
            topo: Vec::new(),
            any_links: false,
            units: Vec::with_capacity(state.units.len()),
            unit_figs: Vec::new(),
            unit_index: FxHashMap::default(),
            unit_order: Vec::new(),
            total: Sums::default(),
            stale: false,
            parallelism: Parallelism::DEFAULT,
            work: Vec::new(),
        };
        r.index(state, c, check_ins, !figures);
        if figures {
            r.recompute();
        }
        Some(r)
    }

    /// Indexes the cycle; `scores_only` leaves out what only the rollup's figures and
    /// lookups by key result id need (units, the key result index).
    fn index(&mut self, state: &State, c: &Cycle, check_ins: bool, scores_only: bool) {
        self.kr_index.clear();
        self.krs.clear();
        self.kr_weight.clear();
        self.kr_raw.clear();
        self.kr_confidence.clear();
        self.manual.clear();
        self.obj_index.clear();
        self.objs.clear();
        self.obj_kr.clear();
        self.unit_index.clear();
        self.units.clear();
        if !scores_only {
            self.kr_index.reserve(c.key_results.len());
        }
        self.obj_index.reserve(c.objectives.len());
        self.rolls_up = c.policy.scoring.rolls_up_aligned();
        let units = state.units.values().filter(|_| !scores_only);
        for (i, u) in units.clone().enumerate() {
            self.unit_index.insert(u.id, i as u32);
        }
        for u in units {
            self.units.push(UnitSlot {
                id: u.id,
                parent: u
                    .parent
                    .and_then(|p| self.unit_index.get(&p).copied())
                    .unwrap_or(NONE),
                committed: 0,
            });
        }
        self.unit_figs.clear();
        self.unit_figs.resize(self.units.len(), UnitFig::default());
        // Units deepest first, so that a unit's subtree sums are complete before its
        // parent's are. A damaged tree (a loop) stops at the first repetition.
        let mut depth: Vec<(u32, u32)> = (0..self.units.len() as u32)
            .map(|i| {
                let mut d = 0;
                let mut cur = self.units[i as usize].parent;
                while cur != NONE && d <= self.units.len() as u32 {
                    d += 1;
                    cur = self.units[cur as usize].parent;
                }
                (d, i)
            })
            .collect();
        depth.sort_unstable_by(|a, b| b.cmp(a));
        self.unit_order = depth.into_iter().map(|(_, i)| i).collect();

        for (i, o) in c.objectives.values().enumerate() {
            self.obj_index.insert(o.id, i as u32);
        }
        for o in c.objectives.values() {
            let parents: Box<[(u32, u32)]> = o
                .aligned_to
                .iter()
                .filter_map(|(p, w)| self.obj_index.get(p).map(|i| (*i, *w)))
                .collect();
            let committed = o.status == ObjectiveStatus::Committed;
            let unit = self.unit_index.get(&o.unit).copied().unwrap_or(NONE);
            self.objs.push(ObjSlot {
                id: o.id,
                unit,
                weight: o.weight,
                kind: o.kind,
                committed,
                receives: false,
                parents,
            });
            if committed && unit != NONE {
                self.units[unit as usize].committed += 1;
            }
            let oi = self.obj_index[&o.id];
            self.obj_kr.push(self.krs.len() as u32);
            for k in c.key_results_of(o.id) {
                let latest = k.latest().filter(|_| check_ins);
                let measure = Measure::of(&k.kind);
                let value = latest.map(|x| x.value);
                let ki = self.krs.len() as u32;
                if !scores_only {
                    self.kr_index.insert(k.id, ki);
                }
                if let Some(m) = c.manual_scores.get(&k.id) {
                    self.manual.push((ki, m.clone()));
                }
                self.krs.push(KrSlot {
                    id: k.id,
                    objective: oi,
                    measure,
                    latest_at: latest.map_or(i64::MIN, |x| micros(x.effective_at)),
                    value,
                });
                self.kr_weight.push(k.weight);
                self.kr_raw.push(measure.attainment(value) as i32);
                self.kr_confidence
                    .push(latest.map_or(NO_CONFIDENCE, |x| x.confidence));
            }
        }
        self.obj_kr.push(self.krs.len() as u32);
        self.any_links = false;
        for i in 0..self.objs.len() {
            if self.objs[i].committed {
                for j in 0..self.objs[i].parents.len() {
                    let p = self.objs[i].parents[j].0;
                    self.objs[p as usize].receives = true;
                    self.any_links = true;
                }
            }
        }
        self.figs.clear();
        self.figs.resize(self.objs.len(), ObjFig::default());
        self.topo = topological(&self.objs);
        self.stale = false;
    }

    /// How the full passes split across threads (by default [`Parallelism::DEFAULT`]).
    pub fn parallelism(&self) -> Parallelism {
        self.parallelism
    }

    /// Sets how the full passes split across threads; the figures do not depend on it.
    pub fn set_parallelism(&mut self, p: Parallelism) {
        self.parallelism = p;
    }

    /// Objective boundaries of the chunks a full pass splits into: `[0, …, objectives]`,
    /// each chunk with about the same number of key results.
    fn chunk_bounds(&self) -> Vec<usize> {
        let (n_obj, n_kr) = (self.objs.len(), self.krs.len());
        let threads = self.parallelism.threads_for(n_kr).min(n_obj.max(1));
        let mut bounds = vec![0];
        for t in 1..threads {
            let target = (n_kr as u64 * t as u64 / threads as u64) as u32;
            let b = self.obj_kr[..n_obj].partition_point(|&s| s < target);
            if b > *bounds.last().unwrap_or(&0) && b < n_obj {
                bounds.push(b);
            }
        }
        bounds.push(n_obj);
        bounds
    }

    /// Recomputes every figure from the key results' values: the full rollup.
    ///
    /// Three passes: the key results summed into their objectives (split across threads
    /// per [`Rollup::parallelism`]); when the cycle rolls aligned objectives in, the
    /// committed children carried into their parents, children first; the objectives
    /// summed into their units and the units into the units above, deepest first.
    pub fn recompute(&mut self) {
        let bounds = self.chunk_bounds();
        let (obj_kr, weight, raw, confidence) = (
            &self.obj_kr[..],
            &self.kr_weight[..],
            &self.kr_raw[..],
            &self.kr_confidence[..],
        );
        map_chunks(&mut self.figs, &bounds, |first, figs| {
            own_figures(first, figs, obj_kr, weight, raw, confidence)
        });
        if self.rolls_up && self.any_links {
            for &oi in &self.topo {
                let o = &self.objs[oi as usize];
                let f = &mut self.figs[oi as usize];
                if o.receives {
                    f.set_value(f.sums.mean());
                }
                if !o.committed {
                    continue;
                }
                let (value, started) = (f.value(), f.started > 0);
                for &(p, w) in o.parents.iter() {
                    let p = &mut self.figs[p as usize];
                    p.sums.add(value, u64::from(w));
                    p.started += u32::from(started);
                }
            }
        }
        for u in &mut self.unit_figs {
            *u = UnitFig::default();
        }
        self.total = Sums::default();
        for (o, f) in self.objs.iter().zip(&self.figs) {
            if o.committed && o.unit != NONE {
                let (w, value) = (u64::from(o.weight), f.value());
                let u = &mut self.unit_figs[o.unit as usize];
                u.own.add(value, w);
                u.confidence.add(f.confidence_mean(), w);
                self.total.add(value, w);
            }
        }
        for &ui in &self.unit_order {
            let u = &mut self.unit_figs[ui as usize];
            u.subtree.merge(&u.own.clone(), 1);
            let (parent, sub) = (self.units[ui as usize].parent, u.subtree);
            if parent != NONE {
                self.unit_figs[parent as usize].subtree.merge(&sub, 1);
            }
        }
    }

    /// Review scores under `policy`, from the key results' current values and the manual
    /// scores (overrides, corrections), as [`super::scores_with`] computes them from the
    /// cycle — without touching this rollup's figures.
    ///
    /// The key result pass splits across threads like [`Rollup::recompute`]'s; a policy
    /// with children then carries committed children into their parents, children first.
    ///
    /// ```
    /// # use chrono::{Duration, TimeZone, Utc};
    /// # use okr_core::rollup::{self, Rollup, ScoringPolicy};
    /// # use okr_core::*;
    /// # let master = PersonId::from_u128(1);
    /// # let (unit, cycle) = (UnitId::from_u128(2), CycleId::from_u128(3));
    /// # let (objective, key_result) = (ObjectiveId::from_u128(4), KeyResultId::from_u128(5));
    /// # let day0 = Utc.with_ymd_and_hms(2025, 1, 6, 9, 0, 0).unwrap();
    /// # let script = vec![
    /// #   (-7, CommandBody::DefineUnit { unit, name: "Bürgerbüro".into(), kind: UnitKind::Organisation, parent: None }),
    /// #   (-7, CommandBody::RegisterPerson { person: master, name: "Alex".into() }),
    /// #   (-7, CommandBody::GrantMembership { unit, person: master, role: Role::Lead }),
    /// #   (-7, CommandBody::GrantMembership { unit, person: master, role: Role::OkrMaster }),
    /// #   (-7, CommandBody::PlanCycle { cycle, name: "2025-Q1".into(), kind: CycleKind::Regular, start: day0.date_naive(), end: (day0 + Duration::days(83)).date_naive(), check_in_weekday: chrono::Weekday::Mon, policy: None }),
    /// #   (-1, CommandBody::DraftObjective { cycle, objective, unit, title: "Residents file their requests online".into(), beneficiary: Some("residents".into()), change: None, value: None, kind: ObjectiveKind::Committed, weight: 1 }),
    /// #   (-1, CommandBody::AddKeyResult { objective, key_result, title: "Forms online".into(), kind: KrKind::Increase { baseline: Some(0.0), target: 10.0, unit: "forms".into() }, weight: 1, owner: None }),
    /// #   (-1, CommandBody::CommitObjective { objective }),
    /// #   (0, CommandBody::StartCycle { cycle }),
    /// #   (8, CommandBody::CheckIn { key_result, value: 14.0, confidence: 8, note: String::new(), effective_at: None }),
    /// # ];
    /// # let mut state = State::new();
    /// # for (n, (day, body)) in script.into_iter().enumerate() {
    /// #     let at = day0 + Duration::days(day);
    /// #     let command = Command::new(uuid::Uuid::from_u128(100 + n as u128), master, at, body);
    /// #     execute(&mut state, &command).unwrap();
    /// # }
    /// // A cycle whose one key result went from 0 to 14 of 10 forms.
    /// let rollup = Rollup::build(&state, cycle).unwrap();
    /// let standard = rollup.rescore(&ScoringPolicy::STANDARD);
    /// let unbounded = rollup.rescore(&ScoringPolicy::parse("unbounded").unwrap());
    /// assert_eq!(standard.key_result(key_result).unwrap().score_ppm, 1_000_000);
    /// assert_eq!(unbounded.objective(objective), Some(Some(1_400_000)));
    /// assert_eq!(unbounded.cycle(), Some(1_400_000));
    /// // The same figures as the reference computation from the cycle.
    /// let c = &state.cycles[&cycle];
    /// let policy = ScoringPolicy::parse("unbounded").unwrap();
    /// assert_eq!(unbounded.to_cycle_scores(), rollup::scores_with(c, &policy));
    /// ```
    pub fn rescore(&self, policy: &ScoringPolicy) -> ScoreTable<'_> {
        let with_children = policy.scope == ScoreScope::WithChildren && self.any_links;
        let mut objectives = vec![None; self.objs.len()];
        let bounds = self.chunk_bounds();
        let cycle = if with_children {
            let mut sums = vec![Sums::default(); self.objs.len()];
            map_chunks(&mut sums, &bounds, |first, sums| {
                self.score_chunk(policy, first, sums.len(), |j, s| sums[j] = s);
            });
            self.carry_children(&mut sums, policy, &mut objectives);
            let mut total = Sums::default();
            for (o, s) in self.objs.iter().zip(&objectives) {
                if o.committed {
                    total.add(*s, policy.weight(o.weight));
                }
            }
            total.mean()
        } else {
            let totals = map_chunks(&mut objectives, &bounds, |first, out| {
                let mut total = Sums::default();
                self.score_chunk(policy, first, out.len(), |j, s| {
                    out[j] = s.mean();
                    let o = &self.objs[first + j];
                    if o.committed {
                        total.add(out[j], policy.weight(o.weight));
                    }
                });
                total
            });
            let mut total = Sums::default();
            for t in &totals {
                total.merge(t, 1);
            }
            total.mean()
        };
        ScoreTable {
            rollup: self,
            policy: *policy,
            objectives,
            cycle,
        }
    }

    /// Sums the scores of the own key results of objectives `first..first + n` (manual
    /// scores in place of computed ones) and hands each objective's sums to `emit`, with the
    /// objective's position in the chunk.
    fn score_chunk(
        &self,
        policy: &ScoringPolicy,
        first: usize,
        n: usize,
        mut emit: impl FnMut(usize, Sums),
    ) {
        let clamped = policy.bounds == ScoreBounds::Clamped;
        let equal = policy.weighting == ScoreWeighting::Equal;
        let a0 = self.obj_kr[first];
        let mut m = self.manual.partition_point(|(k, _)| *k < a0);
        for j in 0..n {
            let (a, b) = (
                self.obj_kr[first + j] as usize,
                self.obj_kr[first + j + 1] as usize,
            );
            let (mut sum, mut w_sum) = (0i128, 0u64);
            let (weight, raw) = (&self.kr_weight[a..b], &self.kr_raw[a..b]);
            match (clamped, equal) {
                (true, false) => {
                    for (&w, &r) in weight.iter().zip(raw) {
                        sum += i128::from(progress(r) * i64::from(w));
                        w_sum += u64::from(w);
                    }
                }
                (false, false) => {
                    for (&w, &r) in weight.iter().zip(raw) {
                        // |raw| ≤ 10^9 < 2^30: the product fits in 64 bits.
                        sum += i128::from(i64::from(r) * i64::from(w));
                        w_sum += u64::from(w);
                    }
                }
                (true, true) => {
                    sum = raw.iter().map(|&r| i128::from(progress(r))).sum();
                    w_sum = raw.len() as u64;
                }
                (false, true) => {
                    sum = raw.iter().map(|&r| i128::from(r)).sum();
                    w_sum = raw.len() as u64;
                }
            }
            while m < self.manual.len() && (self.manual[m].0 as usize) < b {
                let (ki, score) = (self.manual[m].0 as usize, &self.manual[m].1);
                let computed = if clamped {
                    progress(self.kr_raw[ki])
                } else {
                    i64::from(self.kr_raw[ki])
                };
                let w = i128::from(policy.weight(self.kr_weight[ki]));
                sum += (i128::from(score.score_ppm) - i128::from(computed)) * w;
                m += 1;
            }
            emit(j, Sums::of(sum, w_sum));
        }
    }

    /// The link pass of a rescore with children: each objective's score is the mean of its
    /// own key results' and its committed children's scores, children first.
    fn carry_children(
        &self,
        sums: &mut [Sums],
        policy: &ScoringPolicy,
        objectives: &mut [Option<i64>],
    ) {
        for &oi in &self.topo {
            let o = &self.objs[oi as usize];
            let v = sums[oi as usize].mean();
            objectives[oi as usize] = v;
            if o.committed {
                for &(p, w) in o.parents.iter() {
                    sums[p as usize].add(v, policy.weight(w));
                }
            }
        }
    }

    /// Feeds one event (in log order). Check-ins, key result amendments and manual scores
    /// update the figures in place; structural events mark the rollup stale.
    pub fn apply(&mut self, event: &Event) {
        match &event.body {
            EventBody::CheckedIn {
                cycle,
                key_result,
                value,
                confidence,
                effective_at,
                ..
            } if *cycle == self.cycle => {
                if self.stale {
                    return;
                }
                if !self.check_in(*key_result, *value, *confidence, *effective_at) {
                    self.stale = true;
                }
            }
            EventBody::KeyResultAmended {
                cycle,
                key_result,
                patch,
                ..
            }
            | EventBody::KeyResultRevised {
                cycle,
                key_result,
                patch,
            } if *cycle == self.cycle => {
                if self.stale || (patch.weight.is_none() && patch.kind.is_none()) {
                    return;
                }
                let Some(&ki) = self.kr_index.get(key_result) else {
                    self.stale = true;
                    return;
                };
                self.update_kr(ki, |k, weight| {
                    if let Some(w) = patch.weight {
                        *weight = w;
                    }
                    if let Some(kind) = &patch.kind {
                        k.measure = Measure::of(kind);
                    }
                });
            }
            EventBody::ScoreOverridden { cycle, .. } | EventBody::ScoreCorrected { cycle, .. }
                if *cycle == self.cycle =>
            {
                if let Some((_, key_result, score)) = event.manual_score() {
                    self.set_manual(key_result, score);
                }
            }
            EventBody::ObjectiveDrafted { cycle, .. }
            | EventBody::PolicySet { cycle, .. }
            | EventBody::ObjectiveAligned { cycle, .. }
            | EventBody::ObjectiveUnaligned { cycle, .. }
            | EventBody::ObjectiveCommitted { cycle, .. }
            | EventBody::ObjectiveDropped { cycle, .. }
            | EventBody::ObjectiveRevised { cycle, .. }
            | EventBody::ObjectiveAmended { cycle, .. }
            | EventBody::ObjectiveCarriedOver { cycle, .. }
            | EventBody::KeyResultAdded { cycle, .. }
            | EventBody::KeyResultRemoved { cycle, .. }
                if *cycle == self.cycle =>
            {
                self.stale = true
            }
            EventBody::UnitDefined { .. } | EventBody::UnitMoved { .. } => self.stale = true,
            _ => {}
        }
    }

    /// Records a manual score of a counted key result (a later one replaces an earlier
    /// one, as in the state); one of a key result not counted here counts nowhere.
    fn set_manual(&mut self, key_result: KeyResultId, m: ManualScore) {
        let Some(&ki) = self.kr_index.get(&key_result) else {
            return;
        };
        match self.manual.binary_search_by_key(&ki, |(k, _)| *k) {
            Ok(i) => self.manual[i].1 = m,
            Err(i) => self.manual.insert(i, (ki, m)),
        }
    }

    /// Applies one check-in on a key result counted here: it becomes the key result's
    /// value unless a check-in effective later was applied before (ties: the later applied
    /// wins). `false` when the key result is not counted in this rollup (unknown or removed).
    pub(crate) fn check_in(
        &mut self,
        key_result: KeyResultId,
        value: f64,
        confidence: u8,
        effective_at: DateTime<Utc>,
    ) -> bool {
        let Some(&ki) = self.kr_index.get(&key_result) else {
            return false;
        };
        let at = micros(effective_at);
        if at < self.krs[ki as usize].latest_at {
            return true;
        }
        self.update_kr_with_confidence(ki, confidence, |k, _| {
            k.latest_at = at;
            k.value = Some(value);
        });
        true
    }

    /// Rebuilds from `state` if structure changed since the last build.
    pub fn refresh(&mut self, state: &State) {
        if self.stale {
            if let Some(c) = state.cycles.get(&self.cycle) {
                self.index(state, c, true, false);
                self.recompute();
            }
        }
    }

    /// Whether structure changed since the last build (call [`Rollup::refresh`]).
    pub fn is_stale(&self) -> bool {
        self.stale
    }

    /// Changes one key result's measure or weight and carries the difference up.
    fn update_kr(&mut self, ki: u32, change: impl FnOnce(&mut KrSlot, &mut u32)) {
        let confidence = self.kr_confidence[ki as usize];
        self.update_kr_with_confidence(ki, confidence, change);
    }

    /// Changes one key result (its slot and weight through `change`, its confidence to
    /// `confidence`), recomputes its attainment and carries the difference up: its
    /// objective, the objectives that objective contributes to (transitively), their units,
    /// the units above, the cycle.
    fn update_kr_with_confidence(
        &mut self,
        ki: u32,
        confidence: u8,
        change: impl FnOnce(&mut KrSlot, &mut u32),
    ) {
        let i = ki as usize;
        let (old_p, old_w, old_c) = (
            progress(self.kr_raw[i]),
            u64::from(self.kr_weight[i]),
            self.kr_confidence[i],
        );
        let k = &mut self.krs[i];
        change(k, &mut self.kr_weight[i]);
        self.kr_raw[i] = k.measure.attainment(k.value) as i32;
        self.kr_confidence[i] = confidence;
        let oi = k.objective;
        let (new_p, new_w, new_c) = (
            progress(self.kr_raw[i]),
            u64::from(self.kr_weight[i]),
            confidence,
        );
        let f = &mut self.figs[oi as usize];
        let old_conf = f.confidence_mean();
        f.sums.sub(Some(old_p), old_w);
        f.sums.add(Some(new_p), new_w);
        f.confidence.sub(confidence_ppm(old_c), old_w);
        f.confidence.add(confidence_ppm(new_c), new_w);
        let new_conf = f.confidence.mean();
        f.confidence_mean = new_conf.unwrap_or(0);
        let newly_started = old_c == NO_CONFIDENCE && new_c != NO_CONFIDENCE;
        f.started += u32::from(newly_started);
        let became_started = newly_started && f.started == 1;
        let o = &self.objs[oi as usize];
        if old_conf != new_conf && o.committed && o.unit != NONE {
            let w = u64::from(o.weight);
            let u = &mut self.unit_figs[o.unit as usize];
            u.confidence.sub(old_conf, w);
            u.confidence.add(new_conf, w);
        }
        self.propagate(oi, became_started);
    }

    /// Recomputes objective `oi`'s value from its sums and carries any change upward.
    fn propagate(&mut self, oi: u32, became_started: bool) {
        let mut work = std::mem::take(&mut self.work);
        work.clear();
        work.push((oi, became_started));
        while let Some((oi, became_started)) = work.pop() {
            let f = &mut self.figs[oi as usize];
            let old = f.value();
            let new = f.sums.mean();
            f.set_value(new);
            if old == new && !became_started {
                continue;
            }
            let o = &self.objs[oi as usize];
            if o.committed && o.unit != NONE && old != new {
                let w = u64::from(o.weight);
                let (mut plus, mut minus) = (Sums::default(), Sums::default());
                plus.add(new, w);
                minus.add(old, w);
                let u = o.unit;
                for s in [&mut self.total, &mut self.unit_figs[u as usize].own] {
                    s.merge(&minus, -1);
                    s.merge(&plus, 1);
                }
                let mut cur = u;
                let mut steps = 0;
                while cur != NONE && steps <= self.units.len() {
                    let unit = &mut self.unit_figs[cur as usize];
                    unit.subtree.merge(&minus, -1);
                    unit.subtree.merge(&plus, 1);
                    cur = self.units[cur as usize].parent;
                    steps += 1;
                }
            }
            if !o.committed || !self.rolls_up {
                continue;
            }
            for &(p, w) in o.parents.iter() {
                let parent = &mut self.figs[p as usize];
                if old != new {
                    parent.sums.sub(old, u64::from(w));
                    parent.sums.add(new, u64::from(w));
                }
                parent.started += u32::from(became_started);
                work.push((p, became_started && parent.started == 1));
            }
        }
        self.work = work;
    }

    /// The cycle.
    pub fn cycle_id(&self) -> CycleId {
        self.cycle
    }

    /// Number of key results counted.
    pub fn key_result_count(&self) -> usize {
        self.krs.len()
    }

    fn kr_progress(&self, ki: usize) -> KrProgress {
        let c = self.kr_confidence[ki];
        KrProgress {
            progress_ppm: progress(self.kr_raw[ki]),
            raw_ppm: i64::from(self.kr_raw[ki]),
            confidence: (c != NO_CONFIDENCE).then_some(c),
        }
    }

    /// A key result's progress.
    pub fn key_result(&self, id: KeyResultId) -> Option<KrProgress> {
        Some(self.kr_progress(*self.kr_index.get(&id)? as usize))
    }

    /// An objective's figures.
    pub fn objective(&self, id: ObjectiveId) -> Option<ObjectiveFigures> {
        let f = &self.figs[*self.obj_index.get(&id)? as usize];
        Some(ObjectiveFigures {
            progress_ppm: f.value(),
            confidence_ppm: f.confidence_mean(),
            started: f.started > 0,
        })
    }

    /// A unit's figures.
    pub fn unit(&self, id: UnitId) -> Option<UnitFigures> {
        let u = &self.unit_figs[*self.unit_index.get(&id)? as usize];
        Some(UnitFigures {
            own_ppm: u.own.mean(),
            subtree_ppm: u.subtree.mean(),
            confidence_ppm: u.confidence.mean(),
        })
    }

    /// The cycle's progress: weighted mean over all committed objectives.
    pub fn cycle_progress(&self) -> Option<i64> {
        self.total.mean()
    }

    /// Status of every objective at `t`, in the order of [`Rollup::objective_ids`]; `cycle`
    /// gives the dates and thresholds, each objective's kind is the one indexed.
    pub fn statuses(&self, cycle: &Cycle, t: DateTime<Utc>) -> Vec<Status> {
        let e = expected_ppm(cycle, t);
        let committed = scaled_expectation_ppm(ObjectiveKind::Committed, e);
        let aspirational = scaled_expectation_ppm(ObjectiveKind::Aspirational, e);
        let mut out = vec![Status::NotStarted; self.objs.len()];
        // Split like the key result pass: chunks of objectives with about equal work.
        map_chunks(&mut out, &self.chunk_bounds(), |first, out| {
            let objs = self.objs[first..].iter().zip(&self.figs[first..]);
            for (s, (o, f)) in out.iter_mut().zip(objs) {
                let scaled = match o.kind {
                    ObjectiveKind::Committed => committed,
                    ObjectiveKind::Aspirational => aspirational,
                };
                *s = status_scaled(cycle, f.value(), f.started > 0, scaled);
            }
        });
        out
    }

    /// Status of one objective at `t`.
    pub fn objective_status(
        &self,
        cycle: &Cycle,
        id: ObjectiveId,
        t: DateTime<Utc>,
    ) -> Option<Status> {
        let oi = *self.obj_index.get(&id)? as usize;
        let f = &self.figs[oi];
        Some(status(
            cycle,
            self.objs[oi].kind,
            f.value(),
            f.started > 0,
            t,
        ))
    }

    /// Status of one key result at `t`.
    pub fn key_result_status(
        &self,
        cycle: &Cycle,
        id: KeyResultId,
        t: DateTime<Utc>,
    ) -> Option<Status> {
        let ki = *self.kr_index.get(&id)? as usize;
        let kind = self
            .objs
            .get(self.krs[ki].objective as usize)
            .map_or(ObjectiveKind::Committed, |o| o.kind);
        Some(status(
            cycle,
            kind,
            Some(progress(self.kr_raw[ki])),
            self.kr_confidence[ki] != NO_CONFIDENCE,
            t,
        ))
    }

    /// The objectives, in index order.
    pub fn objective_ids(&self) -> impl Iterator<Item = ObjectiveId> + '_ {
        self.objs.iter().map(|o| o.id)
    }

    /// The figures in the same shape as the reference [`super::cycle`], for comparison and
    /// for callers who want maps.
    pub fn to_cycle_rollup(&self) -> CycleRollup {
        CycleRollup {
            key_results: self
                .krs
                .iter()
                .enumerate()
                .map(|(i, k)| (k.id, self.kr_progress(i)))
                .collect(),
            objectives: self
                .objs
                .iter()
                .zip(&self.figs)
                .map(|(o, f)| (o.id, f.value()))
                .collect(),
            units: self
                .units
                .iter()
                .zip(&self.unit_figs)
                .filter(|(u, _)| u.committed > 0)
                .map(|(u, f)| (u.id, f.own.mean()))
                .collect(),
            cycle: self.total.mean(),
        }
    }

    /// Every unit's figures, for reports.
    pub fn units(&self) -> BTreeMap<UnitId, UnitFigures> {
        self.units
            .iter()
            .zip(&self.unit_figs)
            .map(|(u, f)| {
                (
                    u.id,
                    UnitFigures {
                        own_ppm: f.own.mean(),
                        subtree_ppm: f.subtree.mean(),
                        confidence_ppm: f.confidence.mean(),
                    },
                )
            })
            .collect()
    }

    /// Bytes this rollup holds on the heap (capacity, not length), for memory budgets.
    pub fn heap_bytes(&self) -> usize {
        use std::mem::size_of;
        let map = |n: usize, entry: usize| n * (entry + 1);
        self.krs.capacity() * size_of::<KrSlot>()
            + self.kr_weight.capacity() * 4
            + self.kr_raw.capacity() * 4
            + self.kr_confidence.capacity()
            + map(self.kr_index.capacity(), size_of::<(KeyResultId, u32)>())
            + self.manual.capacity() * size_of::<(u32, ManualScore)>()
            + self.objs.capacity() * size_of::<ObjSlot>()
            + self.objs.iter().map(|o| o.parents.len() * 8).sum::<usize>()
            + self.obj_kr.capacity() * 4
            + self.figs.capacity() * size_of::<ObjFig>()
            + map(self.obj_index.capacity(), size_of::<(ObjectiveId, u32)>())
            + self.topo.capacity() * 4
            + self.units.capacity() * size_of::<UnitSlot>()
            + self.unit_figs.capacity() * size_of::<UnitFig>()
            + map(self.unit_index.capacity(), size_of::<(UnitId, u32)>())
            + self.unit_order.capacity() * 4
    }
}

/// Review scores of a cycle under one policy, computed by [`Rollup::rescore`]: one score
/// per objective in a vector by index, the cycle's, and the key results' read from the
/// rollup (a manual score, else the attainment the policy's bounds give), with lookups by
/// id through the rollup's indexes.
#[derive(Debug, Clone)]
pub struct ScoreTable<'r> {
    rollup: &'r Rollup,
    policy: ScoringPolicy,
    objectives: Vec<Option<i64>>,
    cycle: Option<i64>,
}

impl ScoreTable<'_> {
    /// The policy the scores were computed under.
    pub fn policy(&self) -> ScoringPolicy {
        self.policy
    }

    /// The cycle's score: weighted mean over committed objectives.
    pub fn cycle(&self) -> Option<i64> {
        self.cycle
    }

    fn kr_score(&self, ki: usize) -> KrScore {
        let r = self.rollup;
        match r.manual.binary_search_by_key(&(ki as u32), |(k, _)| *k) {
            Ok(m) => KrScore {
                score_ppm: r.manual[m].1.score_ppm,
                provenance: r.manual[m].1.provenance.clone(),
            },
            Err(_) => KrScore {
                score_ppm: match self.policy.bounds {
                    ScoreBounds::Clamped => progress(r.kr_raw[ki]),
                    ScoreBounds::Unbounded => i64::from(r.kr_raw[ki]),
                },
                provenance: ScoreProvenance::Computed,
            },
        }
    }

    /// A key result's score with its provenance; `None` when the key result is not counted.
    pub fn key_result(&self, id: KeyResultId) -> Option<KrScore> {
        Some(self.kr_score(*self.rollup.kr_index.get(&id)? as usize))
    }

    /// An objective's score (`Some(None)` when it has nothing to average); `None` when the
    /// objective is unknown.
    pub fn objective(&self, id: ObjectiveId) -> Option<Option<i64>> {
        Some(self.objectives[*self.rollup.obj_index.get(&id)? as usize])
    }

    /// The objectives' scores in the rollup's index order ([`Rollup::objective_ids`]).
    pub fn objective_scores(&self) -> &[Option<i64>] {
        &self.objectives
    }

    /// The scores in the shape of [`super::scores_with`]'s, maps by id.
    pub fn to_cycle_scores(&self) -> CycleScores {
        let r = self.rollup;
        // Sorted by id first (small pairs), so that the maps are built from sorted runs.
        let mut krs: Vec<(KeyResultId, u32)> = (0..r.krs.len() as u32)
            .map(|i| (r.krs[i as usize].id, i))
            .collect();
        krs.sort_unstable();
        let mut objs: Vec<(ObjectiveId, u32)> = (0..r.objs.len() as u32)
            .map(|i| (r.objs[i as usize].id, i))
            .collect();
        objs.sort_unstable();
        CycleScores {
            policy: self.policy,
            key_results: krs
                .iter()
                .map(|&(id, i)| (id, self.kr_score(i as usize)))
                .collect(),
            objectives: objs
                .iter()
                .map(|&(id, i)| (id, self.objectives[i as usize]))
                .collect(),
            objective_details: objs
                .iter()
                .map(|&(id, i)| {
                    let kind = r.objs[i as usize].kind;
                    (
                        id,
                        ObjectiveScore {
                            score_ppm: self.objectives[i as usize],
                            kind,
                            expected_ppm: expected_score_ppm(kind),
                        },
                    )
                })
                .collect(),
            cycle: self.cycle,
        }
    }
}

/// Kahn's algorithm over child → parent links: children first. Objectives on a loop (only
/// possible in a damaged log) come last, in index order.
fn topological(objs: &[ObjSlot]) -> Vec<u32> {
    let mut indegree = vec![0u32; objs.len()];
    for o in objs {
        for (p, _) in o.parents.iter() {
            indegree[*p as usize] += 1;
        }
    }
    let mut order: Vec<u32> = (0..objs.len() as u32)
        .filter(|i| indegree[*i as usize] == 0)
        .collect();
    let mut head = 0;
    while head < order.len() {
        let o = order[head];
        head += 1;
        for (p, _) in objs[o as usize].parents.iter() {
            indegree[*p as usize] -= 1;
            if indegree[*p as usize] == 0 {
                order.push(*p);
            }
        }
    }
    if order.len() < objs.len() {
        let mut seen = vec![false; objs.len()];
        for &o in &order {
            seen[o as usize] = true;
        }
        order.extend((0..objs.len() as u32).filter(|i| !seen[*i as usize]));
    }
    order
}
