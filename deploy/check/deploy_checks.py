#!/usr/bin/env python3
"""Structural and policy checks of the deploy artefacts, run by scripts/check-deploy.sh.

Subcommands (each prints what it checked and exits 1 listing every problem found):

  dockerfile  REPO               deploy/Dockerfile's shape (dockerfile-parse), .dockerignore,
                                 and that everything the build copies or include_str!s is in
                                 the build context
  build-context REPO             stages the builder's COPYs and lets cargo load the manifest
                                 and lock file there (no compilation)
  compose     REPO               deploy/compose.yaml's services, wiring and hardening
  manifests   RENDER.yaml NAME   a rendered chart: kinds, security context, probes, mounts,
                                 secrets, config.toml, HPA/PDB/Service/NetworkPolicy wiring,
                                 what the Ingress routes, what the ServiceMonitor selects,
                                 what the PrometheusRule and the dashboard ConfigMap hold
  extract-config RENDER.yaml DIR writes the ConfigMap's config.toml and mapping files to DIR
  crd-docs    RENDER.yaml OUT    writes the rendered documents as a JSON array (for
                                 crd-validate.js)
  dashboard   DASHBOARD.json OUT the Grafana dashboard's shape (ids, grid, datasource and
                                 instance variables on every query); writes its queries to
                                 OUT as recording rules for `promtool check rules`
  smoke       REPO BIN PKI_DIR   runs the compose stack's sim and bridge commands as local
                                 processes on loopback (no Docker): health probe, /_status,
                                 a FHIR read, SIGTERM drain

Schema validation is not done here (kubernetes-validate, crd-validate.js and `docker-compose
config` do it).
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import tomllib
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import yaml

from report import Problems, run

AUDIT_DIR = "/var/lib/smsp-bridge/audit"
CONFIG_PATH = "/etc/smsp-bridge/config.toml"
DOC_DIR = "/usr/share/doc/smsp-bridge"
CHART = Path(__file__).resolve().parents[1] / "helm" / "smsp-bridge"


# --------------------------------------------------------------------------------------------
# .dockerignore (Docker's semantics, the subset that matters: Go filepath.Match patterns with
# `**`, leading `/` ignored, a pattern matching a directory excludes everything below it,
# `!` re-includes, the last matching pattern wins).


def load_dockerignore(path: Path) -> list[tuple[bool, str]]:
    rules = []
    if not path.is_file():
        return rules
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        if negate:
            line = line[1:].strip()
        line = os.path.normpath(line.lstrip("/")).replace(os.sep, "/")
        rules.append((negate, line))
    return rules


def _pattern_regex(pattern: str) -> re.Pattern:
    out = ""
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith("**/", i):
            out += "(?:.*/)?"
            i += 3
            continue
        if pattern.startswith("**", i):
            out += ".*"
            i += 2
            continue
        if c == "*":
            out += "[^/]*"
        elif c == "?":
            out += "[^/]"
        else:
            out += re.escape(c)
        i += 1
    return re.compile(out)


def dockerignored(rules: list[tuple[bool, str]], rel: str) -> bool:
    """Whether path `rel` (relative to the context) is left out of the build context."""
    parts = rel.split("/")
    excluded = False
    for negate, pattern in rules:
        rx = _pattern_regex(pattern)
        # The path itself or any parent directory matching excludes it.
        hit = any(rx.fullmatch("/".join(parts[: n + 1])) for n in range(len(parts)))
        if hit:
            excluded = not negate
    return excluded


# --------------------------------------------------------------------------------------------


def cmd_dockerfile(repo: Path) -> int:
    from dockerfile_parse import DockerfileParser

    p = Problems("Dockerfile")
    path = repo / "deploy" / "Dockerfile"
    parser = DockerfileParser(path=str(path))
    instructions = parser.structure
    ignore_rules = load_dockerignore(repo / ".dockerignore")
    p.check(bool(ignore_rules), ".dockerignore at the repository root is missing or empty")
    p.check(dockerignored(ignore_rules, "target") and dockerignored(ignore_rules, "target/release/x"),
            ".dockerignore must exclude target/")

    # ARG defaults before the first FROM, for resolving base images.
    args: dict[str, str] = {}
    stages: list[dict] = []
    for ins in instructions:
        name, value = ins["instruction"], ins["value"]
        if name == "ARG" and not stages:
            key, _, default = value.partition("=")
            args[key.strip()] = default.strip().strip('"')
        elif name == "FROM":
            m = re.match(r"(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?", value, re.I)
            image = re.sub(r"\$\{?(\w+)\}?", lambda mm: args.get(mm.group(1), mm.group(0)), m.group(1))
            stages.append({"image": image, "name": (m.group(2) or "").lower(), "ins": []})
        elif stages:
            stages[-1]["ins"].append(ins)
    p.check(len(stages) >= 2, f"expected a multi-stage build, found {len(stages)} FROM")
    names = [s["name"] for s in stages]
    for wanted in ("builder", "runtime", "certs"):
        p.check(wanted in names, f"no stage named {wanted!r} (stages: {names})")
    for s in stages:
        img = s["image"]
        p.check("$" not in img, f"FROM {img}: unresolved build argument")
        tag = img.split("@")[0].rsplit("/", 1)[-1]
        p.check(":" in tag or "@" in img, f"FROM {img}: base image must carry a tag or digest")
        p.check(not tag.endswith(":latest"), f"FROM {img}: do not build on :latest")
    final = stages[-1]
    p.check(final["name"] == "runtime", f"the last (default) stage must be 'runtime', is {final['name']!r}")

    def of(stage, instruction):
        return [i for i in stage["ins"] if i["instruction"] == instruction]

    builder = next((s for s in stages if s["name"] == "builder"), None)
    if builder:
        runs = " ".join(i["value"] for i in of(builder, "RUN"))
        # `auditable`: the binary carries its dependency tree for image scanners (docs/DEPLOY.md).
        p.check(re.search(r"cargo auditable build\b[^&;]*--release", runs) is not None
                and re.search(r"cargo auditable build\b[^&;]*--locked", runs) is not None,
                "builder must run `cargo auditable build --release --locked`")
        p.check(final["image"] != builder["image"], "the runtime stage must not be the Rust toolchain image")
        p.check(re.search(r"cargo about generate\b[^&;]*--frozen[^&;]*-c deploy/licences/about\.toml", runs)
                is not None,
                "builder must write the third-party notices (`cargo about generate --frozen -c "
                "deploy/licences/about.toml`)")
    p.check(not final["image"].startswith("rust:"), f"runtime base {final['image']} is a toolchain image")

    users = of(final, "USER")
    user = users[-1]["value"].split(":")[0].strip() if users else ""
    p.check(bool(users), "runtime stage has no USER (would run as root)")
    p.check(user not in ("", "root", "0"), f"runtime USER is {user!r}: must be non-root")
    p.check(user.isdigit(), f"runtime USER {user!r} should be numeric so runAsNonRoot can verify it")

    hc = of(final, "HEALTHCHECK")
    p.check(len(hc) == 1 and not hc[0]["value"].strip().upper().startswith("NONE"),
            "runtime stage needs exactly one HEALTHCHECK (not NONE)")
    if hc:
        hv = hc[0]["value"]
        p.check("CMD" in hv, "HEALTHCHECK has no CMD")
        for opt in ("--interval", "--timeout", "--start-period", "--retries"):
            p.check(opt in hv, f"HEALTHCHECK should set {opt}")
        probe = re.search(r'CMD\s+\[\s*"([^"]+)"', hv)
        if probe:
            copied = " ".join(i["value"] for i in of(final, "COPY"))
            p.check(probe.group(1) in copied or probe.group(1).startswith("/"),
                    f"HEALTHCHECK runs {probe.group(1)!r}, which the runtime stage does not COPY in")

    ep = of(final, "ENTRYPOINT")
    p.check(bool(ep) and _exec_form(ep[-1]["value"]) == ["smsp-bridge"],
            f"ENTRYPOINT must be [\"smsp-bridge\"] (exec form), is {ep[-1]['value'] if ep else None}")
    cmd = of(final, "CMD")
    p.check(bool(cmd) and _exec_form(cmd[-1]["value"]) == ["serve", "--config", CONFIG_PATH],
            f"CMD must be [\"serve\", \"--config\", \"{CONFIG_PATH}\"] (exec form)")
    exposes = " ".join(i["value"] for i in of(final, "EXPOSE")).split()
    p.check("8080" in [e.split("/")[0] for e in exposes], f"EXPOSE 8080 missing (EXPOSE {exposes})")
    p.check(any("--from=builder" in i["value"] for i in of(final, "COPY")),
            "runtime stage must COPY the binary --from=builder")
    # The licences ask that their notices travel with the binary (README, Licence).
    copied = " ".join(i["value"] for i in of(final, "COPY"))
    for notice in ("LICENSE", "THIRD-PARTY-NOTICES"):
        p.check(f"{DOC_DIR}/{notice}" in copied, f"runtime stage does not COPY {notice} to {DOC_DIR}")
    volumes = " ".join(i["value"] for i in of(final, "VOLUME"))
    p.check(AUDIT_DIR in volumes, f"runtime stage should declare VOLUME {AUDIT_DIR} (the only writable path)")
    p.check(not any(i["instruction"] == "ADD" for s in stages for i in s["ins"]), "use COPY, not ADD")

    # The image's default config must listen on the exposed port the HEALTHCHECK probes.
    cfg_copy = [i["value"] for i in of(final, "COPY") if CONFIG_PATH in i["value"]]
    p.check(bool(cfg_copy), f"runtime stage does not COPY a config to {CONFIG_PATH}")

    # Every COPY source from the context exists and is not .dockerignored.
    for s in stages:
        for i in of(s, "COPY"):
            if "--from=" in i["value"]:
                continue
            parts = [x for x in _copy_args(i["value"]) if not x.startswith("--")]
            for src in parts[:-1]:
                src_path = repo / src
                p.check(src_path.exists(), f"COPY {src}: not found in the repository")
                p.check(not dockerignored(ignore_rules, src.rstrip("/").lstrip("./") or "."),
                        f"COPY {src}: excluded by .dockerignore")
                if src_path.is_dir():
                    for f in src_path.rglob("*"):
                        rel = f.relative_to(repo).as_posix()
                        if f.is_file() and f.suffix in (".rs", ".toml", ".csv") and dockerignored(ignore_rules, rel):
                            p.items.append(f"{rel} is needed by the build but excluded by .dockerignore")

    # Files compiled into the binary must be in the context the builder copies.
    copied_dirs = set()
    if builder:
        for i in of(builder, "COPY"):
            for src in [x for x in _copy_args(i["value"]) if not x.startswith("--")][:-1]:
                copied_dirs.add(src.rstrip("/").lstrip("./"))
    for rs in sorted((repo / "src").rglob("*.rs")):
        for m in re.finditer(r'include_(?:str|bytes)!\(\s*"([^"]+)"\s*\)', rs.read_text()):
            target = (rs.parent / m.group(1)).resolve()
            try:
                rel = target.relative_to(repo.resolve()).as_posix()
            except ValueError:
                p.items.append(f"{rs.relative_to(repo)} includes {m.group(1)}, outside the repository")
                continue
            p.check(any(rel == d or rel.startswith(d + "/") for d in copied_dirs),
                    f"{rs.relative_to(repo)} includes {rel}, which the builder stage does not COPY")
            p.check(not dockerignored(ignore_rules, rel), f"{rel} (include_str!) is excluded by .dockerignore")
    cargo = tomllib.loads((repo / "Cargo.toml").read_text())
    build_rs = cargo.get("package", {}).get("build")
    if (repo / "build.rs").exists() or build_rs:
        p.check(any(d in ("build.rs", str(build_rs)) for d in copied_dirs),
                "Cargo has a build script the builder stage does not COPY")
    # Cargo reads every declared target's file to load the manifest, even to build one bin:
    # each must be in the builder stage (copied, and not .dockerignored).
    default_dirs = {"test": "tests", "example": "examples", "bench": "benches", "bin": "src/bin"}
    for section in ("bin", "lib", "test", "example", "bench"):
        entries = cargo.get(section, [])
        entries = [entries] if isinstance(entries, dict) else entries
        for t in entries:
            tp = t.get("path")
            if not tp and section in default_dirs and t.get("name"):
                base = f"{default_dirs[section]}/{t['name']}"
                tp = f"{base}.rs" if (repo / f"{base}.rs").exists() else f"{base}/main.rs"
            if not tp:
                continue
            p.check((repo / tp).exists(), f"Cargo.toml [[{section}]] {tp}: file not found")
            p.check(any(tp == d or tp.startswith(d + "/") for d in copied_dirs),
                    f"Cargo.toml [[{section}]] {tp} is not copied into the builder stage: "
                    "cargo build would fail to load the manifest")
            p.check(not dockerignored(ignore_rules, tp),
                    f"Cargo.toml [[{section}]] {tp} is excluded by .dockerignore")

    cfg = tomllib.loads((repo / "deploy" / "config" / "bridge.toml").read_text())
    p.check(cfg.get("listen", "").endswith(":8080") and cfg.get("listen", "").startswith("0.0.0.0"),
            "deploy/config/bridge.toml must listen on 0.0.0.0:8080 (EXPOSE and HEALTHCHECK use 8080)")
    return p.finish()


def cmd_build_context(repo: Path) -> int:
    """Stages what the builder stage COPYs (honouring .dockerignore) and asks cargo to load the
    manifest there, as `cargo build` in the image would, without compiling anything: a build
    for a bin that does not exist fails after the manifest and lock file have been loaded, and
    its error lists the real bin targets."""
    import shutil
    from dockerfile_parse import DockerfileParser

    p = Problems("builder build context")
    rules = load_dockerignore(repo / ".dockerignore")
    stage = None
    copies = []
    for ins in DockerfileParser(path=str(repo / "deploy" / "Dockerfile")).structure:
        if ins["instruction"] == "FROM":
            stage = (re.search(r"\bAS\s+(\S+)", ins["value"], re.I) or [None, ""])[1].lower()
        elif stage == "builder" and ins["instruction"] == "COPY" and "--from=" not in ins["value"]:
            copies.append([x for x in _copy_args(ins["value"]) if not x.startswith("--")])
    with tempfile.TemporaryDirectory(prefix="smsp-build-context-") as tmp:
        ctx = Path(tmp)
        for args in copies:
            *sources, dest = args
            dest_dir = ctx / dest
            for src in sources:
                src_path = repo / src
                if not p.check(src_path.exists(), f"COPY {src}: not in the repository"):
                    continue
                if src_path.is_dir():
                    for f in sorted(src_path.rglob("*")):
                        rel = f.relative_to(repo).as_posix()
                        if f.is_file() and not dockerignored(rules, rel):
                            target = dest_dir / f.relative_to(src_path)
                            target.parent.mkdir(parents=True, exist_ok=True)
                            shutil.copy2(f, target)
                else:
                    target = dest_dir / src_path.name if (dest.endswith("/") or len(sources) > 1) else dest_dir
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(src_path, target)
        probe = "__manifest_probe__"
        r = subprocess.run(["cargo", "build", "--release", "--locked", "--bin", probe], cwd=ctx,
                           capture_output=True, text=True,
                           env=dict(os.environ, CARGO_TARGET_DIR=str(ctx / "target")))
        out = r.stderr + r.stdout
        ok = "available bin targets" in out and "smsp-bridge" in out.split("available bin targets", 1)[1]
        if not p.check(ok, "cargo cannot load the manifest from the builder's files:\n    "
                       + "\n    ".join(out.strip().splitlines()[-6:])):
            pass
    return p.finish()


def _exec_form(value: str):
    try:
        v = json.loads(value)
        return v if isinstance(v, list) else None
    except json.JSONDecodeError:
        return None


def _copy_args(value: str) -> list[str]:
    v = _exec_form(value)
    return v if v is not None else value.split()


# --------------------------------------------------------------------------------------------


def _svc_env(svc: dict) -> dict:
    env = svc.get("environment") or {}
    if isinstance(env, list):
        env = dict(e.split("=", 1) if "=" in e else (e, "") for e in env)
    return {k: str(v) for k, v in env.items()}


def _volumes(svc: dict) -> list[tuple[str, str, str]]:
    out = []
    for v in svc.get("volumes") or []:
        if isinstance(v, str):
            parts = v.split(":")
            src, dst = parts[0], parts[1] if len(parts) > 1 else parts[0]
            mode = parts[2] if len(parts) > 2 else "rw"
        else:
            src, dst = v.get("source", ""), v.get("target", "")
            mode = "ro" if v.get("read_only") else "rw"
        out.append((src, dst, mode))
    return out


def _duration_seconds(value) -> float:
    if isinstance(value, (int, float)):
        return float(value)
    total = 0.0
    for num, unit in re.findall(r"([\d.]+)(ms|us|h|m|s)", str(value)):
        total += float(num) * {"h": 3600, "m": 60, "s": 1, "ms": 0.001, "us": 1e-6}[unit]
    return total


def cmd_compose(repo: Path) -> int:
    from dockerfile_parse import DockerfileParser

    p = Problems("compose.yaml")
    compose_path = repo / "deploy" / "compose.yaml"
    doc = yaml.safe_load(compose_path.read_text())
    services = doc.get("services", {})
    for name in ("certs", "sim", "bridge"):
        p.check(name in services, f"service {name!r} missing")
    if p.items:
        return p.finish()
    stages = {
        re.search(r"\bAS\s+(\S+)", i["value"], re.I).group(1).lower()
        for i in DockerfileParser(path=str(repo / "deploy" / "Dockerfile")).structure
        if i["instruction"] == "FROM" and re.search(r"\bAS\s+", i["value"], re.I)
    }
    volumes_declared = set((doc.get("volumes") or {}).keys())
    for name, svc in services.items():
        b = svc.get("build")
        if b:
            ctx = (compose_path.parent / b.get("context", ".")).resolve()
            p.check(ctx == repo.resolve(), f"{name}: build context must be the repository root, is {ctx}")
            p.check((ctx / b.get("dockerfile", "Dockerfile")).resolve() == (repo / "deploy/Dockerfile").resolve(),
                    f"{name}: must build deploy/Dockerfile")
            p.check(b.get("target") in stages, f"{name}: build target {b.get('target')!r} is not a Dockerfile stage")
        p.check(svc.get("read_only") is True, f"{name}: read_only: true expected")
        p.check("ALL" in (svc.get("cap_drop") or []), f"{name}: cap_drop: [ALL] expected")
        p.check(not svc.get("privileged"), f"{name}: must not be privileged")
        p.check(str(svc.get("user", "10001")).split(":")[0] not in ("0", "root"), f"{name}: must not run as root")
        p.check(any("no-new-privileges" in s for s in svc.get("security_opt") or []),
                f"{name}: security_opt no-new-privileges expected")
        for src, dst, mode in _volumes(svc):
            if src.startswith(".") or src.startswith("/"):
                p.check((compose_path.parent / src).exists(), f"{name}: bind source {src} does not exist")
            else:
                p.check(src in volumes_declared, f"{name}: volume {src!r} is not declared under volumes:")
        for port in svc.get("ports") or []:
            p.check(str(port).startswith("127.0.0.1:"), f"{name}: publish {port} on 127.0.0.1 only")

    certs, sim, bridge = services["certs"], services["sim"], services["bridge"]
    p.check(certs.get("build", {}).get("target") == "certs", "certs: must build the Dockerfile's certs stage")
    cert_vol = next((src for src, dst, _ in _volumes(certs) if dst == "/certs"), None)
    p.check(cert_vol is not None, "certs: must mount a volume at /certs")
    p.check(str(certs.get("restart", "no")) == "no", "certs: one-shot service must not restart")
    sans = _svc_env(certs).get("SMSP_TEST_PKI_SANS", "DNS:sim,DNS:localhost,IP:127.0.0.1")

    sim_cmd = [str(x) for x in sim.get("command") or []]
    p.check(sim_cmd[:1] == ["sim"], f"sim: command must start with `sim`, is {sim_cmd[:1]}")

    def flag(cmd, name):
        return cmd[cmd.index(name) + 1] if name in cmd and cmd.index(name) + 1 < len(cmd) else None

    listen = flag(sim_cmd, "--listen") or ""
    p.check(listen.startswith("0.0.0.0:"), f"sim: --listen must be 0.0.0.0:PORT to be reachable, is {listen!r}")
    sim_port = listen.rsplit(":", 1)[-1]
    sim_mounts = {dst: (src, mode) for src, dst, mode in _volumes(sim)}
    for f in ("--cert", "--key", "--client-ca"):
        v = flag(sim_cmd, f)
        p.check(v is not None and v.startswith("/certs/"), f"sim: {f} must name a file in /certs, is {v!r}")
    p.check(sim_mounts.get("/certs", (None,))[0] == cert_vol, "sim: must mount the certs volume at /certs")
    p.check(sim.get("depends_on", {}).get("certs", {}).get("condition") == "service_completed_successfully",
            "sim: depends_on certs with condition service_completed_successfully")
    p.check(bool(sim.get("healthcheck", {}).get("test")), "sim: needs its own healthcheck (the image's probes 8080)")
    p.check(sim.get("stop_signal") == "SIGINT", "sim: stop_signal SIGINT (the simulator stops on Ctrl-C only)")

    env = _svc_env(bridge)
    url = env.get("SMSP_BRIDGE__SMSP__URL", "")
    m = re.match(r"https://([^/:]+):(\d+)/", url)
    p.check(m is not None, f"bridge: SMSP_BRIDGE__SMSP__URL must be https://HOST:PORT/…, is {url!r}")
    if m:
        host, port = m.groups()
        p.check(host in services, f"bridge: SMSP URL host {host!r} is not a compose service")
        p.check(port == sim_port, f"bridge: SMSP URL port {port} != sim --listen port {sim_port}")
        p.check(f"DNS:{host}" in sans.split(","),
                f"bridge: the sim certificate SANs ({sans}) do not include {host!r}: TLS would fail")
    bridge_mounts = {dst: (src, mode) for src, dst, mode in _volumes(bridge)}
    for key in ("CLIENT_CERT", "CLIENT_KEY", "CA_CERT"):
        v = env.get(f"SMSP_BRIDGE__SMSP__{key}", "")
        p.check(v.startswith("/certs/"), f"bridge: SMSP_BRIDGE__SMSP__{key} must point into /certs, is {v!r}")
    p.check(bridge_mounts.get("/certs", (None,))[0] == cert_vol, "bridge: must mount the certs volume at /certs")
    p.check(bridge_mounts.get("/certs", (None, ""))[1] == "ro", "bridge: mount /certs read-only")
    audit = bridge_mounts.get(AUDIT_DIR)
    p.check(audit is not None and audit[1] != "ro", f"bridge: a writable volume at {AUDIT_DIR} expected")
    cfg_mount = bridge_mounts.get(CONFIG_PATH)
    cfg_file = repo / "deploy" / "config" / "bridge.toml"
    if cfg_mount:
        cfg_file = (compose_path.parent / cfg_mount[0]).resolve()
        p.check(cfg_mount[1] == "ro", f"bridge: mount {CONFIG_PATH} read-only")
    cfg = tomllib.loads(cfg_file.read_text())
    audit_dir = env.get("SMSP_BRIDGE__SECURITY__AUDIT__DIR",
                        cfg.get("security", {}).get("audit", {}).get("dir"))
    p.check(audit_dir == AUDIT_DIR, f"bridge: security.audit.dir is {audit_dir!r}, not the audit volume {AUDIT_DIR}")
    grace = int(cfg.get("shutdown_grace_seconds", 10))
    p.check(_duration_seconds(bridge.get("stop_grace_period", "10s")) > grace,
            f"bridge: stop_grace_period must exceed shutdown_grace_seconds ({grace}s)")
    dep = bridge.get("depends_on", {})
    p.check(dep.get("sim", {}).get("condition") == "service_healthy", "bridge: depends_on sim service_healthy")
    p.check(dep.get("certs", {}).get("condition") == "service_completed_successfully",
            "bridge: depends_on certs service_completed_successfully")
    cmd = [str(x) for x in bridge.get("command") or ["serve", "--config", CONFIG_PATH]]
    p.check(cmd[:1] == ["serve"], f"bridge: command must be serve, is {cmd}")
    ports = [str(x) for x in bridge.get("ports") or []]
    cfg_port = cfg.get("listen", "").rsplit(":", 1)[-1]
    p.check(any(x.split(":")[-1].split("/")[0] == cfg_port for x in ports),
            f"bridge: no published port maps to the configured listen port {cfg_port}")
    return p.finish()


# --------------------------------------------------------------------------------------------


def _load_docs(path: Path) -> list[dict]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def _matches(selector: dict, labels: dict) -> bool:
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def _config_from(docs: list[dict]) -> tuple[dict | None, dict | None]:
    for d in docs:
        if d["kind"] == "ConfigMap" and "config.toml" in (d.get("data") or {}):
            return d, tomllib.loads(d["data"]["config.toml"])
    return None, None


def cmd_manifests(render: Path, name: str) -> int:
    p = Problems(f"manifests [{name}]")
    docs = _load_docs(render)
    by_kind: dict[str, list[dict]] = {}
    seen = set()
    for d in docs:
        for key in ("apiVersion", "kind", "metadata"):
            p.check(key in d, f"a document lacks {key}")
        ident = (d.get("kind"), d.get("metadata", {}).get("name"))
        p.check(ident not in seen, f"duplicate {ident[0]}/{ident[1]}")
        seen.add(ident)
        by_kind.setdefault(d["kind"], []).append(d)

    api = {"HorizontalPodAutoscaler": "autoscaling/v2", "PodDisruptionBudget": "policy/v1",
           "NetworkPolicy": "networking.k8s.io/v1", "Deployment": "apps/v1", "StatefulSet": "apps/v1"}
    for kind, version in api.items():
        for d in by_kind.get(kind, []):
            p.check(d["apiVersion"] == version, f"{kind} must be {version}, is {d['apiVersion']}")

    workloads = by_kind.get("Deployment", []) + by_kind.get("StatefulSet", [])
    p.check(len(workloads) == 1, f"expected one Deployment or StatefulSet, found {len(workloads)}")
    for kind in ("Service", "ConfigMap", "PodDisruptionBudget", "NetworkPolicy"):
        p.check(kind in by_kind, f"no {kind} rendered")
    if not workloads:
        return p.finish()
    wl = workloads[0]
    spec = wl["spec"]
    pod = spec["template"]["spec"]
    labels = spec["template"]["metadata"].get("labels", {})
    p.check(_matches(spec["selector"]["matchLabels"], labels), "workload selector does not match its pod labels")
    p.check("checksum/config" in spec["template"]["metadata"].get("annotations", {}),
            "pod template lacks the checksum/config annotation (config changes would not roll pods)")

    # Security context.
    psc = pod.get("securityContext", {})
    p.check(psc.get("runAsNonRoot") is True, "pod securityContext.runAsNonRoot must be true")
    p.check(psc.get("seccompProfile", {}).get("type") == "RuntimeDefault", "pod seccompProfile must be RuntimeDefault")
    p.check(pod.get("automountServiceAccountToken") is False, "automountServiceAccountToken should be false")
    p.check(not pod.get("hostNetwork") and not pod.get("hostPID") and not pod.get("hostIPC"), "no host namespaces")
    containers = pod.get("containers", [])
    all_containers = containers + pod.get("initContainers", [])
    _check_hardened(p, pod)

    main = next((c for c in containers if c["name"] == "smsp-bridge"), None)
    p.check(main is not None, "no container named smsp-bridge")
    if main is None:
        return p.finish()
    ports = {pt.get("name"): pt["containerPort"] for pt in main.get("ports", [])}
    p.check("http" in ports, "smsp-bridge container has no port named http")
    lp = main.get("livenessProbe", {}).get("httpGet", {})
    rp = main.get("readinessProbe", {}).get("httpGet", {})
    p.check(lp.get("path") == "/_ping", f"livenessProbe must GET /_ping, is {lp.get('path')}")
    p.check(rp.get("path") == "/_status", f"readinessProbe must GET /_status, is {rp.get('path')}")
    for probe in (lp, rp):
        p.check(probe.get("port") in ("http", ports.get("http")), "probes must target the http port")
    p.check(main.get("startupProbe", {}).get("httpGet", {}).get("path") == "/_ping", "startupProbe should GET /_ping")

    # Volumes and mounts.
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    claim_templates = {t["metadata"]["name"]: t for t in spec.get("volumeClaimTemplates", [])}
    configmaps = {d["metadata"]["name"]: d for d in by_kind.get("ConfigMap", [])}
    secrets = {d["metadata"]["name"]: d for d in by_kind.get("Secret", [])}
    pvcs = {d["metadata"]["name"]: d for d in by_kind.get("PersistentVolumeClaim", [])}
    mounts: dict[str, dict] = {}
    for c in all_containers:
        for vm in c.get("volumeMounts", []):
            p.check(vm["name"] in volumes or vm["name"] in claim_templates,
                    f"{c['name']}: mount {vm['name']!r} has no volume")
            if c is main:
                mounts[vm["mountPath"]] = vm
    for vname, v in volumes.items():
        if "configMap" in v:
            cm = configmaps.get(v["configMap"]["name"])
            p.check(cm is not None, f"volume {vname}: ConfigMap {v['configMap']['name']} not rendered")
            for item in v["configMap"].get("items", []) if cm else []:
                p.check(item["key"] in cm.get("data", {}), f"volume {vname}: key {item['key']} not in the ConfigMap")
        if "secret" in v:
            sname = v["secret"]["secretName"]
            if sname in secrets:
                data = secrets[sname].get("data", {})
                for item in v["secret"].get("items", []):
                    p.check(item["key"] in data, f"volume {vname}: key {item['key']} not in Secret {sname}")
                    p.check(bool(data.get(item["key"])), f"Secret {sname}: {item['key']} is empty")
            else:
                print(f"  note: Secret {sname} is expected to exist in the cluster (not rendered)")
        if "persistentVolumeClaim" in v:
            cn = v["persistentVolumeClaim"]["claimName"]
            if cn not in pvcs:
                print(f"  note: PersistentVolumeClaim {cn} is expected to exist in the cluster (not rendered)")
    writable = sorted(path for path, vm in mounts.items() if not vm.get("readOnly"))
    p.check(set(writable) <= {AUDIT_DIR, "/tmp"}, f"only the audit dir and /tmp may be writable, got {writable}")
    p.check(AUDIT_DIR in writable, f"the audit dir {AUDIT_DIR} must be mounted writable")
    audit_vm = mounts.get(AUDIT_DIR, {})
    audit_vol = volumes.get(audit_vm.get("name"), {})
    if "persistentVolumeClaim" in audit_vol and audit_vm.get("subPathExpr"):
        inits = pod.get("initContainers", [])
        p.check(any(any(m["name"] == audit_vm["name"] for m in ic.get("volumeMounts", [])) for ic in inits),
                "a subPathExpr audit mount needs an init container creating the directory as the bridge's "
                "user (kubelet would create it root-owned)")
    if wl["kind"] == "StatefulSet" and audit_vm.get("name") in claim_templates:
        p.check(spec.get("serviceName") in {d["metadata"]["name"] for d in by_kind.get("Service", [])},
                "StatefulSet serviceName must be a rendered (headless) Service")

    # config.toml.
    cm, cfg = _config_from(docs)
    p.check(cfg is not None, "no ConfigMap with config.toml")
    args = main.get("args", []) + main.get("command", [])
    cfg_arg = args[args.index("--config") + 1] if "--config" in args else None
    p.check(cfg_arg is not None, "smsp-bridge container is not given --config")
    if cfg is not None and cfg_arg:
        cdir, cfile = cfg_arg.rsplit("/", 1)
        vm = mounts.get(cdir)
        p.check(vm is not None and "configMap" in volumes.get(vm["name"], {}),
                f"--config {cfg_arg}: {cdir} is not a ConfigMap mount")
        listen = cfg.get("listen", "")
        p.check(listen.startswith("0.0.0.0:") or listen.startswith("[::]:"), f"listen {listen!r} not on all interfaces")
        p.check(listen.rsplit(":", 1)[-1] == str(ports.get("http")), f"listen {listen} != containerPort {ports.get('http')}")
        smsp = cfg.get("smsp", {})
        p.check(str(smsp.get("url", "")).startswith("https://"), "smsp.url must be https")
        for key in ("client_cert", "client_key", "ca_cert"):
            path = str(smsp.get(key, ""))
            d, _, f = path.rpartition("/")
            vm = mounts.get(d)
            vol = volumes.get(vm["name"], {}) if vm else {}
            p.check("secret" in vol, f"smsp.{key} = {path!r} is not in a Secret mount")
            # The kubelet never updates a subPath mount: renewed files would not be reloaded.
            p.check(not (vm or {}).get("subPath"), f"smsp.{key}: a subPath mount never sees the renewed Secret")
            if "secret" in vol:
                items = [i["path"] for i in vol["secret"].get("items", [])]
                p.check(not items or f in items, f"smsp.{key}: {f} is not an item of the Secret volume")
        if "mappings_dir" in cfg:
            vm = mounts.get(cfg["mappings_dir"])
            p.check(vm is not None and "configMap" in volumes.get(vm["name"], {}),
                    f"mappings_dir {cfg['mappings_dir']} is not a ConfigMap mount")
        security = cfg.get("security", {})
        audit_cfg = security.get("audit", {}).get("dir")
        p.check(audit_cfg is not None, "config has no security.audit.dir: there would be no audit trail")
        p.check(audit_cfg in writable, f"security.audit.dir {audit_cfg!r} is not the writable audit mount")
        modes = security.get("modes", ["open"])
        p.check("open" not in modes, f"security.modes {modes} includes open: no authentication")
        if "open" not in modes:
            public = security.get("public_paths", ["/_ping"])
            for probe_name in ("livenessProbe", "readinessProbe", "startupProbe"):
                path = main.get(probe_name, {}).get("httpGet", {}).get("path")
                p.check(path is None or path in public,
                        f"{probe_name} path {path} is not in security.public_paths {public}: "
                        "the kubelet sends no credentials")
        if "basic" in modes:
            users_file = str(security.get("basic", {}).get("users_file", ""))
            d, _, f = users_file.rpartition("/")
            vm = mounts.get(d)
            vol = volumes.get(vm["name"], {}) if vm else {}
            p.check("secret" in vol, f"security.basic.users_file {users_file!r} is not in a Secret mount")
        grace = int(cfg.get("shutdown_grace_seconds", 10))
        tgps = int(pod.get("terminationGracePeriodSeconds", 30))
        pre = main.get("lifecycle", {}).get("preStop", {}).get("exec", {}).get("command", [])
        pre_sleep = int(pre[1]) if len(pre) == 2 and pre[0] == "sleep" and pre[1].isdigit() else 0
        p.check(tgps > grace + pre_sleep,
                f"terminationGracePeriodSeconds {tgps} must exceed shutdown_grace_seconds {grace} + preStop {pre_sleep}")
        for mapping in [k for k in (cm or {}).get("data", {}) if k != "config.toml"]:
            try:
                tomllib.loads(cm["data"][mapping])
            except tomllib.TOMLDecodeError as e:
                p.items.append(f"ConfigMap {mapping}: not valid TOML: {e}")

    # Service, HPA, PDB, NetworkPolicy wiring.
    svc = [s for s in by_kind.get("Service", []) if s["spec"].get("clusterIP") != "None"]
    p.check(len(svc) == 1, f"expected one (non-headless) Service, found {len(svc)}")
    for s in by_kind.get("Service", []):
        p.check(_matches(s["spec"].get("selector", {}), labels), f"Service {s['metadata']['name']} selects no pod")
        for sp in s["spec"].get("ports", []):
            p.check(sp.get("targetPort") in ("http", ports.get("http")), "Service targetPort must be the http port")
    for h in by_kind.get("HorizontalPodAutoscaler", []):
        ref = h["spec"]["scaleTargetRef"]
        p.check(ref["kind"] == wl["kind"] and ref["name"] == wl["metadata"]["name"], "HPA targets another workload")
        p.check(1 <= h["spec"].get("minReplicas", 1) <= h["spec"]["maxReplicas"], "HPA min/max replicas")
        p.check("replicas" not in spec, "with an HPA the workload must not set replicas (they would fight)")
        p.check(bool(h["spec"].get("metrics")), "HPA has no metrics")
    for pdb in by_kind.get("PodDisruptionBudget", []):
        p.check(_matches(pdb["spec"]["selector"]["matchLabels"], labels), "PDB selects no pod")
        p.check(("minAvailable" in pdb["spec"]) != ("maxUnavailable" in pdb["spec"]),
                "PDB needs exactly one of minAvailable / maxUnavailable")
    for np in by_kind.get("NetworkPolicy", []):
        ns = np["spec"]
        p.check(_matches(ns["podSelector"].get("matchLabels", {}), labels), "NetworkPolicy selects no pod")
        p.check({"Ingress", "Egress"} <= set(ns.get("policyTypes", [])), "NetworkPolicy must govern Ingress and Egress")
        for rule in ns.get("ingress", []):
            rports = [str(x.get("port")) for x in rule.get("ports", [])]
            p.check(bool(rports) and set(rports) <= {"http", str(ports.get("http"))},
                    f"ingress must be limited to the API port, allows {rports or 'all ports'}")
        dns_rule = False
        for rule in ns.get("egress", []):
            rports = {(str(x.get("port")), x.get("protocol", "TCP")) for x in rule.get("ports", [])}
            p.check(bool(rule.get("to")), f"egress rule to ports {sorted(rports)} has no `to`: it allows every destination")
            p.check(bool(rports), "egress rule without ports allows every port")
            if rports and {x[0] for x in rports} == {"53"}:
                dns_rule = True
                p.check(rports == {("53", "UDP"), ("53", "TCP")}, f"DNS egress should be 53/UDP and 53/TCP, is {rports}")
            else:
                p.check(all("ipBlock" in t and len(t) == 1 for t in rule.get("to", [])),
                        "non-DNS egress must name destinations by ipBlock (SMSP CIDRs)")
                for t in rule.get("to", []):
                    cidr = t.get("ipBlock", {}).get("cidr", "")
                    p.check(cidr not in ("0.0.0.0/0", "::/0"), f"egress to {cidr}: not the whole Internet")
        p.check(dns_rule, "NetworkPolicy must allow DNS egress")
    _check_monitoring(p, by_kind, cfg or {}, spec["template"]["metadata"].get("annotations", {}))
    _check_ingress(p, by_kind, cfg or {}, svc)
    _check_helm_test(p, by_kind, svc)
    sas = {d["metadata"]["name"] for d in by_kind.get("ServiceAccount", [])}
    if pod.get("serviceAccountName") not in (None, "default"):
        if pod["serviceAccountName"] not in sas:
            print(f"  note: ServiceAccount {pod['serviceAccountName']} is expected to exist (not rendered)")
    return p.finish()


def _check_hardened(p: Problems, pod: dict) -> None:
    """Every container of a pod spec: non-root, read-only, no capabilities, a pinned image,
    requests and a memory limit."""
    psc = pod.get("securityContext", {})
    for c in pod.get("containers", []) + pod.get("initContainers", []):
        sc = c.get("securityContext", {})
        n = c["name"]
        p.check(sc.get("readOnlyRootFilesystem") is True, f"{n}: readOnlyRootFilesystem must be true")
        p.check(sc.get("allowPrivilegeEscalation") is False, f"{n}: allowPrivilegeEscalation must be false")
        p.check("ALL" in sc.get("capabilities", {}).get("drop", []), f"{n}: capabilities must drop ALL")
        p.check(not sc.get("capabilities", {}).get("add"), f"{n}: must add no capabilities")
        p.check(not sc.get("privileged"), f"{n}: must not be privileged")
        p.check(sc.get("runAsNonRoot", psc.get("runAsNonRoot")) is True, f"{n}: runAsNonRoot")
        p.check(sc.get("runAsUser", psc.get("runAsUser", 1)) != 0, f"{n}: runAsUser must not be 0")
        image = c.get("image", "")
        p.check(":" in image.rsplit("/", 1)[-1] or "@" in image, f"{n}: image {image!r} has no tag")
        p.check(not image.endswith(":latest"), f"{n}: image {image!r} uses :latest")
        res = c.get("resources", {})
        p.check("memory" in res.get("limits", {}), f"{n}: needs a memory limit")
        p.check({"cpu", "memory"} <= set(res.get("requests", {})), f"{n}: needs cpu and memory requests")


def _check_helm_test(p: Problems, by_kind: dict[str, list[dict]], api_services: list[dict]) -> None:
    """The `helm test` pod: hardened like the bridge, never behind a Service, aimed at the API
    Service, and let in by the NetworkPolicy."""
    tests = [d for d in by_kind.get("Pod", []) if d["metadata"].get("annotations", {}).get("helm.sh/hook") == "test"]
    for t in tests:
        name = t["metadata"]["name"]
        labels = t["metadata"].get("labels", {})
        _check_hardened(p, t["spec"])
        p.check(t["spec"].get("restartPolicy") == "Never", f"{name}: a test pod must not restart")
        for s in by_kind.get("Service", []):
            p.check(not _matches(s["spec"].get("selector", {}), labels),
                    f"{name}: Service {s['metadata']['name']} would send traffic to the test pod")
        env = {e["name"]: e.get("value") for c in t["spec"]["containers"] for e in c.get("env", [])}
        # <service>.<release namespace>.svc, on the Service's http port.
        host = str(env.get("SMSP_BRIDGE_HEALTHCHECK_HOST", ""))
        service = host.split(".")[0] if host.endswith(".svc") and host.count(".") == 2 else None
        targets = {(s["metadata"]["name"], str(sp["port"]))
                   for s in api_services for sp in s["spec"].get("ports", []) if sp.get("name") == "http"}
        p.check((service, env.get("SMSP_BRIDGE_HEALTHCHECK_PORT")) in targets,
                f"{name}: tests {host}:{env.get('SMSP_BRIDGE_HEALTHCHECK_PORT')}, not the API Service {sorted(targets)}")
        for np in by_kind.get("NetworkPolicy", []):
            for rule in np["spec"].get("ingress", []):
                if "from" in rule:
                    p.check(any(set(peer) == {"podSelector"} and _matches(peer["podSelector"].get("matchLabels", {}), labels)
                                for peer in rule["from"]),
                            f"{name}: the NetworkPolicy's ingress.from does not let the test pod in")


def _check_ingress(p: Problems, by_kind: dict[str, list[dict]], cfg: dict, api_services: list[dict]) -> None:
    """An Ingress routes the FHIR API's base path to the API Service, and nothing else."""
    base = cfg.get("base_path", "/personal-demographics/FHIR/R4")
    names = {s["metadata"]["name"]: {sp.get("name") for sp in s["spec"].get("ports", [])} for s in api_services}
    for ing in by_kind.get("Ingress", []):
        p.check(ing["apiVersion"] == "networking.k8s.io/v1", f"Ingress must be networking.k8s.io/v1, is {ing['apiVersion']}")
        hosts = []
        for rule in ing["spec"].get("rules", []):
            p.check(bool(rule.get("host")), "an Ingress rule without a host answers for every host")
            hosts.append(rule.get("host"))
            for path in rule.get("http", {}).get("paths", []):
                p.check(path.get("path") == base and path.get("pathType") == "Prefix",
                        f"the Ingress routes {path.get('path')} ({path.get('pathType')}), not only the FHIR "
                        f"API's {base}: /_status would make an SMSP call per outside request")
                backend = path.get("backend", {}).get("service", {})
                p.check(backend.get("port", {}).get("name") in names.get(backend.get("name"), set()),
                        f"Ingress backend {backend} is not a port of the API Service")
        for tls in ing["spec"].get("tls", []):
            p.check(set(tls.get("hosts", [])) <= set(hosts), f"Ingress TLS names hosts it does not route: {tls}")
        public = urllib.parse.urlsplit(cfg.get("public_base_url", ""))
        p.check(public.hostname in hosts,
                f"public_base_url {cfg.get('public_base_url')!r} is not on an Ingress host {hosts}: "
                "search Bundles' fullUrls would point elsewhere")
        p.check(public.path.rstrip("/").endswith(base), f"public_base_url does not end with the base path {base}")


