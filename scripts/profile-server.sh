#!/usr/bin/env bash
# Instructions per request of the whole bridge server, counted by callgrind (issue 9). Unlike
# throughput, the count does not depend on what else the machine is doing, so it is the
# before/after measure for a change on a shared machine. It counts user space only (every
# thread, the log writer's included); system calls are not in it.
#
# Usage: scripts/profile-server.sh [PATH] [LOG_FILTER] [REQUESTS]
#        scripts/profile-server.sh /_ping info 2000
#        scripts/profile-server.sh /Patient/9990000018 warn 2000   (a cache hit)
#        CACHE=false scripts/profile-server.sh /Patient/9990000018 warn 1000   (a miss: bridge only)
#        AUDIT=true scripts/profile-server.sh /Patient/9990000018 warn 2000    (a hit, audited)
# PATH is below the FHIR base; reads send X-SMSP-Birth-Date for the simulator's 9990000018.
# The bridge runs with 1 worker, the cache on (CACHE=false: off), security open, no audit trail
# (AUDIT=true: one in the scratch dir; valgrind emulates no SHA extensions, so the trail's SHA-256
# is counted in software, several times what it costs natively), and the
# simulator (not profiled) beside it. Prints the instructions per request; the callgrind file
# is left in target/ for callgrind_annotate.
# Needs: valgrind (installed from Debian when missing), python3, curl.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUTE="${1:-/_ping}"
FILTER="${2:-info}"
REQUESTS="${3:-2000}"
source scripts/common.sh
need valgrind valgrind
release_bin
start_sim "$BIN" --workers 1

PORT=$(free_port)
bridge_config "$PORT" 1 "$FILTER" "${CACHE:-true}" "$([ "${AUDIT:-false}" = true ] && echo "$WORK/audit")" \
  >"$WORK/bridge.toml"
mkdir -p target
OUT="$PWD/target/callgrind.server.$(date +%H%M%S)"
valgrind --tool=callgrind --callgrind-out-file="$OUT" "$BIN" serve --config "$WORK/bridge.toml" \
  >"$WORK/bridge.log" 2>"$WORK/valgrind.log" &
VG=$!
PIDS+=($VG)
wait_http "http://127.0.0.1:$PORT/_ping" 600   # valgrind starts slowly

send() { # count: keep-alive requests on one connection
  python3 - "$PORT" "/personal-demographics/FHIR/R4$ROUTE" "$1" <<'PY'
import http.client, sys
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]))
headers = {"X-Request-ID": "5e8d2a1c-7b3f-4c6e-9a1d-2f4b6c8e0a13", "X-SMSP-Birth-Date": "1974-08-23"}
path = sys.argv[2] if "/_ping" not in sys.argv[2] else "/_ping"
for _ in range(int(sys.argv[3])):
    c.request("GET", path, headers=headers)
    r = c.getresponse()
    r.read()
    if r.status != 200:
        sys.exit(f"{path} answered {r.status}")
PY
}
send 500                      # warm-up: caches, pools, lazily built state
sleep 1
callgrind_control -z "$VG" >/dev/null
send "$REQUESTS"
sleep 1
callgrind_control -d "$VG" >/dev/null
sleep 1
DUMP=$(ls -t "$OUT".* | head -1)
TOTAL=$(callgrind_annotate "$DUMP" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}')
echo "$ROUTE, log filter $FILTER: $((TOTAL / REQUESTS)) instructions per request ($REQUESTS requests; $DUMP)"
