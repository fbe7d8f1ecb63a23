//! The fixtures: the demo history and the workload generator, and the okr-core properties
//! checked over them (event payloads, incremental rollup, weekly history, statistics).

mod demo;
mod rollup;
mod workload;
