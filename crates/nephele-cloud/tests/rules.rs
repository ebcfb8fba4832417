//! One test per rule of the spec's §11 checklist ("Rules checklist for a faithful
//! emulator"), named `rule_NN_...`, plus the catalog, isolation and HTTP conventions.

mod common;

use common::*;
use serde_json::{json, Value};

async fn create_net(api: &Api, name: &str) -> String {
    let r = api
        .post(
            &format!("{NET}/networks"),
            json!({"network": {"name": name, "type": "MAC_FILTERED"}}),
        )
        .await;
    r.expect(201);
    r.body["network"]["id"].as_str().expect("id").to_owned()
}

async fn reserve_ip(api: &Api) -> (String, String) {
    let r = api
        .post(&format!("{NET}/floatingips"), json!({"floatingip": {"floating_network_id": "1"}}))
        .await;
    r.expect(200);
    let f = &r.body["floatingip"];
    (
        f["id"].as_str().expect("id").to_owned(),
        f["floating_ip_address"].as_str().expect("addr").to_owned(),
    )
}

async fn connect(api: &Api, net: &str, dev: &str) -> String {
    let r = api
        .post(&format!("{NET}/ports"), json!({"port": {"network_id": net, "device_id": dev}}))
        .await;
    r.expect(201);
    r.body["port"]["id"].as_str().expect("id").to_owned()
}

#[tokio::test]
async fn rule_01_token_in_header_or_query_unknown_token_401() {
    let cloud = start_demo().await;
    let api = Api::new(&cloud, DEMO_TOKEN);
    api.get(&format!("{NET}/networks")).await.expect(200);
    let anon = Api::anonymous(&cloud);
    anon.get(&format!("{NET}/networks?X-Auth-Token={DEMO_TOKEN}")).await.expect(200);
    anon.get(&format!("/compute/v2.0/servers?X-Auth-Token={DEMO_TOKEN}")).await.expect(200);
    // Unknown token on Cyclades: the `fault` wrapper around Astakos' answer.
    let bad = api.with_token("nope");
    for path in [
        format!("{NET}/networks"),
        format!("{NET}/ports/11"),
        "/compute/v2.0/servers/detail".to_owned(),
    ] {
        let r = bad.get(&path).await;
        r.expect_fault(401, "fault");
        let inner: Value =
            serde_json::from_str(r.body["fault"]["details"].as_str().expect("details"))
                .expect("json details");
        assert_eq!(inner["unauthorized"]["message"], "Invalid token");
        let parsed = nephele_model::Fault::parse(401, &r.text).expect("parses");
        assert_eq!(parsed.message, "Invalid token");
    }
    // Missing token.
    let r = anon.get(&format!("{NET}/networks")).await;
    r.expect_fault(401, "unauthorized");
    assert_eq!(r.message(), "Access denied. No authentication token");
    let r = anon.get("/account/v1.0/quotas").await;
    r.expect_fault(401, "unauthorized");
    bad.get("/account/v1.0/quotas").await.expect_fault(401, "unauthorized");
    // On /tokens an unknown token is a plain 401 unauthorized "Invalid token".
    let r = anon.post("/identity/v2.0/tokens", json!({"auth": {"token": {"id": "nope"}}})).await;
    r.expect_fault(401, "unauthorized");
    assert_eq!(r.message(), "Invalid token");
    // A failed token changes nothing.
    bad.post(&format!("{NET}/networks"), json!({"network": {"name": "x"}})).await.expect(401);
    assert_eq!(ids(&api.get(&format!("{NET}/networks")).await.body["networks"]), ["1"]);
}

#[tokio::test]
async fn rule_01_catalog_comes_from_the_host_header() {
    let cloud = start_demo().await;
    let anon = Api::anonymous(&cloud);
    let r =
        anon.post("/identity/v2.0/tokens", json!({"auth": {"token": {"id": DEMO_TOKEN}}})).await;
    r.expect(200);
    let access: nephele_model::identity::TokenResponse =
        serde_json::from_value(r.body.clone()).expect("access");
    let access = access.access;
    assert_eq!(access.token.as_ref().map(|t| t.id.as_str()), Some(DEMO_TOKEN));
    let user = access.user.clone().expect("user");
    assert_eq!(user.id, DEMO_UUID);
    assert_eq!(user.projects, [DEMO_UUID, LAB_PROJECT]);
    assert_eq!(
        access.token.as_ref().and_then(|t| t.tenant.as_ref()).map(|t| t.id.as_str()),
        Some(DEMO_UUID)
    );
    let base = cloud.url();
    assert_eq!(access.public_url("network"), Some(format!("{base}/network").as_str()));
    assert_eq!(access.public_url("compute"), Some(format!("{base}/compute/v2.0").as_str()));
    assert_eq!(access.public_url("account"), Some(format!("{base}/account/v1.0").as_str()));
    assert_eq!(access.public_url("identity"), Some(format!("{base}/identity/v2.0").as_str()));
    let account = access
        .service_catalog
        .iter()
        .find(|s| s.name == "astakos_account")
        .expect("astakos_account");
    assert_eq!(account.endpoints[0].version_id.as_deref(), Some("v1.0"));
    assert!(account.endpoints[0].ui_url.is_some());
    let e = access.endpoints().expect("endpoints");
    assert_eq!(e.network, format!("{base}/network/v2.0"));
    // Another Host → other URLs.
    let other = anon
        .http
        .post(format!("{base}/identity/v2.0/tokens"))
        .header("Host", "cloud.example.org:9999")
        .header("Content-Type", "application/json")
        .body(json!({"auth": {"passwordCredentials": {"username": DEMO_UUID, "password": DEMO_TOKEN}}}).to_string())
        .send()
        .await
        .expect("sent");
    let v: Value = other.json().await.expect("json");
    let nets: Vec<_> = v["access"]["serviceCatalog"]
        .as_array()
        .expect("catalog")
        .iter()
        .filter(|s| s["type"] == "network")
        .collect();
    assert_eq!(nets[0]["endpoints"][0]["publicURL"], "http://cloud.example.org:9999/network");
    // Public mode: an empty POST gives the catalog only.
    let r = anon.raw("POST", "/identity/v2.0/tokens", None, Vec::new()).await;
    r.expect(200);
    assert!(
        r.body["access"]["serviceCatalog"].is_array() && r.body["access"].get("token").is_none()
    );
}

