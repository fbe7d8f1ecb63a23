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
/// the journal starts over. Bounds the journal's size and the replay on open (every frame is
/// written twice, so this is 32 MiB of frames).
pub(crate) const CHECKPOINT_BYTES: u64 = 64 << 20;
/// Size of a new journal; it grows by doubling (zero-filled) up to the checkpoint size.
const INITIAL_BYTES: u64 = 1 << 20;
const MAGIC: &[u8; 8] = b"OKRJRNL\0";
/// The journal format this build writes (every frame written twice); it recovers formats 2
/// (one copy of each frame) and 1 (no anchor, no heads) too.
const FORMAT: u32 = 3;
const FORMAT_2: u32 = 2;
const FORMAT_1: u32 = 1;
/// The magic of a frame, and of the copy that follows it (journal format 3).
const FRAME_MAGIC: &[u8; 4] = b"OKRF";
const MIRROR_MAGIC: &[u8; 4] = b"OKRM";
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
    /// The hash of the log's last event after the append (the event at `next - 1`); all
    /// zeros in frames of journal format 1, which had none.
    pub(crate) head: [u8; 32],
    /// Inserts, in order: keyspace, key, value.
    pub(crate) writes: Vec<(Keyspace, Vec<u8>, Vec<u8>)>,
}

impl WriteSet {
    /// Bytes of keys and values.
    pub(crate) fn bytes(&self) -> usize {
        self.writes.iter().map(|(_, k, v)| k.len() + v.len()).sum()
    }

    /// The frame for these write sets and its copy (journal format 3): header, payload, zero
    /// padding to a whole page, then the same bytes again under [`MIRROR_MAGIC`]. Damage to
    /// one copy leaves the other, so an acknowledged frame is never taken for a torn tail.
    ///
    /// Several consecutive sets (appends synced together) make one frame: its payload is that
    /// of one set from the first set's counter to the last one's, with the last one's head and
    /// every insert in order, which recovery applies exactly as it would the sets one by one.
    fn frame(sets: &[WriteSet], generation: u64) -> Result<Vec<u8>, String> {
        let mut frame = WriteSet::single_frame(sets, generation)?;
        let one = frame.len();
        frame.extend_from_within(..one);
        frame[one..one + 4].copy_from_slice(MIRROR_MAGIC);
        Ok(frame)
    }

