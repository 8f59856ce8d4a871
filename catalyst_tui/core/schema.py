"""Settings files (``catalyst.toml``, themes) as msgspec Structs: one schema, read and written.

A settings schema is a frozen ``msgspec.Struct`` with ``forbid_unknown_fields=True``: the types and
their ``msgspec.Meta`` constraints are the rules, a check that spans fields lives in the Struct's
``__post_init__`` (msgspec runs it on conversion and reports its ``ValueError`` with the path; a
message ``"field: problem"`` names the field, and the key reported is then the field's).
:func:`convert` validates parsed TOML against a Struct and turns msgspec's message into TOML words
(file, key, problem); :func:`to_toml` writes a Struct back as TOML, each field's
``Meta(description=...)`` as its comment, so a file of defaults is generated, never hand-written.

Validation costs microseconds and imports nothing beyond msgspec (docs/performance.md).
"""

from __future__ import annotations

import re
import typing
from typing import Any, TypeVar

import msgspec

S = TypeVar("S", bound=msgspec.Struct)

# Patterns as strings, compiled (and cached by ``re``) on the first error: a valid file needs none
_AT = r"(?s)^(?P<problem>.*?)(?: - at `\$(?P<path>[^`]*)`)?$"
_NAMED = r"(?s)(?P<name>[a-z_]+): (?P<problem>.*)"  # "field: problem", from a __post_init__ check
_UNKNOWN = r"Object contains unknown field `(?P<name>[^`]*)`"
# msgspec speaks JSON; a settings file is TOML
_WORDS = (
    ("Object missing required field", "missing required key"),
    ("`object`", "a table"),
    ("`array`", "an array"),
)


def _field_type(cls: Any, path: str) -> Any:
    """The type at ``path`` (``a.b[0].c``) in ``cls``, or None."""
    tp: Any = cls
    for part in re.findall(r"[^.\[\]]+", path):
        if part.isdigit():
            continue
        while typing.get_origin(tp) is not None and not (isinstance(tp, type) and issubclass(tp, msgspec.Struct)):
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            tp = args[0] if args else None
        if not (isinstance(tp, type) and issubclass(tp, msgspec.Struct)):
            return None
        tp = next((f.type for f in msgspec.structs.fields(tp) if f.name == part), None)
    return tp


def _allowed(cls: Any, path: str) -> tuple[Any, ...]:
    tp = _field_type(cls, path)
    while typing.get_origin(tp) is typing.Annotated:
        tp = typing.get_args(tp)[0]
    return typing.get_args(tp) if typing.get_origin(tp) is typing.Literal else ()


def describe(exc: msgspec.ValidationError, source: str, cls: type[msgspec.Struct] | None = None) -> str:
    """``source: key: problem`` from msgspec's ``Problem - at `$.key```."""
    match = re.match(_AT, str(exc))
    problem, path = (match["problem"], match["path"] or "") if match else (str(exc), "")
    key = path.lstrip(".")
    unknown = re.fullmatch(_UNKNOWN, problem)
    named = re.match(_NAMED, problem)
    if named and cls is not None and _field_type(cls, f"{key}.{named['name']}") is not None:
        key, problem = ".".join(p for p in (key, named["name"]) if p), named["problem"]  # a __post_init__ check
    elif unknown:  # the key is the problem: name it whole
        key, problem = ".".join(p for p in (key, unknown["name"]) if p), "unknown key"
    elif problem.startswith("Invalid enum value"):
        allowed = _allowed(cls, key) if cls is not None else ()
        problem = problem.replace("Invalid enum value", "invalid value")
        if allowed:
            problem += " (one of " + ", ".join(repr(a) for a in allowed) + ")"
    for json_words, toml_words in _WORDS:
        problem = problem.replace(json_words, toml_words)
    problem = problem[:1].lower() + problem[1:]
    return f"{source}: {key}: {problem}" if key else f"{source}: {problem}"


def convert(cls: type[S], data: Any, source: str) -> S:
    """``data`` (parsed TOML) as ``cls``; ``ValueError`` with a one-line message naming ``source``."""
    try:
        return msgspec.convert(data, cls)
    except msgspec.ValidationError as exc:
        raise ValueError(describe(exc, source, cls)) from None


# ------------------------------------------------------------------------------------------ writing
def _description(tp: Any) -> str | None:
    if typing.get_origin(tp) is typing.Annotated:
        for meta in tp.__metadata__:
            if isinstance(meta, msgspec.Meta) and meta.description:
                return meta.description
    return None


def _literal(value: Any) -> str:
    """One TOML value (a JSON string is a valid TOML basic string)."""
    import json  # writing is rare (init): reading, at every start, needs no json

    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)  # inf, -inf and nan are TOML words too
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, msgspec.Struct):
        value = msgspec.to_builtins(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_literal(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"{type(value).__name__} has no TOML form")


def _key(name: str) -> str:
    return name if re.fullmatch(r"[A-Za-z0-9_-]+", name) else _literal(name)


def _is_table(value: Any) -> bool:
    return isinstance(value, msgspec.Struct)


def _is_table_array(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, msgspec.Struct) for v in value)


def _table(obj: msgspec.Struct, prefix: str) -> list[str]:
    """``obj``'s scalars first (TOML puts a table's own keys before its sub-tables), then tables."""
    lines: list[str] = []
    later: list[str] = []
    for info in msgspec.structs.fields(obj):
        value = getattr(obj, info.name)
        note = _description(info.type)
        comment = [f"# {note}"] if note else []
        dotted = f"{prefix}{_key(info.name)}"
        if _is_table(value):
            later += ["", *comment, f"[{dotted}]", *_table(value, f"{dotted}.")]
        elif _is_table_array(value):
            for item in value:
                later += ["", *comment, f"[[{dotted}]]", *_table(item, f"{dotted}.")]
                comment = []
        elif value is None:  # TOML has no null: the key is shown, commented out (unset = the default)
            lines += [*comment, f"# {_key(info.name)} ="]
        else:
            lines += [*comment, f"{_key(info.name)} = {_literal(value)}"]
    return lines + later


def to_toml(obj: msgspec.Struct, header: str = "") -> str:
    """``obj`` as a TOML document: every field, each with its description as a comment."""
    head = [f"# {line}" if line else "#" for line in header.splitlines()]
    return "\n".join([*head, *_table(obj, "")]) + "\n"
