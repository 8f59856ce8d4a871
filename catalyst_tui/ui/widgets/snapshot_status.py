"""The Snapshots screen's summary: last push (id, seq, age, size, objects sent) and the target.

Rendered as a ``rich.text.Text`` (the URL and errors are untrusted text: never markup). It is
only redrawn when a push finishes or the age's wording changes; the per-second countdown is a
separate one-line widget (:class:`~catalyst_tui.ui.widgets.countdown.Countdown`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.timer import Timer
from textual.widgets import Static

from catalyst_tui.core.humanize import age, age_changes_in, size

if TYPE_CHECKING:
    from catalyst_tui.core.runtime import SnapshotSummary


def summary_text(url: str, last: SnapshotSummary | None, now: float, error: str | None,
                 styles: dict[str, str]) -> Text:
    text = Text()
    text.append("target  ", style="bold")
    text.append(url)
    text.append("\n")
    text.append("last    ", style="bold")
    if last is None:
        text.append("no push yet", style=styles.get("muted", ""))
    else:
        text.append(last.id[:12], style="bold")
        text.append(f"  seq {last.seq}  {age(now - last.created)} ago" + ("  (unchanged)" if last.noop else ""))
        text.append("\n")
        text.append("size    ", style="bold")
        text.append(f"{size(float(last.size))} in {last.files} files, "
                    f"{last.objects_sent} of {last.objects_total} objects sent")
    if error:
        text.append("\n")
        text.append("failed  ", style=f"bold {styles.get('error', '')}")
        text.append(error, style=styles.get("error", ""))
    return text


class SnapshotStatus(Static):
    DEFAULT_CSS = """
    SnapshotStatus { height: auto; padding: 0 1; }
    """

    def __init__(self, **kw: Any) -> None:
        super().__init__(Text(""), **kw)
        self.rendered_text: Text = Text("")
        self._ager: Timer | None = None
        self._shown: tuple[str, SnapshotSummary | None, str | None] = ("", None, None)

    def show(self, url: str, last: SnapshotSummary | None, now: float, error: str | None) -> None:
        vars_ = self.app.theme_variables
        styles = {"error": vars_.get("error", ""), "muted": "dim"}
        text = summary_text(url, last, now, error, styles)
        if text.plain != self.rendered_text.plain:
            self.rendered_text = text
            self.update(text)
        self._shown = (url, last, error)
        if self._ager is not None:
            self._ager.stop()
        # "last push 12 s ago" advances when its text would change, not only when a push happens
        self._ager = self.set_timer(age_changes_in(now - last.created), self._aged) if last is not None else None

    def _aged(self) -> None:
        self._ager = None
        url, last, error = self._shown
        self.show(url, last, self.app.clock(), error)  # type: ignore[attr-defined]
