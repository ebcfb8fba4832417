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
use support::openstack::{http, OpenStack, Project, Reply};
use support::{free_loopback_port, Harness, Page};

/// What the networks page says of an external network's disabled delete.
const PUBLIC_REASON: &str = "Public networks belong to the cloud and cannot be deleted by tenants.";

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
            // The configuration was accepted: Keystone's URL is filled in, and the
            // form asks for what Keystone signs in with, not for an API token.
            page.wait_text("form", "User name and password").await;
            let url = page
                .client
                .execute("return document.getElementById('identity-url').value;", vec![])
                .await
                .expect("read the URL");
            assert_eq!(url, json!(os.identity_url()));
            assert_eq!(page.count("[role=alert]").await, 0, "the page reports a problem");
            assert_eq!(page.count("#token").await, 0);
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

// ---------------------------------------------------------------------------
// The portal against the real services: the kamaki guide's story on OpenStack.

/// Sign in from the login page with a Keystone password.
async fn sign_in_keystone(page: &Page, user: &str, password: &str) {
    page.wait_text("h1", "Sign in").await;
    page.wait_text("form", "User name and password").await;
    page.fill("User name", user).await;
    page.fill("Password", password).await;
    page.click_text("button", "Sign in").await;
}

/// The id of the one object in `list` (a Neutron list answer's array) whose
/// `key` is `value`.
fn id_where(list: &Value, key: &str, value: &str) -> String {
    list.as_array()
        .and_then(|a| a.iter().find(|o| o[key] == value))
        .and_then(|o| o["id"].as_str())
        .unwrap_or_else(|| panic!("no object with {key} = {value} in {list}"))
        .to_owned()
}

