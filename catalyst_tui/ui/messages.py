"""Typed, past-tense messages posted by the app's thread workers (never widgets from threads)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message import Message

from catalyst_tui.core.board import IndexView
from catalyst_tui.core.models import Card
from catalyst_tui.core.storage import FileSignature

if TYPE_CHECKING:
    from catalyst_tui.core.health import AgentStatus  # the monitor loads after the first frame


class CardsReloaded(Message):
    """``run_load_index`` (or a board operation) read a new index.

    ``focus`` is the card a board operation touched (the board keeps it focused);
    ``op`` names the operation (``move``, ``undo``, ``add`` ...) or is ``None`` for a plain reload.
    """

    def __init__(self, view: IndexView, focus: str | None = None, op: str | None = None,
                 sig: FileSignature | None = None, note: str | None = None) -> None:
        super().__init__()
        self.view = view
        self.focus = focus
        self.op = op
        self.sig = sig  # Board.signature() when the index was read, if known
        self.note = note  # what the operation did, in words (undo, redo, archive, restore): notified


class ArchivedListed(Message):
    """``run_list_archived`` read one lane's archive: its cards, the most recently archived first."""

    def __init__(self, agent: str, cards: list[Card]) -> None:
        super().__init__()
        self.agent = agent
        self.cards = cards


class AgentsRefreshed(Message):
    """``run_refresh_agents`` read the named agents' files (``statuses`` holds only those)."""

    def __init__(self, statuses: dict[str, AgentStatus]) -> None:
        super().__init__()
        self.statuses = statuses

    def can_replace(self, message: Message) -> bool:
        """Reads queued behind a busy event loop are handled as one: the newer message takes
        this one's statuses under its own (the newest status of each agent wins)."""
        if not isinstance(message, AgentsRefreshed):
            return False
        message.statuses = {**self.statuses, **message.statuses}
        return True


class BoardOpFailed(Message):
    """A board operation was refused by the core (e.g. nothing to undo): shown as a notification."""

    def __init__(self, op: str, error: str) -> None:
        super().__init__()
        self.op = op
        self.error = error


class IndexChangedOnDisk(Message):
    """The runtime's change feed saw the index (or the audit journal) change: re-read it."""

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, IndexChangedOnDisk)


class RuntimeNoticed(Message):
    """Any other runtime event (``event`` is one of ``catalyst_tui.core.runtime``'s typed events).

    Job progress lines replace the pending one of the same job (a burst is drawn once).
    """

    def __init__(self, event: object) -> None:
        super().__init__()
        self.event = event

    def can_replace(self, message: Message) -> bool:
        from catalyst_tui.core.runtime import JobChanged

        mine, theirs = self.event, getattr(message, "event", None)
        return (isinstance(message, RuntimeNoticed) and isinstance(mine, JobChanged) and mine.job.running
                and isinstance(theirs, JobChanged) and mine.job.name == theirs.job.name)
