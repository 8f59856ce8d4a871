"""Who owns a file: pid alive / dead / reused / zombie / other host, held flocks (safety item 5),
files open for writing by a live process. Real processes throughout."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from janitor_helpers import T0, dead_pid, janitor, make_file, spawn

from catalyst_tui.core.agents import AgentPaths, write_session_lock
from catalyst_tui.core.procs import hostname, process_start_time
from catalyst_tui.core.workspace import Workspace

OLD = T0 - 7200


def _lock(ws: Workspace, session: str, **kw: object) -> Path:
    path = write_session_lock(AgentPaths(ws.root, "bjork"), session, **kw)  # type: ignore[arg-type]
    os.utime(path, (OLD, OLD))
    return path


def _outcome(report: dict, rel: str) -> str:
    for a in report["actions"]:
        if a["path"] == rel:
            return f"{a['action']}: {a['reason']}"
    for k in report["kept"]:
        if k["path"] == rel:
            return f"kept: {k['reason']}"
    return "untouched"


def test_session_lock_of_a_live_process_is_kept(ws: Workspace) -> None:
    lock = _lock(ws, "live")  # this test process, with its real start time
    r = janitor(ws).run(full=True)
    assert lock.exists()
    assert _outcome(r, "agents/bjork/locks/live.lock").startswith("kept: live owner: pid")


def test_session_lock_of_a_dead_process_is_archived(ws: Workspace) -> None:
    pid = dead_pid()
    lock = _lock(ws, "dead", pid=pid, pid_start=time.time() - 10)
    r = janitor(ws).run(full=True)
    assert not lock.exists()
    assert _outcome(r, "agents/bjork/locks/dead.lock") == f"archive: older than 3600 s; pid {pid} not running"
    assert (ws.root / "archive" / r["run"] / "agents/bjork/locks/dead.lock").exists()


def test_session_lock_with_a_reused_pid_is_archived(ws: Workspace) -> None:
    start = process_start_time(os.getpid())
    assert start is not None
    lock = _lock(ws, "reused", pid=os.getpid(), pid_start=start - 5000)  # our pid, another process's start
    r = janitor(ws).run(full=True)
    assert not lock.exists()
    assert "reused" in _outcome(r, "agents/bjork/locks/reused.lock")


def test_session_lock_of_a_zombie_is_archived(ws: Workspace) -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    try:
        deadline = time.monotonic() + 10
        while psutil.Process(child.pid).status() != psutil.STATUS_ZOMBIE:
            assert time.monotonic() < deadline, "child never became a zombie"
            time.sleep(0.02)
        lock = _lock(ws, "zombie", pid=child.pid, pid_start=psutil.Process(child.pid).create_time())
        r = janitor(ws).run(full=True)
        assert not lock.exists()
        assert "zombie" in _outcome(r, "agents/bjork/locks/zombie.lock")
    finally:
        child.wait()


def test_session_lock_of_another_host_is_kept(ws: Workspace) -> None:
    lock = _lock(ws, "remote", pid=dead_pid(), pid_start=1.0, host=hostname() + "-elsewhere")
    r = janitor(ws).run(full=True)
    assert lock.exists()
    assert "another host" in _outcome(r, "agents/bjork/locks/remote.lock")


def test_unreadable_session_lock_has_no_owner(ws: Workspace) -> None:
    lock = make_file(ws.root / "agents/bjork/locks/torn.lock", b'{"pid": 12', mtime=OLD)
    r = janitor(ws).run(full=True)
    assert not lock.exists()
    assert "no owner recorded" in _outcome(r, "agents/bjork/locks/torn.lock")


def test_temp_file_of_a_live_writer_is_kept_and_of_a_reused_pid_is_not(ws: Workspace) -> None:
    me = os.getpid()
    start = process_start_time(me)
    assert start is not None
    mine = make_file(ws.root / f"agents/cher/.state.json.tmp-{me}-aa11", mtime=start + 1)
    # written before this process even existed: our pid cannot be its writer
    reused = make_file(ws.root / f"agents/cher/.worklog.tmp-{me}-bb22", mtime=start - 3600)
    dead = make_file(ws.root / f"agents/cher/.x.tmp-{dead_pid()}-cc33", mtime=start - 3600)
    r = janitor(ws, now=max(T0, start + 86400)).run(full=True)
    assert mine.exists() and not reused.exists() and not dead.exists()
    assert _outcome(r, mine.relative_to(ws.root).as_posix()).startswith("kept: live owner: pid")
    assert "reused" in _outcome(r, reused.relative_to(ws.root).as_posix())


HOLD_FLOCK = """
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)  # read-only: only the flock says "alive"
fcntl.flock(fd, fcntl.LOCK_EX)
print("ready", flush=True)
sys.stdin.readline()
"""


def test_held_filelock_is_never_removed(ws: Workspace, helper: list) -> None:
    # the guarded file is gone, it is old: only the held flock protects it
    lock = make_file(ws.root / "agents/nina/notes.json.lock", b"", mtime=OLD - 86400)
    free = make_file(ws.root / "agents/nina/other.json.lock", b"", mtime=OLD - 86400)
    code = HOLD_FLOCK.replace("sys.argv[1]", repr(str(lock)))
    spawn(helper, code)
    r = janitor(ws).run(full=True)
    assert lock.exists()
    assert _outcome(r, "agents/nina/notes.json.lock") == "kept: live owner: lock held (flock)"
    assert not free.exists()  # the same file without a holder is archived


def test_held_filelock_through_the_filelock_library(ws: Workspace) -> None:
    from filelock import FileLock

    path = make_file(ws.root / "board/old.json.lock", b"", mtime=OLD - 86400)
    with FileLock(str(path)):
        r = janitor(ws).run(full=True)
    assert path.exists()
    # filelock holds an O_RDWR descriptor: both the flock and the open-for-writing scan see it
    assert _outcome(r, "board/old.json.lock") == f"kept: live owner: open for writing by pid {os.getpid()}"


def test_filelock_file_guarding_an_existing_file_is_kept(ws: Workspace) -> None:
    lock = ws.root / "agents/nina/notes.json.lock"  # (state.json.lock is protected outright)
    make_file(ws.root / "agents/nina/notes.json", b"{}")
    make_file(lock, b"", mtime=OLD - 86400)
    r = janitor(ws).run(full=True)
    assert lock.exists()
    assert "guards notes.json" in _outcome(r, "agents/nina/notes.json.lock")


HOLD_OPEN = """
import os, sys
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_APPEND)
print("ready", flush=True)
sys.stdin.readline()
"""


def test_file_open_for_writing_by_a_live_process_is_kept(ws: Workspace, helper: list) -> None:
    tmp = make_file(ws.root / f"agents/joni/.state.json.tmp-{dead_pid()}-dd44", mtime=OLD)
    p = spawn(helper, HOLD_OPEN.replace("sys.argv[1]", repr(str(tmp))))
    r = janitor(ws).run(full=True)
    assert tmp.exists()
    assert _outcome(r, tmp.relative_to(ws.root).as_posix()) == f"kept: live owner: open for writing by pid {p.pid}"


def test_file_open_only_for_reading_is_not_an_owner(ws: Workspace, helper: list) -> None:
    tmp = make_file(ws.root / f"agents/joni/.state.json.tmp-{dead_pid()}-ee55", mtime=OLD)
    spawn(helper, HOLD_OPEN.replace("os.O_WRONLY | os.O_APPEND", "os.O_RDONLY").replace("sys.argv[1]",
                                                                                       repr(str(tmp))))
    janitor(ws).run(full=True)
    assert not tmp.exists()


@pytest.mark.parametrize("status", ["stopped", "dead"])
def test_pending_dispatch_of_a_stopped_agent_is_marked_abandoned(ws: Workspace, status: str) -> None:
    from catalyst_tui.core.agents import read_state, record_dispatch, write_state
    from catalyst_tui.core.jsonl import read_all
    from catalyst_tui.core.models import AgentState, decode_dispatch

    paths = AgentPaths(ws.root, "ozzy")
    if status == "stopped":
        write_state(paths, AgentState(agent="ozzy", status="stopped"))
    else:
        write_state(paths, AgentState(agent="ozzy", status="running", pid=dead_pid(), pid_start=1.0))
    assert read_state(paths).state is not None
    record_dispatch(paths, id="d-1", event="enqueued", ts=T0 - 7200, card="c-1")
    record_dispatch(paths, id="d-1", event="started", ts=T0 - 7100)
    record_dispatch(paths, id="d-2", event="enqueued", ts=T0 - 7200)
    record_dispatch(paths, id="d-2", event="finished", ts=T0 - 7000, status="ok", latency_ms=5.0)
    record_dispatch(paths, id="d-3", event="enqueued", ts=T0 - 60)  # too recent
    r = janitor(ws).run(full=True)
    assert [(a["agent"], a["id"]) for a in r["abandoned"]] == [("ozzy", "d-1")]
    assert r["agents"]["ozzy"]["abandoned"] == 1
    records, errors = read_all(paths.dispatch, decode_dispatch)
    assert not errors
    marks = [x for x in records if x.event == "abandoned"]
    assert [(m.id, m.agent, m.card) for m in marks] == [("d-1", "ozzy", "c-1")]
    # idempotent: the marker closes the entry
    r2 = janitor(ws).run(full=True)
    assert r2["abandoned"] == []


def test_pending_dispatch_of_a_running_agent_is_left_alone(ws: Workspace) -> None:
    from catalyst_tui.core.agents import own_state, record_dispatch, write_state

    paths = AgentPaths(ws.root, "ozzy")
    write_state(paths, own_state(paths, status="running"))
    record_dispatch(paths, id="d-1", event="enqueued", ts=T0 - 86400)
    r = janitor(ws).run(full=True)
    assert r["abandoned"] == []


def test_the_board_index_lock_is_never_archived(ws: Workspace) -> None:
    ws.board.add("bjork", "creates board/index.lock")
    lock = ws.root / "board/index.lock"
    os.utime(lock, (OLD - 86400 * 30, OLD - 86400 * 30))
    r = janitor(ws).run(full=True)
    assert lock.exists()
    assert "protected (the index lock)" in _outcome(r, "board/index.lock")


def test_a_symlinked_dispatch_log_is_never_written_through(ws: Workspace, tmp_path: Path) -> None:
    from catalyst_tui.core.agents import write_state
    from catalyst_tui.core.models import AgentState

    paths = AgentPaths(ws.root, "ozzy")
    write_state(paths, AgentState(agent="ozzy", status="stopped"))
    outside = tmp_path / "elsewhere.jsonl"
    outside.write_text('{"ts": 1, "id": "d-1", "event": "enqueued", "agent": "ozzy"}\n')
    os.symlink(outside, paths.dispatch)
    r = janitor(ws).run(full=True)
    assert outside.read_text() == '{"ts": 1, "id": "d-1", "event": "enqueued", "agent": "ozzy"}\n'
    assert r["abandoned"] == []
    assert any("dispatch.jsonl: not a regular file" in p for p in r["problems"])


def test_dispatch_logs_are_read_incrementally(ws: Workspace) -> None:
    from catalyst_tui.core.agents import record_dispatch, write_state
    from catalyst_tui.core.janitor import JanitorPaths, load_state
    from catalyst_tui.core.models import AgentState

    paths = AgentPaths(ws.root, "ozzy")
    write_state(paths, AgentState(agent="ozzy", status="stopped"))
    record_dispatch(paths, id="d-1", event="enqueued", ts=T0 - 60, card="c-9")  # young yet
    with open(paths.dispatch, "ab") as fh:
        fh.write(b'{"ts": 1, "id": "d-torn", "event": "finis\n')
    dry = janitor(ws).run(dry_run=True)
    assert [p.endswith("dispatch.jsonl:2: malformed record: Input data was truncated") for p in dry["problems"]] == [
        True]
    assert not JanitorPaths(ws.root).dispatch_state.exists()  # a dry run saves nothing
    first = janitor(ws).run()
    assert len(first["problems"]) == 1 and first["abandoned"] == []
    state = load_state(JanitorPaths(ws.root).dispatch_state).agents["ozzy"]
    assert state.offset == paths.dispatch.stat().st_size and list(state.pending) == ["d-1"]
    # later: the pending entry is old now; the torn line is not reported again
    later = janitor(ws, now=T0 + 7200).run()
    assert later["problems"] == []
    assert [(a["id"], a["card"]) for a in later["abandoned"]] == [("d-1", "c-9")]
    assert janitor(ws, now=T0 + 9000).run()["abandoned"] == []
    # a log rewritten from scratch (new inode) is read again from its start
    paths.dispatch.unlink()
    record_dispatch(paths, id="d-2", event="started", ts=T0 - 86400)
    assert [a["id"] for a in janitor(ws, now=T0 + 9000).run()["abandoned"]] == ["d-2"]
