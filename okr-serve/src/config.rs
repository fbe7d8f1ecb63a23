//! The configuration file of `okr serve` (TOML) and token hashing.

use std::net::SocketAddr;
use std::path::Path;

use okr_core::PersonId;
use serde::Deserialize;
use sha2::{Digest, Sha256};

/// The whole configuration file.
///
/// ```toml
/// listen = "127.0.0.1:8080"
/// store = "okr.db"            # the store: a path (sled)
/// organisation = "kreis-a"    # the organisation that store holds (default "default")
/// durability = "sync"         # "sync" (default), "periodic:<ms>" or "none"
///
/// [limits]
/// body_bytes = 16777216       # largest request body
/// requests_per_second = 200   # per token, sustained
/// burst = 400                 # per token, at once
/// timeout_seconds = 30        # per request (the event stream excepted)
///
/// [[tokens]]
/// name = "intranet"           # shown in logs, never the token itself
/// sha256 = "9f86d081884c7d65…"  # SHA-256 of the token, hex (`okr serve --hash-token`)
/// organisation = "kreis-a"
/// acts_for = "any"            # or one person's UUID: commands must name that actor
/// ```
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Address and port to listen on (default `127.0.0.1:8080`; port 0 picks a free one).
    #[serde(default = "default_listen")]
    pub listen: SocketAddr,
    /// The store to open (a directory path for sled).
    pub store: String,
    /// The organisation the store holds; tokens name it.
    #[serde(default = "default_organisation")]
    pub organisation: String,
    /// `sync` (default), `periodic:<ms>` or `none`.
    #[serde(default)]
    pub durability: Option<String>,
    /// Limits per request and per token.
    #[serde(default)]
    pub limits: Limits,
    /// The bearer tokens that may use the service.
    #[serde(default)]
    pub tokens: Vec<TokenConfig>,
}

fn default_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 8080))
}

fn default_organisation() -> String {
    "default".to_owned()
}

/// Limits of the service.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// The largest request body in bytes (default 16 MiB, the size of the largest batch);
    /// each message kind is further limited by `okr_wire::limits`.
    pub body_bytes: usize,
    /// Requests per second a token may make, sustained (default 200).
    pub requests_per_second: f64,
    /// Requests a token may make at once before the rate applies (default 400).
    pub burst: f64,
    /// Seconds a request may take before it is answered 408 (default 30); the event stream
    /// is exempt.
    pub timeout_seconds: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            body_bytes: okr_wire::limits::MAX_BATCH_BYTES + 1024,
            requests_per_second: 200.0,
            burst: 400.0,
            timeout_seconds: 30,
        }
    }
}

/// One bearer token.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenConfig {
    /// A name for logs.
    pub name: String,
    /// The SHA-256 of the token, as 64 hex digits.
    pub sha256: String,
    /// The organisation the token may use.
    pub organisation: String,
    /// `"any"`: commands may name any acting person (the engine's authorization still
    /// applies to that person); a person's UUID: only that person.
    pub acts_for: ActsFor,
}

/// For whom a token may act.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActsFor {
    /// Any person.
    Any,
    /// Only this person.
    Person(PersonId),
}

impl<'de> Deserialize<'de> for ActsFor {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<ActsFor, D::Error> {
        let s = String::deserialize(d)?;
        if s == "any" {
            return Ok(ActsFor::Any);
        }
        s.parse::<uuid::Uuid>()
            .map(|u| ActsFor::Person(PersonId(u)))
            .map_err(|_| {
                serde::de::Error::custom(format!(
                    "acts_for is `{s}`: write \"any\" or a person's UUID"
                ))
            })
    }
}

/// A configuration that cannot be used.
#[derive(Debug)]
pub struct ConfigError(pub String);

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    /// Reads and checks a configuration file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError(format!("{}: cannot read: {e}", path.display())))?;
        Config::parse(&text)
            .map_err(|ConfigError(m)| ConfigError(format!("{}: {m}", path.display())))
    }

    /// Parses and checks configuration text.
    pub fn parse(text: &str) -> Result<Config, ConfigError> {
        let config: Config = toml::from_str(text).map_err(|e| ConfigError(e.to_string()))?;
        config.check()?;
        Ok(config)
    }

    fn check(&self) -> Result<(), ConfigError> {
        if self.tokens.is_empty() {
            return Err(ConfigError(
                "no [[tokens]]: every request but /health, /version and /openapi.json needs a token".to_owned(),
            ));
        }
        for (i, t) in self.tokens.iter().enumerate() {
            let at = format!("tokens[{i}] ({})", t.name);
            if t.sha256.len() != 64 || !t.sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(ConfigError(format!(
                    "{at}: sha256 must be 64 hex digits (the SHA-256 of the token; `okr serve --hash-token` prints it)"
                )));
            }
            if t.organisation != self.organisation {
                return Err(ConfigError(format!(
                    "{at}: organisation `{}` is not served here (this store holds `{}`)",
                    t.organisation, self.organisation
                )));
            }
        }
        let l = &self.limits;
        if !(l.requests_per_second > 0.0) || !(l.burst >= 1.0) || l.timeout_seconds == 0 {
            return Err(ConfigError(
                "limits: requests_per_second must be above 0, burst at least 1, timeout_seconds at least 1".to_owned(),
            ));
        }
        Ok(())
    }
}

/// The SHA-256 of a token as 64 lowercase hex digits, as the configuration stores it.
pub fn hash_token(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
