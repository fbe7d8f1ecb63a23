//! The routes and their handlers.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use futures_util::stream::Stream;
use okr_store::Engine;
use okr_wire::run;
use serde::Deserialize;
use tokio::sync::{mpsc, watch};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::auth::{Principal, Tokens};
use crate::config::Limits;
use crate::error::ApiError;

/// Everything the handlers share.
pub struct App {
    /// The engines by organisation.
    pub engines: HashMap<String, Arc<Engine>>,
    /// The tokens and their buckets.
    pub tokens: Tokens,
    /// Flips to `true` when the server shuts down; event streams end then.
    pub shutdown: watch::Receiver<bool>,
}

impl App {
    fn open(&self, headers: &HeaderMap, org: &str) -> Result<(Principal, Arc<Engine>), ApiError> {
        let who = self.tokens.authorize(headers, org)?;
        let engine = self.engines.get(org).cloned().ok_or_else(|| {
            ApiError::from(okr_wire::Error::new(
                okr_wire::Code::NotFound,
                format!("organisation `{org}` is not served here"),
            ))
        })?;
        Ok((who, engine))
    }
}

/// The router: the API under `/v1/orgs/{org}/…`, and `/health`, `/version`,
/// `/openapi.json` without a token.
pub fn router(app: Arc<App>, limits: &Limits) -> Router {
    let timed = Router::new()
        .route("/v1/orgs/{org}/commands", post(command))
        .route("/v1/orgs/{org}/batches", post(batch))
        .route("/v1/orgs/{org}/validate", post(validate))
        .route("/v1/orgs/{org}/query", post(query))
        .route("/v1/orgs/{org}/events", get(events))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(limits.timeout_seconds),
        ));
    Router::new()
        .merge(timed)
        .route("/v1/orgs/{org}/events/stream", get(stream))
        .route("/health", get(health))
        .route("/version", get(version))
        .route("/openapi.json", get(openapi))
        .layer(DefaultBodyLimit::max(limits.body_bytes))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(DefaultMakeSpan::new().level(Level::INFO))
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .with_state(app)
}

fn json(bytes: Vec<u8>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        bytes,
    )
        .into_response()
}

/// Runs blocking engine work off the async threads.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, okr_wire::Error> + Send + 'static,
) -> Result<T, ApiError> {
    match tokio::task::spawn_blocking(f).await {
        Ok(r) => r.map_err(ApiError::from),
        Err(e) => Err(ApiError::from(okr_wire::Error::new(
            okr_wire::Code::Internal,
            format!("the request's work failed: {e}"),
        ))),
    }
}

const BODY: &str = "the request body";

async fn command(
    State(app): State<Arc<App>>,
    Path(org): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let (who, engine) = app.open(&headers, &org)?;
    let command = okr_wire::parse::command(&body, BODY)?;
    who.may_act_as(command.envelope.actor, "envelope.actor")?;
    let id = command.envelope.command_id;
    let outcome = blocking(move || run::execute(&engine, &command)).await?;
    tracing::info!(token = %who.name, organisation = %org, command_id = %id,
        duplicate = outcome.body.duplicate, events = outcome.body.events.len(), "command");
    Ok(json(run::encode(&outcome)?))
}

async fn batch(
    State(app): State<Arc<App>>,
    Path(org): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let (who, engine) = app.open(&headers, &org)?;
    let commands = okr_wire::parse::batch(&body, BODY)?;
    for (i, c) in commands.iter().enumerate() {
        who.may_act_as(c.envelope.actor, &format!("commands[{i}].envelope.actor"))?;
    }
    let n = commands.len();
    let outcome = blocking(move || run::execute_batch(&engine, &commands)).await?;
    tracing::info!(token = %who.name, organisation = %org, commands = n, "batch");
    Ok(json(run::encode(&outcome)?))
}

async fn validate(
    State(app): State<Arc<App>>,
    Path(org): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let (who, engine) = app.open(&headers, &org)?;
    let command = okr_wire::parse::command(&body, BODY)?;
    who.may_act_as(command.envelope.actor, "envelope.actor")?;
    let dry = blocking(move || run::validate(&engine, &command)).await?;
    Ok(json(run::encode(&dry)?))
}

