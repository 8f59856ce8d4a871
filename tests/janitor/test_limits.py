"""The janitor never acts outside, never on shared state, within its limits: hard links, bind
mounts, protected files, bounded descriptors, batched index writes, the run's cap everywhere,
no stray temp file of the index."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import msgspec
import pytest
from janitor_helpers import T0, Clock, janitor, make_file

from catalyst_tui.core.agents import AgentPaths, write_state
from catalyst_tui.core.board.index import IndexFile, encode_index
from catalyst_tui.core.config import JanitorRule
from catalyst_tui.core.errors import CatalystError
from catalyst_tui.core.janitor import Janitor
from catalyst_tui.core.models import AgentState, Card, CardRefs
from catalyst_tui.core.workspace import Workspace

OLD = T0 - 86400 * 30
TMP_RULE = [JanitorRule(name="tmp", pattern="**/*.tmp", ttl_s=60, action="remove")]


def _kept(report: dict, rel: str) -> str | None:  # type: ignore[type-arg]
    return next((k["reason"] for k in report["kept"] if k["path"] == rel), None)


# ---------------------------------------------------------------------- hard links
def test_a_hard_linked_candidate_is_never_removed(ws: Workspace, tmp_path: Path) -> None:
    outside = make_file(tmp_path / "outside.tmp", b"not the janitor's", mtime=OLD)
    inside = ws.root / "agents/bjork/shared.tmp"
    inside.parent.mkdir(parents=True, exist_ok=True)
    os.link(outside, inside)
    alone = make_file(ws.root / "agents/bjork/alone.tmp", b"x", mtime=OLD)
    r = janitor(ws, rules=TMP_RULE).run(full=True)
    assert inside.exists() and outside.read_bytes() == b"not the janitor's"
    assert "2 hard links" in (_kept(r, "agents/bjork/shared.tmp") or "")
    assert not alone.exists()  # the rule does apply to a file of its own


def test_a_hard_linked_dispatch_log_gets_no_abandoned_record(ws: Workspace, tmp_path: Path) -> None:
    paths = AgentPaths(ws.root, "ozzy")
    write_state(paths, AgentState(agent="ozzy", status="stopped"))
    outside = tmp_path / "elsewhere.jsonl"
    line = f'{{"ts": {T0 - 86400}, "id": "d-1", "event": "enqueued", "agent": "ozzy"}}\n'
    outside.write_text(line)
    os.link(outside, paths.dispatch)
    r = janitor(ws).run(full=True)
    assert outside.read_text() == line  # the outside file is unchanged
    assert any("hard links; never written" in e for e in r["errors"])


def test_a_hard_linked_chat_log_is_not_rotated(ws: Workspace, tmp_path: Path) -> None:
    chat = AgentPaths(ws.root, "cher").chat
    chat.write_bytes(b'{"text": "x"}\n' * 200)
    os.link(chat, tmp_path / "chat-elsewhere.jsonl")
    r = janitor(ws, chat_rotate_bytes=1024).run(full=True)
    assert chat.exists() and "hard links" in (_kept(r, "agents/cher/chat.jsonl") or "")


def test_a_hard_link_planted_as_the_janitors_journal_stops_the_run(ws: Workspace, tmp_path: Path) -> None:
    outside = tmp_path / "victim.txt"
    outside.write_text("precious\n")
    jdir = ws.root / ".catalyst/janitor"
    jdir.mkdir(parents=True, exist_ok=True)
    os.link(outside, jdir / "journal.jsonl")
    with pytest.raises(CatalystError, match="not a private regular file"):
        janitor(ws).run(full=True)
    assert outside.read_text() == "precious\n"


# ---------------------------------------------------------------------- mounts
def _can_mount() -> bool:
    return os.geteuid() == 0 and subprocess.run(["mount", "--version"], capture_output=True).returncode == 0


@pytest.mark.skipif(not _can_mount(), reason="mounting needs root (CI runs as root)")
def test_a_bind_mount_inside_the_workspace_is_never_entered(ws: Workspace, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    victim = make_file(outside / "victim.tmp", b"outside", mtime=OLD)
    point = ws.root / "agents/bjork/bound"
    point.mkdir(parents=True)
    subprocess.run(["mount", "--bind", str(outside), str(point)], check=True)
    try:
        assert os.stat(point).st_dev == os.stat(ws.root).st_dev  # a device check cannot see it
        mine = make_file(ws.root / "agents/bjork/mine.tmp", b"x", mtime=OLD)
        r = janitor(ws, rules=TMP_RULE).run(full=True)
        assert victim.read_bytes() == b"outside"
        assert r["mounts_skipped"] == ["agents/bjork/bound"]
        assert not mine.exists()
    finally:
        subprocess.run(["umount", "-l", str(point)], check=True)


@pytest.mark.skipif(not _can_mount(), reason="mounting needs root (CI runs as root)")
def test_a_mount_made_after_the_walk_is_seen_by_its_mount_id(ws: Workspace) -> None:
    """A directory bind-mounted onto itself keeps its device *and* inode: only the mount id tells."""
    d = ws.root / "agents/slash/late"
    f = make_file(d / "f.tmp", b"x", mtime=OLD)
    mounted: list[Path] = []

    def mount_now(plan: object) -> None:
        subprocess.run(["mount", "--bind", str(d), str(d)], check=True)
        mounted.append(d)

    try:
        j = janitor(ws, rules=TMP_RULE)
        r = j.run(full=True, before_execute=mount_now)
        assert f.exists() and _kept(r, "agents/slash/late/f.tmp") == "inside a mount point: never entered"
    finally:
        for p in mounted:
            subprocess.run(["umount", "-l", str(p)], check=True)


def test_mount_points_are_read_from_the_mount_table(tmp_path: Path) -> None:
    from catalyst_tui.core.janitor.mounts import mount_points_under

    table = tmp_path / "mountinfo"
    root = "/srv/ws"
    table.write_text(f"36 35 98:0 / {root} rw - ext4 /dev/x rw\n"
                     f"37 36 98:0 /elsewhere {root}/agents/a/bind rw - ext4 /dev/x rw\n"
                     f"38 36 0:5 / {root}/with\\040space rw - tmpfs t rw\n"
                     f"39 35 0:6 / /srv/wsx/other rw - tmpfs t rw\n")
    assert mount_points_under(root, str(table)) == {"agents/a/bind", "with space"}


# ---------------------------------------------------------------------- protected files
GREEDY = [JanitorRule(name="all-json", pattern="**/*.json", ttl_s=0, action="remove"),
          JanitorRule(name="board", pattern="board/*", ttl_s=0, action="archive"),
          JanitorRule(name="top", pattern="*", ttl_s=0, action="remove"),
          JanitorRule(name="runtime", pattern=".catalyst/**", ttl_s=0, action="remove")]


def test_shared_and_live_files_are_protected_from_every_rule(ws: Workspace) -> None:
    ws.board.add("bjork", "a card")
    ws.board.add("bjork", "another")  # index.json.bak exists now
    write_state(AgentPaths(ws.root, "nina"), AgentState(agent="nina", status="running"))
    (ws.root / ".catalyst").mkdir(exist_ok=True)
    make_file(ws.root / ".catalyst/snapshot-state.json", b"{}", mtime=OLD)
    notes = make_file(ws.root / "agents/nina/notes.json", b"{}", mtime=OLD)
    shared = ["board/index.json", "board/index.json.bak", "board/audit.jsonl", "catalyst.toml", "PORTS.md",
              "agents/nina/state.json", ".catalyst/snapshot-state.json"]
    before = {rel: (ws.root / rel).read_bytes() for rel in shared}
    for rel in shared:
        os.utime(ws.root / rel, (OLD, OLD))
    r = janitor(ws, rules=GREEDY).run(full=True)
    assert {rel: (ws.root / rel).read_bytes() for rel in shared} == before
    for rel in ("board/index.json", "agents/nina/state.json", "catalyst.toml", "PORTS.md"):
        assert (_kept(r, rel) or "").startswith("protected ("), rel
    assert not notes.exists()  # the rules still apply to what is not shared
    conflicts = [p for p in r["problems"] if "protected, never touched by any rule" in p]
    assert {c.split("rule ")[1].split(" ")[0] for c in conflicts} == {"'all-json'", "'board'", "'top'", "'runtime'"}
    assert all(c.startswith(str(ws.root / "catalyst.toml")) for c in conflicts)


@pytest.mark.parametrize("spelling", ["./PORTS.md", "docs//ports.md", "docs/./ports.md"])
def test_the_ports_file_is_protected_however_its_path_is_spelled(ws: Workspace, spelling: str) -> None:
    ports = msgspec.structs.replace(ws.config.ports, file=spelling)
    ws.config = msgspec.structs.replace(ws.config, ports=ports)
    rel = os.path.normpath(spelling)
    path = ws.root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((ws.root / "PORTS.md").read_bytes())
    os.utime(path, (OLD, OLD))
    before = path.read_bytes()
    r = janitor(ws, rules=[JanitorRule(name="md", pattern="**/*.md", ttl_s=60, action="remove")]).run(full=True)
    assert path.read_bytes() == before
    assert (_kept(r, rel) or "").startswith("protected (the port registry)"), r["kept"]


def test_a_rule_conflict_is_reported_when_the_config_is_loaded(ws: Workspace) -> None:
    ws.config = msgspec.structs.replace(ws.config, janitor=msgspec.structs.replace(
        ws.config.janitor, rules=[JanitorRule(name="states", pattern="agents/*/state.json", ttl_s=1)]))
    j = Janitor(ws, clock=Clock())
    assert len(j.rule_problems) == 1 and "agents/aretha/state.json (an agent's live state)" in j.rule_problems[0]
    dry = j.run(dry_run=True)
    assert j.rule_problems[0] in dry["problems"]
    assert Janitor(Workspace.open(ws.root)).rule_problems == []  # the default rules never conflict


# ---------------------------------------------------------------------- descriptors
EMFILE_CHILD = textwrap.dedent("""
    import json, resource, sys
    from catalyst_tui.core.config import JanitorRule
    from catalyst_tui.core.janitor import Janitor
    from catalyst_tui.core.workspace import Workspace
    import msgspec
    resource.setrlimit(resource.RLIMIT_NOFILE, (128, 128))
    ws = Workspace.open(sys.argv[1])
    rule = JanitorRule(name="junk", pattern="agents/bjork/junk/*.junk", ttl_s=60, action="flag")
    ws.config = msgspec.structs.replace(ws.config, janitor=msgspec.structs.replace(
        ws.config.janitor, rules=[rule], max_runtime_s=600))
    r = Janitor(ws).run(full=True)
    print(json.dumps({"flagged": sum(1 for a in r["actions"] if a["action"] == "flag"), "errors": r["errors"][:3],
                      "kept": r["kept"][:3]}))
