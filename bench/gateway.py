#!/usr/bin/env python3
"""What the gateway costs in front of a real OpenStack: the same request direct
and through `nephele-cloud --upstream …/v3`, one at a time, latency per request.

    OUT=target/bench/results python3 bench/gateway.py

Starts Keystone + Neutron with scripts/openstack (the venvs of `scripts/openstack
install`) on free loopback ports, seeds them, starts the server-profile gateway
(target/server/nephele-cloud, RUST_LOG=warn) in front, and times, after a
warm-up, N requests of each kind, alternating direct and gateway so that both
see the same background load:

  * `GET /v2.0/networks` with a member's token (demo, project demo-a);
  * `POST /v3/auth/tokens` with that member's password (the sign-in; Keystone's
    `password_hash_rounds = 4`, so the hash is not what is measured).

Each request is sent with Python's http.client over one client connection per
target (kept alive where the server allows: the gateway does; Keystone's and
Neutron's wsgiref servers answer HTTP/1.0 and close, so the client reconnects
for each request there, and so does the gateway towards them). Writes
OUT/gateway.json. Environment: GATEWAY_REQUESTS (300), GATEWAY_WARMUP (30).
"""
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SERVER = os.path.join(ROOT, "target/server/nephele-cloud")
N = int(os.environ.get("GATEWAY_REQUESTS", "300"))
WARMUP = int(os.environ.get("GATEWAY_WARMUP", "30"))
OUT = os.environ.get("OUT", os.path.join(ROOT, "target/bench/results"))


def say(msg):
    print(f"[gateway] {msg}", file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def password_body(project_id):
    return json.dumps({"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "name": "demo", "domain": {"name": "Default"}, "password": "demo-password"}}},
        "scope": {"project": {"id": project_id}}}})


class Target:
    """One origin, one kept-alive client connection (reopened when the server closes it)."""

    def __init__(self, port):
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def call(self, method, path, headers, body=None):
        """(status, headers, body, seconds), timed from sending to the last byte."""
        start = time.perf_counter()
        try:
            self.conn.request(method, path, body=body, headers=headers)
            resp = self.conn.getresponse()
        except (http.client.HTTPException, ConnectionError):
            # The server closed the kept-alive connection between two requests: once more.
            self.conn.close()
            start = time.perf_counter()
            self.conn.request(method, path, body=body, headers=headers)
            resp = self.conn.getresponse()
        data = resp.read()
        took = time.perf_counter() - start
        return resp.status, dict(resp.getheaders()), data, took


