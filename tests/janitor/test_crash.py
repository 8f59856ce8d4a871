"""Safety item 8: a run killed with SIGKILL mid-action; the next run completes cleanly, nothing
half-moved is lost, and restore brings files back. The kill is real (the child SIGKILLs itself
at an exact point of the action), so the outcome does not depend on timing."""

from __future__ import annotations

import gzip
import signal
import subprocess
import sys

import pytest
from janitor_helpers import NO_PID, T0, janitor, make_file

from catalyst_tui.core.janitor import JanitorPaths, pending, read
from catalyst_tui.core.workspace import Workspace

OLD = T0 - 30 * 86400

CHILD = """
import os, signal, sys
from catalyst_tui.core.janitor import Janitor
from catalyst_tui.core.workspace import Workspace

root, mode, now = sys.argv[1], sys.argv[2], float(sys.argv[3])
real_rename, real_unlink = os.rename, os.unlink

def die():
    os.kill(os.getpid(), signal.SIGKILL)

def rename(*a, **kw):
    if mode == "before-move":
        die()
    real_rename(*a, **kw)
    if mode in ("after-move", "after-gz-rename"):
        die()

def unlink(*a, **kw):
    if mode == "before-unlink-source":
        die()
    real_unlink(*a, **kw)

os.rename = rename
os.unlink = unlink
if mode == "mid-gzip":
    import gzip
    real_write = gzip.GzipFile.write
    def write(self, data):
        real_write(self, data[: len(data) // 2])
        self.flush()
        die()
    gzip.GzipFile.write = write
Janitor(Workspace.open(root), clock=lambda: now).run(full=True)
print("not killed")
"""