""")


def test_30000_candidates_in_one_directory_with_128_descriptors(ws: Workspace) -> None:
    import time

    junk = ws.root / "agents/bjork/junk"
    junk.mkdir(parents=True)
    old = time.time() - 86400  # the child runs on the real clock
    for i in range(30_000):
        p = junk / f"{i}.junk"
        p.write_bytes(b"")
        os.utime(p, (old, old))
    out = subprocess.run([sys.executable, "-c", EMFILE_CHILD, str(ws.root)], capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    import json

    report = json.loads(out.stdout)
    assert report == {"flagged": 30_000, "errors": [], "kept": []}


# ---------------------------------------------------------------------- batched index writes, the cap
def _cards_with_missing_bodies(ws: Workspace, n: int) -> None:
    """``n`` cards whose body file is missing (written as one index: 5,000 adds would take minutes)."""
    cards = {f"c-{i:05d}": Card(id=f"c-{i:05d}", agent="bjork", column="todo", order=float(i), title=f"t{i}",
                                created=T0 - 100, moved=T0 - 100, refs=CardRefs(body=f"agents/bjork/cards/{i}.md"))
             for i in range(n)}
    ws.board.index_path.parent.mkdir(parents=True, exist_ok=True)
    ws.board.index_path.write_bytes(encode_index(IndexFile(seq=7, updated=T0 - 100, cards=cards)))


def test_5000_cards_are_flagged_in_one_index_write(ws: Workspace) -> None:
    _cards_with_missing_bodies(ws, 5000)
    r = janitor(ws, max_runtime_s=10).run(full=True)
    view = ws.board.load()
    assert view.seq == 8  # one rewrite of the index for all of them
    assert sum("needs-review" in c.flags for c in view.cards.values()) == 5000
    assert not r["capped"] and r["errors"] == []


class Ticking:
    """A monotonic clock that jumps ``step`` seconds after ``calm`` readings."""

    def __init__(self, calm: int, step: float) -> None:
        self.t, self.calls, self.calm, self.step = 1000.0, 0, calm, step

    def __call__(self) -> float:
        self.calls += 1
        if self.calls > self.calm:
            self.t += self.step
        return self.t


@pytest.mark.parametrize("calm", [2, 4, 6, 8, 10])
def test_the_cap_holds_for_every_phase(ws: Workspace, calm: int) -> None:
    """Whichever phase the deadline passes in, nothing is started after it and the run says so."""
    _cards_with_missing_bodies(ws, 50)
    junk = [make_file(ws.root / f"agents/bjork/{i}.tmp", b"x", mtime=OLD) for i in range(20)]
    j = janitor(ws, rules=TMP_RULE)
    j.monotonic = Ticking(calm, 100.0)
    r = j.run(full=True)
    assert r["capped"]
    assert ws.board.load().seq == 7  # the flag phase comes after every cap point here: never reached
    removed = sum(not p.exists() for p in junk)
    assert removed == len([a for a in r["actions"] if a["action"] == "remove"]) < 20


# ---------------------------------------------------------------------- stray temp files
def test_stray_temp_links_of_the_backup_are_swept(ws: Workspace) -> None:
    ws.board.add("bjork", "x")
    board = ws.board.index_path.parent
    os.link(ws.board.index_path, board / ".index.json.bak.tmp-4999999-deadbeef")  # a writer killed mid-backup
    janitor(ws).run(full=True)
    assert [n for n in os.listdir(board) if ".tmp-" in n] == []
    os.link(ws.board.index_path, board / ".index.json.bak.tmp-4999999-beef")
    ws.board.add("bjork", "y")  # any index write sweeps too
    assert [n for n in os.listdir(board) if ".tmp-" in n] == []


KILL_CHILD = textwrap.dedent("""
    import sys
    from catalyst_tui.core.janitor import Janitor
    from catalyst_tui.core.workspace import Workspace
    ws = Workspace.open(sys.argv[1])
    print("ready", flush=True)
    while True:
        ws.board.set_flags(list(ws.board.load().cards), "needs-review", on=True)
        ws.board.set_flags(list(ws.board.load().cards), "needs-review", on=False)
        Janitor(ws).run(full=True)
