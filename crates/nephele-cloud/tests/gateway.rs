//! Gateway mode against a second nephele-cloud acting as the "real" cloud on
//! another loopback port. The upstream records every request it receives, so the
//! tests can check what was (and was not) forwarded, and with which headers.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Request, State};
use axum::middleware::{self, Next};
use axum::response::Response;
use common::*;
use nephele_cloud::{Options, Running};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

/// What the upstream saw of one request.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    query: Option<String>,
    token: Option<String>,
    host: String,
    cookie: bool,
    hop: bool,
    /// `Content-Length`, and whether the body came chunked (Django, behind
    /// gunicorn, reads no body without a length).
    length: Option<String>,
    chunked: bool,
    /// Any `Forwarded` / `X-Forwarded-*` header.
    forwarded: bool,
}

type Log = Arc<Mutex<Vec<Seen>>>;

struct Upstream {
    url: String,
    seen: Log,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Upstream {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Upstream {
    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().expect("log").clone()
    }
}

async fn record(State(log): State<Log>, req: Request, next: Next) -> Response {
    let h = req.headers();
    let seen = Seen {
        method: req.method().to_string(),
        path: req.uri().path().to_owned(),
        query: req.uri().query().map(str::to_owned),
        token: h.get("x-auth-token").and_then(|v| v.to_str().ok()).map(str::to_owned),
        host: h.get("host").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned(),
        cookie: h.contains_key("cookie"),
        hop: h.contains_key("x-hop") || h.contains_key("proxy-authorization"),
        length: h.get("content-length").and_then(|v| v.to_str().ok()).map(str::to_owned),
        chunked: h.contains_key("transfer-encoding"),
        forwarded: h
            .keys()
            .any(|k| k.as_str() == "forwarded" || k.as_str().starts_with("x-forwarded-")),
    };
    log.lock().expect("log").push(seen);
    next.run(req).await
}

/// The "real" cloud: a local cloud on the demo seed, recording what it receives.
async fn upstream() -> Upstream {
    let router = nephele_cloud::app(&options(demo_seed(), 100)).await.expect("upstream app");
    let seen: Log = Arc::default();
    let router = router.layer(middleware::from_fn_with_state(seen.clone(), record));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    Upstream { url, seen, task }
}

async fn gateway_to(identity_url: &str, timeout: Duration) -> Running {
    capture_logs("nephele_cloud::gateway=info");
    nephele_cloud::start(Options {
        listen: "127.0.0.1:0".parse().expect("addr"),
        upstream: Some(identity_url.to_owned()),
        upstream_timeout: timeout,
        ..Default::default()
    })
    .await
    .expect("gateway starts")
}

/// Send raw bytes (paths no URL library would leave alone) and return the status and body.
async fn raw(base: &str, request_line: &str, extra: &str) -> (u16, String) {
    let addr = base.trim_start_matches("http://");
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let req = format!("{request_line}\r\nHost: {addr}\r\nX-Auth-Token: {DEMO_TOKEN}\r\n{extra}Connection: close\r\n\r\n");
    s.write_all(req.as_bytes()).await.expect("write");
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(20), s.read_to_end(&mut out))
        .await
        .expect("answer in time")
        .expect("read");
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = text.split("\r\n\r\n").nth(1).unwrap_or_default().to_owned();
    (status, body)
}

