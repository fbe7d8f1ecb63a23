//! Advisory lints: never refusals, always with a stable code and a message in
//! English and German, both written from one [`LintMessage`] by [`LintMessage::render`];
//! every message names its key result, objective and unit by title and name.
//!
//! Whether a title reads like an output (a work order, a delivery, a count of activities)
//! or like an outcome (a change in what people do) is decided by [`crate::outcome`], for
//! objectives (`objective-reads-like-output`) and key results
//! (`key-result-reads-like-activity`) alike.

use crate::cycle::{Cycle, Phase};
use crate::event::{Event, EventBody};
use crate::i18n::{number, ppm, Lang};
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
    /// The message in English ([`LintMessage::render`] with [`Lang::En`]).
    pub message_en: String,
    /// The message in German ([`LintMessage::render`] with [`Lang::De`]).
    pub message_de: String,
}

impl Lint {
    fn new(code: LintCode, subject_kind: EntityKind, subject: Uuid, m: &LintMessage) -> Lint {
        Lint {
            code,
            subject_kind,
            subject,
            message_en: m.render(Lang::En),
            message_de: m.render(Lang::De),
        }
    }

    /// The message in `lang`.
    pub fn message(&self, lang: Lang) -> &str {
        match lang {
            Lang::En => &self.message_en,
            Lang::De => &self.message_de,
        }
    }
}

/// Where a finding is: the objective's title and its unit's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    /// The objective's title.
    pub objective: String,
    /// The name of the objective's unit.
    pub unit: String,
}

/// What a lint says, as data; [`LintMessage::render`] writes it in a language. Every
/// message names its subject by title and where it is (objective, unit).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum LintMessage {
    /// `objective-without-beneficiary`.
    WithoutBeneficiary {
        /// Where.
        at: Place,
    },
    /// `objective-reads-like-output`.
    ReadsLikeOutput {
        /// Where.
        at: Place,
        /// The reason in English and in German ([`outcome::Assessment::reason_en`]).
        reason: (String, String),
    },
    /// `objective-many-key-results`.
    ManyKeyResults {
        /// Where.
        at: Place,
        /// Key results the objective has.
        n: usize,
        /// The policy's threshold.
        above: u32,
    },
    /// `key-result-without-baseline`.
    WithoutBaseline {
        /// The key result's title.
        kr: String,
        /// Where.
        at: Place,
        /// Its target.
        target: f64,
        /// Its unit of measure.
        unit: String,
    },
    /// `key-result-hundred-percent`.
    HundredPercent {
        /// The key result's title.
        kr: String,
        /// Where.
        at: Place,
    },
    /// `milestone-key-result`.
    Milestone {
        /// The key result's title.
        kr: String,
        /// Where.
        at: Place,
    },
    /// `key-result-reads-like-sla`.
    ReadsLikeSla {
        /// The key result's title.
        kr: String,
        /// Where.
        at: Place,
    },
    /// `key-result-reads-like-activity`.
    ReadsLikeActivity {
        /// The key result's title.
        kr: String,
        /// Where.
        at: Place,
        /// The reason in English and in German.
        reason: (String, String),
    },
    /// `no-recent-check-in`.
    NoRecentCheckIn {
        /// The key result's title.
        kr: String,
        /// Where.
        at: Place,
        /// Days since the last check-in (or the cycle's start).
        days: i64,
    },
    /// `committed-objective-low-score`.
    LowScore {
        /// Where.
        at: Place,
        /// The score, ppm.
        score: i64,
        /// The policy's threshold, ppm.
        min: i64,
    },
    /// `escalation-overdue`.
    EscalationOverdue {
        /// The blocker's text.
        blocker: String,
        /// The blocked unit's name.
        unit: String,
        /// The committee's name.
        committee: String,
        /// Days waited so far.
        waited: i64,
        /// Days the policy gives the committee.
        days: u32,
    },
}

