//! A realistic, deterministic history for demos, docs and tests: „Total Digital“, the funded
//! project of the intercommunal cooperation „Digitale Kommune@Hessen“ — the cities Gießen,
//! Fulda, Limburg, Marburg, Offenbach and Wetzlar — from 1 July 2022 to 30 June 2024, steered
//! with OKR the way the project did it.
//!
//! [`Demo::build`] produces the commands of those two years: the organisation (the project
//! „Total Digital“ with an external OKR master, the project lead, a Lenkungsausschuss with a
//! representative of every city, and the six cities, each with the one person the funding
//! paid for, working on one topic area: methods, end-to-end process digitalisation with the
//! Fachverfahren connected, RPA, data governance, online services for people, change
//! management — see [`TOPICS`]), two practice sprints with one objective per city, and eight
//! quarters (2022-Q3, a short first quarter after the sprints, to 2024-Q2).
//!
//! The project learns: in the practice sprints and the first quarters most objectives are
//! work orders („RPA-Plattform beschaffen“, „Data-Governance-Konzept erarbeiten“) that the
//! outcome check flags (`objective-reads-like-output`), then fewer each quarter, with a
//! relapse now and then, and none in the last two; the pace of the key results grows with
//! it. Each quarter the project objective (approved by the Lenkungsausschuss in planning,
//! measured by the staff who use a blueprint, the working hours saved a month and the
//! staff's satisfaction with the new procedures) has one aligned objective per city with
//! two „from X to Y“ key results. Every week the cities check in value and confidence (some
//! weeks are skipped, so check-in discipline stays below 100 %), make agreements and resolve
//! the previous week's as kept or missed; every four weeks the OKR master records an
//! agreement for the Lenkungsausschuss. Each quarter one city meets a blocker of a municipal
//! IT project (the staff council and software robots, a Fachverfahren vendor's interface
//! licence, a data protection impact assessment, the municipal IT provider's capacity,
//! public procurement, a vacant post, operation after the funding), escalates it to the
//! Lenkungsausschuss, which decides some days later. Reviews have notes by the OKR master and
//! the Lenkungsausschuss (and one score override with a reason in 2022-Q4), retrospectives
//! have items from the cities and the committee and an action; city objectives that scored
//! below 0.6 are carried over to the next quarter, whose planning gives them new key results.
//! The last carry-overs go to 2024-Q3, left in Planning: the cooperation goes on after the
//! funding.
//!
//! Everything is a pure function: ids are `Uuid::from_u128(DEMO_ID_BASE + n)`, times are
//! fixed dates, variation comes from a fixed integer hash. Every command is accepted by
//! [`decide`](okr_core::decide()) in order; [`Demo::build`] checks that as it goes (it keeps the
//! [`State`]) and counts what a hand count of the events must find ([`DemoFacts`]).
//!
//! ```
//! use okr_fixtures::demo::Demo;
//! use okr_core::{execute, CycleKind, Phase, State};
//!
//! let demo = Demo::build();
//! let mut state = State::new();
//! for command in &demo.commands {
//!     execute(&mut state, command).expect("every demo command is accepted");
//! }
//! assert_eq!(state, demo.state);
//! let regular_closed = state
//!     .cycles
//!     .values()
//!     .filter(|c| c.kind == CycleKind::Regular && c.phase == Phase::Closed)
//!     .count();
//! assert_eq!(regular_closed, 8);
//! assert!(demo.facts.agreements_missed > 0 && demo.facts.check_ins_skipped > 0);
//! ```

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use okr_core::rollup;
use okr_core::{
    AgreementId, AgreementOutcome, BlockerId, Command, CommandBody, CycleId, CycleKind,
    InitiativeId, InitiativeStatus, KeyResultId, KrKind, ObjectiveId, ObjectiveKind, Party,
    PersonId, RetroActionId, RetroItemId, RetroKind, Role, State, UnitId, UnitKind,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Every id of the demo is this plus a running number.
pub const DEMO_ID_BASE: u128 = 0x0de0_0000_0000_4000_8000_0000_0000_0000;

/// The project's name, the name of the root unit.
pub const PROJECT: &str = "Total Digital";

/// The six cities of „Digitale Kommune@Hessen“, in the order of their units.
pub const COMMUNES: [&str; 6] = [
    "Gießen",
    "Fulda",
    "Limburg",
    "Marburg",
    "Offenbach",
    "Wetzlar",
];

/// The topic area each city's project person works on, in the order of [`COMMUNES`]: the
/// blueprints of „Total Digital“ (RPA, end-to-end process digitalisation with the
/// Fachverfahren connected, data governance, change management, methods), end-to-end twice
/// (internal procedures in Fulda, online services for citizens in Offenbach).
pub const TOPICS: [&str; 6] = [
    "Methodenkompetenz und agile Zusammenarbeit",
    "Ende-zu-Ende-Prozessdigitalisierung mit Fachverfahren",
    "Robotic Process Automation (RPA)",
    "Data Governance",
    "Nutzerzentrierte Onlinedienste (Ende-zu-Ende)",
    "Change Management",
];

/// A key result to plan: title, unit of measure, from, to.
#[derive(Debug, Clone, Copy)]
struct KrPlan {
    title: &'static str,
    unit: &'static str,
    from: f64,
    to: f64,
}

const fn kr(title: &'static str, unit: &'static str, from: f64, to: f64) -> KrPlan {
    KrPlan {
        title,
        unit,
        from,
        to,
    }
}

/// What a city objective of a cycle says and measures. Output-style objectives (the early
/// cycles) name no beneficiary, change or value; outcome-style ones name all three.
#[derive(Debug, Clone, Copy)]
struct Theme {
    title: &'static str,
    who: Option<(&'static str, &'static str, &'static str)>,
    krs: [KrPlan; 2],
}

const fn output(title: &'static str, krs: [KrPlan; 2]) -> Theme {
    Theme {
        title,
        who: None,
        krs,
    }
}

const fn outcome(
    title: &'static str,
    beneficiary: &'static str,
    change: &'static str,
    value: &'static str,
    krs: [KrPlan; 2],
) -> Theme {
    Theme {
        title,
        who: Some((beneficiary, change, value)),
        krs,
    }
}

/// Per city (in the order of [`COMMUNES`]): the objectives of the two practice sprints (their
/// first key result only) and of the eight quarters. The wording follows the learning curve
/// of the project: work orders first („einführen“, „erstellen“), outcomes for people later,
/// with a relapse now and then.
const THEMES: [[Theme; 10]; 6] = [
    // Gießen: methods.
    [
        output("OKR-Methode im Projektteam einführen", [kr("Durchgeführte Weeklys", "Weeklys", 0.0, 3.0), kr("", "", 0.0, 0.0)]),
        output("Kanban-Board für das Projektteam einrichten", [kr("Aufgaben auf dem Board", "Aufgaben", 0.0, 40.0), kr("", "", 0.0, 0.0)]),
        output("Schulungsreihe agile Methoden für die Projektkommunen durchführen", [kr("Durchgeführte Schulungen", "Schulungen", 0.0, 6.0), kr("Teilnehmende an den Schulungen", "Personen", 0.0, 60.0)]),
        output("Methodenkoffer für Workshops erstellen", [kr("Methoden im Koffer", "Methoden", 0.0, 20.0), kr("Workshops mit dem Koffer", "Workshops", 0.0, 8.0)]),
        output("Retrospektiven in allen Fachbereichen einführen", [kr("Fachbereiche mit Retrospektive", "Fachbereiche", 0.0, 12.0), kr("Moderierte Retrospektiven", "Retrospektiven", 0.0, 24.0)]),
        outcome("Projektmitarbeitende moderieren ihre Workshops selbst, ohne externe Hilfe", "Projektmitarbeitende der sechs Kommunen", "sie planen und moderieren Workshops eigenständig", "schnellere Abstimmungen, weniger Abhängigkeit von Externen", [kr("Selbst moderierte Workshops je Monat", "Workshops", 1.0, 6.0), kr("Zufriedenheit der Teilnehmenden mit den Workshops", "Punkte", 3.1, 4.0)]),
        outcome("Fachbereiche formulieren ihre Ziele als Wirkung für Bürgerinnen und Bürger", "Bürgerinnen und Bürger", "Fachbereiche beschreiben, was sich für Menschen ändert", "Vorhaben, die bei den Menschen ankommen", [kr("Objectives ohne Output-Hinweis", "%", 40.0, 75.0), kr("Fachbereiche mit eigenen OKR", "Fachbereiche", 2.0, 6.0)]),
        outcome("Teams in Gießen entscheiden im Weekly selbst, statt auf die Amtsleitung zu warten", "Teams der Stadtverwaltung", "sie treffen Entscheidungen im Weekly", "kürzere Wege, mehr Eigenverantwortung", [kr("Entscheidungen im Weekly statt in der Linie", "%", 20.0, 50.0), kr("Tage bis zur Entscheidung", "Tage", 12.0, 5.0)]),
        outcome("Führungskräfte leben OKR vor und berichten im Review selbst über ihre Ergebnisse", "Führungskräfte und ihre Teams", "Führungskräfte berichten selbst im Review", "OKR wird Teil der Führungskultur", [kr("Führungskräfte, die im Review selbst berichten", "%", 30.0, 70.0), kr("Teilnahme der Führungskräfte an Reviews", "%", 50.0, 85.0)]),
        outcome("Mitarbeitende anderer Kommunen nutzen den Methodenbaukasten ohne Anleitung", "Mitarbeitende anderer Kommunen", "sie arbeiten mit dem Baukasten ohne Begleitung", "die Blaupause wirkt über die IKZ hinaus", [kr("Kommunen außerhalb der IKZ, die den Baukasten nutzen", "Kommunen", 0.0, 8.0), kr("Bewertung des Baukastens", "Punkte", 3.4, 4.2)]),
    ],
    // Fulda: end-to-end with the Fachverfahren.
    [
        output("Prozesslandkarte der Gewerbeverwaltung erstellen", [kr("Erfasste Prozesse", "Prozesse", 0.0, 30.0), kr("", "", 0.0, 0.0)]),
        output("Schnittstellenübersicht der Fachverfahren erarbeiten", [kr("Beschriebene Schnittstellen", "Schnittstellen", 0.0, 12.0), kr("", "", 0.0, 0.0)]),
        output("Online-Gewerbeanmeldung an das Fachverfahren anbinden", [kr("Angebundene Antragsarten", "Antragsarten", 0.0, 3.0), kr("Getestete Datensätze", "Datensätze", 0.0, 200.0)]),
        output("E-Rechnung mit dem Finanzverfahren umsetzen", [kr("Umgesetzte Prozessschritte", "Schritte", 0.0, 8.0), kr("Eingegangene E-Rechnungen", "Rechnungen", 0.0, 150.0)]),
        outcome("Gewerbetreibende in Fulda melden ihr Gewerbe online an, ohne Daten ein zweites Mal einzugeben", "Gewerbetreibende", "sie melden online an, die Daten gehen direkt ins Fachverfahren", "schnellere Bestätigung, keine Rückfragen", [kr("Gewerbeanmeldungen ohne manuelle Nacherfassung", "%", 10.0, 60.0), kr("Tage bis zur Gewerbebestätigung", "Tage", 9.0, 3.0)]),
        outcome("Sachbearbeitende der Kämmerei prüfen Rechnungen am Bildschirm statt auf Papier", "Sachbearbeitende der Kämmerei", "sie geben Rechnungen digital frei", "weniger Wege, pünktliche Zahlungen", [kr("Rechnungen, die ohne Ausdruck freigegeben werden", "%", 15.0, 55.0), kr("Tage vom Eingang bis zur Zahlung", "Tage", 21.0, 12.0)]),
        outcome("Bürgerinnen und Bürger verfolgen den Stand ihres Antrags online", "Bürgerinnen und Bürger", "sie sehen den Bearbeitungsstand im Portal", "weniger Unsicherheit, weniger Anrufe", [kr("Anträge mit Statusanzeige im Portal", "%", 5.0, 40.0), kr("Nachfragen zum Bearbeitungsstand je Woche", "Anrufe", 60.0, 30.0)]),
        output("Anbindung des Wohngeldverfahrens an das Serviceportal realisieren", [kr("Angebundene Formulare", "Formulare", 0.0, 4.0), kr("Abgeschlossene Testfälle", "Testfälle", 0.0, 50.0)]),
        outcome("Antragstellende erhalten Wohngeld, ohne Unterlagen nachreichen zu müssen", "Menschen, die Wohngeld beantragen", "sie reichen vollständige Anträge online ein", "das Geld kommt früher an", [kr("Vollständige Wohngeldanträge beim ersten Eingang", "%", 35.0, 65.0), kr("Bearbeitungstage Wohngeld", "Tage", 40.0, 25.0)]),
        outcome("Andere Kommunen nutzen die Ende-zu-Ende-Blaupause Gewerbe für ihre eigenen Anträge", "Gewerbetreibende in anderen Kommunen", "ihre Kommune übernimmt den fertigen Ablauf", "die Blaupause trägt über Fulda hinaus", [kr("Kommunen, die die Blaupause nutzen", "Kommunen", 1.0, 5.0), kr("Tage bis zur Gewerbebestätigung dort", "Tage", 8.0, 3.0)]),
    ],
    // Limburg: RPA.
    [
        output("Katalog geeigneter Prozesse für Software-Roboter erstellen", [kr("Bewertete Prozesse", "Prozesse", 0.0, 25.0), kr("", "", 0.0, 0.0)]),
        output("RPA-Plattform beschaffen", [kr("Eingeholte Angebote", "Angebote", 0.0, 3.0), kr("", "", 0.0, 0.0)]),
        output("Ersten Software-Roboter für den Rechnungseingang entwickeln", [kr("Programmierte Prozessschritte", "Schritte", 0.0, 10.0), kr("Testläufe des Roboters", "Testläufe", 0.0, 30.0)]),
        output("RPA in der Kfz-Zulassung pilotieren", [kr("Pilotierte Vorgänge", "Vorgänge", 0.0, 200.0), kr("Geschulte Mitarbeitende", "Personen", 0.0, 12.0)]),
        outcome("Sachbearbeitende der Zulassungsstelle geben Routinevorgänge an den Software-Roboter ab und gewinnen Zeit für Beratung", "Sachbearbeitende der Zulassungsstelle", "der Roboter erledigt die Routine", "mehr Zeit für Kundinnen und Kunden", [kr("Vorgänge, die der Roboter ohne Nacharbeit erledigt", "%", 20.0, 60.0), kr("Beratungszeit je Kundin und Kunde", "Minuten", 6.0, 10.0)]),
        outcome("Beschäftigte der Personalabteilung erfassen Stammdaten nur noch einmal", "Beschäftigte der Personalabteilung", "der Roboter überträgt die Daten in die Folgesysteme", "weniger Tipparbeit, weniger Fehler", [kr("Doppelt erfasste Stammdaten", "%", 40.0, 10.0), kr("Stunden manueller Übertragung je Monat", "Stunden", 60.0, 20.0)]),
        output("Zehn weitere Bots in drei Kommunen ausrollen", [kr("Ausgerollte Bots", "Bots", 0.0, 10.0), kr("Kommunen mit Bots", "Kommunen", 1.0, 3.0)]),
        outcome("Mitarbeitende in drei Kommunen melden selbst Prozesse für den Software-Roboter an", "Mitarbeitende der Fachbereiche", "sie schlagen eigene Prozesse für RPA vor", "Entlastung dort, wo sie gebraucht wird", [kr("Von Mitarbeitenden gemeldete Prozesse je Quartal", "Prozesse", 3.0, 15.0), kr("Gemeldete Prozesse, die in Betrieb gehen", "%", 20.0, 50.0)]),
        outcome("Beschäftigte der sechs Kommunen haben durch Software-Roboter mehr Zeit für schwierige Fälle", "Beschäftigte der sechs Kommunen", "Roboter übernehmen Routinefälle", "Zeit für Menschen statt für Formulare", [kr("Entlastete Arbeitsstunden je Monat", "Stunden", 120.0, 260.0), kr("Beschäftigte, die die Entlastung im Alltag spüren", "%", 30.0, 60.0)]),
        outcome("Fachbereiche betreiben ihre Software-Roboter nach dem Projektende selbst", "Fachbereiche der sechs Kommunen", "sie verantworten ihre Bots im Alltag", "die Entlastung bleibt nach der Förderung", [kr("Bots mit verantwortlichem Fachbereich", "%", 40.0, 90.0), kr("Störungen, die der Fachbereich selbst behebt", "%", 20.0, 70.0)]),
    ],
    // Marburg: data governance.
    [
        output("Dateninventur der Stadtverwaltung durchführen", [kr("Erfasste Datenbestände", "Datenbestände", 0.0, 40.0), kr("", "", 0.0, 0.0)]),
        output("Rollenmodell für Datenverantwortliche definieren", [kr("Beschriebene Rollen", "Rollen", 0.0, 5.0), kr("", "", 0.0, 0.0)]),
        output("Data-Governance-Konzept erarbeiten", [kr("Fertige Kapitel", "Kapitel", 0.0, 8.0), kr("Abgestimmte Fachbereiche", "Fachbereiche", 0.0, 6.0)]),
        outcome("Fachbereiche in Marburg finden die Daten anderer Ämter, ohne per E-Mail nachzufragen", "Mitarbeitende der Fachbereiche", "sie suchen im Datenkatalog statt per E-Mail", "schnellere Vorlagen, weniger Doppelarbeit", [kr("Datenbestände im Datenkatalog", "Datenbestände", 10.0, 60.0), kr("Datenanfragen per E-Mail je Monat", "Anfragen", 45.0, 25.0)]),
        outcome("Planerinnen und Planer nutzen dieselben Bevölkerungszahlen in allen Ämtern", "Planerinnen und Planer", "alle Ämter ziehen die Zahlen aus einer Quelle", "Vorlagen ohne widersprüchliche Zahlen", [kr("Ämter mit derselben Datenquelle", "Ämter", 2.0, 8.0), kr("Vorlagen mit abweichenden Zahlen je Quartal", "Vorlagen", 12.0, 4.0)]),
        output("Open-Data-Portal veröffentlichen", [kr("Veröffentlichte Datensätze", "Datensätze", 0.0, 30.0), kr("Seitenaufrufe des Portals", "Aufrufe", 0.0, 2000.0)]),
        output("Datenschutz-Folgenabschätzung für das Datenportal fertigstellen", [kr("Bewertete Risiken", "Risiken", 0.0, 15.0), kr("Freigaben der Datenschutzbeauftragten", "Freigaben", 0.0, 6.0)]),
        outcome("Bürgerinnen, Bürger und lokale Unternehmen verwenden offene Daten der Stadt für eigene Angebote", "Bürgerinnen, Bürger und Unternehmen", "sie bauen Angebote auf offenen Daten", "neue Dienste ohne Aufwand für die Verwaltung", [kr("Anwendungen Dritter mit Stadtdaten", "Anwendungen", 1.0, 6.0), kr("Abrufe offener Daten je Monat", "Abrufe", 300.0, 1500.0)]),
        outcome("Datenverantwortliche in allen sechs Kommunen pflegen ihre Datenbestände selbst", "Datenverantwortliche der sechs Kommunen", "sie halten ihre Bestände aktuell", "verlässliche Daten für alle", [kr("Datenbestände mit benannter verantwortlicher Person", "%", 30.0, 80.0), kr("Veraltete Datensätze im Katalog", "%", 35.0, 10.0)]),
        outcome("Verwaltungsmitarbeitende der sechs Kommunen tauschen Daten über gemeinsame Standards aus statt über Excel-Listen", "Verwaltungsmitarbeitende der sechs Kommunen", "sie nutzen die gemeinsame Schnittstelle", "keine Datensilos, weniger Fehler", [kr("Datenaustausche über die gemeinsame Schnittstelle", "%", 10.0, 55.0), kr("Excel-Listen im Umlauf je Monat", "Listen", 80.0, 30.0)]),
    ],
    // Offenbach: online services for people, end to end.
    [
        output("Nutzerbefragung zum Bürgerbüro erstellen", [kr("Fertige Fragen", "Fragen", 0.0, 20.0), kr("", "", 0.0, 0.0)]),
        output("Persona-Steckbriefe für das Bürgerbüro erarbeiten", [kr("Fertige Personas", "Personas", 0.0, 6.0), kr("", "", 0.0, 0.0)]),
        output("Terminbuchung im Bürgerbüro digitalisieren", [kr("Online buchbare Dienstleistungen", "Dienstleistungen", 0.0, 15.0), kr("Eingerichtete Terminkalender", "Kalender", 0.0, 4.0)]),
        outcome("Bürgerinnen und Bürger in Offenbach buchen Termine im Bürgerbüro online und warten nicht mehr in der Schlange", "Bürgerinnen und Bürger", "sie buchen ihren Termin online", "kein Warten vor Ort", [kr("Online gebuchte Termine", "%", 15.0, 45.0), kr("Wartezeit vor Ort", "Minuten", 35.0, 15.0)]),
        output("Usability-Tests für fünf Online-Formulare durchführen", [kr("Durchgeführte Usability-Tests", "Tests", 0.0, 5.0), kr("Befragte Personen", "Personen", 0.0, 40.0)]),
        output("Formulare im Serviceportal überarbeiten", [kr("Überarbeitete Formulare", "Formulare", 0.0, 12.0), kr("Geänderte Textbausteine", "Bausteine", 0.0, 80.0)]),
        outcome("Antragstellende füllen Online-Formulare beim ersten Versuch vollständig aus", "Antragstellende", "sie kommen ohne Abbruch durch das Formular", "weniger Rückfragen, schnellere Bescheide", [kr("Abgebrochene Online-Anträge", "%", 40.0, 20.0), kr("Vollständig eingereichte Anträge", "%", 55.0, 80.0)]),
        outcome("Mitarbeitende im Bürgerbüro beraten mehr und tippen weniger ab", "Mitarbeitende im Bürgerbüro", "Anträge kommen digital an", "Zeit für Beratung", [kr("Abgetippte Papieranträge je Woche", "Anträge", 120.0, 50.0), kr("Beratungsgespräche je Tag", "Gespräche", 18.0, 26.0)]),
        outcome("Menschen mit wenig Deutschkenntnissen verstehen die Online-Dienste der Stadt", "Menschen mit wenig Deutschkenntnissen", "sie stellen Anträge ohne fremde Hilfe", "Teilhabe ohne Umweg über das Amt", [kr("Dienste, die im Test als verständlich gelten", "%", 30.0, 70.0), kr("Rückfragen zu Formularen je Woche", "Rückfragen", 90.0, 40.0)]),
        outcome("Bürgerinnen und Bürger der sechs Kommunen bewerten die Online-Dienste besser", "Bürgerinnen und Bürger der sechs Kommunen", "sie nutzen die Dienste gern und empfehlen sie weiter", "Vertrauen in die digitale Verwaltung", [kr("Bewertung der Online-Dienste", "Sterne", 3.3, 4.0), kr("Weiterempfehlungsquote", "%", 45.0, 65.0)]),
    ],
    // Wetzlar: change management.
    [
        output("Kommunikationsplan für das Projekt erstellen", [kr("Geplante Maßnahmen", "Maßnahmen", 0.0, 15.0), kr("", "", 0.0, 0.0)]),
        output("Newsletter für die Belegschaft veröffentlichen", [kr("Versendete Ausgaben", "Ausgaben", 0.0, 3.0), kr("", "", 0.0, 0.0)]),
        outcome("Beschäftigte in Wetzlar wissen, was Total Digital für ihre Arbeit bedeutet", "Beschäftigte der Stadtverwaltung", "sie kennen das Projekt und fragen nach", "weniger Sorge vor der Veränderung", [kr("Beschäftigte, die das Projekt erklären können", "%", 15.0, 40.0), kr("Fragen an das Projektteam je Monat", "Fragen", 5.0, 25.0)]),
        output("Change-Agent-Netzwerk aufbauen", [kr("Benannte Change Agents", "Personen", 0.0, 20.0), kr("Treffen des Netzwerks", "Treffen", 0.0, 6.0)]),
        output("Schulungen zu den neuen Abläufen anbieten", [kr("Angebotene Schulungstermine", "Termine", 0.0, 12.0), kr("Geschulte Beschäftigte", "Personen", 0.0, 120.0)]),
        outcome("Beschäftigte nutzen die neuen digitalen Abläufe, ohne auf Papier auszuweichen", "Beschäftigte der Stadtverwaltung", "sie bleiben im digitalen Ablauf", "keine Medienbrüche", [kr("Vorgänge, die vollständig digital laufen", "%", 30.0, 60.0), kr("Papierausdrucke je Vorgang", "Seiten", 6.0, 2.0)]),
        outcome("Führungskräfte in Wetzlar sprechen Widerstände früh an und lösen sie im Team", "Führungskräfte und ihre Teams", "Widerstände kommen in Retrospektiven auf den Tisch", "Veränderung ohne Eskalation", [kr("Teams mit Veränderungs-Retrospektive", "Teams", 2.0, 10.0), kr("Beschwerden beim Personalrat zur Digitalisierung", "Beschwerden", 9.0, 3.0)]),
        outcome("Change Agents beantworten die Fragen ihrer Kolleginnen und Kollegen, bevor diese zum Projektteam gehen", "Kolleginnen und Kollegen in den Fachbereichen", "sie bekommen Antworten im eigenen Team", "schnelle Hilfe, Entlastung des Projektteams", [kr("Fragen, die Change Agents selbst klären", "%", 35.0, 70.0), kr("Anfragen an das Projektteam je Monat", "Anfragen", 40.0, 15.0)]),
        outcome("Neue Beschäftigte arbeiten ab der ersten Woche mit den digitalen Abläufen", "neue Beschäftigte", "sie lernen die digitalen Abläufe bei der Einarbeitung", "ein guter Start ohne Papierwege", [kr("Neue Beschäftigte mit digitaler Einarbeitung", "%", 20.0, 75.0), kr("Tage bis zur ersten selbst erledigten E-Akte", "Tage", 20.0, 7.0)]),
        outcome("Beschäftigte der sechs Kommunen tragen Veränderungen nach Projektende selbst weiter", "Beschäftigte der sechs Kommunen", "sie bringen eigene Verbesserungen ein", "die Veränderung bleibt nach der Förderung", [kr("Teams mit eigener Verbesserungsidee je Quartal", "Teams", 4.0, 14.0), kr("Zustimmung: Digitalisierung erleichtert meine Arbeit", "%", 45.0, 65.0)]),
    ],
];

/// The demo's commands, the state they lead to, and the facts a hand count must find.
#[derive(Debug, Clone, PartialEq)]
pub struct Demo {
    /// The commands, in order; each is accepted by `decide` against the state of those before.
    pub commands: Vec<Command>,
    /// The state after every command.
    pub state: State,
    /// What happened, counted while generating.
    pub facts: DemoFacts,
}

/// Counts of what the demo did, for checking statistics by hand.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DemoFacts {
    /// Cycle names in start order (practice sprints first, 2024-Q3 last).
    pub cycles: Vec<String>,
    /// Check-ins given.
    pub check_ins: u64,
    /// City check-ins skipped (a city missed its weekly).
    pub check_ins_skipped: u64,
    /// Agreements resolved as kept.
    pub agreements_kept: u64,
    /// Agreements resolved as missed.
    pub agreements_missed: u64,
    /// Agreements the OKR master recorded for the Lenkungsausschuss in weeklies.
    pub steering_agreements: u64,
    /// Blockers raised (every one is escalated and decided).
    pub blockers: u64,
    /// Days from raising to the committee's decision, per blocker.
    pub escalation_days: Vec<i64>,
    /// Objectives carried over to a later quarter.
    pub carried_over: u64,
    /// Review scores overridden.
    pub overrides: u64,
    /// Review notes (by the OKR master and by the Lenkungsausschuss).
    pub review_notes: u64,
    /// Retrospective items.
    pub retro_items: u64,
    /// Retrospective actions.
    pub retro_actions: u64,
    /// Retrospective actions followed up in the next quarter.
    pub retro_actions_followed_up: u64,
    /// Of those, done.
    pub retro_actions_done: u64,
}

/// The retrospective's action of each quarter, in order: what the team changes in how it
/// works, followed up in the next quarter's retrospective.
const RETRO_ACTIONS: [&str; 8] = [
    "Eine Runde zu Hindernissen in jedes Weekly aufnehmen",
    "Key Results als Wirkung formulieren, Maßnahmen als Initiativen führen",
    "Check-ins bis Montag 12 Uhr eintragen, damit das Weekly vorbereitet ist",
    "Vorlagen für den Lenkungsausschuss zwei Tage vor der Sitzung verschicken",
    "Abhängigkeiten zwischen den Städten in der Planung sichtbar machen",
    "Kennzahlen der Fachverfahren getrennt von den OKR berichten",
    "Neue Kolleginnen und Kollegen in einem Übungssprint einarbeiten",
    "Blaupausen nach jedem Quartal für andere Kommunen veröffentlichen",
];

/// The regular cycles: a short first quarter after the practice sprints, then quarters to
/// the end of the funding.
const QUARTERS: [(&str, &str, &str); 8] = [
    ("2022-Q3", "2022-08-15", "2022-09-30"),
    ("2022-Q4", "2022-10-01", "2022-12-31"),
    ("2023-Q1", "2023-01-01", "2023-03-31"),
    ("2023-Q2", "2023-04-01", "2023-06-30"),
    ("2023-Q3", "2023-07-01", "2023-09-30"),
    ("2023-Q4", "2023-10-01", "2023-12-31"),
    ("2024-Q1", "2024-01-01", "2024-03-31"),
    ("2024-Q2", "2024-04-01", "2024-06-30"),
];

/// The cycle planned after the last quarter (the cooperation goes on after the funding).
const AFTER: (&str, &str, &str) = ("2024-Q3", "2024-07-01", "2024-09-30");

/// The practice sprints: name, start, end.
const SPRINTS: [(&str, &str, &str); 2] = [
    ("Übungssprint 1", "2022-07-04", "2022-07-22"),
    ("Übungssprint 2", "2022-07-25", "2022-08-12"),
];

/// The project objective per quarter: title and whether it names beneficiary, change, value
/// (the first two are work orders, like most objectives of the time).
const PROJECT_TITLES: [&str; 8] = [
    "Blaupausen für die sechs Themengebiete erarbeiten",
    "Gemeinsame Projektplattform und Kanban-Boards für alle sechs Kommunen einrichten",
    "Verwaltungsmitarbeitende der sechs Kommunen werden durch gemeinsame Blaupausen spürbar entlastet",
    "Verwaltungsmitarbeitende der sechs Kommunen werden durch gemeinsame Blaupausen spürbar entlastet",
    "Verwaltungsmitarbeitende der sechs Kommunen werden durch gemeinsame Blaupausen spürbar entlastet",
    "Mitarbeitende, Bürgerinnen und Bürger der sechs Kommunen erleben Abläufe ohne Medienbruch",
    "Mitarbeitende, Bürgerinnen und Bürger der sechs Kommunen erleben Abläufe ohne Medienbruch",
    "Andere Kommunen übernehmen die Blaupausen der sechs Kommunen und entlasten ihre Beschäftigten",
];

/// The project's key results, quarter by quarter: staff using a blueprint 0 → 600, hours
/// saved a month 0 → 450, the staff's satisfaction with the new procedures 2.6 → 4.0.
const PROJECT_USERS: [(f64, f64); 8] = [
    (0.0, 40.0),
    (30.0, 90.0),
    (80.0, 160.0),
    (150.0, 240.0),
    (230.0, 330.0),
    (320.0, 420.0),
    (410.0, 520.0),
    (500.0, 600.0),
];
const PROJECT_HOURS: [(f64, f64); 8] = [
    (0.0, 20.0),
    (15.0, 60.0),
    (50.0, 110.0),
    (100.0, 170.0),
    (160.0, 240.0),
    (230.0, 310.0),
    (300.0, 380.0),
    (370.0, 450.0),
];
const PROJECT_SATISFACTION: [(f64, f64); 8] = [
    (2.6, 2.8),
    (2.7, 2.9),
    (2.8, 3.0),
    (2.9, 3.2),
    (3.1, 3.4),
    (3.3, 3.6),
    (3.5, 3.8),
    (3.7, 4.0),
];

const AGREEMENTS: [&str; 6] = [
    "Prozessaufnahme mit dem Fachbereich terminieren",
    "Rückmeldung an die Datenschutzbeauftragte geben",
    "Zwei Sachbearbeitende zum neuen Ablauf befragen",
    "Blaupause im gemeinsamen Wiki aktualisieren",
    "Kennzahl für den Check-in aus dem Fachverfahren ziehen",
    "Ergebnis im Kanban-Board für die anderen Kommunen dokumentieren",
];

const STEERING_AGREEMENTS: [&str; 4] = [
    "Lenkungsausschuss klärt die Freigabe der Haushaltsmittel für Lizenzen",
    "Lenkungsausschuss stimmt den Termin der nächsten Review mit den Amtsleitungen ab",
    "Lenkungsausschuss benennt Ansprechpersonen in den Personalräten",
    "Lenkungsausschuss berichtet dem Ministerium über den Projektstand",
];

/// Per quarter: the blocked city (index into [`COMMUNES`]), the blocker, the
/// Lenkungsausschuss's decision and the days it took.
const BLOCKERS: [(usize, &str, &str, i64); 8] = [
    (
        2,
        "Der Personalrat hat dem Einsatz von Software-Robotern noch nicht zugestimmt",
        "Rahmendienstvereinbarung RPA mit den Personalräten der sechs Kommunen; bis dahin nur Testbetrieb",
        6,
    ),
    (
        1,
        "Der Hersteller des Fachverfahrens stellt die Schnittstelle nur gegen eine Zusatzlizenz bereit",
        "Die sechs Kommunen verhandeln gemeinsam mit dem Hersteller; die Lizenz wird aus dem Projektbudget bezahlt",
        10,
    ),
    (
        3,
        "Die Datenschutzbeauftragten verlangen vor dem Start eine Datenschutz-Folgenabschätzung",
        "Eine gemeinsame Folgenabschätzung für alle sechs Kommunen, federführend Marburg",
        5,
    ),
    (
        2,
        "Der kommunale IT-Dienstleister stellt die RPA-Umgebung erst im nächsten Quartal bereit",
        "Übergangsweise Betrieb auf der Testumgebung in Limburg; der Lenkungsausschuss priorisiert beim Dienstleister",
        8,
    ),
    (
        5,
        "Die Fachbereiche stellen keine Zeit für die Prozessaufnahme bereit",
        "Die Amtsleitungen geben je Prozess zwei Arbeitstage für die Prozessaufnahme frei",
        4,
    ),
    (
        0,
        "Die Vergabe des Moderationstrainings verzögert sich im Vergabeverfahren",
        "Direktauftrag unterhalb der Wertgrenze über den Rahmenvertrag der Stadt Gießen",
        7,
    ),
    (
        4,
        "Die Projektstelle in Offenbach ist seit zwei Monaten unbesetzt",
        "Fulda übernimmt übergangsweise die Nutzertests für Offenbach; die Stelle wird sofort neu ausgeschrieben",
        9,
    ),
    (
        2,
        "Für den Betrieb der Software-Roboter nach dem Förderende gibt es keine Haushaltsstelle",
        "Die Kommunen übernehmen den Betrieb anteilig ab 1. Juli 2024; die Beschlussvorlagen für die Magistrate sind vorbereitet",
        11,
    ),
];

/// A fixed integer hash (splitmix64 of the folded inputs): the demo's only variation.
fn mix(parts: &[u64]) -> u64 {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for p in parts {
        x ^= p.wrapping_add(0x9e37_79b9_7f4a_7c15).wrapping_add(x << 6);
        x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = x;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        x = z ^ (z >> 31);
    }
    x
}

fn date(s: &str) -> NaiveDate {
    s.parse().expect("the demo's dates are valid")
}

fn at(d: NaiveDate, hour: u32, minute: u32) -> DateTime<Utc> {
    Utc.from_utc_datetime(&d.and_hms_opt(hour, minute, 0).expect("valid time"))
}

fn round_to(v: f64, places: i32) -> f64 {
    let f = 10f64.powi(places);
    (v * f).round() / f
}

/// One city of the cooperation: its unit and its project person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Commune {
    /// The city's name, one of [`COMMUNES`].
    pub name: &'static str,
    /// The topic area its project person works on, one of [`TOPICS`].
    pub topic: &'static str,
    /// The city's unit, below the project.
    pub unit: UnitId,
    /// The one person the funding paid for in this city („Projektmitarbeit“): Lead of the
    /// city's unit, drafts, commits, checks in, escalates.
    pub person: PersonId,
    /// The city's representative on the Lenkungsausschuss (role Steering there).
    pub steering: PersonId,
}

