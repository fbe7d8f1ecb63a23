//! Handlers of the cycle commands: planning a cycle, its policy, moving it through its
//! phases, cancelling it.

use super::fields::{reason_of, text};
use super::{Bodies, Ctx};
use crate::command::CommandBody;
use crate::event::EventBody;
use crate::i18n::{Lang, Text};
use crate::ids::UnitId;
use crate::objective::ObjectiveStatus;
use crate::policy::Policy;
use crate::rejection::{Rejection, Rule};

impl Ctx<'_> {
    /// The cycle commands, after the rules table admitted them.
    pub(super) fn cycle_command(&self, body: &CommandBody) -> Bodies {
        use CommandBody as C;
        match body {
            C::PlanCycle {
                cycle,
                name,
                kind,
                start,
                end,
                check_in_weekday,
                policy,
            } => {
                text("name", name)?;
                if end <= start {
                    return Err(Rejection::field(
                        "end",
                        Text::new(
                            format!("must lie after start {start}, got {end}"),
                            format!(
                                "Das Ende muss nach dem Beginn am {} liegen, angegeben ist der {}.",
                                Lang::De.date(*start),
                                Lang::De.date(*end)
                            ),
                        ),
                    ));
                }
                let policy = policy.clone().unwrap_or_else(|| Policy::for_kind(*kind));
                policy
                    .validate()
                    .map_err(|(f, why)| Rejection::field(f, why))?;
                Ok(vec![EventBody::CyclePlanned {
                    cycle: *cycle,
                    name: name.trim().to_string(),
                    kind: *kind,
                    start: *start,
                    end: *end,
                    check_in_weekday: *check_in_weekday,
                    policy,
                }])
            }
            C::SetPolicy { cycle, policy } => {
                let c = self.cycle(*cycle, None)?;
                policy
                    .validate()
                    .map_err(|(f, why)| Rejection::field(f, why))?;
                let mut committed: std::collections::BTreeMap<UnitId, u32> = Default::default();
                for o in c.objectives.values() {
                    if o.status == ObjectiveStatus::Committed {
                        *committed.entry(o.unit).or_default() += 1;
                    }
                    if o.key_results.len() as u64 > u64::from(policy.max_key_results_per_objective)
                    {
                        return Err(Rejection::rule(
                            Rule::MaxKeyResults,
                            Text::new(
                                format!(
                                    "objective {} has {} key results; the new policy allows {}",
                                    Self::objective_name(c, o.id, Lang::En),
                                    o.key_results.len(),
                                    policy.max_key_results_per_objective
                                ),
                                format!(
                                    "Das Objective {} hat {} Key Results; die neuen Regeln \
                                     erlauben höchstens {}.",
                                    Self::objective_name(c, o.id, Lang::De),
                                    o.key_results.len(),
                                    policy.max_key_results_per_objective
                                ),
                            ),
                        ));
                    }
                }
                if let Some((unit, n)) = committed
                    .iter()
                    .find(|(_, n)| **n > policy.max_committed_objectives_per_unit)
                {
                    return Err(Rejection::rule(
                        Rule::MaxCommittedObjectives,
                        Text::new(
                            format!(
                                "unit {} has {n} committed objectives; the new policy allows {}",
                                self.unit_name(*unit),
                                policy.max_committed_objectives_per_unit
                            ),
                            format!(
                                "Die Einheit {} hat {n} zugesagte Objectives; die neuen Regeln \
                                 erlauben höchstens {}.",
                                self.unit_name(*unit),
                                policy.max_committed_objectives_per_unit
                            ),
                        ),
                    ));
                }
                Ok(vec![EventBody::PolicySet {
                    cycle: *cycle,
                    policy: policy.clone(),
                }])
            }
            C::StartCycle { cycle } => {
                let c = self.cycle(*cycle, None)?;
                let ready = c
                    .objectives
                    .values()
                    .any(|o| o.status == ObjectiveStatus::Committed && !o.key_results.is_empty());
                if !ready {
                    return Err(Rejection::rule(
                        Rule::StartNeedsCommittedObjective,
                        Text::new(
                            format!(
                                "cycle {} has no committed objective with a key result",
                                c.name
                            ),
                            format!(
                                "Der Zyklus {} hat kein zugesagtes Objective mit einem Key Result; \
                                 sagen Sie zuerst ein Objective mit Key Result zu.",
                                c.name
                            ),
                        ),
                    ));
                }
                if c.policy.start_needs_objective_per_unit {
                    let units = crate::cycle::participation(c);
                    if let Some((unit, _)) = units.iter().find(|(_, n)| **n == 0) {
                        return Err(Rejection::rule(
                            Rule::StartNeedsObjectivePerUnit,
                            Text::new(
                                format!(
                                    "unit {} takes part in cycle {} without a committed objective with a key result; the policy starts the cycle only when every participating unit has one",
                                    self.unit_name(*unit),
                                    c.name
                                ),
                                format!(
                                    "Die Einheit {} nimmt am Zyklus {} ohne zugesagtes Objective \
                                     mit Key Result teil; nach den Regeln des Zyklus startet er \
                                     erst, wenn jede beteiligte Einheit eines hat.",
                                    self.unit_name(*unit),
                                    c.name
                                ),
                            ),
                        ));
                    }
                }
                Ok(vec![EventBody::CycleStarted { cycle: *cycle }])
            }
            C::BeginReview {
                cycle,
                early_reason,
            } => {
                let c = self.cycle(*cycle, None)?;
                let early_reason = early_reason
                    .as_deref()
                    .map(str::trim)
                    .filter(|r| !r.is_empty());
                let today = self.env.at.date_naive();
                if today < c.end && early_reason.is_none() {
                    return Err(Rejection::rule(
                        Rule::ReviewNotBeforeEnd,
                        Text::new(
                            format!(
                                "cycle {} ends {}; a review on {today} needs an early_reason",
                                c.name, c.end
                            ),
                            format!(
                                "Der Zyklus {} endet am {}; ein Review am {} braucht eine \
                                 Begründung im Feld `early_reason`.",
                                c.name,
                                Lang::De.date(c.end),
                                Lang::De.date(today)
                            ),
                        ),
                    ));
                }
                Ok(vec![EventBody::ReviewBegun {
                    cycle: *cycle,
                    early_reason: early_reason.map(str::to_string),
                }])
            }
            C::BeginRetrospective { cycle } => {
                Ok(vec![EventBody::RetrospectiveBegun { cycle: *cycle }])
            }
            C::CloseCycle { cycle } => Ok(vec![EventBody::CycleClosed { cycle: *cycle }]),
            C::CancelCycle { cycle, reason } => {
                let reason = reason_of(reason, ("cancelling a cycle", "Der Abbruch eines Zyklus"))?;
                Ok(vec![EventBody::CycleCancelled {
                    cycle: *cycle,
                    reason,
                }])
            }
            _ => unreachable!("`{}` is not a cycle command", body.name()),
        }
    }
}
