#!/usr/bin/env python3
"""Checks of the third-party licence notices the image carries (deploy/licences; README,
Licence). Standard library only: scripts/docker-smoke.sh runs it with the system python3.

Subcommands (each prints what it checked and exits 1 listing every problem found):

  config REPO          deploy/licences/about.toml accepts exactly the licences deny.toml allows,
                       in the same order, for the same targets: cargo-deny decides what may come
                       in, cargo-about writes out the texts of what did
  image  REPO NOTICES  the notices taken from a built image name every crate compiled into the
                       binary (`cargo tree -e normal` for each of deny.toml's targets) and no
                       other, each under a licence deny.toml allows, and each licence with its
                       text
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tomllib
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


def cmd_config(repo: Path) -> int:
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


def compiled_crates(repo: Path, targets: list[str]) -> set[str]:
    """`name version` of every crate in the binary's dependency graph, for any of `targets`."""
    crates = set()
    for target in targets:
        out = subprocess.run(
            ["cargo", "tree", "--quiet", "--locked", "-e", "normal", "--target", target,
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


def cmd_image(repo: Path, notices: Path) -> int:
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
    missing = sorted(compiled - listed)
    extra = sorted(listed - compiled)
    if missing:
        problems.append(f"{len(missing)} crate(s) compiled in but not in the notices: {missing[:10]}")
    if extra:
        problems.append(f"{len(extra)} crate(s) in the notices but not compiled in: {extra[:10]}")
    print(f"notices: {len(sections)} licence texts for {len(listed)} crates; "
          f"{len(compiled)} crates compiled in")
    return _finish("licence notices", checked, problems)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("config")
    a.add_argument("repo", type=Path)
    a = sub.add_parser("image")
    a.add_argument("repo", type=Path)
    a.add_argument("notices", type=Path)
    ns = ap.parse_args()
    if ns.cmd == "config":
        return cmd_config(ns.repo)
    return cmd_image(ns.repo, ns.notices)


if __name__ == "__main__":
    sys.exit(main())
