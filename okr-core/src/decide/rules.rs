//! The rules table: for every command, the phases it is allowed in, the right it needs and
//! the unit that right is checked on. [`decide`](super::decide) consults it once per
//! command, before the command's own handler runs; [`permissions_markdown`] renders it as
//! the permissions matrix committed as `okr-core/PERMISSIONS.md`.

use crate::command::CommandKind;
use crate::cycle::Phase;
use crate::organisation::Role;

use Phase::*;

/// What a command needs before its own checks run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommandRule {
    /// The command.
    pub kind: CommandKind,
    /// The action a refusal for lack of rights names (`Rejection::Unauthorized::action`).
    pub action: &'static str,
    /// The same action in German, as a zu-infinitive: `ein Objective zuzusagen`.
    pub action_de: &'static str,
    /// The phases the command is allowed in.
    pub phases: Phases,
    /// The right the actor needs.
    pub right: Right,
    /// Where that right is checked.
    pub on: On,
}

/// When a command may be given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phases {
    /// An organisation command: it writes to the organisation stream and needs no cycle.
    Organisation,
    /// Plans a new cycle, which has no phase yet.
    NewCycle,
    /// The cycle holding what the command is about (the cycle it names, or the cycle of the
    /// objective, key result, agreement, blocker or initiative it names) must be in one of
    /// these phases.
    In(&'static [Phase]),
}

/// What a person may do. Roles count on the unit the right is checked on and on every unit
/// above it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Right {
    /// Edit a unit's OKRs, check in, add and move initiatives: Member or Lead of the unit.
    /// The OkrMaster facilitates and holds no content rights of its own: an OkrMaster edits
    /// a unit's OKRs only when also Member or Lead there.
    Edit,
    /// Commit, drop, escalate, override, carry over: Lead of the unit.
    Lead,
    /// Record what a moderated meeting settled (agreements of the weekly and their
    /// resolution, blockers raised there): Member or Lead of the unit, or an OkrMaster, who
    /// moderates weeklies, plannings, reviews and retrospectives.
    Moderate,
    /// Administer the organisation below a unit: OkrMaster or Lead. Until somebody holds
    /// the OkrMaster role the organisation is being set up, and anybody may.
    Administer,
    /// Run the cycle calendar (plan, advance, cancel, correct): OkrMaster anywhere, and Lead
    /// anywhere when the cycle's policy lets leads advance it (a cycle being planned has no
    /// policy yet, so only an OkrMaster plans one).
    RunCycle,
    /// Take part in review and retrospective: any role but Observer, anywhere.
    Participate,
    /// Decide for a steering committee (an escalated blocker, the approval of a cross-unit
    /// objective): Steering on that committee.
    Steer,
    /// The right depends on the command's content or on the state; the handler checks it.
    Special(Special),
}

/// The rights that depend on the command or the state, checked by the command's handler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Special {
    /// The first unit (the root) may be defined by anybody, since nobody holds a role yet;
    /// any other unit needs [`Right::Administer`] on its parent.
    DefineUnit,
    /// Granting or revoking Member or Observer needs [`Right::Administer`] on the unit;
    /// granting or revoking OkrMaster, Lead or Steering needs the OkrMaster role on it.
    /// Anybody may while the organisation is being set up (nobody holds OkrMaster).
    GrantRole,
    /// The key result's owner may check in; anybody else needs [`Right::Edit`] on the
    /// objective's unit.
    CheckIn,
    /// Forgetting a person needs the OkrMaster role in some unit (also while the
    /// organisation is being set up).
    ForgetPerson,
}

impl Special {
    /// What the special rule says, in a sentence.
    pub fn explanation(self) -> &'static str {
        match self {
            Special::DefineUnit => {
                "the first (root) unit: anybody, since nobody holds a role yet; \
                 any other unit: Administer on its parent"
            }
            Special::GrantRole => {
                "Member or Observer: Administer on the unit; OkrMaster, Lead or Steering: \
                 OkrMaster on the unit; anybody while nobody holds OkrMaster"
            }
            Special::ForgetPerson => {
                "the OkrMaster role in any unit, also while the organisation is being set up"
            }
            Special::CheckIn => {
                "the key result's owner, whatever their role; anybody else: Edit on the \
                 objective's unit (so an OkrMaster only as owner, Member or Lead)"
            }
        }
    }
}

