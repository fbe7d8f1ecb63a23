//! Snapshots: the folded [`State`] at some global position, so that opening a store does not
//! replay the whole log.
//!
//! A snapshot is an optimisation, never a source of truth: the [`crate::Engine`] writes one
//! every [`crate::EngineOptions::snapshot_every`] events, uses the newest one on open and for
//! [`crate::Engine::as_of`], and ignores any it cannot decode (or that an other build of this
//! crate wrote), replaying the log instead. Deleting every snapshot
//! ([`EventStore::clear_snapshots`](crate::EventStore::clear_snapshots)) changes no result,
//! only the time to open.
//!
//! # Format
//!
//! The store keeps snapshots as opaque bytes keyed by the last global position they cover
//! ([`EventStore::save_snapshot`](crate::EventStore::save_snapshot)).
//! The engine writes one line of JSON with a [`SnapshotHeader`], a newline, and the
//! [`State`] as JSON, compressed as one zstd frame and then sealed with the snapshots' key
//! of the key store (XChaCha20-Poly1305, the header line as associated data: see
//! [`crate::keys`]), since the state holds names and texts. Compression comes before the
//! seal because sealed bytes do not compress; the state's JSON repeats its keys and ids so
//! much that the frame is several times smaller than the JSON (see [`SNAPSHOT_FORMAT`]). The
//! header can be read without decoding the state. Forgetting a person replaces the
//! snapshots' key and deletes every snapshot, so one written before cannot be read even
//! where the store's files still hold its bytes.
//!
//! The engine keeps the newest [`SNAPSHOTS_KEPT`] snapshots and deletes older ones after
//! writing a new one ([`EventStore::prune_snapshots`](crate::EventStore::prune_snapshots)).

use chrono::{DateTime, Utc};
use okr_core::State;
use serde::{Deserialize, Serialize};

use crate::error::StoreError;
use crate::keys::Keyring;

/// The snapshot format this build writes and reads. 2: the compact state — a key result
/// keeps its latest check-in, a count and the weeks checked in instead of every check-in
/// (format 1), and objectives no longer repeat their cycle. Snapshots of other formats are
/// ignored (the log is replayed), never misread.
/// 3: the state sealed with the snapshots' key. 4: the state's JSON compressed (zstd)
/// before it is sealed.
pub const SNAPSHOT_FORMAT: u32 = 4;

/// How many snapshots the engine keeps: the newest, and two before it for
/// [`crate::Engine::as_of`] of a recent moment (older moments replay from the start).
pub const SNAPSHOTS_KEPT: usize = 3;

/// The zstd level of snapshot bodies: zstd's default, the level the store's records use.
const ZSTD_LEVEL: i32 = 3;

/// The largest state a snapshot may decompress to (1 GiB): a snapshot claiming more is not
/// used.
const MAX_STATE_BYTES: usize = 1 << 30;

/// The first line of an engine snapshot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SnapshotHeader {
    /// [`SNAPSHOT_FORMAT`] at the time of writing.
    pub format: u32,
    /// The version of okr-store that wrote it; snapshots of other versions are ignored, as
    /// the shape or meaning of [`State`] may have changed.
    pub engine_version: String,
    /// The last global position folded into the state.
    pub position: u64,
    /// The latest `recorded_at` among the folded events: the snapshot serves
    /// [`crate::AsOf::Time`] queries at or after this instant.
    pub max_recorded_at: Option<DateTime<Utc>>,
}

impl SnapshotHeader {
    /// A header for this build.
    pub(crate) fn current(position: u64, max_recorded_at: Option<DateTime<Utc>>) -> Self {
        SnapshotHeader {
            format: SNAPSHOT_FORMAT,
            engine_version: env!("CARGO_PKG_VERSION").to_owned(),
            position,
            max_recorded_at,
        }
    }

    /// Whether this build can use a snapshot with this header.
    fn usable(&self) -> bool {
        self.format == SNAPSHOT_FORMAT && self.engine_version == env!("CARGO_PKG_VERSION")
    }
}

