"""What a Textual ``Sparkline`` draws, as numbers: one bar level per column.

A panel hands a sparkline new data only when these levels change: a stream of records that
moves no bar on screen costs no redraw and sends nothing to the terminal. The arithmetic is
that of ``textual.renderables.sparkline.Sparkline`` (the data split into one bucket per column,
each column its bucket's max, scaled between the data's min and max onto eight steps per row);
tests/metrics/test_panel_redraw.py compares it with the renderable's own output, so a change
in Textual's drawing fails that test instead of freezing a bar.

``CompactSparkline`` is the same widget, sent to the terminal in fewer bytes: Textual draws
each bar as its own segment, and a partial screen update writes every segment with its own
colour code and reset (~25 bytes a cell); cells of one colour in a row are joined into one run
first (the same glyphs and colours on screen).
"""

from __future__ import annotations

from collections.abc import Sequence

from textual.strip import Strip
from textual.widgets import Sparkline

STEPS_PER_ROW = 8  # "▁▂▃▄▅▆▇█"
FULL = (-1,)  # one value: Textual draws every column full


def drawn_bars(data: Sequence[float], width: int, height: int) -> tuple[int, ...] | None:
    """The bar level of each column at ``width`` x ``height`` cells; None before the first layout.

    Two data series with the same levels draw the same glyphs (their colours follow the level).
    """
    if width <= 0 or height <= 0:
        return None
    n = len(data)
    if n == 0:
        return ()
    if n == 1:
        return FULL
    top = STEPS_PER_ROW * height - 1
    low, high = min(data), max(data)
    extent = high - low or 1
    # Textual cuts at int(Fraction(n, width) * i): for whole, non-negative numbers that is n * i // width
    buckets = [b for i in range(width) if (b := data[n * i // width:n * (i + 1) // width])]
    stride = len(buckets) / width
    levels = []
    at = 0.0
    for _ in range(width):
        ratio = (max(buckets[int(at)]) - low) / extent  # the same float steps as Textual's: same levels
        levels.append(int(ratio * top))
        at += stride
    return tuple(levels)


class CompactSparkline(Sparkline):
    """A ``Sparkline`` whose lines join neighbouring cells of the same style (fewer escapes)."""

    def render_line(self, y: int) -> Strip:
        return super().render_line(y).simplify()
