"""The dashboard as one browser tab runs it: ``catalyst-tui web`` starts one such process per tab.

A web session is a *viewer* of the workspace's runtime (``viewer=True``): it never takes
``.catalyst/runtime.lock``, so it never runs a janitor or a snapshot push (not on schedule, not
on a key) nor the exporter; it runs only the read-only feeds it draws from (change feed, health,
port scan) and shows the holder's jobs ("runs in daemon pid 4242"). It is read-only unless the
server was started with ``--allow-writes``, and a read-only session cannot turn writes on (the
palette's toggle is refused): only the operator who started the server can.

Run as ``python -m catalyst_tui.ui.web_session --workspace PATH [--allow-writes]`` (by the web
server, through textual-serve; not a user command).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from catalyst_tui.core.errors import CatalystError
from catalyst_tui.core.workspace import Workspace
from catalyst_tui.ui.app import CatalystApp
from catalyst_tui.ui.app_runtime import JOB_WRITES


class WebSessionApp(CatalystApp):
    def __init__(self, ws: Workspace, allow_writes: bool = False, **kw: Any) -> None:
        # always a viewer of the runtime: it never runs the janitor or a push
        super().__init__(ws, read_only=not allow_writes, viewer=True, **kw)
        self.allow_writes = allow_writes

    def guard_write(self, what: str) -> bool:
        if what in JOB_WRITES.values():
            self.notify(f"web session: {what} not done (a web session never runs the workspace's jobs)",
                        severity="warning", markup=False)
            return False
        return super().guard_write(what)

    def can_toggle_read_only(self) -> bool:
        return self.allow_writes

    def action_toggle_read_only(self) -> None:
        if not self.can_toggle_read_only():
            self.notify("read-only web session: writes cannot be turned on here "
                        "(the server was started without --allow-writes)", severity="warning", markup=False)
            return
        super().action_toggle_read_only()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="catalyst-tui web (session)")
    parser.add_argument("--workspace", required=True)
    parser.add_argument("--allow-writes", action="store_true")
    args = parser.parse_args(argv)
    try:
        ws = Workspace.open(args.workspace)
    except (CatalystError, OSError) as exc:  # shown in the browser's terminal: one line, no traceback
        print(f"catalyst-tui web: {exc}", file=sys.stderr)
        return 1
    app = WebSessionApp(ws, allow_writes=args.allow_writes)
    app.run()
    return app.return_code or 0


if __name__ == "__main__":
    sys.exit(main())
