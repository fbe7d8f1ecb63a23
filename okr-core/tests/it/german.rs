//! Every refusal reads in German: for every refusing case of every table (and so for every
//! [`Rule`]), `Rejection::message(Lang::De)` is written German — no English words from a
//! list once the entities' own names, field paths and quoted titles are set aside — and it
//! names every entity the English names: each id, title and name of the English text
//! appears in the German one. The English stays the `Display` text.

use crate::all_cases;
use crate::support::Expect;
use okr_core::i18n::Lang;
use okr_core::{decide, Rejection, Rule, State};
use std::collections::BTreeSet;

/// English words that a German refusal must not contain (whole words, any case). The
/// framework's own terms that German practice uses as they are (Objective, Key Result,
/// Review, Weekly, Check-in, Lead, Person, Version, Stream) are not on the list, nor are
/// words both languages write (`an`, `was`).
const ENGLISH: &[&str] = &[
    "rule",
    "violated",
    "unknown",
    "phase",
    "may",
    "not",
    "must",
    "cannot",
    "already",
    "needs",
    "need",
    "is",
    "the",
    "of",
    "and",
    "has",
    "unit",
    "cycle",
    "blocker",
    "agreement",
    "committee",
    "policy",
    "retired",
    "dropped",
    "planning",
    "running",
    "closed",
    "lies",
    "between",
    "after",
    "before",
    "reason",
    "got",
    "forgotten",
    "approved",
    "allows",
    "loop",
    "would",
    "draft",
    "resolved",
    "escalated",
    "decided",
    "followed",
    "carried",
    "belongs",
    "below",
    "above",
    "itself",
    "empty",
    "finite",
    "number",
    "changes",
    "nothing",
    "invalid",
    "field",
    "exists",
    "conflict",
    "expected",
    "actual",
    "on",
    "to",
    "at",
    "by",
    "or",
    "a",
    "give",
    "first",
    "only",
    "spans",
    "later",
    "starts",
    "ends",
    "provides",
    "provider",
];

/// Words of the list that German writes too, capitalised as German nouns are.
const GERMAN_TOO: &[&str] = &["Phase"];

/// Every name a message may quote from the state: units, people, cycles, objective and key
/// result titles, agreement, blocker and retro action texts, KPI names. Longest first, so
/// that a name containing another is set aside whole.
fn names(state: &State) -> Vec<String> {
    let mut n: BTreeSet<String> = BTreeSet::new();
    n.extend(state.units.values().map(|u| u.name.to_string()));
    n.extend(state.people.values().map(|p| p.name.to_string()));
    n.extend(state.kpis.values().map(|k| k.name.to_string()));
    for c in state.cycles.values() {
        n.insert(c.name.to_string());
        n.extend(c.objectives.values().map(|o| o.text.title.to_string()));
        n.extend(c.key_results.values().map(|k| k.title.to_string()));
        n.extend(c.agreements.values().map(|a| a.text.to_string()));
        n.extend(c.blockers.values().map(|b| b.text.to_string()));
        n.extend(c.retro_actions.values().map(|a| a.text.to_string()));
    }
    let mut v: Vec<String> = n.into_iter().filter(|s| !s.trim().is_empty()).collect();
    v.sort_by_key(|s| std::cmp::Reverse(s.len()));
    v
}

/// The UUIDs in a text, as written (8-4-4-4-12 hex digits).
fn uuids(text: &str) -> Vec<&str> {
    let b = text.as_bytes();
    let shape = |w: &[u8]| {
        w.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
    };
    (0..b.len().saturating_sub(35))
        .filter(|&i| text.is_char_boundary(i) && shape(&b[i..i + 36]))
        .map(|i| &text[i..i + 36])
        .collect()
}

/// The text between each pair of `open` and `close`.
fn quoted(text: &str, open: char, close: char) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find(open) {
        let after = &rest[i + open.len_utf8()..];
        let Some(j) = after.find(close) else { break };
        out.push(after[..j].to_string());
        rest = &after[j + close.len_utf8()..];
    }
    out
}

