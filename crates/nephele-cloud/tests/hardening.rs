//! What a hostile client found (issue 11): bodies declared and never sent,
//! half-sent requests, tokens in paths reaching the log, and ids that are not
//! UTF-8. Each test failed before the fix.

mod common;

use std::time::Duration;

use common::*;
use nephele_cloud::serve::Timeouts;
use nephele_cloud::{Options, Running};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

/// Short timeouts, so the tests see the server give up.
const SHORT: Timeouts = Timeouts { header: Duration::from_secs(1), body: Duration::from_secs(1) };

/// Longer than any timeout under test: a server that has not answered by then hangs.
const HANG: Duration = Duration::from_secs(15);

async fn start_short() -> Running {
    capture_logs("nephele_cloud=trace,axum=trace,tower_http=trace,hyper=trace");
    let mut o = options(demo_seed(), 100);
    o.timeouts = SHORT;
    nephele_cloud::start(o).await.expect("server starts")
}

async fn connect(cloud: &Running) -> TcpStream {
    TcpStream::connect(cloud.addr).await.expect("connect")
}

/// Read until the server closes the connection or `HANG` passes; `None` on a hang.
async fn read_until_closed(s: &mut TcpStream) -> Option<String> {
    let mut out = Vec::new();
    match tokio::time::timeout(HANG, s.read_to_end(&mut out)).await {
        Ok(_) => Some(String::from_utf8_lossy(&out).into_owned()),
        Err(_) => None,
    }
}

/// Read one response head and body (up to the fault's closing brace).
async fn read_answer(s: &mut TcpStream) -> Option<(u16, String)> {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    let read = async {
        loop {
            let n = s.read(&mut buf).await.ok()?;
            if n == 0 {
                break;
            }
            out.extend_from_slice(&buf[..n]);
            let text = String::from_utf8_lossy(&out);
            if let Some((head, body)) = text.split_once("\r\n\r\n") {
                let length = head
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length:")
                            .map(|v| v.trim().to_owned())
                    })
                    .and_then(|v| v.parse::<usize>().ok());
                if length.is_some_and(|n| body.len() >= n) {
                    break;
                }
            }
        }
        Some(())
    };
    tokio::time::timeout(HANG, read).await.ok()??;
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text.split(' ').nth(1)?.parse().ok()?;
    Some((status, text.split_once("\r\n\r\n")?.1.to_owned()))
}

fn fault_name(body: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
    v.as_object().and_then(|o| o.keys().next().cloned()).unwrap_or_default()
}

#[tokio::test]
async fn a_body_declared_too_large_is_refused_at_once() {
    let cloud = start_short().await;
    let mut s = connect(&cloud).await;
    let head = format!(
        "POST {NET}/networks HTTP/1.1\r\nHost: x\r\nX-Auth-Token: {DEMO_TOKEN}\r\n\
         Content-Type: application/json\r\nContent-Length: 52428800\r\n\r\n"
    );
    s.write_all(head.as_bytes()).await.expect("write");
    let (status, body) = read_answer(&mut s).await.expect("an answer, not a hang");
    assert_eq!(status, 413, "{body}");
    assert_eq!(fault_name(&body), "requestEntityTooLarge", "{body}");
    // Refused before the API's handlers, but still in the request log.
    assert!(
        log_lines().iter().any(|l| l.contains("POST /network/v2.0/networks 413 (declared body")),
        "{:#?}",
        log_lines()
    );
    cloud.stop().await.expect("stops");
}

#[tokio::test]
async fn the_token_is_checked_before_the_body_is_read() {
    let cloud = start_short().await;
    for token in ["", "X-Auth-Token: not-a-token\r\n"] {
        let mut s = connect(&cloud).await;
        let head = format!(
            "POST {NET}/networks HTTP/1.1\r\nHost: x\r\n{token}\
             Content-Type: application/json\r\nContent-Length: 500\r\n\r\n"
        );
        s.write_all(head.as_bytes()).await.expect("write");
        let (status, body) = read_answer(&mut s).await.expect("an answer, not a wait for the body");
        assert_eq!(status, 401, "{token:?}: {body}");
    }
    cloud.stop().await.expect("stops");
}

