#!/usr/bin/env bash
# The miss path with SMSP's latency: how many reads per second a bridge passes through to SMSP,
# and what it adds to each, when SMSP takes tens to hundreds of milliseconds to answer (bench.sh
# measures the bridge's own cost, with an SMSP that answers at once).
#
# For each SMSP latency L (the simulator's `latency_ms` knob) and each number of connections C,
# the same read goes
#   - through the bridge as deployed: cache off (every read reaches SMSP), audit trail on,
#     the default bulkhead (at most 64 SMSP calls in flight; a read waits up to 250 ms for a
#     slot, then gets 503, README "Resilience");
#   - through the same bridge with `resilience.bulkhead.max_in_flight = 256`;
#   - through nginx reverse-proxying the raw SOAP request to the same simulator (keep-alive,
#     TLS-MA), which has no cap.
# With a latency, a front's throughput is bounded by the calls it has in flight:
# min(C, cap) / L. The table gives that ceiling, each front's throughput, p50 and p99, its non-2xx
# answers and socket errors, the TLS-MA connections it held open to SMSP halfway through the row, the CPU it spent
# per request (user + system, every thread; nginx's master and workers; not the simulator's),
# the audit records each group commit (one write + fdatasync) carried, and each bridge's
# throughput and p50 against nginx's.
#
# Usage: scripts/bench-latency.sh [DURATION_SECONDS]      (default 6: about 2 minutes of load)
#        LATENCIES="0 25 100" CONNECTIONS="32 128" scripts/bench-latency.sh   (the defaults)
#        AUDIT=off scripts/bench-latency.sh            (both bridges without the audit trail)
#        SMSP_BRIDGE_BIN=… scripts/bench-latency.sh   (measure another build)
# Needs: wrk and nginx (installed from Debian packages when missing), python3, curl.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${1:-6}"
LATENCIES="${LATENCIES:-0 25 100}"
CONNECTIONS="${CONNECTIONS:-32 128}"
AUDIT="${AUDIT:-on}"
source scripts/common.sh
need wrk wrk
need nginx nginx

release_bin --example smsp_samples

start_sim "$BIN" --workers 2
bridge() { # name port [max_in_flight]
  {
    bridge_config "$2" 2 warn false "$([ "$AUDIT" = on ] && echo "$WORK/audit-$1")"
    if [ -n "${3:-}" ]; then printf '[resilience.bulkhead]\nmax_in_flight = %s\n' "$3"; fi
  } >"$WORK/$1.toml"
  $BIN serve --config "$WORK/$1.toml" >"$WORK/$1.log" 2>&1 &
  PIDS+=($!)
  wait_http "http://127.0.0.1:$2/_ping"
}
DEFAULT_PORT=$(free_port); bridge default "$DEFAULT_PORT"; DEFAULT_PID=${PIDS[-1]}
WIDE_PORT=$(free_port); bridge wide "$WIDE_PORT" 256; WIDE_PID=${PIDS[-1]}
# Each bridge's cap, as it reports it (0: none), for the ceiling column.
bulkhead_cap() {
  curl -s "http://127.0.0.1:$1/metrics" | awk '$1 == "smsp_bridge_bulkhead_capacity" {print $2}'
}
echo "bridge $(bulkhead_cap "$DEFAULT_PORT")" >"$WORK/caps"
echo "bridge256 $(bulkhead_cap "$WIDE_PORT")" >>"$WORK/caps"
start_nginx
soap_lua
read_lua

# The simulator's admin API is on its TLS-MA listener.
knob_latency() {
  curl -sfk --cert "$WORK/certs/client.pem" --key "$WORK/certs/client.key" -X PATCH \
    -H 'Content-Type: application/json' -d "{\"latency_ms\": $1}" \
    "https://127.0.0.1:$SIM_PORT/_admin/knobs" >/dev/null
}

# upstream_conns "PID...": TLS connections those processes hold open to the simulator.
upstream_conns() {
  local pattern
  pattern="pid=($(echo "$@" | tr ' ' '|')),"
  ss -tnpH state established "( dport = :$SIM_PORT )" | grep -cE "$pattern" || true
}

