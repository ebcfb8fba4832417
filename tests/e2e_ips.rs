//! Sections 7.7.3 and 7.7.4 of the kamaki network guide in the browser: reserve,
//! attach, the in-use fault, move in one action (and a move that fails), the
//! quota table, the quota limit and its 413.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use std::time::Duration;

use serde_json::json;
use support::{Harness, Page};

fn options(build_delay_ms: u64) -> nephele_cloud::Options {
    nephele_cloud::Options {
        build_delay: Duration::from_millis(build_delay_ms),
        ..Default::default()
    }
}

async fn open_ips(page: &Page) {
    page.goto("/ips").await;
    page.sign_in().await;
    page.wait_path("/ips").await;
    page.wait_text("main", "You have no floating IPs").await;
}

/// Reserve one IP from the public network through the form; returns its address.
async fn reserve(page: &Page, expected_cost: &str) -> String {
    // The table appears once the list is loaded: count its rows only then.
    page.wait_js("document.querySelector('table.data tbody') !== null").await;
    let before = page.count("table.data tbody tr").await;
    page.click_text(".page-head button", "Reserve IP").await;
    page.wait_text("#ip-cost", expected_cost).await;
    page.click_css("form[aria-label='Reserve a floating IP'] button[type=submit]").await;
    page.wait_js(&format!(
        "document.querySelectorAll('table.data tbody tr').length === {}",
        before + 1
    ))
    .await;
    let last = page.client.execute("const r = document.querySelectorAll('table.data tbody tr'); return r[r.length-1].querySelector('th').innerText;", vec![]).await.expect("row");
    last.as_str().unwrap_or_default().trim_end_matches("Copy").trim().to_owned()
}

