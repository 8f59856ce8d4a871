"""Which tenants to read now: a quiet tenant at once, a streaming one at most every ``every_s``.

A tenant writing a hundred records a second changes its files on every window the change feed
delivers; reading and judging it (and every panel, message and frame that follows) each time
costs a share of a core for figures nobody can read that fast. So a tenant read less than
``every_s`` ago is *held* and read when that spell ends, with whatever it appended meanwhile
(the reader starts from saved offsets: nothing is lost, only grouped). A tenant not read for
``every_s`` is read at once: a lone write is never held, and neither is the first write of a
burst.

The price is bounded: a change is read at most ``every_s`` after it happened, so a streaming
tenant's health transition is seen up to ``every_s`` later (never a quiet tenant's); once read,
it is drawn at once as before.

Alignment: a read also takes along every held tenant due within ``align_s``, so tenants that
stream together are read together (one judgement, one message, one frame) rather than each at
its own phase. A tenant is then read at most ``every_s - align_s`` early, never late.

Time is passed in (``now``, monotonic seconds): the caller owns the clock, tests step it.
"""

from __future__ import annotations

from collections.abc import Iterable


class ReadPacer:
    def __init__(self, every_s: float, align_s: float | None = None) -> None:
        self.every_s = max(0.0, every_s)
        self.align_s = self.every_s / 2 if align_s is None else min(max(0.0, align_s), self.every_s)
        self._last: dict[str, float] = {}  # tenant -> when it was last read
        self._held: dict[str, float] = {}  # tenant -> when its held read is due

    @property
    def held(self) -> frozenset[str]:
        return frozenset(self._held)

    def take(self, changed: Iterable[str], now: float) -> set[str]:
        """The tenants to read now: those just ``changed`` that are quiet, and every held tenant
        whose read is due (or due within ``align_s`` when a read happens anyway)."""
        out: set[str] = set()
        for name in changed:
            if name in self._held:
                continue  # already waiting: its read comes at the due time it has
            last = self._last.get(name)
            if last is None or now - last >= self.every_s:
                out.add(name)
            else:
                self._held[name] = last + self.every_s
        if self._held and (out or min(self._held.values()) <= now):
            for name, due in list(self._held.items()):
                if due <= now + self.align_s:
                    out.add(name)
                    del self._held[name]
        for name in out:
            self._last[name] = now
        return out

    def read_all(self, names: Iterable[str], now: float) -> None:
        """Everything is read now (a queue overflow): nothing stays held."""
        for name in names:
            self._last[name] = now
        self._held.clear()

    def wait_s(self, now: float) -> float | None:
        """Seconds until a held read is due (None: nothing is held, wait for a change)."""
        if not self._held:
            return None
        return max(0.0, min(self._held.values()) - now)
