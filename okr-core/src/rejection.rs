//! Why a command was refused.

use crate::cycle::Phase;
use crate::i18n::{Lang, Text};
use crate::ids::{EntityKind, PersonId, StreamId, UnitId};
use crate::organisation::Role;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A business rule with a stable identifier: what a `RuleViolated` refusal names, so that
/// callers can tell refusals apart without parsing the detail text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Rule {
    /// A unit may have at most `max_committed_objectives_per_unit` committed objectives.
    MaxCommittedObjectives,
    /// An objective may have at most `max_key_results_per_objective` key results.
    MaxKeyResults,
    /// Weights must be greater than zero.
    WeightPositive,
    /// Confidence lies in 0..=10.
    ConfidenceRange,
    /// A key result's baseline differs from its target, in the direction its kind says.
    BaselineNotTarget,
    /// A decreasing key result needs a baseline.
    DecreaseNeedsBaseline,
    /// Running needs at least one committed objective with at least one key result.
    StartNeedsCommittedObjective,
    /// Committing an objective needs at least one key result.
    CommitNeedsKeyResult,
    /// Review begins on or after the cycle's end date unless an early reason is given.
    ReviewNotBeforeEnd,
    /// Amendments, overrides, cancellations, corrections and early reviews need a reason.
    ReasonRequired,
    /// Alignment links objectives of the same cycle.
    AlignSameCycle,
    /// An objective cannot align to itself.
    AlignNotSelf,
    /// The alignment graph stays acyclic.
    AlignmentAcyclic,
    /// Blockers are escalated to a committee unit.
    EscalateToCommittee,
    /// A blocker is decided once it was escalated, and only once.
    DecideEscalatedOnce,
    /// A blocker is escalated once.
    EscalateOnce,
    /// An agreement is resolved once.
    ResolveOnce,
    /// An agreement is resolved at a weekly later than the one that made it.
    ResolveAtLaterWeekly,
    /// An agreement's provider and what it provides come together.
    ProviderProvides,
    /// A retrospective action is followed up in a cycle that starts later than its own,
    /// once its own cycle is closed.
    FollowUpLaterCycle,
    /// A retrospective action is followed up once.
    FollowUpOnce,
    /// Only open (draft or committed) objectives change.
    ObjectiveOpen,
    /// A unit cannot be moved below itself or its descendants.
    UnitTreeAcyclic,
    /// A retired unit takes no new objectives, members or children.
    UnitActive,
    /// A check-in's effective time lies between the cycle's start and the time it is told.
    EffectiveAtInRange,
    /// Carry-over goes to a later cycle still in Planning.
    CarryToLaterCycle,
    /// An objective is carried over once, and a dropped one never.
    CarryOnce,
    /// The first root unit starts the organisation; later units need a parent.
    SingleRoot,
    /// Once set up, the organisation keeps at least one OkrMaster.
    KeepOneOkrMaster,
    /// Under a policy with `cross_unit_approval`, a cross-unit objective is committed only
    /// after a steering committee approved it; only cross-unit objectives are approved, and
    /// once, by a committee.
    CrossUnitApproval,
    /// A dependency links objectives of different units in the same cycle, once.
    DependencyOtherUnit,
    /// The dependency links stay acyclic.
    DependencyAcyclic,
    /// A key result refers to a KPI of its objective's unit or of a unit above it.
    KpiOfTheUnit,
    /// A person is forgotten once, and a forgotten person gives no more commands.
    Forgotten,
    /// Under a policy with `start_needs_objective_per_unit` (a practice sprint's default),
    /// a cycle starts only when every participating unit (one that owns an objective of
    /// the cycle) has a committed objective with a key result.
    StartNeedsObjectivePerUnit,
}

