//! End-to-end harness: nephele-cloud in-process (demo seed, release `dist/`),
//! chromedriver on a free port, Chromium headless, and helpers that wait for
//! conditions instead of sleeping. A failing test leaves a screenshot under
//! `target/screenshots/` named `FAILED-<test>.png`.

#![allow(dead_code)]

pub mod openstack;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

pub const DEMO_TOKEN_FALLBACK: &str = "demo-token-0123456789";
const WAIT: Duration = Duration::from_secs(15);

/// JS: `keyed(th, key)` holds when a text of the row header `th` (not of its
/// buttons, such as a copy button's label) names `key` as a whole word,
/// so `203.0.113.2` does not find the row of `203.0.113.24` (Neutron hands out
/// addresses in no fixed order) and `lan` does not find `lan-guide`.
const ROW_KEYED: &str = "const keyed = (th, k) => { if (!th) return false; \
     const word = c => /[\\w.-]/.test(c); \
     const texts = document.createTreeWalker(th, NodeFilter.SHOW_TEXT, \
       { acceptNode: n => n.parentElement.closest('button') ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT }); \
     for (let n = texts.nextNode(); n; n = texts.nextNode()) { const t = n.textContent; \
       for (let i = t.indexOf(k); i >= 0; i = t.indexOf(k, i + 1)) \
       { if (!word(t.charAt(i - 1)) && !word(t.charAt(i + k.length))) return true; } } \
     return false; };";

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The demo user's token, read from the seed like `make run` does.
pub fn demo_token() -> String {
    let seed = std::fs::read_to_string(repo_root().join("demo/seed.toml")).unwrap_or_default();
    seed.lines()
        .find_map(|l| {
            let l = l.trim();
            let rest = l.strip_prefix("token")?.trim_start().strip_prefix('=')?.trim();
            Some(rest.trim_matches('"').to_owned())
        })
        .unwrap_or_else(|| DEMO_TOKEN_FALLBACK.to_owned())
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// One browser session against one fresh cloud.
#[derive(Clone)]
pub struct Page {
    pub client: Client,
    pub base: String,
    pub name: String,
}

pub struct Harness {
    pub page: Page,
    pub cloud: Option<nephele_cloud::Running>,
    _driver: Driver,
}

pub fn screenshot_dir() -> PathBuf {
    let dir = repo_root().join("target/screenshots");
    std::fs::create_dir_all(&dir).expect("create target/screenshots");
    dir
}

impl Harness {
    pub async fn start(name: &str) -> Harness {
        Harness::start_with(name, nephele_cloud::Options::default()).await
    }

    /// Start with these options; listen and seed are filled in, and dist (the
    /// release `dist/`) unless the options name one.
    pub async fn start_with(name: &str, mut options: nephele_cloud::Options) -> Harness {
        if options.dist.is_none() {
            options.dist = Some(dist_dir());
        }
        options.listen = "127.0.0.1:0".parse().expect("loopback address");
        options.seed.get_or_insert_with(|| repo_root().join("demo/seed.toml"));
        let cloud = nephele_cloud::start(options).await.expect("nephele-cloud starts");
        let base = cloud.url();
        Harness::start_at(name, &base, Some(cloud)).await
    }

    /// A browser on a portal served elsewhere (nginx, a gateway) at `base`, e.g.
    /// `http://127.0.0.1:8088`; `cloud` (if any) is stopped when the test ends.
    pub async fn start_at(
        name: &str,
        base: &str,
        cloud: Option<nephele_cloud::Running>,
    ) -> Harness {
        let base = base.trim_end_matches('/').to_owned();
        let port = free_port();
        let driver =
            Command::new(std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into()))
                .arg(format!("--port={port}"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect(
                    "chromedriver runs (apt-get install chromium-driver; make test installs it)",
                );
        let driver = Driver(driver);

        let mut caps = fantoccini::wd::Capabilities::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()),
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--disable-quic", "--no-first-run", "--disable-background-networking",
                         "--disable-component-update", "--disable-sync", "--window-size=1280,900",
                         "--hide-scrollbars", "--force-device-scale-factor=1"]
            }),
        );
        let deadline = Instant::now() + WAIT;
        let client = loop {
            let attempt =
                ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
                    .capabilities(caps.clone())
                    .connect(&format!("http://127.0.0.1:{port}"))
                    .await;
            match attempt {
                Ok(c) => break c,
                Err(e) if Instant::now() > deadline => panic!("chromedriver did not start: {e}"),
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        };
        Harness { page: Page { client, base, name: name.to_owned() }, cloud, _driver: driver }
    }

    /// Run `body` against this harness; if it panics, save a screenshot of the
    /// page as it was, then fail with the original message.
    pub async fn run<F, Fut>(mut self, body: F)
    where
        F: FnOnce(Page) -> Fut,
        Fut: std::future::Future<Output = ()> + Send + 'static,
    {
        let page = self.page.clone();
        let outcome = tokio::spawn(body(page.clone())).await;
        if outcome.is_err() {
            page.screenshot(&format!("FAILED-{}", page.name)).await;
        }
        let _ = page.client.clone().close().await;
        if let Some(cloud) = self.cloud.take() {
            let _ = cloud.stop().await;
        }
        if let Err(e) = outcome {
            std::panic::resume_unwind(e.into_panic());
        }
    }
}

