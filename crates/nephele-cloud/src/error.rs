//! The one error type of the API: every failure becomes a Synnefo fault body
//! `{"<faultName>": {"code", "message", "details"}}` with the matching status.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use nephele_model::quota::{over_limit_details, OverLimit};
use nephele_model::{Fault, FaultKind};

#[derive(Debug)]
pub enum ApiError {
    /// A Synnefo fault, rendered with `fault.code` as the status.
    Fault(Fault),
    /// 405 with the `Allow` header listing the methods the path supports.
    NotAllowed(&'static str),
    /// 304 for `changes-since` with nothing changed (no body).
    NotModified,
    /// Anything unexpected: logged, answered with a generic 500 fault.
    Internal(String),
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn bad_request(m: impl Into<String>) -> ApiError {
        ApiError::Fault(Fault::bad_request(m))
    }
    pub fn forbidden(m: impl Into<String>) -> ApiError {
        ApiError::Fault(Fault::forbidden(m))
    }
    pub fn not_found(m: impl Into<String>) -> ApiError {
        ApiError::Fault(Fault::not_found(m))
    }
    pub fn conflict(m: impl Into<String>) -> ApiError {
        ApiError::Fault(Fault::conflict(m))
    }
    pub fn unauthorized(m: impl Into<String>) -> ApiError {
        ApiError::Fault(Fault::unauthorized(m))
    }
    pub fn not_implemented(m: impl Into<String>) -> ApiError {
        ApiError::Fault(Fault::new(FaultKind::NotImplemented, m))
    }
    pub fn build_in_progress(m: impl Into<String>) -> ApiError {
        ApiError::Fault(Fault::new(FaultKind::BuildInProgress, m))
    }
    pub fn over_limit(message: impl Into<String>, details: impl Into<String>) -> ApiError {
        ApiError::Fault(Fault::new(FaultKind::OverLimit, message).with_details(details))
    }
    /// The quota refusal, worded as Astakos does (spec §4.3).
    pub fn quota(resource: &str, o: OverLimit) -> ApiError {
        ApiError::over_limit(
            "Resource Limit Exceeded for your account.",
            over_limit_details(resource, o),
        )
    }
    /// A body beyond the size limit.
    pub fn too_large(m: impl Into<String>) -> ApiError {
        ApiError::Fault(Fault {
            kind: FaultKind::Other("requestEntityTooLarge".into()),
            code: 413,
            message: m.into(),
            details: String::new(),
        })
    }
    /// A body that paused longer than `--body-timeout-secs`.
    pub fn request_timeout() -> ApiError {
        ApiError::Fault(Fault {
            kind: FaultKind::Other("requestTimeout".into()),
            code: 408,
            message: "The request body was not sent in time.".into(),
            details: String::new(),
        })
    }
    /// How Cyclades relays Astakos' refusal of a token (spec §4.1).
    pub fn invalid_token() -> ApiError {
        let inner = Fault::unauthorized("Invalid token");
        let details = serde_json::to_string(&inner).unwrap_or_default();
        ApiError::Fault(
            Fault::new(FaultKind::Fault, "UNAUTHORIZED").with_details(details).with_code(401),
        )
    }
}

trait WithCode {
    fn with_code(self, code: u16) -> Self;
}
impl WithCode for Fault {
    fn with_code(mut self, code: u16) -> Fault {
        self.code = code;
        self
    }
}

impl From<rusqlite::Error> for ApiError {
    fn from(e: rusqlite::Error) -> ApiError {
        ApiError::Internal(format!("database: {e}"))
    }
}

impl From<axum::extract::rejection::PathRejection> for ApiError {
    /// A path that does not decode (e.g. `%ff`, not UTF-8) is the client's mistake.
    fn from(e: axum::extract::rejection::PathRejection) -> ApiError {
        match e {
            axum::extract::rejection::PathRejection::FailedToDeserializePathParams(_) => {
                ApiError::bad_request("Invalid URL: the id is not valid UTF-8 text")
            }
            other => ApiError::Internal(format!("path: {other}")),
        }
    }
}

impl From<Fault> for ApiError {
    fn from(f: Fault) -> ApiError {
        ApiError::Fault(f)
    }
}

pub const JSON: &str = "application/json; charset=UTF-8";

/// A JSON answer with Synnefo's content type.
pub fn json_response(status: StatusCode, body: &impl serde::Serialize) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => (status, [(header::CONTENT_TYPE, HeaderValue::from_static(JSON))], bytes)
            .into_response(),
        Err(e) => ApiError::Internal(format!("serialize: {e}")).into_response(),
    }
}

fn fault_response(fault: &Fault) -> Response {
    let status = StatusCode::from_u16(fault.code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    json_response(status, fault)
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            ApiError::Fault(f) => fault_response(&f),
            ApiError::NotAllowed(allow) => {
                let mut r =
                    fault_response(&Fault::new(FaultKind::NotAllowed, "Method not allowed"));
                r.headers_mut().insert(header::ALLOW, HeaderValue::from_static(allow));
                r
            }
            ApiError::NotModified => StatusCode::NOT_MODIFIED.into_response(),
            ApiError::Internal(e) => {
                tracing::error!("internal error: {e}");
                fault_response(&Fault::new(FaultKind::InternalServerError, "Unexpected error"))
            }
        }
    }
}
