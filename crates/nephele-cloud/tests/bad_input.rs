//! Hostile and broken requests: every one gets a 4xx Synnefo fault (never a 500,
//! never a hang) and changes nothing.

mod common;

use common::*;
use serde_json::{json, Value};

/// Everything the demo user can see, to compare before and after.
async fn snapshot(api: &Api) -> Value {
    let mut all = serde_json::Map::new();
    for path in [
        format!("{NET}/networks"),
        format!("{NET}/subnets"),
        format!("{NET}/ports"),
        format!("{NET}/floatingips"),
        "/compute/v2.0/servers/detail".to_owned(),
        "/account/v1.0/quotas".to_owned(),
    ] {
        let r = api.get(&path).await;
        r.expect(200);
        all.insert(path, r.body);
    }
    Value::Object(all)
}

#[track_caller]
fn assert_fault(r: &Reply, what: &str) {
    assert!((400..500).contains(&r.status), "{what}: status {} body {}", r.status, r.text);
    let f = nephele_model::Fault::parse(r.status, &r.text)
        .unwrap_or_else(|| panic!("{what}: not a fault: {}", r.text));
    assert_eq!(f.code, r.status, "{what}");
    assert_eq!(r.headers["content-type"], "application/json; charset=UTF-8", "{what}");
}

const BODY_PATHS: &[(&str, &str)] = &[
    ("POST", "/network/v2.0/networks"),
    ("PUT", "/network/v2.0/networks/1"),
    ("POST", "/network/v2.0/networks/1/action"),
    ("POST", "/network/v2.0/subnets"),
    ("PUT", "/network/v2.0/subnets/21"),
    ("POST", "/network/v2.0/ports"),
    ("PUT", "/network/v2.0/ports/1"),
    ("POST", "/network/v2.0/floatingips"),
    ("POST", "/network/v2.0/floatingips/8/action"),
];

#[tokio::test]
async fn malformed_bodies_are_400_and_change_nothing() {
    let cloud = start_demo().await;
    let api = Api::new(&cloud, DEMO_TOKEN);
    let before = snapshot(&api).await;
    for (method, path) in BODY_PATHS {
        let r = api.raw(method, path, Some("application/json"), b"{\"network\": ".to_vec()).await;
        assert_fault(&r, &format!("{method} {path} truncated"));
        if !path.ends_with("/1") && !path.ends_with("/21") && !path.contains("/8/") {
            assert_eq!(r.message(), "Could not decode request body as JSON", "{method} {path}");
        }
        let r = api.raw(method, path, Some("application/json"), vec![0xff, 0xfe, b'{', 0x80]).await;
        assert_fault(&r, &format!("{method} {path} non-UTF-8"));
        let r = api.raw(method, path, None, b"{}".to_vec()).await;
        assert_fault(&r, &format!("{method} {path} no content type"));
        let r = api.raw(method, path, Some("text/plain"), b"{}".to_vec()).await;
        assert_fault(&r, &format!("{method} {path} text/plain"));
        let r = api.raw(method, path, Some("application/json"), Vec::new()).await;
        assert_fault(&r, &format!("{method} {path} empty"));
        for junk in [
            json!([]),
            json!(null),
            json!(42),
            json!("s"),
            json!({"x": 1}),
            json!([{"network": {}}]),
        ] {
            let r = api.send(method, path, Some(junk.clone())).await;
            assert_fault(&r, &format!("{method} {path} {junk}"));
        }
    }
    let r = api.raw("POST", "/network/v2.0/networks", None, b"{}".to_vec()).await;
    assert_eq!(r.message(), "Missing Content-Type header field");
    let r = api.raw("POST", "/network/v2.0/networks", Some("text/plain"), b"{}".to_vec()).await;
    assert_eq!(r.message(), "Unsupported Content-type: 'text/plain'");
    assert_eq!(snapshot(&api).await, before);
}

