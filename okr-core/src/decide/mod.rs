//! `decide`: checks a command against the state and the rules, and says which events follow.
//!
//! Every command goes through one pipeline: routing finds its stream (refusing unknown
//! entities), the expected version is compared, then the [rules table](rules) is consulted
//! once (the cycle's phase, ids the command creates, the actor's right on the unit the
//! table names), and only then the command's handler runs its own rules. The handlers are
//! split by area, one file each: organisation, cycle, objective, key result, weekly,
//! review.

mod cycle;
mod fields;
mod key_result;
mod kpi;
mod objective;
mod organisation;
mod review;
pub mod rules;
mod weekly;

use crate::command::{Command, CommandBody, Envelope};
use crate::cycle::{Cycle, Phase};
use crate::event::{Event, EventBody};
use crate::i18n::{Lang, Text};
use crate::ids::{
    AgreementId, BlockerId, CycleId, EntityKind, InitiativeId, KeyResultId, ObjectiveId, PersonId,
    StreamId, UnitId,
};
use crate::key_result::KeyResult;
use crate::objective::Objective;
use crate::organisation::{Role, Unit, UnitKind};
use crate::rejection::{Rejection, Rule};
use crate::state::State;
use crate::weekly::{Agreement, Blocker, Initiative};
use rules::{CommandRule, On, Phases, Right};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What an accepted command causes: the stream it writes to and the events, in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    /// The stream the events belong to.
    pub stream: StreamId,
    /// The events, in order.
    pub events: Vec<Event>,
}

/// Decides a command: the stream and events it causes, or why it is refused. Pure: the same
/// state and command always give the same answer.
///
/// The checks run in a fixed order: entities the command names must exist, the stream must
/// be at the expected version (if the envelope gives one), then the [rules table](rules)
/// (phase, new ids, right), then the command's own rules.
///
/// ```
/// use okr_core::{decide, Command, CommandBody, PersonId, State, StreamId, UnitId, UnitKind};
/// let cmd = Command::new(
///     uuid::Uuid::from_u128(1),
///     PersonId::from_u128(7),
///     "2025-01-06T09:00:00Z".parse().unwrap(),
///     CommandBody::DefineUnit {
///         unit: UnitId::from_u128(100),
///         name: "Federation".into(),
///         kind: UnitKind::Organisation,
///         parent: None,
///     },
/// );
/// let decision = decide(&State::new(), &cmd).unwrap();
/// assert_eq!(decision.stream, StreamId::Organisation);
/// assert_eq!(decision.events[0].body.event_type(), "unit_defined");
/// ```
pub fn decide(state: &State, command: &Command) -> Result<Decision, Rejection> {
    let body = &command.body;
    let rule = rules::rule_of(body.kind());
    let stream = route(state, body)?;
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
    if let Some(p) = state
        .people
        .get(&command.envelope.actor)
        .filter(|p| p.forgotten)
    {
        return Err(Rejection::rule(
            Rule::Forgotten,
            Text::new(
                format!(
                    "{} ({}) was forgotten and gives no more commands; register them anew under a new id",
                    p.name, p.id
                ),
                format!(
                    "{} ({}) wurde vergessen und gibt keine Befehle mehr; erfassen Sie die Person \
                     unter einer neuen Id neu.",
                    p.name, p.id
                ),
            ),
        ));
    }
    let ctx = Ctx {
        s: state,
        env: &command.envelope,
        action: (rule.action, rule.action_de),
    };
    ctx.admit(&rule, body)?;
    let bodies = ctx.handle(body)?;
    let events = bodies
        .into_iter()
        .map(|body| Event {
            at: command.envelope.at,
            by: command.envelope.actor,
            body,
        })
        .collect();
    Ok(Decision { stream, events })
}

