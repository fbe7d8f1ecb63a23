//! Handlers of the objective commands: drafting, revising, aligning, committing, dropping,
//! amending and carrying over objectives.

use super::fields::{optional_text, patch_basics, positive_weight, reason_of, text};
use super::{quoted, Bodies, Ctx};
use crate::command::CommandBody;
use crate::cycle::{Cycle, Phase};
use crate::event::EventBody;
use crate::i18n::{Lang, Text};
use crate::ids::{CycleId, EntityKind, ObjectiveId, UnitId};
use crate::objective::{Objective, ObjectivePatch, ObjectiveStatus, ObjectiveText};
use crate::rejection::{Rejection, Rule};

impl Ctx<'_> {
    /// The objective commands, after the rules table admitted them.
    pub(super) fn objective_command(&self, body: &CommandBody) -> Bodies {
        use CommandBody as C;
        match body {
            C::DraftObjective {
                cycle,
                objective,
                unit,
                title,
                beneficiary,
                change,
                value,
                kind,
                weight,
            } => {
                text("title", title)?;
                positive_weight("weight", *weight)?;
                Ok(vec![EventBody::ObjectiveDrafted {
                    cycle: *cycle,
                    objective: *objective,
                    unit: *unit,
                    text: ObjectiveText {
                        title: title.trim().into(),
                        beneficiary: optional_text(beneficiary).map(Into::into),
                        change: optional_text(change).map(Into::into),
                        value: optional_text(value).map(Into::into),
                    },
                    kind: *kind,
                    weight: *weight,
                }])
            }
            C::ReviseObjective { objective, patch } => {
                let (c, o) = self.objective(*objective, None)?;
                open_objective(o)?;
                let patch = objective_patch(patch)?;
                Ok(vec![EventBody::ObjectiveRevised {
                    cycle: c.id,
                    objective: *objective,
                    patch,
                }])
            }
            C::AmendObjective {
                objective,
                patch,
                reason,
            } => {
                let (c, o) = self.objective(*objective, None)?;
                open_objective(o)?;
                let reason = reason_of(
                    reason,
                    (
                        "amending an objective while running",
                        "Die Änderung eines Objectives im laufenden Zyklus",
                    ),
                )?;
                let patch = objective_patch(patch)?;
                Ok(vec![EventBody::ObjectiveAmended {
                    cycle: c.id,
                    objective: *objective,
                    patch,
                    reason,
                }])
            }
            C::AlignObjective {
                objective,
                parent,
                contribution,
            } => self.align(*objective, *parent, *contribution),
            C::UnalignObjective { objective, parent } => {
                let (c, o) = self.objective(*objective, None)?;
                if !o.aligned_to.contains_key(parent) {
                    return Err(Rejection::unknown_text(
                        EntityKind::Objective,
                        Text::new(
                            format!("{parent} (no alignment link from {objective})"),
                            format!("{parent} (als Ausrichtung von {objective})"),
                        ),
                    ));
                }
                Ok(vec![EventBody::ObjectiveUnaligned {
                    cycle: c.id,
                    objective: *objective,
                    parent: *parent,
                }])
            }
            C::CommitObjective { objective } => self.commit(*objective),
            C::ApproveObjective {
                objective,
                committee,
            } => self.approve(*objective, *committee),
            C::LinkDependency {
                objective,
                depends_on,
            } => self.link_dependency(*objective, *depends_on),
            C::UnlinkDependency {
                objective,
                depends_on,
            } => {
                let (c, o) = self.objective(*objective, None)?;
                if !o.depends_on.contains(depends_on) {
                    return Err(Rejection::unknown_text(
                        EntityKind::Objective,
                        Text::new(
                            format!("{depends_on} (no dependency link from {objective})"),
                            format!("{depends_on} (als Abhängigkeit von {objective})"),
                        ),
                    ));
                }
                Ok(vec![EventBody::DependencyUnlinked {
                    cycle: c.id,
                    objective: *objective,
                    depends_on: *depends_on,
                }])
            }
            C::DropObjective { objective, reason } => {
                let (c, o) = self.objective(*objective, None)?;
                open_objective(o)?;
                let reason = if c.phase == Phase::Running {
                    Some(reason_of(
                        reason.as_deref().unwrap_or(""),
                        (
                            "dropping an objective while running",
                            "Das Verwerfen eines Objectives im laufenden Zyklus",
                        ),
                    )?)
                } else {
                    optional_text(reason)
                };
                Ok(vec![EventBody::ObjectiveDropped {
                    cycle: c.id,
                    objective: *objective,
                    reason,
                }])
            }
            C::CarryOver {
                objective,
                to_cycle,
                new_objective,
            } => self.carry_over(*objective, *to_cycle, *new_objective),
            _ => unreachable!("`{}` is not an objective command", body.name()),
        }
    }

    fn align(&self, objective: ObjectiveId, parent: ObjectiveId, contribution: u32) -> Bodies {
        let (c, o) = self.objective(objective, None)?;
        open_objective(o)?;
        if parent == objective {
            return Err(Rejection::rule(
                Rule::AlignNotSelf,
                Text::new(
                    format!(
                        "objective {} cannot align to itself",
                        Self::objective_name(c, objective, Lang::En)
                    ),
                    format!(
                        "Das Objective {} kann nicht auf sich selbst ausgerichtet werden.",
                        Self::objective_name(c, objective, Lang::De)
                    ),
                ),
            ));
        }
        let Some(p_cycle) = self.s.cycle_of(EntityKind::Objective, parent.0) else {
            return Err(Rejection::unknown(EntityKind::Objective, parent));
        };
        if p_cycle != c.id {
            let parent_cycle = self.s.cycles.get(&p_cycle);
            let parent_name = |lang| {
                parent_cycle.map_or(parent.to_string(), |pc| {
                    Self::objective_name(pc, parent, lang)
                })
            };
            let parent_cycle_name =
                parent_cycle.map_or(p_cycle.to_string(), |pc| format!("{} ({p_cycle})", pc.name));
            return Err(Rejection::rule(
                Rule::AlignSameCycle,
                Text::new(
                    format!(
                        "objective {} is in cycle {} ({}), {} in cycle {parent_cycle_name}",
                        Self::objective_name(c, objective, Lang::En),
                        c.name,
                        c.id,
                        parent_name(Lang::En),
                    ),
                    format!(
                        "Das Objective {} gehört zum Zyklus {} ({}), {} zum Zyklus \
                         {parent_cycle_name}; eine Ausrichtung verbindet Objectives desselben \
                         Zyklus.",
                        Self::objective_name(c, objective, Lang::De),
                        c.name,
                        c.id,
                        parent_name(Lang::De),
                    ),
                ),
            ));
        }
        let Some(p) = c.objectives.get(&parent) else {
            return Err(Rejection::unknown(EntityKind::Objective, parent));
        };
        open_objective(p)?;
        if let Some(path) = path_up(c, parent, objective) {
            // Titles for the people who read the refusal, ids to tell equal titles apart.
            let names = |lang| loop_of(c, objective, &path, lang);
            return Err(Rejection::rule(
                Rule::AlignmentAcyclic,
                Text::new(
                    format!("aligning would close the loop {}", names(Lang::En)),
                    format!(
                        "Die Ausrichtung würde den Kreis {} schließen.",
                        names(Lang::De)
                    ),
                ),
            ));
        }
        Ok(vec![EventBody::ObjectiveAligned {
            cycle: c.id,
            objective,
            parent,
            contribution,
        }])
    }

    fn commit(&self, objective: ObjectiveId) -> Bodies {
        let (c, o) = self.objective(objective, None)?;
        match o.status {
            ObjectiveStatus::Draft => {}
            s => {
                return Err(Rejection::rule(
                    Rule::ObjectiveOpen,
                    Text::new(
                        format!("objective {objective} is {s:?}, not a draft").to_lowercase(),
                        format!(
                            "Das Objective {objective} ist {}, kein Entwurf; zusagen lässt sich \
                             nur ein Entwurf.",
                            Lang::De.status(&format!("{s:?}").to_lowercase())
                        ),
                    ),
                ))
            }
        }
        if o.key_results.is_empty() {
            return Err(Rejection::rule(
                Rule::CommitNeedsKeyResult,
                Text::new(
                    format!("objective {objective} has no key result"),
                    format!(
                        "Das Objective {} hat kein Key Result; fügen Sie vor der Zusage \
                         mindestens eines hinzu.",
                        quoted(&o.text.title, objective, Lang::De)
                    ),
                ),
            ));
        }
        if c.policy.cross_unit_approval && o.approved_by.is_none() && self.s.is_cross_unit(c, o) {
            return Err(Rejection::rule(
                Rule::CrossUnitApproval,
                Text::new(
                    format!(
                        "objective \"{}\" ({objective}) spans units; the policy of cycle {} \
                         wants a steering committee to approve it before it is committed",
                        o.text.title, c.name
                    ),
                    format!(
                        "Das Objective {} betrifft mehrere Einheiten; nach den Regeln des \
                         Zyklus {} muss ein Lenkungsausschuss es vor der Zusage freigeben.",
                        quoted(&o.text.title, objective, Lang::De),
                        c.name
                    ),
                ),
            ));
        }
        let max = c.policy.max_committed_objectives_per_unit;
        let n = c.committed_per_unit.get(&o.unit).copied().unwrap_or(0);
        if n >= max {
            return Err(Rejection::rule(
                Rule::MaxCommittedObjectives,
                Text::new(
                    format!(
                        "unit {} has {n} committed objectives in cycle {}; the policy allows {max}",
                        o.unit, c.name
                    ),
                    format!(
                        "Die Einheit {} hat im Zyklus {} schon {}; die Regeln des Zyklus \
                         erlauben höchstens {max}.",
                        self.unit_name(o.unit),
                        c.name,
                        Lang::De.count(
                            u64::from(n),
                            ("", ""),
                            ("zugesagtes Objective", "zugesagte Objectives")
                        )
                    ),
                ),
            ));
        }
        Ok(vec![EventBody::ObjectiveCommitted {
            cycle: c.id,
            objective,
        }])
    }

    fn approve(&self, objective: ObjectiveId, committee: UnitId) -> Bodies {
        let (c, o) = self.objective(objective, None)?;
        open_objective(o)?;
        if let Some(by) = o.approved_by {
            return Err(Rejection::rule(
                Rule::CrossUnitApproval,
                Text::new(
                    format!(
                        "objective \"{}\" ({objective}) was approved already, by {}",
                        o.text.title,
                        self.unit_name(by)
                    ),
                    format!(
                        "Das Objective {} wurde bereits freigegeben, durch {}.",
                        quoted(&o.text.title, objective, Lang::De),
                        self.unit_name(by)
                    ),
                ),
            ));
        }
        if !self.s.is_cross_unit(c, o) {
            return Err(Rejection::rule(
                Rule::CrossUnitApproval,
                Text::new(
                    format!(
                        "objective \"{}\" ({objective}) concerns {} alone; a steering committee \
                         approves cross-unit objectives only",
                        o.text.title,
                        self.unit_name(o.unit)
                    ),
                    format!(
                        "Das Objective {} betrifft nur {}; ein Lenkungsausschuss gibt nur \
                         einheitenübergreifende Objectives frei.",
                        quoted(&o.text.title, objective, Lang::De),
                        self.unit_name(o.unit)
                    ),
                ),
            ));
        }
        Ok(vec![EventBody::ObjectiveApproved {
            cycle: c.id,
            objective,
            committee,
        }])
    }

    fn link_dependency(&self, objective: ObjectiveId, depends_on: ObjectiveId) -> Bodies {
        let (c, o) = self.objective(objective, None)?;
        open_objective(o)?;
        let Some(d_cycle) = self.s.cycle_of(EntityKind::Objective, depends_on.0) else {
            return Err(Rejection::unknown(EntityKind::Objective, depends_on));
        };
        let name = |id: ObjectiveId, lang| Self::objective_name(c, id, lang);
        if d_cycle != c.id {
            return Err(Rejection::rule(
                Rule::DependencyOtherUnit,
                Text::new(
                    format!(
                        "objective {} is in cycle {}, {depends_on} in cycle {d_cycle}",
                        name(objective, Lang::En),
                        c.name
                    ),
                    format!(
                        "Das Objective {} gehört zum Zyklus {}, {depends_on} zum Zyklus \
                         {d_cycle}; eine Abhängigkeit verbindet Objectives desselben Zyklus.",
                        name(objective, Lang::De),
                        c.name
                    ),
                ),
            ));
        }
        let Some(d) = c.objectives.get(&depends_on) else {
            return Err(Rejection::unknown(EntityKind::Objective, depends_on));
        };
        open_objective(d)?;
        if d.unit == o.unit {
            return Err(Rejection::rule(
                Rule::DependencyOtherUnit,
                Text::new(
                    format!(
                        "objectives {} and {} both belong to {}; a dependency links objectives of \
                         different units",
                        name(objective, Lang::En),
                        name(depends_on, Lang::En),
                        self.unit_name(o.unit)
                    ),
                    format!(
                        "Die Objectives {} und {} gehören beide zu {}; eine Abhängigkeit \
                         verbindet Objectives verschiedener Einheiten.",
                        name(objective, Lang::De),
                        name(depends_on, Lang::De),
                        self.unit_name(o.unit)
                    ),
                ),
            ));
        }
        if o.depends_on.contains(&depends_on) {
            return Err(Rejection::rule(
                Rule::DependencyOtherUnit,
                Text::new(
                    format!(
                        "objective {} depends on {} already",
                        name(objective, Lang::En),
                        name(depends_on, Lang::En)
                    ),
                    format!(
                        "Das Objective {} hängt bereits von {} ab.",
                        name(objective, Lang::De),
                        name(depends_on, Lang::De)
                    ),
                ),
            ));
        }
        if let Some(path) = dependency_path(c, depends_on, objective) {
            let names = |lang| loop_of(c, objective, &path, lang);
            return Err(Rejection::rule(
                Rule::DependencyAcyclic,
                Text::new(
                    format!("the dependency would close the loop {}", names(Lang::En)),
                    format!(
                        "Die Abhängigkeit würde den Kreis {} schließen.",
                        names(Lang::De)
                    ),
                ),
            ));
        }
        Ok(vec![EventBody::DependencyLinked {
            cycle: c.id,
            objective,
            depends_on,
        }])
    }

    fn carry_over(
        &self,
        objective: ObjectiveId,
        to_cycle: CycleId,
        new_objective: ObjectiveId,
    ) -> Bodies {
        let (from, o) = self.objective(objective, None)?;
        self.fresh(new_objective.0)?;
        if o.status == ObjectiveStatus::Dropped {
            return Err(Rejection::rule(
                Rule::CarryOnce,
                Text::new(
                    format!("objective {objective} was dropped"),
                    format!(
                        "Das Objective {} wurde verworfen; ein verworfenes Objective wird nicht \
                         übernommen.",
                        quoted(&o.text.title, objective, Lang::De)
                    ),
                ),
            ));
        }
        if let Some(to) = o.carried_to {
            return Err(Rejection::rule(
                Rule::CarryOnce,
                Text::new(
                    format!("objective {objective} was carried over already, as {to}"),
                    format!(
                        "Das Objective {} wurde bereits übernommen, als {to}.",
                        quoted(&o.text.title, objective, Lang::De)
                    ),
                ),
            ));
        }
        let to = self
            .s
            .cycles
            .get(&to_cycle)
            .ok_or_else(|| Rejection::unknown(EntityKind::Cycle, to_cycle))?;
        if to.start <= from.start || to.phase != Phase::Planning {
            return Err(Rejection::rule(
                Rule::CarryToLaterCycle,
                Text::new(
                    format!(
                        "cycle {} (starts {}, phase {}) is not a later cycle in planning than {} (starts {})",
                        to.name, to.start, to.phase, from.name, from.start
                    ),
                    format!(
                        "Der Zyklus {} (Beginn {}, Phase „{}“) ist kein späterer Zyklus in \
                         Planung als {} (Beginn {}).",
                        to.name,
                        Lang::De.date(to.start),
                        Lang::De.term(&to.phase.to_string()),
                        from.name,
                        Lang::De.date(from.start)
                    ),
                ),
            ));
        }
        self.active_unit(o.unit)?;
        Ok(vec![EventBody::ObjectiveCarriedOver {
            cycle: to_cycle,
            objective: new_objective,
            from_cycle: from.id,
            from_objective: objective,
            unit: o.unit,
            text: o.text.clone(),
            kind: o.kind,
            weight: o.weight,
        }])
    }
}

