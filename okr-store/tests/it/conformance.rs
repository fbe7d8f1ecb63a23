//! The conformance suite every [`EventStore`] passes, modelled on the acceptance tests of
//! EventStoreDB and SQLStreamStore. Each case is a generic function; the macro at the bottom
//! instantiates every case once per backend.

use std::ops::ControlFlow;

use okr_store::{
    AppendRequest, EventStore, ExpectedVersion, MemoryStore, NewEvent, RecordedEvent, StoreError,
    StreamId,
};
use serde_json::json;
use uuid::Uuid;

use crate::support::{all, at, cmd, ev, evs, positions, sled_store, stream, versions};

fn request(
    s: &StreamId,
    expected: ExpectedVersion,
    command: Uuid,
    events: Vec<NewEvent>,
) -> AppendRequest {
    AppendRequest {
        stream: *s,
        expected,
        command_id: command,
        fingerprint: None,
        events,
    }
}

/// Asserts that `result` is a conflict naming exactly this stream, expectation and version.
fn assert_conflict<T: std::fmt::Debug>(
    result: Result<T, StoreError>,
    s: &StreamId,
    expected: ExpectedVersion,
    actual: u64,
) {
    match result {
        Err(StoreError::VersionConflict {
            stream: got_stream,
            expected: got_expected,
            actual: got_actual,
        }) => {
            assert_eq!(&got_stream, s);
            assert_eq!(got_expected, expected);
            assert_eq!(got_actual, actual);
        }
        other => panic!("expected a version conflict, got {other:?}"),
    }
}

// ---- appends to a new stream ----

fn append_to_new_stream_with_no_stream<S: EventStore>(store: &S) {
    let s = stream("org");
    let out = store
        .append(&s, ExpectedVersion::NoStream, cmd(1), evs(0, 3))
        .unwrap();
    assert!(!out.duplicate);
    assert_eq!(positions(&out.events), [0, 1, 2]);
    assert_eq!(versions(&out.events), [0, 1, 2]);
    assert_eq!(out.first_position(), Some(0));
    assert_eq!(out.last_position(), Some(2));
    assert_eq!(out.version_after(), Some(3));
    assert_eq!(store.stream_version(&s).unwrap(), 3);
}

fn append_to_new_stream_with_any<S: EventStore>(store: &S) {
    let s = stream("org");
    let out = store
        .append(&s, ExpectedVersion::Any, cmd(1), evs(0, 2))
        .unwrap();
    assert_eq!(versions(&out.events), [0, 1]);
    assert_eq!(store.stream_version(&s).unwrap(), 2);
}

fn append_to_new_stream_with_exact_conflicts<S: EventStore>(store: &S) {
    let s = stream("org");
    for v in [1, 2, 8] {
        let result = store.append(&s, ExpectedVersion::Exact(v), cmd(u128::from(v)), evs(0, 1));
        assert_conflict(result, &s, ExpectedVersion::Exact(v), 0);
    }
    assert_eq!(store.stream_version(&s).unwrap(), 0);
    assert_eq!(store.last_position().unwrap(), None);
}

// ---- appends to an existing stream ----

fn append_with_exact_head_succeeds<S: EventStore>(store: &S) {
    let s = stream("org");
    store
        .append(&s, ExpectedVersion::NoStream, cmd(1), evs(0, 2))
        .unwrap();
    let out = store
        .append(&s, ExpectedVersion::Exact(2), cmd(2), evs(2, 2))
        .unwrap();
    assert_eq!(versions(&out.events), [2, 3]);
    assert_eq!(positions(&out.events), [2, 3]);
    let out = store
        .append(&s, ExpectedVersion::Exact(4), cmd(3), evs(4, 1))
        .unwrap();
    assert_eq!(versions(&out.events), [4]);
}

fn append_with_any_to_existing_stream<S: EventStore>(store: &S) {
    let s = stream("org");
    store
        .append(&s, ExpectedVersion::NoStream, cmd(1), evs(0, 2))
        .unwrap();
    let out = store
        .append(&s, ExpectedVersion::Any, cmd(2), evs(2, 1))
        .unwrap();
    assert_eq!(versions(&out.events), [2]);
}

