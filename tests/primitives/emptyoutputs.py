"""The check of a primitive's ``refuses_only_empty`` declaration against its rule.

A layer declared so, compiled on a symbolic input and then on concrete sizes, must be
refused exactly where a dim of its symbolic output, evaluated at those sizes, is below
1, and else output exactly those values (archspec/compiler/dimprobe.py answers the
valid-size search's probes on that promise).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import archspec
from archspec import SpecError
from archspec.compiler import compile_spec
from archspec.primitives.registry import primitives
from archspec.shapes.dims import substitute
from tests.primitives.oracle import layer_spec


def declared_for(layer: Any, symbolic: Sequence[int | str], *, ids: bool = False) -> bool:
    """Whether every layer the one-layer spec infers into declares ``refuses_only_empty``
    for its params and input."""
    graph = archspec.compile(archspec.loads(layer_spec(layer, symbolic, ids=ids)))
    for info in graph.layers[0].walk():
        declared = primitives()[info.primitive].refuses_only_empty
        if declared is None or not declared(info.params, info.input):
            return False
    return True


def check_refuses_only_empty(
    layer: Any, symbolic: Sequence[int | str], sizes: Mapping[str, int], *, ids: bool = False
) -> bool:
    """Compile ``layer`` on ``symbolic`` and on ``sizes``; assert the declaration holds
    there. Returns whether the concrete compile refused (callers check both verdicts occur)."""
    graph = archspec.compile(archspec.loads(layer_spec(layer, symbolic, ids=ids)))
    evaluated = [[substitute(d, dict(sizes)) for d in info.output.dims] for info in graph.layers[0].walk()]
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
