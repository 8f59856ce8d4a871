"""The app shell: triage hook, read-only, data flow (reload entry point and polling), registry."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import pytest

from catalyst_tui.core.agents import write_state
from catalyst_tui.core.health import SharedProblem, summarize
from catalyst_tui.core.models import AgentState
from catalyst_tui.core.workspace import Workspace
from catalyst_tui.ui.registry import SCREENS, load_screen_class
from catalyst_tui.ui.screens.base import CatalystScreen
from catalyst_tui.ui.testing import FROZEN_NOW, make_app, settle, wait_for_data
from catalyst_tui.ui.widgets.countdown import Countdown
from catalyst_tui.ui.widgets.status_bar import StatusBar
from catalyst_tui.ui.widgets.triage_line import TriageLine


def drawn(bar: StatusBar) -> tuple[str, str]:
    """The status bar's two parts as drawn: the tabs (left) and the data stamp (right)."""
    return str(bar.query_one(".tabs").render()), str(bar.query_one(".stamp").render())


def tree_digest(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_summarize_names_affected_tenants(seeded: Workspace) -> None:
    mon = seeded.monitor()
    mon.clock = lambda: FROZEN_NOW
    statuses = mon.refresh_all()
    assert summarize(statuses.values()) == "all 9 healthy"
    write_state(seeded.agent("slash"), AgentState(agent="slash", status="running", heartbeat=FROZEN_NOW - 700))
    (seeded.agent("bjork").state).write_text("{not json")
    statuses = mon.refresh_all()
    text = summarize(statuses.values())
    assert text.startswith("2 of 9 affected: bjork ")
    assert "slash heartbeat lost 12 min" in text
    text = summarize(statuses.values(), [SharedProblem("ports", "hub port 3131 down")])
    assert text.startswith("9 of 9 affected") and text.endswith("; shared: hub port 3131 down")


async def test_a_new_triage_repaints_the_triage_line_not_the_screen(seeded: Workspace) -> None:
    """A shared problem that comes and goes (a port scan's finding) changes one line: the rest of
    the screen is not repainted (a whole screen is ~12 KB over ssh, the line ~100 bytes)."""
    app = make_app(seeded)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)
        screen, line = app.screen, app.screen.query_one(TriageLine)
        repaints: list[dict[str, object]] = []
        lines: list[dict[str, object]] = []
        real_screen, real_line = screen.refresh, line.refresh
        screen.refresh = lambda *a, **k: (repaints.append(k), real_screen(*a, **k))[1]  # type: ignore[method-assign]
        line.refresh = lambda *a, **k: (lines.append(k), real_line(*a, **k))[1]  # type: ignore[method-assign]
        app.report_shared("ports", [SharedProblem("ports", "hub port 3131 down", agents=("bjork",))])
        await pilot.pause()
        app.report_shared("ports", [])
        await pilot.pause()
        assert str(line.render()) == "● all 9 healthy" and len(lines) >= 2
        assert repaints == []


async def test_triage_line_on_screen_and_report_shared(seeded: Workspace) -> None:
    app = make_app(seeded)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)
        line = app.screen.query_one(TriageLine)
        assert str(line.render()) == "● all 9 healthy"  # glyph and words: the meaning without colour
        app.report_shared("ports", [SharedProblem("ports", "hub port 3131 down", agents=("bjork",))])
        await pilot.pause()
        assert str(line.render()) == "▲ 1 of 9 affected; shared: hub port 3131 down"
        assert line.has_class("-affected")
        app.report_shared("ports", [])
        await pilot.pause()
        assert str(line.render()) == "● all 9 healthy" and not line.has_class("-affected")


async def test_read_only_writes_nothing(seeded: Workspace) -> None:
    before = tree_digest(seeded.root)
    app = make_app(seeded, read_only=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)
        assert "READ-ONLY" in drawn(app.screen.query_one(StatusBar))[0]
        await pilot.press("2", "shift+right", "shift+down", "u", "ctrl+r", "n", "e", "d", "m")
        await settle(pilot)
        app.action_set_theme("night-shift")  # not even the settings file
        await settle(pilot)
        assert app.current_mode == "board"
        warnings = [n.message for n in app._notifications if n.message.startswith("read-only:")]
        assert len(warnings) >= 8
    assert tree_digest(seeded.root) == before
    assert not (seeded.root / ".test-config" / "settings.json").exists()


