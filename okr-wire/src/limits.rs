//! The size limits every way in enforces (C ABI, `okr apply`, `okr serve`). A message over a
//! limit is refused with [`crate::Code::TooLarge`] before anything is decided or written.

/// The largest command or query message, in bytes (1 MiB).
pub const MAX_MESSAGE_BYTES: usize = 1 << 20;

/// The largest batch message, in bytes (16 MiB).
pub const MAX_BATCH_BYTES: usize = 16 << 20;

/// The most commands one batch may carry.
pub const MAX_BATCH_COMMANDS: usize = 10_000;

/// The longest text inside a command (a title, a name, a note, a reason, ...): every JSON
/// string of a command, counted in characters (Unicode scalar values).
pub const MAX_TEXT_CHARS: usize = 10_000;

/// The most events one page of `events_since` (or one poll of a subscription, or one
/// `GET /v1/events`) returns; asking for more returns this many.
pub const MAX_PAGE_EVENTS: usize = 10_000;
