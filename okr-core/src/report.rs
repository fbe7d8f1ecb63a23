//! The cycle report: what a cycle stands at, unit by unit, objective by objective, key
//! result by key result, at an instant. A pure view over [`State`] and the rollup; the `okr`
//! command writes it as text, JSON, CSV or HTML, and the C ABI and `okr serve` return it as
//! JSON.

use crate::rollup::{self, Rollup, Status};
use crate::{
    Cycle, CycleId, KrKind, ObjectiveKind, ObjectiveStatus, Phase, ScoreProvenance, State, UnitId,
};
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Version of the JSON report's shape.
pub const REPORT_VERSION: u32 = 1;

/// A cycle's report at an instant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Report {
    /// Shape version.
    pub report_version: u32,
    /// The cycle.
    pub cycle: CycleInfo,
    /// The instant the statuses and expected progress stand at.
    pub at: DateTime<Utc>,
    /// Expected progress at `at`.
    pub expected_ppm: i64,
    /// The cycle's progress.
    pub progress_ppm: Option<i64>,
    /// The cycle's review score, once reviewed.
    pub score_ppm: Option<i64>,
    /// The scoring policy in force.
    pub scoring_policy: String,
    /// Units with committed or drafted objectives, in tree order.
    pub units: Vec<UnitReport>,
    /// The units' KPIs (Kennzahlen) with their health, apart from the objectives: never
    /// scored. In unit tree order, then by name.
    #[serde(default)]
    pub kpis: Vec<KpiReport>,
}

/// One KPI as the report shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct KpiReport {
    /// Id.
    pub id: crate::KpiId,
    /// Its unit's name.
    pub unit: String,
    /// What it measures.
    pub name: String,
    /// `at_least` or `at_most`.
    pub bound: crate::Bound,
    /// The threshold.
    pub threshold: f64,
    /// The warning level, if any.
    pub warning: Option<f64>,
    /// Unit of measure.
    pub unit_of_measure: String,
    /// The latest reading, if any.
    pub latest: Option<f64>,
    /// Its health.
    pub health: crate::KpiHealth,
    /// Key results of this cycle that refer to it.
    pub key_results: Vec<crate::KeyResultId>,
}

/// Which cycle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CycleInfo {
    /// Id.
    pub id: CycleId,
    /// Name.
    pub name: String,
    /// `practice` or `regular`.
    pub kind: String,
    /// Phase.
    pub phase: String,
    /// First day.
    pub start: NaiveDate,
    /// Last day.
    pub end: NaiveDate,
}

/// One unit's part.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct UnitReport {
    /// Id.
    pub id: UnitId,
    /// Name.
    pub name: String,
    /// Its own committed objectives' progress.
    pub own_ppm: Option<i64>,
    /// With the units below it.
    pub subtree_ppm: Option<i64>,
    /// Confidence (ppm of 10).
    pub confidence_ppm: Option<i64>,
    /// Mean review score of its committed objectives, once reviewed.
    pub score_ppm: Option<i64>,
    /// Its objectives.
    pub objectives: Vec<ObjectiveReport>,
}

/// One objective.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ObjectiveReport {
    /// Id.
    pub id: crate::ObjectiveId,
    /// Title.
    pub title: String,
    /// For whom.
    pub beneficiary: Option<String>,
    /// Which change.
    pub change: Option<String>,
    /// Which value.
    pub value: Option<String>,
    /// `committed` or `aspirational`.
    pub kind: String,
    /// `draft`, `committed` or `dropped`.
    pub status: String,
    /// Weight.
    pub weight: u32,
    /// Progress.
    pub progress_ppm: Option<i64>,
    /// Confidence (ppm of 10).
    pub confidence_ppm: Option<i64>,
    /// Against expected progress.
    pub track: String,
    /// Review score, once reviewed.
    pub score_ppm: Option<i64>,
    /// What its kind is expected to score.
    pub expected_score_ppm: i64,
    /// The objectives it contributes to.
    pub aligned_to: Vec<crate::ObjectiveId>,
    /// Progress over its own key results only.
    #[serde(default)]
    pub own_ppm: Option<i64>,
    /// Progress with the committed objectives aligned to it rolled in (what a roll-up
    /// policy counts).
    #[serde(default)]
    pub with_aligned_ppm: Option<i64>,
    /// Whether the cycle's policy rolls aligned objectives in (then `progress_ppm` is
    /// `with_aligned_ppm`, else `own_ppm`).
    #[serde(default)]
    pub aligned_rolled_in: bool,
    /// The committed objectives aligned to it, shown beside it.
    #[serde(default)]
    pub contributions: Vec<ContributionReport>,
    /// Objectives of other units it depends on („hängt ab von“).
    #[serde(default)]
    pub depends_on: Vec<LinkReport>,
    /// Objectives of other units that depend on it.
    #[serde(default)]
    pub needed_by: Vec<LinkReport>,
    /// The objective it continues, if carried over.
    pub carried_from: Option<crate::ObjectiveId>,
    /// The objective continuing it, if carried over.
    pub carried_to: Option<crate::ObjectiveId>,
    /// Its key results.
    pub key_results: Vec<KrReport>,
}

