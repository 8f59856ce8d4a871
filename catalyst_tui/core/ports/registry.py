"""PORTS.md: the port registry, parsed into bands and documented ports (format: docs/ports.md).

The file is ordinary Markdown. Tables are recognised by their header row, not by headings:

* a **bands** table has the columns ``class`` and ``range`` (``3100-3199``), optionally ``description``;
* a **ports** table has ``port``, ``protocol``, ``service``, ``class`` and ``owner``, optionally
  ``notes`` and ``process`` (a substring expected in the listening process's name or command line;
  the service name is used when it is absent). There may be several ports tables (one per band).

Every problem carries the 1-based line number it was found on. ``error`` problems mean a row
could not be read at all (the file "cannot be parsed": ``ports check`` exits 2); ``warning``
problems are rows that read fine but contradict the rules (duplicates, a port outside its band,
overlapping bands, unknown classes or owners, a port in the kernel's ephemeral range).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from catalyst_tui.core import storage
from catalyst_tui.core.errors import CatalystError, os_reason
from catalyst_tui.core.names import is_valid_agent_name
from catalyst_tui.core.ports.markdown import ODD_CHARS, plain_cell, split_row, visible_lines

HUB_OWNER = "hub"
PROTOCOLS = ("tcp", "udp")
PROTOCOL_ALIASES = {"tcp": ("tcp",), "udp": ("udp",), "tcp/udp": ("tcp", "udp"), "tcp+udp": ("tcp", "udp"),
                    "udp/tcp": ("tcp", "udp"), "both": ("tcp", "udp")}
EPHEMERAL_RANGE_FILE = Path("/proc/sys/net/ipv4/ip_local_port_range")
PORT_MIN, PORT_MAX = 1, 65535
MAX_CELL = 200

BAND_REQUIRED = ("class", "range")
PORT_REQUIRED = ("port", "protocol", "service", "class", "owner")
_SEPARATOR_CELL = re.compile(r":?-{1,}:?")
_CLASS_RE = re.compile(r"[a-z][a-z0-9_-]{0,31}")
_RANGE_RE = re.compile(r"(\S+?)\s*(?:-|–|\.\.)\s*(\S+)")


class PortsFileError(CatalystError):
    """PORTS.md is missing or unreadable (``ports check`` exits 2)."""


@dataclass(frozen=True, slots=True)
class Problem:
    line: int
    kind: str  # malformed, bad-port, bad-band, duplicate, out-of-band, overlap, unknown-class, ...
    message: str
    severity: str = "warning"  # "error": the row could not be read
    port: int | None = None

    def render(self, source: str) -> str:
        return f"{source}:{self.line}: {self.message}"

    def to_json(self) -> dict[str, object]:
        return {"line": self.line, "kind": self.kind, "severity": self.severity, "message": self.message,
                "port": self.port}


@dataclass(frozen=True, slots=True)
class Band:
    cls: str
    lo: int
    hi: int
    description: str
    line: int

    def __contains__(self, port: object) -> bool:
        return isinstance(port, int) and self.lo <= port <= self.hi

    @property
    def label(self) -> str:
        return f"{self.cls} {self.lo}-{self.hi}"


@dataclass(frozen=True, slots=True)
class PortEntry:
    port: int
    protocols: tuple[str, ...]
    service: str
    cls: str
    owner: str  # "hub" or an agent name
    notes: str
    process: str  # expected substring of the process name / command line ("" -> the service name)
    line: int

    @property
    def agent(self) -> str | None:
        return None if self.owner == HUB_OWNER else self.owner

    def to_json(self) -> dict[str, object]:
        return {"port": self.port, "protocol": "/".join(self.protocols), "service": self.service,
                "class": self.cls, "owner": self.owner, "notes": self.notes, "line": self.line}


@dataclass(slots=True)
class TableSpan:
    kind: str  # "bands" or "ports"
    header_line: int
    last_line: int  # the last table line (header, separator or row)
    classes: set[str] = field(default_factory=set)


@dataclass(slots=True)
class PortsDoc:
    source: str
    bands: list[Band] = field(default_factory=list)
    entries: list[PortEntry] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    tables: list[TableSpan] = field(default_factory=list)
    ephemeral: tuple[int, int] | None = None

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    def band_of_class(self, cls: str) -> Band | None:
        return next((b for b in self.bands if b.cls == cls), None)

    def band_of_port(self, port: int) -> Band | None:
        return next((b for b in self.bands if port in b), None)

    def entries_for(self, port: int, protocol: str | None = None) -> list[PortEntry]:
        return [e for e in self.entries if e.port == port and (protocol is None or protocol in e.protocols)]


def read_ephemeral_range(path: Path = EPHEMERAL_RANGE_FILE) -> tuple[int, int] | None:
    """The kernel's ephemeral (client) port range, or None where the OS does not expose it."""
    try:
        lo_s, hi_s = path.read_text().split()[:2]
        lo, hi = int(lo_s), int(hi_s)
    except (OSError, ValueError):
        return None
    return (lo, hi) if PORT_MIN <= lo <= hi <= PORT_MAX else None


