"""Resource budgets: refuse a network too large to build, before anything is allocated.

The compiler knows every shape and weight count before a tensor exists, so
the budgets of :class:`~archspec.limits.Limits` are checked on the shaped
graph, and ``build`` (which allocates the weights) never sees a network over
them:

- ``max_params``: the total parameter count. The error names the layer at
  which the running total (in execution order) crosses the budget.
- ``max_activation``: the elements of the largest tensor of one sample (batch
  1), for a concrete input: the input itself or a layer's output. The error
  names the first layer, in execution order, whose output is over it.

Both say by how much and how to raise the limit (docs/security.md).
"""

from __future__ import annotations

from collections.abc import Iterator

from archspec.codes import E404, E405
from archspec.compiler.graph import Graph, LayerInfo
from archspec.diagnostics import Diagnostic, Span, SpecError
from archspec.limits import Limits
from archspec.shapes.dims import is_concrete
from archspec.shapes.tensor import TensorShape


def check_budgets(graph: Graph, limits: Limits | None = None) -> None:
    """Raise SpecError (E404, E405) when the graph is over a budget of ``limits``."""
    limits = limits or Limits()
    if _within(graph, limits):  # the common case, in one pass; the checks below say where
        return
    problems = [
        problem
        for problem in (_params_problem(graph, limits), _activation_problem(graph, limits))
        if problem is not None
    ]
    if problems:
        raise SpecError(problems)


def _within(graph: Graph, limits: Limits) -> bool:
    """Whether the graph is within both budgets, in one pass: every weight counted, and
    every tensor of one sample no larger than the budget, those a layer computes on the way
    to its output (its workspace) too. A size with a symbol in it is not judged, as the
    checks below do not judge it, so this is True exactly when they find nothing; they
    then run only for a graph over a budget, to say where."""
    size = elements(graph.input)
    if size is not None and size > limits.max_activation:
        return False
    params = 0
    largest = limits.max_activation
    stack = list(graph.roots)
    while stack:
        layer = stack.pop()
        params += layer.own_params
        size = 1
        for dim in layer.output.dims:
            if not isinstance(dim, int):
                size = 0  # symbolic: not judged
                break
            size *= dim
        workspace = layer.own_workspace
        if size > largest or (isinstance(workspace, int) and workspace > largest):
            return False
        stack.extend(layer.children)
    return params <= limits.max_params


def _params_problem(graph: Graph, limits: Limits) -> Diagnostic | None:
    running = 0
    for layer, span in _executed(graph):
        running += layer.own_params
        if running > limits.max_params:
            total = graph.num_params
            share = f"; this {layer.kind} has {count(layer.num_params)}" if layer.own_params else ""
            return Diagnostic(
                E404,
                f"the network has {count(total)} parameters, more than the budget of "
                f"{count(limits.max_params)}: the total crosses it here{share}",
                span,
                layer.path,
                f"check the sizes of this layer; if the network is meant to be this large, raise "
                f"Limits.max_params to at least {count(total)} (docs/security.md)",
            )
    return None


def _activation_problem(graph: Graph, limits: Limits) -> Diagnostic | None:
    size = elements(graph.input)
    if size is not None and size > limits.max_activation:
        return Diagnostic(
            E405,
            f"the input {shape(graph.input)} has {count(size)} elements per sample, more than the budget "
            f"of {count(limits.max_activation)}",
            graph.spec.source.span(("input",)),
            "",
            _activation_hint(size),
        )
    for layer, span in _executed(graph):
        size = elements(layer.output)
        workspace = layer.own_workspace  # attention's weights: heads × L × S, quadratic in L
        if is_concrete(workspace) and workspace > limits.max_activation:
            return Diagnostic(
                E405,
                f"this {layer.kind} computes {count(workspace)} elements per sample on the way to its "
                f"output {shape(layer.output)} (attention's weights grow with the square of the "
                f"tokens), more than the budget of {count(limits.max_activation)}",
                span,
                layer.path,
                _activation_hint(workspace),
            )
        if size is not None and size > limits.max_activation:
            return Diagnostic(
                E405,
                f"the output of this {layer.kind}, {shape(layer.output)}, has {count(size)} elements per "
                f"sample, more than the budget of {count(limits.max_activation)}",
                span,
                layer.path,
                _activation_hint(size),
            )
    return None


def _activation_hint(size: int) -> str:
    return (
        "use a smaller input or fewer channels, or downsample earlier; if the network is meant to be "
        f"this large, raise Limits.max_activation to at least {count(size)} (docs/security.md)"
    )


def _executed(graph: Graph) -> Iterator[tuple[LayerInfo, Span]]:
    """Every layer in execution order (children before the layer that holds them),
    with the span to report: its own, or its nearest ancestor's that the user wrote
    (a part of a built-in block points at the call)."""
    # Imported here: blocks.library and the schema import each other, and this
    # module is imported before either by archspec.compiler.
    from archspec.frontend.library import PRELUDE_FILE

    def visit(layer: LayerInfo, outer: Span) -> Iterator[tuple[LayerInfo, Span]]:
        span = layer.span if layer.span is not None and layer.span.file != PRELUDE_FILE else outer
        for child in layer.children:
            yield from visit(child, span)
        yield layer, span

    for root in graph.roots:
        yield from visit(root, graph.spec.source.span(("layers",)))


def elements(shape: TensorShape) -> int | None:
    """The number of elements of one sample, or None where a dim is symbolic."""
    size = 1
    for dim in shape.dims:
        if not is_concrete(dim):
            return None
        size *= dim
    return size


def count(n: int) -> str:
    """``1,234,567``; a number too long to read (or to print) as ``about 2**200``."""
    if n.bit_length() > 100:
        return f"about 2**{n.bit_length() - 1}"
    return f"{n:,}"


def shape(tensor: TensorShape) -> str:
    """``[N, 64, 224, 224]``, with a huge dim shortened as :func:`count` does."""
    return "[" + ", ".join(["N", *(count(d).replace(",", "") for d in tensor.dims)]) + "]"
