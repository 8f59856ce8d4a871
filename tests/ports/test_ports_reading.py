"""PORTS.md read the way a person reads it: code fences, comments, stray rows, pipe-less rows,
odd characters and line endings; ``ports add`` keeps every byte outside the row it adds."""

from __future__ import annotations

from pathlib import Path

import pytest

from catalyst_tui.core.ports import add_port, parse_ports_md
from catalyst_tui.core.ports.markdown import split_lines

AGENTS = ["bjork", "slash"]
BANDS = "| class | range |\n|---|---|\n| hub | 3100-3199 |\n\n"  # lines 1-4 (a blank line ends a table)
PORTS_HEAD = "| port | protocol | service | class | owner |\n|---|---|---|---|---|\n"  # lines 5-6 after BANDS
ROW_3131 = "| 3131 | tcp | hub | hub | hub |\n"
INDENTED = ("    | port | protocol | service | class | owner |\n    |---|---|---|---|---|\n"
            "    | 3150 | tcp | code | hub | hub |\n")


def _doc(text: str):  # type: ignore[no-untyped-def]
    return parse_ports_md(text, "PORTS.md", AGENTS, ephemeral=None)


# (case, text, expected (port, line) entries, expected (kind, line) problems)
CASES: list[tuple[str, str, list[tuple[int, int]], list[tuple[str, int]]]] = [
    ("plain", BANDS + PORTS_HEAD + ROW_3131, [(3131, 7)], []),
    ("row after a blank line below the table is a stray row",
     BANDS + PORTS_HEAD + ROW_3131 + "\n| 3132 | tcp | late | hub | hub |\n", [(3131, 7)], [("stray-row", 9)]),
    ("two stray rows after prose, each with its line",
     BANDS + PORTS_HEAD + ROW_3131 + "Some prose.\n| 3133 | udp | a | hub | hub |\n"
     "| 3134 | tcp | b | hub | hub |\n", [(3131, 7)], [("stray-row", 9), ("stray-row", 10)]),
    ("a table in a backtick fence is an example, not ports",
     BANDS + "```markdown\n" + PORTS_HEAD + "| 3150 | tcp | example | hub | hub |\n```\n\n" + PORTS_HEAD + ROW_3131,
     [(3131, 13)], []),
    ("a tilde fence, and a longer closing fence",
     BANDS + "~~~~\n" + PORTS_HEAD + "| 3150 | tcp | example | hub | hub |\n~~~~~~\n" + PORTS_HEAD + ROW_3131,
     [(3131, 12)], []),
    ("an unclosed fence hides the rest of the file", BANDS + "```\n" + PORTS_HEAD + ROW_3131, [], [("no-table", 8)]),
    ("a table inside a multi-line HTML comment is not read",
     BANDS + "<!--\n" + PORTS_HEAD + "| 3150 | tcp | old | hub | hub |\n-->\n" + PORTS_HEAD + ROW_3131,
     [(3131, 12)], []),
    ("an inline comment inside a row is invisible",
     BANDS + PORTS_HEAD + "| 3131 | tcp | hub <!-- the hub --> | hub | hub |\n", [(3131, 7)], []),
    ("rows without outer pipes are rows",
     BANDS + "port | protocol | service | class | owner\n--- | --- | --- | --- | ---\n"
     "3131 | tcp | hub | hub | hub\n3132 | udp | stats | hub | bjork\n", [(3131, 7), (3132, 8)], []),
    ("a pipe-less row inside a piped table",
     BANDS + PORTS_HEAD + ROW_3131 + "3132 | tcp | two | hub | hub\n", [(3131, 7), (3132, 8)], []),
    ("a prose line with a pipe is no table and no problem",
     BANDS + "Use a | b here.\n" + PORTS_HEAD + ROW_3131, [(3131, 8)], []),
    ("an indented table is a code block", BANDS + INDENTED + "\n" + PORTS_HEAD + ROW_3131, [(3131, 11)], []),
    ("U+2028 inside a cell does not end the table",
     BANDS + PORTS_HEAD + "| 3131 | tcp | h\u2028ub | hub | hub |\n| 31x9 | tcp | bad | hub | hub |\n"
     "| 3133 | tcp | later | hub | hub |\n", [(3131, 7), (3133, 9)], [("control-char", 7), ("bad-port", 8)]),
    ("a form feed and a NEL inside cells",
     BANDS + PORTS_HEAD + "| 3131 | tcp | a\x0cb | hub | hub |\n| 3132 | tcp | c\x85d | hub | hub |\n"
     "| 3133 | tcp | e | hub | hub |\n", [(3131, 7), (3132, 8), (3133, 9)],
     [("control-char", 7), ("control-char", 8)]),
    ("a UTF-8 BOM does not hide the bands table", "\ufeff" + BANDS + PORTS_HEAD + ROW_3131, [(3131, 7)], []),
    ("CRLF line endings", (BANDS + PORTS_HEAD + ROW_3131 + "\n| 3132 | tcp | x | hub | hub |\n").replace(
        "\n", "\r\n"), [(3131, 7)], [("stray-row", 9)]),
    ("lone CR line endings", (BANDS + PORTS_HEAD + ROW_3131).replace("\n", "\r"), [(3131, 7)], []),
    ("a <!-- in a code span is text: the rows below are read",
     BANDS + PORTS_HEAD + "| 3131 | tcp | `<!--` hub | hub | hub |\n| 3132 | tcp | two | hub | hub |\n",
     [(3131, 7), (3132, 8)], []),
    ("an unclosed <!-- inside a row is text (only a line that starts with it opens a comment)",
     BANDS + PORTS_HEAD + "| 3131 | tcp | hub <!-- note | hub | hub |\n| 3132 | tcp | two | hub | hub |\n",
     [(3131, 7), (3132, 8)], []),
    ("a table of something else keeps its own rows",
     BANDS + "| name | value |\n|---|---|\n| 3150 | tcp |\n\n" + PORTS_HEAD + ROW_3131, [(3131, 11)], []),
]


