"""The ``catalyst-tui`` command line: the third face of the core, for scripts and agents.

Each sub-command lives in its own module exposing ``register(subparsers)``; the module's
parser sets ``func`` to a ``run(args) -> int``. Errors are one line on stderr and a non-zero
exit, never a traceback. Exit codes: 0 ok, 1 failure / unhealthy, 2 usage error: a bad argument
(argparse, the argument types in ``cli/common.py``, :class:`UsageError`) or no usable workspace
(no such directory, ``catalyst.toml`` missing or invalid).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from catalyst_tui import __version__
from catalyst_tui.cli.common import UsageError, add_workspace_arg, text
from catalyst_tui.core.errors import CatalystError, ConfigError, NoWorkspace, os_error_text
from catalyst_tui.core.text import one_line

COMMAND_MODULES = ["init", "cards", "status", "demo", "simulate", "ports", "snapshot", "janitor", "metrics", "notify",
                   "daemon", "mcp", "web"]
PROG = "catalyst-tui"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        # one line, like every other error (the usage is one `--help` away)
        self.exit(2, f"{self.prog}: error: {one_line(message)} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description="Terminal dashboard for a multi-tenant AI-agent workspace.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    add_workspace_arg(parser)
    parser.add_argument("--read-only", action="store_true", help="open the dashboard without any writes")
    parser.add_argument("--theme", type=text, help="theme name for this run (default: the last one chosen)")
    parser.add_argument("--from-mirror", type=text, metavar="URL", help="open read-only on a mirror's current snapshot")
    parser.add_argument("--accept-rollback", action="store_true",
                        help="with --from-mirror: accept a mirror whose pointer went back")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMAND_MODULES:
        importlib.import_module(f"catalyst_tui.cli.{name}").register(sub)
    parser.set_defaults(func=run_dashboard)
    return parser


def run_dashboard(args: argparse.Namespace) -> int:
    from catalyst_tui.ui.launch import launch  # textual is imported only when a UI is opened

    return launch(workspace=getattr(args, "workspace", None), read_only=args.read_only, theme=args.theme,
                  from_mirror=args.from_mirror, accept_rollback=args.accept_rollback)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help and --version (0), a usage error (2): already printed
        return exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 2
    try:
        return int(args.func(args) or 0)
    except (UsageError, NoWorkspace, ConfigError) as exc:
        _error(exc)
        return 2
    except CatalystError as exc:
        _error(exc)
        return 1
    except BrokenPipeError:  # `catalyst-tui card list | head`: not an error
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as exc:
        _error(os_error_text(exc))
        return 1
    except KeyboardInterrupt:
        return 130


def _error(message: object) -> None:
    """Every error: one line on stderr, untrusted characters in it shown, never obeyed."""
    print(f"{PROG}: error: {one_line(message)}", file=sys.stderr)