/// Where a right is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum On {
    /// The organisation as a whole: a role held in any unit counts; a refusal names the
    /// root unit.
    Organisation,
    /// The unit the command names; it must exist.
    Unit,
    /// The unit the command names; it must exist and not be retired.
    ActiveUnit,
    /// The unit being moved and, as well, its new parent (which must be active).
    UnitAndNewParent,
    /// The new unit's parent (active), or the organisation for the root unit.
    Parent,
    /// The unit owning the objective.
    ObjectiveUnit,
    /// The unit owning the key result's objective.
    KeyResultUnit,
    /// The unit the agreement was made for.
    AgreementUnit,
    /// The unit that raised the blocker.
    BlockerUnit,
    /// The unit owning the objective of the initiative's key result.
    InitiativeUnit,
    /// The committee the blocker was escalated to (refused by rule if it was not).
    EscalationCommittee,
    /// The committee the command names; it must exist, be active and be a committee.
    Committee,
    /// The unit the KPI belongs to.
    KpiUnit,
}

const fn rule(
    kind: CommandKind,
    (action, action_de): (&'static str, &'static str),
    phases: Phases,
    right: Right,
    on: On,
) -> CommandRule {
    CommandRule {
        kind,
        action,
        action_de,
        phases,
        right,
        on,
    }
}

