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
