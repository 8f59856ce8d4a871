"""The runtime's notifications: its events turned into notices for the notifier.

Subscribed ``holder_only``: one message per workspace, from the process that runs its jobs,
however many dashboards are open (a viewer that takes over starts telling). What is told:

* each tenant health transition (``HealthChanged``), with the tenant's reasons in order;
* shared-layer incidents: a shared problem that hits every tenant appearing or clearing (a
  snapshot push failing, a hub port down), and most tenants affected at once
  (``[health] shared_fraction``).

Delivery failures are shown as a shared problem of source ``notify`` that affects no tenant.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

from catalyst_tui.core.runtime.events import HealthChanged, SharedProblemsChanged

if TYPE_CHECKING:
    from catalyst_tui.core.notify import Delivery, Notice, Notifier
    from catalyst_tui.core.runtime.runtime import Runtime

MOST = "tenants"  # the shared incident "most tenants affected at once"


class Alerting:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.notifier: Notifier | None = None  # started on the first thing to tell
        self._lock = threading.Lock()
        self._shared: dict[str, tuple[str, ...]] = {}  # source -> texts of problems hitting everyone
        self.unsubscribe = rt.subscribe(self._event, holder_only=True, kinds=(HealthChanged, SharedProblemsChanged))

    def stop(self) -> None:
        self.unsubscribe()
        if self.notifier is not None:
            self.notifier.stop()

    def _submit(self, notice: Notice) -> None:
        with self._lock:
            if self.notifier is None:
                from catalyst_tui.core.notify import Notifier

                self.notifier = Notifier(lambda: self.rt.ws.config.notify, on_failure=self._failed,
                                         on_sent=self._sent)
        self.notifier.submit(notice)

    def _event(self, event: object) -> None:
        from catalyst_tui.core.notify import SHARED, Notice

        name = self.rt.ws.config.name
        if isinstance(event, HealthChanged):
            if event.was == "waiting" and not event.worse:
                return  # a tenant's first heartbeat after start-up is no news
            st = self.rt.statuses.get(event.agent)
            reasons = tuple(str(r) for r in st.reasons) if st is not None else ((event.reason,) if event.reason else ())
            self._submit(Notice("tenant", event.agent, event.was, event.health, reasons, event.ts, name, event.worse))
            self._most_tenants(name)
        elif isinstance(event, SharedProblemsChanged) and event.source != "notify":
            texts = tuple(p.text for p in event.problems if p.agents is None)
            before = self._shared.get(event.source, ())
            self._shared[event.source] = texts
            if bool(texts) != bool(before):
                self._submit(Notice("shared", SHARED, "ok" if texts else "incident", "incident" if texts else "ok",
                                    texts, time.time(), name, bool(texts), key=f"shared:{event.source}"))

    def _most_tenants(self, name: str) -> None:
        from catalyst_tui.core.notify import SHARED, Notice

        statuses = list(self.rt.statuses.values())
        bad = [s for s in statuses if s.health.value != "ok"]
        most = len(statuses) >= 3 and len(bad) / len(statuses) >= self.rt.ws.config.health.shared_fraction
        before = bool(self._shared.get(MOST))
        if most == before:
            return
        text = f"{len(bad)} of {len(statuses)} tenants affected: look at the shared layer (index, disk, hub)"
        self._shared[MOST] = (text,) if most else ()
        self._submit(Notice("shared", SHARED, "ok" if most else "incident", "incident" if most else "ok",
                            (text,) if most else (), time.time(), name, most, key=f"shared:{MOST}"))

    def _failed(self, d: Delivery) -> None:
        from catalyst_tui.core.health import SharedProblem

        self.rt.report_shared("notify", [SharedProblem("notify", f"notifications failing: {d.error}", agents=())])

    def _sent(self, d: Delivery) -> None:
        self.rt.report_shared("notify", [])