impl Rule {
    /// Every rule, in declaration order.
    pub const ALL: [Rule; 35] = [
        Rule::MaxCommittedObjectives,
        Rule::MaxKeyResults,
        Rule::WeightPositive,
        Rule::ConfidenceRange,
        Rule::BaselineNotTarget,
        Rule::DecreaseNeedsBaseline,
        Rule::StartNeedsCommittedObjective,
        Rule::CommitNeedsKeyResult,
        Rule::ReviewNotBeforeEnd,
        Rule::ReasonRequired,
        Rule::AlignSameCycle,
        Rule::AlignNotSelf,
        Rule::AlignmentAcyclic,
        Rule::EscalateToCommittee,
        Rule::DecideEscalatedOnce,
        Rule::EscalateOnce,
        Rule::ResolveOnce,
        Rule::ResolveAtLaterWeekly,
        Rule::ProviderProvides,
        Rule::FollowUpLaterCycle,
        Rule::FollowUpOnce,
        Rule::ObjectiveOpen,
        Rule::UnitTreeAcyclic,
        Rule::UnitActive,
        Rule::EffectiveAtInRange,
        Rule::CarryToLaterCycle,
        Rule::CarryOnce,
        Rule::SingleRoot,
        Rule::KeepOneOkrMaster,
        Rule::CrossUnitApproval,
        Rule::DependencyOtherUnit,
        Rule::DependencyAcyclic,
        Rule::KpiOfTheUnit,
        Rule::Forgotten,
        Rule::StartNeedsObjectivePerUnit,
    ];

    /// The stable identifier, e.g. `max-committed-objectives`.
    pub fn code(&self) -> &'static str {
        match self {
            Rule::MaxCommittedObjectives => "max-committed-objectives",
            Rule::MaxKeyResults => "max-key-results",
            Rule::WeightPositive => "weight-positive",
            Rule::ConfidenceRange => "confidence-range",
            Rule::BaselineNotTarget => "baseline-not-target",
            Rule::DecreaseNeedsBaseline => "decrease-needs-baseline",
            Rule::StartNeedsCommittedObjective => "start-needs-committed-objective",
            Rule::CommitNeedsKeyResult => "commit-needs-key-result",
            Rule::ReviewNotBeforeEnd => "review-not-before-end",
            Rule::ReasonRequired => "reason-required",
            Rule::AlignSameCycle => "align-same-cycle",
            Rule::AlignNotSelf => "align-not-self",
            Rule::AlignmentAcyclic => "alignment-acyclic",
            Rule::EscalateToCommittee => "escalate-to-committee",
            Rule::DecideEscalatedOnce => "decide-escalated-once",
            Rule::EscalateOnce => "escalate-once",
            Rule::ResolveOnce => "resolve-once",
            Rule::ResolveAtLaterWeekly => "resolve-at-later-weekly",
            Rule::ProviderProvides => "provider-provides",
            Rule::FollowUpLaterCycle => "follow-up-later-cycle",
            Rule::FollowUpOnce => "follow-up-once",
            Rule::ObjectiveOpen => "objective-open",
            Rule::UnitTreeAcyclic => "unit-tree-acyclic",
            Rule::UnitActive => "unit-active",
            Rule::EffectiveAtInRange => "effective-at-in-range",
            Rule::CarryToLaterCycle => "carry-to-later-cycle",
            Rule::CarryOnce => "carry-once",
            Rule::SingleRoot => "single-root",
            Rule::KeepOneOkrMaster => "keep-one-okr-master",
            Rule::CrossUnitApproval => "cross-unit-approval",
            Rule::DependencyOtherUnit => "dependency-other-unit",
            Rule::DependencyAcyclic => "dependency-acyclic",
            Rule::KpiOfTheUnit => "kpi-of-the-unit",
            Rule::Forgotten => "forgotten",
            Rule::StartNeedsObjectivePerUnit => "start-needs-objective-per-unit",
        }
    }
}