impl LintMessage {
    /// The message in `lang`.
    pub fn render(&self, lang: Lang) -> String {
        use LintMessage as M;
        let de = lang == Lang::De;
        let o = |p: &Place| {
            if de {
                format!("Das Objective „{}“ ({})", p.objective, p.unit)
            } else {
                format!("Objective \"{}\" ({})", p.objective, p.unit)
            }
        };
        let k = |kr: &str, p: &Place| {
            if de {
                format!(
                    "Das Key Result „{kr}“ des Objectives „{}“ ({})",
                    p.objective, p.unit
                )
            } else {
                format!(
                    "Key result \"{kr}\" of objective \"{}\" ({})",
                    p.objective, p.unit
                )
            }
        };
        match self {
            M::WithoutBeneficiary { at } => match lang {
                Lang::En => format!("{} does not say for whom it brings value.", o(at)),
                Lang::De => format!("{} sagt nicht, für wen es einen Mehrwert schafft.", o(at)),
            },
            M::ReadsLikeOutput { at, reason } => match lang {
                Lang::En => format!(
                    "{} reads like an output ({}); describe the change in people's behaviour instead: who does what differently, and what it brings them.",
                    o(at), reason.0
                ),
                Lang::De => format!(
                    "{} klingt nach einem Output ({}); beschreiben Sie stattdessen die Veränderung im Verhalten von Menschen: wer tut was anders, und welchen Mehrwert hat es für sie.",
                    o(at), reason.1
                ),
            },
            M::ManyKeyResults { at, n, above } => match lang {
                Lang::En => format!(
                    "{} has {n} key results; more than {above} dilutes focus.",
                    o(at)
                ),
                Lang::De => format!(
                    "{} hat {n} Key Results; mehr als {above} verwässern den Fokus.",
                    o(at)
                ),
            },
            M::WithoutBaseline {
                kr,
                at,
                target,
                unit,
            } => {
                let target = format!("{} {unit}", number(*target, lang));
                let target = target.trim_end();
                match lang {
                    Lang::En => format!("{} has no baseline: from where to {target}?", k(kr, at)),
                    Lang::De => format!(
                        "{} hat keinen Ausgangswert: von wo aus auf {target}?",
                        k(kr, at)
                    ),
                }
            }
            M::HundredPercent { kr, at } => match lang {
                Lang::En => format!(
                    "{} aims at 100 %: a deliverable count, not an outcome?",
                    k(kr, at)
                ),
                Lang::De => format!(
                    "{} zielt auf 100 %: eine Liefermenge statt einer Wirkung?",
                    k(kr, at)
                ),
            },
            M::Milestone { kr, at } => match lang {
                Lang::En => format!(
                    "{} is a milestone (done or not): that is output-like.",
                    k(kr, at)
                ),
                Lang::De => format!(
                    "{} ist ein Meilenstein (erledigt oder nicht): das ist ein Output.",
                    k(kr, at)
                ),
            },
            M::ReadsLikeSla { kr, at } => match lang {
                Lang::En => format!(
                    "{} reads like a service level (SLA) to keep, not a change to reach; keep it as a KPI of the unit and measure a change instead, from X to Y.",
                    k(kr, at)
                ),
                Lang::De => format!(
                    "{} klingt nach einem Service-Level (SLA), das zu halten ist, nicht nach einer Veränderung; führen Sie es als Kennzahl der Einheit und messen Sie stattdessen eine Veränderung, von X auf Y.",
                    k(kr, at)
                ),
            },
            M::ReadsLikeActivity { kr, at, reason } => match lang {
                Lang::En => format!(
                    "{} reads like an activity ({}); measure the effect on people instead, from X to Y.",
                    k(kr, at), reason.0
                ),
                Lang::De => format!(
                    "{} klingt nach einer Aktivität ({}); beschreiben Sie stattdessen die messbare Wirkung bei Menschen, von X auf Y.",
                    k(kr, at), reason.1
                ),
            },
            M::NoRecentCheckIn { kr, at, days } => match lang {
                Lang::En => format!("{} has had no check-in for {days} days.", k(kr, at)),
                Lang::De => format!("{} hat seit {days} Tagen keinen Check-in.", k(kr, at)),
            },
            M::LowScore { at, score, min } => {
                let (s, m, one) = (ppm(*score, lang), ppm(*min, lang), ppm(rollup::PPM, lang));
                match lang {
                    Lang::En => format!(
                        "Committed objective \"{}\" ({}) scored {s}, far below the expected {one} (threshold {m}).",
                        at.objective, at.unit
                    ),
                    Lang::De => format!(
                        "Das verbindliche Objective „{}“ ({}) erreichte {s}, weit unter den erwarteten {one} (Schwelle {m}).",
                        at.objective, at.unit
                    ),
                }
            }
            M::EscalationOverdue {
                blocker,
                unit,
                committee,
                waited,
                days,
            } => match lang {
                Lang::En => format!(
                    "Blocker \"{blocker}\" of {unit} has waited {waited} days for a decision by {committee}; the policy gives the committee {days} days."
                ),
                Lang::De => format!(
                    "Das Hindernis „{blocker}“ von {unit} wartet seit {waited} Tagen auf eine Entscheidung durch {committee}; die Richtlinie gibt dem Gremium {days} Tage."
                ),
            },
        }
    }
}

