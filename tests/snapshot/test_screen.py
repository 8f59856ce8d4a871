"""The Snapshots screen (F5): Pilot tests on state, plus SVG snapshots."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from textual.widgets import ProgressBar

from catalyst_tui.core.snapshot import Mirror, load_state, object_key, sha256_hex
from catalyst_tui.core.snapshot.targets import FileTarget
from catalyst_tui.ui.screens.snapshots import SnapshotsScreen
from catalyst_tui.ui.testing import make_app, seed_workspace, settle, wait_for_data, without_ports
from catalyst_tui.ui.widgets.countdown import Countdown, countdown_text
from catalyst_tui.ui.widgets.snapshot_history import SnapshotHistory
from catalyst_tui.ui.widgets.snapshot_status import SnapshotStatus


async def until(pilot, cond, what: str, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await pilot.pause(0.02)
    await settle(pilot)


async def pushes(pilot, n: int) -> None:  # type: ignore[no-untyped-def]
    """Until the runtime finished ``n`` pushes and the screen read the history."""
    app = pilot.app
    await until(pilot, lambda: app.jobs.get("snapshot") is not None and app.jobs["snapshot"].runs >= n
                and not app.jobs["snapshot"].running, f"{n} pushes")
    await until(pilot, lambda: app.screen.runs_seen == app.jobs["snapshot"].runs, "the history")


async def open_screen(pilot) -> SnapshotsScreen:  # type: ignore[no-untyped-def]
    await wait_for_data(pilot)
    app = pilot.app
    if app.services:
        await until(pilot, lambda: app.jobs_runner != "starting"
                    and (not app.runtime.is_holder or "snapshot" in app.jobs), "the runtime")
    await pilot.press("f5")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, SnapshotsScreen)
    return screen


async def test_push_now_shows_last_push_and_history(tmp_path: Path) -> None:
    ws = seed_workspace(tmp_path / "ws", cards={"bjork": [("todo", "first")]})
    app = make_app(ws, services=True)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_screen(pilot)
        assert app.current_mode == "snapshots"
        assert screen.last is None and screen.history == []
        assert screen.query_one(Countdown).current == "next push in 5 min 00 s"
        assert "no push yet" in screen.query_one(SnapshotStatus).rendered_text.plain
        await pilot.press("p")
        await pushes(pilot, 1)
        assert screen.error is None and not app.jobs["snapshot"].running
        assert screen.last is not None and screen.last.seq == 1 and not screen.last.noop
        current = Mirror(FileTarget(ws.root / "mirror")).current()
        assert current is not None and current.id == screen.last.id
        status = screen.query_one(SnapshotStatus).rendered_text.plain
        assert current.id[:12] in status and "seq 1" in status and "0 s ago" in status
        assert screen.query_one(SnapshotHistory).row_count == 1
        assert screen.query_one("#snap-progress", ProgressBar).progress == 100
        assert "snapshot" not in app.shared_problems
        # re-armed after the run: a full interval from now
        assert app.jobs["snapshot"].next_due == pytest.approx(app.clock() + ws.config.snapshot.interval_s)
        await pilot.press("p")  # unchanged: a no-op, the pointer does not move
        await pushes(pilot, 2)
        assert screen.last.noop is True and screen.last.seq == 1
        assert Mirror(FileTarget(ws.root / "mirror")).current() == current


async def test_a_failed_push_reaches_the_triage_line_and_clears(tmp_path: Path) -> None:
    ws = seed_workspace(tmp_path / "ws")
    (ws.root / "mirror").write_text("a file where the mirror directory should be")
    app = make_app(ws, services=True)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_screen(pilot)
        await pilot.press("p")
        await pushes(pilot, 1)
        assert screen.error is not None and "mirror" in screen.error
        problems = app.shared_problems["snapshot"]
        assert problems[0].agents is None  # every tenant is affected
        assert "snapshot push failed" in app.triage.text
        assert app.triage.text.startswith("9 of 9 affected")
        (ws.root / "mirror").unlink()
        await pilot.press("p")
        await pushes(pilot, 2)
        assert screen.error is None and "snapshot" not in app.shared_problems
        assert "snapshot push failed" not in app.triage.text


async def test_read_only_never_pushes(tmp_path: Path) -> None:
    ws = seed_workspace(tmp_path / "ws")
    app = make_app(ws, read_only=True, services=True)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_screen(pilot)
        await pilot.press("p")
        await settle(pilot)
        assert screen.last is None and not (ws.root / "mirror").exists()
        assert load_state(ws) is None
        assert screen.query_one(Countdown).current == "read-only: background pushes are off"


async def test_verify_key_reports_a_corrupt_mirror(tmp_path: Path) -> None:
    ws = seed_workspace(tmp_path / "ws")
    app = make_app(ws, services=True)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_screen(pilot)
        await pilot.press("p")
        await pushes(pilot, 1)
        await pilot.press("v")
        await settle(pilot)
        assert screen.verify_result == []
        obj = ws.root / "mirror" / object_key(sha256_hex((ws.root / "catalyst.toml").read_bytes()))
        obj.write_bytes(obj.read_bytes()[:-1])
        await pilot.press("v")
        await settle(pilot)
        assert screen.verify_result and "truncated" in screen.verify_result[0]


async def test_background_pushes_rearm_and_never_overlap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CATALYST_SNAPSHOT__INTERVAL_S", "0.2")
    ws = seed_workspace(tmp_path / "ws")
    assert ws.config.snapshot.interval_s == 0.2
    app = make_app(ws, services=True)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_screen(pilot)
        await pushes(pilot, 3)
        assert screen.error is None  # an overlapping run would fail on the hub's push lock
        assert screen.last is not None and screen.last.seq == 1  # later runs were no-ops
        assert Mirror(FileTarget(ws.root / "mirror")).verify() == []
        # The pushes go on while another screen is shown (modes keep their screens).
        await pilot.press("f1")
        assert app.current_mode == "board"
        (ws.root / "PORTS.md").write_text("# PORTS\nchanged while the board was shown\n")
        await until(pilot, lambda: screen.last is not None and screen.last.seq == 2, "the changed snapshot")
        assert screen.error is None


def test_countdown_wording() -> None:
    assert countdown_text("push", 299.6, None, False, "ro", "pushing: ") == "next push in 5 min 00 s"
    assert countdown_text("push", 42, None, False, "ro", "pushing: ") == "next push in 42 s"
    assert countdown_text("push", -3, None, False, "ro", "pushing: ") == "next push in 0 s"
    assert countdown_text("push", 10, "upload 40%", False, "ro", "pushing: ") == "pushing: upload 40%"


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
def test_snapshots_screen_snapshot(tmp_path: Path, snap_compare, size: tuple[int, int],  # type: ignore[no-untyped-def]
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    # Only the seeded files: the default catalyst.toml and PORTS.md change as features add settings.
    monkeypatch.setenv("CATALYST_SNAPSHOT__INCLUDE", '["board/index.json", "agents/*/state.json"]')
    from catalyst_tui.core.ports import ScanResult
    from catalyst_tui.core.runtime.jobs import PortsJob

    monkeypatch.setattr(PortsJob, "scan_source", staticmethod(ScanResult))  # the runtime's scan: quiet
    ws = without_ports(seed_workspace(tmp_path / "ws", cards={"bjork": [("todo", "first")]}))
    app = make_app(ws, services=True)

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        screen = await open_screen(pilot)
        await pilot.press("p")
        await pushes(pilot, 1)
        assert screen.last is not None and screen.last.seq == 1
        assert screen.last.files == 10  # nine state files and the index
        await until(pilot, lambda: app.live, "the runtime's watcher")  # the status bar says "live"
        assert screen.query_one(SnapshotHistory).row_count == 1

    assert snap_compare(app, terminal_size=size, run_before=run_before)


async def test_the_jobs_progress_moves_the_bar_and_the_status_line(tmp_path: Path) -> None:
    from catalyst_tui.core.runtime import JobChanged, JobState
    from catalyst_tui.ui import bridge

    app = make_app(seed_workspace(tmp_path / "ws"))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_screen(pilot)
        bridge.handle(app, JobChanged(JobState(name="snapshot", interval_s=300, cap_s=300, running=True,
                                               progress="upload 25%")))  # what the runtime publishes
        await pilot.pause()
        assert screen.query_one("#snap-progress", ProgressBar).progress == 25
        assert screen.query_one(Countdown).current == "pushing: upload 25%"


async def test_hostile_target_and_error_text_is_shown_literally(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CATALYST_SNAPSHOT__TARGET", "file://[red]mirror[/red]\x1b[2J")
    ws = seed_workspace(tmp_path / "ws")
    (ws.root / "[red]mirror[").write_text("blocks the mirror directory")
    app = make_app(ws, services=True)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_screen(pilot)
        await pilot.press("p")
        await pushes(pilot, 1)
        assert screen.error is not None and "[red]mirror[" in screen.error
        shown = screen.query_one(SnapshotStatus).rendered_text.plain
        assert "file://[red]mirror[/red]" in shown and "[red]mirror[" in shown.split("failed", 1)[1]
        assert "snapshot push failed" in app.triage.text


async def test_a_crashing_push_still_rearms_the_schedule(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args: object, **kw: object) -> None:
        raise RuntimeError("unexpected")

    monkeypatch.setattr("catalyst_tui.core.snapshot.push", boom)
    app = make_app(seed_workspace(tmp_path / "ws"), services=True)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_screen(pilot)
        await pilot.press("p")
        await pushes(pilot, 1)
        assert not app.jobs["snapshot"].running and screen.error == "RuntimeError: unexpected"
        assert app.jobs["snapshot"].next_due == pytest.approx(app.clock() + 300.0)
        assert "snapshot push failed" in app.triage.text


async def test_ages_on_the_snapshots_screen_advance(tmp_path: Path) -> None:
    """"last push 0 s ago" must not stand still while nothing is pushed."""
    ws = seed_workspace(tmp_path / "ws", cards={"bjork": [("todo", "first")]})
    app = make_app(ws, services=True)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_screen(pilot)
        await pilot.press("p")
        await pushes(pilot, 1)
        status = screen.query_one(SnapshotStatus)
        history = screen.query_one(SnapshotHistory)
        assert "0 s ago" in status.rendered_text.plain and history.shown[0][0] == "0 s ago"
        app.clock.advance(125)  # no push, no event: only the ages' own timers can move them
        await until(pilot, lambda: "2 min ago" in status.rendered_text.plain, "the age to advance", timeout=3)
        await until(pilot, lambda: history.shown[0][0] == "2 min ago", "the history's age to advance", timeout=3)
