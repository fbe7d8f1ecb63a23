//! The write-ahead log that makes a [`Durability::Sync`](crate::Durability::Sync) append
//! durable with one write and one `fdatasync`, and the thread that applies it afterwards.
//!
//! A backend that writes through the log hands each append to [`Wal::append`] as a
//! [`WriteSet`]: the position counter before and after the append and its inserts, each into
//! a *keyspace* (an opaque `u8` that the backend gives meaning to; the sled backend maps each
//! to one of its trees). The log writes the set as a *frame* at the journal's tail and
//! `fdatasync`s the journal; then the append returns, and the [applier](applier) inserts the
//! set into the backend ([`Target::apply`]), in order. Appends made while the journal is
//! being written and synced for others are written together, as one frame, by the next
//! thread to wait ([`Wal::wait`]): concurrent writers share one write and one `fdatasync`. Readers call [`Wal::settle`] first, so
//! they see every acknowledged append and never one a crash could take back. Once the journal
//! passes [`CHECKPOINT_BYTES`](journal::CHECKPOINT_BYTES), the append that crossed the mark *checkpoints*: it waits for
//! the applier, makes the backend durable ([`Target::flush`]) and starts the journal over.
//! Opening a store replays the frames the backend may not have yet ([`Recovery::replay`]).
//!
//! The log knows nothing of the backend's layout: it stores keyspaces, keys and values, and
//! the counters it checks frames against.
//!
//! # File
//!
//! `journal` in the store's directory. The file is filled with zeros ahead of the tail (so a
//! frame overwrites allocated blocks and `fdatasync` has no file size or block map to write)
//! and reused from the start after every checkpoint. All numbers are big-endian.
//!
//! * **Header**, the first [`PAGE`](journal::PAGE) bytes: `OKRJRNL\0`, the journal format
//!   (`u32`, 3), the *generation* (`u64`), the *anchor* — the position counter (`u64`) and the
//!   hash of the log's last event (32 bytes) when the journal was started over — the pid of
//!   the process that started it over (`u32`), a CRC-32 of those 64 bytes (`u32`), zeros. A
//!   checkpoint writes the header with the next generation and the anchor of what the
//!   backend then holds durably, which retires every frame; the header fits one disk
//!   sector, so it is written whole or not at all. (Format 1, of older builds, had no anchor
//!   and no pid: 20 bytes and their CRC. It is still read; so is format 2, whose header is
//!   that of format 3 and whose frames have no copy.)
//! * **Frames**, from byte 4096 on, each padded with zeros to a multiple of 4 KiB (a frame
//!   never shares a page with the next, so writing one never reads a page back): `OKRF`, a
//!   CRC-32 (`u32`) of the next 16 bytes and the payload, the payload's length (`u64`), the
//!   generation (`u64`), the payload. Each frame is followed by its **copy**, the same bytes
//!   under the magic `OKRM`, written with it in one write and covered by the same
//!   `fdatasync`. The copy is read only when the frame does not check: a byte damaged in an
//!   acknowledged frame — the last one included, which nothing after it could vouch for —
//!   is then read from the copy instead of being taken for a torn tail and dropped.
//! * **Payload**: the position counter before and after the append (`u64` each), the hash of
//!   the log's last event after the append (32 bytes; not in format 1), the number of writes
//!   (`u32`), then per write the keyspace (`u8`), the key and the value (each a `u32` length
//!   and the bytes). A frame of several consecutive appends synced together is the payload
//!   of one append from the first one's counter to the last one's, with every write in
//!   order: applying it is applying them one after the other, so builds that wrote one frame
//!   per append read it unchanged.
//!
//! The frames of the header's generation, from the first page on, up to the first frame that
//! is missing, torn (CRC; its copy too) or of another generation, are the journal. An append returns only
//! after the `fdatasync` that covers its frame, and frames are written in the order of their
//! positions, so every acknowledged frame lies in that unbroken run — and nothing valid of
//! the generation lies after the first bad frame, unless the journal was damaged in the
//! middle: then recovery refuses the store rather than drop the frames after the damage.
//!
//! # okr's own record of the log
//!
//! The anchor in the header and the counter and head in the last frame say how far the log
//! reached when it was last acknowledged, independently of the backend:
//! [`Recovery::acknowledged`]. After replaying the frames, the backend must hold at least
//! that many events, and the event at the anchor must carry the anchor's hash; the sled
//! store refuses to open otherwise (`StoreError::Missing`), before it writes anything.
//!
//! # Recovery, failures, closing
//!
//! * **Recovery** ([`read`], then [`Recovery::replay`]): every insert the backend received since the last checkpoint
//!   belongs to one of the journal's frames (a frame is durable before its inserts are
//!   applied), so applying all of them in order gives the state after the last one, whatever
//!   part of them the backend had written. A journal whose frames do not continue each other,
//!   or that starts after the end of the backend's log, or ends before it, is
//!   [`StoreError::Corrupt`].
//! * **Failures.** If the journal write or its `fdatasync` fails, the append's outcome is
//!   unknown until the store is reopened, so the log refuses all later appends
//!   ([`StoreError::Halted`]). If the applier fails to insert a set (the append itself is
//!   durable), the log refuses later appends and every [`Wal::settle`] that would have to
//!   wait for that set, with [`StoreError::Halted`]; reopening applies it from the journal.
//! * **Closing.** Dropping the [`Wal`] lets the applier finish, flushes the backend and starts
//!   the journal over, shrunk back to 1 MiB, so a store closed cleanly opens without a
//!   replay. If any step fails, the journal keeps its frames and the next open replays them.

