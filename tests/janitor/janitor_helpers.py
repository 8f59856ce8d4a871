"""Janitor test helpers: an injected clock, exact mtimes, tree hashing, real helper processes."""

from __future__ import annotations

import hashlib
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest

from catalyst_tui.core.config import JanitorRule
from catalyst_tui.core.janitor import Janitor
from catalyst_tui.core.workspace import Workspace

NO_PID = 4999999  # above the kernel's pid_max limit (2^22): never a running process
T0 = 2_000_000_000.0  # a fixed "now" for every age computation (after any real mtime in a test)


class Clock:
    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def set_mtime(path: Path, mtime: float) -> Path:
    os.utime(path, (mtime, mtime), follow_symlinks=False)
    return path


def make_file(path: Path, data: bytes = b"x", mtime: float = T0 - 86400 * 30) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return set_mtime(path, mtime)


def janitor(ws: Workspace, now: float = T0, rules: list[JanitorRule] | None = None, **cfg: object) -> Janitor:
    """A Janitor with an injected clock (and optionally replaced rules / [janitor] settings)."""
    if rules is not None or cfg:
        jcfg = msgspec.structs.replace(ws.config.janitor, **({"rules": rules} if rules is not None else {}), **cfg)
        ws.config = msgspec.structs.replace(ws.config, janitor=jcfg)
    return Janitor(ws, clock=Clock(now))


def tree_digest(root: Path) -> str:
    """Every path, its type, content (files), target (links) and mode: lstat only, never follows."""
    h = hashlib.sha256()
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames.sort()
        for name in sorted(dirnames + filenames):
            p = Path(dirpath, name)
            st = os.lstat(p)
            h.update(f"{p.relative_to(root)}\0{stat.S_IFMT(st.st_mode)}\0{stat.S_IMODE(st.st_mode)}\0".encode())
            if stat.S_ISLNK(st.st_mode):
                h.update(os.readlink(p).encode())
            elif stat.S_ISREG(st.st_mode):
                h.update(hashlib.sha256(p.read_bytes()).digest())
                h.update(str(st.st_mtime_ns).encode())
    return h.hexdigest()


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


@pytest.fixture
def helper() -> Iterator[list[subprocess.Popen[str]]]:
    """Real helper processes started by a test; all of them are stopped afterwards."""
    procs: list[subprocess.Popen[str]] = []
    yield procs
    for p in procs:
        if p.poll() is None:
            p.kill()
        p.wait(10)


def spawn(procs: list[subprocess.Popen[str]], code: str) -> subprocess.Popen[str]:
    """Run ``code`` in a child Python; it must print ``ready`` once set up, then wait on stdin."""
    p = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    procs.append(p)
    assert p.stdout is not None
    line = p.stdout.readline()
    assert line.strip() == "ready", line
    return p