def _check_monitoring(p: Problems, by_kind: dict[str, list[dict]], cfg: dict, pod_annotations: dict) -> None:
    """The prometheus-operator objects and the dashboard ConfigMap: what they select and carry
    (the custom resources' schemas are checked separately, by deploy/check/crd-validate.js)."""
    services = by_kind.get("Service", [])
    for sm in by_kind.get("ServiceMonitor", []):
        sel = sm["spec"]["selector"].get("matchLabels", {})
        chosen = [s for s in services if _matches(sel, s["metadata"].get("labels", {}))]
        # Two Services over the same pods (a StatefulSet's headless one) would scrape each twice.
        p.check(len(chosen) == 1, f"ServiceMonitor selects {len(chosen)} Services, not exactly the API one")
        port_names = {sp.get("name") for s in chosen for sp in s["spec"].get("ports", [])}
        security = cfg.get("security", {})
        public = security.get("public_paths", ["/_ping"])
        for ep in sm["spec"].get("endpoints", []):
            p.check(ep.get("port") in port_names, f"ServiceMonitor port {ep.get('port')!r} is not a port of the Service")
            p.check(ep.get("path") == "/metrics", f"ServiceMonitor path {ep.get('path')!r}: the bridge serves /metrics")
            creds = {"basicAuth", "authorization", "bearerTokenSecret", "oauth2", "tlsConfig"} & set(ep)
            p.check("/metrics" in public or "open" in security.get("modes", ["open"]) or bool(creds),
                    "ServiceMonitor scrapes /metrics without credentials, but it is not a public path")
        p.check(pod_annotations.get("prometheus.io/scrape") != "true",
                "pods are both annotated for scraping and selected by a ServiceMonitor: Prometheus may scrape twice")
    configmaps = by_kind.get("ConfigMap", [])
    dashboards = [d for d in configmaps if "smsp-bridge.json" in (d.get("data") or {})]
    if dashboards:
        shipped = json.loads((CHART / "files" / "dashboard.json").read_text())
        # The labels every object of the chart carries: the sidecar needs one of its own.
        common = set.intersection(*(set(d["metadata"].get("labels", {})) for d in configmaps))
    for d in dashboards:
        p.check(json.loads(d["data"]["smsp-bridge.json"]) == shipped,
                "the dashboard ConfigMap does not hold files/dashboard.json")
        p.check(bool(set(d["metadata"].get("labels", {})) - common),
                "the dashboard ConfigMap has no label for Grafana's sidecar to find it by")
    if by_kind.get("PrometheusRule"):
        groups = {"groups": yaml.safe_load((CHART / "files" / "alerts.yaml").read_text())["groups"]}
    for rule in by_kind.get("PrometheusRule", []):
        p.check(rule["spec"] == groups,
                "PrometheusRule spec is not the groups of files/alerts.yaml (the rules promtool tests)")