#[tokio::test]
async fn rule_02_ids_are_strings_in_network_api_numbers_in_compute() {
    let cloud = start_demo().await;
    let api = Api::new(&cloud, DEMO_TOKEN);
    // Clients may send ids as numbers.
    let net = create_net(&api, "n").await;
    let r = api
        .post(
            &format!("{NET}/ports"),
            json!({"port": {"network_id": net.parse::<i64>().expect("n"), "device_id": 141}}),
        )
        .await;
    r.expect(201);
    let p = &r.body["port"];
    assert!(p["id"].is_string() && p["network_id"].is_string());
    assert_eq!(p["device_id"], "141");
    let port = p["id"].as_str().expect("id").to_owned();
    api.wait_port_active(&port).await;
    for path in [format!("{NET}/networks"), format!("{NET}/subnets"), format!("{NET}/ports")] {
        let r = api.get(&path).await;
        let key = path.rsplit('/').next().expect("key");
        assert!(
            r.body[key].as_array().expect("list").iter().all(|o| o["id"].is_string()),
            "{path}"
        );
    }
    let s = api.get("/compute/v2.0/servers/detail").await;
    s.expect(200);
    for server in s.body["servers"].as_array().expect("servers") {
        assert!(server["id"].is_u64());
        for a in server["attachments"].as_array().expect("attachments") {
            assert!(a["id"].is_u64() && a["network_id"].is_string());
        }
    }
    let ips = api.get("/compute/v2.0/servers/141/ips").await;
    ips.expect(200);
    assert_eq!(ips.body["addresses"]["1"][0]["addr"], "192.168.3.2");
    let one = api.get("/compute/v2.0/servers/141").await;
    assert!(one.body["server"]["attachments"]
        .as_array()
        .expect("a")
        .iter()
        .any(|a| a["id"].as_u64().map(|n| n.to_string()) == Some(port.clone())));
    let (fip, _) = reserve_ip(&api).await;
    let f = api.get(&format!("{NET}/floatingips/{fip}")).await;
    assert!(
        f.body["floatingip"]["id"].is_string()
            && f.body["floatingip"]["floating_network_id"].is_string()
    );
    assert_eq!(f.body["floatingip"].as_object().expect("obj").len(), 10);
    api.post(
        &format!("{NET}/subnets"),
        json!({"subnet": {"network_id": "2", "cidr": "2001:db8::/64", "ip_version": 6}}),
    )
    .await;
    // The shared model types read every answer back unchanged (same keys, same values).
    use nephele_model::{
        floating_ip::FloatingIpList,
        network::NetworkList,
        port::PortList,
        server::{ServerList, ServerSummaryList},
        subnet::SubnetList,
    };
    async fn round_trip<T: serde::de::DeserializeOwned + serde::Serialize>(api: &Api, path: &str) {
        let r = api.get(path).await;
        r.expect(200);
        let parsed: T =
            serde_json::from_value(r.body.clone()).unwrap_or_else(|e| panic!("{path}: {e}"));
        assert_eq!(serde_json::to_value(&parsed).expect("serialize"), r.body, "{path}");
    }
    round_trip::<NetworkList>(&api, &format!("{NET}/networks")).await;
    round_trip::<SubnetList>(&api, &format!("{NET}/subnets")).await;
    round_trip::<PortList>(&api, &format!("{NET}/ports")).await;
    round_trip::<FloatingIpList>(&api, &format!("{NET}/floatingips")).await;
    round_trip::<ServerList>(&api, "/compute/v2.0/servers/detail").await;
    round_trip::<ServerSummaryList>(&api, "/compute/v2.0/servers").await;
    round_trip::<nephele_model::quota::Quotas>(&api, "/account/v1.0/quotas").await;
    round_trip::<Vec<nephele_model::account::Project>>(&api, "/account/v1.0/projects").await;
    round_trip::<nephele_model::account::Resources>(&api, "/account/v1.0/resources").await;
}

#[tokio::test]
async fn rule_03_lists_sorted_detail_aliases_deleted_hidden_changes_since() {
    let cloud = start_demo().await;
    let api = Api::new(&cloud, DEMO_TOKEN);
    let a = create_net(&api, "a").await;
    let b = create_net(&api, "b").await;
    let r = api.get(&format!("{NET}/networks")).await;
    assert_eq!(ids(&r.body["networks"]), ["1", a.as_str(), b.as_str()]);
    for coll in ["networks", "subnets", "ports", "floatingips"] {
        let plain = api.get(&format!("{NET}/{coll}")).await;
        let detail = api.get(&format!("{NET}/{coll}/detail")).await;
        plain.expect(200);
        detail.expect(200);
        assert_eq!(plain.body, detail.body, "{coll}");
        let slash = api.get(&format!("{NET}/{coll}/")).await;
        assert_eq!(slash.body, plain.body, "{coll}/");
        let ids_ = ids(&plain.body[coll]);
        let mut sorted = ids_.clone();
        sorted.sort_by_key(|s| s.parse::<i64>().unwrap_or(0));
        assert_eq!(ids_, sorted, "{coll} sorted");
    }
    // Delete b: hidden from the list, still readable, and reported by changes-since.
    let created: String = api.get(&format!("{NET}/networks/{a}")).await.body["network"]["created"]
        .as_str()
        .expect("ts")
        .to_owned();
    api.delete(&format!("{NET}/networks/{b}")).await.expect(204);
    assert_eq!(ids(&api.get(&format!("{NET}/networks")).await.body["networks"]), ["1", a.as_str()]);
    let since = urlencode(&created);
    let r = api.get(&format!("{NET}/networks?changes-since={since}")).await;
    r.expect(200);
    let changed = &r.body["networks"];
    assert!(ids(changed).contains(&b));
    assert!(changed
        .as_array()
        .expect("list")
        .iter()
        .any(|n| n["id"] == b.as_str() && n["deleted"] == true));
    // Nothing changed since the last update → 304.
    let last = api.get(&format!("{NET}/networks/{b}")).await.body["network"]["updated"]
        .as_str()
        .expect("ts")
        .to_owned();
    let after = bump(&last);
    assert_eq!(
        api.get(&format!("{NET}/networks?changes-since={}", urlencode(&after))).await.status,
        304
    );
    assert_eq!(
        api.get(&format!("{NET}/floatingips?changes-since={}", urlencode(&after))).await.status,
        304
    );
    assert_eq!(
        api.get(&format!("/compute/v2.0/servers?changes-since={}", urlencode(&after))).await.status,
        304
    );
    assert_eq!(
        api.get(&format!("{NET}/subnets?changes-since={}", urlencode(&after))).await.status,
        304
    );
    // Ports ignore changes-since.
    api.get(&format!("{NET}/ports?changes-since={}", urlencode(&after))).await.expect(200);
    // Bad values.
    let r = api.get(&format!("{NET}/networks?changes-since=yesterday")).await;
    r.expect_fault(400, "badRequest");
    assert_eq!(r.message(), "Invalid changes-since parameter.");
    let r = api.get(&format!("{NET}/networks?changes-since=2001-01-01T00:00:00%2B00:00")).await;
    assert_eq!(r.message(), "Too old changes-since value.");
    let r = api.get(&format!("{NET}/networks?changes-since=2999-01-01T00:00:00%2B00:00")).await;
    assert_eq!(r.message(), "changes-since value set in the future.");
}

