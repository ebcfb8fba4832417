//! The Synnefo APIs of the local cloud, mounted where the catalog says:
//! `/identity/v2.0`, `/compute/v2.0`, `/network/v2.0`, `/account/v1.0`, plus `/metrics`.

pub mod account;
pub mod compute;
pub mod identity;
pub mod metrics;
pub mod network;
pub mod requests;

use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, FromRequestParts, MatchedPath, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, MethodRouter};
use axum::Router;
use rusqlite::Transaction;
use serde_json::Value;
use tokio::sync::Notify;
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::db::{self, Caller, Db};
use crate::error::{ApiError, ApiResult};
use crate::seed::Seed;
use crate::state::{AbortOnDrop, AppState, Shared};
use crate::Options;

/// Request bodies above this size are refused (413): declared ones before they
/// are read ([`crate::serve`]), streamed ones when they pass it.
pub const BODY_LIMIT: usize = crate::serve::BODY_LIMIT as usize;

/// Open the database, load the seed into it if it is empty, start the lifecycle
/// task and build the API router.
pub async fn router(options: &Options) -> anyhow::Result<Router> {
    let seed = match &options.seed {
        Some(path) => Some(Seed::load(path)?),
        None => None,
    };
    let db_path = options.db.clone();
    let db = tokio::task::spawn_blocking(move || -> anyhow::Result<Db> {
        let db = Db::open(db_path.as_deref())?;
        if let Some(seed) = &seed {
            if db.load_seed_if_empty(seed)? {
                tracing::info!("seed loaded into an empty database");
            } else {
                tracing::info!("database not empty: seed ignored");
            }
        }
        Ok(db)
    })
    .await??;
    let db = Arc::new(db);
    let wake = Arc::new(Notify::new());
    let lifecycle = crate::lifecycle::spawn(db.clone(), wake.clone());
    let recorder = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
    let state = Arc::new(AppState {
        db,
        build_delay: options.build_delay,
        wake,
        metrics: recorder,
        lifecycle: AbortOnDrop(lifecycle),
    });
    Ok(routes(state.clone(), &options.allow_origins))
}

fn routes(state: Shared, allow_origins: &[String]) -> Router {
    let mut r = Router::new();
    r = identity::routes(r);
    r = compute::routes(r);
    r = network::routes(r);
    r = account::routes(r);
    r = metrics::routes(r);
    for prefix in ["/identity", "/compute", "/network", "/account"] {
        r = r.route(&format!("{prefix}/{{*rest}}"), any(endpoint_not_found));
    }
    let mut r = r
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(middleware::from_fn_with_state(state.clone(), token_before_body))
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .with_state(state);
    if !allow_origins.is_empty() {
        let origins: Vec<HeaderValue> =
            allow_origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()).collect();
        let cors = CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins))
            .allow_methods([
                http::Method::GET,
                http::Method::POST,
                http::Method::PUT,
                http::Method::DELETE,
                http::Method::HEAD,
            ])
            .allow_headers([
                header::HeaderName::from_static("x-auth-token"),
                header::CONTENT_TYPE,
                header::ACCEPT,
            ])
            .expose_headers([header::ALLOW, header::HeaderName::from_static("x-auth-token")])
            .max_age(std::time::Duration::from_secs(600));
        r = r.layer(cors);
    }
    r
}

/// Any path under an API prefix that no route knows (Synnefo answers 400).
async fn endpoint_not_found() -> ApiError {
    ApiError::bad_request("API endpoint not found")
}

/// Count, log and decorate every API response: one log line per request (method,
/// path without query, status, latency; never the token), a Prometheus counter by
/// route template and status, and Synnefo's never-cache headers.
async fn observe(State(state): State<Shared>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    // One label per route template, whether or not the client added a trailing slash.
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| match m.as_str().trim_end_matches('/') {
            "" => "/".to_owned(),
            t => t.to_owned(),
        })
        .unwrap_or_else(|| "unmatched".into());
    let mut resp = next.run(req).await;
    let status = resp.status().as_u16();
    let elapsed = start.elapsed();
    tracing::info!(
        target: "nephele_cloud::http",
        "{method} {} {status} {:.1}ms",
        crate::redact::log_path(&path),
        elapsed.as_secs_f64() * 1000.0
    );
    metrics::record(&state, method.as_str(), &route, status, elapsed);
    let h = resp.headers_mut();
    let now = http_date();
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-cache, no-store, must-revalidate, max-age=0"),
    );
    if let Ok(v) = HeaderValue::from_str(&now) {
        h.insert(header::EXPIRES, v.clone());
        h.insert(header::LAST_MODIFIED, v);
    }
    h.insert(header::VARY, HeaderValue::from_static("X-Auth-Token"));
    if let Some(reason) = django_reason(status) {
        resp.extensions_mut().insert(hyper::ext::ReasonPhrase::from_static(reason));
    }
    resp
}

