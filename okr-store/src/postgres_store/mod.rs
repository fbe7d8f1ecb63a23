//! [`PostgresStore`]: the event log in a PostgreSQL database, shared by engines in many
//! processes and by many organisations.
//!
//! # Where a store is
//!
//! A store is named by a URL, `postgres://user[:password]@host[:port]/database?organisation=<name>`
//! (`postgresql://` too; every other parameter is the client's, e.g. `connect_timeout`,
//! `application_name`, `options=-csearch_path%3Dokr`). The organisation is a name of 1 to 128
//! ASCII letters, digits, `-`, `_` and `.`; it can also be given as
//! [`PostgresOptions::organisation`]. Every row of every table carries it, and every statement
//! of a store names it: a store opened for one organisation reads and writes nothing of
//! another's. Connections are made without TLS: connect over `127.0.0.1`, a Unix socket
//! (`host=/run/postgresql`) or a tunnel.
//!
//! # Schema
//!
//! [`PostgresStore::open`] creates the tables when they are missing and applies the
//! migrations of [`MIGRATIONS`] a database lacks, one transaction each, under an advisory
//! lock so that processes opening at once do not race. The versions applied are rows of
//! `okr_schema_migrations`; a database with a version this build does not know is refused
//! with [`StoreError::NewerSchema`] before anything is written. A database whose schema is
//! current is opened without any DDL, so a role with only the privileges on the tables can
//! open it (see the README for the grants).
//!
//! # Positions in commit order
//!
//! Every append runs in one transaction that first takes the organisation's row of
//! `okr_organisations` with `SELECT … FOR UPDATE`. That row holds the organisation's next
//! global position. The lock is held until the transaction commits or rolls back, so the
//! appends of one organisation run one after the other, whatever process they come from:
//! the next append reads the counter only after the previous one committed (or rolled back,
//! leaving the counter as it was). Positions therefore come in commit order with no gap: a
//! position is never handed out by a transaction that later rolls back, and an append with
//! a lower position has always committed before one with a higher position starts. A reader
//! that has seen position `n` has seen every position below it. (A sequence would not do
//! this: `nextval` is not transactional, so a lower number can commit after a higher one, or
//! never.) The command index, the stream heads and the expected-version check are read after
//! the lock is taken, so they see every append committed before. Appends of different
//! organisations do not wait for each other.
//!
//! # Failures
//!
//! A failed statement rolls its transaction back: nothing of the batch is written. When the
//! connection breaks, the store drops it and connects again on the next call, so a store
//! outlives a restart of the server. A connection that breaks while `COMMIT` is on its way
//! leaves the append in doubt: it was recorded or not, and retrying it with the same command
//! id settles which (a retry of a recorded command returns the original outcome).
//!
//! # Other processes
//!
//! Each append notifies the channel `okr_events` with the organisation's name, on commit.
//! [`EventStore::wait_for_append`] waits for such a notification on a connection of its own
//! (and also polls, so that a lost notification delays a reader by at most its timeout).

mod schema;
mod sql;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::ops::ControlFlow;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use chrono::{DateTime, SecondsFormat, Utc};
use okr_core::StreamId;
use postgres::fallible_iterator::FallibleIterator;
use postgres::{Client, NoTls, Row};
use uuid::Uuid;

use crate::chain::{EventHash, Fingerprint};
use crate::error::StoreError;
use crate::event::{EventView, RecordedEvent};
use crate::keys::{Key, KeyEntry, KeyOwner};
use crate::scan::ScanChunk;
use crate::store::{
    append_in, AppendOutcome, AppendRequest, CommandEntry, CommandRecord, EventStore, Tx,
    WriterTurn,
};

pub use schema::{MIGRATIONS, SCHEMA_VERSION};
use sql::Statements;

/// The channel every append notifies, with the organisation's name as payload.
pub const NOTIFY_CHANNEL: &str = "okr_events";

/// How many events one `INSERT` of an append carries at most.
const INSERT_CHUNK: usize = 10_000;
/// How many events a scan reads at a time.
const SCAN_CHUNK: i64 = 4096;
/// Set on every connection: a lock held by a stuck writer fails a wait after 30 s instead
/// of blocking it for ever.
const SESSION_SETTINGS: &str = "SET lock_timeout = '30s'";
/// The longest an organisation's name may be.
const MAX_ORGANISATION_LEN: usize = 128;

/// How to open a [`PostgresStore`] beyond its URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostgresOptions {
    /// The organisation whose log the store holds; overrides the URL's `organisation`
    /// parameter. One of them is needed.
    pub organisation: Option<String>,
    /// Create the tables and register the organisation when they are missing (default
    /// `true`); otherwise a database without them is [`StoreError::InvalidLocation`].
    /// Migrating an older schema happens either way.
    pub create_if_missing: bool,
}

impl Default for PostgresOptions {
    fn default() -> Self {
        PostgresOptions {
            organisation: None,
            create_if_missing: true,
        }
    }
}

/// Whether `location` names a PostgreSQL store (`postgres://…` or `postgresql://…`) rather
/// than a path.
pub fn is_postgres_url(location: &str) -> bool {
    let lower = location.get(..13).unwrap_or(location).to_ascii_lowercase();
    lower.starts_with("postgres://") || lower.starts_with("postgresql://")
}

