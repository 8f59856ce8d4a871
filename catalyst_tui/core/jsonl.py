"""Incremental, crash-proof reading of JSON-lines files.

A :class:`JsonlTail` remembers the byte offset, the inode and the line number it reached.
``read_new()`` returns only what was appended since, so the cost of an update follows the
bytes appended, not the size of the file. It handles truncation (the file got shorter),
rotation (a new inode), and a partial last line (left for the next read). Bad lines are
never fatal: each one is reported as a :class:`ParseError` with file and line number.
"""

from __future__ import annotations

import errno
import os
import stat
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Generic, TypeVar

import msgspec
import orjson

from catalyst_tui.core import storage
from catalyst_tui.core.errors import os_reason

T = TypeVar("T")

MAX_LINE_BYTES = 1 << 20  # a longer line is reported and skipped, never parsed
CHUNK = 1 << 20


class ParseError(msgspec.Struct, frozen=True):
    path: str
    line: int
    reason: str

    def __str__(self) -> str:
        if self.line < 0:  # read from the tail: the line number is unknown, the byte is not
            return f"{self.path}@byte {-self.line}: {self.reason}"
        return f"{self.path}:{self.line}: {self.reason}"


def _default_decode(raw: bytes) -> Any:
    obj = orjson.loads(raw)
    if not isinstance(obj, dict):
        raise ValueError(f"expected a JSON object, got {type(obj).__name__}")
    return obj


class JsonlTail(msgspec.Struct, Generic[T]):
    """Reads a JSONL file from a saved offset. Not thread-safe; one reader per file."""

    path: Path
    decode: Callable[[bytes], T] = _default_decode
    offset: int = 0
    line_no: int = 0  # lines consumed so far (numbering is 1-based for errors)
    inode: int | None = None
    label: str = ""
    resets: int = 0  # times the file was truncated or rotated: derived figures must restart
    partial_bytes: int = 0  # bytes of an unterminated last line, waiting for its newline
    partial_since: float | None = None  # monotonic time that partial line was first seen
    unreadable: str | None = None  # why the file cannot be read right now (a directory, EACCES...)
    max_file_bytes: int | None = None  # a longer file is reported unreadable, not read (read_all)
    _skipping: bool = False  # inside an over-long line

    def __post_init__(self) -> None:
        self.path = Path(self.path)
        if not self.label:
            self.label = str(self.path)

    def seek_tail(self, max_bytes: int) -> None:
        """Start reading near the end: only the last ``max_bytes`` (whole lines) are read.

        Line numbers are then unknown; they are counted from the start position and
        reported as ``~N`` offsets by byte position instead.
        """
        try:
            fd, st = storage.open_regular(self.path, follow=False)
        except OSError:
            return  # missing, a FIFO, a symlink...: read_new reports it
        try:
            self.inode = st.st_ino
            if st.st_size <= max_bytes:
                return
            start = st.st_size - max_bytes
            # skip to the first complete line
            window = os.pread(fd, min(MAX_LINE_BYTES, max_bytes) + 1, start - 1)
        finally:
            os.close(fd)
        nl = window.find(b"\n")
        if nl >= 0:
            self.offset = start + nl
        else:  # inside a line longer than the window: the rest of it is skipped
            self.offset, self._skipping = start - 1 + len(window), True
        self.line_no = -1  # unknown: errors are reported by byte offset

    def read_new(self, max_bytes: int | None = None) -> tuple[list[T], list[ParseError]]:
        records: list[T] = []
        errors: list[ParseError] = []
        try:
            # O_NONBLOCK: a FIFO planted under this name must not hang the reader; a symlink is not
            # followed (a log is its agent's own file, never one elsewhere)
            fd = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC)
        except FileNotFoundError:
            self.unreadable = None
            return records, errors
        except OSError as exc:
            why = "a symbolic link (not followed)" if exc.errno == errno.ELOOP else os_reason(exc)
            self.unreadable = f"{self.label}: unreadable: {why}"
            return records, errors
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                self.unreadable = f"{self.label}: {storage.file_kind(st.st_mode)}, not a regular file"
                return records, errors
            if self.max_file_bytes is not None and st.st_size > self.max_file_bytes:
                self.unreadable = (f"{self.label}: {st.st_size} bytes, larger than the "
                                   f"{self.max_file_bytes}-byte limit")
                return records, errors
            self.unreadable = None
            if self.inode is not None and st.st_ino != self.inode:
                self._reset()  # rotated: a new file under the same name
            elif st.st_size < self.offset:
                self._reset()  # truncated
            self.inode = st.st_ino
            budget = st.st_size - self.offset if max_bytes is None else max_bytes
            pos = self.offset
            carry = b""
            while budget > 0:
                try:
                    chunk = os.pread(fd, min(CHUNK, budget), pos)
                except OSError as exc:
                    self.unreadable = f"{self.label}: read error: {os_reason(exc)}"
                    break
                if not chunk:
                    break
                pos += len(chunk)
                budget -= len(chunk)
                data = carry + chunk
                start = 0
                while True:
                    nl = data.find(b"\n", start)
                    if nl < 0:
                        break
                    self._take(data[start:nl], self.offset + start, records, errors)
                    start = nl + 1
                self.offset += start
                carry = data[start:]
                if len(carry) > MAX_LINE_BYTES and not self._skipping:
                    self._skipping = True
                    self.line_no += 1 if self.line_no >= 0 else 0
                    errors.append(self._err(f"line longer than {MAX_LINE_BYTES} bytes skipped"))
                if self._skipping and carry:
                    self.offset += len(carry)
                    carry = b""
            # a partial last line stays unread until its newline arrives
            if carry and not self._skipping:
                if self.partial_bytes != len(carry) or self.partial_since is None:
                    self.partial_since = time.monotonic()
                self.partial_bytes = len(carry)
            else:
                self.partial_bytes, self.partial_since = 0, None
        finally:
            os.close(fd)
        return records, errors

    def _take(self, raw: bytes, at: int, records: list[T], errors: list[ParseError]) -> None:
        if self._skipping:  # the tail of an over-long line
            self._skipping = False
            return
        if self.line_no >= 0:
            self.line_no += 1
        if len(raw) > MAX_LINE_BYTES:
            errors.append(self._err(f"line longer than {MAX_LINE_BYTES} bytes skipped", at))
            return
        if not raw.strip():
            return
        try:
            records.append(self.decode(raw))
        except Exception as exc:  # noqa: BLE001 - any bad line is reported, never fatal
            errors.append(self._err(_reason(exc), at))

    def _err(self, reason: str, at: int | None = None) -> ParseError:
        if self.line_no >= 0:
            return ParseError(self.label, self.line_no, reason)
        return ParseError(self.label, -(at if at is not None else self.offset), reason)

    def torn_tail(self, grace_s: float, now: float | None = None) -> ParseError | None:
        """An unterminated last line that stayed so for ``grace_s``: a torn write or a truncated file."""
        if self.partial_since is None:
            return None
        now = time.monotonic() if now is None else now
        if now - self.partial_since < grace_s:
            return None
        line = self.line_no + 1 if self.line_no >= 0 else -self.offset
        return ParseError(self.label, line, f"unterminated last line ({self.partial_bytes} bytes): "
                                            "truncated file or torn write")

    def _reset(self) -> None:
        self.resets += 1
        self.offset = 0
        self.line_no = 0
        self._skipping = False


