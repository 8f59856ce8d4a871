"""The dashboard's own log: JSON lines, one object per line, ``agent`` on every tenant line.

Lines go to ``<workspace>/.catalyst/catalyst-tui.log`` (or ``$CATALYST_LOG``), each with one
``O_APPEND`` write (``storage.append_line``), so concurrent writers never interleave. The file
is rotated to ``.1`` past ``max_bytes``. ``tenant()`` requires the agent; ``event()`` is for
lines about the dashboard or the shared layer. A read-only dashboard passes ``path=None``
and keeps the lines in memory only.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

from catalyst_tui.core import storage
from catalyst_tui.core.errors import os_reason
from catalyst_tui.core.text import json_bytes

LOG_NAME = "catalyst-tui.log"
ENV_LOG = "CATALYST_LOG"
MAX_BYTES = 8 << 20
KEEP_IN_MEMORY = 500


def default_path(internal_dir: Path) -> Path:
    return Path(os.environ.get(ENV_LOG) or internal_dir / LOG_NAME)


class AppLog:
    def __init__(self, path: Path | None, max_bytes: int = MAX_BYTES) -> None:
        self.path = path
        self.max_bytes = max_bytes
        self.recent: deque[dict[str, Any]] = deque(maxlen=KEEP_IN_MEMORY)
        self._lock = threading.Lock()  # rotation only; appends are single writes
        self.failed: str | None = None

    def _write(self, obj: dict[str, Any]) -> None:
        self.recent.append(obj)
        if self.path is None:
            return
        # controls escaped: `tail -f` of the log obeys nothing an agent wrote
        line = json_bytes(obj, default=str) + b"\n"
        try:
            with self._lock:
                try:
                    if os.stat(self.path).st_size + len(line) > self.max_bytes:
                        os.replace(self.path, self.path.with_name(self.path.name + ".1"))
                except FileNotFoundError:
                    self.path.parent.mkdir(parents=True, exist_ok=True)
            storage.append_line(self.path, line)
            self.failed = None
        except OSError as exc:  # a full disk must not take the dashboard down; it is shown instead
            self.failed = f"{self.path}: {os_reason(exc)}"

    def event(self, event: str, msg: str, level: str = "info", **fields: Any) -> None:
        self._write({"ts": round(time.time(), 3), "level": level, "event": event, "msg": msg, **fields})

    def tenant(self, agent: str, event: str, msg: str, level: str = "info", **fields: Any) -> None:
        """A line about one tenant: it always carries ``agent``."""
        self.event(event, msg, level, agent=agent, **fields)


class JsonLinesHandler(logging.Handler):
    """Routes ``logging`` records (e.g. the ``catalyst_tui`` logger) into an :class:`AppLog`.

    ``log.warning("...", extra={"agent": "bjork"})`` carries the agent through; the target is a
    callable so a read-only dashboard can switch it to memory-only at any time.
    """

    def __init__(self, target: Callable[[], AppLog], level: int = logging.INFO) -> None:
        super().__init__(level)
        self.target = target

    def emit(self, record: logging.LogRecord) -> None:
        try:
            fields: dict[str, Any] = {"logger": record.name}
            agent = getattr(record, "agent", None)
            if agent:
                fields["agent"] = agent
            if record.exc_info and record.exc_info[1] is not None:
                fields["error"] = f"{type(record.exc_info[1]).__name__}: {record.exc_info[1]}"
            self.target().event(record.name.rsplit(".", 1)[-1], record.getMessage(),
                                level=record.levelname.lower(), **fields)
        except Exception:  # noqa: BLE001 - logging must never raise into the app
            self.handleError(record)
