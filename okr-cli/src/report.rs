//! The cycle report as text and CSV (HTML lives in [`crate::html`]); the report itself is
//! built by [`okr_core::report`], shared with the C ABI and `okr serve`.

pub use okr_core::report::{build, Report};
use okr_core::rollup::{self, format_ppm};

/// Keeps only `root` and the units below it in `r` (and their KPIs); the cycle figures stay
/// those of the whole cycle.
pub fn only_subtree(state: &okr_core::State, r: &mut Report, root: okr_core::UnitId) {
    r.units.retain(|u| state.ancestors(u.id).contains(&root));
    let names: std::collections::BTreeSet<String> =
        r.units.iter().map(|u| u.name.clone()).collect();
    r.kpis.retain(|k| names.contains(&k.unit));
}

/// `[#######...]`: a bar of `width` cells for a progress in ppm.
pub fn bar(ppm: Option<i64>, width: usize) -> String {
    let filled = ppm.map_or(0, |p| {
        ((p.clamp(0, rollup::PPM) as u128 * width as u128 + 500_000) / 1_000_000) as usize
    });
    format!(
        "[{}{}]",
        "#".repeat(filled),
        ".".repeat(width - filled.min(width))
    )
}

/// Splits `s` into lines of at most `width` characters at spaces.
pub fn wrap(s: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut cur = String::new();
    for word in s.split_whitespace() {
        let len = cur.chars().count();
        if len > 0 && len + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(word);
    }
    if !cur.is_empty() || lines.is_empty() {
        lines.push(cur);
    }
    lines.into_iter().map(|l| fit(&l, width)).collect()
}

/// A ppm figure as `0.73`, or `-`.
pub fn fmt(ppm: Option<i64>) -> String {
    ppm.map(format_ppm).unwrap_or_else(|| "-".to_owned())
}

/// Cuts `s` to at most `width` characters, with an ellipsis when cut.
pub fn fit(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(width.saturating_sub(1)).collect();
    out.push('…');
    out
}

fn num(v: Option<f64>) -> String {
    match v {
        Some(v) if v.fract() == 0.0 => format!("{v:.0}"),
        Some(v) => {
            let s = format!("{v:.2}");
            s.trim_end_matches('0').to_owned()
        }
        None => "?".to_owned(),
    }
}

