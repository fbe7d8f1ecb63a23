//! The HTML report: one self-contained page (inline CSS, inline SVG, no external URLs) with
//! charts drawn by plotters' SVG backend into strings.
//!
//! Charts, each an `<svg>` with an id and the class `chart`:
//! - `burnup-<key result id>` (class `chart burnup`): a key result's weekly progress against
//!   expected progress ([`okr_core::rollup::history`]);
//! - `unit-scorecard` (class `chart scorecard`): progress (and score, once reviewed) per unit;
//! - `score-trend` (class `chart trend`): the review score of every finished cycle up to this
//!   one, and this cycle's.

use crate::report::{fit, fmt, Report};
use okr_core::rollup::{self, format_ppm, History, PPM};
use okr_core::{CycleKind, Phase, State};
use plotters::prelude::*;

/// Escapes text for HTML.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

/// Gives plotters' `<svg>` an id, classes and a label, and drops the namespace URL (inline
/// SVG in HTML needs none, and the page has no URLs at all).
fn tag_svg(svg: String, id: &str, class: &str, label: &str) -> String {
    let svg = svg.replacen(" xmlns=\"http://www.w3.org/2000/svg\"", "", 1);
    svg.replacen(
        "<svg ",
        &format!(
            "<svg id=\"{}\" class=\"{}\" role=\"img\" aria-label=\"{}\" ",
            esc(id),
            esc(class),
            esc(label)
        ),
        1,
    )
}

type DrawResult<T> = Result<T, Box<dyn std::error::Error>>;

fn burnup_svg(title: &str, weeks: &[(u32, i64, i64)]) -> DrawResult<String> {
    let mut s = String::new();
    {
        let root = SVGBackend::with_string(&mut s, (360, 220)).into_drawing_area();
        root.fill(&WHITE)?;
        let n = weeks.len().max(1) as u32;
        let mut chart = ChartBuilder::on(&root)
            .caption(fit(title, 48), ("sans-serif", 13))
            .margin(8)
            .x_label_area_size(24)
            .y_label_area_size(34)
            .build_cartesian_2d(0u32..n, 0f64..1.05f64)?;
        chart
            .configure_mesh()
            .x_desc("week")
            .y_labels(5)
            .label_style(("sans-serif", 10))
            .draw()?;
        let expected: Vec<(u32, f64)> = std::iter::once((0, 0.0))
            .chain(weeks.iter().map(|(w, e, _)| (*w, *e as f64 / PPM as f64)))
            .collect();
        chart
            .draw_series(LineSeries::new(
                expected,
                RGBColor(150, 150, 150).stroke_width(1),
            ))?
            .label("expected")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 14, y)], RGBColor(150, 150, 150)));
        let actual: Vec<(u32, f64)> = std::iter::once((0, 0.0))
            .chain(weeks.iter().map(|(w, _, p)| (*w, *p as f64 / PPM as f64)))
            .collect();
        chart
            .draw_series(LineSeries::new(
                actual,
                RGBColor(0, 102, 204).stroke_width(2),
            ))?
            .label("progress")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 14, y)], RGBColor(0, 102, 204)));
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .label_font(("sans-serif", 10))
            .border_style(RGBColor(200, 200, 200))
            .background_style(WHITE.mix(0.8))
            .draw()?;
        root.present()?;
    }
    Ok(s)
}

fn scorecard_svg(units: &[(String, Option<i64>, Option<i64>)]) -> DrawResult<String> {
    let mut s = String::new();
    {
        let height = 60 + 34 * units.len().max(1) as u32;
        let root = SVGBackend::with_string(&mut s, (760, height)).into_drawing_area();
        root.fill(&WHITE)?;
        let n = units.len().max(1);
        let mut chart = ChartBuilder::on(&root)
            .caption("Units: progress and score", ("sans-serif", 14))
            .margin(10)
            .x_label_area_size(24)
            .y_label_area_size(210)
            .build_cartesian_2d(0f64..1.05f64, 0f64..n as f64)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .disable_y_axis()
            .label_style(("sans-serif", 11))
            .draw()?;
        for (i, (name, _, _)) in units.iter().enumerate() {
            let (x, y) = chart.backend_coord(&(0.0, (n - i) as f64 - 0.5));
            root.draw(&Text::new(
                fit(name, 32),
                (x - 200, y - 6),
                ("sans-serif", 12).into_font(),
            ))?;
        }
        for (i, (_, progress, score)) in units.iter().enumerate() {
            let top = (n - i) as f64 - 0.15;
            if let Some(p) = progress {
                let v = *p as f64 / PPM as f64;
                chart.draw_series(std::iter::once(Rectangle::new(
                    [(0.0, top - 0.35), (v.min(1.05), top)],
                    RGBColor(0, 102, 204).filled(),
                )))?;
            }
            if let Some(sc) = score {
                let v = *sc as f64 / PPM as f64;
                chart.draw_series(std::iter::once(Rectangle::new(
                    [(0.0, top - 0.7), (v.min(1.05), top - 0.37)],
                    RGBColor(230, 140, 20).filled(),
                )))?;
            }
        }
        root.present()?;
    }
    Ok(s)
}

