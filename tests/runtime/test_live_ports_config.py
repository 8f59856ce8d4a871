"""A live edit of ``[ports]`` reaches the next port scan even while PORTS.md stays as it was."""

from __future__ import annotations

from pathlib import Path

from rt_helpers import set_config

from catalyst_tui.core.ports import read_ephemeral_range
from catalyst_tui.core.runtime import Runtime
from catalyst_tui.core.runtime.events import PortsScanned
from catalyst_tui.core.workspace import Workspace


def test_an_edited_ephemeral_check_applies_at_the_next_scan_without_a_ports_md_change(tmp_path: Path) -> None:
    eph = read_ephemeral_range()
    assert eph is not None  # Linux: /proc/sys/net/ipv4/ip_local_port_range
    ws = Workspace.create(tmp_path / "ws")
    set_config(ws, "ports", ephemeral_check=False)
    ports_md = ws.root / ws.config.ports.file
    row = f"| {eph[0] + 7} | tcp | stray | hub | hub | | in the ephemeral range |\n"
    ports_md.write_text(ports_md.read_text() + row)
    ws = Workspace.open(ws.root)
    rt = Runtime(ws, kind="dashboard", role="viewer")
    scans: list[PortsScanned] = []
    rt.subscribe(lambda ev: scans.append(ev) if isinstance(ev, PortsScanned) else None)

    def ephemeral_problems() -> list[str]:
        rt.feeds.run_now(rt.feeds.jobs["ports"])
        report = scans[-1].report
        assert report is not None, scans[-1].error
        return [p.kind for p in report.parse_problems if p.kind == "ephemeral"]

    assert ephemeral_problems() == []
    set_config(ws, "ports", ephemeral_check=True)
    rt.reload_config()
    assert rt.ws.config.ports.ephemeral_check is True
    assert ephemeral_problems() == ["ephemeral"]  # applied live: not only once PORTS.md changes
