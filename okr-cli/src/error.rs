//! The command's errors and their exit codes: 1 for refused commands and invalid input,
//! 2 for storage failures. Every message is written once in English and German (a
//! [`Text`]); `okr` prints it in the language of `--lang`. The German renderings of the
//! store's and the engine's errors live here, beside the exit codes they map to.

use okr_core::i18n::{Lang, Text};
use okr_store::{EngineError, StoreError};
use std::fmt;
use std::path::Path;

/// Why a run failed. The message names the file, line and field where there is one.
#[derive(Debug)]
pub enum CliError {
    /// A command was refused by the rules, or the input is invalid (exit code 1).
    Invalid(Text),
    /// The store or an output file failed (exit code 2).
    Storage(Text),
    /// Whoever read the output stopped reading (`okr export - | head`): not a failure, the
    /// run ends quietly with exit code 0, as Unix tools do.
    OutputClosed,
}

impl CliError {
    /// The process exit code.
    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::OutputClosed => 0,
            CliError::Invalid(_) => 1,
            CliError::Storage(_) => 2,
        }
    }

    /// Invalid input, said in English and German.
    pub fn invalid(en: impl Into<String>, de: impl Into<String>) -> Self {
        CliError::Invalid(Text::new(en, de))
    }

    /// A storage failure, said in English and German.
    pub fn storage(en: impl Into<String>, de: impl Into<String>) -> Self {
        CliError::Storage(Text::new(en, de))
    }

    /// The message in `lang`.
    pub fn message(&self, lang: Lang) -> String {
        match self {
            CliError::Invalid(m) | CliError::Storage(m) => m.get(lang).to_owned(),
            CliError::OutputClosed => Lang::pick(
                lang,
                "the reader closed standard output",
                "der Leser hat die Standardausgabe geschlossen",
            )
            .to_owned(),
        }
    }

    /// An engine error, classified: refusals and bad input are 1, storage failures 2.
    /// `context` (a path, a flag, what was being done) opens the message.
    pub fn engine(context: &Text, e: EngineError) -> Self {
        let text = |inner: Text| {
            Text::new(
                format!("{context}: {}", inner.en()),
                format!("{}: {}", context.de(), inner.de()),
            )
        };
        match e {
            EngineError::Io(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                CliError::OutputClosed
            }
            // Bad input, not a storage failure: the store's own words, without the
            // engine's "storage failure:" prefix.
            EngineError::Store(ref inner @ StoreError::InvalidLocation { .. }) => {
                CliError::Invalid(text(store_text(inner)))
            }
            EngineError::Store(_) | EngineError::Corrupt { .. } | EngineError::Io(_) => {
                CliError::Storage(text(engine_text(&e)))
            }
            other => CliError::Invalid(text(engine_text(&other))),
        }
    }

    /// Reading an input file failed.
    pub fn read(path: &Path, e: std::io::Error) -> Self {
        CliError::invalid(
            format!("{}: cannot read: {e}", path.display()),
            format!("{}: nicht lesbar: {}", path.display(), io_de(&e)),
        )
    }

    /// Writing an output file (or standard output) failed.
    pub fn write(path: &Path, e: std::io::Error) -> Self {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            return CliError::OutputClosed;
        }
        CliError::storage(
            format!("{}: cannot write: {e}", path.display()),
            format!("{}: nicht schreibbar: {}", path.display(), io_de(&e)),
        )
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message(Lang::En))
    }
}

/// The result of a subcommand.
pub type CliResult<T = ()> = Result<T, CliError>;

/// An I/O error in German: the kind of failure, and the system's own words where the kind
/// says nothing more.
pub fn io_de(e: &std::io::Error) -> String {
    use std::io::ErrorKind as K;
    let what = match e.kind() {
        K::NotFound => "Datei oder Verzeichnis nicht gefunden",
        K::PermissionDenied => "keine Berechtigung",
        K::AlreadyExists => "existiert bereits",
        K::IsADirectory => "ist ein Verzeichnis",
        K::NotADirectory => "ist kein Verzeichnis",
        K::StorageFull => "kein Platz mehr auf dem Datenträger",
        K::ReadOnlyFilesystem => "das Dateisystem ist schreibgeschützt",
        K::InvalidData => "ungültige Daten",
        K::UnexpectedEof => "unerwartetes Dateiende",
        K::Interrupted => "unterbrochen",
        K::TimedOut => "Zeitüberschreitung",
        _ => return format!("Ein-/Ausgabefehler ({e})"),
    };
    match e.raw_os_error() {
        Some(code) => format!("{what} (Systemfehler {code})"),
        None => what.to_owned(),
    }
}