/// The report as text, every line at most 80 columns.
pub fn text(r: &Report) -> String {
    let mut out = String::new();
    let mut line = |s: String| {
        out.push_str(&fit(&s, 80));
        out.push('\n');
    };
    line(format!(
        "{} ({}, {})  {} .. {}",
        r.cycle.name, r.cycle.kind, r.cycle.phase, r.cycle.start, r.cycle.end
    ));
    line(format!(
        "as of {}  progress {} {}  expected {}{}",
        r.at.format("%Y-%m-%d %H:%M"),
        bar(r.progress_ppm, 10),
        fmt(r.progress_ppm),
        fmt(Some(r.expected_ppm)),
        r.score_ppm
            .map(|s| format!("  score {}", format_ppm(s)))
            .unwrap_or_default()
    ));
    for u in &r.units {
        line(String::new());
        let score = u
            .score_ppm
            .map(|s| format!("  score {}", format_ppm(s)))
            .unwrap_or_default();
        line(format!(
            "{}  own {}  incl. below {}  conf {}{score}",
            fit(&u.name, 32),
            fmt(u.own_ppm),
            fmt(u.subtree_ppm),
            u.confidence_ppm
                .map(|c| format!("{:.1}", c as f64 / 100_000.0))
                .unwrap_or_else(|| "-".into()),
        ));
        for o in &u.objectives {
            for (i, part) in wrap(&o.title, 74).iter().enumerate() {
                line(format!("  {} {part}", if i == 0 { "O" } else { " " }));
            }
            let score = o
                .score_ppm
                .map(|s| {
                    format!(
                        "  score {} (exp. {})",
                        format_ppm(s),
                        format_ppm(o.expected_score_ppm)
                    )
                })
                .unwrap_or_default();
            let carried = if o.carried_from.is_some() {
                "  carried"
            } else {
                ""
            };
            line(format!(
                "    {} {} {:<11} {} {}{score}{carried}",
                bar(o.progress_ppm, 10),
                fmt(o.progress_ppm),
                o.track,
                o.kind,
                if o.status == "committed" {
                    String::new()
                } else {
                    format!("({})", o.status)
                },
            ));
            if !o.contributions.is_empty() {
                line(format!(
                    "    aligned: {} contribute{}; with them {}{}",
                    o.contributions.len(),
                    if o.contributions.len() == 1 { "s" } else { "" },
                    fmt(o.with_aligned_ppm),
                    if o.aligned_rolled_in {
                        " (rolled in by the policy)".to_owned()
                    } else {
                        format!(", own key results {}", fmt(o.own_ppm))
                    },
                ));
                for x in &o.contributions {
                    let weight = if x.contribution == 1 {
                        String::new()
                    } else {
                        format!(" (weight {})", x.contribution)
                    };
                    line(format!(
                        "      <- {} {}{weight}: {}",
                        fmt(x.own_ppm),
                        x.unit,
                        x.title
                    ));
                }
            }
            for d in &o.depends_on {
                line(format!("    depends on: {} ({})", d.title, d.unit));
            }
            for d in &o.needed_by {
                line(format!("    needed by: {} ({})", d.title, d.unit));
            }
            for k in &o.key_results {
                let range = match k.kind.as_str() {
                    "increase" | "decrease" => {
                        format!("{} -> {} {}", num(k.baseline), num(k.target), k.unit)
                    }
                    "threshold" => format!("threshold {} {}", num(k.target), k.unit),
                    _ => "milestone".to_owned(),
                };
                line(format!(
                    "    KR {}",
                    fit(&format!("{} ({range})", k.title), 73)
                ));
                let score = k
                    .score_ppm
                    .map(|s| {
                        let src = match k.score_source.as_deref() {
                            Some(s) if s.starts_with("overridden") => " overridden",
                            Some(s) if s.starts_with("corrected") => " corrected",
                            _ => "",
                        };
                        format!("  score {}{src}", format_ppm(s))
                    })
                    .unwrap_or_default();
                line(format!(
                    "       {} {} {:<11} conf {:>2}  now {}{score}",
                    bar(Some(k.progress_ppm), 10),
                    format_ppm(k.progress_ppm),
                    k.track,
                    k.confidence
                        .map(|c| c.to_string())
                        .unwrap_or_else(|| "-".into()),
                    num(k.current.or(k.baseline)),
                ));
            }
        }
    }
    if !r.kpis.is_empty() {
        line(String::new());
        line("KPIs (health, never scored)".to_owned());
        for k in &r.kpis {
            let side = match k.bound {
                okr_core::Bound::AtLeast => ">=",
                okr_core::Bound::AtMost => "<=",
            };
            let warning = k
                .warning
                .map(|w| format!(", warning {}", num(Some(w))))
                .unwrap_or_default();
            line(format!(
                "  {:<9} {}: {}",
                k.health.to_string(),
                k.unit,
                k.name
            ));
            line(format!(
                "            now {}, healthy {side} {} {}{warning}",
                num(k.latest),
                num(Some(k.threshold)),
                k.unit_of_measure
            ));
        }
    }
    out
}

/// The report as CSV: a header and one row per key result with its objective and unit.
pub fn csv(r: &Report) -> Result<String, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "cycle",
        "unit",
        "objective_id",
        "objective",
        "objective_kind",
        "objective_status",
        "objective_progress",
        "objective_score",
        "key_result_id",
        "key_result",
        "kr_kind",
        "baseline",
        "target",
        "unit_of_measure",
        "current",
        "progress",
        "raw",
        "track",
        "confidence",
        "check_ins",
        "score",
        "score_source",
    ])?;
    let f = |v: Option<i64>| v.map(format_ppm).unwrap_or_default();
    let n = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
    for u in &r.units {
        for o in &u.objectives {
            for k in &o.key_results {
                w.write_record([
                    r.cycle.name.clone(),
                    u.name.clone(),
                    o.id.0.to_string(),
                    o.title.clone(),
                    o.kind.clone(),
                    o.status.clone(),
                    f(o.progress_ppm),
                    f(o.score_ppm),
                    k.id.0.to_string(),
                    k.title.clone(),
                    k.kind.clone(),
                    n(k.baseline),
                    n(k.target),
                    k.unit.clone(),
                    n(k.current),
                    format_ppm(k.progress_ppm),
                    format_ppm(k.raw_ppm),
                    k.track.clone(),
                    k.confidence.map(|c| c.to_string()).unwrap_or_default(),
                    k.check_ins.to_string(),
                    f(k.score_ppm),
                    k.score_source.clone().unwrap_or_default(),
                ])?;
            }
        }
    }
    let bytes = w.into_inner().map_err(|e| e.into_error())?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}
