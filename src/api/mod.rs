//! Every HTTP call the portal makes goes through this module: JSON in and out,
//! the token in `X-Auth-Token` (never in a URL), a timeout, cancellation when the
//! caller's future is dropped, and errors as one [`ApiError`].

pub mod cloud;
pub mod config;
pub mod explain;
pub mod identity;
pub mod openstack;

use std::cell::Cell;
use std::rc::Rc;

use gloo_net::http::{Method, RequestBuilder};
use nephele_model::Fault;
use serde::de::DeserializeOwned;
use serde::Serialize;

/// How long any request may take before we give up on it.
pub const REQUEST_TIMEOUT_MS: u32 = 20_000;

/// Why a call to the cloud did not give us what we asked for.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ApiError {
    /// The browser could not reach the server at all (offline, DNS, CORS, refused).
    #[error("Could not reach the cloud ({reason}).")]
    Unreachable { path: String, reason: String },
    #[error("The cloud did not answer within {} seconds.", REQUEST_TIMEOUT_MS / 1000)]
    Timeout { path: String },
    /// The cloud answered with a fault body (Synnefo's or Neutron's shape).
    #[error("{}", fault.message)]
    Fault { path: String, status: u16, fault: Fault },
    /// An error status without a fault body we understand.
    #[error("The cloud answered {status} for {path}.")]
    Status { path: String, status: u16, body: String },
    /// A success status with a body we could not read.
    #[error("The cloud's answer for {path} could not be read: {reason}")]
    Decode { path: String, reason: String },
    /// The view that asked went away first, so the request was aborted.
    #[error("The request was cancelled.")]
    Cancelled,
}

impl ApiError {
    pub fn status(&self) -> Option<u16> {
        match self {
            ApiError::Fault { status, .. } | ApiError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    pub fn is_unauthorized(&self) -> bool {
        self.status() == Some(401)
    }

    /// The request path (never a query string, so never a token).
    pub fn path(&self) -> &str {
        match self {
            ApiError::Unreachable { path, .. }
            | ApiError::Timeout { path }
            | ApiError::Fault { path, .. }
            | ApiError::Status { path, .. }
            | ApiError::Decode { path, .. } => path,
            ApiError::Cancelled => "",
        }
    }
}

/// The path part of a URL, for error messages and logs.
pub fn path_of(url: &str) -> String {
    let without_query = url.split(['?', '#']).next().unwrap_or("");
    match without_query.find("://") {
        Some(i) => {
            let rest = &without_query[i + 3..];
            rest.find('/').map_or_else(|| "/".to_owned(), |j| rest[j..].to_owned())
        }
        None => without_query.to_owned(),
    }
}

/// Aborts the fetch when dropped before it finished: a view that goes away takes
/// its requests with it.
struct AbortOnDrop {
    controller: Option<web_sys::AbortController>,
}

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        if let Some(c) = self.controller.take() {
            c.abort();
        }
    }
}

/// Tie a read to the view that starts it: when the view is cleaned up (the page
/// is left, or the resource re-runs) the future is dropped, which aborts its
/// fetches. Call it where the view's owner is current, e.g. in the closure given
/// to `LocalResource::new`.
pub fn until_view_gone<T, F>(fut: F) -> impl std::future::Future<Output = Result<T, ApiError>>
where
    F: std::future::Future<Output = Result<T, ApiError>>,
{
    let (handle, registration) = futures::future::AbortHandle::new_pair();
    leptos::prelude::on_cleanup(move || handle.abort());
    async move {
        futures::future::Abortable::new(fut, registration).await.unwrap_or(Err(ApiError::Cancelled))
    }
}

/// Send one request and decode a JSON answer. `token` goes in `X-Auth-Token`.
pub async fn send<B: Serialize, T: DeserializeOwned>(
    method: Method,
    url: &str,
    token: Option<&str>,
    body: Option<&B>,
) -> Result<T, ApiError> {
    let text = send_raw(method, url, token, body).await?;
    decode(url, &text)
}

/// Read a 2xx answer's JSON (an empty body reads as `null`).
pub fn decode<T: DeserializeOwned>(url: &str, text: &str) -> Result<T, ApiError> {
    let text = if text.trim().is_empty() { "null" } else { text };
    serde_json::from_str(text)
        .map_err(|e| ApiError::Decode { path: path_of(url), reason: e.to_string() })
}

/// Send one request and return the body text of a 2xx answer.
pub async fn send_raw<B: Serialize>(
    method: Method,
    url: &str,
    token: Option<&str>,
    body: Option<&B>,
) -> Result<String, ApiError> {
    send_for_token(method, url, token, body).await.map(|(text, _)| text)
}

