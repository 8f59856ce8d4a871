"""``enter``: a card's details — body, history of moves, tail of the agent's work log.

The screen reads no file: :func:`catalyst_tui.core.cardview.card_details` does (as for ``card show``).
"""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Static

from catalyst_tui.core.board import Board
from catalyst_tui.core.cardview import CardDetails, card_details
from catalyst_tui.core.humanize import age
from catalyst_tui.core.models import Card
from catalyst_tui.core.text import visible, visible_block
from catalyst_tui.ui.screens.detail import DetailScreen


class DetailsLoaded(Message):
    def __init__(self, details: CardDetails) -> None:
        super().__init__()
        self.details = details


class CardDetailScreen(DetailScreen):

    def __init__(self, card: Card, board: Board, clock: Callable[[], float]) -> None:
        super().__init__()
        self.card = card
        self.board = board
        self.clock = clock
        self.details: CardDetails | None = None

    def compose(self) -> ComposeResult:
        c = self.card
        now = self.clock()
        with VerticalScroll(id="detail-body"):
            yield Static(Text(visible(c.title), style="bold"), id="detail-title")
            meta = (f"{c.id} · {c.agent} / {c.column} · in column {age(max(0.0, now - c.moved))}"
                    f" · created {age(max(0.0, now - c.created))} ago")
            if c.flags:
                meta += " · flags: " + ", ".join(visible(f) for f in c.flags)
            yield Static(Text(meta, style="dim"), id="detail-meta")
            yield Static(Text("Body"), classes="section")
            yield Static(Text("loading…"), id="detail-card-body")
            yield Static(Text("History"), classes="section")
            yield Static(Text("loading…"), id="detail-history")
            yield Static(Text("Work log"), classes="section")
            yield Static(Text("loading…"), id="detail-worklog")

    def on_mount(self) -> None:
        self.run_load_details()

    @work(thread=True, group="detail", exit_on_error=False)
    def run_load_details(self) -> None:
        self.post_message(DetailsLoaded(card_details(self.board, self.card)))

    def on_details_loaded(self, msg: DetailsLoaded) -> None:
        det = self.details = msg.details
        now = self.clock()
        body = Text(visible_block((det.body or "").rstrip("\n")) or "(empty)")
        for p in det.problems:
            body.append("\n" + visible(p), style="bold")
        self.query_one("#detail-card-body", Static).update(body)
        hist = Text()
        for ev in det.history:
            where = ""
            if ev.src and ev.dst:
                where = f" {ev.src['agent']}/{ev.src['column']} → {ev.dst['agent']}/{ev.dst['column']}"
            elif ev.dst:
                where = f" → {ev.dst['agent']}/{ev.dst['column']}"
            hist.append(f"{age(max(0.0, now - ev.ts)):>7} ago  {ev.action:<7} by {visible(ev.by)}{where}\n")
        self.query_one("#detail-history", Static).update(hist if det.history else Text("(no events)"))
        log = Text()
        for rec in det.worklog:
            log.append(f"{age(max(0.0, now - rec.ts)):>7} ago  {visible(rec.text)}\n")
        self.query_one("#detail-worklog", Static).update(log if det.worklog else Text("(nothing for this card)"))