async def test_toggle_read_only_from_palette_action(seeded: Workspace) -> None:
    app = make_app(seeded)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)
        app.action_toggle_read_only()
        await pilot.pause()
        assert app.read_only and "READ-ONLY" in drawn(app.screen.query_one(StatusBar))[0]
        await pilot.press("2", "shift+right")
        await settle(pilot)
        assert {c.column for c in seeded.board.cards_for("bjork")} == {"todo", "review"}


async def test_request_reload_shows_an_outside_move(seeded: Workspace) -> None:
    app = make_app(seeded)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)
        card = next(c for c in seeded.board.cards_for("bjork") if c.title == "Fix the router")
        seeded.board.move(card.id, column="done", by="bjork")  # an agent moves it (the CLI's path)
        app.request_reload(index=True)
        await settle(pilot)
        lane = app.screen.view.lane_of["bjork"]
        done = lane.cards[lane.columns.index("done")]
        assert [c.id for c in done] == [card.id]


async def test_the_change_feed_sees_a_change_without_being_asked(seeded: Workspace) -> None:
    app = make_app(seeded, services=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)
        await until(pilot, lambda: app.live, "the runtime's watcher")
        seeded.board.add("joni", "Arrived through the runtime", by="joni")
        await until(pilot, lambda: "Arrived through the runtime" in _titles(app, "joni"), "the new card")
        write_state(seeded.agent("ozzy"), AgentState(agent="ozzy", status="stopped"))
        await until(pilot, lambda: "ozzy" in app.statuses and app.statuses["ozzy"].health.value == "offline",
                    "ozzy offline")
        assert "affected: ozzy stopped;" in app.triage.text  # the hub's ports are down too (no hub here)


def _titles(app: object, agent: str) -> list[str]:
    return [c.title for col in app.screen.view.lane_of[agent].cards for c in col]  # type: ignore[attr-defined]


async def until(pilot: object, cond: object, what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():  # type: ignore[operator]
            return
        await pilot.pause(0.05)  # type: ignore[attr-defined]
    app = pilot.app  # type: ignore[attr-defined]
    raise AssertionError(f"timed out waiting for {what} (watch {app.watch_mode}, {app.jobs_runner}, "
                         f"runtime {app.runtime.watch_mode} {app.runtime.watch_reason})")


async def test_worker_errors_become_notifications(seeded: Workspace) -> None:
    app = make_app(seeded)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)

        def boom(board):
            raise RuntimeError("disk on fire")

        app.run_board_op("test", boom)
        await settle(pilot)
        assert app.is_running
        assert any("RuntimeError: disk on fire" in n.message for n in app._notifications)


async def test_registry_and_screen_switching(seeded: Workspace) -> None:
    assert "board" in SCREENS
    for name in SCREENS:
        assert issubclass(load_screen_class(name), CatalystScreen)
    app = make_app(seeded)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)
        keys = {b.key: b.id for b in app.BINDINGS if hasattr(b, "id")}
        assert keys[SCREENS["board"].key] == "app.screen.board"
        app.action_go("no-such-screen")  # absent screens are simply absent
        await pilot.press(SCREENS["board"].key)
        assert app.current_mode == "board"
        assert "F1 Board" in drawn(app.screen.query_one(StatusBar))[0]


async def test_every_registered_screen_has_the_shell_chrome(seeded: Workspace) -> None:
    """The contract of docs/ui-shell.md, checked for every screen in the registry."""
    app = make_app(seeded)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)
        app.report_shared("test", [SharedProblem("test", "shared disk 99% full")])  # its own source
        for name, entry in SCREENS.items():
            await pilot.press(entry.key)
            await pilot.pause(0.1)
            assert app.current_mode == name
            screen = app.screen
            assert isinstance(screen, CatalystScreen), name
            line = screen.query_one(TriageLine)
            # the line fits 80 columns: the problem itself, or (with the Ports screen's own problems
            # reported too) their count; the whole text is the triage list's (`t`)
            shown = str(line.render())
            assert "shared disk 99% full" in shown or " shared" in shown, name
            assert "shared disk 99% full" in app.triage.text and len(shown) <= 78, name
            assert line.region.height == 1 and line.region.y < 24
            assert f"{entry.key.upper()} {entry.title}" in drawn(screen.query_one(StatusBar))[0]
        await pilot.press("f1")
        assert app.current_mode == "board"