/// A Chrome DevTools command through chromedriver (to emulate dark mode).
#[derive(Debug)]
struct Cdp {
    cmd: &'static str,
    params: Value,
}

impl WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/goog/cdp/execute", session.unwrap_or_default()))
    }
    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(json!({"cmd": self.cmd, "params": self.params}).to_string()))
    }
}

impl Page {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn goto(&self, path: &str) {
        self.client.goto(&self.url(path)).await.unwrap_or_else(|e| panic!("open {path}: {e}"));
    }

    /// The current path and query, e.g. `/login?next=%2Fnetworks`.
    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.expect("current URL");
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        }
    }

    pub async fn wait_path(&self, expected: &str) {
        let deadline = Instant::now() + WAIT;
        loop {
            let now = self.path().await;
            if now == expected {
                return;
            }
            assert!(Instant::now() < deadline, "expected to be at {expected}, still at {now}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Wait until an element matching `css` contains `text`; returns its text.
    pub async fn wait_text(&self, css: &str, text: &str) -> String {
        let deadline = Instant::now() + WAIT;
        let mut last = String::from("(no such element)");
        loop {
            if let Ok(elements) = self.client.find_all(Locator::Css(css)).await {
                for el in elements {
                    if let Ok(t) = el.text().await {
                        if t.contains(text) {
                            return t;
                        }
                        last = t;
                    }
                }
            }
            assert!(
                Instant::now() < deadline,
                "no {css:?} containing {text:?}; last seen: {last:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Click the link or button whose accessible text is `text`.
    pub async fn click_text(&self, css: &str, text: &str) {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Ok(elements) = self.client.find_all(Locator::Css(css)).await {
                for el in elements {
                    if el.text().await.map(|t| t.trim() == text).unwrap_or(false) {
                        el.click().await.unwrap_or_else(|e| panic!("click {text:?}: {e}"));
                        return;
                    }
                }
            }
            assert!(Instant::now() < deadline, "no {css:?} with text {text:?} to click");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Type into the input labelled `label` (found through its `<label for>`).
    pub async fn fill(&self, label: &str, value: &str) {
        let id = self
            .client
            .execute(
                "const l = [...document.querySelectorAll('label')].find(l => l.textContent.trim() === arguments[0]);\
                 return l ? l.htmlFor : null;",
                vec![json!(label)],
            )
            .await
            .expect("look up label");
        let id = id.as_str().unwrap_or_else(|| panic!("no label {label:?}")).to_owned();
        let input = self
            .client
            .find(Locator::Id(&id))
            .await
            .unwrap_or_else(|e| panic!("input for {label:?}: {e}"));
        input.clear().await.expect("clear input");
        input.send_keys(value).await.expect("type");
    }

    /// Sign in as the demo user from the login page.
    pub async fn sign_in(&self) {
        self.wait_text("h1", "Sign in").await;
        self.fill("API token", &demo_token()).await;
        self.click_text("button", "Sign in").await;
    }

    pub async fn set_size(&self, width: u32, height: u32) {
        self.client.set_window_size(width, height).await.expect("resize window");
    }

    pub async fn set_dark(&self, dark: bool) {
        let value = if dark { "dark" } else { "light" };
        self.client
            .issue_cmd(Cdp {
                cmd: "Emulation.setEmulatedMedia",
                params: json!({"features": [{"name": "prefers-color-scheme", "value": value}]}),
            })
            .await
            .expect("emulate prefers-color-scheme");
    }

    /// Save `target/screenshots/<name>.png`.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let path = screenshot_dir().join(format!("{name}.png"));
        match self.client.screenshot().await {
            Ok(png) => {
                let _ = std::fs::write(&path, png);
            }
            Err(e) => eprintln!("screenshot {name} failed: {e}"),
        }
        path
    }

    /// Screenshots at desktop and 390 px wide, light and dark.
    pub async fn screenshots(&self, name: &str) {
        self.screenshots_of(name, None).await;
    }

    /// Like [`Page::screenshots`], with the element matching `focus` scrolled into view.
    pub async fn screenshots_of(&self, name: &str, focus: Option<&str>) {
        for (size, (w, h)) in [("desktop", (1280, 900)), ("mobile", (390, 844))] {
            self.set_size(w, h).await;
            if let Some(css) = focus {
                let _ = self
                    .client
                    .execute("const e = document.querySelector(arguments[0]); if (e) e.scrollIntoView({block: 'center'});", vec![json!(css)])
                    .await;
            }
            for dark in [false, true] {
                self.set_dark(dark).await;
                let theme = if dark { "dark" } else { "light" };
                self.screenshot(&format!("{name}-{size}-{theme}")).await;
            }
        }
        self.set_dark(false).await;
        self.set_size(1280, 900).await;
    }
}

/// A free loopback port (for servers the tests start themselves, e.g. nginx).
pub fn free_loopback_port() -> u16 {
    free_port()
}

/// The release `dist/`, checked to be built.
pub fn dist_dir() -> PathBuf {
    let dist = repo_root().join("dist");
    assert!(
        dist.join("index.html").is_file(),
        "dist/ is not built: run `make portal` first (make test does)"
    );
    dist
}

/// A private copy of the release `dist/` under `target/e2e-dist/`, so a test is not
/// disturbed by a rebuild of `dist/` while it runs (and may change the copy). With
/// `config`, `config.json` is replaced by that text; `Some(None)` removes it.
pub fn dist_snapshot(tag: &str, config: Option<Option<&str>>) -> PathBuf {
    let src = dist_dir();
    let dir = repo_root().join(format!("target/e2e-dist/{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create the dist copy");
    for entry in std::fs::read_dir(&src).expect("read dist/") {
        let entry = entry.expect("dist entry");
        if entry.file_type().map(|t| t.is_file()).unwrap_or(false) {
            std::fs::copy(entry.path(), dir.join(entry.file_name())).expect("copy a dist file");
        }
    }
    match config {
        None => {}
        Some(None) => std::fs::remove_file(dir.join("config.json")).expect("remove config.json"),
        Some(Some(text)) => {
            std::fs::write(dir.join("config.json"), text).expect("write config.json")
        }
    }
    dir
}

pub fn exists(path: &Path) -> bool {
    path.is_file()
}

impl Page {
    /// Run axe-core (npm) in the page and fail on serious or critical violations.
    pub async fn axe_check(&self, what: &str) {
        let source = std::fs::read_to_string(repo_root().join("node_modules/axe-core/axe.min.js"))
            .expect("node_modules/axe-core (make test installs it with npm ci)");
        self.client.execute(&source, vec![]).await.expect("inject axe-core");
        let result = self
            .client
            .execute(
                "return axe.run(document, {resultTypes: ['violations']}).then(r => r.violations\
                   .filter(v => v.impact === 'serious' || v.impact === 'critical')\
                   .map(v => v.id + ' (' + v.impact + '): ' + v.help + ' at ' + v.nodes.map(n => n.target.join(' ')).join(', ')));",
                vec![],
            )
            .await
            .expect("run axe-core");
        let violations: Vec<String> = serde_json::from_value(result).unwrap_or_default();
        assert!(
            violations.is_empty(),
            "accessibility violations on {what}:\n{}",
            violations.join("\n")
        );
    }

    /// The cloud's request counters: (method, route, status) → count.
    pub async fn metrics(&self) -> Vec<(String, String, String, u64)> {
        let text = http_get(&format!("{}/metrics", self.base)).await;
        text.lines()
            .filter(|l| l.starts_with("nephele_http_requests_total{"))
            .filter_map(|l| {
                let (labels, value) = l.rsplit_once(' ')?;
                let label = |name: &str| -> String {
                    let find = || -> Option<String> {
                        let start = labels.find(&format!("{name}=\""))? + name.len() + 2;
                        Some(labels[start..start + labels[start..].find('"')?].to_owned())
                    };
                    find().unwrap_or_default()
                };
                Some((label("method"), label("route"), label("status"), value.trim().parse().ok()?))
            })
            .collect()
    }

    /// Requests the cloud has answered on the port routes (list and item) so far.
    /// How many times the cloud was asked for the whole port list.
    pub async fn port_list_requests(&self) -> u64 {
        self.metrics()
            .await
            .into_iter()
            .filter(|(m, r, _, _)| m == "GET" && r == "/network/v2.0/ports")
            .map(|(_, _, _, n)| n)
            .sum()
    }

    pub async fn port_requests(&self) -> u64 {
        self.metrics()
            .await
            .into_iter()
            .filter(|(m, r, _, _)| {
                m == "GET" && (r == "/network/v2.0/ports" || r == "/network/v2.0/ports/{id}")
            })
            .map(|(_, _, _, n)| n)
            .sum()
    }

    /// The paths of every file the page has fetched so far (Resource Timing), e.g.
    /// `/page-ports-<hash>.wasm`: which of the split build's modules it loaded.
    pub async fn fetched(&self) -> Vec<String> {
        let v = self
            .client
            .execute(
                "return performance.getEntriesByType('resource').map(e => new URL(e.name).pathname);",
                vec![],
            )
            .await
            .expect("read resource timing");
        serde_json::from_value(v).expect("a list of paths")
    }

    /// Wait until `condition` holds on the page (a JS expression), up to the usual limit.
    pub async fn wait_js(&self, condition: &str) {
        let deadline = Instant::now() + WAIT;
        loop {
            let ok = self
                .client
                .execute(&format!("return !!({condition});"), vec![])
                .await
                .map(|v| v == json!(true));
            if ok.unwrap_or(false) {
                return;
            }
            assert!(Instant::now() < deadline, "condition never held: {condition}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Click the button (or link) whose aria-label is `label`.
    pub async fn click_labelled(&self, label: &str) {
        let css = format!("[aria-label=\"{label}\"]");
        let deadline = Instant::now() + WAIT;
        loop {
            if let Ok(el) = self.client.find(Locator::Css(&css)).await {
                if el.click().await.is_ok() {
                    return;
                }
            }
            assert!(Instant::now() < deadline, "nothing labelled {label:?} to click");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// A plain GET on loopback, returning the body (for /metrics).
pub async fn http_get(url: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rest = url.strip_prefix("http://").expect("http URL");
    let (host, path) =
        rest.split_once('/').map_or((rest, "/".to_owned()), |(h, p)| (h, format!("/{p}")));
    let mut stream = tokio::net::TcpStream::connect(host).await.expect("connect to the cloud");
    let request = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("send");
    let mut body = Vec::new();
    stream.read_to_end(&mut body).await.expect("read");
    let text = String::from_utf8_lossy(&body).into_owned();
    text.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default()
}

impl Page {
    /// Click the first element matching `css`.
    pub async fn click_css(&self, css: &str) {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Ok(el) = self.client.find(Locator::Css(css)).await {
                if el.click().await.is_ok() {
                    return;
                }
            }
            assert!(Instant::now() < deadline, "nothing matching {css:?} to click");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Tick the checkbox inside the label whose text contains `text`.
    pub async fn check_label_containing(&self, scope: &str, text: &str) {
        let found = self
            .client
            .execute(
                "const l = [...document.querySelectorAll(arguments[0] + ' label')].find(l => l.textContent.includes(arguments[1]));\
                 if (!l) return false; const i = l.querySelector('input'); if (!i.checked) i.click(); return true;",
                vec![json!(scope), json!(text)],
            )
            .await
            .expect("tick checkbox");
        assert_eq!(found, json!(true), "no checkbox labelled {text:?} in {scope}");
    }

    /// How many elements match `css` right now.
    pub async fn count(&self, css: &str) -> usize {
        self.client.find_all(Locator::Css(css)).await.map(|v| v.len()).unwrap_or(0)
    }
}

impl Page {
    /// Call the cloud from inside the page with the signed-in user's token, as
    /// another tab of the same user would. Returns (status, body).
    pub async fn api(
        &self,
        method: &str,
        service: &str,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let result = self
            .client
            .execute(
                "const s = JSON.parse(sessionStorage.getItem('nephele.session') || localStorage.getItem('nephele.session'));\
                 const init = {method: arguments[0], headers: {'X-Auth-Token': s.token, 'Content-Type': 'application/json'}};\
                 if (arguments[3] !== null) init.body = JSON.stringify(arguments[3]);\
                 return fetch(s.endpoints[arguments[1]] + arguments[2], init)\
                   .then(r => r.text().then(t => [r.status, t ? JSON.parse(t) : null]));",
                vec![json!(method), json!(service), json!(path), body.unwrap_or(Value::Null)],
            )
            .await
            .expect("in-page fetch");
        (result[0].as_u64().unwrap_or(0) as u16, result[1].clone())
    }

    /// Choose `value` in the `<select>` with this id.
    pub async fn select(&self, id: &str, value: &str) {
        let deadline = Instant::now() + WAIT;
        loop {
            let done = self
                .client
                .execute(
                    "const s = document.getElementById(arguments[0]); if (!s) return false;\
                     const o = [...s.options].find(o => o.value === arguments[1] && !o.disabled); if (!o) return false;\
                     s.value = arguments[1]; s.dispatchEvent(new Event('change', {bubbles: true})); return true;",
                    vec![json!(id), json!(value)],
                )
                .await
                .map(|v| v == json!(true))
                .unwrap_or(false);
            if done {
                return;
            }
            assert!(Instant::now() < deadline, "no enabled option {value:?} in #{id}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The text of the table row whose header cell contains `key`.
    pub async fn row_text(&self, key: &str) -> String {
        let v = self
            .client
            .execute(
                &format!(
                    "{ROW_KEYED} const r = [...document.querySelectorAll('table.data tbody tr')].find(r => keyed(r.querySelector('th'), arguments[0]));\
                     return r ? r.innerText : null;"
                ),
                vec![json!(key)],
            )
            .await
            .expect("read row");
        v.as_str().unwrap_or_default().to_owned()
    }

    /// Wait until no row is keyed `key`.
    pub async fn wait_row_gone(&self, key: &str) {
        let deadline = Instant::now() + WAIT;
        loop {
            let row = self.row_text(key).await;
            if row.is_empty() {
                return;
            }
            assert!(Instant::now() < deadline, "row {key:?} is still shown: {row:?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Wait until the row keyed `key` contains `text`.
    pub async fn wait_row(&self, key: &str, text: &str) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            let row = self.row_text(key).await;
            if row.contains(text) {
                return row;
            }
            assert!(Instant::now() < deadline, "row {key:?} never showed {text:?}; last: {row:?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Page {
    /// Make this tab's stored token one the cloud no longer accepts (as if it had
    /// been revoked) and reload: the next call gets a 401.
    pub async fn revoke_token_and_reload(&self) {
        self.client
            .execute(
                "const s = JSON.parse(sessionStorage.getItem('nephele.session')); s.token = 'revoked-token';\
                 sessionStorage.setItem('nephele.session', JSON.stringify(s));",
                vec![],
            )
            .await
            .expect("revoke the token");
        self.client.refresh().await.expect("reload");
    }

    /// Open `path` without a session, sign in from the login page it redirects
    /// to, and wait until the portal has brought the user back to `path`.
    pub async fn sign_in_at(&self, path: &str) {
        self.goto(path).await;
        let next: String = path
            .bytes()
            .map(|b| if b == b'/' { "%2F".to_owned() } else { (b as char).to_string() })
            .collect();
        self.wait_path(&format!("/login?next={next}")).await;
        self.sign_in().await;
        self.wait_path(path).await;
    }
}
