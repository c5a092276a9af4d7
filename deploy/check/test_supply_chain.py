"""supply_chain.py's checks refuse what they are there to refuse (scripts/check-deploy.sh).

docker-smoke runs them on a built image's notices and binary, where they pass. Here each gets
inputs made to break one rule: the notices file is written in notices.hbs's layout from
`cargo tree`, and the binary is a copy of a system ELF file with a `.dep-v0` section added by
objcopy. Standard library only; needs cargo and objcopy.

    python3 -m unittest discover -s deploy/check -p 'test_*.py'
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import subprocess
import tempfile
import tomllib
import unittest
import zlib
from pathlib import Path

import supply_chain as sc

REPO = Path(__file__).resolve().parents[2]
LICENCE_TEXT = "Permission is hereby granted, free of charge, to any person obtaining a copy " * 3


def run_quietly(func, *args) -> tuple[int, str]:
    """A subcommand's exit code and what it printed."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = func(*args)
    return code, out.getvalue()


def notices_text(sections: list[tuple[str, str, list[str], str]]) -> str:
    """THIRD-PARTY-NOTICES as deploy/licences/notices.hbs lays it out, from (name, SPDX id,
    crates as 'name version', licence text) per licence."""
    parts = ["THIRD-PARTY SOFTWARE NOTICES FOR smsp-bridge\n\n", sc.RULE, "\nOVERVIEW\n", sc.RULE, "\n"]
    parts += [f"{name} ({spdx}): {len(crates)} crate(s)\n" for name, spdx, crates, _ in sections]
    parts.append("\n")
    for name, spdx, crates, text in sections:
        parts += [sc.RULE, f"\n{name} ({spdx})\nUsed by:\n"]
        parts += [f"  {crate} <https://example.invalid/{crate.split()[0]}>\n" for crate in crates]
        parts += [sc.TEXT_RULE, f"\n{text}\n\n"]
    return "".join(parts)


