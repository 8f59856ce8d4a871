"""A staged object that is not a regular file (a log swapped for a FIFO between its hash and its
link) is refused by the upload: never an open that waits for a writer under the push lock."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from catalyst_tui.core.snapshot.hub import StaleHash, _read_verified


def test_a_fifo_as_a_staged_object_is_refused_not_waited_on(tmp_path: Path) -> None:
    fifo = tmp_path / ("0" * 64)
    os.mkfifo(fifo)
    outcome: list[BaseException | None] = []

    def read() -> None:
        try:
            list(_read_verified(str(fifo), 10, "0" * 64))
            outcome.append(None)
        except BaseException as exc:  # the test looks at what it was
            outcome.append(exc)

    t = threading.Thread(target=read, daemon=True)
    t.start()
    t.join(5)
    if t.is_alive():  # blocked in open(): release it, then fail
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        t.join(5)
        pytest.fail("the upload waited on a FIFO")
    assert len(outcome) == 1 and isinstance(outcome[0], StaleHash), outcome
    assert "not a regular file" in str(outcome[0])
