//! `decide`: checks a command against the state and the rules, and says which events follow.

use crate::command::{Command, CommandBody, Envelope};
use crate::cycle::{Cycle, Phase};
use crate::event::{Event, EventBody};
use crate::ids::{CycleId, EntityKind, KeyResultId, ObjectiveId, PersonId, StreamId, UnitId};
use crate::key_result::{KeyResult, KeyResultPatch, KrKind};
use crate::objective::{Objective, ObjectivePatch, ObjectiveStatus, ObjectiveText};
use crate::organisation::{Role, UnitKind};
use crate::policy::Policy;
use crate::rejection::{Rejection, Rule};
use crate::state::State;
use crate::weekly::Blocker;
use uuid::Uuid;

use Phase::*;

/// Decides a command: the events it causes, or why it is refused. Pure: the same state and
/// command always give the same answer.
///
/// ```
/// use okr_core::{decide, Command, CommandBody, Envelope, PersonId, State, UnitId, UnitKind};
/// let cmd = Command {
///     envelope: Envelope {
///         command_id: uuid::Uuid::from_u128(1),
///         actor: PersonId::from_u128(7),
///         at: "2025-01-06T09:00:00Z".parse().unwrap(),
///         expected_version: None,
///     },
///     body: CommandBody::DefineUnit {
///         unit: UnitId::from_u128(100),
///         name: "Federation".into(),
///         kind: UnitKind::Organisation,
///         parent: None,
///     },
/// };
/// let events = decide(&State::new(), &cmd).unwrap();
/// assert_eq!(events[0].body.event_type(), "unit_defined");
/// ```
pub fn decide(state: &State, command: &Command) -> Result<Vec<Event>, Rejection> {
    let stream = route(state, &command.body)?;
    if let Some(expected) = command.envelope.expected_version {
        let actual = state.stream_version(stream);
        if expected != actual {
            return Err(Rejection::VersionConflict {
                stream,
                expected,
                actual,
            });
        }
    }
    let ctx = Ctx {
        s: state,
        env: &command.envelope,
    };
    let bodies = ctx.decide(&command.body)?;
    Ok(bodies
        .into_iter()
        .map(|body| Event {
            at: command.envelope.at,
            by: command.envelope.actor,
            body,
        })
        .collect())
}

/// The stream a command writes to. Refuses commands naming unknown entities.
pub fn route(state: &State, body: &CommandBody) -> Result<StreamId, Rejection> {
    use CommandBody::*;
    let cycle = match body {
        DefineUnit { .. }
        | RenameUnit { .. }
        | MoveUnit { .. }
        | RetireUnit { .. }
        | RegisterPerson { .. }
        | GrantMembership { .. }
        | RevokeMembership { .. } => return Ok(StreamId::Organisation),
        PlanCycle { cycle, .. } => *cycle,
        SetPolicy { cycle, .. }
        | StartCycle { cycle }
        | BeginReview { cycle, .. }
        | BeginRetrospective { cycle }
        | CloseCycle { cycle }
        | CancelCycle { cycle, .. }
        | DraftObjective { cycle, .. }
        | MakeAgreement { cycle, .. }
        | RaiseBlocker { cycle, .. }
        | AddReviewNote { cycle, .. }
        | AddRetroItem { cycle, .. }
        | AddRetroAction { cycle, .. } => known_cycle(state, *cycle)?,
        CarryOver { to_cycle, .. } => known_cycle(state, *to_cycle)?,
        ReviseObjective { objective, .. }
        | AlignObjective { objective, .. }
        | UnalignObjective { objective, .. }
        | CommitObjective { objective }
        | DropObjective { objective, .. }
        | AmendObjective { objective, .. }
        | AddKeyResult { objective, .. } => locate(state, EntityKind::Objective, objective.0)?,
        ReviseKeyResult { key_result, .. }
        | RemoveKeyResult { key_result }
        | AmendKeyResult { key_result, .. }
        | CheckIn { key_result, .. }
        | AddInitiative { key_result, .. }
        | OverrideScore { key_result, .. }
        | CorrectScore { key_result, .. } => locate(state, EntityKind::KeyResult, key_result.0)?,
        ResolveAgreement { agreement, .. } => locate(state, EntityKind::Agreement, agreement.0)?,
        EscalateBlocker { blocker, .. } | DecideBlocker { blocker, .. } => {
            locate(state, EntityKind::Blocker, blocker.0)?
        }
        MoveInitiative { initiative, .. } => locate(state, EntityKind::Initiative, initiative.0)?,
    };
    Ok(StreamId::Cycle(cycle))
}

