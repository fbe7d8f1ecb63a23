//! The statements of a [`PostgresStore`](super::PostgresStore), prepared once per
//! connection. Every one names the organisation as `$1`.

use postgres::{Client, Statement};

/// The columns [`super::RawEvent::from_row`] reads, in its order.
const EVENT_COLUMNS: &str = "global_position, stream, stream_version, event_id, event_type, \
     schema_version, recorded_at, actor, command_id, correlation_id, payload, event_hash";

/// Inserts the events of `$2` … `$13` (arrays, one element per event) for organisation `$1`.
const INSERT_EVENTS: &str = "INSERT INTO okr_events (organisation, global_position, stream, \
     stream_version, event_id, event_type, schema_version, recorded_at, actor, command_id, \
     correlation_id, payload, event_hash) \
     SELECT $1::text, * FROM unnest($2::bigint[], $3::text[], $4::bigint[], $5::uuid[], \
     $6::text[], $7::integer[], $8::text[], $9::text[], $10::uuid[], $11::uuid[], \
     $12::bytea[], $13::bytea[])";

/// The prepared statements of one connection.
pub(super) struct Statements {
    pub(super) register: Statement,
    pub(super) next: Statement,
    pub(super) lookup: Statement,
    pub(super) events_range: Statement,
    pub(super) insert_events: Statement,
    pub(super) write: Statement,
    pub(super) read_stream: Statement,
    pub(super) read_all: Statement,
    pub(super) scan: Statement,
    pub(super) stream_version: Statement,
    pub(super) heads: Statement,
    pub(super) find_command: Statement,
    pub(super) save_snapshot: Statement,
    pub(super) latest_snapshot: Statement,
    pub(super) clear_snapshots: Statement,
    pub(super) prune_snapshots: Statement,
    pub(super) load_keys: Statement,
    pub(super) put_key: Statement,
    pub(super) take_turn: Statement,
    pub(super) end_turn: Statement,
}

impl Statements {
    pub(super) fn prepare(client: &mut Client) -> Result<Statements, postgres::Error> {
        let mut p = |sql: &str| client.prepare(sql);
        Ok(Statements {
            register: p("INSERT INTO okr_organisations (organisation) VALUES ($1) \
                 ON CONFLICT (organisation) DO NOTHING")?,
            next: p("SELECT next_position FROM okr_organisations WHERE organisation = $1")?,
            // The batch's commands the organisation knows, and its streams' versions.
            lookup: p(
                "SELECT command_id, first_position, count, NULL::text, NULL::bigint, fingerprint \
                 FROM okr_commands WHERE organisation = $1 AND command_id = ANY($2) \
                 UNION ALL SELECT NULL::uuid, NULL::bigint, NULL::bigint, stream, version, \
                 NULL::bytea FROM okr_streams WHERE organisation = $1 AND stream = ANY($3)",
            )?,
            events_range: p(&format!(
                "SELECT {EVENT_COLUMNS} FROM okr_events WHERE organisation = $1 \
                 AND global_position >= $2 AND global_position < $3 ORDER BY global_position"
            ))?,
            insert_events: p(INSERT_EVENTS)?,
            // Everything an append writes, in one statement: the (last) events, the
            // commands, the stream heads, the counter, and the notification sent on commit.
            write: p(&format!(
                "WITH events AS ({INSERT_EVENTS}), \
                 commands AS (INSERT INTO okr_commands (organisation, command_id, stream, \
                 first_version, first_position, count, fingerprint) \
                 SELECT $1::text, * FROM unnest($14::uuid[], $15::text[], $16::bigint[], \
                 $17::bigint[], $18::bigint[], $19::bytea[])), \
                 heads AS (INSERT INTO okr_streams (organisation, stream, version) \
                 SELECT $1::text, * FROM unnest($20::text[], $21::bigint[]) \
                 ON CONFLICT (organisation, stream) DO UPDATE SET version = excluded.version), \
                 counter AS (UPDATE okr_organisations SET next_position = $22 \
                 WHERE organisation = $1) \
                 SELECT pg_notify('{}', $1)",
                super::NOTIFY_CHANNEL
            ))?,
            read_stream: p(&format!(
                "SELECT {EVENT_COLUMNS} FROM okr_events WHERE organisation = $1 \
                 AND stream = $2 AND stream_version >= $3 ORDER BY stream_version"
            ))?,
            read_all: p(&format!(
                "SELECT {EVENT_COLUMNS} FROM okr_events WHERE organisation = $1 \
                 AND global_position >= $2 ORDER BY global_position LIMIT $3"
            ))?,
            scan: p(&format!(
                "SELECT {EVENT_COLUMNS} FROM okr_events WHERE organisation = $1 \
                 AND global_position >= $2 AND global_position <= $3 \
                 ORDER BY global_position LIMIT $4"
            ))?,
            stream_version: p("SELECT version FROM okr_streams \
                 WHERE organisation = $1 AND stream = $2")?,
            heads: p("SELECT stream, version FROM okr_streams WHERE organisation = $1")?,
            find_command: p(&format!(
                "SELECT {}, c.count, c.fingerprint FROM okr_commands c JOIN okr_events e \
                 ON e.organisation = c.organisation \
                 AND e.global_position >= c.first_position \
                 AND e.global_position < c.first_position + c.count \
                 WHERE c.organisation = $1 AND c.command_id = $2 ORDER BY e.global_position",
                EVENT_COLUMNS
                    .split(", ")
                    .map(|c| format!("e.{c}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))?,
            save_snapshot: p("INSERT INTO okr_snapshots (organisation, position, bytes) \
                 VALUES ($1, $2, $3) \
                 ON CONFLICT (organisation, position) DO UPDATE SET bytes = excluded.bytes")?,
            latest_snapshot: p("SELECT position, bytes FROM okr_snapshots \
                 WHERE organisation = $1 AND position <= $2 ORDER BY position DESC LIMIT 1")?,
            clear_snapshots: p("DELETE FROM okr_snapshots WHERE organisation = $1")?,
            // Below the `$2`-th newest (counting from 1), which is kept.
            prune_snapshots: p(
                "DELETE FROM okr_snapshots WHERE organisation = $1 AND position < \
                 (SELECT position FROM okr_snapshots WHERE organisation = $1 \
                 ORDER BY position DESC OFFSET $2::bigint - 1 LIMIT 1)",
            )?,
            load_keys: p("SELECT owner, key FROM okr_keys WHERE organisation = $1")?,
            // A tombstone (NULL) is never replaced by a key.
            put_key: p(
                "INSERT INTO okr_keys (organisation, owner, key) VALUES ($1, $2, $3) \
                 ON CONFLICT (organisation, owner) DO UPDATE SET key = excluded.key \
                 WHERE okr_keys.key IS NOT NULL",
            )?,
            // The writers' turn: a session-level advisory lock keyed by the organisation.
            take_turn: p("SELECT pg_advisory_lock(hashtextextended('okr-writers:' || $1, 0))")?,
            end_turn: p("SELECT pg_advisory_unlock(hashtextextended('okr-writers:' || $1, 0))")?,
        })
    }
}
