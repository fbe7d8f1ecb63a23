//! End-to-end tests of the `okr` binary: each runs it in a temporary directory.

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

mod common;

use common::{okr, OKR};

fn ok(dir: &Path, args: &[&str]) -> String {
    let r = okr(dir, args);
    assert_eq!(r.code, 0, "okr {args:?} failed: {}\n{}", r.stderr, r.stdout);
    r.stdout
}

fn demo_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    ok(dir.path(), &["demo"]);
    dir
}

fn export_lines(dir: &Path, store: &str) -> Vec<Value> {
    let file = dir.join(format!("{store}.jsonl"));
    ok(dir, &["--store", store, "export", file.to_str().unwrap()]);
    std::fs::read_to_string(&file)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn demo_prints_the_latest_quarter_and_the_statistics_and_refuses_to_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let out = ok(dir.path(), &["demo"]);
    assert!(out.contains("2024-Q2 (regular, closed)"), "{out}");
    assert!(out.contains("Statistics over 8 closed cycles"), "{out}");
    assert!(out.contains("[##"), "progress bars: {out}");
    for l in out.lines() {
        assert!(l.chars().count() <= 80, "line wider than 80 columns: {l}");
    }
    let again = okr(dir.path(), &["demo"]);
    assert_eq!(again.code, 1, "{}", again.stderr);
    assert!(again.stderr.contains("--force"), "{}", again.stderr);
    ok(dir.path(), &["demo", "--force"]);
}

#[test]
fn report_in_every_format() {
    let dir = demo_dir();
    let d = dir.path();
    let text = ok(d, &["report", "--cycle", "2023-Q1"]);
    assert!(text.starts_with("2023-Q1 (regular, closed)"), "{text}");
    assert!(
        text.contains("  O E-Rechnung") || text.contains("  O Sachbearbeitende"),
        "{text}"
    );
    assert!(text.contains("    KR "), "{text}");
    assert!(text.contains("[#"), "{text}");
    assert!(text.contains("score"), "{text}");
    for l in text.lines() {
        assert!(l.chars().count() <= 80, "line wider than 80 columns: {l}");
    }

    let json: Value = serde_json::from_str(&ok(
        d,
        &["report", "--cycle", "2023-Q1", "--format", "json"],
    ))
    .unwrap();
    assert_eq!(json["cycle"]["name"], "2023-Q1");
    let units = json["units"].as_array().unwrap();
    assert_eq!(units.len(), 7, "the federation and six communes");
    let krs: usize = units
        .iter()
        .flat_map(|u| u["objectives"].as_array().unwrap())
        .map(|o| o["key_results"].as_array().unwrap().len())
        .sum();
    assert!(krs >= 15);

    let csv_out = d.join("r.csv");
    ok(
        d,
        &[
            "report",
            "--cycle",
            "2023-Q1",
            "--format",
            "csv",
            "--out",
            csv_out.to_str().unwrap(),
        ],
    );
    let csv = std::fs::read_to_string(&csv_out).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert!(
        lines[0].starts_with("cycle,unit,objective_id,objective,"),
        "{}",
        lines[0]
    );
    assert_eq!(lines.len(), krs + 1, "a header and one row per key result");

    let html = ok(d, &["report", "--cycle", "2023-Q1", "--format", "html"]);
    assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
    assert!(html.len() <= 2_000_000, "{} bytes", html.len());
    for id in [
        "progress-distribution",
        "status-counts",
        "check-ins",
        "score-trend",
    ] {
        assert!(html.contains(&format!("<svg id=\"{id}\"")), "{id}");
    }
    assert_eq!(
        html.matches("<details id=\"u-").count(),
        units.len(),
        "one unit summary per unit"
    );
    assert_eq!(
        html.matches("<script type=\"application/json\" id=\"okr-data\">")
            .count(),
        1,
        "the detail is embedded once"
    );
    let first_kr = units
        .iter()
        .flat_map(|u| u["objectives"].as_array().unwrap())
        .flat_map(|o| o["key_results"].as_array().unwrap())
        .next()
        .unwrap()["title"]
        .as_str()
        .unwrap();
    assert!(html.contains(&serde_json::to_string(first_kr).unwrap()));
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "no external URLs"
    );
    assert!(!html.contains("<link") && !html.contains("<script src"));

    let de = ok(
        d,
        &[
            "report", "--cycle", "2023-Q1", "--format", "html", "--lang", "de",
        ],
    );
    assert!(de.contains("<html lang=\"de\">") && de.contains("Überblick"));
}

#[test]
fn report_of_one_unit_keeps_its_subtree_and_refuses_an_unknown_unit() {
    let dir = demo_dir();
    let d = dir.path();
    let all: Value = serde_json::from_str(&ok(
        d,
        &["report", "--cycle", "2023-Q1", "--format", "json"],
    ))
    .unwrap();
    let commune = all["units"][1]["name"].as_str().unwrap().to_owned();
    let one: Value = serde_json::from_str(&ok(
        d,
        &[
            "report", "--cycle", "2023-Q1", "--format", "json", "--unit", &commune,
        ],
    ))
    .unwrap();
    let names: Vec<&str> = one["units"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, [commune.as_str()], "a commune has no units below it");
    let root = all["units"][0]["id"].as_str().unwrap();
    let whole: Value = serde_json::from_str(&ok(
        d,
        &[
            "report", "--cycle", "2023-Q1", "--format", "json", "--unit", root,
        ],
    ))
    .unwrap();
    assert_eq!(
        whole["units"], all["units"],
        "the root's subtree is everything"
    );
    let html = ok(
        d,
        &[
            "report", "--cycle", "2023-Q1", "--format", "html", "--unit", &commune,
        ],
    );
    assert_eq!(html.matches("<details id=\"u-").count(), 1);
    let r = okr(d, &["report", "--cycle", "2023-Q1", "--unit", "Atlantis"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("--unit: no unit `Atlantis`"),
        "{}",
        r.stderr
    );
}

#[test]
fn export_then_import_gives_the_same_log_and_report() {
    let dir = demo_dir();
    let d = dir.path();
    let file = d.join("log.jsonl");
    ok(d, &["export", file.to_str().unwrap()]);
    let out = ok(d, &["--store", "copy.db", "import", file.to_str().unwrap()]);
    assert!(out.starts_with("imported "), "{out}");
    for cycle in ["2022-Q4", "2024-Q2", "Übungssprint 1"] {
        let a = ok(d, &["report", "--cycle", cycle, "--format", "json"]);
        let b = ok(
            d,
            &[
                "--store", "copy.db", "report", "--cycle", cycle, "--format", "json",
            ],
        );
        assert_eq!(a, b, "byte-equal JSON report of {cycle}");
    }
    let again = d.join("again.jsonl");
    ok(
        d,
        &["--store", "copy.db", "export", again.to_str().unwrap()],
    );
    assert_eq!(
        std::fs::read(&file).unwrap(),
        std::fs::read(&again).unwrap()
    );
    // Importing into a store that holds events is refused.
    let r = okr(d, &["import", file.to_str().unwrap()]);
    assert_eq!(r.code, 1, "{}", r.stderr);
}

#[test]
fn a_malformed_import_line_is_named_and_nothing_is_written() {
    let dir = demo_dir();
    let d = dir.path();
    let file = d.join("log.jsonl");
    ok(d, &["export", file.to_str().unwrap()]);
    let text = std::fs::read_to_string(&file).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let mut bad: Value = serde_json::from_str(&lines[41]).unwrap();
    bad["stream_version"] = Value::String("seven".into());
    lines[41] = bad.to_string();
    let broken = d.join("broken.jsonl");
    std::fs::write(&broken, lines.join("\n") + "\n").unwrap();
    let r = okr(
        d,
        &["--store", "target.db", "import", broken.to_str().unwrap()],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("broken.jsonl:42:"),
        "line number: {}",
        r.stderr
    );
    assert!(
        r.stderr.contains("field `stream_version`"),
        "field: {}",
        r.stderr
    );
    assert!(r.stderr.contains("nothing imported"), "{}", r.stderr);
    assert!(
        export_lines(d, "target.db").is_empty(),
        "the target store stays empty"
    );

    // Truncated JSON on the last line: also refused with its number.
    let cut = d.join("cut.jsonl");
    std::fs::write(&cut, format!("{}{}", text, "{\"event_id\": ")).unwrap();
    let r = okr(
        d,
        &["--store", "target.db", "import", cut.to_str().unwrap()],
    );
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .contains(&format!("cut.jsonl:{}:", lines.len() + 1)),
        "{}",
        r.stderr
    );
    assert!(export_lines(d, "target.db").is_empty());
    // No progress bar drawing on a pipe.
    assert!(!r.stderr.contains("import ["), "{}", r.stderr);
}

