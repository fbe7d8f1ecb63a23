//! The binary record the sled store keeps its events in (store format 3; format 2 is read).
//!
//! One record holds the events of consecutive global positions. The record is keyed by the
//! position of its first event; the others follow without gaps. Layout, all integers
//! little-endian:
//!
//! ```text
//! record  = tag:u8 (= 3) encoding:u8 count:u32 body
//! body    = event{count}                           (encoding 0, plain)
//!         | plain_len:u32 zstd_frame               (encoding 1, compressed)
//! event   = event_id:[16] command_id:[16] stream_version:u64 schema_version:u32
//!           recorded_secs:i64 recorded_nanos:u32 flags:u8 [correlation_id:[16] if flags & 1]
//!           stream:str event_type:str actor:str payload:str hash:[32]
//! str     = len:u32 bytes{len}        (stream, event_type, actor: UTF-8; payload: JSON)
//! ```
//!
//! `hash` is the event's link in the log's hash chain ([`crate::chain`]). `encoding` says how
//! the events after the header are stored:
//!
//! * **0, plain**: the events one after the other as above.
//! * **1, compressed**: the plain events (`plain_len` bytes, at most [`MAX_PLAIN_BODY`]) as
//!   one zstd frame. This build writes it for every record it closes whose frame is
//!   smaller than the plain events; the stored size of the record (header and frame) is
//!   what the record limits below apply to, so a compressed record holds several times the
//!   events of a plain one. The events of one record share streams, event types, actors and
//!   the keys and shapes of their JSON payloads, which is what zstd finds and a per-event
//!   encoding could not.
//!
//! A later build can add another encoding under a new number without a new store format;
//! this build refuses a record of an encoding it does not know, naming it. Format-2 records
//! (`tag = 2`, no encoding byte, no hash, plain) are read as they are; their events have no
//! stored hash ([`EventHash::GENESIS`] in their views) until a writable open chains them (see
//! the sled store's documentation).
//!
//! The envelope is binary because it is read for every event of every replay; the payload
//! stays JSON, as exports and upcasters see it. Records of store format 1 are one JSON
//! [`RecordedEvent`] each and start with `{`, never with the tag, so both kinds can share a
//! tree.

use std::borrow::Cow;
use std::cell::RefCell;

use chrono::DateTime;
use uuid::Uuid;

use crate::chain::EventHash;
use crate::error::StoreError;
use crate::event::{EventView, RecordedEvent};

/// First byte of a record of store format 3.
pub(crate) const RECORD_TAG: u8 = 3;
/// First byte of a record of store format 2.
pub(crate) const RECORD_TAG_2: u8 = 2;
/// Encoding 0: the events as they are.
pub(crate) const ENCODING_PLAIN: u8 = 0;
/// Encoding 1: the plain events as one zstd frame.
pub(crate) const ENCODING_ZSTD: u8 = 1;
/// The zstd level records are compressed with: zstd's default. On the store benchmark's log
/// of check-ins it stores the records in about a sixth of their plain size (69 bytes per
/// event instead of 394).
const ZSTD_LEVEL: i32 = 3;
/// The largest plain body of a compressed record: a header claiming more is damage, so a
/// damaged length cannot make a reader allocate gigabytes.
pub(crate) const MAX_PLAIN_BODY: usize = 4 << 20;

/// Whether `bytes` are a binary record (of format 2 or 3) rather than a format-1 JSON event.
pub(crate) fn is_record(bytes: &[u8]) -> bool {
    matches!(bytes.first(), Some(&RECORD_TAG) | Some(&RECORD_TAG_2))
}
/// A record is closed once it holds this many events...
pub(crate) const RECORD_MAX_EVENTS: u32 = 1024;
/// ...or this many stored bytes. sled 0.34 splits a leaf at 17 entries and writes a page of
/// over 128 KiB (a quarter of its 512 KiB segment) to a separate blob file, which costs a
/// file per page and which sled does not sync: 17 records of 7 KiB stay below that.
pub(crate) const RECORD_MAX_BYTES: usize = 7 << 10;

const HEADER: usize = 6;
const HEADER_2: usize = 5;
const FLAG_CORRELATION: u8 = 1;

