//! okr-serve: `okr serve`, one okr store behind HTTP/JSON for many processes (a PHP-FPM
//! pool, several intranet services) that cannot share an embedded store.
//!
//! It speaks the C ABI's messages (`okr-wire`, the same JSON Schemas) under
//! `/v1/orgs/{org}/…`: commands (single and batch, idempotent by command id), a dry run, every
//! query (report and stats included), events by cursor and as server-sent events; `/health`,
//! `/version` and `/openapi.json` (OpenAPI 3.1, generated from the same types, see
//! [`openapi`]). Bearer tokens from the configuration file ([`config`]) are stored as SHA-256
//! hashes; each names its organisation and whether it may act for any person or only one; the
//! engine's own authorization then applies to the acting person. Limits: body size, requests
//! per second per token, a timeout per request. Logs are JSON lines from `tracing` on stderr
//! (`OKR_LOG=debug` for more). On SIGINT or SIGTERM the server stops taking connections,
//! finishes the requests in flight, flushes the store and returns: every command that was
//! answered is in the store. TLS belongs to a reverse proxy in front.
//!
//! The crate is a library so that okr-ffi and okr-store stay free of an async runtime; the
//! `okr` binary opens the store (with the same function as every other `okr` command) and
//! hands it to [`serve`].
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod api;
pub mod auth;
pub mod config;
pub mod error;
pub mod openapi;

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

use okr_store::Engine;
use tokio::net::TcpListener;
use tokio::sync::watch;

pub use config::{hash_token, Config, ConfigError};

/// Serves `engines` (organisation → engine) on `listener` until `shutdown` completes, then
/// finishes the requests in flight and flushes every engine. The caller keeps nothing: the
/// engines are dropped (and their stores closed) when this returns.
pub async fn serve(
    listener: TcpListener,
    config: &Config,
    engines: HashMap<String, Engine>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (stop_tx, stop_rx) = watch::channel(false);
    let engines: HashMap<String, Arc<Engine>> =
        engines.into_iter().map(|(k, v)| (k, Arc::new(v))).collect();
    let app = Arc::new(api::App {
        engines: engines.clone(),
        tokens: auth::Tokens::new(&config.tokens, &config.limits),
        shutdown: stop_rx,
    });
    let router = api::router(Arc::clone(&app), &config.limits);
    tracing::info!(address = %listener.local_addr()?, "okr serve listening");
    axum::serve(listener, router)
        .with_graceful_shutdown(async move {
            shutdown.await;
            tracing::info!("shutting down: finishing the requests in flight");
            let _ = stop_tx.send(true);
        })
        .await?;
    drop(app);
    for (org, engine) in engines {
        let flushed = tokio::task::spawn_blocking(move || engine.flush()).await;
        match flushed {
            Ok(Ok(())) => tracing::info!(organisation = %org, "store flushed"),
            Ok(Err(e)) => tracing::error!(organisation = %org, error = %e, "flush failed"),
            Err(e) => tracing::error!(organisation = %org, error = %e, "flush failed"),
        }
    }
    tracing::info!("okr serve stopped");
    Ok(())
}

/// Completes on SIGINT (Ctrl-C) or, on Unix, SIGTERM.
pub async fn signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

/// Starts the JSON log on stderr (level from `OKR_LOG`, default `info`).
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("OKR_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// Runs the server on a new multi-threaded runtime until SIGINT/SIGTERM: what `okr serve`
/// does. Prints `listening on <address>` on stdout once bound (port 0 picks a free port).
pub fn run(config: &Config, engines: HashMap<String, Engine>) -> std::io::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let listener = TcpListener::bind(config.listen).await?;
        println!("listening on {}", listener.local_addr()?);
        use std::io::Write;
        let _ = std::io::stdout().flush();
        serve(listener, config, engines, signal()).await
    })
}
