//! Synnefo's error bodies: `{"<faultName>": {"code": N, "message": "…", "details": "…"}}`.
//!
//! The server renders [`Fault`] and the portal parses it back (together with the
//! `fault` wrapper Cyclades puts around Astakos' errors and Neutron's
//! `NeutronError` spelling), so both sides agree on one shape.

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde::Deserialize;
use serde_json::Value;

/// The fault names Synnefo uses (`snf_django/lib/api/faults.py`), each with its status.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FaultKind {
    NotModified,
    BadRequest,
    Unauthorized,
    Forbidden,
    ItemNotFound,
    NotAllowed,
    Conflict,
    BuildInProgress,
    OverLimit,
    BadMediaType,
    InternalServerError,
    NotImplemented,
    ServiceUnavailable,
    /// The generic wrapper around errors relayed from Astakos.
    Fault,
    /// Any other name (Neutron's `type`, or a fault this portal does not know yet).
    Other(String),
}

impl FaultKind {
    /// The JSON key the fault is rendered under.
    pub fn name(&self) -> &str {
        match self {
            FaultKind::NotModified => "notModified",
            FaultKind::BadRequest => "badRequest",
            FaultKind::Unauthorized => "unauthorized",
            FaultKind::Forbidden => "forbidden",
            FaultKind::ItemNotFound => "itemNotFound",
            FaultKind::NotAllowed => "notAllowed",
            FaultKind::Conflict => "conflict",
            FaultKind::BuildInProgress => "buildInProgress",
            FaultKind::OverLimit => "overLimit",
            FaultKind::BadMediaType => "badMediaType",
            FaultKind::InternalServerError => "internalServerError",
            FaultKind::NotImplemented => "notImplemented",
            FaultKind::ServiceUnavailable => "serviceUnavailable",
            FaultKind::Fault => "fault",
            FaultKind::Other(name) => name,
        }
    }

    /// The HTTP status Synnefo sends with this fault.
    pub fn status(&self) -> u16 {
        match self {
            FaultKind::NotModified => 304,
            FaultKind::BadRequest => 400,
            FaultKind::Unauthorized => 401,
            FaultKind::Forbidden => 403,
            FaultKind::ItemNotFound => 404,
            FaultKind::NotAllowed => 405,
            FaultKind::Conflict | FaultKind::BuildInProgress => 409,
            FaultKind::OverLimit => 413,
            FaultKind::BadMediaType => 415,
            FaultKind::InternalServerError | FaultKind::Fault | FaultKind::Other(_) => 500,
            FaultKind::NotImplemented => 501,
            FaultKind::ServiceUnavailable => 503,
        }
    }

    pub fn from_name(name: &str) -> FaultKind {
        match name {
            "notModified" => FaultKind::NotModified,
            "badRequest" => FaultKind::BadRequest,
            "unauthorized" => FaultKind::Unauthorized,
            "forbidden" => FaultKind::Forbidden,
            "itemNotFound" => FaultKind::ItemNotFound,
            "notAllowed" => FaultKind::NotAllowed,
            "conflict" => FaultKind::Conflict,
            "buildInProgress" => FaultKind::BuildInProgress,
            "overLimit" => FaultKind::OverLimit,
            "badMediaType" => FaultKind::BadMediaType,
            "internalServerError" => FaultKind::InternalServerError,
            "notImplemented" => FaultKind::NotImplemented,
            "serviceUnavailable" => FaultKind::ServiceUnavailable,
            "fault" => FaultKind::Fault,
            other => FaultKind::Other(other.to_owned()),
        }
    }
}

/// One error as Synnefo reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    pub kind: FaultKind,
    pub code: u16,
    pub message: String,
    pub details: String,
}

impl Fault {
    pub fn new(kind: FaultKind, message: impl Into<String>) -> Fault {
        let code = kind.status();
        Fault { kind, code, message: message.into(), details: String::new() }
    }