fn urlencode(s: &str) -> String {
    s.replace('+', "%2B").replace(':', "%3A")
}

/// One microsecond after an ISO timestamp `...ss.ffffff+00:00`.
fn bump(ts: &str) -> String {
    let (head, micros) = ts.split_at(20);
    let micros: u32 = micros[..6].parse().expect("micros");
    assert!(micros < 999_999, "rare edge; rerun");
    format!("{head}{:06}+00:00", micros + 1)
}

#[tokio::test]
async fn rule_04_network_create_type_status_subnets_quota() {
    let cloud = start_demo().await;
    let api = Api::new(&cloud, DEMO_TOKEN);
    let r = api
        .post(
            &format!("{NET}/networks"),
            json!({"network": {"type": "IP_LESS_ROUTED", "name": "x"}}),
        )
        .await;
    r.expect_fault(403, "forbidden");
    assert_eq!(r.message(), "Cannot create network of type 'IP_LESS_ROUTED'.");
    let r = api.post(&format!("{NET}/networks"), json!({"network": {"type": "BOGUS"}})).await;
    r.expect_fault(400, "badRequest");
    api.post(&format!("{NET}/networks"), json!({})).await.expect_fault(400, "badRequest");
    // Deviation on purpose: a missing type means MAC_FILTERED.
    let r = api.post(&format!("{NET}/networks"), json!({"network": {"name": "no type"}})).await;
    r.expect(201);
    let n = &r.body["network"];
    assert_eq!((n["type"].as_str(), n["status"].as_str()), (Some("MAC_FILTERED"), Some("ACTIVE")));
    assert_eq!(n["subnets"], json!([]));
    assert_eq!(api.quota(DEMO_UUID, "cyclades.network.private").await["usage"], 1);
    // The lab project allows one private network per member.
    let r = api
        .post(
            &format!("{NET}/networks"),
            json!({"network": {"name": "lab1", "type": "MAC_FILTERED", "project": LAB_PROJECT}}),
        )
        .await;
    r.expect(201);
    assert_eq!(r.body["network"]["tenant_id"], LAB_PROJECT);
    let r = api
        .post(
            &format!("{NET}/networks"),
            json!({"network": {"name": "lab2", "type": "MAC_FILTERED", "project": LAB_PROJECT}}),
        )
        .await;
    r.expect_fault(413, "overLimit");
    assert_eq!(r.message(), "Resource Limit Exceeded for your account.");
    assert_eq!(r.body["overLimit"]["details"], "Limit for resource 'Private Network' exceeded for your account. Available: 0, Requested: 1");
    // A project the user is not in.
    let r = api
        .post(
            &format!("{NET}/networks"),
            json!({"network": {"type": "MAC_FILTERED", "project": OTHER_UUID}}),
        )
        .await;
    r.expect_fault(400, "badRequest");
    assert_eq!(r.message(), format!("User {DEMO_UUID} not in project {OTHER_UUID}"));
    assert_eq!(api.quota(LAB_PROJECT, "cyclades.network.private").await["usage"], 1);
    // Rename.
    let r = api.put(&format!("{NET}/networks/2"), json!({"network": {"name": "renamed"}})).await;
    r.expect(200);
    assert_eq!(r.body["network"]["name"], "renamed");
    api.put(&format!("{NET}/networks/1"), json!({"network": {"name": "mine"}}))
        .await
        .expect_fault(403, "forbidden");
    api.put(&format!("{NET}/networks/2"), json!({"network": {}}))
        .await
        .expect_fault(400, "badRequest");
}

#[tokio::test]
async fn rule_05_network_delete_public_403_in_use_409_then_deleted() {
    let cloud = start_demo().await;
    let api = Api::new(&cloud, DEMO_TOKEN);
    let net = create_net(&api, "n").await;
    let r = api.delete(&format!("{NET}/networks/1")).await;
    r.expect_fault(403, "forbidden");
    // Any port, even an unattached DOWN one, blocks deletion.
    let r = api.post(&format!("{NET}/ports"), json!({"port": {"network_id": net}})).await;
    r.expect(201);
    assert_eq!(r.body["port"]["status"], "DOWN");
    let port = r.body["port"]["id"].as_str().expect("id").to_owned();
    let r = api.delete(&format!("{NET}/networks/{net}")).await;
    r.expect_fault(409, "conflict");
    assert_eq!(
        r.message(),
        format!("Cannot delete network. There are ports still configured on network network {net}")
    );
    api.delete(&format!("{NET}/ports/{port}")).await.expect(204);
    assert_eq!(api.quota(DEMO_UUID, "cyclades.network.private").await["usage"], 1);
    api.delete(&format!("{NET}/networks/{net}")).await.expect(204);
    let r = api.get(&format!("{NET}/networks/{net}")).await;
    r.expect(200);
    assert_eq!(
        (r.body["network"]["status"].as_str(), r.body["network"]["deleted"].as_bool()),
        (Some("DELETED"), Some(true))
    );
    assert_eq!(api.quota(DEMO_UUID, "cyclades.network.private").await["usage"], 0);
    api.delete(&format!("{NET}/networks/{net}")).await.expect_fault(400, "badRequest");
    api.delete(&format!("{NET}/networks/999")).await.expect_fault(404, "itemNotFound");
}

