"""Runs: single instance, runtime cap, reconciliation, chat retention, the walk cache, reports, CLI."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import orjson
import pytest
from janitor_helpers import NO_PID, T0, Clock, janitor, make_file, spawn

from catalyst_tui.cli import main
from catalyst_tui.core.janitor import Janitor, JanitorBusy, JanitorPaths, load_footprint
from catalyst_tui.core.workspace import Workspace

OLD = T0 - 30 * 86400

HOLD = """
from filelock import FileLock
import sys
lock = FileLock(sys.argv[1]); lock.acquire()
print("ready", flush=True)
sys.stdin.readline()
"""


def test_single_instance_lock(ws: Workspace, helper: list) -> None:
    tmp = make_file(ws.root / f"agents/cher/.x.tmp-{NO_PID}-aa", mtime=OLD)
    paths = JanitorPaths(ws.root)
    paths.dir.mkdir(parents=True, exist_ok=True)
    spawn(helper, HOLD.replace("sys.argv[1]", repr(str(paths.run_lock))))
    with pytest.raises(JanitorBusy, match="another janitor run is in progress"):
        janitor(ws).run()
    assert tmp.exists()
    # a dry run takes no lock and still previews
    assert [a["path"] for a in janitor(ws).run(dry_run=True)["actions"]] == [f"agents/cher/.x.tmp-{NO_PID}-aa"]
    assert main(["--workspace", str(ws.root), "janitor", "run"]) == 1


def test_runtime_cap_stops_the_run(ws: Workspace) -> None:
    for i in range(5):
        make_file(ws.root / f"agents/cher/d{i}/.x.tmp-{NO_PID}-aa", mtime=OLD)
    ticks = iter(range(0, 10_000, 50))  # every reading of the monotonic clock is 50 s later
    j = Janitor(ws, clock=Clock(T0), monotonic=lambda: float(next(ticks)))
    r = j.run(full=True)
    assert r["capped"] is True
    assert r["totals"]["archived"] < 5
    assert len(list((ws.root / "agents/cher").rglob(".x.tmp-*"))) == 5 - r["totals"]["archived"]


def test_reconciliation_flags_missing_files_once_and_reports_strays(ws: Workspace) -> None:
    ok = ws.board.add("bjork", "all files present")
    lost = ws.board.add("nina", "body lost")
    (ws.root / lost.refs.body).unlink()  # type: ignore[operator]
    (ws.root / "agents/nina/cards/c-orphan00.md").write_text("# nobody refers to me\n")
    (ws.root / "agents/ghost").mkdir()
    # an index entry for an agent the config does not know
    from catalyst_tui.core.board import Board

    Board(ws.root, list(ws.config.board.columns), [*ws.config.agent_names, "ghost"]).add("ghost", "who?")
    for name in ("bjork", "nina", "ghost"):  # the agents have written their work logs
        (ws.root / f"agents/{name}/worklog.jsonl").write_text('{"ts": 1, "text": "x"}\n')
    r = janitor(ws).run(full=True)
    assert [(f["card"], f["agent"]) for f in r["flagged_cards"]] == [(lost.id, "nina")]
    assert "missing body" in r["flagged_cards"][0]["reason"]
    assert list(ws.board.get(lost.id).flags) == ["needs-review"]
    assert list(ws.board.get(ok.id).flags) == []
    # a card whose work log disappears is flagged too
    (ws.root / "agents/bjork/worklog.jsonl").unlink()
    r2 = janitor(ws).run(full=True)
    assert [(f["card"], f["reason"]) for f in r2["flagged_cards"]] == [
        (ok.id, "missing log agents/bjork/worklog.jsonl")]
    kinds = sorted((x["kind"], x["agent"]) for x in r["reported"])
    assert kinds == [("orphan-file", "nina"), ("unknown-agent-card", "ghost"), ("unknown-agent-dir", "ghost")]
    # idempotent: the second run flags nothing and the audit journal has one flag event
    r3 = janitor(ws).run(full=True)
    assert r3["flagged_cards"] == []
    assert [e.detail for e in ws.board.history(lost.id) if e.action == "flag"] == ["+needs-review"]


def test_chat_rotation_then_retention_compresses(ws: Workspace) -> None:
    chat = ws.root / "agents/joni/chat.jsonl"
    data = b'{"ts": 1, "text": "hello"}\n' * 100
    make_file(chat, data, mtime=T0 - 10)
    r = janitor(ws, chat_rotate_bytes=1024).run(full=True)
    [rot] = [a for a in r["actions"] if a["action"] == "rotate"]
    rotated = ws.root / rot["dest"]
    assert not chat.exists() and rotated.read_bytes() == data
    assert r["agents"]["joni"]["rotated"] == 1
    # seven days later the rotated segment is past retention: archived, compressed
    later = T0 + 8 * 86400
    r2 = janitor(ws, now=later).run(full=True)
    [arch] = [a for a in r2["actions"] if a["rule"] == "chat-retention"]
    assert arch["dest"].endswith(".jsonl.gz")
    assert gzip.decompress((ws.root / arch["dest"]).read_bytes()) == data
    assert not rotated.exists()


def test_walk_cache_incremental_runs_and_the_full_walk_safety_net(ws: Workspace) -> None:
    first = janitor(ws, full_walk_every=3).run()
    assert first["full_walk"] is True
    new = make_file(ws.root / f"agents/bowie/.a.tmp-{NO_PID}-aa", mtime=OLD)
    second = janitor(ws, full_walk_every=3).run()
    assert second["full_walk"] is False
    assert [a["path"] for a in second["actions"]] == [f"agents/bowie/.a.tmp-{NO_PID}-aa"]
    assert not new.exists()
    # a file whose mtime is set backwards in an unchanged directory: only the full walk sees it
    sneaky = make_file(ws.root / f"agents/bowie/locks/.b.tmp-{NO_PID}-bb", mtime=T0 - 1)
    janitor(ws, full_walk_every=3).run()  # incremental: caches it as young (and it is)
    os.utime(sneaky, (OLD, OLD))
    third = janitor(ws, full_walk_every=3).run()
    assert third["full_walk"] is True  # the 3rd run after the last full walk
    assert sneaky.exists() is False
    # a file that only looks old in the cache (appended since) is re-stat'ed and left alone
    appended = make_file(ws.root / f"agents/bowie/.c.tmp-{NO_PID}-cc", mtime=OLD)
    janitor(ws, now=OLD + 10, full_walk_every=3).run()  # cached while young
    with open(appended, "ab") as fh:
        fh.write(b"more")
    os.utime(appended, (T0 - 5, T0 - 5))
    r = janitor(ws, full_walk_every=3).run()
    assert appended.exists() and not r["full_walk"]


def test_reports_and_footprint_history_per_agent(ws: Workspace) -> None:
    make_file(ws.root / "agents/slash/cards/big.md", b"x" * 5000)
    make_file(ws.root / f"agents/slash/.t.tmp-{NO_PID}-aa", b"y" * 300, mtime=OLD)
    j = janitor(ws)
    r = j.run(full=True)
    assert r["agents"]["slash"]["bytes_reclaimed"] == 300
    assert r["agents"]["slash"]["archived"] == 1
    assert r["agents"]["slash"]["footprint_bytes"] >= 5000
    r2 = j.run(full=True)
    reports, problems = j.reports()
    assert [x["run"] for x in reports] == [r2["run"], r["run"]] and not problems  # newest first
    hist, errs = load_footprint(JanitorPaths(ws.root))
    slash = [h for h in hist if h["agent"] == "slash"]
    assert len(slash) == 2 and not errs
    assert all("agent" in h for h in hist)


def test_cli_run_json_report_and_restore(ws: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    rel = f"agents/cher/.state.json.tmp-{NO_PID}-aa"
    f = make_file(ws.root / rel, b"state", mtime=T0 - 86400 * 400 * 10)
    w = ["--workspace", str(ws.root), "janitor"]
    assert main([*w, "run", "--json"]) == 0
    run = orjson.loads(capsys.readouterr().out)
    assert [a["path"] for a in run["actions"]] == [rel] and not f.exists()
    assert main([*w, "report", "--json"]) == 0
    rep = orjson.loads(capsys.readouterr().out)
    assert rep["runs"][0]["run"] == run["run"] and "cher" in rep["footprint"]
    assert main([*w, "report"]) == 0
    assert run["run"] in capsys.readouterr().out
    assert main([*w, "restore", run["run"], rel]) == 0
    assert f.read_bytes() == b"state"
    assert f"restored {rel}" in capsys.readouterr().out
    assert main([*w, "restore", "nope"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "invalid run id 'nope'" in err


def test_cli_shows_hostile_file_names_literally(ws: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    make_file(ws.root / f"agents/cher/.\x1b[31mred.tmp-{NO_PID}-aa", mtime=T0 - 86400 * 4000)
    assert main(["--workspace", str(ws.root), "janitor", "run", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\\x1b[31mred" in out




def test_demo_workspace_trouble_is_cleaned_up(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The demo seeds dead sessions' lock files and an interrupted write's temp file (real clock)."""
    from catalyst_tui.core.demo import seed

    ws = seed(tmp_path / "demo", hours=1.5, per_hour=30)
    assert main(["--workspace", str(ws.root), "janitor", "run", "--json"]) == 0
    r = orjson.loads(capsys.readouterr().out)
    done = sorted((a["agent"], a["rule"]) for a in r["actions"])
    assert done == [("bjork", "session-lock"), ("cher", "orphan-temp"), ("ozzy", "session-lock")]
    # the demo's torn dispatch line is reported with its file and line, and is not fatal
    [problem] = r["problems"]
    assert problem.startswith(f"{ws.root}/agents/bjork/dispatch.jsonl:")
    assert problem.endswith(": malformed record: Input data was truncated")
    assert r["errors"] == []
