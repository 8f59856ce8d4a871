"""Changing the port map: ``suggest`` the next free port of a class, ``add`` a documented row.

``add_port`` holds PORTS.md's filelock (``PORTS.md.lock`` beside it) for the whole
read-validate-write cycle and rewrites the file atomically (temp + fsync + os.replace + fsync
dir): every byte outside the new row is kept (CRLF line endings, a BOM, a form feed in a cell), and
the new row takes its neighbour's line ending and its table's pipe style.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from catalyst_tui.core import storage
from catalyst_tui.core.errors import CatalystError
from catalyst_tui.core.ports.markdown import BOM, split_lines, split_row
from catalyst_tui.core.ports.registry import (
    HUB_OWNER,
    MAX_CELL,
    PORT_MAX,
    PORT_MIN,
    PROTOCOL_ALIASES,
    Band,
    PortsDoc,
    TableSpan,
    parse_ports_md,
    read_ports_text,
)
from catalyst_tui.core.ports.scan import ScanResult


class PortsEditError(CatalystError):
    """A refused ``ports add`` / ``ports suggest``: the message says why, in one line."""


@dataclass(frozen=True, slots=True)
class Added:
    port: int
    line: int  # the new row's line number in PORTS.md


def _band_or_fail(doc: PortsDoc, cls: str) -> Band:
    band = doc.band_of_class(cls)
    if band is None:
        known = ", ".join(f"{b.cls} ({b.lo}-{b.hi})" for b in doc.bands) or "none"
        raise PortsEditError(f"{doc.source}: unknown class {cls[:40]!r} (bands: {known})")
    return band


def suggest(doc: PortsDoc, scan: ScanResult | None, cls: str) -> int:
    """The lowest port of ``cls``'s band that is neither documented nor listening (any protocol),
    and not in the kernel's ephemeral range."""
    band = _band_or_fail(doc, cls)
    taken = {e.port for e in doc.entries} | (scan.ports() if scan is not None else set())
    eph = doc.ephemeral
    for port in range(band.lo, band.hi + 1):
        if port in taken or (eph is not None and eph[0] <= port <= eph[1]):
            continue
        return port
    raise PortsEditError(f"band {band.label} is full: every port is documented, listening or ephemeral")


def _cell(text: str, what: str) -> str:
    text = text.strip()
    if any(not ch.isprintable() for ch in text):
        raise PortsEditError(f"{what}: control characters and line breaks are not allowed")
    if len(text) > MAX_CELL:
        raise PortsEditError(f"{what}: longer than {MAX_CELL} characters")
    return text.replace("|", "\\|")


def _target_table(doc: PortsDoc, cls: str) -> TableSpan:
    tables = [t for t in doc.tables if t.kind == "ports"]
    same = [t for t in tables if cls in t.classes]
    return (same or tables)[-1]


def _insert_at(doc: PortsDoc, table: TableSpan, port: int) -> int:
    """The 0-based line index to insert the new row at: keeps an ascending table ascending."""
    rows = [e for e in doc.entries if table.header_line < e.line <= table.last_line]
    before = [e for e in rows if e.port < port]
    if before:
        return max(e.line for e in before)  # line numbers are 1-based: this is "just after"
    if rows:
        return min(e.line for e in rows) - 1
    return table.last_line


def _eol_of(lines: list[str], at: int) -> str:
    """The line ending of the row's neighbour (else the file's first): a CRLF file stays CRLF."""
    for line in (lines[at - 1] if at > 0 else "", *lines):
        for eol in ("\r\n", "\n", "\r"):
            if line.endswith(eol):
                return eol
    return "\n"


def add_port(path: Path, port: int, service: str, cls: str, owner: str, protocol: str = "tcp", notes: str = "",
             process: str = "", agents: list[str] | None = None,
             ephemeral: tuple[int, int] | bool | None = True,
             lock_timeout: float = storage.DEFAULT_LOCK_TIMEOUT) -> Added:
    """Add one row to PORTS.md, validated, under the file's lock, atomically."""
    path = Path(path)
    proto = protocol.strip().lower()
    if proto not in PROTOCOL_ALIASES:
        raise PortsEditError(f"protocol {protocol[:20]!r} is not tcp, udp or tcp/udp")
    if not PORT_MIN <= port <= PORT_MAX:
        raise PortsEditError(f"port {port} is out of range ({PORT_MIN}-{PORT_MAX})")
    owner = owner.strip().lower()
    if owner != HUB_OWNER and (agents is None or owner not in agents):
        raise PortsEditError(f"owner {owner[:40]!r} is neither 'hub' nor a known agent"
                             + (f" (agents: {', '.join(agents)})" if agents else ""))
    cls = cls.strip().lower()
    service = _cell(service, "service")
    if not service:
        raise PortsEditError("service: must not be empty")
    notes, process = _cell(notes, "notes"), _cell(process, "process")
    with storage.locked(storage.lock_path_for(path), lock_timeout):
        text = read_ports_text(path)
        doc = parse_ports_md(text, str(path), agents, ephemeral)
        if doc.errors:
            first = doc.errors[0]
            raise PortsEditError(f"{first.render(str(path))} (fix PORTS.md before adding to it)")
        band = _band_or_fail(doc, cls)
        if port not in band:
            raise PortsEditError(f"port {port} is outside the {cls} band {band.lo}-{band.hi} "
                                 f"(try `catalyst-tui ports suggest {cls}`)")
        for e in doc.entries_for(port):
            if set(e.protocols) & set(PROTOCOL_ALIASES[proto]):
                raise PortsEditError(f"port {port}/{proto} is already documented on line {e.line} ({e.service})")
        eph = doc.ephemeral
        if eph is not None and eph[0] <= port <= eph[1]:
            raise PortsEditError(f"port {port} is in the kernel's ephemeral range {eph[0]}-{eph[1]}")
        table = _target_table(doc, cls)
        lines = split_lines(text, keepends=True)
        header_line = lines[table.header_line - 1].removeprefix(BOM)
        header = [c.lower().strip("`").strip() for c in split_row(header_line) or []]
        values = {"port": str(port), "protocol": proto, "service": service, "class": cls, "owner": owner,
                  "notes": notes, "process": process}
        cells = [values.get(h, "") for h in header]
        row = " | ".join(cells)
        # the table's own style: outer pipes or none (an empty last cell needs the closing pipe)
        if header_line.lstrip(" \t").startswith("|") or not cells[-1]:
            row = f"| {row} |"
        at = _insert_at(doc, table, port)
        eol = _eol_of(lines, at)
        if at > 0 and not lines[at - 1].endswith(("\n", "\r")):
            lines[at - 1] += eol
        lines.insert(at, row + eol)
        new_text = "".join(lines)
        check = parse_ports_md(new_text, str(path), agents, ephemeral)
        if len(check.entries) != len(doc.entries) + 1 or check.errors or not check.entries_for(port):
            raise PortsEditError(f"{path}: the new row would not parse back; nothing written")
        storage.atomic_write_bytes(path, new_text.encode("utf-8"))
    return Added(port, at + 1)
