//! [`ScanChunk`]: a run of stored events handed out by [`EventStore::scan`] as borrowed
//! [`EventView`]s.
//!
//! A chunk can be [split](ScanChunk::split) and its parts read on several threads: a backend
//! that keeps events in binary records (the sled store's record layout) hands out whole records,
//! and each part decodes its records' envelopes itself, so that a replay decodes in parallel
//! from the first byte on.
//!
//! [`EventStore::scan`]: crate::EventStore::scan

use crate::codec::Record;
use crate::error::StoreError;
use crate::event::EventView;

/// Stored events from the log, in order, borrowed from the store for the duration of one
/// call of the visitor of [`EventStore::scan`](crate::EventStore::scan).
#[derive(Debug, Clone, Copy)]
pub struct ScanChunk<'a> {
    inner: Inner<'a>,
}

#[derive(Debug, Clone, Copy)]
enum Inner<'a> {
    Views(&'a [EventView<'a>]),
    Records {
        /// Records in order: the position of their first event and their bytes.
        records: &'a [(u64, &'a [u8])],
        /// Only events in `from..=last` belong to the chunk.
        from: u64,
        last: u64,
        /// Where the records are, for errors: the store's path, say.
        location: &'a str,
    },
}

impl<'a> ScanChunk<'a> {
    /// A chunk of views the backend built (in global order).
    pub fn from_views(views: &'a [EventView<'a>]) -> Self {
        ScanChunk {
            inner: Inner::Views(views),
        }
    }

    /// A chunk of format-2 records (see `codec.rs`), of which the events in
    /// `from..=last` belong to the chunk. A record that does not decode is
    /// [`StoreError::Corrupt`] at `location (events/<key>)`.
    pub(crate) fn from_records(
        records: &'a [(u64, &'a [u8])],
        from: u64,
        last: u64,
        location: &'a str,
    ) -> Self {
        ScanChunk {
            inner: Inner::Records {
                records,
                from,
                last,
                location,
            },
        }
    }

    /// Splits the chunk into at most `parts` chunks of about the same size that together
    /// hold its events, in order.
    pub fn split(&self, parts: usize) -> Vec<ScanChunk<'a>> {
        fn halves<T>(items: &[T], parts: usize) -> std::slice::Chunks<'_, T> {
            items.chunks(items.len().div_ceil(parts.max(1)).max(1))
        }
        match self.inner {
            Inner::Views(views) => halves(views, parts).map(ScanChunk::from_views).collect(),
            Inner::Records {
                records,
                from,
                last,
                location,
            } => halves(records, parts)
                .map(|records| ScanChunk::from_records(records, from, last, location))
                .collect(),
        }
    }

    /// Calls `f` with every event of the chunk, in order. A stored record that does not
    /// decode is [`StoreError::Corrupt`].
    pub fn for_each<E: From<StoreError>>(
        &self,
        mut f: impl FnMut(&EventView<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
        match self.inner {
            Inner::Views(views) => views.iter().try_for_each(f),
            Inner::Records {
                records,
                from,
                last,
                location,
            } => {
                for (key, bytes) in records {
                    let corrupt = |detail: String| StoreError::Corrupt {
                        location: format!("{location} (events/{key})"),
                        detail,
                    };
                    let record = Record::new(bytes).map_err(corrupt)?;
                    let mut reader = record.reader(*key);
                    while let Some(view) = reader.next_event() {
                        let view =
                            view.map_err(|e| corrupt(format!("record does not decode: {e}")))?;
                        if (from..=last).contains(&view.global_position) {
                            f(&view)?;
                        }
                    }
                }
                Ok(())
            }
        }
    }
}