def _reason(exc: Exception) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return f"malformed record: {text[:160]}"


def read_all(path: Path, decode: Callable[[bytes], T] | None = None,
             max_file_bytes: int | None = None) -> tuple[list[T], list[ParseError]]:
    """Every record of a JSONL file; a file that cannot be read is one error (line 0), never a hang."""
    tail: JsonlTail[Any] = JsonlTail(Path(path)) if decode is None else JsonlTail(Path(path), decode)
    tail.max_file_bytes = max_file_bytes
    records, errors = tail.read_new()
    if tail.unreadable:
        errors.append(ParseError(tail.label, 0, tail.unreadable.removeprefix(f"{tail.label}: ")))
    return records, errors


def read_matching(path: Path, decode: Callable[[bytes], T], needles: tuple[bytes, ...],
                  kind: str = "journal") -> tuple[list[T], list[ParseError]]:
    """The records of the lines holding any of ``needles`` (bytes, as the file spells them),
    decoding no other line: a look-up of one record in a large file costs a byte search. Read
    whole (capped by ``storage.LIMITS[kind]``, no link followed); a torn last line is left out;
    a line a needle matched by chance is decoded and is the caller's to filter."""
    label = str(path)
    try:
        data = storage.read_bytes(path, kind, follow=False)
    except FileNotFoundError:
        return [], []
    except OSError as exc:
        return [], [ParseError(label, 0, os_reason(exc))]
    records: list[T] = []
    errors: list[ParseError] = []
    lines = data.split(b"\n")
    lines.pop()  # after the last newline: empty, or a torn line still being written
    for i, raw in enumerate(lines, start=1):
        if any(n in raw for n in needles):
            if len(raw) > MAX_LINE_BYTES:
                errors.append(ParseError(label, i, f"line longer than {MAX_LINE_BYTES} bytes skipped"))
                continue
            try:
                records.append(decode(raw))
            except Exception as exc:  # noqa: BLE001 - a bad line is reported, never fatal
                errors.append(ParseError(label, i, _reason(exc)))
    return records, errors