#[tokio::test]
async fn wrong_types_missing_fields_and_bad_ids_are_4xx_and_change_nothing() {
    let cloud = start_demo().await;
    let api = Api::new(&cloud, DEMO_TOKEN);
    let before = snapshot(&api).await;
    let cases: Vec<(&str, String, Value)> = vec![
        ("POST", format!("{NET}/networks"), json!({"network": "x"})),
        ("POST", format!("{NET}/networks"), json!({"network": {"name": 5}})),
        ("POST", format!("{NET}/networks"), json!({"network": {"name": "x".repeat(129)}})),
        ("POST", format!("{NET}/networks"), json!({"network": {"type": 7}})),
        ("POST", format!("{NET}/networks"), json!({"network": {"project": ["p"]}})),
        ("POST", format!("{NET}/networks"), json!({"network": {"shared_to_project": "yes"}})),
        ("POST", format!("{NET}/ports"), json!({"port": {}})),
        ("POST", format!("{NET}/ports"), json!({"port": {"network_id": [1]}})),
        ("POST", format!("{NET}/ports"), json!({"port": {"network_id": "abc"}})),
        ("POST", format!("{NET}/ports"), json!({"port": {"network_id": -1}})),
        ("POST", format!("{NET}/ports"), json!({"port": {"network_id": 1.5}})),
        (
            "POST",
            format!("{NET}/ports"),
            json!({"port": {"network_id": "1", "device_id": {"a": 1}}}),
        ),
        (
            "POST",
            format!("{NET}/ports"),
            json!({"port": {"network_id": "1", "device_id": "141", "fixed_ips": "1.2.3.4"}}),
        ),
        (
            "POST",
            format!("{NET}/ports"),
            json!({"port": {"network_id": "1", "device_id": "141", "fixed_ips": [{"ip_address": 5}]}}),
        ),
        (
            "POST",
            format!("{NET}/ports"),
            json!({"port": {"network_id": "1", "device_id": "141", "fixed_ips": [{"ip_address": "999.1.1.1"}]}}),
        ),
        (
            "POST",
            format!("{NET}/ports"),
            json!({"port": {"network_id": "1", "device_id": "141", "fixed_ips": ["x"]}}),
        ),
        (
            "POST",
            format!("{NET}/ports"),
            json!({"port": {"network_id": "1", "security_groups": "x"}}),
        ),
        (
            "POST",
            format!("{NET}/ports"),
            json!({"port": {"network_id": "1", "security_groups": ["1"]}}),
        ),
        (
            "POST",
            format!("{NET}/ports"),
            json!({"port": {"network_id": "99999", "device_id": "141"}}),
        ),
        (
            "POST",
            format!("{NET}/ports"),
            json!({"port": {"network_id": "1", "device_id": "201", "fixed_ips": [{"ip_address": "192.168.3.5"}]}}),
        ),
        (
            "POST",
            format!("{NET}/ports"),
            json!({"port": {"network_id": "1", "device_id": "99999999999999999999"}}),
        ),
        ("POST", format!("{NET}/subnets"), json!({"subnet": {}})),
        ("POST", format!("{NET}/subnets"), json!({"subnet": {"network_id": "x", "cidr": 5}})),
        (
            "POST",
            format!("{NET}/subnets"),
            json!({"subnet": {"network_id": "1", "cidr": "10.0.0.0/24", "ip_version": 5}}),
        ),
        ("POST", format!("{NET}/floatingips"), json!({"floatingip": []})),
        (
            "POST",
            format!("{NET}/floatingips"),
            json!({"floatingip": {"floating_network_id": "abc"}}),
        ),
        (
            "POST",
            format!("{NET}/floatingips"),
            json!({"floatingip": {"floating_network_id": "1", "floating_ip_address": 7}}),
        ),
        ("POST", format!("{NET}/floatingips"), json!({"floatingip": {"project": "not-mine"}})),
        (
            "POST",
            format!("{NET}/floatingips"),
            json!({"floatingip": {"floating_network_id": "99999"}}),
        ),
        ("PUT", format!("{NET}/networks/1"), json!({"network": {"name": "x"}})),
        ("PUT", format!("{NET}/networks/99999"), json!({"network": {"name": "x"}})),
        ("PUT", format!("{NET}/ports/1"), json!({"port": {"name": ["x"]}})),
        ("PUT", format!("{NET}/subnets/21"), json!({"subnet": {"name": "x"}})),
        ("POST", format!("{NET}/networks/1/action"), json!({"reassign": {"project": OTHER_UUID}})),
        (
            "POST",
            format!("{NET}/floatingips/8/action"),
            json!({"reassign": {"project": DEMO_UUID}}),
        ),
        ("POST", "/account/v1.0/user_catalogs".to_owned(), json!({"uuids": "x"})),
        ("POST", "/account/v1.0/user_catalogs".to_owned(), json!({"uuids": [1]})),
        ("POST", "/account/v1.0/user_catalogs".to_owned(), json!([])),
    ];
    for (method, path, body) in &cases {
        let r = api.send(method, path, Some(body.clone())).await;
        assert_fault(&r, &format!("{method} {path} {body}"));
    }
    // Unknown, non-numeric and other tenants' ids.
    for kind in ["networks", "subnets", "ports", "floatingips"] {
        for id in ["99999", "abc", "-1", "1e3", "%20", "12345678901234567890123", "3.0"] {
            for method in ["GET", "DELETE"] {
                let r = api.send(method, &format!("{NET}/{kind}/{id}"), None).await;
                assert_fault(&r, &format!("{method} {kind}/{id}"));
                if id == "99999" && !(kind == "subnets" && method == "DELETE") {
                    r.expect_fault(404, "itemNotFound");
                } else if method == "GET" && kind != "floatingips" && id == "abc" {
                    r.expect_fault(400, "badRequest");
                }
            }
        }
    }
    for id in ["201", "abc", "0"] {
        let r = api.get(&format!("/compute/v2.0/servers/{id}")).await;
        assert_fault(&r, &format!("server {id}"));
    }
    api.get(&format!("{NET}/ports/3")).await.expect_fault(404, "itemNotFound");
    api.delete(&format!("{NET}/ports/3")).await.expect_fault(404, "itemNotFound");
    assert_eq!(snapshot(&api).await, before);
}

