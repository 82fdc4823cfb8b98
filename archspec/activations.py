"""Activation memory: the bytes of the tensors a layer computes for one sample.

A layer that allocates (all but groups, identities and flatten, a view) makes its
output, at :data:`BYTES_PER_ELEMENT` bytes per element, and what it computes on the
way (attention's weights, its workspace); a layer with parts adds theirs. For a
symbolic input these are formulas. The report (archspec/report.py) shows them per
layer and sums them; :class:`Known` lets it compute each distinct output's bytes
once, so that its rows share one formula per distinct output, printed once.
"""

from __future__ import annotations

from typing import Any

from archspec.compiler.graph import LayerInfo
from archspec.primitives.registry import lookup
from archspec.shapes.dims import is_concrete, product, total
from archspec.shapes.tensor import BYTES_PER_ELEMENT as BYTES_PER_ELEMENT  # re-exported: the report's unit


class Known:
    """What one report computed already: the bytes of each distinct output (by its dims),
    so that equal outputs give one object, whose formula is then formatted once (dimprint
    keeps its text), and each layer's activations (by id), which the totals sum again."""

    def __init__(self) -> None:
        self.outputs: dict[tuple[Any, ...], Any] = {}
        self.layers: dict[int, tuple[LayerInfo, Any]] = {}  # the layer kept: its id stays its own


def own_activation_bytes(layer: LayerInfo, known: Known | None = None) -> Any:
    """Bytes of the new tensor this layer computes for one sample (0 for groups, identities, flatten)."""
    primitive = lookup(layer.primitive)
    if primitive is None or not primitive.allocates:  # a group, an identity, a view
        return 0
    dims = layer.output.dims
    if known is None:
        output = _bytes(dims)
    else:
        output = known.outputs.get(dims)
        if output is None:
            output = known.outputs[dims] = _bytes(dims)
    workspace = layer.own_workspace  # what it computes on the way (attention's weights)
    if is_concrete(workspace) and workspace == 0:
        return output
    return total([output, BYTES_PER_ELEMENT * workspace])


def _bytes(dims: tuple[Any, ...]) -> Any:
    # The int factors first, so that the product of symbolic sizes stays unexpanded (sympy's form)
    # and the sum over layers collects like terms.
    return product([BYTES_PER_ELEMENT, *(d for d in dims if is_concrete(d))]) * product(
        d for d in dims if not is_concrete(d)
    )


def activation_bytes(layer: LayerInfo, known: Known | None = None) -> Any:
    """Bytes of every tensor the layer and its parts compute for one sample."""
    if known is not None and id(layer) in known.layers:
        return known.layers[id(layer)][1]
    value = own_activation_bytes(layer, known)
    if layer.children:
        value = total([value, *(activation_bytes(child, known) for child in layer.children)])
    if known is not None:
        known.layers[id(layer)] = (layer, value)
    return value
