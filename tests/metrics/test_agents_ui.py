"""Pilot tests of the Agents screen over a real watcher on a real workspace."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import RichLog, Sparkline, Static, TabbedContent

from catalyst_tui.core.agents import record_dispatch, write_state
from catalyst_tui.core.health import inotify_feed
from catalyst_tui.core.health import watch as watch_mod
from catalyst_tui.core.models import AgentState, Health
from catalyst_tui.core.workspace import Workspace
from catalyst_tui.ui.screens.agent_detail import AgentDetailScreen
from catalyst_tui.ui.screens.agents import AgentsScreen
from catalyst_tui.ui.testing import (
    FROZEN_NOW,
    FrozenClock,
    make_app,
    seed_workspace,
    until,
    wait_for_data,
    without_ports,
)
from catalyst_tui.ui.widgets.agent_panel import AgentPanel
from catalyst_tui.ui.widgets.sparkline_bars import drawn_bars


@pytest.fixture(autouse=True)
def _no_listeners(monkeypatch: pytest.MonkeyPatch) -> None:
    """The runtime's port scan sees no listener (this machine's own vary)."""
    from catalyst_tui.core.ports import ScanResult
    from catalyst_tui.core.runtime.jobs import PortsJob

    monkeypatch.setattr(PortsJob, "scan_source", staticmethod(ScanResult))


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return without_ports(seed_workspace(tmp_path / "ws", {"bjork": [("todo", "Fix the [b]router[/b]")]}))



async def open_agents(pilot: Any) -> AgentsScreen:
    await wait_for_data(pilot)
    await pilot.press("f2")
    app = pilot.app
    await until(pilot, lambda: app.current_mode == "agents" and app.live)  # the runtime's watcher watches
    screen = app.screen
    assert isinstance(screen, AgentsScreen)
    return screen


def panel_text(panel: AgentPanel) -> str:
    return str(panel.query_one(".figures", Static).render()) + "\n" + str(panel.query_one(".reason", Static).render())


async def test_grid_is_3x3_at_80x24(ws: Workspace) -> None:
    app = make_app(ws, services=True)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_agents(pilot)
        panels = list(screen.query(AgentPanel))
        assert [p.agent for p in panels] == ws.config.agent_names
        xs = sorted({p.region.x for p in panels})
        ys = sorted({p.region.y for p in panels})
        assert len(xs) == 3 and len(ys) == 3
        assert all(p.region.height >= 6 and p.region.width >= 25 for p in panels)
        assert all(p.region.bottom <= 23 for p in panels)  # above the footer
        assert all(p.has_class("-ok") for p in panels)
        assert app.triage.text == "all 9 healthy"


async def test_appended_record_shows_in_panel_and_triage(ws: Workspace) -> None:
    app = make_app(ws, services=True)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_agents(pilot)
        bjork = screen.panel("bjork")
        assert "err 0%" in panel_text(bjork)
        for i in range(10):
            record_dispatch(ws.agent("bjork"), id=f"d{i}", event="finished", status="error",
                            latency_ms=4200.0, ts=FROZEN_NOW - 2)
        await until(pilot, lambda: app.statuses["bjork"].figures.finished == 10)
        await pilot.pause()
        # the strongest reason is the triage line's (10 of 10 failed: more evidence than one slow
        # figure over its absolute limit); every reason is on the agent's status, strongest first
        assert app.triage.text == "1 of 9 affected: bjork errors 100% (10 of 10)"
        assert app.statuses["bjork"].reasons == ["errors 100% (10 of 10)", "p95 4.2 s"]
        assert bjork.has_class("-degraded") and not bjork.has_class("-ok")
        assert "p95 4.2 s err 100% q 0" in panel_text(bjork)
        # the transition is drawn at once; a stronger reason read a moment later, at the spell's end
        await until(pilot, lambda: panel_text(bjork).endswith("errors 100% (10 of 10)"))
        spark = bjork.query_one(".sparkline-errors", Sparkline)
        errs: list[float] = (app.statuses["bjork"].series or ([], []))[1]
        assert len(errs) == 60 and max(errs) == 10 and sum(errs) == 10
        assert errs.index(10) >= 58  # in the newest buckets
        # the sparkline draws those bars (its data is replaced only when the drawn bars change)
        shown = lambda: drawn_bars(spark.data or [], spark.size.width, spark.size.height)  # noqa: E731
        await until(pilot, lambda: shown() == drawn_bars(errs, spark.size.width, spark.size.height))
        assert max(shown() or ()) > 0 and (shown() or ())[-1] == max(shown() or ())  # the newest column is the top
        assert screen.panel("cher").has_class("-ok")  # nobody else touched
        assert app.statuses["cher"].figures.records == 0


async def test_corrupt_state_quarantines_one_agent_others_keep_updating(ws: Workspace) -> None:
    app = make_app(ws, services=True)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_agents(pilot)
        ws.agent("slash").state.write_bytes(b'{"agent": "slash", "status": "runn')
        # the watcher may catch the file between its truncation and the write: wait for the final word
        await until(pilot, lambda: screen.panel("slash").has_class("-quarantined")
                    and "corrupt JSON" in app.triage.text)
        assert app.triage.text.startswith("1 of 9 affected: slash quarantined: state.json: corrupt JSON")
        for i in range(3):
            record_dispatch(ws.agent("cher"), id=f"c{i}", event="finished", status="ok", latency_ms=120.0,
                            ts=FROZEN_NOW - 1)
        await until(pilot, lambda: app.statuses["cher"].figures.finished == 3)
        await pilot.pause()  # the screen hears it through the app's signal, right after
        assert screen.panel("cher").has_class("-ok")
        await until(pilot, lambda: "p95 120 ms" in panel_text(screen.panel("cher")))  # the panel's spell ends
        assert screen.panel("slash").has_class("-quarantined")
        assert "quarantined" in panel_text(screen.panel("slash"))


async def test_notifications_on_unhealthy_and_recovery(ws: Workspace) -> None:
    clock = FrozenClock()
    app = make_app(ws, clock=clock, services=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_agents(pilot)
        for i in range(6):
            record_dispatch(ws.agent("nina"), id=f"n{i}", event="finished", status="error", latency_ms=10.0,
                            ts=FROZEN_NOW)
        await until(pilot, lambda: any("nina degraded" in str(n.message) for n in app._notifications))
        assert app.statuses["nina"].health is Health.DEGRADED
        clock.advance(400)  # the errors leave the 5 min window; the heartbeat is renewed
        write_state(ws.agent("nina"), AgentState(agent="nina", status="running", heartbeat=clock() - 1))
        for name in ws.config.agent_names:
            if name != "nina":
                write_state(ws.agent(name), AgentState(agent=name, status="running", heartbeat=clock() - 1))
        await until(pilot, lambda: any("nina recovered" in str(n.message) for n in app._notifications))
        log = (ws.internal_dir / "catalyst-tui.log").read_text().splitlines()
        assert any('"agent":"nina"' in line and "turned degraded" in line for line in log)


async def test_enter_opens_detail_with_filter(ws: Workspace) -> None:
    for i in range(4):
        record_dispatch(ws.agent("bjork"), id=f"job{i}", event="finished", status="ok" if i else "error",
                        latency_ms=100.0 * (i + 1), ts=FROZEN_NOW - 10, error="[red]boom[/red]" if not i else None)
    app = make_app(ws, services=True)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_agents(pilot)
        screen.panel("bjork").focus()
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, AgentDetailScreen))
        detail = app.screen
        await until(pilot, lambda: len(detail.dispatch) == 4)
        assert detail.shown["dispatch"][0].endswith("job0  error  100 ms  [red]boom[/red]")
        assert len(detail.shown["dispatch"]) == 4
        assert detail.shown["cards"] == ["todo     c-00000001  Fix the [b]router[/b]"]
        cards = detail.query_one("#detail-cards", RichLog)  # the visible tab: rendered, literally
        await until(pilot, lambda: len(cards.lines) == 1)
        assert "Fix the [b]router[/b]" in cards.lines[0].text
        detail.query_one("#detail-tabs", TabbedContent).active = "tab-dispatch"
        log = detail.query_one("#detail-dispatch", RichLog)
        await until(pilot, lambda: len(log.lines) == 4)
        assert "[red]boom[/red]" in log.lines[0].text  # literal, not markup
        await pilot.press("slash")
        await pilot.press(*"job2")
        assert detail.needle == "job2"
        await until(pilot, lambda: len(log.lines) == 1)
        assert "job2" in log.lines[0].text and detail.shown["cards"] == []
        await pilot.press("escape")  # leaves the input, then the screen
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, AgentsScreen))


async def test_watch_failure_falls_back_to_polling_and_says_so(ws: Workspace,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*a: Any, **k: Any) -> Any:
        raise OSError(28, "inotify watch limit reached")

    monkeypatch.setattr(inotify_feed, "INotify", broken)  # what inotify_init1 raises at the limit
    app = make_app(ws, services=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)
        await pilot.press("f2")
        await until(pilot, lambda: "polling" in app.triage.text)
        assert app.triage.text.startswith("all 9 healthy; shared: polling every 2 s: ")
        assert "inotify watch limit is reached" in app.triage.text
        assert app.watch_mode == "polling" and not app.live  # the runtime's watcher polls; the status bar says so


async def test_a_watcher_that_dies_is_never_shown_as_live(ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    real_run = watch_mod.WorkspaceWatcher.run

    def dies(self: watch_mod.WorkspaceWatcher) -> None:
        self._set_mode("watching")
        time.sleep(1.0)  # long enough to be seen as live on a loaded machine (the test polls every 20 ms)
        raise ValueError("a bug in a callback")

    monkeypatch.setattr(watch_mod.WorkspaceWatcher, "run", dies)
    app = make_app(ws, services=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)
        await until(pilot, lambda: app.live)
        await until(pilot, lambda: "stopped unexpectedly" in app.triage.text)
        assert app.live is False  # never "live" while stale, and the status bar says so
    monkeypatch.setattr(watch_mod.WorkspaceWatcher, "run", real_run)


async def test_dashboard_serves_its_own_metrics(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio
    import socket
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("CATALYST_METRICS__SERVE", "true")
    monkeypatch.setenv("CATALYST_METRICS__PORT", str(port))
    ws = without_ports(seed_workspace(tmp_path / "ws"))
    app = make_app(ws, services=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_agents(pilot)
        for i in range(5):
            record_dispatch(ws.agent("ozzy"), id=f"o{i}", event="enqueued", ts=FROZEN_NOW - 1)
        await until(pilot, lambda: app.statuses["ozzy"].figures.queue_depth == 5)

        def scrape() -> str:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as resp:
                return resp.read().decode()

        text = await asyncio.get_running_loop().run_in_executor(None, scrape)  # not on the app's loop
        assert 'catalyst_dispatch_queue_depth{agent="ozzy"} 5' in text
        assert 'catalyst_dispatch_records_total{agent="ozzy"} 5' in text
        assert app.runtime.exporter.httpd.server_address[0] == "127.0.0.1"  # the runtime's exporter
    assert app.runtime.exporter.httpd.socket.fileno() == -1  # stopped with the app: the port is free


async def test_sweep_catches_silent_heartbeat_loss_and_points_at_shared_layer(ws: Workspace) -> None:
    clock = FrozenClock()
    app = make_app(ws, clock=clock, services=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_agents(pilot)
        sweeps = app.runtime.feeds.jobs["health"].state.runs
        app.runtime.feeds.kick("health")  # the runtime's sweep, now: nothing changed, nothing posted
        await until(pilot, lambda: app.runtime.feeds.jobs["health"].state.runs > sweeps)
        assert app.triage.text == "all 9 healthy"
        clock.advance(200)  # no file changes at all: only the sweep can notice
        app.runtime.feeds.kick("health")
        await until(pilot, lambda: app.triage.text.startswith("9 of 9"))
        assert app.triage.text == "9 of 9 affected (9 heartbeat lost): look at the shared layer (index, disk, hub)"
        await pilot.pause()  # the panels hear it through the app's signal, right after
        assert all(p.has_class("-degraded") for p in app.screen.query(AgentPanel))


async def test_read_only_dashboard_writes_no_log(ws: Workspace) -> None:
    log_file = ws.internal_dir / "catalyst-tui.log"
    app = make_app(ws, read_only=True, services=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_agents(pilot)
        for i in range(6):
            record_dispatch(ws.agent("prince"), id=f"p{i}", event="finished", status="error", latency_ms=10.0,
                            ts=FROZEN_NOW)
        await until(pilot, lambda: any("prince degraded" in str(n.message) for n in app._notifications))
        assert app.app_log.recent[-1]["agent"] == "prince"  # kept in memory
        assert app.runtime.role == "viewer" and app.runtime.holder() is None  # read-only: never takes the lock
    assert not log_file.exists()


async def test_card_moved_outside_shows_through_the_watcher(ws: Workspace) -> None:
    card_id = next(iter(ws.board.load().cards))
    app = make_app(ws, services=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_agents(pilot)
        assert app.live  # the runtime's watcher is up
        seq = app.index.seq
        ws.board.move(card_id, "doing", by="bjork")  # an agent (or the CLI) moves a card
        await until(pilot, lambda: app.index.cards[card_id].column == "doing")
        assert app.index.seq == seq + 1 and len(app.index.cards) == 1  # re-read once, nothing duplicated


async def test_shell_log_lines_join_the_json_log_and_the_handler_leaves_with_the_app(ws: Workspace) -> None:
    import logging

    logger = logging.getLogger("catalyst_tui")
    before = list(logger.handlers)
    app = make_app(ws, services=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_agents(pilot)
        logging.getLogger("catalyst_tui.ui").error("worker %s failed: %s", "run_x", "boom")
        await pilot.pause()
    lines = (ws.internal_dir / "catalyst-tui.log").read_text().splitlines()
    assert any('"msg":"worker run_x failed: boom"' in line and '"level":"error"' in line for line in lines)
    end = time.monotonic() + 5
    while logger.handlers != before and time.monotonic() < end:
        time.sleep(0.05)
    assert logger.handlers == before


async def test_ports_md_edit_is_rechecked_at_once_through_the_watcher(ws: Workspace) -> None:
    """No screen involved: the runtime re-checks an edited PORTS.md at once, not at its next scan."""
    app = make_app(ws, services=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: len(app.statuses) == 9 and app.live and app.ports_report is not None)
        assert 19150 not in {r.port for r in app.ports_report.rows}
        path = ws.ports_path
        path.write_text(path.read_text() + "| 19150 | tcp | extra-dash | dashboard | hub | | added |\n")
        await until(pilot, lambda: 19150 in {r.port for r in app.ports_report.rows},
                    timeout=4.0)  # well before the 10 s scan interval
        assert app.current_mode == "board"
