//! Opening the store, naming cycles and moments.

use crate::error::{CliError, CliResult};
use chrono::{DateTime, NaiveTime, Utc};
use okr_core::i18n::Text;
use okr_core::{Cycle, CycleId, State, UnitId};
use okr_store::{AsOf, Durability, Engine, EngineOptions};
use std::path::Path;

/// How a store is named in messages: its path, or its URL without the password.
pub fn shown(path: &Path) -> String {
    match postgres_url(path) {
        Some(url) => okr_store::postgres_store::redact(url),
        None => path.display().to_string(),
    }
}

/// The URL when `--store` names a PostgreSQL store (`postgres://…`), `None` for a path.
pub fn postgres_url(path: &Path) -> Option<&str> {
    path.to_str().filter(|s| okr_store::is_postgres_url(s))
}

/// Opens the store at `path` (a directory or a `postgres://…` URL): every command (`okr
/// serve` included) opens its store here. Without `create`, a missing store is invalid input
/// (exit 1), not a storage failure; for PostgreSQL the database must then hold okr's tables
/// and the organisation's store (with `create`: the tables and the store, never the
/// database).
pub fn open(path: &Path, create: bool, durability: Durability) -> CliResult<Engine> {
    if !create && postgres_url(path).is_none() && !path.exists() {
        return Err(no_store(path));
    }
    Engine::open_with(
        path,
        EngineOptions {
            create_if_missing: create,
            durability,
            lock_wait: lock_wait(),
            ..EngineOptions::default()
        },
    )
    .map_err(|e| CliError::engine(&shown(path).into(), e))
}

/// A store that is not there.
fn no_store(path: &Path) -> CliError {
    CliError::invalid(
        format!(
            "{}: no store here; create one with `okr init` or `okr demo`",
            path.display()
        ),
        format!(
            "{}: hier ist kein Speicher; legen Sie einen mit `okr init` oder `okr demo` an",
            path.display()
        ),
    )
}

/// How long an open waits for another process holding the store (`--wait`).
static LOCK_WAIT: std::sync::OnceLock<std::time::Duration> = std::sync::OnceLock::new();

/// Sets the wait of every open of this run (`--wait <seconds>`).
pub fn set_lock_wait(wait: std::time::Duration) {
    let _ = LOCK_WAIT.set(wait);
}

fn lock_wait() -> std::time::Duration {
    LOCK_WAIT.get().copied().unwrap_or(okr_store::LOCK_WAIT)
}

/// Opens an existing store for reading only: nothing in its directory is written, and a
/// missing one is invalid input (exit 1), not a storage failure; no directory is created.
/// sled cannot open a database without writing to it, so the store reads a private copy
/// of sled's files (see `okr_store::StoreOptions::read_only`).
pub fn open_read_only(path: &Path) -> CliResult<Engine> {
    if postgres_url(path).is_none() && !path.exists() {
        return Err(no_store(path));
    }
    Engine::open_with(
        path,
        EngineOptions {
            create_if_missing: false,
            read_only: postgres_url(path).is_none(),
            lock_wait: lock_wait(),
            ..EngineOptions::default()
        },
    )
    .map_err(|e| CliError::engine(&shown(path).into(), e))
}

/// Opens an existing store; a missing one is invalid input (exit 1), not a storage failure.
pub fn open_existing(path: &Path) -> CliResult<Engine> {
    open(path, false, Durability::Sync)
}

/// Opens a store, creating it when missing.
pub fn open_or_create(path: &Path) -> CliResult<Engine> {
    open(path, true, Durability::Sync)
}

/// Parses `--as-of`: a global position (a whole number) or an RFC 3339 timestamp.
pub fn parse_as_of(s: &str) -> CliResult<AsOf> {
    let s = s.trim();
    if let Ok(p) = s.parse::<u64>() {
        return Ok(AsOf::Position(p));
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(AsOf::Time(t.with_timezone(&Utc)));
    }
    if let Ok(day) = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(AsOf::Time(day.and_time(NaiveTime::MIN).and_utc()));
    }
    Err(CliError::invalid(
        format!(
            "--as-of: `{s}` is not a moment okr can read; give a global position (0, 1, 2, …), \
             an RFC 3339 timestamp (2025-08-15T09:00:00Z) or a date (2025-08-15, its start in UTC)"
        ),
        format!(
            "--as-of: `{s}` ist kein Zeitpunkt, den okr lesen kann; geben Sie eine globale \
             Position (0, 1, 2, …), einen Zeitstempel nach RFC 3339 (2025-08-15T09:00:00Z) oder \
             ein Datum (2025-08-15, sein Beginn in UTC) an"
        ),
    ))
}

