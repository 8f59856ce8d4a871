"""Watch the workspace tree and say *whose* data changed.

:class:`WorkspaceWatcher` runs ``watchfiles`` (inotify) on the workspace and maps each
changed path to its tenant (``agents/<name>/...``) or to a piece of shared state (the index,
the audit journal, the config, PORTS.md). A burst is coalesced into one
:class:`ChangeSet`; the dashboard then re-reads only those tenants, from saved offsets.

Tuning (measured in benchmarks/bench_watch.py, docs/metrics.md): watchfiles wakes every
``step`` ms; a batch is yielded when one step passes without a new change, or when
``debounce`` ms passed since the batch began, so a write waits 1-2 steps. The defaults
(1600 / 50) hold a steady stream for 1.6 s; ``[watch] debounce_ms = 50, step_ms = 50``
yield within 50-100 ms, idle or under load. Each wake-up costs ~50 us of CPU on the project
machine (a plain ``time.sleep`` loop costs ~80 us a wake there: it is the virtual machine's
timer), ~70 us when watchfiles also calls a Python ``stop_event`` every step. So there is no
``stop_event``: :meth:`WorkspaceWatcher.stop` wakes the loop by touching a file in a private
directory watched alongside the workspace. Idle: ~0.10 % of a core at 50 ms.

If watching fails (inotify limits, permission denied, the directory removed), the watcher
reports it through ``on_mode("polling", reason)`` and falls back to polling with ``os.stat``
every ``poll_interval_s``, retrying the real watcher now and then. It never goes silent.
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from watchfiles._rust_notify import RustNotify  # watchfiles' backend: see _watch

from catalyst_tui.core.config import WatchConfig
from catalyst_tui.core.storage import is_tmp_name

AGENT_FILES = ("state.json", "dispatch.jsonl", "worklog.jsonl", "chat.jsonl")
SHARED_FILES = {"board/index.json": "index", "board/audit.jsonl": "audit", "catalyst.toml": "config"}
RETRY_WATCH_S = 30.0
RUST_TIMEOUT_MS = 2000  # how often a quiet watcher checks that the tree exists (stop() wakes it at once)


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
        self._wake_dir: str | None = None  # watched alongside the workspace: stop() touches a file in it
        self.mode = "starting"
        self.reason: str | None = None
        self.batches = 0
        self.keep_going: Callable[[], bool] = lambda: True  # e.g. "my worker was not cancelled"

    def stop(self) -> None:
        """End :meth:`run` (from any thread): the watcher wakes within a step."""
        self.stop_event.set()
        wake = self._wake_dir
        if wake is not None:
            try:
                with open(os.path.join(wake, "stop"), "w"):
                    pass
            except OSError:
                pass  # the loop still ends at its next timeout

    def _stopping(self) -> bool:
        if not self.keep_going():
            self.stop_event.set()
        return self.stop_event.is_set()

    def _set_mode(self, mode: str, reason: str | None = None) -> None:
        if (mode, reason) != (self.mode, self.reason):
            self.mode, self.reason = mode, reason
            self.on_mode(mode, reason)

    def _emit(self, rels: Iterable[str]) -> None:
        agents: set[str] = set()
        shared: set[str] = set()
        for rel in rels:
            hit = classify(rel, self.agent_names, self.ports_file)
            if hit is None:
                continue
            (agents if hit[0] == "agent" else shared).add(hit[1])
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
        """Watch until stopped (None) or until it fails (the reason).

        watchfiles' own backend (``RustNotify``, what ``watchfiles.watch`` wraps) is used directly:
        once it is constructed the inotify watches are in place, so the mode says "watching" at
        once, not at the first change, and a ``stop()`` from then on is never missed.
        """
        root = str(self.root)
        try:
            # ignore_cleanup_errors: a stop() racing the clean-up may add its file as the directory goes
            with tempfile.TemporaryDirectory(prefix="catalyst-watch-", ignore_cleanup_errors=True) as wake:
                self._wake_dir = wake
                with RustNotify([root, wake], False, False, 300, True, False) as notify:
                    self._set_mode("watching")
                    while not self._stopping():
                        raw = notify.watch(self.config.debounce_ms, self.config.step_ms, RUST_TIMEOUT_MS, None)
                        if raw in ("stop", "signal") or self._stopping():
                            return None
                        if not self.root.is_dir():
                            return f"{root}: directory removed"
                        if isinstance(raw, str):  # "timeout": nothing happened
                            continue
                        mine = [path for _change, path in raw if not path.startswith(wake + os.sep)]
                        if mine:
                            self._emit(os.path.relpath(path, root) for path in mine)
        except (OSError, RuntimeError) as exc:  # inotify limits, permission denied, tree gone
            return None if self.stop_event.is_set() else f"watching {root} failed: {exc}"
        finally:
            self._wake_dir = None
        return None

    def _signature(self) -> dict[str, tuple[int, int, int]]:
        sig: dict[str, tuple[int, int, int]] = {}
        rels = [f"agents/{n}/{f}" for n in self.agent_names for f in AGENT_FILES]
        rels += [f"agents/{n}/cards" for n in self.agent_names]
        rels += [*SHARED_FILES, self.ports_file]
        for rel in rels:
            try:
                st = os.stat(self.root / rel)
            except OSError:
                continue
            sig[rel] = (st.st_mtime_ns, st.st_size, st.st_ino)
        return sig

    def _poll(self, before: dict[str, tuple[int, int, int]], until: float | None) -> None:
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
