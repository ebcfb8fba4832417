//! Unit tests of the gateway: upstream URLs, prefixes, learning the catalog,
//! path safety and the headers passed on.

use super::keystone;
use super::relay::{forwardable, stays_under, unsafe_path};
use super::*;

#[test]
fn upstream_urls_are_checked() {
    assert_eq!(
        parse_upstream("https://cloud.example.org/identity/v2.0/").unwrap().as_str(),
        "https://cloud.example.org/identity/v2.0"
    );
    for bad in [
        "ftp://x/identity",
        "cloud.example.org",
        "https://u:p@x/identity",
        "https://x/identity?a=1",
        "",
        "http://",
    ] {
        assert!(parse_upstream(bad).is_err(), "{bad}");
    }
}

#[test]
fn prefixes_keep_the_version() {
    let u = |s: &str| Url::parse(s).unwrap();
    assert_eq!(gateway_prefix("network", &u("https://c.example.org/cyclades/network")), "/network");
    assert_eq!(
        gateway_prefix("compute", &u("https://c.example.org/cyclades/compute/v2.0")),
        "/compute/v2.0"
    );
    assert_eq!(
        gateway_prefix("account", &u("https://a.example.org/astakos/account/v1.0")),
        "/account/v1.0"
    );
    assert_eq!(
        gateway_prefix("identity", &u("https://a.example.org/astakos/identity/vx")),
        "/identity"
    );
}

#[test]
fn catalog_is_rewritten_and_learned() {
    let gw =
        Gateway::new("https://accounts.example.org/astakos/identity/v2.0", Duration::from_secs(5))
            .unwrap()
            .with_upstream_origins(&["https://cyclades.example.org".to_owned()])
            .unwrap();
    let mut answer = serde_json::json!({"access": {"token": {"id": "t"}, "serviceCatalog": [
        {"type": "network", "name": "cyclades_network", "endpoints": [{"publicURL": "https://cyclades.example.org/cyclades/network", "SNF:uiURL": "https://cyclades.example.org/ui"}]},
        {"type": "compute", "endpoints": [{"publicURL": "https://cyclades.example.org/cyclades/compute/v2.0"}]},
        {"type": "account", "endpoints": [{"publicURL": "https://accounts.example.org/astakos/account/v1.0"}]},
        {"type": "identity", "endpoints": [{"publicURL": "https://elsewhere.example.org/identity/v2.0"}]},
        {"type": "image", "endpoints": [{"publicURL": "https://cyclades.example.org/cyclades/image"}]},
        {"type": "volume", "endpoints": [{"publicURL": "javascript:alert(1)"}]}
    ]}});
    gw.rewrite_catalog(&mut answer, "https://portal.example.org");
    let urls: Vec<&str> = answer["access"]["serviceCatalog"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["endpoints"][0]["publicURL"].as_str().unwrap())
        .collect();
    assert_eq!(
        urls,
        [
            "https://portal.example.org/network",
            "https://portal.example.org/compute/v2.0",
            "https://portal.example.org/account/v1.0",
            "https://portal.example.org/identity/v2.0",
        ]
    );
    assert_eq!(answer["access"]["token"]["id"], "t");
    let (r, rest) = gw.find("/network/v2.0/networks").unwrap();
    assert_eq!(
        (r.upstream.as_str(), rest.as_str()),
        ("https://cyclades.example.org/cyclades/network", "/v2.0/networks")
    );
    let (r, _) = gw.find("/identity/v2.0/tokens").unwrap();
    assert_eq!(r.upstream.as_str(), "https://accounts.example.org/astakos/identity/v2.0");
    assert!(gw.find("/networkx/v2.0").is_none());
    assert!(gw.find("/compute/v1.1/servers").is_none());
    assert!(gw.find("/image/v1.0").is_none());
}

