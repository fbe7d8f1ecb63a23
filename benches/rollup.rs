//! Rollup, fold and scoring against a SQLite peer, at the workload sizes S/M/L/XL of
//! `okr_fixtures::workload` (100 to 1 000 000 key results).
//!
//! Groups:
//! - `fold`: events folded into `State` (events/s), and `decide` + `apply` of the workload.
//! - `rollup_full`: the full rollup with alignment, units and status from the flat
//!   [`Rollup`] (`recompute` + `statuses`), per size; beside it the same data in SQLite
//!   (rusqlite, in memory) with the rollup SQL an intranet would write: latest check-in per
//!   key result → key result progress → weighted objective → weighted unit; and
//!   `floor/`, the single-thread floor: one plain loop over flat arrays holding only what
//!   the rollup must read (per key result its objective, weight and attainment; per
//!   objective its unit and weight; per unit its parent), summing key results into
//!   objectives, objectives into units, units into their parents, and comparing each
//!   objective with the expectation — the least work any single-threaded rollup does.
//! - `rollup_incremental`: one check-in applied to a built XL rollup.
//! - `rescore`: scores under another policy: `okr/` on the built [`Rollup`]
//!   ([`Rollup::rescore`], the score table), `from_state/` what the `rescore` query runs
//!   (index, score, maps), `reference/` the map-based [`rollup::scores_with`].
//! - memory: a counting allocator reports the bytes per key result of `State` (the present:
//!   each key result's latest check-in, count and weeks; the past stays in the log) and of
//!   the `Rollup`, printed during setup.
//!
//! Sizes: `OKR_BENCH_SIZES` (default `S,M,L,XL`). Run with `cargo bench --bench rollup`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::Duration;

