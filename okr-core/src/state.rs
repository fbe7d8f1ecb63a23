//! The state every event is folded into, and `evolve` ([`State::apply`]).

use crate::cycle::{Cycle, Phase};
use crate::event::{Event, EventBody};
use crate::ids::{
    CycleId, EntityKind, KeyResultId, KpiId, ObjectiveId, PersonId, StreamId, UnitId,
};
use crate::key_result::{CheckIn, CheckIns, KeyResult, KeyResultPatch};
use crate::kpi::{Kpi, KpiReading};
use crate::objective::{
    Alignments, Objective, ObjectiveKind, ObjectivePatch, ObjectiveStatus, ObjectiveText,
};
use crate::organisation::{Person, Role, Unit};
use crate::review::{RetroAction, RetroFollowUp, RetroItem};
use crate::weekly::{Agreement, Blocker, BlockerDecision, Initiative, InitiativeStatus};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use uuid::Uuid;

/// The number of [`Role`]s.
const ROLES: usize = 5;
const _: () = assert!(
    Role::Observer as usize + 1 == ROLES,
    "Observer is the last role"
);

/// Everything known: the organisation and every cycle.
///
/// State changes only through [`State::apply`], which never fails.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct State {
    /// Units by id.
    pub units: BTreeMap<UnitId, Unit>,
    /// People by id.
    pub people: BTreeMap<PersonId, Person>,
    /// Number of events in the organisation stream.
    pub org_version: u64,
    /// Cycles by id.
    pub cycles: BTreeMap<CycleId, Cycle>,
    /// The units' KPIs (Kennzahlen) by id: organisation facts, apart from the cycles.
    #[serde(default)]
    pub kpis: BTreeMap<KpiId, Kpi>,
    /// Which kind of entity, in which cycle, every agreement, blocker, initiative and retro
    /// id names. Objectives and key results are found through the cycles' maps instead,
    /// which already hash them by id: a cycle has many of them and an organisation few
    /// cycles.
    index: rustc_hash::FxHashMap<Uuid, (EntityKind, CycleId)>,
    /// In how many units each person holds each role, by [`Role`] in declaration order
    /// (derived from memberships, kept so that "anywhere" questions need no scan of the
    /// organisation).
    roles_held: BTreeMap<PersonId, [u32; ROLES]>,
    /// How many OkrMaster memberships exist (derived, like `roles_held`).
    okr_masters: u64,
}

impl State {
    /// The empty state every log is folded from.
    pub fn new() -> Self {
        Self::default()
    }

