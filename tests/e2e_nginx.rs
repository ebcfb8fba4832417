//! The portal served by nginx (Debian's) from the release `dist/`, with the API
//! paths proxied to an in-process nephele-cloud: the recipe of docs/DEPLOY.md,
//! from the same template (deploy/nginx.conf.in). Signs in and lists networks in
//! Chromium, checks the headers a browser receives for index.html, the wasm and an
//! API call, and that a missing or malformed config.json is explained on the login
//! page.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use support::{demo_token, dist_snapshot, free_loopback_port, repo_root, Harness};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

/// One nginx, in its own prefix under target/nginx-e2e/, stopped on drop.
struct Nginx {
    base: String,
    prefix: PathBuf,
    child: Child,
}

impl Drop for Nginx {
    fn drop(&mut self) {
        // `nginx -s stop` (SIGTERM to the master) takes the workers down with it;
        // a SIGKILL to the master alone would leave them serving the port.
        let _ = Command::new(nginx_bin())
            .arg("-p")
            .arg(&self.prefix)
            .arg("-c")
            .arg(self.prefix.join("nginx.conf"))
            .arg("-e")
            .arg(self.prefix.join("error.log"))
            .args(["-s", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while matches!(self.child.try_wait(), Ok(None)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        // Kept after a failure: its nginx.conf, error.log and access.log tell why.
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.prefix);
        }
    }
}

impl Nginx {
    /// Fill deploy/nginx.conf.in for `dist` and `cloud` (host:port) and start nginx.
    async fn start(tag: &str, dist: &Path, cloud: &str) -> Nginx {
        let port = free_loopback_port();
        let prefix =
            repo_root().join(format!("target/nginx-e2e/{tag}-{}-{port}", std::process::id()));
        let _ = std::fs::remove_dir_all(&prefix);
        std::fs::create_dir_all(&prefix).expect("nginx prefix");
        let csp = nephele_cloud::web::csp_for_dist(dist).expect("CSP for dist");
        let template =
            std::fs::read_to_string(repo_root().join("deploy/nginx.conf.in")).expect("template");
        let conf = template
            .replace("@PREFIX@", &prefix.display().to_string())
            .replace("@LOGDIR@", &prefix.display().to_string())
            .replace("@LISTEN@", &format!("127.0.0.1:{port}"))
            .replace("@DIST@", &dist.display().to_string())
            .replace("@CLOUD@", cloud)
            .replace("@CSP@", &csp);
        let left = conf
            .split('@')
            .skip(1)
            .find(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_uppercase() || b == b'_'));
        assert!(
            left.is_none(),
            "placeholder @{}@ left in the nginx config",
            left.unwrap_or_default()
        );
        std::fs::write(prefix.join("nginx.conf"), &conf).expect("write nginx.conf");
        let nginx = nginx_bin();
        let child = Command::new(&nginx)
            .arg("-p")
            .arg(&prefix)
            .arg("-c")
            .arg(prefix.join("nginx.conf"))
            .arg("-e")
            .arg(prefix.join("error.log"))
            .args(["-g", global_directives()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("{nginx} runs (apt-get install nginx; make test installs it): {e}")
            });
        let mut server = Nginx { base: format!("http://127.0.0.1:{port}"), prefix, child };
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
                break;
            }
            if let Ok(Some(status)) = server.child.try_wait() {
                let log =
                    std::fs::read_to_string(server.prefix.join("error.log")).unwrap_or_default();
                panic!("nginx exited ({status}):\n{log}");
            }
            assert!(Instant::now() < deadline, "nginx did not listen on {port}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        server
    }

    fn conf(&self) -> String {
        std::fs::read_to_string(self.prefix.join("nginx.conf")).unwrap_or_default()
    }
}

/// Started as root, nginx's workers would drop to `nobody`/`www-data` and could
/// not read a checkout inside a private (0700) folder, as `mktemp -d` and CI
/// make: keep them as the user running the test.
fn global_directives() -> &'static str {
    let root = Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.trim_ascii() == b"0");
    if root {
        "daemon off; user root;"
    } else {
        "daemon off;"
    }
}

fn nginx_bin() -> String {
    std::env::var("NGINX").unwrap_or_else(|_| "/usr/sbin/nginx".into())
}

/// A plain HTTP/1.1 exchange, as curl would do it: status, headers, decoded body.
struct Answer {
    status: u16,
    head: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
    fn count(&self, name: &str) -> usize {
        self.headers.iter().filter(|(n, _)| n.eq_ignore_ascii_case(name)).count()
    }
    #[track_caller]
    fn has(&self, name: &str, want: &str) {
        let got = self.header(name).unwrap_or_else(|| panic!("no {name} header:\n{}", self.head));
        assert!(got.contains(want), "{name}: {got:?} lacks {want:?}\n{}", self.head);
    }
}

