"""Realistic agent activity, written through the same core API the agents use.

Dispatches (enqueued -> started -> finished, with latencies and errors), heartbeats, work
log and chat lines, and card moves by the agents themselves. One agent can be told to
misbehave (slow p95, more errors) to give the triage view something to find.
"""

from __future__ import annotations

import random
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from catalyst_tui.core.agents import AgentPaths, own_state, record_chat, record_dispatch, record_work, write_state
from catalyst_tui.core.errors import CatalystError
from catalyst_tui.core.workspace import Workspace

HEARTBEAT_EVERY_S = 2.0
LINES = ("reading the spec", "running tests", "opened a PR", "waiting on review", "retrying the router",
         "summarised the thread", "updated the runbook", "checked the port map")


@dataclass
class Simulator:
    ws: Workspace
    rate: float = 20.0  # dispatches started per second, across all agents
    slow_agent: str | None = "bjork"
    seed: int | None = None
    move_every_s: float = 3.0
    clock: Callable[[], float] = time.time
    stats: dict[str, int] = field(default_factory=lambda: {"dispatches": 0, "moves": 0, "heartbeats": 0})

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.paths = {n: AgentPaths(self.ws.root, n) for n in self.ws.config.agent_names}
        self._last_hb = 0.0
        self._last_move = self.clock()

    def latency_ms(self, agent: str) -> float:
        base = self.rng.lognormvariate(5.5, 0.5)  # median ~250 ms
        if agent == self.slow_agent and self.rng.random() < 0.3:
            base *= 12
        return round(base, 1)

    def heartbeat(self) -> None:
        for paths in self.paths.values():
            write_state(paths, own_state(paths, status="running"))
        self.stats["heartbeats"] += 1

    def dispatch_one(self) -> None:
        agent = self.rng.choice(list(self.paths))
        paths = self.paths[agent]
        did = "d-" + secrets.token_hex(5)
        lat = self.latency_ms(agent)
        err_p = 0.15 if agent == self.slow_agent else 0.02
        now = self.clock()
        started = now - lat / 1000  # the dispatch that finishes now began `lat` ago: no stamp in the future
        record_dispatch(paths, id=did, event="enqueued", ts=started)
        record_dispatch(paths, id=did, event="started", ts=started)
        status = "error" if self.rng.random() < err_p else "ok"
        record_dispatch(paths, id=did, event="finished", ts=now, status=status, latency_ms=lat,
                        **({"error": "upstream timeout"} if status == "error" else {}))
        if self.rng.random() < 0.2:
            record_work(paths, self.rng.choice(LINES))
        if self.rng.random() < 0.05:
            record_chat(paths, self.rng.choice(LINES))
        self.stats["dispatches"] += 1

    def move_one(self) -> None:
        """An agent moves one of its own cards one column forward."""
        agent = self.rng.choice(list(self.paths))
        cols = self.ws.config.board.columns
        cards = [c for c in self.ws.board.cards_for(agent) if c.column != cols[-1]]
        if not cards:
            return
        card = self.rng.choice(cards)
        try:
            self.ws.board.move(card.id, cols[cols.index(card.column) + 1], by=agent)
            record_work(self.paths[agent], f"moved to {cols[cols.index(card.column) + 1]}", card=card.id)
            self.stats["moves"] += 1
        except CatalystError:
            pass  # the operator moved it meanwhile: the agent simply tries another next time

    def step(self, dt: float) -> None:
        now = self.clock()
        if now - self._last_hb >= HEARTBEAT_EVERY_S:
            self.heartbeat()
            self._last_hb = now
        expected = self.rate * dt
        n = int(expected) + (1 if self.rng.random() < expected - int(expected) else 0)
        for _ in range(n):
            self.dispatch_one()
        if self.move_every_s and now - self._last_move >= self.move_every_s:
            self.move_one()
            self._last_move = now

    def run(self, duration: float | None = None, stop: threading.Event | None = None, tick: float = 0.1) -> None:
        stop = stop or threading.Event()
        end = None if duration is None else time.monotonic() + duration
        last = time.monotonic()
        while not stop.is_set() and (end is None or time.monotonic() < end):
            now = time.monotonic()
            self.step(now - last)
            last = now
            stop.wait(tick)
        for paths in self.paths.values():
            write_state(paths, own_state(paths, status="idle"))
