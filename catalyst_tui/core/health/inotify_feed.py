"""Linux inotify over the workspace's own directories: woken by the kernel, never by a clock.

The watchfiles backend wakes every ``step`` ms to look for events whether or not anything
happened, and holds a change for at least one step; here the thread sleeps in ``poll()`` on
the inotify descriptor and a stop pipe, so an idle workspace costs nothing and a write is seen
as soon as the kernel reports it.

What is watched: every directory of the workspace down to ``MAX_DEPTH`` (``agents/<name>/cards``
is depth 3), except ``.catalyst/`` (our own log and runtime state: no feedback loop). A directory
created later is watched as soon as its creation is seen, and everything already in it is
reported (files may be written before the watch is in place). A full kernel queue
(``IN_Q_OVERFLOW``) cannot say what was lost, so it is reported as "everything changed" and the
tree is walked again: the reader re-reads every tenant from its saved offsets, nothing is
missed. Failing to watch (the inotify watch limit, permission denied on a directory) returns the
reason: the caller falls back to polling and says so.

Bursts: the first event of a quiet period is delivered at once; after each delivery the
thread rests ``coalesce_ms`` (a stop still wakes it) and then delivers everything queued
meanwhile in one go. So a lone write is never held, and a stream of 900 writes/s costs at most
``1000 / coalesce_ms`` wake-ups a second, however the writes are spread.

The caller may also ask to be called back later without any event (``wait_s``: seconds, or None
for "only on events"): ``on_paths`` then receives an empty set. The watcher uses it to read a
streaming tenant it held back (core/health/read_pacing.py).
"""

from __future__ import annotations

import errno
import math
import os
import select
from collections.abc import Callable
from pathlib import Path

from inotify_simple import INotify, flags

from catalyst_tui.core.errors import os_reason

MAX_DEPTH = 3
# IN_MODIFY says a write happened; IN_CLOSE_WRITE would report the same write a second time
SKIP_TOP = frozenset({".catalyst"})
WATCH_MASK = (flags.MODIFY | flags.ATTRIB | flags.MOVED_FROM | flags.MOVED_TO
              | flags.CREATE | flags.DELETE | flags.DELETE_SELF | flags.MOVE_SELF | flags.ONLYDIR)
EVERYTHING = "*"  # the path reported after a queue overflow: every tenant and every shared file


