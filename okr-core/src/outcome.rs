//! Does a title read like an outcome or like an output? A check for German and English
//! titles of objectives and key results that looks at how the sentence is built, not at
//! one word.
//!
//! # The rule
//!
//! An **outcome** is a change in the behaviour of people that brings them value: someone
//! (citizens, businesses, staff, customers, …) does something differently, or a measure of
//! such a change moves from X to Y. An objective is a small vision of that change, for
//! whom it matters; a key result measures it.
//!
//! An **output** is work the team delivers: a system introduced, a portal launched,
//! services digitised, workshops held. Outputs can be necessary, but done is not the same
//! as better for anyone, and a title built around the work says nothing about the effect.
//!
//! Auf Deutsch: Ein Objective ist eine Minivision: Veränderung + Mehrwert + für Menschen.
//! Ein Outcome ist eine Veränderung im Verhalten von Menschen, die ihnen etwas bringt
//! („Die Bürger und Unternehmen erledigen ihre Behördengänge online“); ein Key Result misst
//! sie von X auf Y („Die Nutzungsrate steigt von 5 % auf 25 %“). Ein Output ist ein
//! Arbeitsauftrag oder eine Lieferung („575 OZG-Leistungen digitalisieren“, „Wir führen die
//! E-Akte ein“, „10 Workshops durchführen“): ein reines Umsetzungsziel, das nicht sagt, wer
//! davon profitiert.
//!
//! The check reports an output when the sentence is built like a work order or a delivery
//! notice:
//!
//! | pattern | German | English |
//! | --- | --- | --- |
//! | [`Pattern::SeparableVerb`] | „Wir setzen das Bürgerportal um“, „Wir führen die E-Akte ein“, „Wir bauen … auf“ | — |
//! | [`Pattern::TeamDoesWork`] | „Wir digitalisieren 575 Leistungen“, „Wir entwickeln eine App“ | "We will build a data platform" |
//! | [`Pattern::InfinitiveWorkOrder`] | „575 OZG-Leistungen digitalisieren“, „RPA-Prozesskatalog erstellen“, „Neues CRM einführen“, „… in Betrieb nehmen“, „Kick-off mit allen Fachbereichen abhalten“ | — |
//! | [`Pattern::NominalWorkOrder`] | „Einführung der E-Akte“, „Umsetzung des OZG“, „Digitalisierung von 575 Leistungen“, „Aufbau …“, „Erstellung …“, „Erstellen eines …“, „Durchführen von …“, „Migration …“ | "Implementation of …", "Rollout of …", "Introduction of …" |
//! | [`Pattern::Imperative`] | — | "Implement …", "Launch …", "Roll out …", "Set up …", "Run 10 workshops" |
//! | [`Pattern::Delivered`] | „Die E-Akte ist eingeführt“, „Anzahl der veröffentlichten Formulare …“, „Das Portal ist live“ | "12 sessions delivered", "Portal launched" |
//! | [`Pattern::ActivityCount`] | „10 Workshops …“, „575 OZG-Leistungen …“, „5 neue Online-Dienste …“ | "12 new online forms", "three blog posts" |
//! | [`Pattern::Deliverable`] | „Neue Website für das Standesamt“, „Digitalstrategie 2030“ | "A new intranet for all employees", "Dashboard for the check-in" |
//!
//! A sentence whose subject names the people who benefit reads as behaviour, even with a
//! work verb: „Die Bürger und Unternehmen führen ihre Behördengänge online durch“ and
//! "Users set up their accounts without help" are outcomes; „Wir führen … durch“ is not.
//! A German title that ends in an infinitive is a work order when it is one clause with no
//! subject and no finite verb („Projektplan für die E-Rechnung erstellen“); with people as
//! the subject or a modal verb it is a statement („Bürger können Anträge online stellen“).
//! Measured changes are outcomes: „Anteil der Online-Anträge von 5 % auf 25 %“,
//! „Bearbeitungszeit sinkt von 20 auf 5 Tage“, "Share of applications filed online rises
//! from 5% to 25%", "Reduce average handling time from 12 to 8 minutes". Counting people
//! is not counting deliverables: "1,500 residents use the app every month".
//!
//! The verb lists are lists of word roots: a Snowball stemmer (German or English, chosen
//! by the title's language) reduces „einführen“, „Einführung“, „führen … ein“ and
//! „eingeführt“ to one root, and "implement", "implemented", "implementation" to another,
//! so one entry covers the infinitive, the finite verb, the participle and the
//! nominalisation, also inside compounds („Prozessdigitalisierung“).
//!
//! Besides the reading, an [`Assessment`] says which people the title names as benefiting
//! ([`beneficiary`]: Bürgerinnen und Bürger, Unternehmen, Mitarbeitende, Fachbereiche,
//! citizens, staff, customers, …, also in compounds and gender forms such as
//! „Verwaltungsmitarbeitende“ or „Kund:innen“), whether it measures something and whether
//! it names a change at all.
//!
//! The last pattern is the weakest: a title headed by a thing (a website, portal, app,
//! system, strategy, concept, dashboard, …) that names no change, no measure and nobody
//! doing anything. „Ein Intranet, in dem Mitarbeitende alles in zwei Klicks finden“ names
//! people acting and is not caught.
//!
//! The check is a heuristic for advisory lints: it reads patterns, not meaning. A thing
//! without a list noun („Bis Q4 haben alle Schulen digitale Tafeln“) passes as an outcome,
//! and a work step that is the subject of a value statement („Die Einführung der E-Akte
//! entlastet die Mitarbeitenden“) still reads as output.
//!
//! ```
//! use okr_core::outcome::{self, Pattern, Reading};
//!
//! let a = outcome::assess("Wir setzen das neue Bürgerportal um");
//! assert_eq!(a.reading, Reading::Output);
//! assert_eq!(a.pattern, Some(Pattern::SeparableVerb));
//! assert_eq!(a.evidence.as_deref(), Some("setzen … um"));
//!
//! let a = outcome::assess("Die Bürger und Unternehmen führen ihre Behördengänge online durch");
//! assert_eq!(a.reading, Reading::Outcome);
//! assert_eq!(a.beneficiary.as_deref(), Some("Bürger"));
//!
//! let a = outcome::assess("Anteil der Online-Anträge steigt von 5 % auf 25 %");
//! assert!(!a.is_output() && a.measured);
//!
//! let a = outcome::assess("Implementation of the online permit portal");
//! assert_eq!(a.pattern, Some(Pattern::NominalWorkOrder));
//! assert_eq!(a.evidence.as_deref(), Some("Implementation of"));
//! assert_eq!(
//!     a.reason_de().as_deref(),
//!     Some("ein Arbeitsschritt als Hauptwort: „Implementation of“")
//! );
//! ```