pub(crate) mod applier;
pub(crate) mod journal;

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use crate::error::StoreError;

use applier::Applier;
use journal::Journal;
pub(crate) use journal::{Anchor, Keyspace, WriteSet, FILE_NAME, TEMP_NAME};

/// The store behind the log: where the applier inserts write sets.
pub(crate) trait Target: Send + Sync + 'static {
    /// Inserts a write set whose frame is durable, in order; an error is the reason the
    /// applier stops.
    fn apply(&self, set: &WriteSet) -> Result<(), String>;

    /// Makes everything applied so far durable in the backend's own files.
    fn flush(&self) -> Result<(), StoreError>;
}

/// An open write-ahead log: the journal and the applier thread of one store.
#[derive(Debug)]
pub(crate) struct Wal {
    /// The store's directory.
    dir: PathBuf,
    journal: Journal,
    applier: Applier,
    target: Arc<dyn Target>,
    /// Frames written but not yet known durable, and who is syncing (group commit).
    group: Mutex<Group>,
    /// Signalled when a sync ends.
    synced: Condvar,
}

/// The group commit's bookkeeping: appends are numbered from 1 in the order they are queued.
#[derive(Debug, Default)]
struct Group {
    /// The number of the last append queued.
    written: u64,
    /// The number of the last append known durable (and handed to the applier).
    durable: u64,
    /// A thread leads: it writes and syncs a frame, or checkpoints, now.
    syncing: bool,
    /// The write sets of appends queued and not yet taken by a leader, with their numbers,
    /// in order.
    waiting: VecDeque<(u64, WriteSet)>,
    /// Why the journal stopped, after a failed sync: every frame not yet durable then stays
    /// unacknowledged.
    failure: Option<String>,
}

/// An append queued by [`Wal::append`]; [`Wal::wait`] returns once it is durable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ticket(u64);

impl std::fmt::Debug for dyn Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Target")
    }
}

/// What the journal in a store's directory holds, read without writing to it.
#[derive(Debug)]
pub(crate) struct Recovery {
    frames: Vec<(u64, WriteSet)>,
    /// What the store acknowledged, by the journal: the position counter after the last
    /// frame (or, without frames, the one the header recorded) and, where the journal
    /// format records it, the hash of the log's head then.
    acknowledged: Option<(u64, Option<[u8; 32]>)>,
    /// The journal was last written by a build of journal format 1.
    older: bool,
}

impl Recovery {
    /// What the store acknowledged: the log holds positions `0..next`, and the event at
    /// `next - 1` has hash `head` (when known). `None` for a journal of format 1 without
    /// frames (or no journal): then nothing is known beyond the backend.
    pub(crate) fn acknowledged(&self) -> Option<(u64, Option<[u8; 32]>)> {
        self.acknowledged
    }

    /// Whether the journal was last written by an older build (journal format 1).
    pub(crate) fn written_by_older_build(&self) -> bool {
        self.older
    }

    /// The number of frames.
    pub(crate) fn frames(&self) -> usize {
        self.frames.len()
    }