#[tokio::test]
async fn a_huge_body_is_refused_without_hanging() {
    let cloud = start_demo().await;
    let api = Api::new(&cloud, DEMO_TOKEN);
    let before = snapshot(&api).await;
    let name = "x".repeat(3 << 20);
    let body = json!({"network": {"name": name, "type": "MAC_FILTERED"}}).to_string().into_bytes();
    let resp = api
        .http
        .post(format!("{}{NET}/networks", cloud.url()))
        .header("X-Auth-Token", DEMO_TOKEN)
        .header("Content-Type", "application/json")
        .body(body)
        .send();
    match tokio::time::timeout(std::time::Duration::from_secs(20), resp).await.expect("no hang") {
        Ok(r) => {
            let status = r.status().as_u16();
            let text = r.text().await.unwrap_or_default();
            assert_eq!(status, 413, "{text}");
            let f = nephele_model::Fault::parse(413, &text).expect("fault body");
            assert_eq!(f.code, 413);
        }
        // The server may close the connection before the client finished sending.
        Err(e) => assert!(e.is_request() || e.is_body(), "{e}"),
    }
    assert_eq!(snapshot(&api).await, before);
}

#[tokio::test]
async fn every_verb_on_every_path_answers_a_fault_or_success_and_changes_nothing() {
    let cloud = start_demo().await;
    let api = Api::new(&cloud, DEMO_TOKEN);
    let anon = Api::anonymous(&cloud);
    let before = snapshot(&api).await;
    let paths = [
        "/identity/v2.0/tokens",
        "/identity/v2.0",
        "/compute/v2.0/servers",
        "/compute/v2.0/servers/detail",
        "/compute/v2.0/servers/141",
        "/compute/v2.0/servers/141/action",
        "/network",
        "/network/v2.0",
        "/network/v2.0/networks",
        "/network/v2.0/networks/detail",
        "/network/v2.0/networks/1",
        "/network/v2.0/networks/1/action",
        "/network/v2.0/subnets",
        "/network/v2.0/subnets/21",
        "/network/v2.0/ports",
        "/network/v2.0/ports/1",
        "/network/v2.0/ports/detail",
        "/network/v2.0/floatingips",
        "/network/v2.0/floatingips/8",
        "/network/v2.0/floatingips/8/action",
        "/account/v1.0/quotas",
        "/account/v1.0/resources",
        "/account/v1.0/projects",
        "/account/v1.0/projects/x",
        "/account/v1.0/user_catalogs",
        "/account/v1.0",
        "/metrics",
    ];
    for path in paths {
        for method in ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"] {
            for client in [&api, &anon] {
                let r = client.send(method, path, Some(json!({"junk": true}))).await;
                let what = format!("{method} {path} (token: {})", client.token.is_some());
                // The only 5xx Synnefo sends on purpose: PUT on a floating IP is 501.
                let put_fip =
                    method == "PUT" && path.contains("floatingips/") && client.token.is_some();
                if put_fip && r.status == 501 {
                    r.expect_fault(501, "notImplemented");
                    continue;
                }
                assert!(r.status < 500, "{what}: {} {}", r.status, r.text);
                if r.status >= 400 && method != "HEAD" {
                    assert_fault(&r, &what);
                }
            }
        }
    }
    assert_eq!(snapshot(&api).await, before);
}