/// An [`EventStore`] in a PostgreSQL database: one organisation's log among many.
///
/// ```no_run
/// use okr_store::{EventStore, PostgresOptions, PostgresStore};
///
/// let store = PostgresStore::open(
///     "postgres://okr@127.0.0.1/okr?organisation=lahnau",
///     PostgresOptions::default(),
/// )?;
/// assert_eq!(store.organisation(), "lahnau");
/// println!("{:?}", store.last_position()?);
/// # Ok::<(), okr_store::StoreError>(())
/// ```
///
/// The store keeps one connection for its calls (they are serialised on it) and, once
/// [`EventStore::wait_for_append`] is called, one for notifications.
pub struct PostgresStore {
    config: postgres::Config,
    /// `host:port/database (organisation name)`, for messages: never the password.
    location: String,
    organisation: String,
    conn: Mutex<Option<Conn>>,
    listener: Mutex<Option<Client>>,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore")
            .field("location", &self.location)
            .finish_non_exhaustive()
    }
}

/// A connection with its prepared statements.
struct Conn {
    client: Client,
    st: Statements,
    /// Set while an append's transaction is open: a connection found with it set was left
    /// by a panic mid-transaction and is not used again.
    in_transaction: bool,
}

/// An error inside a store call: ours, or the client's (which may mean the connection is
/// gone).
enum Fail {
    Store(StoreError),
    Pg(postgres::Error),
}

impl From<StoreError> for Fail {
    fn from(e: StoreError) -> Self {
        Fail::Store(e)
    }
}

impl From<postgres::Error> for Fail {
    fn from(e: postgres::Error) -> Self {
        Fail::Pg(e)
    }
}

impl PostgresStore {
    /// Connects to the database `url` names, creates or migrates the schema, and registers
    /// the organisation (from `options` or the URL's `organisation` parameter).
    ///
    /// Errors: [`StoreError::InvalidLocation`] for a URL the client cannot read or a missing
    /// or malformed organisation; [`StoreError::Postgres`] when the server cannot be reached
    /// or refuses; [`StoreError::NewerSchema`] for a database migrated by a newer build.
    pub fn open(url: &str, options: PostgresOptions) -> Result<PostgresStore, StoreError> {
        let (mut config, from_url) = parse_url(url)?;
        let organisation = options
            .organisation
            .or(from_url)
            .ok_or_else(|| StoreError::InvalidLocation {
                location: redact(url),
                reason: "no organisation: add `?organisation=<name>` to the URL or give the organisation option".to_owned(),
            })?;
        check_organisation(&organisation).map_err(|reason| StoreError::InvalidLocation {
            location: redact(url),
            reason,
        })?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(10));
        }
        if config.get_application_name().is_none() {
            config.application_name("okr");
        }
        let location = format!("{} (organisation {organisation})", describe(&config));
        let store = PostgresStore {
            config,
            location,
            organisation,
            conn: Mutex::new(None),
            listener: Mutex::new(None),
        };
        let mut client = store.connect()?;
        let missing = |what: &str| StoreError::InvalidLocation {
            location: store.location.clone(),
            reason: format!("{what}; create it with `okr init` (or open with create_if_missing)"),
        };
        match schema::migrate(&mut client, &store.location, options.create_if_missing) {
            Ok(true) => {}
            Ok(false) => return Err(missing("the database holds no okr tables")),
            Err(Fail::Store(e)) => return Err(e),
            Err(Fail::Pg(e)) => return Err(store.pg_error(e)),
        }
        let st = Statements::prepare(&mut client).map_err(|e| store.pg_error(e))?;
        if options.create_if_missing {
            client
                .execute(&st.register, &[&store.organisation])
                .map_err(|e| store.pg_error(e))?;
        } else if client
            .query_opt(&st.next, &[&store.organisation])
            .map_err(|e| store.pg_error(e))?
            .is_none()
        {
            return Err(missing("the database holds no store of this organisation"));
        }
        *store.lock() = Some(Conn {
            client,
            st,
            in_transaction: false,
        });
        Ok(store)
    }

    /// The organisation whose log this store holds.
    pub fn organisation(&self) -> &str {
        &self.organisation
    }

    /// Where the store is, for messages: host, port, database and organisation (never the
    /// password).
    pub fn location(&self) -> &str {
        &self.location
    }

    fn lock(&self) -> MutexGuard<'_, Option<Conn>> {
        // A panic while holding the lock leaves at worst a connection in an unknown
        // transaction state; it is dropped below when a call on it fails.
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `f` on the store's connection, connecting first when there is none. A client
    /// error that is not the database refusing a statement drops the connection, so the
    /// next call connects again.
    fn with_conn<T>(
        &self,
        f: impl FnOnce(&mut Conn, &str, &str) -> Result<T, Fail>,
    ) -> Result<T, StoreError> {
        let mut guard = self.lock();
        if guard
            .as_ref()
            .is_some_and(|c| c.in_transaction || c.client.is_closed())
        {
            *guard = None;
        }
        if guard.is_none() {
            let mut client = self.connect()?;
            let st = Statements::prepare(&mut client).map_err(|e| self.pg_error(e))?;
            *guard = Some(Conn {
                client,
                st,
                in_transaction: false,
            });
        }
        let conn = guard.as_mut().expect("connected above");
        match f(conn, &self.organisation, &self.location) {
            Ok(t) => Ok(t),
            Err(Fail::Store(e)) => Err(e),
            Err(Fail::Pg(e)) => {
                if e.is_closed() || e.code().is_none() {
                    *guard = None;
                }
                Err(self.pg_error(e))
            }
        }
    }

    /// A new connection, with the session settings of the store.
    fn connect(&self) -> Result<Client, StoreError> {
        let mut client = self.config.connect(NoTls).map_err(|e| self.pg_error(e))?;
        client
            .batch_execute(SESSION_SETTINGS)
            .map_err(|e| self.pg_error(e))?;
        Ok(client)
    }

    fn pg_error(&self, e: postgres::Error) -> StoreError {
        StoreError::Postgres {
            location: self.location.clone(),
            source: Box::new(e),
        }
    }

    fn corrupt(&self, detail: impl Into<String>) -> StoreError {
        StoreError::Corrupt {
            location: self.location.clone(),
            detail: detail.into(),
        }
    }
}