fn known_cycle(state: &State, cycle: CycleId) -> Result<CycleId, Rejection> {
    if state.cycles.contains_key(&cycle) {
        Ok(cycle)
    } else {
        Err(Rejection::unknown(EntityKind::Cycle, cycle))
    }
}

fn locate(state: &State, kind: EntityKind, id: Uuid) -> Result<CycleId, Rejection> {
    state
        .cycle_of(kind, id)
        .ok_or_else(|| Rejection::unknown(kind, id))
}

/// What a person may do; each variant lists the roles that allow it.
#[derive(Clone, Copy)]
enum Right {
    /// Edit a unit's OKRs, check in, agreements, blockers, initiatives.
    Edit,
    /// Commit, drop, escalate, override, carry over.
    Lead,
    /// Administer the organisation below a unit.
    Administer,
}

impl Right {
    fn roles(self) -> &'static [Role] {
        match self {
            Right::Edit => &[Role::Member, Role::Lead, Role::OkrMaster],
            Right::Lead => &[Role::Lead, Role::OkrMaster],
            Right::Administer => &[Role::OkrMaster, Role::Lead],
        }
    }
}

struct Ctx<'a> {
    s: &'a State,
    env: &'a Envelope,
}

type Bodies = Result<Vec<EventBody>, Rejection>;

