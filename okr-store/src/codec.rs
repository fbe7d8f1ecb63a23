//! The binary record the sled store keeps its events in (store format 3; format 2 is read).
//!
//! One record holds the events of consecutive global positions, all written by one append
//! (one batch may write several records). The record is keyed by the position of its first
//! event; the others follow without gaps. Layout, all integers little-endian:
//!
//! ```text
//! record  = tag:u8 (= 3) encoding:u8 (= 0) count:u32 event{count}
//! event   = event_id:[16] command_id:[16] stream_version:u64 schema_version:u32
//!           recorded_secs:i64 recorded_nanos:u32 flags:u8 [correlation_id:[16] if flags & 1]
//!           stream:str event_type:str actor:str payload:str hash:[32]
//! str     = len:u32 bytes{len}        (stream, event_type, actor: UTF-8; payload: JSON)
//! ```
//!
//! `hash` is the event's link in the log's hash chain ([`crate::chain`]). `encoding` says how
//! the events after the header are encoded: 0 is the layout above, the only one this build
//! writes; a later build can add a denser or compressed encoding under another number
//! without a new store format, and this build refuses a record of an encoding it does not
//! know, naming it. Format-2 records (`tag = 2`, no encoding byte, no hash) are read as they
//! are; their events have no stored hash ([`EventHash::GENESIS`] in their views) until a
//! writable open chains them (see the sled store's documentation).
//!
//! The envelope is binary because it is read for every event of every replay; the payload
//! stays JSON, as exports and upcasters see it. Records of store format 1 are one JSON
//! [`RecordedEvent`] each and start with `{`, never with the tag, so both kinds can share a
//! tree.

use chrono::DateTime;
use uuid::Uuid;

use crate::chain::EventHash;
use crate::error::StoreError;
use crate::event::{EventView, RecordedEvent};

/// First byte of a record of store format 3.
pub(crate) const RECORD_TAG: u8 = 3;
/// First byte of a record of store format 2.
pub(crate) const RECORD_TAG_2: u8 = 2;
/// The encoding this build writes.
const ENCODING_PLAIN: u8 = 0;

/// Whether `bytes` are a binary record (of format 2 or 3) rather than a format-1 JSON event.
pub(crate) fn is_record(bytes: &[u8]) -> bool {
    matches!(bytes.first(), Some(&RECORD_TAG) | Some(&RECORD_TAG_2))
}
/// A record is closed once it holds this many events...
pub(crate) const RECORD_MAX_EVENTS: u32 = 1024;
/// ...or this many bytes. sled 0.34 splits a leaf at 17 entries and writes a page of over
/// 128 KiB (a quarter of its 512 KiB segment) to a separate blob file, which costs a file per
/// page and which sled does not sync: 17 records of 7 KiB stay below that.
pub(crate) const RECORD_MAX_BYTES: usize = 7 << 10;

const HEADER: usize = 6;
const HEADER_2: usize = 5;
const FLAG_CORRELATION: u8 = 1;

/// Builds one record.
#[derive(Debug)]
pub(crate) struct RecordWriter {
    buf: Vec<u8>,
    count: u32,
}

impl RecordWriter {
    pub(crate) fn new() -> Self {
        let mut buf = Vec::with_capacity(RECORD_MAX_BYTES + 1024);
        buf.push(RECORD_TAG);
        buf.push(ENCODING_PLAIN);
        buf.extend_from_slice(&0u32.to_le_bytes());
        RecordWriter { buf, count: 0 }
    }

    pub(crate) fn count(&self) -> u32 {
        self.count
    }

    /// Whether the record has reached its size limits.
    pub(crate) fn is_full(&self) -> bool {
        self.count >= RECORD_MAX_EVENTS || self.buf.len() >= RECORD_MAX_BYTES
    }

    /// Appends an event, serialising its payload. Fails only when a string is longer than
    /// 4 GiB or the payload does not serialise.
    pub(crate) fn push(&mut self, e: &RecordedEvent) -> Result<(), StoreError> {
        let payload = serde_json::to_vec(&e.payload)?;
        self.push_encoded(e, &payload)
    }

