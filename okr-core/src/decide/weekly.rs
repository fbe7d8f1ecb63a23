//! Handlers of the weekly commands: agreements, blockers and initiatives.

use super::fields::{one_to_five, text};
use super::{Bodies, Ctx};
use crate::command::CommandBody;
use crate::event::EventBody;
use crate::i18n::{Lang, Text};
use crate::ids::EntityKind;
use crate::organisation::UnitKind;
use crate::rejection::{Rejection, Rule};
use crate::weekly::Party;

/// An optional free text: trimmed when given, refused when given but empty.
fn given_text(field: &str, value: &Option<String>) -> Result<Option<String>, Rejection> {
    match value {
        None => Ok(None),
        Some(v) => {
            text(field, v)?;
            Ok(Some(v.trim().to_string()))
        }
    }
}

impl Ctx<'_> {
    /// A party to an agreement: a registered person or an active unit.
    fn party(&self, party: Party, field: &str) -> Result<(), Rejection> {
        match party {
            Party::Person(p) => self.person(p, field),
            Party::Unit(u) => self.active_unit(u).map(|_| ()),
        }
    }

    /// The weekly commands, after the rules table admitted them.
    pub(super) fn weekly(&self, body: &CommandBody) -> Bodies {
        use CommandBody as C;
        match body {
            C::MakeAgreement {
                cycle,
                agreement,
                unit,
                text: t,
                owner,
                due,
                weekly,
                provider,
                provides,
                receiver,
                consequence,
            } => {
                text("text", t)?;
                if let Some(p) = owner {
                    self.person(*p, "owner")?;
                }
                if let Some(p) = provider {
                    self.party(*p, "provider")?;
                }
                if let Some(r) = receiver {
                    self.party(*r, "receiver")?;
                }
                let provides = given_text("provides", provides)?;
                let consequence = given_text("consequence", consequence)?;
                match (provider, &provides) {
                    (Some(_), None) => {
                        return Err(Rejection::rule(
                            Rule::ProviderProvides,
                            Text::new(
                                "a provider needs `provides`: what it provides",
                                "Ein Lieferant (`provider`) braucht die Angabe `provides`: was er \
                                 liefert.",
                            ),
                        ))
                    }
                    (None, Some(_)) => return Err(Rejection::rule(
                        Rule::ProviderProvides,
                        Text::new(
                            "`provides` needs a provider: who provides it",
                            "Die Angabe `provides` braucht einen Lieferanten (`provider`): wer \
                                 es liefert.",
                        ),
                    )),
                    _ => {}
                }
                Ok(vec![EventBody::AgreementMade {
                    cycle: *cycle,
                    agreement: *agreement,
                    unit: *unit,
                    text: t.trim().to_string(),
                    owner: *owner,
                    due: *due,
                    weekly: Some(weekly.unwrap_or_else(|| self.env.at.date_naive())),
                    provider: *provider,
                    provides,
                    receiver: *receiver,
                    consequence,
                }])
            }
            C::ResolveAgreement {
                agreement,
                outcome,
                weekly,
            } => {
                let (c, a) = self.agreement(*agreement, None)?;
                if a.resolution.is_some() {
                    return Err(Rejection::rule(
                        Rule::ResolveOnce,
                        Text::new(
                            format!("agreement {agreement} is resolved already"),
                            format!(
                                "Die Absprache „{}“ ({agreement}) ist bereits aufgelöst.",
                                a.text
                            ),
                        ),
                    ));
                }
                let resolved_at = weekly.unwrap_or_else(|| self.env.at.date_naive());
                if resolved_at <= a.weekly {
                    return Err(Rejection::rule(
                        Rule::ResolveAtLaterWeekly,
                        Text::new(
                            format!(
                                "agreement {agreement} was made at the weekly of {}; it is resolved \
                                 at a later weekly, not at one of {resolved_at}",
                                a.weekly
                            ),
                            format!(
                                "Die Absprache „{}“ ({agreement}) wurde im Weekly vom {} \
                                 getroffen; aufgelöst wird sie in einem späteren Weekly, nicht \
                                 in dem vom {}.",
                                a.text,
                                Lang::De.date(a.weekly),
                                Lang::De.date(resolved_at)
                            ),
                        ),
                    ));
                }
                Ok(vec![EventBody::AgreementResolved {
                    cycle: c.id,
                    agreement: *agreement,
                    outcome: *outcome,
                    weekly: Some(resolved_at),
                }])
            }
            C::RaiseBlocker {
                cycle,
                blocker,
                unit,
                key_result,
                text: t,
            } => {
                let c = self.cycle(*cycle, None)?;
                text("text", t)?;
                if let Some(k) = key_result {
                    if c.key_results.get(k).is_none_or(|k| k.removed) {
                        return Err(Rejection::unknown(EntityKind::KeyResult, k));
                    }
                }
                Ok(vec![EventBody::BlockerRaised {
                    cycle: *cycle,
                    blocker: *blocker,
                    unit: *unit,
                    key_result: *key_result,
                    text: t.trim().to_string(),
                }])
            }
            C::EscalateBlocker { blocker, to } => {
                let (c, b) = self.blocker(*blocker, None)?;
                let committee = self.active_unit(*to)?;
                if committee.kind != UnitKind::Committee {
                    return Err(Rejection::rule(
                        Rule::EscalateToCommittee,
                        Text::new(
                            format!("unit {} ({to}) is not a committee", committee.name),
                            format!(
                                "Die Einheit {} ({to}) ist kein Gremium; eskalieren Sie an \
                                 einen Lenkungsausschuss.",
                                committee.name
                            ),
                        ),
                    ));
                }
                if b.escalation.is_some() {
                    return Err(Rejection::rule(
                        Rule::EscalateOnce,
                        Text::new(
                            format!("blocker {blocker} is escalated already"),
                            format!(
                                "Das Hindernis „{}“ ({blocker}) ist bereits eskaliert.",
                                b.text
                            ),
                        ),
                    ));
                }
                Ok(vec![EventBody::BlockerEscalated {
                    cycle: c.id,
                    blocker: *blocker,
                    to: *to,
                }])
            }
            C::DecideBlocker { blocker, decision } => {
                // The table found the committee (On::EscalationCommittee) and checked Steer.
                let (c, b) = self.blocker(*blocker, None)?;
                if b.decision.is_some() {
                    return Err(Rejection::rule(
                        Rule::DecideEscalatedOnce,
                        Text::new(
                            format!("blocker {blocker} is decided already"),
                            format!(
                                "Über das Hindernis „{}“ ({blocker}) ist bereits entschieden.",
                                b.text
                            ),
                        ),
                    ));
                }
                text("decision", decision)?;
                Ok(vec![EventBody::BlockerDecided {
                    cycle: c.id,
                    blocker: *blocker,
                    decision: decision.trim().to_string(),
                }])
            }
            C::AddInitiative {
                key_result,
                initiative,
                title,
                effort,
                impact,
            } => {
                let (c, _, _) = self.key_result(*key_result, None)?;
                text("title", title)?;
                one_to_five("effort", *effort)?;
                one_to_five("impact", *impact)?;
                Ok(vec![EventBody::InitiativeAdded {
                    cycle: c.id,
                    key_result: *key_result,
                    initiative: *initiative,
                    title: title.trim().to_string(),
                    effort: *effort,
                    impact: *impact,
                }])
            }
            C::MoveInitiative { initiative, status } => {
                let (c, _) = self.initiative(*initiative, None)?;
                Ok(vec![EventBody::InitiativeMoved {
                    cycle: c.id,
                    initiative: *initiative,
                    status: *status,
                }])
            }
            _ => unreachable!("`{}` is not a weekly command", body.name()),
        }
    }
}
