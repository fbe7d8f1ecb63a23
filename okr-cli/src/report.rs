//! The cycle report: one struct built from the state, written as text, JSON or CSV
//! (HTML lives in [`crate::html`]).

use crate::store::cycle_instant;
use chrono::{DateTime, NaiveDate, Utc};
use okr_core::rollup::{self, format_ppm, Rollup, Status};
use okr_core::{
    CycleId, KrKind, ObjectiveKind, ObjectiveStatus, Phase, ScoreProvenance, State, UnitId,
};
use serde::Serialize;
use std::collections::BTreeMap;

/// Version of the JSON report's shape.
pub const REPORT_VERSION: u32 = 1;

/// A cycle's report at an instant.
#[derive(Debug, Clone, Serialize)]
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
}

/// Which cycle.
#[derive(Debug, Clone, Serialize)]
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
#[derive(Debug, Clone, Serialize)]
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
#[derive(Debug, Clone, Serialize)]
pub struct ObjectiveReport {
    /// Id.
    pub id: okr_core::ObjectiveId,
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
    pub aligned_to: Vec<okr_core::ObjectiveId>,
    /// Progress over its own key results only.
    pub own_ppm: Option<i64>,
    /// Progress with the committed objectives aligned to it rolled in (what a roll-up
    /// policy counts).
    pub with_aligned_ppm: Option<i64>,
    /// Whether the cycle's policy rolls aligned objectives in (then `progress_ppm` is
    /// `with_aligned_ppm`, else `own_ppm`).
    pub aligned_rolled_in: bool,
    /// The committed objectives aligned to it, shown beside it.
    pub contributions: Vec<ContributionReport>,
    /// Objectives of other units it depends on („hängt ab von“).
    pub depends_on: Vec<LinkReport>,
    /// Objectives of other units that depend on it.
    pub needed_by: Vec<LinkReport>,
    /// The objective it continues, if carried over.
    pub carried_from: Option<okr_core::ObjectiveId>,
    /// The objective continuing it, if carried over.
    pub carried_to: Option<okr_core::ObjectiveId>,
    /// Its key results.
    pub key_results: Vec<KrReport>,
}

