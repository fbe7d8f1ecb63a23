//! Integration tests of okr-store: one binary (see matklad, "large Rust workspaces").

mod concurrency;
mod conformance;
mod engine;
mod engine_concurrency;
mod import;
mod integrity;
mod journal;
mod pg;
mod privacy;
mod scenario;
mod sled_store;
mod support;
mod upcast;
