//! Gateway mode for an OpenStack cloud (`--upstream …/v3`) against a fake Keystone,
//! two fake Neutrons (RegionOne, RegionTwo) and a fake Nova, each a small axum app
//! on its own loopback port (so each is its own origin, as in a real cloud). Every
//! fake records what it receives, so the tests check what was (and was not)
//! forwarded, and with which headers.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::Router;
use common::*;
use nephele_cloud::{Options, Running};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

const PASSWORD: &str = "demo-password-s3cret";
/// Tokens the fake Keystone issues all start with this, so a log can be grepped for any.
const TOKEN_MARK: &str = "gAAAAAfake";

/// What a fake service saw of one request.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    auth: Option<String>,
    subject: Option<String>,
    api_version: Option<String>,
    forwarded: bool,
}

type Log = Arc<Mutex<Vec<Seen>>>;

struct Fake {
    url: String,
    seen: Log,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Fake {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Fake {
    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().expect("log").clone()
    }
}

fn header(h: &HeaderMap, name: &str) -> Option<String> {
    h.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
}

async fn record(State(log): State<Log>, req: Request, next: Next) -> Response {
    let h = req.headers();
    let seen = Seen {
        method: req.method().to_string(),
        path: req.uri().path().to_owned(),
        auth: header(h, "x-auth-token"),
        subject: header(h, "x-subject-token"),
        api_version: header(h, "openstack-api-version"),
        forwarded: h
            .keys()
            .any(|k| k.as_str() == "forwarded" || k.as_str().starts_with("x-forwarded-")),
    };
    log.lock().expect("log").push(seen);
    next.run(req).await
}

async fn bind() -> (tokio::net::TcpListener, String) {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", l.local_addr().expect("addr"));
    (l, url)
}

fn serve(listener: tokio::net::TcpListener, url: String, router: Router) -> Fake {
    let seen: Log = Arc::default();
    let router = router.layer(middleware::from_fn_with_state(seen.clone(), record));
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    Fake { url, seen, task }
}

fn json_reply(status: u16, headers: &[(&str, String)], body: &Value) -> Response {
    let mut r = Response::builder()
        .status(StatusCode::from_u16(status).expect("status"))
        .header("content-type", "application/json");
    for (k, v) in headers {
        r = r.header(*k, v);
    }
    r.body(Body::from(body.to_string())).expect("response")
}

/// Keystone's shape for its faults.
fn keystone_error(code: u16, title: &str, message: &str) -> Value {
    json!({"error": {"code": code, "title": title, "message": message}})
}

#[derive(Clone)]
struct Keystone {
    catalog: Value,
    issued: Arc<Mutex<Vec<String>>>,
}

impl Keystone {
    fn valid(&self, token: &Option<String>) -> bool {
        token.as_ref().is_some_and(|t| self.issued.lock().expect("tokens").contains(t))
    }
    fn token_body(&self) -> Value {
        json!({"token": {"methods": ["password"],
            "user": {"domain": {"id": "default", "name": "Default"}, "id": "u1", "name": "demo"},
            "project": {"domain": {"id": "default", "name": "Default"}, "id": "p1", "name": "demo-a"},
            "roles": [{"id": "r1", "name": "member"}],
            "expires_at": "2026-12-01T20:00:00.000000Z", "issued_at": "2026-12-01T19:00:00.000000Z",
            "catalog": self.catalog}})
    }
}

/// The fake Keystone: password sign-in, token validation and revocation, the
/// catalog and the user's projects, with Keystone's statuses and fault bodies.
async fn keystone(State(ks): State<Keystone>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let auth = header(&parts.headers, "x-auth-token");
    let subject = header(&parts.headers, "x-subject-token");
    let unauthorized = || {
        json_reply(
            401,
            &[("www-authenticate", "Keystone uri=\"http://keystone/v3\"".into())],
            &keystone_error(
                401,
                "Unauthorized",
                "The request you have made requires authentication.",
            ),
        )
    };
    match (parts.method.as_str(), parts.uri.path()) {
        ("POST", "/v3/auth/tokens") => {
            let bytes = axum::body::to_bytes(body, 1 << 20).await.unwrap_or_default();
            let b: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
            let user = &b["auth"]["identity"]["password"]["user"];
            let password = user["password"].as_str().unwrap_or_default();
            match (user["name"].as_str(), password == PASSWORD) {
                (Some("demo"), true) => {
                    let mut issued = ks.issued.lock().expect("tokens");
                    let token = format!("{TOKEN_MARK}-{}-x", issued.len());
                    issued.push(token.clone());
                    json_reply(201, &[("x-subject-token", token)], &ks.token_body())
                }
                // An answer with a catalog but no token: nobody vouched for it.
                (Some("headless"), true) => json_reply(201, &[], &ks.token_body()),
                _ => unauthorized(),
            }
        }
        ("GET", "/v3/auth/tokens") => match (ks.valid(&auth), subject) {
            (false, _) => unauthorized(),
            (true, Some(s)) if ks.valid(&Some(s.clone())) => {
                json_reply(200, &[("x-subject-token", s)], &ks.token_body())
            }
            (true, s) => json_reply(
                404,
                &[],
                &keystone_error(
                    404,
                    "Not Found",
                    &format!("Could not find token: {}.", s.unwrap_or_default()),
                ),
            ),
        },
        ("DELETE", "/v3/auth/tokens") if ks.valid(&auth) && ks.valid(&subject) => {
            ks.issued.lock().expect("tokens").retain(|t| Some(t) != subject.as_ref());
            Response::builder().status(204).body(Body::empty()).expect("response")
        }
        ("GET", "/v3/auth/catalog") if ks.valid(&auth) => json_reply(
            200,
            &[],
            &json!({"catalog": ks.catalog, "links": {"self": "http://keystone/v3/auth/catalog"}}),
        ),
        ("GET", "/v3/auth/projects") if ks.valid(&auth) => {
            json_reply(200, &[], &json!({"projects": [{"id": "p1", "name": "demo-a"}]}))
        }
        (_, p) if p.starts_with("/v3/auth/") => unauthorized(),
        _ => json_reply(
            404,
            &[],
            &keystone_error(404, "Not Found", "The resource could not be found."),
        ),
    }
}

/// A fake Neutron that says which region it is in every list.
async fn neutron(State(region): State<&'static str>, req: Request) -> Response {
    if !header(req.headers(), "x-auth-token").is_some_and(|t| t.starts_with(TOKEN_MARK)) {
        return json_reply(
            401,
            &[],
            &keystone_error(
                401,
                "Unauthorized",
                "The request you have made requires authentication.",
            ),
        );
    }
    match req.uri().path() {
        "/v2.0/networks" => {
            json_reply(200, &[], &json!({"networks": [{"id": format!("net-{region}")}]}))
        }
        _ => json_reply(
            404,
            &[],
            &json!({"NeutronError": {"type": "NetworkNotFound",
                "message": "Network missing could not be found.", "detail": ""}}),
        ),
    }
}

/// A fake Nova: answers with the microversion it was asked for, as Nova does.
async fn nova(req: Request) -> Response {
    let asked = header(req.headers(), "openstack-api-version").unwrap_or("compute 2.1".into());
    let versions = [("openstack-api-version", asked), ("vary", "OpenStack-API-Version".into())];
    match req.uri().path() {
        "/v2.1/servers" => json_reply(200, &versions, &json!({"servers": []})),
        _ => json_reply(
            404,
            &versions,
            &json!({"itemNotFound": {"code": 404, "message": "Instance missing could not be found."}}),
        ),
    }
}

struct Cloud {
    keystone: Fake,
    neutron_one: Fake,
    neutron_two: Fake,
    nova: Fake,
    /// Named in the catalog, on an origin the gateway is not told about.
    elsewhere: Fake,
    /// RegionFour's Neutron: allowed, but nothing listens there.
    closed: String,
}

impl Cloud {
    fn identity_url(&self) -> String {
        format!("{}/v3", self.keystone.url)
    }
    fn all(&self) -> [&Fake; 5] {
        [&self.keystone, &self.neutron_one, &self.neutron_two, &self.nova, &self.elsewhere]
    }
    fn total_seen(&self) -> usize {
        self.all().iter().map(|f| f.seen().len()).sum()
    }
}

async fn cloud() -> Cloud {
    let (ks_l, ks) = bind().await;
    let (n1_l, n1) = bind().await;
    let (n2_l, n2) = bind().await;
    let (nova_l, nova_url) = bind().await;
    let (else_l, elsewhere) = bind().await;
    let (closed_l, closed) = bind().await;
    drop(closed_l);
    let ep = |interface: &str, region: &str, url: &str| {
        json!({"id": format!("{interface}-{region}"), "interface": interface,
               "region_id": region, "region": region, "url": url})
    };
    let catalog = json!([
        {"type": "identity", "name": "keystone", "id": "s1", "endpoints": [
            ep("public", "RegionOne", &format!("{ks}/v3")),
            ep("internal", "RegionOne", "http://10.0.0.1:5000/v3"),
            ep("admin", "RegionOne", "http://10.0.0.1:35357/v3")]},
        {"type": "network", "name": "neutron", "id": "s2", "endpoints": [
            ep("internal", "RegionOne", "http://10.0.0.1:9696"),
            ep("public", "RegionOne", &n1),
            ep("public", "RegionTwo", &n2),
            ep("public", "RegionThree", &elsewhere),
            ep("public", "RegionFour", &closed)]},
        {"type": "compute", "name": "nova", "id": "s3", "endpoints": [
            ep("public", "RegionOne", &format!("{nova_url}/v2.1"))]},
        {"type": "image", "name": "glance", "id": "s4", "endpoints": [
            ep("public", "RegionOne", &format!("{elsewhere}/image"))]}
    ]);
    let state = Keystone { catalog, issued: Arc::default() };
    Cloud {
        keystone: serve(ks_l, ks, Router::new().fallback(keystone).with_state(state)),
        neutron_one: serve(n1_l, n1, Router::new().fallback(neutron).with_state("one")),
        neutron_two: serve(n2_l, n2, Router::new().fallback(neutron).with_state("two")),
        nova: serve(nova_l, nova_url, Router::new().fallback(nova)),
        elsewhere: serve(else_l, elsewhere, Router::new().fallback(nova)),
        closed,
    }
}

async fn gateway(c: &Cloud, timeout: Duration) -> Running {
    capture_logs("nephele_cloud::gateway=info");
    nephele_cloud::start(Options {
        listen: "127.0.0.1:0".parse().expect("addr"),
        upstream: Some(c.identity_url()),
        upstream_timeout: timeout,
        // Keystone, Neutron and Nova listen on different ports: different origins.
        upstream_origins: vec![
            c.neutron_one.url.clone(),
            c.neutron_two.url.clone(),
            c.nova.url.clone(),
            c.closed.clone(),
        ],
        ..Default::default()
    })
    .await
    .expect("gateway starts")
}

fn password_body(user: &str, password: &str) -> Value {
    json!({"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": user, "domain": {"name": "Default"}, "password": password}}},
        "scope": {"project": {"id": "p1"}}}})
}

