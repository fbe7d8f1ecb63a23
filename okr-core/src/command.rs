//! Commands: what a caller asks the engine to do.

use crate::ids::{
    AgreementId, BlockerId, CycleId, InitiativeId, KeyResultId, KpiId, ObjectiveId, PersonId,
    RetroActionId, RetroItemId, UnitId,
};
use crate::key_result::{KeyResultPatch, KrKind};
use crate::objective::{ObjectiveKind, ObjectivePatch};
use crate::organisation::{Role, UnitKind};
use crate::policy::{CycleKind, Policy};
use crate::review::RetroKind;
use crate::weekly::{AgreementOutcome, InitiativeStatus, Party};
use chrono::{DateTime, NaiveDate, Utc, Weekday};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What comes with every command: ids and time come from the caller, never from the core.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Envelope {
    /// Identifies the command; a store returns the original outcome when it sees it again.
    pub command_id: Uuid,
    /// The person acting.
    pub actor: PersonId,
    /// When the command is given.
    pub at: DateTime<Utc>,
    /// The version the caller expects the target stream to have (its number of events).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_version: Option<u64>,
}

/// A command: an envelope and what to do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Command {
    /// Who, when, which command.
    pub envelope: Envelope,
    /// What.
    pub body: CommandBody,
}

impl Command {
    /// A command with its envelope: `command_id` identifies it for retries, `actor` is the
    /// person acting and `at` the moment it is given. No expected version is set.
    ///
    /// ```
    /// use okr_core::{Command, CommandBody, PersonId};
    /// let at = "2025-01-06T09:00:00Z".parse().unwrap();
    /// let person = PersonId::from_u128(7);
    /// let command = Command::new(uuid::Uuid::from_u128(1), person, at, CommandBody::RegisterPerson {
    ///     person,
    ///     name: "Alex".into(),
    /// })
    /// .expecting(0);
    /// assert_eq!(command.envelope.expected_version, Some(0));
    /// ```
    pub fn new(command_id: Uuid, actor: PersonId, at: DateTime<Utc>, body: CommandBody) -> Command {
        Command {
            envelope: Envelope {
                command_id,
                actor,
                at,
                expected_version: None,
            },
            body,
        }
    }

    /// The same command, refused unless its stream holds exactly `version` events when it is
    /// decided (optimistic concurrency).
    pub fn expecting(mut self, version: u64) -> Command {
        self.envelope.expected_version = Some(version);
        self
    }
}