/// Splits the `organisation` parameter off `url` and hands the rest to the client's parser.
fn parse_url(url: &str) -> Result<(postgres::Config, Option<String>), StoreError> {
    let invalid = |reason: String| StoreError::InvalidLocation {
        location: redact(url),
        reason,
    };
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let mut organisation = None;
    let mut kept = Vec::new();
    for pair in query.into_iter().flat_map(|q| q.split('&')) {
        if pair.is_empty() {
            continue;
        }
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        if key == "organisation" {
            let value = percent_encoding::percent_decode_str(value)
                .decode_utf8()
                .map_err(|e| invalid(format!("the organisation is not UTF-8: {e}")))?;
            if organisation.replace(value.into_owned()).is_some() {
                return Err(invalid("the organisation is given twice".to_owned()));
            }
        } else {
            kept.push(pair);
        }
    }
    let rest = if kept.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    let config = rest
        .parse::<postgres::Config>()
        .map_err(|e| invalid(format!("not a PostgreSQL URL: {e}")))?;
    Ok((config, organisation))
}

/// Checks an organisation's name: 1 to 128 of `A-Z a-z 0-9 - _ .`.
fn check_organisation(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("the organisation is empty".to_owned());
    }
    if name.len() > MAX_ORGANISATION_LEN {
        return Err(format!(
            "the organisation is {} characters long, at most {MAX_ORGANISATION_LEN} are allowed",
            name.len()
        ));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
    {
        return Err(format!(
            "the organisation {name:?} holds {bad:?}; use ASCII letters, digits, '-', '_' and '.'"
        ));
    }
    Ok(())
}

/// The URL without its password, for messages: `postgres://user:***@host/…`; a
/// `password=` parameter of the query is masked the same way. A URL without a password
/// keeps its user as it is, and anything that is not a URL comes back as it is.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let authority = match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _password)) => format!("{user}:***@{host}"),
            None => format!("{userinfo}@{host}"),
        },
        None => authority.to_owned(),
    };
    let tail = match tail.split_once('?') {
        Some((path, query)) => {
            let query: Vec<String> = query
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some((key, _)) if key.eq_ignore_ascii_case("password") => {
                        format!("{key}=***")
                    }
                    _ => pair.to_owned(),
                })
                .collect();
            format!("{path}?{}", query.join("&"))
        }
        None => tail.to_owned(),
    };
    format!("{scheme}://{authority}{tail}")
}

