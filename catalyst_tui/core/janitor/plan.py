"""Planning a janitor run: walk, re-stat, judge owners, reconcile the index, find abandoned
dispatches. Planning never writes anything: ``--dry-run`` prints the plan and stops there.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from catalyst_tui.core.agents import AgentPaths
from catalyst_tui.core.janitor import journal
from catalyst_tui.core.janitor.cards import plan_card_archive
from catalyst_tui.core.janitor.dispatch import DispatchState, agent_running, scan
from catalyst_tui.core.janitor.walk import WalkResult, open_dir_chain
from catalyst_tui.core.workspace import Workspace

NEEDS_REVIEW = "needs-review"


@dataclass(slots=True)
class Item:
    """One planned action on one file."""

    action: str  # archive | remove | flag | rotate
    relpath: str
    dir_rel: str
    name: str
    agent: str | None
    rule: str
    reason: str
    ino: int
    size: int
    mtime_ns: int
    compress: bool = False
    dest: str | None = None  # archive/<run>/<relpath>[.gz], or the rotated name

    def to_json(self) -> dict[str, Any]:
        return {"action": self.action, "path": self.relpath, "agent": self.agent, "rule": self.rule,
                "reason": self.reason, "bytes": self.size, "dest": self.dest}


@dataclass(slots=True)
class Abandon:
    agent: str
    dispatch_id: str
    card: str | None
    last_ts: float
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"agent": self.agent, "id": self.dispatch_id, "card": self.card, "last_ts": self.last_ts,
                "reason": self.reason}


@dataclass
class Plan:
    run_id: str
    now: float
    walk: WalkResult
    items: list[Item] = field(default_factory=list)
    kept: list[dict[str, Any]] = field(default_factory=list)  # candidates kept, with why
    abandon: list[Abandon] = field(default_factory=list)
    flag_cards: list[dict[str, Any]] = field(default_factory=list)  # cards to flag needs-review
    archive_cards: dict[str, int] = field(default_factory=dict)  # per agent: done cards to archive
    reported: list[dict[str, Any]] = field(default_factory=list)  # reconciliation findings
    errors: list[str] = field(default_factory=list)  # actions that failed, one line each
    failures: list[dict[str, Any]] = field(default_factory=list)  # the same, as {path, agent, message}
    problems: list[str] = field(default_factory=list)  # bad input met on the way (file:line), never fatal
    dispatch_state: DispatchState | None = None  # pending dispatches, saved by a real run


def fail(plan: Plan, path: str | None, agent: str | None, message: str) -> None:
    """An action that failed: the line for the report, and its file and tenant (never parsed back)."""
    plan.errors.append(f"{path}: {message}" if path else message)
    plan.failures.append({"path": path, "agent": agent, "message": message})


def keep(plan: Plan, relpath: str, agent: str | None, reason: str) -> None:
    plan.kept.append({"path": relpath, "agent": agent, "reason": reason})


def plan_chat_rotation(plan: Plan, ws: Workspace, rotate_bytes: int) -> None:
    """``agents/<n>/chat.jsonl`` past ``rotate_bytes`` is renamed ``chat-<ts>.jsonl`` (appenders
    that still hold the old descriptor keep writing into the rotated file: nothing is lost)."""
    stamp = journal.utc_stamp(plan.now)
    for name in ws.config.agent_names:
        rel_dir = f"agents/{name}/"
        try:
            st = os.stat(ws.root / rel_dir / "chat.jsonl", follow_symlinks=False)
        except OSError:
            continue
        if stat.S_ISREG(st.st_mode) and st.st_size > rotate_bytes and st.st_nlink > 1:
            keep(plan, rel_dir + "chat.jsonl", name, f"{st.st_nlink} hard links: shared with another path; "
                 "never moved")
            continue
        if stat.S_ISREG(st.st_mode) and st.st_size > rotate_bytes and rel_dir in plan.walk.dirs:
            plan.items.append(Item("rotate", rel_dir + "chat.jsonl", rel_dir, "chat.jsonl", name, "chat-rotate",
                                   f"larger than {rotate_bytes} bytes", st.st_ino, st.st_size, st.st_mtime_ns,
                                   dest=f"{rel_dir}chat-{stamp}.jsonl"))


def plan_dispatch(plan: Plan, ws: Workspace, ttl_s: float, state: DispatchState) -> DispatchState:
    """Pending dispatches of agents that are not running, older than ``ttl_s``: flagged, and
    marked ``abandoned`` when the plan is executed. Returns the updated state (not saved here)."""
    new = DispatchState()
    for name in ws.config.agent_names:
        paths = AgentPaths(ws.root, name)
        if not paths.dispatch.exists():
            continue
        if not _regular_file(ws.root, f"agents/{name}/dispatch.jsonl"):
            plan.problems.append(f"{paths.dispatch}: not a regular file inside the workspace (a symlink?): skipped")
            continue
        log = scan(paths.dispatch, str(paths.dispatch), state.agents.get(name), plan.problems)
        new.agents[name] = log
        if not log.pending:
            continue
        running, why = agent_running(paths)
        if running:
            continue
        for did, (ts, event, card) in log.pending.items():
            if plan.now - ts > ttl_s:
                plan.abandon.append(Abandon(name, did, card, ts, f"{event} but agent {why}"))
    return new


def plan_reconcile(plan: Plan, ws: Workspace) -> None:
    """Cards whose per-agent files are missing -> flag needs-review; index entries for unknown
    agents, agent directories nobody configured and card bodies no card refers to -> reported."""
    try:
        view = ws.board.load()
    except Exception as exc:  # noqa: BLE001 - a broken index is reported, the run goes on
        plan.problems.append(f"{ws.board.index_path}: {exc}")
        return
    if view.fallback:
        plan.problems.append(view.fallback)
    plan_card_archive(plan, ws, view)
    known = set(ws.config.agent_names)
    referenced: set[str] = set()
    # archived cards keep their files where they are: those are referred to, not orphans
    archived = ws.board.archived()
    plan.problems.extend(str(p) for p in archived.problems[:20])
    plan.problems.extend(archived.unreadable)
    for rec in archived.cards.values():
        referenced.update(r for r in (rec.card.refs.body, rec.card.refs.log) if r)
    for card in view.cards.values():
        refs = [("body", card.refs.body), ("log", card.refs.log)]
        for _, ref in refs:
            if ref:
                referenced.add(ref)
        if card.agent not in known:
            plan.reported.append({"kind": "unknown-agent-card", "card": card.id, "agent": card.agent,
                                  "detail": f"card {card.id} is in the lane of unknown agent {card.agent!r}"})
        if card.archived:
            continue
        missing = [f"{kind} {ref}" for kind, ref in refs if ref and not _regular_file(ws.root, ref)]
        if missing and NEEDS_REVIEW not in card.flags:
            plan.flag_cards.append({"card": card.id, "agent": card.agent,
                                    "reason": "missing " + ", ".join(missing)})
    agents_dir = ws.root / "agents"
    try:
        dirs = sorted(p.name for p in agents_dir.iterdir() if p.is_dir() and not p.is_symlink())
    except FileNotFoundError:
        dirs = []
    for name in dirs:
        if name not in known:
            plan.reported.append({"kind": "unknown-agent-dir", "card": None, "agent": name,
                                  "detail": f"agents/{name}/ belongs to no configured agent"})
            continue
        cards_dir = agents_dir / name / "cards"
        try:
            bodies = sorted(p.name for p in cards_dir.iterdir())
        except (FileNotFoundError, NotADirectoryError):
            continue
        for body in bodies:
            rel = f"agents/{name}/cards/{body}"
            if rel not in referenced and not body.startswith("."):
                plan.reported.append({"kind": "orphan-file", "card": None, "agent": name,
                                      "detail": f"{rel} is referred to by no card"})


def _regular_file(root: Path, ref: str) -> bool:
    """Does the workspace-relative ``ref`` name a regular file, reached without any symlink?"""
    parts = ref.split("/")
    if ref.startswith("/") or ".." in parts or "" in parts:
        return False
    try:
        root_fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)  # the root itself may be a link
    except OSError:
        return False
    try:
        dir_fd = open_dir_chain(root_fd, "/".join(parts[:-1]))
        try:
            return stat.S_ISREG(os.stat(parts[-1], dir_fd=dir_fd, follow_symlinks=False).st_mode)
        finally:
            os.close(dir_fd)
    except OSError:
        return False
    finally:
        os.close(root_fd)