fn answer(token: Option<&str>, network: &str) -> Value {
    let mut a = serde_json::json!({"access": {"serviceCatalog": [
        {"type": "network", "endpoints": [{"publicURL": network}]},
    ]}});
    if let Some(t) = token {
        a["access"]["token"] = serde_json::json!({"id": t});
    }
    a
}

fn network_upstream(gw: &Gateway) -> Option<String> {
    gw.find("/network/v2.0/ports").map(|(r, _)| r.upstream.to_string())
}

#[test]
fn only_allowed_origins_are_learned() {
    let gw = Gateway::new("http://127.0.0.1:9000/identity/v2.0", Duration::from_secs(5)).unwrap();
    // Another scheme, host or port than --upstream's: left out of the catalog too.
    for elsewhere in [
        "https://127.0.0.1:9000/network",
        "http://127.0.0.1:9001/network",
        "http://evil.example/network",
    ] {
        let mut a = answer(Some("t"), elsewhere);
        gw.rewrite_catalog(&mut a, "http://portal");
        assert_eq!(a["access"]["serviceCatalog"], serde_json::json!([]), "{elsewhere}");
        assert_eq!(network_upstream(&gw), None, "{elsewhere}");
    }
    gw.rewrite_catalog(&mut answer(Some("t"), "http://127.0.0.1:9000/network"), "");
    assert_eq!(network_upstream(&gw).as_deref(), Some("http://127.0.0.1:9000/network"));
    let again = Gateway::new("http://127.0.0.1:9000/identity/v2.0", Duration::from_secs(5));
    assert!(again.unwrap().with_upstream_origins(&["http://x/path".into()]).is_err());
}

#[test]
fn anonymous_answers_never_replace_signed_in_ones() {
    let gw = Gateway::new("http://127.0.0.1:9000/identity/v2.0", Duration::from_secs(5))
        .unwrap()
        .with_upstream_origins(&["http://127.0.0.1:9001".to_owned()])
        .unwrap();
    // Before any sign-in, the public catalog fills in (and may be refreshed).
    gw.rewrite_catalog(&mut answer(None, "http://127.0.0.1:9001/network"), "");
    assert_eq!(network_upstream(&gw).as_deref(), Some("http://127.0.0.1:9001/network"));
    gw.rewrite_catalog(&mut answer(Some("t"), "http://127.0.0.1:9000/network"), "");
    assert_eq!(network_upstream(&gw).as_deref(), Some("http://127.0.0.1:9000/network"));
    for anonymous in [
        answer(None, "http://127.0.0.1:9001/network"),
        answer(Some(""), "http://127.0.0.1:9001/network"),
    ] {
        gw.rewrite_catalog(&mut anonymous.clone(), "");
        assert_eq!(network_upstream(&gw).as_deref(), Some("http://127.0.0.1:9000/network"));
    }
    // A later signed-in answer may move it.
    gw.rewrite_catalog(&mut answer(Some("t2"), "http://127.0.0.1:9001/network"), "");
    assert_eq!(network_upstream(&gw).as_deref(), Some("http://127.0.0.1:9001/network"));
}

#[test]
fn unsafe_paths_and_escapes() {
    for bad in [
        "/network/../x",
        "/network/v2.0/%2e%2E/x",
        "/network/.",
        "/network\\..\\x",
        "/network/%5C..",
        "/a/.%2e/b",
    ] {
        assert!(unsafe_path(bad), "{bad}");
    }
    assert!(!unsafe_path("/network/v2.0/networks/..x"));
    let base = Url::parse("https://c.example.org/cyclades/network").unwrap();
    assert!(stays_under(
        &Url::parse("https://c.example.org/cyclades/network/v2.0").unwrap(),
        &base
    ));
    assert!(!stays_under(&Url::parse("https://c.example.org/cyclades/networkx").unwrap(), &base));
    assert!(!stays_under(
        &Url::parse("https://c.example.org:444/cyclades/network/v2.0").unwrap(),
        &base
    ));
    assert!(!stays_under(
        &Url::parse("http://c.example.org/cyclades/network/v2.0").unwrap(),
        &base
    ));
}

