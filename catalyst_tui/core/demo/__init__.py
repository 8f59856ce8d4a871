"""The demo: a seeded workspace, stand-ins for the hub's own services, and the agent simulator.

This face is lazy (as Textual's ``widgets`` package): a name is imported from its module on
first use, so importing one part does not load the others (the dashboard's first frame needs
few of them)."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from catalyst_tui.core.demo.seeding import default_demo_path, seed
    from catalyst_tui.core.demo.simulate import Simulator

_WHERE = {
    "Simulator": "simulate",
    "default_demo_path": "seeding",
    "seed": "seeding",
}
__all__ = [
    "Simulator",
    "default_demo_path",
    "seed",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
