"""How a person reads a Markdown file, for PORTS.md: its lines, code fences, HTML comments and
table rows (CommonMark's rules where they matter: which line endings end a line, which ``<!--``
opens a comment, what a fence is). The registry (registry.py) parses the rows it is given."""

from __future__ import annotations

import re

# Markdown's line endings are LF, CRLF and a lone CR; nothing else (U+2028, NEL, a form feed)
# ends a line for a reader, so nothing else may end a table here (str.splitlines would).
_EOL = re.compile(r"\r\n|\r|\n")
_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")
_TICKS = re.compile(r"`+")
# only a line that starts with "<!--" (up to 3 spaces in) opens a comment that may span lines;
# anywhere else an unclosed "<!--" is text (CommonMark's HTML block rule)
_COMMENT_BLOCK = re.compile(r" {0,3}<!--")
# characters that are no line break to Markdown but hide or distort a cell (reported, kept)
ODD_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\u200b-\u200f\u202a-\u202e"
                        "\u2066-\u2069\ufeff]")
BOM = "\ufeff"


def split_lines(text: str, keepends: bool = False) -> list[str]:
    """``text`` cut at LF, CRLF and lone CR only (the ends a Markdown reader sees)."""
    out: list[str] = []
    start = 0
    for m in _EOL.finditer(text):
        out.append(text[start:m.end() if keepends else m.start()])
        start = m.end()
    if start < len(text):
        out.append(text[start:])
    return out


def split_row(line: str) -> list[str] | None:
    """The cells of a Markdown table row, or None when the line is not one (no unescaped pipe).

    Outer pipes are optional (``a | b`` is a row of two cells); ``\\|`` is a literal pipe."""
    s = line.strip(" \t")
    cells: list[str] = []
    cur: list[str] = []
    pipes = 0
    i = 1 if s.startswith("|") else 0
    pipes += i
    while i < len(s):
        ch = s[i]
        if ch == "\\" and i + 1 < len(s) and s[i + 1] == "|":
            cur.append("|")
            i += 2
            continue
        if ch == "|":
            pipes += 1
            cells.append("".join(cur).strip())
            cur = []
        else:
            cur.append(ch)
        i += 1
    if not pipes:
        return None
    tail = "".join(cur).strip()
    if tail:  # no closing pipe: the last cell still counts
        cells.append(tail)
    return cells


def _hide_inline_comments(line: str) -> str:
    """Whole ``<!-- ... -->`` comments of one line blanked out, except inside a code span (text
    there). One pass: each backtick run is looked up once (no regex backtracking on a long run)."""
    if "<!--" not in line:
        return line
    out: list[str] = []
    i = 0
    tick = comment = -1
    while i < len(line):
        if comment < i:  # each search starts past the last one: the line is scanned once
            comment = line.find("<!--", i)
            if comment < 0:
                break
        if tick < i:
            tick = line.find("`", i) % (len(line) + 1)  # none left: past the end, never searched again
        if 0 <= tick < comment:  # a code span first: skip it whole (an unmatched run is text)
            run = _TICKS.match(line, tick)
            assert run is not None
            width = run.end() - tick
            close = run.end()
            while (m := _TICKS.search(line, close)) is not None and m.end() - m.start() != width:
                close = m.end()
            end = m.end() if m is not None else run.end()
            out.append(line[i:end])
            i = end
            continue
        end = line.find("-->", comment + 4)
        if end < 0:
            break  # unclosed: text on this line (only a line that starts with it opens a block)
        out.append(line[i:comment] + " " * (end + 3 - comment))
        i = end + 3
    out.append(line[i:])
    return "".join(out)


def visible_lines(text: str) -> list[str | None]:
    """Each line as a reader sees it: ``None`` inside a fenced code block (fences included) or
    an HTML comment; comments within a line removed. A UTF-8 BOM is no part of the first line."""
    if text.startswith(BOM):
        text = text[1:]
    out: list[str | None] = []
    fence: str | None = None
    in_comment = False
    for line in split_lines(text):
        if fence is not None:
            out.append(None)
            stripped = line.strip()
            if stripped.startswith(fence) and set(stripped) == {fence[0]}:
                fence = None
            continue
        if in_comment:
            end = line.find("-->")
            if end < 0:
                out.append(None)
                continue
            in_comment = False
            line = " " * (end + 3) + line[end + 3:]
        m = _FENCE.match(line)
        if m and not (m.group(1)[0] == "`" and "`" in line[m.end():]):
            fence = m.group(1)
            out.append(None)
            continue
        line = _hide_inline_comments(line)
        if _COMMENT_BLOCK.match(line):
            in_comment = True
            out.append(None)
            continue
        out.append(line)
    return out


def plain_cell(cell: str) -> str:
    """A cell without Markdown code ticks around it."""
    c = cell.strip()
    if len(c) >= 2 and c[0] == "`" and c[-1] == "`":
        c = c[1:-1].strip()
    return c
