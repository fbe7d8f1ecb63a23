//! The incremental rollup of one cycle: flat arrays, exact integer sums, and updates that
//! touch only what a check-in changes.

use super::{expected_ppm, status, status_against, CycleRollup, KrProgress, Measure, Status, PPM};
use crate::cycle::Cycle;
use crate::event::{Event, EventBody};
use crate::ids::{CycleId, KeyResultId, ObjectiveId, UnitId};
use crate::objective::{ObjectiveKind, ObjectiveStatus};
use crate::state::State;
use chrono::{DateTime, Utc};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The kind of an objective of `cycle`, which its status is measured against (committed
/// when the cycle does not know it).
fn kind_of(cycle: &Cycle, id: ObjectiveId) -> ObjectiveKind {
    cycle
        .objectives
        .get(&id)
        .map_or(ObjectiveKind::Committed, |o| o.kind)
}

/// A weighted sum kept exactly: Σ value·weight and Σ weight.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Sums {
    sum: i128,
    weight: u64,
}

impl Sums {
    fn add(&mut self, v: Option<i64>, w: u64) {
        if let Some(v) = v {
            self.sum += i128::from(v) * i128::from(w);
            self.weight += w;
        }
    }

    fn sub(&mut self, v: Option<i64>, w: u64) {
        if let Some(v) = v {
            self.sum -= i128::from(v) * i128::from(w);
            self.weight -= w;
        }
    }

    fn merge(&mut self, o: &Sums, sign: i128) {
        self.sum += sign * o.sum;
        if sign > 0 {
            self.weight += o.weight;
        } else {
            self.weight -= o.weight;
        }
    }

    /// The floored weighted mean, as [`super::weighted_mean`] computes it.
    fn mean(&self) -> Option<i64> {
        (self.weight > 0).then(|| self.sum.div_euclid(i128::from(self.weight)) as i64)
    }
}

const NO_CONFIDENCE: u8 = u8::MAX;
const NONE: u32 = u32::MAX;

#[derive(Debug, Clone)]
struct KrSlot {
    id: KeyResultId,
    objective: u32,
    weight: u32,
    measure: Measure,
    /// Effective time of the latest check-in, in microseconds; `i64::MIN` when none.
    latest_at: i64,
    value: Option<f64>,
    raw: i64,
    confidence: u8,
}

impl KrSlot {
    fn progress(&self) -> i64 {
        self.raw.clamp(0, PPM)
    }
    fn confidence_ppm(&self) -> Option<i64> {
        (self.confidence != NO_CONFIDENCE).then(|| i64::from(self.confidence) * PPM / 10)
    }
}

#[derive(Debug, Clone)]
struct ObjSlot {
    id: ObjectiveId,
    unit: u32,
    weight: u32,
    /// Committed: counts in its unit's rollup and contributes to the objectives it is
    /// aligned to (a draft or a dropped objective counts nowhere).
    committed: bool,
    parents: Box<[(u32, u32)]>,
    sums: Sums,
    confidence: Sums,
    /// Own key results with a check-in plus started committed children.
    started: u32,
    value: Option<i64>,
}

#[derive(Debug, Clone)]
struct UnitSlot {
    id: UnitId,
    parent: u32,
    /// Committed objectives of this unit in the cycle.
    committed: u32,
    own: Sums,
    subtree: Sums,
    confidence: Sums,
}

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
    krs: Vec<KrSlot>,
    kr_index: FxHashMap<KeyResultId, u32>,
    objs: Vec<ObjSlot>,
    obj_index: FxHashMap<ObjectiveId, u32>,
    /// Objectives in an order where every child comes before the objectives it aligns to.
    topo: Vec<u32>,
    units: Vec<UnitSlot>,
    unit_index: FxHashMap<UnitId, u32>,
    /// Units, deepest first.
    unit_order: Vec<u32>,
    total: Sums,
    stale: bool,
    /// Scratch stack for [`Rollup::propagate`], kept to avoid an allocation per check-in.
    work: Vec<(u32, bool)>,
}

