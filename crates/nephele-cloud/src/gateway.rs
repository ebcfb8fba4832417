//! Gateway mode (`--upstream URL`): serve the portal and forward its API calls to a
//! real Synnefo cloud, so the browser only ever talks to one origin.
//!
//! Real Synnefo sends no CORS headers and answers `OPTIONS` with 405 (spec §10): a
//! portal on another origin cannot read its answers. The gateway sits on the
//! portal's origin and answers `/identity/…`, `/compute/…`, `/network/…` and
//! `/account/…` by forwarding:
//!
//! * `/identity/<v>` always goes to the configured identity URL.
//! * The identity answer's service catalog is rewritten: each `identity`,
//!   `compute`, `network` and `account` service's `publicURL` becomes
//!   `<gateway origin>/<type>[/<version>]` (the version suffix is kept, so clients
//!   that append `/v2.0` to a bare network URL still do). Other services are left
//!   out, so the browser is never sent elsewhere.
//! * What the catalog named is the allow-list: a request is forwarded only to
//!   `<publicURL><rest>` of a learned service, and the final URL is checked to stay
//!   under that base (no `..`, `.` or backslash segments, raw or percent-encoded).
//!   Before the first sign-in (or after a restart) the catalog is learned from the
//!   identity service's public mode (`POST /tokens` without a body).
//!
//! Bodies stream both ways (only the identity answer is read whole, to rewrite
//! it); `X-Auth-Token` and the query string pass through untouched; hop-by-hop
//! headers, `Host` and `Cookie` are dropped; redirects are passed back, never
//! followed. Upstream statuses and fault bodies are kept. When the cloud cannot be
//! reached the gateway answers a Synnefo-shaped fault: 502 `badGateway`, or 504
//! `gatewayTimeout` after the timeout. One log line per call: method, path without
//! query (token paths redacted), upstream status, latency; never a token.

use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::Response;
use axum::routing::any;
use axum::Router;
use futures_util::{Stream, StreamExt as _};
use nephele_model::{Fault, FaultKind};
use serde_json::Value;
use url::Url;

use crate::error::json_response;
use crate::redact::log_path;

/// The catalog service types the gateway forwards, each under `/<type>`.
pub const SERVICES: [&str; 4] = ["identity", "compute", "network", "account"];

/// Request bodies above this size are refused with 413 before anything is forwarded.
pub const BODY_LIMIT: u64 = crate::serve::BODY_LIMIT;

/// Headers by which a proxy tells the next hop about the original request. A
/// client's own are never passed upstream as if the gateway had said them: an
/// upstream that builds its catalog from them (`X-Forwarded-Proto: https`) would
/// otherwise answer URLs of the client's choosing.
const FORWARDING_HEADERS: [&str; 7] = [
    "forwarded",
    "x-forwarded-for",
    "x-forwarded-host",
    "x-forwarded-proto",
    "x-forwarded-port",
    "x-forwarded-prefix",
    "x-real-ip",
];

/// The identity answer is read whole to rewrite its catalog; beyond this it is refused.
const IDENTITY_ANSWER_LIMIT: usize = 4 << 20;

/// Learn the catalog again (public mode) at most this often when a request names a
/// service the gateway does not know yet.
const REFRESH_EVERY: Duration = Duration::from_secs(10);