/// The demo's organisation: the commands that set it up and the ids a caller needs to go on.
///
/// The project „Total Digital“ (an organisation unit) with its external OKR master Christian
/// Konz (ibo) and the project lead; the Lenkungsausschuss below it, a committee with one
/// representative per city (Hendrik Schaus, Leiter der Stabsstelle Organisationsentwicklung &
/// digitale Strategie of the Universitätsstadt Gießen, for Gießen); and the six
/// [`COMMUNES`] as organisation units below the project, each with its project person. All
/// commands are given by the OKR master at 2022-07-01 08:00 UTC; the ids are
/// `DEMO_ID_BASE + 1` onwards, up to `DEMO_ID_BASE + ids_used`. [`Demo::build`] starts with
/// exactly these commands.
///
/// ```
/// use okr_fixtures::demo::{Organisation, COMMUNES};
/// use okr_core::{execute, Role, State};
///
/// let org = Organisation::build();
/// let mut state = State::new();
/// for command in &org.commands {
///     execute(&mut state, command).expect("the set-up is accepted");
/// }
/// assert_eq!(state.units.len(), 2 + COMMUNES.len());
/// assert_eq!(state.people.len(), 2 + 2 * COMMUNES.len());
/// assert_eq!(org.communes[1].name, "Fulda");
/// assert!(state.units[&org.communes[1].unit].parent == Some(org.federation));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Organisation {
    /// The set-up commands, in order; each is accepted against the state of those before.
    pub commands: Vec<Command>,
    /// The project „Total Digital“, the root unit.
    pub federation: UnitId,
    /// The Lenkungsausschuss, a committee below the project.
    pub steering: UnitId,
    /// The external OKR master; gives every set-up command.
    pub master: PersonId,
    /// Gießen's representative on the Lenkungsausschuss (Hendrik Schaus), who records the
    /// committee's decisions and approvals in the demo.
    pub chair: PersonId,
    /// The project lead (Lead of the project).
    pub project_lead: PersonId,
    /// The six cities, in the order of [`COMMUNES`].
    pub communes: Vec<Commune>,
    /// How many ids of the `DEMO_ID_BASE + n` sequence the set-up used (`n` = 1 ..= this).
    pub ids_used: u128,
}

