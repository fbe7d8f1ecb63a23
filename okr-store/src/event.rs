//! Streams, events to append, and the recorded event envelope.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::StoreError;

/// Longest stream name accepted, in bytes.
pub const MAX_STREAM_ID_LEN: usize = 256;

/// The name of a stream: `"org"` for the organisation, `"cycle-<uuid>"` for a cycle.
///
/// A stream id is non-empty, at most [`MAX_STREAM_ID_LEN`] bytes and contains no NUL byte
/// (the sled layout uses NUL as a separator).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct StreamId(String);

impl StreamId {
    /// Checks and wraps a stream name.
    pub fn new(id: impl Into<String>) -> Result<Self, StoreError> {
        let id = id.into();
        match invalid_stream_id(&id) {
            None => Ok(StreamId(id)),
            Some(reason) => Err(StoreError::InvalidStreamId { id, reason }),
        }
    }

    /// The organisation stream, `"org"`.
    pub fn org() -> Self {
        StreamId("org".to_owned())
    }

    /// The stream of one cycle, `"cycle-<uuid>"`.
    pub fn cycle(cycle_id: Uuid) -> Self {
        StreamId(format!("cycle-{cycle_id}"))
    }

    /// The name as a string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Why `id` is not a valid stream name, or `None` when it is one.
pub(crate) fn invalid_stream_id(id: &str) -> Option<&'static str> {
    if id.is_empty() {
        Some("empty")
    } else if id.len() > MAX_STREAM_ID_LEN {
        Some("longer than 256 bytes")
    } else if id.contains('\0') {
        Some("contains a NUL byte")
    } else {
        None
    }
}

impl fmt::Display for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for StreamId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl FromStr for StreamId {
    type Err = StoreError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        StreamId::new(s)
    }
}

impl TryFrom<String> for StreamId {
    type Error = StoreError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        StreamId::new(s)
    }
}

impl From<StreamId> for String {
    fn from(id: StreamId) -> Self {
        id.0
    }
}

/// An event handed to the store for appending; the store turns it into a [`RecordedEvent`].
///
/// The store has no clock: `recorded_at` comes from the caller, and the event id is derived
/// from `recorded_at`, the command id and the event's index in the append (see
/// [`derive_event_id`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewEvent {
    /// The event's type name, e.g. `"ObjectiveAdded"`.
    pub event_type: String,
    /// The version of the payload's schema for this event type, starting at 1.
    pub schema_version: u32,
    /// The event's data.
    pub payload: serde_json::Value,
    /// Who caused the event (a person id, `"system"`, ...).
    pub actor: String,
    /// When the command was decided, per the caller's clock.
    pub recorded_at: DateTime<Utc>,
    /// Ties events of one business transaction together across streams.
    pub correlation_id: Option<Uuid>,
}

impl NewEvent {
    /// An event without correlation id.
    pub fn new(
        event_type: impl Into<String>,
        schema_version: u32,
        payload: serde_json::Value,
        actor: impl Into<String>,
        recorded_at: DateTime<Utc>,
    ) -> Self {
        NewEvent {
            event_type: event_type.into(),
            schema_version,
            payload,
            actor: actor.into(),
            recorded_at,
            correlation_id: None,
        }
    }

    /// The same event with a correlation id.
    pub fn with_correlation_id(mut self, correlation_id: Uuid) -> Self {
        self.correlation_id = Some(correlation_id);
        self
    }
}

/// The envelope of a stored event (DESIGN §8). Field names are a public contract: they are
/// what the sled store writes and what exports contain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordedEvent {
    /// UUID v7, derived by [`derive_event_id`].
    pub event_id: Uuid,
    /// The stream the event belongs to.
    pub stream: StreamId,
    /// The event's version within its stream: the first event is 0, then gapless.
    pub stream_version: u64,
    /// The event's position in the whole store: the first event is 0, then gapless.
    pub global_position: u64,
    /// The event's type name.
    pub event_type: String,
    /// The version of the payload's schema.
    pub schema_version: u32,
    /// When the command was decided, per the caller's clock.
    pub recorded_at: DateTime<Utc>,
    /// Who caused the event.
    pub actor: String,
    /// The command that produced the event; appends are idempotent per command id.
    pub command_id: Uuid,
    /// Ties events of one business transaction together across streams.
    pub correlation_id: Option<Uuid>,
    /// The event's data.
    pub payload: serde_json::Value,
}

/// The id of the `index`-th event of command `command_id`, as a UUID v7.
///
/// The 48-bit timestamp is `recorded_at` in Unix milliseconds (0 before 1970); the 74 random
/// bits are a fixed mix of the command id and the index. The same command therefore always
/// yields the same event ids, and the store needs no clock and no random source.
pub fn derive_event_id(command_id: Uuid, index: u64, recorded_at: DateTime<Utc>) -> Uuid {
    let millis = u64::try_from(recorded_at.timestamp_millis()).unwrap_or(0);
    let (hi, lo) = command_id.as_u64_pair();
    let a = splitmix64(hi ^ splitmix64(lo ^ index));
    let b = splitmix64(a ^ lo ^ index.rotate_left(32));
    let mut random = [0u8; 10];
    random[..8].copy_from_slice(&a.to_be_bytes());
    random[8..].copy_from_slice(&b.to_be_bytes()[..2]);
    uuid::Builder::from_unix_timestamp_millis(millis, &random).into_uuid()
}

fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_id_rules() {
        assert!(StreamId::new("").is_err());
        assert!(StreamId::new("a\0b").is_err());
        assert!(StreamId::new("x".repeat(257)).is_err());
        assert_eq!(StreamId::new("org").ok(), Some(StreamId::org()));
        let json = serde_json::to_string(&StreamId::org()).unwrap();
        assert_eq!(json, "\"org\"");
        assert!(serde_json::from_str::<StreamId>("\"\"").is_err());
    }

    #[test]
    fn event_ids_are_deterministic_v7_and_distinct() {
        let cmd = Uuid::from_u128(0x1234_5678_9abc_def0_1234_5678_9abc_def0);
        let at = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let a = derive_event_id(cmd, 0, at);
        assert_eq!(a, derive_event_id(cmd, 0, at));
        assert_eq!(a.get_version_num(), 7);
        assert_ne!(a, derive_event_id(cmd, 1, at));
        assert_ne!(a, derive_event_id(Uuid::from_u128(1), 0, at));
        let (secs, _) = a.get_timestamp().unwrap().to_unix();
        assert_eq!(secs, 1_700_000_000);
    }
}
