"""PORTS.md against reality: one status per documented or in-band listening port.

Statuses, worst first (the order "problems first" sorts by):

* ``conflict``     two documented rows for the port, or two unrelated processes listening on it
* ``wrong band``   documented in a class whose band does not hold the port, or a listener that looks
  like a documented service sitting in another class's band
* ``wrong owner``  the listening process does not look like the documented service
* ``down``         documented, nothing listening
* ``undocumented`` listening inside a band, not in PORTS.md
* ``up``           documented and listening (possibly "owner unknown" when the OS hides the process)

Listeners outside every band (sshd on 22, a browser's ephemeral port) are not judged; they are
counted in ``PortsReport.unbanded``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from catalyst_tui.core.health import SharedProblem
from catalyst_tui.core.ports.registry import HUB_OWNER, Band, PortEntry, PortsDoc, Problem
from catalyst_tui.core.ports.scan import OWNER_UNKNOWN, Listener, ScanResult, process_roots

SOURCE = "ports"
_NON_ALNUM = re.compile(r"[^a-z0-9]+")


class PortStatus(StrEnum):
    CONFLICT = "conflict"
    WRONG_BAND = "wrong band"
    WRONG_OWNER = "wrong owner"
    DOWN = "down"
    UNDOCUMENTED = "undocumented"
    UP = "up"

    @property
    def rank(self) -> int:
        return _RANK[self]

    @property
    def is_problem(self) -> bool:
        return self is not PortStatus.UP


_RANK = {s: i for i, s in enumerate(PortStatus)}


@dataclass(slots=True)
class PortRow:
    port: int
    protocol: str
    band: Band | None  # the band the port number falls in
    entries: list[PortEntry]
    listeners: list[Listener]
    status: PortStatus = PortStatus.UP
    reasons: list[str] = field(default_factory=list)
    agent: str | None = None  # the owning agent, where known
    owner: str | None = None  # "hub", an agent name, or None (undocumented)

    @property
    def service(self) -> str:
        return self.entries[0].service if self.entries else ""

    @property
    def owner_known(self) -> bool:
        return any(lst.owner_known for lst in self.listeners)

    @property
    def process_label(self) -> str:
        """``name (pid)`` of the listening processes, or "owner unknown"; "-" when nothing listens."""
        if not self.listeners:
            return "-"
        seen: dict[int | None, str] = {}
        for lst in self.listeners:
            if lst.pid not in seen:
                seen[lst.pid] = (f"{lst.process.name} ({lst.pid})" if lst.owner_known and lst.process
                                 else lst.owner_note or OWNER_UNKNOWN)
        return ", ".join(seen.values())

    @property
    def band_label(self) -> str:
        return self.band.label if self.band else "no band"

    def escalate(self, status: PortStatus, reason: str) -> None:
        if status.rank < self.status.rank:
            self.status = status
        self.reasons.append(reason)

    def to_json(self) -> dict[str, object]:
        return {"port": self.port, "protocol": self.protocol, "status": self.status.value,
                "band": self.band.cls if self.band else None, "service": self.service, "owner": self.owner,
                "agent": self.agent, "reasons": list(self.reasons), "documented": [e.to_json() for e in self.entries],
                "listeners": [lst.to_json() for lst in self.listeners]}


@dataclass(slots=True)
class PortsReport:
    source: str
    doc: PortsDoc
    scan: ScanResult
    rows: list[PortRow]
    unbanded: int = 0

    @property
    def parse_problems(self) -> list[Problem]:
        return self.doc.problems

    @property
    def problem_rows(self) -> list[PortRow]:
        return [r for r in self.rows if r.status.is_problem]

    @property
    def ok(self) -> bool:
        return not self.problem_rows and not self.doc.problems and self.scan.error is None

    @property
    def exit_code(self) -> int:
        """0 all well, 1 any problem, 2 PORTS.md could not be parsed (a row could not be read)."""
        return 2 if self.doc.errors else 0 if self.ok else 1

    def shared_problems(self) -> list[SharedProblem]:
        """For the triage line. A hub-owned port affects every tenant (``agents=None``); an agent's
        port affects that agent; an undocumented listener with no known agent affects none (``()``)."""
        out: list[SharedProblem] = []
        for r in self.problem_rows:
            who = f"{r.owner} port" if r.owner == HUB_OWNER else f"{r.agent}'s port" if r.agent else "port"
            svc = f" ({r.service})" if r.service else ""
            agents = None if r.owner == HUB_OWNER else (r.agent,) if r.agent else ()
            out.append(SharedProblem(SOURCE, f"{who} {r.port}/{r.protocol}{svc} {r.status.value}", agents))
        for p in self.doc.problems:
            out.append(SharedProblem(SOURCE, f"{Path(self.source).name} line {p.line}: {p.message}", ()))
        if self.scan.error:
            out.append(SharedProblem(SOURCE, f"port scan failed: {self.scan.error}", ()))
        return out

    def to_json(self) -> dict[str, object]:
        return {"source": self.source, "ok": self.ok, "exit_code": self.exit_code,
                "problems": sum(1 for _ in self.problem_rows) + len(self.doc.problems),
                "parse_problems": [p.to_json() for p in self.doc.problems],
                "ports": [r.to_json() for r in self.rows], "unbanded_listeners": self.unbanded,
                "ephemeral_range": list(self.doc.ephemeral) if self.doc.ephemeral else None,
                "scan": {"taken_at": self.scan.taken_at, "duration_s": self.scan.duration_s,
                         "listeners": len(self.scan.listeners), "error": self.scan.error}}


def _norm(text: str) -> str:
    return _NON_ALNUM.sub("", text.lower())


def guess_agent(listeners: list[Listener], agents: list[str]) -> str | None:
    """An undocumented listener's agent, from ``agents/<name>`` in its command line."""
    for lst in listeners:
        if lst.process is None:
            continue
        cmd = lst.process.command
        for name in agents:
            if f"agents/{name}/" in cmd or cmd.endswith(f"agents/{name}"):
                return name
    return None