""")


def test_no_stray_temp_of_the_index_after_kill_9(ws: Workspace) -> None:
    import random
    import signal
    import time

    _cards_with_missing_bodies(ws, 2000)
    rng = random.Random(17)
    for _ in range(6):
        p = subprocess.Popen([sys.executable, "-c", KILL_CHILD, str(ws.root)], stdout=subprocess.PIPE, text=True)
        assert p.stdout is not None and p.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.05, 0.6))
        p.send_signal(signal.SIGKILL)
        p.wait(10)
    final = janitor(ws).run(full=True)
    board = ws.board.index_path.parent
    assert [n for n in os.listdir(board) if n.startswith(".index.json.bak.tmp-")] == [], final["recovered"]
    assert len(ws.board.load().cards) == 2000  # and the index is whole


def test_card_archives_and_journal_segments_are_protected_from_a_greedy_rule(ws: Workspace) -> None:
    """A rule over every agent file (``agents/*/**``) or the board's would take the archived cards
    away from ``card restore`` and the history from ``card show``: they are never touched."""
    ws.board.journal_rotate_bytes = 1  # every write seals a segment of the audit journal
    card = ws.board.add("bjork", "done long ago")
    ws.board.archive(card.id)
    ws.board.add("bjork", "still here")
    kept = sorted(p.relative_to(ws.root).as_posix() for p in [*(ws.root / "agents/bjork/archive").iterdir(),
                                                             *(ws.root / "board").glob("audit-*")])
    assert any("/archive/cards-" in k for k in kept) and any(k.endswith(".jsonl") for k in kept if "audit-" in k)
    for rel in kept:
        os.utime(ws.root / rel, (OLD, OLD))
    before = {rel: (ws.root / rel).read_bytes() for rel in kept}
    greedy = [JanitorRule(name="agents", pattern="agents/*/**", ttl_s=0, action="archive"),
              JanitorRule(name="board", pattern="board/**", ttl_s=0, action="remove")]
    r = janitor(ws, rules=greedy).run(full=True)
    assert {rel: (ws.root / rel).read_bytes() for rel in kept} == before
    for rel in kept:
        assert (_kept(r, rel) or "").startswith("protected ("), (rel, r["kept"])
    assert ws.board.find(card.id) == (ws.board.find(card.id)[0], True)  # still archived, still found
    assert [e.action for e in ws.board.history(card.id)] == ["add", "archive"]
    assert ws.board.restore(card.id).card == card.id