impl Organisation {
    /// The organisation set-up alone. Deterministic: every call gives the same commands,
    /// and they equal the first commands of [`Demo::build`].
    ///
    /// # Panics
    /// Only on a generator bug (a command `decide` refuses).
    pub fn build() -> Organisation {
        let mut b = Builder::new();
        let mut org = b.organisation();
        org.commands = b.commands;
        org
    }
}

/// A key result in flight: who checks in, from/to, how fast it moves.
#[derive(Clone)]
struct LiveKr {
    id: KeyResultId,
    owner: PersonId,
    /// The city (index) or `None` for the project.
    commune: Option<usize>,
    plan: KrPlanOwned,
    /// Share of the way covered by the end of the cycle, in percent.
    pace: u64,
    last: f64,
}

#[derive(Clone)]
struct KrPlanOwned {
    title: String,
    unit: String,
    from: f64,
    to: f64,
}

impl From<KrPlan> for KrPlanOwned {
    fn from(p: KrPlan) -> Self {
        KrPlanOwned {
            title: p.title.into(),
            unit: p.unit.into(),
            from: p.from,
            to: p.to,
        }
    }
}

struct Builder {
    state: State,
    commands: Vec<Command>,
    next: u128,
    facts: DemoFacts,
}

impl Builder {
    fn new() -> Builder {
        Builder {
            state: State::new(),
            commands: Vec::new(),
            next: 0,
            facts: DemoFacts::default(),
        }
    }

