//! Stop and start on the same database file: the state survives, and a port
//! still in BUILD at shutdown becomes ACTIVE after the restart (pending
//! transitions are rows in the database, resumed at start-up).

mod common;

use common::*;
use serde_json::json;

#[tokio::test]
async fn state_and_pending_build_survive_a_restart() {
    let dir = temp_dir("restart");
    let db = dir.path().join("cloud.db");

    // First life: a build delay so long that the port is surely still BUILD at shutdown.
    let mut o = options(demo_seed(), 600_000);
    o.db = Some(db.clone());
    let first = nephele_cloud::start(o).await.expect("start");
    let api = Api::new(&first, DEMO_TOKEN);
    let r = api
        .post(
            &format!("{NET}/networks"),
            json!({"network": {"name": "survivor", "type": "MAC_FILTERED"}}),
        )
        .await;
    r.expect(201);
    let net = r.body["network"]["id"].as_str().expect("id").to_owned();
    let r = api
        .post(&format!("{NET}/floatingips"), json!({"floatingip": {"floating_network_id": "1"}}))
        .await;
    r.expect(200);
    let fip = r.body["floatingip"]["id"].as_str().expect("id").to_owned();
    let r = api
        .post(&format!("{NET}/ports"), json!({"port": {"network_id": net, "device_id": "141"}}))
        .await;
    r.expect(201);
    let port = r.body["port"]["id"].as_str().expect("id").to_owned();
    assert_eq!(api.port_status(&port).await.as_deref(), Some("BUILD"));
    first.stop().await.expect("stop");

    // While the cloud was down, the transition fell due.
    let store = nephele_cloud::db::Db::open(Some(&db)).expect("open db");
    let pending = store
        .transaction(|tx| {
            let n: i64 = tx.query_row("SELECT COUNT(*) FROM pending", [], |row| row.get(0))?;
            tx.execute("UPDATE pending SET due = 0", [])?;
            Ok(n)
        })
        .expect("pending rows");
    assert_eq!(pending, 1, "the BUILD transition is stored");
    drop(store);

    // Second life on the same file (the seed is ignored: the database is not empty).
    let mut o = options(demo_seed(), 150);
    o.db = Some(db.clone());
    let second = nephele_cloud::start(o).await.expect("restart");
    let api = Api::new(&second, DEMO_TOKEN);
    api.wait_port_active(&port).await;
    let p = api.get(&format!("{NET}/ports/{port}")).await;
    assert!(p.body["port"]["mac_address"].is_string());
    let n = api.get(&format!("{NET}/networks/{net}")).await;
    n.expect(200);
    assert_eq!(n.body["network"]["name"], "survivor");
    api.get(&format!("{NET}/floatingips/{fip}")).await.expect(200);
    let s = api.get("/compute/v2.0/servers/141").await;
    assert_eq!(s.body["server"]["SNF:task_state"], "");
    assert!(s.body["server"]["attachments"]
        .as_array()
        .expect("a")
        .iter()
        .any(|a| a["id"].as_u64().map(|x| x.to_string()) == Some(port.clone())));
    // Quotas are counted from what exists, so they survive too; ids continue.
    assert_eq!(api.quota(DEMO_UUID, "cyclades.network.private").await["usage"], 1);
    assert_eq!(api.quota(DEMO_UUID, "cyclades.floating_ip").await["usage"], 1);
    let r = api
        .post(
            &format!("{NET}/networks"),
            json!({"network": {"name": "next", "type": "MAC_FILTERED"}}),
        )
        .await;
    r.expect(201);
    assert_eq!(r.body["network"]["id"], (net.parse::<i64>().expect("n") + 1).to_string());
    second.stop().await.expect("stop");
}

#[tokio::test]
async fn a_deleted_attached_port_still_disappears_after_a_restart() {
    let dir = temp_dir("restart2");
    let db = dir.path().join("cloud.db");
    let mut o = options(demo_seed(), 20);
    o.db = Some(db.clone());
    let first = nephele_cloud::start(o).await.expect("start");
    let api = Api::new(&first, DEMO_TOKEN);
    let r = api
        .post(&format!("{NET}/networks"), json!({"network": {"name": "n", "type": "MAC_FILTERED"}}))
        .await;
    let net = r.body["network"]["id"].as_str().expect("id").to_owned();
    let r = api
        .post(&format!("{NET}/ports"), json!({"port": {"network_id": net, "device_id": "142"}}))
        .await;
    let port = r.body["port"]["id"].as_str().expect("id").to_owned();
    api.wait_port_active(&port).await;
    first.stop().await.expect("stop");

    // Delete it on a cloud whose delay is far away, stop, let it fall due, restart.
    let mut o = options(demo_seed(), 600_000);
    o.db = Some(db.clone());
    let second = nephele_cloud::start(o).await.expect("start");
    let api = Api::new(&second, DEMO_TOKEN);
    api.delete(&format!("{NET}/ports/{port}")).await.expect(204);
    api.get(&format!("{NET}/ports/{port}")).await.expect(200);
    second.stop().await.expect("stop");
    let store = nephele_cloud::db::Db::open(Some(&db)).expect("open");
    store.transaction(|tx| Ok(tx.execute("UPDATE pending SET due = 0", [])?)).expect("due");
    drop(store);

    let mut o = options(demo_seed(), 150);
    o.db = Some(db);
    let third = nephele_cloud::start(o).await.expect("start");
    let api = Api::new(&third, DEMO_TOKEN);
    api.wait_port_gone(&port).await;
    api.delete(&format!("{NET}/networks/{net}")).await.expect(204);
    third.stop().await.expect("stop");
}