    /// One copy of the frame of `sets`: header, payload, zero padding to a whole page.
    fn single_frame(sets: &[WriteSet], generation: u64) -> Result<Vec<u8>, String> {
        let (Some(first), Some(last)) = (sets.first(), sets.last()) else {
            return Err("no write set to journal".to_owned());
        };
        let writes = || sets.iter().flat_map(|s| &s.writes);
        let payload_len = 52
            + writes()
                .map(|(_, k, v)| 9 + k.len() + v.len())
                .sum::<usize>();
        let total = round_up((FRAME_HEADER + payload_len) as u64, PAGE);
        let mut frame = Vec::with_capacity(usize::try_from(total).map_err(|e| e.to_string())?);
        frame.extend_from_slice(FRAME_MAGIC);
        frame.extend_from_slice(&[0; 4]);
        frame.extend_from_slice(&(payload_len as u64).to_be_bytes());
        frame.extend_from_slice(&generation.to_be_bytes());
        frame.extend_from_slice(&first.first.to_be_bytes());
        frame.extend_from_slice(&last.next.to_be_bytes());
        frame.extend_from_slice(&last.head);
        let count: usize = sets.iter().map(|s| s.writes.len()).sum();
        let count =
            u32::try_from(count).map_err(|_| format!("{count} writes in one journal frame"))?;
        frame.extend_from_slice(&count.to_be_bytes());
        for (keyspace, key, value) in writes() {
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

    /// Decodes a payload whose CRC matched, of a journal of `format`.
    fn decode(payload: &[u8], format: u32) -> Result<WriteSet, String> {
        let mut r = Reader(payload);
        let first = r.u64()?;
        let next = r.u64()?;
        if next < first {
            return Err(format!("the counter goes back from {first} to {next}"));
        }
        let mut head = [0; 32];
        if format != FORMAT_1 {
            head.copy_from_slice(r.bytes(32)?);
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
            head,
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

/// What the store had acknowledged, durably, when the journal was last started over: its
/// position counter and the hash of its last event. The journal's own record of the log,
/// independent of the backend (see the [module documentation](super)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Anchor {
    /// The position counter: the log holds positions `0..next`.
    pub(crate) next: u64,
    /// The hash of the event at `next - 1` (zeros for an empty log).
    pub(crate) head: [u8; 32],
}

/// Bytes of the header of journal format 2 before its CRC: magic, format, generation, the
/// anchor (next, head), the pid of the process that wrote it and the file's length.
/// Format 3 has the same header.
const HEADER_2: usize = 72;

fn header(generation: u64, anchor: &Anchor, len: u64) -> Vec<u8> {
    let mut page = vec![0u8; PAGE as usize];
    page[..8].copy_from_slice(MAGIC);
    page[8..12].copy_from_slice(&FORMAT.to_be_bytes());
    page[12..20].copy_from_slice(&generation.to_be_bytes());
    page[20..28].copy_from_slice(&anchor.next.to_be_bytes());
    page[28..60].copy_from_slice(&anchor.head);
    page[60..64].copy_from_slice(&std::process::id().to_be_bytes());
    page[64..72].copy_from_slice(&len.to_be_bytes());
    let crc = crc32fast::hash(&page[..HEADER_2]);
    page[HEADER_2..HEADER_2 + 4].copy_from_slice(&crc.to_be_bytes());
    page
}

/// What a journal's header says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Header {
    pub(crate) format: u32,
    pub(crate) generation: u64,
    /// `None` in journal format 1.
    pub(crate) anchor: Option<Anchor>,
    /// The process that last started the journal over (format 2), 0 if unknown.
    pub(crate) pid: u32,
    /// The file's length as the journal last made it (format 2).
    pub(crate) len: Option<u64>,
}

/// What [`Journal::recover`] found: the header and, per valid frame, its offset and write
/// set, in order.
#[derive(Debug)]
pub(crate) struct Recovered {
    pub(crate) header: Header,
    pub(crate) frames: Vec<(u64, WriteSet)>,
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
    /// The position counter and head after the last frame (or the anchor the journal was
    /// started over with): what the next start-over records in the header.
    anchor: Anchor,
    /// The anchor the header holds (of the last start-over), rewritten with a new length
    /// when the journal grows.
    anchor_at_reset: Anchor,
    /// Where the next frame goes.
    offset: u64,
    /// The file's length: zeros from `offset` to here.
    len: u64,
    /// Why the journal stopped taking appends, after a failure.
    halted: Option<String>,
}

impl Journal {
    /// Reads the journal in `dir` without writing to it; `None` when there is none.
    ///
    /// The frames of the header's generation from the first page on, up to the first that
    /// is missing, torn (bad CRC or cut short) or of another generation, are the journal. In
    /// journal format 3 every frame is followed by its copy: a bad frame whose copy checks
    /// and continues the counter is read from the copy. A bad frame (and copy) followed only
    /// by zeros and frames of older generations is a torn tail: the append it held was never
    /// acknowledged. A bad frame followed by a valid frame of the same generation is damage
    /// in the middle (acknowledged appends would be lost) and is [`StoreError::Corrupt`],
    /// naming both offsets; so are a damaged header and a frame whose CRC matches but whose
    /// payload does not decode.
    pub(crate) fn recover(dir: &Path) -> Result<Option<Recovered>, StoreError> {
        let path = dir.join(FILE_NAME);
        let file = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(StoreError::Io { path, source }),
        };
        let io_error = |source| StoreError::Io {
            path: path.clone(),
            source,
        };
        let len = file.metadata().map_err(io_error)?.len();
        let header = read_header(&file, &path)?;
        if let Some(written) = header.len.filter(|&written| len < written) {
            return Err(StoreError::Corrupt {
                location: path.display().to_string(),
                detail: format!(
                    "the journal is {len} bytes long, but it was written {written} bytes long: \
                     it was cut short, and appends it held may be lost"
                ),
            });
        }
        let mut frames: Vec<(u64, WriteSet)> = Vec::new();
        let mut offset = PAGE;
        let mut payload = Vec::new();
        let mirrored = header.format == FORMAT;
        let decode = |offset: u64, payload: &[u8]| {
            WriteSet::decode(payload, header.format).map_err(|detail| StoreError::Corrupt {
                location: format!("{} (frame at byte {offset})", path.display()),
                detail: format!("frame does not decode: {detail}"),
            })
        };
        while offset + FRAME_HEADER as u64 <= len {
            match read_frame(&file, offset, len, header.generation, &mut payload)
                .map_err(io_error)?
            {
                Some((end, Copy::Primary)) => {
                    frames.push((offset, decode(offset, &payload)?));
                    let size = round_up(end, PAGE) - offset;
                    // The copy follows; it is only read when the frame itself is damaged.
                    offset += if mirrored { 2 * size } else { size };
                }
                _ => {
                    // A bad frame (or a copy where a frame belongs: its magic was damaged).
                    // A torn tail has nothing valid of this generation after it; in format 3
                    // the frame's copy, right after it, stands in for it.
                    let expected = frames
                        .last()
                        .map(|(_, s)| s.next)
                        .or(header.anchor.map(|a| a.next));
                    let mut later = offset + PAGE;
                    while later + FRAME_HEADER as u64 <= len {
                        let Some((end, copy)) =
                            read_frame(&file, later, len, header.generation, &mut payload)
                                .map_err(io_error)?
                        else {
                            later += PAGE;
                            continue;
                        };
                        if mirrored && copy == Copy::Mirror {
                            let set = decode(later, &payload)?;
                            let size = round_up(end, PAGE) - later;
                            if later == offset + size && Some(set.first) == expected {
                                frames.push((offset, set));
                                offset = later + size;
                                break;
                            }
                        }
                        let after = frames.last().map_or(String::new(), |(_, s)| {
                            format!(" (the journal is intact up to position {})", s.next)
                        });
                        return Err(StoreError::Corrupt {
                            location: format!("{} (frame at byte {offset})", path.display()),
                            detail: format!(
                                "the frame does not check, but a valid frame follows at \
                                 byte {later}: the journal is damaged in the middle, not \
                                 torn at its end{after}"
                            ),
                        });
                    }
                    if later + FRAME_HEADER as u64 > len {
                        break;
                    }
                }
            }
        }
        Ok(Some(Recovered { header, frames }))
    }

    /// The header of the journal in `dir`, if there is one (read-only).
    pub(crate) fn read_header(dir: &Path) -> Result<Option<Header>, StoreError> {
        let path = dir.join(FILE_NAME);
        match File::open(&path) {
            Ok(file) => read_header(&file, &path).map(Some),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(StoreError::Io { path, source }),
        }
    }

    /// Opens the journal in `dir` for appends, creating it if there is none, and starts it
    /// over: call it only when the backend holds everything the journal held (after
    /// [`Journal::recover`] and a flush).
    pub(crate) fn open(dir: &Path, anchor: Anchor) -> Result<Journal, StoreError> {
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
                write_at(&file, &header(0, &anchor, INITIAL_BYTES), 0).map_err(io_error(&temp))?;
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
        let generation = read_header(&file, &path)?.generation;
        let len = file.metadata().map_err(io_error(&path))?.len();
        let journal = Journal {
            path,
            file,
            tail: Mutex::new(Tail {
                generation,
                anchor,
                anchor_at_reset: anchor,
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
        let due = self.write(std::slice::from_ref(set))?;
        self.sync()?;
        Ok(due)
    }

    /// Writes `sets`, consecutive appends, as the next frame (one frame for all of them),
    /// without waiting for the disk: the frame is durable after the next [`Journal::sync`]
    /// that starts after this returns. Returns whether the journal is now past
    /// [`CHECKPOINT_BYTES`].
    ///
    /// After a failed write the frame may or may not be on disk, so the journal halts: this
    /// and every later call fail with [`StoreError::Halted`] (see [`Journal::halt`]).
    pub(crate) fn write(&self, sets: &[WriteSet]) -> Result<bool, StoreError> {
        let mut tail = self.lock();
        if let Some(reason) = &tail.halted {
            return Err(self.halted_error(reason.clone()));
        }
        let Some(last) = sets.last() else {
            return Ok(tail.offset >= CHECKPOINT_BYTES);
        };
        let frame =
            WriteSet::frame(sets, tail.generation).map_err(|detail| StoreError::Corrupt {
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
                // The header records the length, so that a journal cut short later is
                // told from one that was never longer.
                write_at(
                    &self.file,
                    &header(tail.generation, &tail.anchor_at_reset, len),
                    0,
                )?;
                self.file.sync_data()?;
                tail.len = len;
            }
            write_at(&self.file, &frame, tail.offset)
        })();
        if let Err(e) = written {
            tail.halted = Some(format!("journal write failed: {e}"));
            return Err(self.io_error(e));
        }
        tail.offset = end;
        tail.anchor = Anchor {
            next: last.next,
            head: last.head,
        };
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
        // Retire the frames first: the header then records the shorter length.
        self.reset()?;
        {
            let mut tail = self.lock();
            if tail.len > INITIAL_BYTES {
                self.file
                    .set_len(INITIAL_BYTES)
                    .and_then(|()| self.file.sync_all())
                    .map_err(|e| self.io_error(e))?;
                tail.len = INITIAL_BYTES;
            }
        }
        self.reset()
    }

    /// Whether the journal stopped taking appends after a failure.
    pub(crate) fn is_halted(&self) -> bool {
        self.lock().halted.is_some()
    }

    /// Why the journal stopped taking appends, after a failure.
    pub(crate) fn halted_reason(&self) -> Option<String> {
        self.lock().halted.clone()
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
        write_at(&self.file, &header(generation, &tail.anchor, tail.len), 0)
            .map_err(|e| self.io_error(e))?;
        self.file.sync_data().map_err(|e| self.io_error(e))?;
        tail.generation = generation;
        tail.anchor_at_reset = tail.anchor;
        tail.offset = PAGE;
        Ok(())
    }
}

/// Which copy of a frame a page holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Copy {
    /// The frame (magic [`FRAME_MAGIC`]).
    Primary,
    /// Its copy right after it (magic [`MIRROR_MAGIC`], journal format 3).
    Mirror,
}

/// Reads the frame at `offset` into `payload` if it is whole, of `generation` and its CRC
/// matches; returns where it ends and which copy it is.
fn read_frame(
    file: &File,
    offset: u64,
    len: u64,
    generation: u64,
    payload: &mut Vec<u8>,
) -> io::Result<Option<(u64, Copy)>> {
    let mut head = [0u8; FRAME_HEADER];
    read_at(file, &mut head, offset)?;
    let frame_generation = u64::from_be_bytes(head[16..24].try_into().expect("8"));
    let copy = match &head[..4] {
        m if m == FRAME_MAGIC => Copy::Primary,
        m if m == MIRROR_MAGIC => Copy::Mirror,
        _ => return Ok(None),
    };
    if frame_generation != generation {
        return Ok(None);
    }
    let payload_len = u64::from_be_bytes(head[8..16].try_into().expect("8"));
    let end = offset
        .checked_add(FRAME_HEADER as u64)
        .and_then(|o| o.checked_add(payload_len));
    let Some(end) = end.filter(|&end| end <= len) else {
        return Ok(None);
    };
    payload.resize(payload_len as usize, 0);
    read_at(file, payload, offset + FRAME_HEADER as u64)?;
    let mut crc = crc32fast::Hasher::new();
    crc.update(&head[8..]);
    crc.update(payload);
    if crc.finalize().to_be_bytes() != head[4..8] {
        return Ok(None);
    }
    Ok(Some((end, copy)))
}

/// Reads and checks the header.
fn read_header(file: &File, path: &Path) -> Result<Header, StoreError> {
    let mut page = [0u8; HEADER_2 + 4];
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
    let format = u32::from_be_bytes(page[8..12].try_into().expect("4"));
    let covered = match format {
        FORMAT_1 => 20,
        FORMAT_2 | FORMAT => HEADER_2,
        _ => {
            // The CRC decides whether this is damage or a newer journal.
            let crc1 = crc32fast::hash(&page[..20]).to_be_bytes() == page[20..24];
            let crc2 =
                crc32fast::hash(&page[..HEADER_2]).to_be_bytes() == page[HEADER_2..HEADER_2 + 4];
            return Err(corrupt(if crc1 || crc2 {
                format!("journal format {format}; this build reads formats {FORMAT_1} to {FORMAT}")
            } else {
                "header checksum does not match".to_owned()
            }));
        }
    };
    let crc = crc32fast::hash(&page[..covered]);
    if crc.to_be_bytes() != page[covered..covered + 4] {
        return Err(corrupt("header checksum does not match".to_owned()));
    }
    let generation = u64::from_be_bytes(page[12..20].try_into().expect("8"));
    let (anchor, pid, len) = if format != FORMAT_1 {
        let mut head = [0; 32];
        head.copy_from_slice(&page[28..60]);
        (
            Some(Anchor {
                next: u64::from_be_bytes(page[20..28].try_into().expect("8")),
                head,
            }),
            u32::from_be_bytes(page[60..64].try_into().expect("4")),
            Some(u64::from_be_bytes(page[64..72].try_into().expect("8"))),
        )
    } else {
        (None, 0, None)
    };
    Ok(Header {
        format,
        generation,
        anchor,
        pid,
        len,
    })
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
            head: [next as u8; 32],
            writes: vec![
                (1, first.to_be_bytes().to_vec(), vec![7; value_len]),
                (5, b"next_position".to_vec(), next.to_be_bytes().to_vec()),
            ],
        }
    }

    fn frames(dir: &Path) -> Vec<(u64, WriteSet)> {
        Journal::recover(dir)
            .unwrap()
            .map_or_else(Vec::new, |r| r.frames)
    }

    #[test]
    fn frames_round_trip_in_order_and_a_reset_retires_them() {
        let dir = tempfile::tempdir().unwrap();
        assert!(frames(dir.path()).is_empty(), "no journal, no frames");
        let journal = Journal::open(dir.path(), Anchor::default()).unwrap();
        let written = [set(0, 1, 10), set(1, 5, 5000), set(5, 6, 0)];
        for s in &written {
            assert!(!journal.append(s).unwrap());
        }
        let found = frames(dir.path());
        let offsets: Vec<u64> = found.iter().map(|(o, _)| *o).collect();
        // Each frame is followed by its copy; the 5000-byte value makes the second frame
        // (and its copy) two pages long.
        assert_eq!(offsets, vec![PAGE, 3 * PAGE, 7 * PAGE]);
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

    /// A journal of three one-page frames (0→1, 1→2, 2→3), each followed by its copy: frame
    /// `i` at page `1 + 2i`, its copy at page `2 + 2i`.
    fn three_frames() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::open(dir.path(), Anchor::default()).unwrap();
        for i in 0..3 {
            journal.append(&set(i, i + 1, 100)).unwrap();
        }
        drop(journal);
        dir
    }

    fn damage(dir: &Path, offsets: &[u64]) {
        let file = fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(dir.join(FILE_NAME))
            .unwrap();
        for &offset in offsets {
            let mut byte = [0u8];
            read_at(&file, &mut byte, offset).unwrap();
            write_at(&file, &[byte[0] ^ 0xff], offset).unwrap();
        }
    }

    fn all_three(dir: &Path) {
        let sets: Vec<WriteSet> = frames(dir).into_iter().map(|(_, s)| s).collect();
        assert_eq!(sets, vec![set(0, 1, 100), set(1, 2, 100), set(2, 3, 100)]);
    }

    #[test]
    fn a_damaged_frame_is_read_from_its_copy() {
        // Any byte of the frame's header or payload, in the middle or in the last frame,
        // whose loss a torn-tail reading would have hidden.
        for frame in 0..3u64 {
            for within in [0, 5, 12, 20, 30, 60, 100, 150] {
                let dir = three_frames();
                damage(dir.path(), &[(1 + 2 * frame) * PAGE + within]);
                all_three(dir.path());
            }
        }
        // A damaged copy is not even read.
        let dir = three_frames();
        damage(dir.path(), &[2 * PAGE + 40, 6 * PAGE + 3]);
        all_three(dir.path());
        // The frame's magic damaged into a copy's: the real copy still stands in.
        let dir = three_frames();
        let file = fs::OpenOptions::new()
            .write(true)
            .open(dir.path().join(FILE_NAME))
            .unwrap();
        write_at(&file, MIRROR_MAGIC, 3 * PAGE).unwrap();
        all_three(dir.path());
    }

    #[test]
    fn a_torn_frame_ends_the_journal() {
        // Both copies of the last frame lost a byte: a torn tail.
        let dir = three_frames();
        damage(dir.path(), &[5 * PAGE + 40, 6 * PAGE + 40]);
        let found = frames(dir.path());
        assert_eq!(found.len(), 2, "only the frames before the torn one count");
        assert_eq!(found[1].1, set(1, 2, 100));
        // Both copies of the second frame are damaged while the third is whole: damage in
        // the middle.
        let dir = three_frames();
        damage(dir.path(), &[3 * PAGE + 40, 4 * PAGE + 40]);
        let err = Journal::recover(dir.path()).unwrap_err().to_string();
        assert!(err.contains("frame at byte 12288"), "{err}");
        assert!(err.contains("a valid frame follows at byte 20480"), "{err}");
        assert!(err.contains("intact up to position 1"), "{err}");
    }

    #[test]
    fn a_copy_that_does_not_continue_the_counter_is_not_taken() {
        // The second frame is damaged and where its copy belongs lies the copy of another
        // frame (here: the third frame's copy moved there): refused, not read.
        let dir = three_frames();
        let path = dir.path().join(FILE_NAME);
        let mut bytes = fs::read(&path).unwrap();
        let third_copy = bytes[(6 * PAGE) as usize..(7 * PAGE) as usize].to_vec();
        bytes[(4 * PAGE) as usize..(5 * PAGE) as usize].copy_from_slice(&third_copy);
        bytes[(3 * PAGE + 40) as usize] ^= 0xff;
        fs::write(&path, bytes).unwrap();
        let err = Journal::recover(dir.path()).unwrap_err().to_string();
        assert!(err.contains("damaged in the middle"), "{err}");
    }

    #[test]
    fn journals_of_format_2_without_copies_are_read() {
        let dir = tempfile::tempdir().unwrap();
        drop(Journal::open(dir.path(), Anchor::default()).unwrap());
        let path = dir.path().join(FILE_NAME);
        let file = fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .unwrap();
        let generation = read_header(&file, &path).unwrap().generation;
        let mut page = header(generation, &Anchor::default(), INITIAL_BYTES);
        page[8..12].copy_from_slice(&FORMAT_2.to_be_bytes());
        let crc = crc32fast::hash(&page[..HEADER_2]);
        page[HEADER_2..HEADER_2 + 4].copy_from_slice(&crc.to_be_bytes());
        write_at(&file, &page, 0).unwrap();
        for i in 0..3u64 {
            let frame = WriteSet::single_frame(&[set(i, i + 1, 100)], generation).unwrap();
            write_at(&file, &frame, (1 + i) * PAGE).unwrap();
        }
        all_three(dir.path());
        // Damage in the middle of a format-2 journal has no copy to fall back on.
        damage(dir.path(), &[2 * PAGE + 40]);
        let err = Journal::recover(dir.path()).unwrap_err().to_string();
        assert!(err.contains("damaged in the middle"), "{err}");
    }

    #[test]
    fn the_journal_grows_and_reports_when_a_checkpoint_is_due() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::open(dir.path(), Anchor::default()).unwrap();
        // Each frame is written twice: a quarter of the checkpoint size each.
        let big = set(0, 1, (CHECKPOINT_BYTES / 4) as usize);
        assert!(!journal.append(&big).unwrap());
        assert!(journal
            .append(&set(1, 2, (CHECKPOINT_BYTES / 4) as usize))
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
        drop(Journal::open(dir.path(), Anchor::default()).unwrap());
        let path = dir.path().join(FILE_NAME);
        let file = fs::OpenOptions::new().write(true).open(&path).unwrap();
        write_at(&file, &[1], 13).unwrap();
        let err = Journal::recover(dir.path()).unwrap_err();
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
        let mut frame = WriteSet::single_frame(std::slice::from_ref(&bad), 1).unwrap();
        // Claim one write that is not there, and fix the CRC.
        frame[FRAME_HEADER + 51] = 1;
        let len = FRAME_HEADER + 52;
        let crc = crc32fast::hash(&frame[8..len]);
        frame[4..8].copy_from_slice(&crc.to_be_bytes());
        let dir = tempfile::tempdir().unwrap();
        drop(Journal::open(dir.path(), Anchor::default()).unwrap());
        let file = fs::OpenOptions::new()
            .write(true)
            .open(dir.path().join(FILE_NAME))
            .unwrap();
        write_at(&file, &frame, PAGE).unwrap();
        let err = Journal::recover(dir.path()).unwrap_err();
        assert!(err.to_string().contains("frame at byte 4096"), "{err}");
        assert!(err.to_string().contains("ends 1 bytes early"), "{err}");
    }
}
