"""The janitor: scheduled, safe clean-up of orphan state, and index reconciliation.

``Janitor(ws).run()`` takes the single-instance lock (``.catalyst/janitor/run.lock``; a CLI
run and the dashboard's run never overlap), finishes whatever a killed run left half-way,
plans (:mod:`janitor_plan`: walk, re-stat, owners, reconciliation) and executes the plan,
re-verifying every file right before acting on it. ``run(dry_run=True)`` only plans: it takes
no lock and writes nothing. Time is injected (``clock``, ``monotonic``): ages never depend on
when a test happens to run. See docs/janitor.md.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from catalyst_tui.core import outcomes, storage
from catalyst_tui.core.errors import CatalystError, LockTimeout, os_reason
from catalyst_tui.core.janitor import journal
from catalyst_tui.core.janitor.cards import archive_cards
from catalyst_tui.core.janitor.decide import decide, shared_inode
from catalyst_tui.core.janitor.dispatch import encode_state as encode_dispatch_state
from catalyst_tui.core.janitor.dispatch import load_state as load_dispatch_state
from catalyst_tui.core.janitor.fs import append_jsonl_nofollow, gzip_into, open_rel_dir, open_root, same_file, split
from catalyst_tui.core.janitor.journal import JanitorPaths
from catalyst_tui.core.janitor.mounts import mount_id, mount_points_under
from catalyst_tui.core.janitor.owner import flock_held, open_for_writing
from catalyst_tui.core.janitor.plan import (
    NEEDS_REVIEW,
    Item,
    Plan,
    fail,
    keep,
    plan_chat_rotation,
    plan_dispatch,
    plan_reconcile,
)
from catalyst_tui.core.janitor.protect import Protected, rule_conflicts
from catalyst_tui.core.janitor.recover import recover, restore
from catalyst_tui.core.janitor.report import build_report
from catalyst_tui.core.janitor.rules import RuleSet
from catalyst_tui.core.janitor.walk import WalkCache, Walker, decode_cache, encode_cache, open_dir_chain
from catalyst_tui.core.workspace import Workspace

Progress = Callable[[int], None]


FLAG_BATCH = 10_000  # cards flagged per index write: bounds the time the index lock is held


class JanitorBusy(CatalystError):
    pass


class Janitor:
    def __init__(self, ws: Workspace, *, clock: Callable[[], float] = time.time,
                 monotonic: Callable[[], float] = time.monotonic, proc: str = "/proc") -> None:
        self.ws = ws
        self.cfg = ws.config.janitor
        self.rules = RuleSet.from_config(self.cfg)
        # resolved once (a symlinked workspace path is the operator's choice); from here on every
        # operation goes through descriptors below this directory and never follows a link
        self.root = Path(os.path.realpath(ws.root))
        self.paths = JanitorPaths(self.root)
        self.protected = Protected(ws.config.ports.file)
        # a user rule that would match shared state is reported with every run (never applied there)
        self.rule_problems = ([] if self.cfg.rules is None else
                              rule_conflicts(self.rules, self.protected, ws.config.agent_names,
                                             str(ws.root / "catalyst.toml")))
        self.clock = clock
        self.monotonic = monotonic
        self.proc = proc

    # ------------------------------------------------------------------ planning
    def _load_cache(self) -> WalkCache | None:
        try:
            return decode_cache(storage.read_bytes(self.paths.cache, "record", follow=False))
        except OSError:
            return None

    def plan(self, *, full: bool | None = None, progress: Progress | None = None,
             run_id: str | None = None, deadline: float | None = None) -> tuple[Plan, WalkCache]:
        """Walk and decide; writes nothing. Returns the plan and the walk cache to save."""
        now = self.clock()
        cache = self._load_cache()
        if full is None:
            full = cache is None or cache.runs + 1 >= self.cfg.full_walk_every
        if deadline is None:
            deadline = self.monotonic() + self.cfg.max_runtime_s
        root_fd = open_root(self.root)
        try:
            walker = Walker(root_fd, self.rules, now, cache=None if full else cache, deadline=deadline,
                            monotonic=self.monotonic, progress=progress,
                            mounts=mount_points_under(str(self.root)))
            result = walker.run()
            plan = Plan(run_id or journal.new_run_id(now), now, result)
            plan.problems.extend(self.rule_problems)
            decide(plan, root_fd, self.proc, protected=self.protected, deadline=deadline, monotonic=self.monotonic)
        finally:
            os.close(root_fd)
        # every phase within the cap: what is not planned in time waits for the next run
        if not self._over(plan, deadline):
            plan_chat_rotation(plan, self.ws, self.cfg.chat_rotate_bytes)
        if not self._over(plan, deadline):
            plan.dispatch_state = plan_dispatch(plan, self.ws, self.cfg.dispatch_ttl_s,
                                                load_dispatch_state(self.paths.dispatch_state))
        if not self._over(plan, deadline):
            plan_reconcile(plan, self.ws)
        new = walker.new
        new.runs = 0 if full else (cache.runs + 1 if cache is not None else 0)
        return plan, new

    def _over(self, plan: Plan, deadline: float) -> bool:
        """Past the run's cap (``max_runtime_s``): the run is marked capped and the phase skipped."""
        if self.monotonic() > deadline:
            plan.walk.capped = True
            return True
        return False

    # ------------------------------------------------------------------ running
    def run(self, *, dry_run: bool = False, full: bool | None = None, progress: Progress | None = None,
            before_execute: Callable[[Plan], None] | None = None) -> dict[str, Any]:
        started = self.clock()
        t0 = self.monotonic()
        deadline = t0 + self.cfg.max_runtime_s
        if dry_run:
            pending = journal.pending(journal.read(self.paths)[0]) if self.paths.journal.exists() else []
            plan, _ = self.plan(full=full, progress=progress, deadline=deadline)
            return build_report(plan, started, started + self.monotonic() - t0, dry_run=True,
                                recovered=[{"path": p.get("path"), "agent": p.get("agent"),
                                            "action": "would recover"} for p in pending])
        self.paths.dir.mkdir(parents=True, exist_ok=True)
        try:
            with storage.locked(self.paths.run_lock, timeout=0):
                report = self._locked_run(started, t0, deadline, full, progress, before_execute)
        except LockTimeout:
            raise JanitorBusy(f"{self.paths.run_lock}: another janitor run is in progress") from None
        except (CatalystError, OSError) as exc:  # the exporter's "janitor failing" (docs/metrics.md)
            outcomes.record(self.root, "janitor", False, f"{type(exc).__name__}: {exc}", self.clock())
            raise
        errors = report["errors"]
        outcomes.record(self.root, "janitor", not errors, f"{len(errors)} error(s), first: {errors[0]}" if errors
                        else None, self.clock())
        return report

    def _locked_run(self, started: float, t0: float, deadline: float, full: bool | None,
                    progress: Progress | None, before_execute: Callable[[Plan], None] | None) -> dict[str, Any]:
        root_fd = open_root(self.root)
        try:
            recovered = recover(self.paths, root_fd, self.clock)
            try:  # a killed run (or any writer) may have left a temp of the index or its backup
                self.ws.board.sweep_stray_temps()
            except CatalystError as exc:
                recovered.append({"path": "board/", "agent": None, "action": "sweep", "outcome": "failed",
                                  "note": str(exc)})
            plan, cache = self.plan(full=full, progress=progress, deadline=deadline)
            journal.write(self.paths, ts=self.clock(), run=plan.run_id, action="run-start", full=plan.walk.full)
            if before_execute is not None:
                before_execute(plan)  # a test seam: change the tree between the walk and the actions
            done = self.execute(plan, root_fd, deadline)
        finally:
            os.close(root_fd)
        cards = archive_cards(self.ws, plan, self.paths, deadline, self.monotonic, self.clock)
        if not plan.walk.capped and (plan.walk.cache_dirty or plan.walk.full or cache.runs):
            storage.atomic_write_bytes(self.paths.cache, encode_cache(cache))
        if plan.dispatch_state is not None:
            storage.atomic_write_bytes(self.paths.dispatch_state, encode_dispatch_state(plan.dispatch_state))
        report = build_report(plan, started, started + self.monotonic() - t0, dry_run=False,
                              recovered=recovered, done=done, cards_archived=cards)
        report["history_pruned"] = self.prune_history(plan.now, deadline)
        journal.save_report(self.paths, report)
        for agent, figures in sorted(report["agents"].items()):
            journal.append_private(self.paths.footprint, {"ts": plan.now, "run": plan.run_id, "agent": agent,
                                                        "bytes": figures["footprint_bytes"],
                                                        "files": figures["scanned"]})
        journal.write(self.paths, ts=self.clock(), run=plan.run_id, action="run-end",
                      duration_s=report["duration_s"], capped=report["capped"])
        return report

    def prune_history(self, now: float, deadline: float | None = None) -> dict[str, int]:
        """Each agent's history minutes older than ``[history] keep_days``: lines dropped, by agent
        (within the run's cap: agents not reached wait for the next run)."""
        from catalyst_tui.core.health.history import path_of, prune

        cutoff = now - self.ws.config.history.keep_days * 86400.0
        dropped: dict[str, int] = {}
        for name in self.ws.config.agent_names:
            if deadline is not None and self.monotonic() > deadline:
                break
            try:
                n = prune(path_of(self.root / "agents" / name), cutoff)
            except (CatalystError, OSError) as exc:  # one tenant's file never stops the run
                n = 0
                journal.write(self.paths, ts=self.clock(), action="history-prune-failed", agent=name,
                              error=os_reason(exc) if isinstance(exc, OSError) else str(exc))
            if n:
                dropped[name] = n
        return dropped

    # ------------------------------------------------------------------ executing
    def execute(self, plan: Plan, root_fd: int, deadline: float) -> list[dict[str, Any]]:
        """Carry the plan out, re-verifying each file first. Returns what was done."""
        done: list[dict[str, Any]] = []
        dev = os.fstat(root_fd).st_dev
        writers = open_for_writing(((dev, i.ino) for i in plan.items), self.proc)
        for item in plan.items:
            if self.monotonic() > deadline:
                plan.walk.capped = True
                break
            try:
                outcome = self._act(plan, root_fd, item, writers)
            except OSError as exc:
                fail(plan, item.relpath, item.agent, f"{item.action} failed: {os_reason(exc)}")
                continue
            if outcome is None:
                done.append(item.to_json())
            else:
                keep(plan, item.relpath, item.agent, outcome)
        for ab in plan.abandon:
            if self._over(plan, deadline):
                break
            marker = {"ts": self.clock(), "id": ab.dispatch_id, "event": "abandoned", "agent": ab.agent,
                      "card": ab.card, "by": "janitor"}
            try:
                append_jsonl_nofollow(root_fd, f"agents/{ab.agent}/dispatch.jsonl", marker)
            except OSError as exc:
                fail(plan, f"agents/{ab.agent}/dispatch.jsonl", ab.agent,
                     f"abandon {ab.dispatch_id} failed: {os_reason(exc)}")
                continue
            journal.write(self.paths, ts=self.clock(), run=plan.run_id, agent=ab.agent, action="abandon",
                          path=f"agents/{ab.agent}/dispatch.jsonl", dispatch=ab.dispatch_id, reason=ab.reason)
        self._flag_cards(plan, deadline)
        for rep in plan.reported:
            if self._over(plan, deadline):
                break
            journal.write(self.paths, ts=self.clock(), run=plan.run_id, agent=rep["agent"], action="report",
                          kind=rep["kind"], detail=rep["detail"])
        return done

    def _flag_cards(self, plan: Plan, deadline: float) -> None:
        """Flag the cards with missing files in batches: one index write per batch, not per card."""
        by_id = {fc["card"]: fc for fc in plan.flag_cards}
        ids = list(by_id)
        for start in range(0, len(ids), FLAG_BATCH):
            if self._over(plan, deadline):
                return
            try:
                changed = self.ws.board.set_flags(ids[start:start + FLAG_BATCH], NEEDS_REVIEW, on=True, by="janitor")
            except CatalystError as exc:
                fail(plan, None, None, f"flag {len(ids) - start} card(s): {exc}")
                return
            for card in changed:
                fc = by_id[card]
                journal.write(self.paths, ts=self.clock(), run=plan.run_id, agent=fc["agent"], action="flag-card",
                              card=card, flag=NEEDS_REVIEW, reason=fc["reason"])

    def _act(self, plan: Plan, root_fd: int, item: Item, writers: dict[tuple[int, int], int]) -> str | None:
        """Do one action; ``None`` when done, else why the file was kept."""
        try:
            dfd = open_dir_chain(root_fd, item.dir_rel, plan.walk.dirs)
        except OSError as exc:
            return f"directory changed since the walk: {exc}"
        try:
            try:
                st = os.stat(item.name, dir_fd=dfd, follow_symlinks=False)
            except FileNotFoundError:
                return "gone before the action"
            if not same_file(st, item.ino, item.size, item.mtime_ns):
                return "modified or replaced since the walk"
            if (shared := shared_inode(st)) is not None:
                return shared
            if item.action != "rotate" and (why := self.protected.why(item.relpath)) is not None:
                return f"protected ({why}): never touched by a rule"
            root_mnt = mount_id(root_fd)
            if root_mnt is not None and mount_id(dfd) not in (None, root_mnt):
                return "inside a mount point: never entered"
            if item.action == "rotate":
                return self._rotate(plan, dfd, item)
            if (st.st_dev, st.st_ino) in writers:
                return f"open for writing by pid {writers[(st.st_dev, st.st_ino)]}"
            if flock_held(dfd, item.name, item.ino):
                return "lock held (flock)"
            base = dict(ts=self.clock(), run=plan.run_id, agent=item.agent, action=item.action, path=item.relpath,
                        rule=item.rule, reason=item.reason, bytes=item.size, ino=item.ino, dest=item.dest,
                        compress=item.compress)
            if item.action == "flag":
                journal.write(self.paths, **base, phase="done")
                return None
            journal.write(self.paths, **base, phase="intent")
            if item.action == "remove":
                os.unlink(item.name, dir_fd=dfd)
                os.fsync(dfd)
            else:
                self._archive(root_fd, dfd, item)
            journal.write(self.paths, **{**base, "ts": self.clock()}, phase="done")
            return None
        finally:
            os.close(dfd)

    def _archive(self, root_fd: int, dfd: int, item: Item) -> None:
        assert item.dest is not None
        dest_dir, dest_name = split(item.dest)
        afd = open_rel_dir(root_fd, dest_dir, create=True)
        try:
            if item.compress:
                st, _ = gzip_into(dfd, item.name, item.ino, afd, dest_name)
                now = os.stat(item.name, dir_fd=dfd, follow_symlinks=False)
                if not same_file(now, st.st_ino, st.st_size, st.st_mtime_ns):
                    os.unlink(dest_name, dir_fd=afd)  # written to while compressing: keep the original
                    raise OSError(f"{item.relpath}: modified while compressing; kept")
                os.unlink(item.name, dir_fd=dfd)
            else:
                try:
                    os.stat(dest_name, dir_fd=afd, follow_symlinks=False)
                    raise OSError(f"{item.dest}: already exists")
                except FileNotFoundError:
                    pass
                os.rename(item.name, dest_name, src_dir_fd=dfd, dst_dir_fd=afd)
                os.fsync(afd)
            os.fsync(dfd)
        finally:
            os.close(afd)

    def _rotate(self, plan: Plan, dfd: int, item: Item) -> str | None:
        assert item.dest is not None
        _, dest_name = split(item.dest)
        try:
            os.stat(dest_name, dir_fd=dfd, follow_symlinks=False)
            return f"{item.dest} already exists"
        except FileNotFoundError:
            pass
        base = dict(ts=self.clock(), run=plan.run_id, agent=item.agent, action="rotate", path=item.relpath,
                    rule=item.rule, reason=item.reason, bytes=item.size, ino=item.ino, dest=item.dest)
        journal.write(self.paths, **base, phase="intent")
        os.rename(item.name, dest_name, src_dir_fd=dfd, dst_dir_fd=dfd)
        os.fsync(dfd)
        journal.write(self.paths, **base, phase="done")
        return None

    def restore(self, run_id: str, path: str | None = None) -> dict[str, Any]:
        """Move what ``run_id`` archived (or only ``path``) back; never overwrites anything."""
        self.paths.dir.mkdir(parents=True, exist_ok=True)
        try:
            with storage.locked(self.paths.run_lock, timeout=0):
                root_fd = open_root(self.root)
                try:
                    return restore(self.paths, root_fd, run_id, path, self.clock)
                finally:
                    os.close(root_fd)
        except LockTimeout:
            raise JanitorBusy(f"{self.paths.run_lock}: a janitor run is in progress; try again") from None

    # ------------------------------------------------------------------ reading
    def reports(self, limit: int = 20) -> tuple[list[dict[str, Any]], list[str]]:
        return journal.load_reports(self.paths, limit)
