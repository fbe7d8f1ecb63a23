//! The applier: a thread that inserts journaled write sets into the store behind the journal
//! after their appends have returned.
//!
//! An append is durable once its journal frame is `fdatasync`ed; the inserts after that only
//! make it readable. The writer therefore hands each write set to this thread and
//! returns, and the thread applies the sets in the order they were pushed, each in the order of
//! its inserts (the counter after the events and the stream index). Readers that must see every
//! acknowledged append first [`Applier::settle`]: they wait until the sets pushed before them
//! are applied. The writer never waits for the applier except when the queue holds more than
//! [`MAX_QUEUED_BYTES`], which bounds both the memory the queue takes and how long a reader
//! can wait.
//!
//! Waking a thread on another core costs about as much as the inserts of a small append,
//! so an append wakes the idle applier only once 256 KiB are queued or the oldest queued set
//! waited 10 ms; a reader that must wait wakes it at once. Small appends are thereby applied in
//! groups, and a store that is closed applies what is left first.
//!
//! A failed insert stops the thread: the set stays unapplied, and [`Applier::settle`] and
//! [`Applier::reserve`] report the failure from then on, so that nothing reads a store that
//! lacks an acknowledged append. The journal still holds the set; reopening the store applies
//! it.

use std::collections::VecDeque;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::WriteSet;

/// How many bytes of write sets may wait for the applier before appends wait for it.
const MAX_QUEUED_BYTES: usize = 8 << 20;

/// An append wakes the idle applier once this many bytes are queued...
const WAKE_BYTES: usize = 256 << 10;

/// ...or once the oldest queued set waited this long. Waking a thread on another core costs
/// about as much as the inserts of a small append, so small appends are applied in
/// groups; a reader wakes the applier at once.
const WAKE_AFTER: Duration = Duration::from_millis(10);

/// Applies one write set; an error is the reason the applier stops.
pub(crate) type ApplyFn = Box<dyn FnMut(&WriteSet) -> Result<(), String> + Send>;

/// The handle of the applier thread. Dropping it lets the thread apply what is queued, then
/// joins it (see [`Applier::finish`]).
#[derive(Debug)]
pub(crate) struct Applier {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

#[derive(Debug, Default)]
struct Shared {
    state: Mutex<State>,
    /// Signalled when a set is queued or the thread is asked to stop.
    work: Condvar,
    /// Signalled when sets were applied or applying failed.
    done: Condvar,
}

#[derive(Debug, Default)]
struct State {
    queue: VecDeque<WriteSet>,
    /// The bytes of the sets in `queue` and of those being applied.
    queued_bytes: usize,
    /// Sets pushed, and sets applied, since the start.
    pushed: u64,
    applied: u64,
    /// Why the thread stopped applying, after a failure.
    failure: Option<String>,
    stop: bool,
    /// The thread waits on `work`.
    idle: bool,
    /// When the oldest set pushed since the thread last woke was pushed.
    unwoken_since: Option<Instant>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // The state is changed in single steps that leave it consistent, so a poisoned lock
        // still guards a usable state.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Applier {
    /// Starts the thread, which calls `apply` for every pushed set.
    pub(crate) fn start(apply: ApplyFn) -> std::io::Result<Applier> {
        let shared = Arc::new(Shared::default());
        let thread = std::thread::Builder::new()
            .name("okr-store-apply".to_owned())
            .spawn({
                let shared = Arc::clone(&shared);
                move || run(&shared, apply)
            })?;
        Ok(Applier {
            shared,
            thread: Some(thread),
        })
    }

    /// Waits until the queue has room for another set. Fails, naming the reason, once
    /// applying has failed.
    pub(crate) fn reserve(&self) -> Result<(), String> {
        let mut state = self.shared.lock();
        loop {
            if let Some(reason) = &state.failure {
                return Err(reason.clone());
            }
            if state.queued_bytes <= MAX_QUEUED_BYTES {
                return Ok(());
            }
            state = self
                .shared
                .done
                .wait(state)
                .unwrap_or_else(|e| e.into_inner());
        }
    }