/// `host:port/database` of a client configuration.
fn describe(config: &postgres::Config) -> String {
    use postgres::config::Host;
    let host = match config.get_hosts().first() {
        Some(Host::Tcp(h)) => h.clone(),
        #[cfg(unix)]
        Some(Host::Unix(p)) => p.display().to_string(),
        None => "localhost".to_owned(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let db = config
        .get_dbname()
        .or(config.get_user())
        .unwrap_or("postgres");
    format!("{host}:{port}/{db}")
}

fn to_i64(value: u64, what: &str) -> Result<i64, StoreError> {
    i64::try_from(value).map_err(|_| StoreError::Corrupt {
        location: "PostgreSQL store".to_owned(),
        detail: format!("{what} {value} does not fit PostgreSQL's bigint"),
    })
}

/// A stored event as the rows give it, before its payload is parsed.
struct RawEvent {
    global_position: u64,
    stream: String,
    stream_version: u64,
    event_id: Uuid,
    event_type: String,
    schema_version: u32,
    recorded_at: DateTime<Utc>,
    actor: String,
    command_id: Uuid,
    correlation_id: Option<Uuid>,
    payload: Vec<u8>,
    /// [`EventHash::GENESIS`] for a row without one.
    hash: EventHash,
}

impl RawEvent {
    /// Reads a row of [`sql::EVENT_COLUMNS`].
    fn from_row(row: &Row, location: &str) -> Result<RawEvent, Fail> {
        let corrupt = |detail: String| StoreError::Corrupt {
            location: location.to_owned(),
            detail,
        };
        let position: i64 = row.try_get(0)?;
        let at = |detail: &str| corrupt(format!("event at global position {position}: {detail}"));
        let version: i64 = row.try_get(2)?;
        let schema_version: i32 = row.try_get(5)?;
        let recorded_at: String = row.try_get(6)?;
        Ok(RawEvent {
            global_position: u64::try_from(position).map_err(|_| at("negative position"))?,
            stream: row.try_get(1)?,
            stream_version: u64::try_from(version).map_err(|_| at("negative stream version"))?,
            event_id: row.try_get(3)?,
            event_type: row.try_get(4)?,
            schema_version: u32::try_from(schema_version)
                .map_err(|_| at("negative schema version"))?,
            recorded_at: DateTime::parse_from_rfc3339(&recorded_at)
                .map_err(|e| at(&format!("recorded_at {recorded_at:?}: {e}")))?
                .with_timezone(&Utc),
            actor: row.try_get(7)?,
            command_id: row.try_get(8)?,
            correlation_id: row.try_get(9)?,
            payload: row.try_get(10)?,
            hash: match row.try_get::<_, Option<Vec<u8>>>(11)? {
                None => EventHash::GENESIS,
                Some(bytes) => {
                    EventHash(bytes.as_slice().try_into().map_err(|_| {
                        at(&format!("event_hash has {} bytes, not 32", bytes.len()))
                    })?)
                }
            },
        })
    }

    fn view(&self) -> EventView<'_> {
        EventView {
            global_position: self.global_position,
            event_id: self.event_id,
            command_id: self.command_id,
            stream: &self.stream,
            stream_version: self.stream_version,
            event_type: &self.event_type,
            schema_version: self.schema_version,
            recorded_at: self.recorded_at,
            actor: &self.actor,
            correlation_id: self.correlation_id,
            payload: &self.payload,
            hash: self.hash,
        }
    }

    fn into_recorded(self, location: &str) -> Result<RecordedEvent, StoreError> {
        let position = self.global_position;
        self.view()
            .to_recorded()
            .map_err(|detail| StoreError::Corrupt {
                location: location.to_owned(),
                detail: format!("event at global position {position}: {detail}"),
            })
    }
}

fn recorded_events(rows: &[Row], location: &str) -> Result<Vec<RecordedEvent>, Fail> {
    rows.iter()
        .map(|row| Ok(RawEvent::from_row(row, location)?.into_recorded(location)?))
        .collect()
}

/// A stored fingerprint: 16 bytes, or none (NULL, or a row of a build without them).
fn fingerprint_of(bytes: Option<Vec<u8>>) -> Option<Fingerprint> {
    bytes
        .and_then(|b| <[u8; 16]>::try_from(b.as_slice()).ok())
        .map(Fingerprint)
}

/// The time as stored: RFC 3339 with as many fractional digits as it has, so that it reads
/// back to the same instant, nanoseconds included.
fn stored_time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// One append transaction seen through [`Tx`]: what the database held when the lock was
/// taken, and what the batch staged on top.
struct PgTx<'a> {
    client: &'a mut Client,
    st: &'a Statements,
    organisation: &'a str,
    location: &'a str,
    next_position: u64,
    /// Commands of the batch the database knows: first position, count, fingerprint.
    stored_commands: HashMap<Uuid, CommandEntry>,
    /// The stored events of those commands, by position (read when a command is found).
    stored_events: HashMap<u64, RecordedEvent>,
    /// The stream versions the database holds for the batch's streams.
    versions: HashMap<StreamId, u64>,
    staged_events: Vec<RecordedEvent>,
    staged_commands: Vec<(Uuid, CommandRecord)>,
    staged_index: HashMap<Uuid, CommandEntry>,
    /// Where `staged_events` start.
    first_staged: u64,
    /// The hash of the event before `first_staged`, once read.
    stored_head: Option<EventHash>,
}

impl Tx for PgTx<'_> {
    type Error = Fail;

    fn command(&mut self, command_id: Uuid) -> Result<Option<CommandEntry>, Fail> {
        if let Some(found) = self.staged_index.get(&command_id) {
            return Ok(Some(*found));
        }
        let Some(&(first, count, fingerprint)) = self.stored_commands.get(&command_id) else {
            return Ok(None);
        };
        if !self.stored_events.contains_key(&first) {
            let rows = self.client.query(
                &self.st.events_range,
                &[
                    &self.organisation,
                    &to_i64(first, "position")?,
                    &to_i64(first.saturating_add(count), "position")?,
                ],
            )?;
            for event in recorded_events(&rows, self.location)? {
                self.stored_events.insert(event.global_position, event);
            }
        }
        Ok(Some((first, count, fingerprint)))
    }

    fn event(&mut self, position: u64) -> Result<RecordedEvent, Fail> {
        if position >= self.first_staged {
            let index = usize::try_from(position - self.first_staged).unwrap_or(usize::MAX);
            if let Some(event) = self.staged_events.get(index) {
                return Ok(event.clone());
            }
        }
        self.stored_events.get(&position).cloned().ok_or_else(|| {
            Fail::Store(StoreError::Corrupt {
                location: self.location.to_owned(),
                detail: format!(
                    "the command index points at position {position}, which holds no event"
                ),
            })
        })
    }

    fn version(&mut self, stream: &StreamId) -> Result<u64, Fail> {
        Ok(self.versions.get(stream).copied().unwrap_or(0))
    }

    fn next_position(&mut self) -> Result<u64, Fail> {
        Ok(self.next_position)
    }

    fn head_hash(&mut self) -> Result<EventHash, Fail> {
        if let Some(last) = self.staged_events.last() {
            return Ok(last.hash);
        }
        if let Some(head) = self.stored_head {
            return Ok(head);
        }
        let head = match self.first_staged.checked_sub(1) {
            None => EventHash::GENESIS,
            Some(position) => {
                let rows = self.client.query(
                    &self.st.events_range,
                    &[
                        &self.organisation,
                        &to_i64(position, "position")?,
                        &to_i64(position + 1, "position")?,
                    ],
                )?;
                let row = rows.first().ok_or_else(|| {
                    Fail::Store(StoreError::Corrupt {
                        location: self.location.to_owned(),
                        detail: format!("the log's last event, at position {position}, is missing"),
                    })
                })?;
                RawEvent::from_row(row, self.location)?.hash
            }
        };
        self.stored_head = Some(head);
        Ok(head)
    }

    fn write(
        &mut self,
        command_id: Uuid,
        record: &CommandRecord,
        events: &[RecordedEvent],
        _payloads: &[Vec<u8>],
    ) -> Result<(), Fail> {
        if let Some(last) = events.last() {
            self.versions.insert(last.stream, last.stream_version + 1);
            self.next_position = last.global_position + 1;
        }
        self.staged_events.extend_from_slice(events);
        self.staged_index.insert(
            command_id,
            (record.first_position, record.count, record.fingerprint),
        );
        self.staged_commands.push((command_id, record.clone()));
        Ok(())
    }
}