/// The stream a command writes to. Refuses commands naming unknown entities. [`decide`]
/// routes already; its [`Decision`] carries the stream.
pub(crate) fn route(state: &State, body: &CommandBody) -> Result<StreamId, Rejection> {
    use CommandBody::*;
    let cycle = match body {
        DefineUnit { .. }
        | RenameUnit { .. }
        | MoveUnit { .. }
        | RetireUnit { .. }
        | RegisterPerson { .. }
        | ForgetPerson { .. }
        | GrantMembership { .. }
        | RevokeMembership { .. }
        | DefineKpi { .. } => return Ok(StreamId::Organisation),
        RecordKpi { kpi, .. } => {
            return if state.kpis.contains_key(kpi) {
                Ok(StreamId::Organisation)
            } else {
                Err(Rejection::unknown(EntityKind::Kpi, kpi))
            }
        }
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
        | AddRetroAction { cycle, .. }
        | FollowUpRetroAction { cycle, .. } => known_cycle(state, *cycle)?,
        CarryOver { to_cycle, .. } => known_cycle(state, *to_cycle)?,
        ReviseObjective { objective, .. }
        | AlignObjective { objective, .. }
        | UnalignObjective { objective, .. }
        | CommitObjective { objective }
        | DropObjective { objective, .. }
        | AmendObjective { objective, .. }
        | ApproveObjective { objective, .. }
        | LinkDependency { objective, .. }
        | UnlinkDependency { objective, .. }
        | AddKeyResult { objective, .. } => locate(state, EntityKind::Objective, objective.0)?,
        ReviseKeyResult { key_result, .. }
        | RemoveKeyResult { key_result }
        | AmendKeyResult { key_result, .. }
        | CheckIn { key_result, .. }
        | LinkKpi { key_result, .. }
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

/// What the command is about, found (and its cycle's phase checked) before authorization.
#[derive(Clone, Copy)]
enum Subject<'a> {
    /// An organisation command, or a plan for a new cycle.
    None,
    Cycle(&'a Cycle),
    Objective(&'a Cycle, &'a Objective),
    KeyResult(&'a Cycle, &'a Objective),
    Agreement(&'a Cycle, &'a Agreement),
    Blocker(&'a Cycle, &'a Blocker),
    Initiative(&'a Cycle, &'a Initiative),
}

impl<'a> Subject<'a> {
    fn cycle(self) -> Option<&'a Cycle> {
        match self {
            Subject::None => None,
            Subject::Cycle(c)
            | Subject::Objective(c, _)
            | Subject::KeyResult(c, _)
            | Subject::Agreement(c, _)
            | Subject::Blocker(c, _)
            | Subject::Initiative(c, _) => Some(c),
        }
    }
}

/// The units a right is checked on: none (the organisation as a whole), one or two.
type Units = [Option<UnitId>; 2];

/// The id a command creates, checked to be new before authorization. Carrying over checks
/// its new objective's id after authorization, in its handler. Exhaustive, so that a new
/// command says whether it creates something.
fn created(body: &CommandBody) -> Option<Uuid> {
    use CommandBody as C;
    match body {
        C::DefineUnit { unit, .. } => Some(unit.0),
        C::RegisterPerson { person, .. } => Some(person.0),
        C::PlanCycle { cycle, .. } => Some(cycle.0),
        C::DraftObjective { objective, .. } => Some(objective.0),
        C::AddKeyResult { key_result, .. } => Some(key_result.0),
        C::MakeAgreement { agreement, .. } => Some(agreement.0),
        C::RaiseBlocker { blocker, .. } => Some(blocker.0),
        C::AddInitiative { initiative, .. } => Some(initiative.0),
        C::DefineKpi { kpi, .. } => Some(kpi.0),
        C::AddRetroItem { item, .. } => Some(item.0),
        C::AddRetroAction { action, .. } => Some(action.0),
        C::RenameUnit { .. }
        | C::MoveUnit { .. }
        | C::RetireUnit { .. }
        | C::ForgetPerson { .. }
        | C::GrantMembership { .. }
        | C::RevokeMembership { .. }
        | C::RecordKpi { .. }
        | C::LinkKpi { .. }
        | C::SetPolicy { .. }
        | C::StartCycle { .. }
        | C::BeginReview { .. }
        | C::BeginRetrospective { .. }
        | C::CloseCycle { .. }
        | C::CancelCycle { .. }
        | C::ReviseObjective { .. }
        | C::AlignObjective { .. }
        | C::UnalignObjective { .. }
        | C::CommitObjective { .. }
        | C::DropObjective { .. }
        | C::AmendObjective { .. }
        | C::ApproveObjective { .. }
        | C::LinkDependency { .. }
        | C::UnlinkDependency { .. }
        | C::ReviseKeyResult { .. }
        | C::RemoveKeyResult { .. }
        | C::AmendKeyResult { .. }
        | C::CheckIn { .. }
        | C::ResolveAgreement { .. }
        | C::EscalateBlocker { .. }
        | C::DecideBlocker { .. }
        | C::MoveInitiative { .. }
        | C::OverrideScore { .. }
        | C::AddReviewNote { .. }
        | C::FollowUpRetroAction { .. }
        | C::CarryOver { .. }
        | C::CorrectScore { .. } => None,
    }
}

/// The unit a command names, if it names one.
fn named_unit(body: &CommandBody) -> Option<UnitId> {
    use CommandBody as C;
    match body {
        C::RenameUnit { unit, .. }
        | C::MoveUnit { unit, .. }
        | C::RetireUnit { unit }
        | C::GrantMembership { unit, .. }
        | C::RevokeMembership { unit, .. }
        | C::DraftObjective { unit, .. }
        | C::MakeAgreement { unit, .. }
        | C::RaiseBlocker { unit, .. }
        | C::DefineKpi { unit, .. } => Some(*unit),
        C::ApproveObjective { committee, .. } => Some(*committee),
        C::DefineUnit { .. }
        | C::RegisterPerson { .. }
        | C::ForgetPerson { .. }
        | C::RecordKpi { .. }
        | C::LinkKpi { .. }
        | C::PlanCycle { .. }
        | C::SetPolicy { .. }
        | C::StartCycle { .. }
        | C::BeginReview { .. }
        | C::BeginRetrospective { .. }
        | C::CloseCycle { .. }
        | C::CancelCycle { .. }
        | C::ReviseObjective { .. }
        | C::AlignObjective { .. }
        | C::UnalignObjective { .. }
        | C::CommitObjective { .. }
        | C::DropObjective { .. }
        | C::AmendObjective { .. }
        | C::LinkDependency { .. }
        | C::UnlinkDependency { .. }
        | C::AddKeyResult { .. }
        | C::ReviseKeyResult { .. }
        | C::RemoveKeyResult { .. }
        | C::AmendKeyResult { .. }
        | C::CheckIn { .. }
        | C::ResolveAgreement { .. }
        | C::EscalateBlocker { .. }
        | C::DecideBlocker { .. }
        | C::AddInitiative { .. }
        | C::MoveInitiative { .. }
        | C::OverrideScore { .. }
        | C::AddReviewNote { .. }
        | C::AddRetroItem { .. }
        | C::AddRetroAction { .. }
        | C::FollowUpRetroAction { .. }
        | C::CarryOver { .. }
        | C::CorrectScore { .. } => None,
    }
}

struct Ctx<'a> {
    s: &'a State,
    env: &'a Envelope,
    /// The action a refusal for lack of rights names, from the rules table: English, German.
    action: (&'static str, &'static str),
}