#[tokio::test]
async fn a_body_that_stops_coming_is_refused_with_408() {
    let cloud = start_short().await;
    let mut s = connect(&cloud).await;
    let head = format!(
        "POST {NET}/networks HTTP/1.1\r\nHost: x\r\nX-Auth-Token: {DEMO_TOKEN}\r\n\
         Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"network\""
    );
    s.write_all(head.as_bytes()).await.expect("write");
    let (status, body) = read_answer(&mut s).await.expect("an answer, not a hang");
    assert_eq!(status, 408, "{body}");
    assert_eq!(fault_name(&body), "requestTimeout", "{body}");
    // Nothing was created.
    let api = Api::new(&cloud, DEMO_TOKEN);
    let nets = api.get(&format!("{NET}/networks")).await;
    assert_eq!(ids(&nets.body["networks"]), ["1"]);
    cloud.stop().await.expect("stops");
}

#[tokio::test]
async fn half_sent_headers_and_idle_connections_are_closed() {
    let cloud = start_short().await;
    // Headers that never end.
    let mut s = connect(&cloud).await;
    s.write_all(b"GET /network/v2.0/networks HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .await
        .expect("write");
    assert!(read_until_closed(&mut s).await.is_some(), "a half-sent request is kept open");

    // A kept-alive connection that goes quiet after one answer.
    let mut s = connect(&cloud).await;
    let req =
        format!("GET {NET}/networks HTTP/1.1\r\nHost: x\r\nX-Auth-Token: {DEMO_TOKEN}\r\n\r\n");
    s.write_all(req.as_bytes()).await.expect("write");
    let (status, _) = read_answer(&mut s).await.expect("answer");
    assert_eq!(status, 200);
    assert!(read_until_closed(&mut s).await.is_some(), "an idle connection is kept open");

    // A connection that does nothing at all.
    let mut s = connect(&cloud).await;
    assert!(read_until_closed(&mut s).await.is_some(), "a silent connection is kept open");
    cloud.stop().await.expect("stops");
}

/// Every `{id}` route (method and path) of the local cloud.
const ID_ROUTES: &[(&str, &str)] = &[
    ("GET", "/network/v2.0/networks/{id}"),
    ("PUT", "/network/v2.0/networks/{id}"),
    ("DELETE", "/network/v2.0/networks/{id}"),
    ("POST", "/network/v2.0/networks/{id}/action"),
    ("GET", "/network/v2.0/subnets/{id}"),
    ("PUT", "/network/v2.0/subnets/{id}"),
    ("DELETE", "/network/v2.0/subnets/{id}"),
    ("GET", "/network/v2.0/ports/{id}"),
    ("PUT", "/network/v2.0/ports/{id}"),
    ("DELETE", "/network/v2.0/ports/{id}"),
    ("GET", "/network/v2.0/floatingips/{id}"),
    ("PUT", "/network/v2.0/floatingips/{id}"),
    ("DELETE", "/network/v2.0/floatingips/{id}"),
    ("POST", "/network/v2.0/floatingips/{id}/action"),
    ("GET", "/compute/v2.0/servers/{id}"),
    ("GET", "/compute/v2.0/servers/{id}/ips"),
    ("GET", "/account/v1.0/projects/{id}"),
];

#[tokio::test]
async fn ids_that_are_not_utf8_are_bad_request_faults() {
    let cloud = start_short().await;
    let api = Api::new(&cloud, DEMO_TOKEN);
    for (method, template) in ID_ROUTES {
        for escape in ["%ff", "%C3%28", "%80", "1%ff"] {
            let path = template.replace("{id}", escape);
            let body =
                if *method == "GET" || *method == "DELETE" { Vec::new() } else { b"{}".to_vec() };
            let r = api.raw(method, &path, Some("application/json"), body).await;
            // Synnefo refuses every floating-IP update, whatever the id (spec §11 rule 9).
            if *method == "PUT" && template.contains("floatingips") {
                r.expect_fault(501, "notImplemented");
            } else {
                r.expect_fault(400, "badRequest");
            }
            assert_eq!(
                r.headers["content-type"], "application/json; charset=UTF-8",
                "{method} {path}"
            );
        }
    }
    cloud.stop().await.expect("stops");
}

/// A full run of the guide on the local cloud, with the tokens in headers, in
/// `?X-Auth-Token=` and in Keystone-v2-style paths; then a run through a gateway.
/// No log line of either may hold any token of the seed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_log_line_holds_a_token() {
    let cloud = start_short().await;
    let seed = std::fs::read_to_string(demo_seed()).expect("seed");
    let tokens: Vec<String> = seed
        .lines()
        .filter_map(|l| l.trim().strip_prefix("token"))
        .filter_map(|l| l.split('"').nth(1))
        .map(str::to_owned)
        .collect();
    assert!(tokens.len() >= 2, "the seed's tokens: {tokens:?}");

    let gw = nephele_cloud::start(Options {
        listen: "127.0.0.1:0".parse().expect("addr"),
        upstream: Some(format!("{}/identity/v2.0", cloud.url())),
        timeouts: SHORT,
        ..Default::default()
    })
    .await
    .expect("gateway starts");

    for base in [cloud.url(), gw.url()] {
        for token in &tokens {
            let api = Api {
                base: base.clone(),
                token: Some(token.clone()),
                http: reqwest::Client::new(),
            };
            let anon = Api { token: None, ..api.clone() };
            anon.post(
                "/identity/v2.0/tokens",
                serde_json::json!({"auth": {"token": {"id": token}}}),
            )
            .await
            .expect(200);
            for path in [
                format!("/identity/v2.0/tokens/{token}"),
                format!("/identity/v2.0/tokens/{token}/endpoints"),
                format!("/identity/v2.0/tokens//{token}"),
                format!("/identity/v2.0/%74okens/{token}"),
                format!("{NET}/networks?X-Auth-Token={token}"),
                format!("/compute/v2.0/servers/detail?X-Auth-Token={token}"),
            ] {
                let r = anon.get(&path).await;
                assert!(r.status < 500, "{path}: {}", r.status);
            }
            let net = api
                .post(
                    &format!("{NET}/networks"),
                    serde_json::json!({"network": {"name": "n", "type": "MAC_FILTERED"}}),
                )
                .await;
            net.expect(201);
            let id = net.body["network"]["id"].as_str().unwrap_or_default().to_owned();
            let ip = api
                .post(
                    &format!("{NET}/floatingips"),
                    serde_json::json!({"floatingip": {"floating_network_id": "1"}}),
                )
                .await;
            if ip.status == 200 {
                let ip_id = ip.body["floatingip"]["id"].as_str().unwrap_or_default().to_owned();
                api.delete(&format!("{NET}/floatingips/{ip_id}")).await.expect(204);
            }
            api.get("/account/v1.0/quotas").await.expect(200);
            api.delete(&format!("{NET}/networks/{id}")).await.expect(204);
        }
    }
    gw.stop().await.expect("gateway stops");
    cloud.stop().await.expect("stops");

    let lines = log_lines();
    assert!(
        lines.iter().any(|l| l.contains("tokens/<redacted>")),
        "the run was logged: {lines:#?}"
    );
    assert!(
        lines.iter().any(|l| l.contains("nephele_cloud::gateway")),
        "the gateway logged: {lines:#?}"
    );
    for token in &tokens {
        let leaks: Vec<&String> = lines.iter().filter(|l| l.contains(token.as_str())).collect();
        assert!(leaks.is_empty(), "token {token} in the log: {leaks:#?}");
    }
}
