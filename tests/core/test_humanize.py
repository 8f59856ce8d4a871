"""core/humanize.py: the one place sizes and ages are worded."""

from __future__ import annotations

import pytest

from catalyst_tui.core.humanize import size


@pytest.mark.parametrize("n, shown", [
    (0, "0 B"), (1023, "1023 B"), (1024, "1.0 KiB"), (50_000, "48.8 KiB"), (1 << 20, "1.0 MiB"),
    (3 << 30, "3.0 GiB"), (5 << 40, "5.0 TiB"), (5 << 50, "5120.0 TiB"), (-2048, "-2.0 KiB"),
])
def test_sizes_are_binary_units_everywhere(n: int, shown: str) -> None:
    assert size(n) == shown