/// The cycle a report shows when none is named ([`okr_core::report::default_cycle`]).
pub fn default_cycle(state: &State) -> CliResult<CycleId> {
    okr_core::report::default_cycle(state).ok_or_else(|| {
        CliError::invalid(
            "no cycle is running or closed: name the cycle to report with --cycle",
            "kein Zyklus läuft oder ist abgeschlossen: nennen Sie den Zyklus mit --cycle",
        )
    })
}

/// The state at a moment (or now) and the instant it stands for: the moment's time, the
/// recorded time of the event at the position, or the last event's time. Never the clock,
/// so that the same log gives the same report anywhere.
pub fn state_at(engine: &Engine, as_of: Option<AsOf>) -> CliResult<(State, DateTime<Utc>)> {
    let (state, position) = match as_of {
        None => (engine.read(State::clone), engine.position()),
        Some(AsOf::Time(t)) => {
            let s = engine
                .as_of(AsOf::Time(t))
                .map_err(|e| CliError::engine(&"--as-of".into(), e))?;
            return Ok((s, t));
        }
        Some(AsOf::Position(p)) => (
            engine
                .as_of(AsOf::Position(p))
                .map_err(|e| CliError::engine(&"--as-of".into(), e))?,
            Some(p),
        ),
    };
    let t = match position {
        Some(p) => engine
            .events_from(p, 1)
            .map_err(|e| CliError::engine(&reading_the_log(), e))?
            .first()
            .map(|e| e.recorded_at),
        None => None,
    };
    Ok((state, t.unwrap_or(DateTime::<Utc>::MIN_UTC)))
}

/// The context of a failure to read the log.
pub fn reading_the_log() -> Text {
    Text::new("reading the log", "beim Lesen des Protokolls")
}

/// Finds a cycle by id or by name (exact, then ignoring case).
pub fn resolve_cycle(state: &State, spec: &str) -> CliResult<CycleId> {
    let spec = spec.trim();
    if let Ok(id) = spec.parse::<uuid::Uuid>() {
        if state.cycles.contains_key(&CycleId(id)) {
            return Ok(CycleId(id));
        }
    }
    let by = |f: &dyn Fn(&Cycle) -> bool| -> Vec<CycleId> {
        state
            .cycles
            .values()
            .filter(|c| f(c))
            .map(|c| c.id)
            .collect()
    };
    let mut found = by(&|c| c.name == spec);
    if found.is_empty() {
        found = by(&|c| c.name.eq_ignore_ascii_case(spec));
    }
    match found.as_slice() {
        [one] => Ok(*one),
        [] => {
            let names: Vec<&str> = cycles_in_order(state)
                .iter()
                .map(|c| c.name.as_str())
                .collect();
            let known = |none: &str| {
                if names.is_empty() {
                    none.to_owned()
                } else {
                    names.join(", ")
                }
            };
            Err(CliError::invalid(
                format!("--cycle: no cycle `{spec}`; known: {}", known("none")),
                format!(
                    "--cycle: es gibt keinen Zyklus `{spec}`; bekannt: {}",
                    known("keiner")
                ),
            ))
        }
        _ => Err(ambiguous(
            "--cycle",
            spec,
            found.len(),
            ("cycles", "Zyklen"),
        )),
    }
}

/// Resolves `--unit`: an id, else a unit name (exact, then ignoring ASCII case).
pub fn resolve_unit(state: &State, spec: &str) -> CliResult<UnitId> {
    let spec = spec.trim();
    if let Ok(id) = spec.parse::<uuid::Uuid>() {
        if state.units.contains_key(&UnitId(id)) {
            return Ok(UnitId(id));
        }
    }
    let mut found: Vec<UnitId> = state
        .units
        .values()
        .filter(|u| &*u.name == spec)
        .map(|u| u.id)
        .collect();
    if found.is_empty() {
        found = state
            .units
            .values()
            .filter(|u| u.name.eq_ignore_ascii_case(spec))
            .map(|u| u.id)
            .collect();
    }
    match found.as_slice() {
        [one] => Ok(*one),
        [] => Err(CliError::invalid(
            format!("--unit: no unit `{spec}` (give a unit id or name)"),
            format!(
                "--unit: es gibt keine Einheit `{spec}` (geben Sie die Id oder den Namen einer \
                 Einheit an)"
            ),
        )),
        _ => Err(ambiguous(
            "--unit",
            spec,
            found.len(),
            ("units", "Einheiten"),
        )),
    }
}

/// A name that several cycles or units carry.
fn ambiguous(flag: &str, spec: &str, n: usize, (en, de): (&str, &str)) -> CliError {
    CliError::invalid(
        format!("{flag}: `{spec}` names {n} {en}; use the id"),
        format!("{flag}: `{spec}` bezeichnet {n} {de}; verwenden Sie die Id"),
    )
}

pub use okr_core::report::{cycle_instant, cycles_in_order};