/// A loop of objectives for a refusal: `objective` and then `path`, by title in `lang`.
fn loop_of(c: &Cycle, objective: ObjectiveId, path: &[ObjectiveId], lang: Lang) -> String {
    std::iter::once(&objective)
        .chain(path)
        .map(|o| Ctx::objective_name(c, *o, lang))
        .collect::<Vec<_>>()
        .join(" → ")
}

/// Follows alignment links up from `from`; returns the path to `to` if there is one.
fn path_up(c: &Cycle, from: ObjectiveId, to: ObjectiveId) -> Option<Vec<ObjectiveId>> {
    let mut stack = vec![(from, vec![from])];
    let mut seen = std::collections::BTreeSet::new();
    while let Some((cur, path)) = stack.pop() {
        if cur == to {
            return Some(path);
        }
        if !seen.insert(cur) {
            continue;
        }
        if let Some(o) = c.objectives.get(&cur) {
            for next in o.aligned_to.keys() {
                let mut p = path.clone();
                p.push(*next);
                stack.push((*next, p));
            }
        }
    }
    None
}

/// Follows dependency links from `from`; returns the path to `to` if there is one.
fn dependency_path(c: &Cycle, from: ObjectiveId, to: ObjectiveId) -> Option<Vec<ObjectiveId>> {
    let mut stack = vec![(from, vec![from])];
    let mut seen = std::collections::BTreeSet::new();
    while let Some((cur, path)) = stack.pop() {
        if cur == to {
            return Some(path);
        }
        if !seen.insert(cur) {
            continue;
        }
        if let Some(o) = c.objectives.get(&cur) {
            for next in o.depends_on.iter() {
                let mut p = path.clone();
                p.push(*next);
                stack.push((*next, p));
            }
        }
    }
    None
}

