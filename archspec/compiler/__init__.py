"""The compiler: infer every shape of a validated spec, into a :class:`Graph`."""

from __future__ import annotations

from archspec.codes import E304
from archspec.compiler.budgets import check_budgets
from archspec.compiler.graph import Graph, LayerInfo
from archspec.compiler.infer import Compilation, InferenceStopped, expand_spec, infer_layers, input_shape
from archspec.compiler.minsize import find_min_sizes, succeeds
from archspec.diagnostics import Diagnostic, SpecError
from archspec.frontend.spec import Spec
from archspec.limits import Limits

__all__ = ["Graph", "LayerInfo", "compile_spec"]


def compile_spec(
    spec: Spec, dims: tuple[int | str, ...] | None = None, limits: Limits | None = None
) -> Graph:
    """Infer the shaped graph of ``spec`` for input ``dims`` (default: the spec's).

    Raises SpecError for the first shape error, or when no size of an input
    symbol makes the network valid.
    """
    dims = spec.input if dims is None else dims
    x = input_shape(dims)
    compilation = Compilation(spec, limits or Limits())
    nodes = expand_spec(spec, compilation)
    try:
        roots = infer_layers(spec, x, nodes, compilation)
    except InferenceStopped as stopped:
        raise SpecError([stopped.diagnostic]) from None
    symbols = [d for d in dims if isinstance(d, str)]
    min_sizes: dict[str, int] = {}
    if symbols:

        def runs(sizes: dict[str, int]) -> bool:
            bound = tuple(sizes[d] if isinstance(d, str) else d for d in dims)
            return succeeds(lambda: infer_layers(spec, input_shape(bound), nodes, compilation))

        found = find_min_sizes(symbols, runs)
        if found is None:
            raise SpecError(
                [
                    Diagnostic(
                        E304,
                        f"no size of {', '.join(symbols)} up to 2**40 makes the network valid",
                        spec.source.span(("input",)),
                    )
                ]
            )
        min_sizes = found
    graph = Graph(spec, x, roots, min_sizes)
    check_budgets(graph, limits)
    return graph
