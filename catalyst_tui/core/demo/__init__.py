"""The demo: a seeded workspace, stand-ins for the hub's own services, and the agent simulator.

A lazy face (core/faces.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from catalyst_tui.core.faces import lazy_getattr

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


__getattr__ = lazy_getattr(__name__, _WHERE)