_SELECTOR = re.compile(r"\b([a-zA-Z_:][a-zA-Z0-9_:]*)\{([^}]*)\}")


def cmd_dashboard(dashboard: Path, rules_out: Path) -> int:
    """The Grafana dashboard's shape, and its queries as recording rules for `promtool check
    rules` (which parses PromQL) with Grafana's variables given plain values."""
    p = Problems(f"dashboard {dashboard.name}")
    d = json.loads(dashboard.read_text())
    p.check(bool(d.get("uid")) and bool(d.get("title")), "dashboard needs a uid and a title")
    names = [v["name"] for v in d.get("templating", {}).get("list", [])]
    p.check(names[:1] == ["datasource"] and "instance" in names,
            f"variables must start with datasource and include instance, are {names}")
    ids, cells, rules = set(), set(), []
    for panel in d.get("panels", []):
        pid = panel.get("id")
        p.check(pid not in ids, f"panel id {pid} is used twice")
        ids.add(pid)
        g = panel["gridPos"]
        p.check(g["x"] >= 0 and g["x"] + g["w"] <= 24, f"panel {pid} is wider than the grid")
        mine = {(x, yy) for x in range(g["x"], g["x"] + g["w"]) for yy in range(g["y"], g["y"] + g["h"])}
        p.check(not (mine & cells), f"panel {pid} overlaps another")
        cells |= mine
        if panel["type"] == "row":
            continue
        p.check(bool(panel.get("description")), f"panel {pid} ({panel.get('title')}) has no description")
        refs = set()
        for t in [panel] + panel.get("targets", []):
            p.check(t.get("datasource", {}).get("uid") == "${datasource}",
                    f"panel {pid}: a datasource is not the ${{datasource}} variable")
        for t in panel.get("targets", []):
            p.check(t["refId"] not in refs, f"panel {pid}: refId {t['refId']} twice")
            refs.add(t["refId"])
            expr = t["expr"]
            for name, matchers in _SELECTOR.findall(expr):
                p.check(name.startswith("smsp_bridge_"), f"panel {pid}: {name} is not one of the bridge's series")
                p.check('instance=~"$instance"' in matchers, f"panel {pid}: {name} ignores the instance variable")
            plain = (expr.replace("$__rate_interval", "5m").replace("$__range", "1h")
                     .replace('"$instance"', '".*"'))
            p.check("$" not in plain, f"panel {pid}: an unknown variable in {expr}")
            rules.append({"record": f"dashboard:panel_{pid}_{t['refId']}", "expr": plain})
    p.check(len(rules) > 0, "the dashboard has no queries")
    rules_out.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))
    print(f"  {len(ids)} panels, {len(rules)} queries written to {rules_out.name} for promtool")
    return p.finish()


