"""The push's staged links never outlive the push for live logs: a hard link kept in
``.catalyst/snapshot-objects/`` makes the log look shared (two links), and the janitor then
never rotates it."""

from __future__ import annotations

from collections.abc import Callable

import msgspec
import pytest

from catalyst_tui.core.agents import AgentPaths
from catalyst_tui.core.janitor import Janitor
from catalyst_tui.core.snapshot import push
from catalyst_tui.core.snapshot.targets import TargetError
from catalyst_tui.core.workspace import Workspace

Make = Callable[..., Workspace]


def _with_logs(ws: Workspace, **janitor: object) -> Workspace:
    snap = msgspec.structs.replace(ws.config.snapshot, include_logs=True)
    jcfg = msgspec.structs.replace(ws.config.janitor, **janitor)
    ws.config = msgspec.structs.replace(ws.config, snapshot=snap, janitor=jcfg)
    return ws


@pytest.mark.parametrize("pushes", [1, 2])  # 2: the second is a no-op push
def test_a_pushed_chat_log_is_still_rotated_by_the_janitor(make_ws: Make, pushes: int) -> None:
    ws = _with_logs(make_ws(), chat_rotate_bytes=1024)
    chat = AgentPaths(ws.root, "cher").chat
    chat.write_bytes(b'{"text": "x"}\n' * 200)
    for _ in range(pushes):
        push(ws)
    assert chat.stat().st_nlink == 1
    report = Janitor(ws).run(full=True)
    assert [a["path"] for a in report["actions"] if a.get("rule") == "chat-rotate"] == ["agents/cher/chat.jsonl"], \
        report["kept"]
    assert not chat.exists()


def test_a_failed_push_leaves_no_link_to_a_live_log(make_ws: Make) -> None:
    ws = _with_logs(make_ws())
    chat = AgentPaths(ws.root, "cher").chat
    chat.write_bytes(b'{"text": "x"}\n' * 200)
    with pytest.raises(TargetError):
        push(ws, "sftp://127.0.0.1:1/nowhere")  # nothing listens: the push fails after staging
    assert chat.stat().st_nlink == 1
