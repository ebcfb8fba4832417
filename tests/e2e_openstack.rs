//! The portal against a real OpenStack: Keystone 30 and Neutron 29 from PyPI
//! (`scripts/openstack`), started once for this binary on free loopback ports, with
//! the release portal served beside them by nephele-cloud's static host
//! (`support::openstack`). Each test makes its own tenant, so they run in parallel.
//!
//! These first tests check the stack itself and what a browser on another origin
//! needs from it (CORS, the portal's CSP); the portal's OpenStack views are tested
//! on top of them.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use support::openstack::{http, OpenStack, Reply};
use support::{free_loopback_port, Harness};

/// The `Access-Control-*` answer to a browser's preflight from `origin`.
async fn preflight(url: &str, origin: &str, method: &str, headers: &str) -> Reply {
    http(
        "OPTIONS",
        url,
        None,
        None,
        &[
            ("Origin", origin),
            ("Access-Control-Request-Method", method),
            ("Access-Control-Request-Headers", headers),
        ],
    )
    .await
}

fn lists(header: &str, item: &str) -> bool {
    header.split(',').any(|h| h.trim().eq_ignore_ascii_case(item))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenant_signs_in_with_a_password_and_the_catalog_names_neutron() {
    let os = OpenStack::shared();
    let t = os.tenant("catalog").await;

    let (token, body) = os.login_reply(&t.user, &t.password, &t.a.id).await;
    assert_eq!(body["token"]["project"]["id"], json!(t.a.id), "{body}");
    assert_eq!(body["token"]["user"]["name"], json!(t.user));
    assert!(body["token"]["expires_at"].is_string(), "{body}");
    let network: Vec<&Value> = body["token"]["catalog"]
        .as_array()
        .expect("a catalog")
        .iter()
        .filter(|s| s["type"] == "network")
        .flat_map(|s| s["endpoints"].as_array().into_iter().flatten())
        .filter(|e| e["interface"] == "public")
        .collect();
    assert_eq!(network.len(), 1, "one public network endpoint: {body}");
    assert_eq!(network[0]["url"], json!(os.neutron), "unversioned, on the stack's Neutron port");
    let identity: Vec<&Value> = body["token"]["catalog"]
        .as_array()
        .expect("a catalog")
        .iter()
        .filter(|s| s["type"] == "identity")
        .flat_map(|s| s["endpoints"].as_array().into_iter().flatten())
        .filter(|e| e["interface"] == "public")
        .collect();
    assert_eq!(identity.len(), 1, "one public identity endpoint: {body}");
    assert_eq!(identity[0]["url"], json!(os.identity_url()), "on the stack's Keystone port");

    // The token works on Neutron, and the tenant's quota is the one it was made with.
    let quota = os.neutron_get(&token, &format!("/v2.0/quotas/{}/details.json", t.a.id)).await;
    assert_eq!(quota["quota"]["floatingip"]["limit"], json!(3), "{quota}");
    assert_eq!(quota["quota"]["floatingip"]["used"], json!(0), "{quota}");

    // Both projects are the user's, and the second one signs in too.
    let projects = os.keystone("GET", &token, "/v3/auth/projects", None).await;
    assert_eq!(projects.status, 200);
    let mut names: Vec<&str> = projects.body["projects"]
        .as_array()
        .expect("projects")
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    names.sort_unstable();
    assert_eq!(names, [t.a.name.as_str(), t.b.name.as_str()]);
    let (_, b) = os.login_reply(&t.user, &t.password, &t.b.id).await;
    assert_eq!(b["token"]["project"]["name"], json!(t.b.name));

    // A wrong password is Keystone's 401, not a token.
    let wrong = http(
        "POST",
        &format!("{}/v3/auth/tokens", os.keystone),
        None,
        Some(support::openstack::password_auth(
            &t.user,
            "not-the-password",
            json!({"project": {"id": t.a.id}}),
        )),
        &[],
    )
    .await;
    assert_eq!(wrong.status, 401, "{}", wrong.body);
    assert_eq!(wrong.header("x-subject-token"), "");

    // The seeded demo user (as `make run-openstack` prints it) is there too.
    let demo_a = os.seed["projects"]["demo-a"].as_str().expect("seeded demo-a");
    os.login(support::openstack::DEMO_USER, support::openstack::DEMO_PASSWORD, demo_a).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keystone_and_neutron_allow_the_portal_origin_by_cors() {
    let os = OpenStack::shared();
    let origin = os.portal_origin();
    let tokens = format!("{}/v3/auth/tokens", os.keystone);

    let pre = preflight(&tokens, origin, "POST", "content-type").await;
    assert_eq!(pre.header("access-control-allow-origin"), origin, "{:?}", pre.headers);
    assert!(lists(pre.header("access-control-allow-headers"), "content-type"), "{:?}", pre.headers);

    // The sign-in itself: the browser may read the token only if it is exposed.
    let t = os.tenant("cors").await;
    let login = http(
        "POST",
        &tokens,
        None,
        Some(support::openstack::password_auth(
            &t.user,
            &t.password,
            json!({"project": {"id": t.a.id}}),
        )),
        &[("Origin", origin)],
    )
    .await;
    assert_eq!(login.status, 201, "{}", login.body);
    assert_eq!(login.header("access-control-allow-origin"), origin);
    assert!(
        lists(login.header("access-control-expose-headers"), "X-Subject-Token"),
        "X-Subject-Token is not exposed: {:?}",
        login.headers.get("access-control-expose-headers")
    );
    let token = login.header("x-subject-token").to_owned();

    let networks = format!("{}/v2.0/networks", os.neutron);
    let pre = preflight(&networks, origin, "GET", "x-auth-token").await;
    assert_eq!(pre.header("access-control-allow-origin"), origin, "{:?}", pre.headers);
    assert!(lists(pre.header("access-control-allow-headers"), "x-auth-token"), "{:?}", pre.headers);
    let pre = preflight(&networks, origin, "POST", "content-type,x-auth-token").await;
    assert_eq!(pre.header("access-control-allow-origin"), origin, "{:?}", pre.headers);
    let list = http("GET", &networks, Some(&token), None, &[("Origin", origin)]).await;
    assert_eq!(list.status, 200, "{}", list.body);
    assert_eq!(list.header("access-control-allow-origin"), origin);

    // Any other origin is refused (a refused preflight is still 200, without the header).
    for url in [&tokens, &networks] {
        let other = preflight(url, "http://127.0.0.1:1", "POST", "content-type").await;
        assert_eq!(other.header("access-control-allow-origin"), "", "{url}: {:?}", other.headers);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_network_one_tenant_makes_is_not_listed_for_another() {
    let os = OpenStack::shared();
    let (one, two) = tokio::join!(os.tenant("isolation-one"), os.tenant("isolation-two"));
    let (one_a, one_b, two_a) =
        tokio::join!(one.login(&one.a), one.login(&one.b), two.login(&two.a));

    let made =
        os.neutron_post(&one_a, "/v2.0/networks", json!({"network": {"name": "only-mine"}})).await;
    let id = made["network"]["id"].as_str().expect("a network id").to_owned();
    assert_eq!(made["network"]["project_id"], json!(one.a.id), "{made}");

    let names = |list: &Value| -> Vec<String> {
        list["networks"]
            .as_array()
            .expect("a network list")
            .iter()
            .filter_map(|n| n["name"].as_str().map(str::to_owned))
            .collect()
    };
    let mine = names(&os.neutron_get(&one_a, "/v2.0/networks").await);
    assert!(mine.contains(&"only-mine".to_owned()), "{mine:?}");
    assert!(mine.contains(&"public".to_owned()), "the external network is visible: {mine:?}");

    // Another tenant sees the public network and not this one; by id it does not exist.
    let theirs = names(&os.neutron_get(&two_a, "/v2.0/networks").await);
    assert!(theirs.contains(&"public".to_owned()), "{theirs:?}");
    assert!(!theirs.contains(&"only-mine".to_owned()), "{theirs:?}");
    let by_id = os.neutron("GET", &two_a, &format!("/v2.0/networks/{id}"), None).await;
    assert_eq!(by_id.status, 404, "{}", by_id.body);
    let delete = os.neutron("DELETE", &two_a, &format!("/v2.0/networks/{id}"), None).await;
    assert_eq!(delete.status, 404, "{}", delete.body);

    // The same user's other project is another scope: not listed there either.
    let other_project = names(&os.neutron_get(&one_b, "/v2.0/networks").await);
    assert!(!other_project.contains(&"only-mine".to_owned()), "{other_project:?}");

    let gone = os.neutron("DELETE", &one_a, &format!("/v2.0/networks/{id}"), None).await;
    assert_eq!(gone.status, 204, "{}", gone.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_portal_csp_lets_the_browser_call_keystone_and_neutron() {
    let os = OpenStack::shared();
    let page = http("GET", &format!("{}/", os.portal), None, None, &[]).await;
    assert_eq!(page.status, 200);
    let csp = page.header("content-security-policy");
    let connect = csp
        .split(';')
        .map(str::trim)
        .find_map(|d| d.strip_prefix("connect-src "))
        .unwrap_or_else(|| panic!("no connect-src in {csp:?}"));
    let sources: Vec<&str> = connect.split_whitespace().collect();
    for origin in [os.keystone.as_str(), os.neutron.as_str()] {
        assert!(sources.contains(&origin), "connect-src {connect:?} lacks {origin}");
    }

    let config = http("GET", &format!("{}/config.json", os.portal), None, None, &[]).await;
    assert_eq!(config.body["family"], json!("openstack"), "{}", config.body);
    assert_eq!(config.body["identity_url"], json!(os.identity_url()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_portal_loads_and_offers_a_sign_in_form() {
    let os = OpenStack::shared();
    Harness::start_at("openstack-login", &os.portal, None)
        .await
        .run(|page| async move {
            page.goto("/login").await;
            page.wait_text("h1", "Sign in to Nephele").await;
            assert!(page.count("main form").await >= 1, "no sign-in form");
            assert_eq!(page.client.title().await.expect("the title"), "Nephele");
            page.screenshot("openstack-login").await;
        })
        .await;
}

/// Kills and reaps a child when the test ends, passed or not.
struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The mechanism that keeps a dead test binary from leaving servers behind: serve.py
/// (the WSGI host of both services) exits once the process it watches is gone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_exits_when_the_process_it_watches_is_gone() {
    let os = OpenStack::shared();
    let mut watched =
        Reaped(Command::new("sleep").arg("120").spawn().expect("a process to watch (sleep)"));
    let port = free_loopback_port();
    let mut server = Reaped(
        Command::new("python3")
            .arg(os.state_dir.join("serve.py"))
            .arg("wsgiref.simple_server:demo_app")
            .arg(port.to_string())
            .env("NEPHELE_WATCH_PID", watched.0.id().to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 serve.py"),
    );
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
            break;
        }
        assert!(server.0.try_wait().expect("poll serve.py").is_none(), "serve.py exited early");
        assert!(Instant::now() < deadline, "serve.py never listened on port {port}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Still serving a second later: it only goes when the watched process does.
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(server.0.try_wait().expect("poll serve.py").is_none(), "serve.py exited by itself");

    watched.0.kill().expect("end the watched process");
    watched.0.wait().expect("reap it");
    let deadline = Instant::now() + Duration::from_secs(3);
    let status = loop {
        if let Some(status) = server.0.try_wait().expect("poll serve.py") {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "serve.py still runs 3 s after its watched process ended"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(status.success(), "serve.py exited with {status}");
}