    /// Queues a set whose journal frame is durable. Wakes the idle thread once
    /// [`WAKE_BYTES`] are queued or the oldest queued set waited [`WAKE_AFTER`].
    pub(crate) fn push(&self, set: WriteSet) {
        let now = Instant::now();
        let mut state = self.shared.lock();
        state.queued_bytes += set.bytes();
        state.queue.push_back(set);
        state.pushed += 1;
        let since = *state.unwoken_since.get_or_insert(now);
        let wake = state.idle
            && (state.queued_bytes >= WAKE_BYTES || now.duration_since(since) >= WAKE_AFTER);
        self.wake(state, wake);
    }

    /// Wakes the thread if `wake`, releasing the lock first.
    fn wake(&self, mut state: MutexGuard<'_, State>, wake: bool) {
        if wake {
            state.unwoken_since = None;
        }
        drop(state);
        if wake {
            self.shared.work.notify_one();
        }
    }

    /// Waits until every set pushed before this call is applied, waking the thread if it
    /// waits for more. Fails, naming the reason, when one of them cannot be applied.
    pub(crate) fn settle(&self) -> Result<(), String> {
        let state = self.shared.lock();
        let target = state.pushed;
        if state.applied == target {
            return Ok(());
        }
        let idle = state.idle;
        self.wake(state, idle);
        let mut state = self.shared.lock();
        while state.applied < target {
            if let Some(reason) = &state.failure {
                return Err(reason.clone());
            }
            state = self
                .shared
                .done
                .wait(state)
                .unwrap_or_else(|e| e.into_inner());
        }
        Ok(())
    }

    /// Why applying failed, if it did.
    pub(crate) fn failure(&self) -> Option<String> {
        self.shared.lock().failure.clone()
    }