#[tokio::test]
async fn rule_06_subnets_one_per_version_owner_only_size_gateway_dhcp_no_delete() {
    let cloud = start_demo().await;
    let api = Api::new(&cloud, DEMO_TOKEN);
    let net = create_net(&api, "n").await;
    let sub = |body: Value| {
        let api = api.clone();
        async move { api.post(&format!("{NET}/subnets"), json!({ "subnet": body })).await }
    };
    let r = sub(json!({"network_id": net, "cidr": "10.0.0.0/30"})).await;
    r.expect_fault(413, "overLimit");
    assert_eq!(r.message(), "Unsupported network size");
    assert_eq!(r.body["overLimit"]["details"], "Netmask must be in range: [22, 29]");
    sub(json!({"network_id": net, "cidr": "10.0.0.0/21"})).await.expect_fault(413, "overLimit");
    sub(json!({"network_id": net, "cidr": "10.0.0.1/24"})).await.expect_fault(400, "badRequest");
    sub(json!({"network_id": net})).await.expect_fault(400, "badRequest");
    sub(json!({"network_id": net, "cidr": "10.0.0.0/24", "gateway_ip": "10.9.9.9"}))
        .await
        .expect_fault(400, "badRequest");
    sub(json!({"network_id": net, "cidr": "10.0.0.0/24", "enable_dhcp": "yes"}))
        .await
        .expect_fault(400, "badRequest");
    // Public network: owner only.
    let r = sub(json!({"network_id": "1", "cidr": "10.1.0.0/24"})).await;
    r.expect_fault(403, "forbidden");
    assert_eq!(r.message(), "Forbidden operation");
    // Gateway absent → first host; DHCP defaults to true; default pool excludes it.
    let r =
        sub(json!({"network_id": net, "cidr": "10.0.0.0/24", "ip_version": 4, "name": "s"})).await;
    r.expect(201);
    let s = &r.body["subnet"];
    assert_eq!(s["gateway_ip"], "10.0.0.1");
    assert_eq!(s["enable_dhcp"], true);
    assert_eq!(s["allocation_pools"], json!([{"start": "10.0.0.2", "end": "10.0.0.254"}]));
    assert_eq!(s["tenant_id"], DEMO_UUID);
    assert!(s.get("enable_slaac").is_none());
    let sid = s["id"].as_str().expect("id").to_owned();
    assert_eq!(
        api.get(&format!("{NET}/networks/{net}")).await.body["network"]["subnets"],
        json!([sid])
    );
    // One per IP version.
    let r = sub(json!({"network_id": net, "cidr": "10.0.1.0/24"})).await;
    r.expect_fault(400, "badRequest");
    assert_eq!(r.message(), "Only one subnet of IPv4 per network is allowed");
    let r = sub(json!({"network_id": net, "cidr": "2001:db8::/64", "ip_version": 6})).await;
    r.expect(201);
    assert_eq!(r.body["subnet"]["enable_slaac"], true);
    // gateway null → none.
    let net2 = create_net(&api, "n2").await;
    let r = sub(json!({"network_id": net2, "cidr": "10.2.0.0/29", "gateway_ip": null})).await;
    r.expect(201);
    assert_eq!(r.body["subnet"]["gateway_ip"], json!(null));
    assert_eq!(
        r.body["subnet"]["allocation_pools"],
        json!([{"start": "10.2.0.1", "end": "10.2.0.6"}])
    );
    // Rename only; no delete.
    let r = api.put(&format!("{NET}/subnets/{sid}"), json!({"subnet": {"name": "renamed"}})).await;
    r.expect(200);
    assert_eq!(r.body["subnet"]["name"], "renamed");
    api.put(
        &format!("{NET}/subnets/{sid}"),
        json!({"subnet": {"name": "x", "cidr": "10.0.0.0/24"}}),
    )
    .await
    .expect_fault(400, "badRequest");
    let r = api.delete(&format!("{NET}/subnets/{sid}")).await;
    r.expect_fault(400, "badRequest");
    assert_eq!(r.message(), "Deletion of a subnet is not supported");
    // Not after the first connection.
    let net3 = create_net(&api, "n3").await;
    let p = connect(&api, &net3, "142").await;
    api.wait_port_active(&p).await;
    let r = sub(json!({"network_id": net3, "cidr": "10.3.0.0/24"})).await;
    r.expect_fault(400, "badRequest");
    assert_eq!(
        r.message(),
        format!(
            "Cannot create subnet in network {net3}, VMs are already connected to this network"
        )
    );
    // Ports on a subnetted network get addresses; IPv6 appears once ACTIVE.
    let p = connect(&api, &net, "141").await;
    let r = api.get(&format!("{NET}/ports/{p}")).await;
    assert_eq!(r.body["port"]["fixed_ips"], json!([{"ip_address": "10.0.0.2", "subnet": sid}]));
    api.wait_port_active(&p).await;
    let r = api.get(&format!("{NET}/ports/{p}")).await;
    let ips = r.body["port"]["fixed_ips"].as_array().expect("ips").clone();
    assert_eq!(ips.len(), 2);
    assert!(ips[1]["ip_address"].as_str().expect("v6").starts_with("2001:db8::"));
}

const RULE7_SEED: &str = r#"
[[users]]
uuid = "u-1"
name = "U"
token = "t-1"
limits = { "cyclades.vm" = 10, "cyclades.floating_ip" = 1, "cyclades.network.private" = 5 }

[[servers]]
id = 1
name = "ok"
owner = "u-1"
cpu = 1
ram = 1
disk = 1

[[servers]]
id = 2
name = "building"
owner = "u-1"
status = "BUILD"
cpu = 1
ram = 1
disk = 1

[[servers]]
id = 3
name = "broken"
owner = "u-1"
status = "ERROR"
cpu = 1
ram = 1
disk = 1

[[servers]]
id = 4
name = "stopped"
owner = "u-1"
status = "STOPPED"
cpu = 1
ram = 1
disk = 1

[[networks]]
id = 1
name = "public"
floating_ip_pool = true
subnet = { id = 1, cidr = "10.10.0.0/29", gateway = "10.10.0.1" }
"#;

