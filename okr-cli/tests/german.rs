//! The `okr` binary's errors under `--lang de`: each error is provoked the way a user would
//! meet it, and must read in German (Sie-form where it asks something of the user), exit
//! with the same code as in English, and leave the English message as it was. Beside them,
//! the German statistics' per-cycle table keeps its labels over its columns.

mod common;

use common::{okr, OKR};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};

/// English words a German error must not contain (whole words, lower case as English
/// writes them mid-sentence).
const ENGLISH: &[&str] = &[
    "no", "not", "is", "the", "cannot", "read", "unknown", "rule", "violated", "refused",
    "invalid", "line", "store", "here", "create", "give", "use", "names", "known", "holds",
    "events", "replace", "nothing", "imported", "needs", "empty", "already", "used", "another",
    "command", "field", "must", "by", "process", "waited", "longer", "stop",
];

/// The German error of `args` (with `--lang de`): its exit code equals the English run's,
/// the English message contains `en`, the German one contains every `de` fragment and no
/// English word outside `backticks`, paths and what okr passes on from elsewhere.
#[track_caller]
fn german(dir: &Path, args: &[&str], code: i32, en: &str, de: &[&str]) -> String {
    let english = okr(dir, args);
    let mut with_de = vec!["--lang", "de"];
    with_de.extend_from_slice(args);
    let german = okr(dir, &with_de);
    assert_eq!(english.code, code, "okr {args:?}: {}", english.stderr);
    assert_eq!(
        german.code, code,
        "okr --lang de {args:?}: {}",
        german.stderr
    );
    assert!(
        english.stderr.contains(en),
        "English of {args:?}: {}",
        english.stderr
    );
    for d in de {
        assert!(
            german.stderr.contains(d),
            "German of {args:?} lacks {d:?}: {}",
            german.stderr
        );
    }
    assert_ne!(english.stderr, german.stderr, "{args:?}");
    let found = english_words(&german.stderr);
    assert!(
        found.is_empty(),
        "English words {found:?} in: {}",
        german.stderr
    );
    german.stderr
}

/// The English words in a German text, leaving out `code`, paths, ids and what the store,
/// sled wrote (after „Befund:“ up to the closing parenthesis).
fn english_words(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for line in text.lines() {
        let mut t = line.to_string();
        for marker in ["(Befund: "] {
            if let Some(i) = t.find(marker) {
                let end = t[i..].rfind(')').map_or(t.len(), |j| i + j + 1);
                t.replace_range(i..end, " ");
            }
        }
        let mut plain = String::new();
        let mut in_code = false;
        for c in t.chars() {
            if c == '`' {
                in_code = !in_code;
            } else if !in_code {
                plain.push(c);
            }
        }
        for w in plain.split_whitespace() {
            if w.contains('/') || w.contains('.') && w.len() > 4 {
                continue; // a path or a file name
            }
            let w: String = w.chars().filter(|c| c.is_alphanumeric()).collect();
            if ENGLISH.contains(&w.as_str()) {
                found.push(w);
            }
        }
    }
    found
}

fn envelope(n: u32) -> String {
    format!(
        "{{\"command_id\":\"00000000-0000-0000-0000-{n:012}\",\"actor\":\"00000000-0000-0000-0000-000000000001\",\"at\":\"2025-01-06T09:00:00Z\"}}"
    )
}