class Notices(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        deny = tomllib.loads((REPO / "deny.toml").read_text())
        cls.compiled = sorted(sc.compiled_crates(REPO, deny["graph"]["targets"]))
        cls.allowed = deny["licenses"]["allow"]

    def check(self, sections) -> tuple[int, str]:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "THIRD-PARTY-NOTICES"
            path.write_text(notices_text(sections))
            return run_quietly(sc.cmd_notices, REPO, path)

    def test_every_compiled_crate_under_an_allowed_licence_passes(self):
        self.assertIn("MIT", self.allowed)
        code, out = self.check([("MIT License", "MIT", self.compiled, LICENCE_TEXT)])
        self.assertEqual(code, 0, out)

    def test_a_compiled_crate_left_out_is_named(self):
        missing = self.compiled[len(self.compiled) // 2]
        rest = [c for c in self.compiled if c != missing]
        code, out = self.check([("MIT License", "MIT", rest, LICENCE_TEXT)])
        self.assertEqual(code, 1, out)
        self.assertIn("compiled in but not in the notices", out)
        self.assertIn(repr(missing), out)

    def test_a_crate_that_is_not_compiled_in_is_named(self):
        extra = self.compiled + ["left-pad 1.0.0"]
        code, out = self.check([("MIT License", "MIT", extra, LICENCE_TEXT)])
        self.assertEqual(code, 1, out)
        self.assertIn("in the notices but not compiled in: ['left-pad 1.0.0']", out)

    def test_a_licence_deny_toml_does_not_allow_is_named(self):
        self.assertNotIn("GPL-3.0-only", self.allowed)
        code, out = self.check([("MIT License", "MIT", self.compiled[1:], LICENCE_TEXT),
                                ("GNU General Public License v3.0 only", "GPL-3.0-only",
                                 self.compiled[:1], LICENCE_TEXT)])
        self.assertEqual(code, 1, out)
        self.assertIn("GPL-3.0-only: not a licence deny.toml allows", out)

    def test_a_licence_without_its_text_is_named(self):
        code, out = self.check([("MIT License", "MIT", self.compiled, "")])
        self.assertEqual(code, 1, out)
        self.assertIn("MIT (used by", out)
        self.assertIn("no licence text", out)


class Dependencies(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.compiled = sorted(sc.compiled_crates(REPO, [sc.host_target()], "normal,no-proc-macro"))
        cls.version = tomllib.loads((REPO / "Cargo.toml").read_text())["package"]["version"]
        cls.elf = shutil.which("true")

    def check(self, packages: list[dict] | None) -> tuple[int, str]:
        """cmd_dependencies on an ELF file carrying `packages` (None: no `.dep-v0` section)."""
        with tempfile.TemporaryDirectory() as tmp:
            binary = Path(tmp) / "smsp-bridge"
            if packages is None:
                shutil.copy(self.elf, binary)
            else:
                section = Path(tmp) / "dep-v0"
                section.write_bytes(zlib.compress(json.dumps({"packages": packages}).encode()))
                subprocess.run(["objcopy", "--add-section", f".dep-v0={section}", self.elf,
                                str(binary)], check=True, capture_output=True)
            return run_quietly(sc.cmd_dependencies, REPO, binary)

    def packages(self, root_version: str | None = None, crates=None) -> list[dict]:
        root = {"name": "smsp-bridge", "version": root_version or self.version, "root": True}
        crates = self.compiled if crates is None else crates
        return [root] + [{"name": c.split()[0], "version": c.split()[1]} for c in crates]

    def test_a_list_naming_every_compiled_crate_passes(self):
        code, out = self.check(self.packages())
        self.assertEqual(code, 0, out)

    def test_no_section_is_refused(self):
        code, out = self.check(None)
        self.assertEqual(code, 1, out)
        self.assertIn("no readable .dep-v0 section", out)

    def test_a_root_at_another_version_is_refused(self):
        code, out = self.check(self.packages(root_version="0.0.0-other"))
        self.assertEqual(code, 1, out)
        self.assertIn(f"expected smsp-bridge {self.version}", out)

    def test_a_compiled_crate_left_out_is_named(self):
        missing = self.compiled[0]
        code, out = self.check(self.packages(crates=self.compiled[1:]))
        self.assertEqual(code, 1, out)
        self.assertIn("compiled in but not in the binary's list", out)
        self.assertIn(repr(missing), out)

    def test_a_crate_that_is_not_in_cargo_lock_is_named(self):
        code, out = self.check(self.packages(crates=self.compiled + ["left-pad 1.0.0"]))
        self.assertEqual(code, 1, out)
        self.assertIn("in the binary's list but not in Cargo.lock: ['left-pad 1.0.0']", out)


class NoticesConfig(unittest.TestCase):
    def check(self, edit) -> tuple[int, str]:
        """cmd_notices_config on a copy of deny.toml and about.toml, with `edit` applied to
        about.toml's text."""
        with tempfile.TemporaryDirectory() as tmp:
            repo = Path(tmp)
            (repo / "deploy" / "licences").mkdir(parents=True)
            shutil.copy(REPO / "deny.toml", repo / "deny.toml")
            about = (REPO / "deploy" / "licences" / "about.toml").read_text()
            (repo / "deploy" / "licences" / "about.toml").write_text(edit(about))
            return run_quietly(sc.cmd_notices_config, repo)

    def test_the_shipped_files_agree(self):
        code, out = self.check(lambda text: text)
        self.assertEqual(code, 0, out)

    def test_an_extra_accepted_licence_is_refused(self):
        code, out = self.check(lambda text: text.replace("accepted = [", 'accepted = ["GPL-3.0-only", ', 1))
        self.assertEqual(code, 1, out)
        self.assertIn("but deny.toml allows", out)

    def test_other_targets_are_refused(self):
        code, out = self.check(lambda text: text.replace("targets = [", 'targets = ["wasm32-unknown-unknown", ', 1))
        self.assertEqual(code, 1, out)
        self.assertIn("but deny.toml's are", out)

    def test_counting_dev_dependencies_is_refused(self):
        code, out = self.check(lambda text: text.replace("ignore-dev-dependencies = true", "", 1))
        self.assertEqual(code, 1, out)
        self.assertIn("must set ignore-dev-dependencies = true", out)


if __name__ == "__main__":
    unittest.main()