def _run_child(ws: Workspace, mode: str) -> None:
    proc = subprocess.run([sys.executable, "-c", CHILD, str(ws.root), mode, str(T0)], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == -signal.SIGKILL, (proc.returncode, proc.stdout, proc.stderr)


def _open_intents(ws: Workspace) -> list[dict]:
    return pending(read(JanitorPaths(ws.root))[0])


@pytest.mark.parametrize("mode", ["before-move", "after-move"])
def test_killed_archive_move_is_finished_by_the_next_run(ws: Workspace, mode: str) -> None:
    rel = f"agents/cher/.state.json.tmp-{NO_PID}-aa"
    f = make_file(ws.root / rel, b"precious partial state", mtime=OLD)
    _run_child(ws, mode)
    intents = _open_intents(ws)
    assert [(i["path"], i["action"], i["agent"]) for i in intents] == [(rel, "archive", "cher")]
    killed_run = intents[0]["run"]
    r = janitor(ws).run(full=True)
    assert _open_intents(ws) == []
    [rec] = r["recovered"]
    if mode == "before-move":
        assert rec["outcome"] == "aborted"
        # the file was still in place, so this run archived it itself
        assert [a["path"] for a in r["actions"]] == [rel]
        run = r["run"]
    else:
        assert rec["outcome"] == "recovered"
        assert r["actions"] == []
        run = killed_run
    assert not f.exists()
    assert (ws.root / "archive" / run / rel).read_bytes() == b"precious partial state"
    restored = janitor(ws).restore(run)
    assert restored["restored"] == [{"path": rel, "agent": "cher"}]
    assert f.read_bytes() == b"precious partial state"


@pytest.mark.parametrize("mode", ["mid-gzip", "after-gz-rename", "before-unlink-source"])
def test_killed_compression_leaves_the_original_intact(ws: Workspace, mode: str) -> None:
    rel = "agents/nina/chat-20250101T000000Z.jsonl"
    data = b"".join(b'{"ts": %d, "text": "line"}\n' % i for i in range(5000))
    f = make_file(ws.root / rel, data, mtime=OLD)
    _run_child(ws, mode)
    assert f.read_bytes() == data  # the source is only removed after its archive is complete
    killed_run = _open_intents(ws)[0]["run"]
    r = janitor(ws).run(full=True)
    assert [x["outcome"] for x in r["recovered"]] == ["aborted"]
    # no half-written archive is left behind by the killed run
    killed_dir = ws.root / "archive" / killed_run / "agents/nina"
    leftovers = sorted(p.name for p in killed_dir.iterdir()) if killed_dir.exists() else []
    assert leftovers == []
    # and this run archived it properly, compressed
    assert [a["path"] for a in r["actions"]] == [rel]
    gz = ws.root / "archive" / r["run"] / (rel + ".gz")
    assert gzip.decompress(gz.read_bytes()) == data
    assert not f.exists()
    janitor(ws).restore(r["run"], rel)
    assert f.read_bytes() == data


def test_restore_never_overwrites(ws: Workspace) -> None:
    rel = f"agents/cher/.x.tmp-{NO_PID}-aa"
    f = make_file(ws.root / rel, b"v1", mtime=OLD)
    r = janitor(ws).run(full=True)
    assert not f.exists()
    f.write_bytes(b"v2, written since")
    res = janitor(ws).restore(r["run"])
    assert res["restored"] == [] and [c["path"] for c in res["conflicts"]] == [rel]
    assert f.read_bytes() == b"v2, written since"
    assert (ws.root / "archive" / r["run"] / rel).read_bytes() == b"v1"


def test_restore_refuses_bad_run_ids_and_unknown_paths(ws: Workspace) -> None:
    from catalyst_tui.core.errors import CatalystError

    with pytest.raises(CatalystError, match="invalid run id"):
        janitor(ws).restore("../../etc")
    make_file(ws.root / f"agents/cher/.x.tmp-{NO_PID}-aa", mtime=OLD)
    r = janitor(ws).run(full=True)
    with pytest.raises(CatalystError, match="not in archive"):
        janitor(ws).restore(r["run"], "agents/nope/x")


def test_journal_lines_each_carry_their_agent(ws: Workspace) -> None:
    make_file(ws.root / f"agents/cher/.x.tmp-{NO_PID}-aa", mtime=OLD)
    make_file(ws.root / f"board/.index.json.tmp-{NO_PID}-bb", mtime=OLD)
    janitor(ws).run(full=True)
    records, errors = read(JanitorPaths(ws.root))
    assert not errors and records
    assert all("agent" in rec for rec in records)
    by_path = {(r.get("path"), r.get("phase")): r["agent"] for r in records if r.get("path")}
    assert by_path[(f"agents/cher/.x.tmp-{NO_PID}-aa", "done")] == "cher"
    assert by_path[(f"board/.index.json.tmp-{NO_PID}-bb", "done")] is None




def test_external_kill_9_mid_run_loses_nothing(ws: Workspace) -> None:
    """A real CLI run, SIGKILLed from outside while it archives hundreds of files."""
    import time as _time

    originals = {}
    for d in range(10):
        for i in range(30):
            rel = f"agents/{ws.config.agent_names[d % 9]}/d{d}/.f{i}.tmp-{NO_PID}-{i:04x}"
            data = f"{rel}\n".encode() * 3
            make_file(ws.root / rel, data, mtime=OLD - 86400 * 365 * 20)
            originals[rel] = data
    journal = JanitorPaths(ws.root).journal
    proc = subprocess.Popen([sys.executable, "-m", "catalyst_tui", "--workspace", str(ws.root), "janitor", "run"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = _time.monotonic() + 30
    while _time.monotonic() < deadline and proc.poll() is None:
        if journal.exists() and journal.read_bytes().count(b'"phase":"done"') >= 20:
            break
        _time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    killed_mid_run = proc.returncode == -signal.SIGKILL
    r = janitor(ws, now=T0).run(full=True)
    assert _open_intents(ws) == []
    assert not r["errors"]
    # every file is exactly once somewhere: in place, or in one run's archive, byte-identical
    for rel, data in originals.items():
        places = [p for p in [ws.root / rel, *(ws.root / "archive").glob(f"*/{rel}")] if p.exists()]
        assert len(places) == 1, (rel, places)
        assert places[0].read_bytes() == data
        assert places[0] != ws.root / rel  # this run archived whatever the killed one had not
    assert killed_mid_run, "the run finished before it could be killed (machine too fast?)"


def test_run_ids_have_one_owner() -> None:
    from catalyst_tui.core.janitor import journal

    rid = journal.new_run_id(1767225600.0)  # 2026-01-01 00:00:00 UTC
    assert rid.startswith("20260101T000000Z-") and journal.is_run_id(rid)
    assert rid != journal.new_run_id(1767225600.0)  # same second, another run
    assert not any(journal.is_run_id(bad) for bad in ("../x", "20260101T000000Z", "20260101T000000Z-ABCDEF",
                                                      "20260101T000000Z-1a2b3c/..", ""))