use rust_stemmers::{Algorithm, Stemmer};
use serde::{Deserialize, Serialize};

/// The language a title is read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Lang {
    /// German.
    German,
    /// English.
    English,
}

/// How a title reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reading {
    /// Work delivered or to be done: a work order, a delivery, a count of activities.
    Output,
    /// A change in what people do, or a measure of it; or nothing that reads as output.
    Outcome,
}

/// The sentence pattern that makes a title read like an output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Pattern {
    /// A German separable work verb whose subject is the team: „Wir setzen … um“.
    SeparableVerb,
    /// The team does work: „Wir digitalisieren …“, "We will build …".
    TeamDoesWork,
    /// A work order in the infinitive: „… digitalisieren“, „… einführen“.
    InfinitiveWorkOrder,
    /// A work step as the head noun: „Einführung …“, "Implementation of …".
    NominalWorkOrder,
    /// An English imperative work order: "Implement …", "Roll out …".
    Imperative,
    /// A delivered state, not a behaviour: „… ist eingeführt“, "… launched", "… live".
    Delivered,
    /// A count of deliverables or activities: „10 Workshops“, "12 new forms".
    ActivityCount,
    /// Only a thing is named, no change and no one doing anything differently: „Neue
    /// Website für das Standesamt“, "A new intranet for all employees".
    Deliverable,
}

impl Pattern {
    /// A short English description.
    pub fn describe_en(&self) -> &'static str {
        match self {
            Pattern::SeparableVerb => "a work verb with the team as subject",
            Pattern::TeamDoesWork => "the team doing work",
            Pattern::InfinitiveWorkOrder => "a work order",
            Pattern::NominalWorkOrder => "a work step as the head noun",
            Pattern::Imperative => "an imperative work order",
            Pattern::Delivered => "a delivered state",
            Pattern::ActivityCount => "a count of deliverables",
            Pattern::Deliverable => "a deliverable, no change named",
        }
    }

    /// A short German description.
    pub fn describe_de(&self) -> &'static str {
        match self {
            Pattern::SeparableVerb => "ein Arbeitsverb mit dem Team als Subjekt",
            Pattern::TeamDoesWork => "das Team erledigt Arbeit",
            Pattern::InfinitiveWorkOrder => "ein Arbeitsauftrag",
            Pattern::NominalWorkOrder => "ein Arbeitsschritt als Hauptwort",
            Pattern::Imperative => "ein Arbeitsauftrag im Imperativ",
            Pattern::Delivered => "ein gelieferter Zustand",
            Pattern::ActivityCount => "eine Anzahl von Lieferungen",
            Pattern::Deliverable => "ein Liefergegenstand, keine Veränderung",
        }
    }
}

/// What [`assess`] found in a title.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assessment {
    /// Output or outcome.
    pub reading: Reading,
    /// The language the title was read in.
    pub lang: Lang,
    /// Why it reads like an output; `None` for an outcome.
    pub pattern: Option<Pattern>,
    /// The words that show the pattern, as written (`setzen … um`, `Einführung`,
    /// `10 Workshops`); `None` for an outcome.
    pub evidence: Option<String>,
    /// The people the title names as benefiting, as written (`Bürger`, `citizens`).
    pub beneficiary: Option<String>,
    /// The title measures something from X to Y, or names a rate, share, time or rating.
    pub measured: bool,
    /// The title names a change (steigt, sinkt, schneller, ohne …; rises, fewer, without …).
    pub names_change: bool,
}

impl Assessment {
    /// Whether the title reads like an output.
    pub fn is_output(&self) -> bool {
        self.reading == Reading::Output
    }

    /// The reason in English, for a lint message: `a work order: "digitalisieren"`.
    pub fn reason_en(&self) -> Option<String> {
        let (p, e) = (self.pattern?, self.evidence.as_deref()?);
        Some(format!("{}: \"{e}\"", p.describe_en()))
    }

    /// The reason in German, for a lint message: `ein Arbeitsauftrag: „digitalisieren“`.
    pub fn reason_de(&self) -> Option<String> {
        let (p, e) = (self.pattern?, self.evidence.as_deref()?);
        Some(format!("{}: „{e}“", p.describe_de()))
    }
}

// ---------------------------------------------------------------------------------------
// Word lists. Roots are Snowball stems (umlauts folded: „führen“ → `fuhr`).