impl Rule {
    /// The rule's name in `lang`: its [code](Rule::code) in English, a short German name
    /// (`Höchstzahl zugesagter Objectives je Einheit`) in German.
    pub fn name(&self, lang: Lang) -> &'static str {
        if lang == Lang::En {
            return self.code();
        }
        match self {
            Rule::MaxCommittedObjectives => "Höchstzahl zugesagter Objectives je Einheit",
            Rule::MaxKeyResults => "Höchstzahl der Key Results je Objective",
            Rule::WeightPositive => "Gewichte größer als null",
            Rule::ConfidenceRange => "Zuversicht von 0 bis 10",
            Rule::BaselineNotTarget => "Ausgangswert und Zielwert in der Richtung des Key Results",
            Rule::DecreaseNeedsBaseline => "Senkung mit Ausgangswert",
            Rule::StartNeedsCommittedObjective => "Start erst mit zugesagtem Objective",
            Rule::CommitNeedsKeyResult => "Zusage erst mit Key Result",
            Rule::ReviewNotBeforeEnd => "Review nicht vor dem Ende des Zyklus",
            Rule::ReasonRequired => "Begründung erforderlich",
            Rule::AlignSameCycle => "Ausrichtung im selben Zyklus",
            Rule::AlignNotSelf => "keine Ausrichtung auf sich selbst",
            Rule::AlignmentAcyclic => "Ausrichtung ohne Kreis",
            Rule::EscalateToCommittee => "Eskalation an ein Gremium",
            Rule::DecideEscalatedOnce => "Entscheidung nur über Eskaliertes, einmal",
            Rule::EscalateOnce => "Eskalation nur einmal",
            Rule::ResolveOnce => "Absprache nur einmal auflösen",
            Rule::ResolveAtLaterWeekly => "Auflösung in einem späteren Weekly",
            Rule::ProviderProvides => "Lieferant und Lieferung gehören zusammen",
            Rule::FollowUpLaterCycle => "Nachverfolgung in einem späteren Zyklus",
            Rule::FollowUpOnce => "Nachverfolgung nur einmal",
            Rule::ObjectiveOpen => "nur offene Objectives ändern sich",
            Rule::UnitTreeAcyclic => "Einheitenbaum ohne Kreis",
            Rule::UnitActive => "nur aktive Einheiten",
            Rule::EffectiveAtInRange => "Stichtag im zulässigen Zeitraum",
            Rule::CarryToLaterCycle => "Übernahme in einen späteren Zyklus in Planung",
            Rule::CarryOnce => "Übernahme nur einmal",
            Rule::SingleRoot => "eine Wurzeleinheit",
            Rule::KeepOneOkrMaster => "mindestens ein OKR-Master",
            Rule::CrossUnitApproval => "Freigabe einheitenübergreifender Objectives",
            Rule::DependencyOtherUnit => "Abhängigkeit zwischen verschiedenen Einheiten",
            Rule::DependencyAcyclic => "Abhängigkeiten ohne Kreis",
            Rule::KpiOfTheUnit => "Kennzahl der eigenen oder einer übergeordneten Einheit",
            Rule::Forgotten => "vergessene Personen",
            Rule::StartNeedsObjectivePerUnit => "Start erst mit Objective jeder Einheit",
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Why `decide` refused a command. Every variant says what was wrong and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "rejection", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Rejection {
    /// The command names an id that does not exist (or is gone).
    #[error("unknown {kind} {id}")]
    UnknownId {
        /// What kind of entity the id should name.
        kind: EntityKind,
        /// The id as given.
        id: Text,
    },
    /// The cycle is in a phase that does not allow the command.
    #[error(
        "cycle {cycle} is in phase {phase}; this needs phase {}",
        join(allowed)
    )]
    WrongPhase {
        /// The cycle.
        cycle: crate::ids::CycleId,
        /// Its current phase.
        phase: Phase,
        /// The phases in which the command is allowed.
        allowed: Vec<Phase>,
    },
    /// A business rule forbids the command.
    #[error("rule {rule} violated: {detail}")]
    RuleViolated {
        /// The rule's stable identifier.
        rule: Rule,
        /// What exactly broke it.
        detail: Text,
    },
    /// A field of the command has an invalid value.
    #[error("invalid field {field}: {reason}")]
    InvalidField {
        /// The field's path in the command, e.g. `kind.target`.
        field: String,
        /// Why the value is invalid.
        reason: Text,
    },
    /// The actor may not do this.
    #[error("{actor} may not {action}{}", unit.map(|u| format!(" in unit {u}")).unwrap_or_default())]
    Unauthorized {
        /// Who tried.
        actor: PersonId,
        /// What they tried, e.g. `commit objective`.
        action: Text,
        /// Where, when the action belongs to a unit.
        unit: Option<UnitId>,
    },
    /// The envelope's expected stream version does not match.
    #[error("version conflict on stream {stream}: expected {expected}, actual {actual}")]
    VersionConflict {
        /// The stream the command writes to.
        stream: StreamId,
        /// The version the caller expected.
        expected: u64,
        /// The stream's actual version.
        actual: u64,
    },
    /// An entity with this id exists already.
    #[error("{kind} {id} already exists")]
    AlreadyExists {
        /// The kind of the existing entity.
        kind: EntityKind,
        /// The id.
        id: Text,
    },
}

