"""Helpers shared by the sub-commands."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from catalyst_tui.core.text import json_text
from catalyst_tui.core.workspace import Workspace


class UsageError(Exception):
    """A bad argument value argparse could not catch: exit 2 with one line on stderr."""


def open_workspace(args: argparse.Namespace) -> Workspace:
    return Workspace.open(getattr(args, "workspace", None))


def print_json(obj: Any) -> None:
    """Stable JSON output: sorted keys, two-space indent, one trailing newline; controls escaped."""
    sys.stdout.write(json_text(obj) + "\n")


def add_json_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="machine-readable output (docs/cli.md)")


def add_workspace_arg(parser: argparse.ArgumentParser) -> None:
    """``--workspace`` is accepted before and after the sub-command."""
    parser.add_argument("--workspace", "-w", metavar="PATH", default=argparse.SUPPRESS,
                        help="workspace directory (default: $CATALYST_WORKSPACE, else the current directory)")
