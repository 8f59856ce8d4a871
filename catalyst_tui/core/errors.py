"""Errors raised by the core. Each carries a one-line, operator-readable message."""

from __future__ import annotations


class CatalystError(Exception):
    """Base class: the message is printed as one line by the CLI."""


class InvalidAgentName(CatalystError, ValueError):
    pass


class ConfigError(CatalystError):
    pass


class WorkspaceError(CatalystError):
    pass


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