fn trend_svg(points: &[(String, i64)]) -> DrawResult<String> {
    let mut s = String::new();
    {
        let root = SVGBackend::with_string(&mut s, (760, 280)).into_drawing_area();
        root.fill(&WHITE)?;
        let n = points.len().max(1) as u32;
        let names: Vec<String> = points.iter().map(|p| p.0.clone()).collect();
        let mut chart = ChartBuilder::on(&root)
            .caption("Score trend across cycles", ("sans-serif", 14))
            .margin(12)
            .margin_right(40)
            .x_label_area_size(28)
            .y_label_area_size(40)
            .build_cartesian_2d(0u32..n.saturating_sub(1).max(1), 0f64..1.05f64)?;
        chart
            .configure_mesh()
            .x_labels(n as usize)
            .x_label_formatter(&|x: &u32| names.get(*x as usize).cloned().unwrap_or_default())
            .label_style(("sans-serif", 11))
            .draw()?;
        let line: Vec<(u32, f64)> = points
            .iter()
            .enumerate()
            .map(|(i, p)| (i as u32, p.1 as f64 / PPM as f64))
            .collect();
        chart.draw_series(LineSeries::new(
            [(0u32, 0.7), (n.saturating_sub(1).max(1), 0.7)],
            RGBColor(180, 180, 180).stroke_width(1),
        ))?;
        chart.draw_series(LineSeries::new(
            line.clone(),
            RGBColor(0, 102, 204).stroke_width(2),
        ))?;
        chart.draw_series(
            line.iter()
                .map(|(x, y)| Circle::new((*x, *y), 4, RGBColor(0, 102, 204).filled())),
        )?;
        root.present()?;
    }
    Ok(s)
}

/// The score trend: finished cycles of the same kind that start no later than this one,
/// and this one once reviewed.
fn trend_points(state: &State, r: &Report) -> Vec<(String, i64)> {
    let Some(this) = state.cycles.get(&r.cycle.id) else {
        return Vec::new();
    };
    let mut cycles: Vec<_> = state
        .cycles
        .values()
        .filter(|c| c.start <= this.start)
        .filter(|c| c.kind == this.kind || this.kind == CycleKind::Practice)
        .filter(|c| {
            matches!(
                c.phase,
                Phase::Review | Phase::Retrospective | Phase::Closed
            )
        })
        .collect();
    cycles.sort_by_key(|c| (c.start, c.id));
    cycles
        .into_iter()
        .filter_map(|c| rollup::scores(c).cycle.map(|s| (c.name.clone(), s)))
        .collect()
}

