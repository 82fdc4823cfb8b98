"""The compiler: infer every shape of a validated spec, into a :class:`Graph`."""

from __future__ import annotations

from collections.abc import Mapping

from archspec.codes import E200, E304
from archspec.compiler.budgets import check_budgets
from archspec.compiler.graph import Graph, LayerInfo
from archspec.compiler.infer import Compilation, InferenceStopped, expand_spec, infer_flow, input_shape
from archspec.compiler.minsize import find_min_sizes, succeeds
from archspec.diagnostics import Diagnostic, SpecError
from archspec.frontend.spec import Spec
from archspec.limits import Limits

__all__ = ["Graph", "LayerInfo", "compile_spec"]


def compile_spec(
    spec: Spec,
    dims: tuple[int | str, ...] | Mapping[str, tuple[int | str, ...]] | None = None,
    limits: Limits | None = None,
) -> Graph:
    """Infer the shaped graph of ``spec`` for input ``dims`` (default: the spec's).

    ``dims`` gives the one input's dims, or (for a spec with several inputs) some
    inputs' dims by name. Raises SpecError for the first shape error, or when no
    size of an input symbol makes the network valid.
    """
    given = _input_dims(spec, dims)
    inputs = {name: input_shape(d) for name, d in given.items()}
    compilation = Compilation(spec, limits or Limits())
    nodes = expand_spec(spec, compilation)
    try:
        flow = infer_flow(spec, inputs, nodes, compilation)
    except InferenceStopped as stopped:
        raise SpecError([stopped.diagnostic]) from None
    symbols = list(dict.fromkeys(d for ds in given.values() for d in ds if isinstance(d, str)))
    min_sizes: dict[str, int] = {}
    if symbols:

        def runs(sizes: dict[str, int]) -> bool:
            bound = {
                name: input_shape(tuple(sizes[d] if isinstance(d, str) else d for d in ds))
                for name, ds in given.items()
            }
            return succeeds(lambda: infer_flow(spec, bound, nodes, compilation))

        found = find_min_sizes(symbols, runs)
        if found is None:
            raise SpecError(
                [
                    Diagnostic(
                        E304,
                        f"no size of {', '.join(symbols)} up to 2**40 makes the network valid",
                        spec.source.span(("input",) if ("input",) in spec.source.keys else ("inputs",)),
                    )
                ]
            )
        min_sizes = found
    returns = flow.named or {(flow.outputs or (flow.layers[-1].name,))[0]: flow.output}
    graph = Graph(spec, inputs[next(iter(inputs))], flow.layers, min_sizes, inputs, flow.outputs, returns)
    check_budgets(graph, limits)
    return graph


def _input_dims(
    spec: Spec, dims: tuple[int | str, ...] | Mapping[str, tuple[int | str, ...]] | None
) -> dict[str, tuple[int | str, ...]]:
    """Each input's dims: the spec's, with those given in place."""
    if dims is None:
        return dict(spec.inputs)
    if not isinstance(dims, Mapping):
        if len(spec.inputs) > 1:
            names = ", ".join(spec.inputs)
            raise SpecError(
                [
                    Diagnostic(
                        E200,
                        f"the spec has several inputs ({names}): give the dims of each by name",
                        None,
                        "input",
                        "archspec compile --input name=3xHxW (once per input), or input={name: dims}",
                    )
                ]
            )
        return {next(iter(spec.inputs)): tuple(dims)}
    unknown = [name for name in dims if name not in spec.inputs]
    if unknown:
        raise SpecError(
            [
                Diagnostic(
                    E200,
                    f"the spec has no input named {unknown[0]!r}; its inputs are {', '.join(spec.inputs)}",
                    None,
                    "input",
                )
            ]
        )
    return {name: tuple(dims.get(name, ds)) for name, ds in spec.inputs.items()}
