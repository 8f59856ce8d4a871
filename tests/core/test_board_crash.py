"""kill -9 at any step of an archive or a restore: index, archives and journal stay consistent."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from catalyst_tui.core.workspace import Workspace

DAY = 86400.0
NOW = 1_800_000_000.0

CHILD = textwrap.dedent("""
    import os, signal, sys
    from catalyst_tui.core.workspace import Workspace
    root, op, step, nth = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    board = Workspace.open(root).board
    board.journal_rotate_bytes = int(os.environ.get("TEST_ROTATE_BYTES", board.journal_rotate_bytes))
    seen = {"n": 0}
    def hook(name):
        if name == step:
            seen["n"] += 1
            if seen["n"] == nth:
                os.kill(os.getpid(), signal.SIGKILL)
    board.step_hook = hook
    from catalyst_tui.core.errors import CardError
    try:
        if op == "archive_done":
            board.archive_done(float(sys.argv[5]))
        else:
            board.restore(sys.argv[5])
    except CardError as exc:
        sys.exit(f"refused: {exc}")
    print("finished")
""")


def _run(root: Path, op: str, step: str, nth: int, arg: str, rotate: int | None = None) -> int:
    env = {**os.environ, **({"TEST_ROTATE_BYTES": str(rotate)} if rotate else {})}
    proc = subprocess.run([sys.executable, "-c", CHILD, str(root), op, step, str(nth), arg],
                          capture_output=True, text=True, timeout=60, env=env)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc.returncode


def _consistent(ws: Workspace, all_ids: set[str]) -> tuple[set[str], set[str]]:
    """Every card is live XOR archived; the journal's last archive/restore of each agrees."""
    board = Workspace.open(ws.root).board
    view = board.load()
    assert view.fallback is None
    live = set(view.cards)
    archived = set(board.archived().cards)
    assert live | archived == all_ids and not live & archived
    state: dict[str, bool] = {}
    for ev in board.audit()[0]:
        effect = ev.effect or ev.action
        if effect in ("archive", "restore"):
            state[ev.card] = effect == "archive"
    assert {cid for cid, gone in state.items() if gone} == archived
    return live, archived


def _seed(ws: Workspace) -> tuple[set[str], list[str]]:
    ws.board.clock = lambda: NOW - 10 * DAY
    done = [ws.board.add(a, f"done {a} {i}", "done").id for a in ("bjork", "slash", "cher") for i in range(2)]
    live = [ws.board.add("bjork", "live", "todo").id]
    return set(done) | set(live), done


# journaled, then one archive append per agent (3), then the backup link, then the index
ARCHIVE_STEPS = [("journaled", 1), ("archived", 1), ("archived", 2), ("archived", 3), ("backup", 1),
                 ("indexed", 1)]


@pytest.mark.parametrize(("step", "nth"), ARCHIVE_STEPS)
def test_kill_9_during_the_janitors_archive(ws: Workspace, step: str, nth: int) -> None:
    all_ids, done = _seed(ws)
    assert _run(ws.root, "archive_done", step, nth, str(NOW - 7 * DAY)) == -signal.SIGKILL
    _live, archived = _consistent(ws, all_ids)
    assert archived in (set(), set(done))  # all of the batch or none of it
    # the next writer heals what the killed one left; everything still agrees
    Workspace.open(ws.root).board.archive_done(NOW - 7 * DAY)
    _live, archived = _consistent(ws, all_ids)
    assert archived == set(done)


@pytest.mark.parametrize("step", ["journaled", "backup", "indexed"])
def test_kill_9_during_a_restore(ws: Workspace, step: str) -> None:
    all_ids, done = _seed(ws)
    ws.board.archive_done(NOW - 7 * DAY)
    assert _run(ws.root, "restore", step, 1, done[0]) == -signal.SIGKILL
    live, _archived = _consistent(ws, all_ids)
    assert (done[0] in live) == (step == "indexed")
    Workspace.open(ws.root).board.add("joni", "a later write")  # heals
    _consistent(ws, all_ids | {c for c in Workspace.open(ws.root).board.load().cards})
    assert _run(ws.root, "restore", "none", 1, done[0]) == (1 if step == "indexed" else 0)


@pytest.mark.parametrize("step", ["summarized", "sealed"])
def test_kill_9_while_the_journal_is_sealed(ws: Workspace, step: str) -> None:
    """Killed between a segment's summary and its rename, or right after the rename: no event is
    lost or read twice, and the next writer seals and writes as usual."""
    all_ids, done = _seed(ws)
    before = [e.id for e in ws.board.journal.read()[0]]
    assert _run(ws.root, "archive_done", step, 1, str(NOW - 7 * DAY), rotate=1) == -signal.SIGKILL
    board = Workspace.open(ws.root).board
    assert [e.id for e in board.journal.read()[0]] == before  # the killed batch journaled nothing yet
    assert [n for n, _ in board.journal.segments()] == ([1] if step == "sealed" else [])
    _consistent(ws, all_ids)
    board.journal_rotate_bytes = 1
    board.archive_done(NOW - 7 * DAY)  # seals (again) and archives
    ids = [e.id for e in board.journal.read()[0]]
    assert ids[: len(before)] == before and len(ids) == len(set(ids))
    segs = board.journal.segments()
    assert segs and all(board.journal.summary_path(n).is_file() for n, _ in segs)
    assert board.history(done[0])[-1].action == "archive"
    _live, archived = _consistent(ws, all_ids)
    assert archived == set(done)
