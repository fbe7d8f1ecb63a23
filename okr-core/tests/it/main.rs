//! Data-driven tests of `okr_core::decide`: given events, when a command, then events or a
//! rejection. One integration test binary for okr-core; the cases live in tables per area,
//! beside the property tests (`properties`) and the rollup tests (`rollup`).

mod support;

mod board;
mod cycle;
mod german;
mod json;
mod key_result;
mod kpi;
mod lint;
mod modules;
mod objective;
mod organisation;
mod outcome;
mod permissions;
mod practice;
mod properties;
mod review;
mod roles;
mod rollup;
mod stats;
mod versions;
mod weekly;

use okr_core::CommandKind;
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
    all.extend(roles::cases());
    all.extend(kpi::cases());
    all.extend(practice::cases());
    all
}

/// Every command (every [`CommandKind`], so a new command is covered as soon as it exists)
/// has at least one accepting and one refusing case among the cases the tables run. Run
/// with `--nocapture` to see how the refusals spread over the kinds of rejection.
#[test]
fn every_command_has_accepting_and_refusing_cases() {
    let mut table: BTreeMap<CommandKind, BTreeMap<String, usize>> = CommandKind::ALL
        .iter()
        .map(|k| (*k, BTreeMap::new()))
        .collect();
    assert_eq!(
        table.len(),
        CommandKind::ALL.len(),
        "CommandKind::ALL repeats a command"
    );
    for c in all_cases() {
        let row = table
            .get_mut(&c.when.body.kind())
            .unwrap_or_else(|| panic!("case `{}` uses a command not in CommandKind::ALL", c.name));
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
    for (kind, row) in &table {
        let name = kind.name();
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
