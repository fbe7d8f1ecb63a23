//! Advisory lints: never refusals, always with a stable code and a message in
//! English and German.
//!
//! Whether a title reads like an output (a work order, a delivery, a count of activities)
//! or like an outcome (a change in what people do) is decided by [`crate::outcome`], for
//! objectives (`objective-reads-like-output`) and key results
//! (`key-result-reads-like-activity`) alike.

use crate::cycle::{Cycle, Phase};
use crate::event::{Event, EventBody};
use crate::ids::{CycleId, EntityKind, KeyResultId, ObjectiveId};
use crate::key_result::{KeyResult, KrKind};
use crate::objective::{Objective, ObjectiveKind, ObjectiveStatus};
use crate::outcome;
use crate::policy::CycleKind;
use crate::rollup;
use crate::state::State;
use chrono::{DateTime, Duration, NaiveTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use uuid::Uuid;

/// A lint's stable identifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum LintCode {
    /// The objective does not say for whom ("für Menschen"): the beneficiary field is empty
    /// and neither the title nor the change or value text names people who benefit.
    ObjectiveWithoutBeneficiary,
    /// The title reads like an output or work order, not an outcome (module `outcome`).
    ObjectiveReadsLikeOutput,
    /// The objective has more key results than the policy's lint threshold.
    ObjectiveManyKeyResults,
    /// The key result has no measured baseline ("from X to Y" needs the X).
    KeyResultWithoutBaseline,
    /// The key result is a milestone: done or not, output-like.
    MilestoneKeyResult,
    /// The key result's target is 100 % of a deliverable count.
    KeyResultHundredPercent,
    /// No check-in on the key result for two weeks while running.
    NoRecentCheckIn,
    /// A committed objective scored far below 1.0.
    CommittedObjectiveLowScore,
    /// The key result's title reads like an activity or deliverable („10 Workshops
    /// durchführen“, "Launch the portal"), not a measured outcome (module `outcome`).
    /// Not raised for milestones, which `milestone-key-result` already names.
    KeyResultReadsLikeActivity,
    /// An escalated blocker has waited longer than the policy's `steering_decision_days`
    /// for its committee's decision.
    EscalationOverdue,
    /// A threshold key result reads like a service level („Verfügbarkeit mindestens
    /// 99,5 %“, "tickets answered within 2 days"): keep it as a KPI of the unit
    /// (`define_kpi`) and let the key result measure a change.
    KeyResultReadsLikeSla,
    /// In a practice sprint each participating unit (one owning an objective of the
    /// sprint) commits exactly one objective; this unit has none, or more than one.
    PracticeSprintObjectives,
}

impl LintCode {
    /// The stable code, e.g. `objective-without-beneficiary`.
    pub fn code(&self) -> &'static str {
        match self {
            LintCode::ObjectiveWithoutBeneficiary => "objective-without-beneficiary",
            LintCode::ObjectiveReadsLikeOutput => "objective-reads-like-output",
            LintCode::ObjectiveManyKeyResults => "objective-many-key-results",
            LintCode::KeyResultWithoutBaseline => "key-result-without-baseline",
            LintCode::MilestoneKeyResult => "milestone-key-result",
            LintCode::KeyResultHundredPercent => "key-result-hundred-percent",
            LintCode::NoRecentCheckIn => "no-recent-check-in",
            LintCode::CommittedObjectiveLowScore => "committed-objective-low-score",
            LintCode::KeyResultReadsLikeActivity => "key-result-reads-like-activity",
            LintCode::EscalationOverdue => "escalation-overdue",
            LintCode::KeyResultReadsLikeSla => "key-result-reads-like-sla",
            LintCode::PracticeSprintObjectives => "practice-sprint-objectives",
        }
    }
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Lint {
    /// Stable code.
    pub code: LintCode,
    /// What it is about.
    pub subject_kind: EntityKind,
    /// The subject's id.
    pub subject: Uuid,
    /// The message in English.
    pub message_en: String,
    /// The message in German.
    pub message_de: String,
}