#[test]
fn replay_and_report_as_of_a_mid_cycle_instant_show_mid_cycle_values() {
    let dir = demo_dir();
    let d = dir.path();
    let at = "2023-02-15T12:00:00Z";
    let replay = ok(d, &["replay", "--as-of", at]);
    assert!(
        replay.contains("State as of 2023-02-15 12:00:00 UTC"),
        "{replay}"
    );
    assert!(replay.contains("2023-Q1 (regular, running)"), "{replay}");
    assert!(!replay.contains("2023-Q2"), "not planned yet: {replay}");
    let mid: Value = serde_json::from_str(&ok(
        d,
        &[
            "report", "--cycle", "2023-Q1", "--as-of", at, "--format", "json",
        ],
    ))
    .unwrap();
    let end: Value = serde_json::from_str(&ok(
        d,
        &["report", "--cycle", "2023-Q1", "--format", "json"],
    ))
    .unwrap();
    assert_eq!(mid["cycle"]["phase"], "running");
    assert_eq!(end["cycle"]["phase"], "closed");
    assert!(mid["score_ppm"].is_null(), "no scores before the review");
    let (m, e) = (
        mid["progress_ppm"].as_i64().unwrap(),
        end["progress_ppm"].as_i64().unwrap(),
    );
    assert!(m < e, "mid-cycle progress {m} below the final {e}");
    let expected = mid["expected_ppm"].as_i64().unwrap();
    assert!(
        expected > 400_000 && expected < 600_000,
        "mid-quarter: {expected}"
    );
    let check_ins = |v: &Value| -> u64 {
        v["units"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|u| u["objectives"].as_array().unwrap())
            .flat_map(|o| o["key_results"].as_array().unwrap())
            .map(|k| k["check_ins"].as_u64().unwrap())
            .sum()
    };
    assert!(check_ins(&mid) < check_ins(&end));
    // By position: the first event only.
    let first = ok(d, &["replay", "--as-of", "0"]);
    assert!(first.contains("1 unit, 0 people, 0 cycles"), "{first}");
    let beyond = okr(d, &["replay", "--as-of", "99999999"]);
    assert_eq!(beyond.code, 1);
    let bad = okr(d, &["replay", "--as-of", "yesterday"]);
    assert_eq!(bad.code, 1);
    assert!(bad.stderr.contains("--as-of"), "{}", bad.stderr);
}

fn date(v: &Value) -> chrono::NaiveDate {
    v.as_str().unwrap().parse().unwrap()
}

fn time(v: &Value) -> chrono::DateTime<chrono::Utc> {
    v.as_str().unwrap().parse().unwrap()
}

#[test]
fn stats_equal_a_hand_count_over_the_exported_events() {
    let dir = demo_dir();
    let d = dir.path();
    let events = export_lines(d, "okr.db");
    let stats: Value = serde_json::from_str(&ok(d, &["stats", "--format", "json"])).unwrap();

    // Cycles: regular and closed.
    let mut cycles: BTreeMap<String, (chrono::NaiveDate, chrono::NaiveDate)> = BTreeMap::new();
    let mut closed = BTreeSet::new();
    let mut objective_cycle = BTreeMap::new();
    let mut committed = BTreeSet::new();
    let mut kr_objective = BTreeMap::new();
    let mut check_ins: BTreeMap<String, Vec<chrono::DateTime<chrono::Utc>>> = BTreeMap::new();
    let (mut kept, mut missed) = (0u64, 0u64);
    let mut raised = BTreeMap::new();
    let mut lead_days = Vec::new();
    let mut carried = BTreeSet::new();
    let mut regular = BTreeSet::new();
    for e in &events {
        let p = &e["payload"];
        let s = |k: &str| p[k].as_str().unwrap().to_owned();
        match e["event_type"].as_str().unwrap() {
            "cycle_planned" => {
                if p["kind"] == "regular" {
                    regular.insert(s("cycle"));
                }
                cycles.insert(s("cycle"), (date(&p["start"]), date(&p["end"])));
            }
            "cycle_closed" => {
                closed.insert(s("cycle"));
            }
            "objective_drafted" | "objective_carried_over" => {
                objective_cycle.insert(s("objective"), s("cycle"));
                if e["event_type"] == "objective_carried_over" {
                    carried.insert(s("from_objective"));
                }
            }
            "objective_committed" => {
                committed.insert(s("objective"));
            }
            "key_result_added" => {
                kr_objective.insert(s("key_result"), s("objective"));
            }
            "checked_in" => check_ins
                .entry(s("key_result"))
                .or_default()
                .push(time(&p["effective_at"])),
            // Every agreement of the demo is in a regular cycle that closed (checked below).
            "agreement_resolved" if regular.contains(&s("cycle")) => {
                match p["outcome"].as_str().unwrap() {
                    "kept" => kept += 1,
                    _ => missed += 1,
                }
            }
            "blocker_raised" => {
                raised.insert(s("blocker"), time(&e["recorded_at"]));
            }
            "blocker_decided" => {
                let secs = (time(&e["recorded_at"]) - raised[&s("blocker")]).num_seconds();
                lead_days.push(secs as f64 / 86_400.0);
            }
            _ => {}
        }
    }
    let counted = |c: &String| regular.contains(c) && closed.contains(c);
    let overall = &stats["overall"];
    assert_eq!(
        stats["cycles"].as_array().unwrap().len(),
        cycles.keys().filter(|c| counted(c)).count()
    );
    // Agreements (every agreement of the demo is in a regular cycle that closed).
    assert_eq!(overall["agreements"]["kept"].as_u64().unwrap(), kept);
    assert_eq!(overall["agreements"]["missed"].as_u64().unwrap(), missed);
    assert!(missed > 0);
    let rate = overall["agreements"]["keep_rate"].as_f64().unwrap();
    assert!((rate - kept as f64 / (kept + missed) as f64).abs() < 1e-12);
    // Escalations.
    let esc = &overall["escalations"];
    assert_eq!(esc["decided"].as_u64().unwrap(), lead_days.len() as u64);
    let mean = lead_days.iter().sum::<f64>() / lead_days.len() as f64;
    assert!((esc["mean_days"].as_f64().unwrap() - mean).abs() < 1e-9);
    let max = lead_days.iter().cloned().fold(f64::MIN, f64::max);
    assert_eq!(esc["max_days"].as_f64().unwrap(), max);
    // Carry-over: carried committed objectives of counted cycles / committed objectives there.
    let in_counted: Vec<&String> = committed
        .iter()
        .filter(|o| counted(&objective_cycle[*o]))
        .collect();
    let carried_n = in_counted.iter().filter(|o| carried.contains(**o)).count() as u64;
    assert_eq!(
        overall["carry_over"]["objectives"].as_u64().unwrap(),
        in_counted.len() as u64
    );
    assert_eq!(
        overall["carry_over"]["carried"].as_u64().unwrap(),
        carried_n
    );
    assert!(carried_n > 0);
    // Check-in discipline: per key result, weeks (7-day blocks from the start) with a check-in.
    let mut shares = Vec::new();
    for (kr, o) in &kr_objective {
        let c = &objective_cycle[o];
        if !counted(c) || !committed.contains(o) {
            continue;
        }
        let (start, end) = cycles[c];
        let weeks = ((end - start).num_days() + 1 + 6) / 7;
        let seen: BTreeSet<i64> = check_ins
            .get(kr)
            .into_iter()
            .flatten()
            .map(|t| (t.date_naive() - start).num_days() / 7)
            .filter(|w| (0..weeks).contains(w))
            .collect();
        shares.push(seen.len() as f64 / weeks as f64);
    }
    assert_eq!(
        overall["key_results"].as_u64().unwrap(),
        shares.len() as u64
    );
    let discipline = shares.iter().sum::<f64>() / shares.len() as f64;
    assert!((overall["check_in_discipline"].as_f64().unwrap() - discipline).abs() < 1e-12);
    assert!(discipline < 1.0, "some weeks were skipped");
    // Practice sprints only when asked.
    let with: Value =
        serde_json::from_str(&ok(d, &["stats", "--include-practice", "--format", "json"])).unwrap();
    assert_eq!(with["cycles"].as_array().unwrap().len(), closed.len());
    let text = ok(d, &["stats"]);
    assert!(text.contains("agreement keep rate"), "{text}");
}

#[test]
fn apply_reports_refusals_by_line_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(d, &["init"]);
    let file = d.join("cmds.jsonl");
    let env = |n: u32| {
        format!("{{\"command_id\":\"00000000-0000-0000-0000-{n:012}\",\"actor\":\"00000000-0000-0000-0000-000000000001\",\"at\":\"2025-01-06T09:00:00Z\"}}")
    };
    let lines = [
        format!("{{\"envelope\":{},\"body\":{{\"type\":\"define_unit\",\"unit\":\"00000000-0000-0000-0000-000000000010\",\"name\":\"Root\",\"kind\":\"organisation\"}}}}", env(1)),
        format!("{{\"envelope\":{},\"body\":{{\"type\":\"define_unit\",\"unit\":\"00000000-0000-0000-0000-000000000011\",\"name\":\"Orphan\",\"kind\":\"team\"}}}}", env(2)),
        format!("{{\"envelope\":{},\"body\":{{\"type\":\"register_person\",\"person\":\"00000000-0000-0000-0000-000000000001\",\"nmae\":\"typo\"}}}}", env(3)),
        format!("{{\"envelope\":{},\"body\":{{\"type\":\"register_person\",\"person\":\"00000000-0000-0000-0000-000000000001\",\"name\":\"Alex\"}}}}", env(4)),
    ];
    std::fs::write(&file, lines.join("\n")).unwrap();
    let r = okr(d, &["apply", file.to_str().unwrap()]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("cmds.jsonl:2: refused"), "{}", r.stderr);
    assert!(
        r.stderr.contains("cmds.jsonl:3: invalid command"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("at `body.nmae`"),
        "the field is named with its path: {}",
        r.stderr
    );
    assert!(
        r.stdout.contains("2 commands applied, 2 refused"),
        "{}",
        r.stdout
    );
    assert_eq!(
        export_lines(d, "okr.db").len(),
        2,
        "lines 1 and 4 went through"
    );
}