run() { # latency conns front pids url lua [bridge port, for its audit commits]
  local out sampler ticks commits=""
  # The connections to SMSP are counted halfway through the row, under load.
  (sleep "$((DURATION / 2))"; upstream_conns "$4" >"$WORK/upstream") &
  sampler=$!
  [ "$AUDIT" = on ] && [ -n "${7:-}" ] && commits=$(audit_commits "$7")
  # shellcheck disable=SC2086 # one argument per process
  ticks=$(cpu_ticks $4)
  out=$(wrk -t2 -c"$2" -d"${DURATION}s" --timeout 5s --latency -s "$6" "$5")
  # shellcheck disable=SC2086
  ticks=$(($(cpu_ticks $4) - ticks))
  # Audit records per group commit during the row: one sync each when it is 1.
  [ -n "$commits" ] && commits=$(echo "$commits $(audit_commits "$7")" | awk '
    {printf "%.1f", ($5 - $2) ? ($4 - $1) / ($5 - $2) : 0}')
  wait "$sampler"
  local reqs rps p50 p99 errors cpu
  read -r reqs rps p50 p99 errors <<<"$(wrk_fields <<<"$out")"
  cpu=$(per_request_us "$ticks" "$reqs")
  echo "$1 $2 $3 $rps $p50 $p99 $errors $(cat "$WORK/upstream") $cpu ${commits:--}" | tee -a "$WORK/results"
  # Reads still in flight when wrk stops would hold bulkhead slots into the next row.
  sleep 1
}

echo "==> warm-up (opens the pooled TLS-MA connections)"
knob_latency 0
for port in "$DEFAULT_PORT" "$WIDE_PORT"; do
  wrk -t2 -c32 -d2s -s "$WORK/read.lua" "http://127.0.0.1:$port$READ" >/dev/null
done
wrk -t2 -c32 -d2s -s "$WORK/soap.lua" "http://127.0.0.1:$NGINX_PORT/smsp/pds" >/dev/null

echo "==> load (${DURATION}s rows, audit trail $AUDIT): latency_ms connections front req/s p50_ms p99_ms errors upstream cpu_us records_per_sync"
for latency in $LATENCIES; do
  knob_latency "$latency"
  for conns in $CONNECTIONS; do
    run "$latency" "$conns" bridge "$DEFAULT_PID" "http://127.0.0.1:$DEFAULT_PORT$READ" "$WORK/read.lua" \
      "$DEFAULT_PORT"
    run "$latency" "$conns" bridge256 "$WIDE_PID" "http://127.0.0.1:$WIDE_PORT$READ" "$WORK/read.lua" \
      "$WIDE_PORT"
    run "$latency" "$conns" nginx "$NGINX_PIDS" "http://127.0.0.1:$NGINX_PORT/smsp/pds" "$WORK/soap.lua"
  done
done

python3 - "$WORK/results" "$WORK/caps" <<'PY'
import sys
rows = {}
for line in open(sys.argv[1]):
    latency, conns, front, rps, p50, p99, errors, upstream, cpu, per_commit = line.split()
    rows.setdefault((int(latency), int(conns)), {})[front] = (
        float(rps), float(p50), float(p99), int(errors), int(upstream), float(cpu), per_commit)
caps = {"nginx": None}
for line in open(sys.argv[2]):
    front, cap = line.split()
    caps[front] = int(float(cap)) or None
print()
print("| SMSP latency | connections | front (cap on calls in flight) | ceiling min(C, cap) / L | req/s | p50 | p99 | errors (non-2xx, socket) | connections to SMSP | CPU per request | audit records per sync | against nginx: req/s, p50 |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|")
for (latency, conns), fronts in sorted(rows.items()):
    nginx_rps, nginx_p50 = fronts["nginx"][0], fronts["nginx"][1]
    for front in ("bridge", "bridge256", "nginx"):
        rps, p50, p99, errors, upstream, cpu, per_commit = fronts[front]
        cap = caps[front]
        in_flight = conns if cap is None else min(conns, cap)
        ceiling = f"{in_flight / latency * 1000:.0f}/s" if latency else "n/a (no latency)"
        over = "" if front == "nginx" else f"{rps / nginx_rps:.2f} x, {p50 - nginx_p50:+.2f} ms"
        print(f"| {latency} ms | {conns} | {front} ({cap or 'none'}) | {ceiling} | {rps:.0f} | {p50:.2f} ms "
              f"| {p99:.2f} ms | {errors} | {upstream} | {cpu:.0f} µs | {per_commit} | {over} |")
PY
