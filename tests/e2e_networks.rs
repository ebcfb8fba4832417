//! Sections 7.7.1, 7.7.2 and 7.7.5 of the kamaki network guide, in the browser:
//! create a private network, connect servers (ports BUILD → ACTIVE without a
//! reload), refuse to delete the public network, and "disconnect everything and
//! delete". Plus the poller's request budget, counted at the server.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use std::time::Duration;

use support::{Harness, Page};

fn options(build_delay_ms: u64) -> nephele_cloud::Options {
    nephele_cloud::Options {
        build_delay: Duration::from_millis(build_delay_ms),
        ..Default::default()
    }
}

/// Create "My Private Net" from the networks page and open it.
async fn create_private_net(page: &Page) {
    page.click_text(".page-head button", "Create network").await;
    page.fill("Name", "My Private Net").await;
    page.click_css("form[aria-label='Create network'] button[type=submit]").await;
    page.wait_text("table.data tbody tr", "My Private Net").await;
}

/// `shoot`: also photograph the dialog while both ports are in BUILD (only where
/// BUILD lasts long enough for the pictures not to change what follows).
async fn connect_both_servers(page: &Page, shoot: bool) {
    page.click_text("table.data tbody a", "My Private Net").await;
    page.wait_text("main h1", "My Private Net").await;
    page.click_text("button", "Connect servers").await;
    page.check_label_containing("dialog[open]", "(141)").await;
    page.check_label_containing("dialog[open]", "(142)").await;
    page.click_text("dialog[open] button", "Connect 2 servers").await;
    // The dialog follows both new ports until the user closes it.
    let progress = page.wait_text("dialog[open] .connect-progress", "(142)").await;
    assert!(progress.contains("(141)"), "{progress}");
    page.wait_text("dialog[open] .connect-progress", "BUILD").await;
    if shoot {
        page.screenshot("connect-dialog-build-desktop").await;
        page.set_size(390, 844).await;
        page.screenshot("connect-dialog-build-mobile").await;
        page.set_size(1280, 900).await;
    }
    page.click_text("dialog[open] button", "Close").await;
    page.wait_js("!document.querySelector('dialog[open]')").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guide_networks_create_connect_and_delete() {
    Harness::start_with("networks", options(4000)).await.run(|page| async move {
        page.goto("/networks").await;
        page.sign_in().await;
        page.wait_path("/networks").await;
        page.wait_text("table.data tbody", "public_network").await;
        page.axe_check("/networks").await;

        // 7.7.1: the new network is ACTIVE, MAC_FILTERED and private.
        create_private_net(&page).await;
        let row = page.wait_text("table.data tbody tr", "My Private Net").await;
        for expected in ["MAC_FILTERED", "ACTIVE", "Private", "192.168.10.0/24"] {
            assert!(row.contains(expected), "row {row:?} lacks {expected}");
        }
        page.screenshots("networks-list").await;

        // 7.7.2: both ports appear in BUILD, then turn ACTIVE without a reload.
        connect_both_servers(&page, false).await;
        page.wait_js("document.querySelectorAll('main table.data tbody tr .badge.pending').length === 2").await;
        // A pending badge shows its spinner and time; a settled one neither.
        let shown = "e => getComputedStyle(e).display !== 'none'";
        page.wait_js(&format!("[...document.querySelectorAll('main .badge.pending')].every(b => [...b.querySelectorAll('.spinner, .elapsed')].every({shown}))")).await;
        let building = page.wait_text("main table.data tbody", "BUILD").await;
        assert!(building.contains("(141)") && building.contains("(142)"), "{building}");
        page.axe_check("/networks/2 with ports in BUILD").await;
        page.screenshots_of("network-detail-build", Some("main table.data tbody tr .badge.pending")).await;
        page.wait_js("document.querySelectorAll('main table.data tbody tr .badge.ok').length === 2").await;
        page.wait_js(&format!("[...document.querySelectorAll('main .badge.ok')].every(b => ![...b.querySelectorAll('.spinner, .elapsed')].some({shown}))")).await;
        page.wait_text("#announcer", "is now ACTIVE").await;

        // The network list and the server view show the connections.
        page.click_text("nav a", "Networks").await;
        let row = page.wait_text("table.data tbody tr", "My Private Net").await;
        assert!(row.contains("Server 1"), "{row}");
        page.click_text("nav a", "Servers").await;
        page.wait_js("[...document.querySelectorAll('tbody tr')].filter(r => r.textContent.includes('My Private Net')).length === 2").await;
        page.axe_check("/servers").await;

        // 7.7.5: the public network cannot be deleted, and says why.
        page.click_text("nav a", "Networks").await;
        page.wait_js("document.querySelector('[aria-label=\"Delete network public_network\"]').disabled").await;
        page.wait_js("document.getElementById('public-reason-1').textContent.includes('cannot be deleted by tenants')").await;
        let described = page
            .client
            .execute("return document.querySelector('[aria-label=\"Delete network public_network\"]').getAttribute('aria-describedby');", vec![])
            .await
            .expect("read aria-describedby");
        assert_eq!(described, serde_json::json!("public-reason-1"));

        // The private one shows what blocks it, then goes with its ports.
        page.click_labelled("Delete network My Private Net").await;
        let dialog = page.wait_text("dialog[open]", "will be disconnected first").await;
        assert!(dialog.contains("port 11") && dialog.contains("port 12"), "{dialog}");
        page.axe_check("the delete dialog").await;
        page.click_text("dialog[open] button", "Disconnect everything and delete").await;
        page.wait_text("dialog[open] .steps", "in progress").await;
        page.screenshots("network-delete-flow").await;
        page.wait_js("![...document.querySelectorAll('table.data tbody tr')].some(r => r.textContent.includes('My Private Net'))").await;
        page.wait_text("#announcer", "Network 2 deleted").await;
        page.click_text("nav a", "Ports").await;
        page.wait_text("main h1", "Ports").await;
        page.wait_js("document.querySelector('table.data') !== null").await;
        let ports = page.wait_text("main", "Ports").await;
        assert!(!ports.contains("My Private Net"), "ports of the deleted network remain: {ports}");
        page.axe_check("/ports").await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poller_reads_only_the_pending_ports_none_when_hidden_or_idle() {
    // Ports stay in BUILD for 9 s: long enough to watch the poller at work.
    Harness::start_with("poller", options(9000))
        .await
        .run(|page| async move {
            page.goto("/networks").await;
            page.sign_in().await;
            page.wait_text("table.data tbody", "public_network").await;
            create_private_net(&page).await;
            connect_both_servers(&page, true).await;
            page.wait_js(
                "document.querySelectorAll('main table.data tbody tr .badge.pending').length === 2",
            )
            .await;

            // Two ports pending among five: each tick reads exactly those two
            // (`GET /ports/<id>`: Synnefo's list has no filters), never the list.
            let (before, lists_before) =
                (page.port_requests().await, page.port_list_requests().await);
            tokio::time::sleep(Duration::from_secs(3)).await;
            let polled = page.port_requests().await - before;
            assert!(
                (2..=8).contains(&polled),
                "{polled} port requests in 3 s with 2 pending (interval 1 s, 2 per tick)"
            );
            assert_eq!(
                page.port_list_requests().await,
                lists_before,
                "the whole port list is not polled for two pending ports"
            );

            // A reload finds the pending ports in the list and keeps following them.
            page.client.refresh().await.expect("reload");
            page.wait_text("main table.data tbody", "BUILD").await;

            // Hidden tab: no requests at all.
            let main = page.client.window().await.expect("current window");
            let other = page.client.new_window(true).await.expect("open a tab");
            page.client.switch_to_window(other.handle).await.expect("switch tab");
            page.client.goto("about:blank").await.expect("blank tab");
            tokio::time::sleep(Duration::from_millis(1500)).await;
            let hidden_before = page.port_requests().await;
            let servers_before = server_reads(&page).await;
            tokio::time::sleep(Duration::from_secs(3)).await;
            assert_eq!(
                page.port_requests().await,
                hidden_before,
                "the poller polled while its tab was hidden"
            );

            // Visible again: polling resumes and the ports turn ACTIVE.
            page.client.close_window().await.expect("close tab");
            page.client.switch_to_window(main).await.expect("back to the portal");
            page.wait_js(
                "document.querySelectorAll('main table.data tbody tr .badge.ok').length === 2",
            )
            .await;
            assert!(page.port_requests().await > hidden_before, "polling did not resume");

            // Each settled port's server is read again (it shows its connections
            // only once they are ACTIVE), one by one; the server list is not.
            let mut servers = server_reads(&page).await;
            for _ in 0..100 {
                if servers.0 >= servers_before.0 + 2 {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
                servers = server_reads(&page).await;
            }
            assert_eq!(servers.0, servers_before.0 + 2, "servers 141 and 142 read once each");
            assert_eq!(servers.1, servers_before.1, "the whole server list was read again");

            // Nothing pending: no requests.
            tokio::time::sleep(Duration::from_millis(1500)).await;
            let idle_before = page.port_requests().await;
            tokio::time::sleep(Duration::from_secs(3)).await;
            assert_eq!(
                page.port_requests().await,
                idle_before,
                "the poller polled with nothing pending"
            );
        })
        .await;
}

/// A tenant with `ports` ports on `ports / 8` servers, as `make bench` makes its
/// big tenant (bench/gen-seed.py); its token is `bench-token-0123456789`.
fn big_tenant(name: &str, ports: usize) -> nephele_cloud::Options {
    let out = std::process::Command::new("python3")
        .arg(support::repo_root().join("bench/gen-seed.py"))
        .args(["--networks", "3", "--ports", &ports.to_string(), "--spare-servers", "0"])
        .output()
        .expect("python3 runs bench/gen-seed.py");
    assert!(out.status.success(), "gen-seed: {}", String::from_utf8_lossy(&out.stderr));
    let seed = std::env::temp_dir().join(format!("nephele-{name}-{}.toml", std::process::id()));
    std::fs::write(&seed, out.stdout).expect("write the seed");
    nephele_cloud::Options { seed: Some(seed), ..Default::default() }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_tables_build_the_rows_in_view_and_keep_focus_filter_and_place() {
    Harness::start_with("long-ports", big_tenant("long-ports", 600)).await.run(|page| async move {
        page.goto("/ports").await;
        page.wait_text("h1", "Sign in").await;
        page.fill("API token", "bench-token-0123456789").await;
        page.click_text("button", "Sign in").await;
        page.wait_path("/ports").await;
        // The table says how many rows it has; only those in view are built.
        page.wait_js("document.querySelector('main table.data')?.getAttribute('aria-rowcount') === '601'").await;
        let built = page.count("main table.data tbody tr[aria-rowindex]").await;
        assert!((10..=80).contains(&built), "{built} rows built of 600");
        page.axe_check("a windowed ports table").await;
        // Rows and spacers are as tall as 600 rows (of the built rows' mean
        // height), once the rows built are measured.
        page.wait_js(
            "(() => { const b = document.querySelector('main table.data tbody');\
               const rows = [...b.querySelectorAll('tr[aria-rowindex]')];\
               const avg = rows.reduce((s, r) => s + r.getBoundingClientRect().height, 0) / rows.length;\
               return Math.abs(b.getBoundingClientRect().height - 600 * avg) < 2 * avg; })()",
        )
        .await;

        // Halfway down: row 300 is built, and the header sticks to the top.
        let to_row = |n: usize| {
            format!(
                "const b = document.querySelector('main table.data tbody');\
                 const r = b.querySelector('tr[aria-rowindex]').getBoundingClientRect().height;\
                 window.scrollTo(0, b.getBoundingClientRect().top + window.scrollY + {n} * r - 300);"
            )
        };
        page.client.execute(&to_row(299), vec![]).await.expect("scroll");
        page.wait_js("document.querySelector('main tr[aria-rowindex=\"301\"]') !== null").await;
        page.wait_js("Math.abs(document.querySelector('main table.data thead th').getBoundingClientRect().top) < 1").await;
        page.screenshot("long-ports-middle-desktop").await;

        // A focused control in row 300 stays focused while the page goes to the
        // top and back: the same element, still in the document.
        page.client
            .execute(
                "window.kept = document.querySelector('main tr[aria-rowindex=\"301\"] button'); window.kept.focus();",
                vec![],
            )
            .await
            .expect("focus a button in row 300");
        page.client.execute("window.scrollTo(0, 0)", vec![]).await.expect("scroll up");
        page.wait_js("document.querySelector('main tr[aria-rowindex=\"2\"]') !== null").await;
        page.wait_js("document.activeElement === window.kept && window.kept.isConnected").await;
        page.client.execute(&to_row(299), vec![]).await.expect("scroll back");
        page.wait_js("document.querySelector('main tr[aria-rowindex=\"300\"]') !== null").await;
        page.wait_js("document.activeElement === window.kept && window.kept.isConnected").await;

        // Leave for a row's network and come back: the page is where it was.
        let y = page.client.execute("return window.scrollY", vec![]).await.expect("scrollY");
        let y = y.as_f64().unwrap();
        assert!(y > 1000.0, "scrolled to {y}");
        page.client
            .execute("document.querySelector('main tr[aria-rowindex=\"301\"] td a').click()", vec![])
            .await
            .expect("open the row's network");
        page.wait_js("location.pathname.startsWith('/networks/')").await;
        page.client.back().await.expect("back");
        page.wait_path("/ports").await;
        page.wait_js(&format!("Math.abs(window.scrollY - {y}) <= 2")).await;

        // The filter runs over every port, not only the rows built: server
        // vm-0070's 8 ports, far below, and the filter is in the URL.
        page.client.execute("window.scrollTo(0, 0)", vec![]).await.expect("scroll up");
        page.fill("Filter ports", "vm-0070").await;
        page.wait_js("document.querySelectorAll('main table.data tbody tr').length === 8").await;
        page.wait_text("main table.data tbody", "vm-0070 (1070)").await;
        assert_eq!(page.count("main table.data[aria-rowcount]").await, 0, "8 rows: not windowed");
        page.wait_js("new URLSearchParams(location.search).get('q') === 'vm-0070'").await;
        page.fill("Filter ports", "no-such-port").await;
        page.wait_text("main", "No port matches this filter.").await;
    })
    .await;
}

/// How many times the cloud has answered `GET /servers/<id>`, and `GET /servers/detail`.
async fn server_reads(page: &Page) -> (u64, u64) {
    let count = |route: &str, metrics: &[(String, String, String, u64)]| -> u64 {
        metrics.iter().filter(|(m, r, _, _)| m == "GET" && r == route).map(|(_, _, _, n)| n).sum()
    };
    let metrics = page.metrics().await;
    (count("/compute/v2.0/servers/{id}", &metrics), count("/compute/v2.0/servers/detail", &metrics))
}