/// The rule of one command. Exhaustive: a new command cannot be added without one.
pub const fn rule_of(kind: CommandKind) -> CommandRule {
    use CommandKind as K;
    use Phases::{In, NewCycle, Organisation as Org};
    match kind {
        K::DefineUnit => rule(
            kind,
            ("define unit", "eine Einheit anzulegen"),
            Org,
            Right::Special(Special::DefineUnit),
            On::Parent,
        ),
        K::RenameUnit => rule(
            kind,
            ("rename unit", "eine Einheit umzubenennen"),
            Org,
            Right::Administer,
            On::Unit,
        ),
        K::MoveUnit => rule(
            kind,
            ("move unit", "eine Einheit zu verschieben"),
            Org,
            Right::Administer,
            On::UnitAndNewParent,
        ),
        K::RetireUnit => rule(
            kind,
            ("retire unit", "eine Einheit stillzulegen"),
            Org,
            Right::Administer,
            On::Unit,
        ),
        K::RegisterPerson => rule(
            kind,
            ("register person", "eine Person zu erfassen"),
            Org,
            Right::Administer,
            On::Organisation,
        ),
        K::ForgetPerson => rule(
            kind,
            ("forget person", "eine Person zu vergessen"),
            Org,
            Right::Special(Special::ForgetPerson),
            On::Organisation,
        ),
        K::GrantMembership => rule(
            kind,
            ("grant membership", "eine Rolle zu vergeben"),
            Org,
            Right::Special(Special::GrantRole),
            On::ActiveUnit,
        ),
        K::RevokeMembership => rule(
            kind,
            ("revoke membership", "eine Rolle zu entziehen"),
            Org,
            Right::Special(Special::GrantRole),
            On::Unit,
        ),
        K::DefineKpi => rule(
            kind,
            ("define KPI", "eine Kennzahl festzulegen"),
            Org,
            Right::Lead,
            On::ActiveUnit,
        ),
        K::RecordKpi => rule(
            kind,
            ("record KPI", "einen Kennzahlwert zu erfassen"),
            Org,
            Right::Edit,
            On::KpiUnit,
        ),
        K::PlanCycle => rule(
            kind,
            ("plan cycle", "einen Zyklus zu planen"),
            NewCycle,
            Right::RunCycle,
            On::Organisation,
        ),
        K::SetPolicy => rule(
            kind,
            ("set policy", "die Regeln des Zyklus festzulegen"),
            In(&[Planning]),
            Right::RunCycle,
            On::Organisation,
        ),
        K::StartCycle => rule(
            kind,
            ("start cycle", "den Zyklus zu starten"),
            In(&[Planning]),
            Right::RunCycle,
            On::Organisation,
        ),
        K::BeginReview => rule(
            kind,
            ("begin review", "das Review zu beginnen"),
            In(&[Running]),
            Right::RunCycle,
            On::Organisation,
        ),
        K::BeginRetrospective => rule(
            kind,
            ("begin retrospective", "die Retrospektive zu beginnen"),
            In(&[Review]),
            Right::RunCycle,
            On::Organisation,
        ),
        K::CloseCycle => rule(
            kind,
            ("close cycle", "den Zyklus abzuschließen"),
            In(&[Retrospective]),
            Right::RunCycle,
            On::Organisation,
        ),
        K::CancelCycle => rule(
            kind,
            ("cancel cycle", "den Zyklus abzubrechen"),
            In(&[Planning, Running, Review, Retrospective]),
            Right::RunCycle,
            On::Organisation,
        ),
        K::DraftObjective => rule(
            kind,
            ("draft objective", "ein Objective zu entwerfen"),
            In(&[Planning]),
            Right::Edit,
            On::ActiveUnit,
        ),
        K::ReviseObjective => rule(
            kind,
            ("revise objective", "ein Objective zu überarbeiten"),
            In(&[Planning]),
            Right::Edit,
            On::ObjectiveUnit,
        ),
        K::AlignObjective => rule(
            kind,
            ("align objective", "ein Objective auszurichten"),
            In(&[Planning]),
            Right::Edit,
            On::ObjectiveUnit,
        ),
        K::UnalignObjective => rule(
            kind,
            ("unalign objective", "eine Ausrichtung aufzuheben"),
            In(&[Planning]),
            Right::Edit,
            On::ObjectiveUnit,
        ),
        K::CommitObjective => rule(
            kind,
            ("commit objective", "ein Objective zuzusagen"),
            In(&[Planning]),
            Right::Lead,
            On::ObjectiveUnit,
        ),
        K::DropObjective => rule(
            kind,
            ("drop objective", "ein Objective zu verwerfen"),
            In(&[Planning, Running]),
            Right::Lead,
            On::ObjectiveUnit,
        ),
        K::AmendObjective => rule(
            kind,
            ("amend objective", "ein Objective nachträglich zu ändern"),
            In(&[Running]),
            Right::Edit,
            On::ObjectiveUnit,
        ),
        K::AddKeyResult => rule(
            kind,
            ("add key result", "ein Key Result hinzuzufügen"),
            In(&[Planning]),
            Right::Edit,
            On::ObjectiveUnit,
        ),
        K::ReviseKeyResult => rule(
            kind,
            ("revise key result", "ein Key Result zu überarbeiten"),
            In(&[Planning]),
            Right::Edit,
            On::KeyResultUnit,
        ),
        K::RemoveKeyResult => rule(
            kind,
            ("remove key result", "ein Key Result zu entfernen"),
            In(&[Planning]),
            Right::Edit,
            On::KeyResultUnit,
        ),
        K::AmendKeyResult => rule(
            kind,
            ("amend key result", "ein Key Result nachträglich zu ändern"),
            In(&[Running]),
            Right::Edit,
            On::KeyResultUnit,
        ),
        K::CheckIn => rule(
            kind,
            ("check in", "einen Check-in zu erfassen"),
            In(&[Running]),
            Right::Special(Special::CheckIn),
            On::KeyResultUnit,
        ),
        K::MakeAgreement => rule(
            kind,
            ("make agreement", "eine Absprache zu treffen"),
            In(&[Running]),
            Right::Moderate,
            On::ActiveUnit,
        ),
        K::ResolveAgreement => rule(
            kind,
            ("resolve agreement", "eine Absprache aufzulösen"),
            In(&[Running, Review]),
            Right::Moderate,
            On::AgreementUnit,
        ),
        K::RaiseBlocker => rule(
            kind,
            ("raise blocker", "ein Hindernis zu melden"),
            In(&[Running]),
            Right::Moderate,
            On::ActiveUnit,
        ),
        K::EscalateBlocker => rule(
            kind,
            ("escalate blocker", "ein Hindernis zu eskalieren"),
            In(&[Running]),
            Right::Lead,
            On::BlockerUnit,
        ),
        K::DecideBlocker => rule(
            kind,
            ("decide blocker", "über ein Hindernis zu entscheiden"),
            In(&[Running, Review]),
            Right::Steer,
            On::EscalationCommittee,
        ),
        K::LinkKpi => rule(
            kind,
            ("link KPI", "eine Kennzahl zu verknüpfen"),
            In(&[Planning, Running]),
            Right::Edit,
            On::KeyResultUnit,
        ),
        K::ApproveObjective => rule(
            kind,
            ("approve objective", "ein Objective freizugeben"),
            In(&[Planning]),
            Right::Steer,
            On::Committee,
        ),
        K::LinkDependency => rule(
            kind,
            ("link dependency", "eine Abhängigkeit zu verknüpfen"),
            In(&[Planning, Running]),
            Right::Edit,
            On::ObjectiveUnit,
        ),
        K::UnlinkDependency => rule(
            kind,
            ("unlink dependency", "eine Abhängigkeit zu lösen"),
            In(&[Planning, Running]),
            Right::Edit,
            On::ObjectiveUnit,
        ),
        K::AddInitiative => rule(
            kind,
            ("add initiative", "eine Initiative hinzuzufügen"),
            In(&[Planning, Running]),
            Right::Edit,
            On::KeyResultUnit,
        ),
        K::MoveInitiative => rule(
            kind,
            ("move initiative", "eine Initiative zu verschieben"),
            In(&[Planning, Running]),
            Right::Edit,
            On::InitiativeUnit,
        ),
        K::OverrideScore => rule(
            kind,
            ("override score", "eine Bewertung zu überschreiben"),
            In(&[Review]),
            Right::Lead,
            On::KeyResultUnit,
        ),
        K::AddReviewNote => rule(
            kind,
            ("add review note", "eine Review-Notiz hinzuzufügen"),
            In(&[Review]),
            Right::Participate,
            On::Organisation,
        ),
        K::AddRetroItem => rule(
            kind,
            (
                "add retro item",
                "einen Retrospektiven-Eintrag hinzuzufügen",
            ),
            In(&[Retrospective]),
            Right::Participate,
            On::Organisation,
        ),
        K::AddRetroAction => rule(
            kind,
            ("add retro action", "eine Retro-Maßnahme zu beschließen"),
            In(&[Retrospective]),
            Right::Participate,
            On::Organisation,
        ),
        K::FollowUpRetroAction => rule(
            kind,
            (
                "follow up retro action",
                "eine Retro-Maßnahme nachverfolgen",
            ),
            In(&[Planning, Running, Review, Retrospective]),
            Right::Participate,
            On::Organisation,
        ),
        K::CarryOver => rule(
            kind,
            ("carry over objective", "ein Objective zu übernehmen"),
            In(&[Retrospective]),
            Right::Lead,
            On::ObjectiveUnit,
        ),
        K::CorrectScore => rule(
            kind,
            ("correct score", "eine Bewertung zu korrigieren"),
            In(&[Closed]),
            Right::RunCycle,
            On::Organisation,
        ),
    }
}

