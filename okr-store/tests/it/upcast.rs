//! The upcasting hook lifts old payloads on read.

use okr_store::{EventStore, MemoryStore, NewEvent, StoreError, Upcasters};
use serde_json::json;

use crate::support::{at, cmd, stream};

fn upcasters() -> Upcasters {
    let mut upcasters = Upcasters::new();
    // v2 of KeyResultAdded split `range: "0..100"` into `start` and `target`.
    upcasters.register("KeyResultAdded", 1, |mut payload| {
        let range = payload
            .get("range")
            .and_then(|r| r.as_str())
            .ok_or("missing `range`")?
            .to_owned();
        let (start, target) = range.split_once("..").ok_or("`range` has no `..`")?;
        let object = payload.as_object_mut().ok_or("payload is not an object")?;
        object.remove("range");
        object.insert(
            "start".into(),
            json!(start.parse::<f64>().map_err(|e| e.to_string())?),
        );
        object.insert(
            "target".into(),
            json!(target.parse::<f64>().map_err(|e| e.to_string())?),
        );
        Ok(payload)
    });
    upcasters
}

#[test]
fn v1_payload_read_from_store_is_lifted_to_v2() {
    let store = MemoryStore::new();
    let s = stream("cycle-1");
    let v1 = NewEvent::new(
        "KeyResultAdded",
        1,
        json!({"title": "NPS", "range": "10..50"}),
        "ada",
        at(),
    );
    store
        .append(&s, okr_store::ExpectedVersion::NoStream, cmd(1), vec![v1])
        .unwrap();

    let stored = store.read_stream(&s, 0).unwrap().remove(0);
    assert_eq!(stored.schema_version, 1, "the store keeps what was written");

    let lifted = upcasters().upcast(stored.clone()).unwrap();
    assert_eq!(lifted.schema_version, 2);
    assert_eq!(
        lifted.payload,
        json!({"title": "NPS", "start": 10.0, "target": 50.0})
    );
    assert_eq!(lifted.event_id, stored.event_id);
}

#[test]
fn current_and_unknown_payloads_pass_unchanged() {
    let upcasters = upcasters();
    let payload = json!({"title": "NPS", "start": 1.0, "target": 2.0});
    assert_eq!(
        upcasters
            .upcast_payload("KeyResultAdded", 2, payload.clone())
            .unwrap(),
        (2, payload.clone())
    );
    assert_eq!(
        upcasters
            .upcast_payload("Other", 1, payload.clone())
            .unwrap(),
        (1, payload)
    );
}

#[test]
fn steps_chain_and_failures_name_the_step() {
    let mut upcasters = upcasters();
    upcasters.register("KeyResultAdded", 2, |mut payload| {
        payload["unit"] = json!("%");
        Ok(payload)
    });
    let (version, payload) = upcasters
        .upcast_payload("KeyResultAdded", 1, json!({"range": "0..1"}))
        .unwrap();
    assert_eq!(version, 3);
    assert_eq!(payload, json!({"start": 0.0, "target": 1.0, "unit": "%"}));

    let err = upcasters
        .upcast_payload("KeyResultAdded", 1, json!({"title": "no range"}))
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::Upcast { event_type, from_version: 1, detail }
            if event_type == "KeyResultAdded" && detail.contains("range")),
        "{err:?}"
    );
}