/// Roots of German work verbs: stem of the infinitive („einführen“ → `einfuhr`), which is
/// also the stem of the -ung noun („Einführung“) and, after taking off ge- and -t, of the
/// participle („eingeführt“).
const WORK_ROOTS_DE: &[&str] = &[
    "einfuhr",
    "umsetz",
    "digitalisi",
    "erstell",
    "implementi",
    "migri",
    "durchfuhr",
    "aufbau",
    "ausbau",
    "bau",
    "bereitstell",
    "entwickl",
    "entwickel",
    "entwickeln",
    "installi",
    "ausroll",
    "einricht",
    "beschaff",
    "anschaff",
    "umstell",
    "anbind",
    "einbind",
    "veroffent",
    "veroffentlich",
    "piloti",
    "konzipi",
    "erarbeit",
    "launch",
    "relaunch",
    "automatisi",
    "defini",
    "programmi",
    "liefer",
    "ablos",
    "vorantreib",
    "voranbring",
    "verlag",
    "abstimm",
    "anbiet",
    "modernisi",
    "optimi",
    "schul",
    "fertigstell",
    "realisi",
    "uberarbeit",
];

/// Roots of English work verbs (stems of "implement", "implementation", "implemented").
const WORK_ROOTS_EN: &[&str] = &[
    "implement",
    "launch",
    "relaunch",
    "introduc",
    "introduct",
    "deliv",
    "deliveri",
    "develop",
    "migrat",
    "deploy",
    "digitis",
    "build",
    "built",
    "rebuild",
    "creat",
    "creation",
    "instal",
    "install",
    "establish",
    "complet",
    "finish",
    "publish",
    "releas",
    "ship",
    "design",
    "redesign",
    "defin",
    "draft",
    "produc",
    "procur",
    "purchas",
    "buy",
    "integr",
    "autom",
    "replac",
    "upgrad",
    "configur",
    "rollout",
    "roll-out",
    "pilot",
    "conduct",
    "organis",
    "organ",
    "run",
    "hold",
    "train",
    "write",
    "written",
    "modern",
    "optimis",
    "optim",
];

/// English work verbs that need their particle: "roll out", "set up", "go live".
const PHRASAL_EN: &[(&str, &str)] = &[("roll", "out"), ("set", "up"), ("go", "live")];

/// Separable-verb particles, longest first.
const PARTICLES_DE: &[&str] = &[
    "zusammen", "fertig", "bereit", "voran", "weiter", "durch", "fest", "ein", "auf", "aus", "vor",
    "her", "um", "an", "ab",
];

/// German head nouns of work steps that the stemmer does not bring to a verb root.
const NOMINAL_DE: &[&str] = &[
    "migration",
    "installation",
    "implementation",
    "konzeption",
    "definition",
    "relaunch",
    "launch",
    "go-live",
    "rollout",
    "roll-out",
    "inbetriebnahme",
    "schulung",
    "schulungen",
];

/// People who benefit, as word endings (so compounds count: „Verwaltungsmitarbeitende“).
const PEOPLE_DE: &[&str] = &[
    "bürger",
    "bürgerinnen",
    "bürgern",
    "einwohner",
    "einwohnerinnen",
    "einwohnern",
    "mitarbeitende",
    "mitarbeitenden",
    "mitarbeiter",
    "mitarbeiterinnen",
    "mitarbeitern",
    "beschäftigte",
    "beschäftigten",
    "kollegen",
    "kolleginnen",
    "kunden",
    "kundinnen",
    "kundschaft",
    "nutzer",
    "nutzerinnen",
    "nutzern",
    "nutzende",
    "nutzenden",
    "anwender",
    "anwenderinnen",
    "anwendern",
    "unternehmen",
    "betriebe",
    "gewerbetreibende",
    "gewerbetreibenden",
    "eltern",
    "familien",
    "antragstellende",
    "antragstellenden",
    "antragsteller",
    "antragstellerinnen",
    "patienten",
    "patientinnen",
    "pflegekräfte",
    "lehrkräfte",
    "führungskräfte",
    "schüler",
    "schülerinnen",
    "studierende",
    "studierenden",
    "fachbereiche",
    "sachbearbeitende",
    "sachbearbeitenden",
    "sachbearbeiter",
    "sachbearbeiterinnen",
    "menschen",
    "senioren",
    "seniorinnen",
    "besucher",
    "besucherinnen",
    "gäste",
    "pendler",
    "mieter",
    "vereine",
    "jugendliche",
    "jugendlichen",
    "kinder",
    "bewerber",
    "bewerberinnen",
    "bewerbende",
];

/// People who benefit in English (plural forms and collective nouns).
const PEOPLE_EN: &[&str] = &[
    "citizens",
    "residents",
    "people",
    "staff",
    "employees",
    "colleagues",
    "workforce",
    "customers",
    "clients",
    "users",
    "businesses",
    "companies",
    "parents",
    "families",
    "students",
    "pupils",
    "patients",
    "caseworkers",
    "hires",
    "newcomers",
    "applicants",
    "visitors",
    "members",
    "taxpayers",
    "commuters",
    "seniors",
    "tenants",
    "developers",
    "engineers",
    "nurses",
    "teachers",
    "clubs",
    "associations",
    "everyone",
    "shoppers",
    "buyers",
    "drivers",
    "officers",
    "managers",
];