#[tokio::test]
async fn rule_07_port_create_public_needs_fip_states_server_checks_limits() {
    let (cloud, _dir) = start_seed_text("rule7", RULE7_SEED, 20).await;
    let api = Api::new(&cloud, "t-1");
    let port = |body: Value| {
        let api = api.clone();
        async move { api.post(&format!("{NET}/ports"), json!({ "port": body })).await }
    };
    // Public network: an owned floating IP is required.
    let r = port(json!({"network_id": "1", "device_id": "1"})).await;
    r.expect_fault(400, "badRequest");
    assert_eq!(r.message(), "'fixed_ips' attribute must contain a floating IP address in order to connect to a public network.");
    port(json!({"network_id": "1", "device_id": "1", "fixed_ips": [{"ip_address": "10.10.0.5"}]}))
        .await
        .expect_fault(404, "itemNotFound");
    let (fip, addr) = reserve_ip(&api).await;
    assert_eq!(addr, "10.10.0.2");
    // Server checks: BUILD → 409 buildInProgress, ERROR → 400.
    let r = port(json!({"network_id": "1", "device_id": "2", "fixed_ips": [{"ip_address": addr}]}))
        .await;
    r.expect_fault(409, "buildInProgress");
    let r = port(json!({"network_id": "1", "device_id": "3", "fixed_ips": [{"ip_address": addr}]}))
        .await;
    r.expect_fault(400, "badRequest");
    assert_eq!(r.message(), "Cannot perform 'CONNECT' action while server is in 'ERROR' state.");
    port(json!({"network_id": "1", "device_id": "999", "fixed_ips": [{"ip_address": addr}]}))
        .await
        .expect_fault(404, "itemNotFound");
    // With a device: BUILD, then ACTIVE with a MAC. A STOPPED server is fine.
    let r = port(json!({"network_id": "1", "device_id": "4", "fixed_ips": [{"ip_address": addr}]}))
        .await;
    r.expect(201);
    assert_eq!(r.body["port"]["status"], "BUILD");
    assert_eq!(r.body["port"]["device_owner"], "vm");
    let p = r.body["port"]["id"].as_str().expect("id").to_owned();
    // IP in use → 409.
    let r = port(json!({"network_id": "1", "device_id": "1", "fixed_ips": [{"ip_address": addr}]}))
        .await;
    r.expect_fault(409, "conflict");
    assert_eq!(r.message(), format!("IP address '{addr}' is already in use"));
    api.wait_port_active(&p).await;
    assert!(api.get(&format!("{NET}/ports/{p}")).await.body["port"]["mac_address"].is_string());
    assert_eq!(
        api.get(&format!("{NET}/floatingips/{fip}")).await.body["floatingip"]["instance_id"],
        "4"
    );
    // Private network: without device → DOWN; pool exhausted → 409.
    let net = create_net(&api, "small").await;
    api.post(
        &format!("{NET}/subnets"),
        json!({"subnet": {"network_id": net, "cidr": "10.20.0.0/29"}}),
    )
    .await
    .expect(201);
    for i in 0..5 {
        let r = port(json!({"network_id": net})).await;
        r.expect(201);
        assert_eq!(r.body["port"]["status"], "DOWN");
        assert_eq!(r.body["port"]["device_id"], json!(null));
        assert_eq!(r.body["port"]["fixed_ips"][0]["ip_address"], format!("10.20.0.{}", i + 2));
    }
    let r = port(json!({"network_id": net})).await;
    r.expect_fault(409, "conflict");
    assert_eq!(r.message(), format!("No more IP addresses available on network {net}"));
    // A requested address already used → 409; outside → 400.
    let net2 = create_net(&api, "big").await;
    api.post(
        &format!("{NET}/subnets"),
        json!({"subnet": {"network_id": net2, "cidr": "10.30.0.0/24"}}),
    )
    .await
    .expect(201);
    port(json!({"network_id": net2, "fixed_ips": [{"ip_address": "10.30.0.9"}]})).await.expect(201);
    port(json!({"network_id": net2, "fixed_ips": [{"ip_address": "10.30.0.9"}]}))
        .await
        .expect_fault(409, "conflict");
    port(json!({"network_id": net2, "fixed_ips": [{"ip_address": "10.99.0.9"}]}))
        .await
        .expect_fault(400, "badRequest");
    port(json!({"network_id": net2, "fixed_ips": [{"ip_address": "a"}, {"ip_address": "b"}]}))
        .await
        .expect_fault(400, "badRequest");
    // A pending CONNECT blocks another connect on the same server.
    let first = port(json!({"network_id": net2, "device_id": "1"})).await;
    first.expect(201);
    let first_id = first.body["port"]["id"].as_str().expect("id").to_owned();
    if api.port_status(&first_id).await.as_deref() == Some("BUILD") {
        let r = port(json!({"network_id": net2, "device_id": "1"})).await;
        if api.port_status(&first_id).await.as_deref() == Some("BUILD") {
            r.expect_fault(400, "badRequest");
            assert_eq!(
                r.message(),
                "Cannot perform 'CONNECT' action while there is a pending 'CONNECT'."
            );
        }
    }
    api.wait_port_active(&first_id).await;
    // At most 8 ports per server.
    let mut count = api.get("/compute/v2.0/servers/1").await.body["server"]["attachments"]
        .as_array()
        .expect("a")
        .len();
    while count < 8 {
        let r = port(json!({"network_id": net2, "device_id": "1"})).await;
        if r.status == 201 {
            let id = r.body["port"]["id"].as_str().expect("id").to_owned();
            api.wait_port_active(&id).await;
            count += 1;
        } else {
            // only the pending rule may refuse while we are below the limit
            r.expect_fault(400, "badRequest");
            assert!(r.message().contains("pending"), "{}", r.text);
        }
    }
    let r = port(json!({"network_id": net2, "device_id": "1"})).await;
    r.expect_fault(400, "badRequest");
    assert_eq!(r.message(), "Maximum ports per server limit reached");
}

