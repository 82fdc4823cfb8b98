"""The check of a primitive's ``refuses_only_empty`` declaration against its rule.

A layer declared so, inferred on a symbolic input (recording no join constraint) and
compiled on concrete sizes, must be refused exactly where a dim of its symbolic output
(or of a layer it holds), evaluated at those sizes, is below 1, and else output exactly
those values (archspec/compiler/dimprobe.py answers the valid-size search's probes on
that promise).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import archspec
from archspec import SpecError
from archspec.compiler import compile_spec
from archspec.compiler.graph import LayerInfo
from archspec.compiler.infer import Compilation, expand_spec, infer_flow, input_shape
from archspec.primitives.registry import primitives
from archspec.shapes.dims import substitute
from tests.primitives.oracle import layer_spec


def _symbolic_layer(layer: Any, symbolic: Sequence[int | str], ids: bool) -> LayerInfo:
    """The one layer of the spec, inferred on ``symbolic``, with no join constraint."""
    spec = archspec.loads(layer_spec(layer, symbolic, ids=ids))
    inputs = {"input": input_shape(tuple(symbolic), "int64" if ids else "float32")}
    compilation = Compilation(spec)
    flow = infer_flow(spec, inputs, expand_spec(spec, compilation), compilation)
    # a join's constraints are the search's, not the declaration's: the cases here make none
    assert not compilation.constraints, f"{layer} on {symbolic} records a join constraint"
    return flow.layers[0]


def declared_for(layer: Any, symbolic: Sequence[int | str], *, ids: bool = False) -> bool:
    """Whether every layer the one-layer spec infers into declares ``refuses_only_empty``
    for its params and input."""
    for info in _symbolic_layer(layer, symbolic, ids).walk():
        declared = primitives()[info.primitive].refuses_only_empty
        if declared is None or not declared(info.params, info.input):
            return False
    return True


def check_refuses_only_empty(
    layer: Any, symbolic: Sequence[int | str], sizes: Mapping[str, int], *, ids: bool = False
) -> bool:
    """Infer ``layer`` on ``symbolic``, compile it on ``sizes``, and assert the declaration
    holds there. Returns whether the concrete compile refused the sizes."""
    walked = _symbolic_layer(layer, symbolic, ids).walk()
    evaluated = [[substitute(d, dict(sizes)) for d in info.output.dims] for info in walked]
    empty = any(d < 1 for dims in evaluated for d in dims)
    concrete = [sizes[d] if isinstance(d, str) else d for d in symbolic]
    try:
        shaped = compile_spec(archspec.loads(layer_spec(layer, concrete, ids=ids)), explain_sizes=False)
    except SpecError as error:
        assert empty, f"{layer} on {concrete} refused, but every output dim is >= 1: {error}"
        return True
    assert not empty, f"{layer} on {concrete} accepted, but an output dim is below 1: {evaluated}"
    assert [list(info.output.dims) for info in shaped.layers[0].walk()] == evaluated
    return False