/// Nouns of deliverables and activities that a count in front of them turns into output.
const DELIVERABLES: &[&str] = &[
    "workshop",
    "workshops",
    "schulungen",
    "trainings",
    "webinare",
    "webinars",
    "veranstaltungen",
    "sessions",
    "formulare",
    "forms",
    "leistungen",
    "dienste",
    "services",
    "fachverfahren",
    "bots",
    "features",
    "releases",
    "apps",
    "artikel",
    "articles",
    "beiträge",
    "posts",
    "videos",
    "seiten",
    "pages",
    "konzepte",
    "schnittstellen",
    "interfaces",
    "module",
    "modules",
    "piloten",
    "pilots",
    "kampagnen",
    "campaigns",
    "sprints",
    "events",
    "meetings",
    "berichte",
    "reports",
    "tools",
    "prototypen",
    "prototypes",
    "stories",
];

/// Things that are delivered, as word endings (so compounds count: „Digitalstrategie“).
const ARTIFACTS: &[&str] = &[
    "website",
    "webseite",
    "portal",
    "app",
    "intranet",
    "plattform",
    "platform",
    "system",
    "software",
    "strategie",
    "strategy",
    "konzept",
    "concept",
    "tool",
    "dashboard",
    "chatbot",
    "datenbank",
    "database",
    "schnittstelle",
    "interface",
    "handbuch",
    "leitfaden",
    "richtlinie",
];

/// Words after a count that mark deliverables: „5 neue …“, "12 new …".
const NEW_WORDS: &[&str] = &[
    "neue",
    "neuen",
    "weitere",
    "zusätzliche",
    "new",
    "additional",
    "further",
];

/// Counts written as words.
const NUMBER_WORDS: &[&str] = &[
    "zwei", "drei", "vier", "fünf", "sechs", "sieben", "acht", "neun", "zehn", "elf", "zwölf",
    "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
];

const PREPOSITIONS: &[&str] = &[
    "für", "mit", "von", "vom", "zu", "zur", "zum", "bei", "an", "auf", "über", "durch", "ohne",
    "gegen", "for", "with", "to", "by", "from", "of", "about", "on", "at", "without", "among",
];

const DETERMINERS: &[&str] = &[
    "der", "die", "das", "den", "dem", "des", "ein", "eine", "einer", "eines", "einem", "einen",
    "unser", "unsere", "unseren", "unserer", "unseres", "alle", "the", "a", "an", "our", "all",
];

/// German finite verbs (modals and auxiliaries) that make a title a statement rather than
/// a work order in the infinitive: „Bürger können … stellen“, „… wird … umgesetzt“.
const FINITE_DE: &[&str] = &[
    "kann", "können", "soll", "sollen", "will", "wollen", "muss", "müssen", "darf", "dürfen",
    "wird", "werden", "ist", "sind", "hat", "haben", "lässt", "lassen", "gibt", "geht",
];

const TEAM_DE: &[&str] = &["wir"];
const TEAM_EN: &[&str] = &["we", "we'll", "we’ll"];
const AUX_EN: &[&str] = &[
    "will", "shall", "are", "going", "to", "must", "'ll", "also", "then",
];

/// Words that name a measure.
const MEASURES: &[&str] = &[
    "anteil",
    "quote",
    "rate",
    "zeit",
    "dauer",
    "zufriedenheit",
    "bewertung",
    "sterne",
    "prozent",
    "share",
    "time",
    "satisfaction",
    "rating",
    "score",
    "stars",
    "percent",
    "churn",
    "nps",
    "anzahl",
    "zahl",
    "number",
    "per",
    "pro",
    "je",
    "%",
];

/// Word stems (lowercase prefixes) that name a change.
const CHANGE_WORDS: &[&str] = &[
    "steig",
    "sink",
    "senk",
    "erhöh",
    "reduzi",
    "verkürz",
    "verbesser",
    "vereinfach",
    "beschleunig",
    "erleichter",
    "halbier",
    "verdoppel",
    "schneller",
    "einfacher",
    "weniger",
    "mehr",
    "ohne",
    "statt",
    "besser",
    "rise",
    "rises",
    "drop",
    "fall",
    "grow",
    "increas",
    "reduc",
    "cut",
    "halv",
    "doubl",
    "improv",
    "lower",
    "faster",
    "fewer",
    "less",
    "more",
    "without",
    "instead",
];

const STOP_DE: &[&str] = &[
    "der", "die", "das", "und", "wir", "unsere", "unser", "von", "auf", "mit", "für", "ist",
    "sind", "werden", "wird", "den", "dem", "des", "ein", "eine", "im", "zur", "zum", "bis",
    "nicht", "ohne", "statt", "ihre", "sich", "je", "alle", "noch", "nur", "am",
];
const STOP_EN: &[&str] = &[
    "the", "of", "and", "to", "we", "our", "for", "with", "is", "are", "will", "by", "from", "a",
    "their", "without", "on", "at", "all", "per", "every", "instead",
];

// ---------------------------------------------------------------------------------------

#[derive(Debug)]
struct Token {
    /// As written.
    text: String,
    lower: String,
    /// Starts with an upper-case letter.
    cap: bool,
    /// A whole number (thousands separators allowed), or `None`.
    count: Option<u64>,
    /// Any number, whole or not.
    numeric: bool,
}

fn fold_gender(title: &str) -> String {
    let mut s = title.to_string();
    for sep in [
        ":innen", "*innen", "_innen", "/innen", ":Innen", "*Innen", "_Innen",
    ] {
        s = s.replace(sep, "innen");
    }
    s
}

