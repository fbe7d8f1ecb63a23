//! Running parsed messages against an [`Engine`]: the one dispatch behind the C ABI and
//! `okr serve`.

use chrono::{DateTime, Utc};
use okr_core::report::{self, Report};
use okr_core::rollup::{self, ScoringPolicy};
use okr_core::stats::{self, StatsOptions};
use okr_core::{lint, Command, CycleId, State};
use okr_store::engine::decode_recorded;
use okr_store::{AsOf, Engine, RecordedEvent};
use serde::Serialize;

use crate::code::{Code, Error};
use crate::limits::MAX_PAGE_EVENTS;
use crate::message::{
    BatchOutcome, CycleSummary, DryRun, EventRecord, EventsPage, ExecuteOutcome, PolicyArg, Query,
    QueryResult, Versioned,
};

/// Executes one command.
pub fn execute(e: &Engine, command: &Command) -> Result<Versioned<ExecuteOutcome>, Error> {
    Ok(Versioned::new(e.execute(command)?))
}

/// Executes commands as one all-or-nothing append.
pub fn execute_batch(e: &Engine, commands: &[Command]) -> Result<Versioned<BatchOutcome>, Error> {
    let outcomes = e.execute_batch(commands)?;
    Ok(Versioned::new(BatchOutcome { outcomes }))
}

/// Decides a command without writing it ([`Engine::dry_run`]).
pub fn validate(e: &Engine, command: &Command) -> Result<Versioned<DryRun>, Error> {
    Ok(Versioned::new(e.dry_run(command)?))
}

/// Up to `max` events from global position `position` on (at most
/// [`MAX_PAGE_EVENTS`]).
///
/// `position` may be anything up to the position the next event will get (asking there
/// returns an empty page: nothing new); beyond that it is [`Code::NotFound`], as for an
/// `as_of` beyond the end. `max` of 0 is [`Code::InvalidArgument`].
pub fn events_page(e: &Engine, position: u64, max: usize) -> Result<Versioned<EventsPage>, Error> {
    if max == 0 {
        return Err(Error::new(
            Code::InvalidArgument,
            "`max` is 0; ask for at least one event",
        ));
    }
    let next = e.next_position();
    if position > next {
        return Err(Error::new(
            Code::NotFound,
            format!(
                "position {position} is beyond the end of the log (the next event gets position {next})"
            ),
        ));
    }
    let recorded = e.events_from(position, max.min(MAX_PAGE_EVENTS))?;
    let events = records(&recorded)?;
    let next_position = events.last().map_or(position, |r| r.position + 1);
    Ok(Versioned::new(EventsPage {
        events,
        next_position,
    }))
}

/// Stored events as the messages carry them (upcast and decoded).
pub fn records(recorded: &[RecordedEvent]) -> Result<Vec<EventRecord>, Error> {
    recorded
        .iter()
        .map(|r| {
            Ok(EventRecord {
                position: r.global_position,
                stream: r.stream.name(),
                stream_version: r.stream_version,
                event_id: r.event_id,
                command_id: r.command_id,
                event_type: r.event_type.clone(),
                schema_version: r.schema_version,
                event: decode_recorded(r)?,
            })
        })
        .collect()
}

/// Encodes an output message as JSON.
pub fn encode(value: &impl Serialize) -> Result<Vec<u8>, Error> {
    serde_json::to_vec(value).map_err(|e| {
        Error::new(
            Code::Internal,
            format!("cannot encode the output as JSON: {e}"),
        )
    })
}

fn unknown_cycle(cycle: CycleId) -> Error {
    Error::new(Code::NotFound, format!("unknown cycle {cycle}"))
}