/// Everything the engine can be asked to do. The phases each command is allowed in, the
/// right it needs and on which unit are in the rules table of `decide` (rendered as
/// `PERMISSIONS.md`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub enum CommandBody {
    // --- organisation ---
    /// Define a unit. The first unit is the root; every later one needs a parent.
    DefineUnit {
        /// New unit's id.
        unit: UnitId,
        /// Its name.
        name: String,
        /// What it is.
        kind: UnitKind,
        /// The unit above it.
        #[serde(default)]
        parent: Option<UnitId>,
    },
    /// Rename a unit.
    RenameUnit {
        /// The unit.
        unit: UnitId,
        /// Its new name.
        name: String,
    },
    /// Move a unit below another parent.
    MoveUnit {
        /// The unit.
        unit: UnitId,
        /// Its new parent.
        parent: UnitId,
    },
    /// Retire a unit: it keeps its history, takes no new work.
    RetireUnit {
        /// The unit.
        unit: UnitId,
    },
    /// Register a person.
    RegisterPerson {
        /// New person's id.
        person: PersonId,
        /// Their name.
        name: String,
    },
    /// Forget a person (the right to erasure): their name and the texts they wrote become
    /// unreadable in the store, which destroys the person's key; the person stays as a
    /// pseudonym (`ehemaliges Mitglied N`) and every figure is unchanged. Only an OkrMaster.
    ForgetPerson {
        /// The person to forget.
        person: PersonId,
        /// Why (e.g. the request it answers); kept, sealed with the OkrMaster's key.
        reason: String,
    },
    /// Grant a role in a unit.
    GrantMembership {
        /// The unit.
        unit: UnitId,
        /// The person.
        person: PersonId,
        /// The role.
        role: Role,
    },
    /// Revoke a role in a unit.
    RevokeMembership {
        /// The unit.
        unit: UnitId,
        /// The person.
        person: PersonId,
        /// The role.
        role: Role,
    },
    /// Define a unit's KPI (Kennzahl: a health metric or service level), kept apart from
    /// OKRs: a threshold, an optional warning level, readings, a health status, no score.
    DefineKpi {
        /// New KPI's id.
        kpi: KpiId,
        /// The unit it belongs to.
        unit: UnitId,
        /// What it measures.
        name: String,
        /// Unit of measure, e.g. `%` or `Tage`.
        unit_of_measure: String,
        /// Which side of the threshold is healthy.
        bound: crate::key_result::Bound,
        /// The threshold.
        threshold: f64,
        /// The warning level on the wrong side of the threshold, if any.
        #[serde(default)]
        warning: Option<f64>,
    },
    /// Record a reading of a KPI (its check-in).
    RecordKpi {
        /// The KPI.
        kpi: KpiId,
        /// The value.
        value: f64,
        /// When the value was true; the envelope's time when absent.
        #[serde(default)]
        effective_at: Option<DateTime<Utc>>,
    },
    // --- cycles ---
    /// Plan a cycle; it starts in Planning.
    PlanCycle {
        /// New cycle's id.
        cycle: CycleId,
        /// Its name, e.g. `2025-Q1`.
        name: String,
        /// Practice sprint or regular.
        kind: CycleKind,
        /// First day.
        start: NaiveDate,
        /// Last day (after `start`).
        end: NaiveDate,
        /// Weekday of the weekly check-in.
        check_in_weekday: Weekday,
        /// Policy; the kind's defaults when absent.
        #[serde(default)]
        policy: Option<Policy>,
    },
    /// Replace the policy while Planning.
    SetPolicy {
        /// The cycle.
        cycle: CycleId,
        /// The new policy.
        policy: Policy,
    },
    /// Planning → Running.
    StartCycle {
        /// The cycle.
        cycle: CycleId,
    },
    /// Running → Review; before the end date only with a reason.
    BeginReview {
        /// The cycle.
        cycle: CycleId,
        /// Why the review begins before the end date.
        #[serde(default)]
        early_reason: Option<String>,
    },
    /// Review → Retrospective.
    BeginRetrospective {
        /// The cycle.
        cycle: CycleId,
    },
    /// Retrospective → Closed.
    CloseCycle {
        /// The cycle.
        cycle: CycleId,
    },
    /// Call a cycle off (any phase before Closed), with a reason.
    CancelCycle {
        /// The cycle.
        cycle: CycleId,
        /// Why.
        reason: String,
    },
    // --- objectives ---
    /// Draft an objective for a unit.
    DraftObjective {
        /// The cycle.
        cycle: CycleId,
        /// New objective's id.
        objective: ObjectiveId,
        /// The owning unit.
        unit: UnitId,
        /// The objective's title.
        title: String,
        /// For whom.
        #[serde(default)]
        beneficiary: Option<String>,
        /// Which change in behaviour.
        #[serde(default)]
        change: Option<String>,
        /// Which value it brings.
        #[serde(default)]
        value: Option<String>,
        /// Committed or aspirational.
        kind: ObjectiveKind,
        /// Weight in the unit's rollup (> 0, default 1).
        #[serde(default = "one")]
        weight: u32,
    },
    /// Revise an objective while Planning.
    ReviseObjective {
        /// The objective.
        objective: ObjectiveId,
        /// What changes.
        patch: ObjectivePatch,
    },
    /// Align an objective to another of the same cycle (it contributes to it).
    AlignObjective {
        /// The contributing objective.
        objective: ObjectiveId,
        /// The objective it contributes to.
        parent: ObjectiveId,
        /// Contribution weight (≥ 0); relinking replaces it.
        contribution: u32,
    },
    /// Remove an alignment link.
    UnalignObjective {
        /// The contributing objective.
        objective: ObjectiveId,
        /// The objective it contributed to.
        parent: ObjectiveId,
    },
    /// Commit an objective (needs at least one key result).
    CommitObjective {
        /// The objective.
        objective: ObjectiveId,
    },
    /// Drop an objective.
    DropObjective {
        /// The objective.
        objective: ObjectiveId,
        /// Why (optional in Planning, required while Running).
        #[serde(default)]
        reason: Option<String>,
    },
    /// Amend an objective while Running, with a reason.
    AmendObjective {
        /// The objective.
        objective: ObjectiveId,
        /// What changes.
        patch: ObjectivePatch,
        /// Why.
        reason: String,
    },
    /// Link a key result to a KPI of its objective's unit or a unit above it: the key
    /// result sets out to move that Kennzahl. Relinking replaces the link.
    LinkKpi {
        /// The key result.
        key_result: KeyResultId,
        /// The KPI.
        kpi: KpiId,
    },
    /// A steering committee approves a cross-unit objective while Planning: one of a unit
    /// with units below it, or one that objectives of other units are aligned to or depend
    /// on. When the cycle's policy sets `cross_unit_approval`, such an objective is
    /// committed only after this.
    ApproveObjective {
        /// The objective.
        objective: ObjectiveId,
        /// The steering committee that approves it.
        committee: UnitId,
    },
    /// Record that an objective depends on an objective of another unit in the same cycle
    /// („hängt ab von“): a sideways link for transparency, never scored. The links stay
    /// acyclic.
    LinkDependency {
        /// The objective that depends.
        objective: ObjectiveId,
        /// The objective of another unit it depends on.
        depends_on: ObjectiveId,
    },
    /// Remove a dependency link.
    UnlinkDependency {
        /// The objective that depended.
        objective: ObjectiveId,
        /// The objective it depended on.
        depends_on: ObjectiveId,
    },
    // --- key results ---
    /// Add a key result while Planning.
    AddKeyResult {
        /// The objective.
        objective: ObjectiveId,
        /// New key result's id.
        key_result: KeyResultId,
        /// What it measures.
        title: String,
        /// How it is measured.
        kind: KrKind,
        /// Its weight (> 0, default 1).
        #[serde(default = "one")]
        weight: u32,
        /// Who owns it.
        #[serde(default)]
        owner: Option<PersonId>,
    },
    /// Revise a key result while Planning.
    ReviseKeyResult {
        /// The key result.
        key_result: KeyResultId,
        /// What changes.
        patch: KeyResultPatch,
    },
    /// Remove a key result while Planning.
    RemoveKeyResult {
        /// The key result.
        key_result: KeyResultId,
    },
    /// Amend a key result while Running, with a reason.
    AmendKeyResult {
        /// The key result.
        key_result: KeyResultId,
        /// What changes.
        patch: KeyResultPatch,
        /// Why.
        reason: String,
    },
    // --- weekly ---
    /// Tell a key result's current value and confidence.
    CheckIn {
        /// The key result.
        key_result: KeyResultId,
        /// The measured value.
        value: f64,
        /// Confidence 0..=10.
        confidence: u8,
        /// Free text.
        #[serde(default)]
        note: String,
        /// When the value was true; the envelope's time when absent.
        #[serde(default)]
        effective_at: Option<DateTime<Utc>>,
    },
    /// Make an agreement in a unit's weekly.
    MakeAgreement {
        /// The cycle.
        cycle: CycleId,
        /// New agreement's id.
        agreement: AgreementId,
        /// The unit.
        unit: UnitId,
        /// What should be different by the next weekly.
        text: String,
        /// Who takes it on.
        #[serde(default)]
        owner: Option<PersonId>,
        /// By when.
        #[serde(default)]
        due: Option<NaiveDate>,
        /// The date of the weekly that makes it; the command's date when absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        weekly: Option<NaiveDate>,
        /// Who provides something for it (a person or a unit); needs `provides`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        provider: Option<Party>,
        /// What the provider provides; needs `provider`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        provides: Option<String>,
        /// For whom it is done (a person or a unit).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        receiver: Option<Party>,
        /// What happens if it is not kept.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        consequence: Option<String>,
    },
    /// Resolve an agreement as kept or missed, at a weekly later than the one that made it.
    ResolveAgreement {
        /// The agreement.
        agreement: AgreementId,
        /// Kept or missed.
        outcome: AgreementOutcome,
        /// The date of the weekly that resolves it; the command's date when absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        weekly: Option<NaiveDate>,
    },
    /// Raise a blocker.
    RaiseBlocker {
        /// The cycle.
        cycle: CycleId,
        /// New blocker's id.
        blocker: BlockerId,
        /// The unit it blocks.
        unit: UnitId,
        /// The key result it holds up, if one.
        #[serde(default)]
        key_result: Option<KeyResultId>,
        /// What is in the way.
        text: String,
    },
    /// Escalate a blocker to a steering committee.
    EscalateBlocker {
        /// The blocker.
        blocker: BlockerId,
        /// The committee unit.
        to: UnitId,
    },
    /// Record the committee's decision on an escalated blocker.
    DecideBlocker {
        /// The blocker.
        blocker: BlockerId,
        /// What was decided.
        decision: String,
    },
    /// Add an initiative to a key result.
    AddInitiative {
        /// The key result.
        key_result: KeyResultId,
        /// New initiative's id.
        initiative: InitiativeId,
        /// What will be done.
        title: String,
        /// Effort 1..=5.
        effort: u8,
        /// Impact 1..=5.
        impact: u8,
    },
    /// Move an initiative on the board.
    MoveInitiative {
        /// The initiative.
        initiative: InitiativeId,
        /// Its new column.
        status: InitiativeStatus,
    },
    // --- review and retrospective ---
    /// Override a key result's computed review score, with a reason.
    OverrideScore {
        /// The key result.
        key_result: KeyResultId,
        /// The score, 0.0..=1.0.
        score: f64,
        /// Why.
        reason: String,
    },
    /// Add a review note.
    AddReviewNote {
        /// The cycle.
        cycle: CycleId,
        /// The note.
        text: String,
    },
    /// Add a retrospective item.
    AddRetroItem {
        /// The cycle.
        cycle: CycleId,
        /// New item's id.
        item: RetroItemId,
        /// Keep / improve / stop / try.
        kind: RetroKind,
        /// What was said.
        text: String,
    },
    /// Add a retrospective action.
    AddRetroAction {
        /// The cycle.
        cycle: CycleId,
        /// New action's id.
        action: RetroActionId,
        /// What will be done.
        text: String,
        /// Who does it.
        owner: PersonId,
        /// The item it answers.
        #[serde(default)]
        item: Option<RetroItemId>,
    },
    /// Follow up a retrospective action of an earlier, closed cycle in a later cycle: was
    /// it done or not. Each action is followed up once.
    FollowUpRetroAction {
        /// The later cycle in which it is followed up.
        cycle: CycleId,
        /// The action.
        action: RetroActionId,
        /// Whether it was done.
        done: bool,
    },
    /// Carry an unfinished objective over to a later cycle in Planning (lineage kept).
    CarryOver {
        /// The objective.
        objective: ObjectiveId,
        /// The later cycle.
        to_cycle: CycleId,
        /// The new objective's id in that cycle.
        new_objective: ObjectiveId,
    },
    /// Correct a key result's score after the cycle closed, with a reason.
    CorrectScore {
        /// The key result.
        key_result: KeyResultId,
        /// The corrected score, 0.0..=1.0.
        score: f64,
        /// Why.
        reason: String,
    },
}

