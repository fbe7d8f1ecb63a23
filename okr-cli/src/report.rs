//! The cycle report as text and CSV (HTML lives in [`crate::html`]); the report itself is
//! built by [`okr_core::report`], shared with the C ABI and `okr serve`.

use okr_core::i18n::{self, Lang};
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

/// Cuts `s` to at most `width` characters, with an ellipsis when cut.
pub fn fit(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(width.saturating_sub(1)).collect();
    out.push('…');
    out
}

fn num(v: Option<f64>, lang: Lang) -> String {
    v.map_or_else(|| "?".to_owned(), |v| i18n::number(v, lang))
}

/// A ppm figure in `lang` (`0.73`, `0,73`), or `-`.
pub fn fig(ppm: Option<i64>, lang: Lang) -> String {
    i18n::ppm_or_dash(ppm, lang)
}

/// The report as text in `lang`, every line at most 80 columns.
pub fn text(r: &Report, lang: Lang) -> String {
    let de = lang == Lang::De;
    let tw = if de { 14 } else { 11 };
    let w = |en: &'static str, de_: &'static str| lang.pick(en, de_);
    let mut out = String::new();
    let mut line = |s: String| {
        out.push_str(&fit(&s, 80));
        out.push('\n');
    };
    line(format!(
        "{} ({}, {})  {} .. {}",
        r.cycle.name,
        lang.term(&r.cycle.kind),
        lang.term(&r.cycle.phase),
        lang.date(r.cycle.start),
        lang.date(r.cycle.end)
    ));
    line(format!(
        "{} {}  {} {} {}  {} {}{}",
        w("as of", "Stand"),
        lang.date_time(r.at),
        w("progress", "Fortschritt"),
        bar(r.progress_ppm, 10),
        fig(r.progress_ppm, lang),
        w("expected", "Soll"),
        fig(Some(r.expected_ppm), lang),
        r.score_ppm
            .map(|s| format!("  {} {}", w("score", "Bewertung"), i18n::ppm(s, lang)))
            .unwrap_or_default()
    ));
    for u in &r.units {
        line(String::new());
        let score = u
            .score_ppm
            .map(|s| format!("  {} {}", w("score", "Bewertung"), i18n::ppm(s, lang)))
            .unwrap_or_default();
        line(format!(
            "{}  {} {}  {} {}  {} {}{score}",
            fit(&u.name, 32),
            w("own", "eigen"),
            fig(u.own_ppm, lang),
            w("incl. below", "gesamt"),
            fig(u.subtree_ppm, lang),
            w("conf", "Zuv."),
            u.confidence_ppm
                .map(|c| i18n::decimal(c as f64 / 100_000.0, 1, lang))
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
                        "  {} {} ({} {})",
                        w("score", "Bewertung"),
                        i18n::ppm(s, lang),
                        w("exp.", "erw."),
                        i18n::ppm(o.expected_score_ppm, lang)
                    )
                })
                .unwrap_or_default();
            let carried = if o.carried_from.is_some() {
                w("  carried", "  übernommen")
            } else {
                ""
            };
            line(format!(
                "    {} {} {:<tw$} {} {}{score}{carried}",
                bar(o.progress_ppm, 10),
                fig(o.progress_ppm, lang),
                lang.term(&o.track),
                lang.term(&o.kind),
                if o.status == "committed" {
                    String::new()
                } else {
                    format!("({})", lang.status(&o.status))
                },
            ));
            if !o.contributions.is_empty() {
                let n = o.contributions.len() as u64;
                line(format!(
                    "    {}: {}; {} {}{}",
                    w("aligned", "ausgerichtet"),
                    lang.count(
                        n,
                        ("contributes", "contribute"),
                        ("trägt bei", "tragen bei")
                    ),
                    w("with them", "mit ihnen"),
                    fig(o.with_aligned_ppm, lang),
                    if o.aligned_rolled_in {
                        w(
                            " (rolled in by the policy)",
                            " (laut Bewertungsregel eingerechnet)",
                        )
                        .to_owned()
                    } else {
                        format!(
                            ", {} {}",
                            w("own key results", "eigene Key Results"),
                            fig(o.own_ppm, lang)
                        )
                    },
                ));
                for x in &o.contributions {
                    let weight = if x.contribution == 1 {
                        String::new()
                    } else {
                        format!(" ({} {})", w("weight", "Gewicht"), x.contribution)
                    };
                    line(format!(
                        "      <- {} {}{weight}: {}",
                        fig(x.own_ppm, lang),
                        x.unit,
                        x.title
                    ));
                }
            }
            for d in &o.depends_on {
                line(format!(
                    "    {}: {} ({})",
                    w("depends on", "hängt ab von"),
                    d.title,
                    d.unit
                ));
            }
            for d in &o.needed_by {
                line(format!(
                    "    {}: {} ({})",
                    w("needed by", "gebraucht von"),
                    d.title,
                    d.unit
                ));
            }
            for k in &o.key_results {
                let arrow = if de { "→" } else { "->" };
                let range = match k.kind.as_str() {
                    "increase" | "decrease" => {
                        format!(
                            "{} {arrow} {} {}",
                            num(k.baseline, lang),
                            num(k.target, lang),
                            k.unit
                        )
                    }
                    "threshold" => format!(
                        "{} {} {}",
                        lang.term("threshold"),
                        num(k.target, lang),
                        k.unit
                    ),
                    _ => lang.term("milestone").to_owned(),
                };
                line(format!(
                    "    KR {}",
                    fit(&format!("{} ({})", k.title, range.trim_end()), 73)
                ));
                let score = k
                    .score_ppm
                    .map(|s| {
                        let src = match k.score_source.as_deref() {
                            Some(s) if s.starts_with("overridden") => {
                                w(" overridden", " überschrieben")
                            }
                            Some(s) if s.starts_with("corrected") => w(" corrected", " korrigiert"),
                            _ => "",
                        };
                        format!("  {} {}{src}", w("score", "Bewertung"), i18n::ppm(s, lang))
                    })
                    .unwrap_or_default();
                line(format!(
                    "       {} {} {:<tw$} {} {:>2}  {} {}{score}",
                    bar(Some(k.progress_ppm), 10),
                    i18n::ppm(k.progress_ppm, lang),
                    lang.term(&k.track),
                    w("conf", "Zuv."),
                    k.confidence
                        .map(|c| c.to_string())
                        .unwrap_or_else(|| "-".into()),
                    w("now", "jetzt"),
                    num(k.current.or(k.baseline), lang),
                ));
            }
        }
    }
    if !r.kpis.is_empty() {
        line(String::new());
        line(
            w(
                "KPIs (health, never scored)",
                "Kennzahlen (Zustand, nie bewertet)",
            )
            .to_owned(),
        );
        for k in &r.kpis {
            let side = match k.bound {
                okr_core::Bound::AtLeast => ">=",
                okr_core::Bound::AtMost => "<=",
            };
            let warning = k
                .warning
                .map(|x| format!(", {} {}", w("warning", "Warnung ab"), num(Some(x), lang)))
                .unwrap_or_default();
            let health = lang.term(&k.health.to_string()).to_owned();
            line(format!(
                "  {:<kw$} {}: {}",
                health,
                k.unit,
                k.name,
                kw = tw - 2
            ));
            line(format!(
                "            {} {}, {} {side} {} {}{warning}",
                w("now", "jetzt"),
                num(k.latest, lang),
                w("healthy", "im Rahmen"),
                num(Some(k.threshold), lang),
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
