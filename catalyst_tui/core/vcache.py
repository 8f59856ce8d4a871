"""A private cache of *validated* data, so a warm start skips pydantic altogether.

Validation (pydantic) is the slow part of reading ``catalyst.toml`` and the theme files: importing
pydantic and building its validators costs ~0.15 s, half the start-up budget of the dashboard
(docs/performance.md). The result of a validation is plain data; it is stored here, keyed by a
hash of everything it was computed from (the file's bytes, the environment overrides, the schema),
and a later start with the same inputs reads the plain data back instead of validating again.

* Only valid results are cached: every error still comes from the validator, with its file and key.
* The key covers the inputs whole, so an edit (or a schema change in a new version) is a miss.
* The cache lives in the user's own cache directory (``$XDG_CACHE_HOME/catalyst-tui``), never in
  the shared workspace, and holds JSON, never pickles: nothing in it can run code.
* Reads and writes are best-effort: a missing, unreadable or corrupt entry is a miss, a failed
  write is ignored (the next start validates again). Entries are replaced atomically.
"""

from __future__ import annotations

import functools
import hashlib
import math
import os
import sys
from pathlib import Path
from typing import Any

import orjson

from catalyst_tui.core import storage

MAX_ENTRIES = 64  # per kind; the oldest go first


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "catalyst-tui" / "validated"


def enabled() -> bool:
    return os.environ.get("CATALYST_VALIDATION_CACHE", "1") not in ("0", "false", "no", "off")


@functools.cache  # sources do not change under a running process: read once, not per file validated
def source_digest(*modules: str) -> str:
    """A hash of these modules' source files: a changed validator (not only a changed field) is
    a miss too, in a checkout or an editable install where the version does not change. The
    modules must be imported (they are: they define the schema)."""
    h = hashlib.sha256()
    for name in modules:
        origin = getattr(sys.modules.get(name), "__file__", None)
        try:
            h.update(Path(origin).read_bytes() if origin else name.encode())
        except OSError:
            h.update(name.encode())
    return h.hexdigest()


def key(*parts: bytes | str) -> str:
    """A hash of every input the validated value depends on."""
    h = hashlib.sha256()
    for part in parts:
        raw = part.encode() if isinstance(part, str) else part
        h.update(len(raw).to_bytes(8, "little"))
        h.update(raw)
    return h.hexdigest()


def get(kind: str, k: str) -> Any | None:
    """The data stored under ``kind``/``k``, or None (a miss) if there is none readable."""
    if not enabled():
        return None
    try:
        raw = (cache_dir() / kind / f"{k}.json").read_bytes()
        return orjson.loads(raw)
    except (OSError, orjson.JSONDecodeError):
        return None


def _json_exact(data: Any) -> bool:
    """Would JSON give ``data`` back unchanged? Not with inf / nan (written as null)."""
    if isinstance(data, float):
        return math.isfinite(data)
    if isinstance(data, dict):
        return all(_json_exact(v) for v in data.values())
    if isinstance(data, list | tuple):
        return all(_json_exact(v) for v in data)
    return True


def put(kind: str, k: str, data: Any) -> None:
    """Store ``data`` (JSON-able) under ``kind``/``k``; failures are ignored. Data JSON cannot
    carry exactly (``inf``, ``nan``) is not stored: that file is validated at every start."""
    if not enabled() or not _json_exact(data):
        return
    directory = cache_dir() / kind
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        storage.atomic_write_bytes(directory / f"{k}.json", orjson.dumps(data), durable=False)
        _prune(directory)
    except (OSError, TypeError):
        return


def _prune(directory: Path) -> None:
    entries = []
    for entry in os.scandir(directory):
        if entry.name.endswith(".json"):
            try:
                entries.append((entry.stat().st_mtime_ns, entry.path))
            except OSError:
                continue
    entries.sort()
    for _mtime, path in entries[:-MAX_ENTRIES]:
        try:
            os.unlink(path)
        except OSError:
            continue
