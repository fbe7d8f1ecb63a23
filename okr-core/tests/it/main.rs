//! Data-driven tests of `okr_core::decide`: given events, when a command, then events or a
//! rejection. One integration test binary; the cases live in tables per area.

mod support;

mod cycle;
mod json;
mod key_result;
mod lint;
mod objective;
mod organisation;
mod outcome;
mod review;
mod versions;
mod weekly;

use std::collections::BTreeMap;
use support::{Case, Expect};

/// Every case of every table (the bug-asserting cases excepted).
pub fn all_cases() -> Vec<Case> {
    let mut all = Vec::new();
    all.extend(organisation::cases());
    all.extend(cycle::cases());
    all.extend(objective::cases());
    all.extend(key_result::cases());
    all.extend(weekly::cases());
    all.extend(review::cases());
    all
}

/// The JSON `type` of every `CommandBody` variant (command.rs has 39).
pub const COMMANDS: [&str; 39] = [
    "define_unit",
    "rename_unit",
    "move_unit",
    "retire_unit",
    "register_person",
    "grant_membership",
    "revoke_membership",
    "plan_cycle",
    "set_policy",
    "start_cycle",
    "begin_review",
    "begin_retrospective",
    "close_cycle",
    "cancel_cycle",
    "draft_objective",
    "revise_objective",
    "align_objective",
    "unalign_objective",
    "commit_objective",
    "drop_objective",
    "amend_objective",
    "add_key_result",
    "revise_key_result",
    "remove_key_result",
    "amend_key_result",
    "check_in",
    "make_agreement",
    "resolve_agreement",
    "raise_blocker",
    "escalate_blocker",
    "decide_blocker",
    "add_initiative",
    "move_initiative",
    "override_score",
    "add_review_note",
    "add_retro_item",
    "add_retro_action",
    "carry_over",
    "correct_score",
];

/// Every command has at least one accepting and one refusing case, and the refusals cover
/// the kinds that apply. Run with `--nocapture` to see the table.
#[test]
fn every_command_has_accepting_and_refusing_cases() {
    let distinct: std::collections::BTreeSet<_> = COMMANDS.iter().collect();
    assert_eq!(distinct.len(), 39);
    let mut table: BTreeMap<&'static str, BTreeMap<String, usize>> =
        COMMANDS.iter().map(|c| (*c, BTreeMap::new())).collect();
    for c in all_cases() {
        let name = c.when.body.name();
        let row = table
            .get_mut(name)
            .unwrap_or_else(|| panic!("case `{}` uses a command not in COMMANDS", c.name));
        let kind = match &c.then {
            Expect::Events(_) => "accepted".to_string(),
            Expect::Rule(..) => "rule".to_string(),
            Expect::Field(_) => "field".to_string(),
            Expect::Rejected(r) => {
                let s = format!("{r:?}");
                let variant = s.split([' ', '{', '(']).next().unwrap_or("").to_string();
                match variant.as_str() {
                    "RuleViolated" => "rule".to_string(),
                    "InvalidField" => "field".to_string(),
                    "WrongPhase" => "phase".to_string(),
                    "Unauthorized" => "actor".to_string(),
                    "UnknownId" => "unknown".to_string(),
                    "AlreadyExists" => "exists".to_string(),
                    "VersionConflict" => "version".to_string(),
                    other => other.to_string(),
                }
            }
        };
        *row.entry(kind).or_default() += 1;
    }
    let mut missing = Vec::new();
    println!(
        "{:<22} {:>8} {:>6} {:>6} {:>5} {:>6} {:>8} {:>7} {:>8}",
        "command", "accepted", "phase", "actor", "rule", "field", "unknown", "exists", "version"
    );
    for (name, row) in &table {
        let n = |k: &str| row.get(k).copied().unwrap_or(0);
        println!(
            "{:<22} {:>8} {:>6} {:>6} {:>5} {:>6} {:>8} {:>7} {:>8}",
            name,
            n("accepted"),
            n("phase"),
            n("actor"),
            n("rule"),
            n("field"),
            n("unknown"),
            n("exists"),
            n("version")
        );
        if n("accepted") == 0 {
            missing.push(format!("{name}: no accepting case"));
        }
        if row.keys().all(|k| k == "accepted") {
            missing.push(format!("{name}: no refusing case"));
        }
    }
    assert!(missing.is_empty(), "{missing:#?}");
}

/// The helper itself: it accepts what matches and reports what does not.
#[test]
fn check_helper_reports_mismatches() {
    use okr_core::{EntityKind, EventBody, Rule, UnitKind};
    use support::fx::*;
    use support::*;
    let org = org();
    let define = cmd(
        MASTER,
        t_setup(),
        b::define_unit(NEW_UNIT, "Team", UnitKind::Team, Some(UNIT_A)),
    );
    let second_root = cmd(
        MASTER,
        t_setup(),
        b::define_unit(NEW_UNIT, "Other", UnitKind::Organisation, None),
    );
    let blank = cmd(
        MASTER,
        t_setup(),
        b::define_unit(NEW_UNIT, " ", UnitKind::Team, Some(UNIT_A)),
    );
    let defined = |name: &str| {
        event(EventBody::UnitDefined {
            unit: NEW_UNIT,
            name: name.into(),
            kind: UnitKind::Team,
            parent: Some(UNIT_A),
        })
    };
    // matches
    assert!(try_check(&org, &define, &defined("Team")).is_ok());
    assert!(try_check(&org, &second_root, &rule(Rule::SingleRoot, "root unit")).is_ok());
    assert!(try_check(&org, &blank, &field("name")).is_ok());
    // mismatches
    let wrong = [
        (&define, defined("Squad")),
        (&define, events(vec![])),
        (&define, rule(Rule::SingleRoot, "")),
        (&second_root, defined("Team")),
        (&second_root, rule(Rule::SingleRoot, "no such words")),
        (&second_root, rule(Rule::UnitActive, "root unit")),
        (&second_root, unknown(EntityKind::Unit, NEW_UNIT)),
        (&blank, field("title")),
        (&blank, field_exact("name", "is blank")),
    ];
    for (when, then) in wrong {
        let err = try_check(&org, when, &then).expect_err("mismatch must be reported");
        assert!(err.contains("command: define_unit"), "{err}");
        assert!(err.contains("actual:"), "{err}");
    }
}
