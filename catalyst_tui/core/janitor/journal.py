"""The janitor's journal, run reports and footprint history (under ``.catalyst/janitor/``).

* ``journal.jsonl``: one JSON line per event, each with its ``agent`` (``null`` for shared
  paths). A move or removal is journaled as ``intent`` *before* it happens and ``done`` after,
  so a run killed in between is finished (or rolled back) by the next one: see :func:`pending`.
* ``runs/<run-id>.json``: the report of each real run (atomic writes).
* ``footprint.jsonl``: bytes per agent after each run, so growth over time is visible.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import stat
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from catalyst_tui.core import storage
from catalyst_tui.core.errors import CatalystError
from catalyst_tui.core.janitor.rules import JANITOR_DIR
from catalyst_tui.core.jsonl import ParseError, read_all

# A run id names a run's report, its archive directory and its journal lines: the run's UTC start
# (sorts as text) and 6 random hex digits (two runs in one second never collide).
_STAMP_FORMAT = "%Y%m%dT%H%M%SZ"
_RUN_ID_RE = re.compile(r"\d{8}T\d{6}Z-[0-9a-f]{6}")


def utc_stamp(ts: float) -> str:
    """``20260101T000000Z``: a run id's first part, and the suffix of a rotated chat log."""
    return time.strftime(_STAMP_FORMAT, time.gmtime(ts))


def new_run_id(now: float) -> str:
    return f"{utc_stamp(now)}-{secrets.token_hex(3)}"


def is_run_id(text: str) -> bool:
    return _RUN_ID_RE.fullmatch(text) is not None

MAX_REPORTS = 200


@dataclass(frozen=True)
class JanitorPaths:
    root: Path

    @property
    def dir(self) -> Path:
        return self.root / JANITOR_DIR

    @property
    def journal(self) -> Path:
        return self.dir / "journal.jsonl"

    @property
    def runs(self) -> Path:
        return self.dir / "runs"

    @property
    def footprint(self) -> Path:
        return self.dir / "footprint.jsonl"

    @property
    def run_lock(self) -> Path:
        return self.dir / "run.lock"

    @property
    def dispatch_state(self) -> Path:
        return self.dir / "dispatch-state.json"

    @property
    def cache(self) -> Path:
        return self.dir / "walk-cache.msgpack"

    def report(self, run_id: str) -> Path:
        return self.runs / f"{run_id}.json"


def write(paths: JanitorPaths, **record: Any) -> None:
    """Append one journal record (``agent`` is always present)."""
    record.setdefault("agent", None)
    paths.dir.mkdir(parents=True, exist_ok=True)
    append_private(paths.journal, record)


def append_private(path: Path, record: dict[str, Any]) -> None:
    """``storage.append_jsonl`` for the janitor's own files: never through a symlink, never into
    an inode another path shares (a hard link planted in ``.catalyst/`` pointing outside)."""
    line = orjson.dumps(record, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS) + b"\n"
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC,
                 0o644)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_nlink > 1:
            raise CatalystError(f"{path}: not a private regular file ({st.st_nlink} links); the janitor "
                                "writes nothing through it")
        if os.write(fd, line) != len(line):  # pragma: no cover - only on a full disk
            raise OSError(f"{path}: short append")
    finally:
        os.close(fd)


def read(paths: JanitorPaths) -> tuple[list[dict[str, Any]], list[ParseError]]:
    return read_all(paths.journal)


def pending(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Intents without an outcome: the moves a killed run may have left half-way."""
    open_: dict[tuple[str, str], dict[str, Any]] = {}
    for rec in records:
        key = (str(rec.get("run")), str(rec.get("path")))
        phase = rec.get("phase")
        if phase == "intent":
            open_[key] = rec
        elif phase in ("done", "aborted", "recovered"):
            open_.pop(key, None)
    return list(open_.values())


def save_report(paths: JanitorPaths, report: dict[str, Any]) -> None:
    paths.runs.mkdir(parents=True, exist_ok=True)
    storage.atomic_write_json(paths.report(report["run"]), report)
    runs = sorted(paths.runs.glob("*.json"))
    for old in runs[:-MAX_REPORTS]:
        with contextlib.suppress(OSError):
            old.unlink()


def load_reports(paths: JanitorPaths, limit: int = 20) -> tuple[list[dict[str, Any]], list[str]]:
    """The newest ``limit`` run reports, newest first; unreadable ones are named, never fatal."""
    try:
        found = [p for p in paths.runs.iterdir() if p.suffix == ".json"]
    except FileNotFoundError:
        return [], []
    # newest first by when the report was written (run ids of one second differ only in their hex)
    names = sorted(found, key=lambda p: (_mtime_ns(p), p.name), reverse=True)
    reports: list[dict[str, Any]] = []
    problems: list[str] = []
    for path in names[:limit]:
        try:
            data = orjson.loads(storage.read_bytes(path, "record", follow=False))
        except (OSError, orjson.JSONDecodeError) as exc:
            problems.append(f"{path}: unreadable report: {str(exc)[:120]}")
            continue
        if isinstance(data, dict):
            reports.append(data)
        else:
            problems.append(f"{path}: not a JSON object")
    return reports, problems


def _mtime_ns(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return 0


def load_footprint(paths: JanitorPaths) -> tuple[list[dict[str, Any]], list[ParseError]]:
    return read_all(paths.footprint)


def fsync_fd(fd: int) -> None:
    with contextlib.suppress(OSError):
        os.fsync(fd)