def pct(xs, p):
    """Nearest-rank percentile, in milliseconds."""
    s = sorted(xs)
    k = max(0, min(len(s) - 1, -(-len(s) * p // 100) - 1))
    return round(s[int(k)] * 1000, 3)


def summary(xs):
    return {"p50": pct(xs, 50), "p99": pct(xs, 99), "mean": round(sum(xs) / len(xs) * 1000, 3),
            "min": round(min(xs) * 1000, 3), "max": round(max(xs) * 1000, 3), "n": len(xs)}


def wait_http(port, path, seconds=30):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", path)
            c.getresponse().read()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"nothing answered on 127.0.0.1:{port}{path}")


def measure(name, direct, via, send, expect):
    """Alternate direct and gateway requests: warm-up, then N timed pairs."""
    times = {"direct": [], "gateway": []}
    size = {}
    for i in range(WARMUP + N):
        for label, target in (("direct", direct), ("gateway", via)):
            status, headers, body, took = send(target, label)
            if status != expect:
                raise SystemExit(f"{name} {label}: status {status}: {body[:300]!r}")
            size[label] = len(body)
            if i >= WARMUP:
                times[label].append(took)
    d, g = summary(times["direct"]), summary(times["gateway"])
    diff = {k: round(g[k] - d[k], 3) for k in ("p50", "p99", "mean")}
    # Each gateway request was sent right after its direct twin: the median of the
    # pairwise differences is the least disturbed by load that comes and goes.
    pairs = [b - a for a, b in zip(times["direct"], times["gateway"])]
    diff["paired_p50"] = round(sorted(pairs)[len(pairs) // 2] * 1000, 3)
    say(f"{name}: direct p50 {d['p50']} ms p99 {d['p99']} ms; gateway p50 {g['p50']} ms "
        f"p99 {g['p99']} ms; p50/p99 difference {diff['p50']} / {diff['p99']} ms, "
        f"median paired difference {diff['paired_p50']} ms")
    return {"name": name, "direct": d, "gateway": g, "difference": diff, "bytes": size}


def main():
    if not os.access(SERVER, os.X_OK):
        raise SystemExit(f"{SERVER} missing: cargo build --locked --profile server -p nephele-cloud")
    ks_port, neutron_port, gw_port = free_port(), free_port(), free_port()
    state = tempfile.mkdtemp(prefix="nephele-bench-openstack-")
    env = dict(os.environ, KEYSTONE_PORT=str(ks_port), NEUTRON_PORT=str(neutron_port),
               NEPHELE_WATCH_PID=str(os.getpid()))
    stack = ["bash", os.path.join(ROOT, "scripts/openstack")]
    gateway = None
    try:
        say(f"starting Keystone on {ks_port} and Neutron on {neutron_port}")
        subprocess.run(stack + ["start", state, f"http://127.0.0.1:{gw_port}"], env=env, check=True,
                       stdout=subprocess.DEVNULL)
        seed = json.loads(subprocess.run(stack + ["seed", state], env=env, check=True,
                                         capture_output=True, text=True).stdout)
        project = seed["projects"]["demo-a"]
        say(f"starting the gateway on {gw_port}")
        gateway = subprocess.Popen(
            [SERVER, "--listen", f"127.0.0.1:{gw_port}", "--upstream", f"http://127.0.0.1:{ks_port}/v3",
             "--upstream-origin", f"http://127.0.0.1:{neutron_port}"],
            env=dict(os.environ, RUST_LOG="warn"))
        wait_http(gw_port, "/identity/v3")

        keystone = Target(ks_port)
        neutron = Target(neutron_port)
        via = Target(gw_port)
        json_headers = {"Content-Type": "application/json", "Accept": "application/json"}
        status, headers, body, _ = keystone.call("POST", "/v3/auth/tokens", json_headers, password_body(project))
        assert status == 201, body
        token = {k.lower(): v for k, v in headers.items()}["x-subject-token"]
        # Sign in through the gateway once: it learns the catalog (and so /network/RegionOne).
        status, _, body, _ = via.call("POST", "/identity/v3/auth/tokens", json_headers, password_body(project))
        assert status == 201, body
        catalog = json.loads(body)["token"]["catalog"]
        network = next(e["url"] for s in catalog if s["type"] == "network" for e in s["endpoints"])
        net_path = network.split(f"127.0.0.1:{gw_port}", 1)[1] + "/v2.0/networks"
        say(f"through the gateway: {net_path}")

        auth = {"X-Auth-Token": token, "Accept": "application/json"}
        cases = [
            measure("GET /v2.0/networks", neutron, via,
                    lambda t, label: t.call("GET", "/v2.0/networks" if label == "direct" else net_path, auth),
                    200),
            measure("POST /v3/auth/tokens (password)", keystone, via,
                    lambda t, label: t.call("POST", "/v3/auth/tokens" if label == "direct"
                                            else "/identity/v3/auth/tokens", json_headers,
                                            password_body(project)),
                    201),
        ]
        with open(f"/proc/{gateway.pid}/status") as f:
            peak_kb = next((int(l.split()[1]) for l in f if l.startswith("VmHWM:")), 0)
        result = {
            "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "requests": N, "warmup": WARMUP,
            "gateway_rss_peak": peak_kb * 1024,
            "networks_path": net_path,
            "cases": cases,
        }
        os.makedirs(OUT, exist_ok=True)
        with open(os.path.join(OUT, "gateway.json"), "w") as f:
            json.dump(result, f, indent=1)
        say(f"wrote {OUT}/gateway.json")
    finally:
        if gateway is not None:
            gateway.terminate()
            gateway.wait(timeout=10)
        subprocess.run(stack + ["stop", state], env=env, stdout=subprocess.DEVNULL)
        subprocess.run(["rm", "-rf", state])


if __name__ == "__main__":
    main()
