//! The journal file: its header, its frames and their format (see the [module
//! documentation](super)).

use std::fs::{self, File};
use std::io;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use crate::error::StoreError;

/// The journal's file name in the store's directory.
pub(crate) const FILE_NAME: &str = "journal";
/// Where a new journal is prepared before it is renamed into place.
pub(crate) const TEMP_NAME: &str = "journal.tmp";
/// Unit of the journal's layout: the header and every frame start on a page boundary.
pub(crate) const PAGE: u64 = 4096;
/// Once the tail passes this many bytes, the next append checkpoints: the backend is flushed and
/// the journal starts over. Bounds the journal's size and the replay on open.
pub(crate) const CHECKPOINT_BYTES: u64 = 32 << 20;
/// Size of a new journal; it grows by doubling (zero-filled) up to the checkpoint size.
const INITIAL_BYTES: u64 = 1 << 20;
const MAGIC: &[u8; 8] = b"OKRJRNL\0";
const FORMAT: u32 = 1;
const FRAME_MAGIC: &[u8; 4] = b"OKRF";
/// Frame header: magic, CRC, payload length, generation.
const FRAME_HEADER: usize = 24;

/// A keyspace of the store behind the journal: an opaque number the backend gives meaning
/// to (the sled backend maps each to one of its trees). The journal only stores it.
pub(crate) type Keyspace = u8;

/// Everything one append (or batch) writes: what its journal frame holds and what the
/// backend then inserts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WriteSet {
    /// The position counter before the append.
    pub(crate) first: u64,
    /// The position counter after the append.
    pub(crate) next: u64,
    /// Inserts, in order: keyspace, key, value.
    pub(crate) writes: Vec<(Keyspace, Vec<u8>, Vec<u8>)>,
}

impl WriteSet {
    /// Bytes of keys and values.
    pub(crate) fn bytes(&self) -> usize {
        self.writes.iter().map(|(_, k, v)| k.len() + v.len()).sum()
    }

    /// The frame for this write set: header, payload, zero padding to a whole page.
    fn frame(&self, generation: u64) -> Result<Vec<u8>, String> {
        let payload_len = 20
            + self
                .writes
                .iter()
                .map(|(_, k, v)| 9 + k.len() + v.len())
                .sum::<usize>();
        let total = round_up((FRAME_HEADER + payload_len) as u64, PAGE);
        let mut frame = Vec::with_capacity(usize::try_from(total).map_err(|e| e.to_string())?);
        frame.extend_from_slice(FRAME_MAGIC);
        frame.extend_from_slice(&[0; 4]);
        frame.extend_from_slice(&(payload_len as u64).to_be_bytes());
        frame.extend_from_slice(&generation.to_be_bytes());
        frame.extend_from_slice(&self.first.to_be_bytes());
        frame.extend_from_slice(&self.next.to_be_bytes());
        let count = u32::try_from(self.writes.len())
            .map_err(|_| format!("{} writes in one append", self.writes.len()))?;
        frame.extend_from_slice(&count.to_be_bytes());
        for (keyspace, key, value) in &self.writes {
            frame.push(*keyspace);
            for bytes in [key, value] {
                let len = u32::try_from(bytes.len())
                    .map_err(|_| format!("a value of {} bytes", bytes.len()))?;
                frame.extend_from_slice(&len.to_be_bytes());
                frame.extend_from_slice(bytes);
            }
        }
        debug_assert_eq!(frame.len(), FRAME_HEADER + payload_len);
        let crc = crc32fast::hash(&frame[8..]);
        frame[4..8].copy_from_slice(&crc.to_be_bytes());
        frame.resize(total as usize, 0);
        Ok(frame)
    }

    /// Decodes a payload whose CRC matched.
    fn decode(payload: &[u8]) -> Result<WriteSet, String> {
        let mut r = Reader(payload);
        let first = r.u64()?;
        let next = r.u64()?;
        if next < first {
            return Err(format!("the counter goes back from {first} to {next}"));
        }
        let count = r.u32()?;
        let mut writes = Vec::with_capacity((count as usize).min(payload.len() / 9));
        for _ in 0..count {
            let keyspace = r.bytes(1)?[0];
            let key = r.sized()?.to_vec();
            let value = r.sized()?.to_vec();
            writes.push((keyspace, key, value));
        }
        if !r.0.is_empty() {
            return Err(format!("{} bytes after the last write", r.0.len()));
        }
        Ok(WriteSet {
            first,
            next,
            writes,
        })
    }
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn bytes(&mut self, n: usize) -> Result<&'a [u8], String> {
        if self.0.len() < n {
            return Err(format!("ends {} bytes early", n - self.0.len()));
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }
    fn u32(&mut self) -> Result<u32, String> {
        Ok(u32::from_be_bytes(self.bytes(4)?.try_into().expect("4")))
    }
    fn u64(&mut self) -> Result<u64, String> {
        Ok(u64::from_be_bytes(self.bytes(8)?.try_into().expect("8")))
    }
    fn sized(&mut self) -> Result<&'a [u8], String> {
        let n = self.u32()? as usize;
        self.bytes(n)
    }
}

