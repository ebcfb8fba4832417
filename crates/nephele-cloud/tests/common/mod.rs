//! Helpers shared by the integration tests: start a cloud, talk to it, wait for
//! conditions (polling with a deadline, never a bare sleep standing in for one).
#![allow(dead_code)]

use std::future::Future;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use nephele_cloud::{Options, Running};
use serde_json::Value;

pub const DEMO_TOKEN: &str = "demo-token-0123456789";
pub const OTHER_TOKEN: &str = "other-token-9876543210";
pub const DEMO_UUID: &str = "de300000-0000-4000-8000-000000000001";
pub const OTHER_UUID: &str = "07e40000-0000-4000-8000-000000000002";
pub const LAB_PROJECT: &str = "3f1d6c8e-0c1e-4b55-9d2e-6a0f0c8f1a77";
pub const NET: &str = "/network/v2.0";

pub fn demo_seed() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../demo/seed.toml"))
}

pub fn options(seed: PathBuf, delay_ms: u64) -> Options {
    Options {
        listen: "127.0.0.1:0".parse().expect("addr"),
        seed: Some(seed),
        build_delay: Duration::from_millis(delay_ms),
        ..Default::default()
    }
}

pub async fn start_demo() -> Running {
    nephele_cloud::start(options(demo_seed(), 150)).await.expect("server starts")
}

pub use tempfile::TempDir;

/// A temporary directory (removed on drop) named after the test, for databases and seeds.
pub fn temp_dir(tag: &str) -> TempDir {
    tempfile::Builder::new().prefix(&format!("nephele-test-{tag}-")).tempdir().expect("temp dir")
}

/// A client of one cloud with one token.
#[derive(Clone)]
pub struct Api {
    pub base: String,
    pub token: Option<String>,
    pub http: reqwest::Client,
}

pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Reply {
    /// The fault name (the single top-level key) of an error body.
    pub fn fault(&self) -> String {
        self.body.as_object().and_then(|o| o.keys().next().cloned()).unwrap_or_default()
    }
    pub fn message(&self) -> String {
        let name = self.fault();
        self.body[&name]["message"].as_str().unwrap_or_default().to_owned()
    }
    /// Assert the status, showing the body when it differs.
    #[track_caller]
    pub fn expect(&self, status: u16) -> &Reply {
        assert_eq!(self.status, status, "unexpected status; body: {}", self.text);
        self
    }
    /// Assert a Synnefo fault: status, fault name, `code` equal to status, string `details`.
    #[track_caller]
    pub fn expect_fault(&self, status: u16, name: &str) -> &Reply {
        self.expect(status);
        assert_eq!(self.fault(), name, "fault name; body: {}", self.text);
        assert_eq!(self.body[name]["code"], status, "fault code; body: {}", self.text);
        assert!(self.body[name]["details"].is_string(), "details; body: {}", self.text);
        assert!(self.body[name]["message"].is_string(), "message; body: {}", self.text);
        self
    }
}

impl Api {
    pub fn new(running: &Running, token: &str) -> Api {
        Api { base: running.url(), token: Some(token.to_owned()), http: reqwest::Client::new() }
    }
    pub fn anonymous(running: &Running) -> Api {
        Api { base: running.url(), token: None, http: reqwest::Client::new() }
    }
    pub fn with_token(&self, token: &str) -> Api {
        Api { token: Some(token.to_owned()), ..self.clone() }
    }

    pub async fn send(&self, method: &str, path: &str, body: Option<Value>) -> Reply {
        let m = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut req = self.http.request(m, format!("{}{}", self.base, path));
        if let Some(t) = &self.token {
            req = req.header("X-Auth-Token", t);
        }
        if let Some(b) = body {
            req = req.header("Content-Type", "application/json").body(b.to_string());
        }
        Self::finish(req).await
    }