#[tokio::test]
async fn rule_08_port_delete_unattached_now_attached_later_fip_kept_ip_released() {
    let cloud = start_demo().await;
    let api = Api::new(&cloud, DEMO_TOKEN);
    // Admin-forced public port without floating IP → 403.
    let r = api.delete(&format!("{NET}/ports/1")).await;
    r.expect_fault(403, "forbidden");
    assert_eq!(r.message(), "Cannot disconnect from public network.");
    let net = create_net(&api, "n").await;
    api.post(
        &format!("{NET}/subnets"),
        json!({"subnet": {"network_id": net, "cidr": "10.0.0.0/24"}}),
    )
    .await
    .expect(201);
    // Unattached: gone at once.
    let r = api.post(&format!("{NET}/ports"), json!({"port": {"network_id": net}})).await;
    let down = r.body["port"]["id"].as_str().expect("id").to_owned();
    assert_eq!(r.body["port"]["fixed_ips"][0]["ip_address"], "10.0.0.2");
    api.delete(&format!("{NET}/ports/{down}")).await.expect(204);
    api.get(&format!("{NET}/ports/{down}")).await.expect_fault(404, "itemNotFound");
    // Its address went back to the pool.
    let r = api
        .post(&format!("{NET}/ports"), json!({"port": {"network_id": net, "device_id": "141"}}))
        .await;
    r.expect(201);
    assert_eq!(r.body["port"]["fixed_ips"][0]["ip_address"], "10.0.0.2");
    let attached = r.body["port"]["id"].as_str().expect("id").to_owned();
    api.wait_port_active(&attached).await;
    // Attached: 204, still there (unchanged), later gone.
    api.delete(&format!("{NET}/ports/{attached}")).await.expect(204);
    let r = api.get(&format!("{NET}/ports/{attached}")).await;
    r.expect(200);
    assert_eq!(r.body["port"]["status"], "ACTIVE");
    api.wait_port_gone(&attached).await;
    // Floating IP: detached but kept and still counted.
    let (fip, addr) = reserve_ip(&api).await;
    let r = api.post(&format!("{NET}/ports"), json!({"port": {"network_id": "1", "device_id": "142", "fixed_ips": [{"ip_address": addr}]}})).await;
    r.expect(201);
    let p = r.body["port"]["id"].as_str().expect("id").to_owned();
    api.wait_port_active(&p).await;
    api.delete(&format!("{NET}/ports/{p}")).await.expect(204);
    api.wait_port_gone(&p).await;
    let f = api.get(&format!("{NET}/floatingips/{fip}")).await;
    f.expect(200);
    assert_eq!(
        (
            f.body["floatingip"]["port_id"].clone(),
            f.body["floatingip"]["floating_ip_address"].clone()
        ),
        (json!(null), json!(addr))
    );
    assert_eq!(api.quota(DEMO_UUID, "cyclades.floating_ip").await["usage"], 1);
}

#[tokio::test]
async fn rule_09_floating_ip_200_autopick_quota_409_attached_501_put_reassign() {
    let cloud = start_demo().await;
    let api = Api::new(&cloud, DEMO_TOKEN);
    // Auto-pick a pool when no network is given; 200, not 201.
    let r = api.post(&format!("{NET}/floatingips"), json!({"floatingip": {}})).await;
    r.expect(200);
    let f = &r.body["floatingip"];
    assert_eq!(f["floating_network_id"], "1");
    assert_eq!(f["tenant_id"], DEMO_UUID);
    let fip = f["id"].as_str().expect("id").to_owned();
    let addr = f["floating_ip_address"].as_str().expect("addr").to_owned();
    // A specific address; taken → 409; outside → 400.
    let r = api.post(&format!("{NET}/floatingips"), json!({"floatingip": {"floating_network_id": 1, "floating_ip_address": "192.168.3.100"}})).await;
    r.expect(200);
    assert_eq!(r.body["floatingip"]["floating_ip_address"], "192.168.3.100");
    api.post(
        &format!("{NET}/floatingips"),
        json!({"floatingip": {"floating_network_id": 1, "floating_ip_address": "192.168.3.100"}}),
    )
    .await
    .expect_fault(409, "conflict");
    api.post(
        &format!("{NET}/floatingips"),
        json!({"floatingip": {"floating_network_id": 1, "floating_ip_address": "10.0.0.1"}}),
    )
    .await
    .expect_fault(400, "badRequest");
    // Not a pool.
    let net = create_net(&api, "n").await;
    api.post(&format!("{NET}/floatingips"), json!({"floatingip": {"floating_network_id": net}}))
        .await
        .expect_fault(409, "conflict");
    // Quota: 2 used of 3.
    api.post(&format!("{NET}/floatingips"), json!({"floatingip": {}})).await.expect(200);
    let r = api.post(&format!("{NET}/floatingips"), json!({"floatingip": {}})).await;
    r.expect_fault(413, "overLimit");
    assert_eq!(r.body["overLimit"]["details"], "Limit for resource 'Floating IP address' exceeded for your account. Available: 0, Requested: 1");
    // Attached → delete 409.
    let r = api.post(&format!("{NET}/ports"), json!({"port": {"network_id": "1", "device_id": "141", "fixed_ips": [{"ip_address": addr}]}})).await;
    r.expect(201);
    let r = api.delete(&format!("{NET}/floatingips/{fip}")).await;
    r.expect_fault(409, "conflict");
    assert_eq!(r.message(), format!("IP '{fip}' is used by server '141'"));
    // PUT → 501.
    let r =
        api.put(&format!("{NET}/floatingips/{fip}"), json!({"floatingip": {"port_id": "1"}})).await;
    r.expect_fault(501, "notImplemented");
    assert_eq!(r.message(), "Updating a floating IP is not supported.");
    // Reassign (allowed while attached) moves the quota.
    let r = api
        .post(
            &format!("{NET}/floatingips/{fip}/action"),
            json!({"reassign": {"project": LAB_PROJECT}}),
        )
        .await;
    r.expect(200);
    assert_eq!(
        api.get(&format!("{NET}/floatingips/{fip}")).await.body["floatingip"]["tenant_id"],
        LAB_PROJECT
    );
    assert_eq!(api.quota(LAB_PROJECT, "cyclades.floating_ip").await["usage"], 1);
    assert_eq!(api.quota(DEMO_UUID, "cyclades.floating_ip").await["usage"], 2);
    api.post(&format!("{NET}/floatingips/{fip}/action"), json!({"reassign": {}}))
        .await
        .expect_fault(400, "badRequest");
    api.post(&format!("{NET}/floatingips/{fip}/action"), json!({"explode": {}}))
        .await
        .expect_fault(400, "badRequest");
    api.post(
        &format!("{NET}/floatingips/{fip}/action"),
        json!({"reassign": {"project": LAB_PROJECT, "shared_to_project": true}}),
    )
    .await
    .expect_fault(403, "forbidden");
    // Network reassign too, and public is refused.
    api.post(
        &format!("{NET}/networks/{net}/action"),
        json!({"reassign": {"project": LAB_PROJECT}}),
    )
    .await
    .expect(200);
    assert_eq!(
        api.get(&format!("{NET}/networks/{net}")).await.body["network"]["tenant_id"],
        LAB_PROJECT
    );
    api.post(&format!("{NET}/networks/1/action"), json!({"reassign": {"project": LAB_PROJECT}}))
        .await
        .expect_fault(403, "forbidden");
}

