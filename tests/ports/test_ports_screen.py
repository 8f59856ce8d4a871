"""The Ports screen: Pilot tests on state, plus snapshots at 80x24 and 160x48 (frozen scan)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from ports_screen_fixtures import EVIL, frozen_scan, ports_workspace
from textual.widgets import Static

from catalyst_tui.core.ports import Listener, PortStatus, ScanResult
from catalyst_tui.core.runtime.jobs import PortsJob
from catalyst_tui.ui.screens.port_detail import PortDetailScreen
from catalyst_tui.ui.screens.ports import PortsScreen
from catalyst_tui.ui.testing import make_app, wait_for_data
from catalyst_tui.ui.widgets.ports_table import PortsTable


@pytest.fixture(autouse=True)
def _frozen(monkeypatch: pytest.MonkeyPatch) -> list[ScanResult]:
    """Every scan of the runtime returns the last element of this list."""
    scans = [frozen_scan()]
    monkeypatch.setattr(PortsJob, "scan_source", staticmethod(lambda: scans[-1]))
    return scans


async def open_ports(pilot: Any, scans: int = 1) -> PortsScreen:
    await wait_for_data(pilot)
    deadline = time.monotonic() + 10
    while pilot.app.ports_report is None and pilot.app.ports_error is None:  # the runtime's first scan
        assert time.monotonic() < deadline, "no port scan"
        await pilot.pause(0.02)
    await pilot.press("f3")
    screen = pilot.app.screen
    assert isinstance(screen, PortsScreen)
    await wait_scans(pilot, screen, scans)
    return screen


async def wait_scans(pilot: Any, screen: PortsScreen, n: int, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while screen.scans < n:
        assert time.monotonic() < deadline, f"only {screen.scans} scans of {n}"
        await pilot.pause(0.02)
    await pilot.pause()


def keys(table: PortsTable) -> list[str]:
    return list(table._layout)


async def test_grouped_by_band_problems_first_and_triage(tmp_path: Path) -> None:
    app = make_app(ports_workspace(tmp_path / "ws"), services=True)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_ports(pilot)
        assert app.current_mode == "ports"
        report = screen.report
        assert report is not None
        status = {(r.port, r.protocol): r.status for r in report.rows}
        assert status == {
            (3131, "tcp"): PortStatus.DOWN, (3132, "tcp"): PortStatus.UP,
            (3133, "tcp"): PortStatus.CONFLICT, (18800, "tcp"): PortStatus.DOWN,
            (18801, "tcp"): PortStatus.WRONG_OWNER, (18850, "tcp"): PortStatus.UNDOCUMENTED,
            (19100, "tcp"): PortStatus.UP, (19101, "udp"): PortStatus.UP, (19102, "tcp"): PortStatus.UNDOCUMENTED}
        # bands: hub holds the conflict (worst) so it comes first; inside a band, worst first
        assert keys(screen.table) == [
            "band:hub", "port:3133/tcp", "port:3131/tcp", "port:3132/tcp",
            "band:inference", "port:18801/tcp", "port:18800/tcp", "port:18850/tcp",
            "band:dashboard", "port:19102/tcp", "port:19100/tcp", "port:19101/udp"]
        assert screen.table.selected_key() == "port:3133/tcp"  # the cursor starts on the worst problem
        triage = app.triage.text
        assert triage.startswith("9 of 9 affected") and "hub port 3131/tcp (catalyst-hub) down" in triage, triage
        shared = {p.text: p.agents for p in app.shared_problems["ports"]}
        assert shared["hub port 3131/tcp (catalyst-hub) down"] is None
        assert shared["nina's port 3133/tcp (chat-relay) conflict"] == ("nina",)
        assert shared["cher's port 18850/tcp undocumented"] == ("cher",)  # guessed from agents/cher/ in its cmdline
        summary = str(screen.query_one("#ports-summary", Static).render())
        assert summary.startswith("6 problems · 9 ports, 3 up · 9 listeners (1 outside the bands)")


async def test_enter_shows_process_details_literally(tmp_path: Path) -> None:
    app = make_app(ports_workspace(tmp_path / "ws"), services=True)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_ports(pilot)
        table = screen.table
        table.move_cursor(row=table.get_row_index("port:18801/tcp"))
        await pilot.press("enter")
        await pilot.pause()
        detail = app.screen
        assert isinstance(detail, PortDetailScreen) and detail.row.port == 18801
        live = detail.query_one("#port-detail-live", Static).render()
        text = str(live)
        assert "[red]boom[/red]" in text and "\\x1b[31m" in text and "\x1b" not in text
        assert "pid 4401  nginx" in text and "0.0.0.0:18801  (any, IPv4)" in text
        doc = str(detail.query_one("#port-detail-doc", Static).render())
        assert "line 28: model-server  class inference  owner slash  process ~ vllm" in doc
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen
    assert EVIL  # the fixture really carried markup and an escape code


async def test_jump_to_the_owning_agents_lane(tmp_path: Path) -> None:
    app = make_app(ports_workspace(tmp_path / "ws"), services=True)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_ports(pilot)
        table = screen.table
        table.move_cursor(row=table.get_row_index("port:3131/tcp"))
        await pilot.press("a")  # the hub's port: no lane, a notification, stay here
        await pilot.pause()
        assert app.current_mode == "ports"
        table.move_cursor(row=table.get_row_index("port:18850/tcp"))
        await pilot.press("a")
        await pilot.pause()
        assert app.current_mode == "board"
        board = app.screen
        assert board.view.agents[board.view.current] == "cher"


async def test_rescan_updates_in_place_and_keeps_the_cursor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                            _frozen: list[ScanResult]) -> None:
    monkeypatch.setenv("CATALYST_PORTS__SCAN_INTERVAL_S", "0.1")
    app = make_app(ports_workspace(tmp_path / "ws"), services=True)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_ports(pilot)
        table = screen.table
        table.move_cursor(row=table.get_row_index("port:19100/tcp"))
        layout_before = keys(table)
        # the model server comes back as vllm: 18801 turns up, same layout, cells updated in place
        old = _frozen[-1]
        fixed = [lst if lst.port != 18801 else Listener(18801, "tcp", 4, "0.0.0.0", 4401,
                                                        lst.process.__class__(4401, "vllm", ("vllm", "serve")))
                 for lst in old.listeners]
        _frozen.append(ScanResult(fixed, old.taken_at, old.duration_s))
        await wait_scans(pilot, screen, screen.scans + 2)
        assert screen.report is not None
        assert {r.port: r.status for r in screen.report.rows}[18801] is PortStatus.UP
        assert keys(table) != layout_before  # 18801 moved below the problems of its band ...
        assert table.selected_key() == "port:19100/tcp"  # ... and the cursor stayed on its port
        scans = screen.scans
        rows = table.row_count
        rebuilt: list[int] = []
        real_clear = table.clear
        monkeypatch.setattr(table, "clear", lambda *a, **k: (rebuilt.append(1), real_clear(*a, **k))[1])
        await wait_scans(pilot, screen, scans + 2)  # nothing changed: nothing rebuilt, nothing redrawn
        assert rebuilt == [] and table.row_count == rows and table.selected_key() == "port:19100/tcp"
        assert screen.table.show(screen.report) is False


async def test_ports_md_edit_is_picked_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ws = ports_workspace(tmp_path / "ws")
    app = make_app(ws, services=True)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_ports(pilot)
        assert "port:18850/tcp" in keys(screen.table)
        new_row = "| 18850 | tcp | notebook | inference | cher | | |\n"
        text = ws.ports_path.read_text().replace("| 19101 |", new_row + "| 19101 |")
        ws.ports_path.write_text(text)
        await wait_scans(pilot, screen, 2)
        assert screen.report is not None
        row = next(r for r in screen.report.rows if r.port == 18850)
        assert row.status is PortStatus.WRONG_OWNER and row.owner == "cher"  # python3 serve.py, not "notebook"
        ws.ports_path.write_text(text.replace("| 3131 | tcp |", "| 3131x | tcp |"))
        await wait_scans(pilot, screen, 3)
        parse = screen.query_one("#ports-parse", Static)
        assert parse.has_class("has-problems") and "PORTS.md:23: port '3131x' is not a number" in str(parse.render())
        ws.ports_path.unlink()
        await wait_scans(pilot, screen, 4)
        assert screen.report is None and screen.error and "not found" in screen.error
        assert any("not found" in p.text for p in app.shared_problems["ports"])


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
def test_ports_snapshot(tmp_path: Path, snap_compare: Any, size: tuple[int, int]) -> None:
    app = make_app(ports_workspace(tmp_path / "ws"), services=True)
    seen: dict[str, Any] = {}

    async def run_before(pilot: Any) -> None:
        screen = await open_ports(pilot)
        while not app.live:  # the runtime's watcher: the status bar says "live"
            await pilot.pause(0.02)
        seen["keys"] = keys(screen.table)
        seen["selected"] = screen.table.selected_key()

    assert snap_compare(app, terminal_size=size, run_before=run_before)
    assert seen["keys"][:2] == ["band:hub", "port:3133/tcp"] and seen["selected"] == "port:3133/tcp"


async def test_keeps_scanning_and_feeding_triage_from_another_screen(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                     _frozen: list[ScanResult]) -> None:
    monkeypatch.setenv("CATALYST_PORTS__SCAN_INTERVAL_S", "0.1")
    app = make_app(ports_workspace(tmp_path / "ws"), services=True)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_ports(pilot)
        assert any("3131/tcp (catalyst-hub) down" in p.text for p in app.shared_problems["ports"])
        await pilot.press("f1")
        assert app.current_mode == "board"
        # the hub comes up while the operator looks at the board
        hub = Listener(3131, "tcp", 4, "127.0.0.1", 4001,
                       _frozen[-1].listeners[0].process.__class__(4001, "catalyst-hub", ("catalyst-hub",)))
        _frozen.append(ScanResult([*_frozen[-1].listeners, hub], 0.0, 0.0))
        await wait_scans(pilot, screen, screen.scans + 2)
        assert not any("3131" in p.text for p in app.shared_problems["ports"])
        assert "3131" not in app.triage.text and "18800/tcp (inference-router) down" in app.triage.text


async def test_cursor_steps_over_band_headers(tmp_path: Path) -> None:
    app = make_app(ports_workspace(tmp_path / "ws"), services=True)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_ports(pilot)
        table = screen.table
        assert table.selected_key() == "port:3133/tcp"
        await pilot.press("up")  # above the first port is only the hub's header: stay
        assert table.selected_key() == "port:3133/tcp"
        await pilot.press("down", "down", "down")  # 3131, 3132, (inference header skipped) 18801
        assert table.selected_key() == "port:18801/tcp"
        await pilot.press("up")
        assert table.selected_key() == "port:3132/tcp"


async def test_an_unchanged_scan_redraws_nothing(tmp_path: Path) -> None:
    """The scan repeats every few seconds; when its result is the same, the screen does no work."""
    app = make_app(ports_workspace(tmp_path / "ws"), services=True)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_ports(pilot)
        shows: list[object] = []
        real = screen._show
        screen._show = lambda report: (shows.append(report), real(report))  # type: ignore[method-assign]
        before = screen.scans
        app.rescan_ports()
        await wait_scans(pilot, screen, before + 1)
        assert shows == []  # same listeners, same PORTS.md: nothing redrawn
        path = app.ws.ports_path
        tmp = path.with_name("PORTS.md.new")  # replaced whole: the watcher never sees half a file
        tmp.write_text(path.read_text().replace("| 3132 |", "| 3139 |"))
        tmp.replace(path)
        app.rescan_ports()
        await wait_scans(pilot, screen, before + 2)
        assert len(shows) == 1  # a real change is shown at once


async def test_columns_use_the_width_they_are_given(tmp_path: Path) -> None:
    """At 160 columns a service name like catalyst-tui-metrics is whole; at 80 the 80-column widths."""
    from catalyst_tui.ui.widgets.ports_table import COLUMNS, column_widths

    assert column_widths(80) == {key: width for _, key, width in COLUMNS}  # no room to share: as before
    wide = column_widths(160)
    assert wide["service"] == 28 and wide["why"] is not None and wide["why"] >= 40  # the name, then why
    assert sum(w or 0 for w in wide.values()) + 2 * len(COLUMNS) == 160  # every cell of the width used
    app = make_app(ports_workspace(tmp_path / "ws"), services=True)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_ports(pilot)
        table = screen.table
        widths = {str(key.value): col.width for key, col in table.columns.items()}
        assert widths == {k: v for k, v in column_widths(table.size.width).items()}
        services = [str(table.get_cell(k, "service")) for k in keys(table) if k.startswith("port:")]
        longest = max(len(s) for s in services)
        assert 16 < longest <= widths["service"], services  # cut at 80 columns, whole at 160
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert table.columns["service"].width == 16 and keys(table)[:2] == ["band:hub", "port:3133/tcp"]
