"""Where a terminal's bytes go: a stream recorded with timestamps, split by second and by the
screen row the bytes were written to (the row of the last cursor position, ``ESC [ row ; col H``).

Used by ``bench_watch.py --trace DIR``: it writes the raw stream (``ssh.raw``, ``ssh.times``)
and prints, for the load window, bytes per second and the rows that took them, with the text
last written to each row, so a heavy second can be read rather than guessed at.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

CUP = re.compile(rb"\x1b\[(\d+);(\d+)H")


class Trace:
    def __init__(self) -> None:
        self.chunks: list[tuple[float, bytes]] = []

    def add(self, t: float, data: bytes) -> None:
        self.chunks.append((t, data))

    def save(self, where: Path, name: str) -> None:
        where.mkdir(parents=True, exist_ok=True)
        (where / f"{name}.raw").write_bytes(b"".join(d for _, d in self.chunks))
        (where / f"{name}.times").write_text("".join(f"{t:.4f} {len(d)}\n" for t, d in self.chunks))

    def window(self, start: float, end: float) -> list[tuple[float, bytes]]:
        return [(t - start, d) for t, d in self.chunks if start <= t < end]


def by_row(chunks: Iterable[tuple[float, bytes]]) -> Counter[int]:
    """Bytes per screen row (1-based; 0: before any positioning)."""
    counts: Counter[int] = Counter()
    row = 0
    for _, data in chunks:
        pos = 0
        for m in CUP.finditer(data):
            counts[row] += m.start() - pos
            row, pos = int(m.group(1)), m.start()
        counts[row] += len(data) - pos
    return counts


def report(trace: Trace, start: float, seconds: int, slices: tuple[tuple[int, int], ...]) -> str:
    """Bytes per second over the window from ``start``, then per row for each (start, end) slice
    in seconds, with the row's text as it stood at the slice's end."""
    chunks = trace.window(start, start + seconds)
    per_s: Counter[int] = Counter()
    for t, d in chunks:
        per_s[int(t)] += len(d)
    lines = ["bytes per second: " + " ".join(f"{per_s.get(s, 0)}" for s in range(seconds))]
    for a, b in slices:
        part = [(t, d) for t, d in chunks if a <= t < b]
        screen = Screen()
        for t, d in trace.chunks:
            if t < start + b:
                screen.feed(d)
        counts = by_row(part)
        total = sum(counts.values())
        lines.append(f"seconds {a}-{b}: {total} B ({total / max(1, b - a):.0f} B/s); by row:")
        for row, n in sorted(counts.items(), key=lambda kv: -kv[1])[:12]:
            lines.append(f"  row {row:2d}: {n:6d} B  {screen.row(row - 1)[:72] if row else ''!r}")
    return "\n".join(lines)


TOKEN = re.compile(rb"\x1b\[([0-9;?]*)([A-Za-z])|\x1b[()][0-9A-Za-z]|\x1b[=>78]|\x1b\][^\x07]*\x07|([\r\n\x08])|"
                   rb"([^\x1b\r\n\x08]+)")


class Screen:
    """Just enough of a terminal to read what Textual draws: cursor moves, text, nothing else
    (colours and modes are skipped: a row's characters are what an operator reads)."""

    def __init__(self, rows: int = 24, cols: int = 80) -> None:
        self.rows, self.cols = rows, cols
        self.cells = [[" "] * cols for _ in range(rows)]
        self.y = self.x = 0
        self._carry = b""  # an escape sequence cut by the end of a read, kept for the next

    def feed(self, data: bytes) -> set[int]:
        """Apply ``data``; the rows it wrote to (0-based)."""
        touched: set[int] = set()
        data, self._carry = self._carry + data, b""
        cut = data.rfind(b"\x1b")
        if cut >= 0 and not re.match(rb"\x1b(\[[0-9;?]*[A-Za-z]|[()][0-9A-Za-z]|[=>78]|\][^\x07]*\x07)", data[cut:]):
            data, self._carry = data[:cut], data[cut:]
        for m in TOKEN.finditer(data):
            if m.group(2):
                if m.group(2) == b"H":
                    parts = (m.group(1) or b"1;1").split(b";")
                    self.y = min(self.rows - 1, int(parts[0] or 1) - 1)
                    self.x = min(self.cols - 1, int(parts[1] or 1) - 1 if len(parts) > 1 else 0)
            elif m.group(3):
                if m.group(3) == b"\r":
                    self.x = 0
                elif m.group(3) == b"\n":
                    self.y = min(self.rows - 1, self.y + 1)
            elif m.group(4):
                for ch in m.group(4).decode("utf-8", "replace"):
                    if self.x < self.cols:
                        self.cells[self.y][self.x] = ch
                        touched.add(self.y)
                    self.x += 1
        return touched

    def row(self, y: int) -> str:
        return "".join(self.cells[y]).rstrip()


def changes(chunks: list[tuple[float, bytes]]) -> list[tuple[float, int, int, str, str]]:
    """(time, bytes, row, before, after) for every chunk and row it wrote to, in order."""
    screen = Screen()
    out = []
    for t, data in chunks:
        before = [screen.row(y) for y in range(screen.rows)]
        for y in sorted(screen.feed(data)):
            out.append((t, len(data), y + 1, before[y], screen.row(y)))
    return out
