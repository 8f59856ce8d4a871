"""Card order, one owner: within a column by ``order`` (ties by id, so every reader agrees);
across a lane by column position; across the board by lane (the config's agent order).
Cards in an unknown lane or column sort after the known ones."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from operator import attrgetter
from typing import Any

from catalyst_tui.core.models import Card

in_column_order: Callable[[Card], Any] = attrgetter("order", "id")


def board_order(columns: Sequence[str], agents: Sequence[str] = ()) -> Callable[[Card], tuple[Any, ...]]:
    """The sort key of cards as the board shows them: lane, column, then :data:`in_column_order`."""
    col_pos = {c: i for i, c in enumerate(columns)}
    lane_pos = {a: i for i, a in enumerate(agents)}
    return lambda c: (lane_pos.get(c.agent, len(lane_pos)), col_pos.get(c.column, len(col_pos)), c.order, c.id)


def next_order(column: Iterable[Card]) -> float:
    """The ``order`` of a card put last in a column that holds ``column``."""
    return max((c.order for c in column), default=0.0) + 1.0
