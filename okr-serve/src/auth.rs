//! Bearer tokens, organisations, acting persons and the request rate per token.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use axum::http::{header, HeaderMap};
use okr_core::PersonId;

use crate::config::{hash_token, ActsFor, Limits, TokenConfig};
use crate::error::ApiError;

/// Who a request comes from: a configured token.
#[derive(Debug, Clone)]
pub struct Principal {
    /// The token's name (for logs).
    pub name: String,
    /// The organisation it may use.
    pub organisation: String,
    /// For whom it may act.
    pub acts_for: ActsFor,
}

impl Principal {
    /// Refuses a command whose acting person this token may not act for (403). The engine's
    /// own authorization then applies to the person it names.
    pub fn may_act_as(&self, actor: PersonId, at: &str) -> Result<(), ApiError> {
        match self.acts_for {
            ActsFor::Any => Ok(()),
            ActsFor::Person(p) if p == actor => Ok(()),
            ActsFor::Person(p) => Err(ApiError::forbidden(format!(
                "{at}: token `{}` acts only for person {}, not for {}",
                self.name, p.0, actor.0
            ))),
        }
    }
}

struct Bucket {
    tokens: f64,
    last: Instant,
}

/// The tokens of the configuration, by hash, and a token bucket per token.
pub struct Tokens {
    by_hash: HashMap<String, Principal>,
    rate: f64,
    burst: f64,
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl Tokens {
    /// The configured tokens under the configured limits.
    pub fn new(tokens: &[TokenConfig], limits: &Limits) -> Tokens {
        let by_hash = tokens
            .iter()
            .map(|t| {
                (
                    t.sha256.to_ascii_lowercase(),
                    Principal {
                        name: t.name.clone(),
                        organisation: t.organisation.clone(),
                        acts_for: t.acts_for,
                    },
                )
            })
            .collect();
        Tokens {
            by_hash,
            rate: limits.requests_per_second,
            burst: limits.burst,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// The principal of a request for `organisation`: 401 without a known bearer token, 403
    /// when the token belongs to another organisation, 429 when the token is over its rate.
    pub fn authorize(
        &self,
        headers: &HeaderMap,
        organisation: &str,
    ) -> Result<Principal, ApiError> {
        let value = headers.get(header::AUTHORIZATION).ok_or_else(|| {
            ApiError::unauthorized("no Authorization header; send `Authorization: Bearer <token>`")
        })?;
        let token = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                ApiError::unauthorized("the Authorization header is not `Bearer <token>`")
            })?;
        let principal = self
            .by_hash
            .get(&hash_token(token))
            .ok_or_else(|| ApiError::unauthorized("unknown token"))?;
        if principal.organisation != organisation {
            return Err(ApiError::forbidden(format!(
                "token `{}` belongs to organisation `{}`, not `{organisation}`",
                principal.name, principal.organisation
            )));
        }
        self.take(&principal.name)?;
        Ok(principal.clone())
    }

    /// Takes one request from the token's bucket, or says when to retry.
    fn take(&self, name: &str) -> Result<(), ApiError> {
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let bucket = buckets.entry(name.to_owned()).or_insert(Bucket {
            tokens: self.burst,
            last: now,
        });
        let elapsed = now.duration_since(bucket.last).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.rate).min(self.burst);
        bucket.last = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            let wait = ((1.0 - bucket.tokens) / self.rate).ceil().max(1.0) as u64;
            Err(ApiError::rate_limited(name, wait))
        }
    }
}