/// A tiny deterministic generator (xorshift), enough for mutations.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<T: Clone>(&mut self, items: &[T]) -> T {
        items[(self.next() % items.len() as u64) as usize].clone()
    }
}

fn mutate(v: &Value, rng: &mut Rng, depth: u32) -> Value {
    let junk = [
        json!(null),
        json!(-1),
        json!(1e300),
        json!(""),
        json!("x"),
        json!([]),
        json!({}),
        json!(true),
        json!("141"),
        json!("1"),
        json!([{"ip_address": "1.2.3.4"}]),
        json!("192.168.3.5"),
    ];
    match v {
        Value::Object(m) if depth < 4 => {
            let mut m = m.clone();
            let keys: Vec<String> = m.keys().cloned().collect();
            match rng.next() % 4 {
                0 if !keys.is_empty() => {
                    m.remove(&rng.pick(&keys));
                }
                1 => {
                    m.insert(
                        rng.pick(&[
                            "extra".to_owned(),
                            "id".to_owned(),
                            "type".to_owned(),
                            "project".to_owned(),
                        ]),
                        rng.pick(&junk),
                    );
                }
                _ if !keys.is_empty() => {
                    let k = rng.pick(&keys);
                    let inner = mutate(&m[&k], rng, depth + 1);
                    m.insert(k, inner);
                }
                _ => {}
            }
            Value::Object(m)
        }
        _ => {
            if rng.next() % 3 == 0 {
                v.clone()
            } else {
                rng.pick(&junk)
            }
        }
    }
}

#[tokio::test]
async fn random_mutations_of_valid_bodies_never_fail_the_server() {
    let cloud = start_demo().await;
    let api = Api::new(&cloud, DEMO_TOKEN);
    let valid: Vec<(&str, &str, Value)> = vec![
        (
            "POST",
            "/network/v2.0/networks",
            json!({"network": {"name": "n", "type": "MAC_FILTERED", "admin_state_up": true}}),
        ),
        (
            "POST",
            "/network/v2.0/subnets",
            json!({"subnet": {"network_id": "2", "cidr": "10.0.0.0/24", "ip_version": 4, "gateway_ip": "10.0.0.1", "allocation_pools": [{"start": "10.0.0.10", "end": "10.0.0.20"}]}}),
        ),
        (
            "POST",
            "/network/v2.0/ports",
            json!({"port": {"network_id": "2", "device_id": "141", "name": "p", "fixed_ips": [{"ip_address": "10.0.0.12"}]}}),
        ),
        (
            "POST",
            "/network/v2.0/floatingips",
            json!({"floatingip": {"floating_network_id": "1", "floating_ip_address": "192.168.3.9"}}),
        ),
        ("PUT", "/network/v2.0/networks/2", json!({"network": {"name": "renamed"}})),
        ("PUT", "/network/v2.0/ports/11", json!({"port": {"name": "renamed", "network_id": "2"}})),
        (
            "POST",
            "/network/v2.0/floatingips/8/action",
            json!({"reassign": {"project": LAB_PROJECT}}),
        ),
        (
            "POST",
            "/identity/v2.0/tokens",
            json!({"auth": {"token": {"id": DEMO_TOKEN}, "tenantName": DEMO_UUID}}),
        ),
    ];
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for round in 0..400 {
        let (method, path, body) = rng.pick(&valid);
        let body = mutate(&body, &mut rng, 0);
        let r = api.send(method, path, Some(body.clone())).await;
        assert!(r.status < 500, "round {round}: {method} {path} {body} → {} {}", r.status, r.text);
        if r.status >= 400 {
            assert_fault(&r, &format!("round {round}: {method} {path} {body}"));
        }
    }
    // Whatever happened, quota usage equals what exists.
    let nets = api.get(&format!("{NET}/networks")).await;
    let private = nets.body["networks"]
        .as_array()
        .expect("l")
        .iter()
        .filter(|n| n["public"] == false)
        .count() as i64;
    let fips = api.get(&format!("{NET}/floatingips")).await.body["floatingips"]
        .as_array()
        .expect("l")
        .len() as i64;
    let q = api.get("/account/v1.0/quotas").await;
    let sum = |res: &str| {
        q.body
            .as_object()
            .expect("q")
            .values()
            .map(|p| p[res]["usage"].as_i64().unwrap_or(0))
            .sum::<i64>()
    };
    assert_eq!(sum("cyclades.network.private"), private);
    assert_eq!(sum("cyclades.floating_ip"), fips);
}
