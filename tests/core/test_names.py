from __future__ import annotations

import pytest

from catalyst_tui.core.errors import InvalidAgentName
from catalyst_tui.core.names import is_valid_agent_name, validate_agent_name


@pytest.mark.parametrize("name", ["bjork", "a", "slash-2", "agent_9", "a" * 32])
def test_valid_names(name: str) -> None:
    assert validate_agent_name(name) == name


@pytest.mark.parametrize(
    "name",
    ["", "../x", "/abs", "x/y", "..", ".", "Bjork", "9lives", "-x", "_x", "a" * 33, "björk", "bjork\n",
     "bj ork", "ｂjork", "bjork\x00", "a\u200b", "a.b", "~root", None, 42],
)
def test_invalid_names_are_refused(name: object) -> None:
    with pytest.raises(InvalidAgentName) as exc:
        validate_agent_name(name)
    assert "invalid agent name" in str(exc.value)
    assert not is_valid_agent_name(name)
