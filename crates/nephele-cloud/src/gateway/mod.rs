//! Gateway mode (`--upstream URL`): serve the portal and forward its API calls to a
//! real Synnefo cloud, or to an OpenStack one (Keystone v3, Neutron, Nova; see
//! [`keystone`] for what differs), so the browser only ever talks to one origin.
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
pub use nephele_model::identity::Family;
use nephele_model::{Fault, FaultKind};
use serde_json::Value;
use url::Url;

use crate::error::json_response;
use crate::redact::log_path;

mod keystone;
mod relay;
#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;

use self::relay::read_limited;
pub use self::relay::router;

/// The catalog service types the gateway forwards from a Synnefo cloud, each under `/<type>`.
pub const SERVICES: [&str; 4] = ["identity", "compute", "network", "account"];

/// The catalog service types forwarded from an OpenStack cloud: it has no `account`.
pub const OPENSTACK_SERVICES: [&str; 3] = ["identity", "compute", "network"];

/// At most this many learned routes. A Synnefo catalog gives three; Keystone one
/// per region and service, and one per project when Nova lists
/// `…/v2.1/<project_id>`: the bound only keeps a cloud with very many projects
/// from growing the table without end (new ones are then not learned, and logged).
const MAX_ROUTES: usize = 512;

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
    /// The Keystone region the endpoint is listed in (Synnefo has none).
    pub region: Option<String>,
    pub prefix: String,
    pub upstream: Url,
    pub learned_from: Source,
}

impl Route {
    /// The upstream URL (without query) for `rest`, the path after the prefix. An
    /// API at the root of its host (Neutron's `http://host:9696`) is `…:9696/` as
    /// a URL: its slash is dropped so that `rest` (`/v2.0/…`) follows on directly.
    pub fn target(&self, rest: &str) -> String {
        format!("{}{rest}", self.upstream.as_str().trim_end_matches('/'))
    }
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
    /// Astakos or Keystone: decides the catalog's shape and the paths.
    family: Family,
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
        // Only a URL that says it is Keystone's (`…/v3`) switches to OpenStack: a
        // URL that says nothing keeps the gateway as it always was, for Synnefo.
        let family = Family::from_identity_url(identity_url.as_str()).unwrap_or(Family::Synnefo);
        let identity = Route {
            kind: "identity".into(),
            region: None,
            prefix: gateway_prefix("identity", &identity_url),
            upstream: identity_url,
            learned_from: Source::Configured,
        };
        Ok(Gateway {
            client,
            family,
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

    /// Which identity API `--upstream` speaks.
    pub fn family(&self) -> Family {
        self.family
    }

    /// The service types this cloud's catalog may teach.
    fn services(&self) -> &'static [&'static str] {
        match self.family {
            Family::Synnefo => &SERVICES,
            Family::OpenStack => &OPENSTACK_SERVICES,
        }
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
                    region: None,
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
        self.learn(learned);
    }

    /// The slot a learned route fills: Synnefo has one API per type; Keystone one
    /// per type, region and path (`/compute/RegionOne/v2.1/<project>`), so a
    /// route learned for one region or project never replaces another's.
    fn same_slot(&self, a: &Route, b: &Route) -> bool {
        match self.family {
            Family::Synnefo => a.kind == b.kind,
            Family::OpenStack => a.prefix == b.prefix,
        }
    }

    /// Take in the routes an identity answer named.
    fn learn(&self, learned: Vec<Route>) {
        let Ok(mut routes) = self.learned.write() else { return };
        for route in learned {
            // An anonymous answer only fills in what no signed-in one has taught.
            let outranked = routes
                .iter()
                .any(|r| self.same_slot(r, &route) && r.learned_from > route.learned_from);
            if outranked {
                continue;
            }
            match routes.iter().find(|r| self.same_slot(r, &route)) {
                Some(old) if old.upstream != route.upstream => tracing::info!(
                    target: "nephele_cloud::gateway",
                    "{} now forwards to {} (was {})", route.prefix, route.upstream, old.upstream
                ),
                Some(_) => {}
                None if routes.len() >= MAX_ROUTES => {
                    tracing::warn!(
                        target: "nephele_cloud::gateway",
                        "{} → {} not learned: already {MAX_ROUTES} routes", route.prefix, route.upstream
                    );
                    continue;
                }
                None if self.family == Family::OpenStack => tracing::info!(
                    target: "nephele_cloud::gateway",
                    "learned {} → {}", route.prefix, route.upstream
                ),
                None => {}
            }
            routes.retain(|r| !self.same_slot(r, &route));
            routes.push(route);
        }
    }

    /// A request named a path under no learned route: learn the catalog again
    /// (at most every [`REFRESH_EVERY`]) if that could help. Synnefo: from the
    /// identity service's public mode. Keystone has none: from `GET
    /// /v3/auth/catalog` with the request's own token, which only the configured
    /// Keystone ever sees and whose answer Keystone vouches for.
    async fn relearn_for(&self, path: &str, request: &HeaderMap) {
        let kind = path.trim_start_matches('/').split('/').next().unwrap_or("");
        if kind == "identity" || !self.services().contains(&kind) {
            return;
        }
        match self.family {
            Family::Synnefo => {
                // Synnefo names one API per type: a known type is known for good.
                if !self.routes().iter().any(|r| r.kind == kind) {
                    self.refresh_catalog().await;
                }
            }
            Family::OpenStack => {
                let token = request.get("x-auth-token").filter(|t| !t.is_empty());
                if let Some(token) = token {
                    self.refresh_keystone_catalog(token).await;
                }
            }
        }
    }

    /// The right to ask for the catalog now, if it was not asked for in the last
    /// [`REFRESH_EVERY`]. Held while asking, so that requests arriving meanwhile
    /// wait for the answer instead of being refused before it is in.
    async fn refresh_turn(&self) -> Option<tokio::sync::MutexGuard<'_, Option<Instant>>> {
        let mut last = self.last_refresh.lock().await;
        if last.is_some_and(|t| t.elapsed() < REFRESH_EVERY) {
            return None;
        }
        *last = Some(Instant::now());
        Some(last)
    }

    /// Learn the catalog from the identity service's public mode, at most every
    /// [`REFRESH_EVERY`].
    async fn refresh_catalog(&self) {
        let Some(_turn) = self.refresh_turn().await else { return };
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
