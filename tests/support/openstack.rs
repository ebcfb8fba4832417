//! A real OpenStack (Keystone 30 + Neutron 29 from `scripts/openstack`) for the
//! end-to-end tests, started once per test binary beside one static host serving the
//! release portal with an OpenStack `config.json`.
//!
//! Every test makes its own tenant ([`OpenStack::tenant`]: a fresh user in two fresh
//! projects), so the tests of one binary run in parallel on one stack without seeing
//! each other's objects. The services watch this process (`NEPHELE_WATCH_PID`) and
//! exit within a second of it ending, however it ends; the state (databases, logs)
//! stays in `target/e2e-openstack/<pid>/` until the next run removes it.
//!
//! ```text
//! let os = OpenStack::shared();
//! let t = os.tenant("isolation").await;
//! let token = t.login(&t.a).await;
//! let nets = os.neutron_get(&token, "/v2.0/networks").await;
//! Harness::start_at("name", &os.portal, None).await.run(|page| async move { … }).await;
//! ```

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::{json, Value};

use super::{dist_snapshot, free_loopback_port, repo_root};

/// The bootstrap admin's password (given to the script, so both sides agree).
pub const ADMIN_PASSWORD: &str = "admin-password";
/// The seeded demo user (as `make run-openstack` prints it): member of demo-a and demo-b.
pub const DEMO_USER: &str = "demo";
pub const DEMO_PASSWORD: &str = "demo-password";
/// Start-up has its own bounded waits (90 s per service); this is the outer limit.
const START_LIMIT: Duration = Duration::from_secs(240);
const COMMAND_LIMIT: Duration = Duration::from_secs(60);
const HTTP_LIMIT: Duration = Duration::from_secs(30);

/// The running stack and the portal in front of it.
#[derive(Debug)]
pub struct OpenStack {
    /// The portal's static host, e.g. `http://127.0.0.1:40123`: pass it to
    /// `Harness::start_at`. Its origin is the one Keystone and Neutron allow (CORS).
    pub portal: String,
    /// Keystone's root, e.g. `http://127.0.0.1:41234` (the API is under `/v3`).
    pub keystone: String,
    /// Neutron's root, e.g. `http://127.0.0.1:41235` (the API is under `/v2.0`),
    /// exactly as the catalog lists it.
    pub neutron: String,
    /// Nova's root, e.g. `http://127.0.0.1:41236` (the API is under `/v2.1`).
    pub nova: String,
    /// `config.json` as the portal is served with it.
    pub config: String,
    /// The portal's files (a private copy of `dist/` with that `config.json`).
    pub dist: PathBuf,
    /// The stack's databases and logs (`keystone.log`, `neutron.log`).
    pub state_dir: PathBuf,
    /// What `scripts/openstack seed` printed: `projects` (demo-a, demo-b, other →
    /// id), `users` (demo, other → id), `public_network`, `public_subnet`, and
    /// Nova's `flavor` (m1.nano) and Glance's `image`.
    pub seed: Value,
}

/// One project of a tenant.
#[derive(Debug, Clone, Deserialize)]
pub struct Project {
    pub id: String,
    pub name: String,
}

/// A fresh user NAME (password NAME-password, domain Default), member of the fresh
/// projects NAME-a (its default, floating IP quota 3) and NAME-b.
#[derive(Debug, Clone)]
pub struct Tenant {
    pub user: String,
    pub password: String,
    pub a: Project,
    pub b: Project,
}

/// An answer: status, headers, and the body as JSON (`Value::Null` when empty,
/// a JSON string when it is not JSON).
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Reply {
    /// A header's value as text ("" when absent).
    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
    }
}

static SHARED: OnceLock<Result<OpenStack, String>> = OnceLock::new();
static GATEWAY: OnceLock<Result<String, String>> = OnceLock::new();

/// Nova's microversion for the tests' own calls: 2.37 boots without networks.
const NOVA_MICROVERSION: &str = "compute 2.37";
/// A fake-driver boot is ACTIVE in 1–3 s; the scheduler may be slower under load.
const BOOT_LIMIT: Duration = Duration::from_secs(90);

