"""The board: the shared index of live cards, its audit journal, per-agent archives, undo.

``from catalyst_tui.core.board import Board`` is the way in. The parts: :mod:`.index` (the
file format and its 0.1 predecessor), :mod:`.journal` (the audit journal, written ahead),
:mod:`.archive` (per-agent archives), :mod:`.order` (card order, its one owner),
:mod:`.replay` (the fallback path), :mod:`.undo` (stacks and their words), :mod:`.store`
(the locked transaction), :mod:`.ops` (the operations). docs/workspace.md describes the files.

A lazy face (core/faces.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from catalyst_tui.core.faces import lazy_getattr

if TYPE_CHECKING:
    from catalyst_tui.core.board.archive import ArchivedCard, Archives
    from catalyst_tui.core.board.index import INDEX_VERSION, IndexFile, IndexView
    from catalyst_tui.core.board.journal import AuditJournal
    from catalyst_tui.core.board.ops import ARCHIVE_BATCH, Board
    from catalyst_tui.core.board.order import board_order, in_column_order, next_order
    from catalyst_tui.core.board.store import DEFAULT_DONE_TTL_S, MIGRATOR, OPERATOR, BoardStore, new_session_id
    from catalyst_tui.core.board.undo import describe

_WHERE = {
    "ARCHIVE_BATCH": "ops",
    "ArchivedCard": "archive",
    "Archives": "archive",
    "AuditJournal": "journal",
    "Board": "ops",
    "BoardStore": "store",
    "DEFAULT_DONE_TTL_S": "store",
    "INDEX_VERSION": "index",
    "IndexFile": "index",
    "IndexView": "index",
    "MIGRATOR": "store",
    "OPERATOR": "store",
    "board_order": "order",
    "describe": "undo",
    "in_column_order": "order",
    "next_order": "order",
    "new_session_id": "store",
}
__all__ = [
    "ARCHIVE_BATCH",
    "DEFAULT_DONE_TTL_S",
    "INDEX_VERSION",
    "MIGRATOR",
    "OPERATOR",
    "ArchivedCard",
    "Archives",
    "AuditJournal",
    "Board",
    "BoardStore",
    "IndexFile",
    "IndexView",
    "board_order",
    "describe",
    "in_column_order",
    "new_session_id",
    "next_order",
]


__getattr__ = lazy_getattr(__name__, _WHERE)