fn objective_lints(c: &Cycle, o: &Objective, out: &mut Vec<Lint>) {
    if o.status == ObjectiveStatus::Dropped {
        return;
    }
    let subject = |code, en: String, de: String| Lint {
        code,
        subject_kind: EntityKind::Objective,
        subject: o.id.0,
        message_en: en,
        message_de: de,
    };
    let title = outcome::assess(&o.text.title);
    let named = title.beneficiary.is_some()
        || [&o.text.change, &o.text.value]
            .into_iter()
            .flatten()
            .any(|t| outcome::beneficiary(t).is_some());
    if o.text.beneficiary.is_none() && !named {
        out.push(subject(
            LintCode::ObjectiveWithoutBeneficiary,
            format!(
                "Objective \"{}\" does not say for whom it brings value.",
                o.text.title
            ),
            format!(
                "Objective \"{}\" sagt nicht, für wen es Mehrwert schafft.",
                o.text.title
            ),
        ));
    }
    if let (Some(en), Some(de)) = (title.reason_en(), title.reason_de()) {
        out.push(subject(
            LintCode::ObjectiveReadsLikeOutput,
            format!(
                "Objective \"{}\" reads like an output ({en}); describe the change in people's behaviour instead: who does what differently, and what it brings them.",
                o.text.title
            ),
            format!(
                "Objective \"{}\" klingt nach einem Output ({de}); beschreiben Sie stattdessen die Veränderung im Verhalten von Menschen: wer tut was anders, und welchen Mehrwert hat es für sie.",
                o.text.title
            ),
        ));
    }
    let n = o.key_results.len();
    if n as u64 > u64::from(c.policy.lint_key_results_above) {
        out.push(subject(
            LintCode::ObjectiveManyKeyResults,
            format!(
                "Objective \"{}\" has {n} key results; more than {} dilutes focus.",
                o.text.title, c.policy.lint_key_results_above
            ),
            format!(
                "Objective \"{}\" hat {n} Key Results; mehr als {} verwässert den Fokus.",
                o.text.title, c.policy.lint_key_results_above
            ),
        ));
    }
}

fn key_result_lints(c: &Cycle, k: &KeyResult, at: DateTime<Utc>, out: &mut Vec<Lint>) {
    if k.removed {
        return;
    }
    let subject = |code, en: String, de: String| Lint {
        code,
        subject_kind: EntityKind::KeyResult,
        subject: k.id.0,
        message_en: en,
        message_de: de,
    };
    let t = &k.title;
    match &k.kind {
        KrKind::Increase {
            baseline,
            target,
            unit,
        } => {
            if baseline.is_none() {
                out.push(subject(
                    LintCode::KeyResultWithoutBaseline,
                    format!("Key result \"{t}\" has no baseline: from where to {target}?"),
                    format!("Key Result \"{t}\" hat keinen Ausgangswert: von wo nach {target}?"),
                ));
            }
            if unit.trim() == "%" && *target == 100.0 {
                out.push(subject(
                    LintCode::KeyResultHundredPercent,
                    format!(
                        "Key result \"{t}\" aims at 100 %: a deliverable count, not an outcome?"
                    ),
                    format!(
                        "Key Result \"{t}\" zielt auf 100 %: eine Liefermenge statt einer Wirkung?"
                    ),
                ));
            }
        }
        KrKind::Milestone => out.push(subject(
            LintCode::MilestoneKeyResult,
            format!("Key result \"{t}\" is a milestone (done or not): that is output-like."),
            format!(
                "Key Result \"{t}\" ist ein Meilenstein (erledigt oder nicht): das ist Output."
            ),
        )),
        KrKind::Threshold { .. } => {
            if reads_like_sla(t) {
                out.push(subject(
                    LintCode::KeyResultReadsLikeSla,
                    format!(
                        "Key result \"{t}\" reads like a service level (SLA) to keep, not a change to reach; keep it as a KPI of the unit and measure a change instead, from X to Y."
                    ),
                    format!(
                        "Key Result \"{t}\" klingt nach einem Service-Level (SLA), das zu halten ist, nicht nach einer Veränderung; führen Sie es als Kennzahl der Einheit und messen Sie stattdessen eine Veränderung, von X auf Y."
                    ),
                ));
            }
        }
        KrKind::Decrease { .. } => {}
    }
    if !matches!(k.kind, KrKind::Milestone) {
        let a = outcome::assess(t);
        if let (Some(en), Some(de)) = (a.reason_en(), a.reason_de()) {
            out.push(subject(
                LintCode::KeyResultReadsLikeActivity,
                format!(
                    "Key result \"{t}\" reads like an activity ({en}); measure the effect on people instead, from X to Y."
                ),
                format!(
                    "Key Result \"{t}\" klingt nach einer Aktivität ({de}); beschreiben Sie stattdessen die messbare Wirkung bei Menschen, von X auf Y."
                ),
            ));
        }
    }
    if c.phase == Phase::Running {
        let start = c.start.and_time(NaiveTime::MIN).and_utc();
        let last = k.latest().map_or(start, |x| x.effective_at.max(start));
        if at - last >= Duration::days(14) {
            let days = (at - last).num_days();
            out.push(subject(
                LintCode::NoRecentCheckIn,
                format!("Key result \"{t}\" has had no check-in for {days} days."),
                format!("Key Result \"{t}\" hatte seit {days} Tagen keinen Check-in."),
            ));
        }
    }
}

