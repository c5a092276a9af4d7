#!/usr/bin/env bash
# Builds the image from deploy/Dockerfile and runs deploy/compose.yaml under a real Docker
# engine, then checks what scripts/check-deploy.sh can only check without one:
#   1. both build targets build (`runtime` as smsp-bridge:dev, `certs` as smsp-bridge-certs:dev,
#      the names compose.yaml uses), and the bridge stamps the commit it was built from;
#   2. the stack comes up: certs exits 0, sim and bridge turn healthy by their own health checks;
#   3. the bridge container runs as 10001:10001 with a read-only root and no capabilities, and
#      the image carries LICENSE and third-party notices naming every crate compiled in, and
#      the binary the list of those crates that image scanners read (cargo-auditable);
#   4. the documented requests work: /_status passes over TLS-MA, a read returns the Patient and
#      echoes X-Request-ID;
#   5. the container's log is JSON and holds none of that patient's data;
#   6. stopping the simulator fails /_status (503), starting it again passes it; the Helm
#      chart's `helm test` pod script, run in the image on the compose network, passes on the
#      healthy stack and fails while the simulator is stopped;
#   7. `stop` (SIGTERM) ends the bridge with exit code 0 within stop_grace_period, and the audit
#      volume holds a hash chain that `smsp-bridge audit verify` accepts, and `audit search`
#      finds the read in it by patient and request id.
# The stack runs as compose project "smspsmoke" on compose.yaml's ports (127.0.0.1:8080, :9443)
# and is removed, volumes included, on exit.
#
# Usage: scripts/docker-smoke.sh [--no-build]
# Needs: a running engine with BuildKit (docker buildx, or DOCKER_BUILDKIT=1 with a client that
# has it built in; DOCKER names the client), `docker compose` or docker-compose, curl, python3,
# cargo (to list the crates the image must account for) and objcopy (binutils).
# The base images must be pullable or present (scripts/docker-bases.sh makes stand-ins).
set -euo pipefail
cd "$(dirname "$0")/.."
DOCKER="${DOCKER:-docker}"
PROJECT=smspsmoke
BASE=http://127.0.0.1:8080
FHIR="$BASE/personal-demographics/FHIR/R4"
# A simulator patient (README, "Simulator") and the facts about it a log must not contain.
NHS=9990001006
DOB=1980-01-15
FAMILY=FAIRWEATHER

if "$DOCKER" compose version >/dev/null 2>&1; then
  compose=("$DOCKER" compose)
else
  compose=(docker-compose)
fi
compose+=(-p "$PROJECT" -f deploy/compose.yaml)

fail() {
  echo "FAIL: $*" >&2
  "${compose[@]}" logs --no-color --tail 30 >&2 2>&1 || true
  exit 1
}
ok() { echo "ok: $*"; }
cleanup() {
  "${compose[@]}" down -v --remove-orphans >/dev/null 2>&1 || true
  rm -f "${from_image:-}"
}
trap cleanup EXIT

build() {
  local args=(-f deploy/Dockerfile --build-arg "GIT_COMMIT=$(git rev-parse HEAD)"
    --build-arg "BUILD_TIME=$(date -u +%Y-%m-%dT%H:%M:%SZ)")
  if "$DOCKER" buildx version >/dev/null 2>&1; then
    "$DOCKER" buildx build --load "${args[@]}" "$@" .
  else
    DOCKER_BUILDKIT=1 "$DOCKER" build "${args[@]}" "$@" .
  fi
}

if [ "${1:-}" != "--no-build" ]; then
  start=$(date +%s)
  build --target runtime -t smsp-bridge:dev
  build --target certs -t smsp-bridge-certs:dev
  ok "images built in $(($(date +%s) - start)) s: $("$DOCKER" image inspect -f '{{.Size}}' smsp-bridge:dev) bytes (runtime)"
fi

if curl -s -o /dev/null "$BASE/_ping"; then
  fail "something already listens on 127.0.0.1:8080"
fi
cleanup
"${compose[@]}" up -d --no-build

