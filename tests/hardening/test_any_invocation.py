"""Class 7: any bytes, any invocation. A fuzz of bad command lines run as real processes: each exits
with the code docs/cli.md documents (0 ok, 1 failure or unhealthy, 2 usage error or no usable
workspace), one line on stderr, no traceback, no hang (a timeout on every run)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from hostile_files import plant

from catalyst_tui.core.workspace import Workspace

Arg = str | bytes
TIMEOUT = 60


def run(*argv: Arg, cwd: Path | None = None) -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CATALYST_")}
    return subprocess.run([sys.executable, "-m", "catalyst_tui", *argv], capture_output=True, timeout=TIMEOUT,
                          stdin=subprocess.DEVNULL, env=env, cwd=cwd, check=False)


def _check(argv: tuple[Arg, ...], codes: set[int], proc: subprocess.CompletedProcess[bytes]) -> str | None:
    err = proc.stderr.decode("utf-8", "replace")
    if proc.returncode not in codes:
        return f"{argv!r}: exit {proc.returncode}, expected {sorted(codes)}: {err[:300]}"
    if "Traceback" in err:
        return f"{argv!r}: traceback: {err[-300:]}"
    # an error is one line; `status` saying "unhealthy" (exit 1) is a verdict on stdout, not an error
    if err.count("\n") > 1 or (proc.returncode == 2 and err.count("\n") != 1):
        return f"{argv!r}: stderr is not one line: {err[:300]!r}"
    if "\x1b" in err:
        return f"{argv!r}: raw ESC on stderr"
    return None


def _fuzz(cases: list[tuple[tuple[Arg, ...], set[int]]]) -> None:
    with ThreadPoolExecutor(4) as pool:  # the processes mostly wait for imports: a few at a time
        procs = list(pool.map(lambda c: run(*c[0]), cases))
    failures = [f for (argv, codes), p in zip(cases, procs, strict=True) if (f := _check(argv, codes, p))]
    assert not failures, "\n".join(failures)


@pytest.fixture
def hostile_ws(tmp_path: Path) -> Workspace:
    """A workspace with non-UTF-8 bytes in an agent directory's name and in file names."""
    ws = Workspace.create(tmp_path / "ws")
    agents = os.fsencode(ws.root / "agents")
    os.mkdir(agents + b"/bj\xffork")
    for name in (b"f\xffile.jsonl", b"\x1b]0;x\x07.lock", b"ok\xc3(.md"):
        with open(os.fsencode(ws.agent("bjork").dir) + b"/" + name, "wb") as fh:
            fh.write(b"\xff\xfe not json\n")
    with open(os.fsencode(ws.agent("cher").cards) + b"/c-\xff.md", "wb") as fh:
        fh.write(b"# \xff\n")
    return ws