/// A request that carries a body to an API that needs a token: the token is
/// checked before the body is read, so nobody without one can make the server
/// wait for (or buffer) a body. Sign-in (`/identity`) needs no token.
async fn token_before_body(State(state): State<Shared>, req: Request, next: Next) -> Response {
    let has_body = req.headers().contains_key(header::TRANSFER_ENCODING)
        || req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim() != "0");
    let path = req.uri().path();
    let astakos = path.starts_with("/account/");
    if !has_body || !(astakos || path.starts_with("/compute/") || path.starts_with("/network/")) {
        return next.run(req).await;
    }
    let (mut parts, body) = req.into_parts();
    let ctx = match Ctx::from_request_parts(&mut parts, &state).await {
        Ok(ctx) => ctx,
        Err(e) => return e.into_response(),
    };
    let checked =
        state.read(move |tx| db::authenticate(tx, ctx.token.as_deref(), &ctx.base, astakos)).await;
    match checked {
        Ok(caller) => {
            parts.extensions.insert(CheckedCaller(caller));
            next.run(Request::from_parts(parts, body)).await
        }
        Err(e) => e.into_response(),
    }
}

/// The upper-case reason phrases of the Django version Synnefo runs on; kamaki
/// prints them, e.g. `(413) REQUEST ENTITY TOO LARGE`.
fn django_reason(status: u16) -> Option<&'static [u8]> {
    Some(match status {
        200 => b"OK",
        201 => b"CREATED",
        202 => b"ACCEPTED",
        204 => b"NO CONTENT",
        304 => b"NOT MODIFIED",
        400 => b"BAD REQUEST",
        401 => b"UNAUTHORIZED",
        403 => b"FORBIDDEN",
        404 => b"NOT FOUND",
        405 => b"METHOD NOT ALLOWED",
        409 => b"CONFLICT",
        413 => b"REQUEST ENTITY TOO LARGE",
        415 => b"UNSUPPORTED MEDIA TYPE",
        500 => b"INTERNAL SERVER ERROR",
        501 => b"NOT IMPLEMENTED",
        503 => b"SERVICE UNAVAILABLE",
        _ => return None,
    })
}

fn http_date() -> String {
    let fmt = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    time::OffsetDateTime::now_utc().format(&fmt).unwrap_or_default()
}

/// What every API request carries: the token (query first, then header, as
/// Synnefo's `get_token`), the base URL (from `Host`) and the query parameters.
pub struct Ctx {
    pub token: Option<String>,
    pub base: String,
    pub query: Vec<(String, String)>,
    /// Already authenticated by [`token_before_body`] (requests with a body).
    checked: Option<Caller>,
}

/// The caller [`token_before_body`] found, handed on to the handler so the token
/// is looked up once per request.
#[derive(Clone)]
struct CheckedCaller(Caller);

impl<S: Send + Sync> FromRequestParts<S> for Ctx {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Ctx, ApiError> {
        let query: Vec<(String, String)> = Query::<Vec<(String, String)>>::try_from_uri(&parts.uri)
            .map(|q| q.0)
            .unwrap_or_default();
        let token =
            query.iter().find(|(k, _)| k == "X-Auth-Token").map(|(_, v)| v.clone()).or_else(|| {
                parts
                    .headers
                    .get("x-auth-token")
                    .and_then(|v| v.to_str().ok())
                    .map(|s| s.trim().to_owned())
            });
        let checked = parts.extensions.get::<CheckedCaller>().map(|c| c.0.clone());
        Ok(Ctx { token, base: base_url(&parts.headers), query, checked })
    }
}

impl Ctx {
    /// The caller, for Cyclades APIs (unknown token → the `fault` wrapper).
    pub fn auth(&self, tx: &Transaction) -> ApiResult<Caller> {
        db::authenticate(tx, self.token.as_deref(), &self.base, false)
    }

    /// The caller, for the Astakos account API.
    pub fn auth_astakos(&self, tx: &Transaction) -> ApiResult<Caller> {
        db::authenticate(tx, self.token.as_deref(), &self.base, true)
    }

    /// The caller of a Cyclades request that writes, looked up on a reader before
    /// the write starts (users never change, so the two need no common transaction).
    pub async fn caller(&self, st: &AppState) -> ApiResult<Caller> {
        self.caller_of(st, false).await
    }

