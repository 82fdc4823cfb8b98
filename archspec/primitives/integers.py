"""How a layer types integers (token ids: an input declared int64), as PyTorch does.

Each primitive declares it (``Primitive.integers``); :func:`typed` applies the
declaration to what its rule inferred, so no rule repeats it. The registry
contract (tests/primitives/test_registry.py) runs every primitive on integers in
torch and holds each declaration to what torch does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Literal

from archspec.codes import E312
from archspec.diagnostics import RuleError
from archspec.shapes.tensor import TensorShape

if TYPE_CHECKING:
    from archspec.primitives.rule import Inferred

Integers = Literal["keep", "floats", "refuse", "rule"]
"""``keep``: integers in, integers out (a layout op, relu, max pooling), when every
input holds them; ``floats``: integers in, floats out (sigmoid); ``refuse``: PyTorch
refuses integers (conv, linear, the norms); ``rule``: the rule types its output
itself (a group's output is its layers'; embedding reads only ids; a merge promotes)."""


Declared = Integers | Callable[[Any, TensorShape], Integers]
"""One answer, or one per params and input (max pooling keeps integers in 2-D and 3-D only)."""


def typed(
    declared: Declared, name: str, params: Any, shapes: list[TensorShape], result: Inferred
) -> Inferred:
    """``result`` with its outputs typed as ``declared`` says for inputs ``shapes``;
    raises RuleError (E312) where the layer reads integers that PyTorch refuses."""
    if not any(shape.integer for shape in shapes):
        return result
    how = declared if isinstance(declared, str) else declared(params, shapes[0])
    if how == "rule":
        return result
    if how == "refuse":
        given = next(shape for shape in shapes if shape.integer)
        raise RuleError(
            f"{name} reads integers: its input {given} holds token ids (int64), and PyTorch computes "
            f"{name} on floats only",
            code=E312,
            hint="turn token ids into vectors first (embedding: {num_embeddings: …, embedding_dim: …}), "
            "or declare the input float32",
        )
    integer = how == "keep" and all(shape.integer for shape in shapes)
    if result.shape.integer == integer and all(out.integer == integer for out in result.outputs):
        return result
    return replace(
        result,
        shape=replace(result.shape, integer=integer),
        outputs=tuple(replace(out, integer=integer) for out in result.outputs),
    )