/// One key result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct KrReport {
    /// Id.
    pub id: crate::KeyResultId,
    /// Title.
    pub title: String,
    /// `increase`, `decrease`, `threshold` or `milestone`.
    pub kind: String,
    /// From.
    pub baseline: Option<f64>,
    /// To (or the threshold).
    pub target: Option<f64>,
    /// Unit of measure.
    pub unit: String,
    /// Weight.
    pub weight: u32,
    /// Latest value.
    pub current: Option<f64>,
    /// Progress, clamped.
    pub progress_ppm: i64,
    /// Attainment, unclamped.
    pub raw_ppm: i64,
    /// Latest confidence.
    pub confidence: Option<u8>,
    /// Against expected progress.
    pub track: String,
    /// Check-ins so far.
    pub check_ins: usize,
    /// Review score, once reviewed.
    pub score_ppm: Option<i64>,
    /// `computed`, `overridden: <reason>` or `corrected: <reason>`, once reviewed.
    pub score_source: Option<String>,
}

fn track(s: Option<Status>) -> String {
    match s {
        Some(Status::OnTrack) => "on track",
        Some(Status::AtRisk) => "at risk",
        Some(Status::OffTrack) => "off track",
        Some(Status::NotStarted) | None => "not started",
    }
    .to_owned()
}

fn kind_name(k: ObjectiveKind) -> String {
    match k {
        ObjectiveKind::Committed => "committed",
        ObjectiveKind::Aspirational => "aspirational",
    }
    .to_owned()
}

/// An objective aligned to another, with what it contributes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ContributionReport {
    /// The aligned objective.
    pub objective: crate::ObjectiveId,
    /// Its title.
    pub title: String,
    /// Its unit's name.
    pub unit: String,
    /// The link's contribution weight.
    pub contribution: u32,
    /// Its progress over its own key results.
    pub own_ppm: Option<i64>,
}

/// An objective at the other end of a dependency link.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct LinkReport {
    /// The objective.
    pub objective: crate::ObjectiveId,
    /// Its title.
    pub title: String,
    /// Its unit's name.
    pub unit: String,
}

