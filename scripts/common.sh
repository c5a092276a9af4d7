# Shared by the measuring scripts (bench.sh, bench-latency.sh, profile-server.sh and others);
# source it after `set -euo pipefail`. It gives a scratch directory ($WORK) and stops every
# background process recorded in $PIDS, and removes $WORK, when the script exits.
WORK="$(mktemp -d)"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

# need COMMAND PACKAGE: installs the Debian package when the command is missing.
need() { command -v "$1" >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq "$2" >/dev/null; }; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# wait_http URL [TRIES]: until URL answers (0.1 s apart; 100 tries by default).
wait_http() {
  for _ in $(seq 1 "${2:-100}"); do curl -sk -o /dev/null "$1" && return 0; sleep 0.1; done
  echo "timeout waiting for $1" >&2
  return 1
}

# release_bin [CARGO ARGS...]: prints the machine and its load, builds the release binary (and
# whatever else the arguments name, e.g. `--example smsp_samples`) and sets BIN to it, or to
# SMSP_BRIDGE_BIN when that is set: another build (an older commit's, say) measured by the same
# script. The simulator comes from the same binary, so each run is self-consistent.
release_bin() {
  echo "==> machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); load: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "==> release build"
  cargo build --release --quiet --bin smsp-bridge "$@"
  BIN="${SMSP_BRIDGE_BIN:-target/release/smsp-bridge}"
}

# start_sim BIN [SIM ARGS...]: the simulator on a free port with certificates generated into
# $WORK/certs; sets SIM_PORT and SIM_PID and waits until the client key is written.
start_sim() {
  local bin="$1"
  shift
  SIM_PORT=$(free_port)
  "$bin" sim --listen "127.0.0.1:$SIM_PORT" --cert-dir "$WORK/certs" "$@" >"$WORK/sim.log" 2>&1 &
  SIM_PID=$!
  PIDS+=("$SIM_PID")
  for _ in $(seq 1 100); do [ -f "$WORK/certs/client.key" ] && break; sleep 0.1; done
  sleep 0.5
}

# The bridge's [smsp] configuration for the simulator start_sim started (TLS-MA with its
# generated certificates), to put in a bridge's config file.
sim_smsp_config() {
  cat <<CFG
[smsp]
url = "https://127.0.0.1:$SIM_PORT/smsp/pds"
client_cert = "$WORK/certs/client.pem"
client_key = "$WORK/certs/client.key"
ca_cert = "$WORK/certs/ca.pem"
CFG
}

# bridge_config PORT WORKERS LOG_FILTER CACHE_ENABLED [AUDIT_DIR] [CACHE_MAX_ENTRIES]: a bridge
# config file's text for the simulator start_sim started, security open (no password hashing),
# the audit trail in AUDIT_DIR when one is given.
bridge_config() {
  cat <<CFG
listen = "127.0.0.1:$1"
workers = $2
[log]
format = "json"
filter = "$3"
$(sim_smsp_config)
[cache]
enabled = $4
CFG
  if [ -n "${6:-}" ]; then echo "max_entries = $6"; fi
  printf '[security]\nmodes = ["open"]\n'
  if [ -n "${5:-}" ]; then printf '[security.audit]\ndir = "%s"\n' "$5"; fi
}

# wrk_fields: reads a `wrk --latency` report on stdin and prints
# "requests req/s p50 p99 errors", the latencies in milliseconds, errors being the non-2xx
# answers plus the socket errors (connect, read, write, timeout).
wrk_fields() {
  awk 'function ms(v) { return v ~ /us$/ ? v / 1000 : v ~ /ms$/ ? v + 0 : v * 1000 }
    / requests in / {n = $1} /^Requests\/sec/ {r = $2}
    $1 == "50%" {p50 = ms($2)} $1 == "99%" {p99 = ms($2)}
    /Non-2xx/ {e += $5} /Socket errors/ {e += $4 + $6 + $8 + $10}
    END {printf "%d %s %.3f %.3f %d\n", n, r, p50, p99, e}'
}

