//! The committed permissions matrix, `okr-core/PERMISSIONS.md`, is what the rules table
//! renders. Run with `OKR_BLESS=1` to rewrite the file.

use okr_core::decide::rules::{self, Phases, Right};
use okr_core::CommandKind;

#[test]
fn permissions_md_is_rendered_from_the_rules_table() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/PERMISSIONS.md");
    let rendered = rules::permissions_markdown();
    if std::env::var_os("OKR_BLESS").is_some_and(|v| v == "1") {
        std::fs::write(path, &rendered).unwrap_or_else(|e| panic!("writing {path}: {e}"));
        return;
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == rendered,
        "{path} differs from what the rules table renders; regenerate it with\n\
         \n    OKR_BLESS=1 cargo test -p okr-core permissions_md\n\nand commit the result"
    );
}

#[test]
fn the_table_has_one_rule_per_command_and_names_every_command() {
    let md = rules::permissions_markdown();
    for kind in CommandKind::ALL {
        let rule = rules::rule_of(kind);
        assert_eq!(rule.kind, kind);
        assert!(!rule.action.is_empty());
        if let Phases::In(phases) = rule.phases {
            assert!(!phases.is_empty(), "{kind}: no phase allows it");
        }
        assert!(md.contains(&format!("| `{}` |", kind.name())), "{kind}");
        if let Right::Special(s) = rule.right {
            assert!(md.contains(s.explanation()), "{kind}");
        }
    }
}