fn no_stream_on_existing_stream_conflicts<S: EventStore>(store: &S) {
    let s = stream("org");
    store
        .append(&s, ExpectedVersion::NoStream, cmd(1), evs(0, 3))
        .unwrap();
    let result = store.append(&s, ExpectedVersion::NoStream, cmd(2), evs(3, 1));
    assert_conflict(result, &s, ExpectedVersion::NoStream, 3);
}

fn exact_below_or_above_head_conflicts<S: EventStore>(store: &S) {
    let s = stream("org");
    store
        .append(&s, ExpectedVersion::NoStream, cmd(1), evs(0, 3))
        .unwrap();
    for (n, v) in [(2, 1), (3, 2), (4, 4), (5, 101)] {
        let result = store.append(&s, ExpectedVersion::Exact(v), cmd(n), evs(3, 1));
        assert_conflict(result, &s, ExpectedVersion::Exact(v), 3);
    }
}

fn conflicts_write_nothing<S: EventStore>(store: &S) {
    let s = stream("org");
    store
        .append(&s, ExpectedVersion::NoStream, cmd(1), evs(0, 2))
        .unwrap();
    let before = all(store);
    let _ = store.append(&s, ExpectedVersion::Exact(1), cmd(2), evs(2, 5));
    let _ = store.append(&s, ExpectedVersion::NoStream, cmd(3), evs(2, 5));
    assert_eq!(all(store), before);
    assert_eq!(store.last_position().unwrap(), Some(1));
    // The conflicting commands' ids were not consumed.
    let out = store
        .append(&s, ExpectedVersion::Exact(2), cmd(2), evs(2, 1))
        .unwrap();
    assert!(!out.duplicate);
    assert_eq!(positions(&out.events), [2]);
}

fn conflict_message_names_stream_expected_and_actual<S: EventStore>(store: &S) {
    let s = stream("cycle-x");
    store
        .append(&s, ExpectedVersion::NoStream, cmd(1), evs(0, 1))
        .unwrap();
    let err = store
        .append(&s, ExpectedVersion::Exact(6), cmd(2), evs(1, 1))
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains(&s.to_string()) && text.contains("version 6") && text.contains("version 1"),
        "{text}"
    );
}

// ---- idempotency ----

fn retried_command_returns_original_and_writes_nothing<S: EventStore>(store: &S) {
    let s = stream("org");
    let first = store
        .append(&s, ExpectedVersion::NoStream, cmd(1), evs(0, 2))
        .unwrap();
    let retry = store
        .append(&s, ExpectedVersion::NoStream, cmd(1), evs(0, 2))
        .unwrap();
    assert!(retry.duplicate);
    assert_eq!(retry.events, first.events);
    assert_eq!(all(store).len(), 2);
    assert_eq!(store.stream_version(&s).unwrap(), 2);
}

fn retried_command_wins_over_a_now_conflicting_expectation<S: EventStore>(store: &S) {
    let s = stream("org");
    let first = store
        .append(&s, ExpectedVersion::NoStream, cmd(1), evs(0, 1))
        .unwrap();
    store
        .append(&s, ExpectedVersion::Exact(1), cmd(2), evs(1, 1))
        .unwrap();
    // NoStream and Exact(7) would both conflict now; the command id is known, so no conflict.
    for expected in [
        ExpectedVersion::NoStream,
        ExpectedVersion::Exact(8),
        ExpectedVersion::Any,
    ] {
        let retry = store.append(&s, expected, cmd(1), evs(0, 1)).unwrap();
        assert!(retry.duplicate);
        assert_eq!(retry.events, first.events);
    }
    assert_eq!(positions(&all(store)), [0, 1]);
}

fn retried_command_returns_original_even_for_other_stream_or_events<S: EventStore>(store: &S) {
    let a = stream("a");
    let b = stream("b");
    let first = store
        .append(&a, ExpectedVersion::Any, cmd(1), evs(0, 2))
        .unwrap();
    let retry = store
        .append(&b, ExpectedVersion::Any, cmd(1), evs(10, 5))
        .unwrap();
    assert!(retry.duplicate);
    assert_eq!(retry.events, first.events);
    assert_eq!(store.stream_version(&b).unwrap(), 0);
    assert_eq!(all(store).len(), 2);
}

fn empty_append_is_rejected_and_keeps_the_command_id_free<S: EventStore>(store: &S) {
    let s = stream("org");
    let err = store
        .append(&s, ExpectedVersion::Any, cmd(1), vec![])
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::EmptyAppend { stream } if stream == &s),
        "{err:?}"
    );
    assert_eq!(store.last_position().unwrap(), None);
    assert_eq!(store.stream_version(&s).unwrap(), 0);
    let out = store
        .append(&s, ExpectedVersion::NoStream, cmd(1), evs(0, 1))
        .unwrap();
    assert!(!out.duplicate);
}