/// An engine error in English (its `Display`) and German.
pub fn engine_text(e: &EngineError) -> Text {
    let de = match e {
        EngineError::Rejected(r) => format!("Befehl abgelehnt: {}", r.message(Lang::De)),
        EngineError::BatchRejected { index, rejection } => format!(
            "Befehl {index} des Stapels abgelehnt: {}",
            rejection.message(Lang::De)
        ),
        EngineError::CommandConflict { command_id, index } => format!(
            "Die Befehls-Id {command_id}{} wurde schon für einen anderen Befehl verwendet; \
             geben Sie einem neuen Befehl eine neue Id.",
            index.map_or(String::new(), |i| format!(" (Befehl {i} des Stapels)"))
        ),
        EngineError::Store(s) => format!("Speicherfehler: {}", store_text(s).de()),
        EngineError::Corrupt { position, detail } => {
            format!("Das Ereignis an globaler Position {position} ist beschädigt ({detail}).")
        }
        EngineError::Import { line, detail } => {
            format!("Import, Zeile {line}: {detail}")
        }
        EngineError::ImportIntoNonEmpty { last_position } => format!(
            "Der Import braucht einen leeren Speicher; dieser enthält schon Ereignisse bis \
             zur globalen Position {last_position}."
        ),
        EngineError::BeyondEnd { requested, last } => format!(
            "Die Position {requested} liegt hinter dem Ende des Protokolls (letzte Position: {}).",
            last.map_or("keine".to_owned(), |l| l.to_string())
        ),
        EngineError::Io(io) => format!("Ein-/Ausgabefehler: {}", io_de(io)),
        EngineError::Contended { attempts, last } => format!(
            "Nach {attempts} Versuchen aufgegeben: andere Prozesse haben immer zuerst \
             geschrieben (zuletzt: {}). Es wurde nichts geschrieben; versuchen Sie es später \
             erneut.",
            store_text(last).de()
        ),
        other => return Text::from(other.to_string()),
    };
    Text::new(e.to_string(), de)
}

/// Why one command of `okr apply` was not applied, in English (its `Display`) and German.
pub fn refusal_text(r: &okr_store::Refusal) -> Text {
    let de = match r {
        okr_store::Refusal::Rejected(rejection) => rejection.message(Lang::De),
        okr_store::Refusal::Conflict { command_id } => format!(
            "Konflikt: Die Befehls-Id {command_id} wurde schon für einen anderen Befehl \
             verwendet; geben Sie einem neuen Befehl eine neue Id."
        ),
        other => return Text::from(other.to_string()),
    };
    Text::new(r.to_string(), de)
}