/// Sign in through `base`: the answer and its token.
async fn sign_in(base: &str) -> (Reply, String) {
    let api = Api { base: base.to_owned(), token: None, http: reqwest::Client::new() };
    let r = api.post("/identity/v3/auth/tokens", password_body("demo", PASSWORD)).await;
    r.expect(201);
    let token = r.headers.get("x-subject-token").expect("X-Subject-Token").to_str().expect("ascii");
    let token = token.to_owned();
    (r, token)
}

/// Each catalog endpoint's (type, region, url).
fn catalog_urls(catalog: &Value) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for s in catalog.as_array().expect("catalog") {
        for e in s["endpoints"].as_array().expect("endpoints") {
            let t = |v: &Value| v.as_str().unwrap_or_default().to_owned();
            out.push((t(&s["type"]), t(&e["region_id"]), t(&e["url"])));
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signs_in_and_calls_neutron_and_nova_through_the_gateway() {
    let c = cloud().await;
    let gw = gateway(&c, Duration::from_secs(20)).await;
    let base = gw.url();

    // Sign in: 201, the token in X-Subject-Token, the catalog pointing here.
    let (r, token) = sign_in(&base).await;
    assert!(token.starts_with(TOKEN_MARK), "{token}");
    let expected = |kind: &str, region: &str, path: &str| {
        (kind.to_owned(), region.to_owned(), format!("{base}{path}"))
    };
    let rewritten = [
        expected("identity", "RegionOne", "/identity/v3"),
        expected("network", "RegionOne", "/network/RegionOne"),
        expected("network", "RegionTwo", "/network/RegionTwo"),
        expected("network", "RegionFour", "/network/RegionFour"),
        expected("compute", "RegionOne", "/compute/RegionOne/v2.1"),
    ];
    assert_eq!(catalog_urls(&r.body["token"]["catalog"]), rewritten);
    assert!(!r.text.contains("10.0.0.1") && !r.text.contains(&c.elsewhere.url), "{}", r.text);
    assert_eq!(r.body["token"]["project"]["name"], "demo-a", "the rest of the answer is kept");

    // The portal reads it (nephele_model::keystone::Token::endpoints) as same-origin endpoints.
    let answer: nephele_model::keystone::TokenAnswer =
        serde_json::from_value(r.body.clone()).expect("a Keystone token answer");
    let e = answer.token.endpoints(Some("RegionOne")).expect("endpoints");
    assert_eq!(e.network, format!("{base}/network/RegionOne/v2.0"));
    assert_eq!(e.compute, Some(format!("{base}/compute/RegionOne/v2.1")));
    assert_eq!(e.identity, Some(format!("{base}/identity/v3")));
    let two = answer.token.endpoints(Some("RegionTwo")).expect("endpoints");
    assert_eq!(two.network, format!("{base}/network/RegionTwo/v2.0"));

    // Each region's Neutron answers its own path; X-Auth-Token arrives untouched;
    // a client's X-Forwarded-* never does.
    let api = Api { base: base.clone(), token: Some(token.clone()), http: reqwest::Client::new() };
    for (region, fake) in [("RegionOne", &c.neutron_one), ("RegionTwo", &c.neutron_two)] {
        let r = api
            .http
            .get(format!("{}/networks", e.network.replace("RegionOne", region)))
            .header("X-Auth-Token", &token)
            .header("X-Forwarded-Host", "evil.example")
            .header("X-Forwarded-Proto", "https")
            .header("Forwarded", "host=evil.example")
            .send()
            .await
            .expect("sent");
        assert_eq!(r.status(), 200);
        let body: Value = r.json().await.expect("json");
        let tag = if region == "RegionOne" { "one" } else { "two" };
        assert_eq!(body["networks"][0]["id"], format!("net-{tag}"), "{region}");
        let last = fake.seen().last().cloned().expect("seen");
        assert_eq!(
            (last.path.as_str(), last.auth.as_deref()),
            ("/v2.0/networks", Some(&token[..]))
        );
        assert!(!last.forwarded, "{last:?}");
    }

    // Nova, with a microversion both ways.
    let r = api
        .http
        .get(format!("{base}/compute/RegionOne/v2.1/servers"))
        .header("X-Auth-Token", &token)
        .header("OpenStack-API-Version", "compute 2.79")
        .send()
        .await
        .expect("sent");
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["openstack-api-version"], "compute 2.79");
    let last = c.nova.seen().last().cloned().expect("seen");
    assert_eq!(last.path, "/v2.1/servers");
    assert_eq!(last.api_version.as_deref(), Some("compute 2.79"));

    // The user's projects, then validating the token: X-Subject-Token goes up and
    // comes back, and that answer's catalog is rewritten too.
    api.get("/identity/v3/auth/projects").await.expect(200);
    let r = api
        .http
        .get(format!("{base}/identity/v3/auth/tokens"))
        .header("X-Auth-Token", &token)
        .header("X-Subject-Token", &token)
        .send()
        .await
        .expect("sent");
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-subject-token"], token.as_str());
    let body: Value = r.json().await.expect("json");
    assert_eq!(catalog_urls(&body["token"]["catalog"]), rewritten);
    let last = c.keystone.seen().last().cloned().expect("seen");
    assert_eq!(
        (last.auth.as_deref(), last.subject.as_deref()),
        (Some(&token[..]), Some(&token[..]))
    );
    let r = api.get("/identity/v3/auth/catalog").await;
    r.expect(200);
    assert_eq!(catalog_urls(&r.body["catalog"]), rewritten);

    // Sign out: DELETE with X-Subject-Token revokes at Keystone.
    let r = api
        .http
        .delete(format!("{base}/identity/v3/auth/tokens"))
        .header("X-Auth-Token", &token)
        .header("X-Subject-Token", &token)
        .send()
        .await
        .expect("sent");
    assert_eq!(r.status(), 204);
    let last = c.keystone.seen().last().cloned().expect("seen");
    assert_eq!((last.method.as_str(), last.subject.as_deref()), ("DELETE", Some(&token[..])));

    // Nothing reached a host the gateway was not told about; no client X-Forwarded-*.
    assert!(c.elsewhere.seen().is_empty(), "{:?}", c.elsewhere.seen());
    assert!(c.all().iter().all(|f| f.seen().iter().all(|s| !s.forwarded)));

    // One log line per call, never a token or the password.
    let lines = log_lines();
    for l in &lines {
        assert!(!l.contains(TOKEN_MARK) && !l.contains(PASSWORD), "secret in the log: {l}");
    }
    for wanted in [
        "POST /identity/v3/auth/tokens → upstream 201",
        "GET /network/RegionTwo/v2.0/networks → upstream 200",
        "GET /compute/RegionOne/v2.1/servers → upstream 200",
        "DELETE /identity/v3/auth/tokens → upstream 204",
    ] {
        assert!(lines.iter().any(|l| l.contains(wanted)), "{wanted}: {lines:#?}");
    }
    gw.stop().await.expect("gateway stops");
}

#[tokio::test]
async fn keystone_neutron_and_nova_faults_pass_through_unchanged() {
    let c = cloud().await;
    let gw = gateway(&c, Duration::from_secs(20)).await;
    let via = Api { base: gw.url(), token: None, http: reqwest::Client::new() };
    let direct = Api { base: c.keystone.url.clone(), ..via.clone() };

    let bad = password_body("demo", "wrong");
    let r = via.post("/identity/v3/auth/tokens", bad.clone()).await;
    let d = direct.post("/v3/auth/tokens", bad).await;
    assert_eq!((r.status, &r.text), (401, &d.text), "Keystone's 401 byte for byte");
    assert_eq!(r.body["error"]["title"], "Unauthorized");
    assert_eq!(r.headers["www-authenticate"], d.headers["www-authenticate"]);

    let (_, token) = sign_in(&gw.url()).await;
    let api = via.with_token(&token);
    // A token Keystone does not know: its 404 `{"error": …}` passes unchanged.
    let ask = |base: String, path: &str| {
        reqwest::Client::new()
            .get(format!("{base}{path}"))
            .header("X-Auth-Token", &token)
            .header("X-Subject-Token", "gone")
            .send()
    };
    let r = ask(gw.url(), "/identity/v3/auth/tokens").await.expect("sent");
    let d = ask(c.keystone.url.clone(), "/v3/auth/tokens").await.expect("sent");
    assert_eq!((r.status(), d.status()), (StatusCode::NOT_FOUND, StatusCode::NOT_FOUND));
    assert_eq!(r.text().await.expect("body"), d.text().await.expect("body"));

    let r = api.get("/network/RegionOne/v2.0/networks/missing").await;
    let d =
        Api { base: c.neutron_one.url.clone(), ..api.clone() }.get("/v2.0/networks/missing").await;
    assert_eq!((r.status, &r.text), (404, &d.text));
    assert_eq!(r.body["NeutronError"]["type"], "NetworkNotFound");
    let r = api.get("/compute/RegionOne/v2.1/servers/missing").await;
    let d = Api { base: c.nova.url.clone(), ..api.clone() }.get("/v2.1/servers/missing").await;
    assert_eq!((r.status, &r.text), (404, &d.text));
    assert_eq!(r.body["itemNotFound"]["code"], 404);
    // Neutron's 401 for a bad token, too.
    let r = via.with_token("not-a-token").get("/network/RegionOne/v2.0/networks").await;
    assert_eq!((r.status, r.body["error"]["code"].as_u64()), (401, Some(401)));
    gw.stop().await.expect("gateway stops");
}

/// Send raw bytes (paths no URL library would leave alone) and return the status and body.
async fn raw(base: &str, request_line: &str, token: &str) -> (u16, String) {
    let addr = base.trim_start_matches("http://");
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let req = format!(
        "{request_line}\r\nHost: {addr}\r\nX-Auth-Token: {token}\r\nConnection: close\r\n\r\n"
    );
    s.write_all(req.as_bytes()).await.expect("write");
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(20), s.read_to_end(&mut out))
        .await
        .expect("answer in time")
        .expect("read");
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text.split(' ').nth(1).and_then(|x| x.parse().ok()).unwrap_or(0);
    (status, text.split("\r\n\r\n").nth(1).unwrap_or_default().to_owned())
}

