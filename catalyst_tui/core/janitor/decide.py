"""Deciding what to do with the walk's candidates: re-stat, refuse what is shared, judge owners.

A candidate is kept (with the reason in the report), never acted on, when it is

* protected (:mod:`.protect`: the index, the journals, ``catalyst.toml``, the ports file,
  every ``state.json``, card archives, ``.catalyst/``), whatever rule matched it;
* hard-linked (``st_nlink > 1``): another name, maybe outside the workspace, shares the inode,
  so writing, moving or removing it would act on a file the janitor does not own;
* in a directory that now sits on another mount (its mount id is not the root's);
* replaced, young again, or dated in the future since the walk; or has a live owner.

Descriptors are bounded: the candidates are taken directory by directory, one directory
descriptor open at a time (30,000 candidates in one directory cost one descriptor, not
30,000). The run's deadline holds here too: what is not decided in time waits for the next run.
"""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Callable, Iterator

from catalyst_tui.core.janitor.mounts import mount_id
from catalyst_tui.core.janitor.owner import judge, open_for_writing
from catalyst_tui.core.janitor.plan import Item, Plan, keep
from catalyst_tui.core.janitor.protect import Protected
from catalyst_tui.core.janitor.rules import JANITOR_DIR, agent_of
from catalyst_tui.core.janitor.walk import Candidate, open_dir_chain


def is_internal(relpath: str) -> bool:
    return relpath.startswith(JANITOR_DIR + "/")


def shared_inode(st: os.stat_result) -> str | None:
    """Why a file with other hard links is never written, moved or removed."""
    if st.st_nlink > 1:
        return (f"{st.st_nlink} hard links: the file is shared with another path (maybe outside the "
                "workspace); never written, moved or removed")
    return None


def _by_dir(cands: list[Candidate]) -> Iterator[tuple[str, list[Candidate]]]:
    groups: dict[str, list[Candidate]] = {}
    for c in cands:
        groups.setdefault(c.dir_rel, []).append(c)
    yield from groups.items()


def _reopen(plan: Plan, root_fd: int, dir_rel: str, walked: dict[str, tuple[int, int]],
            cands: list[Candidate]) -> int | None:
    """The directory the walk saw, opened again; None (its candidates kept) when it changed."""
    try:
        return open_dir_chain(root_fd, dir_rel, walked)
    except OSError as exc:
        for cand in cands:
            keep(plan, cand.relpath, cand.agent, f"directory changed during the walk: {exc}")
        return None


def decide(plan: Plan, root_fd: int, proc: str = "/proc", *, protected: Protected | None = None,
           deadline: float | None = None, monotonic: Callable[[], float] = time.monotonic) -> None:
    """Re-stat every candidate and judge its owner; fill ``plan.items`` and ``plan.kept``."""
    protected = protected or Protected()
    walk = plan.walk
    for fut in walk.future:
        keep(plan, fut.relpath, fut.agent, "modification time in the future (clock skew?)")
    for relpath, kind in walk.special:
        keep(plan, relpath, agent_of(relpath), f"not a regular file ({kind}): never touched")
    root_mnt = mount_id(root_fd)
    fresh: list[tuple[Candidate, os.stat_result]] = []
    for dir_rel, cands in _by_dir([c for c in walk.candidates if not is_internal(c.relpath)]):
        if deadline is not None and monotonic() > deadline:
            walk.capped = True  # the rest is decided by the next run
            break
        dfd = _reopen(plan, root_fd, dir_rel, walk.dirs, cands)
        if dfd is None:
            continue
        try:
            if root_mnt is not None and mount_id(dfd) not in (None, root_mnt):
                for cand in cands:
                    keep(plan, cand.relpath, cand.agent, "inside a mount point: never entered")
                continue
            for cand in cands:
                why = protected.why(cand.relpath)
                if why is not None:
                    keep(plan, cand.relpath, cand.agent, f"protected ({why}): never touched by a rule")
                    continue
                try:
                    st = os.stat(cand.name, dir_fd=dfd, follow_symlinks=False)
                except OSError:
                    continue  # gone already
                if not stat.S_ISREG(st.st_mode) or st.st_ino != cand.ino:
                    keep(plan, cand.relpath, cand.agent, "replaced during the walk")
                elif st.st_mtime > plan.now:
                    keep(plan, cand.relpath, cand.agent, "modification time in the future (clock skew?)")
                elif plan.now - st.st_mtime <= cand.rule.ttl_s:
                    pass  # written since the previous walk: young again
                elif (shared := shared_inode(st)) is not None:
                    keep(plan, cand.relpath, cand.agent, shared)
                else:
                    fresh.append((cand, st))
        finally:
            os.close(dfd)
    writers = open_for_writing(((st.st_dev, st.st_ino) for _, st in fresh), proc)
    stats = {id(c): st for c, st in fresh}
    for dir_rel, cands in _by_dir([c for c, _ in fresh]):
        dfd = _reopen(plan, root_fd, dir_rel, walk.dirs, cands)
        if dfd is None:
            continue
        try:
            for cand in cands:
                st = stats[id(cand)]
                verdict = judge(dfd, cand.name, cand.relpath, st, writers)
                if verdict.alive:
                    keep(plan, cand.relpath, cand.agent, f"live owner: {verdict.reason}")
                    continue
                rule = cand.rule
                item = Item(rule.action, cand.relpath, cand.dir_rel, cand.name, cand.agent, rule.name,
                            f"older than {rule.ttl_s:g} s; {verdict.reason}", st.st_ino, st.st_size,
                            st.st_mtime_ns, compress=rule.compress)
                if rule.action == "archive":
                    item.dest = f"archive/{plan.run_id}/{cand.relpath}" + (".gz" if rule.compress else "")
                plan.items.append(item)
        finally:
            os.close(dfd)