fn one() -> u32 {
    1
}

impl CommandBody {
    /// The command's stable type name, as in its JSON `type` field.
    pub fn name(&self) -> &'static str {
        self.kind().name()
    }

    /// Which command this is, without its fields.
    pub fn kind(&self) -> CommandKind {
        match self {
            CommandBody::DefineUnit { .. } => CommandKind::DefineUnit,
            CommandBody::RenameUnit { .. } => CommandKind::RenameUnit,
            CommandBody::MoveUnit { .. } => CommandKind::MoveUnit,
            CommandBody::RetireUnit { .. } => CommandKind::RetireUnit,
            CommandBody::RegisterPerson { .. } => CommandKind::RegisterPerson,
            CommandBody::ForgetPerson { .. } => CommandKind::ForgetPerson,
            CommandBody::GrantMembership { .. } => CommandKind::GrantMembership,
            CommandBody::RevokeMembership { .. } => CommandKind::RevokeMembership,
            CommandBody::DefineKpi { .. } => CommandKind::DefineKpi,
            CommandBody::RecordKpi { .. } => CommandKind::RecordKpi,
            CommandBody::PlanCycle { .. } => CommandKind::PlanCycle,
            CommandBody::SetPolicy { .. } => CommandKind::SetPolicy,
            CommandBody::StartCycle { .. } => CommandKind::StartCycle,
            CommandBody::BeginReview { .. } => CommandKind::BeginReview,
            CommandBody::BeginRetrospective { .. } => CommandKind::BeginRetrospective,
            CommandBody::CloseCycle { .. } => CommandKind::CloseCycle,
            CommandBody::CancelCycle { .. } => CommandKind::CancelCycle,
            CommandBody::DraftObjective { .. } => CommandKind::DraftObjective,
            CommandBody::ReviseObjective { .. } => CommandKind::ReviseObjective,
            CommandBody::AlignObjective { .. } => CommandKind::AlignObjective,
            CommandBody::UnalignObjective { .. } => CommandKind::UnalignObjective,
            CommandBody::CommitObjective { .. } => CommandKind::CommitObjective,
            CommandBody::DropObjective { .. } => CommandKind::DropObjective,
            CommandBody::AmendObjective { .. } => CommandKind::AmendObjective,
            CommandBody::LinkKpi { .. } => CommandKind::LinkKpi,
            CommandBody::ApproveObjective { .. } => CommandKind::ApproveObjective,
            CommandBody::LinkDependency { .. } => CommandKind::LinkDependency,
            CommandBody::UnlinkDependency { .. } => CommandKind::UnlinkDependency,
            CommandBody::AddKeyResult { .. } => CommandKind::AddKeyResult,
            CommandBody::ReviseKeyResult { .. } => CommandKind::ReviseKeyResult,
            CommandBody::RemoveKeyResult { .. } => CommandKind::RemoveKeyResult,
            CommandBody::AmendKeyResult { .. } => CommandKind::AmendKeyResult,
            CommandBody::CheckIn { .. } => CommandKind::CheckIn,
            CommandBody::MakeAgreement { .. } => CommandKind::MakeAgreement,
            CommandBody::ResolveAgreement { .. } => CommandKind::ResolveAgreement,
            CommandBody::RaiseBlocker { .. } => CommandKind::RaiseBlocker,
            CommandBody::EscalateBlocker { .. } => CommandKind::EscalateBlocker,
            CommandBody::DecideBlocker { .. } => CommandKind::DecideBlocker,
            CommandBody::AddInitiative { .. } => CommandKind::AddInitiative,
            CommandBody::MoveInitiative { .. } => CommandKind::MoveInitiative,
            CommandBody::OverrideScore { .. } => CommandKind::OverrideScore,
            CommandBody::AddReviewNote { .. } => CommandKind::AddReviewNote,
            CommandBody::AddRetroItem { .. } => CommandKind::AddRetroItem,
            CommandBody::AddRetroAction { .. } => CommandKind::AddRetroAction,
            CommandBody::FollowUpRetroAction { .. } => CommandKind::FollowUpRetroAction,
            CommandBody::CarryOver { .. } => CommandKind::CarryOver,
            CommandBody::CorrectScore { .. } => CommandKind::CorrectScore,
        }
    }
}

