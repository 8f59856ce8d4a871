"""Pilot tests of the Janitor screen (F4), and a janitor flag showing on the board."""

from __future__ import annotations

import itertools
import os
import time
from pathlib import Path

import msgspec
import pytest
from janitor_helpers import NO_PID, tree_digest

from catalyst_tui.core.janitor import JanitorPaths
from catalyst_tui.core.workspace import Workspace
from catalyst_tui.ui.screens.janitor import JanitorScreen
from catalyst_tui.ui.testing import FROZEN_NOW, FrozenClock, make_app, seed_workspace, settle, wait_for_data
from catalyst_tui.ui.widgets.countdown import Countdown
from catalyst_tui.ui.widgets.janitor_items import JanitorItems
from catalyst_tui.ui.widgets.janitor_runs import JanitorRuns

OLD = FROZEN_NOW - 30 * 86400
ORPHAN = f"agents/cher/.state.json.tmp-{NO_PID}-aa"


def _workspace(tmp_path: Path) -> tuple[Workspace, str]:
    ws = seed_workspace(tmp_path / "ws", {"nina": [("todo", "body goes missing")],
                                          "bjork": [("todo", "[red]hostile[/red] title")]})
    for name in ws.config.agent_names:
        (ws.root / f"agents/{name}/worklog.jsonl").write_text('{"ts": 1, "text": "x"}\n')
    card = next(c for c in ws.board.load().cards.values() if c.agent == "nina")
    (ws.root / card.refs.body).unlink()  # type: ignore[operator]
    orphan = ws.root / ORPHAN
    orphan.write_bytes(b"{")
    os.utime(orphan, (OLD, OLD))
    # the clock is frozen in the past of every file the seed wrote: age only the orphan
    return ws, card.id


async def until(pilot, cond, what: str = "condition", timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await pilot.pause(0.02)
    await settle(pilot)


async def _runs(pilot, n: int) -> None:  # type: ignore[no-untyped-def]
    """Until the runtime's janitor finished ``n`` runs and the screen read their reports."""
    app = pilot.app
    await until(pilot, lambda: app.jobs.get("janitor") is not None and app.jobs["janitor"].runs >= n
                and not app.jobs["janitor"].running, f"{n} janitor runs")
    await until(pilot, lambda: app.screen.runs_seen == app.jobs["janitor"].runs, "the reports")


async def _open(pilot) -> JanitorScreen:  # type: ignore[no-untyped-def]
    await wait_for_data(pilot)
    app = pilot.app
    if app.services:
        await until(pilot, lambda: app.jobs_runner != "starting"
                    and (not app.runtime.is_holder or "janitor" in app.jobs), "the runtime")
    await pilot.press("f4")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, JanitorScreen) and pilot.app.current_mode == "janitor"
    return screen


def _item_rows(screen: JanitorScreen) -> list[tuple[str, str, str]]:
    return screen.query_one(JanitorItems).rows_shown


async def test_preview_changes_nothing_and_lists_what_a_run_would_do(tmp_path: Path) -> None:
    ws, card_id = _workspace(tmp_path)
    app = make_app(ws, services=True)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open(pilot)
        assert screen.query_one(JanitorItems).border_title == "no janitor run yet: r runs now, p previews"
        assert screen.query_one(Countdown).current == "next run in 30 min 00 s"
        before = tree_digest(ws.root)
        await pilot.press("p")
        await settle(pilot)
        assert screen.preview is not None and not screen.previewing
        assert tree_digest(ws.root) == before
        rows = _item_rows(screen)
        assert ("cher", f"would archive {ORPHAN}", rows[0][2]) == rows[0]
        assert ("nina", f"card {card_id}", "missing body agents/nina/cards/" + card_id + ".md") in rows
        assert not JanitorPaths(ws.root).journal.exists()


async def test_run_now_archives_flags_and_the_board_shows_the_flag(tmp_path: Path) -> None:
    ws, card_id = _workspace(tmp_path)
    app = make_app(ws, services=True)
    async with app.run_test(size=(160, 48)) as pilot:  # wide enough for the card's meta line
        screen = await _open(pilot)
        await pilot.press("r")
        await _runs(pilot, 1)
        assert screen.last is not None and screen.error is None
        assert screen.summary is not None and screen.summary.run == screen.last["run"]  # the typed result
        assert not (ws.root / ORPHAN).exists()
        assert (ws.root / "archive" / screen.last["run"] / ORPHAN).exists()
        assert screen.query_one(JanitorRuns).shown == [screen.last["run"]]
        assert ("nina", f"card {card_id}", f"missing body agents/nina/cards/{card_id}.md") in _item_rows(screen)
        assert "janitor" not in app.shared_problems
        # re-armed after the run: the next one is a whole interval away
        assert app.jobs["janitor"].next_due == pytest.approx(app.clock() + 1800)
        await settle(pilot)
        assert "needs-review" in app.index.cards[card_id].flags
        await pilot.press("f1", "6")  # the board, nina's lane (the 6th) focused
        await settle(pilot)
        lane = next(ln for ln in app.screen.view.lanes if ln.agent == "nina")
        assert lane.lane_focused
        lines = "\n".join(lane.render_line(y).text for y in range(lane.size.height))
        assert "⚑needs-review" in lines


