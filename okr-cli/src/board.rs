//! The prioritised board as text and as a section of the HTML report; the board itself is
//! built by [`okr_core::board`], shared with the C ABI and `okr serve`.

use crate::html::{esc, Lang};
use okr_core::board::{Board, Card, Columns};
use okr_core::UnitId;
use std::collections::BTreeSet;
use std::fmt::Write;

/// The labels of the board in one language.
struct Labels {
    board: &'static str,
    top3: &'static str,
    none_open: &'static str,
    columns: [&'static str; 3],
    objective: &'static str,
    key_result: &'static str,
    impact: &'static str,
    effort: &'static str,
    priority: &'static str,
    no_initiatives: &'static str,
}

const EN: Labels = Labels {
    board: "Board",
    top3: "TOP 3 (highest impact for the least effort, not done)",
    none_open: "no open initiative",
    columns: ["To do", "Doing", "Done"],
    objective: "Objective",
    key_result: "Key result",
    impact: "impact",
    effort: "effort",
    priority: "priority",
    no_initiatives: "no initiatives",
};

const DE: Labels = Labels {
    board: "Board",
    top3: "TOP 3 (größter Nutzen bei geringstem Aufwand, nicht erledigt)",
    none_open: "keine offene Initiative",
    columns: ["Zu erledigen", "In Arbeit", "Erledigt"],
    objective: "Objective",
    key_result: "Key Result",
    impact: "Wirkung",
    effort: "Aufwand",
    priority: "Priorität",
    no_initiatives: "keine Initiativen",
};

fn labels(lang: Lang) -> &'static Labels {
    match lang {
        Lang::En => &EN,
        Lang::De => &DE,
    }
}

/// A priority in parts per thousand as impact per effort with one decimal, in the
/// language's number format (`2.0`, German `2,0`).
pub fn priority(ppt: u32, lang: Lang) -> String {
    let tenths = (ppt + 50) / 100;
    let s = format!("{}.{}", tenths / 10, tenths % 10);
    match lang {
        Lang::En => s,
        Lang::De => s.replace('.', ","),
    }
}

fn card_line(c: &Card, l: &Labels, lang: Lang) -> String {
    format!(
        "{} ({} {}, {} {}, {} {})",
        c.title,
        l.impact,
        c.impact,
        l.effort,
        c.effort,
        l.priority,
        priority(c.priority, lang)
    )
}

fn columns_text(o: &mut String, cols: &Columns, indent: &str, l: &Labels, lang: Lang) {
    for (name, cards) in l.columns.iter().zip([&cols.todo, &cols.doing, &cols.done]) {
        let _ = writeln!(o, "{indent}{name} ({}):", cards.len());
        for c in cards {
            let _ = writeln!(o, "{indent}  - {}", card_line(c, l, lang));
        }
    }
}

/// The board as text: the TOP-3, then per unit, objective and key result the three
/// columns, each ranked.
pub fn text(b: &Board, lang: Lang) -> String {
    let l = labels(lang);
    let mut o = String::new();
    let _ = writeln!(o, "{} {}", l.board, b.cycle_name);
    let _ = writeln!(o, "{}:", l.top3);
    if b.top3.is_empty() {
        let _ = writeln!(o, "  {}", l.none_open);
    }
    for (i, c) in b.top3.iter().enumerate() {
        let _ = writeln!(
            o,
            "  {}. {} [{}] — {}",
            i + 1,
            card_line(c, l, lang),
            column_name(c, l),
            context(b, c)
        );
    }
    for u in &b.units {
        let _ = writeln!(o, "\n{}", u.name);
        for ob in &u.objectives {
            let _ = writeln!(o, "  {}: {}", l.objective, ob.title);
            for k in &ob.key_results {
                let _ = writeln!(o, "    {}: {}", l.key_result, k.title);
                if k.columns.is_empty() {
                    let _ = writeln!(o, "      {}", l.no_initiatives);
                } else {
                    columns_text(&mut o, &k.columns, "      ", l, lang);
                }
            }
        }
    }
    o
}

/// Where a card sits: its unit's name and its key result's title.
fn context(b: &Board, c: &Card) -> String {
    for u in b.units.iter().filter(|u| u.unit == c.unit) {
        for o in u.objectives.iter().filter(|o| o.objective == c.objective) {
            if let Some(k) = o.key_results.iter().find(|k| k.key_result == c.key_result) {
                return format!("{}: {}", u.name, k.title);
            }
        }
    }
    c.unit.to_string()
}

