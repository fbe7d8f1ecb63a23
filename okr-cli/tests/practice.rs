//! The practice of OKR through the `okr` binary: the prioritised board (`okr board`, the
//! board section of the report), the weekly and the maturity over cycles. Each test applies
//! a JSON Lines script with `okr apply` in a temporary directory.

use serde_json::{json, Value};
use std::path::Path;
use std::process::{Command, Stdio};

const OKR: &str = env!("CARGO_BIN_EXE_okr");

fn okr(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(OKR)
        .current_dir(dir)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("the okr binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn ok(dir: &Path, args: &[&str]) -> String {
    let (code, stdout, stderr) = okr(dir, args);
    assert_eq!(code, 0, "okr {args:?} failed: {stderr}\n{stdout}");
    stdout
}

fn uid(n: u32) -> String {
    format!("00000000-0000-0000-0000-{n:012}")
}

const MASTER: u32 = 1;
const LEAD: u32 = 2;
const MEMBER: u32 = 3;
const ROOT: u32 = 100;
const TEAM: u32 = 101;
const OTHER: u32 = 102;
const CYCLE: u32 = 200;
const OBJECTIVE: u32 = 300;
const OBJECTIVE2: u32 = 301;
const KR1: u32 = 400;
const KR2: u32 = 401;
const KR3: u32 = 402;

/// Command lines for `okr apply`.
struct Script {
    lines: Vec<String>,
}

impl Script {
    fn new() -> Self {
        Script { lines: Vec::new() }
    }

    fn run(&mut self, actor: u32, at: &str, body: Value) -> &mut Self {
        let n = self.lines.len() as u32 + 1;
        self.lines.push(
            json!({
                "envelope": {
                    "command_id": format!("00000000-0000-0000-0001-{n:012}"),
                    "actor": uid(actor),
                    "at": at,
                },
                "body": body,
            })
            .to_string(),
        );
        self
    }

    fn apply(&self, dir: &Path) {
        let file = dir.join("script.jsonl");
        std::fs::write(&file, self.lines.join("\n") + "\n").unwrap();
        ok(dir, &["init"]);
        ok(dir, &["apply", file.to_str().unwrap()]);
    }
}

/// An organisation with two teams and a running quarter: the team's objective with two key
/// results, the other team's with one.
fn running_quarter() -> Script {
    let mut s = Script::new();
    let t0 = "2025-01-02T09:00:00Z";
    s.run(MASTER, t0, json!({"type": "define_unit", "unit": uid(ROOT), "name": "Verbund", "kind": "organisation"}))
        .run(MASTER, t0, json!({"type": "register_person", "person": uid(MASTER), "name": "Alex"}))
        .run(MASTER, t0, json!({"type": "grant_membership", "unit": uid(ROOT), "person": uid(MASTER), "role": "okr_master"}))
        .run(MASTER, t0, json!({"type": "define_unit", "unit": uid(TEAM), "name": "Bauamt", "kind": "team", "parent": uid(ROOT)}))
        .run(MASTER, t0, json!({"type": "define_unit", "unit": uid(OTHER), "name": "Bürgerbüro", "kind": "team", "parent": uid(ROOT)}))
        .run(MASTER, t0, json!({"type": "register_person", "person": uid(LEAD), "name": "Lee"}))
        .run(MASTER, t0, json!({"type": "grant_membership", "unit": uid(ROOT), "person": uid(LEAD), "role": "lead"}))
        .run(MASTER, t0, json!({"type": "register_person", "person": uid(MEMBER), "name": "Mo"}))
        .run(MASTER, t0, json!({"type": "grant_membership", "unit": uid(TEAM), "person": uid(MEMBER), "role": "member"}))
        .run(MASTER, t0, json!({"type": "plan_cycle", "cycle": uid(CYCLE), "name": "2025-Q1", "kind": "regular",
            "start": "2025-01-06", "end": "2025-03-28", "check_in_weekday": "Mon"}))
        .run(LEAD, t0, json!({"type": "draft_objective", "cycle": uid(CYCLE), "objective": uid(OBJECTIVE), "unit": uid(TEAM),
            "title": "Bauherren erhalten ihre Genehmigung schneller", "beneficiary": "Bauherren", "kind": "committed"}))
        .run(LEAD, t0, json!({"type": "add_key_result", "objective": uid(OBJECTIVE), "key_result": uid(KR1),
            "title": "Anteil online gestellter Bauanträge",
            "kind": {"type": "increase", "baseline": 10, "target": 50, "unit": "%"}}))
        .run(LEAD, t0, json!({"type": "add_key_result", "objective": uid(OBJECTIVE), "key_result": uid(KR2),
            "title": "Tage bis zur Genehmigung",
            "kind": {"type": "decrease", "baseline": 60, "target": 30, "unit": "Tage"}}))
        .run(LEAD, t0, json!({"type": "commit_objective", "objective": uid(OBJECTIVE)}))
        .run(LEAD, t0, json!({"type": "draft_objective", "cycle": uid(CYCLE), "objective": uid(OBJECTIVE2), "unit": uid(OTHER),
            "title": "Bürgerinnen und Bürger warten kürzer auf einen Termin", "beneficiary": "Bürgerinnen und Bürger", "kind": "aspirational"}))
        .run(LEAD, t0, json!({"type": "add_key_result", "objective": uid(OBJECTIVE2), "key_result": uid(KR3),
            "title": "Wartezeit auf einen Termin",
            "kind": {"type": "decrease", "baseline": 20, "target": 5, "unit": "Tage"}}))
        .run(LEAD, t0, json!({"type": "commit_objective", "objective": uid(OBJECTIVE2)}))
        .run(MASTER, "2025-01-06T08:00:00Z", json!({"type": "start_cycle", "cycle": uid(CYCLE)}));
    s
}

/// Initiatives on the board: (id, key result, title, effort, impact, column).
const INITIATIVES: &[(u32, u32, &str, u8, u8, &str)] = &[
    (600, KR1, "Online-Formular einrichten", 2, 4, "doing"),
    (601, KR1, "Chatbot einführen", 5, 5, "todo"),
    (602, KR1, "FAQ-Seite schreiben", 1, 3, "done"),
    (603, KR2, "Flyer drucken", 1, 1, "todo"),
    (604, KR3, "Online-Terminvergabe", 2, 5, "todo"),
];

fn with_initiatives(s: &mut Script) {
    for (id, kr, title, effort, impact, column) in INITIATIVES {
        s.run(
            LEAD,
            "2025-01-13T09:00:00Z",
            json!({"type": "add_initiative", "key_result": uid(*kr),
            "initiative": uid(*id), "title": title, "effort": effort, "impact": impact}),
        );
        if *column != "todo" {
            s.run(
                LEAD,
                "2025-01-13T09:05:00Z",
                json!({"type": "move_initiative", "initiative": uid(*id), "status": column}),
            );
        }
    }
}

fn titles(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|c| c["title"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn board_ranks_by_impact_over_effort_in_text_json_and_german() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = running_quarter();
    with_initiatives(&mut s);
    s.apply(dir.path());
    let d = dir.path();

    let board: Value = serde_json::from_str(&ok(d, &["board", "--json"])).unwrap();
    // Online-Terminvergabe 5/2 = 2.5, Online-Formular 4/2 = 2.0, Chatbot 5/5 = 1.0 (more
    // impact than the flyer's 1/1); the FAQ page is done.
    assert_eq!(
        titles(&board["top3"]),
        [
            "Online-Terminvergabe",
            "Online-Formular einrichten",
            "Chatbot einführen"
        ]
    );
    assert_eq!(
        titles(&board["columns"]["todo"]),
        ["Online-Terminvergabe", "Chatbot einführen", "Flyer drucken"]
    );
    assert_eq!(titles(&board["columns"]["done"]), ["FAQ-Seite schreiben"]);
    let units: Vec<&str> = board["units"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["name"].as_str().unwrap())
        .collect();
    assert_eq!(units, ["Bauamt", "Bürgerbüro"]);
    let kr1 = &board["units"][0]["objectives"][0]["key_results"][0];
    assert_eq!(kr1["key_result"], uid(KR1));
    assert_eq!(
        titles(&kr1["columns"]["doing"]),
        ["Online-Formular einrichten"]
    );
    assert_eq!(kr1["columns"]["todo"][0]["priority"], 1000);

    // `--format json` is `--json`; the scope narrows to a unit, an objective, a key result.
    assert_eq!(
        ok(d, &["board", "--format", "json"]),
        ok(d, &["board", "--json"])
    );
    let one: Value =
        serde_json::from_str(&ok(d, &["board", "--json", "--unit", "Bürgerbüro"])).unwrap();
    assert_eq!(one["scope"], json!({"unit": uid(OTHER)}));
    assert_eq!(titles(&one["top3"]), ["Online-Terminvergabe"]);
    let kr: Value =
        serde_json::from_str(&ok(d, &["board", "--json", "--key-result", &uid(KR2)])).unwrap();
    assert_eq!(titles(&kr["columns"]["todo"]), ["Flyer drucken"]);
    assert_eq!(kr["units"].as_array().unwrap().len(), 1);

    // The same JSON as the C ABI's and okr serve's `board` query.
    let engine = okr_store::Engine::open_with(
        d.join("okr.db"),
        okr_store::EngineOptions {
            create_if_missing: false,
            read_only: true,
            ..okr_store::EngineOptions::default()
        },
    )
    .unwrap();
    let answer = okr_wire::run::answer(
        &engine,
        serde_json::from_value(json!({"query": "board"})).unwrap(),
    )
    .unwrap();
    let answer: Value = serde_json::from_slice(&answer).unwrap();
    assert_eq!(answer["board"], board);
    drop(engine);

    let text = ok(d, &["board"]);
    assert!(
        text.contains("1. Online-Terminvergabe (impact 5, effort 2, priority 2.5) [To do] — Bürgerbüro: Wartezeit auf einen Termin"),
        "{text}"
    );
    assert!(
        text.contains(
            "Doing (1):\n        - Online-Formular einrichten (impact 4, effort 2, priority 2.0)"
        ),
        "{text}"
    );
    let de = ok(d, &["board", "--lang", "de"]);
    assert!(
        de.contains("TOP 3 (größter Nutzen bei geringstem Aufwand, nicht erledigt):"),
        "{de}"
    );
    assert!(
        de.contains("Online-Terminvergabe (Wirkung 5, Aufwand 2, Priorität 2,5) [Zu erledigen]"),
        "{de}"
    );
    assert!(de.contains("In Arbeit (1):"), "{de}");

    // The report's board section, text and HTML.
    let report = ok(d, &["report"]);
    assert!(
        report.contains("\nBoard\n  To do 3, Doing 1, Done 1\n"),
        "{report}"
    );
    assert!(
        report.contains("    1. Online-Terminvergabe (impact 5, effort 2, priority 2.5)\n       [To do] Bürgerbüro: Wartezeit auf einen Termin\n"),
        "{report}"
    );
    assert!(report.lines().all(|l| l.chars().count() <= 80), "{report}");
    let html = ok(d, &["report", "--format", "html", "--lang", "de"]);
    assert!(html.contains("<section id=\"board\">"), "board section");
    assert!(html.contains("Zu erledigen (3)"), "German column");
    assert!(html.contains("<ol id=\"top3\"><li>Online-Terminvergabe (Wirkung 5, Aufwand 2, Priorität 2,5) — Bürgerbüro"), "TOP-3");
    let only = ok(d, &["report", "--unit", "Bauamt"]);
    assert!(only.contains("To do 2, Doing 1, Done 1"), "{only}");
}

#[test]
fn board_refuses_an_unknown_scope_with_the_flag_named() {
    let dir = tempfile::tempdir().unwrap();
    running_quarter().apply(dir.path());
    let (code, _, stderr) = okr(dir.path(), &["board", "--objective", &uid(999)]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains(&format!(
            "--objective: unknown objective {} in cycle 2025-Q1",
            uid(999)
        )),
        "{stderr}"
    );
    let (code, _, stderr) = okr(dir.path(), &["board", "--unit", "Nirgendwo"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("--unit: no unit `Nirgendwo`"), "{stderr}");
    // Without initiatives every key result says so, and nothing is open.
    let text = ok(dir.path(), &["board", "--lang", "de"]);
    assert!(text.contains("keine offene Initiative"), "{text}");
    assert!(text.contains("keine Initiativen"), "{text}");
}