impl<'a> Ctx<'a> {
    fn decide(&self, body: &CommandBody) -> Bodies {
        use CommandBody as C;
        match body {
            C::DefineUnit {
                unit,
                name,
                kind,
                parent,
            } => self.define_unit(*unit, name, *kind, *parent),
            C::RenameUnit { unit, name } => {
                self.unit(*unit)?;
                self.admin(Some(*unit), "rename unit")?;
                text("name", name)?;
                Ok(vec![EventBody::UnitRenamed {
                    unit: *unit,
                    name: name.trim().to_string(),
                }])
            }
            C::MoveUnit { unit, parent } => self.move_unit(*unit, *parent),
            C::RetireUnit { unit } => {
                let u = self.unit(*unit)?;
                self.admin(Some(*unit), "retire unit")?;
                if u.retired {
                    return Err(Rejection::rule(
                        Rule::UnitActive,
                        format!("unit {unit} is retired already"),
                    ));
                }
                Ok(vec![EventBody::UnitRetired { unit: *unit }])
            }
            C::RegisterPerson { person, name } => {
                self.fresh(person.0)?;
                self.admin(None, "register person")?;
                text("name", name)?;
                Ok(vec![EventBody::PersonRegistered {
                    person: *person,
                    name: name.trim().to_string(),
                }])
            }
            C::GrantMembership { unit, person, role } => {
                self.active_unit(*unit)?;
                self.person(*person, "person")?;
                self.grant_right(*unit, *role, "grant membership")?;
                if self.holds(*unit, *person, *role) {
                    return Err(Rejection::exists(
                        EntityKind::Membership,
                        format!("{role} of {person} in {unit}"),
                    ));
                }
                Ok(vec![EventBody::MembershipGranted {
                    unit: *unit,
                    person: *person,
                    role: *role,
                }])
            }
            C::RevokeMembership { unit, person, role } => {
                self.unit(*unit)?;
                self.grant_right(*unit, *role, "revoke membership")?;
                if !self.holds(*unit, *person, *role) {
                    return Err(Rejection::unknown(
                        EntityKind::Membership,
                        format!("{role} of {person} in {unit}"),
                    ));
                }
                if *role == Role::OkrMaster && self.s.okr_master_count() == 1 {
                    return Err(Rejection::rule(
                        Rule::KeepOneOkrMaster,
                        format!("{person} is the organisation's last OkrMaster; grant the role to someone else first"),
                    ));
                }
                Ok(vec![EventBody::MembershipRevoked {
                    unit: *unit,
                    person: *person,
                    role: *role,
                }])
            }
            C::PlanCycle {
                cycle,
                name,
                kind,
                start,
                end,
                check_in_weekday,
                policy,
            } => {
                self.fresh(cycle.0)?;
                self.cycle_admin(None, "plan cycle")?;
                text("name", name)?;
                if end <= start {
                    return Err(Rejection::field(
                        "end",
                        format!("must lie after start {start}, got {end}"),
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
            C::SetPolicy { cycle, policy } => self.set_policy(*cycle, policy),
            C::StartCycle { cycle } => {
                let c = self.cycle(*cycle, &[Planning])?;
                self.cycle_admin(Some(c), "start cycle")?;
                let ready = c
                    .objectives
                    .values()
                    .any(|o| o.status == ObjectiveStatus::Committed && !o.key_results.is_empty());
                if !ready {
                    return Err(Rejection::rule(
                        Rule::StartNeedsCommittedObjective,
                        format!(
                            "cycle {} has no committed objective with a key result",
                            c.name
                        ),
                    ));
                }
                Ok(vec![EventBody::CycleStarted { cycle: *cycle }])
            }
            C::BeginReview {
                cycle,
                early_reason,
            } => {
                let c = self.cycle(*cycle, &[Running])?;
                self.cycle_admin(Some(c), "begin review")?;
                let early_reason = early_reason
                    .as_deref()
                    .map(str::trim)
                    .filter(|r| !r.is_empty());
                let today = self.env.at.date_naive();
                if today < c.end && early_reason.is_none() {
                    return Err(Rejection::rule(
                        Rule::ReviewNotBeforeEnd,
                        format!(
                            "cycle {} ends {}; a review on {today} needs an early_reason",
                            c.name, c.end
                        ),
                    ));
                }
                Ok(vec![EventBody::ReviewBegun {
                    cycle: *cycle,
                    early_reason: early_reason.map(str::to_string),
                }])
            }
            C::BeginRetrospective { cycle } => {
                let c = self.cycle(*cycle, &[Review])?;
                self.cycle_admin(Some(c), "begin retrospective")?;
                Ok(vec![EventBody::RetrospectiveBegun { cycle: *cycle }])
            }
            C::CloseCycle { cycle } => {
                let c = self.cycle(*cycle, &[Retrospective])?;
                self.cycle_admin(Some(c), "close cycle")?;
                Ok(vec![EventBody::CycleClosed { cycle: *cycle }])
            }
            C::CancelCycle { cycle, reason } => {
                let c = self.cycle(*cycle, &[Planning, Running, Review, Retrospective])?;
                self.cycle_admin(Some(c), "cancel cycle")?;
                let reason = reason_of(reason, "cancelling a cycle")?;
                Ok(vec![EventBody::CycleCancelled {
                    cycle: *cycle,
                    reason,
                }])
            }
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
                self.cycle(*cycle, &[Planning])?;
                self.fresh(objective.0)?;
                self.active_unit(*unit)?;
                self.may(Right::Edit, *unit, "draft objective")?;
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
                let (c, o) = self.objective(*objective, &[Planning])?;
                self.may(Right::Edit, o.unit, "revise objective")?;
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
                let (c, o) = self.objective(*objective, &[Running])?;
                self.may(Right::Edit, o.unit, "amend objective")?;
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
                let (c, o) = self.objective(*objective, &[Planning])?;
                self.may(Right::Edit, o.unit, "unalign objective")?;
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
            C::DropObjective { objective, reason } => {
                let (c, o) = self.objective(*objective, &[Planning, Running])?;
                self.may(Right::Lead, o.unit, "drop objective")?;
                open_objective(o)?;
                let reason = if c.phase == Running {
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
            C::AddKeyResult {
                objective,
                key_result,
                title,
                kind,
                weight,
                owner,
            } => {
                let (c, o) = self.objective(*objective, &[Planning])?;
                self.fresh(key_result.0)?;
                self.may(Right::Edit, o.unit, "add key result")?;
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
                        format!(
                            "objective {objective} has {} key results; the policy allows {max}",
                            o.key_results.len()
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
                let (c, o, _) = self.key_result(*key_result, &[Planning])?;
                self.may(Right::Edit, o.unit, "revise key result")?;
                open_objective(o)?;
                let patch = self.kr_patch(patch)?;
                Ok(vec![EventBody::KeyResultRevised {
                    cycle: c.id,
                    key_result: *key_result,
                    patch,
                }])
            }
            C::RemoveKeyResult { key_result } => {
                let (c, o, _) = self.key_result(*key_result, &[Planning])?;
                self.may(Right::Edit, o.unit, "remove key result")?;
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
                let (c, o, _) = self.key_result(*key_result, &[Running])?;
                self.may(Right::Edit, o.unit, "amend key result")?;
                open_objective(o)?;
                let reason = reason_of(reason, "amending a key result while running")?;
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
                let (c, o, k) = self.key_result(*key_result, &[Running])?;
                if k.owner != Some(self.env.actor) {
                    self.may(Right::Edit, o.unit, "check in")?;
                }
                if o.status == ObjectiveStatus::Dropped {
                    return Err(Rejection::rule(
                        Rule::ObjectiveOpen,
                        format!("objective {} was dropped", o.id),
                    ));
                }
                finite("value", *value)?;
                if matches!(k.kind, KrKind::Milestone) && *value != 0.0 && *value != 1.0 {
                    return Err(Rejection::field(
                        "value",
                        format!("a milestone is 0 (open) or 1 (done), got {value}"),
                    ));
                }
                if *confidence > 10 {
                    return Err(Rejection::rule(
                        Rule::ConfidenceRange,
                        format!("confidence must lie in 0..=10, got {confidence}"),
                    ));
                }
                let eff = effective_at.unwrap_or(self.env.at);
                let start = c.start.and_time(chrono::NaiveTime::MIN).and_utc();
                if eff > self.env.at || eff < start {
                    return Err(Rejection::rule(
                        Rule::EffectiveAtInRange,
                        format!(
                            "effective_at {eff} must lie between the cycle start {start} and the check-in time {}",
                            self.env.at
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
            C::MakeAgreement {
                cycle,
                agreement,
                unit,
                text: t,
                owner,
                due,
            } => {
                self.cycle(*cycle, &[Running])?;
                self.fresh(agreement.0)?;
                self.active_unit(*unit)?;
                self.may(Right::Edit, *unit, "make agreement")?;
                text("text", t)?;
                if let Some(p) = owner {
                    self.person(*p, "owner")?;
                }
                Ok(vec![EventBody::AgreementMade {
                    cycle: *cycle,
                    agreement: *agreement,
                    unit: *unit,
                    text: t.trim().to_string(),
                    owner: *owner,
                    due: *due,
                }])
            }
            C::ResolveAgreement { agreement, outcome } => {
                let c = self.cycle_of(EntityKind::Agreement, agreement.0, &[Running, Review])?;
                let a = c
                    .agreements
                    .get(agreement)
                    .ok_or_else(|| Rejection::unknown(EntityKind::Agreement, agreement))?;
                self.may(Right::Edit, a.unit, "resolve agreement")?;
                if a.resolution.is_some() {
                    return Err(Rejection::rule(
                        Rule::ResolveOnce,
                        format!("agreement {agreement} is resolved already"),
                    ));
                }
                Ok(vec![EventBody::AgreementResolved {
                    cycle: c.id,
                    agreement: *agreement,
                    outcome: *outcome,
                }])
            }
            C::RaiseBlocker {
                cycle,
                blocker,
                unit,
                key_result,
                text: t,
            } => {
                let c = self.cycle(*cycle, &[Running])?;
                self.fresh(blocker.0)?;
                self.active_unit(*unit)?;
                self.may(Right::Edit, *unit, "raise blocker")?;
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
                let (c, b) = self.blocker(*blocker, &[Running])?;
                self.may(Right::Lead, b.unit, "escalate blocker")?;
                let committee = self.active_unit(*to)?;
                if committee.kind != UnitKind::Committee {
                    return Err(Rejection::rule(
                        Rule::EscalateToCommittee,
                        format!("unit {} ({to}) is not a committee", committee.name),
                    ));
                }
                if b.escalation.is_some() {
                    return Err(Rejection::rule(
                        Rule::EscalateOnce,
                        format!("blocker {blocker} is escalated already"),
                    ));
                }
                Ok(vec![EventBody::BlockerEscalated {
                    cycle: c.id,
                    blocker: *blocker,
                    to: *to,
                }])
            }
            C::DecideBlocker { blocker, decision } => {
                let (c, b) = self.blocker(*blocker, &[Running, Review])?;
                let Some((committee, _)) = b.escalation else {
                    return Err(Rejection::rule(
                        Rule::DecideEscalatedOnce,
                        format!("blocker {blocker} was not escalated"),
                    ));
                };
                if !self.s.has_role(self.env.actor, committee, Role::Steering) {
                    return Err(self.unauthorized("decide blocker", Some(committee)));
                }
                if b.decision.is_some() {
                    return Err(Rejection::rule(
                        Rule::DecideEscalatedOnce,
                        format!("blocker {blocker} is decided already"),
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
                let (c, o, _) = self.key_result(*key_result, &[Planning, Running])?;
                self.fresh(initiative.0)?;
                self.may(Right::Edit, o.unit, "add initiative")?;
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
                let c =
                    self.cycle_of(EntityKind::Initiative, initiative.0, &[Planning, Running])?;
                let i = c
                    .initiatives
                    .get(initiative)
                    .ok_or_else(|| Rejection::unknown(EntityKind::Initiative, initiative))?;
                let unit = self.unit_of_kr(c, i.key_result)?;
                self.may(Right::Edit, unit, "move initiative")?;
                Ok(vec![EventBody::InitiativeMoved {
                    cycle: c.id,
                    initiative: *initiative,
                    status: *status,
                }])
            }
            C::OverrideScore {
                key_result,
                score,
                reason,
            } => {
                let (c, o, _) = self.key_result(*key_result, &[Review])?;
                self.may(Right::Lead, o.unit, "override score")?;
                let score_ppm = score_ppm("score", *score)?;
                let reason = reason_of(reason, "overriding a computed score")?;
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
                let (c, _, _) = self.key_result(*key_result, &[Closed])?;
                self.cycle_admin(Some(c), "correct score")?;
                let score_ppm = score_ppm("score", *score)?;
                let reason = reason_of(reason, "correcting a closed cycle")?;
                Ok(vec![EventBody::ScoreCorrected {
                    cycle: c.id,
                    key_result: *key_result,
                    score_ppm,
                    reason,
                }])
            }
            C::AddReviewNote { cycle, text: t } => {
                self.cycle(*cycle, &[Review])?;
                self.participant("add review note")?;
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
                self.cycle(*cycle, &[Retrospective])?;
                self.fresh(item.0)?;
                self.participant("add retro item")?;
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
                let c = self.cycle(*cycle, &[Retrospective])?;
                self.fresh(action.0)?;
                self.participant("add retro action")?;
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
            C::CarryOver {
                objective,
                to_cycle,
                new_objective,
            } => self.carry_over(*objective, *to_cycle, *new_objective),
        }
    }

    // --- organisation ---

    fn define_unit(
        &self,
        unit: UnitId,
        name: &str,
        kind: UnitKind,
        parent: Option<UnitId>,
    ) -> Bodies {
        self.fresh(unit.0)?;
        match parent {
            None if !self.s.units.is_empty() => {
                return Err(Rejection::rule(
                    Rule::SingleRoot,
                    "the organisation has a root unit already; give a parent",
                ))
            }
            None => self.admin(None, "define unit")?,
            Some(p) => {
                self.active_unit(p)?;
                self.admin(Some(p), "define unit")?;
            }
        }
        text("name", name)?;
        Ok(vec![EventBody::UnitDefined {
            unit,
            name: name.trim().to_string(),
            kind,
            parent,
        }])
    }

    fn move_unit(&self, unit: UnitId, parent: UnitId) -> Bodies {
        self.unit(unit)?;
        self.active_unit(parent)?;
        self.admin(Some(unit), "move unit")?;
        self.admin(Some(parent), "move unit")?;
        let above = self.s.ancestors(parent);
        if let Some(pos) = above.iter().position(|u| *u == unit) {
            let path: Vec<String> = above[..=pos].iter().map(|u| u.to_string()).collect();
            return Err(Rejection::rule(
                Rule::UnitTreeAcyclic,
                format!(
                    "unit {unit} cannot move below {parent}: {} lies below it",
                    path.join(" → ")
                ),
            ));
        }
        Ok(vec![EventBody::UnitMoved { unit, parent }])
    }

    // --- cycles ---

    fn set_policy(&self, cycle: CycleId, policy: &Policy) -> Bodies {
        let c = self.cycle(cycle, &[Planning])?;
        self.cycle_admin(Some(c), "set policy")?;
        policy
            .validate()
            .map_err(|(f, why)| Rejection::field(f, why))?;
        let mut committed: std::collections::BTreeMap<UnitId, u32> = Default::default();
        for o in c.objectives.values() {
            if o.status == ObjectiveStatus::Committed {
                *committed.entry(o.unit).or_default() += 1;
            }
            if o.key_results.len() as u64 > u64::from(policy.max_key_results_per_objective) {
                return Err(Rejection::rule(
                    Rule::MaxKeyResults,
                    format!(
                        "objective {} has {} key results; the new policy allows {}",
                        o.id,
                        o.key_results.len(),
                        policy.max_key_results_per_objective
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
                format!(
                    "unit {unit} has {n} committed objectives; the new policy allows {}",
                    policy.max_committed_objectives_per_unit
                ),
            ));
        }
        Ok(vec![EventBody::PolicySet {
            cycle,
            policy: policy.clone(),
        }])
    }

    // --- objectives ---

    fn align(&self, objective: ObjectiveId, parent: ObjectiveId, contribution: u32) -> Bodies {
        let (c, o) = self.objective(objective, &[Planning])?;
        self.may(Right::Edit, o.unit, "align objective")?;
        open_objective(o)?;
        if parent == objective {
            return Err(Rejection::rule(
                Rule::AlignNotSelf,
                format!("objective {objective} cannot align to itself"),
            ));
        }
        let Some(p_cycle) = self.s.cycle_of(EntityKind::Objective, parent.0) else {
            return Err(Rejection::unknown(EntityKind::Objective, parent));
        };
        if p_cycle != c.id {
            return Err(Rejection::rule(
                Rule::AlignSameCycle,
                format!(
                    "objective {objective} is in cycle {}, {parent} in cycle {}",
                    c.id, p_cycle
                ),
            ));
        }
        let Some(p) = c.objectives.get(&parent) else {
            return Err(Rejection::unknown(EntityKind::Objective, parent));
        };
        open_objective(p)?;
        if let Some(path) = path_up(c, parent, objective) {
            let mut names: Vec<String> = vec![objective.to_string()];
            names.extend(path.iter().map(|o| o.to_string()));
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
        let (c, o) = self.objective(objective, &[Planning])?;
        self.may(Right::Lead, o.unit, "commit objective")?;
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

    fn carry_over(
        &self,
        objective: ObjectiveId,
        to_cycle: CycleId,
        new_objective: ObjectiveId,
    ) -> Bodies {
        let (from, o) = self.objective(objective, &[Retrospective])?;
        self.may(Right::Lead, o.unit, "carry over objective")?;
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
        if to.start <= from.start || to.phase != Planning {
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

    fn kr_patch(&self, patch: &KeyResultPatch) -> Result<KeyResultPatch, Rejection> {
        if patch.is_empty() {
            return Err(Rejection::field("patch", "changes nothing"));
        }
        let mut p = patch.clone();
        if let Some(t) = &patch.title {
            text("patch.title", t)?;
            p.title = Some(t.trim().to_string());
        }
        if let Some(w) = patch.weight {
            positive_weight("patch.weight", w)?;
        }
        if let Some(k) = &patch.kind {
            validate_kind("patch.kind", k)?;
        }
        if let Some(o) = patch.owner {
            self.person(o, "patch.owner")?;
        }
        Ok(p)
    }

    // --- look-ups ---

    fn fresh(&self, id: Uuid) -> Result<(), Rejection> {
        match self.s.locate(id) {
            Some((kind, _)) => Err(Rejection::exists(kind, id)),
            None => Ok(()),
        }
    }

    fn unit(&self, unit: UnitId) -> Result<&'a crate::organisation::Unit, Rejection> {
        self.s
            .units
            .get(&unit)
            .ok_or_else(|| Rejection::unknown(EntityKind::Unit, unit))
    }

    fn active_unit(&self, unit: UnitId) -> Result<&'a crate::organisation::Unit, Rejection> {
        let u = self.unit(unit)?;
        if u.retired {
            return Err(Rejection::rule(
                Rule::UnitActive,
                format!("unit {} ({unit}) is retired", u.name),
            ));
        }
        Ok(u)
    }

    fn person(&self, person: PersonId, field: &str) -> Result<(), Rejection> {
        if self.s.people.contains_key(&person) {
            Ok(())
        } else {
            Err(Rejection::InvalidField {
                field: field.to_string(),
                reason: format!("unknown person {person}"),
            })
        }
    }

    fn holds(&self, unit: UnitId, person: PersonId, role: Role) -> bool {
        self.s
            .units
            .get(&unit)
            .and_then(|u| u.members.get(&person))
            .is_some_and(|r| r.contains(&role))
    }

    fn cycle(&self, cycle: CycleId, allowed: &[Phase]) -> Result<&'a Cycle, Rejection> {
        let c = self
            .s
            .cycles
            .get(&cycle)
            .ok_or_else(|| Rejection::unknown(EntityKind::Cycle, cycle))?;
        if !allowed.contains(&c.phase) {
            return Err(Rejection::WrongPhase {
                cycle,
                phase: c.phase,
                allowed: allowed.to_vec(),
            });
        }
        Ok(c)
    }

    fn cycle_of(
        &self,
        kind: EntityKind,
        id: Uuid,
        allowed: &[Phase],
    ) -> Result<&'a Cycle, Rejection> {
        let c = locate(self.s, kind, id)?;
        self.cycle(c, allowed)
    }

    fn objective(
        &self,
        objective: ObjectiveId,
        allowed: &[Phase],
    ) -> Result<(&'a Cycle, &'a Objective), Rejection> {
        let c = self.cycle_of(EntityKind::Objective, objective.0, allowed)?;
        let o = c
            .objectives
            .get(&objective)
            .ok_or_else(|| Rejection::unknown(EntityKind::Objective, objective))?;
        Ok((c, o))
    }

    fn key_result(
        &self,
        key_result: KeyResultId,
        allowed: &[Phase],
    ) -> Result<(&'a Cycle, &'a Objective, &'a KeyResult), Rejection> {
        let c = self.cycle_of(EntityKind::KeyResult, key_result.0, allowed)?;
        let k = c
            .key_results
            .get(&key_result)
            .filter(|k| !k.removed)
            .ok_or_else(|| Rejection::unknown(EntityKind::KeyResult, key_result))?;
        let o = c
            .objectives
            .get(&k.objective)
            .ok_or_else(|| Rejection::unknown(EntityKind::Objective, k.objective))?;
        Ok((c, o, k))
    }

    fn blocker(
        &self,
        blocker: crate::ids::BlockerId,
        allowed: &[Phase],
    ) -> Result<(&'a Cycle, &'a Blocker), Rejection> {
        let c = self.cycle_of(EntityKind::Blocker, blocker.0, allowed)?;
        let b = c
            .blockers
            .get(&blocker)
            .ok_or_else(|| Rejection::unknown(EntityKind::Blocker, blocker))?;
        Ok((c, b))
    }

    fn unit_of_kr(&self, c: &Cycle, kr: KeyResultId) -> Result<UnitId, Rejection> {
        c.key_results
            .get(&kr)
            .and_then(|k| c.objectives.get(&k.objective))
            .map(|o| o.unit)
            .ok_or_else(|| Rejection::unknown(EntityKind::KeyResult, kr))
    }

    // --- authorization ---

    fn unauthorized(&self, action: &str, unit: Option<UnitId>) -> Rejection {
        Rejection::Unauthorized {
            actor: self.env.actor,
            action: action.to_string(),
            unit,
        }
    }

    fn root(&self) -> Option<UnitId> {
        self.s
            .units
            .values()
            .find(|u| u.parent.is_none())
            .map(|u| u.id)
    }

    /// Until somebody holds the OkrMaster role, the organisation is being set up and anybody
    /// may administer it; afterwards only OkrMasters and Leads, within their units.
    fn setting_up(&self) -> bool {
        self.s.okr_master_count() == 0
    }

    fn may(&self, right: Right, unit: UnitId, action: &str) -> Result<(), Rejection> {
        let actor = self.env.actor;
        if right
            .roles()
            .iter()
            .any(|r| self.s.has_role(actor, unit, *r))
        {
            Ok(())
        } else {
            Err(self.unauthorized(action, Some(unit)))
        }
    }

    fn admin(&self, unit: Option<UnitId>, action: &str) -> Result<(), Rejection> {
        if self.setting_up() {
            return Ok(());
        }
        match unit {
            Some(u) => self.may(Right::Administer, u, action),
            None => {
                let actor = self.env.actor;
                if Right::Administer
                    .roles()
                    .iter()
                    .any(|r| self.s.has_role_anywhere(actor, *r))
                {
                    Ok(())
                } else {
                    Err(self.unauthorized(action, self.root()))
                }
            }
        }
    }

    fn grant_right(&self, unit: UnitId, role: Role, action: &str) -> Result<(), Rejection> {
        if self.setting_up() {
            return Ok(());
        }
        let right = match role {
            Role::Member | Role::Observer => Right::Administer,
            Role::OkrMaster | Role::Lead | Role::Steering => {
                if self.s.has_role(self.env.actor, unit, Role::OkrMaster) {
                    return Ok(());
                }
                return Err(self.unauthorized(action, Some(unit)));
            }
        };
        self.may(right, unit, action)
    }

    fn cycle_admin(&self, cycle: Option<&Cycle>, action: &str) -> Result<(), Rejection> {
        let actor = self.env.actor;
        if self.s.has_role_anywhere(actor, Role::OkrMaster) {
            return Ok(());
        }
        if cycle.is_some_and(|c| c.policy.leads_may_advance)
            && self.s.has_role_anywhere(actor, Role::Lead)
        {
            return Ok(());
        }
        Err(self.unauthorized(action, self.root()))
    }

    fn participant(&self, action: &str) -> Result<(), Rejection> {
        if self.s.participates(self.env.actor) {
            Ok(())
        } else {
            Err(self.unauthorized(action, self.root()))
        }
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

fn text(field: &str, value: &str) -> Result<(), Rejection> {
    if value.trim().is_empty() {
        Err(Rejection::field(field, "must not be empty"))
    } else {
        Ok(())
    }
}

fn optional_text(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
}

fn reason_of(reason: &str, what: &str) -> Result<String, Rejection> {
    let r = reason.trim();
    if r.is_empty() {
        Err(Rejection::rule(
            Rule::ReasonRequired,
            format!("{what} needs a reason"),
        ))
    } else {
        Ok(r.to_string())
    }
}

fn positive_weight(field: &str, weight: u32) -> Result<(), Rejection> {
    if weight == 0 {
        Err(Rejection::rule(
            Rule::WeightPositive,
            format!("{field} must be greater than 0"),
        ))
    } else {
        Ok(())
    }
}

fn one_to_five(field: &str, v: u8) -> Result<(), Rejection> {
    if (1..=5).contains(&v) {
        Ok(())
    } else {
        Err(Rejection::field(
            field,
            format!("must lie in 1..=5, got {v}"),
        ))
    }
}

fn finite(field: &str, v: f64) -> Result<(), Rejection> {
    if v.is_finite() {
        Ok(())
    } else {
        Err(Rejection::field(
            field,
            format!("must be a finite number, got {v}"),
        ))
    }
}

fn score_ppm(field: &str, score: f64) -> Result<i64, Rejection> {
    finite(field, score)?;
    if !(0.0..=1.0).contains(&score) {
        return Err(Rejection::field(
            field,
            format!("must lie in 0.0..=1.0, got {score}"),
        ));
    }
    Ok((score * 1_000_000.0).round() as i64)
}

fn open_objective(o: &Objective) -> Result<(), Rejection> {
    if o.status == ObjectiveStatus::Dropped {
        Err(Rejection::rule(
            Rule::ObjectiveOpen,
            format!("objective {} was dropped", o.id),
        ))
    } else {
        Ok(())
    }
}

fn objective_patch(patch: &ObjectivePatch) -> Result<ObjectivePatch, Rejection> {
    if patch.is_empty() {
        return Err(Rejection::field("patch", "changes nothing"));
    }
    let mut p = patch.clone();
    if let Some(t) = &patch.title {
        text("patch.title", t)?;
        p.title = Some(t.trim().to_string());
    }
    if let Some(w) = patch.weight {
        positive_weight("patch.weight", w)?;
    }
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
                    format!("an increase needs its target above the baseline: baseline {b}, target {target}"),
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
                    format!("{field}.baseline is missing"),
                ));
            };
            finite(&format!("{field}.baseline"), *b)?;
            if *target >= *b {
                return Err(Rejection::rule(
                    Rule::BaselineNotTarget,
                    format!("a decrease needs its target below the baseline: baseline {b}, target {target}"),
                ));
            }
        }
        KrKind::Threshold { value, .. } => finite(&format!("{field}.value"), *value)?,
        KrKind::Milestone => {}
    }
    Ok(())
}
