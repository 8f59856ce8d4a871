"""``catalyst-tui --from-mirror URL``: the dashboard, read-only, on the mirror's current snapshot."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from catalyst_tui.cli import main
from catalyst_tui.core.snapshot import SnapshotError, mirror_workspace, push
from catalyst_tui.ui.testing import make_app, seed_workspace, wait_for_data


async def test_dashboard_on_the_mirror_is_read_only_and_shows_the_hub_cards(tmp_path: Path) -> None:
    hub = seed_workspace(tmp_path / "hub", cards={"bjork": [("todo", "mirrored card")]})
    push(hub, f"file://{tmp_path / 'm'}")
    with mirror_workspace(f"file://{tmp_path / 'm'}") as ws:
        copy_root = ws.root
        assert copy_root != hub.root
        app = make_app(ws, read_only=True)
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_for_data(pilot)
            assert app.read_only
            assert [c.title for c in app.index.cards.values()] == ["mirrored card"]
            assert set(app.statuses) == set(hub.config.agent_names)
    assert not copy_root.exists()  # the temporary copy is removed afterwards


def test_cli_from_mirror_opens_read_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    hub = seed_workspace(tmp_path / "hub", cards={"cher": [("doing", "x")]})
    push(hub, f"file://{tmp_path / 'm'}")
    seen: dict[str, Any] = {}

    def fake_run(self: Any) -> None:  # the real app needs a terminal: record what it was given
        seen.update(read_only=self.read_only, root=self.ws.root, cards=len(self.ws.board.load().cards),
                    files=sorted(os.listdir(self.ws.root)))

    monkeypatch.setattr("catalyst_tui.ui.app.CatalystApp.run", fake_run)
    assert main(["--from-mirror", f"file://{tmp_path / 'm'}"]) == 0
    assert seen["read_only"] is True and seen["cards"] == 1
    assert seen["root"] != hub.root and {"board", "catalyst.toml", "PORTS.md"} <= set(seen["files"])


def test_from_an_empty_mirror_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SnapshotError, match="no current snapshot"), mirror_workspace(f"file://{tmp_path}"):
        pass
    assert main(["--from-mirror", f"file://{tmp_path / 'nothing'}"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("catalyst-tui: error:") and "no current snapshot" in err and err.count("\n") == 1


async def test_the_mirror_says_which_snapshot_and_skips_local_port_checks(tmp_path: Path) -> None:
    """Where the live view says `live`, the mirror's says which snapshot it is and how old; this
    machine's listeners say nothing of the remote hub, so no port check runs."""
    from catalyst_tui.core.snapshot import Mirror
    from catalyst_tui.core.snapshot.targets import FileTarget
    from catalyst_tui.ui.testing import FrozenClock
    from catalyst_tui.ui.widgets.status_bar import StatusBar

    hub = seed_workspace(tmp_path / "hub", cards={"bjork": [("todo", "mirrored card")]})
    push(hub, f"file://{tmp_path / 'm'}")
    current = Mirror(FileTarget(tmp_path / "m")).current()
    assert current is not None
    with mirror_workspace(f"file://{tmp_path / 'm'}") as ws:
        assert ws.mirror is not None and (ws.mirror.snapshot_id, ws.mirror.seq) == (current.id, current.seq)
        app = make_app(ws, read_only=True, services=True, clock=FrozenClock(current.created + 180))
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_for_data(pilot)
            await pilot.pause(0.3)
            bar = str(app.screen.query_one(StatusBar).stamp_text())
            assert f"mirror {current.id[:12]} seq {current.seq}, 3 min old" in bar and "live" not in bar
            assert app.ports_report is None and "ports" not in app.shared_problems  # no local scan
