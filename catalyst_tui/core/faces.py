"""Lazy package faces, as Textual's ``widgets`` package: a feature package's ``__init__`` names
its public API (``_WHERE``: name -> module, ``__all__``, a ``TYPE_CHECKING`` import block) and a
name is imported from its module on first use, so importing one part loads none of the others
(the dashboard's first frame needs few of them)."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def lazy_getattr(package: str, where: Mapping[str, str]) -> Callable[[str], Any]:
    """The module ``__getattr__`` of ``package``'s face: ``where[name]`` is the submodule that
    defines ``name``; the value is kept in the package once imported (the next access is plain)."""

    def __getattr__(name: str) -> Any:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{module}"), name)
        setattr(sys.modules[package], name, value)
        return value

    return __getattr__