    pub async fn raw(
        &self,
        method: &str,
        path: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> Reply {
        let m = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut req = self.http.request(m, format!("{}{}", self.base, path)).body(body);
        if let Some(t) = &self.token {
            req = req.header("X-Auth-Token", t);
        }
        if let Some(ct) = content_type {
            req = req.header("Content-Type", ct);
        }
        Self::finish(req).await
    }

    async fn finish(req: reqwest::RequestBuilder) -> Reply {
        let resp = tokio::time::timeout(Duration::from_secs(20), req.send())
            .await
            .expect("the server answered within 20 s")
            .expect("request sent");
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = resp.text().await.expect("body read");
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Reply { status, headers, body, text }
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send("GET", path, None).await
    }
    pub async fn post(&self, path: &str, body: Value) -> Reply {
        self.send("POST", path, Some(body)).await
    }
    pub async fn put(&self, path: &str, body: Value) -> Reply {
        self.send("PUT", path, Some(body)).await
    }
    pub async fn delete(&self, path: &str) -> Reply {
        self.send("DELETE", path, None).await
    }

    pub async fn port_status(&self, id: &str) -> Option<String> {
        let r = self.get(&format!("{NET}/ports/{id}")).await;
        (r.status == 200).then(|| r.body["port"]["status"].as_str().unwrap_or_default().to_owned())
    }

    /// Wait until the port is ACTIVE (panics after the deadline).
    pub async fn wait_port_active(&self, id: &str) {
        let api = self.clone();
        let id = id.to_owned();
        wait_for(&format!("port {id} ACTIVE"), move || {
            let api = api.clone();
            let id = id.clone();
            async move { api.port_status(&id).await.as_deref() == Some("ACTIVE") }
        })
        .await;
    }

    /// Wait until the port is gone (404).
    pub async fn wait_port_gone(&self, id: &str) {
        let api = self.clone();
        let id = id.to_owned();
        wait_for(&format!("port {id} gone"), move || {
            let api = api.clone();
            let id = id.clone();
            async move { api.get(&format!("{NET}/ports/{id}")).await.status == 404 }
        })
        .await;
    }

    pub async fn quota(&self, project: &str, resource: &str) -> Value {
        let q = self.get("/account/v1.0/quotas").await;
        q.expect(200);
        q.body[project][resource].clone()
    }
}

/// Poll `cond` every 20 ms until it holds; fail after 15 s.
pub async fn wait_for<F, Fut>(what: &str, mut cond: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if cond().await {
            return;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Ids of a list answer, in order.
pub fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .map(|a| {
            a.iter()
                .map(|o| o["id"].as_str().map(str::to_owned).unwrap_or_else(|| o["id"].to_string()))
                .collect()
        })
        .unwrap_or_default()
}

/// Start a cloud on a seed given as text (written to a temp dir that lives as long as the guard).
pub async fn start_seed_text(tag: &str, seed: &str, delay_ms: u64) -> (Running, TempDir) {
    let dir = temp_dir(tag);
    let path = dir.path().join("seed.toml");
    std::fs::write(&path, seed).expect("write seed");
    let mut o = options(path, delay_ms);
    o.db = Some(dir.path().join("cloud.db"));
    let running = nephele_cloud::start(o).await.expect("server starts");
    (running, dir)
}

/// A seed with one user (`DEMO_TOKEN`), `servers` ACTIVE servers numbered from 1001,
/// the demo public network and generous limits.
pub fn big_seed(servers: usize, fip_limit: i64) -> String {
    let mut s = format!(
        r#"
[[users]]
uuid = "{DEMO_UUID}"
name = "Demo User"
token = "{DEMO_TOKEN}"
limits = {{ "cyclades.vm" = 1000, "cyclades.cpu" = 1000, "cyclades.ram" = "1000GiB", "cyclades.disk" = "10000GiB", "cyclades.floating_ip" = {fip_limit}, "cyclades.network.private" = 100, "pithos.diskspace" = "1GiB" }}

[[networks]]
id = 1
name = "public_network"
type = "IP_LESS_ROUTED"
floating_ip_pool = true
subnet = {{ id = 21, cidr = "192.168.0.0/22", gateway = "192.168.0.1" }}
"#
    );
    for i in 0..servers {
        s.push_str(&format!(
            "\n[[servers]]\nid = {}\nname = \"vm{}\"\nowner = \"{DEMO_UUID}\"\ncpu = 1\nram = \"1GiB\"\ndisk = \"10GiB\"\n",
            1001 + i,
            i
        ));
    }
    s
}

static LOG: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();

#[derive(Clone)]
struct Sink(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Capture this test binary's log lines that `filter` selects (an `EnvFilter`
/// directive), to check what the server writes; the first call decides.
pub fn capture_logs(filter: &str) {
    let filter = filter.to_owned();
    LOG.get_or_init(move || {
        let buf = Arc::new(Mutex::new(Vec::new()));
        let sink = Sink(buf.clone());
        let _ = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_ansi(false)
            .without_time()
            .with_writer(move || sink.clone())
            .try_init();
        buf
    });
}

/// Every line captured so far.
pub fn log_lines() -> Vec<String> {
    String::from_utf8_lossy(&LOG.get().expect("capture installed").lock().expect("log"))
        .lines()
        .map(str::to_owned)
        .collect()
}