/// Check the `--upstream` URL: an absolute http(s) URL with a host, no user info,
/// query or fragment. The trailing slash is dropped.
pub fn parse_upstream(text: &str) -> Result<Url, String> {
    let url = Url::parse(text.trim()).map_err(|e| format!("{text:?} is not a URL ({e})"))?;
    if url.scheme() != "http" && url.scheme() != "https" {
        return Err(format!("{text:?} must be an http:// or https:// URL"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(format!("{text:?} has no host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(format!("{text:?} must not carry a user name or password"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!("{text:?} must not have a query or fragment"));
    }
    Ok(trim(url))
}

fn trim(mut url: Url) -> Url {
    let path = url.path().trim_end_matches('/').to_owned();
    url.set_path(&path);
    url
}

/// `/<kind>` plus the base URL's version suffix (`/v2.0`), if it has one.
fn gateway_prefix(kind: &str, upstream: &Url) -> String {
    let last = upstream.path().rsplit('/').next().unwrap_or("");
    let is_version = last.strip_prefix('v').is_some_and(|v| {
        let mut parts = v.splitn(2, '.');
        let major =
            parts.next().is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
        let minor =
            parts.next().is_none_or(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
        major && minor
    });
    if is_version {
        format!("/{kind}/{last}")
    } else {
        format!("/{kind}")
    }
}

/// One forwardable API: requests under `prefix` go to `upstream` + the rest.
#[derive(Debug, Clone, PartialEq)]
pub struct Route {
    pub kind: String,
    pub prefix: String,
    pub upstream: Url,
    pub learned_from: Source,
}

/// Which kind of identity answer a route was learned from. Anyone can ask for the
/// public catalog; only a signed-in answer (one that carries a token) vouches for
/// a user's session, so an anonymous answer never replaces what one taught.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Source {
    Configured,
    Anonymous,
    SignedIn,
}

pub struct Gateway {
    client: reqwest::Client,
    identity: Route,
    learned: RwLock<Vec<Route>>,
    last_refresh: tokio::sync::Mutex<Option<Instant>>,
    timeout: Duration,
    /// The origins (scheme, host, port) the catalog may send the gateway to:
    /// `--upstream`'s own and any `--upstream-origin`.
    allowed_origins: Vec<url::Origin>,
    /// The origin the browser sees (behind a CDN that does not pass the viewer's
    /// `Host`); by default it comes from `Host` and `X-Forwarded-Proto`.
    public_origin: Option<String>,
}

impl Gateway {
    /// A gateway to the cloud whose identity URL is `upstream`; `timeout` bounds
    /// the wait for the answer's headers and every pause while reading a body.
    pub fn new(upstream: &str, timeout: Duration) -> anyhow::Result<Gateway> {
        Gateway::with_public_origin(upstream, timeout, None)
    }

    /// Like [`Gateway::new`], with the origin the browser sees fixed (e.g.
    /// `https://portal.example.org`) instead of taken from each request's `Host`.
    pub fn with_public_origin(
        upstream: &str,
        timeout: Duration,
        public_origin: Option<&str>,
    ) -> anyhow::Result<Gateway> {
        let public_origin = match public_origin {
            Some(o) => {
                let url = parse_upstream(o).map_err(|e| anyhow::anyhow!("--public-origin {e}"))?;
                anyhow::ensure!(
                    url.path() == "/" || url.path().is_empty(),
                    "--public-origin {o:?} must be an origin, without a path"
                );
                Some(url.origin().ascii_serialization())
            }
            None => None,
        };
        let identity_url =
            parse_upstream(upstream).map_err(|e| anyhow::anyhow!("--upstream {e}"))?;
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .read_timeout(timeout)
            .pool_idle_timeout(Duration::from_secs(30))
            .user_agent(concat!("nephele-cloud-gateway/", env!("CARGO_PKG_VERSION")))
            .build()?;
        let allowed_origins = vec![identity_url.origin()];
        let identity = Route {
            kind: "identity".into(),
            prefix: gateway_prefix("identity", &identity_url),
            upstream: identity_url,
            learned_from: Source::Configured,
        };
        Ok(Gateway {
            client,
            identity,
            learned: RwLock::new(Vec::new()),
            last_refresh: tokio::sync::Mutex::new(None),
            timeout,
            allowed_origins,
            public_origin,
        })
    }

    /// Also accept catalog entries on these origins (`--upstream-origin`), for a
    /// cloud whose APIs live on several hosts.
    pub fn with_upstream_origins(mut self, origins: &[String]) -> anyhow::Result<Gateway> {
        for o in origins {
            let url = parse_upstream(o).map_err(|e| anyhow::anyhow!("--upstream-origin {e}"))?;
            anyhow::ensure!(
                url.path() == "/" || url.path().is_empty(),
                "--upstream-origin {o:?} must be an origin, without a path"
            );
            self.allowed_origins.push(url.origin());
        }
        Ok(self)
    }

    fn allowed(&self, url: &Url) -> bool {
        self.allowed_origins.contains(&url.origin())
    }

    /// The routes in force: the configured identity service and what the catalog named.
    pub fn routes(&self) -> Vec<Route> {
        let mut all = vec![self.identity.clone()];
        all.extend(self.learned.read().map(|r| r.clone()).unwrap_or_default());
        all
    }

    /// The configured identity URL (`--upstream`).
    pub fn identity_url(&self) -> &Url {
        &self.identity.upstream
    }

    fn find(&self, path: &str) -> Option<(Route, String)> {
        self.routes()
            .into_iter()
            .filter_map(|r| {
                let rest = path.strip_prefix(&r.prefix)?;
                (rest.is_empty() || rest.starts_with('/')).then(|| (r.clone(), rest.to_owned()))
            })
            .max_by_key(|(r, _)| r.prefix.len())
    }

    /// Rewrite the catalog of an identity answer to point at `origin`, and learn
    /// the routes it names. Services the gateway does not forward are left out.
    fn rewrite_catalog(&self, answer: &mut Value, origin: &str) {
        let source = match answer.pointer("/access/token/id").and_then(Value::as_str) {
            Some(token) if !token.is_empty() => Source::SignedIn,
            _ => Source::Anonymous,
        };
        let Some(catalog) =
            answer.pointer_mut("/access/serviceCatalog").and_then(Value::as_array_mut)
        else {
            return;
        };
        let mut learned = Vec::new();
        catalog.retain_mut(|service| {
            let Some(kind) = service.get("type").and_then(Value::as_str).map(str::to_owned) else {
                return false;
            };
            if !SERVICES.contains(&kind.as_str()) {
                return false;
            }
            let Some(endpoints) = service.get_mut("endpoints").and_then(Value::as_array_mut) else {
                return false;
            };
            let Some(first) = endpoints.first_mut() else { return false };
            let Some(url) =
                first.get("publicURL").and_then(Value::as_str).and_then(|u| parse_upstream(u).ok())
            else {
                return false;
            };
            let route = if kind == "identity" {
                self.identity.clone()
            } else if self.allowed(&url) {
                Route {
                    prefix: gateway_prefix(&kind, &url),
                    kind: kind.clone(),
                    upstream: url,
                    learned_from: source,
                }
            } else {
                tracing::warn!(
                    target: "nephele_cloud::gateway",
                    "catalog names {kind} at {}, which is not an allowed upstream origin \
                     (add --upstream-origin to forward there): left out",
                    url.origin().ascii_serialization()
                );
                return false;
            };
            first["publicURL"] = Value::String(format!("{origin}{}", route.prefix));
            endpoints.truncate(1);
            if kind != "identity" && !learned.iter().any(|r: &Route| r.kind == kind) {
                learned.push(route);
            }
            true
        });
        if let Ok(mut routes) = self.learned.write() {
            for route in learned {
                // An anonymous answer only fills in what no signed-in one has taught.
                let outranked = routes
                    .iter()
                    .any(|r| r.kind == route.kind && r.learned_from > route.learned_from);
                if outranked {
                    continue;
                }
                if let Some(old) = routes.iter().find(|r| r.kind == route.kind) {
                    if old.upstream != route.upstream {
                        tracing::info!(
                            target: "nephele_cloud::gateway",
                            "{} now forwards to {} (was {})", route.prefix, route.upstream, old.upstream
                        );
                    }
                }
                routes.retain(|r| r.kind != route.kind);
                routes.push(route);
            }
        }
    }

    /// Learn the catalog from the identity service's public mode, at most every
    /// [`REFRESH_EVERY`].
    async fn refresh_catalog(&self) {
        let mut last = self.last_refresh.lock().await;
        if last.is_some_and(|t| t.elapsed() < REFRESH_EVERY) {
            return;
        }
        *last = Some(Instant::now());
        let url = format!("{}/tokens", self.identity.upstream);
        let answer = tokio::time::timeout(self.timeout, async {
            let resp =
                self.client.post(url).header(header::CONTENT_LENGTH, "0").send().await.ok()?;
            if !resp.status().is_success() {
                return None;
            }
            let bytes = read_limited(resp, IDENTITY_ANSWER_LIMIT).await.ok()?;
            serde_json::from_slice::<Value>(&bytes).ok()
        })
        .await;
        match answer {
            Ok(Some(mut value)) => {
                self.rewrite_catalog(&mut value, "");
                tracing::info!(target: "nephele_cloud::gateway", "catalog learned (public mode): {}", self.describe());
            }
            _ => {
                tracing::warn!(target: "nephele_cloud::gateway", "could not learn the catalog from the identity service")
            }
        }
    }

    /// `identity=/identity/v2.0 → https://…, …` for the log.
    pub fn describe(&self) -> String {
        self.routes()
            .iter()
            .map(|r| format!("{} → {}", r.prefix, r.upstream))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The gateway's routes: the four API prefixes, everything else is left to the portal.
pub fn router(gateway: Arc<Gateway>) -> Router {
    let mut r = Router::new();
    for kind in SERVICES {
        r = r
            .route(&format!("/{kind}"), any(forward))
            .route(&format!("/{kind}/{{*rest}}"), any(forward));
    }
    r.with_state(gateway)
}

/// Why a request was not forwarded, or the upstream did not answer.
enum Refusal {
    BadPath,
    BadLength,
    NotInCatalog,
    TooLarge,
    Unreachable(String),
    Timeout,
    BadAnswer(String),
}

impl Refusal {
    fn fault(&self, path: &str) -> Fault {
        let (kind, code, message) = match self {
            Refusal::BadPath => (FaultKind::BadRequest, 400, "The gateway does not forward paths with '.', '..' or '\\' segments.".to_owned()),
            Refusal::BadLength => (FaultKind::BadRequest, 400, "Content-Length is not a number.".to_owned()),
            Refusal::NotInCatalog => (
                FaultKind::ItemNotFound,
                404,
                format!("The gateway forwards only to the APIs in the cloud's service catalog; {path} is not under any of them."),
            ),
            Refusal::TooLarge => (
                FaultKind::Other("requestEntityTooLarge".into()),
                413,
                format!("Request body larger than {BODY_LIMIT} bytes"),
            ),
            Refusal::Unreachable(why) => (FaultKind::Other("badGateway".into()), 502, format!("The cloud could not be reached: {why}.")),
            Refusal::Timeout => (FaultKind::Other("gatewayTimeout".into()), 504, "The cloud did not answer in time.".to_owned()),
            Refusal::BadAnswer(why) => (FaultKind::Other("badGateway".into()), 502, format!("The cloud's answer could not be relayed: {why}.")),
        };
        Fault { kind, code, message, details: String::new() }
    }

    fn label(&self) -> &'static str {
        match self {
            Refusal::BadPath => "refused (bad path)",
            Refusal::BadLength => "refused (bad Content-Length)",
            Refusal::NotInCatalog => "refused (not in the catalog)",
            Refusal::TooLarge => "refused (body too large)",
            Refusal::Unreachable(_) => "upstream unreachable",
            Refusal::Timeout => "upstream timed out",
            Refusal::BadAnswer(_) => "upstream answer unusable",
        }
    }
}

async fn forward(State(gw): State<Arc<Gateway>>, req: Request) -> Response {
    let start = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let outcome = relay(&gw, req).await;
    let ms = start.elapsed().as_secs_f64() * 1000.0;
    match outcome {
        Ok(resp) => {
            tracing::info!(target: "nephele_cloud::gateway", "{method} {} → upstream {} {ms:.1}ms", log_path(&path), resp.status().as_u16());
            resp
        }
        Err(refusal) => {
            let fault = refusal.fault(&log_path(&path));
            tracing::info!(target: "nephele_cloud::gateway", "{method} {} {} {} {ms:.1}ms", log_path(&path), refusal.label(), fault.code);
            let status = StatusCode::from_u16(fault.code).unwrap_or(StatusCode::BAD_GATEWAY);
            let mut resp = json_response(status, &fault);
            resp.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache, no-store"));
            resp
        }
    }
}

/// True if a path segment is `.` or `..` (raw or percent-encoded), or the path
/// holds a backslash: URL parsers resolve those, which could leave the base.
fn unsafe_path(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    if lower.contains('\\') || lower.contains("%5c") {
        return true;
    }
    lower.split('/').any(|seg| {
        let seg = seg.replace("%2e", ".");
        seg == "." || seg == ".."
    })
}

async fn relay(gw: &Gateway, req: Request) -> Result<Response, Refusal> {
    let path = req.uri().path().to_owned();
    if unsafe_path(&path) {
        return Err(Refusal::BadPath);
    }
    let found = match gw.find(&path) {
        Some(f) => Some(f),
        None => {
            // A service not learned yet (no sign-in since start-up): ask the catalog.
            let kind = path.trim_start_matches('/').split('/').next().unwrap_or("");
            let known = gw.routes().iter().any(|r| r.kind == kind);
            if !known && SERVICES.contains(&kind) {
                gw.refresh_catalog().await;
            }
            gw.find(&path)
        }
    };
    let (route, rest) = found.ok_or(Refusal::NotInCatalog)?;
    let mut target = format!("{}{rest}", route.upstream);
    if let Some(q) = req.uri().query() {
        target.push('?');
        target.push_str(q);
    }
    let url = Url::parse(&target).map_err(|_| Refusal::BadPath)?;
    if !stays_under(&url, &route.upstream) {
        return Err(Refusal::NotInCatalog);
    }

    let (parts, body) = req.into_parts();
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().parse::<u64>());
    let declared = match declared {
        Some(Ok(n)) => Some(n),
        Some(Err(_)) => return Err(Refusal::BadLength),
        None => None,
    };
    if declared.is_some_and(|n| n > BODY_LIMIT) {
        return Err(Refusal::TooLarge);
    }
    let chunked = parts.headers.contains_key(header::TRANSFER_ENCODING);
    let is_tokens = route.kind == "identity"
        && parts.method == Method::POST
        && rest.trim_end_matches('/').ends_with("/tokens");

    let mut headers = forwardable(&parts.headers);
    headers.remove(header::COOKIE);
    for name in FORWARDING_HEADERS {
        headers.remove(name);
    }
    if is_tokens {
        // The answer is rewritten: ask for it uncompressed.
        headers.remove(header::ACCEPT_ENCODING);
    }
    let mut upstream_req = gw.client.request(parts.method.clone(), url).headers(headers);
    let too_large = Arc::new(AtomicBool::new(false));
    if declared.is_some_and(|n| n > 0) || chunked {
        let limited = Limited { inner: body.into_data_stream(), seen: 0, flag: too_large.clone() };
        upstream_req = upstream_req.body(reqwest::Body::wrap_stream(limited));
    }
    let sent = tokio::time::timeout(gw.timeout, upstream_req.send()).await;
    let resp = match sent {
        Err(_) => return Err(Refusal::Timeout),
        Ok(Err(_)) if too_large.load(Ordering::SeqCst) => return Err(Refusal::TooLarge),
        Ok(Err(e)) => return Err(classify(&e)),
        Ok(Ok(r)) => r,
    };

    let status = StatusCode::from_u16(resp.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
    let reason = resp.extensions().get::<hyper::ext::ReasonPhrase>().cloned();
    let mut out_headers = forwardable(resp.headers());
    // Our security headers, not the cloud's, on everything we serve.
    for h in [
        header::CONTENT_SECURITY_POLICY,
        header::X_CONTENT_TYPE_OPTIONS,
        header::REFERRER_POLICY,
        header::X_FRAME_OPTIONS,
    ] {
        out_headers.remove(h);
    }
    let origin = gw.public_origin.clone().unwrap_or_else(|| crate::api::base_url(&parts.headers));
    rewrite_location(&mut out_headers, gw, &origin);

    let mut response = if is_tokens && status.is_success() {
        let bytes = read_limited(resp, IDENTITY_ANSWER_LIMIT).await?;
        let mut value: Value = serde_json::from_slice(&bytes)
            .map_err(|_| Refusal::BadAnswer("the identity answer is not JSON".into()))?;
        gw.rewrite_catalog(&mut value, &origin);
        let body = serde_json::to_vec(&value).map_err(|e| Refusal::BadAnswer(e.to_string()))?;
        out_headers.remove(header::CONTENT_LENGTH);
        out_headers.remove(header::CONTENT_ENCODING);
        let mut r = Response::new(Body::from(body));
        *r.headers_mut() = out_headers;
        r
    } else {
        let stream = resp
            .bytes_stream()
            .map(|chunk| chunk.map_err(|e| std::io::Error::other(e.without_url())));
        let mut r = Response::new(Body::from_stream(stream));
        *r.headers_mut() = out_headers;
        r
    };
    *response.status_mut() = status;
    if let Some(reason) = reason {
        response.extensions_mut().insert(reason);
    }
    Ok(response)
}

/// The URL stays on the base's scheme, host and port, and under its path.
fn stays_under(url: &Url, base: &Url) -> bool {
    url.scheme() == base.scheme()
        && url.host_str() == base.host_str()
        && url.port_or_known_default() == base.port_or_known_default()
        && (url.path() == base.path()
            || url.path().starts_with(&format!("{}/", base.path().trim_end_matches('/'))))
}

fn classify(e: &reqwest::Error) -> Refusal {
    if e.is_timeout() {
        Refusal::Timeout
    } else if e.is_connect() {
        Refusal::Unreachable("connection failed".into())
    } else {
        // Never the error's own text: it names the URL, whose query may hold a token.
        Refusal::Unreachable("the connection broke".into())
    }
}

async fn read_limited(resp: reqwest::Response, limit: usize) -> Result<Vec<u8>, Refusal> {
    let mut out = Vec::new();
    let mut stream = resp.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| classify(&e))?;
        if out.len() + chunk.len() > limit {
            return Err(Refusal::BadAnswer("the identity answer is too large".into()));
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

/// Hop-by-hop headers (RFC 9110 §7.6.1, and any the `Connection` header names) and
/// `Host` are not forwarded.
fn forwardable(headers: &HeaderMap) -> HeaderMap {
    const HOP: [&str; 9] = [
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    ];
    let named: Vec<String> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|s| s.trim().to_ascii_lowercase())
        .collect();
    let mut out = HeaderMap::new();
    for (name, value) in headers {
        let n = name.as_str();
        if HOP.contains(&n) || n == "host" || named.iter().any(|x| x == n) {
            continue;
        }
        out.append(name.clone(), value.clone());
    }
    out
}

/// A `Location` pointing into a forwarded API is mapped back to the gateway.
fn rewrite_location(headers: &mut HeaderMap, gw: &Gateway, origin: &str) {
    let Some(loc) = headers.get(header::LOCATION).and_then(|v| v.to_str().ok()).map(str::to_owned)
    else {
        return;
    };
    let Ok(url) = Url::parse(&loc) else { return };
    for route in gw.routes() {
        if stays_under(&url, &route.upstream) {
            let rest = &url.path()[route.upstream.path().trim_end_matches('/').len()..];
            let mut new = format!("{origin}{}{rest}", route.prefix);
            if let Some(q) = url.query() {
                new.push('?');
                new.push_str(q);
            }
            if let Ok(v) = HeaderValue::from_str(&new) {
                headers.insert(header::LOCATION, v);
            }
            return;
        }
    }
}

/// The request body as a stream that fails (and raises `flag`) past [`BODY_LIMIT`].
struct Limited<S> {
    inner: S,
    seen: u64,
    flag: Arc<AtomicBool>,
}

impl<S> Stream for Limited<S>
where
    S: Stream<Item = Result<Bytes, axum::Error>> + Unpin,
{
    type Item = Result<Bytes, std::io::Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        match Pin::new(&mut self.inner).poll_next(cx) {
            Poll::Ready(Some(Ok(chunk))) => {
                self.seen += chunk.len() as u64;
                if self.seen > BODY_LIMIT {
                    self.flag.store(true, Ordering::SeqCst);
                    return Poll::Ready(Some(Err(std::io::Error::other("request body too large"))));
                }
                Poll::Ready(Some(Ok(chunk)))
            }
            Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(std::io::Error::other(e)))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn upstream_urls_are_checked() {
        assert_eq!(
            parse_upstream("https://cloud.example.org/identity/v2.0/").unwrap().as_str(),
            "https://cloud.example.org/identity/v2.0"
        );
        for bad in [
            "ftp://x/identity",
            "cloud.example.org",
            "https://u:p@x/identity",
            "https://x/identity?a=1",
            "",
            "http://",
        ] {
            assert!(parse_upstream(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn prefixes_keep_the_version() {
        let u = |s: &str| Url::parse(s).unwrap();
        assert_eq!(
            gateway_prefix("network", &u("https://c.example.org/cyclades/network")),
            "/network"
        );
        assert_eq!(
            gateway_prefix("compute", &u("https://c.example.org/cyclades/compute/v2.0")),
            "/compute/v2.0"
        );
        assert_eq!(
            gateway_prefix("account", &u("https://a.example.org/astakos/account/v1.0")),
            "/account/v1.0"
        );
        assert_eq!(
            gateway_prefix("identity", &u("https://a.example.org/astakos/identity/vx")),
            "/identity"
        );
    }

    #[test]
    fn catalog_is_rewritten_and_learned() {
        let gw = Gateway::new(
            "https://accounts.example.org/astakos/identity/v2.0",
            Duration::from_secs(5),
        )
        .unwrap()
        .with_upstream_origins(&["https://cyclades.example.org".to_owned()])
        .unwrap();
        let mut answer = serde_json::json!({"access": {"token": {"id": "t"}, "serviceCatalog": [
            {"type": "network", "name": "cyclades_network", "endpoints": [{"publicURL": "https://cyclades.example.org/cyclades/network", "SNF:uiURL": "https://cyclades.example.org/ui"}]},
            {"type": "compute", "endpoints": [{"publicURL": "https://cyclades.example.org/cyclades/compute/v2.0"}]},
            {"type": "account", "endpoints": [{"publicURL": "https://accounts.example.org/astakos/account/v1.0"}]},
            {"type": "identity", "endpoints": [{"publicURL": "https://elsewhere.example.org/identity/v2.0"}]},
            {"type": "image", "endpoints": [{"publicURL": "https://cyclades.example.org/cyclades/image"}]},
            {"type": "volume", "endpoints": [{"publicURL": "javascript:alert(1)"}]}
        ]}});
        gw.rewrite_catalog(&mut answer, "https://portal.example.org");
        let urls: Vec<&str> = answer["access"]["serviceCatalog"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["endpoints"][0]["publicURL"].as_str().unwrap())
            .collect();
        assert_eq!(
            urls,
            [
                "https://portal.example.org/network",
                "https://portal.example.org/compute/v2.0",
                "https://portal.example.org/account/v1.0",
                "https://portal.example.org/identity/v2.0",
            ]
        );
        assert_eq!(answer["access"]["token"]["id"], "t");
        let (r, rest) = gw.find("/network/v2.0/networks").unwrap();
        assert_eq!(
            (r.upstream.as_str(), rest.as_str()),
            ("https://cyclades.example.org/cyclades/network", "/v2.0/networks")
        );
        let (r, _) = gw.find("/identity/v2.0/tokens").unwrap();
        assert_eq!(r.upstream.as_str(), "https://accounts.example.org/astakos/identity/v2.0");
        assert!(gw.find("/networkx/v2.0").is_none());
        assert!(gw.find("/compute/v1.1/servers").is_none());
        assert!(gw.find("/image/v1.0").is_none());
    }

    fn answer(token: Option<&str>, network: &str) -> Value {
        let mut a = serde_json::json!({"access": {"serviceCatalog": [
            {"type": "network", "endpoints": [{"publicURL": network}]},
        ]}});
        if let Some(t) = token {
            a["access"]["token"] = serde_json::json!({"id": t});
        }
        a
    }

    fn network_upstream(gw: &Gateway) -> Option<String> {
        gw.find("/network/v2.0/ports").map(|(r, _)| r.upstream.to_string())
    }

    #[test]
    fn only_allowed_origins_are_learned() {
        let gw =
            Gateway::new("http://127.0.0.1:9000/identity/v2.0", Duration::from_secs(5)).unwrap();
        // Another scheme, host or port than --upstream's: left out of the catalog too.
        for elsewhere in [
            "https://127.0.0.1:9000/network",
            "http://127.0.0.1:9001/network",
            "http://evil.example/network",
        ] {
            let mut a = answer(Some("t"), elsewhere);
            gw.rewrite_catalog(&mut a, "http://portal");
            assert_eq!(a["access"]["serviceCatalog"], serde_json::json!([]), "{elsewhere}");
            assert_eq!(network_upstream(&gw), None, "{elsewhere}");
        }
        gw.rewrite_catalog(&mut answer(Some("t"), "http://127.0.0.1:9000/network"), "");
        assert_eq!(network_upstream(&gw).as_deref(), Some("http://127.0.0.1:9000/network"));
        let again = Gateway::new("http://127.0.0.1:9000/identity/v2.0", Duration::from_secs(5));
        assert!(again.unwrap().with_upstream_origins(&["http://x/path".into()]).is_err());
    }

    #[test]
    fn anonymous_answers_never_replace_signed_in_ones() {
        let gw = Gateway::new("http://127.0.0.1:9000/identity/v2.0", Duration::from_secs(5))
            .unwrap()
            .with_upstream_origins(&["http://127.0.0.1:9001".to_owned()])
            .unwrap();
        // Before any sign-in, the public catalog fills in (and may be refreshed).
        gw.rewrite_catalog(&mut answer(None, "http://127.0.0.1:9001/network"), "");
        assert_eq!(network_upstream(&gw).as_deref(), Some("http://127.0.0.1:9001/network"));
        gw.rewrite_catalog(&mut answer(Some("t"), "http://127.0.0.1:9000/network"), "");
        assert_eq!(network_upstream(&gw).as_deref(), Some("http://127.0.0.1:9000/network"));
        for anonymous in [
            answer(None, "http://127.0.0.1:9001/network"),
            answer(Some(""), "http://127.0.0.1:9001/network"),
        ] {
            gw.rewrite_catalog(&mut anonymous.clone(), "");
            assert_eq!(network_upstream(&gw).as_deref(), Some("http://127.0.0.1:9000/network"));
        }
        // A later signed-in answer may move it.
        gw.rewrite_catalog(&mut answer(Some("t2"), "http://127.0.0.1:9001/network"), "");
        assert_eq!(network_upstream(&gw).as_deref(), Some("http://127.0.0.1:9001/network"));
    }

    #[test]
    fn unsafe_paths_and_escapes() {
        for bad in [
            "/network/../x",
            "/network/v2.0/%2e%2E/x",
            "/network/.",
            "/network\\..\\x",
            "/network/%5C..",
            "/a/.%2e/b",
        ] {
            assert!(unsafe_path(bad), "{bad}");
        }
        assert!(!unsafe_path("/network/v2.0/networks/..x"));
        let base = Url::parse("https://c.example.org/cyclades/network").unwrap();
        assert!(stays_under(
            &Url::parse("https://c.example.org/cyclades/network/v2.0").unwrap(),
            &base
        ));
        assert!(!stays_under(
            &Url::parse("https://c.example.org/cyclades/networkx").unwrap(),
            &base
        ));
        assert!(!stays_under(
            &Url::parse("https://c.example.org:444/cyclades/network/v2.0").unwrap(),
            &base
        ));
        assert!(!stays_under(
            &Url::parse("http://c.example.org/cyclades/network/v2.0").unwrap(),
            &base
        ));
    }

    #[test]
    fn hop_by_hop_headers_are_dropped() {
        let mut h = HeaderMap::new();
        h.insert(header::CONNECTION, HeaderValue::from_static("keep-alive, x-private"));
        h.insert("x-private", HeaderValue::from_static("1"));
        h.insert(header::HOST, HeaderValue::from_static("portal"));
        h.insert(header::TE, HeaderValue::from_static("trailers"));
        h.insert("x-auth-token", HeaderValue::from_static("secret"));
        let out = forwardable(&h);
        assert_eq!(out.len(), 1);
        assert_eq!(out["x-auth-token"], "secret");
    }
}