fn tokens(title: &str) -> Vec<Token> {
    let s = fold_gender(title);
    let chars: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut cur = String::new();
    let flush = |cur: &mut String, out: &mut Vec<Token>| {
        let w = cur.trim_matches(|c: char| c == '-' || c == '.' || c == '\'');
        if !w.is_empty() {
            let lower = w.to_lowercase();
            let digits: String = w.chars().filter(|c| c.is_ascii_digit()).collect();
            let numeric = !digits.is_empty()
                && w.chars()
                    .all(|c| c.is_ascii_digit() || c == '.' || c == ',');
            let whole = numeric && {
                // "1,500" and "1.500" are thousands; "3,1" and "3.2" are not whole.
                let groups: Vec<&str> = w.split([',', '.']).collect();
                groups.len() == 1 || groups[1..].iter().all(|g| g.len() == 3)
            };
            out.push(Token {
                text: w.to_string(),
                cap: w.chars().next().is_some_and(char::is_uppercase),
                count: if whole { digits.parse().ok() } else { None },
                numeric,
                lower,
            });
        }
        cur.clear();
    };
    for (i, &c) in chars.iter().enumerate() {
        let prev_digit = i > 0 && chars[i - 1].is_ascii_digit();
        let next_digit = chars.get(i + 1).is_some_and(char::is_ascii_digit);
        let inner_mark = (c == '.' || c == ',') && prev_digit && next_digit;
        if c == '%' {
            flush(&mut cur, &mut out);
            cur.push('%');
            flush(&mut cur, &mut out);
        } else if c.is_alphanumeric() || c == '-' || c == '\'' || c == '’' || inner_mark {
            cur.push(c);
        } else {
            flush(&mut cur, &mut out);
        }
    }
    flush(&mut cur, &mut out);
    // A possessive apostrophe belongs to no word: "residents'" → "residents".
    for t in &mut out {
        if let Some(w) = t.lower.strip_suffix("'s").or(t.lower.strip_suffix("’s")) {
            t.lower = w.to_string();
        }
        t.lower = t.lower.trim_end_matches(['\'', '’']).to_string();
    }
    out
}

/// The language of `text`: German or English, by their commonest words, umlauts, and a
/// German work order's shape: a title that ends in the infinitive of a work verb
/// („RPA-Prozesskatalog erstellen“, „Kundenportal aufbauen“) is German even when it has
/// no other German word.
pub fn language(text: &str) -> Lang {
    language_of(text, &tokens(text))
}

/// [`language`] of `text` already split into `toks`.
fn language_of(text: &str, toks: &[Token]) -> Lang {
    let de = toks
        .iter()
        .filter(|t| STOP_DE.contains(&t.lower.as_str()))
        .count()
        + 2 * usize::from(text.chars().any(|c| "äöüßÄÖÜ".contains(c)))
        + 2 * usize::from(ends_in_work_infinitive_de(toks));
    let en = toks
        .iter()
        .filter(|t| STOP_EN.contains(&t.lower.as_str()))
        .count();
    if en > de {
        Lang::English
    } else if de > en {
        Lang::German
    } else if toks.iter().skip(1).any(|t| t.cap) {
        // German capitalises its nouns.
        Lang::German
    } else {
        Lang::English
    }
}

/// Whether the last of `toks` is a lower-case German infinitive (-en, -ern, -eln) of a
/// work verb, after at least one other word: the shape of a German work order in the
/// infinitive („Projektplan erstellen“, „E-Akte einführen“).
fn ends_in_work_infinitive_de(toks: &[Token]) -> bool {
    let Some(last) = toks.last() else {
        return false;
    };
    let l = last.lower.as_str();
    let infinitive = l.ends_with("en") || l.ends_with("ern") || l.ends_with("eln");
    if toks.len() < 2 || last.cap || last.numeric || !infinitive || l.chars().count() < 5 {
        return false;
    }
    let german = Reader {
        toks,
        lang: Lang::German,
        stemmer: Stemmer::create(Algorithm::German),
    };
    german.work_root(l)
}

fn is_people(lower: &str, lang: Lang) -> bool {
    match lang {
        Lang::German => PEOPLE_DE.iter().any(|p| {
            lower
                .strip_suffix(p)
                .is_some_and(|head| head.is_empty() || head.chars().count() >= 3)
        }),
        Lang::English => PEOPLE_EN.contains(&lower),
    }
}

/// The first people named in `text` as benefiting (Bürgerinnen und Bürger, Unternehmen,
/// Mitarbeitende, citizens, staff, …), as written; `None` when it names nobody. Both
/// languages are tried, so a German title with an English beneficiary field still counts.
pub fn beneficiary(text: &str) -> Option<String> {
    let toks = tokens(text);
    beneficiary_of(&toks, language_of(text, &toks))
}

/// [`beneficiary`] of a text already split into `toks`, read first as `primary`.
fn beneficiary_of(toks: &[Token], primary: Lang) -> Option<String> {
    let first = |lang| {
        toks.iter()
            .find(|t| is_people(&t.lower, lang))
            .map(|t| t.text.clone())
    };
    let other = match primary {
        Lang::German => Lang::English,
        Lang::English => Lang::German,
    };
    first(primary).or_else(|| first(other))
}

struct Reader<'a> {
    toks: &'a [Token],
    lang: Lang,
    stemmer: Stemmer,
}

