#!/usr/bin/env bash
# Where the audited cache hit's time goes (issue 9; docs/PERFORMANCE-LOG.md, session 8). One bridge
# with the audit trail on and one with it off (2 workers each, the simulator beside them) take
# wrk's load in turn — `/_ping` and a cache hit, 32 connections, 2 wrk threads — and for each
# row the script prints, besides throughput and p99:
#   - the bridge's CPU per request (user + system, every thread, the audit writer's included);
#   - the bridge's context switches per request (voluntary + involuntary, every thread);
#   - what the whole machine did meanwhile, in clock ticks: user, system, idle, iowait, irq;
# and, for the audited bridge, its group commits (`smsp_bridge_audit_commit_*` metrics).
# Idle ticks in an audited row mean the cores were not the limit: the requests were waiting.
#
# Usage: scripts/audit-load.sh [DURATION_SECONDS]   (default 6)
#        SMSP_BRIDGE_BIN=… scripts/audit-load.sh    (measure another build)
#        AUDIT_DIR=/mnt/x scripts/audit-load.sh     (the audit trail on another volume)
# Needs: wrk (installed from Debian when missing), python3, curl.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${1:-6}"
source scripts/common.sh
need wrk wrk
release_bin
start_sim "$BIN" --workers 2

serve() { # name port [audit dir]
  bridge_config "$2" 2 warn true "${3:-}" >"$WORK/$1.toml"
  "$BIN" serve --config "$WORK/$1.toml" >"$WORK/$1.log" 2>&1 &
  PIDS+=($!)
  wait_http "http://127.0.0.1:$2/_ping"
}
AUDITED_PORT=$(free_port); serve audited "$AUDITED_PORT" "${AUDIT_DIR:-$WORK/audit}"; AUDITED_PID=${PIDS[-1]}
PLAIN_PORT=$(free_port); serve plain "$PLAIN_PORT"; PLAIN_PID=${PIDS[-1]}

read_lua
machine() { awk '/^cpu / {print $2 + $3, $4, $5, $6, $7 + $8}' /proc/stat; }
switches() { cat /proc/"$1"/task/*/status | awk '/ctxt_switches/ {s += $2} END {print s}'; }

echo "| Row | req/s | p99 | bridge CPU µs/request | context switches/request | machine ticks: user, system, idle, iowait, irq | group commits |"
echo "|---|---|---|---|---|---|---|"
for row in "ping, audited:$AUDITED_PORT:/_ping:$AUDITED_PID" "hit, audited:$AUDITED_PORT:$READ:$AUDITED_PID" \
  "hit, audit off:$PLAIN_PORT:$READ:$PLAIN_PID" "ping, audit off:$PLAIN_PORT:/_ping:$PLAIN_PID"; do
  IFS=: read -r name port path pid <<<"$row"
  code=$(curl -s -o /dev/null -w '%{http_code}' -H "X-Request-ID: $RID" -H "X-SMSP-Birth-Date: $DOB" \
    "http://127.0.0.1:$port$path")
  [ "$code" = 200 ] || { echo "warm-up of $name answered $code" >&2; exit 1; }
  m0=$(machine); t0=$(cpu_ticks "$pid"); s0=$(switches "$pid"); c0=$(audit_commits "$AUDITED_PORT")
  out=$(wrk -t2 -c32 -d"${DURATION}s" --latency -s "$WORK/read.lua" "http://127.0.0.1:$port$path")
  m1=$(machine); t1=$(cpu_ticks "$pid"); s1=$(switches "$pid"); c1=$(audit_commits "$AUDITED_PORT")
  read -r requests rps _ p99 _ <<<"$(wrk_fields <<<"$out")"
  cpu_us=$(per_request_us $((t1 - t0)) "$requests")
  python3 - "$name" "$requests" "$rps" "$p99" "$m0" "$m1" "$cpu_us" "$s0" "$s1" "$c0" "$c1" <<'PY'
import sys
name, requests, rps, p99, m0, m1, cpu_us, s0, s1, c0, c1 = sys.argv[1:]
requests, p99, cpu_us = int(requests), f"{float(p99):.2f} ms", float(cpu_us)
ticks = ", ".join(str(int(b) - int(a)) for a, b in zip(m0.split(), m1.split()))
switches = (int(s1) - int(s0)) / requests
(r0, n0, x0), (r1, n1, x1) = c0.split(), c1.split()
records, commits, seconds = int(r1) - int(r0), int(n1) - int(n0), float(x1) - float(x0)
group = (f"{commits}: {records / commits:.1f} records, {seconds / commits * 1000:.2f} ms each"
         if commits else "")
print(f"| {name} | {float(rps):.0f} | {p99} | {cpu_us:.1f} | {switches:.2f} | {ticks} | {group} |")
PY
done