// ---- positions and envelope ----

fn global_positions_are_gapless_and_ordered_across_streams<S: EventStore>(store: &S) {
    let names = ["org", "cycle-a", "cycle-b"];
    let mut n = 0;
    for round in 0..4u64 {
        for name in names {
            n += 1;
            let out = store
                .append(
                    &stream(name),
                    ExpectedVersion::Any,
                    cmd(n),
                    evs(0, round + 1),
                )
                .unwrap();
            assert_eq!(out.events.len() as u64, round + 1);
        }
    }
    let events = all(store);
    let expected: Vec<u64> = (0..events.len() as u64).collect();
    assert_eq!(positions(&events), expected);
    for name in names {
        let read = store.read_stream(&stream(name), 0).unwrap();
        assert_eq!(versions(&read), (0..10).collect::<Vec<_>>());
        assert!(read
            .windows(2)
            .all(|w| w[0].global_position < w[1].global_position));
    }
    assert_eq!(
        store.last_position().unwrap(),
        Some(events.len() as u64 - 1)
    );
}

fn envelope_is_filled_from_the_append<S: EventStore>(store: &S) {
    let s = stream("cycle-1");
    let correlation = Uuid::from_u128(42);
    let payload = json!({
        "nested": {"list": [1, 2.5, "drei", null, true]},
        "unicode": "Zielsetzung ✓ 目標",
        "big": u64::MAX,
        "negative": i64::MIN,
    });
    let event = NewEvent::new("ObjectiveAdded", 3, payload.clone(), "ada", at())
        .with_correlation_id(correlation);
    let out = store
        .append(&s, ExpectedVersion::NoStream, cmd(9), vec![event, ev(1)])
        .unwrap();
    let read = store.read_stream(&s, 0).unwrap();
    assert_eq!(read, out.events);
    let e = &read[0];
    assert_eq!(e.stream, s);
    assert_eq!(e.event_type, "ObjectiveAdded");
    assert_eq!(e.schema_version, 3);
    assert_eq!(e.actor, "ada");
    assert_eq!(e.recorded_at, at());
    assert_eq!(e.command_id, cmd(9));
    assert_eq!(e.correlation_id, Some(correlation));
    assert_eq!(e.payload, payload);
    assert_eq!(read[1].correlation_id, None);
    assert_eq!(e.event_id.get_version_num(), 7);
    assert_ne!(e.event_id, read[1].event_id);
    assert_eq!(e.event_id, okr_store::derive_event_id(cmd(9), 0, at()));
}

// ---- reads ----

fn reading_unknown_or_empty_stream_returns_nothing<S: EventStore>(store: &S) {
    assert!(store.read_stream(&stream("nope"), 0).unwrap().is_empty());
    assert!(all(store).is_empty());
    store
        .append(&stream("org"), ExpectedVersion::Any, cmd(1), evs(0, 2))
        .unwrap();
    assert!(store.read_stream(&stream("nope"), 0).unwrap().is_empty());
    assert!(store.read_stream(&stream("org"), 2).unwrap().is_empty());
    assert!(store
        .read_stream(&stream("org"), u64::MAX)
        .unwrap()
        .is_empty());
    // A stream whose name extends another's is a different stream.
    assert!(store.read_stream(&stream("or"), 0).unwrap().is_empty());
    assert!(store.read_stream(&stream("org2"), 0).unwrap().is_empty());
}

fn read_stream_from_a_version<S: EventStore>(store: &S) {
    let s = stream("org");
    store
        .append(&s, ExpectedVersion::Any, cmd(1), evs(0, 3))
        .unwrap();
    store
        .append(&stream("other"), ExpectedVersion::Any, cmd(2), evs(0, 2))
        .unwrap();
    store
        .append(&s, ExpectedVersion::Any, cmd(3), evs(3, 2))
        .unwrap();
    let read = store.read_stream(&s, 2).unwrap();
    assert_eq!(versions(&read), [2, 3, 4]);
    assert_eq!(positions(&read), [2, 5, 6]);
}