async fn attach(page: &Page, address: &str, server: &str) {
    page.click_labelled(&format!("Attach {address} to a server")).await;
    page.select("ip-server", server).await;
    page.click_text("dialog[open] button", "Attach").await;
    page.wait_row(address, "attached").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guide_floating_ips_reserve_attach_conflict_and_move() {
    Harness::start_with("ips", options(2500)).await.run(|page| async move {
        open_ips(&page).await;
        page.axe_check("/ips, empty").await;

        // Reserve an IP from network 1 and attach it to 141: its port goes BUILD → ACTIVE.
        let first = reserve(&page, "Floating IPs: 0 of 3 used → 1 of 3 after this").await;
        assert_eq!(first, "192.168.3.5");
        page.wait_row(&first, "free").await;
        page.click_labelled("Attach 192.168.3.5 to a server").await;
        page.select("ip-server", "141").await;
        page.click_text("dialog[open] button", "Attach").await;
        page.wait_row(&first, "attaching").await;
        page.wait_row(&first, "attached").await;
        page.wait_text("#announcer", "is now ACTIVE").await;

        // Attaching the same address to 142 (a port with it, as kamaki does) shows the in-use fault.
        page.click_text("nav a", "Ports").await;
        page.click_text(".page-head button", "Create port").await;
        page.select("port-network", "1").await;
        page.select("port-server", "142").await;
        page.fill("Fixed IP address (optional)", &first).await;
        page.click_css("form[aria-label='Create port'] button[type=submit]").await;
        page.wait_text("[role=alert] .fault-summary", "192.168.3.5 is already attached to a server.").await;
        page.click_css("[role=alert] details summary").await;
        page.wait_text("[role=alert] pre", "\"conflict\"").await;
        page.click_text("form[aria-label='Create port'] button", "Cancel").await;

        // A second IP on 141 too; the ports view lists both.
        page.click_text("nav a", "Floating IPs").await;
        let second = reserve(&page, "Floating IPs: 1 of 3 used → 2 of 3 after this").await;
        assert_eq!(second, "192.168.3.6");
        attach(&page, &second, "141").await;
        page.click_text("nav a", "Ports").await;
        page.wait_js("['192.168.3.5','192.168.3.6'].every(a => [...document.querySelectorAll('tbody tr')].some(r => r.innerText.includes(a) && r.innerText.includes('(141)') && r.innerText.includes('ACTIVE')))").await;

        // Move the second one to 142 in one action, with progress.
        page.click_text("nav a", "Floating IPs").await;
        page.click_labelled("Move 192.168.3.6 to another server").await;
        page.select("ip-server", "142").await;
        page.click_text("dialog[open] button", "Move").await;
        page.wait_text("dialog[open] .steps", "Detaching from").await;
        page.wait_row(&second, "moving").await;
        page.screenshots("ips-move").await;
        page.wait_row(&second, "(142)").await;
        page.wait_row(&second, "attached").await;
        page.axe_check("/ips after a move").await;

        // The IP and server views agree.
        page.click_text("nav a", "Servers").await;
        let s141 = page.wait_row("141", "192.168.3.5").await;
        assert!(!s141.contains("192.168.3.6"), "{s141}");
        page.wait_row("142", "192.168.3.6").await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guide_quotas_table_limit_and_413() {
    Harness::start_with("quotas", options(300))
        .await
        .run(|page| async move {
            page.goto("/quotas").await;
            page.sign_in().await;
            page.wait_path("/quotas").await;
            // The guide's table (before any floating IP is reserved).
            for (resource, text) in [
                ("cyclades.vm", "2 of 2 used (100 %) — none left"),
                ("cyclades.cpu", "4 of 8 used"),
                ("cyclades.ram", "9GiB of 40GiB used"),
                ("cyclades.disk", "80GiB of 500GiB used"),
                ("cyclades.floating_ip", "0 of 3 used"),
                ("cyclades.network.private", "0 of 5 used"),
                ("pithos.diskspace", "1.43GiB of 20GiB used"),
            ] {
                page.wait_text(
                    &format!("section.quota-project:first-of-type tr[data-resource='{resource}']"),
                    text,
                )
                .await;
            }
            page.axe_check("/quotas").await;

            // Reserve until the limit: the button becomes disabled, with the reason.
            page.click_text("nav a", "Floating IPs").await;
            page.wait_text("main", "You have no floating IPs").await;
            reserve(&page, "0 of 3 used → 1 of 3").await;
            reserve(&page, "1 of 3 used → 2 of 3").await;
            // Open the form for the third while "another tab" takes it first.
            page.click_text(".page-head button", "Reserve IP").await;
            page.wait_text("#ip-cost", "2 of 3 used → 3 of 3 after this").await;
            let (status, _) = page
                .api(
                    "POST",
                    "network",
                    "/floatingips",
                    Some(json!({"floatingip": {"floating_network_id": "1"}})),
                )
                .await;
            assert_eq!(status, 200);
            page.click_css("form[aria-label='Reserve a floating IP'] button[type=submit]").await;
            page.wait_text(
                "[role=alert] .fault-summary",
                "You have used all 3 of your floating IPs.",
            )
            .await;
            page.wait_text(
                "[role=alert] .fault-next",
                "Release one you no longer need, or ask for more quota.",
            )
            .await;
            page.click_css("[role=alert] details summary").await;
            page.wait_text("[role=alert] pre", "Available: 0, Requested: 1").await;
            page.client.refresh().await.expect("reload");
            page.wait_text(".page-head button", "Reserve IP (quota used up)").await;
            page.wait_js("document.querySelector('.page-head button.primary').disabled").await;
            page.wait_text("#ip-quota-reason", "You have used all 3 of your floating IPs").await;

            page.goto("/quotas").await;
            page.wait_text(
                "section.quota-project:first-of-type tr[data-resource='cyclades.floating_ip']",
                "3 of 3 used (100 %) — none left",
            )
            .await;
            page.wait_text("header .quota-summary", "IPs 3/3").await;
            page.screenshots("quotas-at-limit").await;

            // Releasing one re-enables reserving.
            page.click_text("nav a", "Floating IPs").await;
            page.click_labelled("Release 192.168.3.7").await;
            page.wait_text("dialog[open]", "goes back to the pool").await;
            page.click_text("dialog[open] button", "Release").await;
            page.wait_js("!document.querySelector('.page-head button.primary').disabled").await;
            page.wait_text(".page-head button", "Reserve IP").await;
            page.wait_text("header .quota-summary", "IPs 2/3").await;
        })
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_move_that_cannot_attach_leaves_the_ip_reserved_and_detached() {
    // Server 142 starts with 7 connections (Synnefo allows 8): one more taken by
    // "another tab" during the move makes the attach fail.
    let mut seed =
        std::fs::read_to_string(support::repo_root().join("demo/seed.toml")).expect("demo seed");
    seed = seed.replace(
        "pool = [\"192.168.3.5\", \"192.168.3.254\"]",
        "pool = [\"192.168.3.20\", \"192.168.3.254\"]",
    );
    for i in 0..6 {
        seed.push_str(&format!(
            "\n[[ports]]\nid = {}\nnetwork = 1\nserver = 142\nip = \"192.168.3.{}\"\n",
            4 + i,
            10 + i
        ));
    }
    let dir = support::repo_root().join("target/e2e-seeds");
    std::fs::create_dir_all(&dir).expect("seed dir");
    let path = dir.join("busy-142.toml");
    std::fs::write(&path, seed).expect("write seed");
    let options = nephele_cloud::Options { seed: Some(path), ..options(1500) };
    Harness::start_with("ips-move-failure", options)
        .await
        .run(|page| async move {
            open_ips(&page).await;
            let ip = reserve(&page, "0 of 3 used → 1 of 3").await;
            attach(&page, &ip, "141").await;

            page.click_labelled(&format!("Move {ip} to another server")).await;
            page.select("ip-server", "142").await;
            // Another client takes 142's last free connection.
            let (status, net) = page
                .api(
                    "POST",
                    "network",
                    "/networks",
                    Some(json!({"network": {"name": "other", "type": "MAC_FILTERED"}})),
                )
                .await;
            assert_eq!(status, 201);
            let net_id = net["network"]["id"].as_str().expect("network id").to_owned();
            let (status, _) = page
                .api(
                    "POST",
                    "network",
                    "/ports",
                    Some(json!({"port": {"network_id": net_id, "device_id": "142"}})),
                )
                .await;
            assert_eq!(status, 201);

            page.click_text("dialog[open] button", "Move").await;
            page.wait_text("dialog[open] .steps", "stays reserved and detached").await;
            page.wait_text("dialog[open] [role=alert]", "").await;
            page.wait_row(&ip, "free").await;
            let row = page.row_text(&ip).await;
            assert!(!row.contains("(141)") && !row.contains("(142)"), "{row}");
            // Still reserved: the cloud lists it, unattached.
            let (_, list) = page.api("GET", "network", "/floatingips", None).await;
            let ips = list["floatingips"].as_array().expect("list");
            assert_eq!(ips.len(), 1);
            assert!(ips[0]["port_id"].is_null() && ips[0]["instance_id"].is_null(), "{ips:?}");
        })
        .await;
}
