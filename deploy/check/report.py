"""What deploy_checks.py and supply_chain.py share (standard library only, so that
supply_chain.py runs with the system python3): a list of problems that says how many checks
were made, and subcommands read from a table.
"""

from __future__ import annotations

import argparse
from typing import Callable


class Problems:
    def __init__(self, what: str):
        self.what = what
        self.items: list[str] = []
        self.checked = 0

    def check(self, ok: bool, message: str) -> bool:
        self.checked += 1
        if not ok:
            self.items.append(message)
        return ok

    def finish(self) -> int:
        if self.items:
            print(f"{self.what}: {len(self.items)} problem(s) in {self.checked} checks")
            for item in self.items:
                print(f"  - {item}")
            return 1
        print(f"{self.what}: {self.checked} checks passed")
        return 0


# A subcommand: its function, and its positional arguments as (name, type), in call order.
Command = tuple[Callable[..., int], list[tuple[str, type]]]


def run(doc: str, commands: dict[str, Command]) -> int:
    """Parses the command line against `commands` and runs the one named."""
    ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    for name, (_, args) in commands.items():
        parser = sub.add_parser(name)
        for arg, kind in args:
            parser.add_argument(arg, type=kind)
    ns = ap.parse_args()
    func, args = commands[ns.cmd]
    return func(*(getattr(ns, arg) for arg, _ in args))
