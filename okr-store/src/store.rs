//! The [`EventStore`] trait and the append rules every backend shares.

use std::collections::BTreeMap;
use std::ops::ControlFlow;

use okr_core::StreamId;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::chain::{same_command, EventHash, Fingerprint};
use crate::error::StoreError;
use crate::event::{derive_event_id, EventView, NewEvent, RecordedEvent};
use crate::keys::{KeyEntry, KeyOwner};
use crate::scan::ScanChunk;
pub use crate::version::ExpectedVersion;

/// How many events the default [`EventStore::scan`] reads from the store at a time.
const SCAN_CHUNK: usize = 4096;

/// One append: used by [`EventStore::append_batch`].
#[derive(Debug, Clone, PartialEq)]
pub struct AppendRequest {
    /// The stream to append to.
    pub stream: StreamId,
    /// The expected version of the stream.
    pub expected: ExpectedVersion,
    /// The command that produced the events; a repeated command id is not written again.
    pub command_id: Uuid,
    /// Which command `command_id` stands for ([`Fingerprint::of_command`]); the store keeps
    /// it with the command id. A repeated command id with another fingerprint is
    /// [`StoreError::CommandConflict`]; `None` (and a command recorded without one) matches
    /// any.
    pub fingerprint: Option<Fingerprint>,
    /// The events, in order; must not be empty.
    pub events: Vec<NewEvent>,
}

impl AppendRequest {
    /// A request without fingerprint.
    pub fn new(
        stream: StreamId,
        expected: ExpectedVersion,
        command_id: Uuid,
        events: Vec<NewEvent>,
    ) -> AppendRequest {
        AppendRequest {
            stream,
            expected,
            command_id,
            fingerprint: None,
            events,
        }
    }

    /// The same request with the command's fingerprint.
    pub fn with_fingerprint(mut self, fingerprint: Fingerprint) -> AppendRequest {
        self.fingerprint = Some(fingerprint);
        self
    }
}

/// The result of an append.
#[derive(Debug, Clone, PartialEq)]
pub struct AppendOutcome {
    /// The recorded events, in order, with their stream versions and global positions.
    pub events: Vec<RecordedEvent>,
    /// `true` when the command id had been appended before: `events` are the original ones and
    /// nothing was written.
    pub duplicate: bool,
    /// The fingerprint kept with the command id (`None` for commands appended without one,
    /// or before fingerprints existed).
    pub fingerprint: Option<Fingerprint>,
}

impl AppendOutcome {
    /// Global position of the first recorded event.
    pub fn first_position(&self) -> Option<u64> {
        self.events.first().map(|e| e.global_position)
    }

    /// Global position of the last recorded event.
    pub fn last_position(&self) -> Option<u64> {
        self.events.last().map(|e| e.global_position)
    }

    /// The stream's version (its number of events) right after this append: the
    /// [`ExpectedVersion::Exact`] for the next append to that stream.
    pub fn version_after(&self) -> Option<u64> {
        self.events.last().map(|e| e.stream_version + 1)
    }
}

/// An append that is staged and written but perhaps not yet durable, from
/// [`EventStore::begin_append_batch`]. [`PendingAppend::wait`] returns its outcomes once it
/// is durable.
///
/// Dropping it without waiting does not take the append back: it becomes durable with the
/// next sync of the store, like every other.
#[must_use = "an append is acknowledged only after `wait` returns"]
pub struct PendingAppend {
    outcomes: Vec<AppendOutcome>,
    durable: Option<Box<dyn FnOnce() -> Result<(), StoreError> + Send>>,
}

impl std::fmt::Debug for PendingAppend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingAppend")
            .field("outcomes", &self.outcomes)
            .field("durable", &self.durable.is_none())
            .finish()
    }
}

impl PendingAppend {
    /// An append that is durable already.
    pub fn durable(outcomes: Vec<AppendOutcome>) -> PendingAppend {
        PendingAppend {
            outcomes,
            durable: None,
        }
    }

