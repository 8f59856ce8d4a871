"""``catalyst-tui snapshot push|verify|list|restore`` (docs/snapshots.md)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from catalyst_tui.cli.common import add_json_flag, add_workspace_arg, open_workspace, path, print_json, text
from catalyst_tui.core.humanize import age
from catalyst_tui.core.snapshot import Mirror, Seen, open_target, push, restore_into
from catalyst_tui.core.text import visible


def register(sub: argparse._SubParsersAction) -> None:
    snap = sub.add_parser("snapshot", help="push canonical snapshots to a mirror; verify, list, restore")
    ssub = snap.add_subparsers(dest="snapshot_command", metavar="ACTION", required=True)

    p = ssub.add_parser("push", help="take a snapshot and push it (a no-op when nothing changed)")
    add_workspace_arg(p)
    p.add_argument("--to", type=text, metavar="URL", help="target URL (default: [snapshot] target in catalyst.toml)")
    p.add_argument("--adopt", action="store_true", help="let the mirror switch to this hub's generation")
    add_json_flag(p)
    p.set_defaults(func=run_push)

    v = ssub.add_parser("verify", help="re-hash every object of the mirror's current snapshot")
    add_workspace_arg(v)  # accepted after the sub-command like everywhere (docs/cli.md); a mirror needs none
    v.add_argument("url", type=text, metavar="URL")
    v.add_argument("--id", type=text, help="verify this snapshot instead of the current one")
    _accept_rollback_flag(v)
    add_json_flag(v)
    v.set_defaults(func=run_verify)

    ls = ssub.add_parser("list", help="the snapshots kept by a mirror (newest last)")
    add_workspace_arg(ls)
    ls.add_argument("url", type=text, metavar="URL")
    add_json_flag(ls)
    ls.set_defaults(func=run_list)

    r = ssub.add_parser("restore", help="write a snapshot's files (default: the current one) into PATH")
    add_workspace_arg(r)
    r.add_argument("url", type=text, metavar="URL")
    r.add_argument("id", type=text, metavar="ID", nargs="?", help="snapshot id or unique prefix")
    r.add_argument("--into", type=path, metavar="PATH", required=True)
    r.add_argument("--force", action="store_true",
                   help="restore into a non-empty directory (the files it replaces are kept aside first)")
    _accept_rollback_flag(r)
    add_json_flag(r)
    r.set_defaults(func=run_restore)


def _accept_rollback_flag(p: argparse.ArgumentParser) -> None:
    p.add_argument("--accept-rollback", action="store_true",
                   help="accept a mirror whose pointer went back (and remember it as the newest seen)")


def run_push(args: argparse.Namespace) -> int:
    ws = open_workspace(args)
    result = push(ws, args.to, adopt=args.adopt)
    for note in result.healed:
        print(f"warning: {visible(note)}", file=sys.stderr)
    if args.json:
        print_json(result.to_json())
    elif result.noop:
        print(f"unchanged: {result.record.id[:12]} seq {result.record.seq} is already current on {visible(result.url)}")
    else:
        r = result.record
        print(f"pushed {r.id[:12]} seq {r.seq} to {visible(result.url)}: {r.files} files, {r.size} bytes, "
              f"{result.objects_sent} of {result.objects_total} objects sent ({result.bytes_sent} bytes) "
              f"in {result.duration_s:.2f} s")
    return 0


def run_verify(args: argparse.Namespace) -> int:
    with open_target(args.url) as target:
        mirror = Mirror(target)
        cur = mirror.current()
        problems = mirror.verify(args.id, seen=Seen.default(), accept_rollback=args.accept_rollback)
    sid = args.id or (cur.id if cur else None)
    if args.json:
        print_json({"url": args.url, "id": sid, "ok": not problems, "problems": problems})
    else:
        for p in problems:
            print(visible(p), file=sys.stderr)
        if not problems:
            print(f"ok: snapshot {str(sid)[:12]} on {visible(args.url)} is whole and verified")
    return 1 if problems else 0


def run_list(args: argparse.Namespace) -> int:
    with open_target(args.url) as target:
        mirror = Mirror(target)
        cur = mirror.current()
        history = mirror.history()
    if args.json:
        print_json({"url": args.url, "current": cur.to_json() if cur else None,
                    "snapshots": [dict(r.to_json(), current=(cur is not None and r == cur)) for r in history]})
        return 0
    if not history:
        print(f"no snapshots on {visible(args.url)}")
    for r in history:
        mark = "*" if cur is not None and r == cur else " "
        print(f"{mark} {r.id[:12]}  gen {r.generation[:8]}  seq {r.seq:>6}  {r.files:>5} files  "
              f"{r.size:>12} bytes  {age(time.time() - r.created)} ago")
    return 0


def run_restore(args: argparse.Namespace) -> int:
    into = Path(args.into)
    with open_target(args.url) as target:
        done = restore_into(Mirror(target), into, args.id, force=args.force, accept_rollback=args.accept_rollback,
                            seen=Seen.default())
    rec = done.record
    sid = rec.id if rec else args.id
    for w in done.warnings:
        print(f"warning: {visible(w)} (accepted)", file=sys.stderr)
    if args.json:
        print_json({"url": args.url, "id": sid, "into": str(done.into), "record": rec.to_json() if rec else None,
                    "aside": str(done.aside) if done.aside else None, "kept_aside": done.kept,
                    "warnings": done.warnings})
    else:
        print(f"restored {str(sid)[:12]} into {visible(str(into))}")
        if done.aside is not None:
            print(f"the {done.kept} file(s) it replaced are kept in {visible(str(done.aside))}")
    return 0
