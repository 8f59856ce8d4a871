"""Helpers shared by the sub-commands."""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable
from typing import Any

from catalyst_tui.core.text import has_undecodable, json_text, visible
from catalyst_tui.core.workspace import Workspace


class UsageError(Exception):
    """A bad argument value argparse could not catch: exit 2 with one line on stderr."""


def open_workspace(args: argparse.Namespace) -> Workspace:
    return Workspace.open(getattr(args, "workspace", None))


def print_json(obj: Any) -> None:
    """Stable JSON output: sorted keys, two-space indent, one trailing newline; controls escaped."""
    sys.stdout.write(json_text(obj) + "\n")


# Argument types: a bad value is a usage error (exit 2) named by argparse, before any work.
def text(value: str) -> str:
    """A name, title or id: not empty, valid UTF-8 (it is stored in shared files and shown to others)."""
    if not value.strip():
        raise argparse.ArgumentTypeError("must not be empty")
    if has_undecodable(value):
        raise argparse.ArgumentTypeError(f"{visible(value)!r} is not valid UTF-8")
    return value


def path(value: str) -> str:
    """A file-system path: any bytes, never empty (an empty path would mean the current directory)."""
    if not value:
        raise argparse.ArgumentTypeError("an empty path")
    if "\0" in value:
        raise argparse.ArgumentTypeError("a path with a NUL byte")
    return value


def number(lo: float, hi: float, *, integer: bool = False) -> Callable[[str], float]:
    """A finite number in [lo, hi] (nan, inf and 1e308 are refused, not run)."""
    def parse(value: str) -> float:
        try:
            n: float = int(value) if integer else float(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{visible(value)!r} is not {'an integer' if integer else 'a number'}") \
                from None
        if isinstance(n, float) and not math.isfinite(n):  # an int is finite (math.isfinite overflows on 1e400)
            raise argparse.ArgumentTypeError(f"{visible(value)!r} is not a finite number")
        if not lo <= n <= hi:
            raise argparse.ArgumentTypeError(f"{visible(value)!r} is outside {lo:g}-{hi:g}")
        return n
    parse.__name__ = "integer" if integer else "number"  # argparse names the type in its messages
    return parse


def add_json_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="machine-readable output (docs/cli.md)")


def add_workspace_arg(parser: argparse.ArgumentParser) -> None:
    """``--workspace`` is accepted before and after the sub-command."""
    parser.add_argument("--workspace", "-w", metavar="PATH", type=path, default=argparse.SUPPRESS,
                        help="workspace directory (default: $CATALYST_WORKSPACE, else the current directory)")
