"""The core never imports textual (Harlequin's rule): checked in a fresh interpreter."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import catalyst_tui.core


def test_core_modules_do_not_load_textual() -> None:
    modules = [m.name for m in pkgutil.walk_packages(catalyst_tui.core.__path__, "catalyst_tui.core.")]
    # the walk reaches into the feature packages, so the check keeps proving what it claims
    deep = {"catalyst_tui.core.janitor.run", "catalyst_tui.core.snapshot.targets.sftp",
            "catalyst_tui.core.health.monitor"}
    assert deep <= set(modules)
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        "bad = sorted(m for m in sys.modules\n"
        "             if m.split('.')[0] in ('textual', 'rich') or m.startswith('catalyst_tui.ui'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "", f"core pulled in UI modules: {out.stdout.strip()}"


def test_cli_commands_other_than_the_dashboard_do_not_load_textual() -> None:
    code = (
        "import sys\nfrom catalyst_tui.cli import build_parser\nbuild_parser()\n"
        "print(','.join(sorted(m for m in sys.modules if m.startswith('textual'))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == ""
