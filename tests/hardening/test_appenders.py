"""Class 1 for writers: every appender of a per-tenant file (history minutes, the janitor's
abandon marker) is refused at once by a FIFO or a symbolic link in its place, never blocks
(an open for writing of a FIFO waits for a reader) and never appends outside the workspace."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from catalyst_tui.core import storage
from catalyst_tui.core.agents import record_dispatch
from catalyst_tui.core.errors import FileRefused
from catalyst_tui.core.health import WorkspaceMonitor
from catalyst_tui.core.health import history as hist
from catalyst_tui.core.janitor.fs import append_jsonl_nofollow, open_root
from catalyst_tui.core.workspace import Workspace

T = 1_800_000_000.0


def _within(seconds: float, fn: Callable[[], object]) -> object:
    """Run ``fn`` in a thread; fail (instead of hanging the suite) if it is still blocked after ``seconds``."""
    box: dict[str, object] = {}

    def run() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # handed back to the test
            box["error"] = exc

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(seconds)
    if t.is_alive():
        raise AssertionError(f"still blocked after {seconds} s")
    if "error" in box:
        error = box["error"]
        assert isinstance(error, BaseException)
        raise error
    return box.get("value")


def _release_fifo(path: Path) -> None:
    """A reader for a FIFO a blocked writer may be waiting on (so a failing test leaves no thread stuck)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        os.close(fd)
    except OSError:
        pass


def _minute() -> hist.Minute:
    return hist.Minute(T, 1, 1, 0, 1.0, 1, [])


@pytest.mark.parametrize("kind", ["fifo", "symlink_out"])
def test_history_append_refuses_a_special_file(ws: Workspace, tmp_path: Path, kind: str) -> None:
    path = hist.path_of(ws.agent("bjork").dir)
    outside = tmp_path / "outside.txt"
    outside.write_bytes(b"secret\n")
    if kind == "fifo":
        os.mkfifo(path)
    else:
        os.symlink(outside, path)
    try:
        with pytest.raises(FileRefused) as info:
            _within(5, lambda: hist.append(path, [_minute()]))
    finally:
        if kind == "fifo":
            _release_fifo(path)
    assert str(path) in str(info.value)
    assert outside.read_bytes() == b"secret\n"
    # the file's lock is free again (the janitor's prune takes it)
    with storage.locked(storage.lock_path_for(path), timeout=1):
        pass


def test_history_append_keeps_whole_lines(ws: Workspace) -> None:
    path = hist.path_of(ws.agent("bjork").dir)
    path.write_bytes(b'{"ts": 1')  # a torn last line (a writer killed mid-append)
    hist.append(path, [_minute(), _minute()])
    lines = path.read_bytes().split(b"\n")
    assert lines[0] == b'{"ts": 1' and [hist.decode_minute(x).ts for x in lines[1:3]] == [T, T] and lines[3] == b""


def test_one_tenants_fifo_history_never_stops_the_others(ws: Workspace) -> None:
    for agent in ("bjork", "nina"):
        p = ws.agent(agent)
        for i in range(3):
            record_dispatch(p, id=f"{agent}-{i}", event="finished", status="ok", latency_ms=100, ts=T - 120 + i)
    os.mkfifo(hist.path_of(ws.agent("bjork").dir))
    mon = WorkspaceMonitor(ws.root, ws.config, clock=lambda: T)
    mon.refresh_all()
    try:
        written = _within(10, mon.flush_history)
    finally:
        _release_fifo(hist.path_of(ws.agent("bjork").dir))
    assert written == 1  # nina's minute; bjork's FIFO refused and logged
    assert hist.path_of(ws.agent("nina").dir).read_bytes().count(b"\n") == 1


@pytest.mark.parametrize("kind", ["fifo", "symlink_out"])
def test_janitor_abandon_marker_never_blocks_nor_leaves(ws: Workspace, tmp_path: Path, kind: str) -> None:
    path = ws.agent("bjork").dispatch
    outside = tmp_path / "outside.jsonl"
    outside.write_bytes(b"")
    path.unlink(missing_ok=True)
    if kind == "fifo":
        os.mkfifo(path)
    else:
        os.symlink(outside, path)
    root_fd = open_root(ws.root)
    try:
        with pytest.raises(OSError):
            _within(5, lambda: append_jsonl_nofollow(root_fd, "agents/bjork/dispatch.jsonl", {"event": "abandoned"}))
    finally:
        os.close(root_fd)
        if kind == "fifo":
            _release_fifo(path)
    assert outside.read_bytes() == b""


@pytest.mark.parametrize("kind", ["symlink_out", "hardlink_out", "fifo"])
def test_runtime_lock_never_rewrites_a_file_outside(ws: Workspace, tmp_path: Path, kind: str) -> None:
    from catalyst_tui.core.runtime.lock import RuntimeLock

    lock = RuntimeLock(ws.internal_dir)
    lock.path.parent.mkdir(parents=True, exist_ok=True)
    outside = tmp_path / "precious.txt"
    outside.write_bytes(b"precious\n")
    if kind == "symlink_out":
        os.symlink(outside, lock.path)
    elif kind == "hardlink_out":
        os.link(outside, lock.path)
    else:
        os.mkfifo(lock.path)
    assert _within(5, lambda: lock.try_acquire("daemon")) is False and not lock.held
    assert outside.read_bytes() == b"precious\n"
    # the control: a regular lock file is taken and names its holder
    lock.path.unlink()
    assert lock.try_acquire("daemon") and lock.path.read_bytes().startswith(b"{")
    lock.release()