def test_fuzz_of_bad_invocations(ws: Workspace, tmp_path: Path) -> None:
    w = ("-w", str(ws.root))
    hub = ("--class", "hub", "--owner", "hub")
    bad_toml = tmp_path / "bad-toml"
    Workspace.create(bad_toml)
    (bad_toml / "catalyst.toml").write_text("[board\ncolumns = 3")
    dir_toml = tmp_path / "dir-toml"
    Workspace.create(dir_toml)
    (dir_toml / "catalyst.toml").unlink()
    (dir_toml / "catalyst.toml").mkdir()
    fifo_toml = tmp_path / "fifo-toml"
    Workspace.create(fifo_toml)
    plant(fifo_toml / "catalyst.toml", "fifo")
    (tmp_path / "empty").mkdir()
    usage = {2}
    cases: list[tuple[tuple[Arg, ...], set[int]]] = [
        # usage errors: argparse and the argument types
        (("card",), usage), (("card", "frob"), usage), (("card", "add", *w), usage),
        (("card", "add", "bjork", *w), usage), (("card", "add", "bjork", "t", "--column", "", *w), usage),
        (("card", "add", "bjork", "", *w), usage), (("card", "add", "", "t", *w), usage),
        (("card", "add", "bjork", "   ", *w), usage), (("card", "add", "bjork", b"ti\xfftle", *w), usage),
        (("card", "add", b"bj\xffork", "t", *w), usage), (("card", "add", "bjork", "t", "--by", "", *w), usage),
        (("card", "move", *w), usage), (("card", "move", "c-x", "", *w), usage),
        (("card", "move", "", "todo", *w), usage),
        (("card", "show", "", *w), usage), (("card", "list", "--agent", "", *w), usage),
        (("card", "list", "--column", "", *w), usage), (("init", ""), usage), (("init",), usage),
        (("simulate", "--rate", "nan", *w), usage), (("simulate", "--rate", "inf", *w), usage),
        (("simulate", "--rate", "-inf", *w), usage), (("simulate", "--rate", "1e308", *w), usage),
        (("simulate", "--rate", "-1", *w), usage), (("simulate", "--duration", "nan", *w), usage),
        (("simulate", "--duration", "1e308", *w), usage), (("simulate", "--rate", "abc", *w), usage),
        (("simulate", "--seed", "1.5", *w), usage), (("demo", "--no-ui", "--rate", "nan", str(tmp_path / "d")), usage),
        (("ports", "add", "0", "x", *hub, *w), usage), (("ports", "add", "65536", "x", *hub, *w), usage),
        (("ports", "add", "1e308", "x", *hub, *w), usage), (("ports", "add", "nan", "x", *hub, *w), usage),
        (("ports", "add", "3140", "x", *w), usage), (("ports", "add", "3140", "x", "--class", "", "--owner", "hub", *w),
                                                    usage),
        (("ports", "suggest", "", *w), usage), (("ports", "check", "--file", "", *w), usage),
        (("janitor", "restore", "", *w), usage), (("janitor", "report", "--limit", "0", *w), usage),
        (("janitor", "report", "--limit", "nan", *w), usage), (("janitor", "report", "--limit", "1e308", *w), usage),
        (("metrics", "serve", "--port", "nan", *w), usage), (("metrics", "serve", "--port", "-1", *w), usage),
        (("snapshot", "restore", "file:///x", "--into", "", *w), usage), (("snapshot", "verify", "", *w), usage),
        (("status", "--window", "bogus", *w), usage), (("status", "--bogus", *w), usage), (("-w", "", "status"), usage),
        (("--theme", "", "status", *w), usage),
        # no usable workspace
        (("-w", str(tmp_path / "nope"), "status"), usage), (("-w", str(tmp_path / "empty"), "card", "list"), usage),
        (("-w", os.fsencode(tmp_path) + b"/\xff", "status"), usage), (("-w", str(bad_toml), "card", "list"), usage),
        (("-w", str(dir_toml), "card", "list"), usage), (("-w", str(fifo_toml), "status"), usage),
        # failures of a valid request
        (("card", "show", "c-nope", *w), {1}), (("card", "move", "c-nope", "todo", *w), {1}),
        (("card", "add", "ghost", "t", *w), {1}), (("card", "add", "bjork", "t", "--column", "nowhere", *w), {1}),
        (("card", "add", "../x", "t", *w), {1}), (("janitor", "restore", "../../etc", *w), {1}),
        (("janitor", "restore", "20260101T000000Z-1a2b3c", *w), {1}), (("ports", "suggest", "nope", *w), {1}),
        (("init", str(ws.root)), {1}),  # refuses to overwrite
        # fine
        (("--version",), {0}), (("card", "--help"), {0}), (("card", "list", *w), {0}),
    ]
    assert len(cases) >= 50
    _fuzz(cases)
    assert not (Path.cwd() / "catalyst.toml").exists() and ws.board.load().cards == {}


def test_init_with_an_empty_path_never_initialises_the_current_directory(tmp_path: Path) -> None:
    proc = run("init", "", cwd=tmp_path)
    assert proc.returncode == 2 and list(tmp_path.iterdir()) == []


def test_non_utf8_names_in_status_card_add_and_janitor(hostile_ws: Workspace) -> None:
    w = ("-w", str(hostile_ws.root))
    status = run("status", *w)
    assert _check(("status",), {0, 1}, status) is None
    status_json = run("status", "--json", *w)
    assert _check(("status", "--json"), {0, 1}, status_json) is None
    json.loads(status_json.stdout)
    added = run("card", "add", "bjork", "fine title", *w)
    assert _check(("card", "add"), {0}, added) is None
    dry = run("janitor", "run", "--dry-run", "--json", *w)
    assert _check(("janitor", "run", "--dry-run", "--json"), {0, 1}, dry) is None
    doc = json.loads(dry.stdout)  # valid JSON whatever the file names hold
    assert b"\x1b" not in dry.stdout and b"\xff" not in dry.stdout
    assert isinstance(doc, dict)
    human = run("janitor", "run", "--dry-run", *w)
    assert _check(("janitor", "run", "--dry-run"), {0, 1}, human) is None and b"\x1b" not in human.stdout


def test_a_workspace_whose_path_is_not_utf8(tmp_path: Path) -> None:
    root = os.fsencode(tmp_path) + b"/w\xff\x1bs"
    made = run("init", root)
    assert made.returncode == 0, made.stderr
    w = ("-w", root)
    added = run("card", "add", "bjork", "title", *w)
    assert _check(("card", "add"), {0}, added) is None
    listed = run("card", "list", "--json", *w)
    assert _check(("card", "list"), {0}, listed) is None and len(json.loads(listed.stdout)["cards"]) == 1
    missing = run("card", "show", "c-nope", *w)
    assert _check(("card", "show"), {1}, missing) is None