/// One per [`CommandBody`] variant, without the fields: what the rules table and the docs
/// enumerate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CommandKind {
    /// `define_unit`: see [`CommandBody::DefineUnit`].
    DefineUnit,
    /// `rename_unit`: see [`CommandBody::RenameUnit`].
    RenameUnit,
    /// `move_unit`: see [`CommandBody::MoveUnit`].
    MoveUnit,
    /// `retire_unit`: see [`CommandBody::RetireUnit`].
    RetireUnit,
    /// `register_person`: see [`CommandBody::RegisterPerson`].
    RegisterPerson,
    /// `forget_person`: see [`CommandBody::ForgetPerson`].
    ForgetPerson,
    /// `grant_membership`: see [`CommandBody::GrantMembership`].
    GrantMembership,
    /// `revoke_membership`: see [`CommandBody::RevokeMembership`].
    RevokeMembership,
    /// `define_kpi`: see [`CommandBody::DefineKpi`].
    DefineKpi,
    /// `record_kpi`: see [`CommandBody::RecordKpi`].
    RecordKpi,
    /// `plan_cycle`: see [`CommandBody::PlanCycle`].
    PlanCycle,
    /// `set_policy`: see [`CommandBody::SetPolicy`].
    SetPolicy,
    /// `start_cycle`: see [`CommandBody::StartCycle`].
    StartCycle,
    /// `begin_review`: see [`CommandBody::BeginReview`].
    BeginReview,
    /// `begin_retrospective`: see [`CommandBody::BeginRetrospective`].
    BeginRetrospective,
    /// `close_cycle`: see [`CommandBody::CloseCycle`].
    CloseCycle,
    /// `cancel_cycle`: see [`CommandBody::CancelCycle`].
    CancelCycle,
    /// `draft_objective`: see [`CommandBody::DraftObjective`].
    DraftObjective,
    /// `revise_objective`: see [`CommandBody::ReviseObjective`].
    ReviseObjective,
    /// `align_objective`: see [`CommandBody::AlignObjective`].
    AlignObjective,
    /// `unalign_objective`: see [`CommandBody::UnalignObjective`].
    UnalignObjective,
    /// `commit_objective`: see [`CommandBody::CommitObjective`].
    CommitObjective,
    /// `drop_objective`: see [`CommandBody::DropObjective`].
    DropObjective,
    /// `amend_objective`: see [`CommandBody::AmendObjective`].
    AmendObjective,
    /// `link_kpi`: see [`CommandBody::LinkKpi`].
    LinkKpi,
    /// `approve_objective`: see [`CommandBody::ApproveObjective`].
    ApproveObjective,
    /// `link_dependency`: see [`CommandBody::LinkDependency`].
    LinkDependency,
    /// `unlink_dependency`: see [`CommandBody::UnlinkDependency`].
    UnlinkDependency,
    /// `add_key_result`: see [`CommandBody::AddKeyResult`].
    AddKeyResult,
    /// `revise_key_result`: see [`CommandBody::ReviseKeyResult`].
    ReviseKeyResult,
    /// `remove_key_result`: see [`CommandBody::RemoveKeyResult`].
    RemoveKeyResult,
    /// `amend_key_result`: see [`CommandBody::AmendKeyResult`].
    AmendKeyResult,
    /// `check_in`: see [`CommandBody::CheckIn`].
    CheckIn,
    /// `make_agreement`: see [`CommandBody::MakeAgreement`].
    MakeAgreement,
    /// `resolve_agreement`: see [`CommandBody::ResolveAgreement`].
    ResolveAgreement,
    /// `raise_blocker`: see [`CommandBody::RaiseBlocker`].
    RaiseBlocker,
    /// `escalate_blocker`: see [`CommandBody::EscalateBlocker`].
    EscalateBlocker,
    /// `decide_blocker`: see [`CommandBody::DecideBlocker`].
    DecideBlocker,
    /// `add_initiative`: see [`CommandBody::AddInitiative`].
    AddInitiative,
    /// `move_initiative`: see [`CommandBody::MoveInitiative`].
    MoveInitiative,
    /// `override_score`: see [`CommandBody::OverrideScore`].
    OverrideScore,
    /// `add_review_note`: see [`CommandBody::AddReviewNote`].
    AddReviewNote,
    /// `add_retro_item`: see [`CommandBody::AddRetroItem`].
    AddRetroItem,
    /// `add_retro_action`: see [`CommandBody::AddRetroAction`].
    AddRetroAction,
    /// `follow_up_retro_action`: see [`CommandBody::FollowUpRetroAction`].
    FollowUpRetroAction,
    /// `carry_over`: see [`CommandBody::CarryOver`].
    CarryOver,
    /// `correct_score`: see [`CommandBody::CorrectScore`].
    CorrectScore,
}