fn round_up(n: u64, to: u64) -> u64 {
    n.div_ceil(to) * to
}

fn header(generation: u64) -> Vec<u8> {
    let mut page = vec![0u8; PAGE as usize];
    page[..8].copy_from_slice(MAGIC);
    page[8..12].copy_from_slice(&FORMAT.to_be_bytes());
    page[12..20].copy_from_slice(&generation.to_be_bytes());
    let crc = crc32fast::hash(&page[..20]);
    page[20..24].copy_from_slice(&crc.to_be_bytes());
    page
}

/// An open journal. Frames are appended under the store's writer lock, so in position order.
#[derive(Debug)]
pub(crate) struct Journal {
    path: PathBuf,
    file: File,
    tail: Mutex<Tail>,
    /// Syncs done, and a sync to fail as if the disk had refused it (tests).
    #[cfg(test)]
    pub(crate) test_syncs: std::sync::atomic::AtomicU64,
    #[cfg(test)]
    pub(crate) test_fail_sync: std::sync::atomic::AtomicBool,
}

#[derive(Debug)]
struct Tail {
    generation: u64,
    /// Where the next frame goes.
    offset: u64,
    /// The file's length: zeros from `offset` to here.
    len: u64,
    /// Why the journal stopped taking appends, after a failure.
    halted: Option<String>,
}

