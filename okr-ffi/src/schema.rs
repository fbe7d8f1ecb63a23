//! JSON Schemas of the ABI's messages, generated from the Rust types with schemars.
//!
//! The files under `okr-ffi/schema/` are these schemas, committed; a test regenerates them
//! and fails when they drift (`OKR_BLESS=1 cargo test -p okr-ffi` rewrites them).

use schemars::schema::RootSchema;
use schemars::schema_for;

use crate::message::{
    Batch, BatchOutcome, CommandMessage, DryRun, EventsPage, ExecuteOutcome, OpenOptions, Query,
    QueryResult, RejectionMessage, Versioned,
};

/// Every schema as `(file name, schema)`, e.g. `("command.json", ..)`.
pub fn all() -> Vec<(&'static str, RootSchema)> {
    vec![
        ("command.json", schema_for!(CommandMessage)),
        ("batch.json", schema_for!(Versioned<Batch>)),
        ("event.json", schema_for!(okr_core::Event)),
        ("outcome.json", schema_for!(Versioned<ExecuteOutcome>)),
        ("batch_outcome.json", schema_for!(Versioned<BatchOutcome>)),
        ("query.json", schema_for!(Versioned<Query>)),
        (
            "query_result.json",
            schema_for!(Versioned<QueryResult<'static>>),
        ),
        ("events_page.json", schema_for!(Versioned<EventsPage>)),
        ("rejection.json", schema_for!(Versioned<RejectionMessage>)),
        ("options.json", schema_for!(Versioned<OpenOptions>)),
        ("validation.json", schema_for!(Versioned<DryRun>)),
        (
            "verify.json",
            schema_for!(Versioned<okr_store::VerifyReport>),
        ),
    ]
}

/// Every schema as `(file name, pretty JSON text with a trailing newline)`.
pub fn rendered() -> Vec<(&'static str, String)> {
    all()
        .into_iter()
        .map(|(name, schema)| {
            let mut text = serde_json::to_string_pretty(&schema)
                .unwrap_or_else(|e| unreachable!("a schema always encodes: {e}"));
            text.push('\n');
            (name, text)
        })
        .collect()
}