# read_lua: the bridge read every measuring script sends. The simulator's magic NHS number
# 9990000018 always answers SMSP-0000 with a patient, whatever the date of birth. Sets RID, DOB
# and READ (the path below the bridge's root), and writes $WORK/read.lua, a wrk script sending
# the read's headers.
read_lua() {
  RID="5e8d2a1c-7b3f-4c6e-9a1d-2f4b6c8e0a13"
  DOB=1974-08-23
  READ=/personal-demographics/FHIR/R4/Patient/9990000018
  cat >"$WORK/read.lua" <<LUA
wrk.headers["X-Request-ID"] = "$RID"
wrk.headers["X-SMSP-Birth-Date"] = "$DOB"
LUA
}

# per_request_us TICKS REQUESTS: CPU microseconds per request from `cpu_ticks` differences.
per_request_us() {
  awk -v t="$1" -v n="$2" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.1f", t * 1e6 / hz / n}'
}

# cpu_ticks PID...: CPU time (user + system, every thread) the processes have used, in clock
# ticks (getconf CLK_TCK per second).
cpu_ticks() { local t=0 p; for p in "$@"; do t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done; echo "$t"; }

# audit_commits PORT: the audited bridge's group commits so far, as "records commits seconds"
# (its own `smsp_bridge_audit_commit_*` metrics: records committed, commits, time spent writing
# and syncing).
audit_commits() {
  curl -s "http://127.0.0.1:$1/metrics" | awk '
    $1 == "smsp_bridge_audit_commit_records_sum" {r = $2}
    $1 == "smsp_bridge_audit_commit_records_count" {n = $2}
    $1 == "smsp_bridge_audit_commit_seconds_sum" {t = $2}
    END {printf "%d %d %f\n", r, n, t}'
}

# start_nginx: nginx (Debian's package) reverse-proxying everything to the simulator start_sim
# started, as an SMSP client would reach it: keep-alive connections and TLS-MA with the same
# client certificate; sets NGINX_PORT and NGINX_PIDS (master and workers).
start_nginx() {
  NGINX_PORT=$(free_port)
  mkdir -p "$WORK/nginx"
  cat >"$WORK/nginx/nginx.conf" <<CONF
worker_processes 2;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $WORK/nginx;
  proxy_temp_path $WORK/nginx;
  upstream smsp { server 127.0.0.1:$SIM_PORT; keepalive 64; }
  server {
    listen 127.0.0.1:$NGINX_PORT;
    location / {
      proxy_pass https://smsp;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_ssl_certificate $WORK/certs/client.pem;
      proxy_ssl_certificate_key $WORK/certs/client.key;
      proxy_ssl_trusted_certificate $WORK/certs/ca.pem;
      proxy_ssl_verify on;
      # TLS 1.3, as the bridge's rustls client negotiates: Debian's nginx offers only up to
      # TLS 1.2 to upstreams unless told, which would compare two different protocols.
      proxy_ssl_protocols TLSv1.3;
      proxy_ssl_name localhost;
      proxy_ssl_session_reuse on;
    }
  }
}
CONF
  nginx -c "$WORK/nginx/nginx.conf" -g 'daemon off;' &
  PIDS+=($!)
  local master=$!
  sleep 0.5
  NGINX_PIDS="$master $(pgrep -P "$master" | xargs)"
}

# soap_lua: $WORK/soap.lua, a wrk script that POSTs the raw SOAP request a bridge read of the
# magic NHS number 9990000018 makes (getPatientDetailsByNHSNumber, from the smsp_samples
# example, which must be built), for nginx's side of a comparison.
soap_lua() {
  target/release/examples/smsp_samples "$WORK/samples" >/dev/null
  cat >"$WORK/soap.lua" <<LUA
local f = io.open("$WORK/samples/requests/getPatientDetailsByNHSNumber-minimal.xml", "rb")
local body = f:read("*a"); f:close()
wrk.method = "POST"
wrk.body = body
wrk.headers["Content-Type"] = "text/xml; charset=utf-8"
wrk.headers["SOAPAction"] = "urn:nhs-itk:services:201005:getPatientDetailsByNHSNumber-v1-0"
LUA
}