async def test_read_only_runs_nothing_but_previews(tmp_path: Path) -> None:
    ws, _ = _workspace(tmp_path)
    app = make_app(ws, read_only=True, services=True)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open(pilot)
        assert screen.query_one(Countdown).current.startswith("read-only: scheduled runs are off")
        before = tree_digest(ws.root)
        await pilot.press("r")
        await settle(pilot)
        assert screen.last is None and app.jobs.get("janitor") is None  # a read-only viewer runs no duty
        assert any("read-only: janitor run not done" in str(n.message) for n in app._notifications)
        await pilot.press("p")
        await settle(pilot)
        assert screen.preview is not None
        assert tree_digest(ws.root) == before


async def test_failure_feeds_the_triage_line(tmp_path: Path) -> None:
    ws, _ = _workspace(tmp_path)
    jdir = JanitorPaths(ws.root).dir
    jdir.parent.mkdir(parents=True, exist_ok=True)
    jdir.write_text("not a directory")  # the janitor cannot keep its journal: the run fails
    app = make_app(ws, services=True)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open(pilot)
        await pilot.press("r")
        await _runs(pilot, 1)
        assert screen.error is not None and screen.last is None
        assert [p.text for p in app.shared_problems["janitor"]] == ["janitor run failed"]
        assert "janitor run failed" in app.triage.text
        # the next successful run clears it
        jdir.unlink()
        await pilot.press("r")
        await _runs(pilot, 2)
        assert screen.error is None and "janitor" not in app.shared_problems


async def test_countdown_ticks_without_redrawing_the_tables(tmp_path: Path) -> None:
    ws, _ = _workspace(tmp_path)
    clock = FrozenClock()
    app = make_app(ws, clock=clock, services=True)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open(pilot)
        runs, items = screen.query_one(JanitorRuns), screen.query_one(JanitorItems)
        refreshes: list[str] = []
        runs.refresh = lambda *a, **k: refreshes.append("runs")  # type: ignore[method-assign]
        items.refresh = lambda *a, **k: refreshes.append("items")  # type: ignore[method-assign]
        countdown = screen.query_one(Countdown)
        seen = countdown.updates
        for _ in range(3):
            clock.advance(1)
            countdown.tick()
        countdown.tick()  # same second: no change
        assert countdown.current == "next run in 29 min 57 s"
        assert countdown.updates == seen + 3
        assert refreshes == []


async def test_scheduled_runs_re_arm_and_never_overlap(tmp_path: Path) -> None:
    ws, _ = _workspace(tmp_path)
    ws.config = msgspec.structs.replace(ws.config, janitor=msgspec.structs.replace(ws.config.janitor, interval_s=0.05))
    app = make_app(ws, clock=time.time, services=True)  # a real clock: the runs' times are compared
    async with app.run_test(size=(80, 24)) as pilot:
        await _open(pilot)
        await _runs(pilot, 3)
        reports = [msgspec.json.decode(p.read_bytes()) for p in sorted(JanitorPaths(ws.root).runs.iterdir())]
        assert len(reports) >= 3
        spans = sorted((r["started"], r["finished"]) for r in reports)
        for (_, end), (start, _) in itertools.pairwise(spans):
            assert start >= end  # each run began after the previous one ended


async def test_footprint_view_and_choosing_a_run(tmp_path: Path) -> None:
    ws, card_id = _workspace(tmp_path)
    app = make_app(ws, services=True)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open(pilot)
        await pilot.press("r")
        await _runs(pilot, 1)
        first = screen.last
        assert first is not None
        (ws.root / "agents/bjork/cards/big.md").write_bytes(b"x" * 50_000)
        await pilot.press("r")
        await _runs(pilot, 2)
        second = screen.last
        assert second is not None and second["run"] != first["run"]
        items = screen.query_one(JanitorItems)
        await pilot.press("f")
        await settle(pilot)
        assert items.columns_shown == ("agent", "footprint", "over time")
        rows = {r[0]: r for r in items.rows_shown}
        assert rows["bjork"][2].startswith("▁█ +48.8 KiB over 2 runs")
        assert rows["cher"][2].startswith("▁▁ +0 B over 2 runs")
        await pilot.press("f")
        await settle(pilot)
        assert items.columns_shown == ("agent", "item", "why")
        # the older run, highlighted in the runs table, shows its own items
        runs = screen.query_one(JanitorRuns)
        runs.focus()
        await pilot.press("down")
        await settle(pilot)
        assert screen.selected is not None and screen.selected["run"] == first["run"]
        assert items.border_title == f"flagged by run {first['run']}"
        assert ("nina", f"card {card_id}", f"missing body agents/nina/cards/{card_id}.md") in items.rows_shown