    pub fn with_details(mut self, details: impl Into<String>) -> Fault {
        self.details = details.into();
        self
    }

    pub fn bad_request(message: impl Into<String>) -> Fault {
        Fault::new(FaultKind::BadRequest, message)
    }
    pub fn unauthorized(message: impl Into<String>) -> Fault {
        Fault::new(FaultKind::Unauthorized, message)
    }
    pub fn forbidden(message: impl Into<String>) -> Fault {
        Fault::new(FaultKind::Forbidden, message)
    }
    pub fn not_found(message: impl Into<String>) -> Fault {
        Fault::new(FaultKind::ItemNotFound, message)
    }
    pub fn conflict(message: impl Into<String>) -> Fault {
        Fault::new(FaultKind::Conflict, message)
    }

    /// Parse an error body. Understands Synnefo's `{"<name>": {code, message, details}}`
    /// (including the `fault` wrapper whose `details` holds Astakos' own fault as JSON
    /// text, which is unwrapped), and Neutron's `{"NeutronError": {type, message, detail}}`.
    /// `status` is the HTTP status, used where the body gives no code.
    pub fn parse(status: u16, body: &str) -> Option<Fault> {
        let value: Value = serde_json::from_str(body).ok()?;
        let object = value.as_object()?;
        if let Some(neutron) = object.get("NeutronError") {
            let n: NeutronBody = serde_json::from_value(neutron.clone()).ok()?;
            return Some(Fault {
                kind: FaultKind::from_name(n.r#type.as_deref().unwrap_or("NeutronError")),
                code: status,
                message: n.message.unwrap_or_default(),
                details: n.detail.unwrap_or_default(),
            });
        }
        if object.len() != 1 {
            return None;
        }
        let (name, inner) = object.iter().next()?;
        let inner: SynnefoBody = serde_json::from_value(inner.clone()).ok()?;
        if inner.code.is_none() && inner.message.is_none() {
            return None;
        }
        if name == "error" {
            // Keystone's (and keystonemiddleware's) `{"error": {code, title, message}}`:
            // the kind follows the status, the title is kept as details.
            let code = inner.code.unwrap_or(status);
            let kind = match code {
                400 => FaultKind::BadRequest,
                401 => FaultKind::Unauthorized,
                403 => FaultKind::Forbidden,
                404 => FaultKind::ItemNotFound,
                409 => FaultKind::Conflict,
                _ => FaultKind::Other("error".into()),
            };
            return Some(Fault {
                kind,
                code,
                message: inner.message.unwrap_or_default(),
                details: inner.title.unwrap_or_default(),
            });
        }
        let details = match inner.details {
            Some(Value::String(s)) => s,
            Some(Value::Null) | None => String::new(),
            Some(other) => other.to_string(),
        };
        let fault = Fault {
            kind: FaultKind::from_name(name),
            code: inner.code.unwrap_or(status),
            message: inner.message.unwrap_or_default(),
            details,
        };
        if fault.kind == FaultKind::Fault {
            // Cyclades relays Astakos' fault as text inside `details`: the inner one
            // is the one that says what went wrong ("Invalid token").
            if let Some(mut inner) = Fault::parse(fault.code, &fault.details) {
                if inner.kind != FaultKind::Fault {
                    inner.code = fault.code;
                    return Some(inner);
                }
            }
        }
        Some(fault)
    }
}

#[derive(Deserialize)]
struct SynnefoBody {
    code: Option<u16>,
    /// Keystone's short name for the status ("Unauthorized").
    title: Option<String>,
    message: Option<String>,
    details: Option<Value>,
}

#[derive(Deserialize)]
struct NeutronBody {
    r#type: Option<String>,
    message: Option<String>,
    detail: Option<String>,
}

impl Serialize for Fault {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(serde::Serialize)]
        struct Inner<'a> {
            code: u16,
            message: &'a str,
            details: &'a str,
        }
        let mut map = s.serialize_map(Some(1))?;
        map.serialize_entry(
            self.kind.name(),
            &Inner { code: self.code, message: &self.message, details: &self.details },
        )?;
        map.end()
    }
}

