"""The channels after each statement of a block's program: the choices the proof
(``archspec.emit.proof``) learns at every call, and the ones for a statement no
call reaches, which the printed constructor (``archspec.emit.blockbody``) needs too.
"""

from __future__ import annotations

from typing import Any

from archspec.emit.pycode import Code
from archspec.emit.statements import Leaf, Merge, Statement
from archspec.primitives.registry import Primitive

UNCHANGED = "unchanged"
SUM, FIRST = "sum", "first"
Choices = dict[int, Any]
"""Per statement (by id): the channels after it, a candidate code or UNCHANGED;
for a merge, SUM or FIRST of its branches' channels."""


def unobserved_choice(statement: Statement) -> Any:
    """The channels after a statement no call reaches (an ``if`` branch never taken):
    any choice is right for this network; the printed code reads best with a
    parameter written as an expression, and a merge follows its shape rule."""
    if isinstance(statement, Merge):
        return merge_rule(statement.primitive, len(statement.branches))
    assert isinstance(statement, Leaf)
    return next((c for c in statement.candidates if isinstance(c, Code)), UNCHANGED)


def merge_rule(primitive: Primitive, merged: int) -> str:
    """SUM or FIRST, asked of a merge's shape rule on ``merged`` branches (or named
    tensors) of equal shape."""
    from archspec.shapes.tensor import TensorShape

    width, count = 2, max(2, merged)

    class Branches:
        def run_branches(self, x: TensorShape) -> tuple[list[TensorShape], list[str]]:
            return [x] * count, [str(i) for i in range(count)]

        def run_layers(self, field: str, x: TensorShape) -> TensorShape:
            return x

        def equate(self, a: Any, b: Any, where: str, *, broadcast: bool = False) -> Any:
            raise AssertionError("equal branches never differ")

    rule = primitive.infer
    assert rule is not None
    out = rule(primitive.params(), TensorShape((width, 8, 8)), Branches()).shape.channels
    return SUM if out == width * count else FIRST


def preferred(options: list[Any]) -> list[Any]:
    """Options in the order the printed code prefers: a parameter written as an
    expression, then the channels unchanged, then a parameter written as a number
    (``channels = 64`` only where nothing else fits)."""
    expressions = [o for o in options if isinstance(o, Code)]
    numbers = [o for o in options if not isinstance(o, Code) and o not in (UNCHANGED, SUM, FIRST)]
    rest = [o for o in (FIRST, SUM, UNCHANGED) if o in options]
    return [*expressions, *rest, *numbers]
