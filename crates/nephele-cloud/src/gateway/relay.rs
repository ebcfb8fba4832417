//! Forwarding one request: the path checks, the call upstream with the headers
//! that may pass, the answer streamed back within the limits, and the faults
//! when the cloud cannot be reached.

use super::keystone;
use super::*;

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
pub(super) enum Refusal {
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
pub(super) fn unsafe_path(path: &str) -> bool {
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
            gw.relearn_for(&path, req.headers()).await;
            gw.find(&path)
        }
    };
    let (route, rest) = found.ok_or(Refusal::NotInCatalog)?;
    let mut target = route.target(&rest);
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
    // The identity answers whose catalog is rewritten (and read whole for it).
    let is_tokens = route.kind == "identity"
        && match gw.family {
            Family::Synnefo => {
                parts.method == Method::POST && rest.trim_end_matches('/').ends_with("/tokens")
            }
            Family::OpenStack => keystone::carries_catalog(&parts.method, &rest),
        };

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
        // Whether Keystone vouched for the answer (its headers say, read before the
        // body consumes the response); Astakos answers carry that in the body.
        let source = keystone::vouched(&parts.method, &parts.headers, resp.headers());
        let bytes = read_limited(resp, IDENTITY_ANSWER_LIMIT).await?;
        let mut value: Value = serde_json::from_slice(&bytes)
            .map_err(|_| Refusal::BadAnswer("the identity answer is not JSON".into()))?;
        match gw.family {
            Family::Synnefo => gw.rewrite_catalog(&mut value, &origin),
            Family::OpenStack => gw.rewrite_keystone_catalog(&mut value, &origin, source),
        }
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
pub(super) fn stays_under(url: &Url, base: &Url) -> bool {
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

pub(super) async fn read_limited(
    resp: reqwest::Response,
    limit: usize,
) -> Result<Vec<u8>, Refusal> {
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
pub(super) fn forwardable(headers: &HeaderMap) -> HeaderMap {
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