@pytest.mark.parametrize(("text", "entries", "problems"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_parser_cases(text: str, entries: list[tuple[int, int]], problems: list[tuple[str, int]]) -> None:
    doc = _doc(text)
    assert [(e.port, e.line) for e in doc.entries] == entries
    assert sorted((p.kind, p.line) for p in doc.problems) == sorted(problems), doc.problems
    if "bands" not in {t.kind for t in doc.tables} and entries:
        raise AssertionError("the bands table was not found")


def test_bom_bands_are_read_and_ports_are_in_band() -> None:
    doc = _doc("\ufeff" + BANDS + PORTS_HEAD + ROW_3131)
    assert [(b.cls, b.line) for b in doc.bands] == [("hub", 3)]
    assert not doc.problems
    assert not any(p.kind == "unknown-class" for p in doc.problems)


def test_stray_row_is_an_error_naming_its_port() -> None:
    doc = _doc(BANDS + PORTS_HEAD + ROW_3131 + "\n| 3132 | tcp | late | hub | hub |\n")
    (p,) = doc.errors
    assert (p.kind, p.line, p.port) == ("stray-row", 9, 3132)
    assert "outside any ports table" in p.message


def test_split_lines_only_at_markdown_line_ends() -> None:
    assert split_lines("a\u2028b\x0cc\x85d\ne\r\nf\rg") == ["a\u2028b\x0cc\x85d", "e", "f", "g"]
    assert split_lines("a\r\nb\n", keepends=True) == ["a\r\n", "b\n"]


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "PORTS.md"
    path.write_bytes(text.encode("utf-8"))
    return path


@pytest.mark.parametrize(("case", "text", "row"), [
    ("crlf", (BANDS + "\n" + PORTS_HEAD + ROW_3131 + "\nThe end.\n").replace("\n", "\r\n"),
     b"| 3140 | tcp | web | hub | bjork |\r\n"),
    ("bom and odd characters elsewhere", "\ufeff" + BANDS + PORTS_HEAD + "| 3131 | tcp | h\u2028u\x0cb | hub | hub |\n"
     + "Prose with a NEL \x85 and no final newline", b"| 3140 | tcp | web | hub | bjork |\n"),
    ("lone CR", (BANDS + PORTS_HEAD + ROW_3131).replace("\n", "\r"), b"| 3140 | tcp | web | hub | bjork |\r"),
    ("pipe-less table", BANDS + "port | protocol | service | class | owner\n---|---|---|---|---\n"
     "3131 | tcp | hub | hub | hub\n", b"3140 | tcp | web | hub | bjork\n"),
])
def test_add_keeps_every_byte_outside_the_row(tmp_path: Path, case: str, text: str, row: bytes) -> None:
    path = _write(tmp_path, text)
    before = path.read_bytes()
    added = add_port(path, 3140, "web", "hub", "bjork", agents=AGENTS, ephemeral=None)
    after = path.read_bytes()
    at = after.index(row)
    assert after[:at] + after[at + len(row):] == before, case
    doc = _doc(after.decode())
    assert [(e.port, e.line) for e in doc.entries if e.port == 3140] == [(3140, added.line)]
    assert not doc.errors


def test_add_after_a_last_row_without_newline_keeps_crlf(tmp_path: Path) -> None:
    path = _write(tmp_path, (BANDS + PORTS_HEAD).replace("\n", "\r\n") + "| 3131 | tcp | hub | hub | hub |")
    add_port(path, 3140, "web", "hub", "bjork", agents=AGENTS, ephemeral=None)
    data = path.read_bytes()
    assert data.endswith(b"| 3131 | tcp | hub | hub | hub |\r\n| 3140 | tcp | web | hub | bjork |\r\n")
    assert b"\n" not in data.replace(b"\r\n", b"")


def test_add_refuses_a_file_with_a_stray_row(tmp_path: Path) -> None:
    from catalyst_tui.core.ports import PortsEditError

    path = _write(tmp_path, BANDS + PORTS_HEAD + ROW_3131 + "\n| 3132 | tcp | late | hub | hub |\n")
    before = path.read_bytes()
    with pytest.raises(PortsEditError, match=r"PORTS.md:9: a port row outside any ports table"):
        add_port(path, 3140, "web", "hub", "bjork", agents=AGENTS, ephemeral=None)
    assert path.read_bytes() == before
