"""``enter``: a card's details — body, history of moves, tail of the agent's work log."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Static

from catalyst_tui.core import storage
from catalyst_tui.core.board import Board
from catalyst_tui.core.errors import os_reason
from catalyst_tui.core.humanize import age
from catalyst_tui.core.models import AuditEvent, Card, WorkRecord, decode_work
from catalyst_tui.core.text import visible, visible_block
from catalyst_tui.ui.screens.detail import DetailScreen

TAIL_BYTES = 64 * 1024
TAIL_LINES = 15
BODY_BYTES = 32 * 1024


@dataclass
class Details:
    body: str = ""
    history: list[AuditEvent] = field(default_factory=list)
    worklog: list[WorkRecord] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _tail_records(root: Path, rel: str, card_id: str) -> tuple[list[WorkRecord], int]:
    try:  # a path from data: under the root, no symlink followed, never blocking on a FIFO
        with storage.open_under(root, rel) as (fd, st):
            size = st.st_size
            data = os.pread(fd, TAIL_BYTES, max(0, size - TAIL_BYTES))
    except FileNotFoundError:
        return [], 0
    lines = data.split(b"\n")
    if size > TAIL_BYTES:
        lines = lines[1:]  # the first line is probably cut
    out, bad = [], 0
    for raw in lines:
        if not raw.strip():
            continue
        try:
            rec = decode_work(raw)
        except Exception:  # noqa: BLE001 - a bad line is counted, never fatal
            bad += 1
            continue
        if rec.card == card_id:
            out.append(rec)
    return out[-TAIL_LINES:], bad


def load_details(board: Board, card: Card) -> Details:
    det = Details()
    if card.refs.body:
        try:
            with storage.open_under(board.root, card.refs.body) as (fd, _):
                det.body = os.pread(fd, BODY_BYTES, 0).decode("utf-8", errors="replace")
        except FileNotFoundError:
            det.problems.append(f"{card.refs.body}: missing")
        except OSError as exc:
            det.problems.append(f"{card.refs.body}: {os_reason(exc)}")
    det.history = board.history(card.id)
    if card.refs.log:
        try:
            det.worklog, bad = _tail_records(board.root, card.refs.log, card.id)
        except OSError as exc:
            det.problems.append(f"{card.refs.log}: {exc.strerror or exc}")
            bad = 0
        if bad:
            det.problems.append(f"{card.refs.log}: {bad} unreadable line(s) in the tail")
    return det


class DetailsLoaded(Message):
    def __init__(self, details: Details) -> None:
        super().__init__()
        self.details = details


class CardDetailScreen(DetailScreen):

    def __init__(self, card: Card, board: Board, clock: Callable[[], float]) -> None:
        super().__init__()
        self.card = card
        self.board = board
        self.clock = clock
        self.details: Details | None = None

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
        self.post_message(DetailsLoaded(load_details(self.board, self.card)))

    def on_details_loaded(self, msg: DetailsLoaded) -> None:
        det = self.details = msg.details
        now = self.clock()
        body = Text(visible_block(det.body.rstrip("\n")) or "(empty)")
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