async def test_the_runtime_starts_with_the_app_and_runs_the_jobs_without_any_screen(seeded: Workspace) -> None:
    text = (seeded.root / "catalyst.toml").read_text().replace("interval_s = 1800.0", "interval_s = 0.3")
    (seeded.root / "catalyst.toml").write_text(text)
    ws = Workspace.open(seeded.root)
    app = make_app(ws, services=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)
        await until(pilot, lambda: app.jobs.get("janitor") is not None and app.jobs["janitor"].runs >= 2,
                    "two scheduled janitor runs")
        assert app.runtime.is_holder and app.jobs_runner == "runs in this dashboard"
        assert app.current_mode == "board"
        for mode in ("janitor", "snapshots", "ports"):
            with pytest.raises(KeyError):  # Textual: a mode never shown has no screen stack at all
                app.get_screen_stack(mode)
        await until(pilot, lambda: app.ports_report is not None, "a port scan")
    assert app.runtime.holder() is None  # the app's exit stopped the runtime and let go of the lock
    quiet = make_app(ws)  # tests: no runtime unless asked
    async with quiet.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)
        assert not quiet.runtime.is_holder and quiet.jobs == {}


async def test_a_job_screens_countdown_ticks_only_while_shown(seeded: Workspace) -> None:
    app = make_app(seeded)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)
        await pilot.press("f4")
        await pilot.pause()
        janitor = app.screen
        countdown = janitor.query_one(Countdown)
        assert countdown.ticking  # shown: the countdown ticks
        await pilot.press("f5")
        await pilot.pause()
        snapshots = app.screen.query_one(Countdown)
        assert snapshots.ticking and not countdown.ticking  # hidden: no timer at all
        await pilot.press("f1")
        await pilot.pause()
        assert not snapshots.ticking and not countdown.ticking


async def test_gc_is_paused_to_the_first_frame_then_frozen_and_restored_on_exit(
        seeded: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    import gc

    from catalyst_tui.ui.startup import FastStartApp

    seen: list[tuple[bool, bool]] = []
    real = FastStartApp._resume_gc

    def spy(self: FastStartApp) -> None:
        seen.append((gc.isenabled(), self._gc_paused))
        real(self)

    monkeypatch.setattr(FastStartApp, "_resume_gc", spy)
    assert gc.isenabled()
    app = make_app(seeded)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)
        assert seen[0] == (False, True)  # off from Load until right after the first frame
        assert gc.isenabled() and gc.get_freeze_count() > 0  # then on, start-up's objects frozen
    assert gc.isenabled() and gc.get_freeze_count() == 0  # the app's exit gives them back


async def test_no_second_poller_when_the_watcher_falls_back(seeded: Workspace) -> None:
    """Polling is the runtime's watcher's own fallback: the app itself never polls on top of it."""
    (seeded.root / "catalyst.toml").write_text(
        (seeded.root / "catalyst.toml").read_text().replace("enabled = true", "enabled = false"))
    ws = Workspace.open(seeded.root)
    app = make_app(ws, services=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)
        await until(pilot, lambda: app.watch_mode == "polling", "polling")
        await settle(pilot)
        reads: list[str] = []
        real = app.board.load
        app.board.load = lambda: (reads.append("load"), real())[1]  # type: ignore[method-assign]
        await pilot.pause(2.5)  # longer than the fallback's poll interval (2 s)
        assert reads == []  # nothing changed: nobody re-read the index
        ws.board.add("nina", "Seen by the fallback poll", by="nina")
        await until(pilot, lambda: "Seen by the fallback poll" in _titles(app, "nina"), "the polled change")
        assert len(reads) == 1  # one reader, one read