fn read_all_from_the_middle_with_a_limit<S: EventStore>(store: &S) {
    for n in 0..5 {
        store
            .append(
                &stream(&format!("s{}", n % 2)),
                ExpectedVersion::Any,
                cmd(n),
                evs(0, 2),
            )
            .unwrap();
    }
    assert_eq!(positions(&store.read_all(3, 4).unwrap()), [3, 4, 5, 6]);
    assert_eq!(positions(&store.read_all(7, 100).unwrap()), [7, 8, 9]);
    assert!(store.read_all(3, 0).unwrap().is_empty());
    assert!(store.read_all(10, 5).unwrap().is_empty());
    assert!(store.read_all(u64::MAX, 5).unwrap().is_empty());
}

fn heads_and_last_position<S: EventStore>(store: &S) {
    assert!(store.heads().unwrap().is_empty());
    assert_eq!(store.last_position().unwrap(), None);
    store
        .append(&stream("org"), ExpectedVersion::Any, cmd(1), evs(0, 3))
        .unwrap();
    store
        .append(&stream("cycle-b"), ExpectedVersion::Any, cmd(2), evs(0, 1))
        .unwrap();
    store
        .append(&stream("cycle-a"), ExpectedVersion::Any, cmd(3), evs(0, 2))
        .unwrap();
    let heads = store.heads().unwrap();
    let expected = [
        (stream("org"), 3),
        (stream("cycle-a"), 2),
        (stream("cycle-b"), 1),
    ];
    assert_eq!(heads, expected.into_iter().collect());
    assert_eq!(store.last_position().unwrap(), Some(5));
}

// ---- batches ----

fn batch_applies_in_order_and_sees_its_own_writes<S: EventStore>(store: &S) {
    let s = stream("org");
    let t = stream("cycle-1");
    let outcomes = store
        .append_batch(vec![
            request(&s, ExpectedVersion::NoStream, cmd(1), evs(0, 2)),
            request(&t, ExpectedVersion::NoStream, cmd(2), evs(0, 1)),
            request(&s, ExpectedVersion::Exact(2), cmd(3), evs(2, 1)),
        ])
        .unwrap();
    assert_eq!(outcomes.len(), 3);
    assert_eq!(positions(&outcomes[0].events), [0, 1]);
    assert_eq!(positions(&outcomes[1].events), [2]);
    assert_eq!(positions(&outcomes[2].events), [3]);
    assert_eq!(versions(&outcomes[2].events), [2]);
    assert_eq!(store.stream_version(&s).unwrap(), 3);
    assert_eq!(store.stream_version(&t).unwrap(), 1);
}

fn batch_is_all_or_nothing<S: EventStore>(store: &S) {
    let s = stream("org");
    store
        .append(&s, ExpectedVersion::NoStream, cmd(100), evs(0, 1))
        .unwrap();
    let before = all(store);
    let result = store.append_batch(vec![
        request(&stream("a"), ExpectedVersion::NoStream, cmd(1), evs(0, 2)),
        request(&s, ExpectedVersion::Exact(1), cmd(2), evs(1, 1)),
        request(&s, ExpectedVersion::Exact(1), cmd(3), evs(2, 1)),
    ]);
    // The third request conflicts with the second's write.
    assert_conflict(result, &s, ExpectedVersion::Exact(1), 2);
    assert_eq!(all(store), before);
    assert_eq!(store.stream_version(&stream("a")).unwrap(), 0);
    assert_eq!(store.stream_version(&s).unwrap(), 1);
    assert_eq!(store.heads().unwrap().len(), 1);
    // Nothing of the failed batch was remembered: its command ids are still free.
    let out = store
        .append(&stream("a"), ExpectedVersion::NoStream, cmd(1), evs(0, 1))
        .unwrap();
    assert!(!out.duplicate);
    assert_eq!(positions(&out.events), [1]);
}

fn batch_with_an_empty_request_writes_nothing<S: EventStore>(store: &S) {
    let result = store.append_batch(vec![
        request(&stream("a"), ExpectedVersion::Any, cmd(1), evs(0, 2)),
        request(&stream("b"), ExpectedVersion::Any, cmd(2), vec![]),
    ]);
    assert!(
        matches!(result, Err(StoreError::EmptyAppend { .. })),
        "{result:?}"
    );
    assert!(all(store).is_empty());
    assert!(store.append_batch(vec![]).unwrap().is_empty());
    assert!(all(store).is_empty());
}

