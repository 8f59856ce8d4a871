"""Per-agent health: ok / degraded / quarantined / offline, with the reasons.

A :class:`WorkspaceMonitor` keeps one :class:`AgentMonitor` per agent. Each reads its own
agent's files incrementally (saved offsets), so refreshing one agent never touches another,
and bad data in one agent's files only ever affects that agent. At start-up only the last
hour of each dispatch log is read, found by scanning back from the end of the file
(:func:`seek_since`), so start-up cost does not grow with the history.
"""

from __future__ import annotations

import math
import os
import stat
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec

from catalyst_tui.core.agents import AgentPaths, read_state
from catalyst_tui.core.config import HealthConfig, WorkspaceConfig
from catalyst_tui.core.errors import os_reason
from catalyst_tui.core.health import history
from catalyst_tui.core.health.metrics import WINDOWS, DispatchStats, Figures
from catalyst_tui.core.humanize import age, duration_ms
from catalyst_tui.core.jsonl import JsonlTail, ParseError
from catalyst_tui.core.models import AgentState, DispatchRecord, Health, WorkRecord, decode_dispatch, decode_work
from catalyst_tui.core.procs import ProcInfo, ProcSampler

KEEP_ERRORS = 20
KEEP_TAIL = 200  # dispatch / work-log lines kept for the detail view
SCAN_CHUNK = 64 * 1024
MAX_SCAN_BYTES = 256 << 20  # never scan back further than this at start-up
HISTORY_SLACK_S = 120.0  # read a little more than the 1 h window (out-of-order records)
WORKLOG_TAIL_BYTES = 256 * 1024
DISK_EVERY_S = 30.0
# An unterminated last line older than this is reported as a torn write / truncated file
# (tests/core/test_blast_radius.py relies on this name; keep it).
TORN_GRACE_S = 2.0


class _Stamp(msgspec.Struct):
    ts: float


_STAMP = msgspec.json.Decoder(_Stamp)


def _first_ts(chunk: bytes) -> tuple[int, float] | None:
    """(offset in chunk, ts) of the first complete, readable line after a newline."""
    pos = chunk.find(b"\n")
    while 0 <= pos < len(chunk) - 1:
        end = chunk.find(b"\n", pos + 1)
        if end < 0:
            return None
        try:
            return pos + 1, _STAMP.decode(chunk[pos + 1:end]).ts
        except (msgspec.DecodeError, msgspec.ValidationError):
            pos = end
    return None


def _first_at_or_after(chunk: bytes, at: int, cutoff: float) -> int:
    """Offset in ``chunk`` of the first whole line stamped >= ``cutoff`` (scanning from ``at``).

    Unreadable lines are skipped over (the reader reports them later). Without one, the end
    of the chunk (where the next, newer chunk begins)."""
    pos = at
    while pos < len(chunk):
        end = chunk.find(b"\n", pos)
        if end < 0:
            break
        try:
            if _STAMP.decode(chunk[pos:end]).ts >= cutoff:
                return pos
        except (msgspec.DecodeError, msgspec.ValidationError):
            pass
        pos = end + 1
    return len(chunk) - 1  # the chunk holds one byte past its end: the next chunk's first byte


def seek_since(tail: JsonlTail[Any], cutoff: float, max_bytes: int = MAX_SCAN_BYTES) -> None:
    """Position ``tail`` so reading starts at (about) the first record stamped >= ``cutoff``.

    Scans back from the end in chunks, decoding one timestamp per chunk; stops at the first
    chunk whose first line is older than the cutoff. A file that is mostly recent is read
    whole; only the tail of a long history is ever touched.
    """
    try:
        st = os.stat(tail.path)
    except OSError:
        return  # missing or unreadable: the tail's own read reports it
    if not stat.S_ISREG(st.st_mode):
        return  # a directory or FIFO under the log's name is reported by the tail, never opened here
    size = st.st_size
    pos = size
    while pos > 0 and size - pos < max_bytes:
        start = max(0, pos - SCAN_CHUNK)
        try:
            with open(tail.path, "rb") as fh:
                fh.seek(start)
                chunk = fh.read(pos - start + 1)
        except OSError:
            return
        if start == 0:
            return  # reached the beginning: read everything
        found = _first_ts(chunk)
        if found is not None and found[1] < cutoff:
            tail.seek_tail(size - start - _first_at_or_after(chunk, found[0], cutoff))
            return
        pos = start
    tail.seek_tail(size - pos)