fn unit_name(state: &State, u: crate::ids::UnitId) -> String {
    state
        .units
        .get(&u)
        .map_or_else(|| u.to_string(), |x| x.name.to_string())
}

fn place(state: &State, o: &Objective) -> Place {
    Place {
        objective: o.text.title.to_string(),
        unit: unit_name(state, o.unit),
    }
}

fn objective_lints(state: &State, c: &Cycle, o: &Objective, out: &mut Vec<Lint>) {
    if o.status == ObjectiveStatus::Dropped {
        return;
    }
    let subject = |code, m: LintMessage| Lint::new(code, EntityKind::Objective, o.id.0, &m);
    let at = place(state, o);
    let title = outcome::assess(&o.text.title);
    let named = title.beneficiary.is_some()
        || [&o.text.change, &o.text.value]
            .into_iter()
            .flatten()
            .any(|t| outcome::beneficiary(t).is_some());
    if o.text.beneficiary.is_none() && !named {
        out.push(subject(
            LintCode::ObjectiveWithoutBeneficiary,
            LintMessage::WithoutBeneficiary { at: at.clone() },
        ));
    }
    if let (Some(en), Some(de)) = (title.reason_en(), title.reason_de()) {
        out.push(subject(
            LintCode::ObjectiveReadsLikeOutput,
            LintMessage::ReadsLikeOutput {
                at: at.clone(),
                reason: (en, de),
            },
        ));
    }
    let n = o.key_results.len();
    if n as u64 > u64::from(c.policy.lint_key_results_above) {
        out.push(subject(
            LintCode::ObjectiveManyKeyResults,
            LintMessage::ManyKeyResults {
                at,
                n,
                above: c.policy.lint_key_results_above,
            },
        ));
    }
}

