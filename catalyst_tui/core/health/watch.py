"""Watch the workspace tree and say *whose* data changed.

:class:`WorkspaceWatcher` maps each changed path to its tenant (``agents/<name>/...``) or to a
piece of shared state (the index, the audit journal, the config, PORTS.md). A burst is coalesced
into one :class:`ChangeSet`; the reader then re-reads only those tenants, from saved offsets.

Two backends behind this one interface (``[watch] backend``):

* ``inotify`` (Linux, the default there): ``inotify_feed.InotifyFeed`` sleeps in ``poll()`` on
  the inotify descriptor, so an idle workspace wakes nothing and a write is reported as soon as
  the kernel sees it; after each delivery it rests ``coalesce_ms`` and delivers what came
  meanwhile together. A tenant whose files keep changing is read at most every
  ``read_every_ms`` (``read_pacing.ReadPacer``: a quiet tenant at once, shared state always at
  once), so a stream costs a few reads a second, not one per delivery.
* ``watchfiles`` (portable, and the choice where inotify is missing): ``watchfiles.watch``,
  which wakes every ``step_ms`` and groups a burst for up to ``debounce_ms``.

If watching fails (inotify limits, permission denied, the directory removed), the watcher
reports it through ``on_mode("polling", reason)`` and falls back to polling with ``os.stat``
every ``poll_interval_s``, retrying the real watcher now and then. It never goes silent.
The figures behind the defaults are in docs/performance.md.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from catalyst_tui.core.config import WatchConfig
from catalyst_tui.core.health.read_pacing import ReadPacer
from catalyst_tui.core.storage import FileSignature, file_signature, is_tmp_name

if TYPE_CHECKING:
    from catalyst_tui.core.health.inotify_feed import InotifyFeed

AGENT_FILES = ("state.json", "dispatch.jsonl", "worklog.jsonl", "chat.jsonl")
SHARED_FILES = {"board/index.json": "index", "board/audit.jsonl": "audit", "catalyst.toml": "config"}
RETRY_WATCH_S = 30.0
RUST_TIMEOUT_MS = 2000  # how often a quiet watchfiles loop checks the tree exists and stop was asked
SHARED_KINDS = frozenset({*SHARED_FILES.values(), "board", "ports"})


@dataclass(frozen=True)
class ChangeSet:
    agents: frozenset[str]
    shared: frozenset[str]  # "index", "audit", "board", "config", "ports"

    def __bool__(self) -> bool:
        return bool(self.agents or self.shared)


def classify(rel: str, agent_names: Iterable[str], ports_file: str = "PORTS.md") -> tuple[str, str] | None:
    """``("agent", name)``, ``("shared", what)`` or None (ignored) for a workspace-relative path."""
    parts = rel.replace(os.sep, "/").split("/")
    name = parts[-1]
    if not parts or parts[0] == ".catalyst" or is_tmp_name(name) or (name.endswith(".lock") and len(parts) < 4):
        return None  # our own files, temp files of atomic writes, lock files beside data files
    if parts[0] == "agents" and len(parts) >= 2:
        return ("agent", parts[1]) if parts[1] in set(agent_names) else None
    joined = "/".join(parts)
    if joined in SHARED_FILES:
        return ("shared", SHARED_FILES[joined])
    if joined == ports_file:
        return ("shared", "ports")
    if parts[0] == "board":
        return ("shared", "board")
    return None


def inotify_available() -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        import inotify_simple  # noqa: F401
    except ImportError:
        return False
    return True


class WorkspaceWatcher:
    """Blocking: call :meth:`run` in a thread; :meth:`stop` ends it."""

    def __init__(self, root: Path, agent_names: Iterable[str], config: WatchConfig,
                 on_change: Callable[[ChangeSet], None],
                 on_mode: Callable[[str, str | None], None] = lambda mode, reason: None,
                 ports_file: str = "PORTS.md") -> None:
        self.root = Path(root)
        self.agent_names = list(agent_names)
        self.config = config
        self.on_change = on_change
        self.on_mode = on_mode
        self.ports_file = ports_file
        self.stop_event = threading.Event()
        self._feed: InotifyFeed | None = None
        self.pacer = ReadPacer(config.read_every_ms / 1000)
        self.clock: Callable[[], float] = time.monotonic
        self.mode = "starting"
        self.reason: str | None = None
        self.batches = 0
        self.keep_going: Callable[[], bool] = lambda: True  # e.g. "my worker was not cancelled"

    def stop(self) -> None:
        """End :meth:`run` (from any thread): an inotify watcher wakes at once, watchfiles within a step."""
        self.stop_event.set()
        feed = self._feed
        if feed is not None:
            feed.stop()

    def _stopping(self) -> bool:
        if not self.keep_going():
            self.stop_event.set()
        return self.stop_event.is_set()

    def _set_mode(self, mode: str, reason: str | None = None) -> None:
        if (mode, reason) != (self.mode, self.reason):
            self.mode, self.reason = mode, reason
            self.on_mode(mode, reason)

    def _emit(self, rels: Iterable[str], paced: bool = False) -> None:
        agents: set[str] = set()
        shared: set[str] = set()
        for rel in rels:
            hit = classify(rel, self.agent_names, self.ports_file)
            if hit is None:
                continue
            (agents if hit[0] == "agent" else shared).add(hit[1])
        if paced:  # tenants streaming changes wait for their spell; shared state never waits
            agents = self.pacer.take(agents, self.clock())
        change = ChangeSet(frozenset(agents), frozenset(shared))
        if change:
            self.batches += 1
            self.on_change(change)

    def run(self) -> None:
        while not self._stopping():
            if self.config.enabled:
                reason = self._watch()
                if reason is None:
                    return  # stopped
            else:
                reason = "watching disabled in catalyst.toml"
            before = self._signature()  # before saying so: a write right after is not missed
            self._set_mode("polling", reason)
            self._poll(before, until=time.monotonic() + RETRY_WATCH_S if self.config.enabled else None)

    def _watch(self) -> str | None:
        """Watch until stopped (None) or until it fails (the reason)."""
        backend = self.config.backend
        if backend == "inotify" or (backend == "auto" and inotify_available()):
            return self._watch_inotify()
        return self._watch_watchfiles()

    def _feed_paths(self, rels: set[str]) -> None:
        from catalyst_tui.core.health.inotify_feed import EVERYTHING

        if EVERYTHING in rels:  # the kernel's queue overflowed: what changed is unknown
            self.pacer.read_all(self.agent_names, self.clock())
            self.batches += 1
            self.on_change(ChangeSet(frozenset(self.agent_names), SHARED_KINDS))
            return
        self._emit(rels, paced=True)  # an empty set: a held read is due

    def _watch_inotify(self) -> str | None:
        from catalyst_tui.core.health.inotify_feed import InotifyFeed

        feed = InotifyFeed(self.root, self._feed_paths, self.config.coalesce_ms,
                           on_ready=lambda: self._set_mode("watching"),
                           wait_s=lambda: self.pacer.wait_s(self.clock()))
        self._feed = feed  # before looking at the stop flag: a stop() now either sees it or is seen
        try:
            if self._stopping():
                return None
            reason = feed.run()
        finally:
            self._feed = None
        held = self.pacer.held
        if held and not self.stop_event.is_set():  # polling next: a held read is not left behind
            self.pacer.read_all(held, self.clock())
            self.batches += 1
            self.on_change(ChangeSet(held, frozenset()))
        return None if self.stop_event.is_set() else reason

    def _watch_watchfiles(self) -> str | None:
        import watchfiles

        root = str(self.root)
        try:
            # the watches exist once the generator yields: a quiet tree says "watching" after rust_timeout
            for changes in watchfiles.watch(root, stop_event=self.stop_event, debounce=self.config.debounce_ms,
                                            step=self.config.step_ms, rust_timeout=RUST_TIMEOUT_MS,
                                            yield_on_timeout=True, raise_interrupt=False):
                if self._stopping():
                    return None
                if not self.root.is_dir():
                    return f"{root}: directory removed"
                self._set_mode("watching")
                if changes:
                    self._emit(os.path.relpath(path, root) for _change, path in changes)
        except (OSError, RuntimeError) as exc:  # inotify limits, permission denied, tree gone
            return None if self.stop_event.is_set() else f"watching {root} failed: {exc}"
        return None

    def _signature(self) -> dict[str, FileSignature]:
        sig: dict[str, FileSignature] = {}
        rels = [f"agents/{n}/{f}" for n in self.agent_names for f in AGENT_FILES]
        rels += [f"agents/{n}/cards" for n in self.agent_names]
        rels += [*SHARED_FILES, self.ports_file]
        for rel in rels:
            now = file_signature(self.root / rel)
            if now is not None:
                sig[rel] = now
        return sig

    def _poll(self, before: dict[str, FileSignature], until: float | None) -> None:
        last = time.monotonic()
        while not self.stop_event.wait(min(self.config.poll_interval_s, RUST_TIMEOUT_MS / 1000)):
            if self._stopping():
                return
            if time.monotonic() - last < self.config.poll_interval_s:
                continue
            last = time.monotonic()
            now = self._signature()
            changed = {rel for rel in before.keys() | now.keys() if before.get(rel) != now.get(rel)}
            before = now
            if changed:
                self._emit(changed)
            if until is not None and time.monotonic() >= until and self.root.is_dir():
                return  # try the real watcher again
