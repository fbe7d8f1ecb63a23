//! The OpenAPI 3.1 document, generated from the same Rust types as the C ABI's JSON
//! Schemas (schemars), with the schemas under `components/schemas`. It is served at
//! `/openapi.json` and committed as `okr-serve/openapi.json`; a test fails when they drift
//! (`OKR_BLESS=1 cargo test -p okr-serve` rewrites it).

use okr_wire::message::{
    Batch, BatchOutcome, CommandMessage, DryRun, EventsPage, ExecuteOutcome, Query, QueryResult,
    RejectionMessage, Versioned,
};
use schemars::gen::{SchemaGenerator, SchemaSettings};
use serde_json::{json, Map, Value};

use crate::error::ErrorBody;

/// The document as JSON.
pub fn document() -> Value {
    let mut settings = SchemaSettings::draft2019_09();
    settings.definitions_path = "#/components/schemas/".to_owned();
    settings.meta_schema = None;
    let mut gen = SchemaGenerator::new(settings);
    let mut named = Map::new();
    let mut add = |name: &str, schema: schemars::schema::Schema| {
        named.insert(
            name.to_owned(),
            serde_json::to_value(schema).unwrap_or(Value::Null),
        );
    };
    add("CommandMessage", gen.subschema_for::<CommandMessage>());
    add("BatchMessage", gen.subschema_for::<Versioned<Batch>>());
    add("Outcome", gen.subschema_for::<Versioned<ExecuteOutcome>>());
    add(
        "BatchOutcome",
        gen.subschema_for::<Versioned<BatchOutcome>>(),
    );
    add("Validation", gen.subschema_for::<Versioned<DryRun>>());
    add("QueryMessage", gen.subschema_for::<Versioned<Query>>());
    add(
        "QueryResult",
        gen.subschema_for::<Versioned<QueryResult<'static>>>(),
    );
    add("EventsPage", gen.subschema_for::<Versioned<EventsPage>>());
    add(
        "Rejection",
        gen.subschema_for::<Versioned<RejectionMessage>>(),
    );
    add("Error", gen.subschema_for::<ErrorBody>());
    let mut schemas: Map<String, Value> = gen
        .take_definitions()
        .into_iter()
        .map(|(k, v)| (k, serde_json::to_value(v).unwrap_or(Value::Null)))
        .collect();
    for (k, v) in named {
        // A top-level name refers to its generated definition (or is inline).
        schemas.entry(k).or_insert(v);
    }
    let r = |name: &str| json!({"$ref": format!("#/components/schemas/{name}")});
    let error = |description: &str| json!({"description": description, "content": {"application/json": {"schema": r("Error")}}});
    let ok = |description: &str, schema: &str| json!({"description": description, "content": {"application/json": {"schema": r(schema)}}});
    let org = json!({"name": "org", "in": "path", "required": true,
        "description": "The organisation; the token must belong to it.",
        "schema": {"type": "string"}});
    let errors = |extra: &[(&str, &str)]| {
        let mut m = Map::new();
        m.insert("400".into(), error("Invalid input: malformed JSON, a wrong field (its full path named), an unsupported version."));
        m.insert("401".into(), error("No token or an unknown one."));
        m.insert(
            "403".into(),
            error("The token belongs to another organisation or may not act for this person."),
        );
        m.insert(
            "408".into(),
            error("The request took longer than the configured timeout."),
        );
        m.insert(
            "409".into(),
            error("A command id already recorded for another command (another actor or body)."),
        );
        m.insert(
            "413".into(),
            error("The body, or a text inside it, is over a limit."),
        );
        m.insert(
            "429".into(),
            error("The token is over its request rate (see Retry-After)."),
        );
        m.insert("503".into(), error("The store failed."));
        for (code, d) in extra {
            m.insert((*code).into(), error(d));
        }
        Value::Object(m)
    };
    let with = |mut responses: Value, code: &str, v: Value| {
        responses[code] = v;
        responses
    };
    let post = |summary: &str, id: &str, body: &str, result: &str, extra: &[(&str, &str)]| {
        json!({
            "summary": summary,
            "operationId": id,
            "security": [{"bearer": []}],
            "parameters": [org.clone()],
            "requestBody": {"required": true, "content": {"application/json": {"schema": r(body)}}},
            "responses": with(errors(extra), "200", ok("Done.", result)),
        })
    };
    let rejected = (
        "422",
        "Refused by the OKR rules; `rejection` says which rule, field or right.",
    );
    let not_found = (
        "404",
        "An unknown cycle, a position beyond the end of the log.",
    );
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "okr serve",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "One okr store over HTTP/JSON. The messages are the C ABI's (same JSON Schemas); errors carry the C ABI's result codes. Commands are idempotent by command id: a retry returns the original outcome with `duplicate: true`. TLS belongs to a reverse proxy in front.",
        },
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "paths": {
            "/v1/orgs/{org}/commands": {"post": post(
                "Execute one command", "executeCommand", "CommandMessage", "Outcome", &[rejected])},
            "/v1/orgs/{org}/batches": {"post": post(
                "Execute commands as one all-or-nothing append", "executeBatch", "BatchMessage",
                "BatchOutcome", &[rejected])},
            "/v1/orgs/{org}/validate": {"post": post(
                "Decide a command without writing it (a dry run)", "validateCommand",
                "CommandMessage", "Validation", &[rejected])},
            "/v1/orgs/{org}/query": {"post": post(
                "Answer a query (state, position, cycles, cycle, rollup, scores, rescore, lints, history, as_of, report, stats)",
                "query", "QueryMessage", "QueryResult", &[not_found])},
            "/v1/orgs/{org}/events": {"get": {
                "summary": "Events from a position on, a page at a time; follow next_position",
                "operationId": "events",
                "security": [{"bearer": []}],
                "parameters": [org.clone(),
                    {"name": "from", "in": "query", "required": false, "description": "The cursor: 0 or a page's next_position.", "schema": {"type": "integer", "format": "uint64", "minimum": 0}},
                    {"name": "limit", "in": "query", "required": false, "description": "At most this many events (1 to 10000, default 100).", "schema": {"type": "integer", "minimum": 1, "maximum": 10000}}],
                "responses": with(errors(&[not_found]), "200", ok("A page of events.", "EventsPage")),
            }},
            "/v1/orgs/{org}/events/stream": {"get": {
                "summary": "Server-sent events: every event from `from` on (default: new ones), live; `id` is the position, a reconnect with Last-Event-ID resumes after it",
                "operationId": "eventStream",
                "security": [{"bearer": []}],
                "parameters": [org.clone(),
                    {"name": "from", "in": "query", "required": false, "schema": {"type": "integer", "format": "uint64", "minimum": 0}}],
                "responses": with(errors(&[not_found]), "200", json!({"description": "`text/event-stream` of events named `okr-event` whose data is one event record (as in EventsPage).", "content": {"text/event-stream": {"schema": {"type": "string"}}}})),
            }},
            "/health": {"get": {"summary": "Liveness", "operationId": "health", "security": [],
                "responses": {"200": {"description": "Serving.", "content": {"application/json": {"schema": {"type": "object", "properties": {"version": {"type": "integer"}, "status": {"type": "string"}}, "required": ["version", "status"]}}}}}}},
            "/version": {"get": {"summary": "Versions of the service and its messages", "operationId": "version", "security": [],
                "responses": {"200": {"description": "Versions.", "content": {"application/json": {"schema": {"type": "object", "properties": {"version": {"type": "integer"}, "okr": {"type": "string"}, "message_version": {"type": "integer"}}, "required": ["version", "okr", "message_version"]}}}}}}},
            "/openapi.json": {"get": {"summary": "This document", "operationId": "openapi", "security": [],
                "responses": {"200": {"description": "The OpenAPI 3.1 document.", "content": {"application/json": {"schema": {"type": "object"}}}}}}},
        },
    })
}

/// The document as pretty JSON with a trailing newline (the committed file's text).
pub fn rendered() -> String {
    let mut text = serde_json::to_string_pretty(&document()).unwrap_or_default();
    text.push('\n');
    text
}
