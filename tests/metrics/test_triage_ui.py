"""The triage at 80x24, with Pilot: the line fits and leads with the strongest reason, `t` lists
every reason, `?` finds the palette, `w` never changes the verdict, the agent detail keeps its
identity line, and a fresh workspace is waiting, not an incident."""

from __future__ import annotations

import io
import time
from pathlib import Path
from typing import Any

from rich.cells import cell_len
from rich.console import Console
from textual.widgets import Footer, Static
from triage_helpers import write_history

from catalyst_tui.core.agents import record_dispatch
from catalyst_tui.core.health import SharedProblem
from catalyst_tui.core.models import Health
from catalyst_tui.core.workspace import Workspace
from catalyst_tui.ui.screens.agent_detail import AgentDetailScreen
from catalyst_tui.ui.screens.help import HelpScreen
from catalyst_tui.ui.screens.triage_list import TriageScreen
from catalyst_tui.ui.testing import FROZEN_NOW, make_app, seed_workspace, until, wait_for_data
from catalyst_tui.ui.widgets.triage_line import TriageLine


def slow_bjork(tmp_path: Path) -> Workspace:
    ws = seed_workspace(tmp_path / "ws")
    for name in ws.config.agent_names:
        write_history(ws, name, [(3500, 0, 5800.0 if name == "bjork" else 550.0)], FROZEN_NOW, state=False)
    return ws


def text_of(widget: Static) -> str:
    console = Console(width=120, record=True, file=io.StringIO())
    console.print(widget.content)
    return " ".join(console.export_text().split())


def line_of(app: Any) -> tuple[str, TriageLine]:
    widget = app.screen.query_one(TriageLine)
    return str(widget.render()), widget



async def test_always_slow_tenant_leads_the_80_column_line(tmp_path: Path) -> None:
    ws = slow_bjork(tmp_path)
    for i in range(3):  # and one weak reason: a bad line
        record_dispatch(ws.agent("bjork"), id=f"x{i}", event="finished", status="ok", latency_ms=5800.0,
                        ts=FROZEN_NOW - 1)
    ws.agent("bjork").dispatch.open("ab").write(b"not json\n")
    app = make_app(ws)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)
        text, widget = line_of(app)
        assert app.triage.entries[0].reasons[0].kind.value == "p95_peers"  # stronger than the bad line
        assert [r.kind.value for r in app.triage.entries[0].reasons][-1] == "bad_lines"
        assert text.startswith("▲ 1 of 9 affected: bjork p95 5.8 s")
        assert cell_len(text) <= widget.content_size.width == 78  # composed to fit: nothing cut
        assert widget.has_class("-affected")
        await pilot.resize_terminal(40, 24)
        await pilot.pause()
        text, widget = line_of(app)
        assert text == "▲ 1 of 9 affected: bjork p95 5.8 s"  # the key figure, whole


async def test_many_affected_fit_80_columns_names_first(tmp_path: Path) -> None:
    ws = seed_workspace(tmp_path / "ws")
    app = make_app(ws)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)
        for name in ("bjork", "cher", "slash"):
            ws.agent(name).state.write_bytes(b'{"agent": "' + name.encode() + b'", "status": "runn')
        app.request_reload(agents=["bjork", "cher", "slash"])
        await until(pilot, lambda: app.triage is not None and len(app.triage.entries) == 3)
        await pilot.pause()
        text, _ = line_of(app)
        assert cell_len(text) <= 78
        assert text.startswith("■ 3 of 9 affected: bjork quarantined") and "cher" in text and "slash" in text
        assert "corrupt" in app.triage.text  # the whole reason is kept for the list and the logs


async def test_t_opens_the_triage_list_with_every_reason(tmp_path: Path) -> None:
    ws = slow_bjork(tmp_path)
    ws.agent("bjork").dispatch.open("ab").write(b"not json\n")
    app = make_app(ws)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)
        shown = app.screen.active_bindings["t"]  # what the Footer draws
        assert shown.binding.show and shown.binding.description == "Why" and shown.binding.id == "app.triage"
        assert app.screen.query_one(Footer) is not None
        app.report_shared("test", [SharedProblem("test", "disk 99% full")])
        await pilot.press("t")
        await until(pilot, lambda: isinstance(app.screen, TriageScreen))
        table = app.screen.query_one("#triage-table", Static)
        rendered = text_of(table)
        for reason in app.triage.entries[0].reasons:
            assert reason.key.split()[0] in rendered
        assert "disk 99% full" in rendered and "bjork" in rendered and table.region.width <= 80
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, TriageScreen))