fn batch_repeating_a_command_id_records_it_once<S: EventStore>(store: &S) {
    let s = stream("org");
    let earlier = store
        .append(&s, ExpectedVersion::Any, cmd(1), evs(0, 1))
        .unwrap();
    let outcomes = store
        .append_batch(vec![
            request(&s, ExpectedVersion::Exact(1), cmd(2), evs(1, 2)),
            request(&s, ExpectedVersion::NoStream, cmd(2), evs(1, 2)),
            request(&s, ExpectedVersion::NoStream, cmd(1), evs(0, 1)),
        ])
        .unwrap();
    assert!(!outcomes[0].duplicate);
    assert!(outcomes[1].duplicate);
    assert_eq!(outcomes[1].events, outcomes[0].events);
    assert!(outcomes[2].duplicate);
    assert_eq!(outcomes[2].events, earlier.events);
    assert_eq!(positions(&all(store)), [0, 1, 2]);
}

/// A batch big enough to span many stored records (by event count and by size), with runs
/// of one stream broken by others and a command repeated inside the batch, reads back exactly
/// from any position and version.
fn a_large_batch_reads_back_from_anywhere<S: EventStore>(store: &S) {
    let streams = [stream("org"), stream("cycle-a"), stream("cycle-b")];
    let mut requests = Vec::new();
    let mut versions_of: [u64; 3] = [0; 3];
    for n in 0..1500u64 {
        // Long runs on one stream, then a switch; every 97th command carries a big payload.
        let which = ((n / 200) % 3) as usize;
        let count = 1 + n % 3;
        let mut events = evs(n * 10, count);
        if n % 97 == 0 {
            events[0].payload = json!({ "n": n, "pad": "x".repeat(9000) });
        }
        let expected = match versions_of[which] {
            0 => ExpectedVersion::NoStream,
            v => ExpectedVersion::Exact(v),
        };
        versions_of[which] += count;
        requests.push(request(
            &streams[which],
            expected,
            cmd(u128::from(n)),
            events,
        ));
    }
    // The same command again, inside the batch: recorded once.
    requests.push(request(
        &streams[0],
        ExpectedVersion::Any,
        cmd(700),
        evs(0, 1),
    ));
    let outcomes = store.append_batch(requests).unwrap();
    assert!(outcomes.last().unwrap().duplicate);
    assert_eq!(outcomes.last().unwrap().events, outcomes[700].events);
    let written: Vec<_> = outcomes[..1500]
        .iter()
        .flat_map(|o| o.events.iter().cloned())
        .collect();
    assert_eq!(
        positions(&written),
        (0..written.len() as u64).collect::<Vec<_>>()
    );
    assert_eq!(all(store), written);
    for from in [0u64, 1, 1023, 1024, 1025, 2047, 2999] {
        let max = 700;
        let expected: Vec<_> = written
            .iter()
            .skip(from as usize)
            .take(max)
            .cloned()
            .collect();
        assert_eq!(store.read_all(from, max).unwrap(), expected, "from {from}");
    }
    for (i, s) in streams.iter().enumerate() {
        let of_stream: Vec<_> = written.iter().filter(|e| &e.stream == s).cloned().collect();
        assert_eq!(store.stream_version(s).unwrap(), versions_of[i]);
        for from in [0u64, 1, 199, 200, 401, 1000] {
            let expected: Vec<_> = of_stream.iter().skip(from as usize).cloned().collect();
            assert_eq!(
                store.read_stream(s, from).unwrap(),
                expected,
                "{s} from {from}"
            );
        }
    }
    let found = store.find_command(cmd(1234)).unwrap().unwrap();
    assert_eq!(found.events, outcomes[1234].events);
}

// ---- command lookup ----

fn find_command_returns_what_a_retry_would<S: EventStore>(store: &S) {
    assert_eq!(store.find_command(cmd(1)).unwrap(), None);
    store
        .append(&stream("a"), ExpectedVersion::Any, cmd(9), evs(0, 1))
        .unwrap();
    let original = store
        .append(&stream("b"), ExpectedVersion::NoStream, cmd(1), evs(1, 2))
        .unwrap();
    let found = store.find_command(cmd(1)).unwrap().unwrap();
    assert!(found.duplicate);
    assert_eq!(found.events, original.events);
    assert_eq!(positions(&found.events), [1, 2]);
    let retry = store
        .append(&stream("b"), ExpectedVersion::NoStream, cmd(1), evs(1, 2))
        .unwrap();
    assert_eq!(found, retry);
    assert_eq!(store.find_command(cmd(2)).unwrap(), None);
}