    /// Checks that the frames write only keyspaces `known` accepts and continue each other
    /// and the backend's log, whose position counter is `next`, and then calls `apply` with
    /// each frame's write set, in order.
    pub(crate) fn replay(
        &self,
        dir: &Path,
        next: u64,
        known: impl Fn(Keyspace) -> bool,
        mut apply: impl FnMut(&WriteSet) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let frames = &self.frames;
        for (offset, set) in frames {
            if let Some((keyspace, _, _)) = set.writes.iter().find(|(k, _, _)| !known(*k)) {
                return Err(StoreError::Corrupt {
                    location: format!("{} (frame at byte {offset})", dir.join(FILE_NAME).display()),
                    detail: format!("frame does not decode: unknown keyspace {keyspace}"),
                });
            }
        }
        let journal_error = |detail: String| StoreError::Corrupt {
            location: format!("{} ({FILE_NAME})", dir.display()),
            detail,
        };
        if let (Some((offset, first)), Some((_, last))) = (frames.first(), frames.last()) {
            if first.first > next {
                return Err(journal_error(format!(
                    "the frame at byte {offset} starts at position {}, but the log ends before \
                     position {next}: positions {next}..{} are missing, appends that a \
                     checkpoint had made durable",
                    first.first,
                    first.first - 1
                )));
            }
            if next > last.next {
                return Err(journal_error(format!(
                    "the log holds positions up to {next}, past the journal's end at {}: \
                     appends were made that the journal does not hold",
                    last.next
                )));
            }
            for pair in frames.windows(2) {
                let ((_, before), (offset, set)) = (&pair[0], &pair[1]);
                if set.first != before.next {
                    return Err(journal_error(format!(
                        "the frame at byte {offset} starts at position {}, but the frame \
                         before it ends before position {}",
                        set.first, before.next
                    )));
                }
            }
        }
        // Every write the backend holds since the last checkpoint is in these frames:
        // applying all of them, in order, gives the state after the last one.
        for (_, set) in frames {
            apply(set)?;
        }
        Ok(())
    }
}

/// Reads the journal in `dir`, if there is one, without writing anything (see
/// [`Journal::recover`]: a journal damaged in the middle is [`StoreError::Corrupt`]).
pub(crate) fn read(dir: &Path) -> Result<Option<Recovery>, StoreError> {
    let Some(recovered) = Journal::recover(dir)? else {
        return Ok(None);
    };
    let hashed = recovered.header.anchor.is_some();
    let acknowledged = match recovered.frames.last() {
        Some((_, last)) => Some((last.next, hashed.then_some(last.head))),
        None => recovered.header.anchor.map(|a| (a.next, Some(a.head))),
    };
    Ok(Some(Recovery {
        frames: recovered.frames,
        acknowledged,
        older: !hashed,
    }))
}

/// The pid the journal in `dir` names as the process that last started it over, if any
/// (read-only, best effort).
pub(crate) fn last_pid(dir: &Path) -> Option<u32> {
    Journal::read_header(dir)
        .ok()
        .flatten()
        .map(|h| h.pid)
        .filter(|&p| p != 0)
}

/// Starts the journal in `dir` over (creating it if there is none), retiring its frames and
/// recording `anchor`, what the backend holds: call it only when the backend holds, durably,
/// everything the journal held (after [`Recovery::replay`] and a flush).
pub(crate) fn start_over(dir: &Path, anchor: Anchor) -> Result<(), StoreError> {
    Journal::open(dir, anchor).map(drop)
}

impl Wal {
    /// Starts the journal in `dir` over (see [`start_over`]), recording `anchor`, and the
    /// applier that inserts into `target`.
    pub(crate) fn open(
        dir: &Path,
        target: Arc<dyn Target>,
        anchor: Anchor,
    ) -> Result<Wal, StoreError> {
        let journal = Journal::open(dir, anchor)?;
        let applier = Applier::start(Box::new({
            let target = Arc::clone(&target);
            move |set: &WriteSet| target.apply(set)
        }))
        .map_err(|source| StoreError::Io {
            path: dir.to_owned(),
            source,
        })?;
        Ok(Wal {
            dir: dir.to_owned(),
            journal,
            applier,
            target,
            group: Mutex::new(Group::default()),
            synced: Condvar::new(),
        })
    }

