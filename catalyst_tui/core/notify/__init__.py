"""Notifications: a tenant's health transition or a shared-layer incident told to someone
(a webhook with retries, a desktop notification), debounced per tenant, never blocking.

The runtime feeds it (``core/runtime/alerting.py``); the dashboard rings its own bell. This
face is lazy, as the other feature packages' are."""

from __future__ import annotations

from typing import TYPE_CHECKING

from catalyst_tui.core.faces import lazy_getattr

if TYPE_CHECKING:
    from catalyst_tui.core.notify.notice import SHARED, Notice
    from catalyst_tui.core.notify.notifier import Delivery, Notifier, desktop, post_webhook, send_test

_WHERE = {
    "SHARED": "notice",
    "Delivery": "notifier",
    "Notice": "notice",
    "Notifier": "notifier",
    "desktop": "notifier",
    "post_webhook": "notifier",
    "send_test": "notifier",
}
__all__ = ["SHARED", "Delivery", "Notice", "Notifier", "desktop", "post_webhook", "send_test"]


__getattr__ = lazy_getattr(__name__, _WHERE)
