//! Handlers of the key result commands: adding, revising, removing and amending key results,
//! and checking in.

use super::fields::{finite, patch_basics, positive_weight, reason_of, text};
use super::objective::{dropped, open_objective};
use super::rules::Right;
use super::{Bodies, Ctx};
use crate::command::CommandBody;
use crate::event::EventBody;
use crate::i18n::{self, Lang, Text};
use crate::key_result::{KeyResultPatch, KrKind};
use crate::objective::ObjectiveStatus;
use crate::rejection::{Rejection, Rule};

impl Ctx<'_> {
    /// The key result commands, after the rules table admitted them.
    pub(super) fn key_result_command(&self, body: &CommandBody) -> Bodies {
        use CommandBody as C;
        match body {
            C::AddKeyResult {
                objective,
                key_result,
                title,
                kind,
                weight,
                owner,
            } => {
                let (c, o) = self.objective(*objective, None)?;
                open_objective(o)?;
                text("title", title)?;
                positive_weight("weight", *weight)?;
                validate_kind("kind", kind)?;
                if let Some(p) = owner {
                    self.person(*p, "owner")?;
                }
                let max = c.policy.max_key_results_per_objective;
                if o.key_results.len() as u64 >= u64::from(max) {
                    return Err(Rejection::rule(
                        Rule::MaxKeyResults,
                        Text::new(
                            format!(
                                "objective {} has {} key results; the policy allows {max}",
                                Self::objective_name(c, *objective, Lang::En),
                                o.key_results.len()
                            ),
                            format!(
                                "Das Objective {} hat {}; die Regeln des Zyklus erlauben \
                                 höchstens {max}.",
                                Self::objective_name(c, *objective, Lang::De),
                                Lang::De.count(
                                    o.key_results.len() as u64,
                                    ("", ""),
                                    ("Key Result", "Key Results")
                                )
                            ),
                        ),
                    ));
                }
                Ok(vec![EventBody::KeyResultAdded {
                    cycle: c.id,
                    objective: *objective,
                    key_result: *key_result,
                    title: title.trim().to_string(),
                    kind: kind.clone(),
                    weight: *weight,
                    owner: *owner,
                }])
            }
            C::ReviseKeyResult { key_result, patch } => {
                let (c, o, _) = self.key_result(*key_result, None)?;
                open_objective(o)?;
                let patch = self.kr_patch(patch)?;
                Ok(vec![EventBody::KeyResultRevised {
                    cycle: c.id,
                    key_result: *key_result,
                    patch,
                }])
            }
            C::RemoveKeyResult { key_result } => {
                let (c, o, _) = self.key_result(*key_result, None)?;
                open_objective(o)?;
                Ok(vec![EventBody::KeyResultRemoved {
                    cycle: c.id,
                    key_result: *key_result,
                }])
            }
            C::AmendKeyResult {
                key_result,
                patch,
                reason,
            } => {
                let (c, o, _) = self.key_result(*key_result, None)?;
                open_objective(o)?;
                let reason = reason_of(
                    reason,
                    (
                        "amending a key result while running",
                        "Die Änderung eines Key Results im laufenden Zyklus",
                    ),
                )?;
                let patch = self.kr_patch(patch)?;
                Ok(vec![EventBody::KeyResultAmended {
                    cycle: c.id,
                    key_result: *key_result,
                    patch,
                    reason,
                }])
            }
            C::CheckIn {
                key_result,
                value,
                confidence,
                note,
                effective_at,
            } => {
                let (c, o, k) = self.key_result(*key_result, None)?;
                // Special::CheckIn: the owner may, anybody else needs Edit.
                if k.owner != Some(self.env.actor) {
                    self.may(Right::Edit, o.unit)?;
                }
                if o.status == ObjectiveStatus::Dropped {
                    return Err(dropped(
                        &Self::objective_name(c, o.id, Lang::En),
                        &Self::objective_name(c, o.id, Lang::De),
                    ));
                }
                finite("value", *value)?;
                if matches!(k.kind, KrKind::Milestone) && *value != 0.0 && *value != 1.0 {
                    return Err(Rejection::field(
                        "value",
                        Text::new(
                            format!("a milestone is 0 (open) or 1 (done), got {value}"),
                            format!(
                                "Ein Meilenstein ist 0 (offen) oder 1 (erreicht), angegeben ist {}.",
                                i18n::number(*value, Lang::De)
                            ),
                        ),
                    ));
                }
                if *confidence > 10 {
                    return Err(Rejection::rule(
                        Rule::ConfidenceRange,
                        Text::new(
                            format!("confidence must lie in 0..=10, got {confidence}"),
                            format!(
                                "Die Zuversicht muss zwischen 0 und 10 liegen, angegeben ist \
                                 {confidence}."
                            ),
                        ),
                    ));
                }
                let eff = effective_at.unwrap_or(self.env.at);
                let start = c.start.and_time(chrono::NaiveTime::MIN).and_utc();
                if eff > self.env.at || eff < start {
                    return Err(Rejection::rule(
                        Rule::EffectiveAtInRange,
                        Text::new(
                            format!(
                                "effective_at {eff} must lie between the cycle start {start} and the check-in time {}",
                                self.env.at
                            ),
                            format!(
                                "Der Stichtag (`effective_at`) {} UTC muss zwischen dem Beginn \
                                 des Zyklus am {} und dem Zeitpunkt des Check-ins {} UTC liegen.",
                                Lang::De.date_time(eff),
                                Lang::De.date(c.start),
                                Lang::De.date_time(self.env.at)
                            ),
                        ),
                    ));
                }
                Ok(vec![EventBody::CheckedIn {
                    cycle: c.id,
                    key_result: *key_result,
                    value: *value,
                    confidence: *confidence,
                    note: note.trim().to_string(),
                    effective_at: eff,
                }])
            }
            _ => unreachable!("`{}` is not a key result command", body.name()),
        }
    }

    fn kr_patch(&self, patch: &KeyResultPatch) -> Result<KeyResultPatch, Rejection> {
        let mut p = patch.clone();
        p.title = patch_basics(patch.is_empty(), &patch.title, patch.weight)?;
        if let Some(k) = &patch.kind {
            validate_kind("patch.kind", k)?;
        }
        if let Some(o) = patch.owner {
            self.person(o, "patch.owner")?;
        }
        Ok(p)
    }
}

