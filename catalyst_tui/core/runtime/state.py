"""What the runtime publishes: ``.catalyst/runtime.json``, and the typed results of its jobs.

Everything here is a msgspec Struct; dicts exist only at the JSON edge (the file). The holder
rewrites the file atomically (``storage.atomic_write_bytes``) when a job starts or finishes and
when the configuration is re-read, never on a timer: an idle runtime writes nothing. A viewer
reads it when its stat signature changes.
"""

from __future__ import annotations

import os
from pathlib import Path

import msgspec

from catalyst_tui import __version__
from catalyst_tui.core import storage
from catalyst_tui.core.errors import CatalystError, os_error_text
from catalyst_tui.core.storage import FileSignature, file_signature

STATE_NAME = "runtime.json"


class JobError(msgspec.Struct, frozen=True, kw_only=True):
    """One failure: the one-line message, and the file / tenant it concerns when known."""

    message: str
    path: str | None = None
    agent: str | None = None

    def line(self) -> str:
        return self.message if not self.path or self.message.startswith(self.path) else f"{self.path}: {self.message}"

    @classmethod
    def from_exception(cls, exc: BaseException) -> JobError:
        """An exception as one line: ``OSError`` names its file, a ``CatalystError`` is its message."""
        if isinstance(exc, OSError) and not isinstance(exc, CatalystError):
            path = os.fsdecode(exc.filename) if exc.filename is not None else None
            return cls(message=os_error_text(exc), path=path)
        if isinstance(exc, CatalystError):
            return cls(message=str(exc), path=getattr(exc, "path", None), agent=getattr(exc, "agent", None))
        return cls(message=f"{type(exc).__name__}: {exc}")


class FlaggedItem(msgspec.Struct, frozen=True, kw_only=True):
    agent: str | None
    what: str
    why: str


class JanitorSummary(msgspec.Struct, frozen=True, kw_only=True, tag="janitor"):
    """A real janitor run, as the screens show it (the full report stays in the janitor's files)."""

    run: str
    started: float
    finished: float
    duration_s: float
    capped: bool
    scanned: int
    totals: dict[str, int]
    flagged: list[FlaggedItem] = []
    errors: list[JobError] = []
    changed_board: bool = False  # cards were flagged: the board shows it after a reload


class SnapshotSummary(msgspec.Struct, frozen=True, kw_only=True, tag="snapshot"):
    """One push."""

    url: str
    id: str
    seq: int
    noop: bool
    files: int
    size: int
    bytes_sent: int
    duration_s: float
    created: float
    objects_sent: int = 0
    objects_total: int = 0

    @classmethod
    def from_record(cls, record: dict[str, object]) -> SnapshotSummary | None:
        """A push as the hub's history file keeps it (the JSON edge); None if it is not one."""
        try:
            return msgspec.convert(record, cls)
        except msgspec.ValidationError:
            return None


class PortsSummary(msgspec.Struct, frozen=True, kw_only=True, tag="ports"):
    ports: int
    problems: int
    listeners: int


JobDetail = JanitorSummary | SnapshotSummary | PortsSummary


class JobState(msgspec.Struct, kw_only=True):
    """One job's schedule and last outcome (``result``: ``ok`` / ``error``, None before a run)."""

    name: str
    interval_s: float
    cap_s: float
    running: bool = False
    started: float | None = None  # wall-clock time the current (or last) run began
    last_run: float | None = None  # wall-clock time the last run finished
    duration_s: float | None = None
    result: str | None = None
    summary: str = ""
    error: JobError | None = None
    overran: bool = False  # the last run took longer than its cap
    next_due: float | None = None
    runs: int = 0
    detail: JobDetail | None = None  # the last successful run's result
    progress: str | None = None  # while running, when the job says


class RuntimeState(msgspec.Struct, kw_only=True):
    """The whole of ``runtime.json``."""

    pid: int
    start: float | None
    host: str
    kind: str  # "daemon" / "dashboard"
    version: str = __version__
    updated: float = 0.0
    watch: str = "starting"  # the change feed: "watching" / "polling" (+ reason)
    watch_reason: str | None = None
    restart_needed: list[str] = []  # catalyst.toml keys changed that apply only after a restart
    config_error: str | None = None  # the last edit of catalyst.toml could not be read (the old one runs)
    jobs: dict[str, JobState] = {}


_DECODER = msgspec.json.Decoder(RuntimeState)


def state_path(internal_dir: Path) -> Path:
    return Path(internal_dir) / STATE_NAME


def publish(internal_dir: Path, state: RuntimeState) -> None:
    """Atomic replace (temp + fsync + rename + fsync dir): a reader sees the old or the new file."""
    storage.atomic_write_bytes(state_path(internal_dir), msgspec.json.encode(state))


def read(internal_dir: Path) -> RuntimeState | None:
    """The published state, or None when there is none (or it is not ours to read)."""
    try:
        return _DECODER.decode(storage.read_bytes(state_path(internal_dir), "record", follow=False))
    except (OSError, msgspec.DecodeError):
        return None


def signature(internal_dir: Path) -> FileSignature | None:
    return file_signature(state_path(internal_dir))
