//! The hash chain of the event log and the fingerprints of commands.
//!
//! # The chain
//!
//! Every recorded event carries an [`EventHash`]: a BLAKE3 hash (in `derive_key` mode with
//! the context string `"okr event chain v1"`) of the hash of the event before it and of the
//! whole envelope and payload of the event itself. The event at position 0 chains to
//! [`EventHash::GENESIS`] (32 zero bytes). Changing, inserting, removing or reordering any
//! event changes its hash and every hash after it, so a log whose hashes check end to end
//! is the log that was appended, as long as the last hash is known from elsewhere (the
//! store's journal keeps it: see the `wal` module).
//!
//! The bytes hashed for one event, in this order (integers little-endian; `str` is a `u32`
//! length and the UTF-8 bytes):
//!
//! ```text
//! previous hash          [32]
//! global_position        u64
//! stream                 str   (its name: "org", "cycle-<uuid>")
//! stream_version         u64
//! event_id               [16]
//! command_id             [16]
//! event_type             str
//! schema_version         u32
//! recorded_at            i64 seconds since 1970, u32 nanoseconds
//! actor                  str
//! correlation_id         u8 0, or u8 1 and [16]
//! payload                u64 length, the payload's JSON text as the store keeps it
//! ```
//!
//! The payload's JSON text is `serde_json`'s compact serialisation of the payload value
//! (what the sled store writes and what an export line holds, re-serialised): a payload read
//! back and written again gives the same bytes, so the hash survives export and import.
//!
//! The chain is computed by the append rules every backend shares
//! (`append_in` in `store.rs`): each backend only keeps the hashes it is handed.
//!
//! # Command fingerprints
//!
//! A [`Fingerprint`] says which command a command id was used for: the first 16 bytes of a
//! BLAKE3 hash (context `"okr command fingerprint v1"`) of the acting person's id and the
//! command body as JSON. The time of the envelope and its expected version are left out: a
//! client that retries may stamp the retry anew, and it is still the same command. A command
//! id appended again with another fingerprint is a conflict, not a retry
//! ([`crate::StoreError::CommandConflict`]).

use std::fmt;
use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use uuid::Uuid;

const CHAIN_CONTEXT: &str = "okr event chain v1";
const FINGERPRINT_CONTEXT: &str = "okr command fingerprint v1";

/// Hashers with their context key derived once: deriving it is a hash of its own, which
/// every event's link and every command's fingerprint would otherwise pay again.
static CHAIN_HASHER: LazyLock<blake3::Hasher> =
    LazyLock::new(|| blake3::Hasher::new_derive_key(CHAIN_CONTEXT));
static FINGERPRINT_HASHER: LazyLock<blake3::Hasher> =
    LazyLock::new(|| blake3::Hasher::new_derive_key(FINGERPRINT_CONTEXT));

/// The hash of an event in the log's chain (see the [module documentation](self)). In JSON a
/// string of 64 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct EventHash(pub [u8; 32]);

impl EventHash {
    /// What the first event of a log chains to: 32 zero bytes. An event never has this hash
    /// (short of a BLAKE3 collision), so an export line whose `hash` is missing reads as it.
    pub const GENESIS: EventHash = EventHash([0; 32]);

    /// Whether this is [`EventHash::GENESIS`] (in an export line: no hash was given).
    pub fn is_genesis(&self) -> bool {
        self.0 == [0; 32]
    }

    /// The hash as 64 lowercase hex digits.
    pub fn to_hex(&self) -> String {
        hex(&self.0)
    }

    /// Reads 64 hex digits.
    pub fn from_hex(text: &str) -> Result<EventHash, String> {
        from_hex::<32>(text).map(EventHash)
    }
}

impl fmt::Display for EventHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for EventHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EventHash({})", self.to_hex())
    }
}

impl Serialize for EventHash {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for EventHash {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<EventHash, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        EventHash::from_hex(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(feature = "schema")]
impl schemars::JsonSchema for EventHash {
    fn schema_name() -> String {
        "EventHash".to_owned()
    }