thread_local! {
    static COMPRESSOR: RefCell<Option<zstd::bulk::Compressor<'static>>> = const { RefCell::new(None) };
    static DECOMPRESSOR: RefCell<Option<zstd::bulk::Decompressor<'static>>> = const { RefCell::new(None) };
}

/// The plain events of one record, encoded as they are pushed.
#[derive(Debug, Clone)]
pub(crate) struct RecordWriter {
    /// The plain body: the events one after the other.
    body: Vec<u8>,
    /// Where each event's bytes end in `body`.
    ends: Vec<usize>,
}

impl RecordWriter {
    pub(crate) fn new() -> Self {
        RecordWriter {
            body: Vec::with_capacity(RECORD_MAX_BYTES + 1024),
            ends: Vec::new(),
        }
    }

    pub(crate) fn count(&self) -> u32 {
        self.ends.len() as u32
    }

    /// The size of the plain events so far.
    pub(crate) fn plain_len(&self) -> usize {
        self.body.len()
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
        let b = &mut self.body;
        let start = b.len();
        let written = (|| {
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
            Ok(())
        })();
        if written.is_err() {
            b.truncate(start);
            return written;
        }
        self.ends.push(b.len());
        Ok(())
    }

    /// Appends the plain bytes of events encoded by another writer (`ends` relative to
    /// `body`'s start).
    fn push_plain(&mut self, body: &[u8], ends: &[usize]) {
        let base = self.body.len();
        self.body.extend_from_slice(body);
        self.ends.extend(ends.iter().map(|end| base + end));
    }

    /// The record as a plain (encoding 0) record, leaving this one open.
    pub(crate) fn snapshot(&self) -> Vec<u8> {
        plain_record(&self.body, self.count())
    }

    /// The finished record: compressed (encoding 1) when that is smaller, plain otherwise.
    pub(crate) fn finish(self) -> Vec<u8> {
        let count = self.count();
        compressed_record(&self.body, count).unwrap_or_else(|| plain_record(&self.body, count))
    }
}

/// A plain record of `count` events whose plain bytes are `body`.
fn plain_record(body: &[u8], count: u32) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(HEADER + body.len());
    bytes.push(RECORD_TAG);
    bytes.push(ENCODING_PLAIN);
    bytes.extend_from_slice(&count.to_le_bytes());
    bytes.extend_from_slice(body);
    bytes
}

/// A compressed record of `count` events whose plain bytes are `body`, if it is smaller than
/// the plain record (and the body not over [`MAX_PLAIN_BODY`]).
fn compressed_record(body: &[u8], count: u32) -> Option<Vec<u8>> {
    if body.len() > MAX_PLAIN_BODY || body.len() < 64 {
        return None;
    }
    let mut bytes = Vec::with_capacity(HEADER + 4 + zstd::zstd_safe::compress_bound(body.len()));
    bytes.push(RECORD_TAG);
    bytes.push(ENCODING_ZSTD);
    bytes.extend_from_slice(&count.to_le_bytes());
    bytes.extend_from_slice(&(body.len() as u32).to_le_bytes());
    let frame = COMPRESSOR.with(|c| {
        let mut c = c.borrow_mut();
        if c.is_none() {
            *c = zstd::bulk::Compressor::new(ZSTD_LEVEL).ok();
        }
        c.as_mut()?.compress(body).ok()
    })?;
    if HEADER + 4 + frame.len() >= HEADER + body.len() {
        return None;
    }
    bytes.extend_from_slice(&frame);
    Some(bytes)
}

/// Packs a run of events into records of consecutive positions that each stay within
/// [`RECORD_MAX_BYTES`] stored bytes and [`RECORD_MAX_EVENTS`] events. How many plain bytes
/// fit is learnt from the records it closes: it starts at the plain limit and grows with the
/// compression ratio it sees.
#[derive(Debug)]
pub(crate) struct RecordPacker {
    /// The position of the first event of the open record.
    key: u64,
    open: RecordWriter,
    /// Closed records and their keys.
    done: Vec<(u64, Vec<u8>)>,
    /// Plain bytes after which the open record is closed.
    plain_limit: usize,
}

