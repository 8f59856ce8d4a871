"""Files no janitor rule may touch: the shared and live state of the workspace.

The board index, its backup, lock and corrupt set-asides, the audit journal (and its sealed
segments with their summaries), ``catalyst.toml``, the ports file and its lock, every agent's
``state.json`` (and its lock), its live logs (``dispatch``, ``worklog``, ``chat``, ``history``
``.jsonl``; rotated ``chat-*.jsonl`` are not live), the per-agent card archives, and everything
under ``.catalyst/`` (the runtime's files, the janitor's own journal, reports and state). A rule
that matches one of them is never applied to it (the file is kept, with the reason), and the
conflict is reported each time the rules are loaded from ``catalyst.toml`` (in every run's
problems, and by ``janitor rules``-style readers of :func:`rule_conflicts`).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable

from catalyst_tui.core.janitor.rules import RuleSet

_PROTECTED: tuple[tuple[str, str], ...] = (
    (r"board/index\.json", "the shared board index"),
    (r"board/index\.json\.bak", "the index's last good copy"),
    (r"board/index\.json\.corrupt-.+", "a corrupt index kept for review"),
    (r"board/index\.lock", "the index lock"),
    (r"board/audit\.jsonl", "the audit journal"),
    (r"board/audit-\d{6,}\.jsonl?", "a sealed segment of the audit journal (or its summary)"),
    (r"catalyst\.toml(?:\.lock)?", "the workspace configuration"),
    (r"agents/[^/]+/state\.json(?:\.lock)?", "an agent's live state"),
    (r"agents/[^/]+/archive/.+", "an agent's card archive"),
    (r"agents/[^/]+/(?:dispatch|worklog|chat|history)\.jsonl", "an agent's live log"),
    (r"\.catalyst/.+", "the runtime's own files (journals, state, locks)"),
)
# one concrete path per protected kind, to test rules against (the patterns above are regexes)
_SAMPLES = ("board/index.json", "board/index.json.bak", "board/index.json.corrupt-1700000000-1",
            "board/index.lock", "board/audit.jsonl", "board/audit-000001.jsonl",
            "board/audit-000001.json", "catalyst.toml", ".catalyst/janitor/journal.jsonl",
            ".catalyst/janitor/run.lock", ".catalyst/snapshot-state.json", ".catalyst/app.log")


class Protected:
    def __init__(self, ports_file: str = "PORTS.md") -> None:
        extra = []
        if ports_file and not ports_file.startswith("/") and ".." not in ports_file.split("/"):
            # "./PORTS.md" and "docs//ports.md" name the file the walk calls PORTS.md, docs/ports.md
            ports_file = posixpath.normpath(ports_file)
            extra.append((re.escape(ports_file) + r"(?:\.lock)?", "the port registry"))
        self._kinds = [(re.compile(rx), why) for rx, why in (*_PROTECTED, *extra)]
        self.ports_file = ports_file

    def why(self, relpath: str) -> str | None:
        """Why ``relpath`` is protected, or None when rules may act on it."""
        for rx, why in self._kinds:
            if rx.fullmatch(relpath):
                return why
        return None

    def samples(self, agents: Iterable[str]) -> list[str]:
        out = [*_SAMPLES, self.ports_file, f"{self.ports_file}.lock"]
        for a in agents:
            out += [f"agents/{a}/state.json", f"agents/{a}/state.json.lock", f"agents/{a}/archive/cards-2026-01.jsonl",
                    *(f"agents/{a}/{log}.jsonl" for log in ("dispatch", "worklog", "chat", "history"))]
        return out


def rule_conflicts(rules: RuleSet, protected: Protected, agents: Iterable[str], source: str) -> list[str]:
    """One line per rule that would match a protected file (it is never applied there)."""
    out: list[str] = []
    seen: set[tuple[int, str]] = set()
    for path in protected.samples(agents):
        rule = rules.match(path)
        if rule is None:
            continue
        why = protected.why(path) or "protected"
        key = (rule.index, why)
        if key in seen:
            continue
        seen.add(key)
        out.append(f"{source}: [janitor] rule {rule.name!r} (pattern {rule.pattern!r}) matches {path} ({why}): "
                   "protected, never touched by any rule")
    return out
