//! Integration tests of okr-store: one binary (see matklad, "large Rust workspaces").

mod concurrency;
mod conformance;
mod sled_store;
mod support;
mod upcast;
