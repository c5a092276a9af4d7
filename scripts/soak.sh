#!/usr/bin/env bash
# Bounded soak (issue 8): the release binary's simulator and bridge under a mixed load from wrk
# (reads, searches, verifies, and requests that end in errors: scripts/soak.lua), with a fault
# switched on in the simulator a third of the way through and off at two thirds (through its
# admin API). Reports answers by class (status, Spine code, origin), wrk's latency, the bridge's
# resilience metrics, the simulator's counters, and the bridge's RSS at start, peak and end.
# Everything runs on loopback in a temp dir, which is removed with both processes at the end.
#
#   scripts/soak.sh                    # 60 s, 32 connections
#   scripts/soak.sh 600 64             # 10 min, 64 connections
#   SOAK_FAULT='{"drop_connection":true}' scripts/soak.sh 120
#
# Environment: SOAK_FAULT (knobs JSON, default {"http_503":true}), SOAK_LATENCY_MS (simulator
# latency, default 5, plus up to 20 ms jitter), SOAK_CACHE (bridge cache on/off, default false:
# every request reaches SMSP), SOAK_SCRAPE_SECONDS (scrape /metrics this often, as Prometheus
# would; 0 = never, default 15), SOAK_BUILD=1 (rebuild target/release/smsp-bridge first),
# SOAK_BIN (another binary, e.g. target/debug/smsp-bridge).
# Needs: wrk (Debian package `wrk`), curl, python3 (to pick free ports).
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
duration="${1:-60}"
connections="${2:-32}"
threads=2
default_fault='{"http_503":true}'
fault="${SOAK_FAULT:-$default_fault}"
latency="${SOAK_LATENCY_MS:-5}"
cache="${SOAK_CACHE:-false}"
scrape="${SOAK_SCRAPE_SECONDS:-15}"
bin="${SOAK_BIN:-$here/target/release/smsp-bridge}"

command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 2; }
if [ "${SOAK_BUILD:-0}" = 1 ] || [ ! -x "$bin" ]; then
    echo "building $bin ..."
    (cd "$here" && cargo build --release --bin smsp-bridge)
fi

work="$(mktemp -d -t smsp-soak.XXXXXX)"
sim_pid=""
bridge_pid=""
cleanup() {
    for pid in "$bridge_pid" "$sim_pid"; do
        if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid" 2>/dev/null || true
            for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
            kill -KILL "$pid" 2>/dev/null || true
        fi
    done
    if [ "${SOAK_KEEP:-0}" = 1 ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT INT TERM

read -r sim_port bridge_port < <(python3 -c '
import socket
ss = [socket.socket() for _ in range(2)]
for s in ss: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in ss])')

pki="$work/pki"
"$bin" sim --listen "127.0.0.1:$sim_port" --cert-dir "$pki" \
    --latency-ms "$latency" --latency-jitter-ms 20 >"$work/sim.log" 2>&1 &
sim_pid=$!

admin() { # METHOD PATH [JSON]
    curl -sS --fail --cacert "$pki/ca.pem" --cert "$pki/client.pem" --key "$pki/client.key" \
        -X "$1" "https://127.0.0.1:$sim_port$2" \
        ${3:+-H "Content-Type: application/json" --data "$3"}
}
for _ in $(seq 1 100); do admin GET /_admin/health >/dev/null 2>&1 && break; sleep 0.1; done
admin GET /_admin/health >/dev/null || { cat "$work/sim.log" >&2; exit 1; }

mkdir -p "$work/audit"
cat >"$work/bridge.toml" <<EOF
listen = "127.0.0.1:$bridge_port"
public_base_url = "http://127.0.0.1:$bridge_port/personal-demographics/FHIR/R4"
shutdown_grace_seconds = 2

[smsp]
url = "https://127.0.0.1:$sim_port/smsp/pds"
client_cert = "$pki/client.pem"
client_key = "$pki/client.key"
ca_cert = "$pki/ca.pem"

[log]
format = "json"
filter = "${SOAK_LOG_FILTER:-warn}"

[cache]
enabled = $cache

[security.audit]
dir = "$work/audit"
EOF
"$bin" serve --config "$work/bridge.toml" >"$work/bridge.log" 2>&1 &
bridge_pid=$!
base="http://127.0.0.1:$bridge_port"
for _ in $(seq 1 100); do curl -sf "$base/_ping" >/dev/null 2>&1 && break; sleep 0.1; done
curl -sf "$base/_ping" >/dev/null || { cat "$work/bridge.log" >&2; exit 1; }

rss() { ps -o rss= -p "$bridge_pid" | tr -d ' '; }
rss_start=$(rss)
rss_peak=$rss_start
rss_trace=("0s:$rss_start")
trace=$(( duration / 6 > 10 ? duration / 6 : 10 ))

echo "soak: ${duration}s, $connections connections, $threads wrk threads; fault $fault from $((duration / 3))s to $((2 * duration / 3))s"
wrk -t"$threads" -c"$connections" -d"${duration}s" --latency -s "$here/scripts/soak.lua" "$base" \
    >"$work/wrk.log" 2>&1 &
wrk_pid=$!

started=$(date +%s)
fault_on=0
fault_off=0
while kill -0 "$wrk_pid" 2>/dev/null; do
    sleep 1
    now=$(( $(date +%s) - started ))
    r=$(rss || echo 0)
    [ "${r:-0}" -gt "$rss_peak" ] && rss_peak=$r
    if [ $((now % trace)) -eq 0 ]; then
        rss_trace+=("${now}s:${r}")
    fi
    # Scrape like Prometheus would: rendering drains the histogram samples the exporter
    # buffers (nothing else does; see docs/RELIABILITY.md, soak results).
    if [ "$scrape" -gt 0 ] && [ $((now % scrape)) -eq 0 ]; then
        curl -sf "$base/metrics" >/dev/null || true
    fi
    if [ $fault_on = 0 ] && [ "$now" -ge $((duration / 3)) ]; then
        admin PATCH /_admin/knobs "$fault" >/dev/null && fault_on=1 && echo "  t=${now}s fault on"
    fi
    if [ $fault_off = 0 ] && [ "$now" -ge $((2 * duration / 3)) ]; then
        admin PUT /_admin/knobs "{\"latency_ms\":$latency,\"latency_jitter_ms\":20}" >/dev/null \
            && fault_off=1 && echo "  t=${now}s fault off"
    fi
done
wait "$wrk_pid" || true
rss_end=$(rss)

echo
sed -n '/^Running/,$p' "$work/wrk.log"
echo
echo "bridge resilience metrics at the end:"
curl -sf "$base/metrics" | grep -E '^smsp_bridge_(circuit_|smsp_retries_total|smsp_retry_budget|smsp_deadline|bulkhead_|smsp_calls_total)' \
    | sed 's/^/  /' || true
echo "simulator counters: $(admin GET /_admin/counters)"
alive=yes
kill -0 "$bridge_pid" 2>/dev/null || alive=no
echo "bridge still running: $alive; warnings/errors logged: $(grep -c '"level":"\(WARN\|ERROR\)"' "$work/bridge.log" || true)"
echo "bridge RSS: start ${rss_start} KiB, peak ${rss_peak} KiB, end ${rss_end} KiB"
echo "bridge RSS over time (KiB): ${rss_trace[*]} end:${rss_end}"
[ "$alive" = yes ]
