//! okr: an event-sourced OKR cycle engine.
//!
//! This facade re-exports the pure domain of [`okr_core`]: commands, events, `decide`,
//! `State::apply`, rules, lints and rollups. Embedders in other languages use the C ABI of
//! `okr-ffi`; analysts use the `okr` command of `okr-cli`.
//!
//! ```
//! use okr::{CycleKind, Policy};
//! let practice = Policy::for_kind(CycleKind::Practice);
//! assert_eq!(practice.max_committed_objectives_per_unit, 1, "start with exactly one objective");
//! ```
#![forbid(unsafe_code)]

pub use okr_core::*;

/// The README's Rust snippets, compiled and run as doctests so the tour stays true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