# poll TRIES PAUSE WANT COMMAND...: runs COMMAND until it prints WANT, at most TRIES times
# PAUSE seconds apart; leaves its last output in $got and fails (1) if it never printed WANT.
poll() {
  local tries="$1" pause="$2" want="$3"
  shift 3
  for _ in $(seq 1 "$tries"); do
    got=$("$@")
    [ "$got" = "$want" ] && return 0
    sleep "$pause"
  done
  return 1
}

container() { "${compose[@]}" ps -q "$1"; }
health() { "$DOCKER" inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}' "$(container "$1")"; }
poll 90 1 healthy health bridge || fail "bridge not healthy after 90 s: $got"
[ "$(health sim)" = healthy ] || fail "sim not healthy: $(health sim)"
certs_exit=$("$DOCKER" inspect -f '{{.State.ExitCode}}' "$(container certs)")
[ "$certs_exit" = 0 ] || fail "certs exited $certs_exit"
ok "certs exited 0; sim and bridge healthy by their health checks"

bridge=$(container bridge)
shape=$("$DOCKER" inspect -f '{{.Config.User}} {{.HostConfig.ReadonlyRootfs}} {{.HostConfig.CapDrop}}' "$bridge")
[ "$shape" = "10001:10001 true [ALL]" ] || fail "bridge container: user, read-only root, cap_drop = $shape"
ok "bridge runs as 10001:10001, read-only root, no capabilities"
# image_file PATH: a file of the runtime image, on stdout.
image_file() { "$DOCKER" run --rm --entrypoint cat smsp-bridge:dev "$1"; }
image_file /usr/share/doc/smsp-bridge/LICENSE | cmp -s - LICENSE \
  || fail "the image does not carry LICENSE at /usr/share/doc/smsp-bridge/LICENSE"
from_image="$(mktemp)"
image_file /usr/share/doc/smsp-bridge/THIRD-PARTY-NOTICES >"$from_image" \
  || fail "the image does not carry /usr/share/doc/smsp-bridge/THIRD-PARTY-NOTICES"
python3 deploy/check/supply_chain.py notices . "$from_image" \
  || fail "the image's THIRD-PARTY-NOTICES do not cover the crates compiled in"
ok "the image carries the licence and the third-party notices"
image_file /usr/local/bin/smsp-bridge >"$from_image"
python3 deploy/check/supply_chain.py dependencies . "$from_image" \
  || fail "the image's binary does not carry its dependency list for scanners"
ok "the binary carries its dependency list (cargo-auditable) for image scanners"

