"""Hostile card titles render literally, never interpreted, without breaking the layout."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.cells import cell_len

from catalyst_tui.core.text import visible
from catalyst_tui.ui.board_model import parse_filter
from catalyst_tui.ui.testing import make_app, seed_workspace, settle, wait_for_data

MARKUP = "[red]x[/red] [link=https://evil.example]click[/link] [@click=app.quit]quit[/]"
ESCAPES = "\x1b[31mRED\x1b[0m \x1b]52;c;aGFjaw==\x07 \x1b[2J"
RTL = "مرحبا بالعالم \u202egnp.exe"
CJK = "日本語のタイトル" * 3
LONG = "A" * 10_000

HOSTILE = [MARKUP, ESCAPES, RTL, CJK, LONG, MARKUP + ESCAPES + RTL + CJK + LONG]


def test_printable_shows_control_and_format_characters() -> None:
    assert visible("\x1b[31mRED\x07") == "\\x1b[31mRED\\x07"
    assert visible("a\u202eb\u200dc") == "a\\u202eb\\u200dc"
    assert visible(CJK) == CJK and visible("مرحبا") == "مرحبا"


def test_filter_parsing() -> None:
    f = parse_filter("Router agent:bjork column:todo flag:log-missing foo:bar")
    assert f.words == ("router", "foo:bar") and f.agents == {"bjork"} and f.columns == {"todo"}
    assert f.flags == {"log-missing"} and f.active
    assert not parse_filter("   ").active


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
async def test_hostile_titles_render_literally(tmp_path: Path, size: tuple[int, int]) -> None:
    ws = seed_workspace(tmp_path / "ws", {"bjork": [("todo", t) for t in HOSTILE]} | {"cher": [("todo", "calm")]})
    app = make_app(ws)
    async with app.run_test(size=size) as pilot:
        await wait_for_data(pilot)
        await pilot.press("2")
        await settle(pilot)
        view = app.screen.view
        assert app.is_running and app.current_mode == "board"
        texts = []
        for lane in view.lanes:
            assert lane.region.bottom <= size[1] - 1, f"{lane.agent} pushed off screen"
            for y in range(lane.size.height):
                strip = lane.render_line(y)
                assert strip.cell_length == lane.size.width, (lane.agent, y)
                for seg in strip:
                    assert "\x1b" not in seg.text and "\x07" not in seg.text and "\u202e" not in seg.text
                    assert seg.style is None or not seg.style.link
                texts.append(strip.text)
        joined = "\n".join(texts)
        assert "[red]x[/red]" in joined  # markup shown as text
        assert "\\x1b[31mRED" in joined  # escape codes shown, not obeyed
        heights = [lane.size.height for lane in view.lanes]
        assert heights[1] == max(heights) and sum(heights) == view.size.height - 1
        # the focused card's details show the whole title, literally
        await pilot.press("enter")
        await settle(pilot)
        title = app.screen.query_one("#detail-title").render()
        assert title.plain == visible(MARKUP)
        assert all("link" not in str(s.style) and "click" not in str(s.style) for s in title.spans)
        await pilot.press("escape")
        # the long title card: focus it, the summary line stays one line wide
        lane = view.lane
        lane.go_to_row(4)
        assert lane.focused_card().title == LONG
        assert lane.render_line(0).cell_length == lane.size.width
        assert sum(cell_len(seg.text) for seg in lane.summary(lane.size.width)) <= lane.size.width
