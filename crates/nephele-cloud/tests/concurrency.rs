//! Check-then-act under contention: every allocation and quota check happens in
//! one transaction, so parallel requests cannot double-book.

mod common;

use common::*;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_parallel_attaches_of_one_ip_exactly_one_wins() {
    // 50 servers, so the pending-CONNECT rule never applies: only "IP in use" can refuse.
    let (cloud, _dir) = start_seed_text("attach50", &big_seed(50, 10), 150).await;
    let api = Api::new(&cloud, DEMO_TOKEN);
    let r = api
        .post(&format!("{NET}/floatingips"), json!({"floatingip": {"floating_network_id": "1"}}))
        .await;
    r.expect(200);
    let fip = r.body["floatingip"]["id"].as_str().expect("id").to_owned();
    let addr = r.body["floatingip"]["floating_ip_address"].as_str().expect("addr").to_owned();
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let api = api.clone();
            let addr = addr.clone();
            tokio::spawn(async move {
                api.post(
                    &format!("{NET}/ports"),
                    json!({"port": {"network_id": "1", "device_id": (1001 + i).to_string(), "fixed_ips": [{"ip_address": addr}]}}),
                )
                .await
            })
        })
        .collect();
    let mut created = Vec::new();
    let mut conflicts = 0;
    for t in tasks {
        let r = t.await.expect("task");
        match r.status {
            201 => created.push(r.body["port"]["id"].as_str().expect("id").to_owned()),
            409 => {
                r.expect_fault(409, "conflict");
                assert_eq!(r.message(), format!("IP address '{addr}' is already in use"));
                conflicts += 1;
            }
            other => panic!("unexpected {other}: {}", r.text),
        }
    }
    assert_eq!((created.len(), conflicts), (1, 49));
    let ports = api.get(&format!("{NET}/ports")).await;
    let holding: Vec<_> = ports.body["ports"]
        .as_array()
        .expect("ports")
        .iter()
        .filter(|p| {
            p["fixed_ips"]
                .as_array()
                .is_some_and(|ips| ips.iter().any(|ip| ip["ip_address"] == addr.as_str()))
        })
        .collect();
    assert_eq!(holding.len(), 1);
    assert_eq!(
        api.get(&format!("{NET}/floatingips/{fip}")).await.body["floatingip"]["port_id"],
        created[0].as_str()
    );
    assert_eq!(api.quota(DEMO_UUID, "cyclades.floating_ip").await["usage"], 1);
    cloud.stop().await.expect("stop");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_reserves_with_one_ip_of_quota_left_exactly_one_wins() {
    let (cloud, _dir) = start_seed_text("reserve", &big_seed(1, 3), 150).await;
    let api = Api::new(&cloud, DEMO_TOKEN);
    for _ in 0..2 {
        api.post(&format!("{NET}/floatingips"), json!({"floatingip": {}})).await.expect(200);
    }
    let tasks: Vec<_> = (0..30)
        .map(|_| {
            let api = api.clone();
            tokio::spawn(async move {
                api.post(
                    &format!("{NET}/floatingips"),
                    json!({"floatingip": {"floating_network_id": "1"}}),
                )
                .await
            })
        })
        .collect();
    let (mut ok, mut over) = (0, 0);
    for t in tasks {
        let r = t.await.expect("task");
        match r.status {
            200 => ok += 1,
            413 => {
                r.expect_fault(413, "overLimit");
                assert_eq!(
                    r.body["overLimit"]["details"],
                    "Limit for resource 'Floating IP address' exceeded for your account. Available: 0, Requested: 1"
                );
                over += 1;
            }
            other => panic!("unexpected {other}: {}", r.text),
        }
    }
    assert_eq!((ok, over), (1, 29));
    // Quota usage equals what exists, and addresses are distinct.
    let list = api.get(&format!("{NET}/floatingips")).await;
    let ips = list.body["floatingips"].as_array().expect("list").clone();
    assert_eq!(ips.len(), 3);
    let mut addrs: Vec<_> =
        ips.iter().map(|f| f["floating_ip_address"].as_str().expect("a").to_owned()).collect();
    addrs.sort();
    addrs.dedup();
    assert_eq!(addrs.len(), 3);
    let q = api.quota(DEMO_UUID, "cyclades.floating_ip").await;
    assert_eq!((q["usage"].as_i64(), q["project_usage"].as_i64()), (Some(3), Some(3)));
    cloud.stop().await.expect("stop");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_network_creates_respect_the_limit_and_ports_get_distinct_ips() {
    let (cloud, _dir) = start_seed_text("nets", &big_seed(40, 3), 50).await;
    let api = Api::new(&cloud, DEMO_TOKEN);
    // 100 private networks allowed: 120 parallel creates → 100 created, 20 refused.
    let tasks: Vec<_> = (0..120)
        .map(|i| {
            let api = api.clone();
            tokio::spawn(async move {
                api.post(&format!("{NET}/networks"), json!({"network": {"name": format!("n{i}")}}))
                    .await
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.expect("task").status);
    }
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 100);
    assert_eq!(statuses.iter().filter(|s| **s == 413).count(), 20);
    let nets = api.get(&format!("{NET}/networks")).await;
    assert_eq!(nets.body["networks"].as_array().expect("l").len(), 101);
    assert_eq!(api.quota(DEMO_UUID, "cyclades.network.private").await["usage"], 100);
    // 40 servers connect in parallel to one subnetted network: 40 distinct addresses.
    let net = nets.body["networks"][1]["id"].as_str().expect("id").to_owned();
    api.post(
        &format!("{NET}/subnets"),
        json!({"subnet": {"network_id": net, "cidr": "10.5.0.0/24"}}),
    )
    .await
    .expect(201);
    let tasks: Vec<_> = (0..40)
        .map(|i| {
            let api = api.clone();
            let net = net.clone();
            tokio::spawn(async move {
                api.post(
                    &format!("{NET}/ports"),
                    json!({"port": {"network_id": net, "device_id": 1001 + i}}),
                )
                .await
            })
        })
        .collect();
    let mut addrs = Vec::new();
    for t in tasks {
        let r = t.await.expect("task");
        r.expect(201);
        addrs.push(r.body["port"]["fixed_ips"][0]["ip_address"].as_str().expect("ip").to_owned());
    }
    addrs.sort();
    addrs.dedup();
    assert_eq!(addrs.len(), 40);
    cloud.stop().await.expect("stop");
}
