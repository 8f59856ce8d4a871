"""Schemas declared once as msgspec Structs, validated by pydantic only when there is something new.

A settings file (``catalyst.toml``, a theme) is read at every start but rarely changes. Its
schema is a frozen ``msgspec.Struct`` whose annotations carry pydantic's constraints as strings
(``Annotated[float, Field(gt=0)]``). Declaring the classes costs microseconds and imports no
pydantic. When a file has to be validated (it is new, or changed: core/vcache.py decides),
:func:`validate` builds a pydantic twin of each Struct on first use, validates with it, and
builds the Structs from what pydantic accepted. A cached result is rebuilt by :func:`build`
without pydantic. Both paths go through :func:`build`, so they give the same objects.

Measured (docs/performance.md): 11 frozen dataclasses take ~12 ms to declare, 11 Structs 0.4 ms;
importing pydantic and building its validators ~0.15 s.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping
from functools import cache
from typing import Any, TypeVar

import msgspec

S = TypeVar("S", bound=msgspec.Struct)


def _defaults(cls: type[msgspec.Struct]) -> dict[str, Any]:
    """Field name -> default (a value, a ``Factory``, or ``msgspec.NODEFAULT``)."""
    names = cls.__struct_fields__
    defaults = cls.__struct_defaults__
    out: dict[str, Any] = dict.fromkeys(names[: len(names) - len(defaults)], msgspec.NODEFAULT)
    out.update(zip(names[len(names) - len(defaults):], defaults, strict=True))
    return out


def _placeholder(*_args: Any, **_kwargs: Any) -> None:
    return None


@cache
def _plain_hints(cls: type) -> dict[str, Any]:
    """The fields' types with the constraints left out (they name pydantic, not imported here)."""
    return typing.get_type_hints(cls, localns={"Field": _placeholder, "AfterValidator": _placeholder})


def _is_struct(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, msgspec.Struct)


def _plain_type_ok(tp: Any, value: Any) -> bool:
    """Is ``value`` of the plain type ``tp`` (constraints aside)? The check a cached entry gets."""
    if tp is Any:
        return True
    if tp is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if tp is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if tp in (str, bool):
        return isinstance(value, tp)
    if tp is type(None):
        return value is None
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is typing.Literal:
        return value in args
    if origin in (typing.Union, types.UnionType):
        return any(_plain_type_ok(a, value) for a in args)
    if origin is list:
        return isinstance(value, list) and all(_plain_type_ok(args[0], v) for v in value)
    if origin is dict:
        return isinstance(value, dict) and all(_plain_type_ok(args[0], k) and _plain_type_ok(args[1], v)
                                               for k, v in value.items())
    return True  # a Struct (checked by build) or a type this schema does not use


def _build_value(tp: Any, value: Any, complete: bool) -> Any:
    if _is_struct(tp):
        if not isinstance(value, Mapping):
            raise TypeError(f"{tp.__name__}: expected a mapping, got {type(value).__name__}")
        return build(tp, value, complete=complete)
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        if value is None:
            return None
        for arg in typing.get_args(tp):
            if arg is not type(None):
                return _build_value(arg, value, complete)
    if origin is list and isinstance(value, list):
        (item,) = typing.get_args(tp)
        return [_build_value(item, v, complete) for v in value]
    return value


def build(cls: type[S], data: Mapping[str, Any], *, complete: bool = False) -> S:
    """``cls`` from plain data that was validated before.

    Missing keys take their defaults, unless ``complete``: then every field must be there, each of
    its plain type (a cached entry is a whole ``to_builtins``; anything else is not one of ours,
    and a miss: the file is validated again).
    """
    hints = _plain_hints(cls)
    unknown = set(data) - set(hints)
    if unknown:
        raise TypeError(f"{cls.__name__}: unexpected {sorted(unknown)}")
    if complete:
        if len(data) != len(hints):
            raise TypeError(f"{cls.__name__}: missing {sorted(set(hints) - set(data))}")
        for name, value in data.items():
            if not _plain_type_ok(hints[name], value):  # a Struct field is checked by its own build
                raise TypeError(f"{cls.__name__}.{name}: {value!r} is not a {hints[name]}")
    return cls(**{name: _build_value(hints[name], value, complete) for name, value in data.items()})


def fingerprint(*classes: type[msgspec.Struct]) -> str:
    """Changes whenever a field, its annotation (with its constraints) or its default changes."""

    def default(d: Any) -> str:
        if d is msgspec.NODEFAULT:
            return "required"
        factory = getattr(d, "factory", None)
        return repr(factory()) if factory is not None else repr(d)

    return repr([(cls.__name__, [(name, cls.__annotations__.get(name), default(d))
                                 for name, d in _defaults(cls).items()]) for cls in classes])


# ---------------------------------------------------------------------------------------- pydantic
@cache
def _twin(cls: type[msgspec.Struct]) -> Any:
    """A pydantic model with ``cls``'s fields, types and constraints (unknown keys forbidden)."""
    from pydantic import AfterValidator, ConfigDict, Field, create_model

    module = __import__(cls.__module__, fromlist=["_"])
    hints = typing.get_type_hints(cls, globalns=vars(module),
                                  localns={"Field": Field, "AfterValidator": AfterValidator}, include_extras=True)
    fields: dict[str, Any] = {}
    for name, d in _defaults(cls).items():
        # Defaults stay the Struct's: pydantic reports only what the file set (exclude_unset)
        fields[name] = (_twin_type(hints[name]), ... if d is msgspec.NODEFAULT else None)
    return create_model(f"{cls.__name__}Schema", __config__=ConfigDict(extra="forbid"), **fields)


def _twin_type(tp: Any) -> Any:
    if _is_struct(tp):
        return _twin(tp)
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is typing.Annotated:
        return typing.Annotated[(_twin_type(args[0]), *tp.__metadata__)]
    if origin in (typing.Union, types.UnionType):
        return typing.Union[tuple(_twin_type(a) for a in args)]  # noqa: UP007 - built at run time
    if origin is list:
        return list[_twin_type(args[0])]  # type: ignore[misc]
    return tp


def validate(cls: type[S], data: Any) -> S:
    """Validate ``data`` against ``cls`` with pydantic; raises ``pydantic.ValidationError``."""
    model = _twin(cls).model_validate(data)
    return build(cls, model.model_dump(exclude_unset=True))


def to_builtins(obj: msgspec.Struct) -> dict[str, Any]:
    """Plain data for the cache: what :func:`build` takes back."""
    return msgspec.to_builtins(obj)  # type: ignore[no-any-return]
