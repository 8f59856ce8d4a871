"""The dashboard's own log: JSON lines, one object per line, ``agent`` on every tenant line.

One path: every line is a stdlib ``logging`` record, turned into one JSON object by
:class:`JsonLinesFormatter` and written by :class:`JsonLinesFile`, the one writer, with a single
``O_APPEND`` write (``storage.append_line``), so concurrent writers never interleave. Lines go to
``<workspace>/.catalyst/catalyst-tui.log`` (or ``$CATALYST_LOG``); the file is rotated to ``.1``
past ``max_bytes``. :class:`AppLog` is the product's own events (``tenant()`` requires the agent,
``event()`` is for the dashboard or the shared layer); :class:`JsonLinesHandler` routes the
package's ``logging`` records into the same writer. A read-only dashboard passes ``path=None``
and keeps the lines in memory only.
"""

from __future__ import annotations

import logging
import os
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

from catalyst_tui.core import storage
from catalyst_tui.core.errors import os_reason
from catalyst_tui.core.text import json_bytes, one_line

LOG_NAME = "catalyst-tui.log"
ENV_LOG = "CATALYST_LOG"
MAX_BYTES = 8 << 20
KEEP_IN_MEMORY = 500


def default_path(internal_dir: Path) -> Path:
    return Path(os.environ.get(ENV_LOG) or internal_dir / LOG_NAME)


class JsonLinesFormatter(logging.Formatter):
    """A record as one JSON object: ts, level, event, msg, then agent, logger, error and fields.

    ``event`` and ``fields`` come from :class:`AppLog`; a plain ``logging`` call gets its
    logger's last name as the event and ``logger`` set; ``extra={"agent": ...}`` carries a tenant.
    """

    def to_dict(self, record: logging.LogRecord) -> dict[str, Any]:
        event = getattr(record, "event", None)
        obj: dict[str, Any] = {"ts": round(record.created, 3), "level": record.levelname.lower(),
                               "event": event or record.name.rsplit(".", 1)[-1], "msg": record.getMessage()}
        if event is None:
            obj["logger"] = record.name
        agent = getattr(record, "agent", None)
        if agent:
            obj["agent"] = agent
        if record.exc_info and record.exc_info[1] is not None:
            obj["error"] = f"{type(record.exc_info[1]).__name__}: {record.exc_info[1]}"
        obj.update(getattr(record, "fields", None) or {})
        return obj

    def format(self, record: logging.LogRecord) -> str:
        # controls escaped: `tail -f` of the log obeys nothing an agent wrote
        return json_bytes(self.to_dict(record), default=str).decode()


class OneLineFormatter(logging.Formatter):
    """stderr logging of a long-running command (``mcp``, ``web``): each record one visible line,
    ``<prefix>: LEVEL logger: message`` (an exception as ``Type: message``, never a traceback)."""

    def __init__(self, prefix: str) -> None:
        super().__init__()
        self.prefix = prefix

    def format(self, record: logging.LogRecord) -> str:
        text = f"{self.prefix}: {record.levelname} {record.name}: {record.getMessage()}"
        if record.exc_info and record.exc_info[1] is not None:
            text += f" ({type(record.exc_info[1]).__name__}: {record.exc_info[1]})"
        return one_line(text)


def log_to_stderr(prefix: str, level: int = logging.WARNING) -> None:
    """Route the root logger to stderr through :class:`OneLineFormatter` (stdout may be a protocol)."""
    import sys

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(OneLineFormatter(prefix))
    logging.basicConfig(level=level, handlers=[handler])


class JsonLinesFile(logging.Handler):
    """The one writer: each record one line, one ``O_APPEND`` write; the last lines kept in memory.

    A failed write (a full disk) never takes the dashboard down: it is kept in ``failed`` and shown.
    """

    def __init__(self, path: Path | None, max_bytes: int = MAX_BYTES) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(JsonLinesFormatter())
        self.path = path
        self.max_bytes = max_bytes
        self.recent: deque[dict[str, Any]] = deque(maxlen=KEEP_IN_MEMORY)
        self.failed: str | None = None

    def emit(self, record: logging.LogRecord) -> None:
        formatter = self.formatter if isinstance(self.formatter, JsonLinesFormatter) else JsonLinesFormatter()
        obj = formatter.to_dict(record)
        self.recent.append(obj)
        if self.path is None:
            return
        line = json_bytes(obj, default=str) + b"\n"
        try:  # logging's handler lock is held: one rotation at a time in this process
            try:
                if os.stat(self.path).st_size + len(line) > self.max_bytes:
                    os.replace(self.path, self.path.with_name(self.path.name + ".1"))
            except FileNotFoundError:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            storage.append_line(self.path, line)
            self.failed = None
        except OSError as exc:
            self.failed = f"{self.path}: {os_reason(exc)}"


class AppLog:
    """The product's events, as ``logging`` records into a :class:`JsonLinesFile`."""

    def __init__(self, path: Path | None, max_bytes: int = MAX_BYTES) -> None:
        self.handler = JsonLinesFile(path, max_bytes)
        # a logger of its own (outside logging's tree): two logs in one process never mix
        self._logger = logging.Logger("catalyst_tui.events", logging.DEBUG)
        self._logger.propagate = False
        self._logger.addHandler(self.handler)

    @property
    def path(self) -> Path | None:
        return self.handler.path

    def echo_to(self, stream: Any) -> None:
        """Every line also to ``stream`` (the daemon's stderr: journald keeps it), same JSON."""
        echo = logging.StreamHandler(stream)
        echo.setFormatter(JsonLinesFormatter())
        self._logger.addHandler(echo)

    @property
    def recent(self) -> deque[dict[str, Any]]:
        return self.handler.recent

    @property
    def failed(self) -> str | None:
        return self.handler.failed

    def event(self, event: str, msg: str, level: str = "info", **fields: Any) -> None:
        agent = fields.pop("agent", None)
        self._logger.log(logging.getLevelNamesMapping().get(level.upper(), logging.INFO), "%s", msg,
                         extra={"event": event, "agent": agent, "fields": fields})

    def tenant(self, agent: str, event: str, msg: str, level: str = "info", **fields: Any) -> None:
        """A line about one tenant: it always carries ``agent``."""
        self.event(event, msg, level, agent=agent, **fields)


class JsonLinesHandler(logging.Handler):
    """Routes ``logging`` records (e.g. the ``catalyst_tui`` logger) into an :class:`AppLog`'s writer.

    ``log.warning("...", extra={"agent": "bjork"})`` carries the agent through; the target is a
    callable so a read-only dashboard can switch it to memory-only at any time.
    """

    def __init__(self, target: Callable[[], AppLog], level: int = logging.INFO) -> None:
        super().__init__(level)
        self.target = target

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.target().handler.handle(record)
        except Exception:  # noqa: BLE001 - logging must never raise into the app
            self.handleError(record)