    fn lock_group(&self) -> MutexGuard<'_, Group> {
        // The group changes in single steps that leave it consistent.
        self.group.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn halted(&self, reason: String) -> StoreError {
        StoreError::Halted {
            path: self.dir.clone(),
            reason,
        }
    }

    /// Queues `set` as the journal's next append, without writing or waiting for the disk;
    /// [`Wal::wait`] with the ticket returns once it is durable, and only then does the
    /// applier get the set. Call it with the writes of one append at a time, in position
    /// order (under the store's writer lock).
    ///
    /// This is the group commit: the appends queued while one thread writes and syncs the
    /// journal are written by the next one as a single frame and share its `fdatasync`, so
    /// concurrent writers wait for the disk together rather than one after the other, and the
    /// writer lock is never held across a journal write.
    pub(crate) fn append(&self, set: WriteSet) -> Result<Ticket, StoreError> {
        // After a failed apply this fails for good: the applier keeps its failure.
        self.applier
            .reserve()
            .map_err(|reason| self.halted(reason))?;
        if let Some(reason) = self.journal.halted_reason() {
            return Err(self.halted(reason));
        }
        let mut group = self.lock_group();
        if let Some(reason) = &group.failure {
            return Err(self.halted(reason.clone()));
        }
        group.written += 1;
        let number = group.written;
        group.waiting.push_back((number, set));
        Ok(Ticket(number))
    }

    /// Returns once the append of `ticket` is durable and queued for the applier.
    ///
    /// A thread that finds no write in progress *leads*: it takes every append queued so far,
    /// writes them as one frame, syncs the journal, hands the sets to the applier and wakes
    /// the others; the appends queued meanwhile wait for the next leader, which is one of
    /// their own threads. A leader whose frame took the journal past
    /// [`CHECKPOINT_BYTES`](journal::CHECKPOINT_BYTES) checkpoints before the next frame
    /// is written. A failed write or sync halts the journal: this and every later wait for an
    /// append not yet durable fail with [`StoreError::Halted`].
    pub(crate) fn wait(&self, ticket: Ticket) -> Result<(), StoreError> {
        let mut group = self.lock_group();
        loop {
            if group.durable >= ticket.0 {
                return Ok(());
            }
            if let Some(reason) = &group.failure {
                return Err(self.halted(reason.clone()));
            }
            if group.syncing {
                group = self.synced.wait(group).unwrap_or_else(|e| e.into_inner());
                continue;
            }
            group = self.lead(group);
        }
    }

    /// Writes and syncs every queued append as one frame (see [`Wal::wait`]), then
    /// checkpoints if the journal is full; returns with the group locked again.
    fn lead<'a>(&'a self, mut group: MutexGuard<'a, Group>) -> MutexGuard<'a, Group> {
        group.syncing = true;
        let target = group.written;
        let sets: Vec<WriteSet> = group.waiting.drain(..).map(|(_, set)| set).collect();
        drop(group);
        let written = self
            .journal
            .write(&sets)
            .and_then(|due| self.journal.sync().map(|()| due));
        let mut group = self.lock_group();
        let due = match written {
            Ok(due) => {
                group.durable = target;
                // Durable now, in order: the applier may make them readable.
                for set in sets {
                    self.applier.push(set);
                }
                due
            }
            Err(e) => {
                group.failure = Some(e.to_string());
                false
            }
        };
        if due {
            // The appends just synced may return; later ones wait until the journal is
            // started over, so that it holds nothing the backend will not have after the
            // flush.
            self.synced.notify_all();
            drop(group);
            if let Err(e) = self.checkpoint() {
                // The appends are durable; the next one reports this.
                self.journal.halt(format!("checkpoint failed: {e}"));
            }
            group = self.lock_group();
        }
        group.syncing = false;
        self.synced.notify_all();
        group
    }

    /// Waits until every append written so far is durable and applied to the backend: what
    /// a reader does before it reads, so that it sees every append acknowledged before it
    /// and never one a crash could take back.
    pub(crate) fn settle(&self) -> Result<(), StoreError> {
        let written = self.lock_group().written;
        self.wait(Ticket(written))?;
        self.applier.settle().map_err(|reason| self.halted(reason))
    }