/// The rules of every command, in [`CommandKind::ALL`] order.
pub fn all() -> impl Iterator<Item = CommandRule> {
    CommandKind::ALL.into_iter().map(rule_of)
}

/// May a holder of `role` (on the unit the right is checked on, or above it) issue the
/// command? The answer as a matrix cell: `yes`, `no`, or the condition.
pub fn access(rule: &CommandRule, role: Role) -> &'static str {
    use Role::*;
    match (rule.right, role) {
        // A cycle being planned has no policy yet to let leads advance it.
        (Right::RunCycle, Lead) if rule.phases == Phases::NewCycle => "no",
        (Right::Edit, Lead | Member) => "yes",
        (Right::Edit, OkrMaster) => "only if also Lead or Member there",
        (Right::Lead, OkrMaster) => "only if also Lead there",
        (Right::Lead, Lead) => "yes",
        (Right::Moderate, OkrMaster | Lead | Member) => "yes",
        (Right::Administer, OkrMaster | Lead) => "yes",
        (Right::RunCycle, OkrMaster) => "yes",
        (Right::RunCycle, Lead) => "if the policy lets leads advance",
        (Right::Participate, OkrMaster | Lead | Member | Steering) => "yes",
        (Right::Steer, Steering) => "yes",
        (Right::Special(Special::DefineUnit), OkrMaster | Lead) => "yes",
        (Right::Special(Special::GrantRole), OkrMaster) => "yes",
        (Right::Special(Special::GrantRole), Lead) => "Member and Observer only",
        (Right::Special(Special::ForgetPerson), OkrMaster) => "yes",
        (Right::Special(Special::CheckIn), Lead | Member) => "yes",
        (Right::Special(Special::CheckIn), OkrMaster | Steering | Observer) => "if owner",
        _ => "no",
    }
}