impl OpenStack {
    /// The binary's stack, started on first use (about 12 s; later calls return at
    /// once). Blocks the calling thread while it starts. Panics, with the script's
    /// output and where its logs are, when the stack cannot start: a missing
    /// install is a failure, not a skip.
    pub fn shared() -> &'static OpenStack {
        match SHARED.get_or_init(start) {
            Ok(os) => os,
            Err(message) => panic!("{message}"),
        }
    }

    /// The portal served by `nephele-cloud --upstream <Keystone>/v3` (gateway mode),
    /// started on first use on a thread of its own: Keystone, Neutron and Nova are
    /// reached through it on the portal's origin, so the browser needs no CORS.
    pub fn gateway(&self) -> String {
        match GATEWAY.get_or_init(|| start_gateway(self)) {
            Ok(url) => url.clone(),
            Err(message) => panic!("{message}"),
        }
    }

    /// Any call to Nova (`path` from the root, e.g. `/v2.1/servers`).
    pub async fn nova(&self, method: &str, token: &str, path: &str, body: Option<Value>) -> Reply {
        let url = format!("{}{path}", self.nova);
        http(method, &url, Some(token), body, &[("OpenStack-API-Version", NOVA_MICROVERSION)]).await
    }

    /// GET on Nova that must answer 200; the body.
    pub async fn nova_get(&self, token: &str, path: &str) -> Value {
        let reply = self.nova("GET", token, path, None).await;
        assert_eq!(reply.status, 200, "GET {}{path}: {}", self.nova, reply.body);
        reply.body
    }

    /// Wait (bounded) until a Nova GET's body satisfies `ok`; the body.
    pub async fn until_nova(&self, token: &str, path: &str, ok: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + BOOT_LIMIT;
        loop {
            let body = self.nova_get(token, path).await;
            if ok(&body) {
                return body;
            }
            assert!(Instant::now() < deadline, "GET {path} never held the condition: {body}");
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// Boot a server (the seed's flavor and image, no network) with a member's
    /// token and wait until it is ACTIVE; its id.
    pub async fn boot(&self, token: &str, name: &str) -> String {
        let body = json!({"server": {
            "name": name,
            "flavorRef": self.seed["flavor"],
            "imageRef": self.seed["image"],
            "networks": "none",
        }});
        let reply = self.nova("POST", token, "/v2.1/servers", Some(body)).await;
        assert_eq!(reply.status, 202, "boot {name}: {}", reply.body);
        let id = reply.body["server"]["id"].as_str().expect("a server id").to_owned();
        let server = self
            .until_nova(token, &format!("/v2.1/servers/{id}"), |s| s["server"]["status"] != "BUILD")
            .await;
        assert_eq!(server["server"]["status"], "ACTIVE", "boot {name}: {server}");
        id
    }

    /// Keystone's v3 API, as the portal's `identity_url` names it.
    pub fn identity_url(&self) -> String {
        format!("{}/v3", self.keystone)
    }

    /// The portal's origin (what Keystone and Neutron allow by CORS).
    pub fn portal_origin(&self) -> &str {
        &self.portal
    }

    /// A fresh tenant named `name` (letters, digits, `-`, `_`; unique within the
    /// binary: a name that exists is refused, so two tests cannot share one).
    pub async fn tenant(&self, name: &str) -> Tenant {
        let out = self.script(&["tenant", name]).await;
        #[derive(Deserialize)]
        struct Projects {
            a: Project,
            b: Project,
        }
        #[derive(Deserialize)]
        struct Made {
            user: String,
            password: String,
            projects: Projects,
        }
        let made: Made = serde_json::from_str(&out).unwrap_or_else(|e| {
            panic!("scripts/openstack tenant {name} printed no tenant ({e}): {out}")
        });
        Tenant { user: made.user, password: made.password, a: made.projects.a, b: made.projects.b }
    }

    /// A token of the bootstrap admin, scoped to project `admin`.
    pub async fn admin_token(&self) -> String {
        let body = password_auth(
            "admin",
            ADMIN_PASSWORD,
            json!({"project": {"name": "admin", "domain": {"id": "default"}}}),
        );
        self.auth(body).await.0
    }

    /// Sign in with a password (domain Default) scoped to `project_id`; the token.
    pub async fn login(&self, user: &str, password: &str, project_id: &str) -> String {
        self.login_reply(user, password, project_id).await.0
    }

    /// Like [`OpenStack::login`], also returning the body (`{"token": {catalog, …}}`).
    pub async fn login_reply(
        &self,
        user: &str,
        password: &str,
        project_id: &str,
    ) -> (String, Value) {
        let body = password_auth(user, password, json!({"project": {"id": project_id}}));
        self.auth(body).await
    }

    async fn auth(&self, body: Value) -> (String, Value) {
        let url = format!("{}/v3/auth/tokens", self.keystone);
        let reply = http("POST", &url, None, Some(body), &[]).await;
        assert_eq!(reply.status, 201, "POST {url}: {}", reply.body);
        let token = reply.header("x-subject-token").to_owned();
        assert!(!token.is_empty(), "POST {url}: 201 without X-Subject-Token");
        (token, reply.body)
    }

    /// Any call to Keystone (`path` from the root, e.g. `/v3/auth/projects`).
    pub async fn keystone(
        &self,
        method: &str,
        token: &str,
        path: &str,
        body: Option<Value>,
    ) -> Reply {
        http(method, &format!("{}{path}", self.keystone), Some(token), body, &[]).await
    }

    /// Any call to Neutron (`path` from the root, e.g. `/v2.0/networks`).
    pub async fn neutron(
        &self,
        method: &str,
        token: &str,
        path: &str,
        body: Option<Value>,
    ) -> Reply {
        http(method, &format!("{}{path}", self.neutron), Some(token), body, &[]).await
    }

    /// GET on Neutron that must answer 200; the body.
    pub async fn neutron_get(&self, token: &str, path: &str) -> Value {
        let reply = self.neutron("GET", token, path, None).await;
        assert_eq!(reply.status, 200, "GET {}{path}: {}", self.neutron, reply.body);
        reply.body
    }

    /// POST on Neutron that must answer 201 (a create); the body.
    pub async fn neutron_post(&self, token: &str, path: &str, body: Value) -> Value {
        let reply = self.neutron("POST", token, path, Some(body)).await;
        assert_eq!(reply.status, 201, "POST {}{path}: {}", self.neutron, reply.body);
        reply.body
    }

    async fn script(&self, args: &[&str]) -> String {
        let mut cmd = tokio::process::Command::new("bash");
        cmd.arg(repo_root().join("scripts/openstack"))
            .arg(args[0])
            .arg(&self.state_dir)
            .args(&args[1..])
            .env("OPENSTACK_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .stdin(Stdio::null())
            .kill_on_drop(true);
        let what = format!("scripts/openstack {}", args.join(" "));
        let out = tokio::time::timeout(COMMAND_LIMIT, cmd.output())
            .await
            .unwrap_or_else(|_| panic!("{what} took more than {COMMAND_LIMIT:?}"))
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        assert!(
            out.status.success(),
            "{what} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

impl Tenant {
    /// This tenant's token scoped to `project` (`&t.a` or `&t.b`).
    pub async fn login(&self, project: &Project) -> String {
        OpenStack::shared().login(&self.user, &self.password, &project.id).await
    }
}

/// Keystone's password authentication body (domain Default).
pub fn password_auth(user: &str, password: &str, scope: Value) -> Value {
    json!({"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "name": user, "domain": {"id": "default"}, "password": password}}},
        "scope": scope,
    }})
}

/// One HTTP request on loopback. `extra` headers are sent as given (an `Origin`, the
/// preflight's `Access-Control-Request-*`). A client per call: tests have a runtime
/// each, and a pooled connection must not outlive the runtime that opened it.
pub async fn http(
    method: &str,
    url: &str,
    token: Option<&str>,
    body: Option<Value>,
    extra: &[(&str, &str)],
) -> Reply {
    let client =
        reqwest::Client::builder().no_proxy().timeout(HTTP_LIMIT).build().expect("an HTTP client");
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("an HTTP method");
    let mut req = client.request(method.clone(), url);
    if let Some(token) = token {
        req = req.header("X-Auth-Token", token);
    }
    if let Some(body) = body {
        req = req.json(&body);
    }
    for (name, value) in extra {
        req = req.header(*name, *value);
    }
    // The token is never part of a message: only method, URL and status.
    let res = req.send().await.unwrap_or_else(|e| panic!("{method} {url}: {e}"));
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let text = res.text().await.unwrap_or_else(|e| panic!("{method} {url}: reading the body: {e}"));
    let body = if text.trim().is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    Reply { status, headers, body }
}

/// The portal's runtime config for this stack.
pub fn portal_config(keystone: &str, neutron: &str, nova: &str) -> String {
    serde_json::to_string_pretty(&json!({
        "title": "Nephele",
        "identity_url": format!("{keystone}/v3"),
        "family": "openstack",
        "api_origins": [neutron, nova],
        "poll": {"interval_ms": 500, "give_up_ms": 8000},
    }))
    .expect("config JSON")
}

/// `n` distinct free loopback ports below Linux's ephemeral range (32768–60999):
/// a port the kernel hands out for port 0 may be taken again by any outgoing
/// connection before the service binds it (RabbitMQ once failed so), and the
/// stack's ten services start over half a minute.
fn free_ports(n: usize) -> Vec<u16> {
    let mut state = u64::from(std::process::id())
        ^ std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64)
        | 1;
    let mut ports: Vec<u16> = Vec::new();
    while ports.len() < n {
        // xorshift: spread over 20000–32767, no crate needed for a port pick.
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let p = 20000 + (state % 12768) as u16;
        if !ports.contains(&p) && std::net::TcpListener::bind(("127.0.0.1", p)).is_ok() {
            ports.push(p);
        }
    }
    ports
}

fn start() -> Result<OpenStack, String> {
    let ports = free_ports(9);
    let [ks, ne, nova, placement, glance, mysql, rabbit, rabbit_dist, epmd] = ports[..] else {
        unreachable!("nine ports")
    };
    let (ks_port, ne_port, nova_port) = (ks, ne, nova);
    let keystone = format!("http://127.0.0.1:{ks_port}");
    let neutron = format!("http://127.0.0.1:{ne_port}");
    let nova = format!("http://127.0.0.1:{nova_port}");
    let config = portal_config(&keystone, &neutron, &nova);
    let dist = dist_snapshot("openstack", Some(Some(&config)));
    let portal = static_host(dist.clone())?;

    let root = repo_root().join("target/e2e-openstack");
    remove_stale_states(&root);
    let state_dir = root.join(std::process::id().to_string());
    let _ = std::fs::remove_dir_all(&state_dir);
    std::fs::create_dir_all(&state_dir).map_err(|e| format!("{}: {e}", state_dir.display()))?;

    let script = |args: &[&str], log: &str| -> Result<String, String> {
        let what = format!("scripts/openstack {}", args.join(" "));
        let out_path = state_dir.join(format!("{log}.out"));
        let err_path = state_dir.join(format!("{log}.err"));
        let file = |p: &Path| File::create(p).map_err(|e| format!("{}: {e}", p.display()));
        let mut child = Command::new("bash")
            .arg(repo_root().join("scripts/openstack"))
            .args(args)
            .env("KEYSTONE_PORT", ks_port.to_string())
            .env("NEUTRON_PORT", ne_port.to_string())
            // The complete small Nova (scripts/openstack, openstack.md §6).
            .env("NEPHELE_OPENSTACK_NOVA", "1")
            .env("NOVA_PORT", nova_port.to_string())
            .env("PLACEMENT_PORT", placement.to_string())
            .env("GLANCE_PORT", glance.to_string())
            .env("MYSQL_PORT", mysql.to_string())
            .env("RABBIT_PORT", rabbit.to_string())
            .env("RABBIT_DIST_PORT", rabbit_dist.to_string())
            .env("ERL_EPMD_PORT", epmd.to_string())
            .env("OPENSTACK_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .env("NEPHELE_WATCH_PID", std::process::id().to_string())
            .stdin(Stdio::null())
            .stdout(file(&out_path)?)
            .stderr(file(&err_path)?)
            .spawn()
            .map_err(|e| format!("{what}: {e}"))?;
        let deadline = Instant::now() + START_LIMIT;
        let status = loop {
            match child.try_wait().map_err(|e| format!("{what}: {e}"))? {
                Some(status) => break status,
                None if Instant::now() > deadline => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(format!("{what} took more than {START_LIMIT:?}"));
                }
                None => std::thread::sleep(Duration::from_millis(50)),
            }
        };
        let stdout = std::fs::read_to_string(&out_path).unwrap_or_default();
        if status.success() {
            Ok(stdout)
        } else {
            let stderr = std::fs::read_to_string(&err_path).unwrap_or_default();
            Err(format!("{what} failed ({status}):\n{stderr}"))
        }
    };
    let state = state_dir.to_string_lossy().into_owned();
    let fail = |e: String| {
        format!(
            "the OpenStack stack for the e2e tests did not start.\n{e}\n\
             If Keystone/Neutron are not installed, run `bash scripts/openstack install` \
             (`make setup` does). Logs: {}/*.log",
            state_dir.display()
        )
    };
    script(&["start", &state, &portal], "start").map_err(fail)?;
    let seed = script(&["seed", &state], "seed").map_err(fail)?;
    let seed: Value = serde_json::from_str(&seed)
        .map_err(|e| fail(format!("scripts/openstack seed printed no JSON ({e}): {seed}")))?;
    Ok(OpenStack { portal, keystone, neutron, nova, config, dist, state_dir, seed })
}

/// The portal behind a gateway to this stack: `config.json` names the gateway's
/// own `/identity/v3`, and the gateway may forward to Neutron's and Nova's
/// origins (the catalog lists them on other ports than Keystone's).
fn start_gateway(os: &OpenStack) -> Result<String, String> {
    let port = free_loopback_port();
    let origin = format!("http://127.0.0.1:{port}");
    let config = serde_json::to_string_pretty(&json!({
        "title": "Nephele",
        "identity_url": format!("{origin}/identity/v3"),
        "family": "openstack",
        "poll": {"interval_ms": 500, "give_up_ms": 8000},
    }))
    .expect("config JSON");
    let dist = dist_snapshot("openstack-gateway", Some(Some(&config)));
    serve(nephele_cloud::Options {
        listen: format!("127.0.0.1:{port}").parse().expect("loopback address"),
        dist: Some(dist),
        upstream: Some(os.identity_url()),
        upstream_origins: vec![os.neutron.clone(), os.nova.clone()],
        ..Default::default()
    })
}

/// Serve `dist` with nephele-cloud's static host on a thread (and runtime) of its own
/// that lives as long as the binary: tests come and go with their own runtimes.
fn static_host(dist: PathBuf) -> Result<String, String> {
    serve(nephele_cloud::Options {
        listen: "127.0.0.1:0".parse().expect("loopback address"),
        dist: Some(dist),
        ..Default::default()
    })
}

/// Run nephele-cloud with `options` on a thread (and runtime) of its own.
fn serve(options: nephele_cloud::Options) -> Result<String, String> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("openstack-portal".into())
        .spawn(move || {
            let runtime = match tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    let _ = tx.send(Err(format!("a runtime for the portal: {e}")));
                    return;
                }
            };
            runtime.block_on(async move {
                match nephele_cloud::start(options).await {
                    Ok(running) => {
                        let _ = tx.send(Ok(running.url()));
                        // Held, never stopped: the portal is there for every test.
                        let _running = running;
                        std::future::pending::<()>().await
                    }
                    Err(e) => {
                        let _ = tx.send(Err(format!("the portal's static host: {e:#}")));
                    }
                }
            });
        })
        .map_err(|e| format!("a thread for the portal: {e}"))?;
    rx.recv_timeout(Duration::from_secs(30))
        .map_err(|_| "the portal's static host did not start within 30 s".to_owned())?
}

/// State directories of earlier runs whose process is gone (their services went
/// with it): `target/e2e-openstack/<pid>`.
fn remove_stale_states(root: &Path) {
    let Ok(entries) = std::fs::read_dir(root) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Ok(pid) = name.parse::<u32>() {
            if pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists() {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    }
}
