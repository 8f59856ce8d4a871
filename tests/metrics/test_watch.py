"""The workspace watcher: real inotify on tmp_path, real fallback to polling."""

from __future__ import annotations

import errno
import os
import queue
import shutil
import threading
import time
from pathlib import Path

import pytest

from catalyst_tui.core.agents import record_dispatch
from catalyst_tui.core.config import WatchConfig
from catalyst_tui.core.health import ChangeSet, WorkspaceWatcher, classify, inotify_feed
from catalyst_tui.core.health import watch as watch_mod
from catalyst_tui.core.storage import append_jsonl, append_line, atomic_write_bytes
from catalyst_tui.core.workspace import Workspace
from catalyst_tui.ui.testing import FrozenClock

NAMES = ["bjork", "slash", "cher"]


def test_classify_maps_paths_to_tenants_and_shared_state() -> None:
    assert classify("agents/bjork/dispatch.jsonl", NAMES) == ("agent", "bjork")
    assert classify("agents/bjork/cards/c-1.md", NAMES) == ("agent", "bjork")
    assert classify("agents/bjork/locks/s1.lock", NAMES) == ("agent", "bjork")
    assert classify("agents/stranger/dispatch.jsonl", NAMES) is None
    assert classify("board/index.json", NAMES) == ("shared", "index")
    assert classify("board/audit.jsonl", NAMES) == ("shared", "audit")
    assert classify("catalyst.toml", NAMES) == ("shared", "config")
    assert classify("PORTS.md", NAMES) == ("shared", "ports")
    assert classify("ops/ports.md", NAMES, ports_file="ops/ports.md") == ("shared", "ports")
    assert classify(".catalyst/catalyst-tui.log", NAMES) is None  # our own log: no feedback loop
    assert classify("board/.index.json.tmp-12-ab", NAMES) is None
    assert classify("agents/bjork/state.json.lock", NAMES) is None
    assert classify("notes.txt", NAMES) is None


class Recorder:
    def __init__(self) -> None:
        self.changes: queue.Queue[ChangeSet] = queue.Queue()
        self.modes: list[tuple[str, str | None]] = []

    def wait_for(self, pred, timeout: float = 5.0) -> set[str]:  # type: ignore[no-untyped-def]
        seen: set[str] = set()
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                c = self.changes.get(timeout=0.05)
            except queue.Empty:
                continue
            seen |= set(c.agents) | {f"shared:{s}" for s in c.shared}
            if pred(seen):
                return seen
        raise AssertionError(f"timed out; saw {seen}")

    def drain(self) -> list[ChangeSet]:
        out = []
        while not self.changes.empty():
            out.append(self.changes.get())
        return out


@pytest.fixture(params=["inotify", "watchfiles"])
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    # watchfiles says "watching" at its first timeout: short, so that each test starts at once
    monkeypatch.setattr(watch_mod, "RUST_TIMEOUT_MS", 300)
    return str(request.param)


def _start(ws: Workspace, cfg: WatchConfig,
           clock: FrozenClock | None = None) -> tuple[WorkspaceWatcher, Recorder, threading.Thread]:
    rec = Recorder()
    w = WorkspaceWatcher(ws.root, ws.config.agent_names, cfg, rec.changes.put,
                         lambda m, r: rec.modes.append((m, r)))
    if clock is not None:
        w.clock = clock  # the pacer's clock: it moves only when the test says so
    t = threading.Thread(target=w.run, daemon=True)
    t.start()
    end = time.monotonic() + 5
    while w.mode == "starting" and time.monotonic() < end:
        time.sleep(0.02)
    return w, rec, t


def _stop(w: WorkspaceWatcher, t: threading.Thread) -> None:
    w.stop()
    t.join(5)
    assert not t.is_alive()


def test_auto_is_inotify_on_linux() -> None:
    assert WatchConfig().backend == "auto" and watch_mod.inotify_available()