impl RecordPacker {
    /// A packer whose first event has global position `first`.
    pub(crate) fn new(first: u64) -> Self {
        RecordPacker {
            key: first,
            open: RecordWriter::new(),
            done: Vec::new(),
            plain_limit: RECORD_MAX_BYTES * 4,
        }
    }

    /// Appends an event whose payload's JSON text is `payload` (see
    /// [`RecordWriter::push_encoded`]).
    pub(crate) fn push_encoded(
        &mut self,
        e: &RecordedEvent,
        payload: &[u8],
    ) -> Result<(), StoreError> {
        self.open.push_encoded(e, payload)?;
        if self.is_full() {
            self.close(false);
        }
        Ok(())
    }

    /// Whether the open record has reached the limits at which it is closed.
    fn is_full(&self) -> bool {
        self.open.count() >= RECORD_MAX_EVENTS || self.open.plain_len() >= self.plain_limit
    }

    /// Closes records from the front of the open events, each compressed if that is smaller
    /// and no bigger than [`RECORD_MAX_BYTES`] stored bytes (unless it holds one event),
    /// until what stays open is below the limits, or nothing stays open when `all`.
    fn close(&mut self, all: bool) {
        while self.open.count() > 0 && (all || self.is_full()) {
            let (n, bytes) = self.fitting_prefix();
            let split = self.open.ends[n - 1];
            if bytes[1] == ENCODING_ZSTD {
                // Aim the next record at the limit with the ratio this one had.
                let ratio = split as f64 / bytes.len() as f64;
                self.plain_limit = ((RECORD_MAX_BYTES as f64 * 0.95 * ratio) as usize)
                    .clamp(RECORD_MAX_BYTES, MAX_PLAIN_BODY);
            }
            self.done.push((self.key, bytes));
            self.key += n as u64;
            let mut rest = RecordWriter::new();
            let ends: Vec<usize> = self.open.ends[n..].iter().map(|e| e - split).collect();
            rest.push_plain(&self.open.body[split..], &ends);
            self.open = rest;
        }
    }

    /// How many of the open events, from the first, make a record within
    /// [`RECORD_MAX_BYTES`] (at least one), and that record.
    fn fitting_prefix(&self) -> (usize, Vec<u8>) {
        let open = &self.open;
        let mut n = open.ends.len();
        loop {
            let plain = &open.body[..open.ends[n - 1]];
            let count = n as u32;
            let bytes =
                compressed_record(plain, count).unwrap_or_else(|| plain_record(plain, count));
            if bytes.len() <= RECORD_MAX_BYTES || n == 1 {
                return (n, bytes);
            }
            // Keep the share of the events that should fit, and try again with them.
            let want =
                (plain.len() as f64 * 0.9 * RECORD_MAX_BYTES as f64 / bytes.len() as f64) as usize;
            n = open.ends[..n]
                .iter()
                .position(|&end| end > want)
                .unwrap_or(n)
                .clamp(1, n - 1);
        }
    }

    /// The records pushed so far as they are stored, the open one as a plain record, without
    /// closing it.
    pub(crate) fn snapshot(&self) -> Vec<(u64, Vec<u8>)> {
        let mut all = self.done.clone();
        if self.open.count() > 0 {
            all.push((self.key, self.open.snapshot()));
        }
        all
    }