#[tokio::test]
async fn rule_10_quotas_keyed_by_project_six_integers_bytes() {
    let cloud = start_demo().await;
    let api = Api::new(&cloud, DEMO_TOKEN);
    let r = api.get("/account/v1.0/quotas").await;
    r.expect(200);
    let q: nephele_model::quota::Quotas =
        serde_json::from_value(r.body.clone()).expect("quota map");
    assert_eq!(q.keys().cloned().collect::<Vec<_>>(), {
        let mut k = vec![DEMO_UUID.to_owned(), LAB_PROJECT.to_owned()];
        k.sort();
        k
    });
    for (_, resources) in r.body.as_object().expect("obj") {
        for (_, entry) in resources.as_object().expect("resources") {
            let e = entry.as_object().expect("entry");
            let mut keys: Vec<_> = e.keys().cloned().collect();
            keys.sort();
            assert_eq!(
                keys,
                ["limit", "pending", "project_limit", "project_pending", "project_usage", "usage"]
            );
            assert!(e.values().all(Value::is_i64));
        }
    }
    assert_eq!(q[DEMO_UUID]["cyclades.ram"].limit, 40 << 30);
    assert_eq!(q[LAB_PROJECT]["cyclades.floating_ip"].limit, 1);
    assert_eq!(q[LAB_PROJECT]["cyclades.floating_ip"].project_limit, 2);
    // Resources (no token needed) and projects.
    let r = Api::anonymous(&cloud).get("/account/v1.0/resources").await;
    r.expect(200);
    assert_eq!(r.body["cyclades.ram"]["unit"], "bytes");
    assert_eq!(r.body["cyclades.floating_ip"]["unit"], json!(null));
    let r = api.get("/account/v1.0/projects").await;
    r.expect(200);
    let list: Vec<nephele_model::account::Project> =
        serde_json::from_value(r.body.clone()).expect("projects");
    assert_eq!(list.len(), 2);
    assert!(list.iter().any(|p| p.id == DEMO_UUID && p.system_project));
    let r = api.get(&format!("/account/v1.0/projects/{LAB_PROJECT}")).await;
    r.expect(200);
    assert_eq!(r.body["name"], "lab.example.org");
    assert_eq!(r.body["resources"]["cyclades.network.private"]["member_capacity"], 1);
    api.get(&format!("/account/v1.0/projects/{OTHER_UUID}"))
        .await
        .expect_fault(404, "itemNotFound");
    let r = api
        .post(
            "/account/v1.0/user_catalogs",
            json!({"uuids": [DEMO_UUID, "nobody"], "displaynames": ["Other User"]}),
        )
        .await;
    r.expect(200);
    assert_eq!(
        r.body,
        json!({"uuid_catalog": {DEMO_UUID: "Demo User"}, "displayname_catalog": {"Other User": OTHER_UUID}})
    );
    // The other tenant sees only its own project.
    let other = api.with_token(OTHER_TOKEN).get("/account/v1.0/quotas").await;
    assert_eq!(other.body.as_object().expect("obj").keys().collect::<Vec<_>>(), [OTHER_UUID]);
}

#[tokio::test]
async fn rule_11_task_state_while_in_flight_attachments_only_active() {
    // A long delay makes the in-flight states observable without racing.
    let dir = temp_dir("rule11");
    let db = dir.path().join("c.db");
    let mut o = options(demo_seed(), 20);
    o.db = Some(db.clone());
    let fast = nephele_cloud::start(o).await.expect("start");
    let api = Api::new(&fast, DEMO_TOKEN);
    let net = create_net(&api, "n").await;
    let active = connect(&api, &net, "142").await;
    api.wait_port_active(&active).await;
    fast.stop().await.expect("stop");

    let mut o = options(demo_seed(), 60_000);
    o.db = Some(db);
    let slow = nephele_cloud::start(o).await.expect("start");
    let api = Api::new(&slow, DEMO_TOKEN);
    let building = connect(&api, &net, "141").await;
    let s = api.get("/compute/v2.0/servers/141").await;
    assert_eq!(s.body["server"]["SNF:task_state"], "CONNECTING");
    let attached: Vec<Value> = s.body["server"]["attachments"]
        .as_array()
        .expect("a")
        .iter()
        .map(|a| a["id"].clone())
        .collect();
    assert_eq!(attached, [json!(1)], "BUILD ports are not attachments");
    let r = api
        .post(&format!("{NET}/ports"), json!({"port": {"network_id": net, "device_id": "141"}}))
        .await;
    r.expect_fault(400, "badRequest");
    assert_eq!(r.message(), "Cannot perform 'CONNECT' action while there is a pending 'CONNECT'.");
    let r = api.delete(&format!("{NET}/ports/{building}")).await;
    r.expect_fault(400, "badRequest");
    // Disconnecting 142: DISCONNECTING, the port stays ACTIVE and attached meanwhile.
    api.delete(&format!("{NET}/ports/{active}")).await.expect(204);
    let s = api.get("/compute/v2.0/servers/142").await;
    assert_eq!(s.body["server"]["SNF:task_state"], "DISCONNECTING");
    assert!(s.body["server"]["attachments"]
        .as_array()
        .expect("a")
        .iter()
        .any(|a| a["id"].as_u64().map(|n| n.to_string()) == Some(active.clone())));
    assert_eq!(api.port_status(&active).await.as_deref(), Some("ACTIVE"));
    let r = api
        .post(&format!("{NET}/ports"), json!({"port": {"network_id": net, "device_id": "142"}}))
        .await;
    assert_eq!(
        r.message(),
        "Cannot perform 'CONNECT' action while there is a pending 'DISCONNECT'."
    );
    slow.stop().await.expect("stop");
}

