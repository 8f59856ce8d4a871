"""Each feature package's face exports its public names, lazily, and none is shadowed by a module."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys
import types

import pytest

FACES = ["catalyst_tui.core.board", "catalyst_tui.core.health", "catalyst_tui.core.ports", "catalyst_tui.core.janitor",
         "catalyst_tui.core.snapshot", "catalyst_tui.core.demo", "catalyst_tui.core.runtime",
         "catalyst_tui.core.notify"]


@pytest.mark.parametrize("face", FACES)
def test_every_public_name_resolves_to_what_its_module_defines(face: str) -> None:
    pkg = importlib.import_module(face)
    # import every submodule first: a submodule named like an exported function would now shadow it
    for info in pkgutil.walk_packages(pkg.__path__, face + "."):
        importlib.import_module(info.name)
    assert pkg.__all__, face
    for name in pkg.__all__:
        value = getattr(pkg, name)
        assert not isinstance(value, types.ModuleType), f"{face}.{name} is a module, not the exported name"
        module = importlib.import_module(f"{face}.{pkg._WHERE[name]}")
        assert getattr(module, name) is value
    with pytest.raises(AttributeError):
        _ = pkg.no_such_name


def test_a_face_is_lazy() -> None:
    code = ("import sys\nfrom catalyst_tui.core.health import SharedProblem\n"
            "m = sys.modules\n"
            "print('catalyst_tui.core.health.exporter' in m, 'catalyst_tui.core.health.watch' in m)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
