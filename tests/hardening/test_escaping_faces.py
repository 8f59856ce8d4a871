"""Class 5: untrusted text never reaches a terminal raw, on any face: CLI human output, --json,
error messages, the dashboard's agent detail and notifications, the application log."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest
from hostile_files import cli, one_line_error
from textual.widgets import RichLog, TabbedContent

from catalyst_tui.core.agents import record_dispatch, record_work
from catalyst_tui.core.applog import AppLog
from catalyst_tui.core.workspace import Workspace
from catalyst_tui.ui.screens.agent_detail import AgentDetailScreen
from catalyst_tui.ui.testing import FROZEN_NOW, make_app, seed_workspace, wait_for_data
from catalyst_tui.ui.testing import until as _until

OSC_TITLE = "\x1b]0;pwned\x07"  # renames a terminal window / tmux pane
HOSTILE = f"{OSC_TITLE}a\x1b[2J\x9b31mb\x85c\u202ed\x7fe\u2066f"
RAW = ("\x1b", "\x07", "\x9b", "\x85", "\u202e", "\x7f", "\u2066")


def _no_raw(text: str) -> None:
    for ch in RAW:
        assert ch not in text, (repr(ch), text)


def test_card_list_and_show_human_output(ws: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    card = ws.board.add("bjork", HOSTILE, body=f"# title\n{HOSTILE}\nsecond line\n")
    code, out, _ = cli(capsys, "card", "list", "-w", str(ws.root))
    assert code == 0
    _no_raw(out)
    # (the board made the title one line: NEL, a line break for Python, became a space)
    assert "\\x1b]0;pwned\\x07a\\x1b[2J\\x9b31mb c\\u202ed\\x7fe\\u2066f" in out
    code, out, _ = cli(capsys, "card", "show", card.id, "-w", str(ws.root))
    assert code == 0
    _no_raw(out)
    assert "\nsecond line\n" in out  # a body keeps its lines


@pytest.mark.parametrize("argv", [["card", "list", "--json"], ["card", "show", "{id}", "--json"]])
def test_json_escapes_c1_and_round_trips(ws: Workspace, capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    card = ws.board.add("bjork", HOSTILE)
    code, out, _ = cli(capsys, *[a.format(id=card.id) for a in argv], "-w", str(ws.root))
    assert code == 0
    _no_raw(out)
    assert "\\u009b" in out and "\\u202e" in out
    doc = json.loads(out)
    title = doc["cards"][0]["title"] if "cards" in doc else doc["card"]["title"]
    assert title == " ".join(HOSTILE.split()) == card.title  # escaped, not altered


@pytest.mark.parametrize("key", ["a\x1b]0;x\x07b", "line\nbreak", "bell\x07", "c1\x9bkey"])
def test_an_error_from_a_hostile_config_key_is_one_visible_line(ws: Workspace, capsys: pytest.CaptureFixture[str],
                                                                 key: str) -> None:
    toml = ws.root / "catalyst.toml"
    toml.write_text(toml.read_text() + f"\n[evil]\n{json.dumps(key)} = 1\n")
    code, out, err = cli(capsys, "status", "-w", str(ws.root))
    assert code == 2 and out == ""
    one_line_error(err, "catalyst.toml")
    _no_raw(err)


def test_the_application_log_is_escaped(tmp_path: Path) -> None:
    log = AppLog(tmp_path / "app.log")
    log.event("watch", HOSTILE)
    line = (tmp_path / "app.log").read_bytes()
    _no_raw(line.decode())
    assert orjson.loads(line)["msg"] == HOSTILE



def _rendered(log: RichLog) -> str:
    return "\n".join("".join(seg.text for seg in strip) for strip in log.lines)


async def test_agent_detail_shows_an_osc_in_a_log_line_without_obeying_it(tmp_path: Path) -> None:
    ws = seed_workspace(tmp_path / "ws", {"bjork": [("todo", HOSTILE)]})
    record_work(ws.agent("bjork"), f"working {HOSTILE}")
    record_dispatch(ws.agent("bjork"), id="j1", event="finished", status="error", latency_ms=5.0,
                    ts=FROZEN_NOW - 10, error=HOSTILE)
    app = make_app(ws)
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for_data(pilot)
        app.push_screen(AgentDetailScreen("bjork"))
        await _until(pilot, lambda: isinstance(app.screen, AgentDetailScreen))
        detail = app.screen
        assert isinstance(detail, AgentDetailScreen)
        await _until(pilot, lambda: len(detail.work) == 1 and len(detail.dispatch) == 1)
        tabs = detail.query_one("#detail-tabs", TabbedContent)
        for tab, key in (("tab-cards", "cards"), ("tab-dispatch", "dispatch"), ("tab-work", "work")):
            tabs.active = tab
            log = detail.query_one(f"#detail-{key}", RichLog)
            await _until(pilot, lambda log=log: len(log.lines) == 1)
            shown = _rendered(log)
            _no_raw(shown)
            assert "\\x1b]0;pwned\\x07" in shown, shown
        app.notify(f"[b]bold?[/b] {HOSTILE}", title=HOSTILE)
        await pilot.pause()
        note = list(app._notifications)[-1]  # the message as Textual keeps it for the toast
        _no_raw(note.message + note.title)
        assert note.message.startswith("[b]bold?[/b]") and not note.markup


def test_triage_list_shows_hostile_reasons_and_shared_problems() -> None:
    from rich.console import Console

    from catalyst_tui.core.health.reasons import Kind, Reason
    from catalyst_tui.core.health.verdict import SharedProblem, Triage, TriageEntry
    from catalyst_tui.core.models import Health
    from catalyst_tui.ui.screens.triage_list import triage_table

    reason = Reason(kind=next(iter(Kind)), health=Health.DEGRADED, strength=2.0, text="log \x1b]0;pwned\x07 line",
                    key="k")
    triage = Triage(text="1 of 9 affected", affected=("bjork",), scope="tenant", total=9,
                    entries=(TriageEntry("bjork", Health.DEGRADED, (reason,)),),
                    shared=(SharedProblem("janitor", "rule 'x\x1b[2J' \u202egnirts", None),))
    console = Console(width=160, color_system=None, force_terminal=False)
    with console.capture() as cap:
        console.print(triage_table(triage))
    out = cap.get()
    assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out
    assert "\\x1b]0;pwned\\x07" in out and "\\x1b[2J" in out and "\\u202e" in out


@pytest.mark.parametrize("ts", [1e308, -1e308, 1e20, float("nan")])
def test_dashboard_lines_with_a_timestamp_no_calendar_holds(ts: float) -> None:
    """A tenant's record may hold any float: its line reads ``?``, the screen never raises."""
    from catalyst_tui.core.models import Card, DispatchRecord, WorkRecord
    from catalyst_tui.ui.screens.agent_detail import dispatch_line, work_line
    from catalyst_tui.ui.screens.restore_picker import RestorePickerScreen

    assert dispatch_line(DispatchRecord(ts=ts, id="d-1", event="started")).startswith("?  started  d-1")
    assert work_line(WorkRecord(ts=ts, text="hello")).startswith("?  log  hello")
    card = Card(id="c-1", agent="bjork", column="done", order=1.0, title="t", created=ts, moved=ts)
    assert "  ?  " in RestorePickerScreen._label(card).plain


