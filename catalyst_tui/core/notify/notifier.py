"""The notifier: debounce per tenant, then a webhook (with retries) and a desktop notification.

``Notifier.submit`` never blocks: it queues and returns. One thread decides (debounce); a few
sender threads deliver, so a slow webhook holds up only its own message. A flapping tenant is told at
most once per ``debounce_s``: the first change goes out at once, later ones wait for the window
to end and then go out as one message from what was last sent to where the tenant is now (none
when it flapped back). Failures are logged (``catalyst_tui.notify``), kept in ``failures`` and
passed to ``on_failure`` (the runtime shows them on the triage line); they never raise.
"""

from __future__ import annotations

import http.client
import logging
import queue
import shutil
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import orjson

from catalyst_tui import __version__
from catalyst_tui.core.config import NotifyConfig
from catalyst_tui.core.notify.notice import Notice

log = logging.getLogger("catalyst_tui.notify")

SENDERS = 4  # concurrent deliveries: one slow or dead endpoint does not queue the others behind it
BACKOFF_S = 1.0  # first retry after this, then doubling
MAX_QUEUE = 1000


@dataclass
class _Key:
    sent_at: float = -1e18
    sent_to: str | None = None
    pending: Notice | None = None


@dataclass(frozen=True)
class Delivery:
    """How one message went: ``ok`` after ``attempts``, or the last error."""

    notice: Notice
    ok: bool
    attempts: int
    error: str | None = None


def post_webhook(url: str, notice: Notice, timeout_s: float, retries: int, backoff_s: float = BACKOFF_S,
                 sleep: Callable[[float], object] = time.sleep) -> Delivery:
    """POST the notice's JSON body; retry on a connection error, a timeout or a 5xx/429."""
    data = orjson.dumps(notice.body())
    error = "not sent"
    for attempt in range(1, retries + 2):
        try:
            req = urllib.request.Request(url, data=data, method="POST", headers={
                "Content-Type": "application/json", "User-Agent": f"catalyst-tui/{__version__}"})
            with urllib.request.urlopen(req, timeout=timeout_s) as resp:
                resp.read(65536)
            return Delivery(notice, True, attempt)
        except urllib.error.HTTPError as exc:
            error = f"HTTP {exc.code} {exc.reason}"
            if exc.code < 500 and exc.code != 429:
                return Delivery(notice, False, attempt, error)  # the endpoint refuses it: retrying will not help
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            error = str(getattr(reason, "strerror", None) or reason)
        except (ValueError, http.client.InvalidURL) as exc:  # a malformed URL: retrying will not help
            return Delivery(notice, False, attempt, f"bad URL: {exc}")
        if attempt <= retries:
            sleep(backoff_s * 2 ** (attempt - 1))
    return Delivery(notice, False, retries + 1, error)


def desktop(notice: Notice, timeout_s: float = 5.0) -> str | None:
    """``notify-send`` where present; returns an error, or None."""
    exe = shutil.which("notify-send")
    if exe is None:
        return "notify-send not found"
    urgency = "critical" if notice.worse and notice.now in ("quarantined", "offline", "incident") else "normal"
    try:
        subprocess.run([exe, "-a", "catalyst-tui", "-u", urgency, "--", "catalyst-tui", notice.text],
                       capture_output=True, timeout=timeout_s, check=True)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"notify-send: {exc}"
    return None