/// [`send_raw`], also returning the `X-Subject-Token` header of the answer:
/// where Keystone puts the token it issued (the body never holds it).
pub async fn send_for_token<B: Serialize>(
    method: Method,
    url: &str,
    token: Option<&str>,
    body: Option<&B>,
) -> Result<(String, Option<String>), ApiError> {
    let body = match body.map(serde_json::to_string).transpose() {
        Ok(body) => body,
        Err(e) => return Err(ApiError::Decode { path: path_of(url), reason: e.to_string() }),
    };
    exchange(method, url.to_owned(), token.map(str::to_owned), body, None).await
}

/// The one fetch every call goes through. It is boxed, so its state machine
/// (timeout, abort, headers, body) exists once in the binary instead of being
/// copied into the future of every typed call that awaits it. `microversion`:
/// an `OpenStack-API-Version` header (Nova), e.g. `"compute 2.47"`.
pub fn exchange(
    method: Method,
    url: String,
    token: Option<String>,
    body: Option<String>,
    microversion: Option<&'static str>,
) -> futures::future::LocalBoxFuture<'static, Result<(String, Option<String>), ApiError>> {
    Box::pin(async move {
        let path = path_of(&url);
        let controller = web_sys::AbortController::new().ok();
        let timed_out = Rc::new(Cell::new(false));
        let _timer = controller.clone().map(|c| {
            let timed_out = timed_out.clone();
            gloo_timers::callback::Timeout::new(REQUEST_TIMEOUT_MS, move || {
                timed_out.set(true);
                c.abort();
            })
        });
        let mut guard = AbortOnDrop { controller: controller.clone() };

        let mut builder =
            RequestBuilder::new(&url).method(method).header("Accept", "application/json");
        if let Some(token) = &token {
            builder = builder.header("X-Auth-Token", token);
        }
        if let Some(version) = microversion {
            builder = builder.header("OpenStack-API-Version", version);
        }
        if let Some(c) = &controller {
            builder = builder.abort_signal(Some(&c.signal()));
        }
        let request = match body {
            Some(b) => builder.header("Content-Type", "application/json").body(b),
            None => builder.build(),
        }
        .map_err(|e| ApiError::Unreachable { path: path.clone(), reason: e.to_string() })?;

        let outcome = request.send().await;
        guard.controller = None;
        let response = outcome.map_err(|e| {
            if timed_out.get() {
                ApiError::Timeout { path: path.clone() }
            } else {
                ApiError::Unreachable { path: path.clone(), reason: e.to_string() }
            }
        })?;
        let status = response.status();
        let subject_token = response.headers().get("x-subject-token");
        // The body as bytes (`Response.arrayBuffer()`), copied once into wasm
        // memory and taken as the `String` without another copy; `text()` would
        // also make the browser decode it into a JS string first, only for it to
        // be encoded back into wasm memory (make bench compares the two).
        let bytes = response.binary().await.unwrap_or_default();
        if (200..300).contains(&status) {
            let text = String::from_utf8(bytes).map_err(|e| ApiError::Decode {
                path: path.clone(),
                reason: format!("the answer is not UTF-8 text ({e})"),
            })?;
            return Ok((text, subject_token));
        }
        Err(error_from(path, status, String::from_utf8_lossy(&bytes).into_owned()))
    })
}

/// Turn an error answer into an [`ApiError`], parsing any fault body.
pub fn error_from(path: String, status: u16, body: String) -> ApiError {
    match Fault::parse(status, &body) {
        Some(fault) => ApiError::Fault { path, status, fault },
        None => ApiError::Status { path, status, body: body.chars().take(500).collect() },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_never_carry_queries() {
        assert_eq!(
            path_of("http://h:8080/network/v2.0/ports?X-Auth-Token=secret"),
            "/network/v2.0/ports"
        );
        assert_eq!(path_of("/identity/v2.0/tokens"), "/identity/v2.0/tokens");
        assert_eq!(path_of("https://h"), "/");
    }

    #[test]
    fn fault_bodies_become_faults() {
        let body =
            r#"{"itemNotFound": {"code": 404, "message": "Network 9 not found.", "details": ""}}"#;
        let e = error_from("/n".into(), 404, body.into());
        assert_eq!(e.to_string(), "Network 9 not found.");
        assert_eq!(e.status(), Some(404));
        let e = error_from("/n".into(), 502, "<html>bad gateway</html>".into());
        assert!(matches!(e, ApiError::Status { status: 502, .. }));
    }
}