    /// Every record, with its key.
    pub(crate) fn finish(mut self) -> Vec<(u64, Vec<u8>)> {
        self.close(true);
        self.done
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

/// The number of events a record claims to hold, its encoding, whether its events carry a
/// hash, and where its body starts, from its header.
fn header(bytes: &[u8]) -> Result<(u32, u8, bool, usize), String> {
    let (encoding, hashed, header) = match bytes.first() {
        Some(&RECORD_TAG) => {
            let encoding = match bytes.get(1) {
                Some(&e @ (ENCODING_PLAIN | ENCODING_ZSTD)) => e,
                Some(other) => {
                    return Err(format!(
                        "record encoding {other} is unknown to this build (written by a newer \
                         one, or damaged)"
                    ))
                }
                None => return Err("record header is cut short".to_owned()),
            };
            (encoding, true, HEADER)
        }
        Some(&RECORD_TAG_2) => (ENCODING_PLAIN, false, HEADER_2),
        _ => return Err("not a binary record".to_owned()),
    };
    let count = bytes
        .get(header - 4..header)
        .map(|b| u32::from_le_bytes(b.try_into().expect("4 bytes")))
        .ok_or("record header is cut short")?;
    if count == 0 {
        return Err("record holds no events".to_owned());
    }
    Ok((count, encoding, hashed, header))
}

/// The number of events a record claims to hold, from its header.
pub(crate) fn record_count(bytes: &[u8]) -> Result<u32, String> {
    header(bytes).map(|(count, _, _, _)| count)
}

/// A record's encoding, from its header (format-2 records are plain).
#[cfg(test)]
pub(crate) fn record_encoding(bytes: &[u8]) -> Result<u8, String> {
    header(bytes).map(|(_, encoding, _, _)| encoding)
}

/// A record with its body plain: borrowed from the stored bytes of a plain record, or
/// decompressed from a compressed one.
#[derive(Debug)]
pub(crate) struct Record<'a> {
    body: Cow<'a, [u8]>,
    count: u32,
    /// The events carry their hash (format 3).
    hashed: bool,
}

impl<'a> Record<'a> {
    /// Reads a record's header and, for a compressed record, decompresses its body; an
    /// error says what is wrong.
    pub(crate) fn new(bytes: &'a [u8]) -> Result<Self, String> {
        let (count, encoding, hashed, header) = header(bytes)?;
        let body = match encoding {
            ENCODING_ZSTD => Cow::Owned(decompress(&bytes[header..])?),
            _ => Cow::Borrowed(&bytes[header..]),
        };
        Ok(Record {
            body,
            count,
            hashed,
        })
    }

    /// The number of events the record holds.
    pub(crate) fn count(&self) -> u32 {
        self.count
    }

    /// A reader of the record's events; the first has global position `first`.
    pub(crate) fn reader(&self, first: u64) -> RecordReader<'_> {
        RecordReader {
            rest: &self.body,
            left: self.count,
            index: 0,
            position: first,
            hashed: self.hashed,
        }
    }
}

/// The plain body of a compressed record's body (`plain_len` and the frame).
fn decompress(body: &[u8]) -> Result<Vec<u8>, String> {
    let len = body
        .get(..4)
        .map(|b| u32::from_le_bytes(b.try_into().expect("4 bytes")) as usize)
        .ok_or("record does not decode: cut short in its plain length")?;
    if len > MAX_PLAIN_BODY {
        return Err(format!(
            "record does not decode: it claims {len} plain bytes, more than the \
             {MAX_PLAIN_BODY} a record may hold"
        ));
    }
    let frame = &body[4..];
    let plain = DECOMPRESSOR.with(|d| {
        let mut d = d.borrow_mut();
        if d.is_none() {
            *d = Some(
                zstd::bulk::Decompressor::new()
                    .map_err(|e| format!("zstd decompressor could not start: {e}"))?,
            );
        }
        d.as_mut()
            .expect("set above")
            .decompress(frame, len)
            .map_err(|e| format!("record does not decode: its zstd frame is damaged ({e})"))
    })?;
    if plain.len() != len {
        return Err(format!(
            "record does not decode: its zstd frame holds {} plain bytes, its header says {len}",
            plain.len()
        ));
    }
    Ok(plain)
}

