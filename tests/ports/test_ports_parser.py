"""PORTS.md parser: every malformed-input case reported with its line number."""

from __future__ import annotations

from pathlib import Path

import pytest

from catalyst_tui.core.ports import (
    PortsFileError,
    load_ports_md,
    parse_ports_md,
    read_ephemeral_range,
    split_row,
)
from catalyst_tui.core.workspace import DEFAULT_PORTS_MD

REPO = Path(__file__).resolve().parents[2]
AGENTS = ["bjork", "slash"]

HEAD = """\
# PORTS

## Bands

| class | range | description |
|-------|-------|-------------|
| hub | 3100-3199 | hub |
| inference | 18800-18899 | models |

## Ports

| port | protocol | service | class | owner | notes |
|------|----------|---------|-------|-------|-------|
| 3131 | tcp | catalyst-hub | hub | hub | the hub |
"""
# HEAD has 14 lines: bands on 7-8, the ports header on 12, the hub row on 14.


def parse(extra: str = "", head: str = HEAD, eph: tuple[int, int] | None = None):  # type: ignore[no-untyped-def]
    return parse_ports_md(head + extra, "PORTS.md", AGENTS, ephemeral=eph)


def only(doc, kind: str):  # type: ignore[no-untyped-def]
    found = [p for p in doc.problems if p.kind == kind]
    assert len(found) == 1, f"expected one {kind!r} problem, got {doc.problems}"
    return found[0]


def test_clean_file_has_no_problems() -> None:
    doc = parse()
    assert doc.problems == []
    assert [(b.cls, b.lo, b.hi, b.line) for b in doc.bands] == [("hub", 3100, 3199, 7), ("inference", 18800, 18899, 8)]
    assert [(e.port, e.service, e.owner, e.line) for e in doc.entries] == [(3131, "catalyst-hub", "hub", 14)]


def test_malformed_row_wrong_cell_count() -> None:
    doc = parse("| 3132 | tcp | lonely |\n")
    p = only(doc, "malformed")
    assert (p.line, p.severity) == (15, "error")
    assert "3 cells" in p.message and "line 12" in p.message
    assert len(doc.entries) == 1  # the good row is kept


def test_non_numeric_port() -> None:
    p = only(parse("| 31x2 | tcp | web | hub | hub | |\n"), "bad-port")
    assert (p.line, p.severity) == (15, "error")
    assert "'31x2' is not a number" in p.message


@pytest.mark.parametrize("port", [0, 65536, 99999])
def test_out_of_range_port(port: int) -> None:
    p = only(parse(f"| 3140 | tcp | ok | hub | hub | |\n| {port} | tcp | web | hub | hub | |\n"), "bad-port")
    assert (p.line, p.port) == (16, port)
    assert "out of range" in p.message


def test_negative_port_is_not_a_number() -> None:
    p = only(parse("| -1 | tcp | web | hub | hub | |\n"), "bad-port")
    assert p.line == 15


def test_duplicate_port_names_both_lines() -> None:
    doc = parse("| 3140 | tcp | a | hub | hub | |\n| 3131 | tcp | other | hub | bjork | |\n")
    p = only(doc, "duplicate")
    assert p.line == 16 and "line 14" in p.message and p.severity == "warning"


def test_same_port_different_protocols_is_not_a_duplicate() -> None:
    doc = parse("| 3131 | udp | hub-discovery | hub | hub | |\n")
    assert doc.problems == []


def test_tcp_udp_row_duplicates_a_udp_row() -> None:
    p = only(parse("| 3150 | udp | a | hub | hub | |\n| 3150 | tcp/udp | b | hub | hub | |\n"), "duplicate")
    assert p.line == 16


def test_port_outside_its_class_band() -> None:
    p = only(parse("| 3140 | tcp | a | hub | hub | |\n| 18850 | tcp | router | hub | hub | |\n"), "out-of-band")
    assert p.line == 16 and "3100-3199" in p.message


def test_overlapping_bands() -> None:
    head = HEAD.replace("| inference | 18800-18899 | models |", "| inference | 3150-3250 | models |")
    p = only(parse(head=head), "overlap")
    assert p.line == 8 and "line 7" in p.message


def test_unknown_class() -> None:
    p = only(parse("| 3140 | tcp | a | hub | hub | |\n| 19100 | tcp | metrics | dashboard | hub | |\n"),
             "unknown-class")
    assert p.line == 16 and "'dashboard'" in p.message


def test_port_in_the_ephemeral_range() -> None:
    head = HEAD.replace("18800-18899", "40000-40099")
    p = only(parse("| 40010 | tcp | model | inference | hub | |\n", head=head, eph=(32768, 60999)), "ephemeral")
    assert p.line == 15 and "32768-60999" in p.message


