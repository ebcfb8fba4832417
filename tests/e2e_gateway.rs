//! Gateway mode in a real browser: a "real" cloud (nephele-cloud with the demo seed)
//! on one loopback port, and `nephele-cloud --upstream <its identity URL> --dist dist`
//! on another. The portal signs in through the gateway, lists networks, and every
//! API call stays on the gateway's origin. Also the token-expiry warning.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use serde_json::json;
use support::{dist_snapshot, Harness};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signs_in_and_lists_networks_through_the_gateway() {
    let real = nephele_cloud::start(nephele_cloud::Options {
        listen: "127.0.0.1:0".parse().expect("addr"),
        seed: Some(support::repo_root().join("demo/seed.toml")),
        ..Default::default()
    })
    .await
    .expect("the 'real' cloud starts");
    let real_url = real.url();
    let dist = dist_snapshot("gateway", None);
    let gateway = nephele_cloud::start(nephele_cloud::Options {
        listen: "127.0.0.1:0".parse().expect("addr"),
        upstream: Some(format!("{real_url}/identity/v2.0")),
        dist: Some(dist.clone()),
        ..Default::default()
    })
    .await
    .expect("the gateway starts");
    let gateway_url = gateway.url();

    Harness::start_at("gateway", &gateway_url, Some(gateway))
        .await
        .run(move |page| async move {
            page.sign_in_at("/networks").await;
            page.wait_text("table.data tbody", "public_network").await;

            // The session's endpoints are the gateway's, never the real cloud's.
            let stored = page
                .client
                .execute("return sessionStorage.getItem('nephele.session');", vec![])
                .await
                .expect("read session");
            let session: serde_json::Value =
                serde_json::from_str(stored.as_str().expect("a session")).expect("json");
            for key in ["network", "compute", "account"] {
                let url = session["endpoints"][key].as_str().unwrap_or_default();
                assert!(url.starts_with(&page.base), "{key} endpoint {url} is not on the gateway");
                assert!(!url.contains(&real_url), "{url}");
            }
            page.screenshot("gateway-networks").await;

            // The identity answer said when the token expires: ten minutes before, a warning.
            let set_expiry = |offset_ms: i64| {
                let page = page.clone();
                async move {
                    page.client
                        .execute(
                            "const s = JSON.parse(sessionStorage.getItem('nephele.session'));\
                             s.expires = new Date(Date.now() + arguments[0]).toISOString();\
                             sessionStorage.setItem('nephele.session', JSON.stringify(s));",
                            vec![json!(offset_ms)],
                        )
                        .await
                        .expect("set expiry");
                }
            };
            set_expiry(5 * 60_000 - 1_000).await;
            page.goto("/networks").await;
            page.wait_text("[role=status].expiry", "Your session expires in 5 minutes").await;
            page.screenshot("gateway-expiry-soon").await;

            set_expiry(-1_000).await;
            page.goto("/networks").await;
            page.wait_text("[role=alert].expiry", "Your session has expired").await;
            page.click_text(".expiry button", "Sign in again").await;
            page.wait_text(".notice", "Your session has ended").await;
            assert!(page.path().await.starts_with("/login?next="), "{}", page.path().await);
        })
        .await;
    real.stop().await.expect("the real cloud stops");
    let _ = std::fs::remove_dir_all(dist);
}