/// The whole page.
pub fn page(state: &State, r: &Report, history: Option<&History>) -> String {
    let mut charts = String::new();
    let note = |e: Box<dyn std::error::Error>| {
        format!("<p class=\"err\">chart failed: {}</p>", esc(&e.to_string()))
    };

    // Unit scorecards.
    let units: Vec<(String, Option<i64>, Option<i64>)> = r
        .units
        .iter()
        .map(|u| (u.name.clone(), u.own_ppm, u.score_ppm))
        .collect();
    charts.push_str("<section><h2>Unit scorecards</h2>\n<p class=\"legend\"><span class=\"sw blue\"></span>progress <span class=\"sw orange\"></span>score</p>\n");
    match scorecard_svg(&units) {
        Ok(svg) => charts.push_str(&tag_svg(
            svg,
            "unit-scorecard",
            "chart scorecard",
            "progress and score per unit",
        )),
        Err(e) => charts.push_str(&note(e)),
    }
    charts.push_str("</section>\n");

    // Score trend.
    let points = trend_points(state, r);
    charts.push_str("<section><h2>Score trend</h2>\n");
    match trend_svg(&points) {
        Ok(svg) => charts.push_str(&tag_svg(
            svg,
            "score-trend",
            "chart trend",
            "review score per cycle",
        )),
        Err(e) => charts.push_str(&note(e)),
    }
    charts.push_str("</section>\n");

    // Burn-up per key result.
    charts.push_str("<section><h2>Burn-up per key result</h2>\n<div class=\"grid\">\n");
    if let Some(h) = history {
        for u in &r.units {
            for o in &u.objectives {
                for k in &o.key_results {
                    let weeks: Vec<(u32, i64, i64)> = h
                        .weeks
                        .iter()
                        .map(|w| {
                            (
                                w.week,
                                w.expected_ppm,
                                w.key_results.get(&k.id).copied().unwrap_or(0),
                            )
                        })
                        .collect();
                    let label = format!("{}: {}", u.name, k.title);
                    charts.push_str("<figure>");
                    match burnup_svg(&label, &weeks) {
                        Ok(svg) => charts.push_str(&tag_svg(
                            svg,
                            &format!("burnup-{}", k.id.0),
                            "chart burnup",
                            &format!("burn-up of {label}"),
                        )),
                        Err(e) => charts.push_str(&note(e)),
                    }
                    charts.push_str(&format!(
                        "<figcaption>{}</figcaption></figure>\n",
                        esc(&label)
                    ));
                }
            }
        }
    }
    charts.push_str("</div></section>\n");

    // Tables.
    let mut table = String::from("<section><h2>Objectives and key results</h2>\n");
    for u in &r.units {
        table.push_str(&format!(
            "<h3>{} <small>progress {} · score {}</small></h3>\n<table>\n<tr><th>Objective / key result</th><th>progress</th><th>track</th><th>conf.</th><th>score</th></tr>\n",
            esc(&u.name),
            fmt(u.own_ppm),
            fmt(u.score_ppm)
        ));
        for o in &u.objectives {
            let who = o
                .beneficiary
                .as_deref()
                .map(|b| format!("<br><small>für: {}</small>", esc(b)))
                .unwrap_or_default();
            table.push_str(&format!(
                "<tr class=\"obj\"><td><b>{}</b> <small>({}, {})</small>{who}</td><td><progress max=\"1000000\" value=\"{}\"></progress> {}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                esc(&o.title),
                esc(&o.kind),
                esc(&o.status),
                o.progress_ppm.unwrap_or(0),
                fmt(o.progress_ppm),
                esc(&o.track),
                o.confidence_ppm.map(|c| format!("{:.1}", c as f64 / 100_000.0)).unwrap_or_else(|| "-".into()),
                fmt(o.score_ppm)
            ));
            for k in &o.key_results {
                table.push_str(&format!(
                    "<tr class=\"kr\"><td>{}{}</td><td><progress max=\"1000000\" value=\"{}\"></progress> {}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                    esc(&k.title),
                    k.score_source
                        .as_deref()
                        .filter(|s| *s != "computed")
                        .map(|s| format!("<br><small>{}</small>", esc(s)))
                        .unwrap_or_default(),
                    k.progress_ppm,
                    format_ppm(k.progress_ppm),
                    esc(&k.track),
                    k.confidence.map(|c| c.to_string()).unwrap_or_else(|| "-".into()),
                    fmt(k.score_ppm)
                ));
            }
        }
        table.push_str("</table>\n");
    }
    table.push_str("</section>\n");

    format!(
        "<!DOCTYPE html>\n<html lang=\"de\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>OKR report {name}</title>\n<style>\n{CSS}</style>\n</head>\n<body>\n<header><h1>OKR report {name}</h1>\n<p>{kind} cycle, {phase}, {start} – {end}. As of {at}: progress {progress}, expected {expected}, score {score}. Scoring policy {policy}.</p></header>\n<main>\n{charts}{table}</main>\n<footer>Generated by okr from the event log; the same log gives the same page.</footer>\n</body>\n</html>\n",
        name = esc(&r.cycle.name),
        kind = esc(&r.cycle.kind),
        phase = esc(&r.cycle.phase),
        start = r.cycle.start,
        end = r.cycle.end,
        at = r.at.format("%Y-%m-%d %H:%M UTC"),
        progress = fmt(r.progress_ppm),
        expected = format_ppm(r.expected_ppm),
        score = fmt(r.score_ppm),
        policy = esc(&r.scoring_policy),
    )
}

const CSS: &str =
    "body{font-family:system-ui,sans-serif;margin:1.5rem;color:#222;background:#fafafa}
header h1{margin:0 0 .3rem}
section{background:#fff;border:1px solid #ddd;border-radius:6px;padding:.8rem 1rem;margin:1rem 0}
.grid{display:flex;flex-wrap:wrap;gap:.6rem}
figure{margin:0}
figcaption{font-size:.75rem;color:#555;max-width:360px}
table{border-collapse:collapse;width:100%;margin-bottom:1rem}
th,td{border-bottom:1px solid #eee;padding:.25rem .4rem;text-align:left;font-size:.9rem}
tr.kr td:first-child{padding-left:1.6rem}
progress{width:6rem}
.legend .sw{display:inline-block;width:.8rem;height:.8rem;margin:0 .2rem 0 .6rem}
.blue{background:#0066cc}.orange{background:#e68c14}
.err{color:#b00}
footer{font-size:.8rem;color:#777}
";