    /// An append that is durable once `wait` returns `Ok`.
    pub fn new(
        outcomes: Vec<AppendOutcome>,
        wait: impl FnOnce() -> Result<(), StoreError> + Send + 'static,
    ) -> PendingAppend {
        PendingAppend {
            outcomes,
            durable: Some(Box::new(wait)),
        }
    }

    /// What the append will record once it is durable: positions and versions are final.
    /// Nothing here may be shown to anyone as done before [`PendingAppend::wait`] returns.
    pub fn outcomes(&self) -> &[AppendOutcome] {
        &self.outcomes
    }

    /// Waits until the append is durable and returns its outcomes. A failure means the
    /// append's fate is unknown until the store is reopened; the store refuses later
    /// appends ([`StoreError::Halted`]).
    pub fn wait(self) -> Result<Vec<AppendOutcome>, StoreError> {
        if let Some(durable) = self.durable {
            durable()?;
        }
        Ok(self.outcomes)
    }
}

/// An append-only store of event streams, with snapshots beside them: everything the
/// [`Engine`](crate::Engine) needs of a backend. [`crate::MemoryStore`] and
/// [`crate::SledStore`] implement it and pass the same conformance suite
/// (`tests/it/conformance.rs`).
///
/// Rules every implementation follows (and the conformance suite checks):
///
/// * Global positions start at 0 and are gapless and ordered across all streams. A stream's
///   *version* is its number of events; the event appended to a stream of version `n` is
///   recorded with `stream_version` `n`, so stream versions start at 0 and are gapless
///   within a stream.
/// * An append checks the [`ExpectedVersion`] against the stream's version and fails with
///   [`StoreError::VersionConflict`] (naming stream, expected and actual) on mismatch.
/// * An append whose command id was appended before returns the original outcome with
///   `duplicate: true` and writes nothing, even if its expected version would now conflict
///   and even if it names another stream or other events. The command id is the key; only
///   when both the stored and the new append carry a [`Fingerprint`] and they differ is it
///   [`StoreError::CommandConflict`] instead (nothing written either).
/// * Every recorded event carries its [`EventHash`], chained to the event before it (see
///   [`crate::chain`]); the hashes are computed by the shared append rules, so every backend
///   records the same chain for the same appends.
/// * An append with no events is rejected with [`StoreError::EmptyAppend`]; it writes nothing
///   and does not consume the command id.
/// * [`EventStore::append_batch`] is all-or-nothing.
pub trait EventStore: Send + Sync {
    /// Appends `events` to `stream` as one atomic, idempotent write.
    fn append(
        &self,
        stream: &StreamId,
        expected: ExpectedVersion,
        command_id: Uuid,
        events: Vec<NewEvent>,
    ) -> Result<AppendOutcome, StoreError> {
        let request = AppendRequest::new(*stream, expected, command_id, events);
        let mut outcomes = self.append_batch(vec![request])?;
        Ok(outcomes.pop().expect("one request gives one outcome"))
    }

    /// Applies several appends in order as one transaction (and, on disk, one flush): either
    /// all are recorded or, on the first error, none is. Later requests see the effects of
    /// earlier ones, including their command ids. An empty batch does nothing.
    fn append_batch(&self, batch: Vec<AppendRequest>) -> Result<Vec<AppendOutcome>, StoreError>;

    /// [`EventStore::append_batch`] in two steps, for group commit: stages and writes the
    /// batch, and returns before it is durable. Appends begun after this one see its effects
    /// (positions, versions, command ids) and are durable only together with it or after it;
    /// reads see it only once it is durable. [`PendingAppend::wait`] acknowledges it. The
    /// default appends at once and returns an append that is durable already; a store that
    /// can share one disk sync among the appends of several threads overrides it.
    fn begin_append_batch(&self, batch: Vec<AppendRequest>) -> Result<PendingAppend, StoreError> {
        Ok(PendingAppend::durable(self.append_batch(batch)?))
    }

