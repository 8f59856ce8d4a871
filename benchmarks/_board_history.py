"""The history case of bench_board.py: a board a year old against the same live board alone.

100,000 cards of history: 95,500 done long ago, archived by the janitor (a real run, its card
phase), and the 4,500 live cards of ``build_workspace(root, 500)`` (ids, columns, titles and
times the same in both workspaces). Every card of both is created through one index
transaction (fast to set up); generated cards name no files (so the janitor's reconciliation
has nothing to flag in either).
"""

from __future__ import annotations

import time
from pathlib import Path

from catalyst_tui.core.models import Card, CardRefs
from catalyst_tui.core.workspace import Workspace

LIVE_PER_LANE = 500
HISTORY = 95_500
DAY = 86400.0


def live_cards(ws: Workspace, now: float, per_lane: int = LIVE_PER_LANE) -> dict[str, Card]:
    cols = ws.config.board.columns
    out = {}
    for agent in ws.config.agent_names:
        for i in range(per_lane):
            cid = f"c-{agent[:3]}{i:05d}"
            out[cid] = Card(id=cid, agent=agent, column=cols[i % len(cols)], order=float(i),
                            title=f"{agent} task {i} — something to do for the hub", created=now - i,
                            moved=now - i, refs=CardRefs())
    return out


def build(root: Path, history: int, now: float) -> Workspace:
    """The live board, plus ``history`` done cards older than the done TTL, archived by the janitor."""
    from catalyst_tui.core.janitor import Janitor

    ws = Workspace.create(root)
    agents = ws.config.agent_names
    done = ws.config.board.columns[-1]
    with ws.board._transaction() as idx:
        idx.cards.update(live_cards(ws, now))
        for n in range(history):
            agent = agents[n % len(agents)]
            cid = f"c-h{n:07d}"
            t = now - ws.config.board.done_ttl_s - DAY - n * 60.0  # a card done every minute, for months
            idx.cards[cid] = Card(id=cid, agent=agent, column=done, order=float(n), created=t - DAY, moved=t,
                                  title=f"{agent} finished task {n} — something done for the hub",
                                  refs=CardRefs())
    if history:
        t0 = time.perf_counter()
        report = Janitor(ws, clock=lambda: now).run()
        ws.janitor_s = time.perf_counter() - t0  # type: ignore[attr-defined]
        moved = report["totals"]["cards_archived"]
        assert moved == history and not report["capped"], (moved, report["capped"], report["errors"])
    assert len(ws.board.load().cards) == len(agents) * LIVE_PER_LANE
    return ws