#[tokio::test]
async fn only_what_the_vouched_catalog_names_on_allowed_origins_is_forwarded() {
    let c = cloud().await;
    let gw = gateway(&c, Duration::from_secs(20)).await;
    let base = gw.url();

    // A sign-in answer without X-Subject-Token (nobody vouched for it) teaches nothing.
    let anon = Api { base: base.clone(), token: None, http: reqwest::Client::new() };
    let r = anon.post("/identity/v3/auth/tokens", password_body("headless", PASSWORD)).await;
    r.expect(201);
    assert!(r.text.contains(&format!("{base}/network/RegionOne")), "still rewritten: {}", r.text);
    let before = c.total_seen();
    let r = anon.with_token("forged").get("/network/RegionOne/v2.0/networks").await;
    r.expect_fault(404, "itemNotFound");
    // It asked Keystone for the catalog with that token (refused), nothing else.
    let ks = c.keystone.seen();
    assert_eq!(ks.last().map(|s| s.path.as_str()), Some("/v3/auth/catalog"));
    assert_eq!(c.total_seen(), before + 1);

    let (_, token) = sign_in(&base).await;
    let api = anon.with_token(&token);
    api.get("/network/RegionOne/v2.0/networks").await.expect(200);
    let services =
        |c: &Cloud| [&c.neutron_one, &c.neutron_two, &c.nova, &c.elsewhere].map(|f| f.seen().len());
    let (services_before, keystone_before) = (services(&c), c.keystone.seen().len());

    // Named by the catalog, but on an origin not allowed: not learned, never asked.
    let r = api.get("/network/RegionThree/v2.0/networks").await;
    r.expect_fault(404, "itemNotFound");
    assert!(r.message().contains("service catalog"), "{}", r.text);
    // Not a service the gateway forwards, or no such version, or no region: 404.
    for path in [
        "/compute/RegionOne/v2.0/servers",
        "/network/v2.0/networks",
        "/account/v1.0/quotas",
        "/image/RegionOne/v2/images",
    ] {
        let r = api.get(path).await;
        assert_eq!(r.status, 404, "{path}: {}", r.text);
        if !path.starts_with("/image") {
            r.expect_fault(404, "itemNotFound");
        }
    }
    // Dot segments, raw or encoded, and backslashes: 400 before anything is asked.
    for line in [
        "GET /network/RegionOne/v2.0/../../compute/RegionOne/v2.1/servers HTTP/1.1",
        "GET /network/RegionOne/%2e%2E/RegionTwo/v2.0/networks HTTP/1.1",
        "GET /identity/v3\\..\\..\\admin HTTP/1.1",
    ] {
        let (status, body) = raw(&base, line, &token).await;
        assert_eq!(status, 400, "{line}: {body}");
        assert!(body.contains("badRequest"), "{body}");
    }
    // None of the refusals reached a service; at most Keystone was asked for the
    // catalog again (an unknown path may ask, once per 10 s).
    assert_eq!(services(&c), services_before);
    assert!(c.elsewhere.seen().is_empty(), "{:?}", c.elsewhere.seen());
    let asked = &c.keystone.seen()[keystone_before..];
    assert!(asked.iter().all(|s| s.path == "/v3/auth/catalog"), "{asked:?}");
    gw.stop().await.expect("gateway stops");
}