class InotifyFeed:
    """Blocking: :meth:`run` reports workspace-relative paths to ``on_paths`` until stopped.

    ``on_paths`` receives a set of relative paths; it contains :data:`EVERYTHING` after an
    overflow. ``on_ready`` is called once the watches are in place (from then on no write is
    missed). :meth:`stop` may be called from any thread.
    """

    def __init__(self, root: Path, on_paths: Callable[[set[str]], None], coalesce_ms: int = 10,
                 on_ready: Callable[[], None] = lambda: None,
                 wait_s: Callable[[], float | None] = lambda: None) -> None:
        self.root = Path(root)
        self.on_paths = on_paths
        self.on_ready = on_ready
        self.wait_s = wait_s
        self.coalesce_s = max(0, coalesce_ms) / 1000
        self._dirs: dict[int, str] = {}  # watch descriptor -> relative dir ("" is the root)
        self._stop_r, self._stop_w = os.pipe2(os.O_CLOEXEC | os.O_NONBLOCK)
        self._stopped = False

    def stop(self) -> None:
        self._stopped = True
        try:
            os.write(self._stop_w, b"x")
        except OSError:
            pass  # already closed: run() has returned

    # ------------------------------------------------------------------ watches
    def _add(self, ino: INotify, rel: str) -> None:
        path = self.root / rel if rel else self.root
        try:
            wd = ino.add_watch(path, WATCH_MASK)
        except OSError as exc:  # the caller turns it into a reason
            if exc.errno == errno.ENOENT:
                raise FileNotFoundError(exc.errno, exc.strerror, str(path)) from None
            raise OSError(exc.errno, exc.strerror, str(path)) from None
        self._dirs[wd] = rel

    def _add_tree(self, ino: INotify, rel: str, found: set[str]) -> None:
        """Watch ``rel`` and its directories down to MAX_DEPTH; collect every entry seen."""
        self._add(ino, rel)
        depth = rel.count("/") + 1 if rel else 0
        try:
            entries = list(os.scandir(self.root / rel if rel else self.root))
        except FileNotFoundError:
            return  # gone again: its deletion event follows
        for entry in entries:
            child = f"{rel}/{entry.name}" if rel else entry.name
            if depth == 0 and entry.name in SKIP_TOP:
                continue
            found.add(child)
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError:
                is_dir = False
            if is_dir and depth < MAX_DEPTH:
                try:
                    self._add_tree(ino, child, found)
                except FileNotFoundError:
                    continue

    # ------------------------------------------------------------------ events
    def _collect(self, ino: INotify, into: set[str]) -> str | None:
        """Read what is queued into ``into``; returns a reason to stop watching, or None."""
        for event in ino.read(timeout=0):
            if event.mask & flags.Q_OVERFLOW:
                into.add(EVERYTHING)
                self._dirs.clear()  # watch again from the top: directories may have come and gone
                found: set[str] = set()
                self._add_tree(ino, "", found)
                continue
            rel_dir = self._dirs.get(event.wd)
            if rel_dir is None:
                continue
            if event.mask & (flags.DELETE_SELF | flags.MOVE_SELF | flags.IGNORED):
                if rel_dir == "":
                    return f"{self.root}: directory removed"
                if event.mask & flags.IGNORED:
                    self._dirs.pop(event.wd, None)
                into.add(rel_dir)
                continue
            rel = f"{rel_dir}/{event.name}" if rel_dir else event.name
            if rel_dir == "" and event.name in SKIP_TOP:
                continue
            into.add(rel)
            depth = rel.count("/")
            if event.mask & flags.ISDIR and event.mask & (flags.CREATE | flags.MOVED_TO) and depth < MAX_DEPTH:
                try:
                    self._add_tree(ino, rel, into)
                except FileNotFoundError:
                    pass  # created and removed before we looked
        return None

    def run(self) -> str | None:
        """Watch until stopped (None) or until watching fails (the reason)."""
        try:
            with INotify(nonblocking=True) as ino:
                try:
                    self._add_tree(ino, "", set())
                except OSError as exc:
                    return _reason(exc, self.root)
                self.on_ready()
                poller = select.poll()
                poller.register(ino.fileno(), select.POLLIN)
                poller.register(self._stop_r, select.POLLIN)
                rest = select.poll()  # the pause after a delivery: only a stop ends it early
                rest.register(self._stop_r, select.POLLIN)
                while not self._stopped:
                    wait = self.wait_s()
                    # no timeout unless the caller asked for one: woken only by the kernel
                    ready = {fd for fd, _ in poller.poll(None if wait is None else math.ceil(wait * 1000))}
                    if self._stop_r in ready or self._stopped:
                        return None
                    batch: set[str] = set()
                    reason = None
                    try:
                        if ready:
                            reason = self._collect(ino, batch)
                    except OSError as exc:  # a new directory could not be watched
                        return _reason(exc, self.root)
                    if batch or not ready:  # events, or the time the caller asked for
                        self.on_paths(batch)
                    if reason is not None:
                        return reason
                    if batch and self.coalesce_s:
                        rest.poll(self.coalesce_s * 1000)  # what comes meanwhile is delivered together
                return None
        except OSError as exc:  # inotify_init1 itself: too many instances
            return _reason(exc, self.root)
        finally:
            for fd in (self._stop_r, self._stop_w):
                try:
                    os.close(fd)
                except OSError:
                    pass


def _reason(exc: OSError, root: Path) -> str:
    if exc.errno == errno.ENOSPC:
        return f"watching {root} failed: the inotify watch limit is reached (fs.inotify.max_user_watches)"
    if exc.errno == errno.EMFILE:
        return f"watching {root} failed: too many inotify instances (fs.inotify.max_user_instances)"
    if exc.errno == errno.EACCES:
        where = exc.filename if exc.filename else root
        return f"watching {root} failed: permission denied ({where})"
    return f"watching {root} failed: {os_reason(exc)}"
