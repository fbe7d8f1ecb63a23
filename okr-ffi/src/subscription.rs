//! The `okr_subscription` handle: events pushed by the engine, polled by the caller.

use std::sync::mpsc::{RecvTimeoutError, TryRecvError};
use std::sync::Mutex;
use std::time::Duration;

use okr_store::{RecordedEvent, Subscription};
use okr_wire::limits::MAX_PAGE_EVENTS;
use okr_wire::message::{EventsPage, Versioned};

use crate::boundary::{encode, run_out};
use crate::bytes::okr_bytes;
use crate::error::{okr_error, okr_result, Error};

/// A subscription from `okr_engine_subscribe`, freed with `okr_subscription_free`. It may be
/// polled from any thread; polls of one subscription take turns (a poll that waits holds it).
#[derive(Debug)]
pub struct okr_subscription {
    inner: Mutex<Inner>,
}

#[derive(Debug)]
struct Inner {
    sub: Subscription,
    next_position: u64,
}

/// Compile-time proof that a subscription may be shared between threads.
const _: fn() = || {
    fn assert<T: Send + Sync>() {}
    assert::<okr_subscription>();
};

impl okr_subscription {
    pub(crate) fn new(sub: Subscription, from: u64) -> okr_subscription {
        okr_subscription {
            inner: Mutex::new(Inner {
                sub,
                next_position: from,
            }),
        }
    }
}

fn closed() -> Error {
    Error::new(
        okr_result::Closed,
        "the subscription's engine was shut down; every event it delivered has been polled",
    )
}

/// The next events of a subscription, in log order: waits up to `timeout_ms` milliseconds
/// for the first (0: does not wait), then takes up to `max` (at most 10 000) of those
/// waiting. `*out` holds `{"version":1,"events":[..],"next_position":N}` as
/// `okr_engine_events_since` gives it; an empty list means nothing arrived in time. Each
/// event is delivered once, none is skipped. Codes: NULL_ARGUMENT, INVALID_ARGUMENT
/// (`max` 0), CLOSED (the engine is gone and everything was delivered), CORRUPT, PANIC.
///
/// # Safety
///
/// `sub` is a live subscription; `out` is valid for writing a pointer; `err` is NULL or
/// valid for writing a pointer.
#[no_mangle]
pub unsafe extern "C" fn okr_subscription_next(
    sub: *const okr_subscription,
    max: usize,
    timeout_ms: u64,
    out: *mut *mut okr_bytes,
    err: *mut *mut okr_error,
) -> okr_result {
    // SAFETY: the caller upholds the pointer contracts stated above.
    unsafe {
        run_out(out, "out", err, || {
            // SAFETY: the caller passes NULL or a live subscription.
            let sub = sub.as_ref().ok_or_else(|| Error::null("sub"))?;
            if max == 0 {
                return Err(Error::new(
                    okr_result::InvalidArgument,
                    "`max` is 0; ask for at least one event",
                ));
            }
            let max = max.min(MAX_PAGE_EVENTS);
            let mut inner = sub.inner.lock().unwrap_or_else(|e| e.into_inner());
            let mut recorded: Vec<RecordedEvent> = Vec::new();
            let first = if timeout_ms == 0 {
                match inner.sub.try_recv() {
                    Ok(e) => Some(e),
                    Err(TryRecvError::Empty) => None,
                    Err(TryRecvError::Disconnected) => return Err(closed()),
                }
            } else {
                match inner.sub.recv_timeout(Duration::from_millis(timeout_ms)) {
                    Ok(e) => Some(e),
                    Err(RecvTimeoutError::Timeout) => None,
                    Err(RecvTimeoutError::Disconnected) => return Err(closed()),
                }
            };
            if let Some(first) = first {
                recorded.push(first);
                while recorded.len() < max {
                    match inner.sub.try_recv() {
                        Ok(e) => recorded.push(e),
                        Err(_) => break,
                    }
                }
            }
            let events = okr_wire::run::records(&recorded).map_err(Error::wire)?;
            if let Some(last) = events.last() {
                inner.next_position = last.position + 1;
            }
            let page = Versioned::new(EventsPage {
                events,
                next_position: inner.next_position,
            });
            Ok(okr_bytes::new(encode(&page)?))
        })
    }
}

/// Frees a subscription. NULL is accepted and ignored.
///
/// # Safety
///
/// `sub` is NULL or a subscription from `okr_engine_subscribe`, freed at most once, with no
/// poll on it running or following.
#[no_mangle]
pub unsafe extern "C" fn okr_subscription_free(sub: *mut okr_subscription) {
    if !sub.is_null() {
        // SAFETY: a non-NULL `sub` came from `Box::into_raw` in this library, freed once.
        let boxed = unsafe { Box::from_raw(sub) };
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || drop(boxed)));
    }
}