/// The columns of a chunk of events, as the array parameters of an `INSERT … unnest`.
struct EventColumns<'e> {
    positions: Vec<i64>,
    streams: Vec<String>,
    versions: Vec<i64>,
    ids: Vec<Uuid>,
    types: Vec<&'e str>,
    schema_versions: Vec<i32>,
    times: Vec<String>,
    actors: Vec<&'e str>,
    commands: Vec<Uuid>,
    correlations: Vec<Option<Uuid>>,
    payloads: Vec<Vec<u8>>,
    hashes: Vec<Option<Vec<u8>>>,
}

impl<'e> EventColumns<'e> {
    fn of(events: &'e [RecordedEvent]) -> Result<Self, StoreError> {
        let n = events.len();
        let mut c = EventColumns {
            positions: Vec::with_capacity(n),
            streams: Vec::with_capacity(n),
            versions: Vec::with_capacity(n),
            ids: Vec::with_capacity(n),
            types: Vec::with_capacity(n),
            schema_versions: Vec::with_capacity(n),
            times: Vec::with_capacity(n),
            actors: Vec::with_capacity(n),
            commands: Vec::with_capacity(n),
            correlations: Vec::with_capacity(n),
            payloads: Vec::with_capacity(n),
            hashes: Vec::with_capacity(n),
        };
        for e in events {
            c.positions.push(to_i64(e.global_position, "position")?);
            c.streams.push(e.stream.name());
            c.versions.push(to_i64(e.stream_version, "stream version")?);
            c.ids.push(e.event_id);
            c.types.push(e.event_type.as_str());
            c.schema_versions
                .push(
                    i32::try_from(e.schema_version).map_err(|_| StoreError::Corrupt {
                        location: "PostgreSQL store".to_owned(),
                        detail: format!(
                            "schema version {} does not fit PostgreSQL's integer",
                            e.schema_version
                        ),
                    })?,
                );
            c.times.push(stored_time(e.recorded_at));
            c.actors.push(e.actor.as_str());
            c.commands.push(e.command_id);
            c.correlations.push(e.correlation_id);
            // The same JSON text the event's hash covers (serde_json's output of the value).
            c.payloads.push(serde_json::to_vec(&e.payload)?);
            c.hashes.push(Some(e.hash.0.to_vec()));
        }
        Ok(c)
    }

    /// The twelve parameters after the organisation, in the order of the statements.
    fn params(&self) -> [&(dyn postgres::types::ToSql + Sync); 12] {
        [
            &self.positions,
            &self.streams,
            &self.versions,
            &self.ids,
            &self.types,
            &self.schema_versions,
            &self.times,
            &self.actors,
            &self.commands,
            &self.correlations,
            &self.payloads,
            &self.hashes,
        ]
    }
}

impl PgTx<'_> {
    /// Writes what the batch staged — events, commands, stream heads, the counter, and the
    /// notification that goes out on commit — in one statement (more when the batch holds
    /// more than [`INSERT_CHUNK`] events).
    fn flush(self) -> Result<(), Fail> {
        let PgTx {
            client,
            st,
            organisation,
            staged_events,
            staged_commands,
            versions,
            next_position,
            ..
        } = self;
        if staged_events.is_empty() {
            return Ok(());
        }
        let mut chunks: Vec<&[RecordedEvent]> = staged_events.chunks(INSERT_CHUNK).collect();
        let last = chunks.pop().unwrap_or(&[]);
        for chunk in chunks {
            let columns = EventColumns::of(chunk)?;
            let mut params: Vec<&(dyn postgres::types::ToSql + Sync)> = vec![&organisation];
            params.extend(columns.params());
            client.execute(&st.insert_events, &params)?;
        }
        let columns = EventColumns::of(last)?;
        let mut ids = Vec::with_capacity(staged_commands.len());
        let mut streams = Vec::with_capacity(staged_commands.len());
        let mut first_versions = Vec::with_capacity(staged_commands.len());
        let mut first_positions = Vec::with_capacity(staged_commands.len());
        let mut counts = Vec::with_capacity(staged_commands.len());
        let fingerprints: Vec<Option<Vec<u8>>> = staged_commands
            .iter()
            .map(|(_, record)| record.fingerprint.map(|f| f.0.to_vec()))
            .collect();
        let mut touched = HashSet::new();
        for (id, record) in &staged_commands {
            ids.push(*id);
            streams.push(record.stream.name());
            first_versions.push(to_i64(record.first_version, "stream version")?);
            first_positions.push(to_i64(record.first_position, "position")?);
            counts.push(to_i64(record.count, "count")?);
            touched.insert(record.stream);
        }
        let mut head_streams = Vec::with_capacity(touched.len());
        let mut head_versions = Vec::with_capacity(touched.len());
        for stream in touched {
            head_versions.push(to_i64(
                versions.get(&stream).copied().unwrap_or(0),
                "version",
            )?);
            head_streams.push(stream.name());
        }
        let next = to_i64(next_position, "position")?;
        let mut params: Vec<&(dyn postgres::types::ToSql + Sync)> = vec![&organisation];
        params.extend(columns.params());
        params.extend([
            &ids as &(dyn postgres::types::ToSql + Sync),
            &streams,
            &first_versions,
            &first_positions,
            &counts,
            &fingerprints,
            &head_streams,
            &head_versions,
            &next,
        ]);
        client.execute(&st.write, &params)?;
        Ok(())
    }
}