async fn query(
    State(app): State<Arc<App>>,
    Path(org): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let (_, engine) = app.open(&headers, &org)?;
    let q = okr_wire::parse::query(&body, BODY)?;
    let answer = blocking(move || run::answer(&engine, q)).await?;
    Ok(json(answer))
}

/// The cursor of `GET …/events`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventsParams {
    /// The position to read from: 0 or a page's `next_position` (default 0).
    #[serde(default)]
    pub from: u64,
    /// At most this many events (default 100, at most 10 000).
    #[serde(default = "default_limit")]
    pub limit: usize,
}

fn default_limit() -> usize {
    100
}

async fn events(
    State(app): State<Arc<App>>,
    Path(org): Path<String>,
    headers: HeaderMap,
    params: Result<Query<EventsParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let (_, engine) = app.open(&headers, &org)?;
    let Query(p) = params.map_err(|e| bad_parameter(&e.body_text()))?;
    let page = blocking(move || run::events_page(&engine, p.from, p.limit)).await?;
    Ok(json(run::encode(&page)?))
}

fn bad_parameter(text: &str) -> ApiError {
    ApiError::from(okr_wire::Error::new(
        okr_wire::Code::InvalidArgument,
        format!("invalid query string: {text}"),
    ))
}

/// Where `GET …/events/stream` starts.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StreamParams {
    /// The position to start from (default: the next event, i.e. only new ones). A
    /// `Last-Event-ID` header (a reconnect) overrides it with the position after that id.
    #[serde(default)]
    pub from: Option<u64>,
}

async fn stream(
    State(app): State<Arc<App>>,
    Path(org): Path<String>,
    headers: HeaderMap,
    params: Result<Query<StreamParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>, ApiError> {
    let (who, engine) = app.open(&headers, &org)?;
    let Query(p) = params.map_err(|e| bad_parameter(&e.body_text()))?;
    let resume = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(|id| id.saturating_add(1));
    let next = engine.next_position();
    let from = resume.or(p.from).unwrap_or(next);
    if from > next {
        return Err(ApiError::from(okr_wire::Error::new(
            okr_wire::Code::NotFound,
            format!("position {from} is beyond the end of the log (the next event gets position {next})"),
        )));
    }
    let sub = engine.subscribe(from).map_err(okr_wire::Error::from)?;
    let (tx, rx) = mpsc::channel::<SseEvent>(256);
    let mut shutdown = app.shutdown.clone();
    tracing::info!(token = %who.name, organisation = %org, from, "event stream opened");
    // The engine's subscription blocks; a blocking thread forwards it until the client goes
    // away, the engine is dropped or the server shuts down.
    tokio::task::spawn_blocking(move || loop {
        if *shutdown.borrow_and_update() {
            return;
        }
        match sub.recv_timeout(Duration::from_millis(250)) {
            Ok(recorded) => {
                let event = match run::records(std::slice::from_ref(&recorded)) {
                    Ok(mut r) => match serde_json::to_string(&r.remove(0)) {
                        Ok(data) => SseEvent::default()
                            .id(recorded.global_position.to_string())
                            .event("okr-event")
                            .data(data),
                        Err(_) => return,
                    },
                    Err(e) => SseEvent::default().event("okr-error").data(e.message),
                };
                if tx.blocking_send(event).is_err() {
                    return;
                }
            }
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                if tx.is_closed() {
                    return;
                }
            }
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => return,
        }
    });
    let stop = app.shutdown.clone();
    let stream = futures_util::stream::unfold((rx, stop), |(mut rx, mut stop)| async move {
        let next = tokio::select! {
            e = rx.recv() => e,
            _ = stop.wait_for(|s| *s) => None,
        };
        next.map(|e| (Ok(e), (rx, stop)))
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

async fn health(State(app): State<Arc<App>>) -> Response {
    let ok = !app.engines.is_empty();
    let body = serde_json::json!({"version": 1, "status": if ok { "ok" } else { "no store" }});
    let status = if ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, json(body.to_string().into_bytes())).into_response()
}

async fn version() -> Response {
    json(
        serde_json::json!({
            "version": 1,
            "okr": env!("CARGO_PKG_VERSION"),
            "message_version": okr_wire::parse::MESSAGE_VERSION,
        })
        .to_string()
        .into_bytes(),
    )
}

async fn openapi() -> Response {
    json(crate::openapi::rendered().into_bytes())
}