/// Words of service levels: availability, response and handling times, tickets.
fn reads_like_sla(title: &str) -> bool {
    const WORDS: [&str; 22] = [
        "sla",
        "service level",
        "service-level",
        "verfügbarkeit",
        "verfügbar",
        "erreichbarkeit",
        "erreichbar",
        "ausfallzeit",
        "availability",
        "available",
        "uptime",
        "downtime",
        "reaktionszeit",
        "antwortzeit",
        "response time",
        "servicezeit",
        "ticket",
        "innerhalb von",
        "binnen",
        "within",
        "störungsbehebung",
        "resolution time",
    ];
    let t = title.to_lowercase();
    WORDS.iter().any(|w| {
        t.match_indices(w).any(|(i, _)| {
            // Whole words (or word starts): „Verfügbarkeit“, not „unverfügbar“ inside another.
            i == 0
                || !t[..i]
                    .chars()
                    .next_back()
                    .is_some_and(char::is_alphanumeric)
        })
    })
}

fn score_lints(c: &Cycle, out: &mut Vec<Lint>) {
    if !matches!(
        c.phase,
        Phase::Review | Phase::Retrospective | Phase::Closed
    ) {
        return;
    }
    let scores = rollup::scores(c);
    for o in c.objectives.values() {
        if o.status != ObjectiveStatus::Committed || o.kind != ObjectiveKind::Committed {
            continue;
        }
        if let Some(Some(s)) = scores.objectives.get(&o.id) {
            if *s < c.policy.low_score_ppm {
                let s = rollup::format_ppm(*s);
                let min = rollup::format_ppm(c.policy.low_score_ppm);
                out.push(Lint {
                    code: LintCode::CommittedObjectiveLowScore,
                    subject_kind: EntityKind::Objective,
                    subject: o.id.0,
                    message_en: format!(
                        "Committed objective \"{}\" scored {s}, far below the expected 1.0 (threshold {min}).",
                        o.text.title
                    ),
                    message_de: format!(
                        "Das verbindliche Objective \"{}\" erreichte {s}, weit unter den erwarteten 1,0 (Schwelle {min}).",
                        o.text.title
                    ),
                });
            }
        }
    }
}

fn escalation_lints(state: &State, c: &Cycle, at: DateTime<Utc>, out: &mut Vec<Lint>) {
    if !matches!(c.phase, Phase::Running | Phase::Review) {
        return;
    }
    let days = c.policy.steering_decision_days;
    let name = |u: &crate::ids::UnitId| {
        state
            .units
            .get(u)
            .map_or_else(|| u.to_string(), |x| x.name.to_string())
    };
    for b in c.blockers.values() {
        let (Some((committee, since)), None) = (&b.escalation, &b.decision) else {
            continue;
        };
        let waited = (at - *since).num_days();
        if waited <= i64::from(days) {
            continue;
        }
        let (unit, committee) = (name(&b.unit), name(committee));
        out.push(Lint {
            code: LintCode::EscalationOverdue,
            subject_kind: EntityKind::Blocker,
            subject: b.id.0,
            message_en: format!(
                "Blocker \"{}\" of {unit} has waited {waited} days for a decision by {committee}; the policy gives the committee {days} days.",
                b.text
            ),
            message_de: format!(
                "Das Hindernis „{}“ von {unit} wartet seit {waited} Tagen auf eine Entscheidung von {committee}; die Richtlinie gibt dem Gremium {days} Tage.",
                b.text
            ),
        });
    }
}

