"""The app's side of the board: this dashboard's session of it, the index it shows (read once
before the first frame, then in workers), the board's operations off the event loop, and the
cards published to the screens through ``cards_signal``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual import work
from textual.signal import Signal

from catalyst_tui.core.board import Board, IndexView, describe
from catalyst_tui.core.errors import CatalystError
from catalyst_tui.core.models import AuditEvent
from catalyst_tui.core.storage import FileSignature
from catalyst_tui.core.text import visible
from catalyst_tui.core.workspace import Workspace
from catalyst_tui.ui.app_runtime import RuntimeShell
from catalyst_tui.ui.messages import ArchivedListed, BoardOpFailed, CardsReloaded, IndexChangedOnDisk

CardsUpdate = tuple[IndexView, "str | None", "str | None"]  # (view, focus, op)
NOTIFIED_OPS = frozenset({"undo", "redo", "archive", "restore"})  # their notification says what they did
ARCHIVE_PICK = 50  # the restore picker shows a lane's most recently archived cards


class BoardShell(RuntimeShell):
    def __init__(self, ws: Workspace, **kw: Any) -> None:
        super().__init__(ws, **kw)
        # this dashboard is one session of the board: `u` / ctrl+r step through its own actions only
        self.board: Board = ws.board.new_session()
        self.index: IndexView = IndexView({}, 0, 0.0)
        self._index_sig: FileSignature | None = None
        self.cards_signal: Signal[CardsUpdate] = Signal(self, "cards")

    def _preload_index(self) -> list[str]:
        """Read the index once before the event loop starts, so the first frame is the full
        board (not an empty one redrawn a moment later). Later reads happen in workers.
        Returns the problems to show once the app runs."""
        try:
            self._index_sig = self._index_signature()
            self.index = self.board.load()
        except (CatalystError, OSError) as exc:
            self._index_sig = None
            return [f"index: {exc}"]  # a worker retries
        self.index_fallback = self.index.fallback
        return [self.index.fallback] if self.index.fallback else []

    def _index_signature(self) -> FileSignature | None:
        return self.board.signature()

    # ------------------------------------------------------------------ workers (threads)
    @work(thread=True, group="index", exit_on_error=False)
    def run_load_index(self, force: bool = False) -> None:
        sig = self._index_signature()
        view = self.board.load()
        self.post_message(CardsReloaded(view, op="reload" if force else None, sig=sig))

    @work(thread=True, group="board", exit_on_error=False)
    def run_board_op(self, op: str, fn: Callable[[Board], Any], focus: str | None = None) -> None:
        """Run ``fn(board)`` off the event loop, then post the new index (``CardsReloaded``)."""
        try:
            result = fn(self.board)
        except CatalystError as exc:
            self.post_message(BoardOpFailed(op, str(exc)))
            return
        card_id = getattr(result, "card", None) or getattr(result, "id", None) or focus
        sig = self._index_signature()
        note = describe(result) if op in NOTIFIED_OPS and isinstance(result, AuditEvent) else None
        self.post_message(CardsReloaded(self.board.load(), focus=card_id, op=op, sig=sig, note=note))

    @work(thread=True, group="archive", exit_on_error=False)
    def run_list_archived(self, agent: str, limit: int = ARCHIVE_PICK) -> None:
        """One lane's archived cards, newest first (for the board's restore picker)."""
        records = sorted(self.board.archived([agent]).cards.values(), key=lambda r: r.ts, reverse=True)
        self.post_message(ArchivedListed(agent, [r.card for r in records[:limit]]))

    # ------------------------------------------------------------------ message handlers
    def on_cards_reloaded(self, msg: CardsReloaded) -> None:
        if msg.op is None and (msg.view.seq < self.index.seq or self._board_op_running()):
            return  # an older read finished late, or a board op's own read (with the move) follows
        if msg.sig is not None:
            self._index_sig = msg.sig
        self.index = msg.view
        if msg.view.fallback != self.index_fallback:
            self.index_fallback = msg.view.fallback
            if msg.view.fallback:
                self.notify(msg.view.fallback, title="index", severity="warning", timeout=10, markup=False)
            self._update_triage()
        self.last_updated = self.clock()
        if msg.note:  # every undo / redo / archive / restore says what it did: card, title, lanes, from -> to
            self.notify(visible(msg.note), title=msg.op or "", markup=False)
        self.cards_signal.publish((msg.view, msg.focus, msg.op))

    def on_index_changed_on_disk(self, _msg: IndexChangedOnDisk) -> None:
        if self._index_signature() != self._index_sig:
            self.run_load_index()

    def _board_op_running(self) -> bool:
        """A move is being written: a plain reload now would briefly undo its preview."""
        return any(w.group == "board" and not w.is_finished for w in self.workers)

    def on_archived_listed(self, msg: ArchivedListed) -> None:
        show = getattr(self.screen, "archived_listed", None)  # the board, if it is still the screen shown
        if show is not None:
            show(msg.agent, msg.cards)

    def on_board_op_failed(self, msg: BoardOpFailed) -> None:
        self.notify(f"{msg.op}: {msg.error}", severity="warning", markup=False)
        self.run_load_index(force=True)  # the truth replaces any preview the board showed
