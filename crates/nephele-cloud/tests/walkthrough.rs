//! kamaki's network guide (section 7.7) step by step, at the HTTP level, against
//! the demo seed: every status code and the fields that matter.

mod common;

use common::*;
use serde_json::json;

#[tokio::test]
async fn kamaki_guide_walkthrough() {
    let cloud = start_demo().await;
    let api = Api::new(&cloud, DEMO_TOKEN);

    // $ kamaki server list
    let r = api.get("/compute/v2.0/servers").await;
    r.expect(200);
    let servers = r.body["servers"].as_array().expect("servers array");
    assert_eq!(
        servers.iter().map(|s| s["id"].clone()).collect::<Vec<_>>(),
        [json!(141), json!(142)]
    );
    assert!(servers.iter().all(|s| s["name"] == "Server 1"));

    // $ kamaki network list
    let r = api.get(&format!("{NET}/networks/detail")).await;
    r.expect(200);
    assert_eq!(ids(&r.body["networks"]), ["1"]);
    assert_eq!(r.body["networks"][0]["name"], "public_network");

    // 7.7.1 $ kamaki network create --name='My Private Net'
    let r = api
        .post(&format!("{NET}/networks"), json!({"network": {"name": "My Private Net", "type": "MAC_FILTERED", "admin_state_up": true}}))
        .await;
    r.expect(201);
    let net = &r.body["network"];
    assert_eq!(net["id"], "2");
    assert_eq!(net["status"], "ACTIVE");
    assert_eq!(net["type"], "MAC_FILTERED");
    assert_eq!(net["public"], false);
    assert_eq!(net["SNF:floating_ip_pool"], false);
    assert_eq!(net["subnets"], json!([]));
    assert_eq!(net["user_id"], DEMO_UUID);
    assert_eq!(net["tenant_id"], DEMO_UUID);

    // 7.7.2 $ kamaki network connect 2 --device-id=141 --device-id=142
    let mut ports = Vec::new();
    for (dev, want) in [("141", "11"), ("142", "12")] {
        let r = api
            .post(&format!("{NET}/ports"), json!({"port": {"network_id": "2", "device_id": dev}}))
            .await;
        r.expect(201);
        let p = &r.body["port"];
        assert_eq!(p["id"], want);
        assert_eq!(p["status"], "BUILD");
        assert_eq!(p["network_id"], "2");
        assert_eq!(p["device_id"], dev);
        assert_eq!(p["mac_address"], json!(null));
        assert_eq!(p["fixed_ips"], json!([]));
        ports.push(want.to_owned());
    }
    // While the port builds, the server is CONNECTING and does not list it; once
    // the transition is done, it lists it (rule_11 checks the first half without racing).
    let s = api.get("/compute/v2.0/servers/141").await;
    s.expect(200);
    let attached = s.body["server"]["attachments"]
        .as_array()
        .expect("attachments")
        .iter()
        .any(|a| a["id"] == 11);
    match s.body["server"]["SNF:task_state"].as_str() {
        Some("CONNECTING") => assert!(!attached, "BUILD port listed: {}", s.text),
        Some("") => assert!(attached, "ACTIVE port missing: {}", s.text),
        other => panic!("task state {other:?}"),
    }
    for p in &ports {
        api.wait_port_active(p).await;
    }
    let r = api.get(&format!("{NET}/ports/11")).await;
    assert!(r.body["port"]["mac_address"].is_string());
    let s = api.get("/compute/v2.0/servers/141").await;
    assert_eq!(s.body["server"]["SNF:task_state"], "");
    assert!(s.body["server"]["attachments"]
        .as_array()
        .expect("attachments")
        .iter()
        .any(|a| a["id"] == 11 && a["network_id"] == "2"));

    // $ kamaki network list -l
    let r = api.get(&format!("{NET}/networks/detail")).await;
    r.expect(200);
    assert_eq!(ids(&r.body["networks"]), ["1", "2"]);
    assert_eq!(r.body["networks"][0]["public"], true);
    assert_eq!(r.body["networks"][0]["type"], "IP_LESS_ROUTED");

    // 7.7.3 $ kamaki ip create --network-id=1
    let r = api
        .post(&format!("{NET}/floatingips"), json!({"floatingip": {"floating_network_id": "1"}}))
        .await;
    r.expect(200);
    let ip = &r.body["floatingip"];
    assert_eq!(ip["id"], "8");
    assert_eq!(ip["floating_ip_address"], "192.168.3.5");
    assert_eq!(ip["floating_network_id"], "1");
    assert_eq!(ip["port_id"], json!(null));
    assert_eq!(ip["instance_id"], json!(null));
    assert_eq!(ip["fixed_ip_address"], json!(null));

    // $ kamaki ip attach 8 --server-id=141 --wait
    let attach = |ip: &'static str, dev: &'static str| {
        let api = api.clone();
        async move {
            api.post(
                &format!("{NET}/ports"),
                json!({"port": {"network_id": "1", "device_id": dev, "fixed_ips": [{"ip_address": ip}]}}),
            )
            .await
        }
    };
    let r = attach("192.168.3.5", "141").await;
    r.expect(201);
    assert_eq!(r.body["port"]["id"], "13");
    assert_eq!(r.body["port"]["status"], "BUILD");
    assert_eq!(r.body["port"]["fixed_ips"], json!([{"ip_address": "192.168.3.5", "subnet": "21"}]));
    api.wait_port_active("13").await;
    let f = api.get(&format!("{NET}/floatingips/8")).await;
    assert_eq!(f.body["floatingip"]["port_id"], "13");
    assert_eq!(f.body["floatingip"]["instance_id"], "141");

    // $ kamaki ip attach 8 --server-id=142  → (409) IP address '192.168.3.5' is already in use
    let r = attach("192.168.3.5", "142").await;
    r.expect_fault(409, "conflict");
    assert_eq!(r.message(), "IP address '192.168.3.5' is already in use");

    // A second IP on 141.
    let r = api
        .post(&format!("{NET}/floatingips"), json!({"floatingip": {"floating_network_id": "1"}}))
        .await;
    r.expect(200);
    assert_eq!(r.body["floatingip"]["id"], "9");
    assert_eq!(r.body["floatingip"]["floating_ip_address"], "192.168.3.6");
    let r = attach("192.168.3.6", "141").await;
    r.expect(201);
    assert_eq!(r.body["port"]["id"], "14");
    api.wait_port_active("14").await;

    // $ kamaki port list -l
    let r = api.get(&format!("{NET}/ports")).await;
    r.expect(200);
    let listed = ids(&r.body["ports"]);
    for p in ["11", "12", "13", "14"] {
        assert!(listed.contains(&p.to_owned()), "{listed:?}");
    }
    assert!(r.body["ports"].as_array().expect("ports").iter().all(|p| p["status"] == "ACTIVE"));
    let s = api.get("/compute/v2.0/servers/141").await;
    let addrs = &s.body["server"]["addresses"]["1"];
    assert!(addrs
        .as_array()
        .expect("addresses")
        .iter()
        .any(|a| a["addr"] == "192.168.3.6" && a["OS-EXT-IPS:type"] == "floating"));

    // Detach 192.168.3.6 (id 9) and attach it to 142.
    api.delete(&format!("{NET}/ports/14")).await.expect(204);
    let still = api.get(&format!("{NET}/ports/14")).await;
    still.expect(200);
    assert_eq!(still.body["port"]["status"], "ACTIVE");
    api.wait_port_gone("14").await;
    let f = api.get(&format!("{NET}/floatingips/9")).await;
    f.expect(200);
    assert_eq!(f.body["floatingip"]["port_id"], json!(null));
    assert_eq!(f.body["floatingip"]["instance_id"], json!(null));
    let r = attach("192.168.3.6", "142").await;
    r.expect(201);
    let moved = r.body["port"]["id"].as_str().expect("id").to_owned();
    assert_eq!(r.body["port"]["device_id"], "142");
    api.wait_port_active(&moved).await;
    let f = api.get(&format!("{NET}/floatingips/9")).await;
    assert_eq!(f.body["floatingip"]["instance_id"], "142");

    // 7.7.4 $ kamaki quota list
    let q = api.get("/account/v1.0/quotas").await;
    q.expect(200);
    let mine = &q.body[DEMO_UUID];
    let gib = 1i64 << 30;
    assert_eq!(
        (mine["cyclades.vm"]["usage"].as_i64(), mine["cyclades.vm"]["limit"].as_i64()),
        (Some(2), Some(2))
    );
    assert_eq!(
        (mine["cyclades.cpu"]["usage"].as_i64(), mine["cyclades.cpu"]["limit"].as_i64()),
        (Some(4), Some(8))
    );
    assert_eq!(
        (mine["cyclades.ram"]["usage"].as_i64(), mine["cyclades.ram"]["limit"].as_i64()),
        (Some(9 * gib), Some(40 * gib))
    );
    assert_eq!(
        (mine["cyclades.disk"]["usage"].as_i64(), mine["cyclades.disk"]["limit"].as_i64()),
        (Some(80 * gib), Some(500 * gib))
    );
    assert_eq!(
        (
            mine["cyclades.floating_ip"]["usage"].as_i64(),
            mine["cyclades.floating_ip"]["limit"].as_i64()
        ),
        (Some(2), Some(3))
    );
    assert_eq!(mine["cyclades.network.private"]["usage"], 1);
    assert_eq!(mine["cyclades.network.private"]["limit"], 5);
    assert_eq!(mine["pithos.diskspace"]["limit"].as_i64(), Some(20 * gib));
    assert_eq!(
        mine["pithos.diskspace"]["usage"].as_i64(),
        Some((1.43 * gib as f64).round() as i64)
    );

    // One IP left: reserve it, then the fourth fails with 413.
    let r = api
        .post(&format!("{NET}/floatingips"), json!({"floatingip": {"floating_network_id": "1"}}))
        .await;
    r.expect(200);
    assert_eq!(r.body["floatingip"]["id"], "10");
    assert_eq!(r.body["floatingip"]["floating_ip_address"], "192.168.3.7");
    let r = api
        .post(&format!("{NET}/floatingips"), json!({"floatingip": {"floating_network_id": "1"}}))
        .await;
    r.expect_fault(413, "overLimit");
    assert_eq!(r.message(), "Resource Limit Exceeded for your account.");
    assert_eq!(
        r.body["overLimit"]["details"],
        "Limit for resource 'Floating IP address' exceeded for your account. Available: 0, Requested: 1"
    );
    api.delete(&format!("{NET}/floatingips/10")).await.expect(204);
    api.get(&format!("{NET}/floatingips/10")).await.expect_fault(404, "itemNotFound");
    assert_eq!(api.quota(DEMO_UUID, "cyclades.floating_ip").await["usage"], 2);

    // 7.7.5 Destroy: the public network is refused, the in-use one conflicts.
    let r = api.delete(&format!("{NET}/networks/1")).await;
    r.expect_fault(403, "forbidden");
    assert_eq!(r.message(), "Cannot delete the public network.");
    let r = api.delete(&format!("{NET}/networks/2")).await;
    r.expect_fault(409, "conflict");

    // $ kamaki network disconnect 2 --device-id=141 --device-id=142 --wait
    let mut gone = Vec::new();
    for dev in ["141", "142"] {
        let s = api.get(&format!("/compute/v2.0/servers/{dev}")).await;
        s.expect(200);
        for a in s.body["server"]["attachments"].as_array().expect("attachments") {
            if a["network_id"] == "2" {
                let id = a["id"].as_i64().expect("numeric attachment id").to_string();
                api.delete(&format!("{NET}/ports/{id}")).await.expect(204);
                gone.push(id);
            }
        }
    }
    assert_eq!(gone, ["11", "12"]);
    for id in &gone {
        api.wait_port_gone(id).await;
    }
    // $ kamaki network delete 2
    api.delete(&format!("{NET}/networks/2")).await.expect(204);
    let n = api.get(&format!("{NET}/networks/2")).await;
    n.expect(200);
    assert_eq!(n.body["network"]["status"], "DELETED");
    assert_eq!(n.body["network"]["deleted"], true);
    assert_eq!(ids(&api.get(&format!("{NET}/networks")).await.body["networks"]), ["1"]);
    assert_eq!(api.quota(DEMO_UUID, "cyclades.network.private").await["usage"], 0);

    cloud.stop().await.expect("stops");
}