/// `practice-sprint-objectives`: in a practice sprint being planned or running, every
/// participating unit with no committed objective, or with more than one, named.
fn practice_lints(state: &State, c: &Cycle, out: &mut Vec<Lint>) {
    if c.kind != CycleKind::Practice || !matches!(c.phase, Phase::Planning | Phase::Running) {
        return;
    }
    for (unit, n) in crate::cycle::participation(c) {
        if n == 1 {
            continue;
        }
        let name = state
            .units
            .get(&unit)
            .map_or_else(|| unit.to_string(), |u| u.name.to_string());
        let (en, de) = if n == 0 {
            (
                format!(
                    "Unit {name} takes part in practice sprint {} without a committed objective; in a practice sprint each unit commits exactly one.",
                    c.name
                ),
                format!(
                    "Die Einheit {name} nimmt am Übungssprint {} ohne verbindliches Objective teil; im Übungssprint legt jede Einheit genau eines fest.",
                    c.name
                ),
            )
        } else {
            (
                format!(
                    "Unit {name} has {n} committed objectives in practice sprint {}; in a practice sprint each unit commits exactly one.",
                    c.name
                ),
                format!(
                    "Die Einheit {name} hat {n} verbindliche Objectives im Übungssprint {}; im Übungssprint legt jede Einheit genau eines fest.",
                    c.name
                ),
            )
        };
        out.push(Lint {
            code: LintCode::PracticeSprintObjectives,
            subject_kind: EntityKind::Unit,
            subject: unit.0,
            message_en: en,
            message_de: de,
        });
    }
}

/// All lints of a cycle at instant `at` (the instant matters for `no-recent-check-in` and
/// `escalation-overdue`).
pub fn cycle(state: &State, cycle: CycleId, at: DateTime<Utc>) -> Vec<Lint> {
    let Some(c) = state.cycles.get(&cycle) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for o in c.objectives.values() {
        objective_lints(c, o, &mut out);
        for k in c.key_results_of(o.id) {
            key_result_lints(c, k, at, &mut out);
        }
    }
    score_lints(c, &mut out);
    escalation_lints(state, c, at, &mut out);
    practice_lints(state, c, &mut out);
    out
}

/// The lints about what `events` touched, evaluated on `state` after they were applied.
/// This is what a command's outcome carries.
pub fn for_events(state: &State, events: &[Event]) -> Vec<Lint> {
    let mut objectives: BTreeSet<ObjectiveId> = BTreeSet::new();
    let mut key_results: BTreeSet<KeyResultId> = BTreeSet::new();
    let mut review: BTreeSet<CycleId> = BTreeSet::new();
    let mut practice: BTreeSet<CycleId> = BTreeSet::new();
    let mut at = None;
    for e in events {
        at = Some(e.at);
        if let EventBody::ObjectiveCommitted { cycle, .. }
        | EventBody::ObjectiveDropped { cycle, .. }
        | EventBody::KeyResultRemoved { cycle, .. }
        | EventBody::PolicySet { cycle, .. }
        | EventBody::CycleStarted { cycle } = &e.body
        {
            practice.insert(*cycle);
        }
        match &e.body {
            EventBody::ObjectiveDrafted { objective, .. }
            | EventBody::ObjectiveRevised { objective, .. }
            | EventBody::ObjectiveAmended { objective, .. }
            | EventBody::ObjectiveCommitted { objective, .. }
            | EventBody::ObjectiveCarriedOver { objective, .. } => {
                objectives.insert(*objective);
            }
            EventBody::KeyResultAdded {
                objective,
                key_result,
                ..
            } => {
                objectives.insert(*objective);
                key_results.insert(*key_result);
            }
            EventBody::KeyResultRevised { key_result, .. }
            | EventBody::KeyResultAmended { key_result, .. } => {
                key_results.insert(*key_result);
            }
            EventBody::ReviewBegun { cycle, .. }
            | EventBody::ScoreOverridden { cycle, .. }
            | EventBody::ScoreCorrected { cycle, .. } => {
                review.insert(*cycle);
            }
            _ => {}
        }
    }
    let Some(at) = at else { return Vec::new() };
    let mut out = Vec::new();
    for id in &objectives {
        let c = state
            .cycle_of(EntityKind::Objective, id.0)
            .and_then(|c| state.cycles.get(&c));
        if let Some((c, o)) = c.and_then(|c| Some((c, c.objectives.get(id)?))) {
            objective_lints(c, o, &mut out);
        }
    }
    for id in &key_results {
        if let Some(k) = state.key_result(*id) {
            if let Some(c) = state
                .cycle_of(EntityKind::KeyResult, id.0)
                .and_then(|c| state.cycles.get(&c))
            {
                key_result_lints(c, k, at, &mut out);
            }
        }
    }
    for cy in &review {
        if let Some(c) = state.cycles.get(cy) {
            score_lints(c, &mut out);
        }
    }
    for cy in &practice {
        if let Some(c) = state.cycles.get(cy) {
            practice_lints(state, c, &mut out);
        }
    }
    out
}
