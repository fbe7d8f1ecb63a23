//! Handlers of the objective commands: drafting, revising, aligning, committing, dropping,
//! amending and carrying over objectives.

use super::fields::{optional_text, patch_basics, positive_weight, reason_of, text};
use super::{Bodies, Ctx};
use crate::command::CommandBody;
use crate::cycle::{Cycle, Phase};
use crate::event::EventBody;
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
                let reason = reason_of(reason, "amending an objective while running")?;
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
                    return Err(Rejection::unknown(
                        EntityKind::Objective,
                        format!("{parent} (no alignment link from {objective})"),
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
                    return Err(Rejection::unknown(
                        EntityKind::Objective,
                        format!("{depends_on} (no dependency link from {objective})"),
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
                        "dropping an objective while running",
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
                format!(
                    "objective {} cannot align to itself",
                    Self::objective_name(c, objective)
                ),
            ));
        }
        let Some(p_cycle) = self.s.cycle_of(EntityKind::Objective, parent.0) else {
            return Err(Rejection::unknown(EntityKind::Objective, parent));
        };
        if p_cycle != c.id {
            return Err(Rejection::rule(
                Rule::AlignSameCycle,
                format!(
                    "objective {} is in cycle {} ({}), {} in cycle {}",
                    Self::objective_name(c, objective),
                    c.name,
                    c.id,
                    self.s
                        .cycles
                        .get(&p_cycle)
                        .map_or(parent.to_string(), |pc| Self::objective_name(pc, parent)),
                    self.s
                        .cycles
                        .get(&p_cycle)
                        .map_or(p_cycle.to_string(), |pc| format!("{} ({p_cycle})", pc.name)),
                ),
            ));
        }
        let Some(p) = c.objectives.get(&parent) else {
            return Err(Rejection::unknown(EntityKind::Objective, parent));
        };
        open_objective(p)?;
        if let Some(path) = path_up(c, parent, objective) {
            // Titles for the people who read the refusal, ids to tell equal titles apart.
            let name = |o: &ObjectiveId| match c.objectives.get(o) {
                Some(found) => format!("\"{}\" ({o})", found.text.title),
                None => o.to_string(),
            };
            let mut names: Vec<String> = vec![name(&objective)];
            names.extend(path.iter().map(name));
            return Err(Rejection::rule(
                Rule::AlignmentAcyclic,
                format!("aligning would close the loop {}", names.join(" → ")),
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
                    format!("objective {objective} is {s:?}, not a draft").to_lowercase(),
                ))
            }
        }
        if o.key_results.is_empty() {
            return Err(Rejection::rule(
                Rule::CommitNeedsKeyResult,
                format!("objective {objective} has no key result"),
            ));
        }
        if c.policy.cross_unit_approval && o.approved_by.is_none() && self.s.is_cross_unit(c, o) {
            return Err(Rejection::rule(
                Rule::CrossUnitApproval,
                format!(
                    "objective \"{}\" ({objective}) spans units; the policy of cycle {} \
                     wants a steering committee to approve it before it is committed",
                    o.text.title, c.name
                ),
            ));
        }
        let max = c.policy.max_committed_objectives_per_unit;
        let n = c.committed_per_unit.get(&o.unit).copied().unwrap_or(0);
        if n >= max {
            return Err(Rejection::rule(
                Rule::MaxCommittedObjectives,
                format!(
                    "unit {} has {n} committed objectives in cycle {}; the policy allows {max}",
                    o.unit, c.name
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
                format!(
                    "objective \"{}\" ({objective}) was approved already, by {}",
                    o.text.title,
                    self.unit_name(by)
                ),
            ));
        }
        if !self.s.is_cross_unit(c, o) {
            return Err(Rejection::rule(
                Rule::CrossUnitApproval,
                format!(
                    "objective \"{}\" ({objective}) concerns {} alone; a steering committee \
                     approves cross-unit objectives only",
                    o.text.title,
                    self.unit_name(o.unit)
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
        let name = |id: &ObjectiveId| match c.objectives.get(id) {
            Some(found) => format!("\"{}\" ({id})", found.text.title),
            None => id.to_string(),
        };
        if d_cycle != c.id {
            return Err(Rejection::rule(
                Rule::DependencyOtherUnit,
                format!(
                    "objective {} is in cycle {}, {depends_on} in cycle {d_cycle}",
                    name(&objective),
                    c.name
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
                format!(
                    "objectives {} and {} both belong to {}; a dependency links objectives of \
                     different units",
                    name(&objective),
                    name(&depends_on),
                    self.unit_name(o.unit)
                ),
            ));
        }
        if o.depends_on.contains(&depends_on) {
            return Err(Rejection::rule(
                Rule::DependencyOtherUnit,
                format!(
                    "objective {} depends on {} already",
                    name(&objective),
                    name(&depends_on)
                ),
            ));
        }
        if let Some(path) = dependency_path(c, depends_on, objective) {
            let mut names: Vec<String> = vec![name(&objective)];
            names.extend(path.iter().map(name));
            return Err(Rejection::rule(
                Rule::DependencyAcyclic,
                format!("the dependency would close the loop {}", names.join(" → ")),
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
                format!("objective {objective} was dropped"),
            ));
        }
        if let Some(to) = o.carried_to {
            return Err(Rejection::rule(
                Rule::CarryOnce,
                format!("objective {objective} was carried over already, as {to}"),
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
                format!(
                    "cycle {} (starts {}, phase {}) is not a later cycle in planning than {} (starts {})",
                    to.name, to.start, to.phase, from.name, from.start
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
        Err(Rejection::rule(
            Rule::ObjectiveOpen,
            format!("objective \"{}\" ({}) was dropped", o.text.title, o.id),
        ))
    } else {
        Ok(())
    }
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