impl CommandKind {
    /// Every command, in the order [`CommandBody`] declares them.
    pub const ALL: [CommandKind; 47] = [
        CommandKind::DefineUnit,
        CommandKind::RenameUnit,
        CommandKind::MoveUnit,
        CommandKind::RetireUnit,
        CommandKind::RegisterPerson,
        CommandKind::ForgetPerson,
        CommandKind::GrantMembership,
        CommandKind::RevokeMembership,
        CommandKind::DefineKpi,
        CommandKind::RecordKpi,
        CommandKind::PlanCycle,
        CommandKind::SetPolicy,
        CommandKind::StartCycle,
        CommandKind::BeginReview,
        CommandKind::BeginRetrospective,
        CommandKind::CloseCycle,
        CommandKind::CancelCycle,
        CommandKind::DraftObjective,
        CommandKind::ReviseObjective,
        CommandKind::AlignObjective,
        CommandKind::UnalignObjective,
        CommandKind::CommitObjective,
        CommandKind::DropObjective,
        CommandKind::AmendObjective,
        CommandKind::LinkKpi,
        CommandKind::ApproveObjective,
        CommandKind::LinkDependency,
        CommandKind::UnlinkDependency,
        CommandKind::AddKeyResult,
        CommandKind::ReviseKeyResult,
        CommandKind::RemoveKeyResult,
        CommandKind::AmendKeyResult,
        CommandKind::CheckIn,
        CommandKind::MakeAgreement,
        CommandKind::ResolveAgreement,
        CommandKind::RaiseBlocker,
        CommandKind::EscalateBlocker,
        CommandKind::DecideBlocker,
        CommandKind::AddInitiative,
        CommandKind::MoveInitiative,
        CommandKind::OverrideScore,
        CommandKind::AddReviewNote,
        CommandKind::AddRetroItem,
        CommandKind::AddRetroAction,
        CommandKind::FollowUpRetroAction,
        CommandKind::CarryOver,
        CommandKind::CorrectScore,
    ];

