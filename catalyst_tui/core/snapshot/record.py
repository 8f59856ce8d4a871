"""The record of one applied snapshot: the pointer's content (``CURRENT``), each history ref
and the mirror's high-water mark (``HIGH``)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import orjson

from catalyst_tui.core.snapshot.manifest import HEX64, MANIFEST_VERSION, SnapshotError

GEN_RE = re.compile(r"[0-9a-f]{16,64}")


@dataclass(frozen=True)
class Record:
    id: str
    generation: str
    seq: int
    created: float
    files: int
    size: int

    def to_json(self) -> dict[str, Any]:
        return {"created": self.created, "files": self.files, "generation": self.generation, "id": self.id,
                "seq": self.seq, "size": self.size, "version": MANIFEST_VERSION}

    @property
    def ref_name(self) -> str:
        return f"{self.generation}-{self.seq:012d}.json"

    @classmethod
    def parse(cls, data: bytes, source: str) -> Record:
        try:
            obj = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            raise SnapshotError(f"{source}: not JSON ({exc})") from None
        if not isinstance(obj, dict) or obj.get("version") != MANIFEST_VERSION:
            version = obj.get("version") if isinstance(obj, dict) else None
            raise SnapshotError(f"{source}: unknown record version {version!r}")
        try:
            rec = cls(str(obj["id"]), str(obj["generation"]), int(obj["seq"]), float(obj["created"]),
                      int(obj["files"]), int(obj["size"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise SnapshotError(f"{source}: bad record ({exc})") from None
        if not HEX64.fullmatch(rec.id) or not GEN_RE.fullmatch(rec.generation) or rec.seq < 1:
            raise SnapshotError(f"{source}: bad record (id, generation or seq)")
        return rec