    /// [`Ctx::caller`] for the Astakos account API.
    pub async fn astakos_caller(&self, st: &AppState) -> ApiResult<Caller> {
        self.caller_of(st, true).await
    }

    async fn caller_of(&self, st: &AppState, astakos: bool) -> ApiResult<Caller> {
        if let Some(caller) = &self.checked {
            return Ok(caller.clone());
        }
        let (token, base) = (self.token.clone(), self.base.clone());
        st.read(move |tx| db::authenticate(tx, token.as_deref(), &base, astakos)).await
    }

    /// The parsed `changes-since` parameter, if given.
    pub fn changes_since(&self) -> ApiResult<Option<i64>> {
        match self.query.iter().find(|(k, _)| k == "changes-since") {
            Some((_, v)) => db::parse_changes_since(v).map(Some),
            None => Ok(None),
        }
    }
}

/// The `{id}` of a route. axum's own `Path` rejection answers plain text (a
/// malformed percent-escape such as `%ff` is not UTF-8); this one answers a
/// `badRequest` fault like every other error of the API.
#[derive(Debug)]
pub struct IdPath(pub String);

impl<S: Send + Sync> FromRequestParts<S> for IdPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<IdPath, ApiError> {
        let axum::extract::Path(id) =
            axum::extract::Path::<String>::from_request_parts(parts, state).await?;
        Ok(IdPath(id))
    }
}

/// A path id: a positive decimal number, else 400 with `invalid`.
pub fn path_id(raw: &str, invalid: &str) -> ApiResult<i64> {
    nephele_model::id::parse_numeric_id(raw).ok_or_else(|| ApiError::bad_request(invalid))
}

/// `http://<Host>` so the catalog and links work on any port and name.
pub fn base_url(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| !h.is_empty() && h.bytes().all(|b| b.is_ascii_graphic()))
        .unwrap_or("localhost");
    let proto = headers
        .get("x-forwarded-proto")
        .and_then(|h| h.to_str().ok())
        .filter(|p| *p == "https" || *p == "http")
        .unwrap_or("http");
    format!("{proto}://{host}")
}

/// A request body: its bytes, or why it could not be read.
pub type Body = Result<Bytes, BytesRejection>;

/// Parse a JSON request body as Synnefo does (`get_json_body`).
pub fn json_body(headers: &HeaderMap, body: Body) -> ApiResult<Value> {
    let bytes = body.map_err(body_error)?;
    let Some(ct) = headers.get(header::CONTENT_TYPE) else {
        return Err(ApiError::bad_request("Missing Content-Type header field"));
    };
    let ct = String::from_utf8_lossy(ct.as_bytes()).into_owned();
    if !ct.trim_start().to_ascii_lowercase().starts_with("application/json") {
        return Err(ApiError::bad_request(format!("Unsupported Content-type: '{ct}'")));
    }
    serde_json::from_slice(&bytes)
        .map_err(|_| ApiError::bad_request("Could not decode request body as JSON"))
}

/// Why a body could not be read, as a fault: too large, too slow, or broken.
pub fn body_error(e: BytesRejection) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::too_large(format!("Request body larger than {BODY_LIMIT} bytes"))
    } else if crate::serve::is_body_timeout(&e) {
        ApiError::request_timeout()
    } else {
        ApiError::bad_request("Could not read request body")
    }
}

/// Register `path` (and `path/`) with these methods; other methods get 405 with `Allow`.
pub fn route(
    r: Router<Shared>,
    path: &str,
    allow: &'static str,
    mr: MethodRouter<Shared>,
) -> Router<Shared> {
    let mr = mr.fallback(move || async move { ApiError::NotAllowed(allow) });
    r.route(path, mr.clone()).route(&format!("{path}/"), mr)
}

/// `{"<key>": value}`, serialised straight from `value` (no JSON tree in between).
struct Wrapped<'a, T> {
    key: &'a str,
    value: T,
}

impl<T: serde::Serialize> serde::Serialize for Wrapped<'_, T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(1))?;
        map.serialize_entry(self.key, &self.value)?;
        map.end()
    }
}

/// 200/201 with `{"<key>": value}`.
pub fn wrapped(status: StatusCode, key: &str, value: impl serde::Serialize) -> Response {
    crate::error::json_response(status, &Wrapped { key, value })
}

/// A list answer; with `changes-since` and nothing changed, 304.
pub fn list_response<T: serde::Serialize>(
    key: &str,
    items: Vec<T>,
    since: Option<i64>,
) -> ApiResult<Response> {
    if since.is_some() && items.is_empty() {
        return Err(ApiError::NotModified);
    }
    Ok(wrapped(StatusCode::OK, key, items))
}

/// 204 with an empty body.
pub fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}