    /// The command's stable type name, as in its JSON `type` field.
    pub fn name(self) -> &'static str {
        match self {
            CommandKind::DefineUnit => "define_unit",
            CommandKind::RenameUnit => "rename_unit",
            CommandKind::MoveUnit => "move_unit",
            CommandKind::RetireUnit => "retire_unit",
            CommandKind::RegisterPerson => "register_person",
            CommandKind::ForgetPerson => "forget_person",
            CommandKind::GrantMembership => "grant_membership",
            CommandKind::RevokeMembership => "revoke_membership",
            CommandKind::DefineKpi => "define_kpi",
            CommandKind::RecordKpi => "record_kpi",
            CommandKind::PlanCycle => "plan_cycle",
            CommandKind::SetPolicy => "set_policy",
            CommandKind::StartCycle => "start_cycle",
            CommandKind::BeginReview => "begin_review",
            CommandKind::BeginRetrospective => "begin_retrospective",
            CommandKind::CloseCycle => "close_cycle",
            CommandKind::CancelCycle => "cancel_cycle",
            CommandKind::DraftObjective => "draft_objective",
            CommandKind::ReviseObjective => "revise_objective",
            CommandKind::AlignObjective => "align_objective",
            CommandKind::UnalignObjective => "unalign_objective",
            CommandKind::CommitObjective => "commit_objective",
            CommandKind::DropObjective => "drop_objective",
            CommandKind::AmendObjective => "amend_objective",
            CommandKind::LinkKpi => "link_kpi",
            CommandKind::ApproveObjective => "approve_objective",
            CommandKind::LinkDependency => "link_dependency",
            CommandKind::UnlinkDependency => "unlink_dependency",
            CommandKind::AddKeyResult => "add_key_result",
            CommandKind::ReviseKeyResult => "revise_key_result",
            CommandKind::RemoveKeyResult => "remove_key_result",
            CommandKind::AmendKeyResult => "amend_key_result",
            CommandKind::CheckIn => "check_in",
            CommandKind::MakeAgreement => "make_agreement",
            CommandKind::ResolveAgreement => "resolve_agreement",
            CommandKind::RaiseBlocker => "raise_blocker",
            CommandKind::EscalateBlocker => "escalate_blocker",
            CommandKind::DecideBlocker => "decide_blocker",
            CommandKind::AddInitiative => "add_initiative",
            CommandKind::MoveInitiative => "move_initiative",
            CommandKind::OverrideScore => "override_score",
            CommandKind::AddReviewNote => "add_review_note",
            CommandKind::AddRetroItem => "add_retro_item",
            CommandKind::AddRetroAction => "add_retro_action",
            CommandKind::FollowUpRetroAction => "follow_up_retro_action",
            CommandKind::CarryOver => "carry_over",
            CommandKind::CorrectScore => "correct_score",
        }
    }
}

impl std::fmt::Display for CommandKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
