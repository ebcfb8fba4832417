//! The connection and request policy shared by the local cloud and the gateway:
//! how long a client may take to send its headers (and how long a kept-alive
//! connection may sit idle), how long a body may pause, and how large a body may
//! be declared.
//!
//! `axum::serve` exposes none of hyper's timeouts, so connections are served here
//! with hyper's own HTTP/1.1 builder: its header-read timer starts whenever the
//! connection waits for a request head, which covers both a half-sent request and
//! an idle keep-alive connection. Body pauses are bounded by tower-http's
//! `RequestBodyTimeoutLayer`; a `Content-Length` over the limit is refused before
//! a byte of the body is read.

use std::future::Future;
use std::time::Duration;

use axum::extract::Request;
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;

use crate::error::ApiError;

/// Request bodies above this size are refused (413), on the cloud and the gateway.
pub const BODY_LIMIT: u64 = 1 << 20;

/// How long clients may take; `--header-timeout-secs` and `--body-timeout-secs`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Timeouts {
    /// To send a request's headers, and to start the next request on a kept-alive
    /// connection (the idle timeout).
    pub header: Duration,
    /// The longest pause while a request body is being sent.
    pub body: Duration,
}

impl Default for Timeouts {
    fn default() -> Timeouts {
        Timeouts { header: Duration::from_secs(10), body: Duration::from_secs(30) }
    }
}

/// Wrap a whole application in the request policy: body pauses bounded, declared
/// lengths over [`BODY_LIMIT`] refused at once.
pub fn with_request_policy(router: Router, timeouts: Timeouts) -> Router {
    router
        .layer(axum::middleware::from_fn(refuse_declared_over_limit))
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(timeouts.body))
}

/// `Content-Length` beyond the limit: 413 before any of the body is read, so a
/// client that declares 50 MB and sends nothing gets its answer at once.
async fn refuse_declared_over_limit(req: Request, next: Next) -> Response {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > BODY_LIMIT) {
        // Refused before any handler (and so before the API's own request log).
        tracing::info!(
            target: "nephele_cloud::http",
            "{} {} 413 (declared body over {BODY_LIMIT} bytes)",
            req.method(),
            crate::redact::log_path(req.uri().path())
        );
        let mut refused =
            ApiError::too_large(format!("Request body larger than {BODY_LIMIT} bytes"))
                .into_response();
        // The reason phrase Synnefo's Django sends, which kamaki prints.
        refused
            .extensions_mut()
            .insert(hyper::ext::ReasonPhrase::from_static(b"REQUEST ENTITY TOO LARGE"));
        return refused;
    }
    next.run(req).await
}

/// True when a body could not be read because the client paused too long.
pub fn is_body_timeout(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = cause {
        if e.is::<tower_http::timeout::TimeoutError>() {
            return true;
        }
        cause = e.source();
    }
    false
}

/// Serve `router` on `listener` until `shutdown` completes, then let in-flight
/// requests finish (idle connections are closed at once).
pub async fn serve(
    listener: TcpListener,
    router: Router,
    timeouts: Timeouts,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(timeouts.header).keep_alive(true);
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => stream,
                Err(e) => {
                    // Out of file descriptors and the like: wait instead of spinning.
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(router.clone());
        let conn = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            // A client that times out or hangs up is not the server's error.
            if let Err(e) = conn.await {
                tracing::debug!("connection closed: {e}");
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}