    /// Appends an event whose payload's JSON text is `payload`. Fails only when a string is
    /// longer than 4 GiB.
    pub(crate) fn push_encoded(
        &mut self,
        e: &RecordedEvent,
        payload: &[u8],
    ) -> Result<(), StoreError> {
        let b = &mut self.buf;
        b.extend_from_slice(e.event_id.as_bytes());
        b.extend_from_slice(e.command_id.as_bytes());
        b.extend_from_slice(&e.stream_version.to_le_bytes());
        b.extend_from_slice(&e.schema_version.to_le_bytes());
        b.extend_from_slice(&e.recorded_at.timestamp().to_le_bytes());
        b.extend_from_slice(&e.recorded_at.timestamp_subsec_nanos().to_le_bytes());
        match e.correlation_id {
            Some(id) => {
                b.push(FLAG_CORRELATION);
                b.extend_from_slice(id.as_bytes());
            }
            None => b.push(0),
        }
        put_str(b, e.stream.name().as_bytes(), "stream")?;
        put_str(b, e.event_type.as_bytes(), "event_type")?;
        put_str(b, e.actor.as_bytes(), "actor")?;
        put_str(b, payload, "payload")?;
        b.extend_from_slice(&e.hash.0);
        self.count += 1;
        Ok(())
    }

    /// The record as it would be finished now, leaving this one open.
    pub(crate) fn snapshot(&self) -> Vec<u8> {
        let mut bytes = self.buf.clone();
        bytes[2..HEADER].copy_from_slice(&self.count.to_le_bytes());
        bytes
    }

    /// The finished record.
    pub(crate) fn finish(mut self) -> Vec<u8> {
        self.buf[2..HEADER].copy_from_slice(&self.count.to_le_bytes());
        self.buf
    }
}

fn too_long(field: &str) -> StoreError {
    StoreError::Corrupt {
        location: format!("event {field}"),
        detail: "longer than 4 GiB".to_owned(),
    }
}

fn put_str(b: &mut Vec<u8>, s: &[u8], field: &str) -> Result<(), StoreError> {
    let len = u32::try_from(s.len()).map_err(|_| too_long(field))?;
    b.extend_from_slice(&len.to_le_bytes());
    b.extend_from_slice(s);
    Ok(())
}

/// The number of events a record claims to hold, whether its events carry a hash, and
/// where they start, from its header.
fn header(bytes: &[u8]) -> Result<(u32, bool, usize), String> {
    let (hashed, header) = match bytes.first() {
        Some(&RECORD_TAG) => {
            match bytes.get(1) {
                Some(&ENCODING_PLAIN) => {}
                Some(other) => {
                    return Err(format!(
                        "record encoding {other} is unknown to this build (written by a newer \
                         one, or damaged)"
                    ))
                }
                None => return Err("record header is cut short".to_owned()),
            }
            (true, HEADER)
        }
        Some(&RECORD_TAG_2) => (false, HEADER_2),
        _ => return Err("not a binary record".to_owned()),
    };
    let count = bytes
        .get(header - 4..header)
        .map(|b| u32::from_le_bytes(b.try_into().expect("4 bytes")))
        .ok_or("record header is cut short")?;
    if count == 0 {
        return Err("record holds no events".to_owned());
    }
    Ok((count, hashed, header))
}

/// The number of events a record claims to hold, from its header.
pub(crate) fn record_count(bytes: &[u8]) -> Result<u32, String> {
    header(bytes).map(|(count, _, _)| count)
}

/// Walks the events of a format-2 record in order.
#[derive(Debug)]
pub(crate) struct RecordReader<'a> {
    rest: &'a [u8],
    left: u32,
    index: u32,
    /// The global position of the next event.
    position: u64,
    /// The events carry their hash (format 3).
    hashed: bool,
}

