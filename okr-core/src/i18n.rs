//! The language of what okr says to people: one [`Lang`] for every text a human reads (the
//! CLI's output, lint messages, the HTML report), the number format that goes with it, and
//! the German names of the report's states.
//!
//! German is written the way a German administration writes to its staff: Sie-form, decimal
//! comma („0,57“, „12,5 %“), dates as „30.06.2024“, and the framework's own terms as German
//! OKR practice uses them („Objective“, „Key Result“, „Check-in“, „Weekly“, „Review“).
//!
//! ```
//! use okr_core::i18n::{ppm, decimal, Lang};
//!
//! assert_eq!(ppm(570_000, Lang::De), "0,57");
//! assert_eq!(ppm(1_000_000, Lang::En), "1.00");
//! assert_eq!(decimal(12.5, 1, Lang::De), "12,5");
//! assert_eq!(Lang::De.term("closed"), "abgeschlossen");
//! ```

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// The language of a text for people.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// English, decimal point; the default.
    #[default]
    En,
    /// German, Sie-form, decimal comma.
    De,
}

impl Lang {
    /// The language's code for `lang` attributes: `en`, `de`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::De => "de",
        }
    }

    /// One of two texts: the English or the German.
    pub fn pick<'a>(self, en: &'a str, de: &'a str) -> &'a str {
        match self {
            Lang::En => en,
            Lang::De => de,
        }
    }

    /// `n` with the singular or the plural noun: `1 Hinweis`, `3 Hinweise`.
    pub fn count(self, n: u64, en: (&str, &str), de: (&str, &str)) -> String {
        let (one, many) = match self {
            Lang::En => en,
            Lang::De => de,
        };
        format!("{n} {}", if n == 1 { one } else { many })
    }

    /// The name of one of the report's states in this language: a cycle phase (`closed`),
    /// a cycle kind (`regular`), an objective kind (`committed`) or status (`draft`), a
    /// track (`on track`), a KPI health (`breached`), a key result kind (`milestone`) or a
    /// retrospective item kind (`keep`). Unknown words come back as they are.
    pub fn term(self, key: &str) -> &str {
        if self == Lang::En {
            return key;
        }
        match key {
            "planning" => "Planung",
            "running" => "läuft",
            "review" => "Review",
            "retrospective" => "Retrospektive",
            "closed" => "abgeschlossen",
            "cancelled" => "abgebrochen",
            "regular" => "regulär",
            "practice" => "Übungssprint",
            "committed" => "verbindlich",
            "aspirational" => "ambitioniert",
            "draft" => "Entwurf",
            "dropped" => "verworfen",
            "on track" => "im Plan",
            "at risk" => "gefährdet",
            "off track" => "nicht im Plan",
            "not started" => "nicht begonnen",
            "unknown" => "unbekannt",
            "healthy" => "im Rahmen",
            "warning" => "Warnung",
            "breached" => "verletzt",
            "increase" => "steigern",
            "decrease" => "senken",
            "threshold" => "Schwelle",
            "milestone" => "Meilenstein",
            "keep" => "beibehalten",
            "improve" => "verbessern",
            "stop" => "aufhören",
            "try" => "ausprobieren",
            other => other,
        }
    }

    /// The status of an objective as an adjective for a committed one (`zugesagt`), which
    /// differs from the objective kind `verbindlich`.
    pub fn status(self, key: &str) -> &str {
        match (self, key) {
            (Lang::De, "committed") => "zugesagt",
            _ => self.term(key),
        }
    }

    /// A date: `2024-06-30` in English, `30.06.2024` in German.
    pub fn date(self, d: NaiveDate) -> String {
        match self {
            Lang::En => d.format("%Y-%m-%d").to_string(),
            Lang::De => d.format("%d.%m.%Y").to_string(),
        }
    }

    /// A moment to the minute, UTC: `2024-06-30 16:00` or `30.06.2024 16:00`.
    pub fn date_time(self, t: chrono::DateTime<chrono::Utc>) -> String {
        match self {
            Lang::En => t.format("%Y-%m-%d %H:%M").to_string(),
            Lang::De => t.format("%d.%m.%Y %H:%M").to_string(),
        }
    }
}

