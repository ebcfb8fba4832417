//! Unit tests of the gateway: upstream URLs, prefixes, learning the catalog,
//! path safety and the headers passed on.

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