fn sign_in_body(token: &str) -> Value {
    json!({"auth": {"token": {"id": token}}})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn walkthrough_through_the_gateway() {
    let up = upstream().await;
    let gw = gateway_to(&format!("{}/identity/v2.0", up.url), Duration::from_secs(20)).await;
    let base = gw.url();
    let anon = Api { base: base.clone(), token: None, http: reqwest::Client::new() };
    let direct =
        Api { base: up.url.clone(), token: Some(DEMO_TOKEN.into()), http: reqwest::Client::new() };

    // Sign in: the catalog now points at the gateway, the token and expiry are untouched.
    let r = anon.post("/identity/v2.0/tokens", sign_in_body(DEMO_TOKEN)).await;
    r.expect(200);
    let access = &r.body["access"];
    assert_eq!(access["token"]["id"], DEMO_TOKEN);
    assert!(access["token"]["expires"].is_string(), "{}", r.text);
    let mut urls: Vec<(String, String)> = access["serviceCatalog"]
        .as_array()
        .expect("catalog")
        .iter()
        .map(|s| {
            (
                s["type"].as_str().unwrap_or("").to_owned(),
                s["endpoints"][0]["publicURL"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    urls.sort();
    assert_eq!(
        urls,
        [
            ("account".to_owned(), format!("{base}/account/v1.0")),
            ("compute".to_owned(), format!("{base}/compute/v2.0")),
            ("identity".to_owned(), format!("{base}/identity/v2.0")),
            ("network".to_owned(), format!("{base}/network")),
        ]
    );
    // `SNF:uiURL` stays: it is a link for people (the cloud's own web UI), not an API.
    assert_eq!(access["serviceCatalog"][0]["endpoints"][0]["SNF:uiURL"], format!("{}/", up.url));

    // A wrong token: the upstream's 401 fault passes through unchanged.
    let bad = anon.post("/identity/v2.0/tokens", sign_in_body("not-a-token")).await;
    let bad_direct = Api { token: None, ..direct.clone() }
        .post("/identity/v2.0/tokens", sign_in_body("not-a-token"))
        .await;
    bad.expect_fault(401, "unauthorized");
    assert_eq!(bad.text, bad_direct.text);

    let api = Api { token: Some(DEMO_TOKEN.into()), ..anon.clone() };
    // List networks, with the header and with the token in the query (as Synnefo allows).
    let r = api.get(&format!("{NET}/networks")).await;
    r.expect(200);
    assert_eq!(ids(&r.body["networks"]), ["1"]);
    let q = anon.get(&format!("{NET}/networks?X-Auth-Token={DEMO_TOKEN}")).await;
    q.expect(200);
    assert_eq!(q.body, r.body);

    // Create a network, connect a port to server 141, wait until it is ACTIVE.
    let r = api
        .post(
            &format!("{NET}/networks"),
            json!({"network": {"name": "via gateway", "type": "MAC_FILTERED"}}),
        )
        .await;
    r.expect(201);
    let net = r.body["network"]["id"].as_str().expect("network id").to_owned();
    let r = api
        .post(&format!("{NET}/ports"), json!({"port": {"network_id": net, "device_id": "141"}}))
        .await;
    r.expect(201);
    let port = r.body["port"]["id"].as_str().expect("port id").to_owned();
    api.wait_port_active(&port).await;

    // Reserve a floating IP, then keep reserving until the quota says no: 413 passes through.
    let r = api
        .post(&format!("{NET}/floatingips"), json!({"floatingip": {"floating_network_id": "1"}}))
        .await;
    r.expect(200);
    let mut over = None;
    for _ in 0..10 {
        let r = api
            .post(
                &format!("{NET}/floatingips"),
                json!({"floatingip": {"floating_network_id": "1"}}),
            )
            .await;
        if r.status != 200 {
            over = Some(r);
            break;
        }
    }
    let over = over.expect("the floating-IP quota ends");
    over.expect_fault(413, "overLimit");
    let over_direct = direct
        .post(&format!("{NET}/floatingips"), json!({"floatingip": {"floating_network_id": "1"}}))
        .await;
    assert_eq!(over.text, over_direct.text, "the fault body is relayed byte for byte");

    // Deleting a network that has a port: 409 passes through with its body.
    let r = api.delete(&format!("{NET}/networks/{net}")).await;
    r.expect_fault(409, "conflict");
    let d = direct.delete(&format!("{NET}/networks/{net}")).await;
    assert_eq!(r.text, d.text);

    // Compute and account go through too.
    api.get("/compute/v2.0/servers").await.expect(200);
    let quotas = api.get("/account/v1.0/quotas").await;
    quotas.expect(200);
    assert!(quotas.body[DEMO_UUID]["cyclades.floating_ip"]["usage"].is_number(), "{}", quotas.text);

    // Refused without asking the upstream: paths outside the catalog, dot segments, huge bodies.
    let before = up.seen().len();
    let outside = api.get("/compute/v1.1/servers").await;
    outside.expect_fault(404, "itemNotFound");
    assert!(outside.message().contains("service catalog"), "{}", outside.text);
    let (status, body) = raw(&base, "GET /network/v2.0/%2e%2e/%2E%2e/metrics HTTP/1.1", "").await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("badRequest"), "{body}");
    let (status, _) = raw(&base, "GET /network/v2.0/../../metrics HTTP/1.1", "").await;
    assert_eq!(status, 400);
    let (status, _) = raw(&base, "GET /account/v1.0\\..\\..\\metrics HTTP/1.1", "").await;
    assert_eq!(status, 400);
    // A body declared over 1 MiB is refused before any of it is read. (Sent as
    // headers alone: a client still writing the body may see the connection
    // close before it reads the answer.)
    let (status, body) = raw(
        &base,
        &format!("POST {NET}/networks HTTP/1.1"),
        "Content-Type: application/json\r\nContent-Length: 2097152\r\n",
    )
    .await;
    assert_eq!(status, 413, "{body}");
    assert!(body.contains("requestEntityTooLarge"), "{body}");
    // Not an API path at all: the gateway has no portal here, so nothing answers it.
    let r = api.get("/metrics").await;
    assert_eq!(r.status, 404);
    assert_eq!(
        up.seen().len(),
        before,
        "the upstream saw a refused request: {:?}",
        &up.seen()[before..]
    );

    // Hop-by-hop headers and cookies stay behind; the token arrives untouched; the
    // upstream sees its own Host.
    let r = api
        .http
        .get(format!("{base}{NET}/networks"))
        .header("X-Auth-Token", DEMO_TOKEN)
        .header("Cookie", "portal-session=1")
        .header("Connection", "x-hop")
        .header("X-Hop", "1")
        .header("Proxy-Authorization", "Basic eDp5")
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), 200);
    let last = up.seen().last().cloned().expect("seen");
    assert_eq!(last.path, "/network/v2.0/networks");
    assert!(!last.cookie && !last.hop, "{last:?}");
    assert_eq!(last.host, up.url.trim_start_matches("http://"));

    // Everything the upstream saw was an API path the catalog named, with the token as sent.
    let seen = up.seen();
    for s in &seen {
        assert!(
            ["/identity/v2.0/", "/network/v2.0/", "/compute/v2.0/", "/account/v1.0/"]
                .iter()
                .any(|p| s.path.starts_with(p)),
            "{s:?}"
        );
        assert!(s.token.as_deref().is_none_or(|t| t == DEMO_TOKEN), "{s:?}");
    }
    assert!(
        seen.iter().any(|s| s.query.as_deref() == Some(&format!("X-Auth-Token={DEMO_TOKEN}")[..])),
        "query forwarded"
    );
    let post = seen
        .iter()
        .find(|s| s.method == "POST" && s.path == "/network/v2.0/ports")
        .expect("the port POST");
    assert!(
        post.length.as_deref().is_some_and(|l| l != "0") && !post.chunked,
        "bodies keep their length: {post:?}"
    );
    let tokens = seen.iter().find(|s| s.path == "/identity/v2.0/tokens").expect("the tokens POST");
    assert!(tokens.length.is_some() && !tokens.chunked, "{tokens:?}");

    // The request log: one line per call, never a token.
    let lines = log_lines();
    for l in &lines {
        assert!(!l.contains(DEMO_TOKEN) && !l.contains("not-a-token"), "token in the log: {l}");
    }
    let mine: Vec<&String> =
        lines.iter().filter(|l| l.contains("→ upstream") || l.contains("refused")).collect();
    assert!(
        mine.iter().any(|l| l.contains("POST /identity/v2.0/tokens → upstream 200")),
        "{mine:#?}"
    );
    assert!(
        mine.iter().any(|l| l.contains("GET /network/v2.0/networks → upstream 200")),
        "{mine:#?}"
    );
    assert!(
        mine.iter().any(|l| l.contains("POST /network/v2.0/floatingips → upstream 413")),
        "{mine:#?}"
    );
    assert!(
        mine.iter()
            .any(|l| l.contains("GET /compute/v1.1/servers refused (not in the catalog) 404")),
        "{mine:#?}"
    );
    eprintln!("--- gateway request log ---\n{}", lines.join("\n"));
    gw.stop().await.expect("gateway stops");
}

/// Issue 11, hole 1: one anonymous, bodyless `POST /tokens` with
/// `X-Forwarded-Proto: https` used to reach the upstream with that header; the
/// upstream answered `https://` URLs, the gateway learned them from the
/// anonymous answer, and every user's next call was `502 badGateway`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_anonymous_request_cannot_change_where_the_gateway_forwards() {
    let up = upstream().await;
    let gw = gateway_to(&format!("{}/identity/v2.0", up.url), Duration::from_secs(20)).await;
    let user = Api { base: gw.url(), token: Some(DEMO_TOKEN.into()), http: reqwest::Client::new() };
    let anon = Api { token: None, ..user.clone() };
    anon.post("/identity/v2.0/tokens", sign_in_body(DEMO_TOKEN)).await.expect(200);
    user.get(&format!("{NET}/networks")).await.expect(200);

    let spoofed = [
        ("X-Forwarded-Proto", "https"),
        ("X-Forwarded-Host", "evil.example"),
        ("Forwarded", "proto=https;host=evil.example"),
    ];
    for (name, value) in spoofed {
        let r = anon
            .http
            .post(format!("{}/identity/v2.0/tokens", gw.url()))
            .header(name, value)
            .send()
            .await
            .expect("sent");
        assert_eq!(r.status(), 200, "{name}");
        let text = r.text().await.expect("body");
        assert!(!text.contains("evil.example"), "{name}: {text}");
        // Every user's calls still reach the cloud.
        let r = user.get(&format!("{NET}/networks")).await;
        r.expect(200);
        let r = user.get("/compute/v2.0/servers").await;
        r.expect(200);
    }
    assert!(up.seen().iter().all(|s| !s.forwarded), "{:?}", up.seen());

    // Nor can an anonymous request teach a fresh gateway wrong routes.
    let fresh = gateway_to(&format!("{}/identity/v2.0", up.url), Duration::from_secs(20)).await;
    let r = reqwest::Client::new()
        .post(format!("{}/identity/v2.0/tokens", fresh.url()))
        .header("X-Forwarded-Proto", "https")
        .send()
        .await
        .expect("sent");
    assert_eq!(r.status(), 200);
    let r = Api { base: fresh.url(), ..user.clone() }.get(&format!("{NET}/networks")).await;
    r.expect(200);
    fresh.stop().await.expect("stops");
    gw.stop().await.expect("stops");
}

#[tokio::test]
async fn catalog_is_learned_without_a_sign_in() {
    // A gateway restarted while the browser still holds a session: the first call is
    // not a sign-in, so the gateway learns the catalog from the public mode.
    let up = upstream().await;
    let gw = gateway_to(&format!("{}/identity/v2.0/", up.url), Duration::from_secs(20)).await;
    let api = Api { base: gw.url(), token: Some(DEMO_TOKEN.into()), http: reqwest::Client::new() };
    let r = api.get(&format!("{NET}/networks")).await;
    r.expect(200);
    let seen = up.seen();
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert_eq!(
        (seen[0].method.as_str(), seen[0].path.as_str(), seen[0].token.as_deref()),
        ("POST", "/identity/v2.0/tokens", None)
    );
    assert_eq!(seen[1].path, "/network/v2.0/networks");
    // Public mode through the gateway: the catalog alone, rewritten.
    let r = Api { token: None, ..api.clone() }
        .raw("POST", "/identity/v2.0/tokens", None, Vec::new())
        .await;
    r.expect(200);
    assert!(r.body["access"].get("user").is_none());
    assert!(r.text.contains(&format!("{}/network", gw.url())), "{}", r.text);
    gw.stop().await.expect("stops");
}

#[tokio::test]
async fn unreachable_and_silent_clouds_are_faults() {
    // Nothing listens: 502 badGateway.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = closed.local_addr().expect("addr");
    drop(closed);
    let gw = gateway_to(&format!("http://{addr}/identity/v2.0"), Duration::from_secs(20)).await;
    let api = Api { base: gw.url(), token: None, http: reqwest::Client::new() };
    let r = api.post("/identity/v2.0/tokens", sign_in_body(DEMO_TOKEN)).await;
    r.expect_fault(502, "badGateway");
    assert!(!r.text.contains(DEMO_TOKEN));
    gw.stop().await.expect("stops");

    // Accepts but never answers: 504 gatewayTimeout after the configured timeout.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = silent.local_addr().expect("addr");
    let hold = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = silent.accept().await {
            held.push(s);
        }
    });
    let gw = gateway_to(&format!("http://{addr}/identity/v2.0"), Duration::from_millis(300)).await;
    let api = Api { base: gw.url(), token: None, http: reqwest::Client::new() };
    let r = api.post("/identity/v2.0/tokens", sign_in_body(DEMO_TOKEN)).await;
    r.expect_fault(504, "gatewayTimeout");
    hold.abort();
    gw.stop().await.expect("stops");
}