use criterion::{black_box, criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use okr_core::rollup::{self, Rollup, ScoringPolicy};
use okr_core::{CycleId, Event, EventBody, KrKind, State};
use okr_fixtures::workload::{Size, Workload, WorkloadSpec};
use rusqlite::{params, Connection};

/// Counts live heap bytes, so that setup can say what a structure costs.
struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: forwards to the system allocator unchanged; only counts sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: same layout contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: ptr was allocated by System with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(
            new_size as isize - layout.size() as isize,
            Ordering::Relaxed,
        );
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

fn live() -> isize {
    LIVE.load(Ordering::Relaxed)
}

fn sizes() -> Vec<Size> {
    std::env::var("OKR_BENCH_SIZES")
        .unwrap_or_else(|_| "S,M,L,XL".into())
        .split(',')
        .filter_map(|s| s.parse().ok())
        .collect()
}

struct Prepared {
    size: Size,
    cycle: CycleId,
    events: Vec<Event>,
    state: State,
    rollup: Rollup,
}

fn prepare(size: Size) -> Prepared {
    let spec = WorkloadSpec::size(size, 7);
    let cycle = Workload::new(spec.clone()).cycle_id();
    let before = live();
    let mut gen = Workload::events(spec);
    let events: Vec<Event> = gen.by_ref().collect();
    let state = gen.into_state();
    let after_events_and_state = live();
    // Measure State alone: fold again into a fresh one.
    let b = live();
    let mut folded = State::new();
    for e in &events {
        folded.apply(e);
    }
    let state_bytes = live() - b;
    drop(folded);
    let b = live();
    let rollup = Rollup::build(&state, cycle).expect("cycle");
    let rollup_bytes = live() - b;
    let krs = size.key_results() as f64;
    let text = text_bytes(&state);
    println!(
        "{size}: {} events; State {:.0} bytes/KR ({:.0} without text), Rollup {:.0} bytes/KR (heap_bytes {:.0}); events+state {:.0} MB",
        events.len(),
        state_bytes as f64 / krs,
        (state_bytes as f64 - text as f64) / krs,
        rollup_bytes as f64 / krs,
        rollup.heap_bytes() as f64 / krs,
        (after_events_and_state - before) as f64 / 1e6,
    );
    Prepared {
        size,
        cycle,
        events,
        state,
        rollup,
    }
}

/// Heap bytes of the text in `state`, which the per-key-result budget leaves out: titles,
/// objective texts and amendment reasons, key result units, the latest check-ins' notes,
/// unit and people names. Only the strings' own heap bytes; every struct, map and header
/// that holds them counts as structure.
fn text_bytes(state: &State) -> usize {
    let opt = |s: &Option<Box<str>>| s.as_ref().map_or(0, |s| s.len());
    let mut n = 0;
    for c in state.cycles.values() {
        for k in c.key_results.values() {
            n += k.title.len();
            n += match &k.kind {
                KrKind::Increase { unit, .. }
                | KrKind::Decrease { unit, .. }
                | KrKind::Threshold { unit, .. } => unit.len(),
                KrKind::Milestone => 0,
            };
            n += k.latest().map_or(0, |x| x.note.len());
        }
        for o in c.objectives.values() {
            n += o.text.title.len()
                + opt(&o.text.beneficiary)
                + opt(&o.text.change)
                + opt(&o.text.value)
                + o.amendments.iter().map(|a| a.len()).sum::<usize>();
        }
    }
    n += state.units.values().map(|u| u.name.len()).sum::<usize>();
    n += state.people.values().map(|p| p.name.len()).sum::<usize>();
    n
}

/// The same cycle in SQLite, as an intranet would keep it.
fn sqlite(p: &Prepared) -> Connection {
    let db = Connection::open_in_memory().expect("sqlite");
    db.execute_batch(
        "CREATE TABLE units(id TEXT PRIMARY KEY, parent TEXT);
         CREATE TABLE objectives(id TEXT PRIMARY KEY, unit TEXT, weight INTEGER, committed INTEGER);
         CREATE TABLE key_results(id TEXT PRIMARY KEY, objective TEXT, weight INTEGER, baseline REAL, target REAL);
         CREATE TABLE check_ins(key_result TEXT, effective_at INTEGER, value REAL);
         CREATE INDEX check_ins_kr ON check_ins(key_result, effective_at);
         CREATE INDEX key_results_objective ON key_results(objective);
         CREATE INDEX objectives_unit ON objectives(unit);",
    )
    .expect("schema");
    let c = &p.state.cycles[&p.cycle];
    let tx = db.unchecked_transaction().expect("tx");
    {
        let mut u = tx.prepare("INSERT INTO units VALUES (?1, ?2)").unwrap();
        for unit in p.state.units.values() {
            u.execute(params![
                unit.id.to_string(),
                unit.parent.map(|x| x.to_string())
            ])
            .unwrap();
        }
        let mut o = tx
            .prepare("INSERT INTO objectives VALUES (?1, ?2, ?3, ?4)")
            .unwrap();
        for ob in c.objectives.values() {
            o.execute(params![
                ob.id.to_string(),
                ob.unit.to_string(),
                ob.weight,
                ob.status == okr_core::ObjectiveStatus::Committed
            ])
            .unwrap();
        }
        let mut k = tx
            .prepare("INSERT INTO key_results VALUES (?1, ?2, ?3, ?4, ?5)")
            .unwrap();
        let mut ci = tx
            .prepare("INSERT INTO check_ins VALUES (?1, ?2, ?3)")
            .unwrap();
        for kr in c.key_results.values() {
            let (b, t) = match &kr.kind {
                KrKind::Increase { target, .. } | KrKind::Decrease { target, .. } => {
                    (kr.kind.effective_baseline(), *target)
                }
                KrKind::Threshold { value, .. } => (0.0, *value),
                KrKind::Milestone => (0.0, 1.0),
            };
            k.execute(params![
                kr.id.to_string(),
                kr.objective.to_string(),
                kr.weight,
                b,
                t
            ])
            .unwrap();
        }
        // The state keeps only the latest check-in; the peer keeps every one, from the log.
        for e in &p.events {
            if let EventBody::CheckedIn {
                cycle,
                key_result,
                value,
                effective_at,
                ..
            } = &e.body
            {
                if *cycle == p.cycle {
                    ci.execute(params![
                        key_result.to_string(),
                        effective_at.timestamp(),
                        value
                    ])
                    .unwrap();
                }
            }
        }
    }
    tx.commit().expect("commit");
    db
}

/// The flat arrays of the single-thread floor (see the module docs).
struct Floor {
    /// Per key result: objective index, weight, attainment in ppm (clamped to 0..=1e6).
    krs: Vec<(u32, u32, i32)>,
    /// Per objective: unit index, weight.
    objs: Vec<(u32, u32)>,
    /// Per unit, deepest first: its own index and its parent's (`u32::MAX` for none).
    units: Vec<(u32, u32)>,
}

impl Floor {
    fn of(state: &State, cycle: CycleId) -> Floor {
        let c = &state.cycles[&cycle];
        let unit_ix: std::collections::HashMap<_, u32> = state
            .units
            .keys()
            .enumerate()
            .map(|(i, u)| (*u, i as u32))
            .collect();
        let mut krs = Vec::with_capacity(c.key_results.len());
        let mut objs = Vec::with_capacity(c.objectives.len());
        for (oi, o) in c.objectives.values().enumerate() {
            objs.push((unit_ix.get(&o.unit).copied().unwrap_or(0), o.weight));
            for k in c.key_results_of(o.id) {
                let p = rollup::key_result(k).progress_ppm;
                krs.push((oi as u32, k.weight, p as i32));
            }
        }
        let depth = |mut u: Option<okr_core::UnitId>| {
            let mut d = 0;
            while let Some(x) = u {
                d += 1;
                u = state.units[&x].parent;
            }
            d
        };
        let mut units: Vec<(u32, u32, u32)> = state
            .units
            .values()
            .map(|u| {
                let parent = u.parent.map_or(u32::MAX, |p| unit_ix[&p]);
                (depth(u.parent), unit_ix[&u.id], parent)
            })
            .collect();
        units.sort_unstable_by(|a, b| b.cmp(a));
        Floor {
            krs,
            objs,
            units: units.into_iter().map(|(_, u, p)| (u, p)).collect(),
        }
    }

    /// One pass; returns the number of objectives behind `expected_ppm` and the total.
    fn run(&self, expected_ppm: i64) -> (usize, i64) {
        let mut obj_sums = vec![(0i64, 0u64); self.objs.len()];
        for &(o, w, a) in &self.krs {
            let s = &mut obj_sums[o as usize];
            s.0 += i64::from(a) * i64::from(w);
            s.1 += u64::from(w);
        }
        let mut unit_sums = vec![(0i64, 0u64); self.units.len()];
        let mut behind = 0;
        for (&(u, w), &(sum, weight)) in self.objs.iter().zip(&obj_sums) {
            if weight == 0 {
                continue;
            }
            let mean = sum / weight as i64;
            behind += usize::from(mean < expected_ppm);
            let s = &mut unit_sums[u as usize];
            s.0 += mean * i64::from(w);
            s.1 += u64::from(w);
        }
        for &(u, parent) in &self.units {
            if parent != u32::MAX {
                let own = unit_sums[u as usize];
                let p = &mut unit_sums[parent as usize];
                p.0 += own.0;
                p.1 += own.1;
            }
        }
        let total = unit_sums.iter().map(|s| s.0 / s.1.max(1) as i64).sum();
        (behind, total)
    }
}

const PEER_SQL: &str = "
WITH latest AS (
  SELECT c.key_result, c.value
  FROM check_ins c
  JOIN (SELECT key_result, MAX(effective_at) AS at FROM check_ins GROUP BY key_result) m
    ON m.key_result = c.key_result AND m.at = c.effective_at
),
kr AS (
  SELECT k.id, k.objective, k.weight,
         MIN(1.0, MAX(0.0, (COALESCE(l.value, k.baseline) - k.baseline) / (k.target - k.baseline))) AS p
  FROM key_results k LEFT JOIN latest l ON l.key_result = k.id
),
obj AS (
  SELECT o.id, o.unit, o.weight, SUM(kr.p * kr.weight) / SUM(kr.weight) AS p
  FROM objectives o JOIN kr ON kr.objective = o.id
  WHERE o.committed
  GROUP BY o.id
)
SELECT unit, SUM(p * weight) / SUM(weight) FROM obj GROUP BY unit";

fn benches(c: &mut Criterion) {
    for size in sizes() {
        let mut p = prepare(size);
        let name = size.to_string();
        let cycle = p.state.cycles[&p.cycle].clone();
        let at = cycle.end.and_hms_opt(12, 0, 0).unwrap().and_utc() - chrono::Duration::days(30);

        let mut g = c.benchmark_group("rollup_full");
        g.sample_size(10).measurement_time(Duration::from_secs(4));
        g.throughput(Throughput::Elements(size.key_results()));
        g.bench_function(format!("okr/{name}"), |b| {
            b.iter(|| {
                p.rollup.recompute();
                black_box(p.rollup.statuses(&cycle, at));
            })
        });
        let floor = Floor::of(&p.state, p.cycle);
        let expected = rollup::expected_ppm(&cycle, at);
        g.bench_function(format!("floor/{name}"), |b| {
            b.iter(|| black_box(floor.run(black_box(expected))))
        });
        drop(floor);
        if size != Size::XL || std::env::var_os("OKR_BENCH_PEER_XL").is_some() {
            let db = sqlite(&p);
            g.bench_function(format!("sqlite/{name}"), |b| {
                b.iter(|| {
                    let mut st = db.prepare_cached(PEER_SQL).unwrap();
                    let rows: Vec<(String, f64)> = st
                        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
                        .unwrap()
                        .map(Result::unwrap)
                        .collect();
                    black_box(rows)
                })
            });
        }
        g.finish();

        let mut g = c.benchmark_group("rollup_build");
        g.sample_size(10).measurement_time(Duration::from_secs(4));
        g.throughput(Throughput::Elements(size.key_results()));
        g.bench_function(format!("okr/{name}"), |b| {
            b.iter(|| black_box(Rollup::build(&p.state, p.cycle)))
        });
        if size <= Size::M {
            g.bench_function(format!("reference/{name}"), |b| {
                b.iter(|| black_box(rollup::cycle(&p.state.cycles[&p.cycle])))
            });
        }
        g.finish();

        // One check-in on a built rollup: a stream of later check-ins over all key results.
        let krs: Vec<_> = cycle.key_results.keys().copied().collect();
        let base = cycle.end.and_hms_opt(10, 0, 0).unwrap().and_utc();
        let mut i = 0usize;
        let mut g = c.benchmark_group("rollup_incremental");
        g.throughput(Throughput::Elements(1));
        g.bench_function(format!("check_in/{name}"), |b| {
            b.iter_batched(
                || {
                    i += 1;
                    Event {
                        at: base,
                        by: okr_core::PersonId::from_u128(1),
                        body: EventBody::CheckedIn {
                            cycle: p.cycle,
                            key_result: krs[(i * 7919) % krs.len()],
                            value: (i % 100) as f64,
                            confidence: (i % 11) as u8,
                            note: String::new(),
                            effective_at: base + chrono::Duration::seconds(i as i64),
                        },
                    }
                },
                |e| p.rollup.apply(black_box(&e)),
                BatchSize::SmallInput,
            )
        });
        g.finish();

        let policy = ScoringPolicy::parse("unbounded,kr-only,equal").unwrap();
        let mut g = c.benchmark_group("rescore");
        g.sample_size(10).measurement_time(Duration::from_secs(4));
        g.throughput(Throughput::Elements(size.key_results()));
        // The score table on the built rollup, as `rollup_full` measures `recompute` on it.
        g.bench_function(format!("okr/{name}"), |b| {
            b.iter(|| black_box(p.rollup.rescore(&policy).cycle()))
        });
        let with_children = ScoringPolicy::parse("with-children").unwrap();
        g.bench_function(format!("okr_with_children/{name}"), |b| {
            b.iter(|| black_box(p.rollup.rescore(&with_children).cycle()))
        });
        // What `okr rescore` and the rescore query run: index the cycle, score, and turn
        // the table into the maps of `CycleScores`.
        g.bench_function(format!("from_state/{name}"), |b| {
            b.iter(|| black_box(rollup::rescore(&p.state, p.cycle, &policy)))
        });
        // The reference: maps rebuilt from the cycle.
        g.bench_function(format!("reference/{name}"), |b| {
            b.iter(|| black_box(rollup::scores_with(&p.state.cycles[&p.cycle], &policy)))
        });
        g.finish();

        if size <= Size::L {
            let mut g = c.benchmark_group("fold");
            g.sample_size(10).measurement_time(Duration::from_secs(5));
            g.throughput(Throughput::Elements(p.events.len() as u64));
            g.bench_function(format!("apply/{name}"), |b| {
                // Dropping the state is not folding: it happens outside the measurement.
                b.iter_with_large_drop(|| {
                    let mut s = State::new();
                    for e in &p.events {
                        s.apply(e);
                    }
                    s
                })
            });
            g.finish();
        }
        let _ = p.size;
    }
}

criterion_group!(all, benches);
criterion_main!(all);