    /// Runs the organisation set-up; the returned value has no commands (they are in `self`).
    fn organisation(&mut self) -> Organisation {
        let b = self;
        let t0 = at(date("2022-07-01"), 8, 0);
        let master = PersonId(b.id());
        let federation = UnitId(b.id());
        b.run(
            master,
            t0,
            CommandBody::DefineUnit {
                unit: federation,
                name: PROJECT.into(),
                kind: UnitKind::Organisation,
                parent: None,
            },
        );
        b.run(
            master,
            t0,
            CommandBody::RegisterPerson {
                person: master,
                name: "Christian Konz (OKR Master, ibo)".into(),
            },
        );
        b.run(
            master,
            t0,
            CommandBody::GrantMembership {
                unit: federation,
                person: master,
                role: Role::OkrMaster,
            },
        );
        let steering = UnitId(b.id());
        b.run(
            master,
            t0,
            CommandBody::DefineUnit {
                unit: steering,
                name: "Lenkungsausschuss".into(),
                kind: UnitKind::Committee,
                parent: Some(federation),
            },
        );
        let project_lead = PersonId(b.id());
        b.run(
            master,
            t0,
            CommandBody::RegisterPerson {
                person: project_lead,
                name: "Projektleitung Total Digital".into(),
            },
        );
        b.run(
            master,
            t0,
            CommandBody::GrantMembership {
                unit: federation,
                person: project_lead,
                role: Role::Lead,
            },
        );
        let mut communes = Vec::new();
        for (name, topic) in COMMUNES.into_iter().zip(TOPICS) {
            let unit = UnitId(b.id());
            let person = PersonId(b.id());
            let representative = PersonId(b.id());
            b.run(
                master,
                t0,
                CommandBody::DefineUnit {
                    unit,
                    name: name.into(),
                    kind: UnitKind::Organisation,
                    parent: Some(federation),
                },
            );
            let representative_name = if name == "Gießen" {
                "Hendrik Schaus (Stabsstelle Organisationsentwicklung & digitale Strategie, Gießen)"
                    .to_owned()
            } else {
                format!("Vertretung {name} im Lenkungsausschuss")
            };
            for (p, who, in_unit, role) in [
                (
                    person,
                    format!("Projektmitarbeit {name} ({topic})"),
                    unit,
                    Role::Lead,
                ),
                (
                    representative,
                    representative_name,
                    steering,
                    Role::Steering,
                ),
            ] {
                b.run(
                    master,
                    t0,
                    CommandBody::RegisterPerson {
                        person: p,
                        name: who,
                    },
                );
                b.run(
                    master,
                    t0,
                    CommandBody::GrantMembership {
                        unit: in_unit,
                        person: p,
                        role,
                    },
                );
            }
            communes.push(Commune {
                name,
                topic,
                unit,
                person,
                steering: representative,
            });
        }
        Organisation {
            commands: Vec::new(),
            federation,
            steering,
            master,
            chair: communes[0].steering,
            project_lead,
            communes,
            ids_used: b.next,
        }
    }