async fn http(
    base: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Answer {
    let addr = base.trim_start_matches("http://");
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (n, v) in headers {
        req.push_str(&format!("{n}: {v}\r\n"));
    }
    if !body.is_empty() || method == "POST" {
        req.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.write_all(req.as_bytes()).await.expect("write");
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(20), s.read_to_end(&mut raw))
        .await
        .expect("answer in time")
        .expect("read");
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("end of headers");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut body = raw[split + 4..].to_vec();
    let status = head.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    let headers: Vec<(String, String)> = head
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once(':').map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned())))
        .collect();
    let chunked = headers
        .iter()
        .any(|(n, v)| n.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    if chunked {
        body = dechunk(&body);
    }
    Answer { status, head, headers, body }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = data.windows(2).position(|w| w == b"\r\n") {
        let size_text = String::from_utf8_lossy(&data[..eol]).into_owned();
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
            .expect("chunk size");
        if size == 0 {
            break;
        }
        let start = eol + 2;
        out.extend_from_slice(&data[start..start + size]);
        data = &data[start + size + 2..];
    }
    out
}

fn wasm_file(dist: &Path) -> String {
    std::fs::read_dir(dist)
        .expect("dist")
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .find(|n| n.ends_with("_bg.wasm"))
        .expect("a wasm file in dist/")
}

/// The one file of the split build named `<prefix>…<suffix>` (the first, for chunks).
fn dist_file(dist: &Path, prefix: &str, suffix: &str) -> String {
    let mut names: Vec<String> = std::fs::read_dir(dist)
        .expect("dist")
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .filter(|n| n.starts_with(prefix) && n.ends_with(suffix))
        .collect();
    names.sort();
    names
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("no {prefix}*{suffix} in dist/: not the split build?"))
}

