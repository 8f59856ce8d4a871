"""Losing the terminal ends the process.

SIGHUP, the pty closing (tmux kill-session, a closed ssh connection), an error or end of file
on the terminal: the dashboard exits within :data:`EXIT_WITHIN_S` and stops what it started
(its runtime, and what ``catalyst-tui demo`` started: the simulator, the hub stand-ins, the
exporter). Nothing is left spinning on a deleted tty.

Two detectors, both idle at zero cost: an asyncio signal handler for SIGHUP, and a thread
blocked in ``poll()`` on the terminal with no event asked for (the kernel always reports a
hang-up, an error or a closed descriptor). The app is asked to exit; if it has not exited
within the grace (restoring a terminal that is gone can block), the clean-ups registered with
:func:`on_lost` run and the process ends with status 129 (128 + SIGHUP).
"""

from __future__ import annotations

import asyncio
import logging
import os
import select
import signal
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

log = logging.getLogger("catalyst_tui.ui")

EXIT_WITHIN_S = 1.5  # the app's own exit gets this long; then the clean-ups run and the process ends
EXIT_CODE = 129
_cleanups: list[Callable[[], None]] = []
_lost = threading.Event()


def on_lost(fn: Callable[[], None]) -> None:
    """Run ``fn`` before the process ends because its terminal is gone (quick, idempotent)."""
    _cleanups.append(fn)


def run_cleanups() -> None:
    for fn in list(_cleanups):
        try:
            fn()
        except Exception:  # one failing clean-up must not stop the others
            log.exception("clean-up %r failed", fn)


def terminal_fd() -> int | None:
    for stream in (sys.__stdin__, sys.__stdout__):
        try:
            if stream is not None and os.isatty(stream.fileno()):
                return stream.fileno()
        except (OSError, ValueError):
            continue
    return None


def watch(app: Any) -> None:
    """Start both detectors for ``app`` (call from the app's event loop, once it runs)."""
    fd = terminal_fd()
    try:
        asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, lost, app, "SIGHUP")
    except (NotImplementedError, RuntimeError, ValueError):  # not the main thread, or no signals here
        pass
    if fd is not None:
        threading.Thread(target=_poll_terminal, args=(app, fd), name="run_terminal_watch", daemon=True).start()


def _poll_terminal(app: Any, fd: int) -> None:
    poller = select.poll()
    poller.register(fd, 0)  # no event asked: POLLHUP / POLLERR / POLLNVAL are always reported
    while not _lost.is_set():
        try:
            ready = poller.poll()  # no timeout: woken only by the kernel
        except InterruptedError:
            continue
        if ready:
            lost(app, "the terminal hung up")
            return


def lost(app: Any, why: str) -> None:
    """The terminal is gone: ask the app to exit, and make sure the process ends soon."""
    if _lost.is_set():
        return
    _lost.set()
    log.warning("terminal lost (%s): exiting", why)
    threading.Thread(target=_ensure_exit, name="run_exit_watchdog", daemon=True).start()
    try:
        if threading.current_thread() is threading.main_thread():
            app.exit(return_code=EXIT_CODE)
        else:
            app.call_from_thread(app.exit, return_code=EXIT_CODE)
    except Exception:  # noqa: BLE001 - the app is already closing: the watchdog finishes the job
        pass


def _ensure_exit() -> None:
    time.sleep(EXIT_WITHIN_S)
    run_cleanups()
    os._exit(EXIT_CODE)