fn join(phases: &[Phase]) -> String {
    phases
        .iter()
        .map(|p| p.to_string())
        .collect::<Vec<_>>()
        .join(" or ")
}

/// The German name of an entity kind, with its article: `die Einheit`, `das Objective`.
fn kind_de(kind: EntityKind) -> &'static str {
    match kind {
        EntityKind::Unit => "die Einheit",
        EntityKind::Person => "die Person",
        EntityKind::Cycle => "der Zyklus",
        EntityKind::Objective => "das Objective",
        EntityKind::KeyResult => "das Key Result",
        EntityKind::Agreement => "die Absprache",
        EntityKind::Blocker => "das Hindernis",
        EntityKind::Initiative => "die Initiative",
        EntityKind::RetroItem => "der Retrospektiven-Eintrag",
        EntityKind::RetroAction => "die Retro-Maßnahme",
        EntityKind::Membership => "die Mitgliedschaft",
        EntityKind::Kpi => "die Kennzahl",
    }
}

/// The first letter of `s` in upper case: a sentence that starts with an article.
fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(first) => first.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// A role's German name (`Mitglied`), for messages.
pub(crate) fn role_de(role: Role) -> &'static str {
    match role {
        Role::OkrMaster => "OKR-Master",
        Role::Lead => "Lead",
        Role::Member => "Mitglied",
        Role::Steering => "Lenkungskreis",
        Role::Observer => "Beobachtung",
    }
}

/// A phase in German quotes: `„Planung“`.
fn phase_de(phase: Phase) -> String {
    format!("„{}“", Lang::De.term(&phase.to_string()))
}

