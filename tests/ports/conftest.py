"""Fixtures for the port-map tests: real child processes with real sockets on loopback."""

from __future__ import annotations

import json
import random
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from catalyst_tui.core.ports import read_ephemeral_range

CHILD = Path(__file__).with_name("listener_child.py")


@dataclass
class Child:
    proc: subprocess.Popen[str]
    ports: list[int]
    child_pid: int | None  # the forked worker, with --fork

    @property
    def pid(self) -> int:
        return self.proc.pid

    def stop(self) -> None:
        if self.proc.poll() is None:
            assert self.proc.stdin is not None
            self.proc.stdin.close()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


@pytest.fixture
def spawn_listener() -> Iterator[Callable[..., Child]]:
    """Start ``listener_child.py`` with socket specs; returns once every socket is bound."""
    children: list[Child] = []

    def spawn(*specs: str, fork: bool = False, argv0_tag: str = "portchild") -> Child:
        args = [sys.executable, str(CHILD), *specs, f"--tag={argv0_tag}"] + (["--fork"] if fork else [])
        proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line:
            proc.wait(5)
            raise RuntimeError(f"listener child failed to start: {specs}")
        info = json.loads(line)
        child = Child(proc, info["ports"], info["child"])
        children.append(child)
        return child

    yield spawn
    for c in children:
        c.stop()


def _bindable(port: int) -> bool:
    for fam, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
        for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
            s = socket.socket(fam, kind)
            try:
                s.bind((host, port))
            except OSError:
                return False
            finally:
                s.close()
    return True


@pytest.fixture
def free_port() -> Callable[[], int]:
    """A port free on 127.0.0.1 and ::1 (TCP and UDP), outside the kernel's ephemeral range, so a
    test can document it without an ephemeral-range warning. Never the same port twice per test."""
    eph = read_ephemeral_range() or (32768, 60999)
    used: set[int] = set()
    rng = random.Random()

    def pick() -> int:
        for _ in range(500):
            port = rng.randint(20000, min(eph[0], 32768) - 1)
            if port not in used and _bindable(port):
                used.add(port)
                return port
        raise RuntimeError("no free port found")

    return pick
