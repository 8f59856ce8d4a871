"""The runtime's events, turned into the app's messages and state.

:func:`post` runs on the runtime's threads: it only posts a message (``post_message`` is
thread-safe). :func:`handle` runs on the main thread: it updates the app's data and publishes
it to the screens through the app's signals. Nothing here touches a widget.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from catalyst_tui.core.runtime import (
    AgentsUpdated,
    ConfigReloaded,
    HealthChanged,
    IndexChanged,
    JobChanged,
    PortsScanned,
    SharedProblemsChanged,
    StateChanged,
    WatchModeChanged,
)
from catalyst_tui.ui.messages import AgentsRefreshed, IndexChangedOnDisk, RuntimeNoticed

if TYPE_CHECKING:
    from catalyst_tui.ui.app_runtime import RuntimeShell


def post(app: RuntimeShell, event: object) -> None:
    """A runtime thread: one message per event (the app may be gone: then nothing)."""
    if isinstance(event, AgentsUpdated):
        app.post_message(AgentsRefreshed(event.statuses))
    elif isinstance(event, IndexChanged):
        app.post_message(IndexChangedOnDisk())
    else:
        app.post_message(RuntimeNoticed(event))


def handle(app: RuntimeShell, event: object) -> None:
    """The main thread: keep the latest of each, tell the screens."""
    if isinstance(event, JobChanged):
        job, before = event.job, app.jobs.get(event.job.name)
        app.jobs = {**app.jobs, job.name: job}
        if (job.name in ("janitor", "snapshot") and not job.running and job.result == "error" and job.error
                and (before is None or before.running)):
            app.notify(job.error.line(), title=f"{job.name} run failed", severity="error", timeout=10, markup=False)
        app.jobs_signal.publish(app.jobs)
    elif isinstance(event, StateChanged):
        _role_changed(app, event)
    elif isinstance(event, PortsScanned):
        app.ports_report, app.ports_error = event.report, event.error
        app.ports_signal.publish(event.report)
    elif isinstance(event, SharedProblemsChanged):
        app.report_shared(event.source, event.problems)
    elif isinstance(event, HealthChanged):
        _health_changed(app, event)
    elif isinstance(event, WatchModeChanged):
        was, app.watch_mode = app.watch_mode, event.mode
        app.live = event.mode == "watching"
        if event.mode != "watching":
            text = f"polling every {app.ws.config.watch.poll_interval_s:g} s: {event.reason}"
            app.notify(text, title="watch", severity="warning", timeout=10, markup=False)
        elif was == "polling":
            app.notify("file watching is back", title="watch")
    elif isinstance(event, ConfigReloaded):
        _config_reloaded(app, event)


def _role_changed(app: RuntimeShell, event: StateChanged) -> None:
    before = app.jobs_runner
    app.jobs_runner = event.holder or "nobody runs the jobs"
    if event.role == "viewer" and event.state is not None:
        from catalyst_tui.core.runtime import DUTIES

        app.jobs = {**app.jobs, **{k: v for k, v in event.state.jobs.items() if k in DUTIES}}
    if event.role == "holder" and before.startswith("runs in ") and before != app.jobs_runner and before != "starting":
        app.notify(f"the jobs {app.jobs_runner} now (the previous holder is gone)", title="runtime")
    app.jobs_signal.publish(app.jobs)


def _health_changed(app: RuntimeShell, event: HealthChanged) -> None:
    if event.was == "waiting" and not event.worse:
        return  # a tenant's first heartbeat after start-up is no news
    if event.health == "ok":
        app.notify(f"{event.agent} recovered", title="triage", timeout=6, markup=False)
    elif event.worse:
        if app.ws.config.notify.bell:  # [notify] bell: someone across the room hears it
            app.bell()
        app.notify(f"{event.agent} {event.health}: {event.reason}", title="triage", timeout=8, markup=False,
                   severity="warning" if event.health == "degraded" else "error")


def _config_reloaded(app: RuntimeShell, event: ConfigReloaded) -> None:
    if event.error:
        app.notify(f"{event.error} (the previous configuration keeps running)", title="catalyst.toml",
                   severity="error", timeout=10, markup=False)
        return
    new = [k for k in event.restart_needed if k not in app.restart_needed]
    app.restart_needed = list(event.restart_needed)
    if new:
        app.notify(f"restart to apply: {', '.join(new)}", title="catalyst.toml", severity="warning", timeout=10,
                   markup=False)
    app.jobs_signal.publish(app.jobs)  # intervals may have changed: countdowns follow