#[tokio::test]
async fn a_restarted_gateway_learns_the_catalog_with_the_callers_token() {
    let c = cloud().await;
    // A session made through one gateway, then a fresh gateway (a restart).
    let first = gateway(&c, Duration::from_secs(20)).await;
    let (_, token) = sign_in(&first.url()).await;
    first.stop().await.expect("stops");
    let gw = gateway(&c, Duration::from_secs(20)).await;
    let api = Api { base: gw.url(), token: Some(token.clone()), http: reqwest::Client::new() };
    let r = api.get("/network/RegionTwo/v2.0/networks").await;
    r.expect(200);
    assert_eq!(r.body["networks"][0]["id"], "net-two");
    let ks = c.keystone.seen();
    let asked = ks.last().expect("Keystone was asked");
    assert_eq!((asked.method.as_str(), asked.path.as_str()), ("GET", "/v3/auth/catalog"));
    assert_eq!(asked.auth.as_deref(), Some(&token[..]));
    // That one answer taught every route: the next service needs no second question.
    api.get("/compute/RegionOne/v2.1/servers").await.expect(200);
    assert_eq!(c.keystone.seen().len(), ks.len());
    gw.stop().await.expect("stops");
}

#[tokio::test]
async fn unreachable_and_silent_clouds_are_faults() {
    let c = cloud().await;
    let gw = gateway(&c, Duration::from_millis(500)).await;
    let (_, token) = sign_in(&gw.url()).await;
    let api = Api { base: gw.url(), token: Some(token.clone()), http: reqwest::Client::new() };
    // RegionFour's Neutron is learned, and nothing listens there: 502 badGateway,
    // in the gateway's own fault shape.
    let r = api.get("/network/RegionFour/v2.0/networks").await;
    r.expect_fault(502, "badGateway");
    assert!(!r.text.contains(&token), "{}", r.text);
    gw.stop().await.expect("stops");

    // A Keystone that accepts but never answers: 504 gatewayTimeout.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = silent.local_addr().expect("addr");
    let hold = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = silent.accept().await {
            held.push(s);
        }
    });
    let gw = nephele_cloud::start(Options {
        listen: "127.0.0.1:0".parse().expect("addr"),
        upstream: Some(format!("http://{addr}/v3")),
        upstream_timeout: Duration::from_millis(300),
        ..Default::default()
    })
    .await
    .expect("starts");
    let anon = Api { base: gw.url(), token: None, http: reqwest::Client::new() };
    let r = anon.post("/identity/v3/auth/tokens", password_body("demo", PASSWORD)).await;
    r.expect_fault(504, "gatewayTimeout");
    assert!(!r.text.contains(PASSWORD));
    hold.abort();
    gw.stop().await.expect("stops");

    // Nothing listens there: 502 badGateway.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = closed.local_addr().expect("addr");
    drop(closed);
    let gw = nephele_cloud::start(Options {
        listen: "127.0.0.1:0".parse().expect("addr"),
        upstream: Some(format!("http://{addr}/v3")),
        ..Default::default()
    })
    .await
    .expect("starts");
    let anon = Api { base: gw.url(), token: None, http: reqwest::Client::new() };
    let r = anon.post("/identity/v3/auth/tokens", password_body("demo", PASSWORD)).await;
    r.expect_fault(502, "badGateway");
    gw.stop().await.expect("stops");
}