#[test]
fn apply_takes_a_byte_order_mark_and_skips_a_line_that_is_not_utf8() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(d, &["init"]);
    let env = |n: u32| {
        format!("{{\"command_id\":\"00000000-0000-0000-0000-{n:012}\",\"actor\":\"00000000-0000-0000-0000-000000000001\",\"at\":\"2025-01-06T09:00:00Z\"}}")
    };
    let define = format!("{{\"envelope\":{},\"body\":{{\"type\":\"define_unit\",\"unit\":\"00000000-0000-0000-0000-000000000010\",\"name\":\"Root\",\"kind\":\"organisation\"}}}}", env(1));
    let register = format!("{{\"envelope\":{},\"body\":{{\"type\":\"register_person\",\"person\":\"00000000-0000-0000-0000-000000000001\",\"name\":\"Alex\"}}}}", env(2));
    // Line 1 opens with a byte-order mark, line 2 holds a byte that is not UTF-8.
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend_from_slice(define.as_bytes());
    bytes.extend_from_slice(b"\n{\"envelope\": \"caf\xE9\"}\n");
    bytes.extend_from_slice(register.as_bytes());
    bytes.push(b'\n');
    let file = d.join("cmds.jsonl");
    std::fs::write(&file, &bytes).unwrap();
    let r = okr(d, &["apply", file.to_str().unwrap()]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("cmds.jsonl:2: not UTF-8: invalid byte at column 18"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("cmds.jsonl:1:"), "{}", r.stderr);
    assert!(
        r.stdout.contains("2 commands applied, 1 refused"),
        "{}",
        r.stdout
    );
    assert!(r.stderr.contains("1 command refused"), "{}", r.stderr);
    assert_eq!(
        export_lines(d, "okr.db").len(),
        2,
        "lines 1 and 3 went through"
    );
    // One command: the singular.
    let one = d.join("one.jsonl");
    let rename = format!("{{\"envelope\":{},\"body\":{{\"type\":\"rename_unit\",\"unit\":\"00000000-0000-0000-0000-000000000010\",\"name\":\"Verbund\"}}}}", env(3));
    std::fs::write(&one, rename).unwrap();
    let out = ok(d, &["apply", one.to_str().unwrap()]);
    assert!(out.contains("1 command applied, 0 refused"), "{out}");
}

#[test]
fn report_defaults_to_the_running_cycle_else_the_last_closed_and_reads_dates() {
    let dir = demo_dir();
    let d = dir.path();
    // The demo's newest quarter is still being planned: the last closed one is reported.
    assert_eq!(ok(d, &["report"]), ok(d, &["report", "--cycle", "2024-Q2"]));
    // Mid-February 2023 the first quarter of 2023 was running.
    let running = ok(d, &["report", "--as-of", "2023-02-15"]);
    assert!(
        running.starts_with("2023-Q1 (regular, running)"),
        "{running}"
    );
    // A date stands for its start in UTC.
    assert_eq!(
        running,
        ok(
            d,
            &[
                "report",
                "--cycle",
                "2023-Q1",
                "--as-of",
                "2023-02-15T00:00:00Z"
            ]
        )
    );
    // A moment okr cannot read gets okr's message, naming what it can read.
    for bad in ["-1", "yesterday", "2025-13-01"] {
        let r = okr(d, &["report", "--as-of", bad]);
        assert_eq!(r.code, 1, "{bad}: {}", r.stderr);
        assert!(
            r.stderr
                .contains(&format!("`{bad}` is not a moment okr can read"))
                && r.stderr.contains("RFC 3339")
                && r.stderr.contains("a date"),
            "{bad}: {}",
            r.stderr
        );
    }
}

#[test]
fn the_text_report_lists_committed_objectives_before_drafts() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let id = |n: u32| format!("00000000-0000-0000-0000-{n:012}");
    let line = |n: u32, body: String| {
        format!(
            "{{\"envelope\":{{\"command_id\":\"{}\",\"actor\":\"{}\",\"at\":\"2025-01-06T09:00:00Z\"}},\"body\":{body}}}",
            id(1000 + n),
            id(1)
        )
    };
    let draft = |o: u32, title: &str| {
        format!("{{\"type\":\"draft_objective\",\"cycle\":\"{}\",\"objective\":\"{}\",\"unit\":\"{}\",\"title\":\"{title}\",\"kind\":\"committed\"}}", id(20), id(o), id(10))
    };
    let lines = [
        line(1, format!("{{\"type\":\"define_unit\",\"unit\":\"{}\",\"name\":\"Amt\",\"kind\":\"organisation\"}}", id(10))),
        line(2, format!("{{\"type\":\"register_person\",\"person\":\"{}\",\"name\":\"Alex\"}}", id(1))),
        line(3, format!("{{\"type\":\"grant_membership\",\"unit\":\"{}\",\"person\":\"{}\",\"role\":\"okr_master\"}}", id(10), id(1))),
        // An OkrMaster holds no content rights: Alex also leads the office.
        line(9, format!("{{\"type\":\"grant_membership\",\"unit\":\"{}\",\"person\":\"{}\",\"role\":\"lead\"}}", id(10), id(1))),
        line(4, format!("{{\"type\":\"plan_cycle\",\"cycle\":\"{}\",\"name\":\"2025-Q1\",\"kind\":\"regular\",\"start\":\"2025-01-06\",\"end\":\"2025-03-28\",\"check_in_weekday\":\"Mon\"}}", id(20))),
        // The draft's title sorts first, so only the status can put it second.
        line(5, draft(30, "Aaa Bürgerinnen erleben kürzere Wartezeiten")),
        line(6, draft(31, "Zzz Mitarbeitende finden Akten schneller")),
        line(7, format!("{{\"type\":\"add_key_result\",\"objective\":\"{}\",\"key_result\":\"{}\",\"title\":\"Suchzeit\",\"kind\":{{\"type\":\"decrease\",\"baseline\":20.0,\"target\":5.0,\"unit\":\"min\"}}}}", id(31), id(40))),
        line(8, format!("{{\"type\":\"commit_objective\",\"objective\":\"{}\"}}", id(31))),
    ];
    let file = d.join("cmds.jsonl");
    std::fs::write(&file, lines.join("\n")).unwrap();
    ok(d, &["apply", file.to_str().unwrap()]);
    let text = ok(d, &["report", "--cycle", "2025-Q1"]);
    let committed = text.find("Zzz").expect("the committed objective is listed");
    let draft = text.find("Aaa").expect("the draft is listed");
    assert!(committed < draft, "committed first:\n{text}");
    assert!(
        text[draft..].lines().take(2).any(|l| l.contains("(draft)")),
        "the draft is marked:\n{text}"
    );
}