// ---- scans ----

/// What a scan from `from` to `last` hands out, as owned events, and how many chunks.
fn scanned<S: EventStore>(store: &S, from: u64, last: u64) -> (Vec<RecordedEvent>, usize) {
    let mut events = Vec::new();
    let mut chunks = 0;
    store
        .scan(from, last, &mut |chunk| {
            chunks += 1;
            chunk
                .for_each(|view| {
                    events.push(view.to_recorded().unwrap());
                    Ok::<(), StoreError>(())
                })
                .unwrap();
            ControlFlow::Continue(())
        })
        .unwrap();
    (events, chunks)
}

fn a_scan_hands_out_the_events_read_all_returns<S: EventStore>(store: &S) {
    assert!(scanned(store, 0, u64::MAX).0.is_empty());
    let names = ["org", "cycle-a", "cycle-b"];
    let correlated = ev(0).with_correlation_id(Uuid::from_u128(5));
    store
        .append(
            &stream("org"),
            ExpectedVersion::Any,
            cmd(0),
            vec![correlated],
        )
        .unwrap();
    for n in 1..300u64 {
        let mut events = evs(n * 10, 1 + n % 4);
        if n % 50 == 0 {
            events[0].payload = json!({ "n": n, "pad": "x".repeat(9000) });
        }
        store
            .append(
                &stream(names[(n % 3) as usize]),
                ExpectedVersion::Any,
                cmd(u128::from(n)),
                events,
            )
            .unwrap();
    }
    let everything = all(store);
    let last = everything.len() as u64 - 1;
    for (from, to) in [
        (0, last),
        (0, u64::MAX),
        (1, 1),
        (17, 500),
        (last, last),
        (3, 2),
    ] {
        let expected: Vec<_> = everything
            .iter()
            .filter(|e| e.global_position >= from && e.global_position <= to)
            .cloned()
            .collect();
        assert_eq!(scanned(store, from, to).0, expected, "{from}..={to}");
    }
    assert!(scanned(store, last + 1, u64::MAX).0.is_empty());
    // Split chunks hold the same events, in order.
    let mut split = Vec::new();
    store
        .scan(0, last, &mut |chunk| {
            for part in chunk.split(3) {
                part.for_each(|view| {
                    split.push(view.global_position);
                    Ok::<(), StoreError>(())
                })
                .unwrap();
            }
            ControlFlow::Continue(())
        })
        .unwrap();
    assert_eq!(split, positions(&everything));
    // A visitor that breaks is not called again.
    let mut calls = 0;
    store
        .scan(0, last, &mut |_| {
            calls += 1;
            ControlFlow::Break(())
        })
        .unwrap();
    assert_eq!(calls, 1);
}

// ---- snapshots ----

fn snapshots_latest_at_or_before_and_clear<S: EventStore>(store: &S) {
    assert_eq!(store.latest_snapshot(None).unwrap(), None);
    store.save_snapshot(9, b"nine").unwrap();
    store.save_snapshot(19, b"nineteen").unwrap();
    store.save_snapshot(256, b"big").unwrap();
    let got = |at| store.latest_snapshot(at).unwrap();
    assert_eq!(got(None), Some((256, b"big".to_vec())));
    assert_eq!(got(Some(255)), Some((19, b"nineteen".to_vec())));
    assert_eq!(got(Some(19)), Some((19, b"nineteen".to_vec())));
    assert_eq!(got(Some(9)), Some((9, b"nine".to_vec())));
    assert_eq!(got(Some(8)), None);
    store.save_snapshot(19, b"again").unwrap();
    assert_eq!(got(Some(20)), Some((19, b"again".to_vec())));
    store.clear_snapshots().unwrap();
    assert_eq!(got(None), None);
    assert_eq!(
        store.last_position().unwrap(),
        None,
        "snapshots are not events"
    );
}