    /// Events of `stream` with version `>= from_version`, in order; empty for an unknown stream.
    fn read_stream(
        &self,
        stream: &StreamId,
        from_version: u64,
    ) -> Result<Vec<RecordedEvent>, StoreError>;

    /// Up to `max` events with global position `>= from_position`, in order.
    fn read_all(&self, from_position: u64, max: usize) -> Result<Vec<RecordedEvent>, StoreError>;

    /// The stream's version: the number of events it holds (0 for an unknown stream).
    fn stream_version(&self, stream: &StreamId) -> Result<u64, StoreError>;

    /// Every stream that holds events, with its version (its number of events).
    fn heads(&self) -> Result<BTreeMap<StreamId, u64>, StoreError>;

    /// The global position of the last event, `None` for an empty store.
    fn last_position(&self) -> Result<Option<u64>, StoreError>;

    /// The outcome of the append that recorded `command_id`, with `duplicate: true` and the
    /// fingerprint kept with it, or `None` when the command id was never appended. This is
    /// what a retried append would return, without attempting one.
    fn find_command(&self, command_id: Uuid) -> Result<Option<AppendOutcome>, StoreError>;

    /// Hands the events from global position `from` to `last` (inclusive) to `visit`, in
    /// order, in chunks of borrowed [`EventView`]s, until the end of the log or until `visit`
    /// returns [`ControlFlow::Break`]. A gap in the log or a record that does not decode is
    /// [`StoreError::Corrupt`] (the views of a [`ScanChunk`] may be decoded as they are read:
    /// see [`ScanChunk::for_each`]).
    ///
    /// This is how a replay reads the log. The default reads [`EventStore::read_all`] a few
    /// thousand events at a time and serialises their payloads; a backend that keeps events
    /// as bytes hands out views of them instead, without building a [`RecordedEvent`] per
    /// event.
    fn scan(
        &self,
        from: u64,
        last: u64,
        visit: &mut dyn FnMut(ScanChunk<'_>) -> ControlFlow<()>,
    ) -> Result<(), StoreError> {
        let mut from = from;
        while from <= last {
            let max = usize::try_from((last - from).saturating_add(1))
                .unwrap_or(usize::MAX)
                .min(SCAN_CHUNK);
            let events = self.read_all(from, max)?;
            let Some(tail) = events.last() else { break };
            from = tail.global_position + 1;
            let names: Vec<String> = events.iter().map(|e| e.stream.name()).collect();
            let payloads = events
                .iter()
                .map(|e| serde_json::to_vec(&e.payload))
                .collect::<Result<Vec<_>, _>>()?;
            let views: Vec<EventView<'_>> = events
                .iter()
                .zip(names.iter().zip(&payloads))
                .map(|(e, (name, payload))| e.view(name, payload))
                .collect();
            if visit(ScanChunk::from_views(&views)).is_break() {
                break;
            }
        }
        Ok(())
    }

    /// Stores `bytes` as the snapshot covering every event up to and including global
    /// position `position`, replacing any snapshot at that position. Snapshots are opaque to
    /// the store (see [`crate::snapshot`]) and live outside the log: never needed for
    /// correctness.
    fn save_snapshot(&self, position: u64, bytes: &[u8]) -> Result<(), StoreError>;

    /// The snapshot with the greatest position `<= at_or_before` (any position when `None`),
    /// as `(position, bytes)`.
    fn latest_snapshot(
        &self,
        at_or_before: Option<u64>,
    ) -> Result<Option<(u64, Vec<u8>)>, StoreError>;

    /// Deletes every snapshot. The log is untouched.
    fn clear_snapshots(&self) -> Result<(), StoreError>;

    /// Deletes every snapshot but the `keep` with the greatest positions (all of them when
    /// `keep` is 0). The log is untouched. The engine calls it after each snapshot it
    /// writes, so that snapshots take the space of a few states, not one per
    /// [`EngineOptions::snapshot_every`](crate::EngineOptions::snapshot_every) events.
    fn prune_snapshots(&self, keep: usize) -> Result<(), StoreError>;

    /// Every entry of the key store (see [`crate::keys`]): the keys that seal personal data
    /// in the log, and the tombstones of destroyed ones. The key store lives outside the log
    /// and its chain.
    fn load_keys(&self) -> Result<Vec<(KeyOwner, KeyEntry)>, StoreError>;

    /// Records entries in the key store, durably before it returns: a new key, a replaced
    /// snapshots' key, or a tombstone ([`KeyEntry::Destroyed`]) that destroys a person's key.
    /// A tombstone is never replaced by a key. A destroyed key must be gone from what the
    /// store keeps (as far as the backend can: see the README on backups and PostgreSQL).
    fn put_keys(&self, entries: &[(KeyOwner, KeyEntry)]) -> Result<(), StoreError>;

    /// Whether writers outside this handle (other processes, other hosts) may append to the
    /// log while it is open. The [`Engine`](crate::Engine) then catches up with the log before
    /// it decides, and its subscriptions follow the log instead of the engine's own appends.
    /// `false` by default: a memory or sled store has one writer.
    fn shared(&self) -> bool {
        false
    }

    /// Waits until the log may hold an event after `after` (any event for `None`), or
    /// `timeout` passed; returns early, never late. A follower calls it between reads. The
    /// default sleeps for `timeout`: only a [`EventStore::shared`] store has others to wait
    /// for.
    fn wait_for_append(
        &self,
        after: Option<u64>,
        timeout: std::time::Duration,
    ) -> Result<(), StoreError> {
        let _ = after;
        std::thread::sleep(timeout);
        Ok(())
    }

    /// Takes the writers' turn on a shared store: while the returned guard lives, other
    /// engines on the same log that ask for a turn wait. The [`Engine`](crate::Engine) holds
    /// it around catch-up, decide and append, so that engines in several processes take
    /// turns rather than collide and decide again. It is an optimisation, never a guarantee:
    /// the expected-version check of the append is what keeps the log right, and a turn that
    /// cannot be had (say, after 30 s) lets the caller go on without one. The default has no
    /// turn to take.
    fn writer_turn(&self) -> WriterTurn<'_> {
        WriterTurn::none()
    }

