#!/usr/bin/env python3
"""Checks of what the image says about the crates it is built from (README, Licence;
docs/DEPLOY.md). Standard library only: scripts/docker-smoke.sh runs it with the system python3.

Subcommands (each prints what it checked and exits 1 listing every problem found):

  notices-config REPO    deploy/licences/about.toml accepts exactly the licences deny.toml
                         allows, in the same order, for the same targets: cargo-deny decides
                         what may come in, cargo-about writes out the texts of what did
  notices REPO NOTICES   the THIRD-PARTY-NOTICES taken from a built image name every crate
                         compiled into the binary (`cargo tree -e normal` for each of
                         deny.toml's targets) and no other, each under a licence deny.toml
                         allows, and each licence with its text
  dependencies REPO BIN  the binary taken from a built image carries cargo-auditable's
                         dependency list (ELF section `.dep-v0`, zlib-compressed JSON, read
                         with objcopy): its root is smsp-bridge at Cargo.toml's version, its
                         runtime crates include every crate `cargo tree -e
                         normal,no-proc-macro` finds for this machine's target, and it names
                         no crate Cargo.lock does not
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
import tomllib
import zlib
from pathlib import Path

from report import Problems, run

# The rules notices.hbs draws between sections and before each licence's text.
RULE = "=" * 94
TEXT_RULE = "-" * 94


def _policy(repo: Path) -> tuple[dict, dict]:
    deny = tomllib.loads((repo / "deny.toml").read_text())
    about = tomllib.loads((repo / "deploy" / "licences" / "about.toml").read_text())
    return deny, about


def cmd_notices_config(repo: Path) -> int:
    p = Problems("licence notice config")
    deny, about = _policy(repo)
    allow = deny.get("licenses", {}).get("allow", [])
    accepted = about.get("accepted", [])
    p.check(accepted == allow, f"about.toml accepted {accepted} but deny.toml allows {allow}")
    targets = deny.get("graph", {}).get("targets", [])
    p.check(about.get("targets") == targets,
            f"about.toml targets {about.get('targets')} but deny.toml's are {targets}")
    for key in ("ignore-dev-dependencies", "ignore-build-dependencies"):
        p.check(about.get(key) is True,
                f"about.toml must set {key} = true (those crates are not in the binary)")
    return p.finish()


def compiled_crates(repo: Path, targets: list[str], edges: str = "normal") -> set[str]:
    """`name version` of every crate in the binary's dependency graph (`cargo tree -e EDGES`),
    for any of `targets`."""
    crates = set()
    for target in targets:
        out = subprocess.run(
            ["cargo", "tree", "--quiet", "--locked", "-e", edges, "--target", target,
             "--prefix", "none", "--format", "{p}"],
            cwd=repo, check=True, capture_output=True, text=True).stdout
        for line in out.splitlines():
            m = re.match(r"(\S+) v(\S+)", line)
            if m:
                crates.add(f"{m.group(1)} {m.group(2)}")
    return crates


def _none_of(p: Problems, crates: set[str], what: str) -> None:
    """One check: no crate in `crates`, which are `what`."""
    found = sorted(crates)
    p.check(not found, f"{len(found)} crate(s) {what}: {found[:10]}")


def parse_notices(text: str) -> list[dict]:
    """The licence sections: `{"name", "id", "used_by", "crates", "text"}` each (the overview
    skipped)."""
    sections = []
    for block in text.split(RULE + "\n")[1:]:
        head, sep, body = block.partition(TEXT_RULE + "\n")
        lines = head.splitlines()
        if not sep or not lines or lines[0] == "OVERVIEW":
            continue
        m = re.fullmatch(r"(.+) \((.+)\)", lines[0])
        crates = [" ".join(line.split()[:2]) for line in lines[2:] if line.startswith("  ")]
        sections.append({"name": m and m.group(1), "id": m and m.group(2),
                         "used_by": lines[1:2] == ["Used by:"], "crates": crates, "text": body})
    return sections


def cmd_notices(repo: Path, notices: Path) -> int:
    p = Problems("licence notices")
    deny, _ = _policy(repo)
    allow = set(deny.get("licenses", {}).get("allow", []))
    sections = parse_notices(notices.read_text())
    p.check(bool(sections), "no licence sections found")
    listed = set()
    for s in sections:
        if not p.check(bool(s["id"]), f"a section heading is not 'Name (SPDX id)': {s['name']!r}"):
            continue
        p.check(s["id"] in allow, f"{s['id']}: not a licence deny.toml allows")
        p.check(s["used_by"] and bool(s["crates"]), f"{s['id']}: no 'Used by:' list of crates")
        p.check(len(s["text"].strip()) >= 100, f"{s['id']} (used by {s['crates'][:3]}): no licence text")
        listed.update(s["crates"])
    compiled = compiled_crates(repo, deny.get("graph", {}).get("targets", []))
    _none_of(p, compiled - listed, "compiled in but not in the notices")
    _none_of(p, listed - compiled, "in the notices but not compiled in")
    print(f"notices: {len(sections)} licence texts for {len(listed)} crates; "
          f"{len(compiled)} crates compiled in")
    return p.finish()


def embedded_dependencies(binary: Path) -> dict:
    """cargo-auditable's dependency list: the `.dep-v0` ELF section, zlib-compressed JSON."""
    with tempfile.TemporaryDirectory() as tmp:
        # objcopy writes a copy (the last argument) rather than rewriting the binary in place.
        section = Path(tmp) / "dep-v0"
        subprocess.run(["objcopy", "--dump-section", f".dep-v0={section}", str(binary),
                        str(Path(tmp) / "copy")], check=True, capture_output=True)
        return json.loads(zlib.decompress(section.read_bytes()))