    fn id(&mut self) -> Uuid {
        self.next += 1;
        Uuid::from_u128(DEMO_ID_BASE + self.next)
    }

    fn run(&mut self, actor: PersonId, when: DateTime<Utc>, body: CommandBody) {
        let command = Command::new(self.id(), actor, when, body);
        if let Err(rejection) = okr_core::execute(&mut self.state, &command) {
            panic!(
                "demo generator bug: {} refused: {rejection}",
                command.body.name()
            );
        }
        self.commands.push(command);
    }

    fn kr_kind(plan: &KrPlanOwned) -> KrKind {
        if plan.to >= plan.from {
            KrKind::Increase {
                baseline: Some(plan.from),
                target: plan.to,
                unit: plan.unit.as_str().into(),
            }
        } else {
            KrKind::Decrease {
                baseline: Some(plan.from),
                target: plan.to,
                unit: plan.unit.as_str().into(),
            }
        }
    }
}

/// The value a key result has reached after `week` of `weeks` at `pace` percent, with a
/// little deterministic noise; stalled weeks keep the last value.
fn value_at(kr: &LiveKr, week: u64, weeks: u64, salt: u64) -> f64 {
    let frac = kr.pace as f64 / 100.0 * week as f64 / weeks as f64;
    let noise = (mix(&[salt, week, 7]) % 7) as f64 / 100.0 - 0.03;
    let f = (frac + noise * (week as f64 / weeks as f64)).max(0.0);
    let (from, to) = (kr.plan.from, kr.plan.to);
    let places = if from.fract() == 0.0 && to.fract() == 0.0 && kr.plan.unit != "%" {
        // Counts (workshops, processes, hours) are whole numbers.
        0
    } else if (to - from).abs() < 5.0 {
        2
    } else {
        1
    };
    round_to(kr.plan.from + (kr.plan.to - kr.plan.from) * f, places)
}

