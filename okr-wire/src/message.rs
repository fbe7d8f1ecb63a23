//! The JSON messages, as Rust types: what the C ABI and `okr serve` read and write. The
//! committed JSON Schemas under `okr-ffi/schema/` and the OpenAPI document of `okr serve`
//! are generated from them.
//!
//! Every message carries `"version": 1`. Inputs may leave it out (it then means 1; `1.0` is
//! 1 too); any other value is refused with [`crate::Code::Version`].

use chrono::{DateTime, Utc};
use okr_core::board::Board;
use okr_core::lint::Lint;
use okr_core::maturity::MaturityPoint;
use okr_core::report::Report;
use okr_core::rollup::{AlignmentView, CycleRollup, CycleScores, History, ScoringPolicy};
use okr_core::stats::Stats;
use okr_core::{
    Command, Cycle, CycleId, CycleKind, Event, KeyResultId, ObjectiveId, Phase, State, UnitId,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use uuid::Uuid;

/// A message with its `version` (1) beside the message's own fields.
///
/// Its JSON Schema is the message's own schema with `version` added to its properties, and
/// to the properties of each of its `oneOf`/`anyOf`/`allOf` branches, so that a branch that
/// admits no other fields (`additionalProperties: false`) still admits `version`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Versioned<T> {
    /// The message version: 1.
    pub version: u32,
    /// The message.
    #[serde(flatten)]
    pub body: T,
}

impl<T> Versioned<T> {
    /// Wraps a message with version 1.
    pub fn new(body: T) -> Versioned<T> {
        Versioned { version: 1, body }
    }
}

impl<T: JsonSchema> JsonSchema for Versioned<T> {
    fn schema_name() -> String {
        format!("Versioned_for_{}", T::schema_name())
    }

    fn json_schema(gen: &mut schemars::gen::SchemaGenerator) -> schemars::schema::Schema {
        use schemars::schema::{Metadata, Schema, SchemaObject};
        let version = Schema::Object(SchemaObject {
            metadata: Some(Box::new(Metadata {
                description: Some(
                    "The message version: 1. Always written; an input may leave it out."
                        .to_string(),
                ),
                ..Default::default()
            })),
            const_value: Some(serde_json::json!(1)),
            ..Default::default()
        });
        let mut schema = T::json_schema(gen);
        add_property(&mut schema, "version", &version, gen.definitions());
        schema
    }
}

/// Adds the property `name` to an object schema and to every branch of its subschemas; a
/// branch that is a reference is replaced by a copy of what it refers to.
fn add_property(
    schema: &mut schemars::schema::Schema,
    name: &str,
    property: &schemars::schema::Schema,
    definitions: &schemars::Map<String, schemars::schema::Schema>,
) {
    use schemars::schema::{InstanceType, Schema, SingleOrVec};
    let Schema::Object(object) = schema else {
        return;
    };
    if let Some(reference) = &object.reference {
        let target = reference.rsplit('/').next().unwrap_or_default();
        if let Some(Schema::Object(target)) = definitions.get(target) {
            let metadata = object.metadata.take();
            *object = target.clone();
            if metadata.is_some() {
                object.metadata = metadata;
            }
        }
    }
    let is_object = matches!(
        &object.instance_type,
        Some(SingleOrVec::Single(t)) if **t == InstanceType::Object
    );
    if is_object || object.object.is_some() {
        object
            .object()
            .properties
            .insert(name.to_string(), property.clone());
    }
    if let Some(sub) = object.subschemas.as_deref_mut() {
        for branches in [&mut sub.one_of, &mut sub.any_of, &mut sub.all_of]
            .into_iter()
            .flatten()
        {
            for branch in branches {
                add_property(branch, name, property, definitions);
            }
        }
    }
}

/// Input of `okr_engine_execute`: a command, `{"version":1,"envelope":{..},"body":{"type":..}}`.
pub type CommandMessage = Versioned<Command>;

/// Input of `okr_engine_execute_batch` (and `POST /v1/batches`). A command inside may carry
/// its own `"version": 1` (so a command message can be put into a batch as it is); any other
/// version is refused.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Batch {
    /// The commands, executed in order as one all-or-nothing append.
    pub commands: Vec<Command>,
}

/// Options of `okr_engine_open` (all optional).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenOptions {
    /// `"sync"` (default: flush before every append returns), `"periodic:<ms>"` or `"none"`.
    #[serde(default)]
    pub durability: Option<String>,
    /// Write a snapshot every this many events (default 10000); 0 never.
    #[serde(default)]
    pub snapshot_every: Option<u64>,
    /// Create the store when the path does not exist (default true). For PostgreSQL: the
    /// tables and the organisation's store (never the database).
    #[serde(default)]
    pub create_if_missing: Option<bool>,
    /// The organisation of a `postgres://` store, instead of the URL's `organisation`
    /// parameter; refused for a path and for `":memory:"`.
    #[serde(default)]
    pub organisation: Option<String>,
}

