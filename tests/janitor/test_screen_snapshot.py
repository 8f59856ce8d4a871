"""SVG snapshots of the Janitor screen (with Pilot assertions on the same state).

The reports are fixed JSON files (ids, times and durations of real runs vary), so the picture
only changes when the screen does."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from catalyst_tui.core.janitor import JanitorPaths
from catalyst_tui.core.workspace import Workspace
from catalyst_tui.ui.screens.janitor import JanitorScreen
from catalyst_tui.ui.testing import FROZEN_NOW, feed_jobs, make_app, seed_workspace, settle, wait_for_data
from catalyst_tui.ui.widgets.janitor_items import JanitorItems
from catalyst_tui.ui.widgets.janitor_runs import JanitorRuns


def _report(run: str, started: float, archived: int, flagged_cards: list[dict], reclaimed: int) -> dict:
    return {
        "run": run, "dry_run": False, "started": started, "finished": started + 0.42, "duration_s": 0.42,
        "clock": started, "full_walk": True, "capped": False, "scanned": 1234,
        "totals": {"scanned": 1234, "footprint_bytes": 900_000, "archived": archived, "removed": 1,
                   "flagged": len(flagged_cards), "rotated": 0, "abandoned": 0, "kept": 0,
                   "bytes_reclaimed": reclaimed},
        "agents": {}, "actions": [], "kept": [], "abandoned": [
            {"agent": "ozzy", "id": "d-ozz000042", "card": None, "last_ts": started - 7200,
             "reason": "enqueued but agent is stopped"}],
        "flagged_cards": flagged_cards, "reported": [
            {"kind": "orphan-file", "card": None, "agent": "nina",
             "detail": "agents/nina/cards/c-0000dead.md is referred to by no card"}],
        "recovered": [], "mounts_skipped": [], "unopenable": [], "errors": [], "problems": [],
    }


def _seed(root: Path) -> Workspace:
    ws = seed_workspace(root, {"bjork": [("todo", "Fix the router")]})
    paths = JanitorPaths(ws.root)
    paths.runs.mkdir(parents=True)
    older = _report("20251231T220000Z-aaaaaa", FROZEN_NOW - 7200, 3, [], 4096)
    newer = _report("20251231T230000Z-bbbbbb", FROZEN_NOW - 3600, 2, [
        {"card": "c-00000001", "agent": "bjork", "reason": "missing body agents/bjork/cards/c-00000001.md"},
        {"card": "c-0000beef", "agent": "slash", "reason": "missing log [red]agents/slash/worklog.jsonl[/red]"},
    ], 2048)
    for r in (older, newer):
        (paths.runs / f"{r['run']}.json").write_bytes(orjson.dumps(r))
    return ws


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
def test_janitor_screen_snapshot(tmp_path: Path, snap_compare, size: tuple[int, int]) -> None:
    app = make_app(_seed(tmp_path / "ws"))
    state: dict = {}

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await wait_for_data(pilot)
        feed_jobs(pilot.app, "runs in daemon pid 4242", janitor=1800.0)  # a daemon runs the jobs
        await pilot.press("f4")
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, JanitorScreen)
        state["runs"] = screen.query_one(JanitorRuns).shown
        state["items"] = screen.query_one(JanitorItems).rows_shown
        state["runner"] = str(screen.query_one("#janitor-runner").render())

    assert snap_compare(app, terminal_size=size, run_before=run_before)
    assert state["runs"] == ["20251231T230000Z-bbbbbb", "20251231T220000Z-aaaaaa"]
    assert state["runner"] == "janitor runs in daemon pid 4242"
    assert state["items"] == [
        ("ozzy", "dispatch d-ozz000042", "enqueued but agent is stopped"),
        ("bjork", "card c-00000001", "missing body agents/bjork/cards/c-00000001.md"),
        ("slash", "card c-0000beef", "missing log [red]agents/slash/worklog.jsonl[/red]"),
        ("nina", "orphan-file", "agents/nina/cards/c-0000dead.md is referred to by no card"),
    ]
