//! Bad seed files are refused at start-up with a message naming the line and
//! field (syntax, types) or the offending entry (meaning).

mod common;

use common::*;

async fn start_error(tag: &str, seed: &str) -> String {
    let dir = temp_dir(tag);
    let path = dir.path().join("seed.toml");
    std::fs::write(&path, seed).expect("write");
    match nephele_cloud::start(options(path, 100)).await {
        Ok(running) => {
            running.stop().await.expect("stop");
            panic!("seed accepted:\n{seed}")
        }
        Err(e) => format!("{e:#}"),
    }
}

const USER: &str = "[[users]]\nuuid = \"u\"\nname = \"U\"\ntoken = \"t\"\n";

#[tokio::test]
async fn bad_seeds_are_refused_with_line_field_or_entry() {
    let e = start_error("type", "[[users]]\nuuid = \"u\"\nname = \"U\"\ntoken = 5\n").await;
    assert!(
        e.contains("line 4") && e.contains("token = 5") && e.contains("expected a string"),
        "{e}"
    );
    let e = start_error("unknown", &format!("{USER}tokne = \"x\"\n")).await;
    assert!(e.contains("line 5") && e.contains("unknown field `tokne`"), "{e}");
    let e = start_error("missing", "[[users]]\nuuid = \"u\"\nname = \"U\"\n").await;
    assert!(e.contains("missing field `token`"), "{e}");
    let e = start_error("owner", &format!("{USER}\n[[servers]]\nid = 7\nname = \"s\"\nowner = \"ghost\"\ncpu = 1\nram = 1\ndisk = 1\n")).await;
    assert!(e.contains("servers[0] (id 7)") && e.contains("\"ghost\""), "{e}");
    let e =
        start_error("size", &format!("{USER}limits = {{ \"cyclades.ram\" = \"lots\" }}\n")).await;
    assert!(e.contains("line 5") && e.contains("invalid size"), "{e}");
    let e = start_error("res", &format!("{USER}limits = {{ \"cyclades.gpu\" = 1 }}\n")).await;
    assert!(e.contains("users[0]") && e.contains("cyclades.gpu"), "{e}");
    let e = start_error(
        "dup",
        &format!("{USER}\n[[users]]\nuuid = \"v\"\nname = \"V\"\ntoken = \"t\"\n"),
    )
    .await;
    assert!(e.contains("users[1]") && e.contains("token"), "{e}");
    let e = start_error("cidr", &format!("{USER}\n[[networks]]\nid = 1\nname = \"p\"\nsubnet = {{ id = 1, cidr = \"10.0.0.1/24\" }}\n")).await;
    assert!(e.contains("networks[0] (id 1)") && e.contains("host bits"), "{e}");
    let e =
        start_error("port", &format!("{USER}\n[[ports]]\nid = 1\nnetwork = 9\nserver = 1\n")).await;
    assert!(e.contains("ports[0] (id 1)") && e.contains("network 9"), "{e}");
}

#[tokio::test]
async fn a_missing_seed_file_is_named() {
    let o = options(std::path::PathBuf::from("/nonexistent/seed.toml"), 100);
    let e = match nephele_cloud::start(o).await {
        Ok(_) => panic!("started without its seed"),
        Err(e) => format!("{e:#}"),
    };
    assert!(e.contains("/nonexistent/seed.toml"), "{e}");
}
