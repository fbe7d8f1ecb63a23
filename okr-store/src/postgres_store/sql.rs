//! The statements of a [`PostgresStore`](super::PostgresStore), prepared once per
//! connection. Every one names the organisation as `$1`.

use postgres::{Client, Statement};

/// The columns [`super::RawEvent::from_row`] reads, in its order.
const EVENT_COLUMNS: &str = "global_position, stream, stream_version, event_id, event_type, \
     schema_version, recorded_at, actor, command_id, correlation_id, payload, event_hash";

/// The prepared statements of one connection.
pub(super) struct Statements {
    pub(super) register: Statement,
    pub(super) lock: Statement,
    pub(super) next: Statement,
    pub(super) commands_any: Statement,
    pub(super) versions_any: Statement,
    pub(super) events_range: Statement,
    pub(super) insert_events: Statement,
    pub(super) insert_commands: Statement,
    pub(super) upsert_streams: Statement,
    pub(super) advance: Statement,
    pub(super) notify: Statement,
    pub(super) read_stream: Statement,
    pub(super) read_all: Statement,
    pub(super) scan: Statement,
    pub(super) stream_version: Statement,
    pub(super) heads: Statement,
    pub(super) find_command: Statement,
    pub(super) save_snapshot: Statement,
    pub(super) latest_snapshot: Statement,
    pub(super) clear_snapshots: Statement,
    pub(super) take_turn: Statement,
    pub(super) end_turn: Statement,
}

impl Statements {
    pub(super) fn prepare(client: &mut Client) -> Result<Statements, postgres::Error> {
        let mut p = |sql: &str| client.prepare(sql);
        Ok(Statements {
            register: p("INSERT INTO okr_organisations (organisation) VALUES ($1) \
                 ON CONFLICT (organisation) DO NOTHING")?,
            lock: p("SELECT next_position FROM okr_organisations WHERE organisation = $1 \
                 FOR UPDATE")?,
            next: p("SELECT next_position FROM okr_organisations WHERE organisation = $1")?,
            commands_any: p("SELECT command_id, first_position, count, fingerprint FROM okr_commands \
                 WHERE organisation = $1 AND command_id = ANY($2)")?,
            versions_any: p("SELECT stream, version FROM okr_streams \
                 WHERE organisation = $1 AND stream = ANY($2)")?,
            events_range: p(&format!(
                "SELECT {EVENT_COLUMNS} FROM okr_events WHERE organisation = $1 \
                 AND global_position >= $2 AND global_position < $3 ORDER BY global_position"
            ))?,
            insert_events: p("INSERT INTO okr_events (organisation, global_position, stream, \
                 stream_version, event_id, event_type, schema_version, recorded_at, actor, \
                 command_id, correlation_id, payload, event_hash) \
                 SELECT $1::text, * FROM unnest($2::bigint[], $3::text[], $4::bigint[], $5::uuid[], \
                 $6::text[], $7::integer[], $8::text[], $9::text[], $10::uuid[], $11::uuid[], \
                 $12::bytea[], $13::bytea[])")?,
            insert_commands: p("INSERT INTO okr_commands (organisation, command_id, stream, \
                 first_version, first_position, count, fingerprint) \
                 SELECT $1::text, * FROM unnest($2::uuid[], $3::text[], $4::bigint[], $5::bigint[], \
                 $6::bigint[], $7::bytea[])")?,
            upsert_streams: p("INSERT INTO okr_streams (organisation, stream, version) \
                 SELECT $1::text, * FROM unnest($2::text[], $3::bigint[]) \
                 ON CONFLICT (organisation, stream) DO UPDATE SET version = excluded.version")?,
            advance: p("UPDATE okr_organisations SET next_position = $2 \
                 WHERE organisation = $1")?,
            notify: p(&format!("SELECT pg_notify('{}', $1)", super::NOTIFY_CHANNEL))?,
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
            // The writers' turn: a session-level advisory lock keyed by the organisation.
            take_turn: p("SELECT pg_advisory_lock(hashtextextended('okr-writers:' || $1, 0))")?,
            end_turn: p("SELECT pg_advisory_unlock(hashtextextended('okr-writers:' || $1, 0))")?,
        })
    }
}