def host_target() -> str:
    out = subprocess.run(["rustc", "-vV"], check=True, capture_output=True, text=True).stdout
    return re.search(r"^host: (\S+)", out, re.M).group(1)


def cmd_dependencies(repo: Path, binary: Path) -> int:
    p = Problems("embedded dependency list")
    try:
        packages = embedded_dependencies(binary).get("packages", [])
    except (subprocess.CalledProcessError, OSError, zlib.error, ValueError) as e:
        p.check(False, f"no readable .dep-v0 section: {e}")
        return p.finish()
    version = tomllib.loads((repo / "Cargo.toml").read_text())["package"]["version"]
    roots = [(pkg.get("name"), pkg.get("version")) for pkg in packages if pkg.get("root")]
    p.check(roots == [("smsp-bridge", version)], f"root package(s) {roots}, expected smsp-bridge {version}")
    # `kind` is absent for runtime crates (auditable-serde's default). cargo-auditable reads
    # `cargo metadata`, which unifies features across dev-dependencies and all targets, so the
    # list may name more crates than are compiled in (a scanner may over-report, never miss):
    # every crate compiled in must be there, and nothing that is not in Cargo.lock.
    named = {f"{pkg['name']} {pkg['version']}" for pkg in packages}
    runtime = {f"{pkg['name']} {pkg['version']}" for pkg in packages
               if pkg.get("kind", "runtime") == "runtime"}
    compiled = compiled_crates(repo, [host_target()], "normal,no-proc-macro")
    _none_of(p, compiled - runtime, "compiled in but not in the binary's list")
    lock = tomllib.loads((repo / "Cargo.lock").read_text()).get("package", [])
    _none_of(p, named - {f"{pkg['name']} {pkg['version']}" for pkg in lock},
             "in the binary's list but not in Cargo.lock")
    print(f"dependencies: {len(packages)} packages embedded, {len(runtime)} at run time; "
          f"{len(compiled)} crates compiled in")
    return p.finish()


COMMANDS = {
    "notices-config": (cmd_notices_config, [("repo", Path)]),
    "notices": (cmd_notices, [("repo", Path), ("notices", Path)]),
    "dependencies": (cmd_dependencies, [("repo", Path), ("binary", Path)]),
}


if __name__ == "__main__":
    sys.exit(run(__doc__, COMMANDS))
