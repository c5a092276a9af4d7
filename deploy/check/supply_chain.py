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

import argparse
import json
import re
import subprocess
import sys
import tempfile
import tomllib
import zlib
from pathlib import Path

RULE = "=" * 94
TEXT_RULE = "-" * 94


def _finish(what: str, checked: int, problems: list[str]) -> int:
    if problems:
        print(f"{what}: {len(problems)} problem(s) in {checked} checks")
        for item in problems:
            print(f"  - {item}")
        return 1
    print(f"{what}: {checked} checks passed")
    return 0


def _policy(repo: Path) -> tuple[dict, dict]:
    deny = tomllib.loads((repo / "deny.toml").read_text())
    about = tomllib.loads((repo / "deploy" / "licences" / "about.toml").read_text())
    return deny, about


def cmd_notices_config(repo: Path) -> int:
    deny, about = _policy(repo)
    problems = []
    allow = deny.get("licenses", {}).get("allow", [])
    accepted = about.get("accepted", [])
    if accepted != allow:
        problems.append(f"about.toml accepted {accepted} but deny.toml allows {allow}")
    targets = deny.get("graph", {}).get("targets", [])
    if about.get("targets") != targets:
        problems.append(f"about.toml targets {about.get('targets')} but deny.toml's are {targets}")
    for key in ("ignore-dev-dependencies", "ignore-build-dependencies"):
        if about.get(key) is not True:
            problems.append(f"about.toml must set {key} = true (those crates are not in the binary)")
    return _finish("licence notice config", 4, problems)


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


def parse_notices(text: str) -> list[dict]:
    """The licence sections: `{"name", "id", "crates", "text"}` each (the overview skipped)."""
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
    deny, _ = _policy(repo)
    allow = set(deny.get("licenses", {}).get("allow", []))
    sections = parse_notices(notices.read_text())
    problems = []
    checked = 1
    if not sections:
        problems.append("no licence sections found")
    listed = set()
    for s in sections:
        checked += 4
        if not s["id"]:
            problems.append(f"a section heading is not 'Name (SPDX id)': {s['name']!r}")
            continue
        if s["id"] not in allow:
            problems.append(f"{s['id']}: not a licence deny.toml allows")
        if not s["used_by"] or not s["crates"]:
            problems.append(f"{s['id']}: no 'Used by:' list of crates")
        if len(s["text"].strip()) < 100:
            problems.append(f"{s['id']} (used by {s['crates'][:3]}): no licence text")
        listed.update(s["crates"])
    compiled = compiled_crates(repo, deny.get("graph", {}).get("targets", []))
    checked += 2
    _compare(problems, "the notices", listed, compiled)
    print(f"notices: {len(sections)} licence texts for {len(listed)} crates; "
          f"{len(compiled)} crates compiled in")
    return _finish("licence notices", checked, problems)


def _compare(problems: list[str], where: str, found: set[str], compiled: set[str]) -> None:
    missing = sorted(compiled - found)
    extra = sorted(found - compiled)
    if missing:
        problems.append(f"{len(missing)} crate(s) compiled in but not in {where}: {missing[:10]}")
    if extra:
        problems.append(f"{len(extra)} crate(s) in {where} but not compiled in: {extra[:10]}")


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
    problems = []
    try:
        packages = embedded_dependencies(binary).get("packages", [])
    except (subprocess.CalledProcessError, OSError, zlib.error, ValueError) as e:
        return _finish("embedded dependency list", 1, [f"no readable .dep-v0 section: {e}"])
    version = tomllib.loads((repo / "Cargo.toml").read_text())["package"]["version"]
    roots = [p for p in packages if p.get("root")]
    if [(p.get("name"), p.get("version")) for p in roots] != [("smsp-bridge", version)]:
        problems.append(f"root package(s) {roots}, expected smsp-bridge {version}")
    # `kind` is absent for runtime crates (auditable-serde's default). cargo-auditable reads
    # `cargo metadata`, which unifies features across dev-dependencies and all targets, so the
    # list may name more crates than are compiled in (a scanner may over-report, never miss):
    # every crate compiled in must be there, and nothing that is not in Cargo.lock.
    runtime = {f"{p['name']} {p['version']}" for p in packages if p.get("kind", "runtime") == "runtime"}
    compiled = compiled_crates(repo, [host_target()], "normal,no-proc-macro")
    missing = sorted(compiled - runtime)
    if missing:
        problems.append(f"{len(missing)} crate(s) compiled in but not in the binary's list: {missing[:10]}")
    lock = tomllib.loads((repo / "Cargo.lock").read_text()).get("package", [])
    locked = {f"{p['name']} {p['version']}" for p in lock}
    unknown = sorted({f"{p['name']} {p['version']}" for p in packages} - locked)
    if unknown:
        problems.append(f"{len(unknown)} crate(s) in the binary's list but not in Cargo.lock: {unknown[:10]}")
    print(f"dependencies: {len(packages)} packages embedded, {len(runtime)} at run time; "
          f"{len(compiled)} crates compiled in")
    return _finish("embedded dependency list", 3, problems)


# Each subcommand: its function and its positional arguments (all paths).
COMMANDS = {
    "notices-config": (cmd_notices_config, ["repo"]),
    "notices": (cmd_notices, ["repo", "notices"]),
    "dependencies": (cmd_dependencies, ["repo", "binary"]),
}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    for name, (_, args) in COMMANDS.items():
        parser = sub.add_parser(name)
        for arg in args:
            parser.add_argument(arg, type=Path)
    ns = ap.parse_args()
    run, args = COMMANDS[ns.cmd]
    return run(*(getattr(ns, arg) for arg in args))


if __name__ == "__main__":
    sys.exit(main())
