"""The last outcome of each periodic job (the janitor run, the snapshot push), on disk.

``.catalyst/outcomes/<job>.json`` holds when the job last ended, whether it succeeded, its
error, and when it last succeeded. The job records it where it runs (CLI, dashboard or
runtime alike); the exporter reads it in any process, so "the janitor has not succeeded for
two hours" is visible to Prometheus even when the exporter is a separate ``metrics serve``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import orjson

from catalyst_tui.core import storage
from catalyst_tui.core.config import WorkspaceConfig

OUTCOMES_DIR = ".catalyst/outcomes"
JOBS = ("janitor", "snapshot_push")
MAX_ERROR = 300


@dataclass(frozen=True)
class JobOutcome:
    name: str  # a metric-name part: "janitor", "snapshot_push"
    interval_s: float
    last_run: float | None = None
    last_ok: bool | None = None
    last_success: float | None = None
    error: str | None = None


def _path(root: Path, job: str) -> Path:
    return Path(root) / OUTCOMES_DIR / f"{job}.json"


def _load(path: Path) -> dict[str, object]:
    try:
        data = orjson.loads(storage.read_bytes(path, "record", follow=False))
    except (OSError, orjson.JSONDecodeError):
        return {}  # missing or torn: as if the job never ran (the next run rewrites it)
    return data if isinstance(data, dict) else {}


def _time(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def record(root: Path, job: str, ok: bool, error: str | None = None, at: float | None = None) -> None:
    """Note one run of ``job`` that ended at ``at`` (now). Never raises: a job's outcome must not
    fail the job (a full disk is reported by the job itself)."""
    if job not in JOBS:
        raise ValueError(f"unknown job {job!r}")
    at = time.time() if at is None else at
    path = _path(root, job)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with storage.locked(storage.lock_path_for(path), timeout=2.0):
            last_success = at if ok else _time(_load(path).get("last_success"))
            storage.atomic_write_json(path, {"job": job, "ended": at, "ok": ok,
                                             "error": None if ok else (error or "failed")[:MAX_ERROR],
                                             "last_success": last_success})
    except Exception:
        import logging

        logging.getLogger(__name__).warning("%s: cannot record the %s outcome", path, job, exc_info=True)


def read(root: Path, job: str, interval_s: float) -> JobOutcome:
    data = _load(_path(root, job))
    ok = data.get("ok")
    error = data.get("error")
    return JobOutcome(job, interval_s, _time(data.get("ended")), ok if isinstance(ok, bool) else None,
                      _time(data.get("last_success")), error if isinstance(error, str) else None)


def read_outcomes(root: Path, config: WorkspaceConfig) -> list[JobOutcome]:
    """Both jobs, with the intervals they are configured to run at."""
    return [read(root, "janitor", config.janitor.interval_s),
            read(root, "snapshot_push", config.snapshot.interval_s)]