impl Demo {
    /// Builds the whole demo history. Deterministic: every call gives the same commands.
    ///
    /// # Panics
    /// Only on a generator bug (a command `decide` refuses); a test guards against that.
    pub fn build() -> Demo {
        let mut b = Builder::new();
        let Organisation {
            federation,
            steering,
            master,
            chair,
            project_lead,
            communes,
            ..
        } = b.organisation();

        // --- Two practice sprints: one objective per city, with one key result. ---
        for (si, (name, start, end)) in SPRINTS.into_iter().enumerate() {
            let (start, end) = (date(start), date(end));
            let cycle = CycleId(b.id());
            b.facts.cycles.push(name.into());
            b.run(
                master,
                at(start, 8, 0),
                CommandBody::PlanCycle {
                    cycle,
                    name: name.into(),
                    kind: CycleKind::Practice,
                    start,
                    end,
                    check_in_weekday: (start + Duration::days(6)).weekday(),
                    policy: None,
                },
            );
            let mut krs = Vec::new();
            for (i, c) in communes.iter().enumerate() {
                let theme = THEMES[i][si];
                let objective = ObjectiveId(b.id());
                let key_result = KeyResultId(b.id());
                b.run(
                    c.person,
                    at(start, 10, 3 * i as u32),
                    draft(
                        cycle,
                        objective,
                        c.unit,
                        &theme,
                        ObjectiveKind::Aspirational,
                        1,
                    ),
                );
                let plan = KrPlanOwned::from(theme.krs[0]);
                b.run(
                    c.person,
                    at(start, 10, 3 * i as u32 + 1),
                    CommandBody::AddKeyResult {
                        objective,
                        key_result,
                        title: plan.title.clone(),
                        kind: Builder::kr_kind(&plan),
                        weight: 1,
                        owner: Some(c.person),
                    },
                );
                b.run(
                    c.person,
                    at(start, 10, 3 * i as u32 + 2),
                    CommandBody::CommitObjective { objective },
                );
                krs.push(LiveKr {
                    id: key_result,
                    owner: c.person,
                    commune: Some(i),
                    last: plan.from,
                    plan,
                    pace: 40 + mix(&[si as u64, i as u64, 1]) % 60,
                });
            }
            b.run(master, at(start, 13, 0), CommandBody::StartCycle { cycle });
            let weeks = 3;
            for week in 1..=weeks {
                let day = (start + Duration::days(7 * week as i64 - 1)).min(end);
                for (k, kr) in krs.iter_mut().enumerate() {
                    if week == 2 && mix(&[si as u64, k as u64, 2]) % 3 == 0 {
                        b.facts.check_ins_skipped += 1;
                        continue;
                    }
                    let v = value_at(kr, week, weeks, mix(&[si as u64, k as u64]));
                    kr.last = v;
                    b.run(
                        kr.owner,
                        at(day, 9, k as u32),
                        CommandBody::CheckIn {
                            key_result: kr.id,
                            value: v,
                            confidence: (4 + week + kr.pace / 40).min(10) as u8,
                            note: String::new(),
                            effective_at: None,
                        },
                    );
                    b.facts.check_ins += 1;
                }
            }
            b.run(
                master,
                at(end, 14, 0),
                CommandBody::BeginReview {
                    cycle,
                    early_reason: None,
                },
            );
            b.run(
                master,
                at(end, 15, 0),
                CommandBody::BeginRetrospective { cycle },
            );
            let retro = [
                (
                    communes[si].person,
                    RetroKind::Keep,
                    "Das Weekly in 15 Minuten hält alle sechs Kommunen auf dem Laufenden",
                ),
                (
                    communes[si].person,
                    RetroKind::Improve,
                    "Unsere Objectives beschreiben Aufgaben; im nächsten Zyklus die Wirkung für Menschen formulieren",
                ),
            ];
            let (person, kind, text) = retro[si];
            let item = RetroItemId(b.id());
            b.run(
                person,
                at(end, 15, 30),
                CommandBody::AddRetroItem {
                    cycle,
                    item,
                    kind,
                    text: text.into(),
                },
            );
            b.facts.retro_items += 1;
            b.run(master, at(end, 16, 0), CommandBody::CloseCycle { cycle });
        }

        // --- Eight quarters. ---
        let mut carried_in: Vec<(ObjectiveId, usize, Vec<LiveKr>)> = Vec::new();
        let mut next_cycle: Option<CycleId> = None;
        let mut override_done = false;
        let mut steering_turn = 0usize;
        let mut planning_day = date(SPRINTS[1].2);
        // The action of the quarter before, followed up in this quarter's retrospective.
        let mut last_action: Option<RetroActionId> = None;
        for (q, (name, start, end)) in QUARTERS.into_iter().enumerate() {
            let (start, end) = (date(start), date(end));
            let qs = q as u64;
            let cycle = match next_cycle.take() {
                Some(c) => c,
                None => {
                    let cycle = CycleId(b.id());
                    b.run(
                        master,
                        at(planning_day, 16, 30),
                        CommandBody::PlanCycle {
                            cycle,
                            name: name.into(),
                            kind: CycleKind::Regular,
                            start,
                            end,
                            check_in_weekday: (start + Duration::days(6)).weekday(),
                            policy: None,
                        },
                    );
                    cycle
                }
            };
            b.facts.cycles.push(name.into());
            let plan_at = |minute: u32| at(planning_day, 17, minute.min(59));
            let mut minute = 0u32;
            let mut tick = || {
                minute += 1;
                minute
            };

            // The project objective, approved by the Lenkungsausschuss in the planning.
            let fed = ObjectiveId(b.id());
            let who = (q >= 2).then_some((
                "Verwaltungsmitarbeitende, Bürgerinnen und Bürger der sechs Kommunen",
                "sie arbeiten mit den gemeinsamen Blaupausen statt mit Papier und Doppelarbeit",
                "mehr Zeit für die Anliegen der Menschen, eine Blaupause für andere Kommunen",
            ));
            let theme = Theme {
                title: PROJECT_TITLES[q],
                who,
                krs: [kr("", "", 0.0, 0.0); 2],
            };
            b.run(
                project_lead,
                plan_at(tick()),
                draft(
                    cycle,
                    fed,
                    federation,
                    &theme,
                    ObjectiveKind::Aspirational,
                    2,
                ),
            );
            let mut live: Vec<LiveKr> = Vec::new();
            for (k, (title, unit, (from, to), weight)) in [
                (
                    "Verwaltungsmitarbeitende, die eine Blaupause im Alltag nutzen",
                    "Personen",
                    PROJECT_USERS[q],
                    2,
                ),
                (
                    "Durch Software-Roboter und Ende-zu-Ende-Abläufe eingesparte Arbeitsstunden je Monat",
                    "Stunden",
                    PROJECT_HOURS[q],
                    1,
                ),
                (
                    "Zufriedenheit der Mitarbeitenden mit den neuen Abläufen",
                    "Punkte",
                    PROJECT_SATISFACTION[q],
                    1,
                ),
            ]
            .into_iter()
            .enumerate()
            {
                let id = KeyResultId(b.id());
                let plan = KrPlanOwned {
                    title: title.into(),
                    unit: unit.into(),
                    from,
                    to,
                };
                b.run(
                    project_lead,
                    plan_at(tick()),
                    CommandBody::AddKeyResult {
                        objective: fed,
                        key_result: id,
                        title: title.into(),
                        kind: Builder::kr_kind(&plan),
                        weight,
                        owner: Some(project_lead),
                    },
                );
                live.push(LiveKr {
                    id,
                    owner: project_lead,
                    commune: None,
                    plan,
                    pace: 60 + 4 * qs + mix(&[qs, k as u64, 3]) % 35,
                    last: from,
                });
            }

            // Carried-over objectives get new key results first.
            let mut commune_objectives: Vec<(ObjectiveId, usize)> = Vec::new();
            for (objective, i, old_krs) in carried_in.drain(..) {
                let c = &communes[i];
                for old in old_krs {
                    let id = KeyResultId(b.id());
                    let plan = KrPlanOwned {
                        title: old.plan.title.clone(),
                        unit: old.plan.unit.clone(),
                        from: old.last,
                        to: old.plan.to,
                    };
                    if plan.from == plan.to {
                        continue;
                    }
                    b.run(
                        c.person,
                        plan_at(tick()),
                        CommandBody::AddKeyResult {
                            objective,
                            key_result: id,
                            title: plan.title.clone(),
                            kind: Builder::kr_kind(&plan),
                            weight: 1,
                            owner: Some(c.person),
                        },
                    );
                    live.push(LiveKr {
                        id,
                        owner: c.person,
                        commune: Some(i),
                        last: plan.from,
                        plan,
                        pace: 75 + mix(&[qs, i as u64, 4]) % 40,
                    });
                }
                b.run(
                    c.person,
                    plan_at(tick()),
                    CommandBody::AlignObjective {
                        objective,
                        parent: fed,
                        contribution: 1,
                    },
                );
                b.run(
                    c.person,
                    plan_at(tick()),
                    CommandBody::CommitObjective { objective },
                );
                commune_objectives.push((objective, i));
            }

            // One new objective per city, on its topic, aligned to the project's.
            for (i, c) in communes.iter().enumerate() {
                let theme = THEMES[i][2 + q];
                let objective = ObjectiveId(b.id());
                let kind = if (i + q) % 3 == 0 {
                    ObjectiveKind::Aspirational
                } else {
                    ObjectiveKind::Committed
                };
                b.run(
                    c.person,
                    plan_at(tick()),
                    draft(cycle, objective, c.unit, &theme, kind, 1),
                );
                b.run(
                    c.person,
                    plan_at(tick()),
                    CommandBody::AlignObjective {
                        objective,
                        parent: fed,
                        contribution: 1,
                    },
                );
                for (k, p) in theme.krs.iter().enumerate() {
                    let id = KeyResultId(b.id());
                    let plan = KrPlanOwned::from(*p);
                    b.run(
                        c.person,
                        plan_at(tick()),
                        CommandBody::AddKeyResult {
                            objective,
                            key_result: id,
                            title: plan.title.clone(),
                            kind: Builder::kr_kind(&plan),
                            weight: 1,
                            owner: Some(c.person),
                        },
                    );
                    if k == 0 {
                        let initiative = InitiativeId(b.id());
                        b.run(
                            c.person,
                            plan_at(tick()),
                            CommandBody::AddInitiative {
                                key_result: id,
                                initiative,
                                title: format!("Blaupause {}: nächster Schritt", c.topic),
                                effort: 1 + (mix(&[qs, i as u64, 5]) % 5) as u8,
                                impact: 1 + (mix(&[qs, i as u64, 6]) % 5) as u8,
                            },
                        );
                    }
                    live.push(LiveKr {
                        id,
                        owner: c.person,
                        commune: Some(i),
                        last: plan.from,
                        plan,
                        // The learning curve: later quarters move further.
                        pace: 35 + 6 * qs + mix(&[qs, i as u64, k as u64, 8]) % 70,
                    });
                }
                b.run(
                    c.person,
                    plan_at(tick()),
                    CommandBody::CommitObjective { objective },
                );
                commune_objectives.push((objective, i));
            }
            // The Lenkungsausschuss approves the project objective once the cities aligned
            // theirs to it (a cross-unit objective), then the project lead commits it.
            b.run(
                chair,
                plan_at(tick()),
                CommandBody::ApproveObjective {
                    objective: fed,
                    committee: steering,
                },
            );
            b.run(
                project_lead,
                plan_at(tick()),
                CommandBody::CommitObjective { objective: fed },
            );

            b.run(master, at(start, 8, 0), CommandBody::StartCycle { cycle });

            // The weeklies.
            let weeks = ((end - start).num_days() as u64 + 1).div_ceil(7);
            let (blocked_commune, blocker_text, decision_text, lead_days) = BLOCKERS[q];
            let blocker = BlockerId(b.id());
            let mut open: Vec<(AgreementId, usize)> = Vec::new();
            let mut open_steering: Option<AgreementId> = None;
            let mut pending_decision: Option<DateTime<Utc>> = None;
            for week in 1..=weeks {
                let day = (start + Duration::days(7 * week as i64 - 1)).min(end);
                if let Some(when) = pending_decision {
                    if when < at(day, 8, 0) {
                        pending_decision = None;
                        b.run(
                            chair,
                            when,
                            CommandBody::DecideBlocker {
                                blocker,
                                decision: decision_text.into(),
                            },
                        );
                    }
                }
                for (agreement, i) in open.drain(..) {
                    let outcome = if mix(&[qs, week, i as u64, 9]) % 4 == 0 {
                        b.facts.agreements_missed += 1;
                        AgreementOutcome::Missed
                    } else {
                        b.facts.agreements_kept += 1;
                        AgreementOutcome::Kept
                    };
                    b.run(
                        communes[i].person,
                        at(day, 8, 30 + i as u32),
                        CommandBody::ResolveAgreement {
                            agreement,
                            outcome,
                            weekly: None,
                        },
                    );
                }
                if let Some(agreement) = open_steering.take() {
                    b.facts.agreements_kept += 1;
                    b.run(
                        master,
                        at(day, 8, 45),
                        CommandBody::ResolveAgreement {
                            agreement,
                            outcome: AgreementOutcome::Kept,
                            weekly: None,
                        },
                    );
                }
                let skipping: Vec<bool> = (0..6)
                    .map(|i| week > 1 && week < weeks && mix(&[qs, i, week, 10]) % 8 == 0)
                    .collect();
                let stalled = |kr: &LiveKr| {
                    kr.commune == Some(blocked_commune)
                        && (3..3 + (lead_days as u64 + 13) / 7 + 1).contains(&week)
                };
                for (k, kr) in live.iter_mut().enumerate() {
                    if let Some(i) = kr.commune {
                        if skipping[i] {
                            b.facts.check_ins_skipped += 1;
                            continue;
                        }
                    }
                    let is_stalled = stalled(kr);
                    let v = if is_stalled {
                        kr.last
                    } else {
                        value_at(kr, week, weeks, mix(&[qs, k as u64, 11]))
                    };
                    kr.last = v;
                    let expected = week as f64 / weeks as f64;
                    let got = if kr.plan.to == kr.plan.from {
                        1.0
                    } else {
                        (v - kr.plan.from) / (kr.plan.to - kr.plan.from)
                    };
                    let ratio = if expected > 0.0 { got / expected } else { 1.0 };
                    let confidence = if is_stalled {
                        3
                    } else {
                        (2.0 + 6.0 * ratio).round().clamp(1.0, 10.0) as u8
                    };
                    b.run(
                        kr.owner,
                        at(day, 9, (k % 60) as u32),
                        CommandBody::CheckIn {
                            key_result: kr.id,
                            value: v,
                            confidence,
                            note: if is_stalled {
                                "wartet auf die Entscheidung des Lenkungsausschusses".into()
                            } else {
                                String::new()
                            },
                            effective_at: None,
                        },
                    );
                    b.facts.check_ins += 1;
                }
                for (i, c) in communes.iter().enumerate() {
                    if skipping[i] || week % 2 == 0 || week == weeks {
                        continue;
                    }
                    let agreement = AgreementId(b.id());
                    b.run(
                        c.person,
                        at(day, 10, i as u32),
                        CommandBody::MakeAgreement {
                            cycle,
                            agreement,
                            unit: c.unit,
                            text: AGREEMENTS[(mix(&[qs, week, i as u64, 12]) % 6) as usize].into(),
                            owner: Some(c.person),
                            due: Some(day + Duration::days(7)),
                            weekly: None,
                            provider: None,
                            provides: None,
                            receiver: None,
                            consequence: None,
                        },
                    );
                    open.push((agreement, i));
                }
                // The Lenkungsausschuss takes part in the weekly every four weeks; the OKR
                // master, who moderates, records what it took on.
                if week % 4 == 1 && week < weeks {
                    let agreement = AgreementId(b.id());
                    let city = &communes[steering_turn % communes.len()];
                    b.run(
                        master,
                        at(day, 10, 30),
                        CommandBody::MakeAgreement {
                            cycle,
                            agreement,
                            unit: federation,
                            text: STEERING_AGREEMENTS[steering_turn % STEERING_AGREEMENTS.len()]
                                .into(),
                            owner: Some(city.steering),
                            due: Some(day + Duration::days(7)),
                            weekly: None,
                            // Mutual: the city's project person prepares what the
                            // Lenkungsausschuss needs to decide.
                            provider: Some(Party::Person(city.person)),
                            provides: Some(
                                "eine entscheidungsreife Vorlage bis zwei Tage vor der Sitzung"
                                    .into(),
                            ),
                            receiver: Some(Party::Unit(federation)),
                            consequence: Some(
                                "Ohne Vorlage wird das Thema als Eskalation in der nächsten \
                                 Sitzung des Lenkungsausschusses entschieden"
                                    .into(),
                            ),
                        },
                    );
                    steering_turn += 1;
                    b.facts.steering_agreements += 1;
                    open_steering = Some(agreement);
                }
                if week == 2 || week == 10 {
                    // The board moves: initiatives go to doing, later to done.
                    let status = if week == 2 {
                        InitiativeStatus::Doing
                    } else {
                        InitiativeStatus::Done
                    };
                    let ids: Vec<(InitiativeId, usize)> = b.state.cycles[&cycle]
                        .initiatives
                        .values()
                        .filter_map(|ini| {
                            let kr = b.state.key_result(ini.key_result)?;
                            let unit = b.state.objective(kr.objective)?.unit;
                            let i = communes.iter().position(|c| c.unit == unit)?;
                            Some((ini.id, i))
                        })
                        .collect();
                    for (initiative, i) in ids {
                        if week == 10 && mix(&[qs, i as u64, 13]) % 3 == 0 {
                            continue;
                        }
                        b.run(
                            communes[i].person,
                            at(day, 11, i as u32),
                            CommandBody::MoveInitiative { initiative, status },
                        );
                    }
                }
                if week == 3 {
                    let c = &communes[blocked_commune];
                    let kr = live
                        .iter()
                        .find(|k| k.commune == Some(blocked_commune))
                        .map(|k| k.id);
                    b.run(
                        c.person,
                        at(day, 11, 30),
                        CommandBody::RaiseBlocker {
                            cycle,
                            blocker,
                            unit: c.unit,
                            key_result: kr,
                            text: blocker_text.into(),
                        },
                    );
                    b.run(
                        c.person,
                        at(day, 12, 0),
                        CommandBody::EscalateBlocker {
                            blocker,
                            to: steering,
                        },
                    );
                    b.facts.blockers += 1;
                    b.facts.escalation_days.push(lead_days);
                    pending_decision = Some(at(day, 11, 30) + Duration::days(lead_days));
                }
            }
            for (agreement, i) in open.drain(..) {
                b.facts.agreements_kept += 1;
                b.run(
                    communes[i].person,
                    at(end, 9, 30),
                    CommandBody::ResolveAgreement {
                        agreement,
                        outcome: AgreementOutcome::Kept,
                        weekly: None,
                    },
                );
            }
            if let Some(agreement) = open_steering.take() {
                b.facts.agreements_kept += 1;
                b.run(
                    master,
                    at(end, 9, 45),
                    CommandBody::ResolveAgreement {
                        agreement,
                        outcome: AgreementOutcome::Kept,
                        weekly: None,
                    },
                );
            }

            // Review, with the Lenkungsausschuss.
            b.run(
                master,
                at(end, 10, 0),
                CommandBody::BeginReview {
                    cycle,
                    early_reason: None,
                },
            );
            if q == 1 && !override_done {
                override_done = true;
                b.run(
                    project_lead,
                    at(end, 10, 30),
                    CommandBody::OverrideScore {
                        key_result: live[2].id,
                        score: 0.5,
                        reason: "Die Mitarbeitendenbefragung hatte nur 41 Antworten; wir werten den Trend, nicht den letzten Wert".into(),
                    },
                );
                b.facts.overrides += 1;
            }
            let scores = rollup::scores(&b.state.cycles[&cycle]);
            let below = commune_objectives
                .iter()
                .filter(|(o, _)| scores.objectives[o].unwrap_or(0) < 600_000)
                .count();
            b.run(
                master,
                at(end, 11, 0),
                CommandBody::AddReviewNote {
                    cycle,
                    text: format!(
                        "Zyklus-Bewertung {}; {below} Objectives der Kommunen unter 0,6",
                        scores
                            .cycle
                            .map(|s| okr_core::i18n::ppm(s, okr_core::i18n::Lang::De))
                            .unwrap_or_default()
                    ),
                },
            );
            b.run(
                communes[q % 6].steering,
                at(end, 11, 30),
                CommandBody::AddReviewNote {
                    cycle,
                    text: format!(
                        "Lenkungsausschuss: {} von {} entschieden, der Ablauf wird für alle sechs Kommunen übernommen",
                        "ein Hindernis", COMMUNES[blocked_commune]
                    ),
                },
            );
            b.facts.review_notes += 2;

            // Retrospective, with the Lenkungsausschuss.
            b.run(
                master,
                at(end, 13, 0),
                CommandBody::BeginRetrospective { cycle },
            );
            let items = [
                (
                    RetroKind::Keep,
                    "Die moderierten Weeklys bleiben kurz und finden jede Woche statt",
                ),
                (
                    RetroKind::Improve,
                    "Hindernisse in der ersten Woche eskalieren, nicht erst in der dritten",
                ),
                (
                    RetroKind::Stop,
                    "Kennzahlen erst kurz vor der Review zusammensuchen",
                ),
                (
                    RetroKind::Try,
                    "Sachbearbeitende in die Formulierung der Key Results einbeziehen",
                ),
            ];
            let mut first_item = None;
            for (n, (kind, text)) in items.iter().enumerate() {
                if (n + q) % 4 == 3 {
                    continue;
                }
                let item = RetroItemId(b.id());
                first_item.get_or_insert(item);
                b.run(
                    communes[(q + n) % 6].person,
                    at(end, 13, 10 + n as u32),
                    CommandBody::AddRetroItem {
                        cycle,
                        item,
                        kind: *kind,
                        text: (*text).into(),
                    },
                );
                b.facts.retro_items += 1;
            }
            let item = RetroItemId(b.id());
            b.run(
                communes[(q + 3) % 6].steering,
                at(end, 13, 20),
                CommandBody::AddRetroItem {
                    cycle,
                    item,
                    kind: RetroKind::Improve,
                    text: "Der Lenkungsausschuss entscheidet Eskalationen in der nächsten Sitzung, nicht per Umlauf"
                        .into(),
                },
            );
            b.facts.retro_items += 1;
            // Last quarter's action is followed up; early ones are left undone more often.
            if let Some(previous) = last_action.take() {
                let done = q >= 4 || q % 2 == 0;
                b.run(
                    master,
                    at(end, 13, 35),
                    CommandBody::FollowUpRetroAction {
                        cycle,
                        action: previous,
                        done,
                    },
                );
                b.facts.retro_actions_followed_up += 1;
                b.facts.retro_actions_done += u64::from(done);
            }
            let action = RetroActionId(b.id());
            b.run(
                master,
                at(end, 13, 40),
                CommandBody::AddRetroAction {
                    cycle,
                    action,
                    text: RETRO_ACTIONS[q % RETRO_ACTIONS.len()].into(),
                    owner: master,
                    item: first_item,
                },
            );
            b.facts.retro_actions += 1;
            last_action = Some(action);

            // Plan the next quarter (2024-Q3 after the last) and carry over what is unfinished.
            let (next_name, next_start, next_end) = QUARTERS.get(q + 1).copied().unwrap_or(AFTER);
            let (next_start, next_end) = (date(next_start), date(next_end));
            let next = CycleId(b.id());
            b.run(
                master,
                at(end, 14, 0),
                CommandBody::PlanCycle {
                    cycle: next,
                    name: next_name.into(),
                    kind: CycleKind::Regular,
                    start: next_start,
                    end: next_end,
                    check_in_weekday: (next_start + Duration::days(6)).weekday(),
                    policy: None,
                },
            );
            for (objective, i) in &commune_objectives {
                if scores.objectives[objective].unwrap_or(0) >= 600_000 {
                    continue;
                }
                let new_objective = ObjectiveId(b.id());
                b.run(
                    communes[*i].person,
                    at(end, 15, *i as u32),
                    CommandBody::CarryOver {
                        objective: *objective,
                        to_cycle: next,
                        new_objective,
                    },
                );
                b.facts.carried_over += 1;
                let old_krs: Vec<LiveKr> = b.state.cycles[&cycle]
                    .key_results_of(*objective)
                    .filter_map(|k| live.iter().find(|l| l.id == k.id).cloned())
                    .collect();
                carried_in.push((new_objective, *i, old_krs));
            }
            b.run(master, at(end, 16, 0), CommandBody::CloseCycle { cycle });
            next_cycle = Some(next);
            planning_day = end;
        }
        if next_cycle.is_some() {
            b.facts.cycles.push(AFTER.0.into());
        }
        Demo {
            commands: b.commands,
            state: b.state,
            facts: b.facts,
        }
    }
}