fn validate_kind(field: &str, kind: &KrKind) -> Result<(), Rejection> {
    match kind {
        KrKind::Increase {
            baseline, target, ..
        } => {
            finite(&format!("{field}.target"), *target)?;
            if let Some(b) = baseline {
                finite(&format!("{field}.baseline"), *b)?;
            }
            let b = baseline.unwrap_or(0.0);
            if *target <= b {
                return Err(Rejection::rule(
                    Rule::BaselineNotTarget,
                    Text::new(
                        format!("an increase needs its target above the baseline: baseline {b}, target {target}"),
                        format!(
                            "Bei einer Steigerung muss der Zielwert über dem Ausgangswert liegen: \
                             Ausgangswert {}, Zielwert {}.",
                            i18n::number(b, Lang::De),
                            i18n::number(*target, Lang::De)
                        ),
                    ),
                ));
            }
        }
        KrKind::Decrease {
            baseline, target, ..
        } => {
            finite(&format!("{field}.target"), *target)?;
            let Some(b) = baseline else {
                return Err(Rejection::rule(
                    Rule::DecreaseNeedsBaseline,
                    Text::new(
                        format!("{field}.baseline is missing"),
                        format!(
                            "Das Feld `{field}.baseline` fehlt; eine Senkung braucht einen \
                             Ausgangswert."
                        ),
                    ),
                ));
            };
            finite(&format!("{field}.baseline"), *b)?;
            if *target >= *b {
                return Err(Rejection::rule(
                    Rule::BaselineNotTarget,
                    Text::new(
                        format!("a decrease needs its target below the baseline: baseline {b}, target {target}"),
                        format!(
                            "Bei einer Senkung muss der Zielwert unter dem Ausgangswert liegen: \
                             Ausgangswert {}, Zielwert {}.",
                            i18n::number(*b, Lang::De),
                            i18n::number(*target, Lang::De)
                        ),
                    ),
                ));
            }
        }
        KrKind::Threshold { value, .. } => finite(&format!("{field}.value"), *value)?,
        KrKind::Milestone => {}
    }
    Ok(())
}
