"""End to end in a real tmux at 80x24: the dashboard shows all nine lanes, shift+right moves a card on disk."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from catalyst_tui.ui.testing import seed_workspace

pytestmark = [pytest.mark.tmux, pytest.mark.slow]


@pytest.fixture
def tmux(tmp_path: Path) -> Iterator[list[str]]:
    if shutil.which("tmux") is None:
        pytest.skip("tmux binary not installed (CI installs it)")
    socket = tmp_path / "tmux.sock"
    base = ["tmux", "-S", str(socket)]
    yield base
    subprocess.run([*base, "kill-server"], capture_output=True, timeout=10)  # only our private server


def capture(tmux: list[str]) -> str:
    out = subprocess.run([*tmux, "capture-pane", "-p", "-t", "dash"], capture_output=True, text=True, timeout=10)
    return out.stdout


def wait_for(predicate, timeout: float = 20.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_dashboard_in_tmux_moves_a_card_with_shift_right(tmp_path: Path, tmux: list[str]) -> None:
    ws = seed_workspace(tmp_path / "ws", {"bjork": [("todo", "Fix the router")]}, healthy=False)
    card_id = next(iter(ws.board.load().cards))
    env = {**os.environ, "TERM": "xterm-256color"}
    script = Path(sys.executable).with_name("catalyst-tui")  # the installed console script
    launcher = str(script) if script.exists() else f"{sys.executable} -m catalyst_tui"
    cmd = f"{launcher} --workspace {shlex.quote(str(ws.root))}"
    subprocess.run([*tmux, "new-session", "-d", "-s", "dash", "-x", "80", "-y", "24", cmd],
                   check=True, env=env, timeout=10)
    names = ws.config.agent_names
    wait_for(lambda: all(n in capture(tmux) for n in names) and "Fix the router" in capture(tmux),
             what="all nine agent names on screen")
    screen = capture(tmux)
    assert len(screen.splitlines()) <= 24 and all(len(line) <= 80 for line in screen.splitlines())
    # "2" lands on bjork's first card: todo / "Fix the router" (its backlog is empty)
    subprocess.run([*tmux, "send-keys", "-t", "dash", "2"], check=True, timeout=10)
    time.sleep(0.3)
    subprocess.run([*tmux, "send-keys", "-t", "dash", "S-Right"], check=True, timeout=10)

    def moved() -> bool:
        card = ws.board.load().cards[card_id]
        return card.column == "doing"

    wait_for(moved, what="the move in board/index.json")
    last = [e for e in ws.board.history(card_id) if e.action == "move"][-1]
    assert last.by == "operator" and last.src == {"agent": "bjork", "column": "todo"}
    assert last.dst == {"agent": "bjork", "column": "doing"}
    wait_for(lambda: "doing (1)" in capture(tmux), what="the move on screen")
    subprocess.run([*tmux, "send-keys", "-t", "dash", "q"], check=True, timeout=10)
    wait_for(lambda: subprocess.run([*tmux, "has-session", "-t", "dash"], capture_output=True).returncode != 0,
             what="the dashboard to quit on q")