impl<'a> RecordReader<'a> {
    /// A reader of the record whose first event has global position `first`.
    pub(crate) fn new(bytes: &'a [u8], first: u64) -> Result<Self, String> {
        let (count, hashed, header) = header(bytes)?;
        Ok(RecordReader {
            rest: &bytes[header..],
            left: count,
            index: 0,
            position: first,
            hashed,
        })
    }

    /// The next event, `None` after the last; an error names the event's index in the record
    /// and what is wrong. After an error the reader yields nothing more.
    pub(crate) fn next_event(&mut self) -> Option<Result<EventView<'a>, String>> {
        if self.left == 0 {
            return if self.rest.is_empty() {
                None
            } else {
                let extra = self.rest.len();
                self.rest = &[];
                Some(Err(format!("{extra} bytes after the last event")))
            };
        }
        let index = self.index;
        let result = self
            .decode()
            .map_err(|e| format!("event {index} of the record: {e}"));
        match &result {
            Ok(_) => {
                self.left -= 1;
                self.index += 1;
                self.position += 1;
            }
            Err(_) => {
                self.left = 0;
                self.rest = &[];
            }
        }
        Some(result)
    }

    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], String> {
        if self.rest.len() < n {
            return Err(format!("cut short in {what}"));
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    fn uuid(&mut self, what: &str) -> Result<Uuid, String> {
        let b = self.take(16, what)?;
        Ok(Uuid::from_bytes(b.try_into().expect("16 bytes")))
    }

    fn u32(&mut self, what: &str) -> Result<u32, String> {
        let b = self.take(4, what)?;
        Ok(u32::from_le_bytes(b.try_into().expect("4 bytes")))
    }

    fn u64(&mut self, what: &str) -> Result<u64, String> {
        let b = self.take(8, what)?;
        Ok(u64::from_le_bytes(b.try_into().expect("8 bytes")))
    }

    fn bytes(&mut self, what: &str) -> Result<&'a [u8], String> {
        let len = self.u32(what)? as usize;
        self.take(len, what)
    }

    fn text(&mut self, what: &str) -> Result<&'a str, String> {
        let b = self.bytes(what)?;
        std::str::from_utf8(b).map_err(|_| format!("{what} is not UTF-8"))
    }

    fn decode(&mut self) -> Result<EventView<'a>, String> {
        let event_id = self.uuid("event_id")?;
        let command_id = self.uuid("command_id")?;
        let stream_version = self.u64("stream_version")?;
        let schema_version = self.u32("schema_version")?;
        let secs = self.u64("recorded_at")? as i64;
        let nanos = self.u32("recorded_at")?;
        let recorded_at = DateTime::from_timestamp(secs, nanos)
            .ok_or_else(|| format!("recorded_at {secs}s {nanos}ns is out of range"))?;
        let flags = self.take(1, "flags")?[0];
        if flags & !FLAG_CORRELATION != 0 {
            return Err(format!("unknown flags {flags:#04x}"));
        }
        let correlation_id = if flags & FLAG_CORRELATION != 0 {
            Some(self.uuid("correlation_id")?)
        } else {
            None
        };
        let stream = self.text("stream")?;
        let event_type = self.text("event_type")?;
        let actor = self.text("actor")?;
        let payload = self.bytes("payload")?;
        let hash = if self.hashed {
            EventHash(self.take(32, "hash")?.try_into().expect("32 bytes"))
        } else {
            EventHash::GENESIS
        };
        Ok(EventView {
            global_position: self.position,
            event_id,
            command_id,
            stream_version,
            schema_version,
            recorded_at,
            correlation_id,
            stream,
            event_type,
            actor,
            payload,
            hash,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use okr_core::{CycleId, StreamId};
    use proptest::prelude::*;

    fn event(i: u64, correlation: bool, payload: serde_json::Value) -> RecordedEvent {
        RecordedEvent {
            event_id: Uuid::from_u128(u128::from(i) + 1),
            stream: StreamId::Cycle(CycleId::from_u128(u128::from(i))),
            stream_version: i * 3,
            global_position: 100 + i,
            event_type: "checked_in".to_owned(),
            schema_version: 1 + i as u32,
            recorded_at: DateTime::from_timestamp(1_700_000_000 + i as i64, 123_456_789).unwrap(),
            actor: format!("person-{i}"),
            command_id: Uuid::from_u128(0xc0 + u128::from(i)),
            correlation_id: correlation.then(|| Uuid::from_u128(0xabc)),
            payload,
            hash: EventHash([i as u8 + 1; 32]),
        }
    }

    #[test]
    fn a_record_gives_back_what_was_written() {
        let events: Vec<RecordedEvent> = (0..5)
            .map(|i| event(i, i % 2 == 0, serde_json::json!({"value": i, "note": "ü"})))
            .collect();
        let mut w = RecordWriter::new();
        for e in &events {
            w.push(e).unwrap();
        }
        assert_eq!(w.count(), 5);
        let bytes = w.finish();
        assert_eq!(record_count(&bytes), Ok(5));
        let mut r = RecordReader::new(&bytes, 100).unwrap();
        for e in &events {
            let view = r.next_event().unwrap().unwrap();
            assert_eq!(&view.to_recorded().unwrap(), e);
        }
        assert!(r.next_event().is_none());
    }

    #[test]
    fn damage_is_named() {
        let mut w = RecordWriter::new();
        w.push(&event(1, false, serde_json::json!(null))).unwrap();
        let bytes = w.finish();
        let cut = &bytes[..bytes.len() - 34];
        let err = RecordReader::new(cut, 0)
            .unwrap()
            .next_event()
            .unwrap()
            .unwrap_err();
        assert!(
            err.contains("event 0 of the record: cut short in payload"),
            "{err}"
        );
        assert!(RecordReader::new(b"{\"json\":1}", 0).is_err());
        assert!(record_count(&[RECORD_TAG, 0, 0, 0, 0, 0]).is_err());
        let mut newer = bytes.clone();
        newer[1] = 9;
        let err = RecordReader::new(&newer, 0).unwrap_err();
        assert!(err.contains("record encoding 9 is unknown"), "{err}");
        let mut long = bytes.clone();
        long.push(0);
        let mut r = RecordReader::new(&long, 0).unwrap();
        assert!(r.next_event().unwrap().is_ok());
        assert_eq!(
            r.next_event().unwrap().unwrap_err(),
            "1 bytes after the last event"
        );
        assert!(r.next_event().is_none());
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let mut with_tag = vec![RECORD_TAG];
            with_tag.extend_from_slice(&bytes);
            for input in [&bytes, &with_tag] {
                if let Ok(mut r) = RecordReader::new(input, 0) {
                    let mut n = 0;
                    while let Some(item) = r.next_event() {
                        if let Ok(view) = item {
                            let _ = view.to_recorded();
                        }
                        n += 1;
                        prop_assert!(n <= bytes.len() + 2);
                    }
                }
            }
        }

        #[test]
        fn every_envelope_round_trips(
            version in any::<u64>(),
            schema in any::<u32>(),
            secs in -62_000_000_000i64..250_000_000_000,
            nanos in 0u32..1_000_000_000,
            actor in ".{0,40}",
            cycle in any::<Option<u128>>(),
            value in any::<i64>(),
        ) {
            let mut e = event(1, value % 2 == 0, serde_json::json!({"v": value, "s": actor.clone()}));
            e.stream_version = version;
            e.schema_version = schema;
            e.recorded_at = DateTime::from_timestamp(secs, nanos).unwrap();
            e.actor = actor;
            e.stream = cycle.map_or(StreamId::Organisation, |c| StreamId::Cycle(CycleId::from_u128(c)));
            let mut w = RecordWriter::new();
            w.push(&e).unwrap();
            let bytes = w.finish();
            let view = RecordReader::new(&bytes, e.global_position).unwrap().next_event().unwrap().unwrap();
            prop_assert_eq!(view.to_recorded().unwrap(), e);
        }
    }
}
