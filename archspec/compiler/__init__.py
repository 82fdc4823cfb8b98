"""The compiler: infer every shape of a validated spec, into a :class:`Graph`."""

from __future__ import annotations

from collections.abc import Callable

from archspec.compiler.budgets import check_budgets
from archspec.compiler.expand import BoundLayer
from archspec.compiler.graph import Graph, LayerInfo
from archspec.compiler.infer import Compilation, InferenceStopped, expand_spec, infer_layers, input_shape
from archspec.compiler.sizeset import SizeSet
from archspec.compiler.validsizes import ValidSizes, find_valid_sizes
from archspec.diagnostics import SpecError
from archspec.frontend.spec import Spec
from archspec.limits import Limits

__all__ = ["Graph", "LayerInfo", "SizeSet", "compile_spec"]


def compile_spec(
    spec: Spec, dims: tuple[int | str, ...] | None = None, limits: Limits | None = None
) -> Graph:
    """Infer the shaped graph of ``spec`` for input ``dims`` (default: the spec's).

    Raises SpecError for the first shape error, or when no size of an input
    symbol makes the network valid. For a symbolic input, ``Graph.valid_sizes``
    gives each symbol's exact set of valid sizes and ``min_sizes`` its minimum.
    """
    dims = spec.input if dims is None else dims
    x = input_shape(dims)
    compilation = Compilation(spec, limits or Limits())
    nodes = expand_spec(spec, compilation)
    try:
        roots = infer_layers(spec, x, nodes, compilation)
    except InferenceStopped as stopped:
        raise SpecError([stopped.diagnostic]) from None
    symbols = list(dict.fromkeys(d for d in dims if isinstance(d, str)))
    sizes = ValidSizes({})
    if symbols:
        runs = probe(spec, dims, nodes, compilation)
        layers = sum(1 for root in roots for _ in root.walk())
        sizes = find_valid_sizes(symbols, compilation.constraints, runs, spec.source.span(("input",)), layers)
    min_sizes = {name: size_set.minimum for name, size_set in sizes.sizes.items()}
    assert None not in min_sizes.values(), min_sizes  # the search refuses an empty set
    graph = Graph(spec, x, roots, min_sizes, sizes.sizes, sizes.coupled)
    check_budgets(graph, limits)
    return graph


def probe(
    spec: Spec, dims: tuple[int | str, ...], nodes: tuple[BoundLayer, ...], compilation: Compilation
) -> Callable[[dict[str, int]], bool]:
    """``runs(sizes)``: whether a concrete inference succeeds with each symbol at its size
    (the ground truth the valid-size search asks; ints only, no sympy)."""

    def runs(sizes: dict[str, int]) -> bool:
        bound = tuple(sizes[d] if isinstance(d, str) else d for d in dims)
        try:
            infer_layers(spec, input_shape(bound), nodes, compilation)
        except InferenceStopped:
            return False
        return True

    return runs
