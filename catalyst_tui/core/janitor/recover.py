"""Finishing what a killed run left half-way, and restoring archived files.

Archive moves are renames within one filesystem, each journaled as ``intent`` before and
``done`` after. After a ``kill -9`` in between, the file is in exactly one of two places:

* still at its path (same inode): the move did not happen -> ``aborted`` (a compressed copy
  that may have been half-written in the archive is removed: the original is intact);
* at its archive destination: the move happened -> ``recovered`` (it can be restored).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from catalyst_tui.core.errors import CatalystError, os_reason
from catalyst_tui.core.janitor import journal
from catalyst_tui.core.janitor.fs import gunzip_into, lstat_rel, open_rel_dir, split, unlink_rel
from catalyst_tui.core.janitor.journal import JanitorPaths
from catalyst_tui.core.janitor.rules import ARCHIVE_DIR, agent_of
from catalyst_tui.core.janitor.walk import DIR_FLAGS
from catalyst_tui.core.storage import is_tmp_of, parse_tmp_name


def recover(paths: JanitorPaths, root_fd: int, clock: Callable[[], float]) -> list[dict[str, Any]]:
    if not paths.journal.exists():
        return []
    records, _ = journal.read(paths)
    out: list[dict[str, Any]] = []
    for rec in journal.pending(records):
        rel = str(rec.get("path"))
        dest = rec.get("dest")
        st = lstat_rel(root_fd, rel)
        still_there = st is not None and st.st_ino == rec.get("ino")
        if still_there:
            if rec.get("compress") and isinstance(dest, str):
                unlink_rel(root_fd, dest)  # a (possibly half-written) compressed copy: the original is intact
                _remove_tmp_copies(root_fd, dest)
            phase, note = "aborted", "the action never happened; the file is in place"
        elif isinstance(dest, str) and lstat_rel(root_fd, dest) is not None:
            phase, note = "recovered", f"completed: the file is at {dest}"
        elif rec.get("action") == "remove":
            phase, note = "recovered", "completed: removed"
        else:
            phase, note = "recovered", "neither the file nor its destination exists"
        journal.write(paths, **{**rec, "ts": clock(), "phase": phase, "note": note})
        out.append({"path": rel, "agent": rec.get("agent"), "action": rec.get("action"), "outcome": phase,
                    "note": note})
    return out


def _remove_tmp_copies(root_fd: int, dest: str) -> None:
    dir_rel, name = split(dest)
    try:
        dfd = open_rel_dir(root_fd, dir_rel)
    except OSError:
        return
    try:
        for entry in os.listdir(dfd):
            if is_tmp_of(entry, name):
                try:
                    os.unlink(entry, dir_fd=dfd)
                except OSError:
                    pass
    finally:
        os.close(dfd)


def _is_gzip_tmp(name: str) -> bool:
    """A half-written compressed archive (janitor.fs.gzip_into's temp file)."""
    parsed = parse_tmp_name(name)
    return parsed is not None and parsed.target.endswith(".gz")


def _archived_files(root_fd: int, base: str) -> list[str]:
    """Regular files under ``base`` (relative to the root), never following a link."""
    out: list[str] = []

    def walk(fd: int, rel: str) -> None:
        with os.scandir(fd) as it:
            entries = list(it)
        for e in entries:
            if e.is_dir(follow_symlinks=False):
                child = os.open(e.name, DIR_FLAGS, dir_fd=fd)
                try:
                    walk(child, rel + e.name + "/")
                finally:
                    os.close(child)
            elif e.is_file(follow_symlinks=False) and not _is_gzip_tmp(e.name):
                out.append(rel + e.name)

    try:
        fd = open_rel_dir(root_fd, base)
    except OSError:
        return out
    try:
        walk(fd, "")
    finally:
        os.close(fd)
    return sorted(out)


def restore(paths: JanitorPaths, root_fd: int, run_id: str, path: str | None,
            clock: Callable[[], float]) -> dict[str, Any]:
    """Move the files archived by ``run_id`` (or only ``path``, a file or directory) back.

    A file whose original path exists again is left in the archive and reported as a conflict:
    restoring never overwrites anything.
    """
    if not journal.is_run_id(run_id):
        raise CatalystError(f"invalid run id {run_id!r} (expected e.g. 20260101T000000Z-1a2b3c)")
    base = f"{ARCHIVE_DIR}/{run_id}/"
    if lstat_rel(root_fd, base.rstrip("/")) is None:
        raise CatalystError(f"{paths.root / base}: no such archive")
    compressed: set[str] = set()
    if paths.journal.exists():
        for rec in journal.read(paths)[0]:
            if rec.get("run") == run_id and rec.get("compress") and isinstance(rec.get("dest"), str):
                compressed.add(str(rec["dest"]))
    want = path.strip("/") if path else None
    result: dict[str, Any] = {"run": run_id, "restored": [], "conflicts": [], "errors": []}
    for inner in _archived_files(root_fd, base):
        stored = base + inner
        original = inner[:-3] if stored in compressed and inner.endswith(".gz") else inner
        if want and not (original == want or original.startswith(want + "/")):
            continue
        if lstat_rel(root_fd, original) is not None:
            result["conflicts"].append({"path": original, "archived": stored, "agent": agent_of(original)})
            continue
        try:
            _move_back(root_fd, stored, original, stored in compressed)
        except OSError as exc:
            result["errors"].append(f"{stored}: {os_reason(exc)}")
            continue
        journal.write(paths, ts=clock(), run=run_id, agent=agent_of(original), action="restore",
                      path=original, source=stored, phase="done")
        result["restored"].append({"path": original, "agent": agent_of(original)})
    if want and not result["restored"] and not result["conflicts"] and not result["errors"]:
        raise CatalystError(f"{want}: not in archive {run_id}")
    return result


def _move_back(root_fd: int, stored: str, original: str, gz: bool) -> None:
    src_dir, src_name = split(stored)
    dst_dir, dst_name = split(original)
    sfd = open_rel_dir(root_fd, src_dir)
    try:
        if os.stat(src_name, dir_fd=sfd, follow_symlinks=False).st_nlink > 1:
            raise OSError(f"{stored}: has other hard links (shared with another path); not moved")
        dfd = open_rel_dir(root_fd, dst_dir, create=True)
        try:
            if gz:
                gunzip_into(sfd, src_name, dfd, dst_name)
                os.unlink(src_name, dir_fd=sfd)
            else:
                os.link(src_name, dst_name, src_dir_fd=sfd, dst_dir_fd=dfd, follow_symlinks=False)
                os.unlink(src_name, dir_fd=sfd)  # link + unlink: never replaces a file that appeared
            os.fsync(dfd)
            os.fsync(sfd)
        finally:
            os.close(dfd)
    finally:
        os.close(sfd)