type Bodies = Result<Vec<EventBody>, Rejection>;

impl<'a> Ctx<'a> {
    /// The rules table's part: phase, new ids, the unit and the right.
    fn admit(&self, rule: &CommandRule, body: &CommandBody) -> Result<(), Rejection> {
        let allowed = match rule.phases {
            Phases::Organisation | Phases::NewCycle => None,
            Phases::In(allowed) => Some(allowed),
        };
        let subject = self.subject(body, allowed)?;
        assert_eq!(
            allowed.is_some(),
            subject.cycle().is_some(),
            "rules table: `{}` says {:?}, but the command is {} a cycle",
            rule.kind,
            rule.phases,
            if allowed.is_some() {
                "not about"
            } else {
                "about"
            },
        );
        if let Some(id) = created(body) {
            self.fresh(id)?;
        }
        let units = self.units(rule, body, subject)?;
        self.authorize(rule.right, units, subject.cycle())
    }

    /// Finds what the command is about and checks its cycle's phase against `allowed`.
    fn subject(
        &self,
        body: &CommandBody,
        allowed: Option<&[Phase]>,
    ) -> Result<Subject<'a>, Rejection> {
        use CommandBody as C;
        Ok(match body {
            C::SetPolicy { cycle, .. }
            | C::StartCycle { cycle }
            | C::BeginReview { cycle, .. }
            | C::BeginRetrospective { cycle }
            | C::CloseCycle { cycle }
            | C::CancelCycle { cycle, .. }
            | C::DraftObjective { cycle, .. }
            | C::MakeAgreement { cycle, .. }
            | C::RaiseBlocker { cycle, .. }
            | C::AddReviewNote { cycle, .. }
            | C::AddRetroItem { cycle, .. }
            | C::AddRetroAction { cycle, .. }
            | C::FollowUpRetroAction { cycle, .. } => Subject::Cycle(self.cycle(*cycle, allowed)?),
            C::ReviseObjective { objective, .. }
            | C::AlignObjective { objective, .. }
            | C::UnalignObjective { objective, .. }
            | C::CommitObjective { objective }
            | C::DropObjective { objective, .. }
            | C::AmendObjective { objective, .. }
            | C::ApproveObjective { objective, .. }
            | C::LinkDependency { objective, .. }
            | C::UnlinkDependency { objective, .. }
            | C::AddKeyResult { objective, .. }
            | C::CarryOver { objective, .. } => {
                let (c, o) = self.objective(*objective, allowed)?;
                Subject::Objective(c, o)
            }
            C::ReviseKeyResult { key_result, .. }
            | C::RemoveKeyResult { key_result }
            | C::AmendKeyResult { key_result, .. }
            | C::CheckIn { key_result, .. }
            | C::LinkKpi { key_result, .. }
            | C::AddInitiative { key_result, .. }
            | C::OverrideScore { key_result, .. }
            | C::CorrectScore { key_result, .. } => {
                let (c, o, _) = self.key_result(*key_result, allowed)?;
                Subject::KeyResult(c, o)
            }
            C::ResolveAgreement { agreement, .. } => {
                let (c, a) = self.agreement(*agreement, allowed)?;
                Subject::Agreement(c, a)
            }
            C::EscalateBlocker { blocker, .. } | C::DecideBlocker { blocker, .. } => {
                let (c, b) = self.blocker(*blocker, allowed)?;
                Subject::Blocker(c, b)
            }
            C::MoveInitiative { initiative, .. } => {
                let (c, i) = self.initiative(*initiative, allowed)?;
                Subject::Initiative(c, i)
            }
            C::DefineUnit { .. }
            | C::RenameUnit { .. }
            | C::MoveUnit { .. }
            | C::RetireUnit { .. }
            | C::RegisterPerson { .. }
            | C::ForgetPerson { .. }
            | C::GrantMembership { .. }
            | C::RevokeMembership { .. }
            | C::DefineKpi { .. }
            | C::RecordKpi { .. }
            | C::PlanCycle { .. } => Subject::None,
        })
    }

    /// The units the table says the right is checked on; they must exist (and be active
    /// where the table says so).
    fn units(
        &self,
        rule: &CommandRule,
        body: &CommandBody,
        subject: Subject<'a>,
    ) -> Result<Units, Rejection> {
        let mismatch = || -> Rejection {
            unreachable!(
                "rules table: `{}` has no {:?} to check rights on",
                rule.kind, rule.on
            )
        };
        let one = |u: UnitId| [Some(u), None];
        Ok(match rule.on {
            On::Organisation => [None, None],
            On::Unit => {
                let u = named_unit(body).ok_or_else(mismatch)?;
                self.unit(u)?;
                one(u)
            }
            On::ActiveUnit => {
                let u = named_unit(body).ok_or_else(mismatch)?;
                self.active_unit(u)?;
                one(u)
            }
            On::UnitAndNewParent => {
                let CommandBody::MoveUnit { unit, parent } = body else {
                    return Err(mismatch());
                };
                self.unit(*unit)?;
                self.active_unit(*parent)?;
                [Some(*unit), Some(*parent)]
            }
            On::Parent => {
                let CommandBody::DefineUnit { parent, .. } = body else {
                    return Err(mismatch());
                };
                if let Some(p) = parent {
                    self.active_unit(*p)?;
                }
                [*parent, None]
            }
            On::ObjectiveUnit => match subject {
                Subject::Objective(_, o) | Subject::KeyResult(_, o) => one(o.unit),
                _ => return Err(mismatch()),
            },
            On::KeyResultUnit => match subject {
                Subject::KeyResult(_, o) => one(o.unit),
                _ => return Err(mismatch()),
            },
            On::AgreementUnit => match subject {
                Subject::Agreement(_, a) => one(a.unit),
                _ => return Err(mismatch()),
            },
            On::BlockerUnit => match subject {
                Subject::Blocker(_, b) => one(b.unit),
                _ => return Err(mismatch()),
            },
            On::InitiativeUnit => match subject {
                Subject::Initiative(c, i) => one(self.unit_of_kr(c, i.key_result)?),
                _ => return Err(mismatch()),
            },
            On::EscalationCommittee => match subject {
                Subject::Blocker(_, b) => {
                    let Some((committee, _)) = b.escalation else {
                        return Err(Rejection::rule(
                            Rule::DecideEscalatedOnce,
                            Text::new(
                                format!("blocker {} was not escalated", b.id),
                                format!("Das Hindernis {} wurde nicht eskaliert.", b.id),
                            ),
                        ));
                    };
                    one(committee)
                }
                _ => return Err(mismatch()),
            },
            On::KpiUnit => {
                let CommandBody::RecordKpi { kpi, .. } = body else {
                    return Err(mismatch());
                };
                let k = self
                    .s
                    .kpis
                    .get(kpi)
                    .ok_or_else(|| Rejection::unknown(EntityKind::Kpi, kpi))?;
                one(k.unit)
            }
            On::Committee => {
                let u = named_unit(body).ok_or_else(mismatch)?;
                let unit = self.active_unit(u)?;
                if unit.kind != UnitKind::Committee {
                    return Err(Rejection::field(
                        "committee",
                        Text::new(
                            format!(
                                "unit {} ({u}) is a {:?}, not a committee",
                                unit.name, unit.kind
                            )
                            .to_lowercase(),
                            format!(
                                "Die Einheit {} ({u}) ist kein Gremium (sondern: {}).",
                                unit.name,
                                unit_kind_de(unit.kind)
                            ),
                        ),
                    ));
                }
                one(u)
            }
        })
    }

    /// Checks the table's right on the table's units.
    fn authorize(
        &self,
        right: Right,
        units: Units,
        cycle: Option<&Cycle>,
    ) -> Result<(), Rejection> {
        match right {
            Right::Special(_) => Ok(()),
            Right::RunCycle => self.cycle_admin(cycle),
            Right::Participate => self.participant(),
            Right::Moderate if self.s.has_role_anywhere(self.env.actor, Role::OkrMaster) => Ok(()),
            Right::Administer | Right::Edit | Right::Lead | Right::Moderate | Right::Steer => {
                if right == Right::Administer && self.setting_up() {
                    return Ok(());
                }
                if units == [None, None] {
                    return self.may_anywhere(right);
                }
                for u in units.into_iter().flatten() {
                    self.may(right, u)?;
                }
                Ok(())
            }
        }
    }

    /// Runs the command's handler.
    fn handle(&self, body: &CommandBody) -> Bodies {
        use CommandBody as C;
        match body {
            C::DefineUnit { .. }
            | C::RenameUnit { .. }
            | C::MoveUnit { .. }
            | C::RetireUnit { .. }
            | C::RegisterPerson { .. }
            | C::ForgetPerson { .. }
            | C::GrantMembership { .. }
            | C::RevokeMembership { .. } => self.organisation(body),
            C::DefineKpi { .. } | C::RecordKpi { .. } | C::LinkKpi { .. } => self.kpi_command(body),
            C::PlanCycle { .. }
            | C::SetPolicy { .. }
            | C::StartCycle { .. }
            | C::BeginReview { .. }
            | C::BeginRetrospective { .. }
            | C::CloseCycle { .. }
            | C::CancelCycle { .. } => self.cycle_command(body),
            C::DraftObjective { .. }
            | C::ReviseObjective { .. }
            | C::AmendObjective { .. }
            | C::AlignObjective { .. }
            | C::UnalignObjective { .. }
            | C::CommitObjective { .. }
            | C::DropObjective { .. }
            | C::ApproveObjective { .. }
            | C::LinkDependency { .. }
            | C::UnlinkDependency { .. }
            | C::CarryOver { .. } => self.objective_command(body),
            C::AddKeyResult { .. }
            | C::ReviseKeyResult { .. }
            | C::RemoveKeyResult { .. }
            | C::AmendKeyResult { .. }
            | C::CheckIn { .. } => self.key_result_command(body),
            C::MakeAgreement { .. }
            | C::ResolveAgreement { .. }
            | C::RaiseBlocker { .. }
            | C::EscalateBlocker { .. }
            | C::DecideBlocker { .. }
            | C::AddInitiative { .. }
            | C::MoveInitiative { .. } => self.weekly(body),
            C::OverrideScore { .. }
            | C::CorrectScore { .. }
            | C::AddReviewNote { .. }
            | C::AddRetroItem { .. }
            | C::AddRetroAction { .. }
            | C::FollowUpRetroAction { .. } => self.review(body),
        }
    }

    // --- look-ups (`allowed`: the phases to check, if any) ---

    fn fresh(&self, id: Uuid) -> Result<(), Rejection> {
        match self.s.locate(id) {
            Some((kind, _)) => Err(Rejection::exists(kind, id.to_string())),
            None => Ok(()),
        }
    }

    fn unit(&self, unit: UnitId) -> Result<&'a Unit, Rejection> {
        self.s
            .units
            .get(&unit)
            .ok_or_else(|| Rejection::unknown(EntityKind::Unit, unit))
    }

    fn active_unit(&self, unit: UnitId) -> Result<&'a Unit, Rejection> {
        let u = self.unit(unit)?;
        if u.retired {
            return Err(Rejection::rule(
                Rule::UnitActive,
                Text::new(
                    format!("unit {} ({unit}) is retired", u.name),
                    format!("Die Einheit {} ({unit}) ist stillgelegt.", u.name),
                ),
            ));
        }
        Ok(u)
    }

    fn person(&self, person: PersonId, field: &str) -> Result<(), Rejection> {
        if self.s.people.contains_key(&person) {
            Ok(())
        } else {
            Err(Rejection::field(
                field,
                Text::new(
                    format!("unknown person {person}"),
                    format!("Die Person {person} ist unbekannt."),
                ),
            ))
        }
    }

    fn cycle(&self, cycle: CycleId, allowed: Option<&[Phase]>) -> Result<&'a Cycle, Rejection> {
        let c = self
            .s
            .cycles
            .get(&cycle)
            .ok_or_else(|| Rejection::unknown(EntityKind::Cycle, cycle))?;
        if let Some(allowed) = allowed {
            if !allowed.contains(&c.phase) {
                return Err(Rejection::WrongPhase {
                    cycle,
                    phase: c.phase,
                    allowed: allowed.to_vec(),
                });
            }
        }
        Ok(c)
    }

    fn cycle_of(
        &self,
        kind: EntityKind,
        id: Uuid,
        allowed: Option<&[Phase]>,
    ) -> Result<&'a Cycle, Rejection> {
        let c = locate(self.s, kind, id)?;
        self.cycle(c, allowed)
    }

    fn objective(
        &self,
        objective: ObjectiveId,
        allowed: Option<&[Phase]>,
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
        allowed: Option<&[Phase]>,
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

    fn agreement(
        &self,
        agreement: AgreementId,
        allowed: Option<&[Phase]>,
    ) -> Result<(&'a Cycle, &'a Agreement), Rejection> {
        let c = self.cycle_of(EntityKind::Agreement, agreement.0, allowed)?;
        let a = c
            .agreements
            .get(&agreement)
            .ok_or_else(|| Rejection::unknown(EntityKind::Agreement, agreement))?;
        Ok((c, a))
    }

    fn blocker(
        &self,
        blocker: BlockerId,
        allowed: Option<&[Phase]>,
    ) -> Result<(&'a Cycle, &'a Blocker), Rejection> {
        let c = self.cycle_of(EntityKind::Blocker, blocker.0, allowed)?;
        let b = c
            .blockers
            .get(&blocker)
            .ok_or_else(|| Rejection::unknown(EntityKind::Blocker, blocker))?;
        Ok((c, b))
    }

    fn initiative(
        &self,
        initiative: InitiativeId,
        allowed: Option<&[Phase]>,
    ) -> Result<(&'a Cycle, &'a Initiative), Rejection> {
        let c = self.cycle_of(EntityKind::Initiative, initiative.0, allowed)?;
        let i = c
            .initiatives
            .get(&initiative)
            .ok_or_else(|| Rejection::unknown(EntityKind::Initiative, initiative))?;
        Ok((c, i))
    }

    /// An objective's title for messages in `lang` (in the language's quotes), with its id
    /// to tell equal titles apart; its id alone when unknown.
    fn objective_name(c: &Cycle, objective: ObjectiveId, lang: Lang) -> String {
        match c.objectives.get(&objective) {
            Some(o) => quoted(&o.text.title, objective, lang),
            None => objective.to_string(),
        }
    }

    /// A unit's name for messages, its id when unknown.
    fn unit_name(&self, unit: UnitId) -> String {
        match self.s.units.get(&unit) {
            Some(u) => format!("{} ({unit})", u.name),
            None => unit.to_string(),
        }
    }

    fn unit_of_kr(&self, c: &Cycle, kr: KeyResultId) -> Result<UnitId, Rejection> {
        c.key_results
            .get(&kr)
            .and_then(|k| c.objectives.get(&k.objective))
            .map(|o| o.unit)
            .ok_or_else(|| Rejection::unknown(EntityKind::KeyResult, kr))
    }

    // --- authorization ---

    fn unauthorized(&self, unit: Option<UnitId>) -> Rejection {
        Rejection::Unauthorized {
            actor: self.env.actor,
            action: Text::new(self.action.0, self.action.1),
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

    /// The roles that carry a right checked on a unit.
    fn roles(right: Right) -> &'static [Role] {
        match right {
            // The OkrMaster facilitates: no content rights of its own (Moderate admits an
            // OkrMaster anywhere before it gets here).
            Right::Edit | Right::Moderate => &[Role::Member, Role::Lead],
            Right::Lead => &[Role::Lead],
            Right::Administer => &[Role::OkrMaster, Role::Lead],
            Right::Steer => &[Role::Steering],
            Right::RunCycle | Right::Participate | Right::Special(_) => &[],
        }
    }

    /// The actor holds `right` on `unit` (or above it).
    fn may(&self, right: Right, unit: UnitId) -> Result<(), Rejection> {
        let actor = self.env.actor;
        if Self::roles(right)
            .iter()
            .any(|r| self.s.has_role(actor, unit, *r))
        {
            Ok(())
        } else {
            Err(self.unauthorized(Some(unit)))
        }
    }

    /// The actor holds `right` on some unit; a refusal names the root.
    fn may_anywhere(&self, right: Right) -> Result<(), Rejection> {
        let actor = self.env.actor;
        if Self::roles(right)
            .iter()
            .any(|r| self.s.has_role_anywhere(actor, *r))
        {
            Ok(())
        } else {
            Err(self.unauthorized(self.root()))
        }
    }

    /// [`Right::Administer`] on `unit`, or on the organisation for `None`.
    fn admin(&self, unit: Option<UnitId>) -> Result<(), Rejection> {
        if self.setting_up() {
            return Ok(());
        }
        match unit {
            Some(u) => self.may(Right::Administer, u),
            None => self.may_anywhere(Right::Administer),
        }
    }

    /// [`rules::Special::GrantRole`].
    fn grant_right(&self, unit: UnitId, role: Role) -> Result<(), Rejection> {
        if self.setting_up() {
            return Ok(());
        }
        match role {
            Role::Member | Role::Observer => self.may(Right::Administer, unit),
            Role::OkrMaster | Role::Lead | Role::Steering => {
                if self.s.has_role(self.env.actor, unit, Role::OkrMaster) {
                    Ok(())
                } else {
                    Err(self.unauthorized(Some(unit)))
                }
            }
        }
    }

    /// [`Right::RunCycle`].
    fn cycle_admin(&self, cycle: Option<&Cycle>) -> Result<(), Rejection> {
        let actor = self.env.actor;
        if self.s.has_role_anywhere(actor, Role::OkrMaster) {
            return Ok(());
        }
        if cycle.is_some_and(|c| c.policy.leads_may_advance)
            && self.s.has_role_anywhere(actor, Role::Lead)
        {
            return Ok(());
        }
        Err(self.unauthorized(self.root()))
    }

    /// [`Right::Participate`].
    fn participant(&self) -> Result<(), Rejection> {
        if self.s.participates(self.env.actor) {
            Ok(())
        } else {
            Err(self.unauthorized(self.root()))
        }
    }
}

/// A title in the quotes of `lang` with its id: `"Title" (id)`, `„Title“ (id)`.
fn quoted(title: &str, id: impl std::fmt::Display, lang: Lang) -> String {
    match lang {
        Lang::En => format!("\"{title}\" ({id})"),
        Lang::De => format!("„{title}“ ({id})"),
    }
}

/// A unit kind's German name, for messages.
fn unit_kind_de(kind: UnitKind) -> &'static str {
    match kind {
        UnitKind::Organisation => "Organisation",
        UnitKind::Department => "Abteilung",
        UnitKind::Team => "Team",
        UnitKind::Committee => "Gremium",
    }
}