/// The draft of a city's (or the project's) objective from its theme.
fn draft(
    cycle: CycleId,
    objective: ObjectiveId,
    unit: UnitId,
    theme: &Theme,
    kind: ObjectiveKind,
    weight: u32,
) -> CommandBody {
    let (beneficiary, change, value) = match theme.who {
        Some((b, c, v)) => (Some(b.into()), Some(c.into()), Some(v.into())),
        None => (None, None, None),
    };
    CommandBody::DraftObjective {
        cycle,
        objective,
        unit,
        title: theme.title.into(),
        beneficiary,
        change,
        value,
        kind,
        weight,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use okr_core::{execute, CycleKind, Phase};

    #[test]
    fn every_command_is_accepted_in_order_and_the_demo_is_deterministic() {
        let demo = Demo::build();
        let mut state = State::new();
        for (n, command) in demo.commands.iter().enumerate() {
            if let Err(r) = execute(&mut state, command) {
                panic!("command {n} ({}) refused: {r}", command.body.name());
            }
        }
        assert_eq!(state, demo.state);
        assert_eq!(Demo::build().commands, demo.commands);
        let at: Vec<_> = demo.commands.iter().map(|c| c.envelope.at).collect();
        for (n, w) in at.windows(2).enumerate() {
            assert!(
                w[0] <= w[1],
                "times only grow: command {n} ({}) at {} before {} at {}",
                demo.commands[n].body.name(),
                w[0],
                demo.commands[n + 1].body.name(),
                w[1]
            );
        }
    }

    #[test]
    fn the_facts_match_the_state() {
        let demo = Demo::build();
        let s = &demo.state;
        let practice = s.cycles.values().filter(|c| c.kind == CycleKind::Practice);
        assert_eq!(practice.count(), 2);
        let closed: Vec<_> = s
            .cycles
            .values()
            .filter(|c| c.kind == CycleKind::Regular && c.phase == Phase::Closed)
            .collect();
        assert_eq!(closed.len(), 8);
        let planning: Vec<_> = s
            .cycles
            .values()
            .filter(|c| c.phase == Phase::Planning)
            .collect();
        assert_eq!(planning.len(), 1);
        assert_eq!(planning[0].name, "2024-Q3");
        let check_ins: usize = s
            .cycles
            .values()
            .flat_map(|c| c.key_results.values())
            .map(|k| k.check_in_count() as usize)
            .sum();
        assert_eq!(check_ins as u64, demo.facts.check_ins);
        let resolved: Vec<_> = s
            .cycles
            .values()
            .flat_map(|c| c.agreements.values())
            .filter_map(|a| a.resolution)
            .collect();
        let kept = resolved
            .iter()
            .filter(|(o, _)| *o == AgreementOutcome::Kept)
            .count() as u64;
        assert_eq!(kept, demo.facts.agreements_kept);
        assert_eq!(resolved.len() as u64 - kept, demo.facts.agreements_missed);
        assert!(demo.facts.agreements_missed > 0);
        let decided: Vec<i64> = s
            .cycles
            .values()
            .flat_map(|c| c.blockers.values())
            .filter_map(|b| Some((b.decision.as_ref()?.at - b.raised_at).num_days()))
            .collect();
        assert_eq!(decided.len() as u64, demo.facts.blockers);
        let carried = s
            .cycles
            .values()
            .flat_map(|c| c.objectives.values())
            .filter(|o| o.carried_to.is_some())
            .count() as u64;
        assert_eq!(carried, demo.facts.carried_over);
        assert!(carried > 0, "some objectives are carried over");
        assert!(demo.facts.check_ins_skipped > 0);
        assert_eq!(demo.facts.overrides, 1);
    }
}
