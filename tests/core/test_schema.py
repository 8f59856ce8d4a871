"""core/schema.py: Structs declared once, validated by a generated pydantic twin, rebuilt from plain data."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

import msgspec
import pytest
from pydantic import ValidationError

from catalyst_tui.core import schema

if TYPE_CHECKING:
    from pydantic import AfterValidator, Field


def _even(v: int) -> int:
    if v % 2:
        raise ValueError(f"{v} is odd")
    return v


class Leaf(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    size: Annotated[int, Field(ge=0), AfterValidator(_even)] = 2


class Root(msgspec.Struct, frozen=True, kw_only=True):
    mode: Literal["a", "b"] = "a"
    leaf: Leaf = msgspec.field(default_factory=lambda: Leaf(name="default"))
    leaves: list[Leaf] | None = None
    ratio: Annotated[float, Field(gt=0, le=1)] = 0.5


def test_validate_fills_defaults_from_the_struct_and_coerces() -> None:
    root = schema.validate(Root, {"leaves": [{"name": "x", "size": "4"}], "ratio": "1"})
    assert root == Root(leaves=[Leaf(name="x", size=4)], ratio=1.0)
    assert root.leaf == Leaf(name="default")  # the Struct's default factory, not pydantic's
    assert schema.validate(Root, {}) == Root()


@pytest.mark.parametrize("data, loc, msg", [
    ({"mode": "c"}, ("mode",), "Input should be 'a' or 'b'"),
    ({"leaf": {"name": "x", "size": 3}}, ("leaf", "size"), "3 is odd"),
    ({"leaf": {"size": 2}}, ("leaf", "name"), "Field required"),
    ({"leaves": [{"name": "x"}, {"name": "y", "size": -2}]}, ("leaves", 1, "size"), "greater than or equal to 0"),
    ({"ratio": 0}, ("ratio",), "greater than 0"),
    ({"leaf": {"name": "x", "colour": 1}}, ("leaf", "colour"), "Extra inputs are not permitted"),
])
def test_validation_errors_name_the_key(data: dict[str, object], loc: tuple[object, ...], msg: str) -> None:
    with pytest.raises(ValidationError) as exc:
        schema.validate(Root, data)
    err = exc.value.errors()[0]
    assert err["loc"] == loc and msg in err["msg"]


def test_build_round_trips_and_complete_refuses_partial_data() -> None:
    root = Root(mode="b", leaves=[Leaf(name="x", size=8)])
    data = schema.to_builtins(root)
    assert schema.build(Root, data, complete=True) == root
    partial = {k: v for k, v in data.items() if k != "ratio"}
    assert schema.build(Root, partial) == root  # ratio's default is 0.5, as before
    with pytest.raises(TypeError, match="missing"):
        schema.build(Root, partial, complete=True)
    with pytest.raises(TypeError, match="unexpected"):
        schema.build(Root, {**data, "extra": 1})
    with pytest.raises(TypeError, match="expected a mapping"):
        schema.build(Root, {**data, "leaf": "not a leaf"})


def test_fingerprint_follows_constraints_and_defaults() -> None:
    class A(msgspec.Struct, kw_only=True):
        x: Annotated[int, Field(ge=0)] = 1

    class B(msgspec.Struct, kw_only=True):
        x: Annotated[int, Field(ge=1)] = 1

    class C(msgspec.Struct, kw_only=True):
        x: Annotated[int, Field(ge=0)] = 2

    prints = {schema.fingerprint(cls).replace(cls.__name__, "") for cls in (A, B, C)}
    assert len(prints) == 3
    assert schema.fingerprint(Root) == schema.fingerprint(Root)  # stable (no addresses in it)