fn micros(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

impl Rollup {
    /// Builds the rollup of `cycle` from `state`; `None` when the cycle is unknown.
    pub fn build(state: &State, cycle: CycleId) -> Option<Rollup> {
        Rollup::with_check_ins(state, cycle, true)
    }

    /// Builds the rollup of `cycle` with today's structure but as if no key result had been
    /// checked in: the start of a replay of check-ins (see [`crate::rollup::history`]).
    pub(crate) fn build_unchecked(state: &State, cycle: CycleId) -> Option<Rollup> {
        Rollup::with_check_ins(state, cycle, false)
    }

    fn with_check_ins(state: &State, cycle: CycleId, check_ins: bool) -> Option<Rollup> {
        let c = state.cycles.get(&cycle)?;
        let mut r = Rollup {
            cycle,
            krs: Vec::with_capacity(c.key_results.len()),
            kr_index: FxHashMap::default(),
            objs: Vec::with_capacity(c.objectives.len()),
            obj_index: FxHashMap::default(),
            topo: Vec::new(),
            units: Vec::with_capacity(state.units.len()),
            unit_index: FxHashMap::default(),
            unit_order: Vec::new(),
            total: Sums::default(),
            stale: false,
            work: Vec::new(),
        };
        r.index(state, c, check_ins);
        r.recompute();
        Some(r)
    }

    fn index(&mut self, state: &State, c: &Cycle, check_ins: bool) {
        self.kr_index.clear();
        self.krs.clear();
        self.obj_index.clear();
        self.objs.clear();
        self.unit_index.clear();
        self.units.clear();
        self.kr_index.reserve(c.key_results.len());
        self.obj_index.reserve(c.objectives.len());
        for (i, u) in state.units.values().enumerate() {
            self.unit_index.insert(u.id, i as u32);
        }
        for u in state.units.values() {
            self.units.push(UnitSlot {
                id: u.id,
                parent: u
                    .parent
                    .and_then(|p| self.unit_index.get(&p).copied())
                    .unwrap_or(NONE),
                committed: 0,
                own: Sums::default(),
                subtree: Sums::default(),
                confidence: Sums::default(),
            });
        }
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
        // Alignment links carry figures only under a policy that rolls aligned objectives in.
        let rolls_up = c.policy.scoring.rolls_up_aligned();
        for o in c.objectives.values() {
            let parents: Box<[(u32, u32)]> = o
                .aligned_to
                .iter()
                .filter(|_| rolls_up)
                .filter_map(|(p, w)| self.obj_index.get(p).map(|i| (*i, *w)))
                .collect();
            self.objs.push(ObjSlot {
                id: o.id,
                unit: self.unit_index.get(&o.unit).copied().unwrap_or(NONE),
                weight: o.weight,
                committed: o.status == ObjectiveStatus::Committed,
                parents,
                sums: Sums::default(),
                confidence: Sums::default(),
                started: 0,
                value: None,
            });
            let oi = self.obj_index[&o.id];
            let unit = self.objs[oi as usize].unit;
            if o.status == ObjectiveStatus::Committed && unit != NONE {
                self.units[unit as usize].committed += 1;
            }
            for k in c.key_results_of(o.id) {
                let latest = k.latest().filter(|_| check_ins);
                let measure = Measure::of(&k.kind);
                let value = latest.map(|x| x.value);
                self.kr_index.insert(k.id, self.krs.len() as u32);
                self.krs.push(KrSlot {
                    id: k.id,
                    objective: oi,
                    weight: k.weight,
                    measure,
                    latest_at: latest.map_or(i64::MIN, |x| micros(x.effective_at)),
                    value,
                    raw: measure.attainment(value),
                    confidence: latest.map_or(NO_CONFIDENCE, |x| x.confidence),
                });
            }
        }
        self.topo = topological(&self.objs);
        self.stale = false;
    }

    /// Recomputes every figure from the key results' values: the full rollup.
    pub fn recompute(&mut self) {
        for o in &mut self.objs {
            o.sums = Sums::default();
            o.confidence = Sums::default();
            o.started = 0;
        }
        for u in &mut self.units {
            u.own = Sums::default();
            u.subtree = Sums::default();
            u.confidence = Sums::default();
        }
        self.total = Sums::default();
        for k in &self.krs {
            let o = &mut self.objs[k.objective as usize];
            o.sums.add(Some(k.progress()), u64::from(k.weight));
            o.confidence.add(k.confidence_ppm(), u64::from(k.weight));
            o.started += u32::from(k.confidence != NO_CONFIDENCE);
        }
        for &oi in &self.topo {
            let o = &mut self.objs[oi as usize];
            let value = o.sums.mean();
            o.value = value;
            let (committed, started) = (o.committed, o.started > 0);
            if committed {
                for j in 0..self.objs[oi as usize].parents.len() {
                    let (p, w) = self.objs[oi as usize].parents[j];
                    let p = &mut self.objs[p as usize];
                    p.sums.add(value, u64::from(w));
                    p.started += u32::from(started);
                }
            }
            let o = &self.objs[oi as usize];
            if o.committed && o.unit != NONE {
                let (w, conf) = (u64::from(o.weight), o.confidence.mean());
                let u = &mut self.units[o.unit as usize];
                u.own.add(value, w);
                u.confidence.add(conf, w);
                self.total.add(value, w);
            }
        }
        for &ui in &self.unit_order {
            let u = &mut self.units[ui as usize];
            u.subtree.merge(&u.own.clone(), 1);
            let (parent, sub) = (u.parent, u.subtree);
            if parent != NONE {
                self.units[parent as usize].subtree.merge(&sub, 1);
            }
        }
    }

    /// Feeds one event (in log order). Check-ins and key result amendments
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
                self.update_kr(ki, |k| {
                    if let Some(w) = patch.weight {
                        k.weight = w;
                    }
                    if let Some(kind) = &patch.kind {
                        k.measure = Measure::of(kind);
                        k.raw = k.measure.attainment(k.value);
                    }
                });
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
        self.update_kr(ki, |k| {
            k.latest_at = at;
            k.value = Some(value);
            k.raw = k.measure.attainment(k.value);
            k.confidence = confidence;
        });
        true
    }

    /// Rebuilds from `state` if structure changed since the last build.
    pub fn refresh(&mut self, state: &State) {
        if self.stale {
            if let Some(c) = state.cycles.get(&self.cycle) {
                self.index(state, c, true);
                self.recompute();
            }
        }
    }

    /// Whether structure changed since the last build (call [`Rollup::refresh`]).
    pub fn is_stale(&self) -> bool {
        self.stale
    }

    /// Changes one key result and carries the difference up: its objective, the objectives
    /// that objective contributes to (transitively), their units, the units above, the cycle.
    fn update_kr(&mut self, ki: u32, change: impl FnOnce(&mut KrSlot)) {
        let k = &mut self.krs[ki as usize];
        let (old_p, old_w, old_c, old_started) = (
            k.progress(),
            u64::from(k.weight),
            k.confidence_ppm(),
            k.confidence != NO_CONFIDENCE,
        );
        change(k);
        let (new_p, new_w, new_c, new_started) = (
            k.progress(),
            u64::from(k.weight),
            k.confidence_ppm(),
            k.confidence != NO_CONFIDENCE,
        );
        let oi = k.objective;
        let o = &mut self.objs[oi as usize];
        let old_conf = o.confidence.mean();
        o.sums.sub(Some(old_p), old_w);
        o.sums.add(Some(new_p), new_w);
        o.confidence.sub(old_c, old_w);
        o.confidence.add(new_c, new_w);
        let newly_started = !old_started && new_started;
        o.started += u32::from(newly_started);
        let new_conf = o.confidence.mean();
        if old_conf != new_conf && o.committed && o.unit != NONE {
            let w = u64::from(o.weight);
            let u = &mut self.units[o.unit as usize];
            u.confidence.sub(old_conf, w);
            u.confidence.add(new_conf, w);
        }
        self.propagate(oi, newly_started && self.objs[oi as usize].started == 1);
    }

    /// Recomputes objective `oi`'s value from its sums and carries any change upward.
    fn propagate(&mut self, oi: u32, became_started: bool) {
        let mut work = std::mem::take(&mut self.work);
        work.clear();
        work.push((oi, became_started));
        while let Some((oi, became_started)) = work.pop() {
            let o = &mut self.objs[oi as usize];
            let old = o.value;
            let new = o.sums.mean();
            o.value = new;
            if old == new && !became_started {
                continue;
            }
            if o.committed && o.unit != NONE && old != new {
                let w = u64::from(o.weight);
                let (mut plus, mut minus) = (Sums::default(), Sums::default());
                plus.add(new, w);
                minus.add(old, w);
                let u = o.unit;
                for s in [&mut self.total, &mut self.units[u as usize].own] {
                    s.merge(&minus, -1);
                    s.merge(&plus, 1);
                }
                let mut cur = u;
                let mut steps = 0;
                while cur != NONE && steps <= self.units.len() {
                    let unit = &mut self.units[cur as usize];
                    unit.subtree.merge(&minus, -1);
                    unit.subtree.merge(&plus, 1);
                    cur = unit.parent;
                    steps += 1;
                }
            }
            if !self.objs[oi as usize].committed {
                continue;
            }
            for j in 0..self.objs[oi as usize].parents.len() {
                let (p, w) = self.objs[oi as usize].parents[j];
                let parent = &mut self.objs[p as usize];
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

    /// A key result's progress.
    pub fn key_result(&self, id: KeyResultId) -> Option<KrProgress> {
        let k = &self.krs[*self.kr_index.get(&id)? as usize];
        Some(KrProgress {
            progress_ppm: k.progress(),
            raw_ppm: k.raw,
            confidence: (k.confidence != NO_CONFIDENCE).then_some(k.confidence),
        })
    }

    /// An objective's figures.
    pub fn objective(&self, id: ObjectiveId) -> Option<ObjectiveFigures> {
        let o = &self.objs[*self.obj_index.get(&id)? as usize];
        Some(ObjectiveFigures {
            progress_ppm: o.value,
            confidence_ppm: o.confidence.mean(),
            started: o.started > 0,
        })
    }

    /// A unit's figures.
    pub fn unit(&self, id: UnitId) -> Option<UnitFigures> {
        let u = &self.units[*self.unit_index.get(&id)? as usize];
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

    /// Status of every objective at `t`, in the order of [`Rollup::objective_ids`].
    pub fn statuses(&self, cycle: &Cycle, t: DateTime<Utc>) -> Vec<Status> {
        let e = expected_ppm(cycle, t);
        self.objs
            .iter()
            .map(|o| status_against(cycle, kind_of(cycle, o.id), o.value, o.started > 0, e))
            .collect()
    }

    /// Status of one objective at `t`.
    pub fn objective_status(
        &self,
        cycle: &Cycle,
        id: ObjectiveId,
        t: DateTime<Utc>,
    ) -> Option<Status> {
        let o = &self.objs[*self.obj_index.get(&id)? as usize];
        Some(status(cycle, kind_of(cycle, id), o.value, o.started > 0, t))
    }

    /// Status of one key result at `t`.
    pub fn key_result_status(
        &self,
        cycle: &Cycle,
        id: KeyResultId,
        t: DateTime<Utc>,
    ) -> Option<Status> {
        let k = &self.krs[*self.kr_index.get(&id)? as usize];
        let objective = self.objs.get(k.objective as usize).map(|o| o.id);
        let kind = objective.map_or(ObjectiveKind::Committed, |o| kind_of(cycle, o));
        Some(status(
            cycle,
            kind,
            Some(k.progress()),
            k.confidence != NO_CONFIDENCE,
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
                .map(|k| {
                    (
                        k.id,
                        KrProgress {
                            progress_ppm: k.progress(),
                            raw_ppm: k.raw,
                            confidence: (k.confidence != NO_CONFIDENCE).then_some(k.confidence),
                        },
                    )
                })
                .collect(),
            objectives: self.objs.iter().map(|o| (o.id, o.value)).collect(),
            units: self
                .units
                .iter()
                .filter(|u| u.committed > 0)
                .map(|u| (u.id, u.own.mean()))
                .collect(),
            cycle: self.total.mean(),
        }
    }

    /// Every unit's figures, for reports.
    pub fn units(&self) -> BTreeMap<UnitId, UnitFigures> {
        self.units
            .iter()
            .map(|u| {
                (
                    u.id,
                    UnitFigures {
                        own_ppm: u.own.mean(),
                        subtree_ppm: u.subtree.mean(),
                        confidence_ppm: u.confidence.mean(),
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
            + map(self.kr_index.capacity(), size_of::<(KeyResultId, u32)>())
            + self.objs.capacity() * size_of::<ObjSlot>()
            + self.objs.iter().map(|o| o.parents.len() * 8).sum::<usize>()
            + map(self.obj_index.capacity(), size_of::<(ObjectiveId, u32)>())
            + self.topo.capacity() * 4
            + self.units.capacity() * size_of::<UnitSlot>()
            + map(self.unit_index.capacity(), size_of::<(UnitId, u32)>())
            + self.unit_order.capacity() * 4
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
