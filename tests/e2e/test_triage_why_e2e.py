"""The triage says *why*, for real: tmux at 80x24, TERM=screen-256color, no COLORTERM.

One tenant has been slow for its whole hour among eight fast ones: its own baseline is as slow,
so only the peer comparison can see it. Its name and its p95 must be on the triage line within
2 s of the dashboard's first frame, and the triage row must be drawn in the alarm colour as
Textual down-samples it to 256 colours, not in the neutral highlight's.
"""

from __future__ import annotations

import re
import shlex
import sys
import time
from collections.abc import Callable
from pathlib import Path

import msgspec
import pytest
from conftest import Agents, Tmux, wait_for
from rich.color import Color, ColorSystem

from catalyst_tui.core.models import DispatchRecord
from catalyst_tui.core.workspace import Workspace
from catalyst_tui.ui import themes

pytestmark = [pytest.mark.tmux, pytest.mark.slow]
_BG = re.compile(r"\x1b\[([0-9;]*)m")


def slow_for_an_hour(ws: Workspace, slow: str) -> None:
    now = time.time()
    for name in ws.config.agent_names:
        ms = 5800.0 if name == slow else 550.0
        lines = [msgspec.json.encode(DispatchRecord(ts=now - ago, id=f"{name}-{ago}", event="finished", status="ok",
                                                    latency_ms=ms))
                 for ago in range(3590, 0, -10)]
        ws.agent(name).dispatch.write_bytes(b"\n".join(lines) + b"\n")


def background_of(row: str) -> int | None:
    """The last 256-colour background set before the row's first visible word."""
    bg = None
    for m in _BG.finditer(row[: row.find("affected")]):
        codes = m.group(1).split(";")
        for i, c in enumerate(codes):
            if c == "48" and i + 2 < len(codes) and codes[i + 1] == "5":
                bg = int(codes[i + 2])
            elif c == "49":
                bg = None
    return bg


def palette_index(hex_colour: str) -> int:
    number = Color.parse(hex_colour).downgrade(ColorSystem.EIGHT_BIT).number
    assert number is not None
    return number


def test_always_slow_tenant_named_with_its_p95_in_256_colours(tmp_path: Path, tmux: Tmux,
                                                              agents_factory: Callable[[Workspace], Agents]) -> None:
    ws = Workspace.create(tmp_path / "ws")
    agents_factory(ws)
    slow_for_an_hour(ws, "bjork")
    tmux.start(f"env -u COLORTERM TERM=screen-256color {shlex.quote(sys.executable)} -m catalyst_tui "
               f"--workspace {shlex.quote(str(ws.root))} --theme catalyst-dark")
    wait_for(lambda: "F1 Board" in tmux.capture(), what="the first frame", show=tmux.capture, step=0.02)
    first = time.monotonic()
    wait_for(lambda: "bjork p95 5.8 s" in tmux.triage_line(), timeout=10, what="bjork and its p95 on the triage line",
             show=tmux.capture, step=0.02)
    took = time.monotonic() - first
    line = tmux.triage_line().strip()
    print(f"tmux 80x24 256 colours: named {took:.2f} s after the first frame: {line}")
    assert took < 2.0, f"bjork named {took:.2f} s after the first frame"
    assert line.startswith("▲ 1 of 9 affected: bjork p95 5.8 s") and len(line) <= 80
    screen = tmux.capture()
    assert all(len(row) <= 80 for row in screen.splitlines()) and len(screen.splitlines()) <= 24

    styled = tmux.run("capture-pane", "-e", "-p", "-t", "dash").stdout.splitlines()
    row = next(r for r in styled if "affected" in r)
    variables = themes.load_all(themes.config_dir()).themes["catalyst-dark"].variables
    alarm = palette_index(themes.load_all(themes.config_dir()).themes["catalyst-dark"].error or "")
    neutral = {palette_index(variables["card-focus"]), palette_index(variables["lane-focus"])}
    got = background_of(row)
    assert got == alarm, f"triage row background {got}, the alarm colour is {alarm}: {row!r}"
    assert got not in neutral, f"the alarm bar looks like the focus highlight ({got})"