fn column_name(c: &Card, l: &Labels) -> &'static str {
    match c.status {
        okr_core::InitiativeStatus::Todo => l.columns[0],
        okr_core::InitiativeStatus::Doing => l.columns[1],
        okr_core::InitiativeStatus::Done => l.columns[2],
    }
}

/// The board section of the text report: the TOP-3 and the column counts of the units
/// shown; empty when the units shown have no initiative.
pub fn report_section(b: &Board, shown: &BTreeSet<UnitId>, lang: Lang) -> String {
    let l = labels(lang);
    let cards: Vec<&Card> = b
        .columns
        .cards()
        .filter(|c| shown.contains(&c.unit))
        .collect();
    if cards.is_empty() {
        return String::new();
    }
    let mut o = String::new();
    let _ = writeln!(o, "\n{}", l.board);
    let counts: Vec<String> = [
        okr_core::InitiativeStatus::Todo,
        okr_core::InitiativeStatus::Doing,
        okr_core::InitiativeStatus::Done,
    ]
    .iter()
    .zip(l.columns)
    .map(|(s, name)| format!("{name} {}", cards.iter().filter(|c| c.status == *s).count()))
    .collect();
    let _ = writeln!(o, "  {}", counts.join(", "));
    let _ = writeln!(o, "  {}:", l.top3);
    let top: Vec<&Card> = top_open(b, shown);
    if top.is_empty() {
        let _ = writeln!(o, "    {}", l.none_open);
    }
    // The text report keeps to 80 columns: the card, then where it sits, each cut to fit.
    for (i, c) in top.iter().enumerate() {
        let first = format!("    {}. {}", i + 1, card_line(c, l, lang));
        let second = format!("       [{}] {}", column_name(c, l), context(b, c));
        let _ = writeln!(o, "{}", crate::report::fit(&first, 80));
        let _ = writeln!(o, "{}", crate::report::fit(&second, 80));
    }
    o
}

/// The three best-ranked open initiatives of the units shown (the board's columns are
/// ranked, so the first open cards in rank order are they).
fn top_open<'a>(b: &'a Board, shown: &BTreeSet<UnitId>) -> Vec<&'a Card> {
    if b.units.iter().all(|u| shown.contains(&u.unit)) {
        return b.top3.iter().collect();
    }
    let mut open: Vec<&Card> = b
        .columns
        .todo
        .iter()
        .chain(&b.columns.doing)
        .filter(|c| shown.contains(&c.unit))
        .collect();
    open.sort_by(|a, b| {
        b.priority
            .cmp(&a.priority)
            .then(b.impact.cmp(&a.impact))
            .then_with(|| a.title.cmp(&b.title))
            .then(a.initiative.cmp(&b.initiative))
    });
    open.truncate(3);
    open
}

/// The most cards a column of the HTML section lists (the rest are counted).
const HTML_CARDS: usize = 10;

/// The board section of the HTML report: the TOP-3 and the three columns of the units
/// shown, each listing its best-ranked cards; empty when there is no initiative.
pub fn html_section(b: &Board, shown: &BTreeSet<UnitId>, lang: Lang) -> String {
    let l = labels(lang);
    let has = b.columns.cards().any(|c| shown.contains(&c.unit));
    if !has {
        return String::new();
    }
    let mut s = format!(
        "<section id=\"board\"><h2>{}</h2><h3>{}</h3><ol id=\"top3\">",
        l.board,
        esc(l.top3)
    );
    for c in top_open(b, shown) {
        let _ = write!(
            s,
            "<li>{} — {}</li>",
            esc(&card_line(c, l, lang)),
            esc(&context(b, c))
        );
    }
    s.push_str("</ol><div class=\"grid\">");
    for (name, cards) in l
        .columns
        .iter()
        .zip([&b.columns.todo, &b.columns.doing, &b.columns.done])
    {
        let cards: Vec<&Card> = cards.iter().filter(|c| shown.contains(&c.unit)).collect();
        let _ = write!(
            s,
            "<div class=\"column\"><h3>{} ({})</h3><ul>",
            esc(name),
            cards.len()
        );
        for c in cards.iter().take(HTML_CARDS) {
            let _ = write!(s, "<li>{}</li>", esc(&card_line(c, l, lang)));
        }
        if cards.len() > HTML_CARDS {
            let _ = write!(s, "<li>… +{}</li>", cards.len() - HTML_CARDS);
        }
        s.push_str("</ul></div>");
    }
    s.push_str("</div></section>\n");
    s
}