    fn json_schema(gen: &mut schemars::gen::SchemaGenerator) -> schemars::schema::Schema {
        let mut schema = <String as schemars::JsonSchema>::json_schema(gen).into_object();
        schema.string().pattern = Some("^[0-9a-f]{64}$".to_owned());
        schema.metadata().description =
            Some("An event's hash in the log's chain: 64 lowercase hex digits.".to_owned());
        schema.into()
    }
}

/// The fields of an event that its hash covers, borrowed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Link<'a> {
    pub(crate) global_position: u64,
    pub(crate) stream: &'a str,
    pub(crate) stream_version: u64,
    pub(crate) event_id: Uuid,
    pub(crate) command_id: Uuid,
    pub(crate) event_type: &'a str,
    pub(crate) schema_version: u32,
    pub(crate) recorded_at: DateTime<Utc>,
    pub(crate) actor: &'a str,
    pub(crate) correlation_id: Option<Uuid>,
    /// The payload's JSON text as stored.
    pub(crate) payload: &'a [u8],
}

impl Link<'_> {
    /// The hash of this event after the event whose hash is `previous`.
    pub(crate) fn hash(&self, previous: &EventHash) -> EventHash {
        let mut h = CHAIN_HASHER.clone();
        let str = |h: &mut blake3::Hasher, s: &str| {
            h.update(&(s.len() as u32).to_le_bytes());
            h.update(s.as_bytes());
        };
        h.update(&previous.0);
        h.update(&self.global_position.to_le_bytes());
        str(&mut h, self.stream);
        h.update(&self.stream_version.to_le_bytes());
        h.update(self.event_id.as_bytes());
        h.update(self.command_id.as_bytes());
        str(&mut h, self.event_type);
        h.update(&self.schema_version.to_le_bytes());
        h.update(&self.recorded_at.timestamp().to_le_bytes());
        h.update(&self.recorded_at.timestamp_subsec_nanos().to_le_bytes());
        str(&mut h, self.actor);
        match self.correlation_id {
            Some(id) => {
                h.update(&[1]);
                h.update(id.as_bytes());
            }
            None => {
                h.update(&[0]);
            }
        }
        h.update(&(self.payload.len() as u64).to_le_bytes());
        h.update(self.payload);
        EventHash(*h.finalize().as_bytes())
    }
}

/// Which command a command id was used for (see the [module documentation](self)). In JSON
/// a string of 32 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fingerprint(pub [u8; 16]);

impl Fingerprint {
    /// The fingerprint of an okr-core command: its actor and its body.
    pub fn of_command(command: &okr_core::Command) -> Fingerprint {
        let mut h = FINGERPRINT_HASHER.clone();
        h.update(command.envelope.actor.0.as_bytes());
        // Serialising a command body cannot fail: it is plain data with string keys. (One
        // update with the whole text: streaming the serialiser's small writes into the hasher
        // is slower.)
        let body = serde_json::to_vec(&command.body).unwrap_or_default();
        h.update(&body);
        Fingerprint::from_hash(h)
    }

    /// The fingerprint of arbitrary bytes that identify a command, for stores used without
    /// okr-core's commands.
    pub fn of_bytes(bytes: &[u8]) -> Fingerprint {
        let mut h = FINGERPRINT_HASHER.clone();
        h.update(bytes);
        Fingerprint::from_hash(h)
    }

    fn from_hash(h: blake3::Hasher) -> Fingerprint {
        let mut bytes = [0; 16];
        bytes.copy_from_slice(&h.finalize().as_bytes()[..16]);
        // All zeros means "none" where fingerprints are stored.
        if bytes == [0; 16] {
            bytes[15] = 1;
        }
        Fingerprint(bytes)
    }

    /// The fingerprint as 32 lowercase hex digits.
    pub fn to_hex(&self) -> String {
        hex(&self.0)
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fingerprint({})", self.to_hex())
    }
}

/// Whether a command id's stored fingerprint and a new one name the same command. A
/// fingerprint missing on either side (commands recorded before fingerprints existed, or
/// appends made without one) matches anything.
pub(crate) fn same_command(stored: Option<Fingerprint>, new: Option<Fingerprint>) -> bool {
    match (stored, new) {
        (Some(a), Some(b)) => a == b,
        _ => true,
    }
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 15)] as char);
    }
    s
}