def parse_port_number(text: str) -> int | None:
    t = plain_cell(text)
    if not t.isascii() or not t.isdigit():
        return None
    return int(t)


class _Parser:
    def __init__(self, text: str, source: str, agents: list[str] | None, ephemeral: tuple[int, int] | None) -> None:
        self.doc = PortsDoc(source=source, ephemeral=ephemeral)
        self.lines = visible_lines(text)
        self.agents = set(agents) if agents is not None else None

    def problem(self, line: int, kind: str, message: str, severity: str = "warning", port: int | None = None) -> None:
        self.doc.problems.append(Problem(line, kind, message, severity, port))

    def _delimiter_at(self, i: int) -> bool:
        line = self.lines[i] if i < len(self.lines) else None
        cells = split_row(line) if line is not None else None
        return bool(cells) and all(_SEPARATOR_CELL.fullmatch(c) for c in cells or ())

    def run(self) -> PortsDoc:
        i = 0
        n = len(self.lines)
        while i < n:
            line = self.lines[i]
            header = split_row(line) if line is not None else None
            if line is None or header is None:
                i += 1
                continue
            names = [plain_cell(c).lower() for c in header]
            kind = ("bands" if all(c in names for c in BAND_REQUIRED) and "port" not in names
                    else "ports" if all(c in names for c in PORT_REQUIRED) else None)
            delimited = self._delimiter_at(i + 1)
            indented = line.startswith("\t") or len(line) - len(line.lstrip(" ")) >= 4  # a code block
            # a header is a row with a delimiter row below it (GFM), or a piped row naming our columns
            if indented:
                i += 1
                continue
            if not (delimited or (kind is not None and line.lstrip(" \t").startswith("|"))):
                self._stray(i + 1, header)
                i += 1
                continue
            start = i
            i += 2 if delimited else 1
            rows: list[tuple[int, list[str]]] = []
            while i < n and (row := self.lines[i]) is not None and (cells := split_row(row)) is not None:
                rows.append((i + 1, cells))
                i += 1
            if kind is None:
                continue  # a table of something else: free-form documentation
            span = TableSpan(kind, start + 1, i)
            self.doc.tables.append(span)
            for lineno, cells in rows:
                odd = next((m.group(0) for c in cells if (m := ODD_CHARS.search(c))), None)
                if odd is not None:
                    self.problem(lineno, "control-char", f"a cell holds the invisible character U+{ord(odd):04X} "
                                 "(it is no line break: the row is read with it)")
                if len(cells) != len(names):
                    self.problem(lineno, "malformed", f"malformed row: {len(cells)} cells, the header on line "
                                 f"{start + 1} has {len(names)}", "error")
                    continue
                row_map = dict(zip(names, cells, strict=True))
                if kind == "bands":
                    self._band(lineno, row_map)
                else:
                    self._port(lineno, row_map, span)
        if not any(t.kind == "ports" for t in self.doc.tables):
            self.problem(max(1, n), "no-table", "no ports table (a header with port | protocol | service | "
                         "class | owner)", "error")
        self._check_entries()
        return self.doc

    def _stray(self, lineno: int, cells: list[str]) -> None:
        """A row outside every table that reads like a documented port: nothing would read it."""
        port = parse_port_number(cells[0]) if cells else None
        proto = any(plain_cell(c).lower() in PROTOCOL_ALIASES for c in cells)
        if (port is not None and len(cells) >= 2) or (proto and len(cells) >= 3):
            self.problem(lineno, "stray-row", "a port row outside any ports table (a blank line, a code fence or "
                         "other text above it ends the table): it is not read", "error", port)

    def _band(self, lineno: int, row: dict[str, str]) -> None:
        cls = plain_cell(row["class"]).lower()
        if not _CLASS_RE.fullmatch(cls):
            self.problem(lineno, "bad-band", f"band class {row['class'][:40]!r} is not a simple name", "error")
            return
        m = _RANGE_RE.fullmatch(plain_cell(row["range"]))
        lo = parse_port_number(m.group(1)) if m else None
        hi = parse_port_number(m.group(2)) if m else None
        if lo is None or hi is None:
            self.problem(lineno, "bad-band", f"band {cls}: range {row['range'][:40]!r} is not LOW-HIGH", "error")
            return
        if not (PORT_MIN <= lo <= hi <= PORT_MAX):
            self.problem(lineno, "bad-band", f"band {cls}: range {lo}-{hi} is not within "
                         f"{PORT_MIN}-{PORT_MAX} with LOW <= HIGH", "error")
            return
        for b in self.doc.bands:
            if b.cls == cls:
                self.problem(lineno, "duplicate-band", f"band {cls} is already defined on line {b.line}")
                return
            if lo <= b.hi and b.lo <= hi:
                self.problem(lineno, "overlap", f"band {cls} {lo}-{hi} overlaps band {b.cls} {b.lo}-{b.hi} "
                             f"(line {b.line})")
        self.doc.bands.append(Band(cls, lo, hi, plain_cell(row.get("description", "")), lineno))

    def _port(self, lineno: int, row: dict[str, str], span: TableSpan) -> None:
        raw = plain_cell(row["port"])
        port = parse_port_number(raw)
        if port is None:
            self.problem(lineno, "bad-port", f"port {raw[:40]!r} is not a number", "error")
            return
        if not PORT_MIN <= port <= PORT_MAX:
            self.problem(lineno, "bad-port", f"port {port} is out of range ({PORT_MIN}-{PORT_MAX})", "error",
                         port)
            return
        proto = plain_cell(row["protocol"]).lower()
        if proto not in PROTOCOL_ALIASES:
            self.problem(lineno, "malformed", f"port {port}: protocol {proto[:20]!r} is not tcp, udp or tcp/udp",
                         "error", port)
            return
        service = plain_cell(row["service"])
        if not service or len(service) > MAX_CELL:
            self.problem(lineno, "malformed", f"port {port}: the service name is empty or too long", "error", port)
            return
        cls = plain_cell(row["class"]).lower()
        owner = plain_cell(row["owner"]).lower()
        entry = PortEntry(port, PROTOCOL_ALIASES[proto], service, cls, owner, plain_cell(row.get("notes", "")),
                          plain_cell(row.get("process", "")), lineno)
        self.doc.entries.append(entry)
        span.classes.add(cls)
        if owner != HUB_OWNER and (not is_valid_agent_name(owner)
                                   or (self.agents is not None and owner not in self.agents)):
            known = f" (agents: {', '.join(sorted(self.agents))})" if self.agents is not None else ""
            self.problem(lineno, "unknown-owner", f"port {port}: owner {owner[:40]!r} is neither 'hub' nor a "
                         f"known agent{known}", port=port)

    def _check_entries(self) -> None:
        classes = {b.cls: b for b in self.doc.bands}
        seen: dict[tuple[int, str], PortEntry] = {}
        eph = self.doc.ephemeral
        for e in self.doc.entries:
            for proto in e.protocols:
                first = seen.get((e.port, proto))
                if first is not None:
                    self.problem(e.line, "duplicate", f"port {e.port}/{proto} ({e.service}) is already documented "
                                 f"on line {first.line} ({first.service})", port=e.port)
                    break
            for proto in e.protocols:
                seen.setdefault((e.port, proto), e)
            band = classes.get(e.cls)
            if band is None:
                self.problem(e.line, "unknown-class", f"port {e.port}: class {e.cls[:40]!r} has no band "
                             f"(bands: {', '.join(sorted(classes)) or 'none'})", port=e.port)
            elif e.port not in band:
                self.problem(e.line, "out-of-band", f"port {e.port} is outside its class band {band.label}",
                             port=e.port)
            if eph is not None and eph[0] <= e.port <= eph[1]:
                self.problem(e.line, "ephemeral", f"port {e.port} is in the kernel's ephemeral range "
                             f"{eph[0]}-{eph[1]}: a client socket may take it first", port=e.port)


def parse_ports_md(text: str, source: str = "PORTS.md", agents: list[str] | None = None,
                   ephemeral: tuple[int, int] | bool | None = True) -> PortsDoc:
    """Parse PORTS.md text. ``agents``: the known agent names (None: any valid name is accepted).
    ``ephemeral``: True reads the kernel's range, None/False skips the check, or an explicit range."""
    eph = read_ephemeral_range() if ephemeral is True else (ephemeral or None)
    return _Parser(text, source, agents, eph).run()


def read_ports_text(path: Path) -> str:
    """The file's text exactly (line endings and a BOM kept: ``ports add`` writes them back)."""
    try:
        # never blocks, capped; a symlink is not followed (the file is the workspace's own)
        return storage.read_bytes(path, "ports", follow=False).decode("utf-8")
    except FileNotFoundError:
        raise PortsFileError(f"{path}: not found") from None
    except UnicodeDecodeError as exc:
        raise PortsFileError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise PortsFileError(f"{path}: cannot read: {os_reason(exc)}") from None


def load_ports_md(path: Path, agents: list[str] | None = None,
                  ephemeral: tuple[int, int] | bool | None = True) -> PortsDoc:
    return parse_ports_md(read_ports_text(path), str(path), agents, ephemeral)
