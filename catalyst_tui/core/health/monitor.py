"""Per-agent health: ok / degraded / quarantined / offline, with the reasons.

A :class:`WorkspaceMonitor` keeps one :class:`AgentMonitor` per agent. Each reads its own
agent's files incrementally (saved offsets), so refreshing one agent never touches another,
and bad data in one agent's files only ever affects that agent. At start-up only the last
hour of each dispatch log is read (``tail_seek.seek_since``), so start-up cost does not grow
with the history. What it says of an agent is an ``agent_status.AgentStatus``.
"""

from __future__ import annotations

import os
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from catalyst_tui.core import storage
from catalyst_tui.core.agents import AgentPaths, StateRead, read_state
from catalyst_tui.core.config import CONFIG_NAME, HealthConfig, WorkspaceConfig
from catalyst_tui.core.errors import os_reason
from catalyst_tui.core.health import history
from catalyst_tui.core.health.agent_status import AgentStatus
from catalyst_tui.core.health.metrics import WINDOWS, DispatchStats, Figures
from catalyst_tui.core.health.reasons import (
    DECISIVE,
    NO_PEERS,
    UNREADABLE_STRENGTH,
    Kind,
    Peers,
    Reason,
    figure_reasons,
    fleet,
    heartbeat_reason,
    plain,
    ranked,
)
from catalyst_tui.core.health.tail_seek import seek_since
from catalyst_tui.core.jsonl import JsonlTail, ParseError
from catalyst_tui.core.models import DispatchRecord, Health, WorkRecord, decode_dispatch, decode_work
from catalyst_tui.core.procs import ProcSampler

KEEP_ERRORS = 20
KEEP_TAIL = 200  # dispatch / work-log lines kept for the detail view
HISTORY_SLACK_S = 120.0  # read a little more than the 1 h window (out-of-order records)
WORKLOG_TAIL_BYTES = 256 * 1024
DISK_EVERY_S = 30.0
# An unterminated last line older than this is reported as a torn write / truncated file
# (tests/core/test_blast_radius.py relies on this name; keep it).
TORN_GRACE_S = 2.0


def _short_problem(problem: str, path: Path) -> str:
    return problem.replace(str(path), "state.json", 1)


