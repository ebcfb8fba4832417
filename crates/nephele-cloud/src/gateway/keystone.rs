//! What the gateway does differently for an OpenStack cloud (`--upstream …/v3`):
//! Keystone's v3 catalog, its paths and who vouches for an answer.
//!
//! Same-origin layout (`<r>` is the endpoint's region, percent-encoded; `<tail>`
//! the endpoint URL's path from its version segment on, e.g. `/v2.1` or
//! `/v2.1/<project_id>`, empty for Neutron's unversioned URL):
//!
//! * `/identity/v3/…` → `--upstream` (always; every public identity endpoint of
//!   the catalog is rewritten to it).
//! * `/network/<r><tail>/…` → that region's public `network` endpoint.
//! * `/compute/<r><tail>/…` → that region's public `compute` endpoint.
//!
//! The region is always in the path, so two regions never share a prefix and a
//! session made for one region can never be sent to another's API, however the
//! catalog's order changes. The tail keeps the version where the portal looks for
//! it (Neutron is listed without one and the portal appends `/v2.0`; Nova's is
//! kept as given) and keeps per-project Nova URLs apart.
//!
//! Rewritten: `token.catalog` in the answers to `POST` and `GET /v3/auth/tokens`,
//! and `catalog` in `GET /v3/auth/catalog`. Kept: each forwarded service's public
//! endpoints on an allowed origin, their `url` replaced by the gateway's. Left
//! out: other service types, `internal` and `admin` endpoints, endpoints on other
//! origins: the browser could not use them through the gateway, and a client that
//! followed one would carry the user's token to a host the gateway never vets.
//!
//! Who teaches: only an answer Keystone gave to an authenticated request (a `POST`
//! whose answer carries `X-Subject-Token`, a `GET` sent with `X-Auth-Token`).
//! Keystone has no public catalog, so nothing anonymous ever teaches a route.

use super::*;

/// The Keystone paths whose answers carry a catalog, below the identity URL.
const TOKENS: &str = "/auth/tokens";
const CATALOG: &str = "/auth/catalog";

/// True for a request whose answer holds a catalog the gateway must rewrite.
pub(super) fn carries_catalog(method: &Method, rest: &str) -> bool {
    let rest = rest.trim_end_matches('/');
    (rest == TOKENS && (method == Method::POST || method == Method::GET))
        || (rest == CATALOG && method == Method::GET)
}

/// Whether Keystone vouched for this answer: it authenticated the request. A
/// sign-in's answer carries the new token in `X-Subject-Token`; a `GET` is only
/// answered for a valid `X-Auth-Token`.
pub(super) fn vouched(method: &Method, request: &HeaderMap, answer: &HeaderMap) -> Source {
    let present = |h: &HeaderMap, name: &str| h.get(name).is_some_and(|v| !v.is_empty());
    let signed_in = if method == Method::POST {
        present(answer, "x-subject-token")
    } else {
        present(request, "x-auth-token")
    };
    if signed_in {
        Source::SignedIn
    } else {
        Source::Anonymous
    }
}

/// The same-origin prefix of a Keystone catalog endpoint, or `None` when its
/// region cannot be a path segment that stays itself: `.`/`..` would be resolved
/// away, and a region that looks like a version (`v2`) would make the portal
/// take `/network/v2` for Neutron's versioned URL and not append `/v2.0`.
pub(super) fn prefix(kind: &str, region: Option<&str>, url: &Url) -> Option<String> {
    let mut out = format!("/{kind}");
    if let Some(region) = region {
        if region == "." || region == ".." || is_version(region) {
            return None;
        }
        out.push('/');
        out.extend(percent_encoding::utf8_percent_encode(region, SEGMENT));
    }
    // The URL's path from its first version segment on (already percent-encoded).
    let segments: Vec<&str> = url.path().split('/').filter(|s| !s.is_empty()).collect();
    if let Some(at) = segments.iter().position(|s| is_version(s)) {
        for s in &segments[at..] {
            out.push('/');
            out.push_str(s);
        }
    }
    Some(out)
}

/// Everything but RFC 3986's unreserved characters is percent-encoded in a region.
const SEGMENT: &percent_encoding::AsciiSet =
    &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// `v3`, `v2.0`, `v2.1`: the version segments OpenStack URLs end in.
fn is_version(segment: &str) -> bool {
    segment.strip_prefix('v').is_some_and(|v| {
        let mut parts = v.splitn(2, '.');
        let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
        parts.next().is_some_and(digits) && parts.next().is_none_or(digits)
    })
}

fn text<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    value.get(key).and_then(Value::as_str).filter(|s| !s.is_empty())
}

