#!/usr/bin/env bash
# The local cloud under load: oha (crates.io) for GET /network/v2.0/ports with
# 1,000 ports, bench/churn.mjs for create/delete pairs, at 1, 16 and 64 clients;
# peak memory of the server. Loopback only.
#
#   SEED=target/bench/load.toml OUT=target/bench/results bash bench/load.sh
set -euo pipefail
cd "$(dirname "$0")/.."
SEED=${SEED:-target/bench/load.toml}
OUT=${OUT:-target/bench/results}
SECONDS_EACH=${LOAD_SECONDS:-10}
CLOUD=target/server/nephele-cloud
TOKEN=bench-token-0123456789
mkdir -p "$OUT"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
RUST_LOG=warn "$CLOUD" --listen "127.0.0.1:$port" --seed "$SEED" &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -fs "$base/metrics" >/dev/null 2>&1 && break; sleep 0.1; done

api() { curl -fsS -X "$1" -H "X-Auth-Token: $TOKEN" -H 'Content-Type: application/json' "$base$2" ${3:+-d "$3"}; }
net=$(api POST /network/v2.0/networks '{"network":{"name":"bench-private","type":"MAC_FILTERED"}}' \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["network"]["id"])')
api POST /network/v2.0/subnets "{\"subnet\":{\"network_id\":\"$net\",\"cidr\":\"10.250.0.0/22\",\"ip_version\":4}}" >/dev/null
count=$(api GET /network/v2.0/ports | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["ports"]))')
bytes=$(curl -fs -H "X-Auth-Token: $TOKEN" "$base/network/v2.0/ports" | wc -c)
rss_idle=$(awk '/^VmRSS/ {print $2 * 1024}' /proc/$pid/status)
echo "[load] $count ports ($bytes bytes uncompressed per list), private network $net" >&2

results=()
for c in 1 16 64; do
  echo "[load] GET /ports, $c clients, ${SECONDS_EACH}s" >&2
  oha --no-tui --output-format json -z "${SECONDS_EACH}s" -c "$c" -H "X-Auth-Token: $TOKEN" \
    "$base/network/v2.0/ports" > "$OUT/oha-get-c$c.json"
  results+=("{\"kind\":\"get\",\"clients\":$c,\"oha\":$(cat "$OUT/oha-get-c$c.json")}")
done
for c in 1 16 64; do
  echo "[load] create/delete, $c clients, ${SECONDS_EACH}s" >&2
  results+=("{\"kind\":\"churn\",\"clients\":$c,\"result\":$(node bench/churn.mjs "$base" "$net" "$c" "$SECONDS_EACH")}")
done
# Where a list request's time goes: perf over an extra (unreported) 16-client run.
if command -v perf >/dev/null; then
  echo "[load] perf profile of GET /ports (16 clients, extra run)" >&2
  oha --no-tui -z 8s -c 16 -H "X-Auth-Token: $TOKEN" "$base/network/v2.0/ports" >/dev/null 2>&1 &
  oha_pid=$!
  sleep 1
  perf record -F 499 -g -p "$pid" -o "$OUT/perf-get-ports.data" -- sleep 5 >/dev/null 2>&1 || true
  wait $oha_pid || true
  perf report -i "$OUT/perf-get-ports.data" --stdio --no-children --sort symbol 2>/dev/null \
    | grep -E '^ +[0-9.]+%' | sed -E 's/ {2,}-.*$//; s/ +$//' | head -30 > "$OUT/perf-get-ports.txt" || true
fi
peak=$(awk '/^VmHWM/ {print $2 * 1024}' /proc/$pid/status)
rss=$(awk '/^VmRSS/ {print $2 * 1024}' /proc/$pid/status)
kill $pid; wait $pid 2>/dev/null || true
trap - EXIT
{
  printf '{"ports":%s,"listBytes":%s,"rssIdle":%s,"peakRss":%s,"rssAfter":%s,"seconds":%s,"oha":"%s","runs":[' \
    "$count" "$bytes" "$rss_idle" "$peak" "$rss" "$SECONDS_EACH" "$(oha --version)"
  (IFS=,; printf '%s' "${results[*]}")
  printf ']}\n'
} > "$OUT/load.json"
echo "[load] wrote $OUT/load.json (peak RSS $((peak / 1048576)) MiB)" >&2
