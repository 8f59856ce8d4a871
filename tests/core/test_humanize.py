"""core/humanize.py: the one place sizes and ages are worded."""

from __future__ import annotations

import pytest

from catalyst_tui.core.humanize import latency, rate, size


@pytest.mark.parametrize("n, shown", [
    (0, "0 B"), (1023, "1023 B"), (1024, "1.0 KiB"), (50_000, "48.8 KiB"), (1 << 20, "1.0 MiB"),
    (3 << 30, "3.0 GiB"), (5 << 40, "5.0 TiB"), (5 << 50, "5120.0 TiB"), (-2048, "-2.0 KiB"),
])
def test_sizes_are_binary_units_everywhere(n: int, shown: str) -> None:
    assert size(n) == shown


def test_rate_two_significant_figures_from_100() -> None:
    assert [rate(v) for v in (0, 7.4, 99.4, 100, 784, 2065, 2149, 9949, 9951, 54_321)] == \
        ["0", "7", "99", "100", "780", "2.1k", "2.1k", "9.9k", "10k", "54k"]


def test_rate_at_its_unit_boundaries_reads_as_latency_does() -> None:
    # just under 1,000 rounds up to the next unit ("1.0k"), never a four-digit "1000" beside it
    assert [rate(v) for v in (99.6, 994, 996, 999.6, 1000)] == ["100", "990", "1.0k", "1.0k", "1.0k"]


def test_latency_two_significant_figures() -> None:
    assert [latency(v) for v in (0, 8.4, 45, 99.4, 99.6, 321, 327, 334, 994, 996, 4210, 9949, 9951, 12_345)] == \
        ["0 ms", "8 ms", "45 ms", "99 ms", "100 ms", "320 ms", "330 ms", "330 ms", "990 ms", "1.0 s", "4.2 s",
         "9.9 s", "10 s", "12 s"]