impl Gateway {
    /// Rewrite a Keystone answer's catalog (`token.catalog`, or `catalog` of `GET
    /// /v3/auth/catalog`) to point at `origin`, and learn what it names when
    /// Keystone vouched for it (`source`).
    pub(super) fn rewrite_keystone_catalog(
        &self,
        answer: &mut Value,
        origin: &str,
        source: Source,
    ) {
        let catalog = if answer.pointer("/token/catalog").is_some() {
            answer.pointer_mut("/token/catalog")
        } else {
            answer.pointer_mut("/catalog")
        };
        let Some(catalog) = catalog.and_then(Value::as_array_mut) else { return };
        let mut learned: Vec<Route> = Vec::new();
        catalog.retain_mut(|service| {
            let Some(kind) = text(service, "type").map(str::to_owned) else { return false };
            if !OPENSTACK_SERVICES.contains(&kind.as_str()) {
                return false;
            }
            let Some(endpoints) = service.get_mut("endpoints").and_then(Value::as_array_mut) else {
                return false;
            };
            endpoints.retain_mut(|endpoint| {
                let Some(route) = self.keystone_route(&kind, endpoint, source, &learned) else {
                    return false;
                };
                endpoint["url"] = Value::String(format!("{origin}{}", route.prefix));
                if kind != "identity" && !learned.iter().any(|r| r.prefix == route.prefix) {
                    learned.push(route);
                }
                true
            });
            !endpoints.is_empty()
        });
        if source == Source::SignedIn {
            self.learn(learned);
        }
    }

    /// The route one catalog endpoint stands for, if the gateway forwards it.
    /// `so_far`: what this answer already named, so that a second endpoint that
    /// would take the same path to another URL is left out, not mixed up with it.
    fn keystone_route(
        &self,
        kind: &str,
        endpoint: &Value,
        source: Source,
        so_far: &[Route],
    ) -> Option<Route> {
        if text(endpoint, "interface") != Some("public") {
            return None;
        }
        let url = text(endpoint, "url").and_then(|u| parse_upstream(u).ok())?;
        if kind == "identity" {
            // One Keystone, the configured one, whatever host the catalog calls it by.
            return Some(self.identity.clone());
        }
        if !self.allowed(&url) {
            tracing::warn!(
                target: "nephele_cloud::gateway",
                "catalog names {kind} at {}, which is not an allowed upstream origin \
                 (add --upstream-origin to forward there): left out",
                url.origin().ascii_serialization()
            );
            return None;
        }
        let region = text(endpoint, "region_id").or_else(|| text(endpoint, "region"));
        let Some(prefix) = prefix(kind, region, &url) else {
            tracing::warn!(
                target: "nephele_cloud::gateway",
                "catalog names {kind} in region {region:?}, which cannot be a path segment: left out"
            );
            return None;
        };
        if so_far.iter().any(|r| r.prefix == prefix && r.upstream != url) {
            tracing::warn!(
                target: "nephele_cloud::gateway",
                "catalog names two {kind} endpoints for {prefix}: the second ({url}) left out"
            );
            return None;
        }
        Some(Route {
            kind: kind.to_owned(),
            region: region.map(str::to_owned),
            prefix,
            upstream: url,
            learned_from: source,
        })
    }

    /// Learn the catalog from `GET /v3/auth/catalog` with a request's token, at
    /// most every [`REFRESH_EVERY`] (a gateway restarted under a live session).
    pub(super) async fn refresh_keystone_catalog(&self, token: &HeaderValue) {
        let Some(_turn) = self.refresh_turn().await else { return };
        let url = format!("{}{CATALOG}", self.identity.upstream);
        let answer = tokio::time::timeout(self.timeout, async {
            let resp = self
                .client
                .get(url)
                .header("x-auth-token", token.clone())
                .header(header::ACCEPT, "application/json")
                .send()
                .await
                .ok()?;
            if !resp.status().is_success() {
                return None;
            }
            let bytes = read_limited(resp, IDENTITY_ANSWER_LIMIT).await.ok()?;
            serde_json::from_slice::<Value>(&bytes).ok()
        })
        .await;
        match answer {
            Ok(Some(mut value)) => {
                self.rewrite_keystone_catalog(&mut value, "", Source::SignedIn);
                tracing::info!(target: "nephele_cloud::gateway", "catalog learned (GET /v3/auth/catalog): {}", self.describe());
            }
            _ => tracing::warn!(
                target: "nephele_cloud::gateway",
                "could not learn the catalog from Keystone (GET /v3/auth/catalog)"
            ),
        }
    }
}
