//! Reading the log out of sled: records (format 2, and format 1's JSON events), the stream
//! index and the counter, with the checks that report damage as [`StoreError::Corrupt`].

use std::borrow::Cow;
use std::ops::ControlFlow;
use std::path::Path;

use okr_core::StreamId;

use crate::chain::EventHash;
use crate::codec::{is_record, record_count, Record};
use crate::error::StoreError;
use crate::event::{EventView, RecordedEvent};

use super::dir::sled_error;
use super::handle::SledStore;

/// The key of the position counter in `counters`.
pub(super) const NEXT_POSITION_KEY: &[u8] = b"next_position";

/// An event as stored: a view into a format-2 record, or a whole format-1 event.
#[derive(Debug)]
pub(super) enum Stored<'a> {
    /// Borrowed from a record's bytes.
    View(EventView<'a>),
    /// A format-1 record, decoded.
    Owned(RecordedEvent),
}

impl Stored<'_> {
    pub(super) fn stream_name(&self) -> Cow<'_, str> {
        match self {
            Stored::View(v) => Cow::Borrowed(v.stream),
            Stored::Owned(e) => Cow::Owned(e.stream.name()),
        }
    }

    pub(super) fn stream_version(&self) -> u64 {
        match self {
            Stored::View(v) => v.stream_version,
            Stored::Owned(e) => e.stream_version,
        }
    }

    /// The hash stored with the event ([`EventHash::GENESIS`] for records that predate the
    /// chain).
    pub(super) fn hash(&self) -> EventHash {
        match self {
            Stored::View(v) => v.hash,
            Stored::Owned(e) => e.hash,
        }
    }
}

/// A record's bytes: as sled holds them, or a format-1 event encoded as a record of one.
#[derive(Debug)]
pub(super) enum RecordBytes {
    Sled(sled::IVec),
    Owned(Vec<u8>),
}

impl AsRef<[u8]> for RecordBytes {
    fn as_ref(&self) -> &[u8] {
        match self {
            RecordBytes::Sled(b) => b,
            RecordBytes::Owned(b) => b,
        }
    }
}

