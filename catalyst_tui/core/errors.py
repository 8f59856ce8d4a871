"""Errors raised by the core. Each carries a one-line, operator-readable message."""

from __future__ import annotations

import os


class CatalystError(Exception):
    """Base class: the message is printed as one line by the CLI."""


class InvalidAgentName(CatalystError, ValueError):
    pass


class ConfigError(CatalystError):
    pass


class WorkspaceError(CatalystError):
    pass


class NoWorkspace(WorkspaceError):
    """The directory named as the workspace does not exist (the CLI exits 2: a usage error)."""


class CardError(CatalystError):
    pass


class LaneError(CardError):
    """An agent tried to change a card outside its own lane."""


class LockTimeout(CatalystError):
    pass


class FileRefused(CatalystError, OSError):
    """A file the product will not read or write: a FIFO, a device, a symbolic link where none
    is followed, too large, or a path leading out of the workspace.

    An ``OSError`` too (``filename`` and ``strerror`` set), so every reader that already turns an
    unreadable file into a reported problem does so for these as well.
    """

    def __init__(self, path: object, reason: str, code: int = 22) -> None:  # 22: EINVAL
        super().__init__(code, reason, str(path))

    def __str__(self) -> str:
        return f"{self.filename}: {self.strerror}"


def os_reason(exc: OSError) -> str:
    """Why an OS call failed, in the OS's words (``Permission denied``): never the errno tuple."""
    return exc.strerror or str(exc) or type(exc).__name__


def os_error_text(exc: OSError) -> str:
    """An ``OSError`` as one line: ``<file>: <reason>`` (the reason alone when it names no file)."""
    where = os.fsdecode(exc.filename) if isinstance(exc.filename, str | bytes) else exc.filename
    return f"{where}: {os_reason(exc)}" if where else os_reason(exc)