pub use crate::text::Text;

impl Text {
    /// The text in `lang`.
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::En => self.en(),
            Lang::De => self.de(),
        }
    }
}

impl std::str::FromStr for Lang {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "en" | "english" => Ok(Lang::En),
            "de" | "deutsch" | "german" => Ok(Lang::De),
            other => Err(format!("`{other}` is not a language: en or de")),
        }
    }
}

/// Puts the decimal separator of `lang` into a number written with a point.
fn with_separator(s: String, lang: Lang) -> String {
    match lang {
        Lang::En => s,
        Lang::De => s.replace('.', ","),
    }
}

/// A ppm figure (score, progress; 1 000 000 = 1.0) with two decimals: `0.57`, `0,57`.
pub fn ppm(ppm: i64, lang: Lang) -> String {
    with_separator(crate::rollup::format_ppm(ppm), lang)
}

/// [`ppm`], or `-` for none.
pub fn ppm_or_dash(v: Option<i64>, lang: Lang) -> String {
    v.map_or_else(|| "-".to_owned(), |v| ppm(v, lang))
}

/// `v` with exactly `places` decimals: `12.5`, `12,5`.
pub fn decimal(v: f64, places: usize, lang: Lang) -> String {
    with_separator(format!("{v:.places$}"), lang)
}

/// A measured value as people write it: whole numbers without decimals, others with up to
/// two (trailing zeros dropped): `25`, `3.4`, `0.25`; German `3,4`.
pub fn number(v: f64, lang: Lang) -> String {
    let s = if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        let s = format!("{v:.2}");
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    };
    with_separator(s, lang)
}

/// A share (0.125) as a percentage with one decimal: `12.5 %`, `12,5 %`.
pub fn percent(share: f64, lang: Lang) -> String {
    format!("{} %", decimal(share * 100.0, 1, lang))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ppm_figures_get_the_decimal_comma_in_german() {
        assert_eq!(ppm(570_000, Lang::De), "0,57");
        assert_eq!(ppm(570_000, Lang::En), "0.57");
        assert_eq!(ppm(1_000_000, Lang::De), "1,00");
        assert_eq!(ppm(-125_000, Lang::De), "-0,13");
        assert_eq!(ppm(4_999, Lang::De), "0,00");
        assert_eq!(ppm_or_dash(None, Lang::De), "-");
    }

    #[test]
    fn numbers_drop_trailing_zeros_and_take_the_separator() {
        assert_eq!(number(25.0, Lang::De), "25");
        assert_eq!(number(3.4, Lang::De), "3,4");
        assert_eq!(number(3.4, Lang::En), "3.4");
        assert_eq!(number(0.25, Lang::De), "0,25");
        assert_eq!(number(2.999, Lang::De), "3");
        assert_eq!(decimal(7.0, 1, Lang::De), "7,0");
        assert_eq!(percent(0.125, Lang::De), "12,5 %");
        assert_eq!(percent(0.8, Lang::En), "80.0 %");
    }

    #[test]
    fn counts_dates_and_terms() {
        assert_eq!(
            Lang::De.count(1, ("lint", "lints"), ("Hinweis", "Hinweise")),
            "1 Hinweis"
        );
        assert_eq!(
            Lang::De.count(3, ("lint", "lints"), ("Hinweis", "Hinweise")),
            "3 Hinweise"
        );
        assert_eq!(
            Lang::En.count(0, ("lint", "lints"), ("Hinweis", "Hinweise")),
            "0 lints"
        );
        let d = NaiveDate::from_ymd_opt(2024, 6, 30).unwrap();
        assert_eq!(Lang::De.date(d), "30.06.2024");
        assert_eq!(Lang::En.date(d), "2024-06-30");
        assert_eq!(Lang::De.term("on track"), "im Plan");
        assert_eq!(Lang::En.term("on track"), "on track");
        assert_eq!(Lang::De.status("committed"), "zugesagt");
        assert_eq!(Lang::De.term("committed"), "verbindlich");
        assert_eq!("de".parse::<Lang>(), Ok(Lang::De));
        assert!("fr".parse::<Lang>().unwrap_err().contains("`fr`"));
    }
}