    /// Makes everything appended so far durable, whatever the durability the store was
    /// opened with. A store that keeps nothing on disk has nothing to do (the default).
    fn flush(&self) -> Result<(), StoreError> {
        Ok(())
    }
}

/// The guard of [`EventStore::writer_turn`]: the turn ends when it is dropped.
#[must_use = "the turn ends when the guard is dropped"]
pub struct WriterTurn<'a> {
    release: Option<Box<dyn FnOnce() + 'a>>,
}

impl<'a> WriterTurn<'a> {
    /// A guard that holds nothing.
    pub fn none() -> Self {
        WriterTurn { release: None }
    }

    /// A guard that calls `release` when dropped.
    pub fn new(release: impl FnOnce() + 'a) -> Self {
        WriterTurn {
            release: Some(Box::new(release)),
        }
    }
}

impl std::fmt::Debug for WriterTurn<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WriterTurn")
            .field("held", &self.release.is_some())
            .finish()
    }
}

impl Drop for WriterTurn<'_> {
    fn drop(&mut self) {
        if let Some(release) = self.release.take() {
            release();
        }
    }
}

/// What the command index remembers about an append: enough to rebuild its outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct CommandRecord {
    #[serde(with = "crate::event::stream_name")]
    pub(crate) stream: StreamId,
    pub(crate) first_version: u64,
    pub(crate) first_position: u64,
    pub(crate) count: u64,
    #[serde(skip)]
    pub(crate) fingerprint: Option<Fingerprint>,
}

