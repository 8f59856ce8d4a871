"""``catalyst-tui janitor run [--dry-run] [--json]``, ``janitor restore RUN-ID [PATH]``,
``janitor report [--json]`` (docs/janitor.md)."""

from __future__ import annotations

import argparse
from typing import Any

from catalyst_tui.cli.common import add_json_flag, add_workspace_arg, number, open_workspace, path, print_json, text
from catalyst_tui.core.humanize import clock, size
from catalyst_tui.core.janitor import Janitor, flagged_items, load_footprint
from catalyst_tui.core.text import visible


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("janitor", help="clean up orphan state safely; reconcile the index")
    jsub = p.add_subparsers(dest="janitor_command", metavar="ACTION", required=True)

    run = jsub.add_parser("run", help="one janitor run now (--dry-run: only print what it would do)")
    add_workspace_arg(run)
    run.add_argument("--dry-run", "-n", action="store_true", help="change nothing; print exactly what a run would do")
    run.add_argument("--full", action="store_true", help="re-stat every file (ignore the walk cache)")
    add_json_flag(run)
    run.set_defaults(func=run_run)

    restore = jsub.add_parser("restore", help="move files archived by a run back where they were")
    add_workspace_arg(restore)
    restore.add_argument("run_id", type=text, metavar="RUN-ID")
    restore.add_argument("path", type=path, metavar="PATH", nargs="?",
                         help="only this file or directory (workspace-relative)")
    add_json_flag(restore)
    restore.set_defaults(func=run_restore)

    report = jsub.add_parser("report", help="the last runs: per-agent figures, flagged items, disk footprint")
    add_workspace_arg(report)
    report.add_argument("--limit", type=number(1, 100_000, integer=True), default=10, help="how many runs (default 10)")
    add_json_flag(report)
    report.set_defaults(func=run_report)


def _agent(a: Any) -> str:
    return visible(str(a)) if a else "(shared)"


def print_run(r: dict[str, Any]) -> None:
    verb = "would" if r["dry_run"] else "did"
    head = "dry run" if r["dry_run"] else "run"
    t = r["totals"]
    print(f"janitor {head} {r['run']}: scanned {r['scanned']} files in {r['duration_s']:.2f} s"
          f"{' (full walk)' if r['full_walk'] else ''}{' (runtime cap reached)' if r['capped'] else ''}")
    for rec in r["recovered"]:
        print(f"  recover  {visible(str(rec['path']))}  [{_agent(rec['agent'])}]  {rec.get('outcome', rec['action'])}")
    for a in r["actions"]:
        dest = f" -> {visible(a['dest'])}" if a.get("dest") else ""
        print(f"  {verb} {a['action']:<7} {visible(a['path'])}{dest}  [{_agent(a['agent'])}]  {visible(a['reason'])}")
    for ab in r["abandoned"]:
        print(f"  {verb} abandon dispatch {visible(ab['id'])}  [{_agent(ab['agent'])}]  {visible(ab['reason'])}")
    for fc in r["flagged_cards"]:
        print(f"  {verb} flag    card {visible(fc['card'])} needs-review  [{_agent(fc['agent'])}]"
              f"  {visible(fc['reason'])}")
    for k in r["kept"]:
        print(f"  keep     {visible(k['path'])}  [{_agent(k['agent'])}]  {visible(k['reason'])}")
    for rep in r["reported"]:
        print(f"  report   {visible(rep['detail'])}")
    for err in r["errors"]:
        print(f"  error    {visible(err)}")
    for prob in r.get("problems", []):
        print(f"  problem  {visible(prob)}")
    print(f"totals: archived {t['archived']}, removed {t['removed']}, flagged {t['flagged']}, "
          f"rotated {t['rotated']}, kept {t['kept']}, reclaimed {size(t['bytes_reclaimed'])}")


def run_run(args: argparse.Namespace) -> int:
    ws = open_workspace(args)
    report = Janitor(ws).run(dry_run=args.dry_run, full=True if args.full else None)
    if args.json:
        print_json(report)
    else:
        print_run(report)
    return 1 if report["errors"] else 0


def run_restore(args: argparse.Namespace) -> int:
    ws = open_workspace(args)
    result = Janitor(ws).restore(args.run_id, args.path)
    if args.json:
        print_json(result)
    else:
        for r in result["restored"]:
            print(f"restored {visible(r['path'])}  [{_agent(r['agent'])}]")
        for c in result["conflicts"]:
            print(f"conflict {visible(c['path'])} exists again; left in {visible(c['archived'])}")
        for e in result["errors"]:
            print(f"error    {visible(e)}")
        print(f"{len(result['restored'])} restored, {len(result['conflicts'])} conflicts")
    return 1 if result["conflicts"] or result["errors"] else 0


def run_report(args: argparse.Namespace) -> int:
    ws = open_workspace(args)
    janitor = Janitor(ws)
    reports, problems = janitor.reports(max(1, args.limit))
    footprint, fp_errors = load_footprint(janitor.paths)
    history: dict[str, list[dict[str, Any]]] = {}
    for rec in footprint:
        history.setdefault(str(rec.get("agent")), []).append({"ts": rec.get("ts"), "bytes": rec.get("bytes")})
    problems += [str(e) for e in fp_errors]
    if args.json:
        print_json({"runs": reports, "footprint": history, "problems": problems,
                    "flagged": flagged_items(reports[0]) if reports else []})
        return 0
    if not reports:
        print("no janitor runs yet (run one: catalyst-tui janitor run)")
    for r in reports:
        t = r.get("totals", {})
        when = clock(r.get("started", 0))
        run_id = visible(str(r.get("run")))  # read back from a report file
        print(f"{run_id}  {when}  scanned {r.get('scanned')}  archived {t.get('archived')}  removed "
              f"{t.get('removed')}  flagged {t.get('flagged')}  reclaimed {size(t.get('bytes_reclaimed', 0))}  "
              f"{r.get('duration_s', 0):.2f} s")
    if reports:
        print("per agent (last run): footprint, reclaimed")
        for agent, f in reports[0].get("agents", {}).items():
            series = history.get(agent, [])[-8:]
            trend = " ".join(size(p["bytes"] or 0) for p in series)
            print(f"  {visible(agent):<12} {size(f.get('footprint_bytes', 0)):>9}"
                  f"  {size(f.get('bytes_reclaimed', 0)):>9}  history: {trend}")
        for item in flagged_items(reports[0]):
            print(f"  flagged  [{_agent(item['agent'])}] {visible(str(item['what']))}: {visible(str(item['why']))}")
    for p in problems:
        print(f"problem: {visible(p)}")
    return 0