/// Refusals of `okr apply`, one a line: each names its line (`Zeile N`) in German.
#[test]
fn apply_names_each_refused_line_in_german() {
    let unit = |n: u32, body: &str| format!("{{\"envelope\":{},\"body\":{body}}}", envelope(n));
    let lines = [
        // 1: the root unit.
        unit(
            1,
            r#"{"type":"define_unit","unit":"00000000-0000-0000-0000-000000000010","name":"Stadt","kind":"organisation"}"#,
        ),
        // 2: a second root.
        unit(
            2,
            r#"{"type":"define_unit","unit":"00000000-0000-0000-0000-000000000011","name":"Waise","kind":"team"}"#,
        ),
        // 3: a misspelt field.
        unit(
            3,
            r#"{"type":"register_person","person":"00000000-0000-0000-0000-000000000001","nmae":"typo"}"#,
        ),
        // 4: an unknown unit.
        unit(
            4,
            r#"{"type":"rename_unit","unit":"00000000-0000-0000-0000-000000000099","name":"Bauamt"}"#,
        ),
        // 5: an empty name.
        unit(
            5,
            r#"{"type":"define_unit","unit":"00000000-0000-0000-0000-000000000012","name":"  ","kind":"team","parent":"00000000-0000-0000-0000-000000000010"}"#,
        ),
        // 6: not JSON.
        "kein JSON".to_string(),
        // 7: the command id of line 1 for another command.
        unit(
            1,
            r#"{"type":"register_person","person":"00000000-0000-0000-0000-000000000002","name":"Alex"}"#,
        ),
    ];
    let english = [
        "befehle.jsonl:2: refused: rule single-root violated: the organisation has a root unit already; give a parent",
        "befehle.jsonl:3: invalid command at `body.nmae`",
        "befehle.jsonl:4: refused: unknown unit 00000000-0000-0000-0000-000000000099",
        "befehle.jsonl:5: refused: invalid field name: must not be empty",
        "befehle.jsonl:6: malformed JSON in the line",
        "befehle.jsonl:7: refused: conflict: command id 00000000-0000-0000-0000-000000000001",
        "okr: befehle.jsonl: 6 commands refused",
    ];
    let german = [
        "befehle.jsonl: Zeile 2: abgelehnt: Regel „eine Wurzeleinheit“ verletzt: Die Organisation hat bereits eine Wurzeleinheit; geben Sie eine übergeordnete Einheit (`parent`) an.",
        "befehle.jsonl: Zeile 3: Die Zeile ist kein gültiger Befehl",
        "`body.nmae`",
        "befehle.jsonl: Zeile 4: abgelehnt: Die Einheit 00000000-0000-0000-0000-000000000099 ist unbekannt.",
        "befehle.jsonl: Zeile 5: abgelehnt: Ungültige Angabe im Feld `name`: Das Feld darf nicht leer sein.",
        "befehle.jsonl: Zeile 6: Die Zeile ist kein gültiges JSON",
        "befehle.jsonl: Zeile 7: abgelehnt: Konflikt: Die Befehls-Id 00000000-0000-0000-0000-000000000001 wurde schon für einen anderen Befehl verwendet; geben Sie einem neuen Befehl eine neue Id.",
        "okr: befehle.jsonl: 6 Befehle abgelehnt",
    ];
    for (lang, wanted, summary) in [
        ("en", &english[..], "1 command applied, 6 refused"),
        ("de", &german[..], "1 Befehl ausgeführt, 6 abgelehnt"),
    ] {
        // Each language into a fresh store, so that line 1 is applied in both.
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join("befehle.jsonl"), lines.join("\n")).unwrap();
        let r = okr(d, &["--lang", lang, "apply", "befehle.jsonl"]);
        assert_eq!(r.code, 1, "{}", r.stderr);
        for want in wanted {
            assert!(
                r.stderr.contains(want),
                "{lang} lacks {want:?}: {}",
                r.stderr
            );
        }
        assert!(r.stdout.contains(summary), "{lang}: {}", r.stdout);
        if lang == "de" {
            let found = english_words(&r.stderr);
            assert!(found.is_empty(), "English words {found:?} in: {}", r.stderr);
        }
    }
}

/// One error: the arguments, the exit code (the same in both languages), a fragment of the
/// English message and the fragments of the German one.
type Case<'a> = (&'a [&'a str], i32, &'a str, &'a [&'a str]);

/// Runs every case of a table through [`german`].
#[track_caller]
fn all_german(dir: &Path, cases: &[Case]) {
    for (args, code, en, de) in cases {
        german(dir, args, *code, en, de);
    }
}

