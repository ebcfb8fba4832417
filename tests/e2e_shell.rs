//! The app shell in a real browser against nephele-cloud: login redirect and
//! return, navigation by clicking, deep links, the not-found page, sign-out.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use support::{dist_dir, dist_snapshot, Harness};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shell_login_navigation_deep_link_and_not_found() {
    Harness::start("shell")
        .await
        .run(|page| async move {
            // Without a session every page sends you to login, remembering where you were going.
            page.goto("/ports").await;
            page.wait_path("/login?next=%2Fports").await;
            page.wait_text("h1", "Sign in to Nephele").await;
            page.screenshots("login").await;

            // A wrong token is refused in plain words and nothing else happens.
            page.fill("API token", "not-a-real-token").await;
            page.click_text("button", "Sign in").await;
            page.wait_text("[role=alert]", "did not accept this token").await;
            assert_eq!(page.path().await, "/login?next=%2Fports");

            // The right one brings you back to the page you asked for.
            page.sign_in().await;
            page.wait_path("/ports").await;
            page.wait_text("main h1", "Ports").await;

            // Navigation by clicking, every page once.
            for (label, path) in [
                ("Networks", "/networks"),
                ("Servers", "/servers"),
                ("Floating IPs", "/ips"),
                ("Quotas", "/quotas"),
                ("Ports", "/ports"),
            ] {
                page.click_text("nav a", label).await;
                page.wait_path(path).await;
                page.wait_text("main h1", label).await;
                page.wait_text("nav a[aria-current=page]", label).await;
                page.screenshot(&format!("shell{}", path.replace('/', "-"))).await;
            }

            // Deep links work (the server falls back to index.html) and keep the session.
            page.goto("/networks/1").await;
            page.wait_text("main h1", "public_network").await;
            page.goto("/networks/999").await;
            page.wait_text("[role=alert]", "does not exist").await;
            page.goto("/quotas").await;
            page.wait_text("main h1", "Quotas").await;

            // Unknown pages say so.
            page.goto("/no/such/page").await;
            page.wait_text("h1", "Page not found").await;
            page.wait_text("main code", "/no/such/page").await;
            page.screenshots("not-found").await;

            // A 401 on any call (here: the token was revoked) ends the session in one
            // place; login then brings the user back to where they were.
            page.goto("/ports").await;
            page.wait_text("main h1", "Ports").await;
            page.revoke_token_and_reload().await;
            page.wait_path("/login?next=%2Fports").await;
            page.wait_text(".notice", "Your session has ended").await;
            page.sign_in().await;
            page.wait_path("/ports").await;
            page.wait_text("main h1", "Ports").await;

            // Signing out ends the session: protected pages send you to login again.
            page.goto("/networks").await;
            page.click_text("button", "Sign out").await;
            page.wait_text(".notice", "You have signed out.").await;
            page.goto("/servers").await;
            page.wait_path("/login?next=%2Fservers").await;
        })
        .await;
}

/// Issue 16: the release build is split by page. `/networks` loads no other page's
/// module; a page's module arrives when it is first opened (prefetch off); with
/// prefetch on (the default), the other pages' modules arrive while the browser is
/// idle, and opening the page then fetches nothing more. This fails if the build
/// stops being split.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_page_loads_its_code_on_first_open_or_while_idle() {
    let shipped = std::fs::read_to_string(dist_dir().join("config.json")).expect("config.json");
    let mut config: serde_json::Value = serde_json::from_str(&shipped).expect("config is JSON");
    config["prefetch"] = false.into();
    let dist = dist_snapshot("split-no-prefetch", Some(Some(&config.to_string())));
    let options = nephele_cloud::Options { dist: Some(dist), ..Default::default() };
    let modules = |fetched: &[String], prefix: &str| {
        fetched.iter().filter(|p| p.starts_with(prefix) && p.ends_with(".wasm")).count()
    };
    Harness::start_with("split", options)
        .await
        .run(|page| async move {
            page.goto("/networks").await;
            page.sign_in().await;
            page.wait_path("/networks").await;
            page.wait_text("main h1", "Networks").await;
            // `/networks` is the main module's: no page module came with it. (That
            // `"prefetch": false` is honoured is not proven here: it would take a wait
            // past the prefetch delay for something that must not happen.)
            let fetched = page.fetched().await;
            assert_eq!(modules(&fetched, "/page-ports-"), 0, "{fetched:?}");
            assert_eq!(modules(&fetched, "/page-quotas-"), 0, "{fetched:?}");
            page.click_text("nav a", "Ports").await;
            page.wait_text("main h1", "Ports").await;
            let fetched = page.fetched().await;
            assert_eq!(modules(&fetched, "/page-ports-"), 1, "{fetched:?}");
            assert_eq!(modules(&fetched, "/page-quotas-"), 0, "{fetched:?}");
        })
        .await;
    Harness::start("split-prefetch")
        .await
        .run(|page| async move {
            page.goto("/networks").await;
            page.sign_in().await;
            page.wait_text("main h1", "Networks").await;
            page.wait_js(
                "performance.getEntriesByType('resource')\
                 .some(e => new URL(e.name).pathname.startsWith('/page-quotas-'))",
            )
            .await;
            page.click_text("nav a", "Quotas").await;
            page.wait_text("main h1", "Quotas").await;
            let fetched = page.fetched().await;
            assert_eq!(
                modules(&fetched, "/page-quotas-"),
                1,
                "fetched once, while idle: {fetched:?}"
            );
        })
        .await;
}