def test_watcher_maps_changes_to_their_tenant(ws: Workspace, backend: str) -> None:
    w, rec, t = _start(ws, WatchConfig(backend=backend))
    try:
        assert w.mode == "watching"
        time.sleep(0.1)
        record_dispatch(ws.agent("bjork"), id="d1", event="enqueued")
        assert rec.wait_for(lambda s: "bjork" in s) == {"bjork"}
        # creating the log is two events (create, modify): the second may be held for bjork's spell
        time.sleep(0.05)  # the second event is in (held or read)
        end = time.monotonic() + 5
        while w.pacer.held and time.monotonic() < end:
            time.sleep(0.02)
        assert set().union(*(c.agents for c in rec.drain())) <= {"bjork"}
        atomic_write_bytes(ws.root / "board" / "index.json", (ws.root / "board" / "index.json").read_bytes())
        seen = rec.wait_for(lambda s: "shared:index" in s)
        assert not (seen & set(ws.config.agent_names))
        append_jsonl(ws.internal_dir / "catalyst-tui.log", {"msg": "ours"})  # ignored
        time.sleep(0.4)
        assert rec.drain() == []
    finally:
        _stop(w, t)


def test_watching_is_reported_at_once_and_stop_wakes_the_loop(ws: Workspace, backend: str,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    # inotify knows at once; watchfiles' generator says so at its first timeout (made short here)
    monkeypatch.setattr(watch_mod, "RUST_TIMEOUT_MS", 60_000 if backend == "inotify" else 300)
    t0 = time.monotonic()
    w, rec, t = _start(ws, WatchConfig(backend=backend))
    assert w.mode == "watching" and time.monotonic() - t0 < 2  # before any change happened
    assert rec.modes == [("watching", None)]
    t1 = time.monotonic()
    w.stop()
    t.join(5)
    assert not t.is_alive() and time.monotonic() - t1 < 1.0
    assert rec.drain() == []


def test_bursts_are_coalesced(ws: Workspace, backend: str) -> None:
    w, rec, t = _start(ws, WatchConfig(backend=backend, debounce_ms=200, step_ms=50, coalesce_ms=100))
    try:
        time.sleep(0.1)
        for i in range(60):
            record_dispatch(ws.agent(NAMES[i % 3]), id=f"d{i}", event="enqueued")
        seen = rec.wait_for(lambda s: set(NAMES) <= s)
        assert seen == set(NAMES)
        time.sleep(0.3)
        assert w.batches < 60 / 3  # 60 writes, far fewer batches
    finally:
        _stop(w, t)


def test_a_burst_of_10000_writes_is_seen_to_its_end(ws: Workspace, backend: str) -> None:
    w, rec, t = _start(ws, WatchConfig(backend=backend))
    try:
        time.sleep(0.1)
        paths = [ws.agent(n).dispatch for n in NAMES]
        for i in range(10_000):
            append_line(paths[i % 3], b'{"event":"enqueued","id":"x","ts":1}\n')
        assert rec.wait_for(lambda s: set(NAMES) <= s, timeout=10) >= set(NAMES)
        time.sleep(0.3)
        rec.drain()
        append_line(paths[0], b'{"event":"enqueued","id":"last","ts":1}\n')  # the feed is still live after it
        assert rec.wait_for(lambda s: NAMES[0] in s) == {NAMES[0]}
        assert w.batches < 10_000 / 10
    finally:
        _stop(w, t)


def test_rotation_and_truncation_are_changes(ws: Workspace, backend: str) -> None:
    w, rec, t = _start(ws, WatchConfig(backend=backend))
    try:
        time.sleep(0.1)
        log = ws.agent("slash").dispatch
        record_dispatch(ws.agent("slash"), id="d1", event="enqueued")
        rec.wait_for(lambda s: "slash" in s)
        os.replace(log, log.with_name("dispatch.jsonl.1"))  # rotated away ...
        rec.wait_for(lambda s: "slash" in s)
        record_dispatch(ws.agent("slash"), id="d2", event="enqueued")  # ... and a new file begun
        rec.wait_for(lambda s: "slash" in s)
        os.truncate(log, 0)
        assert rec.wait_for(lambda s: "slash" in s) == {"slash"}
    finally:
        _stop(w, t)


def test_a_directory_removed_and_recreated_is_watched_again(ws: Workspace, backend: str) -> None:
    w, rec, t = _start(ws, WatchConfig(backend=backend))
    try:
        time.sleep(0.1)
        agent_dir = ws.root / "agents" / "cher"
        shutil.rmtree(agent_dir)
        rec.wait_for(lambda s: "cher" in s)
        agent_dir.mkdir()
        (agent_dir / "cards").mkdir()
        time.sleep(0.2)
        rec.drain()
        (agent_dir / "cards" / "c-1.md").write_text("# new")  # inside a directory that did not exist
        assert rec.wait_for(lambda s: "cher" in s) == {"cher"}
        assert w.mode == "watching"
    finally:
        _stop(w, t)


def test_a_kernel_queue_overflow_reports_everything(ws: Workspace) -> None:
    """Hold the feed's thread in its callback while more events than the kernel queues happen."""
    limit = int(Path("/proc/sys/fs/inotify/max_queued_events").read_text())
    held, release = threading.Event(), threading.Event()
    got: list[ChangeSet] = []

    def on_change(change: ChangeSet) -> None:
        got.append(change)
        if not held.is_set():
            held.set()
            release.wait(30)

    w = WorkspaceWatcher(ws.root, ws.config.agent_names, WatchConfig(backend="inotify"), on_change)
    t = threading.Thread(target=w.run, daemon=True)
    t.start()
    try:
        end = time.monotonic() + 5
        while w.mode != "watching" and time.monotonic() < end:
            time.sleep(0.02)
        record_dispatch(ws.agent("bjork"), id="d1", event="enqueued")
        assert held.wait(5)
        spam = ws.root / "agents" / "bjork"
        for i in range(limit + 200):  # distinct names: the kernel cannot merge the events
            (spam / f"g{i}").touch()
        release.set()
        end = time.monotonic() + 10
        while not any(c.agents == frozenset(ws.config.agent_names) for c in got) and time.monotonic() < end:
            time.sleep(0.05)
        assert any(c.agents == frozenset(ws.config.agent_names) and "index" in c.shared for c in got)
        got.clear()
        record_dispatch(ws.agent("slash"), id="d2", event="enqueued")  # still watching afterwards
        end = time.monotonic() + 5
        while not any("slash" in c.agents for c in got) and time.monotonic() < end:
            time.sleep(0.05)
        assert any("slash" in c.agents for c in got) and w.mode == "watching"
    finally:
        release.set()
        _stop(w, t)


def test_permission_denied_falls_back_to_polling_and_says_why(ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    # as root a chmod stops nothing, so the kernel's refusal is what add_watch raises for EACCES
    real = inotify_feed.INotify.add_watch

    def refuse(self, path, mask):  # type: ignore[no-untyped-def]
        if str(path).endswith("/agents/slash"):
            raise OSError(errno.EACCES, "Permission denied")
        return real(self, path, mask)

    monkeypatch.setattr(inotify_feed.INotify, "add_watch", refuse)
    w, rec, t = _start(ws, WatchConfig(backend="inotify", poll_interval_s=0.1))
    try:
        assert w.mode == "polling"
        assert "permission denied" in (w.reason or "") and "agents/slash" in (w.reason or "")
        record_dispatch(ws.agent("slash"), id="d1", event="enqueued")
        assert "slash" in rec.wait_for(lambda s: "slash" in s, timeout=3)
    finally:
        _stop(w, t)


def test_watch_failure_falls_back_to_polling(ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*a, **k):  # type: ignore[no-untyped-def]
        raise OSError(28, "inotify watch limit reached")

    import watchfiles

    monkeypatch.setattr(watchfiles, "watch", broken)
    w, rec, t = _start(ws, WatchConfig(backend="watchfiles", poll_interval_s=0.1))
    try:
        assert w.mode == "polling"
        assert rec.modes[0][0] == "polling" and "inotify watch limit reached" in (rec.modes[0][1] or "")
        record_dispatch(ws.agent("slash"), id="d1", event="enqueued")
        assert "slash" in rec.wait_for(lambda s: "slash" in s, timeout=3)
    finally:
        w.stop()
        t.join(5)


def test_removed_directory_is_reported_not_silent(tmp_path: Path, backend: str) -> None:
    ws = Workspace.create(tmp_path / "ws")
    w, _rec, t = _start(ws, WatchConfig(backend=backend, poll_interval_s=0.1))
    try:
        assert w.mode == "watching"
        shutil.rmtree(ws.root)
        end = time.monotonic() + 6
        while w.mode != "polling" and time.monotonic() < end:
            time.sleep(0.05)
        assert w.mode == "polling"
        assert (w.reason and "removed" in w.reason) or "failed" in (w.reason or "")
    finally:
        w.stop()
        t.join(5)
    assert not t.is_alive()


def test_disabled_watching_polls(ws: Workspace) -> None:
    w, rec, t = _start(ws, WatchConfig(enabled=False, poll_interval_s=0.1))
    try:
        assert rec.modes == [("polling", "watching disabled in catalyst.toml")]
        record_dispatch(ws.agent("cher"), id="d1", event="enqueued")
        assert rec.wait_for(lambda s: "cher" in s, timeout=3) == {"cher"}
    finally:
        w.stop()
        t.join(5)


def _start_paced(ws: Workspace, clock: FrozenClock,
                 **cfg: object) -> tuple[WorkspaceWatcher, Recorder, threading.Thread]:
    return _start(ws, WatchConfig(backend="inotify", read_every_ms=200, **cfg), clock)  # type: ignore[arg-type]


def _next_change(rec: Recorder, timeout: float = 5.0) -> ChangeSet:
    return rec.changes.get(timeout=timeout)


def test_a_streaming_tenant_is_held_a_quiet_one_read_at_once_and_the_held_read_comes_by_itself(
        ws: Workspace) -> None:
    clock = FrozenClock(1000.0)
    w, rec, t = _start_paced(ws, clock)
    try:
        record_dispatch(ws.agent("bjork"), id="d1", event="enqueued")
        assert _next_change(rec).agents == {"bjork"}  # quiet: at once
        record_dispatch(ws.agent("bjork"), id="d2", event="enqueued")  # within its spell (the clock stands)
        end = time.monotonic() + 5
        while "bjork" not in w.pacer.held and time.monotonic() < end:
            time.sleep(0.01)
        assert w.pacer.held == {"bjork"} and rec.drain() == []
        record_dispatch(ws.agent("slash"), id="s1", event="enqueued")
        assert _next_change(rec).agents == {"slash"}  # not held behind bjork's spell
        assert w.pacer.held == {"bjork"}
        clock.advance(0.2)  # bjork's spell ends: no new event, the feed wakes for it
        assert _next_change(rec).agents == {"bjork"}
        assert not w.pacer.held
    finally:
        _stop(w, t)


def test_shared_state_is_never_held(ws: Workspace) -> None:
    clock = FrozenClock(1000.0)
    w, rec, t = _start_paced(ws, clock)
    try:
        for _ in range(2):  # the second write is within the first one's spell
            index = ws.root / "board" / "index.json"
            atomic_write_bytes(index, index.read_bytes())
            assert "index" in _next_change(rec).shared
    finally:
        _stop(w, t)


def test_a_held_read_is_not_left_behind_when_watching_fails(ws: Workspace) -> None:
    clock = FrozenClock(1000.0)
    w, rec, t = _start_paced(ws, clock, poll_interval_s=0.1)
    try:
        record_dispatch(ws.agent("bjork"), id="d1", event="enqueued")
        assert _next_change(rec).agents == {"bjork"}
        record_dispatch(ws.agent("bjork"), id="d2", event="enqueued")
        end = time.monotonic() + 5
        while "bjork" not in w.pacer.held and time.monotonic() < end:
            time.sleep(0.01)
        assert w.pacer.held == {"bjork"}
        shutil.rmtree(ws.root)  # the feed stops: polling next (the other tenants' deletions: read at once)
        assert "bjork" in rec.wait_for(lambda s: "bjork" in s)  # the clock never moved: read on the way out
        assert not w.pacer.held
    finally:
        _stop(w, t)