class Notifier:
    def __init__(self, config: Callable[[], NotifyConfig], *, clock: Callable[[], float] = time.monotonic,
                 on_failure: Callable[[Delivery], None] | None = None,
                 on_sent: Callable[[Delivery], None] | None = None, backoff_s: float = BACKOFF_S) -> None:
        """``config``: read at each use (an edited ``[notify]`` applies at once)."""
        self.config = config
        self.clock = clock
        self.on_failure = on_failure
        self.on_sent = on_sent
        self.backoff_s = backoff_s
        self.keys: dict[str, _Key] = {}
        self.failures: list[Delivery] = []
        self.sent = 0
        self._queue: queue.Queue[Notice | None] = queue.Queue(MAX_QUEUE)
        # per key, in order: a tenant's messages never overtake each other; keys go in parallel
        self._outbox: dict[str, deque[Notice]] = {}
        self._busy: set[str] = set()
        self._ready = threading.Condition()
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="notify", daemon=True)
        self._thread.start()
        # daemon threads: a retrying delivery never holds the process's exit
        self._senders = [threading.Thread(target=self._send_loop, name=f"notify-send-{i}", daemon=True)
                         for i in range(SENDERS)]
        for t in self._senders:
            t.start()

    # ------------------------------------------------------------------ the caller's side
    def submit(self, notice: Notice) -> None:
        """Queue ``notice`` (never blocks; a full queue drops it, logged)."""
        if self._stopped.is_set():
            return
        try:
            self._queue.put_nowait(notice)
        except queue.Full:
            log.warning("notification dropped (queue full): %s", notice.text, extra={"agent": notice.agent})

    def stop(self, timeout: float = 5.0) -> None:
        self._stopped.set()
        try:
            self._queue.put_nowait(None)
        except queue.Full:
            pass
        self._thread.join(timeout)
        with self._ready:
            self._ready.notify_all()

    # ------------------------------------------------------------------ the decider thread
    def _run(self) -> None:
        while not self._stopped.is_set():
            due = [k.sent_at + self.config().debounce_s for k in self.keys.values() if k.pending is not None]
            wait = max(0.0, min(due) - self.clock()) if due else None
            try:
                notice = self._queue.get(timeout=wait)
            except queue.Empty:
                notice = None
            if self._stopped.is_set():
                return
            if notice is not None:
                self._decide(notice)
            self._flush_due()

    def _decide(self, notice: Notice) -> None:
        if notice.kind == "test":
            self._deliver(notice)
            return
        key = self.keys.setdefault(notice.key, _Key())
        if self.clock() - key.sent_at >= self.config().debounce_s:
            key.pending = None
            self._send(key, notice)
        else:
            key.pending = notice  # the latest state wins; told when the window ends

    def _flush_due(self) -> None:
        now = self.clock()
        debounce = self.config().debounce_s
        for key in self.keys.values():
            p = key.pending
            if p is None or now - key.sent_at < debounce:
                continue
            key.pending = None
            if p.now != key.sent_to:  # it flapped back to what was last said: nothing new to tell
                self._send(key, p.again(key.sent_to or p.was))

    def _send(self, key: _Key, notice: Notice) -> None:
        key.sent_at, key.sent_to = self.clock(), notice.now
        self._deliver(notice)

    def _deliver(self, notice: Notice) -> None:
        with self._ready:
            self._outbox.setdefault(notice.key, deque()).append(notice)
            self._ready.notify()

    # ------------------------------------------------------------------ the senders' side
    def _next(self) -> Notice | None:
        with self._ready:
            while not self._stopped.is_set():
                for key, pending in self._outbox.items():
                    if pending and key not in self._busy:
                        self._busy.add(key)
                        return pending.popleft()
                self._ready.wait()
            return None

    def _send_loop(self) -> None:
        while (notice := self._next()) is not None:
            try:
                self._deliver_now(notice)
            except Exception:
                log.exception("notification failed: %s", notice.text)
            finally:
                with self._ready:
                    self._busy.discard(notice.key)
                    if not self._outbox[notice.key]:
                        del self._outbox[notice.key]
                    self._ready.notify_all()

    def _deliver_now(self, notice: Notice) -> None:
        cfg = self.config()
        if cfg.desktop:
            err = desktop(notice, cfg.timeout_s)
            if err:
                log.warning("desktop notification failed: %s", err, extra={"agent": notice.agent})
        if not cfg.webhook_url:
            return
        d = post_webhook(cfg.webhook_url, notice, cfg.timeout_s, cfg.retries, self.backoff_s,
                         sleep=self._stopped.wait)  # stop() ends a backoff at once
        if d.ok:
            self.sent += 1
            if self.on_sent is not None:
                self.on_sent(d)
            return
        self.failures = [*self.failures[-19:], d]
        log.warning("webhook %s failed after %d attempt(s): %s (%s)", _safe_url(cfg.webhook_url), d.attempts,
                    d.error, notice.text, extra={"agent": notice.agent})
        if self.on_failure is not None:
            try:
                self.on_failure(d)
            except Exception:
                log.exception("notify on_failure callback failed")


def _safe_url(url: str) -> str:
    """The URL without its path and query (webhook URLs carry their secret in them)."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:  # malformed (a bad port, an unclosed [): nothing of it is shown, the secret neither
        return "(a malformed URL)"
    return f"{parts.scheme}://{parts.hostname or ''}{f':{port}' if port else ''}/..."


def send_test(cfg: NotifyConfig, workspace: str, url: str | None = None) -> list[str]:
    """``catalyst-tui notify test``: one test message through every configured channel, now
    (with the configured retries). Returns one line per channel, ``ok: ...`` or ``failed: ...``."""
    notice = Notice("test", "(test)", "ok", "ok", ("a test message",), time.time(), workspace, worse=False)
    lines = []
    target = url or cfg.webhook_url
    if target:
        d = post_webhook(target, notice, cfg.timeout_s, cfg.retries)
        lines.append(f"ok: webhook {_safe_url(target)} ({d.attempts} attempt(s))" if d.ok
                     else f"failed: webhook {_safe_url(target)} after {d.attempts} attempt(s): {d.error}")
    if cfg.desktop:
        err = desktop(notice, cfg.timeout_s)
        lines.append(f"failed: desktop: {err}" if err else "ok: desktop (notify-send)")
    if not lines:
        lines.append("failed: nothing to send to: set [notify] webhook_url (or pass --url) or desktop = true")
    return lines