impl Rejection {
    /// What went wrong, for people, in `lang`. English is the [`Display`](fmt::Display)
    /// text; German says the same in Sie-form, with the entities named as the English
    /// names them, German dates and decimal commas.
    ///
    /// ```
    /// use okr_core::i18n::Lang;
    /// use okr_core::{EntityKind, Rejection};
    ///
    /// let r = Rejection::UnknownId { kind: EntityKind::Cycle, id: "Q3".into() };
    /// assert_eq!(r.message(Lang::En), "unknown cycle Q3");
    /// assert_eq!(r.message(Lang::De), "Der Zyklus Q3 ist unbekannt.");
    /// ```
    pub fn message(&self, lang: Lang) -> String {
        if lang == Lang::En {
            return self.to_string();
        }
        match self {
            Rejection::UnknownId { kind, id } => {
                format!("{} {} ist unbekannt.", capitalised(kind_de(*kind)), id.de())
            }
            Rejection::WrongPhase {
                cycle,
                phase,
                allowed,
            } => format!(
                "Der Zyklus {cycle} ist in der Phase {}; dies ist nur in der Phase {} möglich.",
                phase_de(*phase),
                allowed
                    .iter()
                    .map(|p| phase_de(*p))
                    .collect::<Vec<_>>()
                    .join(" oder ")
            ),
            Rejection::RuleViolated { rule, detail } => {
                format!("Regel „{}“ verletzt: {}", rule.name(lang), detail.de())
            }
            Rejection::InvalidField { field, reason } => {
                format!("Ungültige Angabe im Feld `{field}`: {}", reason.de())
            }
            Rejection::Unauthorized {
                actor,
                action,
                unit,
            } => match unit {
                Some(u) => format!(
                    "Die Person {actor} hat nicht das Recht, in der Einheit {u} {}.",
                    action.de()
                ),
                None => format!("Die Person {actor} hat nicht das Recht, {}.", action.de()),
            },
            Rejection::VersionConflict {
                stream,
                expected,
                actual,
            } => format!(
                "Versionskonflikt im Stream `{stream}`: erwartet war Version {expected}, \
                 vorhanden ist Version {actual}. Lesen Sie den Stand neu und versuchen Sie es erneut."
            ),
            Rejection::AlreadyExists { kind, id } => {
                format!("{} {} gibt es bereits.", capitalised(kind_de(*kind)), id.de())
            }
        }
    }

    pub(crate) fn unknown(kind: EntityKind, id: impl fmt::Display) -> Self {
        Rejection::UnknownId {
            kind,
            id: id.to_string().into(),
        }
    }

    /// An unknown id with what was looked for, in both languages.
    pub(crate) fn unknown_text(kind: EntityKind, id: Text) -> Self {
        Rejection::UnknownId { kind, id }
    }

    /// A rule's refusal; the detail is written in both languages ([`Text::new`]).
    pub(crate) fn rule(rule: Rule, detail: Text) -> Self {
        Rejection::RuleViolated { rule, detail }
    }

    /// An invalid field; the reason is written in both languages ([`Text::new`]).
    pub(crate) fn field(field: impl Into<String>, reason: Text) -> Self {
        Rejection::InvalidField {
            field: field.into(),
            reason,
        }
    }

    pub(crate) fn exists(kind: EntityKind, id: impl Into<Text>) -> Self {
        Rejection::AlreadyExists {
            kind,
            id: id.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_is_listed_once_and_has_a_german_name() {
        let codes: std::collections::BTreeSet<&str> = Rule::ALL.iter().map(Rule::code).collect();
        assert_eq!(codes.len(), Rule::ALL.len(), "Rule::ALL repeats a rule");
        for r in Rule::ALL {
            // The code round-trips through serde: the list holds real rules.
            let json = serde_json::to_string(&r).unwrap();
            assert_eq!(json, format!("\"{}\"", r.code()));
            assert_ne!(r.name(Lang::De), r.code(), "{r} has no German name");
            assert_eq!(r.name(Lang::En), r.code());
        }
    }

    #[test]
    fn structural_parts_are_german() {
        let cycle = crate::ids::CycleId::from_u128(1);
        let r = Rejection::WrongPhase {
            cycle,
            phase: Phase::Running,
            allowed: vec![Phase::Planning, Phase::Review],
        };
        assert_eq!(
            r.message(Lang::De),
            format!(
                "Der Zyklus {cycle} ist in der Phase „läuft“; dies ist nur in der Phase \
                 „Planung“ oder „Review“ möglich."
            )
        );
        assert_eq!(r.message(Lang::En), r.to_string());
        let r = Rejection::AlreadyExists {
            kind: EntityKind::KeyResult,
            id: "k1".into(),
        };
        assert_eq!(r.message(Lang::De), "Das Key Result k1 gibt es bereits.");
        let r = Rejection::VersionConflict {
            stream: StreamId::Organisation,
            expected: 3,
            actual: 5,
        };
        assert!(r
            .message(Lang::De)
            .starts_with("Versionskonflikt im Stream `org`: erwartet war Version 3"));
    }
}