@dataclass
class AgentMonitor:
    paths: AgentPaths
    thresholds: HealthConfig
    window: str = "5m"
    clock: Callable[[], float] = time.time
    sampler: ProcSampler = field(default_factory=ProcSampler)
    parse_errors: int = 0
    recent_errors: deque[ParseError] = field(default_factory=lambda: deque(maxlen=KEEP_ERRORS))
    dispatch_recent: deque[DispatchRecord] = field(default_factory=lambda: deque(maxlen=KEEP_TAIL))
    work_recent: deque[WorkRecord] = field(default_factory=lambda: deque(maxlen=KEEP_TAIL))

    def __post_init__(self) -> None:
        rel = f"agents/{self.paths.name}"
        self.stats = DispatchStats(self.clock, self.window)
        self.dispatch_tail = JsonlTail(self.paths.dispatch, decode_dispatch, label=f"{rel}/dispatch.jsonl")
        self.worklog_tail = JsonlTail(self.paths.worklog, decode_work, label=f"{rel}/worklog.jsonl")
        cutoff = self.clock() - WINDOWS["1h"] - HISTORY_SLACK_S
        seek_since(self.dispatch_tail, cutoff)
        # the log starts before the hour (the usual case): history adds nothing to the 1 h ring,
        # and the whole window was observed (throughput is over the window, not a shorter span)
        self._log_covers_hour = self.dispatch_tail.offset > 0
        if self._log_covers_hour:
            self.stats.since = cutoff
        self.worklog_tail.seek_tail(WORKLOG_TAIL_BYTES)
        self._disk: tuple[float, int | None] = (-DISK_EVERY_S, None)
        self._state: tuple[storage.FileSignature, StateRead] | None = None
        self._live = False
        self.history_path = history.path_of(self.paths.dir)
        self.history_problems: list[ParseError] = []  # never the tenant's health: only its history
        self._history_last: float | None = None  # the newest minute written (read from the file once)
        self._long: dict[str, history.LongView] = {}  # 24 h / 7 d, created when first shown

    @property
    def name(self) -> str:
        return self.paths.name

    def _note(self, errors: list[ParseError]) -> None:
        self.parse_errors += len(errors)
        self.recent_errors.extend(errors)

    def read_logs(self) -> int:
        """Read what was appended since last time; returns the number of new records."""
        resets = self.dispatch_tail.resets
        records, errors = self.dispatch_tail.read_new()
        now = self.clock()
        if self.dispatch_tail.resets != resets:
            # truncated or rotated: the figures restart from the new file, never double count
            self.stats = DispatchStats(self.clock, self.window)
        observe = self.stats.observe
        for rec in records:
            observe(rec, now)
        if self._live:
            self.stats.note_live_batch(records, now)
        elif not self._log_covers_hour:
            self._seed_from_history(now)
        self._live = True  # the first read is history; from now on records arrive as written
        self.dispatch_recent.extend(records[-KEEP_TAIL:])
        self._note(errors)
        work, werrors = self.worklog_tail.read_new()
        self.work_recent.extend(work[-KEEP_TAIL:])
        self._note(werrors)
        return len(records) + len(work)

    def _seed_from_history(self, now: float) -> None:
        """The minutes of the last hour that the dispatch log no longer holds (rotated, truncated)
        fill the 1 h ring from the history file: the baseline is known at once after a restart."""
        tail = history.new_tail(self.history_path, f"agents/{self.paths.name}/{history.HISTORY_NAME}")
        seek_since(tail, now - WINDOWS["1h"])
        minutes, errors = tail.read_new()
        self.history_problems = errors[-KEEP_ERRORS:]
        self.stats.seed_minutes([(m.ts, history.to_bucket(m)) for m in minutes], now)
        if minutes:
            self._history_last = max(m.ts for m in minutes)

    def flush_history(self, now: float | None = None) -> int:
        """Append the minutes completed since the last flush; returns how many were written.
        Only the process that runs the workspace's jobs calls this (one writer per file)."""
        now = self.clock() if now is None else now
        if self._history_last is None:
            self._history_last = history.last_ts(self.history_path) or 0.0
        minutes = [history.to_minute(ts, b) for ts, b in self.stats.closed_minutes(self._history_last, now)]
        if minutes:
            history.append(self.history_path, minutes)
            self._history_last = minutes[-1].ts
        return len(minutes)

    def _long_figures(self, window: str, now: float,
                      judged: Figures) -> tuple[Figures, tuple[list[float], list[float]]]:
        view = self._long.get(window)
        if view is None:
            view = self._long[window] = history.LongView(self.history_path, seek_since, window,
                                                         f"agents/{self.paths.name}/{history.HISTORY_NAME}")
        recent = self.stats.closed_minutes(self._history_last or 0.0, now)
        return view.figures(now, judged, recent)

    def disk_bytes(self, now: float) -> int | None:
        if now - self._disk[0] < DISK_EVERY_S:
            return self._disk[1]
        total = 0
        try:
            for dirpath, _dirs, files in os.walk(self.paths.dir):
                for f in files:
                    try:
                        total += os.lstat(os.path.join(dirpath, f)).st_size
                    except OSError:
                        continue
        except OSError:
            total = 0
        self._disk = (now, total)
        return total

    def _read_state(self) -> StateRead:
        """``state.json``, parsed again only when its signature changed: a tenant streaming
        dispatch records is judged on every read, and its state file rarely changes with them
        (state writes replace the file: a new inode each time)."""
        try:
            sig = storage.signature_of(os.lstat(self.paths.state))
        except OSError:
            self._state = None
            return read_state(self.paths)  # missing or unreadable: said by the read itself
        if self._state is None or self._state[0] != sig:
            self._state = (sig, read_state(self.paths))
        return self._state[1]

    def created_at(self) -> float:
        """When the agent came to be: its directory's last change, else the workspace config's."""
        for path in (self.paths.dir, self.paths.root / CONFIG_NAME):
            try:
                return os.stat(path).st_mtime
            except OSError:
                continue
        return 0.0

    def figures(self, now: float, window: str | None = None) -> Figures:
        return self.stats.figures(window or self.window, now)

    def status(self, now: float | None = None, shown_window: str | None = None, peers: Peers = NO_PEERS,
               figures: Figures | None = None) -> AgentStatus:
        """Judge the agent on its own window (``self.window``), against ``peers``; ``shown_window``
        only chooses the figures a panel shows alongside."""
        now = self.clock() if now is None else now
        read = self._read_state()
        figures = figures or self.stats.figures(self.window, now)
        found: list[Reason] = []
        hb_age = None
        proc = None
        t = self.thresholds
        off = Health.OFFLINE
        if read.problem:
            found.append(plain(Kind.QUARANTINED, Health.QUARANTINED,
                               f"quarantined: {_short_problem(read.problem, self.paths.state)}", "quarantined",
                               DECISIVE))
        elif read.missing or read.state is None:
            if now - self.created_at() < t.startup_grace_s:
                found.append(plain(Kind.WAITING, Health.WAITING, "waiting for its first heartbeat", "waiting"))
            else:
                found.append(plain(Kind.NO_STATE, off, "no state.json"))
        else:
            st = read.state
            hb_age = None if st.heartbeat is None else now - st.heartbeat
            proc = self.sampler.sample(st.pid, st.pid_start, st.host) if st.pid else None
            if st.status == "stopped":
                found.append(plain(Kind.STOPPED, off, "stopped", strength=DECISIVE))
            elif proc is not None and not proc.alive:
                found.append(plain(Kind.PROCESS_DEAD, off, proc.reason, f"pid {proc.pid} dead", DECISIVE))
            elif hb_age is not None and (beat := heartbeat_reason(hb_age, t)) is not None:
                found.append(beat)
            found += figure_reasons(figures, t, peers)
        if not read.problem:
            # a torn last line, or a log that cannot be read (a directory, EACCES, a FIFO)
            tails = (self.dispatch_tail, self.worklog_tail)
            found += [plain(Kind.TORN_LINE, Health.DEGRADED, str(e), "torn line")
                      for e in (x.torn_tail(TORN_GRACE_S) for x in tails) if e is not None]
            found += [plain(Kind.UNREADABLE_LOG, Health.DEGRADED, x.unreadable, "unreadable log",
                            UNREADABLE_STRENGTH) for x in tails if x.unreadable]
            if self.parse_errors:
                last = self.recent_errors[-1] if self.recent_errors else None
                n = self.parse_errors
                found.append(plain(Kind.BAD_LINES, Health.DEGRADED,
                                   f"{n} bad line{'s' if n != 1 else ''}" + (f", last {last}" if last else ""),
                                   f"{n} bad line{'s' if n != 1 else ''}", value=n))
        found = ranked(found)
        health = min((r.health for r in found), key=lambda h: h.rank, default=Health.OK)
        shown = None
        if shown_window in history.LONG_WINDOWS:  # 24 h / 7 d: a view from the history file
            shown, series = self._long_figures(shown_window, now, figures)
        else:
            if shown_window and shown_window != figures.window:
                shown = self.stats.figures(shown_window, now)
            series = self.stats.series(shown_window or figures.window, now)
        return AgentStatus(self.paths.name, health, found, read.state, figures, self.parse_errors,
                           list(self.recent_errors), hb_age, proc, self.disk_bytes(now), now, series, shown, peers)