fn snapshots_pruned_to_the_newest<S: EventStore>(store: &S) {
    // 255 and 256 tell numeric order from byte order of a little-endian key.
    for p in [3, 255, 256, 1000, 70_000] {
        store.save_snapshot(p, p.to_string().as_bytes()).unwrap();
    }
    let positions = |store: &S| {
        let mut found = Vec::new();
        let mut at = None;
        while let Some((p, bytes)) = store.latest_snapshot(at).unwrap() {
            assert_eq!(bytes, p.to_string().into_bytes(), "snapshot {p} unchanged");
            found.push(p);
            let Some(before) = p.checked_sub(1) else {
                break;
            };
            at = Some(before);
        }
        found
    };
    store.prune_snapshots(10).unwrap();
    assert_eq!(
        positions(store),
        [70_000, 1000, 256, 255, 3],
        "fewer than kept: all stay"
    );
    store.prune_snapshots(3).unwrap();
    assert_eq!(positions(store), [70_000, 1000, 256]);
    store.save_snapshot(80_000, b"80000").unwrap();
    store.prune_snapshots(2).unwrap();
    assert_eq!(positions(store), [80_000, 70_000]);
    store.prune_snapshots(0).unwrap();
    assert_eq!(
        positions(store),
        Vec::<u64>::new(),
        "keeping none clears them"
    );
    assert_eq!(
        store.last_position().unwrap(),
        None,
        "snapshots are not events"
    );
}

// ---- the hash chain and command fingerprints ----

fn assert_chain(events: &[RecordedEvent]) {
    let mut previous = okr_store::EventHash::GENESIS;
    for e in events {
        assert_eq!(
            e.chain_hash(&previous).unwrap(),
            e.hash,
            "position {}",
            e.global_position
        );
        previous = e.hash;
    }
}

fn every_event_is_chained_to_the_one_before<S: EventStore>(store: &S) {
    let a = stream("org");
    let b = stream("cycle-a");
    let first = store
        .append(&a, ExpectedVersion::Any, cmd(1), evs(0, 3))
        .unwrap();
    store
        .append_batch(vec![
            request(&b, ExpectedVersion::Any, cmd(2), evs(3, 2)),
            request(&a, ExpectedVersion::Any, cmd(3), evs(5, 1)),
        ])
        .unwrap();
    let log = all(store);
    assert_eq!(log.len(), 6);
    assert_chain(&log);
    assert_eq!(
        &log[..3],
        first.events.as_slice(),
        "the outcome carries the hashes"
    );
    let distinct: std::collections::HashSet<_> = log.iter().map(|e| e.hash).collect();
    assert_eq!(distinct.len(), 6);
    let retry = store
        .append(&a, ExpectedVersion::Any, cmd(1), evs(0, 3))
        .unwrap();
    assert!(retry.duplicate);
    assert_eq!(retry.events, first.events);
    let mut scanned = Vec::new();
    store
        .scan(0, 5, &mut |chunk| {
            chunk
                .for_each(|v| {
                    scanned.push((
                        v.hash,
                        v.chain_hash(&scanned.last().map_or(
                            okr_store::EventHash::GENESIS,
                            |p: &(okr_store::EventHash, okr_store::EventHash)| p.0,
                        )),
                    ));
                    Ok::<(), StoreError>(())
                })
                .unwrap();
            ControlFlow::Continue(())
        })
        .unwrap();
    assert!(scanned.iter().all(|(stored, computed)| stored == computed));
}

