"""Several processes move cards at once: no lost move, and the index always parses."""

from __future__ import annotations

import multiprocessing as mp
import os
import time
from pathlib import Path

import msgspec
import orjson

from catalyst_tui.core.board import IndexFile
from catalyst_tui.core.workspace import Workspace

MOVES_PER_PROC = 40
PROCS = 4


def _mover(root: str, card_ids: list[str], agent: str, start: mp.synchronize.Event) -> None:  # type: ignore[name-defined]
    ws = Workspace.open(root)
    cols = ws.config.board.columns
    start.wait()
    for i in range(MOVES_PER_PROC):
        card_id = card_ids[i % len(card_ids)]
        card = ws.board.get(card_id)
        nxt = cols[(cols.index(card.column) + 1) % len(cols)]
        ws.board.move(card_id, nxt, by=agent)


def _reader(root: str, stop: mp.synchronize.Event, out: mp.Queue) -> None:  # type: ignore[name-defined,type-arg]
    path = Path(root) / "board" / "index.json"
    reads = bad = 0
    while not stop.is_set():
        try:
            msgspec.json.decode(path.read_bytes(), type=IndexFile)
            reads += 1
        except (msgspec.DecodeError, msgspec.ValidationError):
            bad += 1
    out.put((reads, bad))


def test_concurrent_moves_lose_nothing(ws: Workspace) -> None:
    ctx = mp.get_context("fork")
    agents = ws.config.agent_names[:PROCS]
    # each process owns its own cards, so every one of its moves must land
    owned = {a: [ws.board.add(a, f"{a} card {i}", by=a).id for i in range(3)] for a in agents}
    start, stop = ctx.Event(), ctx.Event()
    out: mp.Queue = ctx.Queue()  # type: ignore[type-arg]
    reader = ctx.Process(target=_reader, args=(str(ws.root), stop, out))
    reader.start()
    procs = [ctx.Process(target=_mover, args=(str(ws.root), owned[a], a, start)) for a in agents]
    for p in procs:
        p.start()
    time.sleep(0.2)
    start.set()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    stop.set()
    reads, bad = out.get(timeout=10)
    reader.join(10)

    assert bad == 0 and reads > 0, f"reader saw {bad} unparseable index reads out of {reads + bad}"
    events, errors = ws.board.audit()
    assert errors == []
    moves = [e for e in events if e.action == "move"]
    assert len(moves) == PROCS * MOVES_PER_PROC
    # replaying the journal gives exactly the stored positions: no move was lost or overwritten
    final = ws.board.load().cards
    for a, ids in owned.items():
        for cid in ids:
            last = [e for e in moves if e.card == cid][-1]
            assert last.dst == {"agent": a, "column": final[cid].column}
    assert orjson.loads(ws.board.index_path.read_bytes())["seq"] == 1 + PROCS * 3 + PROCS * MOVES_PER_PROC
    assert not [p for p in os.listdir(ws.board.dir) if ".tmp-" in p]
