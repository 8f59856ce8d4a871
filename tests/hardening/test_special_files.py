"""Class 1: nothing blocks on a special file. A FIFO, a symlink to /dev/zero or a 1 GiB sparse file in
place of any file the product reads: no hang (each test has a timeout), bounded memory, a clear
one-line error naming the file, and one tenant's bad file never affects the others."""

from __future__ import annotations

import resource
from pathlib import Path

import orjson
import pytest
from hostile_files import SPECIALS, cli, one_line_error, plant

from catalyst_tui.core import storage
from catalyst_tui.core.agents import read_state, write_state
from catalyst_tui.core.errors import FileRefused
from catalyst_tui.core.jsonl import JsonlTail, read_all
from catalyst_tui.core.models import AgentState
from catalyst_tui.core.snapshot.targets.file import FileTarget
from catalyst_tui.core.workspace import Workspace
from catalyst_tui.ui import themes

pytestmark = pytest.mark.timeout(30)


def _maxrss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@pytest.mark.parametrize("kind", SPECIALS)
def test_index_as_a_special_file(ws: Workspace, capsys: pytest.CaptureFixture[str], kind: str) -> None:
    ws.board.add("bjork", "before")  # so a last good copy exists... then both are hostile
    plant(ws.board.index_path, kind)
    plant(ws.board.backup_path, kind)
    before = _maxrss_mib()
    code, out, err = cli(capsys, "card", "list", "-w", str(ws.root))
    assert code == 1 and out == ""
    one_line_error(err, "index.json")
    assert _maxrss_mib() - before < 200  # never read whole
    code, _, err = cli(capsys, "card", "add", "bjork", "t", "-w", str(ws.root))
    assert code == 1
    one_line_error(err, "index.json")


@pytest.mark.parametrize("kind", SPECIALS)
def test_hostile_index_falls_back_to_the_last_good_copy(ws: Workspace, capsys: pytest.CaptureFixture[str],
                                                         kind: str) -> None:
    card = ws.board.add("bjork", "kept")
    ws.board.add("cher", "second")  # the backup now holds "kept"
    plant(ws.board.index_path, kind)
    code, out, _ = cli(capsys, "card", "list", "-w", str(ws.root))
    assert code == 0 and card.id in out


@pytest.mark.parametrize("kind", SPECIALS)
def test_journal_as_a_special_file_never_hangs_a_writer(ws: Workspace, capsys: pytest.CaptureFixture[str],
                                                        kind: str) -> None:
    plant(ws.board.audit_path, kind)
    code, _, err = cli(capsys, "card", "add", "bjork", "t", "-w", str(ws.root))
    if kind == "sparse":  # a regular file: appended to (one write), but too large to read back whole
        assert code == 0
    else:
        assert code == 1  # refused, not blocked while holding the index lock
        one_line_error(err, "audit.jsonl")
    events, errors = ws.board.audit()
    assert events == [] and len(errors) == 1 and "audit.jsonl" in str(errors[0])
    assert kind != "sparse" or "limit" in str(errors[0])
    # the lock was released: another writer gets through at once
    with storage.locked(ws.board.lock_path, timeout=1):
        pass


@pytest.mark.parametrize("kind", SPECIALS)
def test_state_json_of_one_tenant(ws: Workspace, capsys: pytest.CaptureFixture[str], kind: str) -> None:
    for name in ws.config.agent_names:
        write_state(ws.agent(name), AgentState(agent=name, status="running"))
    plant(ws.agent("bjork").state, kind)
    problem = read_state(ws.agent("bjork")).problem
    assert problem is not None and problem.startswith(str(ws.agent("bjork").state))
    code, out, _ = cli(capsys, "status", "--json", "-w", str(ws.root))
    assert code == 1  # one tenant is not healthy
    doc = orjson.loads(out)
    by_agent = {a["agent"]: a for a in doc["agents"]}
    assert len(by_agent) == 9 and by_agent["bjork"]["health"] == "quarantined"
    assert any("state.json" in r for r in by_agent["bjork"]["reasons"])
    assert all(a["health"] != "quarantined" for n, a in by_agent.items() if n != "bjork")


@pytest.mark.parametrize("kind", SPECIALS)
def test_card_body_as_a_special_file(ws: Workspace, capsys: pytest.CaptureFixture[str], kind: str) -> None:
    card = ws.board.add("bjork", "has a body")
    assert card.refs.body is not None
    plant(ws.root / card.refs.body, kind)
    code, out, err = cli(capsys, "card", "show", card.id, "-w", str(ws.root))
    assert code == 1 and out == ""
    one_line_error(err, card.refs.body)


