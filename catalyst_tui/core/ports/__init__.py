"""The port registry: PORTS.md parsed (registry), the live listeners (scan), the two compared
(check) and rows added with the file's own formatting kept (edit).

A lazy face (core/faces.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from catalyst_tui.core.faces import lazy_getattr

if TYPE_CHECKING:
    from catalyst_tui.core.ports.compare import PortRow, PortsReport, PortStatus, check
    from catalyst_tui.core.ports.edit import PortsEditError, add_port, suggest
    from catalyst_tui.core.ports.markdown import split_row
    from catalyst_tui.core.ports.registry import (
        PortsDoc,
        PortsFileError,
        load_ports_md,
        parse_ports_md,
        read_ephemeral_range,
    )
    from catalyst_tui.core.ports.scan import (
        OWNER_UNKNOWN,
        Listener,
        ListenerScanner,
        ProcessInfo,
        ScanResult,
        kernel_listener_signature,
        process_roots,
        scan_listeners,
    )

_WHERE = {
    "Listener": "scan",
    "ListenerScanner": "scan",
    "OWNER_UNKNOWN": "scan",
    "PortRow": "compare",
    "PortStatus": "compare",
    "PortsDoc": "registry",
    "PortsEditError": "edit",
    "PortsFileError": "registry",
    "PortsReport": "compare",
    "ProcessInfo": "scan",
    "ScanResult": "scan",
    "add_port": "edit",
    "check": "compare",
    "kernel_listener_signature": "scan",
    "load_ports_md": "registry",
    "parse_ports_md": "registry",
    "process_roots": "scan",
    "read_ephemeral_range": "registry",
    "scan_listeners": "scan",
    "split_row": "markdown",
    "suggest": "edit",
}
__all__ = [
    "OWNER_UNKNOWN",
    "Listener",
    "ListenerScanner",
    "PortRow",
    "PortStatus",
    "PortsDoc",
    "PortsEditError",
    "PortsFileError",
    "PortsReport",
    "ProcessInfo",
    "ScanResult",
    "add_port",
    "check",
    "kernel_listener_signature",
    "load_ports_md",
    "parse_ports_md",
    "process_roots",
    "read_ephemeral_range",
    "scan_listeners",
    "split_row",
    "suggest",
]


__getattr__ = lazy_getattr(__name__, _WHERE)
