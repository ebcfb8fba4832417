//! The real Synnefo client, kamaki 0.16, against the local cloud: the network
//! guide's commands, asserting on exit codes, output and the resulting state.
//! Needs `scripts/kamaki-setup` (pyenv's Python 2.7); skipped with a message otherwise.

mod common;

use std::path::PathBuf;
use std::time::Duration;

use common::*;

struct Kamaki {
    bin: PathBuf,
    home: TempDir,
}

struct Out {
    ok: bool,
    text: String,
}

impl Kamaki {
    async fn run(&self, args: &[&str]) -> Out {
        let child = tokio::process::Command::new(&self.bin)
            .args(args)
            .env("HOME", self.home.path())
            .env("KAMAKI_CONFIG", self.home.path().join("kamakirc"))
            .stdin(std::process::Stdio::null())
            .kill_on_drop(true)
            .output();
        let out = tokio::time::timeout(Duration::from_secs(120), child)
            .await
            .unwrap_or_else(|_| panic!("kamaki {args:?} hung"))
            .expect("kamaki runs");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        Out { ok: out.status.success(), text }
    }

    async fn ok(&self, args: &[&str]) -> String {
        let o = self.run(args).await;
        assert!(o.ok, "kamaki {args:?} failed:\n{}", o.text);
        o.text
    }

    async fn fails(&self, args: &[&str]) -> String {
        let o = self.run(args).await;
        assert!(!o.ok, "kamaki {args:?} should fail:\n{}", o.text);
        o.text
    }
}

