"""core/errors.py: every OSError becomes one line the same way (CLI, screens, MCP, jobs)."""

from __future__ import annotations


def test_an_os_error_is_one_line_naming_its_file() -> None:
    import errno

    from catalyst_tui.core.errors import FileRefused, os_error_text, os_reason

    denied = PermissionError(errno.EACCES, "Permission denied", "/ws/board/index.json")
    assert os_error_text(denied) == "/ws/board/index.json: Permission denied"
    assert os_error_text(OSError(errno.ENOSPC, "No space left on device")) == "No space left on device"
    assert os_error_text(OSError(errno.EIO, "I/O error", b"/ws/x\xff")) == "/ws/x\udcff: I/O error"
    assert os_reason(OSError("plain message")) == "plain message" and os_reason(OSError()) == "OSError"
    assert os_error_text(FileRefused("/ws/fifo", "not a regular file")) == "/ws/fifo: not a regular file"