@dataclass
class WorkspaceMonitor:
    """Every agent's monitor. Tenants are judged together: each against the others (its peers)."""

    root: Path
    config: WorkspaceConfig
    clock: Callable[[], float] = time.time

    def __post_init__(self) -> None:
        self.window = self.config.metrics.window  # judged: fixed by the configuration
        self.shown_window: str | None = None  # what panels show (the Agents screen's `w`); None: the judged one
        sampler = ProcSampler()
        now = lambda: self.clock()  # noqa: E731 - follows a clock swapped in later (tests freeze it)
        self.agents = {a.name: AgentMonitor(AgentPaths(self.root, a.name), self.config.health, self.window,
                                            now, sampler)
                       for a in self.config.agents}

    def refresh(self, name: str) -> AgentStatus:
        return self.refresh_many([name])[name]

    def refresh_many(self, names: Iterable[str]) -> dict[str, AgentStatus]:
        """Read what ``names`` appended, then judge them (against every tenant's current figures)."""
        names = [n for n in names if n in self.agents]
        for name in names:
            self.agents[name].read_logs()
        return self._judge(names, self.clock())

    def refresh_all(self) -> dict[str, AgentStatus]:
        return self.refresh_many(self.agents)

    def status_all(self) -> dict[str, AgentStatus]:
        """Re-evaluate without reading files (ages advance, windows slide)."""
        return self._judge(list(self.agents), self.clock())

    def _judge(self, names: list[str], now: float) -> dict[str, AgentStatus]:
        figures = {n: mon.figures(now) for n, mon in self.agents.items()}  # memoised: cheap when unchanged
        t = self.config.health
        return {n: self.agents[n].status(now, self.shown_window, fleet(n, figures, t), figures[n]) for n in names}

    def flush_history(self) -> int:
        """Append every agent's completed minutes to its history file (the runtime's holder only).
        One tenant's unwritable file is logged and never stops the others."""
        written = 0
        for mon in self.agents.values():
            try:
                mon.read_logs()  # what was appended since the last change event (cheap: from the offset)
                written += mon.flush_history()
            except OSError as exc:
                import logging

                logging.getLogger("catalyst_tui.health").warning(
                    "%s: history not written: %s", mon.history_path, os_reason(exc), extra={"agent": mon.name})
        return written