/// Builds the report of `cycle` as of `t` (clamped to the cycle's end).
pub fn build(state: &State, cycle: CycleId, t: DateTime<Utc>) -> Option<Report> {
    let c = state.cycles.get(&cycle)?;
    let t = cycle_instant(c, t);
    let roll = Rollup::build(state, cycle)?;
    let reviewed = matches!(
        c.phase,
        Phase::Review | Phase::Retrospective | Phase::Closed
    );
    let scores = reviewed.then(|| rollup::scores(c));
    let unit_figures = roll.units();
    let alignment = rollup::alignment(c);
    let unit_name = |u: UnitId| {
        state
            .units
            .get(&u)
            .map(|x| x.name.to_string())
            .unwrap_or_else(|| u.to_string())
    };
    let link = |id: &crate::ObjectiveId| LinkReport {
        objective: *id,
        title: c
            .objectives
            .get(id)
            .map(|o| o.text.title.to_string())
            .unwrap_or_default(),
        unit: c
            .objectives
            .get(id)
            .map(|o| unit_name(o.unit))
            .unwrap_or_default(),
    };
    // Units in tree order (depth-first from the roots, by name), those with objectives.
    let mut with_objectives: BTreeMap<UnitId, Vec<&crate::Objective>> = BTreeMap::new();
    for o in c.objectives.values() {
        with_objectives.entry(o.unit).or_default().push(o);
    }
    let mut order = Vec::new();
    let mut children: BTreeMap<Option<UnitId>, Vec<(&str, UnitId)>> = BTreeMap::new();
    for u in state.units.values() {
        children.entry(u.parent).or_default().push((&*u.name, u.id));
    }
    for v in children.values_mut() {
        v.sort();
    }
    let mut stack: Vec<UnitId> = children
        .get(&None)
        .map(|v| v.iter().rev().map(|x| x.1).collect())
        .unwrap_or_default();
    while let Some(u) = stack.pop() {
        if order.contains(&u) {
            continue;
        }
        order.push(u);
        if let Some(kids) = children.get(&Some(u)) {
            stack.extend(kids.iter().rev().map(|x| x.1));
        }
    }
    let mut units = Vec::new();
    for u in order {
        let Some(objs) = with_objectives.get_mut(&u) else {
            continue;
        };
        // Committed objectives first, then drafts (marked as such), then dropped ones.
        objs.sort_by_key(|o| {
            (
                match o.status {
                    ObjectiveStatus::Committed => 0,
                    ObjectiveStatus::Draft => 1,
                    ObjectiveStatus::Dropped => 2,
                },
                std::cmp::Reverse(o.weight),
                o.text.title.clone(),
                o.id,
            )
        });
        let fig = unit_figures.get(&u).copied();
        let objectives: Vec<ObjectiveReport> = objs
            .iter()
            .map(|o| {
                let f = roll.objective(o.id);
                let key_results = c
                    .key_results_of(o.id)
                    .filter(|k| !k.removed)
                    .map(|k| {
                        let p = rollup::key_result(k);
                        let (kind, baseline, target, unit) = match &k.kind {
                            KrKind::Increase {
                                baseline,
                                target,
                                unit,
                            } => ("increase", *baseline, Some(*target), unit.to_string()),
                            KrKind::Decrease {
                                baseline,
                                target,
                                unit,
                            } => ("decrease", *baseline, Some(*target), unit.to_string()),
                            KrKind::Threshold { value, unit, .. } => {
                                ("threshold", None, Some(*value), unit.to_string())
                            }
                            KrKind::Milestone => ("milestone", None, Some(1.0), String::new()),
                            #[allow(unreachable_patterns)]
                            _ => ("other", None, None, String::new()),
                        };
                        let s = scores.as_ref().and_then(|s| s.key_results.get(&k.id));
                        KrReport {
                            id: k.id,
                            title: k.title.to_string(),
                            kind: kind.to_owned(),
                            baseline,
                            target,
                            unit,
                            weight: k.weight,
                            current: k.latest().map(|x| x.value),
                            progress_ppm: p.progress_ppm,
                            raw_ppm: p.raw_ppm,
                            confidence: p.confidence,
                            track: track(roll.key_result_status(c, k.id, t)),
                            check_ins: k.check_in_count() as usize,
                            score_ppm: s.map(|s| s.score_ppm),
                            score_source: s.map(|s| match &s.provenance {
                                ScoreProvenance::Computed => "computed".to_owned(),
                                ScoreProvenance::Overridden { reason, .. } => {
                                    format!("overridden: {reason}")
                                }
                                ScoreProvenance::Corrected { reason, .. } => {
                                    format!("corrected: {reason}")
                                }
                            }),
                        }
                    })
                    .collect();
                ObjectiveReport {
                    id: o.id,
                    title: o.text.title.to_string(),
                    beneficiary: o.text.beneficiary.as_deref().map(str::to_owned),
                    change: o.text.change.as_deref().map(str::to_owned),
                    value: o.text.value.as_deref().map(str::to_owned),
                    kind: kind_name(o.kind),
                    status: match o.status {
                        ObjectiveStatus::Draft => "draft",
                        ObjectiveStatus::Committed => "committed",
                        ObjectiveStatus::Dropped => "dropped",
                    }
                    .to_owned(),
                    weight: o.weight,
                    progress_ppm: f.and_then(|f| f.progress_ppm),
                    confidence_ppm: f.and_then(|f| f.confidence_ppm),
                    track: track(roll.objective_status(c, o.id, t)),
                    score_ppm: scores
                        .as_ref()
                        .and_then(|s| s.objectives.get(&o.id).copied().flatten()),
                    expected_score_ppm: rollup::expected_score_ppm(o.kind),
                    aligned_to: o.aligned_to.keys().copied().collect(),
                    own_ppm: alignment.get(&o.id).and_then(|a| a.own_ppm),
                    with_aligned_ppm: alignment.get(&o.id).and_then(|a| a.with_aligned_ppm),
                    aligned_rolled_in: c.policy.scoring.rolls_up_aligned(),
                    contributions: alignment
                        .get(&o.id)
                        .map(|a| {
                            a.contributions
                                .iter()
                                .map(|x| ContributionReport {
                                    objective: x.objective,
                                    title: link(&x.objective).title,
                                    unit: unit_name(x.unit),
                                    contribution: x.contribution,
                                    own_ppm: x.own_ppm,
                                })
                                .collect()
                        })
                        .unwrap_or_default(),
                    depends_on: o.depends_on.iter().map(link).collect(),
                    needed_by: alignment
                        .get(&o.id)
                        .map(|a| a.needed_by.iter().map(link).collect())
                        .unwrap_or_default(),
                    carried_from: o.carried_from,
                    carried_to: o.carried_to,
                    key_results,
                }
            })
            .collect();
        let score_ppm = rollup::weighted_mean(
            objectives
                .iter()
                .filter(|o| o.status == "committed")
                .filter_map(|o| o.score_ppm.map(|s| (s, u64::from(o.weight)))),
        );
        units.push(UnitReport {
            id: u,
            name: state
                .units
                .get(&u)
                .map(|x| x.name.to_string())
                .unwrap_or_default(),
            own_ppm: fig.and_then(|f| f.own_ppm),
            subtree_ppm: fig.and_then(|f| f.subtree_ppm),
            confidence_ppm: fig.and_then(|f| f.confidence_ppm),
            score_ppm: score_ppm.filter(|_| reviewed),
            objectives,
        });
    }
    let mut kpis: Vec<KpiReport> = state
        .kpis
        .values()
        .map(|k| KpiReport {
            id: k.id,
            unit: unit_name(k.unit),
            name: k.name.to_string(),
            bound: k.bound,
            threshold: k.threshold,
            warning: k.warning,
            unit_of_measure: k.unit_of_measure.to_string(),
            latest: k.latest.as_ref().map(|r| r.value),
            health: k.health(),
            key_results: c
                .key_results
                .values()
                .filter(|kr| !kr.removed && kr.kpi == Some(k.id))
                .map(|kr| kr.id)
                .collect(),
        })
        .collect();
    let rank: BTreeMap<String, usize> = units
        .iter()
        .enumerate()
        .map(|(i, u)| (u.name.clone(), i))
        .collect();
    kpis.sort_by(|a, b| {
        (rank.get(&a.unit).unwrap_or(&usize::MAX), &a.unit, &a.name).cmp(&(
            rank.get(&b.unit).unwrap_or(&usize::MAX),
            &b.unit,
            &b.name,
        ))
    });
    Some(Report {
        report_version: REPORT_VERSION,
        cycle: CycleInfo {
            id: c.id,
            name: c.name.clone(),
            kind: match c.kind {
                crate::CycleKind::Practice => "practice",
                crate::CycleKind::Regular => "regular",
            }
            .to_owned(),
            phase: c.phase.to_string(),
            start: c.start,
            end: c.end,
        },
        at: t,
        expected_ppm: rollup::expected_ppm(c, t),
        progress_ppm: roll.cycle_progress(),
        score_ppm: scores.as_ref().and_then(|s| s.cycle),
        scoring_policy: c.policy.scoring.to_string(),
        units,
        kpis,
    })
}