/// Escapes a string as a SQL literal (the organisation's name is checked to hold only
/// letters, digits, `-`, `_` and `.`; this is the second line of defence).
fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

impl PostgresStore {
    /// One append transaction on `client`: lock the organisation's counter, read what the
    /// batch needs, run the rules, write, commit. Any error rolls back.
    fn append_on(
        client: &mut Client,
        st: &Statements,
        organisation: &str,
        location: &str,
        batch: Vec<AppendRequest>,
    ) -> Result<Vec<AppendOutcome>, Fail> {
        // BEGIN and the lock in one round trip (the simple protocol takes both at once).
        let begin = format!(
            "BEGIN; SELECT next_position FROM okr_organisations WHERE organisation = {} FOR UPDATE",
            literal(organisation)
        );
        let mut next = None;
        for message in client.simple_query(&begin)? {
            if let postgres::SimpleQueryMessage::Row(row) = message {
                next = row.get(0).map(str::to_owned);
            }
        }
        let Some(next) = next else {
            return Err(StoreError::Corrupt {
                location: location.to_owned(),
                detail: "the organisation's row of okr_organisations is missing".to_owned(),
            }
            .into());
        };
        let next: u64 = next.parse().map_err(|_| StoreError::Corrupt {
            location: location.to_owned(),
            detail: format!("the next position is {next:?}"),
        })?;
        let ids: Vec<Uuid> = batch.iter().map(|r| r.command_id).collect();
        let names: Vec<String> = batch
            .iter()
            .map(|r| r.stream)
            .collect::<HashSet<_>>()
            .into_iter()
            .map(|s| s.name())
            .collect();
        let mut stored_commands = HashMap::new();
        let mut versions = HashMap::new();
        for row in client.query(&st.lookup, &[&organisation, &ids, &names])? {
            if let Some(id) = row.try_get::<_, Option<Uuid>>(0)? {
                let first: i64 = row.try_get(1)?;
                let count: i64 = row.try_get(2)?;
                let fingerprint: Option<Vec<u8>> = row.try_get(5)?;
                stored_commands.insert(
                    id,
                    (
                        u64::try_from(first).unwrap_or(u64::MAX),
                        u64::try_from(count).unwrap_or(0),
                        fingerprint_of(fingerprint),
                    ),
                );
            } else {
                let name: String = row.try_get(3)?;
                let version: i64 = row.try_get(4)?;
                let stream = name.parse::<StreamId>().map_err(|e| StoreError::Corrupt {
                    location: location.to_owned(),
                    detail: format!("okr_streams holds {name:?}: {e}"),
                })?;
                versions.insert(stream, u64::try_from(version).unwrap_or(0));
            }
        }
        let mut ptx = PgTx {
            client,
            st,
            organisation,
            location,
            next_position: next,
            stored_commands,
            stored_events: HashMap::new(),
            versions,
            staged_events: Vec::new(),
            staged_commands: Vec::new(),
            staged_index: HashMap::new(),
            first_staged: next,
            stored_head: None,
        };
        let outcomes = batch
            .into_iter()
            .map(|request| append_in(&mut ptx, request))
            .collect::<Result<Vec<_>, _>>()?;
        ptx.flush()?;
        client.batch_execute("COMMIT")?;
        Ok(outcomes)
    }
}

impl EventStore for PostgresStore {
    fn append_batch(&self, batch: Vec<AppendRequest>) -> Result<Vec<AppendOutcome>, StoreError> {
        if batch.is_empty() {
            return Ok(Vec::new());
        }
        self.with_conn(|conn, organisation, location| {
            conn.in_transaction = true;
            let result = Self::append_on(&mut conn.client, &conn.st, organisation, location, batch);
            // A failed append ends its transaction; when even that fails, the connection
            // stays marked and is dropped on the next call.
            let ended = result.is_ok() || conn.client.batch_execute("ROLLBACK").is_ok();
            conn.in_transaction = !ended;
            result
        })
    }

    fn read_stream(
        &self,
        stream: &StreamId,
        from_version: u64,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let from = i64::try_from(from_version).unwrap_or(i64::MAX);
        self.with_conn(|conn, organisation, location| {
            let rows = conn.client.query(
                &conn.st.read_stream,
                &[&organisation, &stream.name(), &from],
            )?;
            recorded_events(&rows, location)
        })
    }