impl Reader<'_> {
    fn stem(&self, w: &str) -> String {
        self.stemmer.stem(w).into_owned()
    }

    /// Candidate roots of a German word: its stem, and the stem without participle ge-,
    /// final -t and -er (for -ieren and -ern verbs).
    fn de_candidates(&self, lower: &str) -> Vec<String> {
        let s = self.stem(lower);
        let mut forms = vec![s.clone()];
        for p in PARTICLES_DE.iter().chain(std::iter::once(&"")) {
            if let Some(rest) = s.strip_prefix(p).and_then(|r| r.strip_prefix("ge")) {
                if rest.chars().count() >= 3 {
                    forms.push(format!("{p}{rest}"));
                }
            }
        }
        let mut out = Vec::new();
        for f in forms {
            let without_t = f.strip_suffix('t').map(str::to_string);
            for g in std::iter::once(f).chain(without_t) {
                if let Some(h) = g.strip_suffix("er") {
                    out.push(h.to_string());
                }
                out.push(g);
            }
        }
        out
    }

    /// Whether a German or English word (used as a verb or as a noun made from one) has
    /// the root of a work verb.
    fn work_root(&self, lower: &str) -> bool {
        match self.lang {
            Lang::German => self
                .de_candidates(lower)
                .iter()
                .any(|c| WORK_ROOTS_DE.contains(&c.as_str())),
            Lang::English => {
                if is_digitise(lower) {
                    return true;
                }
                WORK_ROOTS_EN.contains(&self.stem(lower).as_str())
            }
        }
    }

    /// A German noun headed by a work step: „Einführung“, „Prozessdigitalisierung“,
    /// „Migration“, „Aufbau“.
    fn de_work_noun(&self, t: &Token) -> bool {
        if NOMINAL_DE.iter().any(|n| t.lower.ends_with(n)) {
            return true;
        }
        let is_ung = t.lower.ends_with("ung") || t.lower.ends_with("ungen");
        let is_bau = t.lower.ends_with("bau");
        if !(is_ung || is_bau) {
            return false;
        }
        self.de_candidates(&t.lower).iter().any(|c| {
            WORK_ROOTS_DE
                .iter()
                .any(|r| c == r || (r.len() >= 6 && c.ends_with(r)))
        })
    }

    /// Whether a verb at `at` has the benefiting people as its subject: people named
    /// before it and not after a preposition („für alle Mitarbeitenden“ is no subject).
    fn people_subject_before(&self, at: usize) -> bool {
        (0..at).any(|i| {
            is_people(&self.toks[i].lower, self.lang)
                && !(i.saturating_sub(2)..i)
                    .any(|j| PREPOSITIONS.contains(&self.toks[j].lower.as_str()))
        })
    }

    fn is_verb_position(&self, i: usize) -> bool {
        let t = &self.toks[i];
        !t.numeric && (i == 0 || !t.cap || self.lang == Lang::English)
    }

    fn ends_clause(&self, i: usize) -> bool {
        match self.toks.get(i + 1) {
            None => true,
            Some(n) => ["und", "sowie", "oder", "and", "or"].contains(&n.lower.as_str()),
        }
    }

    fn output(&self) -> Option<(Pattern, String)> {
        let found = match self.lang {
            Lang::German => self
                .nominal_de()
                .or_else(|| self.separable_de())
                .or_else(|| self.phrase_de())
                .or_else(|| self.verbs_de())
                .or_else(|| self.infinitive_clause_de()),
            Lang::English => self
                .imperative_en()
                .or_else(|| self.nominal_en())
                .or_else(|| self.verbs_en()),
        };
        found
            .or_else(|| self.activity_count())
            .or_else(|| self.deliverable())
    }

    /// A German infinitive of a work verb used as the head noun, with what it works on
    /// after it: „Erstellen eines Prozesskatalogs“, „Durchführen von Workshops“. „Schulen“
    /// is left out: as a noun it is the plural of „Schule“ far more often.
    fn de_work_infinitive_noun(&self, i: usize) -> bool {
        let t = &self.toks[i];
        let l = t.lower.as_str();
        let infinitive = l.ends_with("en") || l.ends_with("ern") || l.ends_with("eln");
        let object_follows = self.toks.get(i + 1).is_some_and(|n| {
            [
                "von", "vom", "eines", "einer", "des", "der", "aller", "neuer",
            ]
            .contains(&n.lower.as_str())
        });
        infinitive && object_follows && l != "schulen" && self.work_root(l)
    }

    fn nominal_de(&self) -> Option<(Pattern, String)> {
        for (i, t) in self.toks.iter().take(4).enumerate() {
            if t.cap && (self.de_work_noun(t) || self.de_work_infinitive_noun(i)) {
                return Some((Pattern::NominalWorkOrder, t.text.clone()));
            }
            if !self.modifies_head(i) {
                break;
            }
        }
        None
    }

    /// Whether the word at `i` can stand before the head noun of a title: an article, a
    /// number, „neu“/"new", an adjective („Vollständige Umstellung“, "fully"), but not a
    /// preposition („Termine im Bürgerportal“ is headed by „Termine“).
    fn modifies_head(&self, i: usize) -> bool {
        let t = &self.toks[i];
        let l = t.lower.as_str();
        if DETERMINERS.contains(&l) || NEW_WORDS.contains(&l) || l.starts_with("neu") {
            return true;
        }
        match self.lang {
            Lang::German => {
                let preposition = PREPOSITIONS.contains(&l)
                    || ["im", "in", "am", "beim", "und", "oder"].contains(&l);
                let adjective_first = i == 0
                    && ["e", "en", "er", "es", "em"].iter().any(|e| l.ends_with(e))
                    && self.toks.get(i + 1).is_some_and(|n| n.cap);
                (!t.cap && !preposition) || adjective_first
            }
            Lang::English => {
                l.ends_with("ly") || l.ends_with("ful") || ["full", "complete"].contains(&l)
            }
        }
    }

    fn separable_de(&self) -> Option<(Pattern, String)> {
        let last = self.toks.last()?;
        if !PARTICLES_DE.contains(&last.lower.as_str()) || self.toks.len() < 3 {
            return None;
        }
        let n = self.toks.len() - 1;
        (0..n).find_map(|i| {
            let t = &self.toks[i];
            let joined = format!("{}{}", last.lower, t.lower);
            (self.is_verb_position(i)
                && !PARTICLES_DE.contains(&t.lower.as_str())
                && self.work_root(&joined)
                && !self.people_subject_before(i))
            .then(|| {
                (
                    Pattern::SeparableVerb,
                    format!("{} … {}", t.text, last.text),
                )
            })
        })
    }

    fn phrase_de(&self) -> Option<(Pattern, String)> {
        for (i, w) in self.toks.windows(3).enumerate() {
            if w[0].lower == "in"
                && w[1].lower == "betrieb"
                && ["nehmen", "genommen", "gehen", "geht"].contains(&w[2].lower.as_str())
                && !self.people_subject_before(i)
            {
                let text = format!("{} {} {}", w[0].text, w[1].text, w[2].text);
                let p = if w[2].lower == "nehmen" {
                    Pattern::InfinitiveWorkOrder
                } else {
                    Pattern::Delivered
                };
                return Some((p, text));
            }
        }
        self.live()
    }

    fn live(&self) -> Option<(Pattern, String)> {
        let i = self.toks.iter().position(|t| t.lower == "live" && !t.cap)?;
        (i > 0 && !self.people_subject_before(i))
            .then(|| (Pattern::Delivered, self.toks[i].text.clone()))
    }

    fn verbs_de(&self) -> Option<(Pattern, String)> {
        let team = self
            .toks
            .first()
            .is_some_and(|t| TEAM_DE.contains(&t.lower.as_str()));
        for (i, t) in self.toks.iter().enumerate() {
            if i == 0 || !self.is_verb_position(i) || !self.work_root(&t.lower) {
                continue;
            }
            if self.people_subject_before(i) {
                continue;
            }
            let participle = t.lower.ends_with('t')
                || t.lower.ends_with("te")
                || t.lower.ends_with("ten")
                || t.lower.ends_with("ter")
                || t.lower.ends_with("tes")
                || t.lower.ends_with("tem")
                || PARTICLES_DE
                    .iter()
                    .chain(std::iter::once(&""))
                    .any(|p| t.lower.starts_with(&format!("{p}ge")) && t.lower.ends_with('t'));
            let infinitive =
                t.lower.ends_with("en") || t.lower.ends_with("ern") || t.lower.ends_with("eln");
            let pattern = if team && i <= 2 {
                Pattern::TeamDoesWork
            } else if infinitive && self.ends_clause(i) {
                Pattern::InfinitiveWorkOrder
            } else if participle {
                Pattern::Delivered
            } else if team {
                Pattern::TeamDoesWork
            } else {
                continue;
            };
            return Some((pattern, t.text.clone()));
        }
        None
    }

    /// A German title that is one clause ending in an infinitive, with no subject and no
    /// finite verb before it: a work order even when the verb is not on the work list
    /// („Kick-off mit allen Fachbereichen abhalten“). People as the subject or a modal verb
    /// make it a statement („Bürger können Anträge online stellen“), and a named change
    /// („Bearbeitungszeiten senken“) or a measure is left to the other readings.
    fn infinitive_clause_de(&self) -> Option<(Pattern, String)> {
        let n = self.toks.len();
        let last = self.toks.last()?;
        let l = last.lower.as_str();
        let infinitive = l.ends_with("en") || l.ends_with("ern") || l.ends_with("eln");
        if n < 2 || last.cap || last.numeric || !infinitive || l.chars().count() < 5 {
            return None;
        }
        let finite = self.toks[..n - 1]
            .iter()
            .any(|t| FINITE_DE.contains(&t.lower.as_str()));
        if finite
            || is_people(l, self.lang)
            || self.people_subject_before(n - 1)
            || self.names_change()
            || self.measured()
        {
            return None;
        }
        Some((Pattern::InfinitiveWorkOrder, last.text.clone()))
    }

    /// The English work verb starting at `i` ("roll out" needs its "out"), with the words.
    fn en_work_at(&self, i: usize) -> Option<String> {
        let t = self.toks.get(i)?;
        if t.numeric {
            return None;
        }
        let next = self.toks.get(i + 1);
        for (verb, particle) in PHRASAL_EN {
            let stem = self.stem(&t.lower);
            if stem == *verb || t.lower == *verb {
                return next
                    .filter(|n| n.lower == *particle)
                    .map(|n| format!("{} {}", t.text, n.text));
            }
        }
        self.work_root(&t.lower).then(|| t.text.clone())
    }

    fn imperative_en(&self) -> Option<(Pattern, String)> {
        let mut i = 0;
        while self
            .toks
            .get(i)
            .is_some_and(|t| t.lower.ends_with("ly") && t.lower.len() > 3)
        {
            i += 1;
        }
        let words = self.en_work_at(i)?;
        let next = self.toks.get(i + 1).map(|t| t.lower.as_str());
        if matches!(next, Some("of" | "for" | "into")) {
            return Some((Pattern::NominalWorkOrder, format!("{words} {}", next?)));
        }
        // An imperative is the bare verb: "Training completion rate …" and "Deployment
        // frequency …" are nouns naming a measure, not orders.
        let lower = &self.toks[i].lower;
        let inflected = ["ing", "ed", "tion", "ery"]
            .iter()
            .any(|e| lower.ends_with(e))
            || (lower.ends_with('s') && !lower.ends_with("ss"))
            || (lower.ends_with("ment") && self.stem(lower) != *lower);
        (!inflected).then_some((Pattern::Imperative, words))
    }

    fn nominal_en(&self) -> Option<(Pattern, String)> {
        for i in 1..self.toks.len().min(4) {
            let t = &self.toks[i];
            let next = self.toks.get(i + 1).map(|n| n.lower.as_str());
            if matches!(next, Some("of" | "to" | "for" | "into"))
                && self.work_root(&t.lower)
                && !t.lower.ends_with("ed")
            {
                return Some((Pattern::NominalWorkOrder, format!("{} {}", t.text, next?)));
            }
            let modifier = DETERMINERS.contains(&t.lower.as_str())
                || t.lower.ends_with("ful")
                || t.lower.ends_with("ly")
                || ["full", "complete", "new"].contains(&t.lower.as_str());
            if !modifier {
                break;
            }
        }
        None
    }

    fn verbs_en(&self) -> Option<(Pattern, String)> {
        let team = self
            .toks
            .first()
            .is_some_and(|t| TEAM_EN.contains(&t.lower.as_str()));
        if team {
            let mut i = 1;
            while self
                .toks
                .get(i)
                .is_some_and(|t| AUX_EN.contains(&t.lower.as_str()))
            {
                i += 1;
            }
            if let Some(words) = self.en_work_at(i) {
                return Some((Pattern::TeamDoesWork, words));
            }
        }
        for (i, t) in self.toks.iter().enumerate().skip(1) {
            let delivered_form = t.lower.ends_with("ed")
                || ["built", "written", "run", "set", "rolled"].contains(&t.lower.as_str());
            if delivered_form && !self.people_subject_before(i) {
                if let Some(words) = self.en_work_at(i) {
                    return Some((Pattern::Delivered, words));
                }
            }
        }
        self.live()
    }

    fn activity_count(&self) -> Option<(Pattern, String)> {
        for (i, t) in self.toks.iter().enumerate() {
            let is_count =
                t.count.is_some_and(|n| n >= 2) || NUMBER_WORDS.contains(&t.lower.as_str());
            if !is_count {
                continue;
            }
            for (j, n) in self.toks.iter().enumerate().skip(i + 1).take(3) {
                if n.numeric || n.lower == "%" || is_people(&n.lower, self.lang) {
                    break;
                }
                let deliverable = ends_with_word(&n.lower, DELIVERABLES);
                let new = j == i + 1 && NEW_WORDS.contains(&n.lower.as_str());
                if deliverable || new {
                    let words: Vec<&str> =
                        self.toks[i..=j].iter().map(|t| t.text.as_str()).collect();
                    return Some((Pattern::ActivityCount, words.join(" ")));
                }
            }
        }
        None
    }

    /// A title headed by a thing („Neue Website …“, "A customer portal …") that names no
    /// change, no measure and no people acting.
    fn deliverable(&self) -> Option<(Pattern, String)> {
        if self.names_change() || self.measured() {
            return None;
        }
        let acting = (0..self.toks.len()).any(|i| {
            is_people(&self.toks[i].lower, self.lang)
                && !(i.saturating_sub(2)..i)
                    .any(|j| PREPOSITIONS.contains(&self.toks[j].lower.as_str()))
        });
        if acting {
            return None;
        }
        for (i, t) in self.toks.iter().take(4).enumerate() {
            if ends_with_word(&t.lower, ARTIFACTS) {
                return Some((Pattern::Deliverable, t.text.clone()));
            }
            if !self.modifies_head(i) {
                break;
            }
        }
        None
    }

    fn measured(&self) -> bool {
        let from_to = self.toks.windows(4).any(|w| {
            ["von", "from"].contains(&w[0].lower.as_str())
                && ["auf", "to"]
                    .iter()
                    .any(|x| w[2].lower == *x || w.get(3).is_some_and(|t| t.lower == *x))
        });
        from_to
            || self.toks.iter().any(|t| {
                MEASURES
                    .iter()
                    .any(|m| t.lower == *m || (m.len() >= 4 && t.lower.ends_with(m)))
            })
    }

    fn names_change(&self) -> bool {
        self.toks
            .iter()
            .any(|t| CHANGE_WORDS.iter().any(|c| t.lower.starts_with(c)))
    }
}

