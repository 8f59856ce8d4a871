"""Short, operator-friendly renderings of durations and sizes."""

from __future__ import annotations

import time


def age(seconds: float) -> str:
    """``42 s``, ``6 min``, ``3 h``, ``2 d``; negative ages (clock skew) read ``in future``."""
    if seconds < 0:
        return "in future"
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 86400:
        return f"{seconds / 3600:.0f} h"
    return f"{seconds / 86400:.0f} d"


def age_changes_in(seconds: float) -> float:
    """Seconds until :func:`age` of ``seconds`` reads differently (so a shown age can advance
    exactly when its text does, and never redraw in between)."""
    if seconds < 0:
        return -seconds
    for unit in (1.0, 60.0, 3600.0, 86400.0):
        if seconds < unit * (60 if unit < 3600 else 24 if unit == 3600 else float("inf")):
            return unit - (seconds + unit / 2) % unit + 0.01  # the rounding point of `age`
    return 86400.0  # pragma: no cover


def duration_ms(ms: float) -> str:
    return f"{ms:.0f} ms" if ms < 1000 else f"{ms / 1000:.1f} s"


def _two_figures(x: float, unit: str, big_unit: str) -> str:
    """``x`` to two significant figures from 100 on, past 995 in thousands (``big_unit``): the
    rounding points of :func:`latency` and :func:`rate`, kept in one place so they never drift."""
    if x < 99.5:
        return f"{x:.0f}{unit}"
    if x < 995:
        return f"{round(x, -1):.0f}{unit}"
    if x < 9950:
        return f"{x / 1000:.1f}{big_unit}"
    return f"{x / 1000:.0f}{big_unit}"


def latency(ms: float) -> str:
    """``8 ms``, ``45 ms``, ``330 ms``, ``1.2 s``, ``12 s``: two significant figures. A live
    percentile moves between neighbouring histogram bins (327, 334 ms) from one read to the
    next: a third digit is noise to the operator, and shown, it redraws the figure."""
    return _two_figures(ms, " ms", " s")


def rate(per_min: float) -> str:
    """``7``, ``780``, ``2.1k``, ``54k``: two significant figures from 100 on. A rate over a
    sliding window moves in its third digit on every record: that digit is noise, and shown,
    it would redraw the figure on every read."""
    return _two_figures(per_min, "", "k")


_BINARY_UNITS = ("B", "KiB", "MiB", "GiB", "TiB")


def size(n: float) -> str:
    """``512 B``, ``48.8 KiB``, ``3.2 MiB``: powers of 1024, so binary (IEC) units, everywhere."""
    for unit in _BINARY_UNITS:
        if abs(n) < 1024 or unit == _BINARY_UNITS[-1]:
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    raise AssertionError("unreachable")  # pragma: no cover


def clock(ts: float, fmt: str = "%Y-%m-%d %H:%M:%S", *, utc: bool = False) -> str:
    """A timestamp from a file as a date or time; ``?`` for one no calendar holds (``1e308``, inf,
    nan: a hostile or torn record must not stop the screen or the command showing it)."""
    try:
        return time.strftime(fmt, time.gmtime(ts) if utc else time.localtime(ts))
    except (OverflowError, OSError, ValueError, TypeError):
        return "?"