fn print_headers(what: &str, a: &Answer) {
    eprintln!("--- {what} ---\n{}\n", a.head);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn portal_on_nginx_with_the_api_proxied_to_the_cloud() {
    let cloud = nephele_cloud::start(nephele_cloud::Options {
        listen: "127.0.0.1:0".parse().expect("addr"),
        seed: Some(repo_root().join("demo/seed.toml")),
        ..Default::default()
    })
    .await
    .expect("cloud starts");
    let cloud_addr = cloud.addr.to_string();
    let dist = dist_snapshot("nginx", None);
    let nginx = Nginx::start("main", &dist, &cloud_addr).await;
    let base = nginx.base.clone();
    eprintln!("--- nginx.conf used ---\n{}", nginx.conf());

    // index.html (and a client route): the app, never cached, with the security headers.
    let index = http(&base, "GET", "/", &[("Accept-Encoding", "gzip")], "").await;
    print_headers("GET / (index.html)", &index);
    assert_eq!(index.status, 200);
    index.has("Content-Type", "text/html");
    index.has("Cache-Control", "no-cache");
    index.has("Content-Encoding", "gzip");
    let csp = index.header("Content-Security-Policy").expect("CSP").to_owned();
    for part in [
        "script-src 'self' 'wasm-unsafe-eval' 'sha256-",
        "connect-src 'self';",
        "frame-ancestors 'none'",
        "default-src 'none'",
    ] {
        assert!(csp.contains(part), "CSP lacks {part}: {csp}");
    }
    assert_eq!(
        csp,
        nephele_cloud::web::csp_for_dist(&dist).expect("csp"),
        "the CSP is computed from dist/"
    );
    index.has("X-Content-Type-Options", "nosniff");
    index.has("Referrer-Policy", "no-referrer");
    index.has("X-Frame-Options", "DENY");
    let route = http(&base, "GET", "/networks/2", &[], "").await;
    assert_eq!(route.status, 200);
    assert_eq!(route.body, std::fs::read(dist.join("index.html")).expect("index"), "SPA fallback");
    let config = http(&base, "GET", "/config.json", &[], "").await;
    config.has("Content-Type", "application/json");
    config.has("Cache-Control", "no-cache");
    let missing = http(&base, "GET", "/nephele-0000000000000000_bg.wasm", &[], "").await;
    assert_eq!(missing.status, 404, "a missing asset is a 404, not the app");

    // The wasm: the right MIME type (or streaming compilation fails), compressed, immutable.
    let wasm = wasm_file(&dist);
    let w = http(&base, "GET", &format!("/{wasm}"), &[("Accept-Encoding", "gzip")], "").await;
    print_headers(&format!("GET /{wasm}"), &w);
    assert_eq!(w.status, 200);
    w.has("Content-Type", "application/wasm");
    w.has("Cache-Control", "public, max-age=31536000, immutable");
    w.has("Content-Encoding", "gzip");
    w.has("Content-Security-Policy", "frame-ancestors 'none'");
    // The split build's other modules (a page's, a shared chunk) and its loader
    // script: served like the main module, or a page's first open would fail.
    for (prefix, suffix, mime) in [
        ("page-ports-", ".wasm", "application/wasm"),
        ("chunk_", ".wasm", "application/wasm"),
        ("loader-", ".js", "javascript"),
    ] {
        let file = dist_file(&dist, prefix, suffix);
        let a = http(&base, "GET", &format!("/{file}"), &[("Accept-Encoding", "gzip")], "").await;
        assert_eq!(a.status, 200, "{file}: {}", a.head);
        a.has("Content-Type", mime);
        a.has("Cache-Control", "public, max-age=31536000, immutable");
    }

    // An API call: the cloud's answer, its catalog pointed back at nginx, one CSP.
    let body = format!(r#"{{"auth": {{"token": {{"id": "{}"}}}}}}"#, demo_token());
    let t = http(
        &base,
        "POST",
        "/identity/v2.0/tokens",
        &[("Content-Type", "application/json")],
        &body,
    )
    .await;
    print_headers("POST /identity/v2.0/tokens", &t);
    assert_eq!(t.status, 200, "{}", String::from_utf8_lossy(&t.body));
    t.has("Content-Type", "application/json");
    t.has("Cache-Control", "no-cache, no-store");
    assert_eq!(t.count("Content-Security-Policy"), 1, "{}", t.head);
    assert_eq!(t.count("X-Content-Type-Options"), 1, "{}", t.head);
    let answer: serde_json::Value = serde_json::from_slice(&t.body).expect("json");
    for service in answer["access"]["serviceCatalog"].as_array().expect("catalog") {
        let url = service["endpoints"][0]["publicURL"].as_str().unwrap_or_default();
        assert!(url.starts_with(&format!("{base}/")), "catalog URL {url} does not point at nginx");
    }
    // A body over the limit: refused by nginx with a Synnefo-shaped fault, the cloud never asked.
    let big = http(
        &base,
        "PUT",
        "/network/v2.0/networks/1",
        &[("Content-Length", "2097152"), ("Content-Type", "application/json")],
        "",
    )
    .await;
    assert_eq!(big.status, 413, "{}", big.head);
    let fault: serde_json::Value = serde_json::from_slice(&big.body).expect("a JSON fault");
    assert_eq!(fault["requestEntityTooLarge"]["code"], 413, "{fault}");
    big.has("Content-Type", "application/json");

    // The token may travel in the query (Synnefo allows it): it never reaches the access log.
    let q = http(
        &base,
        "GET",
        &format!("/network/v2.0/networks?X-Auth-Token={}", demo_token()),
        &[],
        "",
    )
    .await;
    print_headers("GET /network/v2.0/networks", &q);
    assert_eq!(q.status, 200);
    let access_log = nginx.prefix.join("access.log");
    let deadline = Instant::now() + Duration::from_secs(10);
    let log = loop {
        let log = std::fs::read_to_string(&access_log).unwrap_or_default();
        if log.contains("\"GET /network/v2.0/networks\" 200") {
            break log;
        }
        assert!(Instant::now() < deadline, "no access-log line for the networks call:\n{log}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(!log.contains(&demo_token()), "token in the access log:\n{log}");

    // Missing and malformed config.json: a clear message on the login page.
    let no_config = dist_snapshot("nginx-no-config", Some(None));
    let bad_config = dist_snapshot(
        "nginx-bad-config",
        Some(Some("{\"identity_url\": \"/identity/v2.0\", \"poll\": ")),
    );
    let nginx_missing = Nginx::start("missing", &no_config, &cloud_addr).await;
    let nginx_bad = Nginx::start("malformed", &bad_config, &cloud_addr).await;
    let (missing_base, bad_base) = (nginx_missing.base.clone(), nginx_bad.base.clone());

    Harness::start_at("nginx", &base, Some(cloud))
        .await
        .run(move |page| async move {
            page.sign_in_at("/networks").await;
            page.wait_text("table.data tbody", "public_network").await;
            page.screenshot("nginx-networks").await;

            page.client.goto(&format!("{missing_base}/login")).await.expect("open");
            page.wait_text("[role=alert]", "config.json is missing from the portal's files.").await;
            page.wait_text("h1", "Sign in").await;
            page.screenshot("nginx-config-missing").await;

            page.client.goto(&format!("{bad_base}/login")).await.expect("open");
            page.wait_text("[role=alert]", "config.json is not valid").await;
            page.wait_text("h1", "Sign in").await;
            page.screenshot("nginx-config-malformed").await;
        })
        .await;
    drop((nginx, nginx_missing, nginx_bad));
    for dir in [dist, no_config, bad_config] {
        let _ = std::fs::remove_dir_all(dir);
    }
}