/// A store error in English (its `Display`) and German. What the store found (a
/// `NotAnOkrStore` reason, a `Corrupt` detail) and the words of sled, PostgreSQL or the
/// JSON reader that a store error carries stay as the store wrote them.
pub fn store_text(e: &StoreError) -> Text {
    let de = match e {
        StoreError::VersionConflict {
            stream,
            expected,
            actual,
        } => format!(
            "Versionskonflikt im Stream `{stream}`: erwartet {}, vorhanden {}",
            match expected {
                okr_store::ExpectedVersion::Any => "eine beliebige Version".to_owned(),
                okr_store::ExpectedVersion::NoStream => "kein Stream".to_owned(),
                okr_store::ExpectedVersion::Exact(n) => format!("Version {n}"),
            },
            match actual {
                0 => "kein Stream".to_owned(),
                n => format!("Version {n}"),
            }
        ),
        StoreError::CommandConflict { command_id } => {
            format!("Die Befehls-Id {command_id} wurde schon für einen anderen Befehl verwendet.")
        }
        StoreError::EmptyAppend { stream } => {
            format!("Das Anhängen an den Stream `{stream}` enthält keine Ereignisse.")
        }
        StoreError::NotAnOkrStore { path, reason } => format!(
            "{} ist kein okr-Speicher (Befund: {reason})",
            path.display()
        ),
        StoreError::NewerFormat {
            path,
            found,
            supported,
        } => format!(
            "{} hat das Speicherformat {found}, diese Version von okr liest höchstens Format \
             {supported}; verwenden Sie eine neuere Version von okr.",
            path.display()
        ),
        StoreError::Corrupt { location, detail } => {
            format!("Der Speicher unter {location} ist beschädigt: {detail}")
        }
        StoreError::InUse { path, pid, waited } => format!(
            "{} wird von einem anderen okr-Prozess benutzt{}; {} s gewartet (warten Sie \
             länger mit --wait oder beenden Sie diesen Prozess).",
            path.display(),
            pid.map_or(String::new(), |p| format!(" (PID {p})")),
            okr_core::i18n::decimal(waited.as_secs_f64(), 1, Lang::De)
        ),
        StoreError::ReadOnly { path } => format!(
            "{} wurde nur zum Lesen geöffnet; Schreiben braucht einen beschreibbaren Speicher.",
            path.display()
        ),
        StoreError::Missing { path, first, last } => format!(
            "Dem Speicher unter {} fehlen bestätigte Ereignisse: die Positionen {first} bis \
             {last}; auf dem Datenträger wurde nichts geändert. Stellen Sie eine Sicherung \
             wieder her (okr restore) oder bauen Sie den Speicher aus einem Export neu auf \
             (okr import).",
            path.display()
        ),
        StoreError::Io { path, source } => {
            format!(
                "Ein-/Ausgabefehler bei {}: {}",
                path.display(),
                io_de(source)
            )
        }
        StoreError::Halted { path, reason } => format!(
            "Der Speicher unter {} wurde nach einem früheren Fehler angehalten ({reason}); \
             öffnen Sie ihn neu.",
            path.display()
        ),
        StoreError::Sled(source) => format!("Fehler der Datenbank sled: {source}"),
        StoreError::Postgres { location, .. } => {
            let en = e.to_string();
            let detail = en
                .strip_prefix(&format!("PostgreSQL at {location}: "))
                .unwrap_or(&en)
                .to_owned();
            format!("PostgreSQL unter {location}: {detail}")
        }
        StoreError::InvalidLocation { location, reason } => {
            format!("{location}: ungültiger Speicherort ({reason})")
        }
        StoreError::NewerSchema {
            location,
            found,
            supported,
        } => format!(
            "PostgreSQL unter {location} hat das okr-Schema in Version {found}, diese \
             Version von okr kennt höchstens {supported}; verwenden Sie eine neuere Version \
             von okr."
        ),
        StoreError::Serialization(source) => format!("Fehler beim Kodieren als JSON: {source}"),
        StoreError::Upcast {
            event_type,
            from_version,
            detail,
        } => format!(
            "{event_type} lässt sich nicht von Schemaversion {from_version} anheben: {detail}"
        ),
        other => return Text::from(other.to_string()),
    };
    Text::new(e.to_string(), de)
}

/// A message of the strict JSON reading (`okr apply`'s lines) in English and German: German
/// names what kind of failure it is; the reader's own account (field path, line and column,
/// what was expected) follows as okr-wire writes it.
pub fn wire_text(e: &okr_wire::Error) -> Text {
    use okr_wire::Code;
    let what = match e.code {
        Code::InvalidUtf8 => "kein gültiges UTF-8",
        Code::MalformedJson => "kein gültiges JSON",
        Code::InvalidCommand => "kein gültiger Befehl",
        Code::Version => "eine nicht unterstützte Nachrichtenversion",
        Code::TooLarge => "zu groß",
        _ => "ungültig",
    };
    Text::new(
        e.to_string(),
        format!(
            "Die Zeile ist {what}: {}",
            reader_account_de(&e.to_string())
        ),
    )
}