#[tokio::test]
async fn tenants_are_isolated_except_public_networks() {
    let cloud = start_demo().await;
    let demo = Api::new(&cloud, DEMO_TOKEN);
    let other = demo.with_token(OTHER_TOKEN);
    let net = create_net(&demo, "private").await;
    let (fip, addr) = reserve_ip(&demo).await;
    let p = connect(&demo, &net, "141").await;
    // The other tenant sees the public network only, none of demo's things.
    assert_eq!(ids(&other.get(&format!("{NET}/networks")).await.body["networks"]), ["1"]);
    assert!(other.get(&format!("{NET}/floatingips")).await.body["floatingips"]
        .as_array()
        .expect("l")
        .is_empty());
    assert_eq!(ids(&other.get(&format!("{NET}/ports")).await.body["ports"]), ["3"]);
    let servers = other.get("/compute/v2.0/servers").await;
    assert_eq!(servers.body["servers"].as_array().expect("s").len(), 1);
    for path in [
        format!("{NET}/networks/{net}"),
        format!("{NET}/floatingips/{fip}"),
        format!("{NET}/ports/{p}"),
        "/compute/v2.0/servers/141".to_owned(),
    ] {
        other.get(&path).await.expect_fault(404, "itemNotFound");
        if !path.contains("servers") {
            other.delete(&path).await.expect_fault(404, "itemNotFound");
        }
    }
    other
        .put(&format!("{NET}/networks/{net}"), json!({"network": {"name": "mine"}}))
        .await
        .expect_fault(404, "itemNotFound");
    other
        .post(&format!("{NET}/networks/{net}/action"), json!({"reassign": {"project": OTHER_UUID}}))
        .await
        .expect_fault(404, "itemNotFound");
    other
        .post(
            &format!("{NET}/floatingips/{fip}/action"),
            json!({"reassign": {"project": OTHER_UUID}}),
        )
        .await
        .expect_fault(404, "itemNotFound");
    // Nor use them: demo's network, demo's server, demo's floating IP.
    other
        .post(&format!("{NET}/ports"), json!({"port": {"network_id": net, "device_id": "201"}}))
        .await
        .expect_fault(404, "itemNotFound");
    other.post(&format!("{NET}/ports"), json!({"port": {"network_id": "1", "device_id": "141", "fixed_ips": [{"ip_address": addr}]}})).await.expect_fault(404, "itemNotFound");
    other.post(&format!("{NET}/ports"), json!({"port": {"network_id": "1", "device_id": "201", "fixed_ips": [{"ip_address": addr}]}})).await.expect_fault(404, "itemNotFound");
    other
        .post(
            &format!("{NET}/subnets"),
            json!({"subnet": {"network_id": net, "cidr": "10.0.0.0/24"}}),
        )
        .await
        .expect_fault(404, "itemNotFound");
    // Demo's things are untouched.
    demo.get(&format!("{NET}/networks/{net}")).await.expect(200);
    assert_eq!(
        demo.get(&format!("{NET}/floatingips/{fip}")).await.body["floatingip"]["port_id"],
        json!(null)
    );
}

#[tokio::test]
async fn http_conventions_headers_405_unknown_paths_cors_metrics() {
    let dir = temp_dir("conv");
    let mut o = options(demo_seed(), 150);
    o.allow_origins = vec!["http://127.0.0.1:8081".into()];
    o.db = Some(dir.path().join("c.db"));
    let cloud = nephele_cloud::start(o).await.expect("start");
    let api = Api::new(&cloud, DEMO_TOKEN);
    let r = api.get(&format!("{NET}/networks")).await;
    assert_eq!(r.headers["content-type"], "application/json; charset=UTF-8");
    assert!(r.headers["cache-control"].to_str().expect("ascii").contains("no-store"));
    assert!(r.headers.get_all("vary").iter().any(|v| v == "X-Auth-Token"));
    assert!(r.headers.contains_key("expires"));
    // Wrong method on a known path → 405 with Allow.
    for (method, path, allow) in [
        ("PATCH", format!("{NET}/networks"), "GET, POST"),
        ("DELETE", format!("{NET}/networks/"), "GET, POST"),
        ("POST", format!("{NET}/ports/11"), "GET, PUT, DELETE"),
        ("GET", "/identity/v2.0/tokens".to_owned(), "POST"),
        ("PUT", "/compute/v2.0/servers".to_owned(), "GET"),
    ] {
        let r = api.send(method, &path, None).await;
        r.expect_fault(405, "notAllowed");
        assert_eq!(r.headers["allow"], allow, "{method} {path}");
    }
    // A plain OPTIONS (no CORS configured) is a wrong method too, as on Synnefo.
    let plain = start_demo().await;
    let r = Api::new(&plain, DEMO_TOKEN).send("OPTIONS", &format!("{NET}/floatingips"), None).await;
    r.expect_fault(405, "notAllowed");
    assert_eq!(r.headers["allow"], "GET, POST");
    // Unknown paths under an API prefix → 400.
    for path in [
        format!("{NET}/routers"),
        "/compute/v2.0/flavors/x/y".to_owned(),
        "/account/v1.0/nope".to_owned(),
        format!("{NET}/ports/1/extra"),
    ] {
        let r = api.get(&path).await;
        r.expect_fault(400, "badRequest");
        assert_eq!(r.message(), "API endpoint not found");
    }
    // Version document without a token.
    let r = Api::anonymous(&cloud).get("/network").await;
    r.expect(200);
    assert_eq!(r.body["versions"][0]["id"], "v2.0");
    // CORS preflight for the allowed origin only.
    let pre = api
        .http
        .request(reqwest::Method::OPTIONS, format!("{}{NET}/networks", cloud.url()))
        .header("Origin", "http://127.0.0.1:8081")
        .header("Access-Control-Request-Method", "POST")
        .header("Access-Control-Request-Headers", "x-auth-token, content-type")
        .send()
        .await
        .expect("preflight");
    assert!(pre.status().is_success(), "{}", pre.status());
    assert_eq!(pre.headers()["access-control-allow-origin"], "http://127.0.0.1:8081");
    assert!(pre.headers()["access-control-allow-headers"]
        .to_str()
        .expect("a")
        .to_lowercase()
        .contains("x-auth-token"));
    let evil = api
        .http
        .get(format!("{}{NET}/networks", cloud.url()))
        .header("Origin", "http://evil.example")
        .header("X-Auth-Token", DEMO_TOKEN)
        .send()
        .await
        .expect("get");
    assert!(evil.headers().get("access-control-allow-origin").is_none());
    // Metrics count requests by route template and status.
    for _ in 0..3 {
        api.get(&format!("{NET}/ports/11")).await;
    }
    let m = api.get("/metrics").await;
    m.expect(200);
    let line = m
        .text
        .lines()
        .find(|l| {
            l.starts_with("nephele_http_requests_total")
                && l.contains("route=\"/network/v2.0/ports/{id}\"")
                && l.contains("status=\"404\"")
        })
        .unwrap_or_else(|| panic!("no ports/{{id}} line in:\n{}", m.text));
    assert!(line.ends_with(" 3"), "{line}");
    assert!(!m.text.contains("ports/11"));
    cloud.stop().await.expect("stop");
}
