//! The [`EventStore`] trait and the append rules every backend shares.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::StoreError;
use crate::event::{derive_event_id, NewEvent, RecordedEvent, StreamId};

/// What the caller believes about a stream's head before appending (optimistic concurrency).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExpectedVersion {
    /// No check: append whatever the stream's state.
    Any,
    /// The stream must have no events yet.
    NoStream,
    /// The stream's last event must have exactly this version.
    Exact(u64),
}

impl fmt::Display for ExpectedVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExpectedVersion::Any => f.write_str("any version"),
            ExpectedVersion::NoStream => f.write_str("no stream"),
            ExpectedVersion::Exact(v) => write!(f, "version {v}"),
        }
    }
}

impl ExpectedVersion {
    /// Whether a stream whose head is `head` (`None`: no events) satisfies this expectation.
    pub fn matches(self, head: Option<u64>) -> bool {
        match self {
            ExpectedVersion::Any => true,
            ExpectedVersion::NoStream => head.is_none(),
            ExpectedVersion::Exact(v) => head == Some(v),
        }
    }
}

/// One append: used by [`EventStore::append_batch`].
#[derive(Debug, Clone, PartialEq)]
pub struct AppendRequest {
    /// The stream to append to.
    pub stream: StreamId,
    /// The expected head of the stream.
    pub expected: ExpectedVersion,
    /// The command that produced the events; a repeated command id is not written again.
    pub command_id: Uuid,
    /// The events, in order; must not be empty.
    pub events: Vec<NewEvent>,
}

/// The result of an append.
#[derive(Debug, Clone, PartialEq)]
pub struct AppendOutcome {
    /// The recorded events, in order, with their stream versions and global positions.
    pub events: Vec<RecordedEvent>,
    /// `true` when the command id had been appended before: `events` are the original ones and
    /// nothing was written.
    pub duplicate: bool,
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

    /// Stream version of the last recorded event: the `ExpectedVersion::Exact` for the next
    /// append to that stream.
    pub fn last_version(&self) -> Option<u64> {
        self.events.last().map(|e| e.stream_version)
    }
}

/// An append-only store of event streams.
///
/// Rules every implementation follows (and the conformance suite checks):
///
/// * Global positions start at 0 and are gapless and ordered across all streams; stream
///   versions start at 0 and are gapless within a stream.
/// * An append checks the [`ExpectedVersion`] against the stream's head and fails with
///   [`StoreError::VersionConflict`] (naming stream, expected and actual) on mismatch.
/// * An append whose command id was appended before returns the original outcome with
///   `duplicate: true` and writes nothing, even if its expected version would now conflict
///   and even if it names another stream or other events. The command id is the key.
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
        let request = AppendRequest {
            stream: stream.clone(),
            expected,
            command_id,
            events,
        };
        let mut outcomes = self.append_batch(vec![request])?;
        Ok(outcomes.pop().expect("one request gives one outcome"))
    }

    /// Applies several appends in order as one transaction (and, on disk, one flush): either
    /// all are recorded or, on the first error, none is. Later requests see the effects of
    /// earlier ones, including their command ids. An empty batch does nothing.
    fn append_batch(&self, batch: Vec<AppendRequest>) -> Result<Vec<AppendOutcome>, StoreError>;

    /// Events of `stream` with version `>= from_version`, in order; empty for an unknown stream.
    fn read_stream(
        &self,
        stream: &StreamId,
        from_version: u64,
    ) -> Result<Vec<RecordedEvent>, StoreError>;

    /// Up to `max` events with global position `>= from_position`, in order.
    fn read_all(&self, from_position: u64, max: usize) -> Result<Vec<RecordedEvent>, StoreError>;

    /// The version of the stream's last event, `None` if the stream has none.
    fn stream_version(&self, stream: &StreamId) -> Result<Option<u64>, StoreError>;

    /// Every stream with the version of its last event.
    fn heads(&self) -> Result<BTreeMap<StreamId, u64>, StoreError>;

    /// The global position of the last event, `None` for an empty store.
    fn last_position(&self) -> Result<Option<u64>, StoreError>;

    /// The outcome of the append that recorded `command_id`, with `duplicate: true`, or
    /// `None` when the command id was never appended. This is what a retried append would
    /// return, without attempting one.
    fn find_command(&self, command_id: Uuid) -> Result<Option<AppendOutcome>, StoreError>;
}

/// What the command index remembers about an append: enough to rebuild its outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct CommandRecord {
    pub(crate) stream: StreamId,
    pub(crate) first_version: u64,
    pub(crate) first_position: u64,
    pub(crate) count: u64,
}

/// The view of a store inside one write transaction; backends implement it so that both run
/// the same [`append_in`].
pub(crate) trait Tx {
    type Error: From<StoreError>;
    /// Where the events of an earlier append of `command_id` are: first global position and
    /// count.
    fn command(&mut self, command_id: Uuid) -> Result<Option<(u64, u64)>, Self::Error>;
    fn event(&mut self, position: u64) -> Result<RecordedEvent, Self::Error>;
    fn head(&mut self, stream: &StreamId) -> Result<Option<u64>, Self::Error>;
    fn next_position(&mut self) -> Result<u64, Self::Error>;
    fn write(
        &mut self,
        command_id: Uuid,
        record: &CommandRecord,
        events: &[RecordedEvent],
    ) -> Result<(), Self::Error>;
}

/// The append rules, written once for every backend.
pub(crate) fn append_in<T: Tx>(
    tx: &mut T,
    request: AppendRequest,
) -> Result<AppendOutcome, T::Error> {
    if request.events.is_empty() {
        return Err(StoreError::EmptyAppend {
            stream: request.stream.clone(),
        }
        .into());
    }
    if let Some((first, count)) = tx.command(request.command_id)? {
        let mut events = Vec::with_capacity(usize::try_from(count).unwrap_or(0));
        for position in first..first + count {
            events.push(tx.event(position)?);
        }
        return Ok(AppendOutcome {
            events,
            duplicate: true,
        });
    }
    let head = tx.head(&request.stream)?;
    if !request.expected.matches(head) {
        return Err(StoreError::VersionConflict {
            stream: request.stream.clone(),
            expected: request.expected,
            actual: head,
        }
        .into());
    }
    let first_version = head.map_or(0, |h| h + 1);
    let first_position = tx.next_position()?;
    let events: Vec<RecordedEvent> = request
        .events
        .into_iter()
        .zip(0u64..)
        .map(|(e, i)| RecordedEvent {
            event_id: derive_event_id(request.command_id, i, e.recorded_at),
            stream: request.stream.clone(),
            stream_version: first_version + i,
            global_position: first_position + i,
            event_type: e.event_type,
            schema_version: e.schema_version,
            recorded_at: e.recorded_at,
            actor: e.actor,
            command_id: request.command_id,
            correlation_id: e.correlation_id,
            payload: e.payload,
        })
        .collect();
    let record = CommandRecord {
        stream: request.stream,
        first_version,
        first_position,
        count: events.len() as u64,
    };
    tx.write(request.command_id, &record, &events)?;
    Ok(AppendOutcome {
        events,
        duplicate: false,
    })
}
