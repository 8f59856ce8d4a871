"""``catalyst-tui daemon [--workspace PATH] [--once]``: the workspace's runtime, headless.

It holds ``.catalyst/runtime.lock`` and runs every job (change feed, health and transitions,
port scan, janitor and snapshot schedules, exporter, notifications) in the foreground, with
JSON lines on stderr (and in the workspace log); every line about a tenant has ``agent``.
SIGTERM / SIGINT stop it safely: a janitor run in progress stops at its next file, whole; a
push in progress finishes. SIGHUP re-reads catalyst.toml. A second daemon (or a dashboard
that runs the jobs) on the same workspace: exit 1, one line naming the holder. ``--once``
runs each due job once and exits (cron): 0 when every job succeeded, 1 otherwise.
Dashboards opened meanwhile are viewers: they show the daemon's runs (docs/runtime.md).
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading

from catalyst_tui.cli.common import add_workspace_arg, open_workspace


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("daemon", help="run the workspace's jobs headless (foreground, JSON lines on stderr)")
    add_workspace_arg(p)
    p.add_argument("--once", action="store_true", help="run each due job once and exit (for cron)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from catalyst_tui.core.applog import AppLog, JsonLinesHandler, default_path
    from catalyst_tui.core.runtime import Runtime

    ws = open_workspace(args)
    log = AppLog(default_path(ws.internal_dir))
    log.echo_to(sys.stderr)
    handler = JsonLinesHandler(lambda: log, level=logging.WARNING)  # the package's own warnings join
    logging.getLogger("catalyst_tui").addHandler(handler)
    rt = Runtime(ws, kind="daemon", role="holder", log=log)
    if args.once:
        jobs = rt.run_once()  # RoleError (a CatalystError): one line, exit 1
        failed = sorted(name for name, job in jobs.items() if job.runs and job.result == "error")
        log.event("daemon", f"--once: {sum(j.runs for j in jobs.values())} job run(s)"
                  + (f", failed: {', '.join(failed)}" if failed else ""), level="error" if failed else "info")
        return 1 if failed else 0
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGHUP, lambda *_: threading.Thread(target=rt.reload_config, daemon=True).start())
    rt.start()
    while not stop.is_set():
        stop.wait()  # interrupted by the signal handlers: no wake-up while idle
    log.event("daemon", "stopping: letting a run in progress end")
    ended = rt.stop()
    log.event("daemon", "stopped" if ended else "stopped (some threads did not end in time)")
    logging.getLogger("catalyst_tui").removeHandler(handler)
    return 0
