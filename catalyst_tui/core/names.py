"""Agent names are path components: validate them before anything touches the disk."""

from __future__ import annotations

import re

from catalyst_tui.core.errors import InvalidAgentName

# ASCII only on purpose: ``str.isalpha`` would accept look-alike unicode letters.
_AGENT_RE = re.compile(r"[a-z][a-z0-9_-]{0,31}")
MAX_AGENT_NAME = 32


def validate_agent_name(name: object) -> str:
    """Return ``name`` if it is a valid agent name, else raise :class:`InvalidAgentName`.

    Valid: lower-case ASCII letters, digits, ``-`` and ``_``, starting with a letter,
    at most 32 characters. ``../x``, ``/abs``, empty names and unicode tricks are refused.
    """
    if not isinstance(name, str):
        raise InvalidAgentName(f"invalid agent name {name!r}: not a string")
    if _AGENT_RE.fullmatch(name) is None:
        shown = name if len(name) <= 40 else name[:40] + "..."
        raise InvalidAgentName(
            f"invalid agent name {shown!r}: use 1-{MAX_AGENT_NAME} lower-case ASCII letters, "
            "digits, '-' or '_', starting with a letter"
        )
    return name


def is_valid_agent_name(name: object) -> bool:
    try:
        validate_agent_name(name)
    except InvalidAgentName:
        return False
    return True