/// The phrases of the strict JSON reader's accounts (okr-wire's own and the serde, serde_json,
/// uuid and chrono texts it passes on) in German, longest first where one contains another.
/// Field paths and names in backticks, numbers and expected Rust types stay as they are; a
/// phrase matches only at word boundaries, and the first phrase of the list that matches at
/// a place wins.
const READER_PHRASES: &[(&str, &str)] = &[
    ("malformed JSON in the line: ", "fehlerhaftes JSON: "),
    ("the line is not valid UTF-8: invalid byte at offset ", "ungültiges Byte an Stelle "),
    ("invalid command at ", "Fehler bei "),
    ("invalid batch at ", "Fehler bei "),
    ("invalid query at ", "Fehler bei "),
    ("invalid options at ", "Fehler bei "),
    ("invalid command: ", ""),
    ("invalid batch: ", ""),
    ("invalid query: ", ""),
    ("invalid options: ", ""),
    ("expected a JSON object, found ", "erwartet wird ein JSON-Objekt, gefunden: "),
    ("unsupported command version ", "nicht unterstützte Befehlsversion "),
    ("; this library reads version ", "; okr liest Version "),
    ("characters; texts may be at most ", "Zeichen; ein Text hat höchstens "),
    ("a text of ", "ein Text mit "),
    ("the key appears more than once", "der Schlüssel kommt mehrfach vor"),
    ("; each key may appear once", "; jeder Schlüssel darf nur einmal vorkommen"),
    ("bytes; a command may be at most ", "Byte; ein Befehl hat höchstens "),
    ("the line is ", "die Zeile hat "),
    ("missing field ", "es fehlt das Feld "),
    ("unknown field ", "unbekanntes Feld "),
    ("unknown variant ", "unbekannte Art "),
    ("there are no fields", "hier gibt es keine Felder"),
    ("there are no variants", "hier gibt es keine Arten"),
    (", expected one of ", ", erwartet wird eines von "),
    ("invalid type: ", "falscher Typ: "),
    ("invalid value: ", "ungültiger Wert: "),
    ("invalid length ", "falsche Länge "),
    ("data did not match any variant of untagged enum ", "passt zu keiner Form von "),
    (", expected ", ", erwartet wird "),
    ("floating point ", "Gleitkommazahl "),
    ("integer ", "Ganzzahl "),
    ("string ", "Zeichenkette "),
    ("boolean ", "Wahrheitswert "),
    ("a string", "eine Zeichenkette"),
    ("a sequence", "eine Liste"),
    ("a map", "ein Objekt"),
    ("sequence", "Liste"),
    ("map", "Objekt"),
    ("null", "null"),
    ("unit value", "leerer Wert"),
    ("EOF while parsing a value", "Ende der Zeile mitten in einem Wert"),
    ("EOF while parsing an object", "Ende der Zeile mitten in einem Objekt"),
    ("EOF while parsing a list", "Ende der Zeile mitten in einer Liste"),
    ("EOF while parsing a string", "Ende der Zeile mitten in einer Zeichenkette"),
    ("trailing characters", "Zeichen nach dem Ende des Werts"),
    ("trailing comma", "Komma am Ende"),
    ("key must be a string", "ein Schlüssel muss eine Zeichenkette sein"),
    ("expected value", "ein Wert fehlt"),
    ("expected ident", "ein Wort (true, false, null) fehlt"),
    ("expected ", "erwartet wird "),
    ("invalid escape", "ungültiges Escape"),
    ("invalid number", "ungültige Zahl"),
    ("number out of range", "Zahl außerhalb des Bereichs"),
    ("invalid unicode code point", "ungültiges Unicode-Zeichen"),
    (
        "control character (\\u0000-\\u001F) found while parsing a string",
        "Steuerzeichen in einer Zeichenkette",
    ),
    ("recursion limit exceeded", "zu tief verschachtelt"),
    ("UUID parsing failed: ", "keine UUID: "),
    ("invalid character: expected an optional prefix of `urn:uuid:` followed by [0-9a-fA-F-], found ", "ungültiges Zeichen, gefunden "),
    ("invalid group count: expected ", "falsche Zahl von Gruppen: erwartet "),
    ("invalid length: expected length ", "falsche Länge: erwartet "),
    (" at 1", " an Stelle 1"),
    ("input contains invalid characters", "die Eingabe enthält ungültige Zeichen"),
    ("premature end of input", "die Eingabe endet zu früh"),
    ("input is out of range", "der Wert liegt außerhalb des Bereichs"),
    ("input is not enough for unique date and time", "die Eingabe reicht für kein eindeutiges Datum mit Uhrzeit"),
    ("trailing input", "Zeichen nach dem Ende"),
    (" at line ", " in Zeile "),
    (" column ", ", Spalte "),
    ("line ", "Zeile "),
    ("column ", "Spalte "),
    (" found ", " gefunden: "),
    (" or ", " oder "),
];

