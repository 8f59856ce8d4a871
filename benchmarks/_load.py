"""The live path's load: dispatch records appended to every agent's log at a steady rate, in a thread."""

from __future__ import annotations

import threading
import time

from catalyst_tui.core.agents import AgentPaths
from catalyst_tui.core.storage import append_line
from catalyst_tui.core.workspace import Workspace


class Load:
    """``agents`` x ``rate`` dispatch records per second (enqueued + finished pairs), in a thread."""

    def __init__(self, ws: Workspace, rate: float = 100.0, agents: list[str] | None = None) -> None:
        self.ws = ws
        self.rate = rate
        self.agents = agents or ws.config.agent_names
        self.written = dict.fromkeys(self.agents, 0)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        paths = {a: AgentPaths(self.ws.root, a).dispatch for a in self.agents}
        tick = 0.02
        per_tick = self.rate * tick
        carry = 0.0
        seq = 0
        next_t = time.monotonic()
        while not self.stop.is_set():
            carry += per_tick
            n = int(carry)
            carry -= n
            now = time.time()
            for _ in range(n):
                seq += 1
                for agent, path in paths.items():
                    if seq % 2:  # every agent: enqueued, then (next record) finished, same id
                        line = f'{{"event":"enqueued","id":"L{seq // 2}","ts":{now:.3f}}}\n'
                    else:
                        st = "error" if seq % 40 == 0 else "ok"
                        line = (f'{{"event":"finished","id":"L{(seq - 1) // 2}","latency_ms":{50 + seq % 300},'
                                f'"status":"{st}","ts":{now:.3f}}}\n')
                    append_line(path, line.encode())
                    self.written[agent] += 1
            next_t += tick
            self.stop.wait(max(0.0, next_t - time.monotonic()))

    def __enter__(self) -> Load:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(10)