fn key_result_lints(
    state: &State,
    c: &Cycle,
    k: &KeyResult,
    at_time: DateTime<Utc>,
    out: &mut Vec<Lint>,
) {
    if k.removed {
        return;
    }
    let subject = |code, m: LintMessage| Lint::new(code, EntityKind::KeyResult, k.id.0, &m);
    let at = match c.objectives.get(&k.objective) {
        Some(o) => place(state, o),
        None => Place {
            objective: k.objective.to_string(),
            unit: String::new(),
        },
    };
    let t = k.title.to_string();
    match &k.kind {
        KrKind::Increase {
            baseline,
            target,
            unit,
        } => {
            if baseline.is_none() {
                out.push(subject(
                    LintCode::KeyResultWithoutBaseline,
                    LintMessage::WithoutBaseline {
                        kr: t.clone(),
                        at: at.clone(),
                        target: *target,
                        unit: unit.to_string(),
                    },
                ));
            }
            if unit.trim() == "%" && *target == 100.0 {
                out.push(subject(
                    LintCode::KeyResultHundredPercent,
                    LintMessage::HundredPercent {
                        kr: t.clone(),
                        at: at.clone(),
                    },
                ));
            }
        }
        KrKind::Milestone => out.push(subject(
            LintCode::MilestoneKeyResult,
            LintMessage::Milestone {
                kr: t.clone(),
                at: at.clone(),
            },
        )),
        KrKind::Threshold { .. } => {
            if reads_like_sla(&t) {
                out.push(subject(
                    LintCode::KeyResultReadsLikeSla,
                    LintMessage::ReadsLikeSla {
                        kr: t.clone(),
                        at: at.clone(),
                    },
                ));
            }
        }
        KrKind::Decrease { .. } => {}
    }
    if !matches!(k.kind, KrKind::Milestone) {
        let a = outcome::assess(&t);
        if let (Some(en), Some(de)) = (a.reason_en(), a.reason_de()) {
            out.push(subject(
                LintCode::KeyResultReadsLikeActivity,
                LintMessage::ReadsLikeActivity {
                    kr: t.clone(),
                    at: at.clone(),
                    reason: (en, de),
                },
            ));
        }
    }
    if c.phase == Phase::Running {
        let start = c.start.and_time(NaiveTime::MIN).and_utc();
        let last = k.latest().map_or(start, |x| x.effective_at.max(start));
        if at_time - last >= Duration::days(14) {
            let days = (at_time - last).num_days();
            out.push(subject(
                LintCode::NoRecentCheckIn,
                LintMessage::NoRecentCheckIn { kr: t, at, days },
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

fn score_lints(state: &State, c: &Cycle, out: &mut Vec<Lint>) {
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
                out.push(Lint::new(
                    LintCode::CommittedObjectiveLowScore,
                    EntityKind::Objective,
                    o.id.0,
                    &LintMessage::LowScore {
                        at: place(state, o),
                        score: *s,
                        min: c.policy.low_score_ppm,
                    },
                ));
            }
        }
    }
}

fn escalation_lints(state: &State, c: &Cycle, at: DateTime<Utc>, out: &mut Vec<Lint>) {
    if !matches!(c.phase, Phase::Running | Phase::Review) {
        return;
    }
    let days = c.policy.steering_decision_days;
    for b in c.blockers.values() {
        let (Some((committee, since)), None) = (&b.escalation, &b.decision) else {
            continue;
        };
        let waited = (at - *since).num_days();
        if waited <= i64::from(days) {
            continue;
        }
        out.push(Lint::new(
            LintCode::EscalationOverdue,
            EntityKind::Blocker,
            b.id.0,
            &LintMessage::EscalationOverdue {
                blocker: b.text.to_string(),
                unit: unit_name(state, b.unit),
                committee: unit_name(state, *committee),
                waited,
                days,
            },
        ));
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
        objective_lints(state, c, o, &mut out);
        for k in c.key_results_of(o.id) {
            key_result_lints(state, c, k, at, &mut out);
        }
    }
    score_lints(state, c, &mut out);
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
            objective_lints(state, c, o, &mut out);
        }
    }
    for id in &key_results {
        if let Some(k) = state.key_result(*id) {
            if let Some(c) = state
                .cycle_of(EntityKind::KeyResult, id.0)
                .and_then(|c| state.cycles.get(&c))
            {
                key_result_lints(state, c, k, at, &mut out);
            }
        }
    }
    for cy in &review {
        if let Some(c) = state.cycles.get(cy) {
            score_lints(state, c, &mut out);
        }
    }
    for cy in &practice {
        if let Some(c) = state.cycles.get(cy) {
            practice_lints(state, c, &mut out);
        }
    }
    out
}