    /// Lets the applier catch up, flushes the backend and starts the journal over:
    /// everything it held is now in the backend's files. Only the leader calls it, after its
    /// frame is durable and before another frame is written.
    fn checkpoint(&self) -> Result<(), StoreError> {
        self.applier
            .settle()
            .map_err(|reason| self.halted(reason))?;
        self.target.flush()?;
        self.journal.reset()
    }

    /// Refuses every later append, naming `reason`.
    #[cfg(test)]
    pub(crate) fn halt(&self, reason: String) {
        self.journal.halt(reason);
    }

    /// Replaces the applier (tests that make applying fail).
    #[cfg(test)]
    pub(crate) fn replace_applier(&mut self, apply: applier::ApplyFn) {
        self.applier = Applier::start(apply).expect("the applier thread starts");
    }
}

impl Drop for Wal {
    fn drop(&mut self) {
        // An append whose waiter went away is still written: make it durable and applied
        // like the others (a failure leaves it to the next open's replay).
        let written = self.lock_group().written;
        let _ = self.wait(Ticket(written));
        let failure = self.applier.finish();
        // Best effort: if any step fails the journal keeps its frames and the next open
        // replays them.
        if failure.is_none() && !self.journal.is_halted() && self.target.flush().is_ok() {
            let _ = self.journal.close();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::Ordering;

    /// A backend that records the write sets it is given.
    #[derive(Default)]
    struct Recorder(Mutex<Vec<u64>>, std::sync::atomic::AtomicU64);

    impl Target for Recorder {
        fn apply(&self, set: &WriteSet) -> Result<(), String> {
            self.0.lock().unwrap().push(set.first);
            Ok(())
        }
        fn flush(&self) -> Result<(), StoreError> {
            self.1.fetch_add(1, Ordering::SeqCst);
            Ok(())
        }
    }

    fn set(first: u64) -> WriteSet {
        sized(first, 50)
    }

    fn sized(first: u64, bytes: usize) -> WriteSet {
        WriteSet {
            first,
            next: first + 1,
            head: [0; 32],
            writes: vec![(1, first.to_be_bytes().to_vec(), vec![9; bytes])],
        }
    }

    fn wal() -> (tempfile::TempDir, Wal, Arc<Recorder>) {
        let dir = tempfile::tempdir().unwrap();
        let recorder = Arc::new(Recorder::default());
        let wal = Wal::open(
            dir.path(),
            Arc::clone(&recorder) as Arc<dyn Target>,
            Anchor::default(),
        )
        .unwrap();
        (dir, wal, recorder)
    }

    #[test]
    fn frames_written_before_a_sync_share_it_and_reach_the_backend_only_after_it() {
        let (_dir, wal, recorder) = wal();
        let tickets: Vec<Ticket> = (0..3).map(|i| wal.append(set(i)).unwrap()).collect();
        assert_eq!(wal.journal.test_syncs.load(Ordering::SeqCst), 0);
        // Written, not yet durable: the backend has none of them, even after a while.
        wal.applier.settle().unwrap();
        assert!(recorder.0.lock().unwrap().is_empty());
        wal.wait(tickets[2]).unwrap();
        assert_eq!(wal.journal.test_syncs.load(Ordering::SeqCst), 1);
        // The earlier frames were covered by the same sync.
        wal.wait(tickets[0]).unwrap();
        wal.wait(tickets[1]).unwrap();
        assert_eq!(wal.journal.test_syncs.load(Ordering::SeqCst), 1);
        wal.settle().unwrap();
        assert_eq!(*recorder.0.lock().unwrap(), vec![0, 1, 2]);
    }

    #[test]
    fn appends_queued_together_become_one_frame_that_a_crash_replays_whole() {
        let (dir, wal, _recorder) = wal();
        let tickets: Vec<Ticket> = (0..3).map(|i| wal.append(set(i)).unwrap()).collect();
        wal.wait(tickets[2]).unwrap();
        // The process ends here without closing the store: only the journal tells.
        std::mem::forget(wal);
        let recovery = read(dir.path()).unwrap().expect("a journal");
        assert_eq!(recovery.frames(), 1, "one write for the three appends");
        assert_eq!(recovery.acknowledged(), Some((3, Some([0; 32]))));
        let mut replayed = Vec::new();
        recovery
            .replay(
                dir.path(),
                0,
                |_| true,
                |set| {
                    replayed.push((set.first, set.next, set.writes.clone()));
                    Ok(())
                },
            )
            .unwrap();
        let writes: Vec<_> = (0..3u64).flat_map(|i| set(i).writes).collect();
        assert_eq!(replayed, vec![(0, 3, writes)]);
    }

    #[test]
    fn a_reader_makes_written_frames_durable_before_it_reads() {
        let (_dir, wal, recorder) = wal();
        let _ticket = wal.append(set(0)).unwrap();
        wal.settle().unwrap();
        assert_eq!(*recorder.0.lock().unwrap(), vec![0]);
        assert_eq!(wal.journal.test_syncs.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn a_failed_sync_acknowledges_nothing_and_halts_appends_and_reads() {
        let (_dir, wal, recorder) = wal();
        let first = wal.append(set(0)).unwrap();
        wal.wait(first).unwrap();
        let a = wal.append(set(1)).unwrap();
        let b = wal.append(set(2)).unwrap();
        wal.journal.test_fail_sync.store(true, Ordering::SeqCst);
        let err = wal.wait(a).unwrap_err();
        assert!(matches!(err, StoreError::Halted { .. }), "{err}");
        assert!(err.to_string().contains("injected sync failure"), "{err}");
        assert!(matches!(wal.wait(b), Err(StoreError::Halted { .. })));
        assert!(matches!(wal.settle(), Err(StoreError::Halted { .. })));
        assert!(matches!(wal.append(set(3)), Err(StoreError::Halted { .. })));
        wal.applier.settle().unwrap();
        assert_eq!(
            *recorder.0.lock().unwrap(),
            vec![0],
            "only the frame synced before the failure reaches the backend"
        );
    }

    #[test]
    fn concurrent_waiters_share_syncs() {
        let (_dir, wal, recorder) = wal();
        let wal = Arc::new(wal);
        let writer = Arc::new(Mutex::new(0u64));
        std::thread::scope(|scope| {
            for _ in 0..8 {
                let (wal, writer) = (Arc::clone(&wal), Arc::clone(&writer));
                scope.spawn(move || {
                    for _ in 0..25 {
                        let ticket = {
                            let mut next = writer.lock().unwrap();
                            let ticket = wal.append(set(*next)).unwrap();
                            *next += 1;
                            ticket
                        };
                        wal.wait(ticket).unwrap();
                    }
                });
            }
        });
        wal.settle().unwrap();
        assert_eq!(*recorder.0.lock().unwrap(), (0..200).collect::<Vec<_>>());
        let syncs = wal.journal.test_syncs.load(Ordering::SeqCst);
        assert!((1..=200).contains(&syncs), "{syncs} syncs for 200 frames");
    }

    #[test]
    fn concurrent_writers_that_fill_the_journal_checkpoint_and_lose_nothing() {
        let (dir, wal, recorder) = wal();
        let wal = Arc::new(wal);
        let writer = Arc::new(Mutex::new(0u64));
        // 48 appends of 1 MiB: the journal (every frame twice) passes its mark once.
        std::thread::scope(|scope| {
            for _ in 0..8 {
                let (wal, writer) = (Arc::clone(&wal), Arc::clone(&writer));
                scope.spawn(move || {
                    for _ in 0..6 {
                        let ticket = {
                            let mut next = writer.lock().unwrap();
                            let ticket = wal.append(sized(*next, 1 << 20)).unwrap();
                            *next += 1;
                            ticket
                        };
                        wal.wait(ticket).unwrap();
                    }
                });
            }
        });
        wal.settle().unwrap();
        assert_eq!(*recorder.0.lock().unwrap(), (0..48).collect::<Vec<_>>());
        assert!(
            recorder.1.load(Ordering::SeqCst) >= 1,
            "a checkpoint flushed"
        );
        // The journal was started over: it holds only what came after the checkpoint.
        let wal = Arc::into_inner(wal).unwrap();
        std::mem::forget(wal);
        let recovery = read(dir.path()).unwrap().expect("a journal");
        assert_eq!(recovery.acknowledged().map(|(next, _)| next), Some(48));
        let first = recovery.frames.first().map(|(_, set)| set.first);
        assert!(
            first.is_some_and(|f| f > 0),
            "frames before the checkpoint are retired"
        );
    }
}