@pytest.mark.parametrize("kind", SPECIALS)
def test_catalyst_toml_as_a_special_file(ws: Workspace, capsys: pytest.CaptureFixture[str], kind: str) -> None:
    plant(ws.root / "catalyst.toml", kind)
    code, _, err = cli(capsys, "card", "list", "-w", str(ws.root))
    assert code == 2  # no usable workspace
    one_line_error(err, "catalyst.toml")


@pytest.mark.parametrize("kind", SPECIALS)
def test_ports_md_as_a_special_file(ws: Workspace, capsys: pytest.CaptureFixture[str], kind: str) -> None:
    plant(ws.ports_path, kind)
    code, _, err = cli(capsys, "ports", "check", "-w", str(ws.root))
    assert code == 2  # PORTS.md cannot be parsed (docs/ports.md)
    one_line_error(err, "PORTS.md")
    code, _, err = cli(capsys, "ports", "add", "3140", "x", "--class", "hub", "--owner", "hub", "-w", str(ws.root))
    assert code == 1
    one_line_error(err, "PORTS.md")


@pytest.mark.parametrize("kind", SPECIALS)
def test_a_theme_file_as_a_special_file(tmp_path: Path, kind: str) -> None:
    user = tmp_path / "config"
    plant(user / "themes" / "evil.toml", kind)
    loaded = themes.load_all(user)
    assert any("evil.toml" in p and "\n" not in p for p in loaded.problems)
    assert themes.DEFAULT_THEME in loaded.themes  # the start-up goes on with the shipped themes


@pytest.mark.parametrize("kind", SPECIALS)
def test_settings_json_as_a_special_file(tmp_path: Path, kind: str) -> None:
    plant(tmp_path / "settings.json", kind)
    data, problem = themes.read_settings(tmp_path)
    assert data == {} and problem is not None and "settings.json" in problem


@pytest.mark.parametrize("kind", SPECIALS)
def test_a_log_tail_as_a_special_file(tmp_path: Path, kind: str) -> None:
    log = tmp_path / "dispatch.jsonl"
    plant(log, kind)
    tail: JsonlTail[object] = JsonlTail(log)
    tail.seek_tail(64 * 1024)  # the monitor's first read of a long log
    records, errors = tail.read_new(max_bytes=1 << 20)
    assert (records == [] and errors == []) or kind == "sparse"
    if kind != "sparse":  # a sparse file is a regular file full of NULs: read (bounded), reported as bad lines
        assert tail.unreadable is not None and "dispatch.jsonl" in tail.unreadable
    records, errors = read_all(log, max_file_bytes=storage.LIMITS["journal"])
    assert records == [] and errors


@pytest.mark.parametrize("kind", SPECIALS)
def test_a_mirror_object_as_a_special_file(tmp_path: Path, kind: str) -> None:
    target = FileTarget(tmp_path / "mirror")
    key = "objects/ab/" + "ab" * 32
    plant(target.root / key, kind)
    if kind == "sparse":  # a large object is legitimate (within the object cap): it streams, bounded
        assert next(iter(target.iter_read(key)))[:4] == b"\0\0\0\0"
        return
    with pytest.raises(FileRefused):
        target.read(key)
    with pytest.raises(FileRefused):
        next(iter(target.iter_read(key)))


@pytest.mark.parametrize("key", ["CURRENT", "HIGH", "commit.lock"])
def test_a_hostile_mirrors_small_files_are_never_read_whole(ws: Workspace, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str], key: str) -> None:
    """Pointers, records and locks are small: a 1 GiB sparse one on a hostile mirror is refused
    before a byte is read (it was read whole: 7 s and 1.9 GB for `snapshot list`)."""
    mirror = tmp_path / "mirror"
    code, _, err = cli(capsys, "snapshot", "push", "--to", f"file://{mirror}", "-w", str(ws.root))
    assert code == 0, err
    plant(mirror / key, "sparse")
    before = _maxrss_mib()
    with pytest.raises(FileRefused, match="limit"):
        FileTarget(mirror).read(key)
    assert _maxrss_mib() - before < 200
    if key == "CURRENT":
        code, out, err = cli(capsys, "snapshot", "list", f"file://{mirror}")
        assert code == 1 and out == ""
        one_line_error(err, "CURRENT", "limit")