def _describe_pids(listeners: list[Listener]) -> str:
    return ", ".join(sorted({f"pid {lst.pid} ({lst.process.name if lst.owner_known and lst.process else '?'})"
                             for lst in listeners if lst.pid is not None}))


def _judge_documented(row: PortRow, doc: PortsDoc, matcher: _Matcher) -> None:
    entries = row.entries
    first = entries[0]
    row.owner, row.agent = first.owner, first.agent
    if len(entries) > 1:
        row.escalate(PortStatus.CONFLICT, "documented twice: " + "; ".join(
            f"line {e.line} {e.service} ({e.owner})" for e in entries))
    if len(process_roots(row.listeners)) > 1:
        row.escalate(PortStatus.CONFLICT, f"{len(process_roots(row.listeners))} processes listen: "
                     + _describe_pids(row.listeners))
    band = doc.band_of_class(first.cls)
    if band is not None and row.port not in band:
        where = f"in band {row.band.label}" if row.band else "in no band"
        row.escalate(PortStatus.WRONG_BAND, f"class {first.cls} is {band.lo}-{band.hi}, the port is {where}")
    if not row.listeners:
        row.escalate(PortStatus.DOWN, "nothing listening")
        return
    verdicts = [matcher.looks_like(first, lst) for lst in row.listeners]
    if any(v is False for v in verdicts) and not any(v is True for v in verdicts):
        want = first.process or first.service
        row.escalate(PortStatus.WRONG_OWNER, f"{_describe_pids(row.listeners)} does not look like {want!r}")
    if all(v is None for v in verdicts):
        row.reasons.append(OWNER_UNKNOWN)


class _Matcher:
    """Which documented entries a process looks like, computed once per process (a scan may
    show one process on hundreds of ports)."""

    def __init__(self, entries: list[PortEntry]) -> None:
        self.wants = [(e, _norm(e.process or e.service)) for e in entries]
        self.hay: dict[int | None, str] = {}
        self.cache: dict[int | None, dict[str, PortEntry]] = {}

    def haystack(self, lst: Listener) -> str | None:
        proc = lst.process
        if proc is None or proc.name is None:
            return None
        if lst.pid not in self.hay:
            self.hay[lst.pid] = _norm(proc.name + " " + proc.command)
        return self.hay[lst.pid]

    def looks_like(self, entry: PortEntry, lst: Listener) -> bool | None:
        hay = self.haystack(lst)
        if hay is None:
            return None
        want = _norm(entry.process or entry.service)
        return bool(want) and want in hay

    def matches(self, lst: Listener) -> dict[str, PortEntry]:
        """The first documented entry of each class this listener's process looks like."""
        hay = self.haystack(lst)
        if hay is None:
            return {}
        if lst.pid not in self.cache:
            found: dict[str, PortEntry] = {}
            for e, want in self.wants:
                if want and e.cls not in found and want in hay:
                    found[e.cls] = e
            self.cache[lst.pid] = found
        return self.cache[lst.pid]


def _judge_undocumented(row: PortRow, matcher: _Matcher, agents: list[str]) -> None:
    row.agent = guess_agent(row.listeners, agents)
    assert row.band is not None
    for lst in row.listeners:
        found = matcher.matches(lst)
        if row.band.cls in found:
            break  # it looks like a service of this very band: merely undocumented
        for cls, e in found.items():
            if cls != row.band.cls:
                row.escalate(PortStatus.WRONG_BAND, f"looks like {e.service} (class {e.cls}, documented on port "
                             f"{e.port}) but listens in band {row.band.label}")
                row.owner, row.agent = e.owner, e.agent
                return
    row.escalate(PortStatus.UNDOCUMENTED, f"listening in band {row.band.label}, not in PORTS.md")


def check(doc: PortsDoc, scan: ScanResult, agents: list[str] | None = None) -> PortsReport:
    """Every documented port and every in-band listener, with its status."""
    live = scan.by_port()
    rows: list[PortRow] = []
    documented: dict[tuple[int, str], list[PortEntry]] = {}
    for e in doc.entries:
        for proto in e.protocols:
            documented.setdefault((e.port, proto), []).append(e)
    matcher = _Matcher(doc.entries)
    for (port, proto), entries in sorted(documented.items()):
        row = PortRow(port, proto, doc.band_of_port(port), entries, live.get((port, proto), []))
        _judge_documented(row, doc, matcher)
        rows.append(row)
    unbanded = 0
    for (port, proto), listeners in sorted(live.items()):
        if (port, proto) in documented:
            continue
        band = doc.band_of_port(port)
        if band is None:
            unbanded += 1
            continue
        row = PortRow(port, proto, band, [], listeners)
        _judge_undocumented(row, matcher, agents or [])
        rows.append(row)
    rows.sort(key=sort_key)
    return PortsReport(doc.source, doc, scan, rows, unbanded)


def sort_key(row: PortRow) -> tuple[int, int, int, str]:
    """Problems first (worst first), then by port."""
    return (row.status.rank, row.port, 0 if row.protocol == "tcp" else 1, row.service)

