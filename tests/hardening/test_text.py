"""core/text.py: the one escaping rule, for human output, errors and JSON."""

from __future__ import annotations

import json

import pytest

from catalyst_tui.core.text import has_undecodable, json_text, one_line, visible, visible_block

HOSTILE = [
    ("\x1b]0;pwned\x07", "\\x1b]0;pwned\\x07"),  # OSC 0: sets the terminal/pane title
    ("\x1b[2J\x1b[H", "\\x1b[2J\\x1b[H"),  # clear screen
    ("a\x9bb", "a\\x9bb"),  # C1 CSI
    ("a\x85b", "a\\x85b"),  # C1 NEL
    ("del\x7f", "del\\x7f"),
    ("abc\u202edef", "abc\\u202edef"),  # bidi override
    ("\u2066x\u2069", "\\u2066x\\u2069"),  # bidi isolates
    ("a\u200bb", "a\\u200bb"),  # zero-width space
    ("line\nnext\rback", "line\\x0anext\\x0dback"),
    ("a\u2028b", "a\\u2028b"),  # line separator
    ("bad\udcff\udc80byte", "bad\\xff\\x80byte"),  # surrogateescape'd non-UTF-8 bytes
    ("tag\U000e0041", "tag\\U000e0041"),  # a tag character (invisible)
]


@pytest.mark.parametrize(("raw", "shown"), HOSTILE)
def test_visible_shows_every_control(raw: str, shown: str) -> None:
    out = visible(raw)
    assert out == shown
    assert (out.isprintable() and out.isascii()) or out.isprintable()


@pytest.mark.parametrize("fine", ["Fix the router", "日本語のカード", "مرحبا", "café ✓ 🚀", "a\\x1b literal"])
def test_visible_keeps_printable_text(fine: str) -> None:
    assert visible(fine) == fine


def test_visible_block_keeps_lines_and_tabs_only() -> None:
    assert visible_block("# T\r\n\tbody\x1b[31m\n\x9b") == "# T\n\tbody\\x1b[31m\n\\x9b"


def test_one_line_error_from_a_hostile_key() -> None:
    msg = one_line("catalyst.toml: unknown key 'a\x1b]0;x\x07\nb'")
    assert "\n" not in msg and "\x1b" not in msg and "\x07" not in msg
    assert msg == "catalyst.toml: unknown key 'a\\x1b]0;x\\x07\\x0ab'"
    assert len(one_line("x" * 10_000)) == 2000


@pytest.mark.parametrize("pretty", [True, False])
def test_json_escapes_c1_bidi_del_and_round_trips(pretty: bool) -> None:
    value = {"title": "x\x9by\u202ez\x7f\u2028\x1b 日本 é", "nested": ["\x85", {"k\u202e": 1}]}
    out = json_text(value, pretty=pretty)
    for raw in ("\x9b", "\u202e", "\x7f", "\u2028", "\x1b", "\x85"):
        assert raw not in out
    assert "\\u009b" in out and "\\u202e" in out and "日本 é" in out
    assert json.loads(out) == value  # the consumer gets the exact value back


def test_json_of_undecodable_bytes_is_spelled_not_fatal() -> None:
    out = json_text({"path": "agents/b\udcffad"})
    assert json.loads(out) == {"path": "agents/b\\xffad"}
    assert has_undecodable("b\udcff") and not has_undecodable("plain é")


def test_json_outside_the_bmp() -> None:
    out = json_text(["\U000e0041", "🚀"])
    assert "\\udb40\\udc41" in out and "🚀" in out
    assert json.loads(out) == ["\U000e0041", "🚀"]
