"""The janitor's safety items 1-6 and 8 (item 7, injected time, is in test_rules_age.py)."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import stat
import subprocess
from pathlib import Path

import pytest
from janitor_helpers import T0, janitor, make_file, spawn, tree_digest

from catalyst_tui.core.config import JanitorRule
from catalyst_tui.core.janitor import Plan
from catalyst_tui.core.janitor import owner as janitor_owner
from catalyst_tui.core.janitor import plan as janitor_plan
from catalyst_tui.core.janitor import walk as janitor_walk
from catalyst_tui.core.workspace import Workspace

OLD = T0 - 30 * 86400
ALL = [JanitorRule(name="all", pattern="agents/**", ttl_s=0, action="remove")]
LOCKS = [JanitorRule(name="locks", pattern="agents/*/locks/*", ttl_s=0, action="remove")]


def _kept(r: dict, path: str) -> str | None:
    return next((k["reason"] for k in r["kept"] if k["path"] == path), None)


def _seed_victims(outside: Path) -> list[Path]:
    victims = [make_file(outside / "precious.lock", b"keep me", mtime=OLD),
               make_file(outside / ".data.tmp-4999999-ab", b"keep me too", mtime=OLD),
               make_file(outside / "sub" / "deep.lock", b"deep", mtime=OLD)]
    return victims


# 1. symlinks are never followed ------------------------------------------------------------
def test_symlinks_are_never_followed(ws: Workspace, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    victims = _seed_victims(outside)
    before = tree_digest(outside)
    bj = ws.root / "agents/bjork"
    os.symlink(outside / "precious.lock", bj / "locks" / "evil.lock")  # file link out of the workspace
    os.symlink(outside, bj / "linked-dir")  # directory link out of the workspace
    os.symlink(ws.root, bj / "root-loop")  # the workspace root as a link target
    os.symlink(outside / "precious.lock", bj / ".x.tmp-4999999-ab")
    for link in (bj / "locks" / "evil.lock", bj / "linked-dir", bj / "root-loop", bj / ".x.tmp-4999999-ab"):
        os.utime(link, (OLD, OLD), follow_symlinks=False)
    r = janitor(ws, rules=ALL).run(full=True)
    assert tree_digest(outside) == before
    assert all(v.exists() for v in victims)
    for link in ("agents/bjork/locks/evil.lock", "agents/bjork/linked-dir", "agents/bjork/root-loop"):
        assert (ws.root / link).is_symlink(), link
    kept = {k["path"]: k["reason"] for k in r["kept"]}
    assert kept["agents/bjork/locks/evil.lock"] == "not a regular file (symlink): never touched"
    assert not any(a["path"].startswith("agents/bjork/linked-dir/") for a in r["actions"])
    assert not any("root-loop/" in a["path"] for a in r["actions"])


def test_a_symlinked_workspace_root_is_resolved_not_a_trap(tmp_path: Path) -> None:
    ws = Workspace.create(tmp_path / "real")
    os.symlink(ws.root, tmp_path / "alias")
    alias = Workspace.open(tmp_path / "alias")
    f = make_file(ws.root / "agents/nina/.a.tmp-4999999-ff", mtime=OLD)
    r = janitor(alias).run(full=True)
    assert not f.exists()
    assert (ws.root / "archive" / r["run"] / "agents/nina/.a.tmp-4999999-ff").exists()


# 2. a directory swapped for a symlink mid-run does not redirect anything --------------------
def test_directory_swapped_for_a_symlink_between_walk_and_action(ws: Workspace, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    victims = _seed_victims(outside)
    before = tree_digest(outside)
    locks = ws.root / "agents/bjork/locks"
    make_file(locks / "precious.lock", b"in the workspace", mtime=OLD)

    def swap(plan: Plan) -> None:
        assert [i.relpath for i in plan.items] == ["agents/bjork/locks/precious.lock"]
        os.rename(locks, ws.root / "agents/bjork/locks.moved")
        os.symlink(outside, locks)

    r = janitor(ws, rules=LOCKS).run(full=True, before_execute=swap)
    assert tree_digest(outside) == before and all(v.exists() for v in victims)
    assert (ws.root / "agents/bjork/locks.moved/precious.lock").read_bytes() == b"in the workspace"
    assert r["actions"] == []
    assert any(k["path"] == "agents/bjork/locks/precious.lock" and "directory changed" in k["reason"]
               for k in r["kept"])


def test_directory_swapped_for_another_directory_is_detected(ws: Workspace, tmp_path: Path) -> None:
    locks = ws.root / "agents/bjork/locks"
    make_file(locks / "a.lock", b"orig", mtime=OLD)

    def swap(plan: Plan) -> None:
        os.rename(locks, ws.root / "agents/bjork/locks.moved")
        make_file(locks / "a.lock", b"impostor", mtime=OLD)

    janitor(ws, rules=ALL).run(full=True, before_execute=swap)
    assert (locks / "a.lock").read_bytes() == b"impostor"
    assert (ws.root / "agents/bjork/locks.moved/a.lock").read_bytes() == b"orig"


def test_directory_swapped_during_the_walk(ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    outside = tmp_path / "outside"
    _seed_victims(outside)
    before = tree_digest(outside)
    make_file(ws.root / "agents/bjork/locks/s.lock", mtime=OLD)
    original = janitor_walk.Walker._list
    swapped = []

    def listing_then_swap(self: janitor_walk.Walker, rel: str, fd: int) -> object:
        out = original(self, rel, fd)
        if rel == "agents/bjork/" and not swapped:  # listed 'locks' as a directory; now swap it
            os.rename(ws.root / "agents/bjork/locks", ws.root / "agents/bjork/locks.moved")
            os.symlink(outside, ws.root / "agents/bjork/locks")
            swapped.append(True)
        return out

    monkeypatch.setattr(janitor_walk.Walker, "_list", listing_then_swap)
    r = janitor(ws, rules=ALL).run(full=True)
    assert swapped and tree_digest(outside) == before
    assert any(u["path"] == "agents/bjork/locks" for u in r["unopenable"])


# 3. modified or re-opened between the walk and the action: kept ----------------------------
def test_file_modified_between_walk_and_action_is_kept(ws: Workspace) -> None:
    f = make_file(ws.root / "agents/cher/.state.json.tmp-4999999-aa", b"old", mtime=OLD)

    def touch_it(plan: Plan) -> None:
        assert [i.relpath for i in plan.items] == ["agents/cher/.state.json.tmp-4999999-aa"]
        with open(f, "ab") as fh:
            fh.write(b" and new")

    r = janitor(ws, rules=ALL).run(full=True, before_execute=touch_it)
    assert f.read_bytes() == b"old and new"
    assert not [a for a in r["actions"] if a["path"] == "agents/cher/.state.json.tmp-4999999-aa"]
    assert _kept(r, "agents/cher/.state.json.tmp-4999999-aa") == "modified or replaced since the walk"


HOLD_OPEN = """
import os, sys
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_APPEND)
print("ready", flush=True)
sys.stdin.readline()
"""


def test_file_reopened_between_walk_and_action_is_kept(ws: Workspace, helper: list) -> None:
    f = make_file(ws.root / "agents/cher/.state.json.tmp-4999999-bb", b"data", mtime=OLD)
    procs: list = []

    def reopen(plan: Plan) -> None:
        procs.append(spawn(helper, HOLD_OPEN.replace("sys.argv[1]", repr(str(f)))))

    r = janitor(ws, rules=ALL).run(full=True, before_execute=reopen)
    assert f.exists()
    assert _kept(r, "agents/cher/.state.json.tmp-4999999-bb") == f"open for writing by pid {procs[0].pid}"


def test_file_replaced_between_walk_and_action_is_kept(ws: Workspace) -> None:
    f = make_file(ws.root / "agents/cher/x.lock", b"one", mtime=OLD)

    def replace(plan: Plan) -> None:
        tmp = make_file(ws.root / "agents/cher/x.lock.new", b"two", mtime=OLD)
        os.replace(tmp, f)

    janitor(ws, rules=ALL).run(full=True, before_execute=replace)
    assert f.read_bytes() == b"two"


# 4. mount points, FIFOs / sockets / devices -------------------------------------------------
def _mount_tmpfs(mnt: Path) -> bool:
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return False
    res = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "janitor-test", str(mnt)], capture_output=True)
    return res.returncode == 0


def test_never_crosses_a_mount_point(ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    """A real tmpfs mounted inside the workspace when we may mount (root, as in CI); elsewhere the
    directory is given another st_dev, which is exactly what the walk looks at."""
    mnt = ws.root / "agents/slash/mnt"
    mnt.mkdir()
    mounted = _mount_tmpfs(mnt)
    if not mounted:
        real_fstat = os.fstat
        mnt_ino = os.stat(mnt).st_ino

        def fstat(fd: int) -> os.stat_result:
            st = real_fstat(fd)
            if st.st_ino != mnt_ino:
                return st
            fields = list(st)
            fields[stat.ST_DEV] = st.st_dev + 1
            return os.stat_result(fields)

        monkeypatch.setattr(janitor_walk.os, "fstat", fstat)
    try:
        inner = make_file(mnt / ".x.tmp-4999999-aa", b"other fs", mtime=OLD)
        outer = make_file(ws.root / "agents/slash/.y.tmp-4999999-aa", b"same fs", mtime=OLD)
        r = janitor(ws, rules=ALL).run(full=True)
        assert inner.read_bytes() == b"other fs"
        assert not outer.exists()
        assert r["mounts_skipped"] == ["agents/slash/mnt"]
    finally:
        if mounted:
            subprocess.run(["umount", str(mnt)], check=True)


def test_fifos_sockets_and_devices_are_never_opened_or_acted_on(ws: Workspace,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    d = ws.root / "agents/prince/locks"
    fifo = d / "pipe.lock"
    os.mkfifo(fifo)
    sock_path = d / "sock.lock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(str(sock_path))
    specials = [fifo, sock_path]
    if os.geteuid() == 0:
        dev = d / "null.lock"
        os.mknod(dev, 0o600 | stat.S_IFCHR, os.makedev(1, 3))
        specials.append(dev)
    for p in specials:
        os.utime(p, (OLD, OLD), follow_symlinks=False)
    opened: list[str] = []
    real_open = os.open

    def spy(path: object, *a: object, **kw: object) -> int:
        opened.append(os.fsdecode(path))  # type: ignore[arg-type]
        return real_open(path, *a, **kw)  # type: ignore[arg-type]

    for mod in (janitor_owner, janitor_plan, janitor_walk):
        monkeypatch.setattr(mod.os, "open", spy)
    try:
        r = janitor(ws, rules=ALL).run(full=True)
    finally:
        sock.close()
    names = {p.name for p in specials}
    assert not names & {Path(o).name for o in opened}
    assert all(os.path.lexists(p) for p in specials)
    kinds = {k["path"].rsplit("/", 1)[1]: k["reason"] for k in r["kept"]}
    assert kinds["pipe.lock"] == "not a regular file (fifo): never touched"
    assert kinds["sock.lock"] == "not a regular file (socket): never touched"
    if os.geteuid() == 0:
        assert kinds["null.lock"] == "not a regular file (device): never touched"
    assert not any(a["path"].startswith("agents/prince/locks/") for a in r["actions"])


# 6. --dry-run leaves the tree byte-identical and prints what a real run does ----------------
def test_dry_run_is_byte_identical_and_matches_the_real_run(ws: Workspace) -> None:
    from janitor_helpers import dead_pid

    from catalyst_tui.core.agents import AgentPaths, record_dispatch, write_session_lock
    from catalyst_tui.core.models import AgentState

    pid = dead_pid()
    for name in ("bjork", "ozzy"):
        lock = write_session_lock(AgentPaths(ws.root, name), f"s-{name}", pid=pid, pid_start=1.0)
        os.utime(lock, (OLD, OLD))
    make_file(ws.root / "agents/cher/.state.json.tmp-4999999-aa", mtime=OLD)
    make_file(ws.root / "agents/nina/.chat-x.jsonl.gz.tmp-4999999-aa", mtime=OLD)
    make_file(ws.root / "agents/nina/chat-20250101T000000Z.jsonl", b'{"ts": 1, "text": "hi"}\n', mtime=OLD)
    make_file(ws.root / "agents/joni/gone.json.lock", b"", mtime=OLD)
    card = ws.board.add("slash", "body goes missing")
    (ws.root / card.refs.body).unlink()  # type: ignore[operator]
    paths = AgentPaths(ws.root, "aretha")
    from catalyst_tui.core.agents import write_state

    write_state(paths, AgentState(agent="aretha", status="stopped"))
    record_dispatch(paths, id="d-9", event="enqueued", ts=OLD)
    janitor(ws).run(full=True)  # a first real run: the cache and journal exist, like in real life
    make_file(ws.root / "agents/cher/.later.tmp-4999999-cc", mtime=OLD)  # something new for the next run
    make_file(ws.root / "agents/joni/also.json.lock", b"", mtime=OLD)
    record_dispatch(paths, id="d-10", event="enqueued", ts=OLD)
    before = tree_digest(ws.root)
    dry = janitor(ws).run(dry_run=True)
    assert tree_digest(ws.root) == before
    assert len(dry["actions"]) == 2 and len(dry["abandoned"]) == 1
    real = janitor(ws).run()
    assert tree_digest(ws.root) != before

    def shape(r: dict) -> list:
        return sorted((a["action"], a["path"], a["agent"], a["rule"]) for a in r["actions"])

    assert shape(dry) == shape(real)
    assert [a["id"] for a in dry["abandoned"]] == [a["id"] for a in real["abandoned"]] == ["d-10"]


def test_dry_run_cli_prints_the_plan(ws: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    from catalyst_tui.cli import main

    make_file(ws.root / "agents/cher/.state.json.tmp-4999999-aa", mtime=T0 - 86400 * 400 * 10)
    before = tree_digest(ws.root)
    assert main(["--workspace", str(ws.root), "janitor", "run", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "would archive agents/cher/.state.json.tmp-4999999-aa -> archive/" in out
    assert tree_digest(ws.root) == before


# 5 is in test_owner.py (held filelocks). 8. kill -9 mid-run ---------------------------------
def _clean(p: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        shutil.rmtree(p)