/// Where an earlier append of a command id is: first global position, count, fingerprint.
pub(crate) type CommandEntry = (u64, u64, Option<Fingerprint>);

/// The view of a store inside one write transaction; backends implement it so that all run
/// the same [`append_in`].
pub(crate) trait Tx {
    type Error: From<StoreError>;
    /// Where the events of an earlier append of `command_id` are, and its fingerprint.
    fn command(&mut self, command_id: Uuid) -> Result<Option<CommandEntry>, Self::Error>;
    fn event(&mut self, position: u64) -> Result<RecordedEvent, Self::Error>;
    /// The stream's version: its number of events.
    fn version(&mut self, stream: &StreamId) -> Result<u64, Self::Error>;
    fn next_position(&mut self) -> Result<u64, Self::Error>;
    /// The hash of the event at `next_position() - 1` (the log's head, including what this
    /// transaction wrote), [`EventHash::GENESIS`] for an empty log.
    fn head_hash(&mut self) -> Result<EventHash, Self::Error>;
    /// Records `events` (hashes filled in) for `command_id`; `payloads[i]` is the JSON text
    /// of `events[i].payload`, the bytes its hash covers, for backends that store it as text.
    fn write(
        &mut self,
        command_id: Uuid,
        record: &CommandRecord,
        events: &[RecordedEvent],
        payloads: &[Vec<u8>],
    ) -> Result<(), Self::Error>;
}

/// The append rules, written once for every backend: empty appends, repeated command ids and
/// their fingerprints, expected versions, positions, event ids and the hash chain.
pub(crate) fn append_in<T: Tx>(
    tx: &mut T,
    request: AppendRequest,
) -> Result<AppendOutcome, T::Error> {
    if request.events.is_empty() {
        return Err(StoreError::EmptyAppend {
            stream: request.stream,
        }
        .into());
    }
    if let Some((first, count, stored)) = tx.command(request.command_id)? {
        if !same_command(stored, request.fingerprint) {
            return Err(StoreError::CommandConflict {
                command_id: request.command_id,
            }
            .into());
        }
        let mut events = Vec::with_capacity(usize::try_from(count).unwrap_or(0));
        for position in first..first + count {
            events.push(tx.event(position)?);
        }
        return Ok(AppendOutcome {
            events,
            duplicate: true,
            fingerprint: stored,
        });
    }
    let first_version = tx.version(&request.stream)?;
    if !request.expected.matches(first_version) {
        return Err(StoreError::VersionConflict {
            stream: request.stream,
            expected: request.expected,
            actual: first_version,
        }
        .into());
    }
    let first_position = tx.next_position()?;
    let mut previous = tx.head_hash()?;
    let stream_name = request.stream.name();
    let mut events = Vec::with_capacity(request.events.len());
    let mut payloads = Vec::with_capacity(request.events.len());
    for (e, i) in request.events.into_iter().zip(0u64..) {
        let payload = serde_json::to_vec(&e.payload).map_err(StoreError::from)?;
        let mut event = RecordedEvent {
            event_id: derive_event_id(request.command_id, i, e.recorded_at),
            stream: request.stream,
            stream_version: first_version + i,
            global_position: first_position + i,
            event_type: e.event_type,
            schema_version: e.schema_version,
            recorded_at: e.recorded_at,
            actor: e.actor,
            command_id: request.command_id,
            correlation_id: e.correlation_id,
            payload: e.payload,
            hash: EventHash::GENESIS,
        };
        event.hash = event.link(&stream_name, &payload).hash(&previous);
        previous = event.hash;
        events.push(event);
        payloads.push(payload);
    }
    let record = CommandRecord {
        stream: request.stream,
        first_version,
        first_position,
        count: events.len() as u64,
        fingerprint: request.fingerprint,
    };
    tx.write(request.command_id, &record, &events, &payloads)?;
    Ok(AppendOutcome {
        events,
        duplicate: false,
        fingerprint: request.fingerprint,
    })
}