/// Whether `lower` is one of `words` or a compound ending in one („OZG-Leistungen“,
/// „Digitalstrategie“), not a word that merely ends in its letters („knapp“).
fn ends_with_word(lower: &str, words: &[&str]) -> bool {
    words.iter().any(|w| {
        lower
            .strip_suffix(w)
            .is_some_and(|head| head.is_empty() || head.ends_with('-') || head.chars().count() >= 3)
    })
}

fn is_digitise(lower: &str) -> bool {
    ["digitis", "digitiz", "digitalis", "digitaliz"]
        .iter()
        .any(|p| lower.starts_with(p))
}

/// Reads a title of an objective or a key result and says whether it is built like an
/// output (see the [module docs](self) for the patterns) or like an outcome.
pub fn assess(title: &str) -> Assessment {
    let toks = tokens(title);
    let lang = language_of(title, &toks);
    let stemmer = Stemmer::create(match lang {
        Lang::German => Algorithm::German,
        Lang::English => Algorithm::English,
    });
    let r = Reader {
        toks: &toks,
        lang,
        stemmer,
    };
    let found = r.output();
    Assessment {
        reading: if found.is_some() {
            Reading::Output
        } else {
            Reading::Outcome
        },
        lang,
        pattern: found.as_ref().map(|f| f.0),
        evidence: found.map(|f| f.1),
        beneficiary: beneficiary_of(&toks, lang),
        measured: r.measured(),
        names_change: r.names_change(),
    }
}
