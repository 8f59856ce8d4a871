"""The board screen: nine lanes, keyboard card moves through the core, the filter (docs/dashboard.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding

from catalyst_tui.core.board import Board, IndexView
from catalyst_tui.core.models import Card
from catalyst_tui.core.text import visible
from catalyst_tui.ui.board_model import CardFilter, parse_filter
from catalyst_tui.ui.screens.base import CatalystScreen
from catalyst_tui.ui.widgets.board_view import BoardView

if TYPE_CHECKING:
    from catalyst_tui.core.health import AgentStatus  # the monitor loads after the first frame


class BoardScreen(CatalystScreen):
    AUTO_FOCUS = ""  # none (None means the app's "*"): the board view is focused after the first frame
    DEFAULT_CSS = """
    BoardScreen #board-filter { display: none; height: 1; border: none; padding: 0 1; }
    BoardScreen #board-filter.-shown { display: block; }
    """
    BINDINGS = [
        Binding("up,k", "cursor('up')", "Up", id="board.up",
                tooltip="previous card; past the first, the lane above", show=False),
        Binding("down,j", "cursor('down')", "Down", id="board.down",
                tooltip="next card; past the last, the lane below", show=False),
        Binding("left,h", "cursor('left')", "Left", id="board.left",
                tooltip="previous column", show=False),
        Binding("right,l", "cursor('right')", "Right", id="board.right",
                tooltip="next column", show=False),
        Binding("shift+right,greater_than_sign", "shift_column(1)", "Next col", id="board.next_column",
                tooltip="move the card to the next column"),
        Binding("shift+left,less_than_sign", "shift_column(-1)", "Prev col", id="board.prev_column",
                tooltip="move the card to the previous column", show=False),
        Binding("shift+up", "shift_lane(-1)", "Lane up", id="board.lane_up",
                tooltip="reassign the card to the lane above", show=False),
        Binding("shift+down", "shift_lane(1)", "Lane down", id="board.lane_down",
                tooltip="reassign the card to the lane below", show=False),
        Binding("m", "pick", "Move to…", id="board.pick",
                tooltip="send the card to any agent and column", show=False),
        Binding("u", "undo", "Undo", id="board.undo",
                tooltip="undo this dashboard's last move, edit, archive or restore (audit journal)"),
        Binding("ctrl+r", "redo", "Redo", id="board.redo",
                tooltip="redo the action you undid"),
        Binding("n", "new_card", "New", id="board.new",
                tooltip="new card in this lane and column", show=False),
        Binding("e", "edit_title", "Edit", id="board.edit",
                tooltip="edit the card's title", show=False),
        Binding("enter", "details", "Details", id="board.details",
                tooltip="body, history of moves, work-log tail", show=False),
        Binding("d", "archive", "Archive", id="board.archive",
                tooltip="archive the card (asks first; u brings it back)", show=False),
        Binding("r", "restore", "Restore…", id="board.restore",
                tooltip="bring back one of this lane's archived cards", show=False),
        Binding("slash", "filter", "Filter", id="board.filter",
                tooltip="words, agent:NAME, column:NAME, flag:NAME"),
        Binding("escape", "clear_filter", "Clear filter", id="board.clear_filter",
                tooltip="clear the filter", show=False),
        *[Binding(str(i), f"jump({i})", f"Lane {i}", id=f"board.lane_{i}", show=False,
                  tooltip=f"jump to lane {i}") for i in range(1, 10)],
        Binding("question_mark", "help", "Help", id="board.help",
                tooltip="this help"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.filter = CardFilter()

    def compose_body(self) -> ComposeResult:
        app = self.app
        yield BoardView(app.ws.config.agent_names, list(app.ws.config.board.columns), app.clock)

    def on_mount(self) -> None:
        # Focusing re-applies the stylesheet to the board's whole subtree; the first frame does not
        # depend on focus (the keys are the screen's), so it comes right after that frame.
        self.call_after_refresh(self.view.focus)
        app = self.app
        if app.index.seq:
            self.view.apply(app.index.cards, self.filter)
        for status in app.statuses.values():
            self.view.set_status(status)
        self.watch(app, "theme", lambda _t: self.view.theme_changed(), init=False)

    def on_screen_resume(self) -> None:
        for view in self.query(BoardView):  # none yet on the very first resume (before compose)
            view.refresh_ages()  # back on the board: its ages are right at once

    @property
    def view(self) -> BoardView:
        return self.query_one(BoardView)

    # ------------------------------------------------------------------ data hooks
    def cards_reloaded(self, view: IndexView, focus: str | None, op: str | None) -> None:
        self.view.apply(view.cards, self.filter, focus)

    def agents_refreshed(self, statuses: dict[str, AgentStatus]) -> None:
        for status in statuses.values():
            self.view.set_status(status)

    # ------------------------------------------------------------------ navigation
    def action_cursor(self, where: str) -> None:
        v = self.view
        if where == "up":
            v.cursor_up()
        elif where == "down":
            v.cursor_down()
        else:
            v.cursor_col(-1 if where == "left" else 1)

    def action_jump(self, slot: int) -> None:
        if slot <= len(self.view.lanes):
            self._jump(slot - 1)

    def jump_to_agent(self, agent: str) -> None:
        agents = self.view.agents
        if agent in agents:
            self._jump(agents.index(agent))

    def _jump(self, index: int) -> None:
        if not self.view.jump(index):
            self.notify(f"no card of {self.view.agents[index]} matches the filter (esc clears it)",
                        severity="warning", markup=False)

    # ------------------------------------------------------------------ moves (through the core, in a worker)
    def _card_for(self, what: str) -> Card | None:
        card = self.view.focused_card()
        if card is None:
            self.notify(f"{what}: no card here", severity="warning")
            return None
        if not self.app.guard_write(what):
            return None
        return card

    def _move(self, card: Card, agent: str, column: str) -> None:
        """Shown at once (preview), written by the core in a worker; the index read after the
        write replaces the preview (a refused move reloads the index, undoing the preview)."""
        self.view.preview_move(card, agent, column, self.app.clock(), self.filter)
        self.app.run_board_op("move", lambda b: b.move(card.id, column=column, agent=agent), focus=card.id)

    def action_shift_column(self, delta: int) -> None:
        card = self._card_for("move")
        if card is None:
            return
        columns = self.view.columns
        pos = columns.index(card.column) + delta
        if not 0 <= pos < len(columns):
            self.notify(f"{card.id} is already in the {'last' if delta > 0 else 'first'} column")
            return
        target = columns[pos]
        self._move(card, card.agent, target)

    def action_shift_lane(self, delta: int) -> None:
        card = self._card_for("reassign")
        if card is None:
            return
        agents = self.view.agents
        pos = agents.index(card.agent) + delta
        if not 0 <= pos < len(agents):
            self.notify(f"{card.id}: no lane {'below' if delta > 0 else 'above'}")
            return
        target = agents[pos]
        self._move(card, target, card.column)

    def action_pick(self) -> None:
        card = self._card_for("move")
        if card is None:
            return
        from catalyst_tui.ui.screens.move_picker import MovePickerScreen

        def chosen(target: tuple[str, str] | None) -> None:
            if target is not None:
                self._move(card, *target)

        self.app.push_screen(MovePickerScreen(card, self.view.agents, self.view.columns), chosen)

    def action_undo(self) -> None:
        if self.app.guard_write("undo"):
            self.app.run_board_op("undo", Board.undo)

    def action_redo(self) -> None:
        if self.app.guard_write("redo"):
            self.app.run_board_op("redo", Board.redo)

    def action_new_card(self) -> None:
        if not self.app.guard_write("new card"):
            return
        from catalyst_tui.ui.screens.text_prompt import TextPromptScreen

        lane = self.view.lane
        agent, column = lane.agent, lane.columns[lane.col]

        def done(title: str | None) -> None:
            if title:
                self.app.run_board_op("add", lambda b: b.add(agent, title, column=column))

        self.app.push_screen(TextPromptScreen(f"New card in {agent} / {column}:",
                                              blink=self.app.cursor_blink), done)

    def action_edit_title(self) -> None:
        card = self._card_for("edit")
        if card is None:
            return
        from catalyst_tui.ui.screens.text_prompt import TextPromptScreen

        def done(title: str | None) -> None:
            if title and title != card.title:
                self.app.run_board_op("edit", lambda b: b.edit_title(card.id, title), focus=card.id)

        self.app.push_screen(TextPromptScreen(f"Title of {card.id}:", card.title,
                                              blink=self.app.cursor_blink), done)

    def action_archive(self) -> None:
        card = self._card_for("archive")
        if card is None:
            return
        from catalyst_tui.ui.screens.confirm import ConfirmScreen

        def done(yes: bool | None) -> None:
            if yes:
                self.app.run_board_op("archive", lambda b: b.archive(card.id))

        question = Text("Archive ") + Text(visible(card.title[:300]), style="bold") + Text(f" ({card.id})?")
        self.app.push_screen(ConfirmScreen(question), done)

    def action_restore(self) -> None:
        """The lane's archive is read in a worker; :meth:`archived_listed` shows the picker."""
        if self.app.guard_write("restore"):
            self.app.run_list_archived(self.view.lane.agent)

    def archived_listed(self, agent: str, cards: list[Card]) -> None:
        if not cards:
            self.notify(f"{agent}'s archive holds no card", severity="warning")
            return
        from catalyst_tui.ui.screens.restore_picker import RestorePickerScreen

        def chosen(card_id: str | None) -> None:
            if card_id:
                self.app.run_board_op("restore", lambda b: b.restore(card_id), focus=card_id)

        self.app.push_screen(RestorePickerScreen(agent, cards), chosen)

    def action_details(self) -> None:
        card = self.view.focused_card()
        if card is None:
            return
        from catalyst_tui.ui.screens.card_detail import CardDetailScreen

        self.app.push_screen(CardDetailScreen(card, self.app.board, self.app.clock))

    # ------------------------------------------------------------------ filter and help
    def _filter_input(self):  # type: ignore[no-untyped-def]
        """The filter's Input, mounted on first use (importing Input costs start-up time)."""
        from textual.widgets import Input

        found = self.query("#board-filter")
        if found:
            return found.first(Input)
        inp = Input(placeholder="filter: words, agent:NAME, column:NAME, flag:NAME — enter applies, esc clears",
                    id="board-filter")
        inp.cursor_blink = self.app.cursor_blink
        self.mount(inp, before=self.view)
        return inp

    def action_filter(self) -> None:
        inp = self._filter_input()
        inp.add_class("-shown")
        inp.focus()

    def on_input_submitted(self, event) -> None:  # type: ignore[no-untyped-def]
        if event.input.id == "board-filter":
            self.set_filter(event.value)
            self.view.focus()

    def set_filter(self, text: str) -> None:
        self.filter = parse_filter(text)
        if self.filter.active or self.query("#board-filter"):
            inp = self._filter_input()
            inp.set_class(self.filter.active, "-shown")
            if inp.value != text:
                inp.value = text
        self.view.apply(self.app.index.cards, self.filter)
        self.view.lane.land()  # a new set of cards: the cursor on one of them, not on a gap

    def action_clear_filter(self) -> None:
        self.set_filter("")
        self.view.focus()

    def action_help(self) -> None:
        from catalyst_tui.ui.screens.help import HelpScreen

        self.app.push_screen(HelpScreen.for_screen(self.app, self))