def test_ephemeral_range_read_from_proc_format(tmp_path: Path) -> None:
    f = tmp_path / "ip_local_port_range"
    f.write_text("3100\t3135\n")
    eph = read_ephemeral_range(f)
    assert eph == (3100, 3135)
    p = only(parse(eph=eph), "ephemeral")
    assert p.line == 14
    f.write_text("garbage\n")
    assert read_ephemeral_range(f) is None
    assert read_ephemeral_range(tmp_path / "absent") is None


def test_bad_band_range() -> None:
    head = HEAD.replace("| inference | 18800-18899 | models |", "| inference | 18899-18800 | models |")
    p = only(parse(head=head), "bad-band")
    assert (p.line, p.severity) == (8, "error")
    head = HEAD.replace("| inference | 18800-18899 | models |", "| inference | lots | models |")
    assert only(parse(head=head), "bad-band").line == 8
    head = HEAD.replace("| inference | 18800-18899 | models |", "| inference | 60000-70000 | models |")
    assert only(parse(head=head), "bad-band").line == 8


def test_duplicate_band_class() -> None:
    head = HEAD.replace("| inference | 18800-18899 | models |", "| hub | 18800-18899 | models |")
    p = only(parse(head=head), "duplicate-band")
    assert p.line == 8


def test_bad_protocol() -> None:
    p = only(parse("| 3140 | sctp | a | hub | hub | |\n"), "malformed")
    assert p.line == 15 and "sctp" in p.message


def test_unknown_owner() -> None:
    p = only(parse("| 3140 | tcp | a | hub | mallory | |\n"), "unknown-owner")
    assert p.line == 15 and "mallory" in p.message
    p = only(parse("| 3140 | tcp | a | hub | ../etc | |\n"), "unknown-owner")
    assert p.line == 15


def test_no_ports_table() -> None:
    doc = parse_ports_md("# PORTS\n\nnothing here\n", ephemeral=None)
    p = only(doc, "no-table")
    assert (p.line, p.severity) == (3, "error")


def test_many_problems_all_reported_in_order() -> None:
    doc = parse("| x | tcp | a | hub | hub | |\n| 3131 | tcp | dup | hub | hub | |\n| 3 | tcp | a |\n"
                "| 18801 | tcp | b | nope | hub | |\n")
    assert [(p.line, p.kind) for p in sorted(doc.problems, key=lambda p: p.line)] == [
        (15, "bad-port"), (16, "duplicate"), (17, "malformed"), (18, "unknown-class")]


def test_other_tables_and_prose_are_ignored_and_columns_found_by_name() -> None:
    text = ("| unrelated | table |\n|---|---|\n| 1 | 2 |\n\n"
            "| class | range |\n|--|--|\n| hub | 3100-3199 |\n\n"
            "| owner | class | service | protocol | port |\n|-|-|-|-|-|\n| bjork | hub | `web` | TCP | `3105` |\n")
    doc = parse_ports_md(text, agents=AGENTS, ephemeral=None)
    assert doc.problems == []
    assert [(e.port, e.service, e.owner, e.protocols, e.line) for e in doc.entries] == [
        (3105, "web", "bjork", ("tcp",), 11)]


def test_escaped_pipe_in_a_cell() -> None:
    assert split_row(r"| 1 | a \| b | c |") == ["1", "a | b", "c"]
    doc = parse("| 3140 | tcp | a | hub | hub | has \\| pipe |\n")
    assert doc.problems == [] and doc.entries[-1].notes == "has | pipe"


def test_crlf_line_endings_keep_line_numbers() -> None:
    doc = parse_ports_md((HEAD + "| 0 | tcp | a | hub | hub | |\n").replace("\n", "\r\n"), ephemeral=None)
    assert only(doc, "bad-port").line == 15


def test_shipped_registries_parse_clean() -> None:
    for text, source in ((DEFAULT_PORTS_MD, "DEFAULT_PORTS_MD"),
                         ((REPO / "PORTS.md").read_text(encoding="utf-8"), "PORTS.md")):
        doc = parse_ports_md(text, source, ephemeral=(32768, 60999))
        assert doc.problems == [], source
        ports = {e.port: e for e in doc.entries}
        assert ports[3131].cls == "hub" and ports[19100].cls == "dashboard"
        assert {b.cls: (b.lo, b.hi) for b in doc.bands} == {
            "hub": (3100, 3199), "inference": (18800, 18899), "dashboard": (19100, 19199)}


def test_missing_and_non_utf8_files(tmp_path: Path) -> None:
    with pytest.raises(PortsFileError, match="not found"):
        load_ports_md(tmp_path / "PORTS.md")
    bad = tmp_path / "bad.md"
    bad.write_bytes(b"| port |\xff\n")
    with pytest.raises(PortsFileError, match=r"bad.md: not UTF-8"):
        load_ports_md(bad)
