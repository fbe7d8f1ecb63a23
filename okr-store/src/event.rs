//! Streams, events to append, and the recorded event envelope.

use chrono::{DateTime, Utc};
use okr_core::StreamId;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::chain::{EventHash, Link};

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

/// The envelope of a stored event. Field names and their JSON form are a public contract:
/// they are what the sled store wrote in store format 1 and what exports contain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordedEvent {
    /// UUID v7, derived by [`derive_event_id`].
    pub event_id: Uuid,
    /// The stream the event belongs to; in JSON its name (`"org"`, `"cycle-<uuid>"`).
    #[serde(with = "stream_name")]
    pub stream: StreamId,
    /// The event's version within its stream: the number of events before it in the stream
    /// (the first event is 0, then gapless).
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
    /// The event's link in the log's hash chain (see [`crate::chain`]): a hash of the hash
    /// before it and of everything above. In JSON 64 hex digits; an export line written
    /// before the chain existed has none, which reads as [`EventHash::GENESIS`].
    #[serde(default)]
    pub hash: EventHash,
}

impl RecordedEvent {
    /// The fields the hash covers, with `payload` as the payload's JSON text.
    pub(crate) fn link<'a>(&'a self, stream: &'a str, payload: &'a [u8]) -> Link<'a> {
        Link {
            global_position: self.global_position,
            stream,
            stream_version: self.stream_version,
            event_id: self.event_id,
            command_id: self.command_id,
            event_type: &self.event_type,
            schema_version: self.schema_version,
            recorded_at: self.recorded_at,
            actor: &self.actor,
            correlation_id: self.correlation_id,
            payload,
        }
    }

    /// The hash this event has after an event with hash `previous`: what [`Self::hash`]
    /// holds when the log is intact.
    pub fn chain_hash(&self, previous: &EventHash) -> Result<EventHash, serde_json::Error> {
        let payload = serde_json::to_vec(&self.payload)?;
        Ok(self.link(&self.stream.name(), &payload).hash(previous))
    }

    /// A view of the event with `payload` as its payload's JSON text.
    pub(crate) fn view<'a>(&'a self, stream: &'a str, payload: &'a [u8]) -> EventView<'a> {
        EventView {
            global_position: self.global_position,
            event_id: self.event_id,
            command_id: self.command_id,
            stream,
            stream_version: self.stream_version,
            event_type: &self.event_type,
            schema_version: self.schema_version,
            recorded_at: self.recorded_at,
            actor: &self.actor,
            correlation_id: self.correlation_id,
            payload,
            hash: self.hash,
        }
    }
}

/// A stored event borrowed from the store: the envelope of a [`RecordedEvent`] with its
/// strings and its payload's JSON text as the store holds them. What
/// [`EventStore::scan`](crate::EventStore::scan) hands out, so that a replay reads the log
/// without building a [`RecordedEvent`] (and a `serde_json::Value`) per event.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EventView<'a> {
    /// The event's position in the whole store.
    pub global_position: u64,
    /// The event id.
    pub event_id: Uuid,
    /// The command that produced the event.
    pub command_id: Uuid,
    /// The stream's name as stored (`org` or `cycle-<uuid>`).
    pub stream: &'a str,
    /// The event's version within its stream.
    pub stream_version: u64,
    /// The event's type name.
    pub event_type: &'a str,
    /// The version of the payload's schema.
    pub schema_version: u32,
    /// When the command was decided, per the caller's clock.
    pub recorded_at: DateTime<Utc>,
    /// Who caused the event.
    pub actor: &'a str,
    /// Ties events of one business transaction together across streams.
    pub correlation_id: Option<Uuid>,
    /// The payload's JSON text.
    pub payload: &'a [u8],
    /// The event's hash in the log's chain, as stored.
    pub hash: EventHash,
}

impl<'a> EventView<'a> {
    /// The fields the hash covers.
    pub(crate) fn link(&self) -> Link<'a> {
        Link {
            global_position: self.global_position,
            stream: self.stream,
            stream_version: self.stream_version,
            event_id: self.event_id,
            command_id: self.command_id,
            event_type: self.event_type,
            schema_version: self.schema_version,
            recorded_at: self.recorded_at,
            actor: self.actor,
            correlation_id: self.correlation_id,
            payload: self.payload,
        }
    }

    /// The hash this event has after an event with hash `previous`: what [`Self::hash`]
    /// holds when the log is intact.
    pub fn chain_hash(&self, previous: &EventHash) -> EventHash {
        self.link().hash(previous)
    }

    /// The owned envelope, with the stream name and the payload parsed; the message says
    /// which of them does not decode.
    pub fn to_recorded(&self) -> Result<RecordedEvent, String> {
        Ok(RecordedEvent {
            event_id: self.event_id,
            stream: self.stream.parse().map_err(|e| format!("{e}"))?,
            stream_version: self.stream_version,
            global_position: self.global_position,
            event_type: self.event_type.to_owned(),
            schema_version: self.schema_version,
            recorded_at: self.recorded_at,
            actor: self.actor.to_owned(),
            command_id: self.command_id,
            correlation_id: self.correlation_id,
            payload: serde_json::from_slice(self.payload)
                .map_err(|e| format!("payload does not decode: {e}"))?,
            hash: self.hash,
        })
    }
}

/// `#[serde(with)]` for a [`StreamId`] kept as its name, as the store writes it.
pub(crate) mod stream_name {
    use okr_core::StreamId;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(stream: &StreamId, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(stream)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<StreamId, D::Error> {
        let name = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        name.parse().map_err(serde::de::Error::custom)
    }
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
    fn the_stream_is_kept_as_its_name() {
        let cycle = Uuid::from_u128(0xc1);
        let event = RecordedEvent {
            event_id: Uuid::from_u128(1),
            stream: StreamId::Cycle(okr_core::CycleId(cycle)),
            stream_version: 0,
            global_position: 0,
            event_type: "t".into(),
            schema_version: 1,
            recorded_at: DateTime::from_timestamp(0, 0).unwrap(),
            actor: "a".into(),
            command_id: Uuid::from_u128(2),
            correlation_id: None,
            payload: serde_json::json!({}),
            hash: EventHash::GENESIS,
        };
        let json = serde_json::to_value(&event).unwrap();
        assert_eq!(json["stream"], format!("cycle-{cycle}"));
        let back: RecordedEvent = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(back, event);
        let mut bad = json;
        bad["stream"] = "a\0b".into();
        let err = serde_json::from_value::<RecordedEvent>(bad).unwrap_err();
        assert!(err.to_string().contains("is not a stream name"), "{err}");
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