def cmd_crd_docs(render: Path, out: Path) -> int:
    """The rendered documents as one JSON array, for crd-validate.js (node has no YAML parser)."""
    out.write_text(json.dumps(_load_docs(render)))
    return 0


def cmd_extract_config(render: Path, out: Path) -> int:
    docs = _load_docs(render)
    cm, cfg = _config_from(docs)
    if cm is None:
        print("extract-config: no ConfigMap with config.toml", file=sys.stderr)
        return 1
    out.mkdir(parents=True, exist_ok=True)
    (out / "config.toml").write_text(cm["data"]["config.toml"])
    mappings = out / "mappings"
    mappings.mkdir(exist_ok=True)
    for key, value in cm["data"].items():
        if key != "config.toml":
            (mappings / key).write_text(value)
    return 0


# --------------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(predicate, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def _get(url: str, headers: dict | None = None) -> tuple[int, bytes]:
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()
    except (urllib.error.URLError, OSError):
        return 0, b""


def cmd_smoke(repo: Path, binary: Path, pki: Path) -> int:
    """The compose stack's commands and environment, as local processes on loopback."""
    p = Problems("compose smoke (local processes)")
    repo, binary, pki = repo.resolve(), binary.resolve(), pki.resolve()
    doc = yaml.safe_load((repo / "deploy" / "compose.yaml").read_text())
    sim_svc, bridge_svc = doc["services"]["sim"], doc["services"]["bridge"]
    sim_port, bridge_port = _free_port(), _free_port()

    def local(value: str) -> str:
        return value.replace("/certs/", f"{pki}/")

    sim_cmd = [local(str(x)) for x in sim_svc["command"]]
    sim_cmd[sim_cmd.index("--listen") + 1] = f"127.0.0.1:{sim_port}"
    env = dict(os.environ)
    env.pop("RUST_LOG", None)
    bridge_env = {k: local(v) for k, v in _svc_env(bridge_svc).items()}
    url = bridge_env["SMSP_BRIDGE__SMSP__URL"]
    # Compose reaches the simulator as `sim`; here it is on loopback (the certificate's SANs
    # include localhost, see gen-test-pki.sh).
    bridge_env["SMSP_BRIDGE__SMSP__URL"] = re.sub(r"https://[^/]+/", f"https://localhost:{sim_port}/", url)
    bridge_env["SMSP_BRIDGE__LISTEN"] = f"127.0.0.1:{bridge_port}"
    bridge_cmd = [str(x) for x in bridge_svc.get("command", ["serve", "--config", CONFIG_PATH])]
    mounts = {dst: src for src, dst, _ in _volumes(bridge_svc)}
    cfg_src = mounts.get(CONFIG_PATH, "./config/bridge.toml")
    bridge_cmd[bridge_cmd.index("--config") + 1] = str((repo / "deploy" / cfg_src).resolve())

    logs = Path(tempfile.mkdtemp(prefix="smsp-deploy-smoke-"))
    audit_dir = logs / "audit"
    audit_dir.mkdir()
    # The audit volume of the compose file is a local directory here.
    bridge_env["SMSP_BRIDGE__SECURITY__AUDIT__DIR"] = str(audit_dir)
    procs: list[subprocess.Popen] = []
    try:
        sim = subprocess.Popen([str(binary), *sim_cmd], env=env, stdout=open(logs / "sim.log", "wb"),
                               stderr=subprocess.STDOUT, cwd=logs)
        procs.append(sim)

        def sim_up():
            try:
                socket.create_connection(("127.0.0.1", sim_port), timeout=1).close()
                return True
            except OSError:
                return False

        if not p.check(_wait(sim_up, 20), f"simulator did not listen on {sim_port} (log: {logs}/sim.log)"):
            return p.finish()
        benv = dict(env, **bridge_env)
        bridge = subprocess.Popen([str(binary), *bridge_cmd], env=benv, stdout=open(logs / "bridge.log", "wb"),
                                  stderr=subprocess.STDOUT, cwd=logs)
        procs.append(bridge)
        probe = [str(repo / "deploy" / "healthcheck.sh")]
        penv = dict(env, SMSP_BRIDGE_HEALTHCHECK_PORT=str(bridge_port))

        def healthy():
            return subprocess.run(probe, env=penv, capture_output=True).returncode == 0

        if not p.check(_wait(healthy, 30), f"health probe never passed (log: {logs}/bridge.log)"):
            return p.finish()
        base = f"http://127.0.0.1:{bridge_port}"
        status, body = _get(base + "/_status")
        p.check(status == 200, f"/_status answered {status}: {body[:300]!r}")
        if status == 200:
            p.check(json.loads(body).get("status") == "pass", f"/_status is not pass: {body[:300]!r}")
        status, body = _get(base + "/personal-demographics/FHIR/R4/Patient/9990001006",
                            {"X-Request-ID": "0b7a6a5e-2c1a-4d2e-9f3b-6c5d4e3f2a10",
                             "X-SMSP-Birth-Date": "1980-01-15"})
        p.check(status == 200 and b'"resourceType":"Patient"' in body.replace(b" ", b""),
                f"a FHIR read through the sim answered {status}: {body[:200]!r}")
        env_probe = subprocess.run(probe, env=dict(env, SMSP_BRIDGE_HEALTHCHECK_PORT=str(_free_port())),
                                   capture_output=True)
        p.check(env_probe.returncode == 1, "health probe must fail when nothing listens")
        bridge.send_signal(signal.SIGTERM)
        grace = _duration_seconds(bridge_svc.get("stop_grace_period", "10s"))
        try:
            rc = bridge.wait(timeout=grace)
            p.check(rc == 0, f"bridge exited {rc} on SIGTERM (log: {logs}/bridge.log)")
        except subprocess.TimeoutExpired:
            p.items.append(f"bridge did not stop within stop_grace_period ({grace}s) of SIGTERM")
        records = [line for f in sorted(audit_dir.glob("*.jsonl")) for line in f.read_text().splitlines() if line]
        p.check(len(records) >= 1, f"no audit record in {audit_dir} after a FHIR read and SIGTERM")
        sim.send_signal(signal.SIGINT if sim_svc.get("stop_signal") == "SIGINT" else signal.SIGTERM)
        try:
            sim.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.items.append("simulator did not stop on its compose stop_signal")
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    if p.items:
        for name in ("sim.log", "bridge.log"):
            f = logs / name
            if f.exists():
                print(f"--- {name} (last lines)")
                print("\n".join(f.read_text(errors="replace").splitlines()[-15:]))
    return p.finish()


COMMANDS = {
    "dockerfile": (cmd_dockerfile, [("repo", Path)]),
    "build-context": (cmd_build_context, [("repo", Path)]),
    "compose": (cmd_compose, [("repo", Path)]),
    "manifests": (cmd_manifests, [("render", Path), ("name", str)]),
    "extract-config": (cmd_extract_config, [("render", Path), ("out", Path)]),
    "dashboard": (cmd_dashboard, [("dashboard", Path), ("rules_out", Path)]),
    "crd-docs": (cmd_crd_docs, [("render", Path), ("out", Path)]),
    "smoke": (cmd_smoke, [("repo", Path), ("binary", Path), ("pki", Path)]),
}


if __name__ == "__main__":
    sys.exit(run(__doc__, COMMANDS))
