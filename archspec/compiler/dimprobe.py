"""A probe of the valid-size search answered by the symbolic graph itself.

The search (archspec/compiler/validsizes.py) asks ``runs(sizes)``: whether a
concrete inference succeeds with each input symbol at its size. Where every
layer of the graph declares ``refuses_only_empty`` (archspec/primitives/registry.py),
the answer is whether every symbolic dim the layers output is at least 1 at those
sizes, each distinct dim evaluated once, with no inference:

- a concrete inference that succeeds outputs, at every layer, the layer's symbolic
  dims evaluated at the sizes (shape rules compute ints and symbolic dims alike),
  each at least 1 by its layer's declaration;
- one that fails, fails at a first layer, whose input is then the evaluated one: by
  its declaration, a dim of its symbolic output is below 1 there.

Layers are walked in the tree, so a layer nested in a group or a block call counts as
any other. The graph qualifies only where the inference recorded no join
constraint (a join's verdict then needs no size), and no input nor block call has
a symbolic leading dim (a block's body is expanded with the channels where they are
known, which a concrete inference would know and the symbolic one did not).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from archspec.compiler.compilation import Compilation
from archspec.compiler.graph import LayerInfo
from archspec.primitives.registry import primitives
from archspec.shapes.dimfacts import evaluate
from archspec.shapes.symbolic import Add, Floor, Mul, Symbol
from archspec.shapes.tensor import TensorShape

Runs = Callable[[dict[str, int]], bool]
_EXPRESSIONS = (Symbol, Floor, Add, Mul)  # the dims evaluate() reads; any other: no shortcut


def evaluated_probe(
    layers: Iterable[LayerInfo], inputs: Iterable[TensorShape], compilation: Compilation
) -> Runs | None:
    """``runs(sizes)`` from the graph's dims where every layer declares
    ``refuses_only_empty`` and the conditions above hold; else None (probe by inference)."""
    if compilation.constraints or any(shape.dims and type(shape.dims[0]) is not int for shape in inputs):
        return None
    table = primitives()
    dims: dict[int, object] = {}  # by id: equal dims of a compile are one object (Compilation.shared)
    shapes: set[int] = set()
    for root in layers:
        for info in root.walk():
            primitive = table.get(info.primitive)
            declared = primitive.refuses_only_empty if primitive is not None else None
            if declared is None or not declared(info.params, info.input):
                return None
            if info.block is not None and info.input.dims and type(info.input.dims[0]) is not int:
                return None  # a block's body, expanded without channels: a concrete one may differ
            output = info.output
            if id(output) in shapes:
                continue
            shapes.add(id(output))
            for dim in output.dims:
                if type(dim) is not int:
                    if type(dim) not in _EXPRESSIONS:
                        return None
                    dims[id(dim)] = dim
    distinct = tuple(dims.values())

    def runs(sizes: dict[str, int]) -> bool:
        return all(evaluate(dim, sizes) >= 1 for dim in distinct)

    return runs