/// The German words left once names, ids, `field paths` and „quotes“ are taken out.
fn words(de: &str, names: &[String]) -> Vec<String> {
    let mut t = de.to_string();
    for q in quoted(de, '`', '`') {
        t = t.replace(&format!("`{q}`"), " ");
    }
    for q in quoted(de, '„', '“') {
        t = t.replace(&format!("„{q}“"), " ");
    }
    for n in names {
        t = t.replace(n.as_str(), " ");
    }
    for u in uuids(de) {
        t = t.replace(u, " ");
    }
    t.split(|c: char| !c.is_alphanumeric() && c != '_')
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// What is wrong with the German message of `r`, refused in `state`.
fn problems(r: &Rejection, state: &State) -> Vec<String> {
    let en = r.message(Lang::En);
    let de = r.message(Lang::De);
    let mut p = Vec::new();
    if en != r.to_string() {
        p.push("the English message is not the Display text".to_string());
    }
    if de == en {
        p.push("the German message is the English one".to_string());
    }
    let text = match r {
        Rejection::RuleViolated { detail, .. } => Some(detail),
        Rejection::InvalidField { reason, .. } => Some(reason),
        Rejection::Unauthorized { action, .. } => Some(action),
        _ => None,
    };
    if text.is_some_and(|t| !t.has_german()) {
        p.push("the detail has no German of its own".to_string());
    }
    let names = names(state);
    let english: BTreeSet<&str> = ENGLISH.iter().copied().collect();
    let found: Vec<String> = words(&de, &names)
        .into_iter()
        .filter(|w| {
            english.contains(w.to_lowercase().as_str()) && !GERMAN_TOO.contains(&w.as_str())
        })
        .collect();
    if !found.is_empty() {
        p.push(format!("English words {found:?}"));
    }
    for id in uuids(&en) {
        if !de.contains(id) {
            p.push(format!("the German does not name {id}"));
        }
    }
    for title in quoted(&en, '"', '"') {
        if !de.contains(&format!("„{title}“")) {
            p.push(format!("the German does not quote „{title}“"));
        }
    }
    for n in names.iter().filter(|n| n.len() > 2) {
        if en.contains(n.as_str()) && !de.contains(n.as_str()) {
            p.push(format!("the German does not name {n}"));
        }
    }
    if !de.starts_with(|c: char| c.is_uppercase()) {
        p.push("the German does not start with a capital".to_string());
    }
    p
}

/// Every refusing case of every table, and with it every rule: the German message is
/// German and names what the English names. Run with `--nocapture` to read them all.
#[test]
fn every_refusal_has_a_german_message_that_names_the_entities() {
    let mut rules: BTreeSet<Rule> = BTreeSet::new();
    let mut failures = Vec::new();
    let mut checked = 0;
    for c in all_cases() {
        if matches!(c.then, Expect::Events(_)) {
            continue;
        }
        let state = State::from_events(&c.given);
        let Err(r) = decide(&state, &c.when) else {
            continue;
        };
        checked += 1;
        if let Rejection::RuleViolated { rule, .. } = &r {
            rules.insert(*rule);
        }
        // `--nocapture` shows every refusal in both languages.
        println!("{}\n  {}\n", r.message(Lang::En), r.message(Lang::De));
        let p = problems(&r, &state);
        if !p.is_empty() {
            failures.push(format!(
                "--- case `{}`: {}\n  en: {}\n  de: {}",
                c.name,
                p.join("; "),
                r.message(Lang::En),
                r.message(Lang::De)
            ));
        }
    }
    assert!(checked > 100, "only {checked} refusals checked");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    let missing: Vec<&str> = Rule::ALL
        .iter()
        .filter(|r| !rules.contains(r))
        .map(Rule::code)
        .collect();
    assert!(
        missing.is_empty(),
        "rules with no refusing case: {missing:?}"
    );
}

/// The checker itself finds English words, missing ids and missing titles.
#[test]
fn the_checker_finds_english_and_missing_names() {
    let state = State::new();
    let id = "0000002a-0000-0000-0000-000000000001";
    assert_eq!(uuids(&format!("x {id} y")), vec![id]);
    assert_eq!(
        words("Die Einheit `unit.name` „the rule“ ist stillgelegt.", &[]),
        vec!["Die", "Einheit", "ist", "stillgelegt"]
    );
    let english = Rejection::RuleViolated {
        rule: Rule::UnitActive,
        detail: "unit is retired".into(),
    };
    let p = problems(&english, &state);
    assert!(p.iter().any(|p| p.contains("no German")), "{p:?}");
    assert!(p.iter().any(|p| p.contains("English words")), "{p:?}");
}
