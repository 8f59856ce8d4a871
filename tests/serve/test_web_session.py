"""The app a web session runs (Pilot): a viewer that never runs the workspace's jobs, read-only
unless the server allows writes, and unable to turn writes on by itself."""

from __future__ import annotations

from pathlib import Path

from catalyst_tui.core.janitor import JanitorPaths
from catalyst_tui.core.workspace import Workspace
from catalyst_tui.ui.testing import FrozenClock, make_app, seed_workspace, settle, wait_for_data
from catalyst_tui.ui.web_session import WebSessionApp


def _seeded(tmp_path: Path, janitor_interval: float | None = None) -> Workspace:
    ws = seed_workspace(tmp_path / "ws", cards={"aretha": [("backlog", "Fix the router")]})
    if janitor_interval is not None:  # a janitor due almost at once, to see who runs it
        toml = ws.root / "catalyst.toml"
        toml.write_text(toml.read_text().replace("interval_s = 1800.0", f"interval_s = {janitor_interval}"))
        ws = Workspace.open(ws.root)
    return ws


def _session(ws: Workspace, allow_writes: bool) -> WebSessionApp:
    clock = FrozenClock()
    ws.board.clock = clock
    return WebSessionApp(ws, allow_writes=allow_writes, clock=clock, cursor_blink=False,
                         config_dir=ws.root / ".test-config")  # with its (viewer) runtime, as served


async def test_a_read_only_session_cannot_write_nor_turn_writes_on(tmp_path: Path) -> None:
    ws = _seeded(tmp_path)
    app = _session(ws, allow_writes=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for_data(pilot)
        await pilot.press("greater_than_sign")  # move the focused card: refused
        await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Toggle read-only")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        assert app.read_only and not app.can_toggle_read_only()
        app.action_toggle_read_only()  # however it is reached
        assert app.read_only
    assert ws.board.load().seq == 2 and next(iter(ws.board.load().cards.values())).column == "backlog"


async def test_a_session_with_writes_moves_cards_but_never_runs_a_job(tmp_path: Path) -> None:
    ws = _seeded(tmp_path, janitor_interval=0.2)
    app = _session(ws, allow_writes=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for_data(pilot)
        await pilot.press("greater_than_sign")
        await settle(pilot)
        assert [c.column for c in ws.board.load().cards.values()] == ["todo"]
        await pilot.press("f4")
        await pilot.pause(1.0)  # five intervals
        await pilot.press("r")  # run now: refused in a web session
        await settle(pilot)
        assert app.runtime.role == "viewer" and app.runtime.holder() is None  # never took the lock
        assert app.jobs.get("janitor") is None  # no janitor ran here
        assert any("never runs the workspace's jobs" in str(n.message) for n in app._notifications)
    assert not JanitorPaths(ws.root).runs.exists() or not any(JanitorPaths(ws.root).runs.iterdir())


async def test_the_same_schedule_runs_in_a_terminal_dashboard(tmp_path: Path) -> None:
    """The control for the test above: the schedule it skips does run where jobs belong."""
    ws = _seeded(tmp_path, janitor_interval=0.2)
    app = make_app(ws, services=True)  # its runtime holds the workspace
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for_data(pilot)
        await pilot.press("f4")
        for _ in range(50):
            await pilot.pause(0.1)
            if JanitorPaths(ws.root).runs.exists() and any(JanitorPaths(ws.root).runs.iterdir()):
                break
        await settle(pilot, timeout=20)
    assert any(JanitorPaths(ws.root).runs.iterdir())
