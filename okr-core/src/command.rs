//! Commands: what a caller asks the engine to do.

use crate::ids::{
    AgreementId, BlockerId, CycleId, InitiativeId, KeyResultId, ObjectiveId, PersonId,
    RetroActionId, RetroItemId, UnitId,
};
use crate::key_result::{KeyResultPatch, KrKind};
use crate::objective::{ObjectiveKind, ObjectivePatch};
use crate::organisation::{Role, UnitKind};
use crate::policy::{CycleKind, Policy};
use crate::review::RetroKind;
use crate::weekly::{AgreementOutcome, InitiativeStatus};
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

/// Everything the engine can be asked to do (DESIGN §4–§5).
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
    },
    /// Resolve an agreement as kept or missed.
    ResolveAgreement {
        /// The agreement.
        agreement: AgreementId,
        /// Kept or missed.
        outcome: AgreementOutcome,
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
        match self {
            CommandBody::DefineUnit { .. } => "define_unit",
            CommandBody::RenameUnit { .. } => "rename_unit",
            CommandBody::MoveUnit { .. } => "move_unit",
            CommandBody::RetireUnit { .. } => "retire_unit",
            CommandBody::RegisterPerson { .. } => "register_person",
            CommandBody::GrantMembership { .. } => "grant_membership",
            CommandBody::RevokeMembership { .. } => "revoke_membership",
            CommandBody::PlanCycle { .. } => "plan_cycle",
            CommandBody::SetPolicy { .. } => "set_policy",
            CommandBody::StartCycle { .. } => "start_cycle",
            CommandBody::BeginReview { .. } => "begin_review",
            CommandBody::BeginRetrospective { .. } => "begin_retrospective",
            CommandBody::CloseCycle { .. } => "close_cycle",
            CommandBody::CancelCycle { .. } => "cancel_cycle",
            CommandBody::DraftObjective { .. } => "draft_objective",
            CommandBody::ReviseObjective { .. } => "revise_objective",
            CommandBody::AlignObjective { .. } => "align_objective",
            CommandBody::UnalignObjective { .. } => "unalign_objective",
            CommandBody::CommitObjective { .. } => "commit_objective",
            CommandBody::DropObjective { .. } => "drop_objective",
            CommandBody::AmendObjective { .. } => "amend_objective",
            CommandBody::AddKeyResult { .. } => "add_key_result",
            CommandBody::ReviseKeyResult { .. } => "revise_key_result",
            CommandBody::RemoveKeyResult { .. } => "remove_key_result",
            CommandBody::AmendKeyResult { .. } => "amend_key_result",
            CommandBody::CheckIn { .. } => "check_in",
            CommandBody::MakeAgreement { .. } => "make_agreement",
            CommandBody::ResolveAgreement { .. } => "resolve_agreement",
            CommandBody::RaiseBlocker { .. } => "raise_blocker",
            CommandBody::EscalateBlocker { .. } => "escalate_blocker",
            CommandBody::DecideBlocker { .. } => "decide_blocker",
            CommandBody::AddInitiative { .. } => "add_initiative",
            CommandBody::MoveInitiative { .. } => "move_initiative",
            CommandBody::OverrideScore { .. } => "override_score",
            CommandBody::AddReviewNote { .. } => "add_review_note",
            CommandBody::AddRetroItem { .. } => "add_retro_item",
            CommandBody::AddRetroAction { .. } => "add_retro_action",
            CommandBody::CarryOver { .. } => "carry_over",
            CommandBody::CorrectScore { .. } => "correct_score",
        }
    }
}