    fn read_all(&self, from_position: u64, max: usize) -> Result<Vec<RecordedEvent>, StoreError> {
        let from = i64::try_from(from_position).unwrap_or(i64::MAX);
        let limit = i64::try_from(max).unwrap_or(i64::MAX);
        self.with_conn(|conn, organisation, location| {
            let rows = conn
                .client
                .query(&conn.st.read_all, &[&organisation, &from, &limit])?;
            recorded_events(&rows, location)
        })
    }

    fn stream_version(&self, stream: &StreamId) -> Result<u64, StoreError> {
        self.with_conn(|conn, organisation, _| {
            let row = conn
                .client
                .query_opt(&conn.st.stream_version, &[&organisation, &stream.name()])?;
            match row {
                Some(row) => Ok(u64::try_from(row.try_get::<_, i64>(0)?).unwrap_or(0)),
                None => Ok(0),
            }
        })
    }

    fn heads(&self) -> Result<BTreeMap<StreamId, u64>, StoreError> {
        self.with_conn(|conn, organisation, location| {
            let mut heads = BTreeMap::new();
            for row in conn.client.query(&conn.st.heads, &[&organisation])? {
                let name: String = row.try_get(0)?;
                let version: i64 = row.try_get(1)?;
                let stream = name.parse::<StreamId>().map_err(|e| StoreError::Corrupt {
                    location: location.to_owned(),
                    detail: format!("okr_streams holds {name:?}: {e}"),
                })?;
                if version > 0 {
                    heads.insert(stream, u64::try_from(version).unwrap_or(0));
                }
            }
            Ok(heads)
        })
    }

    fn last_position(&self) -> Result<Option<u64>, StoreError> {
        self.with_conn(|conn, organisation, location| {
            let Some(row) = conn.client.query_opt(&conn.st.next, &[&organisation])? else {
                return Err(StoreError::Corrupt {
                    location: location.to_owned(),
                    detail: "the organisation's row of okr_organisations is missing".to_owned(),
                }
                .into());
            };
            let next: i64 = row.try_get(0)?;
            Ok(u64::try_from(next).ok().and_then(|n| n.checked_sub(1)))
        })
    }

    fn find_command(&self, command_id: Uuid) -> Result<Option<AppendOutcome>, StoreError> {
        self.with_conn(|conn, organisation, location| {
            // One statement, so the command and its events come from one snapshot.
            let rows = conn
                .client
                .query(&conn.st.find_command, &[&organisation, &command_id])?;
            if rows.is_empty() {
                return Ok(None);
            }
            let count: i64 = rows[0].try_get(12)?;
            let fingerprint = fingerprint_of(rows[0].try_get(13)?);
            let events = recorded_events(&rows, location)?;
            if events.len() as i64 != count {
                return Err(StoreError::Corrupt {
                    location: location.to_owned(),
                    detail: format!(
                        "command {command_id} recorded {count} events, {} are stored",
                        events.len()
                    ),
                }
                .into());
            }
            Ok(Some(AppendOutcome {
                events,
                duplicate: true,
                fingerprint,
            }))
        })
    }

