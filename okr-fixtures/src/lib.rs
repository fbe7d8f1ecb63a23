//! okr-fixtures: test, demo and benchmark data for okr, built as commands.
//!
//! ```
//! use okr_core::{execute, State};
//! use okr_fixtures::demo::Demo;
//! use okr_fixtures::workload::{Size, Workload, WorkloadSpec};
//!
//! // The two-year demo history (Total Digital, 2022-07 to 2024-06): every command is accepted in order.
//! let demo = Demo::build();
//! let mut state = State::new();
//! for command in &demo.commands {
//!     execute(&mut state, command).unwrap();
//! }
//! assert_eq!(state, demo.state);
//!
//! // A seeded workload of exactly 100 key results, the same for the same seed.
//! let spec = WorkloadSpec::size(Size::S, 42);
//! let state = Workload::state(spec.clone());
//! assert_eq!(state.cycles.values().next().unwrap().key_results.len(), 100);
//! assert_eq!(Workload::state(spec), state);
//! ```
//!
//! Two modules:
//!
//! - [`demo`]: a realistic, deterministic history of an intercommunal digitalisation project
//!   — six communes, a steering committee, two practice sprints and six quarters with
//!   check-ins, agreements, escalated blockers, reviews, retrospectives and carry-overs — and,
//!   on its own, the organisation set-up it starts with ([`demo::Organisation`]).
//! - [`workload`]: the seeded generator of S/M/L/XL workloads (100 to 1 000 000 key results),
//!   lazily, as commands or as the events `decide` makes of them.
//!
//! # Why a crate of its own
//!
//! okr-core is the pure domain contract: commands, events, `decide`, `State::apply`, rules,
//! lints and rollups, everything public there is what embedders rely on. Fixtures are not
//! part of that contract: they are data for tests, demos and benchmarks, carry their own
//! random number generator (ChaCha8) and change whenever a demo or a benchmark wants a
//! different story. They are used by the `okr` command (`okr demo`, `okr synth`), the
//! benchmarks, the `quarter` example and the tests of every crate. Keeping them here keeps
//! okr-core free of them and of their dependencies; okr-fixtures depends on okr-core only
//! (and okr-core never on it). Both stay pure: ids and times come from fixed numbers or a
//! seed, never from a clock.
#![forbid(unsafe_code)]

pub mod demo;
pub mod workload;
