"""Untrusted text made safe for every face: the one escaping rule of the product.

Card titles, agent log lines, PORTS.md cells, process command lines, config keys and file
names come from other people's processes. A terminal obeys some of their characters: C0
controls (ESC starts a CSI or OSC sequence, BEL, CR, newline), DEL, C1 controls (U+009B is
a CSI on its own for some terminals), bidi controls (U+202E reverses what follows) and other
format characters (zero-width ones hide text). Human output shows each of them visibly;
JSON output escapes them, so a consumer gets the exact value and a terminal showing the JSON
obeys nothing.

The rule, for every character Python does not call printable (``str.isprintable``: Cc, Cf,
Zl, Zp, Zs other than space, Cs, Co, Cn):

* a byte that was not UTF-8 (a lone surrogate from ``surrogateescape``, as file names and
  ``argv`` decode) is shown as ``\\xNN``, NN the original byte;
* below U+0100 as ``\\xNN``; in the BMP as ``\\uNNNN``; above as ``\\UNNNNNNNN``.

Human output is :func:`visible` (one line: a newline is shown as ``\\x0a``) or
:func:`visible_block` (newlines and tabs kept). Error messages are :func:`one_line`. JSON
output is :func:`json_text` / :func:`json_bytes`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import orjson

__all__ = ["escape_char", "has_undecodable", "json_bytes", "json_text", "one_line", "visible",
           "visible_block"]

_JSON_OPTS = orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS


def escape_char(ch: str) -> str:
    """The visible form of one character that must not reach a terminal raw."""
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:  # surrogateescape: the byte that was not UTF-8
        return f"\\x{code - 0xDC00:02x}"
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def visible(text: str, keep: str = "") -> str:
    """``text`` with every non-printable character shown as an escape (``keep``: except those)."""
    if text.isprintable():  # the common case costs one C-level scan
        return text
    return "".join(ch if ch.isprintable() or ch in keep else escape_char(ch) for ch in text)


def visible_block(text: str) -> str:
    """Multi-line untrusted text (a card body): newlines and tabs kept, every other control shown."""
    return visible(text.replace("\r\n", "\n"), keep="\n\t")


def one_line(message: object, limit: int = 2000) -> str:
    """An error message as one visible line (a message longer than ``limit`` is cut, marked ``…``)."""
    text = visible(str(message))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def has_undecodable(text: str) -> bool:
    """Whether ``text`` holds bytes that were not UTF-8 (lone surrogates)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


# JSON already escapes C0 (orjson writes \u00NN); every other non-printable character inside a
# string is escaped after encoding. Only string contents can hold such characters (JSON's own
# syntax is ASCII), so the substitution never touches structure.
_BEYOND_ASCII = re.compile("[^\x00-\x7e]")


def _json_escape(match: re.Match[str]) -> str:
    ch = match.group()
    if ch.isprintable():
        return ch
    code = ord(ch)
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000  # outside the BMP: a UTF-16 surrogate pair, as JSON spells it
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def _decodable(obj: Any) -> Any:
    """``obj`` with undecodable bytes in its strings spelled ``\\xNN`` (JSON cannot carry them)."""
    if isinstance(obj, str):
        return obj.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace") \
            if has_undecodable(obj) else obj
    if isinstance(obj, dict):
        return {_decodable(k): _decodable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_decodable(v) for v in obj]
    return obj


def json_text(obj: Any, *, pretty: bool = True, default: Callable[[Any], Any] | None = None) -> str:
    """Stable JSON (sorted keys; two-space indent when ``pretty``) with no raw control character."""
    opts = _JSON_OPTS | (orjson.OPT_INDENT_2 if pretty else 0)
    try:
        raw = orjson.dumps(obj, option=opts, default=default)
    except TypeError:  # a string with undecodable bytes (a file name, an argument)
        raw = orjson.dumps(_decodable(obj), option=opts, default=default)
    out = raw.decode("utf-8")
    if out.isascii() and "\x7f" not in out:
        return out
    return _BEYOND_ASCII.sub(_json_escape, out)


def json_bytes(obj: Any, *, pretty: bool = False, default: Callable[[Any], Any] | None = None) -> bytes:
    return json_text(obj, pretty=pretty, default=default).encode("utf-8")