#[test]
fn hop_by_hop_headers_are_dropped() {
    let mut h = HeaderMap::new();
    h.insert(header::CONNECTION, HeaderValue::from_static("keep-alive, x-private"));
    h.insert("x-private", HeaderValue::from_static("1"));
    h.insert(header::HOST, HeaderValue::from_static("portal"));
    h.insert(header::TE, HeaderValue::from_static("trailers"));
    h.insert("x-auth-token", HeaderValue::from_static("secret"));
    let out = forwardable(&h);
    assert_eq!(out.len(), 1);
    assert_eq!(out["x-auth-token"], "secret");
}

// ---- Keystone v3 (`--upstream …/v3`)

fn keystone_gateway() -> Gateway {
    Gateway::new("http://127.0.0.1:5000/v3", Duration::from_secs(5))
        .unwrap()
        .with_upstream_origins(&[
            "http://127.0.0.1:9696".to_owned(),
            "http://127.0.0.1:8774".to_owned(),
        ])
        .unwrap()
}

fn keystone_answer(catalog: Value) -> Value {
    serde_json::json!({"token": {"methods": ["password"], "user": {"id": "u1", "name": "demo"},
        "project": {"id": "p1", "name": "demo-a"}, "expires_at": "2026-12-01T20:00:00.000000Z",
        "catalog": catalog}})
}

fn endpoint(interface: &str, region: &str, url: &str) -> Value {
    serde_json::json!({"id": "e", "interface": interface, "region_id": region, "region": region, "url": url})
}

#[test]
fn the_family_comes_from_the_upstream_url() {
    let gw = keystone_gateway();
    assert_eq!(gw.family(), Family::OpenStack);
    assert_eq!(gw.routes()[0].prefix, "/identity/v3");
    let gw = Gateway::new("https://a.example.org/astakos/identity/v2.0", Duration::from_secs(5));
    assert_eq!(gw.unwrap().family(), Family::Synnefo);
    // A URL that says nothing stays Synnefo, as the gateway always was.
    let gw = Gateway::new("https://a.example.org/identity", Duration::from_secs(5));
    assert_eq!(gw.unwrap().family(), Family::Synnefo);
}

#[test]
fn keystone_prefixes_carry_region_and_version() {
    let u = |s: &str| Url::parse(s).unwrap();
    let p = keystone::prefix;
    assert_eq!(p("network", Some("RegionOne"), &u("http://n:9696")).unwrap(), "/network/RegionOne");
    assert_eq!(
        p("compute", Some("RegionOne"), &u("http://n:8774/v2.1")).unwrap(),
        "/compute/RegionOne/v2.1"
    );
    assert_eq!(
        p("compute", Some("de-fra 1"), &u("http://n/compute/v2.1/abc123")).unwrap(),
        "/compute/de-fra%201/v2.1/abc123"
    );
    assert_eq!(p("network", None, &u("http://n/networking")).unwrap(), "/network");
    assert_eq!(p("network", Some("a/b"), &u("http://n:9696")).unwrap(), "/network/a%2Fb");
    for bad in ["..", ".", "v2", "v2.0"] {
        assert_eq!(p("network", Some(bad), &u("http://n:9696")), None, "{bad}");
    }
}

