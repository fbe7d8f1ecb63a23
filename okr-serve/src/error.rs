//! Error responses: every failure is `{"version":1,"code":N,"name":"..","message":".."}`
//! with the C ABI's code, and `rejection` for a refusal by the OKR rules.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use okr_wire::Code;
use schemars::JsonSchema;
use serde::Serialize;

/// The body of every error response.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ErrorBody {
    /// The message version: 1.
    pub version: u32,
    /// The C ABI's result code (e.g. 4 for INVALID_COMMAND, 5 for REJECTED); 0 for an error
    /// of HTTP itself (401, 403, 429).
    pub code: u32,
    /// The code's name (`INVALID_COMMAND`, `REJECTED`, …) or `UNAUTHORIZED`, `FORBIDDEN`,
    /// `RATE_LIMITED`.
    pub name: String,
    /// What was wrong and where, in English.
    pub message: String,
    /// For REJECTED: the rejection as the C ABI gives it (`schema/rejection.json`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rejection: Option<serde_json::Value>,
}

/// An error on its way to becoming a response.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    body: ErrorBody,
    retry_after: Option<u64>,
}

impl ApiError {
    fn http(status: StatusCode, name: &str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            body: ErrorBody {
                version: 1,
                code: 0,
                name: name.to_owned(),
                message: message.into(),
                rejection: None,
            },
            retry_after: None,
        }
    }

    /// 401: no token, or an unknown one.
    pub fn unauthorized(message: impl Into<String>) -> ApiError {
        ApiError::http(StatusCode::UNAUTHORIZED, "UNAUTHORIZED", message)
    }

    /// 403: the token may not do this (another organisation, another acting person).
    pub fn forbidden(message: impl Into<String>) -> ApiError {
        ApiError::http(StatusCode::FORBIDDEN, "FORBIDDEN", message)
    }

    /// 429: the token is over its request rate.
    pub fn rate_limited(token: &str, retry_after: u64) -> ApiError {
        let mut e = ApiError::http(
            StatusCode::TOO_MANY_REQUESTS,
            "RATE_LIMITED",
            format!("token `{token}` is over its request rate; retry in {retry_after} s"),
        );
        e.retry_after = Some(retry_after);
        e
    }

    /// The HTTP status of the error.
    pub fn status(&self) -> StatusCode {
        self.status
    }
}

/// The HTTP status for a code of the message layer.
pub fn status_of(code: Code) -> StatusCode {
    match code {
        Code::NullArgument
        | Code::InvalidUtf8
        | Code::MalformedJson
        | Code::InvalidCommand
        | Code::Version
        | Code::InvalidQuery
        | Code::InvalidOptions
        | Code::InvalidArgument
        | Code::Import => StatusCode::BAD_REQUEST,
        Code::Rejected => StatusCode::UNPROCESSABLE_ENTITY,
        Code::NotFound => StatusCode::NOT_FOUND,
        Code::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        Code::Conflict => StatusCode::CONFLICT,
        Code::Storage => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl From<okr_wire::Error> for ApiError {
    fn from(e: okr_wire::Error) -> ApiError {
        let rejection = (e.code == Code::Rejected)
            .then(|| serde_json::from_str::<serde_json::Value>(&e.message).ok())
            .flatten();
        let message = rejection
            .as_ref()
            .and_then(|r| r.get("message"))
            .and_then(|m| m.as_str())
            .map_or_else(|| e.message.clone(), str::to_owned);
        ApiError {
            status: status_of(e.code),
            body: ErrorBody {
                version: 1,
                code: e.code.number(),
                name: e.code.name().to_owned(),
                message,
                rejection,
            },
            retry_after: None,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::to_vec(&self.body).unwrap_or_default();
        let mut response = (
            self.status,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            body,
        )
            .into_response();
        if let Some(s) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(s));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}