#[tokio::test]
async fn bad_upstream_urls_are_refused_at_start() {
    for bad in [
        "ftp://cloud.example.org/identity",
        "not a url",
        "https://user:pw@cloud.example.org/identity",
        "https://x/identity?X-Auth-Token=t",
    ] {
        let err = nephele_cloud::start(Options {
            listen: "127.0.0.1:0".parse().expect("addr"),
            upstream: Some(bad.to_owned()),
            ..Default::default()
        })
        .await
        .err()
        .unwrap_or_else(|| panic!("{bad} accepted"));
        assert!(err.to_string().contains("--upstream"), "{err}");
    }
}

#[tokio::test]
async fn portal_and_security_headers_in_gateway_mode() {
    let up = upstream().await;
    let dir = temp_dir("gw-dist");
    std::fs::write(
        dir.path().join("index.html"),
        "<!doctype html><script type=\"module\">boot()</script>",
    )
    .expect("index");
    std::fs::write(dir.path().join("config.json"), r#"{"identity_url": "/identity/v2.0"}"#)
        .expect("config");
    let gw = nephele_cloud::start(Options {
        listen: "127.0.0.1:0".parse().expect("addr"),
        upstream: Some(format!("{}/identity/v2.0", up.url)),
        dist: Some(dir.path().to_path_buf()),
        ..Default::default()
    })
    .await
    .expect("starts");
    let http = reqwest::Client::new();
    let page = http.get(format!("{}/networks", gw.url())).send().await.expect("page");
    assert_eq!(page.status(), 200);
    let csp = page.headers()["content-security-policy"].to_str().expect("csp").to_owned();
    assert!(csp.contains("connect-src 'self';"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(csp.contains("'wasm-unsafe-eval'"), "{csp}");
    assert_eq!(page.headers()["x-content-type-options"], "nosniff");
    let api = http
        .post(format!("{}/identity/v2.0/tokens", gw.url()))
        .header("Content-Type", "application/json")
        .body(sign_in_body(DEMO_TOKEN).to_string())
        .send()
        .await
        .expect("api");
    assert_eq!(api.status(), 200);
    assert_eq!(api.headers()["referrer-policy"], "no-referrer");
    assert_eq!(
        api.headers()["content-security-policy"],
        csp.as_str(),
        "the gateway's CSP, not the cloud's"
    );
    assert_eq!(api.headers()["vary"], "X-Auth-Token", "the upstream's headers are kept");
    gw.stop().await.expect("stops");
}

#[tokio::test]
async fn public_origin_fixes_the_catalog_behind_a_cdn() {
    let up = upstream().await;
    capture_logs("nephele_cloud::gateway=info");
    let gw = nephele_cloud::start(Options {
        listen: "127.0.0.1:0".parse().expect("addr"),
        upstream: Some(format!("{}/identity/v2.0", up.url)),
        public_origin: Some("https://portal.example.org/".into()),
        ..Default::default()
    })
    .await
    .expect("starts");
    let r = Api { base: gw.url(), token: None, http: reqwest::Client::new() }
        .post("/identity/v2.0/tokens", sign_in_body(DEMO_TOKEN))
        .await;
    r.expect(200);
    let urls: Vec<&str> = r.body["access"]["serviceCatalog"]
        .as_array()
        .expect("catalog")
        .iter()
        .filter_map(|s| s["endpoints"][0]["publicURL"].as_str())
        .collect();
    assert_eq!(urls.len(), 4);
    assert!(urls.iter().all(|u| u.starts_with("https://portal.example.org/")), "{urls:?}");
    gw.stop().await.expect("stops");
    let bad = nephele_cloud::start(Options {
        listen: "127.0.0.1:0".parse().expect("addr"),
        upstream: Some(format!("{}/identity/v2.0", up.url)),
        public_origin: Some("https://portal.example.org/portal".into()),
        ..Default::default()
    })
    .await;
    assert!(bad.err().expect("refused").to_string().contains("--public-origin"));
}

#[tokio::test]
async fn odd_bytes_are_answered_not_crashed_on() {
    let up = upstream().await;
    let gw = gateway_to(&format!("{}/identity/v2.0", up.url), Duration::from_secs(20)).await;
    let base = gw.url();
    let addr = base.trim_start_matches("http://").to_owned();
    // Percent-encoded non-UTF-8 in path and query: forwarded as is; the cloud answers.
    let (status, _) =
        raw(&base, "GET /network/v2.0/networks/%FF%FE?changes-since=%FF HTTP/1.1", "").await;
    assert!((400..500).contains(&status), "{status}");
    // Raw non-UTF-8 bytes in a header value: passed through, answered.
    let mut s = tokio::net::TcpStream::connect(&addr).await.expect("connect");
    let mut req = format!("GET /network/v2.0/networks HTTP/1.1\r\nHost: {addr}\r\nX-Auth-Token: {DEMO_TOKEN}\r\nX-Note: ").into_bytes();
    req.extend_from_slice(b"\xff\xfe\r\nConnection: close\r\n\r\n");
    s.write_all(&req).await.expect("write");
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(20), s.read_to_end(&mut out))
        .await
        .expect("in time")
        .expect("read");
    assert!(out.starts_with(b"HTTP/1.1 200"), "{}", String::from_utf8_lossy(&out));
    // A declared length that is not a number: refused before the cloud sees it.
    let before = up.seen().len();
    let (status, _) =
        raw(&base, "POST /network/v2.0/networks HTTP/1.1", "Content-Length: lots\r\n").await;
    assert_eq!(status, 400);
    assert_eq!(up.seen().len(), before);
    // Still serving.
    Api { base: base.clone(), token: Some(DEMO_TOKEN.into()), http: reqwest::Client::new() }
        .get(&format!("{NET}/networks"))
        .await
        .expect(200);
    gw.stop().await.expect("stops");
}

#[test]
fn the_command_line_refuses_a_bad_upstream() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_nephele-cloud"))
        .args(["--listen", "127.0.0.1:0", "--upstream", "ftp://cloud.example.org/identity/v2.0"])
        .output()
        .expect("run nephele-cloud");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--upstream") && err.contains("http:// or https://"), "{err}");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_nephele-cloud"))
        .args(["--upstream", "https://cloud.example.org/identity/v2.0", "--seed", "demo/seed.toml"])
        .output()
        .expect("run nephele-cloud");
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("cannot be used with"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
