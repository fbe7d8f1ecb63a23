//! Upcasting: lifting old event payloads to the current schema when they are read.
//!
//! The store keeps events exactly as they were written. A higher layer registers one function
//! per `(event_type, from_schema_version)` that turns a payload of that version into one of
//! the next version, and runs [`Upcasters::upcast`] on each event it reads. Steps chain: an
//! event written at version 1 passes through the 1→2 and 2→3 functions if both exist.
//!
//! ```
//! use okr_store::upcast::Upcasters;
//! use serde_json::json;
//!
//! let mut upcasters = Upcasters::new();
//! // Version 2 of "ObjectiveAdded" renamed `name` to `title`.
//! upcasters.register("ObjectiveAdded", 1, |mut payload| {
//!     let name = payload
//!         .as_object_mut()
//!         .and_then(|o| o.remove("name"))
//!         .ok_or("missing field `name`")?;
//!     payload["title"] = name;
//!     Ok(payload)
//! });
//! let (version, payload) = upcasters
//!     .upcast_payload("ObjectiveAdded", 1, json!({"name": "Grow"}))
//!     .unwrap();
//! assert_eq!(version, 2);
//! assert_eq!(payload, json!({"title": "Grow"}));
//! ```

use std::collections::BTreeMap;
use std::fmt;

use serde_json::Value;

use crate::error::StoreError;
use crate::event::RecordedEvent;

/// One upcasting step: a payload of version `n` in, a payload of version `n + 1` out, or a
/// message saying why the payload cannot be lifted.
pub type UpcastFn = Box<dyn Fn(Value) -> Result<Value, String> + Send + Sync>;

/// A registry of upcasting steps keyed by event type and the schema version they lift from.
#[derive(Default)]
pub struct Upcasters {
    steps: BTreeMap<(String, u32), UpcastFn>,
}

impl fmt::Debug for Upcasters {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.steps.keys()).finish()
    }
}

impl Upcasters {
    /// An empty registry: every payload is current.
    pub fn new() -> Self {
        Upcasters::default()
    }

    /// Registers the step that lifts `event_type` payloads from `from_version` to
    /// `from_version + 1`, replacing any step registered for the same pair.
    pub fn register<F>(&mut self, event_type: impl Into<String>, from_version: u32, step: F)
    where
        F: Fn(Value) -> Result<Value, String> + Send + Sync + 'static,
    {
        self.steps
            .insert((event_type.into(), from_version), Box::new(step));
    }

    /// Lifts a payload through every registered step, returning the final schema version and
    /// payload. A payload with no step for its version is returned unchanged.
    pub fn upcast_payload(
        &self,
        event_type: &str,
        schema_version: u32,
        payload: Value,
    ) -> Result<(u32, Value), StoreError> {
        let mut version = schema_version;
        let mut payload = payload;
        // Each step raises the version by one, so the loop ends.
        while let Some(step) = self.steps.get(&(event_type.to_owned(), version)) {
            payload = step(payload).map_err(|detail| StoreError::Upcast {
                event_type: event_type.to_owned(),
                from_version: version,
                detail,
            })?;
            version = version.checked_add(1).ok_or_else(|| StoreError::Upcast {
                event_type: event_type.to_owned(),
                from_version: version,
                detail: "schema version overflows u32".to_owned(),
            })?;
        }
        Ok((version, payload))
    }

    /// Whether a step is registered for `event_type` payloads of `schema_version`.
    pub(crate) fn applies(&self, event_type: &str, schema_version: u32) -> bool {
        !self.steps.is_empty()
            && self
                .steps
                .contains_key(&(event_type.to_owned(), schema_version))
    }

    /// Lifts a recorded event's payload and sets its `schema_version` to the result's.
    pub fn upcast(&self, mut event: RecordedEvent) -> Result<RecordedEvent, StoreError> {
        let payload = std::mem::take(&mut event.payload);
        let (version, payload) =
            self.upcast_payload(&event.event_type, event.schema_version, payload)?;
        event.schema_version = version;
        event.payload = payload;
        Ok(event)
    }
}