impl Phases {
    /// The phases as a matrix cell.
    pub fn describe(self) -> String {
        match self {
            Phases::Organisation => "any (organisation)".to_string(),
            Phases::NewCycle => "— (plans the cycle)".to_string(),
            Phases::In(phases) => phases
                .iter()
                .map(Phase::to_string)
                .collect::<Vec<_>>()
                .join(", "),
        }
    }
}

impl On {
    /// Where the right is checked, as a matrix cell.
    pub fn describe(self) -> &'static str {
        match self {
            On::Organisation => "any unit",
            On::Unit => "the unit",
            On::ActiveUnit => "the unit (active)",
            On::UnitAndNewParent => "the unit and its new parent",
            On::Parent => "the parent unit",
            On::ObjectiveUnit => "the objective's unit",
            On::KeyResultUnit => "the key result's objective's unit",
            On::AgreementUnit => "the agreement's unit",
            On::BlockerUnit => "the blocker's unit",
            On::InitiativeUnit => "the initiative's key result's unit",
            On::EscalationCommittee => "the committee escalated to",
            On::Committee => "the committee named",
            On::KpiUnit => "the KPI's unit",
        }
    }
}

impl Right {
    /// The right's name, as a matrix cell.
    pub fn name(self) -> &'static str {
        match self {
            Right::Edit => "Edit",
            Right::Lead => "Lead",
            Right::Moderate => "Moderate",
            Right::Administer => "Administer",
            Right::RunCycle => "RunCycle",
            Right::Participate => "Participate",
            Right::Steer => "Steer",
            Right::Special(_) => "Special",
        }
    }
}

/// The permissions matrix, rendered from the table: per command, the phases it is allowed
/// in, which roles may issue it and on which unit. Committed as `okr-core/PERMISSIONS.md`;
/// a test fails when the file and this function disagree.
pub fn permissions_markdown() -> String {
    let mut out = String::new();
    out.push_str("# Permissions\n\n");
    out.push_str(
        "Generated from the rules table in `okr-core/src/decide/rules.rs` by \
         `okr_core::decide::rules::permissions_markdown()`; do not edit by hand. \
         Run `OKR_BLESS=1 cargo test -p okr-core permissions_md` to regenerate it.\n\n\
         Every command is checked in this order: the entities it is about must exist, its \
         stream must be at the expected version (if one is given), the cycle must be in \
         one of the phases listed, ids it creates must be new, and the actor must hold the \
         right listed on the unit listed. A role counts on that unit and on every unit \
         above it. Only then do the command's own rules run.\n\n",
    );
    out.push_str(
        "| command | phases | right | on | OkrMaster | Lead | Member | Steering | Observer |\n",
    );
    out.push_str("| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
    for r in all() {
        out.push_str(&format!(
            "| `{}` | {} | {} | {} |",
            r.kind.name(),
            r.phases.describe(),
            r.right.name(),
            r.on.describe()
        ));
        for role in Role::ALL {
            out.push_str(&format!(" {} |", access(&r, role)));
        }
        out.push('\n');
    }
    out.push_str("\n## Rights\n\n");
    for right in [
        Right::Edit,
        Right::Lead,
        Right::Moderate,
        Right::Administer,
        Right::RunCycle,
        Right::Participate,
        Right::Steer,
    ] {
        out.push_str(&format!(
            "- **{}**: {}\n",
            right.name(),
            right.explanation()
        ));
    }
    out.push_str(&decision_rights_markdown());
    out.push_str("\n## Special rules\n\n");
    for r in all() {
        if let Right::Special(s) = r.right {
            out.push_str(&format!("- `{}`: {}.\n", r.kind.name(), s.explanation()));
        }
    }
    out
}

impl Right {
    /// What the right allows and who holds it, in a sentence.
    pub fn explanation(self) -> &'static str {
        match self {
            Right::Edit => {
                "edit a unit's OKRs, check in, add and move initiatives, link dependencies; \
                 Member or Lead of the unit (an OkrMaster only when also Member or Lead there)"
            }
            Right::Lead => {
                "commit, drop, escalate, override, carry over; Lead of the unit (an OkrMaster \
                 only when also Lead there)"
            }
            Right::Moderate => {
                "record what a moderated weekly settled: make and resolve agreements, raise \
                 blockers; Member or Lead of the unit, or an OkrMaster, who moderates"
            }
            Right::Administer => {
                "administer the organisation below a unit; OkrMaster or Lead, and anybody \
                 while nobody holds OkrMaster (the organisation is being set up)"
            }
            Right::RunCycle => {
                "plan, advance, cancel and correct cycles; OkrMaster anywhere, and Lead \
                 anywhere when the cycle's policy sets `leads_may_advance` (so not to plan a \
                 cycle, which has no policy yet)"
            }
            Right::Participate => "take part in review and retrospective; any role but Observer",
            Right::Steer => {
                "decide an escalated blocker (within the policy's `steering_decision_days`), \
                 approve a cross-unit objective while planning; Steering on the committee"
            }
            Right::Special(s) => s.explanation(),
        }
    }
}