    fn scan(
        &self,
        from: u64,
        last: u64,
        visit: &mut dyn FnMut(ScanChunk<'_>) -> ControlFlow<()>,
    ) -> Result<(), StoreError> {
        let mut from = from;
        while from <= last {
            let first = to_i64(from, "position")?;
            let upto = i64::try_from(last).unwrap_or(i64::MAX);
            let raws = self.with_conn(|conn, organisation, location| {
                let rows = conn
                    .client
                    .query(&conn.st.scan, &[&organisation, &first, &upto, &SCAN_CHUNK])?;
                rows.iter()
                    .map(|row| RawEvent::from_row(row, location))
                    .collect::<Result<Vec<_>, _>>()
            })?;
            let Some(tail) = raws.last() else { break };
            for (raw, expected) in raws.iter().zip(from..) {
                if raw.global_position != expected {
                    return Err(self.corrupt(format!(
                        "the log has a gap: position {expected} is missing, {} follows",
                        raw.global_position
                    )));
                }
            }
            from = tail.global_position + 1;
            let views: Vec<EventView<'_>> = raws.iter().map(RawEvent::view).collect();
            if visit(ScanChunk::from_views(&views)).is_break() {
                break;
            }
        }
        Ok(())
    }

    fn save_snapshot(&self, position: u64, bytes: &[u8]) -> Result<(), StoreError> {
        let position = to_i64(position, "position")?;
        self.with_conn(|conn, organisation, _| {
            conn.client
                .execute(&conn.st.save_snapshot, &[&organisation, &position, &bytes])?;
            Ok(())
        })
    }

    fn latest_snapshot(
        &self,
        at_or_before: Option<u64>,
    ) -> Result<Option<(u64, Vec<u8>)>, StoreError> {
        let upto = at_or_before.map_or(i64::MAX, |p| i64::try_from(p).unwrap_or(i64::MAX));
        self.with_conn(|conn, organisation, _| {
            let row = conn
                .client
                .query_opt(&conn.st.latest_snapshot, &[&organisation, &upto])?;
            match row {
                Some(row) => {
                    let position: i64 = row.try_get(0)?;
                    Ok(Some((
                        u64::try_from(position).unwrap_or(0),
                        row.try_get::<_, Vec<u8>>(1)?,
                    )))
                }
                None => Ok(None),
            }
        })
    }

    fn prune_snapshots(&self, keep: usize) -> Result<(), StoreError> {
        if keep == 0 {
            return self.clear_snapshots();
        }
        let keep = i64::try_from(keep).unwrap_or(i64::MAX);
        self.with_conn(|conn, organisation, _| {
            conn.client
                .execute(&conn.st.prune_snapshots, &[&organisation, &keep])?;
            Ok(())
        })
    }

    fn clear_snapshots(&self) -> Result<(), StoreError> {
        self.with_conn(|conn, organisation, _| {
            conn.client
                .execute(&conn.st.clear_snapshots, &[&organisation])?;
            Ok(())
        })
    }

    /// The organisation's rows of `okr_keys`.
    fn load_keys(&self) -> Result<Vec<(KeyOwner, KeyEntry)>, StoreError> {
        let location = self.location.clone();
        self.with_conn(|conn, organisation, _| {
            let rows = conn.client.query(&conn.st.load_keys, &[&organisation])?;
            let mut entries = Vec::with_capacity(rows.len());
            for row in rows {
                let owner: String = row.try_get(0)?;
                let key: Option<Vec<u8>> = row.try_get(1)?;
                let damaged = |detail: String| {
                    Fail::Store(StoreError::Corrupt {
                        location: location.clone(),
                        detail: format!("the key store is damaged: {detail}"),
                    })
                };
                let owner: KeyOwner = owner.parse().map_err(damaged)?;
                let entry = match key {
                    None => KeyEntry::Destroyed,
                    Some(bytes) => KeyEntry::Key(Key(bytes
                        .try_into()
                        .map_err(|_| damaged(format!("the key of {owner} is not 32 bytes")))?)),
                };
                entries.push((owner, entry));
            }
            Ok(entries)
        })
    }

    /// Upserts the rows in one transaction. A destroyed key's row keeps NULL; PostgreSQL
    /// keeps the old row version until `VACUUM` removes it (see the README).
    fn put_keys(&self, entries: &[(KeyOwner, KeyEntry)]) -> Result<(), StoreError> {
        self.with_conn(|conn, organisation, _| {
            let mut tx = conn.client.transaction()?;
            for (owner, entry) in entries {
                let key: Option<Vec<u8>> = match entry {
                    KeyEntry::Key(k) => Some(k.0.to_vec()),
                    KeyEntry::Destroyed => None,
                };
                tx.execute(&conn.st.put_key, &[&organisation, &owner.to_string(), &key])?;
            }
            tx.commit()?;
            Ok(())
        })
    }

    fn shared(&self) -> bool {
        true
    }

    /// A session-level advisory lock of the organisation, on the store's connection. Lock
    /// waits give up after 30 s (`lock_timeout`, set on every connection), and then the
    /// caller goes on without a turn; a connection that breaks ends the turn with it.
    fn writer_turn(&self) -> WriterTurn<'_> {
        let taken = self.with_conn(|conn, organisation, _| {
            conn.client.execute(&conn.st.take_turn, &[&organisation])?;
            Ok(())
        });
        match taken {
            Ok(()) => WriterTurn::new(move || {
                // Failing to release means the connection is gone, and the lock with it.
                let _ = self.with_conn(|conn, organisation, _| {
                    conn.client.execute(&conn.st.end_turn, &[&organisation])?;
                    Ok(())
                });
            }),
            Err(_) => WriterTurn::none(),
        }
    }

    fn wait_for_append(&self, after: Option<u64>, timeout: Duration) -> Result<(), StoreError> {
        let deadline = Instant::now() + timeout;
        if self.last_position()? > after {
            return Ok(());
        }
        let mut guard = self.listener.lock().unwrap_or_else(|e| e.into_inner());
        if guard.as_ref().is_some_and(|c| c.is_closed()) {
            *guard = None;
        }
        if guard.is_none() {
            let mut client = self.config.connect(NoTls).map_err(|e| self.pg_error(e))?;
            client
                .batch_execute(&format!("LISTEN {NOTIFY_CHANNEL}"))
                .map_err(|e| self.pg_error(e))?;
            *guard = Some(client);
            // Listening from now on: an append that committed before is seen by the check
            // below.
            drop(guard);
            if self.last_position()? > after {
                return Ok(());
            }
            guard = self.listener.lock().unwrap_or_else(|e| e.into_inner());
        }
        let Some(client) = guard.as_mut() else {
            return Ok(());
        };
        let remaining = deadline.saturating_duration_since(Instant::now());
        let waited = {
            let mut notifications = client.notifications();
            let mut waiting = notifications.timeout_iter(remaining);
            loop {
                match waiting.next() {
                    Ok(Some(n)) if n.payload() == self.organisation => break Ok(()),
                    Ok(Some(_)) => continue,
                    Ok(None) => break Ok(()),
                    Err(e) => break Err(e),
                }
            }
        };
        waited.map_err(|e| {
            *guard = None;
            self.pg_error(e)
        })
    }
}

#[cfg(test)]
mod redact_tests {
    use super::redact;

    #[test]
    fn a_password_is_masked_and_nothing_else_is_invented() {
        let cases = [
            (
                "postgres://okr:secret@db:5432/okr?organisation=a",
                "postgres://okr:***@db:5432/okr?organisation=a",
            ),
            (
                "postgres://okr@db/okr?organisation=a",
                "postgres://okr@db/okr?organisation=a",
            ),
            (
                "postgres://db/okr?password=secret&organisation=a",
                "postgres://db/okr?password=***&organisation=a",
            ),
            ("okr.db", "okr.db"),
        ];
        for (given, expected) in cases {
            assert_eq!(redact(given), expected, "redact({given:?})");
        }
    }
}