#[test]
fn exit_codes_and_messages() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // No store: invalid input.
    let r = okr(d, &["stats"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("okr.db"), "{}", r.stderr);
    // A usage error is invalid input too (not clap's 2, which means a storage failure here).
    assert_eq!(okr(d, &["report", "--format", "pdf"]).code, 1);
    assert_eq!(okr(d, &["rescore"]).code, 1);
    assert_eq!(okr(d, &["--help"]).code, 0);
    // A store path that is not a store: storage failure.
    std::fs::write(d.join("file.db"), b"not a store").unwrap();
    let r = okr(d, &["--store", "file.db", "init"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    // A missing import file names the file.
    ok(d, &["init"]);
    let r = okr(d, &["import", "missing.jsonl"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("missing.jsonl"), "{}", r.stderr);
    let r = okr(d, &["report", "--cycle", "2031-Q9"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("--cycle"), "{}", r.stderr);
}

#[test]
fn rescore_lint_and_synth() {
    let dir = demo_dir();
    let d = dir.path();
    let out = ok(
        d,
        &[
            "rescore",
            "--cycle",
            "2022-Q4",
            "--policy",
            "unbounded,kr-only",
        ],
    );
    assert!(
        out.contains("what-if under v1:unbounded,kr-only,weighted"),
        "{out}"
    );
    let json: Value = serde_json::from_str(&ok(
        d,
        &[
            "rescore", "--cycle", "2022-Q4", "--policy", "equal", "--format", "json",
        ],
    ))
    .unwrap();
    assert!(json["rows"].as_array().unwrap().len() > 20);
    assert_eq!(
        okr(
            d,
            &["rescore", "--cycle", "2022-Q4", "--policy", "generous"]
        )
        .code,
        1
    );

    let en = ok(d, &["lint", "--cycle", "2022-Q3"]);
    let de = ok(d, &["lint", "--cycle", "2022-Q3", "--lang", "de"]);
    assert!(en.contains("[committed-objective-low-score]"), "{en}");
    assert_ne!(en, de);
    assert!(ok(d, &["lint"]).contains("2024-Q3 (planning)"));

    let file = d.join("s.jsonl");
    ok(
        d,
        &[
            "synth",
            "--size",
            "S",
            "--seed",
            "3",
            "--out",
            file.to_str().unwrap(),
        ],
    );
    let commands = std::fs::read_to_string(&file).unwrap();
    assert!(commands.lines().count() > 1300);
    assert_eq!(okr(d, &["synth", "--size", "XXL"]).code, 1);
    let events = ok(d, &["synth", "--size", "S", "--seed", "3", "--events"]);
    let first: Value = serde_json::from_str(events.lines().next().unwrap()).unwrap();
    assert_eq!(first["body"]["type"], "unit_defined");
    let r = okr(d, &["--store", "synth.db", "apply", file.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        !r.stderr.contains('['),
        "no progress drawn on a pipe: {}",
        r.stderr
    );
}

fn chromium() -> Option<PathBuf> {
    for name in ["chromium", "chromium-browser", "google-chrome"] {
        for dir in std::env::var("PATH").unwrap_or_default().split(':') {
            let p = Path::new(dir).join(name);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
}

/// Runs chromium headless with a time limit; returns stdout.
fn headless(bin: &Path, profile: &Path, extra: &[&str], url: &str) -> String {
    let mut child = Command::new(bin)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromium starts");
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut stdout, &mut s).ok();
        s
    });
    let start = std::time::Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if start.elapsed() > std::time::Duration::from_secs(90) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish within 90 s");
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    reader.join().unwrap()
}

/// The chromium binary, or `None` (with a note) when it is absent outside CI; in CI its
/// absence fails the test.
fn chromium_or_skip() -> Option<PathBuf> {
    let bin = chromium();
    if bin.is_none() {
        if std::env::var_os("CI").is_some() {
            panic!("chromium is missing; CI must install it (apt-get install -y chromium)");
        }
        eprintln!("note: chromium not found; skipping the headless rendering check");
    }
    bin
}

/// The DOM of `page` opened at `#u-<unit>`, and whether the unit's key result rows rendered
/// with `title` among them.
fn assert_unit_opens(bin: &Path, profile: &Path, page: &Path, unit: &str, title: &str) -> String {
    let url = format!("file://{}#u-{unit}", page.display());
    let dom = headless(bin, profile, &["--dump-dom"], &url);
    for id in ["progress-distribution", "status-counts", "check-ins"] {
        let at = dom
            .find(&format!("id=\"{id}\""))
            .unwrap_or_else(|| panic!("{id} in the DOM"));
        let svg = &dom[at..at + dom[at..].find("</svg>").unwrap()];
        assert!(
            svg.contains("<rect") || svg.contains("<polyline"),
            "{id} has shapes"
        );
    }
    let at = dom
        .find(&format!("<details id=\"u-{unit}\""))
        .expect("the unit in the DOM");
    let opened = &dom[at..at + dom[at..].find("</summary>").unwrap()];
    assert!(
        opened.contains(" open="),
        "the fragment opens the unit: {opened}"
    );
    let detail = &dom[at..];
    let detail = &detail[..detail.find("</table>").expect("the unit's table rendered")];
    assert!(detail.contains("<tr class=\"obj\">"), "objectives rendered");
    let escaped = title
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    assert!(
        detail.contains(&escaped),
        "the key result `{title}` rendered in the unit"
    );
    dom
}

/// A unit with a key result in the JSON report: its id and the key result's title.
fn unit_with_kr(report: &Value) -> (String, String) {
    report["units"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|u| {
            let kr = u["objectives"]
                .as_array()?
                .iter()
                .flat_map(|o| o["key_results"].as_array().unwrap())
                .next()?;
            Some((
                u["id"].as_str()?.to_owned(),
                kr["title"].as_str()?.to_owned(),
            ))
        })
        .expect("a unit with a key result")
}

/// An M-size synthetic store (10,000 key results), built once per test binary.
fn m_store() -> &'static Path {
    static DIR: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let file = d.join("m.jsonl");
        ok(
            d,
            &[
                "synth",
                "--size",
                "M",
                "--seed",
                "1",
                "--out",
                file.to_str().unwrap(),
            ],
        );
        ok(d, &["apply", file.to_str().unwrap()]);
        std::fs::remove_file(&file).unwrap();
        dir
    })
    .path()
}

#[test]
fn the_html_report_of_an_m_cycle_stays_below_two_megabytes_and_opens_a_unit() {
    let d = m_store();
    let page = d.join("m.html");
    ok(
        d,
        &[
            "report",
            "--cycle",
            "2025-Q1",
            "--format",
            "html",
            "--out",
            page.to_str().unwrap(),
        ],
    );
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.len() <= 2_000_000, "{} bytes", html.len());
    assert_eq!(
        html.matches("<details id=\"u-").count(),
        500,
        "every unit summarised"
    );
    assert!(
        html.contains("<section id=\"maturity\">"),
        "the maturity section is part of the page within the limit"
    );
    let Some(bin) = chromium_or_skip() else {
        return;
    };
    let json: Value = serde_json::from_str(&ok(
        d,
        &["report", "--cycle", "2025-Q1", "--format", "json"],
    ))
    .unwrap();
    let (unit, title) = unit_with_kr(&json);
    let profile = tempfile::tempdir().unwrap();
    assert_unit_opens(&bin, profile.path(), &page, &unit, &title);
}

#[test]
fn the_html_report_renders_in_headless_chromium() {
    let Some(bin) = chromium_or_skip() else {
        return;
    };
    let dir = demo_dir();
    let d = dir.path();
    let page = d.join("report.html");
    ok(
        d,
        &[
            "report",
            "--cycle",
            "2023-Q1",
            "--format",
            "html",
            "--out",
            page.to_str().unwrap(),
        ],
    );
    let json: Value = serde_json::from_str(&ok(
        d,
        &["report", "--cycle", "2023-Q1", "--format", "json"],
    ))
    .unwrap();
    let (unit, title) = unit_with_kr(&json);
    let profile = d.join("profile");
    let dom = assert_unit_opens(&bin, &profile, &page, &unit, &title);
    assert!(
        dom.contains("id=\"score-trend\""),
        "the demo has a score trend"
    );
    // Maturity over the quarters up to 2023-Q1: four lines and their legend.
    let at = dom
        .find("id=\"maturity-chart\"")
        .expect("the maturity chart in the DOM");
    let chart = &dom[at..at + dom[at..].find("</svg>").unwrap()];
    assert!(
        chart.matches("<polyline").count() >= 3,
        "maturity lines drawn: {chart}"
    );
    assert!(
        chart.contains("class=\"legend\"") && chart.contains(">output share</text>"),
        "the legend: {chart}"
    );
    assert!(dom.contains("id=\"maturity-table\""));
    let url = format!("file://{}", page.display());
    let png_path = d.join("shot.png");
    headless(
        &bin,
        &profile,
        &[
            &format!("--screenshot={}", png_path.display()),
            "--window-size=1200,2000",
            "--hide-scrollbars",
        ],
        &url,
    );
    let decoder = png::Decoder::new(std::fs::File::open(&png_path).expect("a screenshot"));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    let px = info.color_type.samples();
    let pixels: Vec<&[u8]> = buf[..info.buffer_size()].chunks(px).collect();
    let distinct: BTreeSet<&[u8]> = pixels.iter().copied().take(1200 * 2000).collect();
    assert!(
        distinct.len() > 10,
        "the page is not one colour: {} colours",
        distinct.len()
    );
}

#[test]
fn a_reader_that_stops_early_ends_the_output_quietly() {
    // `okr … | head -1`: the pipe closes after the first line. The outputs are larger than a
    // pipe's buffer, so the rest meets a closed pipe.
    use std::io::{BufRead, BufReader};
    let dir = demo_dir();
    for args in [
        &["export", "-"][..],
        &["synth", "--size", "M", "--seed", "1"][..],
        &["replay", "--as-of", "2030-01-01T00:00:00Z"][..],
    ] {
        let mut child = Command::new(OKR)
            .current_dir(dir.path())
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the okr binary runs");
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        assert!(!first.is_empty(), "okr {args:?} printed nothing");
        // The read end was dropped with the reader.
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "okr {args:?}: {stderr}");
        assert_eq!(out.status.code(), Some(0), "okr {args:?}: {stderr}");
        assert!(stderr.trim().is_empty(), "okr {args:?}: {stderr}");
    }
}