async def test_help_lists_the_palette_themes_read_only_and_triage(tmp_path: Path) -> None:
    app = make_app(seed_workspace(tmp_path / "ws"))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)
        for screen_key in ("f1", "f2"):  # the board's own `?`, and the app's on every other screen
            await pilot.press(screen_key)
            await pilot.pause()
            await pilot.press("question_mark")
            await until(pilot, lambda: isinstance(app.screen, HelpScreen))
            help_screen = app.screen
            assert isinstance(help_screen, HelpScreen)
            rows = " ".join(what for _, what, _ in help_screen.extra)
            assert "palette" in rows and "theme" in rows and "read-only" in rows and "triage" in rows
            shown = " ".join(text_of(s) for s in help_screen.query(Static))
            for words in ("ctrl+p", "command palette", "themes", "read-only", "triage list", "app.triage"):
                assert words in shown, words
            await pilot.press("escape")
            await until(pilot, lambda: not isinstance(app.screen, HelpScreen))


async def test_w_changes_the_panels_never_the_verdict(tmp_path: Path) -> None:
    ws = seed_workspace(tmp_path / "ws")
    for name in ws.config.agent_names:  # bjork: slow in the last 5 minutes only
        write_history(ws, name, [(3500, 400, 550.0), (250, 0, 5800.0 if name == "bjork" else 550.0)],
                      FROZEN_NOW, state=False)
    app = make_app(ws)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)
        await pilot.press("f2")
        await pilot.pause()
        before = app.triage
        assert before.affected == ("bjork",)
        for _ in range(4):
            await pilot.press("w")
            await pilot.pause(0.2)
            assert app.triage.text == before.text
            assert app.statuses["bjork"].health is Health.DEGRADED
            assert app.statuses["bjork"].figures.window == "5m"
        assert app.monitor.shown_window is not None and "judged on 5m" in app.screen.sub_title


async def test_agent_detail_keeps_its_identity_line_at_80_columns(tmp_path: Path) -> None:
    ws = slow_bjork(tmp_path)
    long = "upstream timeout " * 12
    record_dispatch(ws.agent("bjork"), id="e1", event="finished", status="error", latency_ms=5800.0,
                    ts=FROZEN_NOW - 1, error=long)
    ws.agent("bjork").dispatch.open("ab").write(b'{"ts": 1, "id": "' + b"z" * 200 + b'", "event": "bogus"}\n')
    app = make_app(ws)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)
        await pilot.press("f2")
        await pilot.pause()
        app.screen.panel("bjork").focus()
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, AgentDetailScreen))
        await pilot.pause()
        summary = app.screen.query_one("#detail-summary", Static)
        rows = str(summary.render()).splitlines()
        assert len(rows) == 4 and rows[0].startswith("heartbeat 5 s ago · no pid")  # identity first, whole
        assert rows[1].startswith("▲ degraded: p95 5.8 s")
        assert summary.region.height == 4 and summary.region.width == 80


async def test_a_fresh_workspace_is_waiting_not_an_incident(tmp_path: Path) -> None:
    ws = Workspace.create(tmp_path / "fresh")
    app = make_app(ws, clock=None)
    app.clock = time.time  # the grace is measured from the agents' directories, made just now
    app.monitor.clock = time.time
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)
        await until(pilot, lambda: app.triage is not None)
        text, widget = line_of(app)
        assert text == "◌ 9 waiting for their first heartbeat"
        assert not widget.has_class("-affected") and app.triage.scope == "none"
        assert {s.health for s in app.statuses.values()} == {Health.WAITING}


async def test_the_palette_offers_the_products_themes_first(tmp_path: Path) -> None:
    from catalyst_tui.ui.commands import CatalystCommands

    app = make_app(seed_workspace(tmp_path / "ws"))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)
        titles = [t for t, _, _ in CatalystCommands(app.screen)._commands() if t.startswith("Switch theme: ")]
        ours = [t.removeprefix("Switch theme: ") for t in titles[: len(app.product_themes)]]
        assert set(ours) == {"catalyst-dark", "catalyst-light", "catalyst-ansi", "night-shift"}
        rest = titles[len(app.product_themes):]
        assert rest and all(t.endswith("(Textual)") for t in rest)  # Textual's built-ins behind, marked


async def test_sparklines_say_what_they_plot_and_over_what_span(tmp_path: Path) -> None:
    from textual.widgets import Sparkline

    app = make_app(slow_bjork(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)
        await pilot.press("f2")
        await until(pilot, lambda: app.screen.panel("bjork").status is not None)
        panel = app.screen.panel("bjork")
        assert [str(s.content) for s in panel.query(".spark-label")] == ["lat", "err"]
        await until(pilot, lambda: panel.query_one(".sparkline-latency", Sparkline).tooltip is not None)
        assert panel.query_one(".sparkline-latency", Sparkline).tooltip == "mean latency per bucket, last 5m"
        await pilot.press("w")
        errors = panel.query_one(".sparkline-errors", Sparkline)
        await until(pilot, lambda: errors.tooltip == "errors per bucket, last 1h")