/// An objective aligned to another, with what it contributes.
#[derive(Debug, Clone, Serialize)]
pub struct ContributionReport {
    /// The aligned objective.
    pub objective: okr_core::ObjectiveId,
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
#[derive(Debug, Clone, Serialize)]
pub struct LinkReport {
    /// The objective.
    pub objective: okr_core::ObjectiveId,
    /// Its title.
    pub title: String,
    /// Its unit's name.
    pub unit: String,
}

/// One key result.
#[derive(Debug, Clone, Serialize)]
pub struct KrReport {
    /// Id.
    pub id: okr_core::KeyResultId,
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
    let link = |id: &okr_core::ObjectiveId| LinkReport {
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
    let mut with_objectives: BTreeMap<UnitId, Vec<&okr_core::Objective>> = BTreeMap::new();
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
    Some(Report {
        report_version: REPORT_VERSION,
        cycle: CycleInfo {
            id: c.id,
            name: c.name.clone(),
            kind: match c.kind {
                okr_core::CycleKind::Practice => "practice",
                okr_core::CycleKind::Regular => "regular",
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
    })
}

/// `[#######...]`: a bar of `width` cells for a progress in ppm.
pub fn bar(ppm: Option<i64>, width: usize) -> String {
    let filled = ppm.map_or(0, |p| {
        ((p.clamp(0, rollup::PPM) as u128 * width as u128 + 500_000) / 1_000_000) as usize
    });
    format!(
        "[{}{}]",
        "#".repeat(filled),
        ".".repeat(width - filled.min(width))
    )
}

/// Splits `s` into lines of at most `width` characters at spaces.
pub fn wrap(s: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut cur = String::new();
    for word in s.split_whitespace() {
        let len = cur.chars().count();
        if len > 0 && len + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(word);
    }
    if !cur.is_empty() || lines.is_empty() {
        lines.push(cur);
    }
    lines.into_iter().map(|l| fit(&l, width)).collect()
}

/// A ppm figure as `0.73`, or `-`.
pub fn fmt(ppm: Option<i64>) -> String {
    ppm.map(format_ppm).unwrap_or_else(|| "-".to_owned())
}

/// Cuts `s` to at most `width` characters, with an ellipsis when cut.
pub fn fit(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(width.saturating_sub(1)).collect();
    out.push('…');
    out
}

fn num(v: Option<f64>) -> String {
    match v {
        Some(v) if v.fract() == 0.0 => format!("{v:.0}"),
        Some(v) => {
            let s = format!("{v:.2}");
            s.trim_end_matches('0').to_owned()
        }
        None => "?".to_owned(),
    }
}

/// The report as text, every line at most 80 columns.
pub fn text(r: &Report) -> String {
    let mut out = String::new();
    let mut line = |s: String| {
        out.push_str(&fit(&s, 80));
        out.push('\n');
    };
    line(format!(
        "{} ({}, {})  {} .. {}",
        r.cycle.name, r.cycle.kind, r.cycle.phase, r.cycle.start, r.cycle.end
    ));
    line(format!(
        "as of {}  progress {} {}  expected {}{}",
        r.at.format("%Y-%m-%d %H:%M"),
        bar(r.progress_ppm, 10),
        fmt(r.progress_ppm),
        fmt(Some(r.expected_ppm)),
        r.score_ppm
            .map(|s| format!("  score {}", format_ppm(s)))
            .unwrap_or_default()
    ));
    for u in &r.units {
        line(String::new());
        let score = u
            .score_ppm
            .map(|s| format!("  score {}", format_ppm(s)))
            .unwrap_or_default();
        line(format!(
            "{}  own {}  incl. below {}  conf {}{score}",
            fit(&u.name, 32),
            fmt(u.own_ppm),
            fmt(u.subtree_ppm),
            u.confidence_ppm
                .map(|c| format!("{:.1}", c as f64 / 100_000.0))
                .unwrap_or_else(|| "-".into()),
        ));
        for o in &u.objectives {
            for (i, part) in wrap(&o.title, 74).iter().enumerate() {
                line(format!("  {} {part}", if i == 0 { "O" } else { " " }));
            }
            let score = o
                .score_ppm
                .map(|s| {
                    format!(
                        "  score {} (exp. {})",
                        format_ppm(s),
                        format_ppm(o.expected_score_ppm)
                    )
                })
                .unwrap_or_default();
            let carried = if o.carried_from.is_some() {
                "  carried"
            } else {
                ""
            };
            line(format!(
                "    {} {} {:<11} {} {}{score}{carried}",
                bar(o.progress_ppm, 10),
                fmt(o.progress_ppm),
                o.track,
                o.kind,
                if o.status == "committed" {
                    String::new()
                } else {
                    format!("({})", o.status)
                },
            ));
            if !o.contributions.is_empty() {
                line(format!(
                    "    aligned: {} contribute{}; with them {}{}",
                    o.contributions.len(),
                    if o.contributions.len() == 1 { "s" } else { "" },
                    fmt(o.with_aligned_ppm),
                    if o.aligned_rolled_in {
                        " (rolled in by the policy)".to_owned()
                    } else {
                        format!(", own key results {}", fmt(o.own_ppm))
                    },
                ));
                for x in &o.contributions {
                    let weight = if x.contribution == 1 {
                        String::new()
                    } else {
                        format!(" (weight {})", x.contribution)
                    };
                    line(format!(
                        "      <- {} {}{weight}: {}",
                        fmt(x.own_ppm),
                        x.unit,
                        x.title
                    ));
                }
            }
            for d in &o.depends_on {
                line(format!("    depends on: {} ({})", d.title, d.unit));
            }
            for d in &o.needed_by {
                line(format!("    needed by: {} ({})", d.title, d.unit));
            }
            for k in &o.key_results {
                let range = match k.kind.as_str() {
                    "increase" | "decrease" => {
                        format!("{} -> {} {}", num(k.baseline), num(k.target), k.unit)
                    }
                    "threshold" => format!("threshold {} {}", num(k.target), k.unit),
                    _ => "milestone".to_owned(),
                };
                line(format!(
                    "    KR {}",
                    fit(&format!("{} ({range})", k.title), 73)
                ));
                let score = k
                    .score_ppm
                    .map(|s| {
                        let src = match k.score_source.as_deref() {
                            Some(s) if s.starts_with("overridden") => " overridden",
                            Some(s) if s.starts_with("corrected") => " corrected",
                            _ => "",
                        };
                        format!("  score {}{src}", format_ppm(s))
                    })
                    .unwrap_or_default();
                line(format!(
                    "       {} {} {:<11} conf {:>2}  now {}{score}",
                    bar(Some(k.progress_ppm), 10),
                    format_ppm(k.progress_ppm),
                    k.track,
                    k.confidence
                        .map(|c| c.to_string())
                        .unwrap_or_else(|| "-".into()),
                    num(k.current.or(k.baseline)),
                ));
            }
        }
    }
    out
}

/// The report as CSV: a header and one row per key result with its objective and unit.
pub fn csv(r: &Report) -> Result<String, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "cycle",
        "unit",
        "objective_id",
        "objective",
        "objective_kind",
        "objective_status",
        "objective_progress",
        "objective_score",
        "key_result_id",
        "key_result",
        "kr_kind",
        "baseline",
        "target",
        "unit_of_measure",
        "current",
        "progress",
        "raw",
        "track",
        "confidence",
        "check_ins",
        "score",
        "score_source",
    ])?;
    let f = |v: Option<i64>| v.map(format_ppm).unwrap_or_default();
    let n = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
    for u in &r.units {
        for o in &u.objectives {
            for k in &o.key_results {
                w.write_record([
                    r.cycle.name.clone(),
                    u.name.clone(),
                    o.id.0.to_string(),
                    o.title.clone(),
                    o.kind.clone(),
                    o.status.clone(),
                    f(o.progress_ppm),
                    f(o.score_ppm),
                    k.id.0.to_string(),
                    k.title.clone(),
                    k.kind.clone(),
                    n(k.baseline),
                    n(k.target),
                    k.unit.clone(),
                    n(k.current),
                    format_ppm(k.progress_ppm),
                    format_ppm(k.raw_ppm),
                    k.track.clone(),
                    k.confidence.map(|c| c.to_string()).unwrap_or_default(),
                    k.check_ins.to_string(),
                    f(k.score_ppm),
                    k.score_source.clone().unwrap_or_default(),
                ])?;
            }
        }
    }
    let bytes = w.into_inner().map_err(|e| e.into_error())?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}