#[test]
fn the_report_shows_aligned_contributions_beside_an_objective_scored_on_its_own() {
    let dir = demo_dir();
    let d = dir.path();
    let text = ok(d, &["report", "--cycle", "2024-Q2"]);
    let aligned = text
        .lines()
        .find(|l| l.trim_start().starts_with("aligned:"))
        .unwrap_or_else(|| panic!("an aligned line:\n{text}"));
    assert!(
        aligned.contains("6 contribute; with them 0.97, own key results 1.00"),
        "{aligned}"
    );
    assert!(
        text.contains("<- 0.90 Fulda: Andere Kommunen nutzen die Ende-zu-Ende-Blaupause"),
        "{text}"
    );
    let json: Value = serde_json::from_str(&ok(
        d,
        &["report", "--cycle", "2024-Q2", "--format", "json"],
    ))
    .unwrap();
    let fed = &json["units"][0]["objectives"][0];
    assert_eq!(fed["aligned_rolled_in"], false);
    assert_eq!(
        fed["progress_ppm"], fed["own_ppm"],
        "scored on its own key results"
    );
    assert_eq!(fed["contributions"].as_array().map(Vec::len), Some(6));
    assert_ne!(fed["with_aligned_ppm"], fed["own_ppm"]);
    // A what-if under the explicit roll-up counts the contributions.
    let what_if = ok(
        d,
        &["rescore", "--cycle", "2024-Q2", "--policy", "with-children"],
    );
    assert!(what_if.contains("with-children"), "{what_if}");
}

/// The tests' PostgreSQL server (`OKR_TEST_POSTGRES_URL`, see `.ci/postgres.sh`): `None`
/// with a note outside CI, a failure in CI.
fn postgres_url() -> Option<String> {
    match std::env::var("OKR_TEST_POSTGRES_URL") {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ => {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI is set but OKR_TEST_POSTGRES_URL is not: .ci/run starts a server with .ci/postgres.sh"
            );
            eprintln!("note: OKR_TEST_POSTGRES_URL is not set, skipping a PostgreSQL test");
            None
        }
    }
}

/// An organisation of its own for this run.
fn organisation(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{prefix}-{}-{nanos}", std::process::id())
}

