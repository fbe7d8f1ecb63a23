//! The tables of a [`PostgresStore`](super::PostgresStore) and their versioned migrations.

use postgres::Client;

use super::Fail;
use crate::error::StoreError;

/// A step of the schema: its version (from 1, gapless), what it does, and its SQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Migration {
    /// The schema version after this step.
    pub version: i32,
    /// What the step does, as recorded in `okr_schema_migrations`.
    pub description: &'static str,
    /// The statements, run in one transaction.
    pub sql: &'static str,
}

/// Every migration, oldest first. A database administrator who creates the schema by hand
/// runs these in order (and inserts their rows into `okr_schema_migrations`); the store
/// does it on open otherwise.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        description: "organisations, events, commands, stream heads and snapshots",
        sql: r#"
CREATE TABLE okr_organisations (
    organisation  text PRIMARY KEY,
    -- The global position the organisation's next event gets. Appends take this row
    -- FOR UPDATE, which puts them in commit order and keeps the positions gapless.
    next_position bigint NOT NULL DEFAULT 0 CHECK (next_position >= 0)
);

CREATE TABLE okr_events (
    organisation    text    NOT NULL REFERENCES okr_organisations (organisation),
    global_position bigint  NOT NULL CHECK (global_position >= 0),
    stream          text    NOT NULL,
    stream_version  bigint  NOT NULL CHECK (stream_version >= 0),
    event_id        uuid    NOT NULL,
    event_type      text    NOT NULL,
    schema_version  integer NOT NULL,
    -- RFC 3339 as the caller's clock gave it, nanoseconds included (timestamptz keeps
    -- microseconds only, and an export must read back byte for byte).
    recorded_at     text    NOT NULL,
    actor           text    NOT NULL,
    command_id      uuid    NOT NULL,
    correlation_id  uuid,
    -- The payload's JSON text exactly as written (jsonb would reorder keys and
    -- renormalise numbers).
    payload         bytea   NOT NULL,
    -- The event's link in the organisation's hash chain, where the build keeps one.
    event_hash      bytea,
    PRIMARY KEY (organisation, global_position),
    UNIQUE (organisation, stream, stream_version)
);

CREATE TABLE okr_commands (
    organisation   text   NOT NULL REFERENCES okr_organisations (organisation),
    command_id     uuid   NOT NULL,
    stream         text   NOT NULL,
    first_version  bigint NOT NULL,
    first_position bigint NOT NULL,
    count          bigint NOT NULL CHECK (count > 0),
    -- A digest of the command that produced the events, where the build records one.
    fingerprint    bytea,
    PRIMARY KEY (organisation, command_id)
);

CREATE TABLE okr_streams (
    organisation text   NOT NULL REFERENCES okr_organisations (organisation),
    stream       text   NOT NULL,
    version      bigint NOT NULL CHECK (version >= 0),
    PRIMARY KEY (organisation, stream)
);

CREATE TABLE okr_snapshots (
    organisation text   NOT NULL REFERENCES okr_organisations (organisation),
    position     bigint NOT NULL,
    bytes        bytea  NOT NULL,
    PRIMARY KEY (organisation, position)
);
"#,
    },
    Migration {
        version: 2,
        description: "the key store: per-person keys that seal personal data, and their tombstones",
        sql: r#"
CREATE TABLE okr_keys (
    organisation text NOT NULL REFERENCES okr_organisations (organisation),
    -- "person:<uuid>" or "snapshots".
    owner        text NOT NULL,
    -- The 32-byte key; NULL is the tombstone of a destroyed key.
    key          bytea CHECK (key IS NULL OR length(key) = 32),
    PRIMARY KEY (organisation, owner)
);
"#,
    },
];

/// The schema version this build writes and reads.
pub const SCHEMA_VERSION: i32 = 2;

const _: () = assert!(MIGRATIONS[MIGRATIONS.len() - 1].version == SCHEMA_VERSION);

/// The key of the advisory lock that migrations run under ("okr" in ASCII).
const MIGRATION_LOCK: i64 = 0x006f_6b72;

const CREATE_MIGRATIONS: &str = "CREATE TABLE IF NOT EXISTS okr_schema_migrations (
    version     integer PRIMARY KEY,
    description text NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now()
)";

/// The schema version the database holds: 0 without the migrations table.
fn current(client: &mut impl postgres::GenericClient) -> Result<i32, postgres::Error> {
    let exists: bool = client
        .query_one(
            "SELECT to_regclass('okr_schema_migrations') IS NOT NULL",
            &[],
        )?
        .try_get(0)?;
    if !exists {
        return Ok(0);
    }
    client
        .query_one(
            "SELECT coalesce(max(version), 0) FROM okr_schema_migrations",
            &[],
        )?
        .try_get(0)
}

fn newer(location: &str, found: i32) -> Fail {
    Fail::Store(StoreError::NewerSchema {
        location: location.to_owned(),
        found: u32::try_from(found).unwrap_or(0),
        supported: SCHEMA_VERSION as u32,
    })
}

/// Brings the database's schema to [`SCHEMA_VERSION`]: nothing to do (and no DDL) when it is
/// there; [`StoreError::NewerSchema`] when the database is ahead; else every missing
/// migration, each in its own transaction, under an advisory lock. Without `create`, a
/// database with no okr tables is left alone and `Ok(false)` returned.
pub(super) fn migrate(client: &mut Client, location: &str, create: bool) -> Result<bool, Fail> {
    let found = current(client)?;
    if found == SCHEMA_VERSION {
        return Ok(true);
    }
    if found > SCHEMA_VERSION {
        return Err(newer(location, found));
    }
    if found == 0 && !create {
        return Ok(false);
    }
    client.execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])?;
    let result = (|| -> Result<(), Fail> {
        client.batch_execute(CREATE_MIGRATIONS)?;
        for step in MIGRATIONS {
            let mut tx = client.transaction()?;
            let now = current(&mut tx)?;
            if now > SCHEMA_VERSION {
                return Err(newer(location, now));
            }
            if now >= step.version {
                continue;
            }
            tx.batch_execute(step.sql)?;
            tx.execute(
                "INSERT INTO okr_schema_migrations (version, description) VALUES ($1, $2)",
                &[&step.version, &step.description],
            )?;
            tx.commit()?;
        }
        Ok(())
    })();
    let unlocked = client.execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK]);
    result?;
    unlocked?;
    Ok(true)
}