pub(super) fn open_objective(o: &Objective) -> Result<(), Rejection> {
    if o.status == ObjectiveStatus::Dropped {
        Err(dropped(
            &quoted(&o.text.title, o.id, Lang::En),
            &quoted(&o.text.title, o.id, Lang::De),
        ))
    } else {
        Ok(())
    }
}

/// The refusal of a change to a dropped objective, named in English and German.
pub(super) fn dropped(en: &str, de: &str) -> Rejection {
    Rejection::rule(
        Rule::ObjectiveOpen,
        Text::new(
            format!("objective {en} was dropped"),
            format!("Das Objective {de} wurde verworfen und ändert sich nicht mehr."),
        ),
    )
}

fn objective_patch(patch: &ObjectivePatch) -> Result<ObjectivePatch, Rejection> {
    let mut p = patch.clone();
    p.title = patch_basics(patch.is_empty(), &patch.title, patch.weight)?;
    for (name, v) in [
        ("patch.beneficiary", &patch.beneficiary),
        ("patch.change", &patch.change),
        ("patch.value", &patch.value),
    ] {
        if let Some(v) = v {
            text(name, v)?;
        }
    }
    p.beneficiary = optional_text(&patch.beneficiary);
    p.change = optional_text(&patch.change);
    p.value = optional_text(&patch.value);
    Ok(p)
}