impl SledStore {
    /// Calls `f` with the position and the stored form of every event from `from` to `last`
    /// (inclusive), in order, without parsing payloads; stops early at the end of the log. A
    /// gap in the log or a record that does not decode is [`StoreError::Corrupt`].
    pub(super) fn scan_events<E: From<StoreError>>(
        &self,
        from: u64,
        last: u64,
        mut f: impl FnMut(u64, Stored<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
        self.scan_records(from, last, |key, bytes| {
            self.for_each_in_record(key, &bytes, |position, stored| {
                if position >= from && position <= last {
                    f(position, stored)
                } else {
                    Ok(())
                }
            })?;
            Ok(ControlFlow::Continue(()))
        })
    }

    /// Calls `f` with the key and the bytes of every record that holds events from `from` to
    /// `last`, in order, checking that the records follow each other without gaps; stops early
    /// at the end of the log or when `f` breaks.
    pub(super) fn scan_records<E: From<StoreError>>(
        &self,
        from: u64,
        last: u64,
        mut f: impl FnMut(u64, sled::IVec) -> Result<ControlFlow<()>, E>,
    ) -> Result<(), E> {
        if from > last {
            return Ok(());
        }
        let events = &self.sled.trees()?.events;
        // The record holding `from` starts at or before it.
        let start = match events
            .range(..=from.to_be_bytes())
            .next_back()
            .transpose()
            .map_err(|e| self.sled_error(e))?
        {
            Some((key, _)) => self.decode_u64("events", &key)?,
            None => from,
        };
        let mut expected = start;
        for entry in events.range(start.to_be_bytes()..=last.to_be_bytes()) {
            let (key, value) = entry.map_err(|e| self.sled_error(e))?;
            let key = self.decode_u64("events", &key)?;
            if key != expected {
                return Err(self
                    .corrupt(
                        &format!("events/{expected}"),
                        format!("event missing: the log jumps to {key}"),
                    )
                    .into());
            }
            expected = key + self.record_len(key, &value)?;
            if f(key, value)?.is_break() {
                return Ok(());
            }
        }
        if expected <= from {
            // The record before `from` ends before it: `from` itself is missing, unless the
            // log simply ends there.
            let next = self.next_position()?;
            if from < next {
                return Err(self
                    .corrupt(
                        &format!("events/{from}"),
                        "event missing: no record holds it".to_owned(),
                    )
                    .into());
            }
        }
        Ok(())
    }

    /// The bytes of a record as a format-2 record: a format-1 record (one JSON event) is
    /// encoded as a record of one.
    pub(super) fn as_record(&self, key: u64, bytes: sled::IVec) -> Result<RecordBytes, StoreError> {
        if is_record(&bytes) {
            return Ok(RecordBytes::Sled(bytes));
        }
        let event = self.decode_json_event(key, &bytes)?;
        let mut record = crate::codec::RecordWriter::new();
        record.push(&event)?;
        Ok(RecordBytes::Owned(record.snapshot()))
    }

    /// Calls `f` for every event of the record stored under `key`; returns how many it holds.
    pub(super) fn for_each_in_record<E: From<StoreError>>(
        &self,
        key: u64,
        bytes: &[u8],
        mut f: impl FnMut(u64, Stored<'_>) -> Result<(), E>,
    ) -> Result<u64, E> {
        if is_record(bytes) {
            let record =
                Record::new(bytes).map_err(|e| self.corrupt(&format!("events/{key}"), e))?;
            let mut reader = record.reader(key);
            let mut position = key;
            while let Some(view) = reader.next_event() {
                let view = view.map_err(|e| {
                    self.corrupt(
                        &format!("events/{key}"),
                        format!("record does not decode: {e}"),
                    )
                })?;
                f(position, Stored::View(view))?;
                position += 1;
            }
            Ok(position - key)
        } else {
            let event = self.decode_json_event(key, bytes)?;
            f(key, Stored::Owned(event))?;
            Ok(1)
        }
    }

    /// How many events the record under `key` holds, from its header.
    pub(super) fn record_len(&self, key: u64, bytes: &[u8]) -> Result<u64, StoreError> {
        if is_record(bytes) {
            record_count(bytes)
                .map(u64::from)
                .map_err(|e| self.corrupt(&format!("events/{key}"), e))
        } else {
            self.decode_json_event(key, bytes).map(|_| 1)
        }
    }

    /// A format-1 record: one event as JSON, which must name its own position.
    fn decode_json_event(&self, key: u64, bytes: &[u8]) -> Result<RecordedEvent, StoreError> {
        let event: RecordedEvent = serde_json::from_slice(bytes).map_err(|e| {
            self.corrupt(
                &format!("events/{key}"),
                format!("event does not decode: {e}"),
            )
        })?;
        if event.global_position != key {
            return Err(self.corrupt(
                &format!("events/{key}"),
                format!("event records position {}", event.global_position),
            ));
        }
        Ok(event)
    }

    /// The owned envelope of a stored event.
    pub(super) fn to_recorded(
        &self,
        position: u64,
        stored: Stored<'_>,
    ) -> Result<RecordedEvent, StoreError> {
        match stored {
            Stored::Owned(e) => Ok(e),
            Stored::View(v) => v.to_recorded().map_err(|e| {
                self.corrupt(
                    &format!("events/{position}"),
                    format!("event does not decode: {e}"),
                )
            }),
        }
    }

    /// Events `from..from + count`, which must all exist.
    pub(super) fn events_at(
        &self,
        from: u64,
        count: u64,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let mut events = Vec::with_capacity(usize::try_from(count).unwrap_or(0).min(4096));
        if count == 0 {
            return Ok(events);
        }
        let last = from + count - 1;
        self.scan_events(from, last, |position, stored| {
            events.push(self.to_recorded(position, stored)?);
            Ok::<(), StoreError>(())
        })?;
        if events.len() as u64 != count {
            let missing = from + events.len() as u64;
            return Err(self.corrupt(
                &format!("events/{missing}"),
                "indexed event is missing".to_owned(),
            ));
        }
        Ok(events)
    }

    /// A `streams` entry: (first version, first position, count). Format 1 wrote runs of one
    /// with the position alone.
    pub(super) fn decode_run(
        &self,
        stream: &StreamId,
        key: &[u8],
        value: &[u8],
    ) -> Result<(u64, u64, u64), StoreError> {
        let at = || format!("streams/{stream}");
        let version = key
            .len()
            .checked_sub(8)
            .and_then(|i| decode_u64(&key[i..]))
            .ok_or_else(|| self.corrupt(&at(), "key does not end in a version".to_owned()))?;
        match value.len() {
            8 => Ok((version, decode_u64(value).unwrap_or_default(), 1)),
            16 => {
                let position = decode_u64(&value[..8]).unwrap_or_default();
                let count = decode_u64(&value[8..]).unwrap_or_default();
                if count == 0 {
                    return Err(self.corrupt(&at(), "a run of no events".to_owned()));
                }
                Ok((version, position, count))
            }
            n => Err(self.corrupt(&at(), format!("expected 8 or 16 bytes, found {n}"))),
        }
    }

    /// The position counter: the position the next append starts at.
    pub(super) fn next_position(&self) -> Result<u64, StoreError> {
        match self
            .sled
            .trees()?
            .counters
            .get(NEXT_POSITION_KEY)
            .map_err(|e| self.sled_error(e))?
        {
            Some(bytes) => self.decode_u64("counters", &bytes),
            None => Err(self.corrupt("counters/next_position", "counter is missing".to_owned())),
        }
    }

    /// The version (number of events) of `stream` as the `heads` value `head` says: it holds
    /// the version of the stream's last event.
    pub(super) fn version_from_head(&self, head: Option<sled::IVec>) -> Result<u64, StoreError> {
        match head {
            None => Ok(0),
            Some(bytes) => Ok(self.decode_u64("heads", &bytes)? + 1),
        }
    }

    pub(super) fn decode_u64(&self, tree: &str, bytes: &[u8]) -> Result<u64, StoreError> {
        decode_u64(bytes).ok_or_else(|| {
            self.corrupt(
                tree,
                format!("expected an 8-byte number, found {} bytes", bytes.len()),
            )
        })
    }

    pub(super) fn corrupt(&self, at: &str, detail: String) -> StoreError {
        StoreError::Corrupt {
            location: format!("{} ({at})", self.path.display()),
            detail,
        }
    }

    pub(super) fn sled_error(&self, e: sled::Error) -> StoreError {
        sled_error(&self.path, e)
    }
}

/// The `streams` key of a stream's run that starts at `version`.
pub(super) fn stream_key(stream: &StreamId, version: u64) -> Vec<u8> {
    let name = stream.name();
    let mut key = Vec::with_capacity(name.len() + 9);
    key.extend_from_slice(name.as_bytes());
    key.push(0);
    key.extend_from_slice(&version.to_be_bytes());
    key
}

/// Inclusive key range of the stream's index entries with version `>= from_version`.
pub(super) fn stream_range(stream: &StreamId, from_version: u64) -> (Vec<u8>, Vec<u8>) {
    (
        stream_key(stream, from_version),
        stream_key(stream, u64::MAX),
    )
}

/// The stream a `heads` key names.
pub(super) fn stream_from_key(path: &Path, key: &[u8]) -> Result<StreamId, StoreError> {
    std::str::from_utf8(key)
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| StoreError::Corrupt {
            location: format!("{} (heads)", path.display()),
            detail: format!("key {key:?} is not a stream id"),
        })
}

pub(super) fn decode_u64(bytes: &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(bytes.try_into().ok()?))
}