impl Journal {
    /// Reads the journal in `dir`, if there is one, and calls `apply` with the offset and the
    /// write set of each of its frames, in order. A journal whose header is damaged, or a
    /// frame whose CRC matches but whose payload does not decode, is
    /// [`StoreError::Corrupt`].
    pub(crate) fn recover(
        dir: &Path,
        mut apply: impl FnMut(u64, WriteSet) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let path = dir.join(FILE_NAME);
        let file = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(source) => return Err(StoreError::Io { path, source }),
        };
        let io_error = |source| StoreError::Io {
            path: path.clone(),
            source,
        };
        let len = file.metadata().map_err(io_error)?.len();
        let generation = read_header(&file, &path)?;
        let mut offset = PAGE;
        let mut head = [0u8; FRAME_HEADER];
        let mut payload = Vec::new();
        while offset + FRAME_HEADER as u64 <= len {
            read_at(&file, &mut head, offset).map_err(io_error)?;
            let frame_generation = u64::from_be_bytes(head[16..24].try_into().expect("8"));
            if &head[..4] != FRAME_MAGIC || frame_generation != generation {
                break;
            }
            let payload_len = u64::from_be_bytes(head[8..16].try_into().expect("8"));
            let end = offset
                .checked_add(FRAME_HEADER as u64)
                .and_then(|o| o.checked_add(payload_len));
            let Some(end) = end.filter(|&end| end <= len) else {
                break;
            };
            payload.resize(payload_len as usize, 0);
            read_at(&file, &mut payload, offset + FRAME_HEADER as u64).map_err(io_error)?;
            let mut crc = crc32fast::Hasher::new();
            crc.update(&head[8..]);
            crc.update(&payload);
            if crc.finalize().to_be_bytes() != head[4..8] {
                break;
            }
            let set = WriteSet::decode(&payload).map_err(|detail| StoreError::Corrupt {
                location: format!("{} (frame at byte {offset})", path.display()),
                detail: format!("frame does not decode: {detail}"),
            })?;
            apply(offset, set)?;
            offset = round_up(end, PAGE);
        }
        Ok(())
    }

    /// Opens the journal in `dir` for appends, creating it if there is none, and starts it
    /// over: call it only when the backend holds everything the journal held (after
    /// [`Journal::recover`] and a flush).
    pub(crate) fn open(dir: &Path) -> Result<Journal, StoreError> {
        let path = dir.join(FILE_NAME);
        let io_error = |path: &Path| {
            let path = path.to_owned();
            move |source| StoreError::Io { path, source }
        };
        let file = match fs::OpenOptions::new().read(true).write(true).open(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                // Prepared aside and renamed, so `journal` always has a whole header.
                let temp = dir.join(TEMP_NAME);
                let file = fs::OpenOptions::new()
                    .read(true)
                    .write(true)
                    .create(true)
                    .truncate(true)
                    .open(&temp)
                    .map_err(io_error(&temp))?;
                write_at(&file, &header(0), 0).map_err(io_error(&temp))?;
                zero_fill(&file, PAGE, INITIAL_BYTES).map_err(io_error(&temp))?;
                file.sync_all().map_err(io_error(&temp))?;
                fs::rename(&temp, &path).map_err(io_error(&path))?;
                File::open(dir)
                    .and_then(|d| d.sync_all())
                    .map_err(io_error(dir))?;
                file
            }
            Err(e) => return Err(io_error(&path)(e)),
        };
        let generation = read_header(&file, &path)?;
        let len = file.metadata().map_err(io_error(&path))?.len();
        let journal = Journal {
            path,
            file,
            tail: Mutex::new(Tail {
                generation,
                offset: PAGE,
                len,
                halted: None,
            }),
            #[cfg(test)]
            test_syncs: Default::default(),
            #[cfg(test)]
            test_fail_sync: Default::default(),
        };
        journal.reset()?;
        Ok(journal)
    }

    fn io_error(&self, source: io::Error) -> StoreError {
        StoreError::Io {
            path: self.path.clone(),
            source,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Tail> {
        // The tail is only changed after a write succeeded, so it is consistent even if a
        // holder panicked.
        self.tail.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Writes `set` as the next frame and makes it durable (`fdatasync`). Returns whether the
    /// journal is now past [`CHECKPOINT_BYTES`].
    ///
    /// After a failed write or sync the frame may or may not be on disk, so the journal halts:
    /// this and every later call fail with [`StoreError::Halted`] (see [`Journal::halt`]).
    #[cfg(test)]
    pub(crate) fn append(&self, set: &WriteSet) -> Result<bool, StoreError> {
        let due = self.write(set)?;
        self.sync()?;
        Ok(due)
    }

    /// Writes `set` as the next frame, without waiting for the disk: the frame is durable
    /// after the next [`Journal::sync`] that starts after this returns. Returns whether the
    /// journal is now past [`CHECKPOINT_BYTES`].
    ///
    /// After a failed write the frame may or may not be on disk, so the journal halts: this
    /// and every later call fail with [`StoreError::Halted`] (see [`Journal::halt`]).
    pub(crate) fn write(&self, set: &WriteSet) -> Result<bool, StoreError> {
        let mut tail = self.lock();
        if let Some(reason) = &tail.halted {
            return Err(self.halted_error(reason.clone()));
        }
        let frame = set
            .frame(tail.generation)
            .map_err(|detail| StoreError::Corrupt {
                location: self.path.display().to_string(),
                detail: format!("the append cannot be journaled: {detail}"),
            })?;
        let end = tail.offset + frame.len() as u64;
        let written = (|| {
            if end > tail.len {
                // Grow ahead of the tail, doubling, so that frames overwrite zeros.
                let len = round_up(end.max(tail.len * 2).min(CHECKPOINT_BYTES).max(end), PAGE);
                zero_fill(&self.file, tail.len, len)?;
                self.file.sync_all()?;
                tail.len = len;
            }
            write_at(&self.file, &frame, tail.offset)
        })();
        if let Err(e) = written {
            tail.halted = Some(format!("journal write failed: {e}"));
            return Err(self.io_error(e));
        }
        tail.offset = end;
        Ok(end >= CHECKPOINT_BYTES)
    }

    /// Makes every frame written so far durable (`fdatasync`). Runs without the tail lock, so
    /// frames can be written while it waits for the disk; those are covered by the next call.
    ///
    /// After a failed sync the journal halts, as after a failed write.
    pub(crate) fn sync(&self) -> Result<(), StoreError> {
        if let Some(reason) = self.lock().halted.clone() {
            return Err(self.halted_error(reason));
        }
        #[cfg(test)]
        self.test_syncs
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        #[cfg(test)]
        let synced = if self
            .test_fail_sync
            .load(std::sync::atomic::Ordering::SeqCst)
        {
            Err(io::Error::other("injected sync failure"))
        } else {
            self.file.sync_data()
        };
        #[cfg(not(test))]
        let synced = self.file.sync_data();
        if let Err(e) = synced {
            self.lock().halted = Some(format!("journal sync failed: {e}"));
            return Err(self.io_error(e));
        }
        Ok(())
    }

    fn halted_error(&self, reason: String) -> StoreError {
        StoreError::Halted {
            path: self.path.parent().unwrap_or(&self.path).to_owned(),
            reason,
        }
    }

    /// Starts the journal over and gives back the space it grew into: for a store closed
    /// cleanly, when the backend holds everything durably.
    pub(crate) fn close(&self) -> Result<(), StoreError> {
        self.reset()?;
        let mut tail = self.lock();
        if tail.len > INITIAL_BYTES {
            self.file
                .set_len(INITIAL_BYTES)
                .and_then(|()| self.file.sync_all())
                .map_err(|e| self.io_error(e))?;
            tail.len = INITIAL_BYTES;
        }
        Ok(())
    }

    /// Whether the journal stopped taking appends after a failure.
    pub(crate) fn is_halted(&self) -> bool {
        self.lock().halted.is_some()
    }

    /// Refuses every later append: the store failed to apply a frame that is already durable.
    pub(crate) fn halt(&self, reason: String) {
        self.lock().halted = Some(reason);
    }

    /// Starts the journal over with the next generation, which retires every frame in it:
    /// call it only when the backend holds, durably, everything the journal held.
    pub(crate) fn reset(&self) -> Result<(), StoreError> {
        let mut tail = self.lock();
        let generation = tail.generation.wrapping_add(1);
        write_at(&self.file, &header(generation), 0).map_err(|e| self.io_error(e))?;
        self.file.sync_data().map_err(|e| self.io_error(e))?;
        tail.generation = generation;
        tail.offset = PAGE;
        Ok(())
    }
}

/// Reads and checks the header; returns the generation.
fn read_header(file: &File, path: &Path) -> Result<u64, StoreError> {
    let mut page = [0u8; 24];
    let corrupt = |detail: String| StoreError::Corrupt {
        location: format!("{} (header)", path.display()),
        detail,
    };
    read_at(file, &mut page, 0).map_err(|e| {
        if e.kind() == io::ErrorKind::UnexpectedEof {
            corrupt("the file is shorter than its header".to_owned())
        } else {
            StoreError::Io {
                path: path.to_owned(),
                source: e,
            }
        }
    })?;
    if &page[..8] != MAGIC {
        return Err(corrupt("not an okr journal".to_owned()));
    }
    let crc = crc32fast::hash(&page[..20]);
    if crc.to_be_bytes() != page[20..24] {
        return Err(corrupt("header checksum does not match".to_owned()));
    }
    let format = u32::from_be_bytes(page[8..12].try_into().expect("4"));
    if format != FORMAT {
        return Err(corrupt(format!(
            "journal format {format}; this build reads format {FORMAT}"
        )));
    }
    Ok(u64::from_be_bytes(page[12..20].try_into().expect("8")))
}

/// Writes all of `buf` at `offset`. Positioned through the file's cursor (portable); every
/// caller has the file to itself: the journal's under its tail lock, recovery and tests their
/// own handle.
fn write_at(mut file: &File, buf: &[u8], offset: u64) -> io::Result<()> {
    file.seek(SeekFrom::Start(offset))?;
    file.write_all(buf)
}

/// Fills `buf` from `offset` (see [`write_at`]).
fn read_at(mut file: &File, buf: &mut [u8], offset: u64) -> io::Result<()> {
    file.seek(SeekFrom::Start(offset))?;
    file.read_exact(buf)
}

/// Writes zeros from `from` to `to`.
fn zero_fill(file: &File, from: u64, to: u64) -> io::Result<()> {
    let zeros = vec![0u8; 1 << 20];
    let mut at = from;
    while at < to {
        let n = (to - at).min(zeros.len() as u64) as usize;
        write_at(file, &zeros[..n], at)?;
        at += n as u64;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(first: u64, next: u64, value_len: usize) -> WriteSet {
        WriteSet {
            first,
            next,
            writes: vec![
                (1, first.to_be_bytes().to_vec(), vec![7; value_len]),
                (5, b"next_position".to_vec(), next.to_be_bytes().to_vec()),
            ],
        }
    }

    fn frames(dir: &Path) -> Vec<(u64, WriteSet)> {
        let mut found = Vec::new();
        Journal::recover(dir, |offset, s| {
            found.push((offset, s));
            Ok(())
        })
        .unwrap();
        found
    }

    #[test]
    fn frames_round_trip_in_order_and_a_reset_retires_them() {
        let dir = tempfile::tempdir().unwrap();
        assert!(frames(dir.path()).is_empty(), "no journal, no frames");
        let journal = Journal::open(dir.path()).unwrap();
        let written = [set(0, 1, 10), set(1, 5, 5000), set(5, 6, 0)];
        for s in &written {
            assert!(!journal.append(s).unwrap());
        }
        let found = frames(dir.path());
        let offsets: Vec<u64> = found.iter().map(|(o, _)| *o).collect();
        // The 5000-byte value makes the second frame two pages long.
        assert_eq!(offsets, vec![PAGE, 2 * PAGE, 4 * PAGE]);
        let sets: Vec<WriteSet> = found.into_iter().map(|(_, s)| s).collect();
        assert_eq!(sets, written);
        journal.reset().unwrap();
        assert!(frames(dir.path()).is_empty());
        // Frames of the new generation overwrite the old ones from the first page on.
        journal.append(&set(6, 7, 1)).unwrap();
        let found = frames(dir.path());
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].1, set(6, 7, 1));
    }

    #[test]
    fn a_torn_frame_ends_the_journal() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::open(dir.path()).unwrap();
        for i in 0..3 {
            journal.append(&set(i, i + 1, 100)).unwrap();
        }
        drop(journal);
        let file = fs::OpenOptions::new()
            .write(true)
            .open(dir.path().join(FILE_NAME))
            .unwrap();
        // A byte of the second frame's payload is lost.
        write_at(&file, &[0xff], 2 * PAGE + 40).unwrap();
        let found = frames(dir.path());
        assert_eq!(found.len(), 1, "only the frame before the torn one counts");
        assert_eq!(found[0].1, set(0, 1, 100));
    }

    #[test]
    fn the_journal_grows_and_reports_when_a_checkpoint_is_due() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::open(dir.path()).unwrap();
        let big = set(0, 1, (CHECKPOINT_BYTES / 2) as usize);
        assert!(!journal.append(&big).unwrap());
        assert!(journal
            .append(&set(1, 2, (CHECKPOINT_BYTES / 2) as usize))
            .unwrap());
        let len = fs::metadata(dir.path().join(FILE_NAME)).unwrap().len();
        assert!(len > CHECKPOINT_BYTES, "{len}");
        assert_eq!(frames(dir.path()).len(), 2);
        journal.close().unwrap();
        let len = fs::metadata(dir.path().join(FILE_NAME)).unwrap().len();
        assert_eq!(len, INITIAL_BYTES);
        assert!(frames(dir.path()).is_empty());
        // It grows again from there.
        journal.append(&set(2, 3, 3 << 20)).unwrap();
        assert_eq!(frames(dir.path()).len(), 1);
    }

    #[test]
    fn a_damaged_header_is_named() {
        let dir = tempfile::tempdir().unwrap();
        drop(Journal::open(dir.path()).unwrap());
        let path = dir.path().join(FILE_NAME);
        let file = fs::OpenOptions::new().write(true).open(&path).unwrap();
        write_at(&file, &[1], 13).unwrap();
        let err = Journal::recover(dir.path(), |_, _| Ok(())).unwrap_err();
        assert!(
            err.to_string().contains("header checksum does not match"),
            "{err}"
        );
        assert!(err.to_string().contains("journal (header)"), "{err}");
    }

    #[test]
    fn a_frame_that_checks_but_does_not_decode_is_named() {
        let mut bad = set(0, 1, 3);
        bad.writes.clear();
        let mut frame = bad.frame(1).unwrap();
        // Claim one write that is not there, and fix the CRC.
        frame[FRAME_HEADER + 19] = 1;
        let len = FRAME_HEADER + 20;
        let crc = crc32fast::hash(&frame[8..len]);
        frame[4..8].copy_from_slice(&crc.to_be_bytes());
        let dir = tempfile::tempdir().unwrap();
        drop(Journal::open(dir.path()).unwrap());
        let file = fs::OpenOptions::new()
            .write(true)
            .open(dir.path().join(FILE_NAME))
            .unwrap();
        write_at(&file, &frame, PAGE).unwrap();
        let err = Journal::recover(dir.path(), |_, _| Ok(())).unwrap_err();
        assert!(err.to_string().contains("frame at byte 4096"), "{err}");
        assert!(err.to_string().contains("ends 1 bytes early"), "{err}");
    }
}
