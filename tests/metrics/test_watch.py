"""The workspace watcher: real inotify on tmp_path, real fallback to polling."""

from __future__ import annotations

import queue
import shutil
import threading
import time
from pathlib import Path

import pytest

from catalyst_tui.core.agents import record_dispatch
from catalyst_tui.core.config import WatchConfig
from catalyst_tui.core.health import ChangeSet, WorkspaceWatcher, classify
from catalyst_tui.core.health import watch as watch_mod
from catalyst_tui.core.storage import append_jsonl, atomic_write_bytes
from catalyst_tui.core.workspace import Workspace

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


def _start(ws: Workspace, cfg: WatchConfig) -> tuple[WorkspaceWatcher, Recorder, threading.Thread]:
    rec = Recorder()
    w = WorkspaceWatcher(ws.root, ws.config.agent_names, cfg, rec.changes.put,
                         lambda m, r: rec.modes.append((m, r)))
    t = threading.Thread(target=w.run, daemon=True)
    t.start()
    end = time.monotonic() + 5
    while w.mode == "starting" and time.monotonic() < end:
        time.sleep(0.02)
    return w, rec, t


def test_watcher_maps_changes_to_their_tenant(ws: Workspace) -> None:
    w, rec, t = _start(ws, WatchConfig())
    try:
        assert w.mode == "watching"
        time.sleep(0.1)
        record_dispatch(ws.agent("bjork"), id="d1", event="enqueued")
        assert rec.wait_for(lambda s: "bjork" in s) == {"bjork"}
        atomic_write_bytes(ws.root / "board" / "index.json", (ws.root / "board" / "index.json").read_bytes())
        seen = rec.wait_for(lambda s: "shared:index" in s)
        assert not (seen & set(ws.config.agent_names))
        append_jsonl(ws.internal_dir / "catalyst-tui.log", {"msg": "ours"})  # ignored
        time.sleep(0.4)
        assert rec.drain() == []
    finally:
        w.stop()
        t.join(5)
    assert not t.is_alive()


def test_watching_is_reported_at_once_and_stop_wakes_the_loop(ws: Workspace,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(watch_mod, "RUST_TIMEOUT_MS", 60_000)  # only stop() can end the wait
    t0 = time.monotonic()
    w, rec, t = _start(ws, WatchConfig())
    assert w.mode == "watching" and time.monotonic() - t0 < 2  # before any change happened
    assert rec.modes == [("watching", None)]
    wake = w._wake_dir
    assert wake is not None and Path(wake).is_dir() and not Path(wake).is_relative_to(ws.root)
    t1 = time.monotonic()
    w.stop()
    t.join(5)
    assert not t.is_alive() and time.monotonic() - t1 < 1.0  # woken through the private directory
    assert rec.drain() == []  # the wake-up file is not a change of the workspace
    assert not Path(wake).exists()  # and the directory is gone with the watcher


def test_bursts_are_coalesced(ws: Workspace) -> None:
    w, rec, t = _start(ws, WatchConfig(debounce_ms=200, step_ms=50))
    try:
        time.sleep(0.1)
        for i in range(60):
            record_dispatch(ws.agent(NAMES[i % 3]), id=f"d{i}", event="enqueued")
        seen = rec.wait_for(lambda s: set(NAMES) <= s)
        assert seen == set(NAMES)
        time.sleep(0.3)
        assert w.batches < 60 / 3  # 60 writes, far fewer batches
    finally:
        w.stop()
        t.join(5)


def test_watch_failure_falls_back_to_polling(ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*a, **k):  # type: ignore[no-untyped-def]
        raise OSError(28, "inotify watch limit reached")

    monkeypatch.setattr(watch_mod, "RustNotify", broken)
    w, rec, t = _start(ws, WatchConfig(poll_interval_s=0.1))
    try:
        assert w.mode == "polling"
        assert rec.modes[0][0] == "polling" and "inotify watch limit reached" in (rec.modes[0][1] or "")
        record_dispatch(ws.agent("slash"), id="d1", event="enqueued")
        assert "slash" in rec.wait_for(lambda s: "slash" in s, timeout=3)
    finally:
        w.stop()
        t.join(5)


def test_removed_directory_is_reported_not_silent(tmp_path: Path) -> None:
    ws = Workspace.create(tmp_path / "ws")
    w, _rec, t = _start(ws, WatchConfig(poll_interval_s=0.1))
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