    /// Folds events into a new state.
    pub fn from_events<'a>(events: impl IntoIterator<Item = &'a Event>) -> Self {
        let mut s = State::new();
        for e in events {
            s.apply(e);
        }
        s
    }

    /// The number of events in a stream so far.
    pub fn stream_version(&self, stream: StreamId) -> u64 {
        match stream {
            StreamId::Organisation => self.org_version,
            StreamId::Cycle(c) => self.cycles.get(&c).map_or(0, |c| c.version),
        }
    }

    /// Which kind of entity an id names, and its cycle (for cycle-scoped entities).
    pub fn locate(&self, id: Uuid) -> Option<(EntityKind, Option<CycleId>)> {
        if let Some((k, c)) = self.index.get(&id) {
            return Some((*k, Some(*c)));
        }
        for (c, cycle) in &self.cycles {
            if cycle.objectives.contains_key(&ObjectiveId(id)) {
                return Some((EntityKind::Objective, Some(*c)));
            }
            if cycle.key_results.contains_key(&KeyResultId(id)) {
                return Some((EntityKind::KeyResult, Some(*c)));
            }
        }
        if self.units.contains_key(&UnitId(id)) {
            return Some((EntityKind::Unit, None));
        }
        if self.people.contains_key(&PersonId(id)) {
            return Some((EntityKind::Person, None));
        }
        if self.kpis.contains_key(&KpiId(id)) {
            return Some((EntityKind::Kpi, None));
        }
        if self.cycles.contains_key(&CycleId(id)) {
            return Some((EntityKind::Cycle, None));
        }
        None
    }

    /// The cycle an entity of a given kind belongs to, if the id names one.
    pub fn cycle_of(&self, kind: EntityKind, id: Uuid) -> Option<CycleId> {
        let in_cycles = |has: &dyn Fn(&Cycle) -> bool| {
            self.cycles.iter().find(|(_, c)| has(c)).map(|(id, _)| *id)
        };
        match kind {
            EntityKind::Objective => in_cycles(&|c| c.objectives.contains_key(&ObjectiveId(id))),
            EntityKind::KeyResult => in_cycles(&|c| c.key_results.contains_key(&KeyResultId(id))),
            _ => match self.index.get(&id) {
                Some((k, c)) if *k == kind => Some(*c),
                _ => None,
            },
        }
    }

    /// An objective by id.
    pub fn objective(&self, id: ObjectiveId) -> Option<&Objective> {
        let c = self.cycle_of(EntityKind::Objective, id.0)?;
        self.cycles.get(&c)?.objectives.get(&id)
    }

    /// A key result by id (removed ones included).
    pub fn key_result(&self, id: KeyResultId) -> Option<&KeyResult> {
        let c = self.cycle_of(EntityKind::KeyResult, id.0)?;
        self.cycles.get(&c)?.key_results.get(&id)
    }

    /// The chain of units from `unit` up to the root, `unit` first.
    pub fn ancestors(&self, unit: UnitId) -> Vec<UnitId> {
        let mut out = Vec::new();
        let mut cur = Some(unit);
        while let Some(u) = cur {
            if out.contains(&u) {
                break;
            }
            out.push(u);
            cur = self.units.get(&u).and_then(|x| x.parent);
        }
        out
    }

    /// Whether `person` holds `role` in `unit` or in a unit above it.
    pub fn has_role(&self, person: PersonId, unit: UnitId, role: Role) -> bool {
        self.ancestors(unit).iter().any(|u| {
            self.units
                .get(u)
                .and_then(|x| x.members.get(&person))
                .is_some_and(|roles| roles.contains(&role))
        })
    }

    /// Whether an objective of cycle `c` spans units: its unit has active units below it,
    /// or an open objective of another unit is aligned to it or depends on it. Such an
    /// objective is what a steering committee approves while planning.
    pub fn is_cross_unit(&self, c: &Cycle, o: &Objective) -> bool {
        let has_children = self
            .units
            .values()
            .any(|u| u.parent == Some(o.unit) && !u.retired);
        has_children
            || c.objectives.values().any(|other| {
                other.unit != o.unit
                    && other.status != ObjectiveStatus::Dropped
                    && (other.aligned_to.contains_key(&o.id) || other.depends_on.contains(&o.id))
            })
    }

    /// Whether `person` holds `role` in any unit.
    pub fn has_role_anywhere(&self, person: PersonId, role: Role) -> bool {
        self.roles_held
            .get(&person)
            .is_some_and(|r| r[role as usize] > 0)
    }

    /// Whether `person` holds any role but Observer in any unit.
    pub fn participates(&self, person: PersonId) -> bool {
        self.roles_held.get(&person).is_some_and(|r| {
            r.iter()
                .enumerate()
                .any(|(i, n)| i != Role::Observer as usize && *n > 0)
        })
    }

    /// How many OkrMaster memberships the organisation has.
    pub fn okr_master_count(&self) -> u64 {
        self.okr_masters
    }

    /// Evolve: applies one event. Never fails; an event that names something unknown
    /// changes nothing but the stream version.
    pub fn apply(&mut self, event: &Event) {
        match event.body.cycle() {
            None => self.org_version += 1,
            Some(c) => {
                if let Some(cy) = self.cycles.get_mut(&c) {
                    cy.version += 1;
                }
            }
        }
        let at = event.at;
        let by = event.by;
        match &event.body {
            EventBody::UnitDefined {
                unit,
                name,
                kind,
                parent,
            } => {
                self.units.insert(
                    *unit,
                    Unit {
                        id: *unit,
                        name: name.as_str().into(),
                        kind: *kind,
                        parent: *parent,
                        retired: false,
                        members: Default::default(),
                    },
                );
            }
            EventBody::UnitRenamed { unit, name } => {
                if let Some(u) = self.units.get_mut(unit) {
                    u.name = name.as_str().into();
                }
            }
            EventBody::UnitMoved { unit, parent } => {
                if let Some(u) = self.units.get_mut(unit) {
                    u.parent = Some(*parent);
                }
            }
            EventBody::UnitRetired { unit } => {
                if let Some(u) = self.units.get_mut(unit) {
                    u.retired = true;
                }
            }
            EventBody::PersonRegistered { person, name } => {
                let number = match self.people.get(person) {
                    Some(known) => known.number,
                    None => u32::try_from(self.people.len() + 1).unwrap_or(u32::MAX),
                };
                self.people.insert(
                    *person,
                    Person {
                        id: *person,
                        name: name.as_str().into(),
                        number,
                        forgotten: false,
                    },
                );
            }
            EventBody::PersonForgotten { person, .. } => {
                if let Some(p) = self.people.get_mut(person) {
                    p.name = crate::organisation::pseudonym(p.number).into();
                    p.forgotten = true;
                }
            }
            EventBody::MembershipGranted { unit, person, role } => {
                if let Some(u) = self.units.get_mut(unit) {
                    let mut roles = u.members.get(person).copied().unwrap_or_default();
                    if roles.insert(*role) {
                        u.members.insert(*person, roles);
                        if *role == Role::OkrMaster {
                            self.okr_masters += 1;
                        }
                        self.roles_held.entry(*person).or_default()[*role as usize] += 1;
                    }
                }
            }
            EventBody::MembershipRevoked { unit, person, role } => {
                if let Some(u) = self.units.get_mut(unit) {
                    if let Some(roles) = u.members.get_mut(person) {
                        if roles.remove(role) {
                            if *role == Role::OkrMaster {
                                self.okr_masters = self.okr_masters.saturating_sub(1);
                            }
                            if let Some(r) = self.roles_held.get_mut(person) {
                                let n = &mut r[*role as usize];
                                *n = n.saturating_sub(1);
                            }
                        }
                        if roles.is_empty() {
                            u.members.remove(person);
                        }
                    }
                }
            }
            EventBody::CyclePlanned {
                cycle,
                name,
                kind,
                start,
                end,
                check_in_weekday,
                policy,
            } => {
                self.cycles.insert(
                    *cycle,
                    Cycle {
                        id: *cycle,
                        name: name.clone(),
                        kind: *kind,
                        start: *start,
                        end: *end,
                        check_in_weekday: *check_in_weekday,
                        phase: Phase::Planning,
                        policy: policy.clone(),
                        version: 1,
                        early_review_reason: None,
                        cancel_reason: None,
                        objectives: Default::default(),
                        key_results: Default::default(),
                        agreements: BTreeMap::new(),
                        blockers: BTreeMap::new(),
                        initiatives: BTreeMap::new(),
                        manual_scores: BTreeMap::new(),
                        review_notes: Vec::new(),
                        retro_items: BTreeMap::new(),
                        retro_actions: BTreeMap::new(),
                        committed_per_unit: BTreeMap::new(),
                    },
                );
            }
            EventBody::PolicySet { cycle, policy } => {
                if let Some(c) = self.cycles.get_mut(cycle) {
                    c.policy = policy.clone();
                }
            }
            EventBody::CycleStarted { cycle } => {
                self.set_phase(*cycle, Phase::Running);
                if let Some(c) = self.cycles.get_mut(cycle) {
                    c.shrink_to_fit();
                }
            }
            EventBody::ReviewBegun {
                cycle,
                early_reason,
            } => {
                self.set_phase(*cycle, Phase::Review);
                if let Some(c) = self.cycles.get_mut(cycle) {
                    c.early_review_reason = early_reason.clone();
                }
            }
            EventBody::RetrospectiveBegun { cycle } => self.set_phase(*cycle, Phase::Retrospective),
            EventBody::CycleClosed { cycle } => self.set_phase(*cycle, Phase::Closed),
            EventBody::CycleCancelled { cycle, reason } => {
                self.set_phase(*cycle, Phase::Cancelled);
                if let Some(c) = self.cycles.get_mut(cycle) {
                    c.cancel_reason = Some(reason.clone());
                }
            }
            EventBody::ObjectiveDrafted {
                cycle,
                objective,
                unit,
                text,
                kind,
                weight,
            } => {
                if let Some(c) = self.cycles.get_mut(cycle) {
                    c.objectives.insert(draft_objective(
                        *objective, *unit, text, *kind, *weight, None,
                    ));
                }
            }
            EventBody::ObjectiveRevised {
                cycle,
                objective,
                patch,
            } => {
                if let Some(o) = self.objective_mut(*cycle, *objective) {
                    patch_objective(o, patch);
                }
            }
            EventBody::ObjectiveAmended {
                cycle,
                objective,
                patch,
                reason,
            } => {
                if let Some(o) = self.objective_mut(*cycle, *objective) {
                    patch_objective(o, patch);
                    push_exact(&mut o.amendments, reason.as_str().into());
                }
            }
            EventBody::KpiDefined {
                kpi,
                unit,
                name,
                unit_of_measure,
                bound,
                threshold,
                warning,
            } => {
                self.kpis.insert(
                    *kpi,
                    Kpi {
                        id: *kpi,
                        unit: *unit,
                        name: name.as_str().into(),
                        unit_of_measure: unit_of_measure.as_str().into(),
                        bound: *bound,
                        threshold: *threshold,
                        warning: *warning,
                        latest: None,
                        readings: 0,
                    },
                );
            }
            EventBody::KpiRecorded {
                kpi,
                value,
                effective_at,
            } => {
                if let Some(k) = self.kpis.get_mut(kpi) {
                    k.readings += 1;
                    if k.latest.as_ref().is_none_or(|l| l.at <= *effective_at) {
                        k.latest = Some(KpiReading {
                            value: *value,
                            at: *effective_at,
                        });
                    }
                }
            }
            EventBody::KeyResultLinkedToKpi {
                cycle,
                key_result,
                kpi,
            } => {
                if let Some(k) = self
                    .cycles
                    .get_mut(cycle)
                    .and_then(|c| c.key_results.get_mut(key_result))
                {
                    k.kpi = Some(*kpi);
                }
            }
            EventBody::ObjectiveApproved {
                cycle,
                objective,
                committee,
            } => {
                if let Some(o) = self.objective_mut(*cycle, *objective) {
                    o.approved_by = Some(*committee);
                }
            }
            EventBody::DependencyLinked {
                cycle,
                objective,
                depends_on,
            } => {
                if let Some(o) = self.objective_mut(*cycle, *objective) {
                    if !o.depends_on.contains(depends_on) {
                        push_exact(&mut o.depends_on, *depends_on);
                    }
                }
            }
            EventBody::DependencyUnlinked {
                cycle,
                objective,
                depends_on,
            } => {
                if let Some(o) = self.objective_mut(*cycle, *objective) {
                    if o.depends_on.contains(depends_on) {
                        o.depends_on = o
                            .depends_on
                            .iter()
                            .copied()
                            .filter(|d| d != depends_on)
                            .collect();
                    }
                }
            }
            EventBody::ObjectiveAligned {
                cycle,
                objective,
                parent,
                contribution,
            } => {
                if let Some(o) = self.objective_mut(*cycle, *objective) {
                    o.aligned_to.insert(*parent, *contribution);
                }
            }
            EventBody::ObjectiveUnaligned {
                cycle,
                objective,
                parent,
            } => {
                if let Some(o) = self.objective_mut(*cycle, *objective) {
                    o.aligned_to.remove(parent);
                }
            }
            EventBody::ObjectiveCommitted { cycle, objective } => {
                if let Some(c) = self.cycles.get_mut(cycle) {
                    if let Some(o) = c.objectives.get_mut(objective) {
                        if o.status != ObjectiveStatus::Committed {
                            *c.committed_per_unit.entry(o.unit).or_default() += 1;
                        }
                        o.status = ObjectiveStatus::Committed;
                    }
                }
            }
            EventBody::ObjectiveDropped {
                cycle, objective, ..
            } => {
                if let Some(c) = self.cycles.get_mut(cycle) {
                    if let Some(o) = c.objectives.get_mut(objective) {
                        if o.status == ObjectiveStatus::Committed {
                            if let Some(n) = c.committed_per_unit.get_mut(&o.unit) {
                                *n = n.saturating_sub(1);
                            }
                        }
                        o.status = ObjectiveStatus::Dropped;
                    }
                }
            }
            EventBody::KeyResultAdded {
                cycle,
                objective,
                key_result,
                title,
                kind,
                weight,
                owner,
            } => {
                if let Some(c) = self.cycles.get_mut(cycle) {
                    if let Some(o) = c.objectives.get_mut(objective) {
                        push_exact(&mut o.key_results, *key_result);
                        c.key_results.insert(KeyResult {
                            id: *key_result,
                            objective: *objective,
                            title: title.as_str().into(),
                            owner: *owner,
                            weight: *weight,
                            kind: kind.clone(),
                            check_ins: CheckIns::default(),
                            removed: false,
                            kpi: None,
                        });
                    }
                }
            }
            EventBody::KeyResultRevised {
                cycle,
                key_result,
                patch,
            }
            | EventBody::KeyResultAmended {
                cycle,
                key_result,
                patch,
                ..
            } => {
                if let Some(k) = self
                    .cycles
                    .get_mut(cycle)
                    .and_then(|c| c.key_results.get_mut(key_result))
                {
                    patch_key_result(k, patch);
                }
            }
            EventBody::KeyResultRemoved { cycle, key_result } => {
                if let Some(c) = self.cycles.get_mut(cycle) {
                    if let Some(k) = c.key_results.get_mut(key_result) {
                        k.removed = true;
                        let obj = k.objective;
                        if let Some(o) = c.objectives.get_mut(&obj) {
                            if o.key_results.contains(key_result) {
                                let mut v = std::mem::take(&mut o.key_results).into_vec();
                                v.retain(|x| x != key_result);
                                o.key_results = v.into_boxed_slice();
                            }
                        }
                    }
                }
            }
            EventBody::CheckedIn {
                cycle,
                key_result,
                value,
                confidence,
                note,
                effective_at,
            } => {
                if let Some(c) = self.cycles.get_mut(cycle) {
                    let day = (effective_at.date_naive() - c.start).num_days();
                    let week = (day >= 0).then(|| u32::try_from(day / 7).unwrap_or(u32::MAX));
                    if let Some(k) = c.key_results.get_mut(key_result) {
                        k.check_ins.record(
                            CheckIn {
                                value: *value,
                                confidence: *confidence,
                                note: note.as_str().into(),
                                effective_at: *effective_at,
                                recorded_at: at,
                                by,
                            },
                            week,
                        );
                    }
                }
            }
            EventBody::AgreementMade {
                cycle,
                agreement,
                unit,
                text,
                owner,
                due,
                weekly,
                provider,
                provides,
                receiver,
                consequence,
            } => {
                if let Some(c) = self.cycles.get_mut(cycle) {
                    c.agreements.insert(
                        *agreement,
                        Agreement {
                            id: *agreement,
                            unit: *unit,
                            text: text.clone(),
                            owner: *owner,
                            due: *due,
                            made_at: at,
                            weekly: weekly.unwrap_or_else(|| at.date_naive()),
                            provider: *provider,
                            provides: provides.clone(),
                            receiver: *receiver,
                            consequence: consequence.clone(),
                            resolution: None,
                            resolved_weekly: None,
                        },
                    );
                    self.index
                        .insert(agreement.0, (EntityKind::Agreement, *cycle));
                }
            }
            EventBody::AgreementResolved {
                cycle,
                agreement,
                outcome,
                weekly,
            } => {
                if let Some(a) = self
                    .cycles
                    .get_mut(cycle)
                    .and_then(|c| c.agreements.get_mut(agreement))
                {
                    a.resolution = Some((*outcome, at));
                    a.resolved_weekly = Some(weekly.unwrap_or_else(|| at.date_naive()));
                }
            }
            EventBody::BlockerRaised {
                cycle,
                blocker,
                unit,
                key_result,
                text,
            } => {
                if let Some(c) = self.cycles.get_mut(cycle) {
                    c.blockers.insert(
                        *blocker,
                        Blocker {
                            id: *blocker,
                            unit: *unit,
                            key_result: *key_result,
                            text: text.clone(),
                            raised_at: at,
                            escalation: None,
                            decision: None,
                        },
                    );
                    self.index.insert(blocker.0, (EntityKind::Blocker, *cycle));
                }
            }
            EventBody::BlockerEscalated { cycle, blocker, to } => {
                if let Some(b) = self
                    .cycles
                    .get_mut(cycle)
                    .and_then(|c| c.blockers.get_mut(blocker))
                {
                    b.escalation = Some((*to, at));
                }
            }
            EventBody::BlockerDecided {
                cycle,
                blocker,
                decision,
            } => {
                if let Some(b) = self
                    .cycles
                    .get_mut(cycle)
                    .and_then(|c| c.blockers.get_mut(blocker))
                {
                    b.decision = Some(BlockerDecision {
                        decision: decision.clone(),
                        by,
                        at,
                    });
                }
            }
            EventBody::InitiativeAdded {
                cycle,
                key_result,
                initiative,
                title,
                effort,
                impact,
            } => {
                if let Some(c) = self.cycles.get_mut(cycle) {
                    c.initiatives.insert(
                        *initiative,
                        Initiative {
                            id: *initiative,
                            key_result: *key_result,
                            title: title.clone(),
                            effort: *effort,
                            impact: *impact,
                            status: InitiativeStatus::Todo,
                        },
                    );
                    self.index
                        .insert(initiative.0, (EntityKind::Initiative, *cycle));
                }
            }
            EventBody::InitiativeMoved {
                cycle,
                initiative,
                status,
            } => {
                if let Some(i) = self
                    .cycles
                    .get_mut(cycle)
                    .and_then(|c| c.initiatives.get_mut(initiative))
                {
                    i.status = *status;
                }
            }
            EventBody::ScoreOverridden { .. } | EventBody::ScoreCorrected { .. } => {
                if let Some((cycle, key_result, score)) = event.manual_score() {
                    if let Some(c) = self.cycles.get_mut(&cycle) {
                        c.manual_scores.insert(key_result, score);
                    }
                }
            }
            EventBody::ReviewNoteAdded { cycle, text } => {
                if let Some(c) = self.cycles.get_mut(cycle) {
                    c.review_notes.push(text.clone());
                }
            }
            EventBody::RetroItemAdded {
                cycle,
                item,
                kind,
                text,
            } => {
                if let Some(c) = self.cycles.get_mut(cycle) {
                    c.retro_items.insert(
                        *item,
                        RetroItem {
                            id: *item,
                            kind: *kind,
                            text: text.clone(),
                            by,
                        },
                    );
                    self.index.insert(item.0, (EntityKind::RetroItem, *cycle));
                }
            }
            EventBody::RetroActionAdded {
                cycle,
                action,
                text,
                owner,
                item,
            } => {
                if let Some(c) = self.cycles.get_mut(cycle) {
                    c.retro_actions.insert(
                        *action,
                        RetroAction {
                            id: *action,
                            text: text.clone(),
                            owner: *owner,
                            item: *item,
                            follow_up: None,
                        },
                    );
                    self.index
                        .insert(action.0, (EntityKind::RetroAction, *cycle));
                }
            }
            EventBody::RetroActionFollowedUp {
                cycle,
                action,
                of_cycle,
                done,
            } => {
                if let Some(a) = self
                    .cycles
                    .get_mut(of_cycle)
                    .and_then(|c| c.retro_actions.get_mut(action))
                {
                    a.follow_up = Some(RetroFollowUp {
                        cycle: *cycle,
                        done: *done,
                        at,
                    });
                }
            }
            EventBody::ObjectiveCarriedOver {
                cycle,
                objective,
                from_cycle,
                from_objective,
                unit,
                text,
                kind,
                weight,
            } => {
                if let Some(c) = self.cycles.get_mut(cycle) {
                    c.objectives.insert(draft_objective(
                        *objective,
                        *unit,
                        text,
                        *kind,
                        *weight,
                        Some(*from_objective),
                    ));
                }
                if let Some(o) = self.objective_mut(*from_cycle, *from_objective) {
                    o.carried_to = Some(*objective);
                }
            }
        }
    }

    fn set_phase(&mut self, cycle: CycleId, phase: Phase) {
        if let Some(c) = self.cycles.get_mut(&cycle) {
            c.phase = phase;
        }
    }

    fn objective_mut(&mut self, cycle: CycleId, objective: ObjectiveId) -> Option<&mut Objective> {
        self.cycles
            .get_mut(&cycle)
            .and_then(|c| c.objectives.get_mut(&objective))
    }
}