fn kamaki_bin() -> Option<PathBuf> {
    let bin = std::env::var_os("NEPHELE_KAMAKI").map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../.peers/kamaki/bin/kamaki"))
    });
    bin.is_file().then_some(bin)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kamaki_follows_the_network_guide() {
    let Some(bin) = kamaki_bin() else {
        println!(
            "SKIPPED: kamaki not installed (run scripts/kamaki-setup; needs pyenv Python 2.7)"
        );
        return;
    };
    let cloud = nephele_cloud::start(options(demo_seed(), 300)).await.expect("start");
    let api = Api::new(&cloud, DEMO_TOKEN);
    let k = Kamaki { bin, home: temp_dir("kamaki") };
    k.ok(&["config", "set", "cloud.local.url", &format!("{}/identity/v2.0", cloud.url())]).await;
    k.ok(&["config", "set", "cloud.local.token", DEMO_TOKEN]).await;
    k.ok(&["config", "set", "default_cloud", "local"]).await;

    let out = k.ok(&["server", "list"]).await;
    assert!(out.contains("141 Server 1") && out.contains("142 Server 1"), "{out}");
    let out = k.ok(&["network", "list"]).await;
    assert!(out.contains("1 public_network"), "{out}");

    // 7.7.1
    let out = k.ok(&["network", "create", "--name=My Private Net"]).await;
    assert!(out.contains("id: 2") && out.contains("type: MAC_FILTERED"), "{out}");

    // 7.7.2
    let out =
        k.ok(&["network", "connect", "2", "--device-id=141", "--device-id=142", "--wait"]).await;
    assert!(
        out.contains("Port 11 status: ACTIVE") && out.contains("Port 12 status: ACTIVE"),
        "{out}"
    );
    assert_eq!(api.port_status("11").await.as_deref(), Some("ACTIVE"));
    let out = k.ok(&["network", "list", "-l"]).await;
    assert!(out.contains("My Private Net") && out.contains("public_network"), "{out}");

    // 7.7.3
    let out = k.ok(&["ip", "create", "--network-id=1"]).await;
    assert!(out.contains("floating_ip_address: 192.168.3.5") && out.contains("id: 8"), "{out}");
    let out = k.ok(&["ip", "attach", "8", "--server-id=141", "--wait"]).await;
    assert!(out.contains("Port 13 status: ACTIVE"), "{out}");
    assert_eq!(api.get(&format!("{NET}/floatingips/8")).await.body["floatingip"]["port_id"], "13");
    let out = k.fails(&["ip", "attach", "8", "--server-id=142", "--wait"]).await;
    assert!(
        out.contains("(409)") && out.contains("IP address '192.168.3.5' is already in use"),
        "{out}"
    );
    let out = k.ok(&["ip", "create", "--network-id=1"]).await;
    assert!(out.contains("floating_ip_address: 192.168.3.6") && out.contains("id: 9"), "{out}");
    let out = k.ok(&["ip", "attach", "9", "--server-id=141", "--wait"]).await;
    assert!(out.contains("Port 14 status: ACTIVE"), "{out}");
    let out = k.ok(&["port", "list"]).await;
    for p in ["11", "12", "13", "14"] {
        assert!(out.lines().any(|l| l.trim() == p), "port {p} in:\n{out}");
    }
    let out = k.ok(&["ip", "detach", "9", "--wait"]).await;
    assert!(out.contains("Port 14 is deleted"), "{out}");
    let out = k.ok(&["ip", "attach", "9", "--server-id=142", "--wait"]).await;
    assert!(out.contains("status: ACTIVE"), "{out}");
    assert_eq!(
        api.get(&format!("{NET}/floatingips/9")).await.body["floatingip"]["instance_id"],
        "142"
    );

    // 7.7.4
    let out = k.ok(&["quota", "list", &format!("--project-id={DEMO_UUID}")]).await;
    for want in [
        "cyclades.floating_ip",
        "cyclades.network.private",
        "40GiB",
        "500GiB",
        "80GiB",
        "9GiB",
        "20GiB",
    ] {
        assert!(out.contains(want), "{want} in:\n{out}");
    }
    let out = k.ok(&["ip", "create", "--network-id=1"]).await;
    assert!(out.contains("floating_ip_address: 192.168.3.7") && out.contains("id: 10"), "{out}");
    let out = k.fails(&["ip", "create", "--network-id=1"]).await;
    assert!(out.contains("(413) REQUEST ENTITY TOO LARGE"), "{out}");
    assert!(
        out.contains("Limit for resource 'Floating IP address' exceeded for your account."),
        "{out}"
    );
    assert!(out.contains("Available: 0, Requested: 1"), "{out}");
    k.ok(&["ip", "delete", "10"]).await;
    let out = k.ok(&["ip", "list"]).await;
    assert!(out.contains("192.168.3.5") && !out.contains("192.168.3.7"), "{out}");

    // 7.7.5
    let out = k.fails(&["network", "delete", "1"]).await;
    assert!(out.contains("Cannot delete the public network."), "{out}");
    let out = k.fails(&["network", "delete", "2"]).await;
    assert!(out.contains("409") && out.contains("ports still configured"), "{out}");
    let out =
        k.ok(&["network", "disconnect", "2", "--device-id=141", "--device-id=142", "--wait"]).await;
    assert!(out.contains("Port 11 is deleted") && out.contains("Port 12 is deleted"), "{out}");
    k.ok(&["network", "delete", "2"]).await;
    let out = k.ok(&["network", "list"]).await;
    assert!(!out.contains("My Private Net"), "{out}");

    // Subnets and plain ports.
    let out = k.ok(&["network", "create", "--name=lan"]).await;
    assert!(out.contains("id: 3"), "{out}");
    let out =
        k.ok(&["subnet", "create", "--network-id=3", "--cidr=10.0.0.0/24", "--name=lan-v4"]).await;
    assert!(out.contains("cidr: 10.0.0.0/24") && out.contains("gateway_ip: 10.0.0.1"), "{out}");
    let out = k.ok(&["port", "create", "--network-id=3", "--device-id=141", "--wait"]).await;
    assert!(out.contains("status: ACTIVE") && out.contains("10.0.0.2"), "{out}");
    let id = out
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("Port ")
                .and_then(|r| r.split_whitespace().next())
                .map(str::to_owned)
        })
        .expect("port id in output");
    let out = k.ok(&["port", "delete", &id, "--wait"]).await;
    assert!(out.contains(&format!("Port {id} is deleted")), "{out}");
    api.get(&format!("{NET}/ports/{id}")).await.expect(404);
    let out = k.ok(&["subnet", "list"]).await;
    assert!(out.contains("lan-v4"), "{out}");

    // A bad token is refused.
    k.ok(&["config", "set", "cloud.local.token", "not-a-token"]).await;
    let out = k.fails(&["network", "list"]).await;
    assert!(out.to_lowercase().contains("token") || out.contains("401"), "{out}");
    cloud.stop().await.expect("stop");
}