/// Issue 11, holes 5–7 in a real browser: hostile `next` values land inside the
/// portal with navigation still alive, and a sign-out (or a session ended by a
/// 401) in one tab reaches the portal's other tabs, which then show the sign-in
/// page and none of the data.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_next_and_sign_out_in_every_tab() {
    Harness::start("shell-hardening")
        .await
        .run(|page| async move {
            let origin = page.url("");
            // Tab/LF between the slashes make another host: refused, home instead. A dot
            // segment leaves `//evil.example` as the path: folded to a path of ours.
            for (next, lands) in [
                ("/%09/evil.example", "/networks"),
                ("/%0A/evil.example", "/networks"),
                ("/%0D/evil.example", "/networks"),
                ("/.//evil.example", "/evil.example"),
                ("/networks/..//evil.example", "/evil.example"),
            ] {
                page.goto(&format!("/login?next={next}")).await;
                page.sign_in().await;
                page.wait_path(lands).await;
                let url = page.client.current_url().await.expect("url");
                assert_eq!(url.origin().ascii_serialization(), origin, "{next}");
                if lands == "/evil.example" {
                    page.wait_text("h1", "Page not found").await;
                    // The app is alive: a link inside it still navigates.
                    page.click_text("main a", "Go to your networks").await;
                    page.wait_path("/networks").await;
                }
                page.wait_text("main h1", "Networks").await;
                page.click_text("button", "Sign out").await;
                page.wait_text(".notice", "You have signed out.").await;
            }

            // Two tabs of a remembered session: signing out in one signs out both.
            page.goto("/login?next=%2Fnetworks").await;
            page.wait_text("form label", "Remember me").await;
            page.check_label_containing("form", "Remember me").await;
            page.sign_in().await;
            page.wait_text("main", "public_network").await;
            let first = page.client.window().await.expect("this tab");
            let second = page.client.new_window(true).await.expect("a second tab").handle;
            page.client.switch_to_window(second.clone()).await.expect("to the second tab");
            page.goto("/ports").await;
            page.wait_text("main h1", "Ports").await;
            page.client.switch_to_window(first.clone()).await.expect("back to the first");
            page.click_text("button", "Sign out").await;
            page.client.switch_to_window(second.clone()).await.expect("to the second tab");
            page.wait_path("/login?next=%2Fports").await;
            page.wait_text(".notice", "You have signed out.").await;
            assert_eq!(page.count("main table").await, 0, "the second tab still shows data");

            // Tabs that each signed in without "remember me": a 401 in one ends both.
            page.sign_in().await;
            page.wait_path("/ports").await;
            page.client.switch_to_window(first.clone()).await.expect("to the first tab");
            page.goto("/login?next=%2Fservers").await;
            page.sign_in().await;
            page.wait_text("main h1", "Servers").await;
            page.revoke_token_and_reload().await;
            page.wait_text(".notice", "Your session has ended").await;
            page.client.switch_to_window(second).await.expect("to the second tab");
            page.wait_path("/login?next=%2Fports").await;
            page.wait_text(".notice", "Your session has ended").await;
            assert_eq!(page.count("main table").await, 0, "the second tab still shows data");
        })
        .await;
}
