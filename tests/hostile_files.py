"""Hostile files and an in-process CLI runner for the hardening tests (tests/hardening/)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from catalyst_tui.cli import main

SPECIALS = ("fifo", "devzero", "sparse")


def plant(path: Path, kind: str) -> None:
    """Replace ``path`` by a FIFO, a symlink to /dev/zero, a 1 GiB sparse file or a directory."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.is_symlink() or path.exists():
        path.unlink()
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "devzero":
        os.symlink("/dev/zero", path)
    elif kind == "sparse":
        with open(path, "wb") as fh:
            fh.truncate(1 << 30)
    elif kind == "dir":
        path.mkdir()
    else:
        raise AssertionError(kind)


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run the CLI in this process: exit code, stdout, stderr."""
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def one_line_error(err: str, *names: str) -> None:
    assert err.startswith("catalyst-tui") and "Traceback" not in err, err
    assert err.count("\n") == 1, err
    for name in names:
        assert name in err, (name, err)
