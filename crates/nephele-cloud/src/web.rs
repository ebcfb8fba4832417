//! The portal's static host: serves the built `dist/` (scripts/build-portal) with the right MIME types, an
//! SPA fallback to `index.html` for client routes, cache headers that let hashed
//! assets live forever, and a Content-Security-Policy strict enough that only our
//! own script and WebAssembly can run.

use std::path::{Path, PathBuf};

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderValue, Request, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use base64::Engine as _;
use sha2::{Digest, Sha256};
use tower::ServiceExt as _;
use tower_http::services::ServeDir;

/// The security headers every response of ours carries (API answers too).
pub fn security_headers(csp: &str) -> [(header::HeaderName, HeaderValue); 4] {
    [
        (header::CONTENT_SECURITY_POLICY, HeaderValue::from_str(csp).expect("CSP is ASCII")),
        (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
        (header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")),
        (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
    ]
}

/// Build the Content-Security-Policy for a `dist/` whose `index.html` may hold
/// inline module scripts (Trunk writes one to start the WebAssembly): each is
/// allowed by its SHA-256 hash rather than by `'unsafe-inline'`.
/// `connect_origins` are the API origins the browser may call besides our own.
pub fn content_security_policy(index_html: Option<&str>, connect_origins: &[String]) -> String {
    let mut script_src = vec!["'self'".to_owned(), "'wasm-unsafe-eval'".to_owned()];
    if let Some(html) = index_html {
        script_src.extend(inline_script_hashes(html).into_iter().map(|h| format!("'sha256-{h}'")));
    }
    let mut connect_src = vec!["'self'".to_owned()];
    connect_src.extend(connect_origins.iter().cloned());
    format!(
        "default-src 'none'; script-src {}; style-src 'self'; img-src 'self' data:; font-src 'self'; \
         connect-src {}; manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'",
        script_src.join(" "),
        connect_src.join(" ")
    )
}

/// The CSP for a built portal: inline scripts of `dist/index.html` by hash, and
/// connect-src from `dist/config.json` (see [`connect_origins_from_config`]).
/// The server sends it, and `nephele-cloud print-csp` prints it for other web servers.
pub fn csp_for_dist(dist: &Path) -> anyhow::Result<String> {
    let index = std::fs::read_to_string(dist.join("index.html"))
        .map_err(|e| anyhow::anyhow!("{}: {e}", dist.join("index.html").display()))?;
    let origins = match std::fs::read_to_string(dist.join("config.json")) {
        Ok(text) => connect_origins_from_config(&text),
        Err(_) => Vec::new(),
    };
    Ok(content_security_policy(Some(&index), &origins))
}

/// The API origins the portal may call besides its own, from `config.json`: the
/// origins of an absolute `identity_url`, of each `clouds[].identity_url`, and the
/// `api_origins` list (for catalogs that name other hosts). Relative URLs are the
/// portal's own origin ('self'). Anything that is not an http(s) origin is skipped.
pub fn connect_origins_from_config(text: &str) -> Vec<String> {
    let Ok(config) = serde_json::from_str::<serde_json::Value>(text) else { return Vec::new() };
    let mut urls: Vec<&str> = Vec::new();
    urls.extend(config.get("identity_url").and_then(|v| v.as_str()));
    if let Some(clouds) = config.get("clouds").and_then(|v| v.as_array()) {
        urls.extend(clouds.iter().filter_map(|c| c.get("identity_url").and_then(|v| v.as_str())));
    }
    if let Some(list) = config.get("api_origins").and_then(|v| v.as_array()) {
        urls.extend(list.iter().filter_map(|v| v.as_str()));
    }
    let mut origins: Vec<String> = Vec::new();
    for u in urls {
        let Ok(url) = url::Url::parse(u.trim()) else { continue };
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            continue;
        }
        let origin = url.origin().ascii_serialization();
        let clean = origin.bytes().all(|b| b.is_ascii_alphanumeric() || b".:/-[]".contains(&b));
        if clean && !origins.contains(&origin) {
            origins.push(origin);
        }
    }
    origins
}

/// Base64 SHA-256 of the body of every `<script>` without a `src` attribute.
pub fn inline_script_hashes(html: &str) -> Vec<String> {
    let mut hashes = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<script") {
        let after = &rest[start..];
        let Some(tag_end) = after.find('>') else { break };
        let tag = &after[..tag_end];
        let body_and_rest = &after[tag_end + 1..];
        let Some(close) = body_and_rest.find("</script>") else { break };
        if !tag.contains(" src=") {
            let digest = Sha256::digest(&body_and_rest.as_bytes()[..close]);
            hashes.push(base64::engine::general_purpose::STANDARD.encode(digest));
        }
        rest = &body_and_rest[close + "</script>".len()..];
    }
    hashes
}

#[derive(Clone)]
struct Dist {
    dir: PathBuf,
}

/// Routes that serve the portal from `dir`. Anything the API routes did not claim
/// ends up here.
pub fn router(dir: &Path) -> Router {
    Router::new().fallback(serve).with_state(Dist { dir: dir.to_path_buf() })
}

async fn serve(State(dist): State<Dist>, uri: Uri, req: Request<Body>) -> Response {
    let path = uri.path();
    let last = path.rsplit('/').next().unwrap_or("");
    let is_asset = last.contains('.');
    let is_document = !is_asset || last == "index.html";
    if is_document {
        return index(&dist.dir).await;
    }
    // `scripts/precompress` leaves `.br` and `.gz` beside the hashed assets:
    // served as they are, the best compression costs nothing per request.
    let files = ServeDir::new(&dist.dir).precompressed_br().precompressed_gzip();
    let mut res = match files.oneshot(req).await {
        Ok(res) => res.map(Body::new),
        Err(never) => match never {},
    };
    if res.status() == StatusCode::NOT_FOUND {
        return (StatusCode::NOT_FOUND, [(header::CACHE_CONTROL, "no-cache")], "Not found\n")
            .into_response();
    }
    let cache =
        if is_hashed_asset(last) { "public, max-age=31536000, immutable" } else { "no-cache" };
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    res
}

async fn index(dir: &Path) -> Response {
    match tokio::fs::read(dir.join("index.html")).await {
        Ok(bytes) => {
            // The CSP of the page is computed from the very bytes served, so a
            // rebuilt dist/ (new inline script, new hash) works without a restart.
            let origins = match tokio::fs::read_to_string(dir.join("config.json")).await {
                Ok(text) => connect_origins_from_config(&text),
                Err(_) => Vec::new(),
            };
            let csp = content_security_policy(Some(&String::from_utf8_lossy(&bytes)), &origins);
            let mut res = (
                [
                    (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                    (header::CACHE_CONTROL, "no-cache"),
                ],
                bytes,
            )
                .into_response();
            if let Ok(v) = HeaderValue::from_str(&csp) {
                res.headers_mut().insert(header::CONTENT_SECURITY_POLICY, v);
            }
            res
        }
        Err(_) => (
            StatusCode::NOT_FOUND,
            [(header::CACHE_CONTROL, "no-cache")],
            "The portal is not built here: run `make run`, or pass --dist DIR.\n",
        )
            .into_response(),
    }
}

/// Built assets are named `<name>-<hex hash>[_bg].<ext>` (scripts/build-portal: the
/// build's 16 digits on every module of the split build; Trunk's dev builds: a u64,
/// sometimes fewer digits): those never change.
fn is_hashed_asset(file: &str) -> bool {
    let stem = file.split('.').next().unwrap_or("");
    let stem = stem.strip_suffix("_bg").unwrap_or(stem);
    // The hash is a u64 in hex without leading zeros: usually 16 digits, sometimes fewer.
    stem.rsplit_once('-').is_some_and(|(_, hash)| {
        (12..=16).contains(&hash.len()) && hash.bytes().all(|b| b.is_ascii_hexdigit())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_inline_scripts_only() {
        let html =
            r#"<script src="/a.js"></script><script type="module">import x from '/x.js';</script>"#;
        let hashes = inline_script_hashes(html);
        assert_eq!(hashes.len(), 1);
        let expected = base64::engine::general_purpose::STANDARD
            .encode(Sha256::digest(b"import x from '/x.js';"));
        assert_eq!(hashes[0], expected);
        let csp = content_security_policy(Some(html), &["https://api.example.org".into()]);
        assert!(csp.contains(&format!("'sha256-{expected}'")));
        assert!(csp.contains("connect-src 'self' https://api.example.org;"));
        assert!(!csp.contains("unsafe-inline"));
    }

    #[test]
    fn connect_origins_come_from_config() {
        let text = r#"{"identity_url": "/identity/v2.0",
            "clouds": [{"name": "A", "identity_url": "https://accounts.example.org/astakos/identity/v2.0"},
                       {"name": "B", "identity_url": "https://accounts.example.org:8443/identity/v2.0"}],
            "api_origins": ["https://cyclades.example.org", "https://accounts.example.org/x", "javascript:alert(1)", "*"]}"#;
        assert_eq!(
            connect_origins_from_config(text),
            [
                "https://accounts.example.org",
                "https://accounts.example.org:8443",
                "https://cyclades.example.org"
            ]
        );
        assert!(connect_origins_from_config("not json").is_empty());
        assert!(connect_origins_from_config(r#"{"identity_url": "/identity/v2.0"}"#).is_empty());
    }

    #[tokio::test]
    async fn serves_precompressed_assets_when_the_browser_accepts_them() {
        let dir = std::env::temp_dir().join(format!("nephele-web-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("index.html"), "<html></html>").unwrap();
        std::fs::write(dir.join("app-0123456789abcdef.js"), "plain").unwrap();
        std::fs::write(dir.join("app-0123456789abcdef.js.br"), "brotli bytes").unwrap();
        let get = |accept: &'static str| {
            let req = Request::builder()
                .uri("/app-0123456789abcdef.js")
                .header(header::ACCEPT_ENCODING, accept)
                .body(Body::empty())
                .unwrap();
            router(&dir).oneshot(req)
        };
        let res = get("gzip, deflate, br").await.unwrap();
        assert_eq!(res.headers()[header::CONTENT_ENCODING], "br");
        assert_eq!(res.headers()[header::CACHE_CONTROL], "public, max-age=31536000, immutable");
        assert!(res.headers()[header::CONTENT_TYPE].to_str().unwrap().contains("javascript"));
        let body = axum::body::to_bytes(res.into_body(), 1024).await.unwrap();
        assert_eq!(&body[..], b"brotli bytes");
        let res = get("identity").await.unwrap();
        assert!(res.headers().get(header::CONTENT_ENCODING).is_none());
        let body = axum::body::to_bytes(res.into_body(), 1024).await.unwrap();
        assert_eq!(&body[..], b"plain");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn recognises_hashed_assets() {
        assert!(is_hashed_asset("nephele-7f3a9c2b1d4e5f60_bg.wasm"));
        assert!(is_hashed_asset("nephele-7f3a9c2b1d4e5f60.js"));
        assert!(is_hashed_asset("main-0123456789abcdef.css"));
        // The split build's page modules, shared chunks and loader.
        assert!(is_hashed_asset("page-floating-ips-e5e24b87a66cebc8.wasm"));
        assert!(is_hashed_asset("chunk_17-e5e24b87a66cebc8.wasm"));
        assert!(is_hashed_asset("loader-e5e24b87a66cebc8.js"));
        assert!(!is_hashed_asset("page-floating-ips.wasm"));
        assert!(
            is_hashed_asset("main-5dd4b754689e77b.css"),
            "a hash with its leading zero dropped"
        );
        assert!(!is_hashed_asset("config.json"));
        assert!(!is_hashed_asset("favicon.svg"));
    }
}
