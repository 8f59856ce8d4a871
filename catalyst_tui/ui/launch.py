"""Open the dashboard (imported lazily by the CLI so other commands never load textual)."""

from __future__ import annotations

from catalyst_tui.core.workspace import Workspace


def launch(workspace: str | None, read_only: bool = False, theme: str | None = None,
           from_mirror: str | None = None) -> int:
    from catalyst_tui.ui.app import CatalystApp

    ws = Workspace.open(workspace)
    app = CatalystApp(ws, read_only=read_only, theme_name=theme)
    app.run()
    return app.return_code or 0