/// The reader's account in German: [`READER_PHRASES`] replaced outside backticks (names,
/// paths and values in backticks stay as they are).
pub fn reader_account_de(en: &str) -> String {
    let mut out = String::with_capacity(en.len() + 16);
    for (i, part) in en.split('`').enumerate() {
        if i > 0 {
            out.push('`');
        }
        if i % 2 == 1 {
            out.push_str(part);
            continue;
        }
        let mut at = 0;
        let word = |c: Option<char>| c.is_some_and(char::is_alphanumeric);
        // Replace phrase by phrase from left to right, only where a phrase starts and ends
        // at a word's boundary, never inside what an earlier phrase wrote.
        'scan: while at < part.len() {
            let before = part[..at].chars().next_back();
            for (from, to) in READER_PHRASES {
                let Some(rest) = part[at..].strip_prefix(from) else {
                    continue;
                };
                let starts = !word(before) || !from.starts_with(char::is_alphanumeric);
                let ends = !word(rest.chars().next()) || !from.ends_with(char::is_alphanumeric);
                if starts && ends {
                    out.push_str(to);
                    at += from.len();
                    continue 'scan;
                }
            }
            let c = part[at..].chars().next().expect("at < len");
            out.push(c);
            at += c.len_utf8();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// English words a German account must not keep.
    const ENGLISH: &[&str] = &[
        "invalid",
        "missing",
        "unknown",
        "expected",
        "found",
        "line",
        "column",
        "field",
        "type",
        "value",
        "string",
        "integer",
        "while",
        "parsing",
        "malformed",
        "offset",
        "trailing",
        "characters",
        "key",
        "appears",
        "once",
        "text",
        "texts",
        "library",
    ];

    fn german(line: &str) -> String {
        let e = okr_wire::parse::command(line.as_bytes(), "the line").unwrap_err();
        let de = wire_text(&e).de().to_owned();
        let mut plain = String::new();
        for (i, part) in de.split('`').enumerate() {
            if i % 2 == 0 {
                plain.push_str(part);
            }
        }
        let left: Vec<_> = plain
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| ENGLISH.contains(&w.to_lowercase().as_str()))
            .collect();
        assert!(
            left.is_empty(),
            "English {left:?} left in: {de} (from: {e})"
        );
        de
    }

    const ENVELOPE: &str = r#""envelope":{"command_id":"00000000-0000-0000-0000-000000000001","actor":"00000000-0000-0000-0000-000000000002","at":"2025-01-06T09:00:00Z"}"#;

    #[test]
    fn the_readers_accounts_read_german() {
        let body = |b: &str| format!("{{{ENVELOPE},\"body\":{b}}}");
        let cases = [
            ("{\"nope\":1}".to_owned(), "es fehlt das Feld `envelope`"),
            ("not json".to_owned(), "in Zeile 1, Spalte 2"),
            (
                "{\"a\":1".to_owned(),
                "Ende der Zeile mitten in einem Objekt",
            ),
            ("[1]".to_owned(), "erwartet wird ein JSON-Objekt"),
            (
                "{\"version\":7}".to_owned(),
                "nicht unterstützte Befehlsversion 7",
            ),
            (
                body(
                    r#"{"type":"check_in","key_result":"00000000-0000-0000-0000-000000000003","value":1,"confidence":256,"note":""}"#,
                ),
                "Fehler bei `body.confidence`: ungültiger Wert: Ganzzahl `256`, erwartet wird u8",
            ),
            (
                body(
                    r#"{"type":"check_in","key_result":"00000000-0000-0000-0000-000000000003","value":"x","confidence":5,"note":""}"#,
                ),
                "falscher Typ: Zeichenkette",
            ),
            (
                body(r#"{"type":"fly_away"}"#),
                "unbekannte Art `fly_away`, erwartet wird eines von",
            ),
            (
                format!("{{{ENVELOPE},\"body\":{{}},\"body\":{{}}}}"),
                "der Schlüssel kommt mehrfach vor",
            ),
            (
                body(
                    r#"{"type":"start_cycle","cycle":"00000000-0000-0000-0000-000000000004","speed":1}"#,
                ),
                "unbekanntes Feld `speed`",
            ),
        ];
        for (line, want) in cases {
            let de = german(&line);
            assert!(de.contains(want), "{de:?} lacks {want:?}");
            assert!(de.starts_with("Die Zeile ist "), "{de}");
        }
    }

    #[test]
    fn phrases_match_at_word_boundaries_only() {
        assert_eq!(reader_account_de("bitmap online"), "bitmap online");
        assert_eq!(reader_account_de("a map or `map`"), "ein Objekt oder `map`");
        assert_eq!(
            reader_account_de("missing field `line` at line 3 column 9"),
            "es fehlt das Feld `line` in Zeile 3, Spalte 9"
        );
    }
}
