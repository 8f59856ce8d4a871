"""Workspace globs: one meaning for janitor rules and snapshot includes (docs/janitor.md).

A pattern is a ``/``-separated path relative to the workspace root:

* ``*`` any run of characters within one component (a leading ``.`` included), ``?`` one
  character, ``[abc]`` / ``[a-z]`` / ``[!abc]`` one character of (or not of) a set;
* ``**`` as a whole component: any number of directories (zero included); as the last
  component, every file below at any depth. Inside a component (``a**b``) it is a ``*``;
* nothing matches across a ``/``, and every other character is itself.

:func:`glob_to_regex` is the whole translation; the janitor matches directory listings with it,
the snapshot walks components with :func:`component_regex` (the same translation, per part).
"""

from __future__ import annotations

import re
from functools import lru_cache

_MAGIC = frozenset("*?[")
_ANY_DIRS = "(?:[^/]+/)*"


def has_magic(component: str) -> bool:
    return not _MAGIC.isdisjoint(component)


def check_relative(pattern: str) -> None:
    """Refuse a pattern that could reach outside the workspace."""
    if not pattern or pattern.startswith("/") or ".." in pattern.split("/"):
        raise ValueError(f"pattern {pattern!r} must be relative to the workspace and free of '..'")


def _bracket(component: str, i: int) -> tuple[str, int] | None:
    """The regex of the set starting at ``component[i] == "["`` and the index after it; None: a
    ``[`` with no closing ``]`` is itself."""
    j = i + 1
    negate = j < len(component) and component[j] == "!"
    if negate:
        j += 1
    if j < len(component) and component[j] == "]":  # a leading ] is a member
        j += 1
    end = component.find("]", j)
    if end < 0:
        return None
    members = "".join("\\" + c if c in "\\^[]&~|" else c for c in component[i + 1 + negate:end])
    return ("[^/" + members + "]" if negate else "(?!/)[" + members + "]"), end + 1


def component_regex(component: str) -> str:
    """One path component (no ``/``) as a regex (unanchored: the caller fullmatches)."""
    out: list[str] = []
    i = 0
    while i < len(component):
        c = component[i]
        if c == "*":
            while i + 1 < len(component) and component[i + 1] == "*":
                i += 1
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[" and (found := _bracket(component, i)) is not None:
            out.append(found[0])
            i = found[1]
            continue
        else:
            out.append(re.escape(c))
        i += 1
    return "".join(out)


def glob_to_regex(pattern: str) -> str:
    """A whole pattern as a regex over relative paths (unanchored: the caller fullmatches).

    A pattern ending in ``/`` (a directory part, as the janitor splits its rules) matches
    directory prefixes ending in ``/``."""
    parts = pattern.split("/")
    out: list[str] = []
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if part == "**":
            out.append(_ANY_DIRS + ("[^/]+" if last else ""))
        else:
            out.append(component_regex(part) + ("" if last else "/"))
    return "".join(out)


@lru_cache(maxsize=256)
def compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(glob_to_regex(pattern))


def matches(pattern: str, relpath: str) -> bool:
    """Does ``relpath`` (``a/b/c``, no leading ``/``) match ``pattern``?"""
    return compiled(pattern).fullmatch(relpath) is not None