def test_stderr_logging_of_long_running_commands_is_one_visible_line() -> None:
    """``mcp`` and ``web`` log to stderr (stdout is the protocol / the announcement): a message
    quoting untrusted text, or an exception, is one line with its controls shown."""
    import logging
    import sys

    from catalyst_tui.core.applog import OneLineFormatter

    fmt = OneLineFormatter("catalyst-tui mcp")
    plain = logging.LogRecord("catalyst_tui.serve", logging.WARNING, __file__, 1, "card %s: %s", ("c-1",
                              "title \x1b]0;pwned\x07\nsecond line \u009b2J"), None)
    out = fmt.format(plain)
    assert out.startswith("catalyst-tui mcp: WARNING catalyst_tui.serve: card c-1: title ")
    assert "\n" not in out and "\x1b" not in out and "\u009b" not in out and "\\x1b]0;pwned\\x07" in out
    try:
        raise ValueError("bad \x1b[2J value\nmore")
    except ValueError:
        failed = logging.LogRecord("x", logging.ERROR, __file__, 1, "tool failed", (), sys.exc_info())
    out = fmt.format(failed)
    assert "Traceback" not in out and "\n" not in out and "\x1b" not in out
    assert out.endswith("tool failed (ValueError: bad \\x1b[2J value\\x0amore)")


async def test_janitor_items_title_is_literal() -> None:
    """The items' border title quotes a run id read back from a report file: no markup, no controls."""
    from textual.app import App, ComposeResult

    from catalyst_tui.ui.widgets.janitor_items import JanitorItems

    class Host(App[None]):
        def compose(self) -> ComposeResult:
            yield JanitorItems()

    app = Host()
    async with app.run_test(size=(100, 10)) as pilot:
        items = app.query_one(JanitorItems)
        items.show("flagged by run [b]r-1[/b] \x1b]0;pwned\x07", [])
        await pilot.pause()
        from textual.content import Content

        plain = Content.from_markup(str(items.border_title)).plain  # what the border shows
        assert "[b]r-1[/b]" in plain and "\\x1b]0;pwned\\x07" in plain and "\x1b" not in plain