fn a_command_id_reused_for_another_command_conflicts<S: EventStore>(store: &S) {
    use okr_store::Fingerprint;
    let s = stream("org");
    let f1 = Fingerprint::of_bytes(b"define unit Sales");
    let f2 = Fingerprint::of_bytes(b"define unit Support");
    let first = store
        .append_batch(vec![
            request(&s, ExpectedVersion::Any, cmd(1), evs(0, 1)).with_fingerprint(f1)
        ])
        .unwrap();
    assert_eq!(first[0].fingerprint, Some(f1));
    // The same command again: the original outcome.
    let again = store
        .append_batch(vec![
            request(&s, ExpectedVersion::Any, cmd(1), evs(0, 1)).with_fingerprint(f1)
        ])
        .unwrap();
    assert!(again[0].duplicate);
    assert_eq!(again[0].events, first[0].events);
    // Another command under the same id: a conflict, nothing written.
    match store.append_batch(vec![
        request(&s, ExpectedVersion::Any, cmd(2), evs(1, 1)),
        request(&s, ExpectedVersion::Any, cmd(1), evs(0, 1)).with_fingerprint(f2),
    ]) {
        Err(err @ StoreError::CommandConflict { .. }) => {
            assert!(err.to_string().contains(&cmd(1).to_string()), "{err}");
        }
        other => panic!("expected a command conflict, got {other:?}"),
    }
    assert_eq!(all(store).len(), 1, "the batch wrote nothing");
    assert!(store.find_command(cmd(2)).unwrap().is_none());
    // Without a fingerprint on either side it is a retry, as before fingerprints existed.
    assert!(
        store
            .append(&s, ExpectedVersion::Any, cmd(1), evs(7, 2))
            .unwrap()
            .duplicate
    );
    store
        .append(&s, ExpectedVersion::Any, cmd(3), evs(1, 1))
        .unwrap();
    let unmarked = store
        .append_batch(vec![
            request(&s, ExpectedVersion::Any, cmd(3), evs(1, 1)).with_fingerprint(f2)
        ])
        .unwrap();
    assert!(unmarked[0].duplicate);
    assert_eq!(unmarked[0].fingerprint, None);
    // Within one batch, too.
    assert!(matches!(
        store.append_batch(vec![
            request(&s, ExpectedVersion::Any, cmd(4), evs(2, 1)).with_fingerprint(f1),
            request(&s, ExpectedVersion::Any, cmd(4), evs(2, 1)).with_fingerprint(f2),
        ]),
        Err(StoreError::CommandConflict { .. })
    ));
    assert_eq!(
        store.find_command(cmd(1)).unwrap().unwrap().fingerprint,
        Some(f1)
    );
    assert_eq!(all(store).len(), 2);
}

#[test]
fn both_backends_record_the_same_chain_for_the_same_appends() {
    let memory = MemoryStore::new();
    let (sled, _guard) = sled_store(okr_store::Durability::Sync);
    for store in [&memory as &dyn EventStore, &sled] {
        store
            .append(&stream("org"), ExpectedVersion::Any, cmd(1), evs(0, 3))
            .unwrap();
        store
            .append(&stream("cycle-a"), ExpectedVersion::Any, cmd(2), evs(3, 2))
            .unwrap();
    }
    let (m, s) = (
        memory.read_all(0, 10).unwrap(),
        sled.read_all(0, 10).unwrap(),
    );
    assert_eq!(m, s);
    assert_chain(&m);
}

macro_rules! instantiate {
    ($backend:ident, $make:expr; $($case:ident),* $(,)?) => {
        mod $backend {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[test]
                fn $case() {
                    let Some((store, _guard)) = $make else { return };
                    super::$case(&store);
                }
            )*
        }
    };
}

macro_rules! conformance {
    ($backend:ident, $make:expr) => {
        instantiate!($backend, $make;
            append_to_new_stream_with_no_stream,
            append_to_new_stream_with_any,
            append_to_new_stream_with_exact_conflicts,
            append_with_exact_head_succeeds,
            append_with_any_to_existing_stream,
            no_stream_on_existing_stream_conflicts,
            exact_below_or_above_head_conflicts,
            conflicts_write_nothing,
            conflict_message_names_stream_expected_and_actual,
            retried_command_returns_original_and_writes_nothing,
            retried_command_wins_over_a_now_conflicting_expectation,
            retried_command_returns_original_even_for_other_stream_or_events,
            empty_append_is_rejected_and_keeps_the_command_id_free,
            global_positions_are_gapless_and_ordered_across_streams,
            envelope_is_filled_from_the_append,
            reading_unknown_or_empty_stream_returns_nothing,
            read_stream_from_a_version,
            read_all_from_the_middle_with_a_limit,
            heads_and_last_position,
            batch_applies_in_order_and_sees_its_own_writes,
            batch_is_all_or_nothing,
            batch_with_an_empty_request_writes_nothing,
            batch_repeating_a_command_id_records_it_once,
            a_large_batch_reads_back_from_anywhere,
            find_command_returns_what_a_retry_would,
            a_scan_hands_out_the_events_read_all_returns,
            snapshots_latest_at_or_before_and_clear,
            snapshots_pruned_to_the_newest,
            every_event_is_chained_to_the_one_before,
            a_command_id_reused_for_another_command_conflicts,
        );
    };
}

conformance!(memory, Some((MemoryStore::new(), ())));
conformance!(sled, Some(sled_store(okr_store::Durability::Sync)));
// Each case in an organisation of its own on the tests' server (skipped without one).
conformance!(postgres, crate::support::postgres_store());