/// What `okr_engine_execute` did: the engine's own outcome, as JSON.
pub use okr_store::ExecuteOutcome;

/// Output of `okr_engine_execute_batch`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct BatchOutcome {
    /// One outcome per command, in order.
    pub outcomes: Vec<ExecuteOutcome>,
}

/// A scoring policy for `rescore`: a compact name such as `"unbounded,kr-only,equal"` or
/// `"v1:clamped"`, or the policy object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum PolicyArg {
    /// A compact name (as the CLI takes it).
    Name(String),
    /// A policy object.
    Policy(ScoringPolicy),
}

/// Input of `okr_engine_query`: `{"version":1,"query":"<name>", ...parameters}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "query", rename_all = "snake_case", deny_unknown_fields)]
pub enum Query {
    /// The whole state now.
    State,
    /// The global position of the last event (`null` for an empty log).
    Position,
    /// One cycle's state now.
    Cycle {
        /// The cycle.
        cycle: CycleId,
    },
    /// A cycle's rollup now (progress in parts per million).
    Rollup {
        /// The cycle.
        cycle: CycleId,
    },
    /// A cycle's alignment per objective: its own progress, what the objectives aligned to
    /// it contribute (shown beside it; rolled in only under a roll-up policy) and its
    /// dependency links in both directions.
    Alignment {
        /// The cycle.
        cycle: CycleId,
    },
    /// A cycle's review scores under its own scoring policy.
    Scores {
        /// The cycle.
        cycle: CycleId,
    },
    /// A cycle's review scores under another policy (what-if; nothing changes).
    Rescore {
        /// The cycle.
        cycle: CycleId,
        /// The policy.
        policy: PolicyArg,
    },
    /// All lints of a cycle, evaluated at instant `at`.
    Lints {
        /// The cycle.
        cycle: CycleId,
        /// The instant (RFC 3339), e.g. `2025-03-01T12:00:00Z`.
        at: DateTime<Utc>,
    },
    /// A cycle's burn-up, week by week.
    History {
        /// The cycle.
        cycle: CycleId,
    },
    /// Every cycle in short (id, name, kind, phase, dates), by start date.
    Cycles,
    /// The report of a cycle, as `okr report --format json` writes it: units, objectives
    /// and key results with progress, status, confidence and scores. Without `cycle`, the
    /// running cycle, else the last closed one. With `position` or `at` (at most one), as
    /// the log stood then.
    Report {
        /// The cycle (default: the running one, else the last closed one).
        #[serde(default)]
        cycle: Option<CycleId>,
        /// As of this global position (inclusive).
        #[serde(default)]
        position: Option<u64>,
        /// As of this instant.
        #[serde(default)]
        at: Option<DateTime<Utc>>,
    },
    /// A cycle's prioritised board, as `okr board --json` writes it: initiatives in Kanban
    /// columns per unit, objective and key result, ranked by impact over effort, with the
    /// TOP-3 of the open ones. At most one of `unit` (with the units below it), `objective`
    /// and `key_result` narrows it.
    Board {
        /// The cycle (default: the running one, else the last closed one).
        #[serde(default)]
        cycle: Option<CycleId>,
        /// Only this unit and the units below it.
        #[serde(default)]
        unit: Option<UnitId>,
        /// Only this objective.
        #[serde(default)]
        objective: Option<ObjectiveId>,
        /// Only this key result.
        #[serde(default)]
        key_result: Option<KeyResultId>,
    },
    /// The cross-cycle statistics over the closed cycles, as `okr stats` computes them:
    /// totals, per cycle and per unit, never per person.
    Stats {
        /// Count practice sprints too (default false).
        #[serde(default)]
        include_practice: bool,
        /// The fewest members a unit needs for a row of its own (default 5); a smaller
        /// unit's figures count in the nearest unit above it with that many, or in the
        /// totals only. 1 shows every unit.
        #[serde(default)]
        min_unit_members: Option<u32>,
    },
    /// How the practice matures over the closed cycles, in start order: the share of
    /// objectives titled like outputs, check-in discipline, agreement keep rate and the share
    /// of followed-up retro actions done, as `okr maturity` computes them.
    Maturity {
        /// Count practice sprints too (default false).
        #[serde(default)]
        include_practice: bool,
    },
    /// The state as it was at a global position (inclusive) or an instant (exactly one of
    /// `position` and `at`); with `cycle`, that cycle and its rollup instead of the whole
    /// state.
    AsOf {
        /// Every event up to and including this global position.
        #[serde(default)]
        position: Option<u64>,
        /// Every event recorded at or before this instant.
        #[serde(default)]
        at: Option<DateTime<Utc>>,
        /// Only this cycle.
        #[serde(default)]
        cycle: Option<CycleId>,
    },
}