/// Encodes a snapshot: header line, newline, state.
/// `None` when the keyring has no snapshots' key, or zstd fails to compress the state (it
/// fails only when it cannot allocate its buffers).
pub(crate) fn encode(
    header: &SnapshotHeader,
    state: &State,
    keys: &Keyring,
) -> Result<Option<Vec<u8>>, StoreError> {
    let mut bytes = serde_json::to_vec(header)?;
    let body = serde_json::to_vec(state)?;
    let Ok(body) = zstd::bulk::compress(&body, ZSTD_LEVEL) else {
        return Ok(None);
    };
    let Some(sealed) = keys.seal_snapshot(&bytes, &body) else {
        return Ok(None);
    };
    bytes.push(b'\n');
    bytes.extend(sealed);
    Ok(Some(bytes))
}

/// Reads the header only; `None` when it does not decode or is not usable by this build.
pub(crate) fn decode_header(bytes: &[u8]) -> Option<SnapshotHeader> {
    let end = bytes.iter().position(|b| *b == b'\n')?;
    let header: SnapshotHeader = serde_json::from_slice(&bytes[..end]).ok()?;
    header.usable().then_some(header)
}

/// Decodes a whole snapshot stored at `position`; `None` when anything about it is off.
pub(crate) fn decode(
    position: u64,
    bytes: &[u8],
    keys: &Keyring,
) -> Option<(SnapshotHeader, State)> {
    let header = decode_header(bytes)?;
    if header.position != position {
        return None;
    }
    let end = bytes.iter().position(|b| *b == b'\n')?;
    let body = keys.open_snapshot(&bytes[..end], &bytes[end + 1..])?;
    // The frame records its content size (zstd's one-shot compression writes it).
    let size = zstd::zstd_safe::get_frame_content_size(&body).ok()??;
    let size = usize::try_from(size)
        .ok()
        .filter(|&s| s <= MAX_STATE_BYTES)?;
    let body = zstd::bulk::decompress(&body, size).ok()?;
    let state = serde_json::from_slice(&body).ok()?;
    Some((header, state))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_rejections() {
        let keys = Keyring::from_entries([(
            crate::keys::KeyOwner::Snapshots,
            crate::keys::KeyEntry::Key(crate::keys::Key::generate()),
        )]);
        let header = SnapshotHeader::current(41, None);
        assert!(encode(&header, &State::new(), &Keyring::default())
            .unwrap()
            .is_none());
        let bytes = encode(&header, &State::new(), &keys).unwrap().unwrap();
        let (h, s) = decode(41, &bytes, &keys).unwrap();
        assert_eq!(h, header);
        assert_eq!(s, State::new());
        assert!(
            decode(40, &bytes, &keys).is_none(),
            "position must match its key"
        );
        assert!(decode(41, b"garbage", &keys).is_none());
        let other_key = Keyring::from_entries([(
            crate::keys::KeyOwner::Snapshots,
            crate::keys::KeyEntry::Key(crate::keys::Key::generate()),
        )]);
        assert!(
            decode(41, &bytes, &other_key).is_none(),
            "another key reads nothing"
        );
        let mut other = header.clone();
        other.engine_version = "0.0.0-other".into();
        assert!(decode(
            41,
            &encode(&other, &State::new(), &keys).unwrap().unwrap(),
            &keys
        )
        .is_none());
        // A snapshot of format 3 (the state's JSON sealed without compression) is not
        // misread as format 4: its header says 3, and even relabelled its body is no frame.
        let mut old = header.clone();
        old.format = 3;
        let old_header = serde_json::to_vec(&old).unwrap();
        let old_body = serde_json::to_vec(&State::new()).unwrap();
        let mut v3 = old_header.clone();
        v3.push(b'\n');
        v3.extend(keys.seal_snapshot(&old_header, &old_body).unwrap());
        assert!(decode(41, &v3, &keys).is_none(), "format 3 is ignored");
        let new_header = serde_json::to_vec(&header).unwrap();
        let mut relabelled = new_header.clone();
        relabelled.push(b'\n');
        relabelled.extend(keys.seal_snapshot(&new_header, &old_body).unwrap());
        assert!(
            decode(41, &relabelled, &keys).is_none(),
            "an uncompressed body under a format-4 header is not used"
        );
        let mut truncated = bytes.clone();
        truncated.truncate(bytes.len() - 1);
        assert!(decode(41, &truncated, &keys).is_none());
    }
}
