"""Helpers for Pilot and snapshot tests of any screen (docs/ui-shell.md, "Testing").

Deterministic by construction: a frozen clock, fixed card ids, no polling timers unless
asked, no cursor blink.
"""

from __future__ import annotations

import contextlib
import itertools
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from catalyst_tui.core.agents import write_state
from catalyst_tui.core.board import store as board_mod  # where card, event and session ids are drawn
from catalyst_tui.core.models import AgentState
from catalyst_tui.core.workspace import Workspace

FROZEN_NOW = 1_767_225_600.0  # 2026-01-01 00:00:00 UTC


class FrozenClock:
    """A clock that only moves when told: ``clock.advance(5)``."""

    def __init__(self, now: float = FROZEN_NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@contextlib.contextmanager
def fixed_ids(prefix: int = 0) -> Iterator[None]:
    """Card and event ids from a counter instead of random bytes (c-00000001, ...)."""
    counter = itertools.count(prefix + 1)
    real = board_mod._token
    board_mod._token = lambda nbytes: f"{next(counter):0{2 * nbytes}x}"
    try:
        yield
    finally:
        board_mod._token = real


def seed_workspace(root: Path, cards: dict[str, list[tuple[str, str]]] | None = None,
                   per_lane: int = 0, now: float = FROZEN_NOW, healthy: bool = True) -> Workspace:
    """A workspace with the nine default agents and deterministic cards.

    ``cards`` maps agent -> [(column, title), ...]; ``per_lane`` adds that many generated
    cards to every lane, spread over the columns. Ids are c-00000001, c-00000002, ...;
    card times come from a deterministic clock a day before ``now``, so ages are stable
    under a FrozenClock(now).
    """
    ws = Workspace.create(root)
    board = ws.board
    ticks = itertools.count()
    board.clock = lambda: now - 86_400.0 + 7.0 * next(ticks)  # deterministic, in the past
    with fixed_ids():
        for agent, items in (cards or {}).items():
            for column, title in items:
                board.add(agent, title, column=column)
        if per_lane:
            cols = board.columns
            for agent in ws.config.agent_names:
                for i in range(per_lane):
                    board.add(agent, f"{agent} task {i + 1}", column=cols[i % len(cols)])
    board.clock = time.time
    if healthy:  # every agent running with a fresh heartbeat (no pid: liveness not checked)
        for agent in ws.config.agent_names:
            write_state(ws.agent(agent), AgentState(agent=agent, status="running", heartbeat=now - 5,
                                                    updated=now - 5))
    return ws


def make_app(ws: Workspace, clock: FrozenClock | None = None, **kw: Any) -> Any:
    """A CatalystApp for ``app.run_test()`` / ``snap_compare``: frozen clock, no runtime started
    (``services=True`` starts it: change feed, scans, schedules), no blink."""
    from catalyst_tui.ui.app import CatalystApp

    clock = clock or FrozenClock()
    ws.board.clock = clock  # moves made by the app are stamped with the frozen time too
    kw.setdefault("services", False)  # the runtime (watcher, scans, schedules) only when asked
    app = CatalystApp(ws, clock=clock, cursor_blink=False,
                      config_dir=ws.root / ".test-config", **kw)
    app.sub_title = ws.root.name  # not the tmp path: snapshots must not depend on it
    return app


async def settle(pilot: Any, timeout: float = 5.0) -> None:
    """Wait until every worker finished and its messages were handled (after a key press)."""
    app = pilot.app
    deadline = time.monotonic() + timeout
    await pilot.pause()
    while time.monotonic() < deadline:
        if all(w.is_finished for w in app.workers):
            await pilot.pause()
            await pilot.pause()
            if all(w.is_finished for w in app.workers):
                return
        await pilot.pause(0.01)
    raise AssertionError("workers did not finish in time")


async def wait_for_data(pilot: Any, timeout: float = 5.0) -> None:
    """Wait until the first index and agent statuses have arrived (use as snap_compare's run_before)."""
    app = pilot.app
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        await pilot.pause()
        if app.index.seq and len(app.statuses) == len(app.ws.config.agent_names):
            await settle(pilot, timeout)
            return
        await pilot.pause(0.02)
    raise AssertionError("the app did not load its data in time")


async def until(pilot: Any, cond: Callable[[], object], timeout: float = 5.0) -> None:
    """Let the app run until ``cond()`` is true (a Pilot test's wait for state, never a sleep)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        await pilot.pause(0.02)
        if cond():
            return
    raise AssertionError("condition not met in time")


def without_ports(ws: Workspace) -> Workspace:
    """No documented port: a runtime's port scan (no hub runs in tests) has nothing to report.

    Pair it with ``monkeypatch.setattr(PortsJob, "scan_source", staticmethod(ScanResult))`` so the
    machine's own listeners stay out of the test too."""
    import re

    lines = ws.ports_path.read_text().splitlines()
    ws.ports_path.write_text("\n".join(ln for ln in lines if not re.match(r"\| \d+ \|", ln)) + "\n")
    return ws


def feed_jobs(app: Any, holder: str = "runs in this dashboard", **next_due_in: float) -> None:
    """Hand the app a runtime's state without running one (snapshots: the same picture every time):
    who runs the jobs, and for each named job its next run ``next_due_in[name]`` seconds away."""
    from catalyst_tui.core.runtime import JobChanged, JobState, StateChanged
    from catalyst_tui.ui import bridge

    bridge.handle(app, StateChanged(None, "holder" if holder.startswith("runs in this") else "viewer", holder))
    for name, due_in in next_due_in.items():
        bridge.handle(app, JobChanged(JobState(name=name, interval_s=due_in, cap_s=60.0,
                                               next_due=app.clock() + due_in)))
