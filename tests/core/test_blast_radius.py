"""Corrupting one agent's files, in many ways, only ever affects that agent."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest

from catalyst_tui.core.agents import AgentPaths, own_state, record_dispatch, write_state
from catalyst_tui.core.health import monitor as health
from catalyst_tui.core.models import Health
from catalyst_tui.core.workspace import Workspace

VICTIM = "bjork"


def _healthy(ws: Workspace) -> None:
    for name in ws.config.agent_names:
        paths = AgentPaths(ws.root, name)
        write_state(paths, own_state(paths))
        for i in range(20):
            record_dispatch(paths, id=f"d{i}", event="enqueued")
            record_dispatch(paths, id=f"d{i}", event="finished", status="ok", latency_ms=100 + i)


def _garbage_state(p: AgentPaths) -> None:
    p.state.write_bytes(b"not json at all {{{")


def _truncated_state(p: AgentPaths) -> None:
    data = p.state.read_bytes()
    p.state.write_bytes(data[: len(data) // 2])


def _empty_state(p: AgentPaths) -> None:
    p.state.write_bytes(b"")


def _binary_state(p: AgentPaths) -> None:
    p.state.write_bytes(os.urandom(4096))


def _wrong_types_state(p: AgentPaths) -> None:
    p.state.write_bytes(orjson.dumps({"agent": VICTIM, "pid": "twelve", "heartbeat": [1]}))


def _list_state(p: AgentPaths) -> None:
    p.state.write_bytes(b"[1, 2, 3]")


def _other_agents_state(p: AgentPaths) -> None:
    p.state.write_bytes(orjson.dumps({"agent": "slash", "status": "running"}))


def _state_is_a_directory(p: AgentPaths) -> None:
    p.state.unlink()
    p.state.mkdir()


def _huge_state(p: AgentPaths) -> None:
    p.state.write_bytes(b'{"agent": "bjork", "x": "' + b"y" * (2 << 20) + b'"}')


def _garbage_dispatch(p: AgentPaths) -> None:
    with open(p.dispatch, "ab") as fh:
        fh.write(b"garbage\n\x00\x01\x02\n{\"ts\": \n")


def _binary_dispatch(p: AgentPaths) -> None:
    with open(p.dispatch, "ab") as fh:
        fh.write(os.urandom(65536) + b"\n")


def _ten_mb_line(p: AgentPaths) -> None:
    with open(p.dispatch, "ab") as fh:
        fh.write(b'{"ts": 1, "id": "' + b"x" * (10 << 20) + b'"}\n')


def _wrong_types_dispatch(p: AgentPaths) -> None:
    with open(p.dispatch, "ab") as fh:
        fh.write(orjson.dumps({"ts": "now", "id": 5, "event": "finished", "latency_ms": "slow"}) + b"\n")


def _truncated_dispatch(p: AgentPaths) -> None:
    data = p.dispatch.read_bytes()
    p.dispatch.write_bytes(data[: len(data) - 7])


def _dispatch_unreadable_dir(p: AgentPaths) -> None:
    p.dispatch.unlink()
    p.dispatch.mkdir()


def _worklog_garbage(p: AgentPaths) -> None:
    p.worklog.write_bytes(b"\xff\xfe garbage\n[]\n")


CORRUPTIONS: list[Callable[[AgentPaths], None]] = [
    _garbage_state, _truncated_state, _empty_state, _binary_state, _wrong_types_state, _list_state,
    _other_agents_state, _state_is_a_directory, _huge_state, _garbage_dispatch, _binary_dispatch, _ten_mb_line,
    _wrong_types_dispatch, _truncated_dispatch, _dispatch_unreadable_dir, _worklog_garbage,
]


@pytest.mark.parametrize("corrupt", CORRUPTIONS, ids=lambda f: f.__name__.strip("_"))
def test_one_agents_corruption_leaves_the_other_eight_untouched(
        tmp_path: Path, corrupt: Callable[[AgentPaths], None], monkeypatch: pytest.MonkeyPatch) -> None:
    ws = Workspace.create(tmp_path / "ws")
    _healthy(ws)
    card = ws.board.add("slash", "still movable")
    frozen = time.time() + 1.0  # figures such as throughput depend on "now": the same now for every read
    monitor = ws.monitor()
    monitor.clock = lambda: frozen
    before = {n: s.to_json() for n, s in monitor.refresh_all().items()}
    assert {s["health"] for s in before.values()} == {"ok"}

    corrupt(AgentPaths(ws.root, VICTIM))
    monkeypatch.setattr(health, "TORN_GRACE_S", 0.0)  # no wait for a torn last line to count as one
    after = {n: s.to_json() for n, s in monitor.refresh_all().items()}
    cold = ws.monitor()  # a cold reader too
    cold.clock = lambda: frozen
    fresh = {n: s.to_json() for n, s in cold.refresh_all().items()}

    for view in (after, fresh):
        victim = view[VICTIM]
        assert victim["health"] in {Health.QUARANTINED.value, Health.DEGRADED.value}
        assert victim["reasons"], "the victim's status must say why"
        for name in ws.config.agent_names:
            if name == VICTIM:
                continue
            assert view[name]["health"] == "ok"
            assert view[name]["figures"] == before[name]["figures"]
            assert view[name]["parse_errors"] == 0
    # the shared board keeps working
    ws.board.move(card.id, "doing")
    assert ws.board.get(card.id).column == "doing"


def test_state_problem_names_the_file(ws: Workspace) -> None:
    paths = AgentPaths(ws.root, VICTIM)
    _healthy(ws)
    _truncated_state(paths)
    status = ws.monitor().refresh(VICTIM)
    assert status.health is Health.QUARANTINED
    assert "state.json: corrupt JSON" in status.reasons[0]  # the file, and what is wrong with it


def test_bad_dispatch_line_is_counted_with_file_and_line(ws: Workspace) -> None:
    _healthy(ws)
    paths = AgentPaths(ws.root, VICTIM)
    _garbage_dispatch(paths)
    status = ws.monitor().refresh(VICTIM)
    assert status.parse_errors == 3
    assert [e.line for e in status.recent_parse_errors] == [41, 42, 43]
    assert any("agents/bjork/dispatch.jsonl:43" in r for r in status.reasons)


def test_truncated_dispatch_restarts_figures_and_names_the_torn_line(ws: Workspace,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    _healthy(ws)
    monitor = ws.monitor()
    assert monitor.refresh(VICTIM).figures.records == 40
    _truncated_dispatch(AgentPaths(ws.root, VICTIM))
    status = monitor.refresh(VICTIM)
    assert status.figures.records == 39  # re-read from the start, not double counted
    assert status.health is Health.OK  # within the grace period a writer may still be finishing the line
    monkeypatch.setattr(health, "TORN_GRACE_S", 0.0)
    status = monitor.refresh(VICTIM)
    assert status.health is Health.DEGRADED
    assert any("agents/bjork/dispatch.jsonl:40: unterminated last line" in r for r in status.reasons)
