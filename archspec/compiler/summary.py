"""A member's figures without its graph: what a sweep's row needs, at the cost of the
layers it infers anew.

A sweep's row (archspec/sweep/rows.py) needs sums over the layers (weights,
MACs, activation bytes), the output shapes, and the verdict; a block call
that recurs from member to member contributes the same sums each time. A
summary compile runs the same inference as :func:`~archspec.compiler.compile_spec`
(the same rules, the same budgets, spent as if every call were inferred
again) with a :class:`~archspec.compiler.reuse.Reuse` made ``shallow``: a call
made again takes the first call's layers as they are, under their old paths,
instead of copying them under its own, and their sums are counted once per
call (:class:`Totals`, kept beside the call). The shallow Reuse also keeps
the layers of the member's own list (the stem, the head, a first stage met
before: compiler/infer.py, ``_member_layer``) and the tails of lists
(compiler/tails.py), which it gives again the same way. What the compile
would then check on the whole graph (the parameter and activation budgets)
is checked on the sums.

The summary answers only where it knows the answer is the full compile's: a
concrete input, no ``init`` rules, no error, every budget kept. Anywhere else
:func:`compile_summary` returns None and the caller compiles in full, which
finds the located error, the valid sizes or the formulas itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from archspec.compiler.expand import BoundLayer
from archspec.compiler.graph import LayerInfo
from archspec.compiler.infer import Compilation, InferenceStopped, expand_spec, infer_flow, input_shape
from archspec.compiler.reuse import Reuse
from archspec.diagnostics import SpecError
from archspec.frontend.spec import Spec
from archspec.limits import Limits
from archspec.primitives.registry import primitives
from archspec.shapes.tensor import BYTES_PER_ELEMENT, TensorShape

"""float32, as the report counts activation memory (archspec/report.py, which sits above
the compiler; tests/compiler/test_summary.py holds the two equal)."""


@dataclass(frozen=True)
class Totals:
    """Sums and maxima over the layers of a subtree, for a concrete input: weights,
    MACs and activation bytes per sample (as the report counts them), and the elements of
    its largest output and of its largest workspace (for the activation budget)."""

    params: int = 0
    macs: int = 0
    activation_bytes: int = 0
    largest: int = 0
    workspace: int = 0


@dataclass(frozen=True)
class Summary:
    """What a row needs of a member that compiles: its sums and the tensors it returns."""

    totals: Totals
    returns: dict[str, TensorShape]


class _Symbolic(Exception):
    """A size, a MAC count or a workspace that is no int: the summary does not answer."""


def compile_summary(
    spec: Spec,
    dims: tuple[int | str, ...] | Mapping[str, tuple[int | str, ...]] | None,
    limits: Limits | None,
    reuse: Reuse,
) -> Summary | None:
    """The summary of ``spec`` compiled for ``dims`` (default: its input) with the shallow
    ``reuse``; None where only a full compile can answer (see the module's doc)."""
    assert reuse.shallow, "a summary compile takes the shallow Reuse of a sweep"
    if dims is not None and (isinstance(dims, Mapping) or len(spec.inputs) > 1):
        return None  # dims by name: left to the full compile, which checks the names
    given = dict(spec.inputs) if dims is None else {next(iter(spec.inputs)): tuple(dims)}
    if any(not isinstance(d, int) for ds in given.values() for d in ds):
        return None  # a symbolic input: formulas and valid sizes
    if spec.init or any(block.init for block in spec.blocks.blocks.values()):
        return None
    limits = limits or Limits()
    inputs = {name: input_shape(d, spec.input_dtypes.get(name, "float32")) for name, d in given.items()}
    compilation = Compilation(spec, limits, reuse)
    try:
        nodes: tuple[BoundLayer, ...] = expand_spec(spec, compilation)
        flow = infer_flow(spec, inputs, nodes, compilation, recover=True)
    except (SpecError, InferenceStopped):
        return None
    try:
        totals = layers_totals(flow.layers, reuse.totals)
    except _Symbolic:
        return None
    first = 1
    for dim in given[next(iter(given))]:
        first *= int(dim)  # ints: checked above
    if first > limits.max_activation or totals.params > limits.max_params:
        return None
    if totals.largest > limits.max_activation or totals.workspace > limits.max_activation:
        return None
    returns = flow.named or {(flow.outputs or (flow.layers[-1].name,))[0]: flow.output}
    return Summary(totals, returns)


def layers_totals(layers: Iterable[LayerInfo], known: dict[int, tuple[Any, Totals]]) -> Totals:
    """The totals of ``layers`` and their subtrees. Those of a block call's layers are
    kept in ``known`` (by the identity of their tuple, which the entry holds): the calls
    made again share that tuple. Raises _Symbolic for a size that is no int."""
    params = macs = allocated = largest = workspace = 0
    table = primitives()
    stack = list(layers)
    while stack:
        layer = stack.pop()
        elements = 1
        for dim in layer.output.dims:
            if type(dim) is not int:
                raise _Symbolic
            elements *= dim
        own_macs, own_workspace = layer.own_macs, layer.own_workspace
        if type(own_macs) is not int or type(own_workspace) is not int:
            raise _Symbolic
        params += layer.own_params
        macs += own_macs
        primitive = table.get(layer.primitive)
        if primitive is not None and primitive.allocates:  # new tensors, which the report counts
            allocated += elements + own_workspace  # the output, and attention's weights on the way
        if elements > largest:  # max(), inline: every layer asks
            largest = elements
        if own_workspace > workspace:
            workspace = own_workspace
        children = layer.children
        if not children:
            continue
        if layer.block is None:
            stack.extend(children)
            continue
        entry = known.get(id(children))
        if entry is None:
            entry = known[id(children)] = (children, layers_totals(children, known))
        below = entry[1]
        params += below.params
        macs += below.macs
        allocated += below.activation_bytes // BYTES_PER_ELEMENT
        if below.largest > largest:
            largest = below.largest
        if below.workspace > workspace:
            workspace = below.workspace
    return Totals(params, macs, BYTES_PER_ELEMENT * allocated, largest, workspace)
