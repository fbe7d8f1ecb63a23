//! Handlers of the review and retrospective commands: scores, review notes, retro items
//! and actions.

use super::fields::{reason_of, score_ppm, text};
use super::{Bodies, Ctx};
use crate::command::CommandBody;
use crate::cycle::Phase;
use crate::event::EventBody;
use crate::i18n::{Lang, Text};
use crate::ids::EntityKind;
use crate::rejection::{Rejection, Rule};

impl Ctx<'_> {
    /// The review and retrospective commands, after the rules table admitted them.
    pub(super) fn review(&self, body: &CommandBody) -> Bodies {
        use CommandBody as C;
        match body {
            C::OverrideScore {
                key_result,
                score,
                reason,
            } => {
                let (c, _, _) = self.key_result(*key_result, None)?;
                let score_ppm = score_ppm("score", *score)?;
                let reason = reason_of(
                    reason,
                    (
                        "overriding a computed score",
                        "Das Überschreiben einer berechneten Bewertung",
                    ),
                )?;
                Ok(vec![EventBody::ScoreOverridden {
                    cycle: c.id,
                    key_result: *key_result,
                    score_ppm,
                    reason,
                }])
            }
            C::CorrectScore {
                key_result,
                score,
                reason,
            } => {
                let (c, _, _) = self.key_result(*key_result, None)?;
                let score_ppm = score_ppm("score", *score)?;
                let reason = reason_of(
                    reason,
                    (
                        "correcting a closed cycle",
                        "Die Korrektur eines abgeschlossenen Zyklus",
                    ),
                )?;
                Ok(vec![EventBody::ScoreCorrected {
                    cycle: c.id,
                    key_result: *key_result,
                    score_ppm,
                    reason,
                }])
            }
            C::AddReviewNote { cycle, text: t } => {
                text("text", t)?;
                Ok(vec![EventBody::ReviewNoteAdded {
                    cycle: *cycle,
                    text: t.trim().to_string(),
                }])
            }
            C::AddRetroItem {
                cycle,
                item,
                kind,
                text: t,
            } => {
                text("text", t)?;
                Ok(vec![EventBody::RetroItemAdded {
                    cycle: *cycle,
                    item: *item,
                    kind: *kind,
                    text: t.trim().to_string(),
                }])
            }
            C::AddRetroAction {
                cycle,
                action,
                text: t,
                owner,
                item,
            } => {
                let c = self.cycle(*cycle, None)?;
                text("text", t)?;
                self.person(*owner, "owner")?;
                if let Some(i) = item {
                    if !c.retro_items.contains_key(i) {
                        return Err(Rejection::unknown(EntityKind::RetroItem, i));
                    }
                }
                Ok(vec![EventBody::RetroActionAdded {
                    cycle: *cycle,
                    action: *action,
                    text: t.trim().to_string(),
                    owner: *owner,
                    item: *item,
                }])
            }
            C::FollowUpRetroAction {
                cycle,
                action,
                done,
            } => {
                let later = self.cycle(*cycle, None)?;
                let of = match self.s.locate(action.0) {
                    Some((EntityKind::RetroAction, Some(of))) => self.cycle(of, None)?,
                    _ => return Err(Rejection::unknown(EntityKind::RetroAction, action)),
                };
                let a = of
                    .retro_actions
                    .get(action)
                    .ok_or_else(|| Rejection::unknown(EntityKind::RetroAction, action))?;
                if of.phase != Phase::Closed {
                    return Err(Rejection::rule(
                        Rule::FollowUpLaterCycle,
                        Text::new(
                            format!(
                                "retro action {action} belongs to cycle {} ({}), which is {}, \
                                 not closed",
                                of.name, of.id, of.phase
                            ),
                            format!(
                                "Die Retro-Maßnahme „{}“ ({action}) gehört zum Zyklus {} ({}), \
                                 der in der Phase „{}“ und noch nicht abgeschlossen ist.",
                                a.text,
                                of.name,
                                of.id,
                                Lang::De.term(&of.phase.to_string())
                            ),
                        ),
                    ));
                }
                if of.id == later.id || later.start <= of.start {
                    return Err(Rejection::rule(
                        Rule::FollowUpLaterCycle,
                        Text::new(
                            format!(
                                "cycle {} ({}) does not start after cycle {} ({}) of retro \
                                 action {action}",
                                later.name, later.id, of.name, of.id
                            ),
                            format!(
                                "Der Zyklus {} ({}) beginnt nicht nach dem Zyklus {} ({}) der \
                                 Retro-Maßnahme „{}“ ({action}).",
                                later.name, later.id, of.name, of.id, a.text
                            ),
                        ),
                    ));
                }
                if let Some(f) = &a.follow_up {
                    return Err(Rejection::rule(
                        Rule::FollowUpOnce,
                        Text::new(
                            format!(
                                "retro action {action} is followed up already, in cycle {}",
                                f.cycle
                            ),
                            format!(
                                "Die Retro-Maßnahme „{}“ ({action}) wurde bereits nachverfolgt, \
                                 im Zyklus {}.",
                                a.text,
                                self.s
                                    .cycles
                                    .get(&f.cycle)
                                    .map_or(f.cycle.to_string(), |fc| {
                                        format!("{} ({})", fc.name, f.cycle)
                                    })
                            ),
                        ),
                    ));
                }
                Ok(vec![EventBody::RetroActionFollowedUp {
                    cycle: *cycle,
                    action: *action,
                    of_cycle: of.id,
                    done: *done,
                }])
            }
            _ => unreachable!("`{}` is not a review command", body.name()),
        }
    }
}