/// What each role is for, in a sentence: the role as the practice describes it.
pub fn role_purpose(role: Role) -> &'static str {
    match role {
        Role::OkrMaster => {
            "facilitates: plans and advances cycles, moderates weeklies, plannings, reviews \
             and retrospectives, administers the organisation; holds no content rights in a \
             unit unless also Member or Lead there"
        }
        Role::Lead => {
            "owns a unit's OKRs: commits and drops objectives, escalates blockers, overrides \
             scores at review, carries objectives over"
        }
        Role::Member => "works on a unit's OKRs: drafts, checks in, makes agreements",
        Role::Steering => {
            "sits on a steering committee: decides escalated blockers within the policy's \
             time, approves cross-unit objectives in planning, takes part in review and \
             retrospective"
        }
        Role::Observer => "reads only",
    }
}

/// The decision rights, rendered from the table: per role its purpose, then per right the
/// commands that need it and who holds it. Part of [`permissions_markdown`].
pub fn decision_rights_markdown() -> String {
    let mut out = String::new();
    out.push_str("\n## Decision rights\n\n");
    out.push_str(
        "Who decides what, grouped by the right a decision needs. A cell says whether a \
         holder of the role (on the unit the right is checked on, or above it) takes the \
         decision.\n\n",
    );
    out.push_str("| role | what it is for |\n| --- | --- |\n");
    for role in Role::ALL {
        out.push_str(&format!("| {role} | {} |\n", role_purpose(role)));
    }
    out.push('\n');
    out.push_str("| decision | commands |");
    for role in Role::ALL {
        out.push_str(&format!(" {role} |"));
    }
    out.push_str("\n| --- | --- |");
    for _ in Role::ALL {
        out.push_str(" --- |");
    }
    out.push('\n');
    for right in [
        Right::Edit,
        Right::Lead,
        Right::Moderate,
        Right::Administer,
        Right::RunCycle,
        Right::Participate,
        Right::Steer,
    ] {
        let rules: Vec<CommandRule> = all().filter(|r| r.right == right).collect();
        let Some(first) = rules.first() else {
            continue;
        };
        let names: Vec<String> = rules
            .iter()
            .map(|r| format!("`{}`", r.kind.name()))
            .collect();
        out.push_str(&format!("| {} | {} |", right.name(), names.join(", ")));
        for role in Role::ALL {
            // Every command of one right has the same cell, except where planning a cycle
            // narrows RunCycle; the first rule that is not a plan speaks for the group.
            let r = rules
                .iter()
                .find(|r| r.phases != Phases::NewCycle)
                .unwrap_or(first);
            out.push_str(&format!(" {} |", access(r, role)));
        }
        out.push('\n');
    }
    out
}