/// Errors without a store, or with a store that is not one.
#[test]
fn errors_about_files_stores_and_flags_are_german() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("datei.db"), b"kein Speicher").unwrap();
    all_german(
        d,
        &[
            // A read-only command on a missing store.
            (
                &["--store", "fehlt.db", "report"],
                1,
                "fehlt.db: no store here; create one with `okr init` or `okr demo`",
                &["fehlt.db: hier ist kein Speicher; legen Sie einen mit `okr init` oder `okr demo` an"],
            ),
            // A file that is not a store: a storage failure.
            (
                &["--store", "datei.db", "init"],
                2,
                "datei.db is not an okr event store",
                &["datei.db: Speicherfehler: datei.db ist kein okr-Speicher (Befund: "],
            ),
        ],
    );
    assert_eq!(okr(d, &["init"]).code, 0);
    // A malformed import line: its line and field, nothing imported.
    std::fs::write(d.join("log.jsonl"), "{\"position\":0,\"stream\":7}\n").unwrap();
    all_german(
        d,
        &[
            // An input file that is not there.
            (
                &["apply", "fehlt.jsonl"],
                1,
                "fehlt.jsonl: cannot read:",
                &["fehlt.jsonl: nicht lesbar: Datei oder Verzeichnis nicht gefunden"],
            ),
            (
                &["import", "fehlt.jsonl"],
                1,
                "fehlt.jsonl: cannot read:",
                &["fehlt.jsonl: nicht lesbar:"],
            ),
            // A moment that is none, and a position beyond the log's end.
            (
                &["replay", "--as-of", "gestern"],
                1,
                "--as-of: `gestern` is not a moment okr can read",
                &["--as-of: `gestern` ist kein Zeitpunkt, den okr lesen kann; geben Sie"],
            ),
            (
                &["replay", "--as-of", "7"],
                1,
                "position 7 is beyond the end of the log",
                &["Die Position 7 liegt hinter dem Ende des Protokolls (letzte Position: keine)."],
            ),
            // A negative wait.
            (
                &["--wait=-1", "stats"],
                1,
                "--wait: `-1` is not a number of seconds",
                &["--wait: `-1` ist keine Anzahl Sekunden (0 oder mehr)"],
            ),
            // An unknown cycle in an empty store, and a report with no cycle to default to.
            (
                &["report", "--cycle", "2031-Q9"],
                1,
                "--cycle: no cycle `2031-Q9`; known: none",
                &["--cycle: es gibt keinen Zyklus `2031-Q9`; bekannt: keiner"],
            ),
            (
                &["report"],
                1,
                "no cycle is running or closed",
                &["kein Zyklus läuft oder ist abgeschlossen: nennen Sie den Zyklus mit --cycle"],
            ),
            // A size okr does not know.
            (
                &["synth", "--size", "Q"],
                1,
                "--size:",
                &["--size: `Q` ist keine Größe: S, M, L oder XL"],
            ),
            (
                &["import", "log.jsonl"],
                1,
                "log.jsonl:1: ",
                &["log.jsonl: Zeile 1: ", "; nichts importiert"],
            ),
        ],
    );
}