/// The report the `report` query asks for (see [`Query::Report`]). The instant it stands
/// at is `at`, or the recorded time of the event at `position`, or of the last event: never
/// the clock, so the same log gives the same report anywhere.
fn report_of(
    e: &Engine,
    cycle: Option<CycleId>,
    position: Option<u64>,
    at: Option<DateTime<Utc>>,
) -> Result<Report, Error> {
    let build = |s: &State, t: DateTime<Utc>| -> Result<Report, Error> {
        let id = match cycle {
            Some(id) => id,
            None => report::default_cycle(s).ok_or_else(|| {
                Error::new(
                    Code::NotFound,
                    "no cycle is running or closed: name the cycle to report with `cycle`",
                )
            })?,
        };
        report::build(s, id, t).ok_or_else(|| unknown_cycle(id))
    };
    let recorded_at = |p: Option<u64>| -> Result<DateTime<Utc>, Error> {
        let t = match p {
            Some(p) => e.events_from(p, 1)?.first().map(|r| r.recorded_at),
            None => None,
        };
        Ok(t.unwrap_or(DateTime::<Utc>::MIN_UTC))
    };
    match (position, at) {
        (Some(_), Some(_)) => Err(Error::new(
            Code::InvalidQuery,
            "invalid query: `report` takes at most one of `position` and `at`",
        )),
        (None, None) => {
            let t = recorded_at(e.position())?;
            e.read(|s| build(s, t))
        }
        (Some(p), None) => {
            let state = e.as_of(AsOf::Position(p))?;
            build(&state, recorded_at(Some(p))?)
        }
        (None, Some(t)) => {
            let state = e.as_of(AsOf::Time(t))?;
            build(&state, t)
        }
    }
}