/// Walks the events of a record in order.
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
            hash: EventHash([(i as u8).wrapping_add(1); 32]),
        }
    }

    fn read_back(bytes: &[u8], first: u64) -> Vec<RecordedEvent> {
        let record = Record::new(bytes).unwrap();
        let mut reader = record.reader(first);
        let mut events = Vec::new();
        while let Some(view) = reader.next_event() {
            events.push(view.unwrap().to_recorded().unwrap());
        }
        events
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
        let plain = w.snapshot();
        let bytes = w.finish();
        assert_eq!(record_encoding(&bytes), Ok(ENCODING_ZSTD));
        assert!(
            bytes.len() < plain.len(),
            "{} >= {}",
            bytes.len(),
            plain.len()
        );
        for bytes in [&bytes, &plain] {
            assert_eq!(record_count(bytes), Ok(5));
            assert_eq!(read_back(bytes, 100), events);
        }
    }

    /// A record of encoding 0 as earlier builds wrote it, byte by byte: still read.
    #[test]
    fn a_plain_record_of_an_earlier_build_is_read() {
        let e = event(1, true, serde_json::json!({"v": 1}));
        let payload = serde_json::to_vec(&e.payload).unwrap();
        let mut bytes = vec![RECORD_TAG, 0, 1, 0, 0, 0];
        bytes.extend_from_slice(e.event_id.as_bytes());
        bytes.extend_from_slice(e.command_id.as_bytes());
        bytes.extend_from_slice(&e.stream_version.to_le_bytes());
        bytes.extend_from_slice(&e.schema_version.to_le_bytes());
        bytes.extend_from_slice(&e.recorded_at.timestamp().to_le_bytes());
        bytes.extend_from_slice(&e.recorded_at.timestamp_subsec_nanos().to_le_bytes());
        bytes.push(1);
        bytes.extend_from_slice(e.correlation_id.unwrap().as_bytes());
        for s in [
            e.stream.name().as_bytes(),
            e.event_type.as_bytes(),
            e.actor.as_bytes(),
            &payload,
        ] {
            bytes.extend_from_slice(&(s.len() as u32).to_le_bytes());
            bytes.extend_from_slice(s);
        }
        bytes.extend_from_slice(&e.hash.0);
        assert_eq!(record_encoding(&bytes), Ok(ENCODING_PLAIN));
        assert_eq!(read_back(&bytes, 101), vec![e.clone()]);
        let mut w = RecordWriter::new();
        w.push(&e).unwrap();
        assert_eq!(w.snapshot(), bytes, "the plain encoding is unchanged");
    }

    #[test]
    fn damage_is_named() {
        let mut w = RecordWriter::new();
        w.push(&event(1, false, serde_json::json!(null))).unwrap();
        let bytes = w.snapshot();
        let cut = &bytes[..bytes.len() - 34];
        let record = Record::new(cut).unwrap();
        let err = record.reader(0).next_event().unwrap().unwrap_err();
        assert!(
            err.contains("event 0 of the record: cut short in payload"),
            "{err}"
        );
        assert!(Record::new(b"{\"json\":1}").is_err());
        assert!(record_count(&[RECORD_TAG, 0, 0, 0, 0, 0]).is_err());
        let mut newer = bytes.clone();
        newer[1] = 9;
        let err = Record::new(&newer).unwrap_err();
        assert!(err.contains("record encoding 9 is unknown"), "{err}");
        let mut long = bytes.clone();
        long.push(0);
        let record = Record::new(&long).unwrap();
        let mut r = record.reader(0);
        assert!(r.next_event().unwrap().is_ok());
        assert_eq!(
            r.next_event().unwrap().unwrap_err(),
            "1 bytes after the last event"
        );
        assert!(r.next_event().is_none());
    }

    #[test]
    fn damage_to_a_compressed_record_is_named() {
        let mut w = RecordWriter::new();
        for i in 0..20 {
            w.push(&event(i, false, serde_json::json!({"n": i})))
                .unwrap();
        }
        let bytes = w.finish();
        assert_eq!(record_encoding(&bytes), Ok(ENCODING_ZSTD));
        let mut frame = bytes.clone();
        let middle = frame.len() / 2;
        frame[middle] ^= 0xff;
        frame[middle + 1] ^= 0xff;
        match Record::new(&frame) {
            Err(err) => assert!(
                err.contains("zstd frame") || err.contains("plain bytes"),
                "{err}"
            ),
            // zstd frames carry no checksum here: a flipped literal decodes, and the
            // envelope's checks (or the hash chain) catch what it changed.
            Ok(record) => {
                let mut reader = record.reader(0);
                while let Some(Ok(_)) = reader.next_event() {}
            }
        }
        let err = Record::new(&bytes[..bytes.len() - 5]).unwrap_err();
        assert!(
            err.contains("record does not decode: its zstd frame is damaged"),
            "{err}"
        );
        let mut huge = bytes.clone();
        huge[HEADER..HEADER + 4].copy_from_slice(&u32::MAX.to_le_bytes());
        let err = Record::new(&huge).unwrap_err();
        assert!(err.contains("it claims 4294967295 plain bytes"), "{err}");
        let mut short = bytes.clone();
        let len = u32::from_le_bytes(short[HEADER..HEADER + 4].try_into().unwrap());
        short[HEADER..HEADER + 4].copy_from_slice(&(len - 1).to_le_bytes());
        assert!(Record::new(&short).is_err());
        let err = Record::new(&bytes[..HEADER + 2]).unwrap_err();
        assert!(err.contains("cut short in its plain length"), "{err}");
    }

    /// Packs `events` (positions from 100 on) and checks every record is within the limits,
    /// keyed by its first position, and that together they give back the events.
    fn check_packing(events: &[RecordedEvent]) -> Vec<(u64, Vec<u8>)> {
        let mut packer = RecordPacker::new(100);
        for e in events {
            packer
                .push_encoded(e, &serde_json::to_vec(&e.payload).unwrap())
                .unwrap();
        }
        let records = packer.finish();
        let mut next = 100;
        let mut back = Vec::new();
        for (key, bytes) in &records {
            assert_eq!(*key, next);
            let count = record_count(bytes).unwrap();
            assert!(count <= RECORD_MAX_EVENTS);
            assert!(
                bytes.len() <= RECORD_MAX_BYTES || count == 1,
                "a record of {count} events has {} bytes",
                bytes.len()
            );
            back.extend(read_back(bytes, *key));
            next += u64::from(count);
        }
        assert_eq!(back, events);
        records
    }

    #[test]
    fn packed_records_stay_within_the_limits() {
        // Compressible: similar check-ins; each record holds several times the events a
        // plain record of the same size would.
        let similar: Vec<RecordedEvent> = (0..3000)
            .map(|i| {
                event(
                    i,
                    false,
                    serde_json::json!({"value": i % 90, "note": "waiting"}),
                )
            })
            .collect();
        let records = check_packing(&similar);
        let plain_per_record = RECORD_MAX_BYTES
            / (RecordWriter::new().snapshot().len() + {
                let mut w = RecordWriter::new();
                w.push(&similar[0]).unwrap();
                w.plain_len()
            });
        assert!(
            similar.len() / records.len() > 2 * plain_per_record,
            "{} records for {} events",
            records.len(),
            similar.len()
        );
        assert!(records.iter().all(|(_, b)| b[1] == ENCODING_ZSTD));
        // Incompressible payloads: records are split to stay within the byte limit.
        let mut noise = 0x9e37_79b9_7f4a_7c15u64;
        let random: Vec<RecordedEvent> = (0..300)
            .map(|i| {
                let text: String = (0..200)
                    .map(|_| {
                        noise ^= noise << 13;
                        noise ^= noise >> 7;
                        noise ^= noise << 17;
                        char::from(b'!' + (noise % 90) as u8)
                    })
                    .collect();
                event(i, true, serde_json::json!({ "t": text }))
            })
            .collect();
        check_packing(&random);
        // One event larger than a record: a record of its own.
        let big = vec![event(
            0,
            false,
            serde_json::json!({"t": "x".repeat(100_000)}),
        )];
        let records = check_packing(&big);
        assert_eq!(records.len(), 1);
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let mut with_tag = vec![RECORD_TAG];
            with_tag.extend_from_slice(&bytes);
            let mut compressed = vec![RECORD_TAG, ENCODING_ZSTD];
            compressed.extend_from_slice(&bytes);
            for input in [&bytes, &with_tag, &compressed] {
                if let Ok(record) = Record::new(input) {
                    let mut r = record.reader(0);
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
            w.push(&e).unwrap();
            for bytes in [w.snapshot(), w.finish()] {
                let record = Record::new(&bytes).unwrap();
                let view = record.reader(e.global_position).next_event().unwrap().unwrap();
                prop_assert_eq!(view.to_recorded().unwrap(), e.clone());
            }
        }
    }
}