/// The instant a cycle's figures stand at: `t`, but no later than the last second of its
/// last day; a cycle in review or later stands at its end.
pub fn cycle_instant(c: &Cycle, t: DateTime<Utc>) -> DateTime<Utc> {
    let end = (c.end + chrono::Duration::days(1))
        .and_time(NaiveTime::MIN)
        .and_utc()
        - chrono::Duration::seconds(1);
    if c.phase >= Phase::Review && c.phase != Phase::Cancelled {
        return end;
    }
    t.min(end)
}

/// Cycles by start date (then name and id).
pub fn cycles_in_order(state: &State) -> Vec<&Cycle> {
    let mut v: Vec<&Cycle> = state.cycles.values().collect();
    v.sort_by_key(|c| (c.start, c.name.clone(), c.id));
    v
}

/// The cycle a report shows when none is named: the running cycle (the one that started
/// last, if several run), else the closed cycle that ended last; `None` when no cycle runs
/// and none is closed.
pub fn default_cycle(state: &State) -> Option<CycleId> {
    let cycles = cycles_in_order(state);
    let running = cycles.iter().rev().find(|c| c.phase == Phase::Running);
    let closed = || {
        cycles
            .iter()
            .filter(|c| c.phase == Phase::Closed)
            .max_by_key(|c| (c.end, c.start, c.name.clone(), c.id))
    };
    running.or_else(closed).map(|c| c.id)
}