/// Answers a query with its result message, encoded as JSON.
pub fn answer(e: &Engine, query: Query) -> Result<Vec<u8>, Error> {
    // On a log other processes append to (PostgreSQL), answer from all of it.
    if e.is_shared() {
        e.refresh()?;
    }
    match query {
        Query::State => {
            // Read before the state: never more than the state holds. (Calling `position`
            // inside `read` would take the state lock twice.)
            let position = e.position();
            e.read(|s| encode(&Versioned::new(QueryResult::State { position, state: s })))
        }
        Query::Position => encode(&Versioned::new(QueryResult::Position {
            position: e.position(),
        })),
        Query::Cycle { cycle } => {
            let position = e.position();
            e.read(|s| {
                let c = s.cycles.get(&cycle).ok_or_else(|| unknown_cycle(cycle))?;
                encode(&Versioned::new(QueryResult::Cycle { position, cycle: c }))
            })
        }
        Query::Rollup { cycle } => {
            let position = e.position();
            let rollup = e.cycle_rollup(cycle).ok_or_else(|| unknown_cycle(cycle))?;
            encode(&Versioned::new(QueryResult::Rollup { position, rollup }))
        }
        Query::Alignment { cycle } => {
            let position = e.position();
            let alignment = e
                .read(|s| s.cycles.get(&cycle).map(rollup::alignment))
                .ok_or_else(|| unknown_cycle(cycle))?;
            encode(&Versioned::new(QueryResult::Alignment {
                position,
                alignment,
            }))
        }
        Query::Scores { cycle } => {
            let scores = e.cycle_scores(cycle).ok_or_else(|| unknown_cycle(cycle))?;
            encode(&Versioned::new(QueryResult::Scores { scores }))
        }
        Query::Rescore { cycle, policy } => {
            let policy = match policy {
                PolicyArg::Name(n) => ScoringPolicy::parse(&n).map_err(|m| {
                    Error::new(
                        Code::InvalidQuery,
                        format!("invalid query at `policy`: {m}"),
                    )
                })?,
                PolicyArg::Policy(p) => p,
            };
            let scores = e
                .read(|s| rollup::rescore(s, cycle, &policy))
                .ok_or_else(|| unknown_cycle(cycle))?;
            encode(&Versioned::new(QueryResult::Rescore { scores }))
        }
        Query::Lints { cycle, at } => {
            let lints = e.read(|s| {
                s.cycles
                    .contains_key(&cycle)
                    .then(|| lint::cycle(s, cycle, at))
            });
            let lints = lints.ok_or_else(|| unknown_cycle(cycle))?;
            encode(&Versioned::new(QueryResult::Lints { cycle, at, lints }))
        }
        Query::History { cycle } => {
            let history = e
                .history(cycle)
                .map_err(Error::from)?
                .ok_or_else(|| unknown_cycle(cycle))?;
            encode(&Versioned::new(QueryResult::History { history }))
        }
        Query::Cycles => {
            let position = e.position();
            let cycles = e.read(|s| {
                report::cycles_in_order(s)
                    .into_iter()
                    .map(|c| CycleSummary {
                        id: c.id,
                        name: c.name.clone(),
                        kind: c.kind,
                        phase: c.phase,
                        start: c.start,
                        end: c.end,
                    })
                    .collect()
            });
            encode(&Versioned::new(QueryResult::Cycles { position, cycles }))
        }
        Query::Report {
            cycle,
            position,
            at,
        } => {
            let report = report_of(e, cycle, position, at)?;
            encode(&Versioned::new(QueryResult::Report {
                report: Box::new(report),
            }))
        }
        Query::Board {
            cycle,
            unit,
            objective,
            key_result,
        } => {
            use okr_core::board::{board, Scope};
            let scope = match (unit, objective, key_result) {
                (None, None, None) => Scope::Cycle,
                (Some(u), None, None) => Scope::Unit(u),
                (None, Some(o), None) => Scope::Objective(o),
                (None, None, Some(k)) => Scope::KeyResult(k),
                _ => {
                    return Err(Error::new(
                        Code::InvalidQuery,
                        "invalid query: `board` takes at most one of `unit`, `objective` and `key_result`",
                    ))
                }
            };
            let b = e.read(|s| {
                let id = match cycle {
                    Some(id) => id,
                    None => report::default_cycle(s).ok_or_else(|| {
                        Error::new(
                            Code::NotFound,
                            "no cycle is running or closed: name the cycle of the board with `cycle`",
                        )
                    })?,
                };
                board(s, id, scope).map_err(|r| Error::new(Code::NotFound, r.to_string()))
            })?;
            encode(&Versioned::new(QueryResult::Board { board: Box::new(b) }))
        }
        Query::Stats {
            include_practice,
            min_unit_members,
        } => {
            let options = StatsOptions {
                include_practice,
                min_unit_members: min_unit_members.unwrap_or(stats::MIN_UNIT_MEMBERS),
            };
            let stats = e.read(|s| stats::stats(s, &options));
            encode(&Versioned::new(QueryResult::Stats {
                stats: Box::new(stats),
            }))
        }
        Query::Maturity { include_practice } => {
            let options = StatsOptions {
                include_practice,
                ..StatsOptions::default()
            };
            let cycles = e.read(|s| okr_core::maturity::maturity(s, &options));
            encode(&Versioned::new(QueryResult::Maturity { cycles }))
        }
        Query::AsOf {
            position,
            at,
            cycle,
        } => {
            let target = match (position, at) {
                (Some(p), None) => AsOf::Position(p),
                (None, Some(t)) => AsOf::Time(t),
                _ => {
                    return Err(Error::new(
                        Code::InvalidQuery,
                        "invalid query: `as_of` needs exactly one of `position` and `at`",
                    ))
                }
            };
            let state = e.as_of(target).map_err(Error::from)?;
            match cycle {
                None => encode(&Versioned::new(QueryResult::AsOf {
                    position,
                    at,
                    state: Some(&state),
                    cycle: None,
                    rollup: None,
                })),
                Some(id) => {
                    let c = state.cycles.get(&id).ok_or_else(|| unknown_cycle(id))?;
                    encode(&Versioned::new(QueryResult::AsOf {
                        position,
                        at,
                        state: None,
                        cycle: Some(c),
                        rollup: Some(rollup::cycle(c)),
                    }))
                }
            }
        }
    }
}