@dataclass
class AgentStatus:
    name: str
    health: Health
    reasons: list[str]
    state: AgentState | None
    figures: Figures
    parse_errors: int
    recent_parse_errors: list[ParseError]
    heartbeat_age_s: float | None
    proc: ProcInfo | None = None
    disk_bytes: int | None = None
    checked: float = 0.0
    series: tuple[list[float], list[float]] | None = None  # sparklines: mean latency, errors per bucket

    @property
    def headline(self) -> str:
        """The most telling reason, short enough for the triage line."""
        return self.reasons[0] if self.reasons else self.health.value

    def to_json(self) -> dict[str, object]:
        return {
            "agent": self.name,
            "health": self.health.value,
            "reasons": self.reasons,
            "parse_errors": self.parse_errors,
            "recent_parse_errors": [str(e) for e in self.recent_parse_errors],
            "heartbeat_age_s": None if self.heartbeat_age_s is None else round(self.heartbeat_age_s, 3),
            "pid": self.state.pid if self.state else None,
            "current_card": self.state.current_card if self.state else None,
            "status": self.state.status if self.state else None,
            "process": self.proc.to_json() if self.proc else None,
            "disk_bytes": self.disk_bytes,
            "figures": self.figures.to_json(),
        }


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
        seek_since(self.dispatch_tail, self.clock() - WINDOWS["1h"] - HISTORY_SLACK_S)
        # the log starts before the hour (the usual case): history adds nothing to the 1 h ring
        self._log_covers_hour = self.dispatch_tail.offset > 0
        self.worklog_tail.seek_tail(WORKLOG_TAIL_BYTES)
        self._disk: tuple[float, int | None] = (-DISK_EVERY_S, None)
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

    def status(self, now: float | None = None, window: str | None = None) -> AgentStatus:
        now = self.clock() if now is None else now
        read = read_state(self.paths)
        window = window or self.window
        # 24 h / 7 d are views from the history file; health is still judged on the usual window
        long = window in history.LONG_WINDOWS
        figures = self.stats.figures(self.window if long else window, now)
        reasons: list[str] = []
        hb_age = None
        proc = None
        t = self.thresholds
        if read.problem:
            health, reasons = Health.QUARANTINED, [f"quarantined: {_short_problem(read.problem, self.paths.state)}"]
        elif read.missing or read.state is None:
            health, reasons = Health.OFFLINE, ["no state.json"]
        else:
            st = read.state
            health = Health.OK
            hb_age = None if st.heartbeat is None else now - st.heartbeat
            proc = self.sampler.sample(st.pid, st.pid_start, st.host) if st.pid else None
            if st.status == "stopped":
                health, reasons = Health.OFFLINE, ["stopped"]
            elif proc is not None and not proc.alive:
                health, reasons = Health.OFFLINE, [proc.reason]
            elif hb_age is not None and hb_age > t.heartbeat_offline_s:
                health, reasons = Health.OFFLINE, [f"heartbeat lost {age(hb_age)}"]
            elif hb_age is not None and hb_age > t.heartbeat_stale_s:
                reasons.append(f"heartbeat lost {age(hb_age)}")
            if health is Health.OK or health is Health.OFFLINE:
                reasons += self._figure_reasons(figures)
            if reasons and health is Health.OK:
                health = Health.DEGRADED
        if health is not Health.QUARANTINED:
            # a torn last line, or a log that cannot be read (a directory, EACCES, a FIFO)
            tails = (self.dispatch_tail, self.worklog_tail)
            problems = [str(t) for t in (x.torn_tail(TORN_GRACE_S) for x in tails) if t is not None]
            problems += [x.unreadable for x in tails if x.unreadable]
            reasons += problems
            if problems and health is Health.OK:
                health = Health.DEGRADED
        if health is not Health.QUARANTINED and self.parse_errors:
            last = self.recent_errors[-1] if self.recent_errors else None
            reasons.append(f"{self.parse_errors} bad line(s), last {last}" if last else "bad lines")
            if health is Health.OK:
                health = Health.DEGRADED
        series = self.stats.series(figures.window, now)
        if long:
            figures, series = self._long_figures(window, now, figures)
        return AgentStatus(self.paths.name, health, reasons, read.state, figures, self.parse_errors,
                           list(self.recent_errors), hb_age, proc, self.disk_bytes(now), now, series)

    def _figure_reasons(self, f: Figures) -> list[str]:
        t = self.thresholds
        out: list[str] = []
        if f.p95_ms is not None:
            if f.baseline_p95_ms and f.p95_ratio is not None:
                if f.p95_ratio > t.p95_ratio and f.p95_ms > t.p95_min_ms:
                    out.append(f"p95 {duration_ms(f.p95_ms)} ({f.p95_ratio:.0f}x its 1 h baseline)")
            elif f.p95_ms > t.p95_abs_ms:
                out.append(f"p95 {duration_ms(f.p95_ms)}")
        if f.finished >= t.error_min_finished and wilson_lower(f.errors, f.finished) > t.error_rate:
            out.append(f"errors {f.error_rate:.0%} ({f.errors} of {f.finished})")
        if f.queue_depth > t.queue_depth:
            out.append(f"queue {f.queue_depth}")
        if f.clock_skew_s > t.clock_skew_s:
            out.append(f"clock {age(f.clock_skew_s)} ahead")
        if f.clock_behind_s > t.clock_skew_s:
            out.append(f"clock {age(f.clock_behind_s)} behind")
        return out