#[test]
fn keystone_catalog_is_rewritten_per_region_and_learned() {
    let gw = keystone_gateway();
    let mut answer = keystone_answer(serde_json::json!([
        {"type": "identity", "name": "keystone", "endpoints": [
            endpoint("public", "RegionOne", "https://keystone.example.org/v3"),
            endpoint("internal", "RegionOne", "http://10.0.0.1:5000/v3"),
            endpoint("admin", "RegionOne", "http://10.0.0.1:5000/v3")]},
        {"type": "network", "name": "neutron", "endpoints": [
            endpoint("internal", "RegionOne", "http://10.0.0.1:9696"),
            endpoint("public", "RegionOne", "http://127.0.0.1:9696"),
            endpoint("public", "RegionTwo", "http://127.0.0.1:9696/two/"),
            endpoint("public", "RegionThree", "http://evil.example:9696")]},
        {"type": "compute", "name": "nova", "endpoints": [
            endpoint("public", "RegionOne", "http://127.0.0.1:8774/v2.1")]},
        {"type": "image", "name": "glance", "endpoints": [
            endpoint("public", "RegionOne", "http://127.0.0.1:9292")]}
    ]));
    gw.rewrite_keystone_catalog(&mut answer, "https://portal.example.org", Source::SignedIn);
    let catalog = &answer["token"]["catalog"];
    let urls: Vec<(&str, &str, &str)> = catalog
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| {
            s["endpoints"].as_array().unwrap().iter().map(move |e| {
                (
                    s["type"].as_str().unwrap(),
                    e["region_id"].as_str().unwrap(),
                    e["url"].as_str().unwrap(),
                )
            })
        })
        .collect();
    assert_eq!(
        urls,
        [
            ("identity", "RegionOne", "https://portal.example.org/identity/v3"),
            ("network", "RegionOne", "https://portal.example.org/network/RegionOne"),
            ("network", "RegionTwo", "https://portal.example.org/network/RegionTwo"),
            ("compute", "RegionOne", "https://portal.example.org/compute/RegionOne/v2.1"),
        ]
    );
    assert!(catalog.as_array().unwrap().iter().all(|s| s["endpoints"][0]["interface"] == "public"));
    assert_eq!(answer["token"]["project"]["name"], "demo-a", "the rest is untouched");

    // The portal's own reading of the catalog gives same-origin endpoints.
    let token: nephele_model::keystone::TokenAnswer = serde_json::from_value(answer).unwrap();
    let e = token.token.endpoints(Some("RegionOne")).unwrap();
    assert_eq!(e.network, "https://portal.example.org/network/RegionOne/v2.0");
    assert_eq!(e.compute.as_deref(), Some("https://portal.example.org/compute/RegionOne/v2.1"));
    assert_eq!(e.identity.as_deref(), Some("https://portal.example.org/identity/v3"));
    let two = token.token.endpoints(Some("RegionTwo")).unwrap();
    assert_eq!(two.network, "https://portal.example.org/network/RegionTwo/v2.0");
    assert_eq!(token.token.regions(), ["RegionOne", "RegionTwo"]);

    // Each region forwards to its own endpoint.
    let up = |path: &str| gw.find(path).map(|(r, rest)| r.target(&rest));
    assert_eq!(
        up("/network/RegionOne/v2.0/networks").as_deref(),
        Some("http://127.0.0.1:9696/v2.0/networks")
    );
    assert_eq!(
        up("/network/RegionTwo/v2.0/networks").as_deref(),
        Some("http://127.0.0.1:9696/two/v2.0/networks")
    );
    assert_eq!(
        up("/compute/RegionOne/v2.1/servers").as_deref(),
        Some("http://127.0.0.1:8774/v2.1/servers")
    );
    assert_eq!(
        up("/identity/v3/auth/tokens").as_deref(),
        Some("http://127.0.0.1:5000/v3/auth/tokens")
    );
    for unknown in [
        "/network/RegionThree/v2.0",
        "/network/v2.0/networks",
        "/compute/RegionOne/v2.0",
        "/image/RegionOne",
    ] {
        assert_eq!(up(unknown), None, "{unknown}");
    }
}

