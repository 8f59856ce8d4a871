from __future__ import annotations

import os
from pathlib import Path

import orjson

from catalyst_tui.core.jsonl import MAX_LINE_BYTES, JsonlTail, read_matching
from catalyst_tui.core.models import decode_dispatch


def _line(**kw: object) -> bytes:
    return orjson.dumps(kw) + b"\n"


def test_reads_only_what_was_appended(tmp_path: Path) -> None:
    p = tmp_path / "d.jsonl"
    p.write_bytes(_line(a=1) + _line(a=2))
    tail = JsonlTail(p)
    recs, errs = tail.read_new()
    assert [r["a"] for r in recs] == [1, 2] and errs == []
    assert tail.read_new() == ([], [])
    with open(p, "ab") as fh:
        fh.write(_line(a=3))
    recs, _ = tail.read_new()
    assert [r["a"] for r in recs] == [3]
    assert tail.offset == p.stat().st_size


def test_partial_last_line_waits_for_its_newline(tmp_path: Path) -> None:
    p = tmp_path / "d.jsonl"
    p.write_bytes(_line(a=1) + b'{"a": 2')
    tail = JsonlTail(p)
    recs, errs = tail.read_new()
    assert [r["a"] for r in recs] == [1] and errs == []
    with open(p, "ab") as fh:
        fh.write(b"}\n")
    recs, errs = tail.read_new()
    assert [r["a"] for r in recs] == [2] and errs == []


def test_bad_lines_are_skipped_and_reported_with_file_and_line(tmp_path: Path) -> None:
    p = tmp_path / "d.jsonl"
    p.write_bytes(_line(a=1) + b"garbage\n" + b"[1,2]\n" + b"\xff\xfe\x00\n" + b"\n" + _line(a=5))
    tail = JsonlTail(p, label="agents/x/d.jsonl")
    recs, errs = tail.read_new()
    assert [r["a"] for r in recs] == [1, 5]
    assert [e.line for e in errs] == [2, 3, 4]
    assert str(errs[0]).startswith("agents/x/d.jsonl:2: malformed record")


def test_wrong_types_are_reported_by_the_typed_decoder(tmp_path: Path) -> None:
    p = tmp_path / "d.jsonl"
    p.write_bytes(_line(ts=1.0, id="a", event="finished", status="ok", latency_ms=5)
                  + _line(ts="yesterday", id="b", event="finished")
                  + _line(ts=2.0, id="c", event="exploded"))
    recs, errs = JsonlTail(p, decode_dispatch).read_new()
    assert [r.id for r in recs] == ["a"]
    assert [e.line for e in errs] == [2, 3]


def test_truncation_restarts_from_zero(tmp_path: Path) -> None:
    p = tmp_path / "d.jsonl"
    p.write_bytes(_line(a=1) + _line(a=2))
    tail = JsonlTail(p)
    tail.read_new()
    with open(p, "r+b") as fh:
        fh.truncate(0)
    p.write_bytes(_line(a=9))
    recs, _ = tail.read_new()
    assert [r["a"] for r in recs] == [9]
    assert tail.line_no == 1


def test_rotation_is_detected_by_inode(tmp_path: Path) -> None:
    p = tmp_path / "d.jsonl"
    p.write_bytes(_line(a=1) + _line(a=2) + _line(a=3))
    tail = JsonlTail(p)
    tail.read_new()
    os.rename(p, tmp_path / "d.jsonl.1")
    p.write_bytes(_line(a=10) + _line(a=11) + _line(a=12) + _line(a=13))
    recs, _ = tail.read_new()
    assert [r["a"] for r in recs] == [10, 11, 12, 13]


def test_a_10_mb_line_is_skipped_without_losing_the_next(tmp_path: Path) -> None:
    p = tmp_path / "d.jsonl"
    p.write_bytes(_line(a=1) + b'{"x": "' + b"y" * (10 << 20) + b'"}\n' + _line(a=3))
    tail = JsonlTail(p)
    recs, errs = tail.read_new()
    assert [r["a"] for r in recs] == [1, 3]
    assert len(errs) == 1 and errs[0].line == 2 and str(MAX_LINE_BYTES) in errs[0].reason
    assert tail.line_no == 3


def test_long_line_arriving_in_pieces(tmp_path: Path) -> None:
    p = tmp_path / "d.jsonl"
    p.write_bytes(b'{"x": "' + b"y" * (MAX_LINE_BYTES + 10))
    tail = JsonlTail(p)
    recs, errs = tail.read_new()
    assert recs == [] and len(errs) == 1 and errs[0].line == 1  # reported once, as soon as it is too long
    with open(p, "ab") as fh:
        fh.write(b"yyy\"}\n" + _line(a=2))
    recs, errs = tail.read_new()
    assert [r["a"] for r in recs] == [2]
    assert errs == []
    assert tail.line_no == 2


def test_missing_file_is_empty(tmp_path: Path) -> None:
    assert JsonlTail(tmp_path / "nope.jsonl").read_new() == ([], [])


def test_seek_tail_reads_only_the_end(tmp_path: Path) -> None:
    p = tmp_path / "d.jsonl"
    p.write_bytes(b"".join(_line(a=i) for i in range(1000)))
    tail = JsonlTail(p)
    tail.seek_tail(100)
    recs, errs = tail.read_new()
    assert 0 < len(recs) < 20 and errs == []
    assert recs[-1]["a"] == 999
    assert [r["a"] for r in recs] == list(range(1000 - len(recs), 1000))  # whole lines only


def test_read_matching_decodes_only_the_lines_naming_the_needle(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    path.write_bytes(b'{"card": "c-1", "n": 1}\n'
                     b"not json at all, and not asked for\n"
                     b'{"card": "c-2", "n": 2}\n'
                     b'{"card": "c-1", broken\n'
                     b'{"card": "c-1", "n": 3}\n'
                     b'{"card": "c-1", "n": 4')  # torn: still being written
    records, errors = read_matching(path, orjson.loads, (b'"c-1"',))
    assert [r["n"] for r in records] == [1, 3]
    assert [(e.line, e.reason.split(":")[0]) for e in errors] == [(4, "malformed record")]
    assert read_matching(tmp_path / "missing.jsonl", orjson.loads, (b"x",)) == ([], [])