/// Switch the header's project switcher and wait until the page is back.
async fn switch_project(page: &Page, project: &Project) {
    page.select("project-switch", &project.id).await;
    page.wait_js(&format!(
        "(() => {{ const s = document.getElementById('project-switch'); \
         return s && !s.disabled && s.value === '{}' && !document.querySelector('.switching'); }})()",
        project.id
    ))
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openstack_guide_networks_routers_and_floating_ips() {
    let os = OpenStack::shared();
    let t = os.tenant("guide").await;
    let token_a = t.login(&t.a).await;
    let token_b = t.login(&t.b).await;
    Harness::start_at("openstack-guide", &os.portal, None)
        .await
        .run(move |page| async move {
            // Sign in with a password; the portal returns to where the user was going.
            page.goto("/networks").await;
            page.wait_path("/login?next=%2Fnetworks").await;
            page.screenshots("openstack-sign-in").await;
            sign_in_keystone(&page, &t.user, &t.password).await;
            page.wait_path("/networks").await;
            // The admin's external network is listed, and its delete is disabled with
            // the reason in words.
            page.wait_row("public", "Public").await;
            page.wait_text("main", PUBLIC_REASON).await;
            page.axe_check("/networks on OpenStack").await;

            // The project switcher: a network made in project b is made with b's token
            // (Neutron puts it in b) and is not shown in a.
            page.wait_js(&format!(
                "document.getElementById('project-switch').value === '{}'",
                t.a.id
            ))
            .await;
            page.screenshots_of("openstack-project-switcher", Some("#project-switch")).await;
            switch_project(&page, &t.b).await;
            create_network(&page, "only-in-b", None).await;
            let in_b = os.neutron_get(&token_b, "/v2.0/networks?name=only-in-b").await;
            assert_eq!(in_b["networks"][0]["project_id"], t.b.id.as_str(), "made with b's token");
            switch_project(&page, &t.a).await;
            page.wait_row("public", "Public").await;
            assert_eq!(
                page.row_text("only-in-b").await,
                "",
                "project a shows none of b's networks"
            );

            // A network with a subnet, a router with its gateway on the external
            // network, and the subnet added to the router.
            create_network(&page, "lan-guide", Some("10.30.0.0/24")).await;
            let nets = os.neutron_get(&token_a, "/v2.0/networks?name=lan-guide").await;
            let net = id_where(&nets["networks"], "name", "lan-guide");
            let subs = os.neutron_get(&token_a, &format!("/v2.0/subnets?network_id={net}")).await;
            let subnet = id_where(&subs["subnets"], "cidr", "10.30.0.0/24");

            page.click_text("nav a", "Routers").await;
            page.wait_text("main", "You have no routers").await;
            page.click_text(".page-head button", "Create router").await;
            page.fill("Name", "edge").await;
            page.click_css("form[aria-label='Create a router'] button[type=submit]").await;
            page.wait_row("edge", "public (203.0.113.").await;
            let routers = os.neutron_get(&token_a, "/v2.0/routers?name=edge").await;
            let router = id_where(&routers["routers"], "name", "edge");
            assert_eq!(
                routers["routers"][0]["external_gateway_info"]["network_id"],
                os.seed["public_network"]
            );
            page.select(&format!("router-subnet-{router}"), &subnet).await;
            page.click_labelled("Add interface to router edge").await;
            page.wait_row("edge", "10.30.0.0/24").await;

            // Two ports of the tenant's own on the network (DOWN: nothing binds them).
            page.click_text("nav a", "Ports").await;
            for _ in 0..2 {
                page.click_text(".page-head button", "Create port").await;
                page.select("port-network", &net).await;
                page.click_css("form[aria-label='Create port'] button[type=submit]").await;
                page.wait_js("!document.querySelector(\"form[aria-label='Create port']\")").await;
            }
            let ports = os
                .neutron_get(&token_a, &format!("/v2.0/ports?network_id={net}&device_owner="))
                .await;
            let ports: Vec<String> = ports["ports"]
                .as_array()
                .expect("ports")
                .iter()
                .map(|p| p["id"].as_str().unwrap_or_default().to_owned())
                .collect();
            assert_eq!(ports.len(), 2, "two tenant ports: {ports:?}");
            // The router's interface cannot be deleted here, and says why.
            page.wait_text("main", "A router's interface: remove it from the router").await;

            // Reserve a floating IP (201 on Neutron), attach it to the first port by
            // association, then move it to the second in one request.
            page.click_text("nav a", "Floating IPs").await;
            page.wait_text("main", "You have no floating IPs").await;
            reserve_ip(&page, "Floating IPs: 0 of 3 used → 1 of 3 after this", 0).await;
            let ips = os.neutron_get(&token_a, "/v2.0/floatingips").await;
            let address =
                ips["floatingips"][0]["floating_ip_address"].as_str().expect("address").to_owned();
            let ip_id = ips["floatingips"][0]["id"].as_str().expect("id").to_owned();
            page.wait_row(&address, "free").await;
            page.click_labelled(&format!("Attach {address} to a port")).await;
            page.select("ip-port", &ports[0]).await;
            page.click_text("dialog[open] button", "Attach").await;
            page.wait_row(&address, "attached").await;
            let ip = os.neutron_get(&token_a, &format!("/v2.0/floatingips/{ip_id}")).await;
            assert_eq!(ip["floatingip"]["port_id"], ports[0].as_str());

            page.click_labelled(&format!("Move {address} to another port")).await;
            page.wait_text("dialog[open]", "in one step").await;
            page.select("ip-port", &ports[1]).await;
            page.click_text("dialog[open] button", "Move").await;
            page.wait_row(&address, &ports[1][..8]).await;
            let ip = os.neutron_get(&token_a, &format!("/v2.0/floatingips/{ip_id}")).await;
            assert_eq!(ip["floatingip"]["port_id"], ports[1].as_str(), "moved in one request");

            // The user's ports were watched while DOWN; nothing binds them here, so
            // once the give-up time (8 s in this config) has passed their rows say so.
            page.click_text("nav a", "Ports").await;
            page.wait_text("main", "Not bound: it stays DOWN until a server uses it.").await;

            // The network's page: its router (gateway on public) and the floating IP.
            page.goto(&format!("/networks/{net}")).await;
            page.wait_text("main", "Routers and floating IPs").await;
            page.wait_text("main", &format!("{address} → port")).await;
            page.wait_text("main", "gateway on public").await;

            page.screenshots_of("openstack-network-router-ip", Some("#reach-title")).await;

            // The floating-IP quota is 3: two more use it up, and the button says why.
            page.click_text("nav a", "Floating IPs").await;
            page.wait_row(&address, "attached").await;
            reserve_ip(&page, "1 of 3 used", 1).await;
            reserve_ip(&page, "2 of 3 used", 2).await;
            page.wait_text("main", "You have used all 3 of your floating IPs").await;

            // Neutron's 409 OverQuota carries no numbers: the sentence takes them from
            // the quota API. Free one, open the form, let another tab take it, reserve.
            let free: Vec<String> = os.neutron_get(&token_a, "/v2.0/floatingips").await
                ["floatingips"]
                .as_array()
                .expect("ips")
                .iter()
                .filter(|i| i["port_id"].is_null())
                .map(|i| i["floating_ip_address"].as_str().unwrap_or_default().to_owned())
                .collect();
            page.click_labelled(&format!("Release {}", free[0])).await;
            page.click_text("dialog[open] button", "Release").await;
            page.wait_row_gone(&free[0]).await;
            page.click_text(".page-head button", "Reserve IP").await;
            page.wait_text("#ip-cost", "2 of 3 used").await;
            let taken = os
                .neutron_post(
                    &token_a,
                    "/v2.0/floatingips",
                    json!({"floatingip": {"floating_network_id": os.seed["public_network"]}}),
                )
                .await;
            assert!(taken["floatingip"]["id"].is_string(), "another tab reserved one: {taken}");
            page.click_css("form[aria-label='Reserve a floating IP'] button[type=submit]").await;
            page.wait_text(
                "form[aria-label='Reserve a floating IP']",
                "You have used all 3 of your floating IPs in this project.",
            )
            .await;
            page.screenshots_of(
                "openstack-over-quota",
                Some("form[aria-label='Reserve a floating IP']"),
            )
            .await;

            // Delete the network in use: the dialog names the floating IP, both ports
            // and the router interface, and clears them in that order.
            page.goto(&format!("/networks/{net}")).await;
            page.click_text(".page-head button", "Delete network").await;
            let dialog = page.wait_text("dialog[open]", "disconnected first").await;
            for holder in [
                format!("floating IP {address}"),
                "the interface of router “edge” on subnet 10.30.0.0/24".to_owned(),
            ] {
                assert!(dialog.contains(&holder), "{holder:?} in {dialog:?}");
            }
            page.click_text("dialog[open] button", "Disconnect everything and delete").await;
            page.wait_path("/networks").await;
            let gone = os.neutron_get(&token_a, "/v2.0/networks?name=lan-guide").await;
            assert_eq!(gone["networks"], json!([]), "the network is deleted");
            let ip = os.neutron_get(&token_a, &format!("/v2.0/floatingips/{ip_id}")).await;
            assert!(
                ip["floatingip"]["port_id"].is_null(),
                "the IP was detached, and stays reserved"
            );
            let interfaces =
                os.neutron_get(&token_a, &format!("/v2.0/ports?device_id={router}")).await;
            assert_eq!(interfaces["ports"], json!([]), "the router interface was removed");
        })
        .await;
}

async fn create_network(page: &Page, name: &str, cidr: Option<&str>) {
    page.click_text(".page-head button", "Create network").await;
    page.fill("Name", name).await;
    match cidr {
        Some(cidr) => {
            page.check_label_containing("form[aria-label='Create network']", "Add an IPv4 subnet")
                .await;
            page.fill("Subnet (CIDR)", cidr).await;
        }
        None => {
            page.client
                .execute("const c = [...document.querySelectorAll(\"form[aria-label='Create network'] label\")].find(l => l.textContent.includes('Add an IPv4 subnet')).querySelector('input'); if (c.checked) c.click();", vec![])
                .await
                .expect("untick the subnet");
        }
    }
    page.click_css("form[aria-label='Create network'] button[type=submit]").await;
    page.wait_row(name, "Private").await;
}

/// Reserves one floating IP from the Floating IPs page, which holds `known` already.
/// It waits for that page and that count first: right after the nav click the
/// previous page's table can still be on screen, and counting its rows raced the
/// navigation (CI once counted a network's 3 ports and waited for 4).
async fn reserve_ip(page: &Page, cost: &str, known: usize) {
    page.wait_text("main h1", "Floating IPs").await;
    let rows = "document.querySelectorAll('main table.data tbody tr').length";
    if known == 0 {
        page.wait_text("main", "You have no floating IPs").await;
    } else {
        page.wait_js(&format!("{rows} === {known}")).await;
    }
    page.click_text(".page-head button", "Reserve IP").await;
    page.wait_text("#ip-cost", cost).await;
    page.click_css("form[aria-label='Reserve a floating IP'] button[type=submit]").await;
    page.wait_js(&format!("{rows} === {}", known + 1)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openstack_tenants_see_nothing_of_each_other() {
    let os = OpenStack::shared();
    let owner = os.tenant("iso-owner").await;
    let other = os.tenant("iso-other").await;
    let owner_token = owner.login(&owner.a).await;
    let made = os
        .neutron_post(
            &owner_token,
            "/v2.0/networks",
            json!({"network": {"name": "owners-secret-net"}}),
        )
        .await;
    assert!(made["network"]["id"].is_string(), "{made}");
    os.neutron_post(
        &owner_token,
        "/v2.0/floatingips",
        json!({"floatingip": {"floating_network_id": os.seed["public_network"]}}),
    )
    .await;
    Harness::start_at("openstack-isolation", &os.portal, None).await.run(move |page| async move {
        page.goto("/login").await;
        sign_in_keystone(&page, &other.user, &other.password).await;
        page.wait_path("/networks").await;
        page.wait_row("public", "Public").await;
        assert_eq!(page.row_text("owners-secret-net").await, "");
        page.click_text("nav a", "Floating IPs").await;
        page.wait_text("main", "You have no floating IPs").await;
        // Neither of the other tenant's projects is offered.
        let offered = page.client.execute("return [...document.getElementById('project-switch').options].map(o => o.value);", vec![]).await.expect("options");
        assert_eq!(offered.as_array().map(Vec::len), Some(2), "{offered}");
        assert!(!offered.to_string().contains(&owner.a.id));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openstack_sign_in_mistakes_and_an_ended_session() {
    let os = OpenStack::shared();
    let t = os.tenant("mistakes").await;
    Harness::start_at("openstack-mistakes", &os.portal, None)
        .await
        .run(move |page| async move {
            page.goto("/login").await;
            sign_in_keystone(&page, &t.user, "not-the-password").await;
            page.wait_text("[role=alert]", "The user name, domain or password is not right.").await;
            assert!(page.path().await.starts_with("/login"));
            sign_in_keystone(&page, &t.user, &t.password).await;
            page.wait_path("/networks").await;
            // A token Neutron refuses ends the session; signing in again returns to
            // the page the user was on.
            page.click_text("nav a", "Routers").await;
            page.wait_text("main", "You have no routers").await;
            page.revoke_token_and_reload().await;
            page.wait_path("/login?next=%2Frouters").await;
            page.wait_text("main", "Your session has ended").await;
            sign_in_keystone(&page, &t.user, &t.password).await;
            page.wait_path("/routers").await;
            // Signing out revokes the Keystone token: it stops working at once.
            let token = page
                .client
                .execute(
                    "return JSON.parse(sessionStorage.getItem('nephele.session')).token;",
                    vec![],
                )
                .await
                .expect("read the session");
            let token = token.as_str().expect("a token").to_owned();
            let admin = os.admin_token().await;
            let url = format!("{}/v3/auth/tokens", os.keystone);
            let status = |token: String| {
                let (url, admin) = (url.clone(), admin.clone());
                async move {
                    http("GET", &url, Some(&admin), None, &[("X-Subject-Token", &token)])
                        .await
                        .status
                }
            };
            assert_eq!(status(token.clone()).await, 200, "valid while signed in");
            page.click_text(".topbar button", "Sign out").await;
            page.wait_text("main", "You have signed out").await;
            let deadline = Instant::now() + Duration::from_secs(10);
            while status(token.clone()).await != 404 {
                assert!(Instant::now() < deadline, "the token still works after signing out");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
        .await;
}

// ---------------------------------------------------------------------------
// Servers through Nova: the kamaki guide's §7.7.2 and §7.7.5 on OpenStack.

/// Boot two servers, connect both to a new network in the browser and watch
/// them come up, attach a floating IP to one through a router the dialog
/// creates, move it to the other, then disconnect everything and delete.
/// `portal`: the static host (the browser calls Keystone, Neutron and Nova by
/// CORS) or the gateway (everything on one origin).
async fn nova_guide(
    os: &'static OpenStack,
    portal: String,
    name: &'static str,
    cidr: &'static str,
) {
    let t = os.tenant(name).await;
    let token = t.login(&t.a).await;
    let web1 = os.boot(&token, &format!("{name}-web-1")).await;
    let web2 = os.boot(&token, &format!("{name}-web-2")).await;
    let net_name = format!("{name}-lan");
    Harness::start_at(name, &portal, None)
        .await
        .run(move |page| async move {
            page.goto("/servers").await;
            page.wait_path("/login?next=%2Fservers").await;
            sign_in_keystone(&page, &t.user, &t.password).await;
            page.wait_path("/servers").await;
            // Nova's servers: name, status and the flavor's name (microversion 2.47).
            page.wait_row(&web1[..8], "ACTIVE").await;
            let row = page.wait_row(&web2[..8], "m1.nano").await;
            assert!(row.contains(&format!("{name}-web-2")), "{row}");

            // §7.7.2: a network with a subnet; connect both servers at once.
            page.click_text("nav a", "Networks").await;
            create_network(&page, &net_name, Some(cidr)).await;
            let nets = os.neutron_get(&token, &format!("/v2.0/networks?name={net_name}")).await;
            let net = id_where(&nets["networks"], "name", &net_name);
            page.goto(&format!("/networks/{net}")).await;
            page.click_text(".page-head button", "Connect servers").await;
            page.wait_text("dialog[open]", "Ports: ").await;
            page.check_label_containing("dialog[open]", &format!("({})", &web1[..8])).await;
            page.check_label_containing("dialog[open]", &format!("({})", &web2[..8])).await;
            page.wait_text("dialog[open]", "after this").await;
            page.click_text("dialog[open] button", "Connect 2 servers").await;
            let progress = page.wait_text("dialog[open] .connect-progress", &web2[..8]).await;
            assert!(progress.contains(&web1[..8]), "{progress}");
            page.screenshots_of(&format!("{name}-connect-dialog"), Some("dialog[open]")).await;
            // Neutron's ML2 driver (scripts/openstack-ml2) binds them: both go ACTIVE.
            page.wait_js("document.querySelectorAll('dialog[open] .connect-progress .badge.ok').length === 2").await;
            page.click_text("dialog[open] button", "Close").await;
            let ports = os
                .neutron_get(&token, &format!("/v2.0/ports?network_id={net}&device_owner=compute:nova"))
                .await;
            let ports = ports["ports"].as_array().expect("ports").clone();
            assert_eq!(ports.len(), 2, "one interface per server: {ports:?}");
            for p in &ports {
                assert_eq!(p["status"], "ACTIVE", "{p}");
            }
            let port_of = |server: &str| {
                ports
                    .iter()
                    .find(|p| p["device_id"] == server)
                    .and_then(|p| p["id"].as_str())
                    .unwrap_or_else(|| panic!("no port of {server} in {ports:?}"))
                    .to_owned()
            };
            let (port1, port2) = (port_of(&web1), port_of(&web2));
            let nova = os.nova_get(&token, &format!("/v2.1/servers/{web1}/os-interface")).await;
            assert_eq!(nova["interfaceAttachments"][0]["port_id"], port1.as_str(), "{nova}");

            // A floating IP for web-1, from its page: no router connects the
            // subnet to public yet, so the dialog offers to make one.
            page.click_text("nav a", "Floating IPs").await;
            reserve_ip(&page, "0 of 3 used", 0).await;
            let ips = os.neutron_get(&token, "/v2.0/floatingips").await;
            let address = ips["floatingips"][0]["floating_ip_address"].as_str().expect("address").to_owned();
            let ip_id = ips["floatingips"][0]["id"].as_str().expect("id").to_owned();
            page.goto(&format!("/servers/{web1}")).await;
            page.wait_text("main h1", &format!("{name}-web-1")).await;
            page.wait_row(&port1[..8], "ACTIVE").await;
            page.select("server-ip", &ip_id).await;
            page.click_css("form[aria-label='Attach a floating IP'] button[type=submit]").await;
            page.wait_text("dialog[open] #ip-no-port", "no router connects its subnet").await;
            page.click_text(
                "dialog[open] button",
                &format!("Create a router to public and add subnet {cidr}"),
            )
            .await;
            page.wait_text("dialog[open] .steps", "can take the address now").await;
            page.wait_js(&format!("document.getElementById('ip-port').value === '{port1}'")).await;
            page.click_text("dialog[open] button", "Attach").await;
            page.wait_text("main", &format!("{address} on port")).await;
            let ip = os.neutron_get(&token, &format!("/v2.0/floatingips/{ip_id}")).await;
            assert_eq!(ip["floatingip"]["port_id"], port1.as_str(), "{ip}");
            // Nova learns it from Neutron: the server's addresses list it as floating.
            os.until_nova(&token, &format!("/v2.1/servers/{web1}"), |s| {
                s["server"]["addresses"][net_name.as_str()]
                    .as_array()
                    .is_some_and(|a| a.iter().any(|x| x["addr"] == address.as_str() && x["OS-EXT-IPS:type"] == "floating"))
            })
            .await;
            page.screenshots(&format!("{name}-server-detail")).await;
            page.screenshots_of(&format!("{name}-server-ips"), Some("#server-ips")).await;

            // The servers page shows the address beside web-1's port.
            page.click_text("nav a", "Servers").await;
            page.wait_row(&web1[..8], &format!("{address} (floating)")).await;
            page.screenshots_of(&format!("{name}-servers-floating"), Some("table.data")).await;

            // Move it to web-2 (one request on Neutron), choosing the server.
            page.goto(&format!("/servers/{web1}")).await;
            page.click_labelled(&format!("Move {address} to another server or port")).await;
            page.select("ip-server", &web2).await;
            page.wait_js(&format!("document.getElementById('ip-port').value === '{port2}'")).await;
            page.click_text("dialog[open] button", "Move").await;
            page.wait_text("main", "No floating IP is attached to this server.").await;
            let ip = os.neutron_get(&token, &format!("/v2.0/floatingips/{ip_id}")).await;
            assert_eq!(ip["floatingip"]["port_id"], port2.as_str(), "moved: {ip}");

            // §7.7.5: disconnect everything and delete. The dialog names the
            // floating IP, both servers' interfaces (detached through Nova) and the
            // router's interface.
            page.goto(&format!("/networks/{net}")).await;
            page.click_text(".page-head button", "Delete network").await;
            let dialog = page.wait_text("dialog[open]", "disconnected first").await;
            for holder in [format!("floating IP {address}"), format!("({})", &web1[..8]), format!("({})", &web2[..8])] {
                assert!(dialog.contains(&holder), "{holder:?} in {dialog:?}");
            }
            assert!(!dialog.contains("only the compute service"), "Nova detaches: {dialog}");
            page.click_text("dialog[open] button", "Disconnect everything and delete").await;
            page.wait_path("/networks").await;
            let gone = os.neutron_get(&token, &format!("/v2.0/networks?name={net_name}")).await;
            assert_eq!(gone["networks"], json!([]), "the network is deleted");
            for server in [&web1, &web2] {
                let list = os.nova_get(&token, &format!("/v2.1/servers/{server}/os-interface")).await;
                assert_eq!(list["interfaceAttachments"], json!([]), "{server}: {list}");
                let s = os.nova_get(&token, &format!("/v2.1/servers/{server}")).await;
                assert_eq!(s["server"]["status"], "ACTIVE", "the server itself is untouched");
            }
            let ip = os.neutron_get(&token, &format!("/v2.0/floatingips/{ip_id}")).await;
            assert!(ip["floatingip"]["port_id"].is_null(), "detached, still reserved: {ip}");
        })
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openstack_servers_connect_attach_move_and_disconnect_through_nova() {
    let os = OpenStack::shared();
    nova_guide(os, os.portal.clone(), "novaguide", "10.40.0.0/24").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_through_the_gateway_on_one_origin() {
    let os = OpenStack::shared();
    let gateway = os.gateway();
    nova_guide(os, gateway, "novagw", "10.41.0.0/24").await;
}