ERROR_CONFIDENCE_Z = 1.645  # one-sided 95 %


def wilson_lower(errors: int, n: int, z: float = ERROR_CONFIDENCE_Z) -> float:
    """The lower bound of the Wilson score interval of an error rate.

    An agent is judged over its threshold only when its error rate is above it with 95 %
    confidence: 3 errors in 21 dispatches (14 %) is noise at a 10 % threshold and must not make
    a tenant flap between degraded and recovered; 14 in 66 (21 %) is not.
    """
    if n <= 0:
        return 0.0
    p = errors / n
    z2 = z * z
    centre = p + z2 / (2 * n)
    spread = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    return max(0.0, (centre - spread) / (1 + z2 / n))


@dataclass
class WorkspaceMonitor:
    root: Path
    config: WorkspaceConfig
    clock: Callable[[], float] = time.time

    def __post_init__(self) -> None:
        self.window = self.config.metrics.window
        sampler = ProcSampler()
        now = lambda: self.clock()  # noqa: E731 - follows a clock swapped in later (tests freeze it)
        self.agents = {a.name: AgentMonitor(AgentPaths(self.root, a.name), self.config.health, self.window,
                                            now, sampler)
                       for a in self.config.agents}

    def refresh(self, name: str) -> AgentStatus:
        mon = self.agents[name]
        mon.read_logs()
        return mon.status(self.clock(), self.window)

    def refresh_all(self) -> dict[str, AgentStatus]:
        return {name: self.refresh(name) for name in self.agents}

    def status_all(self) -> dict[str, AgentStatus]:
        """Re-evaluate without reading files (ages advance, windows slide)."""
        now = self.clock()
        return {name: mon.status(now, self.window) for name, mon in self.agents.items()}

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