#[test]
fn a_postgres_store_is_named_by_url_and_organisations_stay_apart() {
    let Some(base) = postgres_url() else { return };
    let a = format!("{base}?organisation={}", organisation("cli-a"));
    let b = format!("{base}?organisation={}", organisation("cli-b"));
    let dir = demo_dir();
    let d = dir.path();
    // The demo built into PostgreSQL is the demo built into sled, byte for byte.
    let out = ok(d, &["--store", &a, "demo"]);
    assert!(out.contains("2024-Q2 (regular, closed)"), "{out}");
    ok(d, &["export", "sled.jsonl"]);
    ok(d, &["--store", &a, "export", "pg.jsonl"]);
    let sled = std::fs::read(d.join("sled.jsonl")).unwrap();
    assert_eq!(std::fs::read(d.join("pg.jsonl")).unwrap(), sled);
    assert_eq!(
        ok(d, &["--store", &a, "report", "--format", "json"]),
        ok(d, &["report", "--format", "json"])
    );
    // Another organisation of the same database: nothing until created, then empty.
    let r = okr(d, &["--store", &b, "export", "b.jsonl"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("holds no store of this organisation"),
        "{}",
        r.stderr
    );
    assert!(ok(d, &["--store", &b, "init"]).contains(": 0 events"));
    ok(d, &["--store", &b, "export", "b.jsonl"]);
    assert_eq!(std::fs::read(d.join("b.jsonl")).unwrap(), b"");
    // Importing the log into it, and exporting again, gives the same bytes.
    ok(d, &["--store", &b, "import", "sled.jsonl"]);
    ok(d, &["--store", &b, "export", "b.jsonl"]);
    assert_eq!(std::fs::read(d.join("b.jsonl")).unwrap(), sled);
    // demo refuses an organisation that holds events, and names it without a password.
    let r = okr(d, &["--store", &a, "demo", "--force"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("name another organisation"),
        "{}",
        r.stderr
    );
    // A URL without an organisation is refused by name.
    let r = okr(d, &["--store", &base, "init"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("no organisation"), "{}", r.stderr);
    assert!(!r.stderr.contains("storage failure"), "{}", r.stderr);
    // A server that is not there is a storage failure (exit 2) naming it.
    let r = okr(
        d,
        &[
            "--store",
            "postgres://okr:secret@127.0.0.1:1/okr?organisation=x",
            "init",
        ],
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("PostgreSQL at 127.0.0.1:1/okr (organisation x)"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("secret"), "{}", r.stderr);
}

/// Every file under `dir` with its bytes.
fn tree(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let bytes = std::fs::read(&p).unwrap();
                out.push((p, bytes));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn verify_backup_restore_and_read_commands_that_write_nothing() {
    let dir = demo_dir();
    let d = dir.path();
    std::thread::sleep(std::time::Duration::from_millis(200));
    let before = tree(&d.join("okr.db"));
    let out = ok(d, &["verify"]);
    assert!(
        out.contains("the hash chain of 2745 events is intact"),
        "{out}"
    );
    ok(d, &["export", "log.jsonl"]);
    ok(d, &["report", "--format", "json"]);
    ok(d, &["stats"]);
    assert_eq!(
        tree(&d.join("okr.db")),
        before,
        "a read command changed the store"
    );
    // A read command never creates a store or its directories.
    let r = okr(d, &["--store", "typo/dir", "export", "-"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(!d.join("typo").exists());
    // Backup and restore.
    let out = ok(d, &["backup", "b"]);
    assert!(out.contains("backed up 2745 events"), "{out}");
    let r = okr(d, &["restore", "b"]);
    assert_eq!(
        r.code, 1,
        "an existing store is not replaced without --force"
    );
    let out = ok(d, &["restore", "b", "--force"]);
    assert!(out.contains("restored 2745 events"), "{out}");
    assert!(d.join("okr.db.replaced-1").is_dir());
    assert_eq!(export_lines(d, "okr.db").len(), 2745);
    // A damaged store is refused with exit 2 and left as it was.
    let db = d.join("okr.db").join("db");
    std::thread::sleep(std::time::Duration::from_millis(200));
    let mut bytes = std::fs::read(&db).unwrap();
    bytes[4096] ^= 0xff;
    std::fs::write(&db, &bytes).unwrap();
    let damaged = tree(&d.join("okr.db"));
    for args in [&["export", "-"][..], &["apply", "/dev/null"][..]] {
        let r = okr(d, args);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
        assert_eq!(
            tree(&d.join("okr.db")),
            damaged,
            "{args:?} changed the damaged store"
        );
    }
}

#[test]
fn a_command_id_reused_for_another_command_is_a_refused_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let line = |name: &str| {
        serde_json::json!({
            "envelope": {"command_id": "00000000-0000-0000-0000-0000000000c1",
                         "actor": "00000000-0000-0000-0000-000000000007",
                         "at": "2025-01-06T09:00:00Z"},
            "body": {"type": "define_unit", "unit": "00000000-0000-0000-0000-000000000100",
                     "name": name, "kind": "organisation"}
        })
        .to_string()
    };
    let team = serde_json::json!({
        "envelope": {"command_id": "00000000-0000-0000-0000-0000000000c2",
                     "actor": "00000000-0000-0000-0000-000000000007",
                     "at": "2025-01-06T09:00:00Z"},
        "body": {"type": "define_unit", "unit": "00000000-0000-0000-0000-000000000101",
                 "name": "Team", "kind": "team",
                 "parent": "00000000-0000-0000-0000-000000000100"}
    });
    std::fs::write(
        d.join("c.jsonl"),
        format!("{}\n{}\n{}\n{team}\n", line("A"), line("A"), line("B")),
    )
    .unwrap();
    let r = okr(d, &["apply", "c.jsonl"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    // Line 3 is refused as a conflict, on its own: line 2 is a retry of line 1, line 4 goes on.
    assert!(
        r.stderr.contains(
            "c.jsonl:3: refused: conflict: command id 00000000-0000-0000-0000-0000000000c1 was already used for another command"
        ),
        "{}",
        r.stderr
    );
    assert_eq!(r.stderr.matches("refused:").count(), 1, "{}", r.stderr);
    assert!(
        r.stdout.contains("3 commands applied, 1 refused"),
        "{}",
        r.stdout
    );
    let names: Vec<Value> = export_lines(d, "okr.db")
        .iter()
        .map(|e| e["payload"]["name"].clone())
        .collect();
    assert_eq!(names, [Value::from("A"), Value::from("Team")]);
    // Applied again, the file conflicts in the store this time: still line 3 alone.
    let r = okr(d, &["apply", "c.jsonl"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("c.jsonl:3: refused: conflict"),
        "{}",
        r.stderr
    );
    assert!(
        r.stdout.contains("3 commands applied, 1 refused"),
        "{}",
        r.stdout
    );
    assert_eq!(export_lines(d, "okr.db").len(), 2);
}

#[test]
fn the_report_lists_the_units_kpis_with_their_health_apart_from_the_objectives() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let id = |n: u32| format!("00000000-0000-0000-0000-{n:012}");
    let line = |n: u32, body: String| {
        format!(
            "{{\"envelope\":{{\"command_id\":\"{}\",\"actor\":\"{}\",\"at\":\"2025-01-06T09:00:00Z\"}},\"body\":{body}}}",
            id(2000 + n),
            id(1)
        )
    };
    let lines = [
        line(1, format!("{{\"type\":\"define_unit\",\"unit\":\"{}\",\"name\":\"Bürgeramt\",\"kind\":\"organisation\"}}", id(10))),
        line(2, format!("{{\"type\":\"register_person\",\"person\":\"{}\",\"name\":\"Alex\"}}", id(1))),
        line(3, format!("{{\"type\":\"grant_membership\",\"unit\":\"{}\",\"person\":\"{}\",\"role\":\"lead\"}}", id(10), id(1))),
        line(4, format!("{{\"type\":\"define_kpi\",\"kpi\":\"{}\",\"unit\":\"{}\",\"name\":\"Verfügbarkeit des Bürgerportals\",\"unit_of_measure\":\"%\",\"bound\":\"at_least\",\"threshold\":99.5,\"warning\":98.0}}", id(50), id(10))),
        line(5, format!("{{\"type\":\"record_kpi\",\"kpi\":\"{}\",\"value\":98.7}}", id(50))),
        line(6, format!("{{\"type\":\"grant_membership\",\"unit\":\"{}\",\"person\":\"{}\",\"role\":\"okr_master\"}}", id(10), id(1))),
        line(7, format!("{{\"type\":\"plan_cycle\",\"cycle\":\"{}\",\"name\":\"2025-Q1\",\"kind\":\"regular\",\"start\":\"2025-01-06\",\"end\":\"2025-03-28\",\"check_in_weekday\":\"Mon\"}}", id(20))),
        line(8, format!("{{\"type\":\"draft_objective\",\"cycle\":\"{}\",\"objective\":\"{}\",\"unit\":\"{}\",\"title\":\"Bürgerinnen erledigen Anliegen online\",\"kind\":\"committed\"}}", id(20), id(30), id(10))),
    ];
    let file = d.join("cmds.jsonl");
    std::fs::write(&file, lines.join("\n")).unwrap();
    ok(d, &["apply", file.to_str().unwrap()]);
    let text = ok(d, &["report", "--cycle", "2025-Q1"]);
    assert!(text.contains("KPIs (health, never scored)"), "{text}");
    assert!(
        text.contains("warning   Bürgeramt: Verfügbarkeit des Bürgerportals\n            now 98.7, healthy >= 99.5 %, warning 98\n"),
        "{text}"
    );
    let json: Value = serde_json::from_str(&ok(
        d,
        &["report", "--cycle", "2025-Q1", "--format", "json"],
    ))
    .unwrap();
    assert_eq!(json["kpis"][0]["health"], "warning");
}

/// `okr forget-person` on the demo: afterwards no output (export, reports in every format,
/// statistics, replayed state) and no file of the store holds the person's name or a text
/// only they wrote; the statistics are the same; the chain verifies.
#[test]
fn forget_person_erases_a_demo_person_from_every_output_and_file() {
    let dir = demo_dir();
    let d = dir.path();
    let lines = export_lines(d, "okr.db");
    let master = lines[0]["actor"].as_str().unwrap().to_owned();
    let text_fields = ["note", "text", "reason", "decision", "early_reason"];
    // Per actor, the personal texts they wrote.
    let mut texts: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for l in &lines {
        for f in text_fields {
            if let Some(t) = l["payload"][f].as_str().filter(|t| t.len() >= 12) {
                texts
                    .entry(l["actor"].as_str().unwrap().to_owned())
                    .or_default()
                    .push(t.to_owned());
            }
        }
    }
    // Only texts nobody else wrote say something when they are gone: the person with the
    // most of those.
    let unique = |actor: &String| -> Vec<String> {
        texts[actor]
            .iter()
            .filter(|t| {
                texts
                    .iter()
                    .all(|(a, other)| a == actor || !other.contains(t))
            })
            .cloned()
            .collect()
    };
    let person = texts
        .keys()
        .filter(|a| **a != master)
        .max_by_key(|a| unique(a).len())
        .cloned()
        .expect("the demo's people write texts");
    let own = unique(&person);
    assert!(!own.is_empty());
    let name = lines
        .iter()
        .find(|l| l["event_type"] == "person_registered" && l["payload"]["person"] == *person)
        .map(|l| l["payload"]["name"].as_str().unwrap().to_owned())
        .unwrap();
    let stats_before = ok(d, &["stats", "--format", "json"]);

    let out = ok(
        d,
        &[
            "forget-person",
            &person,
            "--reason",
            "Antrag auf Löschung",
            "--actor",
            &master,
        ],
    );
    assert!(out.contains("ehemaliges Mitglied"), "{out}");
    let mut needles = vec![name.clone()];
    needles.extend(own);
    let check = |what: &str, bytes: &[u8]| {
        for n in &needles {
            assert!(
                !bytes.windows(n.len()).any(|w| w == n.as_bytes()),
                "{what} still holds {n:?}"
            );
        }
    };
    let export = d.join("after.jsonl");
    ok(d, &["export", export.to_str().unwrap()]);
    check("the export", &std::fs::read(&export).unwrap());
    for format in ["text", "json", "csv", "html"] {
        let report = ok(d, &["report", "--cycle", "2023-Q1", "--format", format]);
        check(&format!("the {format} report"), report.as_bytes());
    }
    let stats_after = ok(d, &["stats", "--format", "json"]);
    check("the statistics", stats_after.as_bytes());
    assert_eq!(stats_before, stats_after, "every figure is unchanged");
    check(
        "the replayed state",
        ok(d, &["replay", "--as-of", "2030-01-01T00:00:00Z"]).as_bytes(),
    );
    assert!(ok(d, &["verify"]).contains("intact"));
    let mut stack = vec![d.join("okr.db")];
    while let Some(p) = stack.pop() {
        for entry in std::fs::read_dir(&p).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                check(&path.display().to_string(), &std::fs::read(&path).unwrap());
            }
        }
    }
    // The person gives no more commands; a second erasure is refused by the rule.
    let again = okr(
        d,
        &[
            "forget-person",
            &person,
            "--reason",
            "x",
            "--actor",
            &master,
        ],
    );
    assert!(
        again.stdout.contains("already") || again.code == 1,
        "{}",
        again.stderr
    );
}

/// `okr export --pseudonymise`: ids stay, no name and no free text of the demo is left, and
/// the statistics of its import equal the original's.
#[test]
fn a_pseudonymised_export_keeps_ids_and_statistics_and_drops_names_and_texts() {
    let dir = demo_dir();
    let d = dir.path();
    let original = export_lines(d, "okr.db");
    let file = d.join("pseudo.jsonl");
    ok(d, &["export", "--pseudonymise", file.to_str().unwrap()]);
    let text = std::fs::read_to_string(&file).unwrap();
    let pseudo: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(pseudo.len(), original.len());
    for (a, b) in original.iter().zip(&pseudo) {
        assert_eq!(a["event_id"], b["event_id"]);
        assert_eq!(a["actor"], b["actor"]);
        if a["event_type"] == "person_registered" {
            let name = a["payload"]["name"].as_str().unwrap();
            assert!(!text.contains(name), "{name} is in the export");
            assert!(b["payload"]["name"]
                .as_str()
                .unwrap()
                .starts_with("Person "));
        }
        for f in ["note", "text", "reason", "decision"] {
            if let Some(t) = a["payload"][f].as_str().filter(|t| !t.is_empty()) {
                assert_eq!(b["payload"][f], "[gelöscht]", "{t:?}");
            }
        }
    }
    ok(
        d,
        &["--store", "pseudo.db", "import", file.to_str().unwrap()],
    );
    for format in ["text", "json"] {
        assert_eq!(
            ok(d, &["stats", "--format", format]),
            ok(d, &["--store", "pseudo.db", "stats", "--format", format]),
            "the statistics of the pseudonymised import equal the original's"
        );
    }
}

/// `okr stats` breaks figures down by unit, never by person: in the demo each city has one
/// project person and the project two members, so by default (5) no unit has a row of its
/// own and everything counts in the totals; `--min-unit-members 1` shows every unit, `2`
/// folds the six cities into the project, `3` shows none again; the totals are the same for
/// every K.
#[test]
fn stats_show_a_unit_only_with_enough_members_and_keep_the_totals() {
    let dir = demo_dir();
    let d = dir.path();
    let json = |k: &str| -> Value {
        serde_json::from_str(&ok(
            d,
            &["stats", "--format", "json", "--min-unit-members", k],
        ))
        .unwrap()
    };
    let default: Value = serde_json::from_str(&ok(d, &["stats", "--format", "json"])).unwrap();
    assert_eq!(default["min_unit_members"], 5);
    assert_eq!(default["units"], serde_json::json!([]));
    assert_eq!(default["in_totals_only"].as_array().unwrap().len(), 7);
    let every = json("1");
    let units = every["units"].as_array().unwrap();
    assert_eq!(units.len(), 7, "{units:?}");
    let members: Vec<u64> = units
        .iter()
        .map(|u| u["members"].as_u64().unwrap())
        .collect();
    assert_eq!(members.iter().filter(|&&m| m == 1).count(), 6, "{units:?}");
    assert_eq!(members.iter().filter(|&&m| m == 2).count(), 1, "{units:?}");
    assert_eq!(every["in_totals_only"], serde_json::json!([]));
    let objectives: u64 = units
        .iter()
        .map(|u| u["figures"]["carry_over"]["objectives"].as_u64().unwrap())
        .sum();
    assert_eq!(
        Value::from(objectives),
        every["overall"]["carry_over"]["objectives"]
    );
    let two = json("2");
    let project = two["units"].as_array().unwrap();
    assert_eq!(project.len(), 1, "{project:?}");
    assert_eq!(project[0]["name"], "Total Digital");
    assert_eq!(project[0]["folded"].as_array().unwrap().len(), 6);
    assert_eq!(
        project[0]["figures"]["carry_over"]["objectives"],
        every["overall"]["carry_over"]["objectives"],
        "the cities' objectives count in the project's row"
    );
    assert_eq!(json("3")["units"], serde_json::json!([]));
    for k in ["1", "3", "5"] {
        let s = json(k);
        assert_eq!(s["overall"], default["overall"], "k = {k}");
        assert_eq!(s["trend"], default["trend"], "k = {k}");
    }
    let text = ok(d, &["stats"]);
    assert!(
        text.contains("by unit (a unit of fewer than 5 members counts in the unit above it)")
            && text.contains("in the totals only: 7 units"),
        "{text}"
    );
    let text = ok(d, &["stats", "--min-unit-members", "1"]);
    assert!(
        text.contains("by unit (every unit)") && text.contains("Gießen"),
        "{text}"
    );
    let r = okr(d, &["stats", "--min-unit-members", "many"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("--min-unit-members"), "{}", r.stderr);
}

/// Every command that takes --as-of reads it alike: `okr replay` takes a date (its start in
/// UTC) as the same instant in RFC 3339, and `-1` or words get okr's message naming the
/// formats it reads, not clap's.
#[test]
fn replay_reads_as_of_like_report() {
    let dir = demo_dir();
    let d = dir.path();
    assert_eq!(
        ok(d, &["replay", "--as-of", "2025-08-15"]),
        ok(d, &["replay", "--as-of", "2025-08-15T00:00:00Z"])
    );
    for bad in ["-1", "last week"] {
        let r = okr(d, &["replay", "--as-of", bad]);
        assert_eq!(r.code, 1, "{bad}: {}", r.stderr);
        assert!(
            r.stderr
                .contains(&format!("--as-of: `{bad}` is not a moment okr can read"))
                && r.stderr.contains("global position")
                && r.stderr.contains("RFC 3339")
                && r.stderr.contains("a date"),
            "{bad}: {}",
            r.stderr
        );
    }
}
/// English words that must not appear in `--lang de` output (as whole words): headings,
/// table headers, summaries and states of every subcommand. „Objective“, „Key Result“,
/// „Check-in“ and „Review“ are the German terms of the framework and allowed.
const ENGLISH: &[&str] = &[
    "progress",
    "expected",
    "score",
    "own",
    "incl",
    "below",
    "conf",
    "now",
    "aligned",
    "contribute",
    "contributes",
    "depends",
    "needed",
    "threshold",
    "milestone",
    "carried",
    "overridden",
    "corrected",
    "statistics",
    "over",
    "closed",
    "running",
    "planning",
    "regular",
    "practice",
    "committed",
    "aspirational",
    "draft",
    "dropped",
    "track",
    "risk",
    "started",
    "healthy",
    "warning",
    "breached",
    "discipline",
    "calibration",
    "mean",
    "kept",
    "missed",
    "made",
    "decided",
    "achieved",
    "rate",
    "cycle",
    "cycles",
    "unit",
    "units",
    "people",
    "person",
    "state",
    "as",
    "of",
    "lint",
    "lints",
    "advisory",
    "command",
    "commands",
    "applied",
    "refused",
    "event",
    "events",
    "exported",
    "imported",
    "intact",
    "hash",
    "chain",
    "head",
    "backed",
    "up",
    "verified",
    "restored",
    "wrote",
    "recorded",
    "what-if",
    "delta",
    "store",
    "the",
    "and",
    "with",
    "has",
    "had",
    "for",
    "days",
    "reads",
    "like",
    "instead",
];

/// Forms of „du“ that Sie-form German never uses.
const DU: &[&str] = &[
    "du", "dein", "deine", "deinen", "deinem", "deiner", "dich", "dir",
];

/// Checks one `--lang de` output: no English word of [`ENGLISH`], no „du“, and every
/// decimal number written with a comma (a token like `0.57` is English; dates such as
/// `30.06.2024` have two points and are German).
fn assert_german(what: &str, text: &str) {
    for word in text.split(|c: char| !(c.is_alphanumeric() || c == '-')) {
        let lower = word.to_lowercase();
        assert!(
            !ENGLISH.contains(&lower.as_str()),
            "{what}: English word {word:?} in German output:\n{text}"
        );
        assert!(
            !DU.contains(&lower.as_str()),
            "{what}: „{word}“ in German output (Sie-form only):\n{text}"
        );
    }
    for token in text.split(|c: char| c.is_whitespace() || "()[]„“\",;:".contains(c)) {
        let t = token.trim_end_matches('.');
        let parts: Vec<&str> = t.split('.').collect();
        let english_decimal = parts.len() == 2
            && parts.iter().all(|p| {
                !p.is_empty()
                    && p.trim_start_matches('-')
                        .chars()
                        .all(|c| c.is_ascii_digit())
            });
        assert!(
            !english_decimal,
            "{what}: {token:?} has a decimal point in German output:\n{text}"
        );
    }
}

/// A German number with a decimal comma (`0,57`) is in `text`.
fn has_decimal_comma(text: &str) -> bool {
    text.as_bytes()
        .windows(3)
        .any(|w| w[0].is_ascii_digit() && w[1] == b',' && w[2].is_ascii_digit())
}

#[test]
fn german_output_of_the_demo_reports_replay_rescore_stats_and_lint() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let demo = ok(d, &["demo", "--lang", "de"]);
    assert_german("demo", &demo);
    assert!(demo.starts_with("Demo-Speicher "), "{demo}");
    assert!(
        demo.contains("2024-Q2 (regulär, abgeschlossen)  01.04.2024 .. 30.06.2024"),
        "{demo}"
    );
    assert!(
        demo.contains("Statistik über 8 abgeschlossene Zyklen (ohne Übungssprints)"),
        "{demo}"
    );
    assert!(has_decimal_comma(&demo));

    for cycle in ["2022-Q3", "2023-Q1", "2024-Q2", "Übungssprint 1"] {
        let text = ok(d, &["report", "--cycle", cycle, "--lang", "de"]);
        assert_german(&format!("report {cycle}"), &text);
        assert!(has_decimal_comma(&text), "{text}");
        assert!(
            text.contains("Fortschritt") && text.contains("Bewertung"),
            "{text}"
        );
    }
    // The English default stays English.
    let en = ok(d, &["report", "--cycle", "2024-Q2"]);
    assert!(
        en.contains("(regular, closed)") && en.contains("progress"),
        "{en}"
    );

    let replay = ok(d, &["replay", "--as-of", "2023-02-15", "--lang", "de"]);
    assert_german("replay", &replay);
    assert!(
        replay.starts_with("Stand vom 15.02.2023 00:00:00 UTC: 8 Einheiten"),
        "{replay}"
    );
    assert!(replay.contains("2023-Q1 (regulär, läuft)"), "{replay}");

    let rescore = ok(
        d,
        &[
            "rescore",
            "--cycle",
            "2022-Q4",
            "--policy",
            "unbounded",
            "--lang",
            "de",
        ],
    );
    assert_german("rescore", &rescore);
    assert!(rescore.contains("erfasst nach"), "{rescore}");
    assert!(has_decimal_comma(&rescore));

    let stats = ok(d, &["stats", "--include-practice", "--lang", "de"]);
    assert_german("stats", &stats);
    assert!(
        stats.contains("Check-in-Disziplin") && stats.contains(" %"),
        "{stats}"
    );
    assert!(has_decimal_comma(&stats));

    let lint = ok(d, &["lint", "--lang", "de"]);
    assert_german("lint", &lint);
    assert!(lint.contains("Übungssprint 1 (abgeschlossen): "), "{lint}");
    assert!(lint.contains("beschreiben Sie stattdessen"), "{lint}");
    // Singular and plural of the summary: „1 Hinweis“, „N Hinweise“.
    let total = lint.lines().last().unwrap();
    assert!(
        total.ends_with("Hinweise (zur Beratung, keine Ablehnung)"),
        "{total}"
    );
    let one = lint
        .lines()
        .filter(|l| !l.starts_with(' '))
        .map(|l| l.rsplit(": ").next().unwrap().to_owned())
        .collect::<Vec<_>>();
    for n in &one[..one.len() - 1] {
        let count: u64 = n.split(' ').next().unwrap().parse().unwrap();
        let noun = if count == 1 { "Hinweis" } else { "Hinweise" };
        assert_eq!(n, &format!("{count} {noun}"));
    }
    // Every lint message names the unit (a city or the project) in parentheses.
    for l in lint.lines().filter(|l| l.starts_with("  [")) {
        assert!(
            [
                "Total Digital",
                "Gießen",
                "Fulda",
                "Limburg",
                "Marburg",
                "Offenbach",
                "Wetzlar"
            ]
            .iter()
            .any(|u| l.contains(&format!("({u})")) || l.contains(&format!("von {u}"))),
            "{l}"
        );
    }

    let html = ok(
        d,
        &[
            "report", "--cycle", "2023-Q1", "--format", "html", "--lang", "de",
        ],
    );
    assert!(html.contains("<html lang=\"de\">"));
    let visible: String = html.split("<style>").next().unwrap().to_owned()
        + html
            .split("</style>")
            .nth(1)
            .unwrap()
            .split("<script")
            .next()
            .unwrap();
    let text: String = {
        let mut out = String::new();
        let mut in_tag = false;
        for c in visible.chars() {
            match c {
                '<' => in_tag = true,
                '>' => {
                    in_tag = false;
                    out.push(' ');
                }
                c if !in_tag => out.push(c),
                _ => {}
            }
        }
        out
    };
    assert_german(
        "html",
        &text.replace("okr report --unit", "").replace("okr", ""),
    );
    assert!(
        text.contains("Zyklus: regulär, abgeschlossen, 01.01.2023 – 31.03.2023"),
        "{text}"
    );
}

#[test]
fn german_output_of_store_commands_apply_and_synth() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let init = ok(d, &["--lang", "de", "--store", "leer.db", "init"]);
    assert_german("init", &init);
    assert!(init.contains(": 0 Ereignisse"), "{init}");
    ok(d, &["demo"]);
    let file = d.join("log.jsonl");
    let export = ok(d, &["export", file.to_str().unwrap(), "--lang", "de"]);
    assert_german("export", &export);
    assert!(
        export.contains(" Ereignisse nach ") && export.contains("exportiert"),
        "{export}"
    );
    let import = ok(
        d,
        &[
            "--store",
            "neu.db",
            "import",
            file.to_str().unwrap(),
            "--lang",
            "de",
        ],
    );
    assert_german("import", &import);
    assert!(import.contains("importiert"), "{import}");
    let verify = ok(d, &["verify", "--lang", "de"]);
    assert_german("verify", &verify);
    assert!(verify.contains("ist unversehrt; Kopf "), "{verify}");
    let backup = ok(d, &["backup", "sicherung", "--lang", "de"]);
    assert_german("backup", &backup);
    assert!(
        backup.contains("gesichert und die Kopie geprüft"),
        "{backup}"
    );
    let restore = ok(
        d,
        &[
            "--store",
            "zurueck.db",
            "restore",
            "sicherung",
            "--lang",
            "de",
        ],
    );
    assert_german("restore", &restore);
    assert!(
        restore.contains("wiederhergestellt und geprüft"),
        "{restore}"
    );

    // apply: one command accepted, one refused; lints in German on standard error.
    let synth = okr(
        d,
        &["synth", "--size", "S", "--out", "s.jsonl", "--lang", "de"],
    );
    assert_eq!(synth.code, 0, "{}", synth.stderr);
    assert!(
        synth.stderr.contains("Befehle nach s.jsonl geschrieben"),
        "{}",
        synth.stderr
    );
    let lines: Vec<String> = std::fs::read_to_string(d.join("s.jsonl"))
        .unwrap()
        .lines()
        .take(40)
        .map(str::to_owned)
        .collect();
    let mut input = lines.join("\n");
    input.push_str("\n{\"kein\": \"Befehl\"}\n");
    std::fs::write(d.join("a.jsonl"), input).unwrap();
    let apply = okr(
        d,
        &[
            "--store", "synth.db", "apply", "a.jsonl", "--lints", "--lang", "de",
        ],
    );
    assert_eq!(apply.code, 1, "{}", apply.stderr);
    assert_german("apply", &apply.stdout);
    assert!(
        apply
            .stdout
            .contains("40 Befehle ausgeführt, 1 abgelehnt, "),
        "{}",
        apply.stdout
    );
    assert!(
        apply.stderr.contains("a.jsonl: 1 Befehl abgelehnt"),
        "{}",
        apply.stderr
    );
}

/// The rows of the HTML report's maturity table: cycle name and the four cells as shown.
fn maturity_rows(html: &str) -> Vec<Vec<String>> {
    let at = html
        .find("<table id=\"maturity-table\">")
        .expect("the maturity table");
    let table = &html[at..at + html[at..].find("</table>").unwrap()];
    table
        .split("<tr>")
        .skip(2)
        .map(|row| {
            row.split("<td")
                .skip(1)
                .map(|cell| {
                    let cell = &cell[cell.find('>').unwrap() + 1..];
                    cell[..cell.find("</td>").unwrap()].to_owned()
                })
                .collect()
        })
        .collect()
}

#[test]
fn the_html_report_shows_maturity_over_the_cycles_up_to_the_reported_one() {
    let dir = demo_dir();
    let d = dir.path();
    let json: Value = serde_json::from_str(&ok(d, &["maturity", "--json"])).unwrap();
    let points = json["cycles"].as_array().unwrap();
    let cell = |v: &Value, de: bool| match v.as_f64() {
        None => "-".to_owned(),
        Some(v) => {
            let s = format!("{:.1} %", v * 100.0);
            if de {
                s.replace('.', ",")
            } else {
                s
            }
        }
    };
    let expected = |upto: usize, de: bool| -> Vec<Vec<String>> {
        points[..upto]
            .iter()
            .map(|p| {
                let mut row = vec![p["name"].as_str().unwrap().to_owned()];
                for f in [
                    "output_share",
                    "check_in_discipline",
                    "agreement_keep_rate",
                    "retro_actions_done",
                ] {
                    row.push(cell(&p[f], de));
                }
                row
            })
            .collect()
    };

    // The last quarter shows every closed quarter; the learning curve of the demo: output
    // share from 85.7 % in 2022-Q3 down to 0 % in 2024-Q1 and 2024-Q2.
    let html = ok(d, &["report", "--cycle", "2024-Q2", "--format", "html"]);
    let rows = maturity_rows(&html);
    assert_eq!(rows, expected(points.len(), false));
    assert_eq!(rows[0][..2], ["2022-Q3", "85.7 %"]);
    let last: Vec<&[String]> = rows.iter().rev().take(2).map(|r| &r[..2]).collect();
    assert_eq!(last, [["2024-Q2", "0.0 %"], ["2024-Q1", "0.0 %"]]);
    assert!(html.contains("<h2>Maturity over cycles</h2>"));
    assert!(html.contains("<th class=\"num\">output share</th>"));
    let at = html.find("<svg id=\"maturity-chart\"").expect("the chart");
    let chart = &html[at..at + html[at..].find("</svg>").unwrap()];
    for name in [
        "output share",
        "check-in discipline",
        "agreement keep rate",
        "retro actions done",
    ] {
        assert!(chart.contains(&format!(">{name}</text>")), "legend {name}");
    }
    assert!(chart.contains(">2022-Q3</text>") && chart.contains(">2024-Q2</text>"));

    // German: decimal comma, German headings; an earlier quarter shows the quarters up to it.
    let de = ok(
        d,
        &[
            "report", "--cycle", "2023-Q1", "--format", "html", "--lang", "de",
        ],
    );
    let rows = maturity_rows(&de);
    assert_eq!(rows, expected(3, true));
    assert_eq!(rows[0][..2], ["2022-Q3", "85,7 %"]);
    assert_eq!(rows.last().unwrap()[0], "2023-Q1");
    assert!(de.contains("<h2>Reife über die Zyklen</h2>"));
    assert!(de.contains(">Output-Anteil</text>"), "German legend");
}

#[test]
fn maturity_lists_the_closed_quarters_in_start_order_as_table_and_json() {
    let dir = demo_dir();
    let json: Value = serde_json::from_str(&ok(dir.path(), &["maturity", "--json"])).unwrap();
    let cycles = json["cycles"].as_array().expect("cycles");
    assert!(cycles.len() >= 2, "{json}");
    let starts: Vec<&str> = cycles
        .iter()
        .map(|c| c["start"].as_str().unwrap())
        .collect();
    let mut sorted = starts.clone();
    sorted.sort();
    assert_eq!(starts, sorted, "start order");
    for c in cycles {
        let share = c["check_in_discipline"].as_f64().expect("discipline");
        assert!((0.0..=1.0).contains(&share), "{c}");
        assert!(
            c["output_objectives"].as_u64() <= c["objectives"].as_u64(),
            "{c}"
        );
    }
    let en = ok(dir.path(), &["maturity"]);
    assert!(en.starts_with("cycle "), "{en}");
    assert_eq!(en.lines().count(), cycles.len() + 1, "{en}");
    let de = ok(dir.path(), &["maturity", "--lang", "de"]);
    assert!(de.starts_with("Zyklus "), "{de}");
    assert!(de.contains(" %") && de.contains(','), "decimal comma: {de}");
    assert!(
        !de.lines()
            .skip(1)
            .any(|l| l.contains('.') && l.contains(" %")),
        "{de}"
    );
}