impl std::fmt::Display for Fault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "({}) {}", self.code, self.message)?;
        if !self.details.is_empty() {
            write!(f, ": {}", self.details)?;
        }
        Ok(())
    }
}

impl std::error::Error for Fault {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_synnefo_shape() {
        let f = Fault::not_found("Network 99 not found.");
        assert_eq!(
            serde_json::to_string(&f).unwrap(),
            r#"{"itemNotFound":{"code":404,"message":"Network 99 not found.","details":""}}"#
        );
    }

    #[test]
    fn round_trips_every_kind() {
        for kind in [
            FaultKind::BadRequest,
            FaultKind::Unauthorized,
            FaultKind::Forbidden,
            FaultKind::ItemNotFound,
            FaultKind::NotAllowed,
            FaultKind::Conflict,
            FaultKind::BuildInProgress,
            FaultKind::OverLimit,
            FaultKind::NotImplemented,
            FaultKind::ServiceUnavailable,
        ] {
            let f = Fault::new(kind.clone(), "m").with_details("d");
            let body = serde_json::to_string(&f).unwrap();
            assert_eq!(Fault::parse(f.code, &body), Some(f), "{body}");
        }
    }

    #[test]
    fn unwraps_astakos_fault_wrapper() {
        let body = r#"{"fault": {"code": 401, "message": "UNAUTHORIZED", "details": "{\"unauthorized\": {\"code\": 401, \"message\": \"Invalid token\", \"details\": \"\"}}"}}"#;
        let f = Fault::parse(401, body).unwrap();
        assert_eq!(
            (f.kind, f.code, f.message.as_str()),
            (FaultKind::Unauthorized, 401, "Invalid token")
        );
    }

    #[test]
    fn keeps_fault_wrapper_with_plain_details() {
        let body =
            r#"{"fault": {"code": 502, "message": "BAD GATEWAY", "details": "upstream down"}}"#;
        let f = Fault::parse(502, body).unwrap();
        assert_eq!((f.kind, f.details.as_str()), (FaultKind::Fault, "upstream down"));
    }

    #[test]
    fn parses_neutron_errors() {
        let body =
            r#"{"NeutronError": {"type": "IpAddressInUse", "message": "IP in use", "detail": ""}}"#;
        let f = Fault::parse(409, body).unwrap();
        assert_eq!((f.kind, f.code), (FaultKind::Other("IpAddressInUse".into()), 409));
        assert_eq!(f.message, "IP in use");
    }

    #[test]
    fn rejects_non_fault_bodies() {
        for body in [
            "",
            "nope",
            "[]",
            r#"{"a":1,"b":2}"#,
            r#"{"network": 3}"#,
            r#"{"network": {"id": "1"}}"#,
            "<html></html>",
        ] {
            assert_eq!(Fault::parse(500, body), None, "{body}");
        }
    }

    #[test]
    fn keystone_errors() {
        let f = Fault::parse(
            401,
            r#"{"error": {"code": 401, "title": "Unauthorized", "message": "The request you have made requires authentication."}}"#,
        )
        .unwrap();
        assert_eq!(
            (f.kind, f.code, f.details.as_str()),
            (FaultKind::Unauthorized, 401, "Unauthorized")
        );
        let f = Fault::parse(404, r#"{"error": {"code": 404, "title": "Not Found", "message": "Could not find token: x."}}"#).unwrap();
        assert_eq!(f.kind, FaultKind::ItemNotFound);
        let n = Fault::parse(409, r#"{"NeutronError": {"type": "OverQuota", "message": "Quota exceeded for resources: ['floatingip'].", "detail": ""}}"#).unwrap();
        assert_eq!((n.kind, n.code), (FaultKind::Other("OverQuota".into()), 409));
    }
}