/// Appends to an exactly sized list (lists that grow a few times and are read often).
fn push_exact<T>(list: &mut Box<[T]>, item: T) {
    let mut v = std::mem::take(list).into_vec();
    v.reserve_exact(1);
    v.push(item);
    *list = v.into_boxed_slice();
}

fn patch_objective(o: &mut Objective, p: &ObjectivePatch) {
    if let Some(t) = &p.title {
        o.text.title = t.as_str().into();
    }
    if let Some(b) = &p.beneficiary {
        o.text.beneficiary = Some(b.as_str().into());
    }
    if let Some(c) = &p.change {
        o.text.change = Some(c.as_str().into());
    }
    if let Some(v) = &p.value {
        o.text.value = Some(v.as_str().into());
    }
    if let Some(k) = p.kind {
        o.kind = k;
    }
    if let Some(w) = p.weight {
        o.weight = w;
    }
}

fn patch_key_result(k: &mut KeyResult, p: &KeyResultPatch) {
    if let Some(t) = &p.title {
        k.title = t.as_str().into();
    }
    if let Some(o) = p.owner {
        k.owner = Some(o);
    }
    if let Some(w) = p.weight {
        k.weight = w;
    }
    if let Some(kind) = &p.kind {
        k.kind = kind.clone();
    }
}

/// A new objective in draft, as `ObjectiveDrafted` and `ObjectiveCarriedOver` create it.
fn draft_objective(
    id: ObjectiveId,
    unit: UnitId,
    text: &ObjectiveText,
    kind: ObjectiveKind,
    weight: u32,
    carried_from: Option<ObjectiveId>,
) -> Objective {
    Objective {
        id,
        unit,
        text: text.clone(),
        kind,
        weight,
        status: ObjectiveStatus::Draft,
        aligned_to: Alignments::default(),
        key_results: Box::default(),
        carried_from,
        carried_to: None,
        amendments: Box::default(),
        approved_by: None,
        depends_on: Box::default(),
    }
}