/// Output of `okr_engine_query`: `{"version":1,"query":"<name>", ...}`.
// Built once per answer and serialised at once: the size of the largest variant costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(tag = "query", rename_all = "snake_case")]
pub enum QueryResult<'a> {
    /// The whole state.
    State {
        /// The global position of the last event folded in.
        position: Option<u64>,
        /// The state.
        state: &'a State,
    },
    /// The position of the last event.
    Position {
        /// `null` for an empty log.
        position: Option<u64>,
    },
    /// One cycle.
    Cycle {
        /// The global position of the last event folded in.
        position: Option<u64>,
        /// The cycle.
        cycle: &'a Cycle,
    },
    /// A cycle's rollup.
    Rollup {
        /// The global position of the last event folded in.
        position: Option<u64>,
        /// The rollup.
        rollup: CycleRollup,
    },
    /// A cycle's alignment.
    Alignment {
        /// The global position of the last event folded in.
        position: Option<u64>,
        /// Per objective.
        alignment: BTreeMap<ObjectiveId, AlignmentView>,
    },
    /// A cycle's scores under its own policy.
    Scores {
        /// The scores.
        scores: CycleScores,
    },
    /// A cycle's scores under another policy.
    Rescore {
        /// The scores.
        scores: CycleScores,
    },
    /// A cycle's lints.
    Lints {
        /// The cycle.
        cycle: CycleId,
        /// The instant they were evaluated at.
        at: DateTime<Utc>,
        /// The lints.
        lints: Vec<Lint>,
    },
    /// A cycle's burn-up.
    History {
        /// The burn-up.
        history: History,
    },
    /// Every cycle in short.
    Cycles {
        /// The global position of the last event folded in.
        position: Option<u64>,
        /// The cycles, by start date.
        cycles: Vec<CycleSummary>,
    },
    /// A cycle's report.
    Report {
        /// The report.
        report: Box<Report>,
    },
    /// A cycle's prioritised board.
    Board {
        /// The board.
        board: Box<Board>,
    },
    /// The cross-cycle statistics.
    Stats {
        /// The statistics.
        stats: Box<Stats>,
    },
    /// The maturity figures per closed cycle, in start order.
    Maturity {
        /// One point per cycle.
        cycles: Vec<MaturityPoint>,
    },
    /// A past view.
    AsOf {
        /// The position asked for, if one was.
        #[serde(skip_serializing_if = "Option::is_none")]
        position: Option<u64>,
        /// The instant asked for, if one was.
        #[serde(skip_serializing_if = "Option::is_none")]
        at: Option<DateTime<Utc>>,
        /// The whole state then (without `cycle`).
        #[serde(skip_serializing_if = "Option::is_none")]
        state: Option<&'a State>,
        /// The cycle then (with `cycle`).
        #[serde(skip_serializing_if = "Option::is_none")]
        cycle: Option<&'a Cycle>,
        /// The cycle's rollup then (with `cycle`).
        #[serde(skip_serializing_if = "Option::is_none")]
        rollup: Option<CycleRollup>,
    },
}

/// A cycle in short, as the `cycles` query lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CycleSummary {
    /// The cycle's id.
    pub id: CycleId,
    /// Its name.
    pub name: String,
    /// `regular` or `practice`.
    pub kind: CycleKind,
    /// Its phase.
    pub phase: Phase,
    /// Its first day.
    pub start: chrono::NaiveDate,
    /// Its last day.
    pub end: chrono::NaiveDate,
}

/// Output of `okr_engine_validate`: what executing the command now would do; nothing was
/// written.
pub use okr_store::DryRun;

/// One stored event as `okr_engine_events_since` returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct EventRecord {
    /// The event's position in the whole log, from 0, gapless.
    pub position: u64,
    /// The stream: `org` or `cycle-<uuid>`.
    pub stream: String,
    /// The event's version within its stream, from 0.
    pub stream_version: u64,
    /// The event's id (UUID v7, derived from the command id).
    pub event_id: Uuid,
    /// The command that produced it.
    pub command_id: Uuid,
    /// The event's type name, e.g. `cycle_planned`.
    pub event_type: String,
    /// The schema version of the event type (after upcasting).
    pub schema_version: u32,
    /// The event.
    pub event: Event,
}

/// Output of `okr_engine_events_since`, of a subscription's poll and of `GET /v1/events`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct EventsPage {
    /// The events, in log order.
    pub events: Vec<EventRecord>,
    /// The position to poll from next time: one past the last event returned, or the
    /// position asked for when nothing is new.
    pub next_position: u64,
}

/// The message of an `OKR_RESULT_REJECTED` error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RejectionMessage {
    /// For a batch: the index of the refused command, from 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<usize>,
    /// The rejection: `rejection` names the variant (`wrong_phase`, `unauthorized`,
    /// `rule_violated`, `invalid_field`, `unknown_id`, `already_exists`, `version_conflict`)
    /// beside its fields.
    #[serde(flatten)]
    pub rejection: okr_core::Rejection,
    /// The rejection as English text.
    pub message: String,
}
