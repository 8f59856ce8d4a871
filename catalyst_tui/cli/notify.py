"""``catalyst-tui notify test [--url URL]``: send one test message through every configured channel."""

from __future__ import annotations

import argparse

from catalyst_tui.cli.common import add_workspace_arg, open_workspace, text
from catalyst_tui.core.errors import CatalystError
from catalyst_tui.core.text import one_line


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("notify", help="notifications ([notify] in catalyst.toml, docs/notify.md)")
    nsub = p.add_subparsers(dest="notify_command", metavar="ACTION", required=True)
    test = nsub.add_parser("test", help="send one test message now (webhook, desktop); exit 1 if one failed")
    add_workspace_arg(test)
    test.add_argument("--url", type=text, default=None, help="this webhook instead of [notify] webhook_url")
    test.set_defaults(func=run_test)


def run_test(args: argparse.Namespace) -> int:
    from catalyst_tui.core.notify import send_test

    ws = open_workspace(args)
    url = args.url
    if url is not None and not url.startswith(("http://", "https://")):
        raise CatalystError(f"--url {url!r}: not an http:// or https:// URL")
    lines = send_test(ws.config.notify, ws.config.name, url)
    for line in lines:
        print(one_line(line))  # an error text from the network, shown literally
    return 0 if all(line.startswith("ok:") for line in lines) else 1
