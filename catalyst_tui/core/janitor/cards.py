"""The janitor's card phase: done cards past ``[board] done_ttl_s`` leave the shared index.

They move to their agents' archives through :meth:`Board.archive_done`, in batches (one index
transaction each, so the index lock is never held for long) until none is left or the run's
``max_runtime_s`` is reached; the rest waits for the next run. Each batch is journaled in the
board's audit journal (one ``archive`` event per card, restorable with ``card restore``) and
in the janitor's journal (one ``archive-cards`` record per agent).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from catalyst_tui.core.board import ARCHIVE_BATCH, IndexView
from catalyst_tui.core.errors import CatalystError
from catalyst_tui.core.janitor import journal
from catalyst_tui.core.janitor.journal import JanitorPaths
from catalyst_tui.core.workspace import Workspace

if TYPE_CHECKING:
    from catalyst_tui.core.janitor.plan import Plan  # plan calls plan_card_archive


def plan_card_archive(plan: Plan, ws: Workspace, view: IndexView) -> None:
    """How many cards per agent a run would archive now (``plan.archive_cards``)."""
    before = plan.now - ws.config.board.done_ttl_s
    done_col = ws.config.board.columns[-1]
    for card in view.cards.values():
        if card.column == done_col and card.moved < before:
            plan.archive_cards[card.agent] = plan.archive_cards.get(card.agent, 0) + 1


def archive_cards(ws: Workspace, plan: Plan, paths: JanitorPaths, deadline: float,
                  monotonic: Callable[[], float], clock: Callable[[], float],
                  batch: int = ARCHIVE_BATCH) -> dict[str, int]:
    """Archive the planned cards, batch by batch, within the deadline; returns how many per agent."""
    moved: dict[str, int] = {}
    if not plan.archive_cards:
        return moved
    before = plan.now - ws.config.board.done_ttl_s
    while monotonic() < deadline:
        try:
            got = ws.board.archive_done(before, limit=batch, by="janitor")
        except CatalystError as exc:
            plan.errors.append(f"archive done cards: {exc}")
            break
        for agent, n in sorted(got.items()):
            moved[agent] = moved.get(agent, 0) + n
            journal.write(paths, ts=clock(), run=plan.run_id, agent=agent, action="archive-cards", count=n,
                          dest=f"agents/{agent}/archive/")
        if sum(got.values()) < batch:
            return moved
    plan.walk.capped = True  # the rest waits for the next run
    return moved
