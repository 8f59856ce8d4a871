"""``catalyst-tui ports check [--json] | suggest CLASS | add PORT SERVICE --class C --owner O``.

``ports check`` exits 0 when all is well, 1 when any port or PORTS.md row has a problem, and 2
when PORTS.md cannot be parsed (missing, unreadable, or a row that cannot be read): for cron and CI.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from catalyst_tui.cli.common import add_json_flag, add_workspace_arg, number, open_workspace, path, print_json, text
from catalyst_tui.core.errors import CatalystError
from catalyst_tui.core.ports import PortsFileError, PortsReport, add_port, check, load_ports_md, scan_listeners, suggest
from catalyst_tui.core.text import one_line, visible
from catalyst_tui.core.workspace import Workspace


def register(sub: argparse._SubParsersAction) -> None:
    ports = sub.add_parser("ports", help="the port map: check PORTS.md against live listeners, suggest, add")
    psub = ports.add_subparsers(dest="ports_command", metavar="ACTION", required=True)

    chk = psub.add_parser("check", help="statuses of every documented / in-band port (exit 0 ok, 1 problems, "
                          "2 PORTS.md unparsable)")
    add_workspace_arg(chk)
    add_json_flag(chk)
    chk.add_argument("--file", type=path, metavar="PATH", help="check this PORTS.md instead of the workspace's")
    chk.add_argument("--all", action="store_true", help="also list ports that are up")
    chk.set_defaults(func=run_check)

    sug = psub.add_parser("suggest", help="the next port of CLASS's band neither documented nor listening")
    add_workspace_arg(sug)
    sug.add_argument("cls", type=text, metavar="CLASS")
    sug.add_argument("--file", type=path, metavar="PATH", help="use this PORTS.md instead of the workspace's")
    sug.set_defaults(func=run_suggest)

    add = psub.add_parser("add", help="document a port in PORTS.md (validated, under its lock, atomically)")
    add_workspace_arg(add)
    add.add_argument("port", type=number(1, 65535, integer=True), metavar="PORT")
    add.add_argument("service", type=text, metavar="SERVICE")
    add.add_argument("--class", type=text, dest="cls", metavar="CLASS", required=True, help="the service class (band)")
    add.add_argument("--owner", type=text, metavar="OWNER", required=True, help="'hub' or an agent name")
    add.add_argument("--protocol", type=text, default="tcp", help="tcp (default), udp or tcp/udp")
    add.add_argument("--process", default="", help="a word expected in the listening process's command line")
    add.add_argument("--notes", default="", help="free text for the notes column")
    add.set_defaults(func=run_add)


def _target(args: argparse.Namespace) -> tuple[Path, list[str] | None, bool]:
    """PORTS.md's path, the known agents and whether to check the ephemeral range
    (``--file`` works outside a workspace: then any valid agent name is accepted)."""
    ws: Workspace | None = None
    try:
        ws = open_workspace(args)
    except CatalystError:
        if not getattr(args, "file", None):
            raise
    path = Path(args.file) if getattr(args, "file", None) else ws.ports_path  # type: ignore[union-attr]
    if ws is None:
        return path, None, True
    return path, ws.config.agent_names, ws.config.ports.ephemeral_check


def run_check(args: argparse.Namespace) -> int:
    path, agents, eph = _target(args)
    try:
        doc = load_ports_md(path, agents, eph)
    except PortsFileError as exc:
        if args.json:
            print_json({"source": str(path), "ok": False, "exit_code": 2, "error": str(exc)})
        print(f"catalyst-tui: error: {one_line(exc)}", file=sys.stderr)
        return 2
    report = check(doc, scan_listeners(), agents)
    if args.json:
        print_json(report.to_json())
    else:
        print_report(report, show_all=args.all)
    return report.exit_code


def print_report(report: PortsReport, show_all: bool = False) -> None:
    for p in report.parse_problems:
        print(visible(p.render(report.source)), file=sys.stderr if p.severity == "error" else sys.stdout)
    if report.scan.error:
        print(f"scan: {visible(report.scan.error)}")
    rows = report.rows if show_all else report.problem_rows
    for r in rows:
        who = r.owner or (r.agent and f"{r.agent}?") or "-"
        reasons = "; ".join(r.reasons)
        print(f"{r.port:>5}/{r.protocol:<3} {r.status.value:<12} {visible(r.service or '-'):<24} "
              f"{visible(r.band.cls) if r.band else '-':<10} {visible(who):<8} {visible(r.process_label)}"
              + (f"  ({visible(reasons)})" if reasons else ""))
    up = sum(1 for r in report.rows if not r.status.is_problem)
    n_problems = len(report.problem_rows) + len(report.parse_problems)
    summary = "all well" if report.ok else f"{n_problems} problem{'s' if n_problems != 1 else ''}"
    print(f"{summary}: {len(report.rows)} ports, {up} up; {len(report.scan.listeners)} listeners scanned "
          f"({report.unbanded} outside every band) in {report.scan.duration_s * 1000:.0f} ms")


def run_suggest(args: argparse.Namespace) -> int:
    try:
        path, agents, eph = _target(args)
        doc = load_ports_md(path, agents, eph)
    except PortsFileError as exc:
        print(f"catalyst-tui: error: {one_line(exc)}", file=sys.stderr)
        return 2
    print(suggest(doc, scan_listeners(describe=False), args.cls.strip().lower()))
    return 0


def run_add(args: argparse.Namespace) -> int:
    ws = open_workspace(args)
    added = add_port(ws.ports_path, args.port, args.service, args.cls, args.owner, protocol=args.protocol,
                     notes=args.notes, process=args.process, agents=ws.config.agent_names,
                     ephemeral=ws.config.ports.ephemeral_check)
    print(f"{ws.ports_path}:{added.line}: added port {added.port} ({visible(args.service)})")
    return 0