# json_field JSON EXPR: a Python expression over the parsed body `b`.
json_field() { python3 -c 'import json,sys; b=json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$1" "$2"; }

ping=$(curl -sf "$BASE/_ping") || fail "/_ping"
[ "$(json_field "$ping" 'b["commitId"]')" = "$(git rev-parse HEAD)" ] \
  || fail "/_ping commitId is not this commit: $ping"
ok "/_ping reports commit $(git rev-parse --short HEAD)"

status_of() { curl -s -o /dev/null -w '%{http_code}' "$BASE/_status"; }
status=$(curl -s "$BASE/_status")
[ "$(json_field "$status" 'b["status"]')" = pass ] || fail "/_status: $status"
ok "/_status passes (SMSP reachable over TLS-MA)"

request_id=$(python3 -c 'import uuid; print(uuid.uuid4())')
headers="$(mktemp)"
body=$(curl -s -D "$headers" -H "X-Request-ID: $request_id" -H "X-SMSP-Birth-Date: $DOB" \
  "$FHIR/Patient/$NHS")
grep -q '^HTTP/1.1 200' "$headers" || fail "read: $(head -1 "$headers")"
grep -qi "^x-request-id: $request_id" "$headers" || fail "read did not echo X-Request-ID"
grep -qi '^content-type: application/fhir+json' "$headers" || fail "read content type"
[ "$(json_field "$body" 'b["resourceType"], b["id"]')" = "('Patient', '$NHS')" ] \
  || fail "read body: ${body:0:200}"
rm -f "$headers"
ok "read of $NHS: 200 Patient, X-Request-ID echoed"

logs=$("$DOCKER" logs "$bridge" 2>&1)
grep -q "$request_id" <<<"$logs" || fail "the bridge's log has no line for the read"
python3 -c 'import json,sys; [json.loads(l) for l in sys.stdin if l.strip()]' <<<"$logs" \
  || fail "the bridge's log is not JSON lines"
for secret in "$NHS" "$DOB" "$FAMILY"; do
  if grep -qi -- "$secret" <<<"$logs"; then fail "the bridge's log contains patient data"; fi
done
ok "the bridge's log is JSON lines with no patient data"

# The Helm chart's `helm test` pod (templates/tests/test-service.yaml): its script, as the chart
# renders it, run in the image on the compose network as the pod would run it, with the
# Service's address replaced by the compose service's. Needs check-deploy.sh's Helm and Python.
# shellcheck source=scripts/deploy-tools.sh
source scripts/deploy-tools.sh
helm_test_script=""
if [ -x "$HELM" ] && [ -x "$VENV/bin/python" ]; then
  helm_test_script=$("$HELM" template smoke deploy/helm/smsp-bridge --show-only templates/tests/test-service.yaml \
    | "$VENV/bin/python" -c 'import sys, yaml
c = yaml.safe_load(sys.stdin)["spec"]["containers"][0]
assert c["command"] == ["/bin/bash", "-c"], c["command"]
print(c["args"][0])')
fi
helm_test() {
  "$DOCKER" run --rm --network "${PROJECT}_default" --read-only --cap-drop ALL --user 10001:10001 \
    -e SMSP_BRIDGE_HEALTHCHECK_HOST=bridge -e SMSP_BRIDGE_HEALTHCHECK_PORT=8080 \
    --entrypoint /bin/bash smsp-bridge:dev -c "$helm_test_script" 2>&1
}
if [ -n "$helm_test_script" ]; then
  out=$(helm_test) || fail "the chart's helm test pod failed against a healthy stack: $out"
  grep -q "^ok: /_ping and /_status through the Service" <<<"$out" || fail "helm test said: $out"
fi

# /_status reuses its last probe for status_cache_ms (2 s): poll past that.
"${compose[@]}" stop sim >/dev/null 2>&1
poll 20 0.5 503 status_of || fail "/_status with the simulator stopped: $got"
if [ -n "$helm_test_script" ] && out=$(helm_test); then
  fail "the chart's helm test pod passed with SMSP down: $out"
fi
"${compose[@]}" start sim >/dev/null 2>&1
poll 60 0.5 200 status_of || fail "/_status after the simulator came back: $got"
ok "/_status: 503 with the simulator stopped, 200 once it is back"
if [ -n "$helm_test_script" ]; then
  ok "the chart's helm test pod passes on the stack, and fails while SMSP is down"
else
  echo "skip: the chart's helm test pod (no Helm in $TOOLS: run scripts/check-deploy.sh first)"
fi

start=$(date +%s)
"${compose[@]}" stop bridge >/dev/null 2>&1
took=$(($(date +%s) - start))
code=$("$DOCKER" inspect -f '{{.State.ExitCode}}' "$bridge")
[ "$code" = 0 ] || fail "bridge exit code after SIGTERM: $code"
[ "$took" -lt 20 ] || fail "bridge took ${took} s to stop (stop_grace_period 20 s)"
audit_volume="${PROJECT}_audit"
"$DOCKER" run --rm -v "$audit_volume:/a:ro" --entrypoint bash smsp-bridge:dev -c \
  "smsp-bridge audit verify /a/*.jsonl &&
   smsp-bridge audit search /a --nhs-number $NHS --request-id '$request_id' | grep -q '$request_id'" \
  || fail "audit trail in the volume"
ok "SIGTERM: exit 0 in ${took} s; the audit chain verifies and audit search finds the read"
echo "docker smoke: all checks passed"