/// Errors on the demo store: unknown names, a store that holds events, a store in use by
/// another process.
#[test]
fn errors_on_a_demo_store_are_german() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert_eq!(okr(d, &["demo"]).code, 0);
    assert_eq!(okr(d, &["export", "log.jsonl"]).code, 0);
    assert_eq!(okr(d, &["backup", "sicherung"]).code, 0);
    all_german(
        d,
        &[
            (
                &["report", "--cycle", "2031-Q9"],
                1,
                "--cycle: no cycle `2031-Q9`; known: Übungssprint 1, Übungssprint 2, 2022-Q3",
                &["--cycle: es gibt keinen Zyklus `2031-Q9`; bekannt: Übungssprint 1, Übungssprint 2, 2022-Q3"],
            ),
            (
                &["report", "--unit", "Nirgendwo"],
                1,
                "--unit: no unit `Nirgendwo`",
                &["--unit: es gibt keine Einheit `Nirgendwo` (geben Sie die Id oder den Namen einer Einheit an)"],
            ),
            (
                &["board", "--objective", "00000000-0000-0000-0000-000000000999"],
                1,
                "--objective: unknown objective 00000000-0000-0000-0000-000000000999 in cycle 2024-Q2",
                &["--objective: im Zyklus 2024-Q2: Das Objective 00000000-0000-0000-0000-000000000999 ist unbekannt."],
            ),
            (
                &["rescore", "--cycle", "2024-Q2", "--policy", "quer"],
                1,
                "--policy:",
                &["--policy: `quer` ist keine Bewertungsregel, die okr lesen kann"],
            ),
            (
                &["demo"],
                1,
                "okr.db: the store holds 2745 events; use --force to replace it",
                &["okr.db: der Speicher enthält 2745 Ereignisse; ersetzen Sie ihn mit --force"],
            ),
            (
                &["import", "log.jsonl"],
                1,
                "import needs an empty store",
                &["log.jsonl: Der Import braucht einen leeren Speicher; dieser enthält schon Ereignisse bis zur globalen Position 2744."],
            ),
            (
                &["restore", "sicherung"],
                1,
                "okr.db: a store (or other files) is here; use --force",
                &["okr.db: hier liegt schon ein Speicher (oder andere Dateien); legen Sie ihn mit --force beiseite"],
            ),
        ],
    );
    // Another process holds the store: `okr apply -` keeps it open while it reads its input.
    let mut holder = Command::new(OKR)
        .current_dir(d)
        .args(["apply", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = holder.stdin.take().unwrap();
    writeln!(stdin, "kein Befehl").unwrap();
    stdin.flush().unwrap();
    // Its answer to the line says the store is open.
    let mut answer = String::new();
    BufReader::new(holder.stderr.take().unwrap())
        .read_line(&mut answer)
        .unwrap();
    assert!(answer.contains("-:1:"), "{answer}");
    german(
        d,
        &["--wait", "0", "init"],
        2,
        "is in use by another okr process",
        &[
            "wird von einem anderen okr-Prozess benutzt",
            "warten Sie länger mit --wait oder beenden Sie diesen Prozess",
        ],
    );
    drop(stdin);
    holder.wait().unwrap();
}

/// Checks one table of `okr stats`: the header is the line that starts with `first` and
/// ends with `last`, its rows follow up to a blank line. Every label but the first ends
/// where its column's values end (right-aligned) — the last one, with `last_left`, starts
/// where they start — and the first label starts where the names do. Returns the rows.
#[track_caller]
fn check_table(stdout: &str, lang: &str, first: &str, last: &str, last_left: bool) -> usize {
    let lines: Vec<Vec<char>> = stdout.lines().map(|l| l.chars().collect()).collect();
    let at = lines
        .iter()
        .position(|l| {
            let l: String = l.iter().collect();
            l.trim_start().starts_with(first) && l.ends_with(last)
        })
        .unwrap_or_else(|| panic!("no table `{first}` in {lang}: {stdout}"));
    let text: String = lines[at].iter().collect();
    let rows: Vec<&Vec<char>> = lines[at + 1..]
        .iter()
        .take_while(|l| !l.is_empty())
        .collect();
    // The labels: the header's parts between runs of two or more spaces.
    let labels: Vec<&str> = text
        .split("  ")
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    assert_eq!(labels.len(), 6, "{lang}: {text}");
    let mut from = 0;
    for (i, label) in labels.iter().enumerate() {
        let start = text[from..].find(label).map(|b| from + b).unwrap();
        let start_col = text[..start].chars().count();
        let end_col = start_col + label.chars().count();
        from = start + label.len();
        let left = i == 0 || (last_left && i == labels.len() - 1);
        for row in &rows {
            let row_text: String = row.iter().collect();
            if left {
                assert!(
                    row[start_col] != ' ' && row[start_col - 1] == ' ',
                    "{lang}: `{label}` starts at column {start_col}, its value does not:\n{text}\n{row_text}"
                );
            } else {
                assert!(
                    row[end_col - 1] != ' ' && row.get(end_col).is_none_or(|c| *c == ' '),
                    "{lang}: `{label}` ends at column {end_col}, its value does not:\n{text}\n{row_text}"
                );
            }
        }
    }
    rows.len()
}

/// The tables of `okr stats` (per cycle, per unit): every label stands over its column, in
/// English and in German.
#[test]
fn the_statistics_tables_line_up_under_their_labels_in_both_languages() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert_eq!(okr(d, &["demo"]).code, 0);
    for (lang, cycle, unit, keep) in [
        ("en", "cycle", "unit", "keep rate"),
        ("de", "Zyklus", "Einheit", "gehalten"),
    ] {
        let out = okr(d, &["--lang", lang, "stats", "--min-unit-members", "1"]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        let quarters = check_table(&out.stdout, lang, cycle, "Brier", true);
        assert_eq!(quarters, 8, "eight closed quarters: {}", out.stdout);
        let units = check_table(&out.stdout, lang, unit, keep, false);
        assert!(units > 5, "every unit has a row: {}", out.stdout);
    }
}
