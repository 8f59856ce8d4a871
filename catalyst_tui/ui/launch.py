"""Open the dashboard (imported lazily by the CLI so other commands never load textual)."""

from __future__ import annotations

from catalyst_tui.core.workspace import Workspace


def launch(workspace: str | None, read_only: bool = False, theme: str | None = None,
           from_mirror: str | None = None, accept_rollback: bool = False) -> int:
    from catalyst_tui.ui.app import CatalystApp

    if from_mirror:  # read-only on the mirror's current snapshot, restored to a temp dir
        from catalyst_tui.core.snapshot import mirror_workspace

        with mirror_workspace(from_mirror, accept_rollback=accept_rollback) as mirror_ws:
            mirror_app = CatalystApp(mirror_ws, read_only=True, theme_name=theme)
            mirror_app.run()
            return mirror_app.return_code or 0
    ws = Workspace.open(workspace)
    app = CatalystApp(ws, read_only=read_only, theme_name=theme)
    app.run()
    return app.return_code or 0
