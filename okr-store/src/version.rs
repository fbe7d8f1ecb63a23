//! [`ExpectedVersion`]: what an append expects of its stream.
//!
//! A stream's *version* is the number of events it holds, as in okr-core
//! ([`okr_core::State::stream_version`] and the envelope's `expected_version`): a stream
//! without events has version 0, and the event appended to a stream of version `n` is
//! recorded with `stream_version` `n`.

use std::fmt;

use serde::{Deserialize, Serialize};

/// What the caller believes about a stream's version before appending (optimistic
/// concurrency).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExpectedVersion {
    /// No check: append whatever the stream's state.
    Any,
    /// The stream must have no events yet (the same as `Exact(0)`).
    NoStream,
    /// The stream must hold exactly this many events.
    Exact(u64),
}

impl fmt::Display for ExpectedVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExpectedVersion::Any => f.write_str("any version"),
            ExpectedVersion::NoStream => f.write_str("no stream"),
            ExpectedVersion::Exact(n) => write!(f, "version {n} ({})", events(*n)),
        }
    }
}

/// `n` events, spelled out.
pub(crate) fn events(n: u64) -> String {
    match n {
        1 => "1 event".to_owned(),
        n => format!("{n} events"),
    }
}

impl ExpectedVersion {
    /// Whether a stream of version `version` (its number of events) satisfies this
    /// expectation.
    pub fn matches(self, version: u64) -> bool {
        match self {
            ExpectedVersion::Any => true,
            ExpectedVersion::NoStream => version == 0,
            ExpectedVersion::Exact(n) => version == n,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_count_events() {
        assert!(ExpectedVersion::NoStream.matches(0));
        assert!(ExpectedVersion::Exact(0).matches(0));
        assert!(!ExpectedVersion::Exact(1).matches(0));
        assert!(ExpectedVersion::Exact(3).matches(3));
        assert!(ExpectedVersion::Any.matches(7));
        assert_eq!(ExpectedVersion::Exact(1).to_string(), "version 1 (1 event)");
    }
}
