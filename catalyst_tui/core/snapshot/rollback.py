"""Rollback: the mirror and every reader keep the highest (generation, seq) they have seen.

* **The mirror** keeps ``HIGH``, the record of the highest snapshot ever committed (written
  under the commit lock after each pointer switch) beside its ``refs/`` history. A ``CURRENT``
  below ``HIGH`` or below a ref of its own generation has been rolled back (the pointer
  replaced by an older, valid record): readers refuse it and the next commit says so.
* **Readers** (``snapshot verify``, ``snapshot restore``, ``--from-mirror``) remember per mirror
  the highest (generation, seq, id) they have seen, in the user's state directory
  (``$XDG_STATE_HOME/catalyst-tui/mirrors-seen.json``). A lower sequence of a generation they
  have seen, or a seen sequence with another id, is refused unless ``--accept-rollback``
  (which also resets what the reader remembers to that record).
* **Healing** (a forged pointer must not block the real hub forever): a sequence number is only
  ever issued by the hub of its generation. The hub accepts the claims it could have made: up
  to the highest number it ever reserved, plus one (a clone of its lineage that won a race;
  each refused push reserves one more number, so such a claim is passed by the next push).
  When the mirror claims (in ``CURRENT``, ``HIGH`` or a ref) a sequence of the pushing hub's
  generation above that, the claim is forged: the hub's push replaces it and says so
  (``healed`` in the push result), the forged refs are removed and ``HIGH`` is reset to the
  hub's record. A hub pushing an unchanged workspace first checks
  the mirror (its pointer is the hub's last record, ``HIGH`` agrees, every object verifies);
  anything else is repaired by a new push, never a no-op.

No signature is involved: a writer who can rewrite the whole mirror consistently is not
stopped, only an old pointer put back (by a restore of the mirror's directory, a tool, a
hand) or a pointer whose sequence does not follow is caught.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Protocol

import orjson

from catalyst_tui.core import storage
from catalyst_tui.core.snapshot.manifest import SnapshotError, canonical
from catalyst_tui.core.snapshot.record import Record
from catalyst_tui.core.snapshot.targets import Target

HIGH = "HIGH"
SEEN_NAME = "mirrors-seen.json"
ACCEPT_HINT = "pass --accept-rollback to accept it"


class Mirror(Protocol):  # what of mirror.Mirror this module reads (that module uses this one)
    target: Target

    def current(self) -> Record | None: ...

    def history(self) -> list[Record]: ...


class RollbackRefused(SnapshotError):
    """A reader met a mirror whose pointer went back; nothing was read or written."""


def read_high(mirror: Mirror) -> Record | None:
    try:
        return Record.parse(mirror.target.read(HIGH), f"{mirror.target.url}/{HIGH}")
    except (FileNotFoundError, SnapshotError):
        return None  # absent (an older mirror) or unreadable: the refs still tell


def write_high(mirror: Mirror, record: Record) -> None:
    mirror.target.write_bytes(HIGH, canonical(record.to_json()))


def committed_top(mirror: Mirror, generation: str) -> Record | None:
    """The highest record of ``generation`` the mirror has committed (``HIGH`` and ``refs/``)."""
    best: Record | None = None
    high = read_high(mirror)
    for rec in [*mirror.history(), *([high] if high is not None else [])]:
        if rec.generation == generation and (best is None or rec.seq > best.seq):
            best = rec
    return best


def mirror_rollback(mirror: Mirror, cur: Record) -> str | None:
    """Why ``cur`` (the mirror's pointer) is a rollback by the mirror's own records, else None."""
    top = committed_top(mirror, cur.generation)
    if top is not None and top.seq > cur.seq:
        with contextlib.suppress(SnapshotError):
            if mirror.current() != cur:
                return None  # the pointer moved on while the records were read: a commit, not a rollback
        return (f"{mirror.target.url}: rollback: CURRENT is seq {cur.seq} ({cur.id[:12]}) of generation "
                f"{cur.generation[:12]} but the mirror committed seq {top.seq} ({top.id[:12]})")
    return None


def target_key(target: Target) -> str:
    """One name per mirror, whichever URL spelling reached it."""
    root = getattr(target, "root", None)
    if isinstance(root, Path):
        return f"file://{os.path.realpath(root)}"
    return target.url.split("?", 1)[0]


class Seen:
    """What this machine's readers have seen of each mirror (highest seq per generation)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def default(cls) -> Seen:
        base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
        return cls(Path(base) / "catalyst-tui" / SEEN_NAME)

    def _load(self) -> dict[str, dict[str, list[object]]]:
        with contextlib.suppress(OSError, orjson.JSONDecodeError):
            data = orjson.loads(storage.read_bytes(self.path, "record", follow=False))
            if isinstance(data, dict):
                return {k: v for k, v in data.items() if isinstance(v, dict)}
        return {}

    def problem(self, target: Target, rec: Record) -> str | None:
        seen = self._load().get(target_key(target), {}).get(rec.generation)
        if not isinstance(seen, list) or len(seen) != 2 or not isinstance(seen[0], int):
            return None
        seq, sid = seen[0], str(seen[1])
        if rec.seq < seq:
            return (f"{target.url}: rollback: CURRENT is seq {rec.seq} ({rec.id[:12]}) of generation "
                    f"{rec.generation[:12]} but this machine has already read seq {seq} ({sid[:12]}) there")
        if rec.seq == seq and rec.id != sid:
            return (f"{target.url}: seq {seq} of generation {rec.generation[:12]} is now snapshot {rec.id[:12]}, "
                    f"was {sid[:12]} when this machine read it: the pointer was replaced")
        return None

    def remember(self, target: Target, rec: Record, *, reset: bool = False) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with storage.locked(storage.lock_path_for(self.path)):
            data = self._load()
            mine = data.setdefault(target_key(target), {})
            old = mine.get(rec.generation)
            if reset or not isinstance(old, list) or not old or not isinstance(old[0], int) or rec.seq > old[0]:
                mine[rec.generation] = [rec.seq, rec.id]
                storage.atomic_write_bytes(self.path, canonical(data))


def guard(mirror: Mirror, rec: Record, seen: Seen | None, *, accept: bool) -> list[str]:
    """Refuse (``RollbackRefused``) a rolled-back pointer unless ``accept``; returns the
    accepted problems (to print as warnings) and remembers ``rec`` as seen."""
    problems = [p for p in (mirror_rollback(mirror, rec), seen.problem(mirror.target, rec) if seen else None) if p]
    if problems and not accept:
        raise RollbackRefused(f"{problems[0]}; refused ({ACCEPT_HINT})")
    if seen is not None:
        seen.remember(mirror.target, rec, reset=bool(problems))
    return problems