    /// Lets the thread apply what is queued and end, and waits for it. Returns why applying
    /// failed, if it did: then sets remain unapplied.
    pub(crate) fn finish(&mut self) -> Option<String> {
        self.shared.lock().stop = true;
        self.shared.work.notify_one();
        if let Some(thread) = self.thread.take() {
            // `run` catches the panics of `apply`; nothing else in it panics.
            let _ = thread.join();
        }
        self.failure()
    }
}

impl Drop for Applier {
    fn drop(&mut self) {
        self.finish();
    }
}

/// The thread: takes everything queued at once, applies it in order, reports, and waits for
/// more; after a stop it first applies what is left.
fn run(shared: &Shared, mut apply: ApplyFn) {
    let mut taken = VecDeque::new();
    loop {
        {
            let mut state = shared.lock();
            loop {
                if state.failure.is_some() {
                    return;
                }
                if !state.queue.is_empty() {
                    std::mem::swap(&mut state.queue, &mut taken);
                    state.unwoken_since = None;
                    break;
                }
                if state.stop {
                    return;
                }
                state.idle = true;
                state = shared.work.wait(state).unwrap_or_else(|e| e.into_inner());
                state.idle = false;
            }
        }
        let (mut applied, mut bytes, mut failure) = (0, 0, None);
        for set in taken.drain(..) {
            if failure.is_some() {
                continue;
            }
            match catch_unwind(AssertUnwindSafe(|| apply(&set))) {
                Ok(Ok(())) => {
                    applied += 1;
                    bytes += set.bytes();
                }
                Ok(Err(reason)) => failure = Some(reason),
                Err(panic) => {
                    failure = Some(format!(
                        "applying a journaled append panicked: {}",
                        crate::error::panic_message(&panic)
                    ))
                }
            }
        }
        let mut state = shared.lock();
        state.applied += applied;
        state.queued_bytes -= bytes;
        if failure.is_some() {
            state.failure = failure;
        }
        drop(state);
        shared.done.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    fn set(first: u64) -> WriteSet {
        WriteSet {
            first,
            next: first + 1,
            head: [0; 32],
            writes: vec![(1, first.to_be_bytes().to_vec(), vec![0; 100])],
        }
    }

    /// An applier that takes `delay_ms` per set and reports the sets it applied.
    fn recording_applier(delay_ms: u64) -> (Applier, mpsc::Receiver<u64>) {
        let (tx, rx) = mpsc::channel();
        let applier = Applier::start(Box::new(move |s: &WriteSet| {
            std::thread::sleep(std::time::Duration::from_millis(delay_ms));
            tx.send(s.first).map_err(|e| e.to_string())
        }))
        .unwrap();
        (applier, rx)
    }

    #[test]
    fn sets_are_applied_in_order_and_settle_waits_for_them() {
        let (applier, rx) = recording_applier(1);
        for first in 0..20 {
            applier.reserve().unwrap();
            applier.push(set(first));
        }
        applier.settle().unwrap();
        let applied: Vec<u64> = rx.try_iter().collect();
        assert_eq!(applied, (0..20).collect::<Vec<_>>());
    }

    /// Waits until the thread sleeps for want of work.
    fn until_idle(applier: &Applier) {
        while !applier.shared.lock().idle {
            std::thread::yield_now();
        }
    }

    /// A hang guard, not a timing: far beyond anything the step needs.
    const PATIENCE: std::time::Duration = std::time::Duration::from_secs(30);

    #[test]
    fn a_reader_wakes_the_applier_for_a_small_set() {
        let (applier, rx) = recording_applier(0);
        until_idle(&applier);
        applier.push(set(7));
        let applier = Arc::new(applier);
        let (settled, done) = mpsc::channel();
        // Not scoped: a settle that never returns must fail the test, not hang it.
        std::thread::spawn({
            let applier = Arc::clone(&applier);
            move || settled.send(applier.settle())
        });
        done.recv_timeout(PATIENCE)
            .expect("settle returns")
            .unwrap();
        assert_eq!(rx.try_iter().collect::<Vec<_>>(), vec![7]);
    }

    #[test]
    fn enough_queued_bytes_wake_the_applier_without_a_reader() {
        let (applier, rx) = recording_applier(0);
        until_idle(&applier);
        let sets = WAKE_BYTES / set(0).bytes() + 1;
        for first in 0..sets as u64 {
            applier.push(set(first));
        }
        for first in 0..sets as u64 {
            assert_eq!(rx.recv_timeout(PATIENCE).expect("applied"), first);
        }
    }

    #[test]
    fn a_failure_stops_the_applier_and_is_reported_to_readers_and_writers() {
        let applier = Applier::start(Box::new(|s: &WriteSet| {
            if s.first == 3 {
                Err("disk on fire".to_owned())
            } else if s.first == 5 {
                panic!("never reached")
            } else {
                Ok(())
            }
        }))
        .unwrap();
        for first in 0..6 {
            applier.push(set(first));
        }
        assert_eq!(applier.settle().unwrap_err(), "disk on fire");
        assert_eq!(applier.reserve().unwrap_err(), "disk on fire");
        assert_eq!(applier.failure().as_deref(), Some("disk on fire"));
    }

    #[test]
    fn a_panic_while_applying_is_a_failure_not_a_crash() {
        let applier = Applier::start(Box::new(|_: &WriteSet| panic!("bad page"))).unwrap();
        applier.push(set(0));
        let reason = applier.settle().unwrap_err();
        assert!(
            reason.contains("panicked") && reason.contains("bad page"),
            "{reason}"
        );
    }

    #[test]
    fn dropping_the_applier_applies_what_is_queued() {
        let (applier, rx) = recording_applier(2);
        for first in 0..10 {
            applier.push(set(first));
        }
        drop(applier);
        assert_eq!(rx.try_iter().count(), 10);
    }

    #[test]
    fn appends_wait_while_the_queue_is_full() {
        let (release, gate) = mpsc::channel::<()>();
        let gate = Mutex::new(gate);
        let applier = Applier::start(Box::new(move |_: &WriteSet| {
            gate.lock().unwrap().recv().map_err(|e| e.to_string())
        }))
        .unwrap();
        let big = WriteSet {
            first: 0,
            next: 1,
            head: [0; 32],
            writes: vec![(1, vec![0; 8], vec![0; MAX_QUEUED_BYTES + 1])],
        };
        applier.push(big);
        let (reserved, done) = mpsc::channel();
        std::thread::scope(|scope| {
            scope.spawn(|| {
                applier.reserve().unwrap();
                reserved.send(()).unwrap();
            });
            assert!(
                done.recv_timeout(std::time::Duration::from_millis(50))
                    .is_err(),
                "reserve returned while the queue was over its limit"
            );
            release.send(()).unwrap();
            done.recv().unwrap();
        });
        applier.settle().unwrap();
    }
}