fn from_hex<const N: usize>(text: &str) -> Result<[u8; N], String> {
    let digits = text.as_bytes();
    if digits.len() != 2 * N {
        return Err(format!(
            "expected {} hex digits, found {} characters",
            2 * N,
            text.chars().count()
        ));
    }
    let nibble = |c: u8| match c {
        b'0'..=b'9' => Ok(c - b'0'),
        b'a'..=b'f' => Ok(c - b'a' + 10),
        b'A'..=b'F' => Ok(c - b'A' + 10),
        _ => Err(format!("{:?} is not a hex digit", c as char)),
    };
    let mut out = [0; N];
    for (i, pair) in digits.chunks_exact(2).enumerate() {
        out[i] = nibble(pair[0])? << 4 | nibble(pair[1])?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(payload: &[u8]) -> Link<'_> {
        Link {
            global_position: 3,
            stream: "org",
            stream_version: 2,
            event_id: Uuid::from_u128(1),
            command_id: Uuid::from_u128(2),
            event_type: "unit_defined",
            schema_version: 1,
            recorded_at: DateTime::from_timestamp(1_700_000_000, 5).unwrap(),
            actor: "a",
            correlation_id: None,
            payload,
        }
    }

    #[test]
    fn every_field_and_the_previous_hash_change_the_hash() {
        let base = link(b"{}").hash(&EventHash::GENESIS);
        assert_ne!(base, link(b"{} ").hash(&EventHash::GENESIS));
        assert_ne!(base, link(b"{}").hash(&EventHash([1; 32])));
        let mut l = link(b"{}");
        l.global_position = 4;
        assert_ne!(base, l.hash(&EventHash::GENESIS));
        let mut l = link(b"{}");
        l.correlation_id = Some(Uuid::nil());
        assert_ne!(base, l.hash(&EventHash::GENESIS));
        let mut l = link(b"{}");
        l.recorded_at = DateTime::from_timestamp(1_700_000_000, 6).unwrap();
        assert_ne!(base, l.hash(&EventHash::GENESIS));
        assert_eq!(base, link(b"{}").hash(&EventHash::GENESIS));
    }

    #[test]
    fn the_prepared_hashers_hash_as_fresh_derived_ones() {
        let mut fresh = blake3::Hasher::new_derive_key(CHAIN_CONTEXT);
        fresh.update(b"some bytes");
        let mut prepared = CHAIN_HASHER.clone();
        prepared.update(b"some bytes");
        assert_eq!(fresh.finalize(), prepared.finalize());

        let command = okr_core::Command::new(
            Uuid::from_u128(1),
            okr_core::PersonId::from_u128(7),
            DateTime::from_timestamp(1_700_000_000, 0).unwrap(),
            okr_core::CommandBody::DefineUnit {
                unit: okr_core::UnitId::from_u128(100),
                name: "Föderation \"Nord\"".into(),
                kind: okr_core::UnitKind::Organisation,
                parent: None,
            },
        );
        let mut h = blake3::Hasher::new_derive_key(FINGERPRINT_CONTEXT);
        h.update(command.envelope.actor.0.as_bytes());
        h.update(&serde_json::to_vec(&command.body).unwrap());
        let mut expected = [0; 16];
        expected.copy_from_slice(&h.finalize().as_bytes()[..16]);
        assert_eq!(Fingerprint::of_command(&command).0, expected);
    }

    #[test]
    fn hashes_read_back_from_hex() {
        let h = link(b"{}").hash(&EventHash::GENESIS);
        assert_eq!(EventHash::from_hex(&h.to_hex()), Ok(h));
        let json = serde_json::to_string(&h).unwrap();
        assert_eq!(serde_json::from_str::<EventHash>(&json).unwrap(), h);
        assert!(EventHash::from_hex("ab")
            .unwrap_err()
            .contains("64 hex digits"));
        let bad = "g".repeat(64);
        assert!(EventHash::from_hex(&bad)
            .unwrap_err()
            .contains("not a hex digit"));
    }

    #[test]
    fn a_missing_fingerprint_matches_anything() {
        let a = Fingerprint::of_bytes(b"a");
        let b = Fingerprint::of_bytes(b"b");
        assert!(same_command(Some(a), Some(a)));
        assert!(!same_command(Some(a), Some(b)));
        assert!(same_command(None, Some(b)));
        assert!(same_command(Some(a), None));
    }
}