#[test]
fn keystone_answers_nobody_vouched_for_teach_nothing() {
    let gw = keystone_gateway();
    let catalog = serde_json::json!([{"type": "network", "endpoints": [
        endpoint("public", "RegionOne", "http://127.0.0.1:9696")]}]);
    let mut answer = keystone_answer(catalog.clone());
    gw.rewrite_keystone_catalog(&mut answer, "http://portal", Source::Anonymous);
    // Still rewritten, so the browser never sees the cloud's URLs, but not learned.
    assert_eq!(
        answer["token"]["catalog"][0]["endpoints"][0]["url"],
        "http://portal/network/RegionOne"
    );
    assert!(gw.find("/network/RegionOne/v2.0/networks").is_none());
    // `GET /v3/auth/catalog` answers `{"catalog": […]}`.
    let mut answer = serde_json::json!({"catalog": catalog, "links": {}});
    gw.rewrite_keystone_catalog(&mut answer, "http://portal", Source::SignedIn);
    assert_eq!(answer["catalog"][0]["endpoints"][0]["url"], "http://portal/network/RegionOne");
    assert!(gw.find("/network/RegionOne/v2.0/networks").is_some());

    let h = |name: &'static str| {
        let mut m = HeaderMap::new();
        m.insert(name, HeaderValue::from_static("t"));
        m
    };
    let none = HeaderMap::new();
    assert_eq!(keystone::vouched(&Method::POST, &none, &h("x-subject-token")), Source::SignedIn);
    assert_eq!(keystone::vouched(&Method::POST, &h("x-auth-token"), &none), Source::Anonymous);
    assert_eq!(keystone::vouched(&Method::GET, &h("x-auth-token"), &none), Source::SignedIn);
    assert_eq!(keystone::vouched(&Method::GET, &none, &h("x-subject-token")), Source::Anonymous);
    assert!(keystone::carries_catalog(&Method::POST, "/auth/tokens"));
    assert!(keystone::carries_catalog(&Method::GET, "/auth/tokens/"));
    assert!(keystone::carries_catalog(&Method::GET, "/auth/catalog"));
    assert!(!keystone::carries_catalog(&Method::DELETE, "/auth/tokens"));
    assert!(!keystone::carries_catalog(&Method::GET, "/auth/projects"));
}

#[test]
fn keystone_regions_and_projects_are_never_mixed_up() {
    let gw = keystone_gateway();
    let nova = |project: &str| {
        keystone_answer(serde_json::json!([{"type": "compute", "endpoints": [
            endpoint("public", "RegionOne", &format!("http://127.0.0.1:8774/v2.1/{project}"))]}]))
    };
    let mut a = nova("pa");
    gw.rewrite_keystone_catalog(&mut a, "", Source::SignedIn);
    let mut b = nova("pb");
    gw.rewrite_keystone_catalog(&mut b, "", Source::SignedIn);
    assert_eq!(a["token"]["catalog"][0]["endpoints"][0]["url"], "/compute/RegionOne/v2.1/pa");
    assert_eq!(b["token"]["catalog"][0]["endpoints"][0]["url"], "/compute/RegionOne/v2.1/pb");
    let up = |path: &str| gw.find(path).map(|(r, _)| r.upstream.to_string());
    assert_eq!(
        up("/compute/RegionOne/v2.1/pa/servers").as_deref(),
        Some("http://127.0.0.1:8774/v2.1/pa")
    );
    assert_eq!(
        up("/compute/RegionOne/v2.1/pb/servers").as_deref(),
        Some("http://127.0.0.1:8774/v2.1/pb")
    );

    // Two endpoints of one region and type at different URLs: the second is left out.
    let mut twice = keystone_answer(serde_json::json!([{"type": "network", "endpoints": [
        endpoint("public", "R", "http://127.0.0.1:9696/a"),
        endpoint("public", "R", "http://127.0.0.1:9696/b")]}]));
    gw.rewrite_keystone_catalog(&mut twice, "", Source::SignedIn);
    assert_eq!(twice["token"]["catalog"][0]["endpoints"].as_array().unwrap().len(), 1);
    assert_eq!(up("/network/R/v2.0").as_deref(), Some("http://127.0.0.1:9696/a"));
}
