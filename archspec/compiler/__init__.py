"""The compiler: infer every shape of a validated spec, into a :class:`Graph`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace

from archspec.codes import E200, E308, E311
from archspec.compiler.budgets import check_budgets
from archspec.compiler.collector import fewer_collections
from archspec.compiler.expand import BoundLayer
from archspec.compiler.graph import Graph, LayerInfo
from archspec.compiler.infer import Compilation, InferenceStopped, expand_spec, infer_flow, input_shape
from archspec.compiler.reuse import Reuse
from archspec.compiler.sizeset import SizeSet
from archspec.diagnostics import Diagnostic, SpecError
from archspec.frontend.spec import Spec
from archspec.limits import Limits

__all__ = ["Graph", "LayerInfo", "SizeSet", "compile_spec"]


def compile_spec(
    spec: Spec,
    dims: tuple[int | str, ...] | Mapping[str, tuple[int | str, ...]] | None = None,
    limits: Limits | None = None,
    reuse: Reuse | None = None,
    *,
    explain_sizes: bool = True,
) -> Graph:
    """Infer the shaped graph of ``spec`` for input ``dims`` (default: the spec's).

    ``dims`` gives the one input's dims, or (for a spec with several inputs) some
    inputs' dims by name. Raises SpecError for the first shape error, or when no
    size of an input symbol makes the network valid. For symbolic inputs,
    ``Graph.valid_sizes`` gives each symbol's exact set of valid sizes and
    ``min_sizes`` its minimum. A size error on a concrete input (E308, E311) names the
    sizes that would work, from a symbolic compile, unless ``explain_sizes`` is False (the
    validation path, which never imports sympy). ``reuse``: what the compiles of one
    family's members share (compiler/reuse.py; archspec sweep), by default this compile's own.
    """
    with fewer_collections():  # compiler/collector.py: a compile's collections find nothing
        return _compile(spec, dims, limits, reuse, explain_sizes)


def _compile(
    spec: Spec,
    dims: tuple[int | str, ...] | Mapping[str, tuple[int | str, ...]] | None,
    limits: Limits | None,
    reuse: Reuse | None,
    explain_sizes: bool,
) -> Graph:
    given = _input_dims(spec, dims)
    inputs = {name: input_shape(d, spec.input_dtypes.get(name, "float32")) for name, d in given.items()}
    compilation = Compilation(spec, limits or Limits(), reuse or Reuse())
    nodes = expand_spec(spec, compilation)
    try:
        flow = infer_flow(spec, inputs, nodes, compilation, recover=True)
    except InferenceStopped as stopped:
        problems = list(compilation.problems or [stopped.diagnostic])
        first_size_error = next((i for i, p in enumerate(problems) if p.code in SIZE_ERRORS), None)
        if explain_sizes and first_size_error is not None:  # one symbolic compile at most
            problems[first_size_error] = _with_valid_sizes(spec, given, problems[first_size_error], limits)
        raise SpecError(problems) from None
    symbols = list(dict.fromkeys(d for ds in given.values() for d in ds if isinstance(d, str)))
    valid: dict[str, SizeSet] = {}
    coupled: tuple[str, ...] = ()
    if symbols:  # the search for valid sizes is imported by the first symbolic compile only
        from archspec.compiler.dimprobe import evaluated_probe
        from archspec.compiler.validsizes import find_valid_sizes

        # the graph's own dims answer, where every layer declares how its rule refuses sizes
        runs = evaluated_probe(flow.layers, inputs.values(), compilation)
        runs = runs or probe(spec, given, nodes, compilation)
        layers = sum(1 for root in flow.layers for _ in root.walk())
        where = spec.source.span(("input",) if ("input",) in spec.source.keys else ("inputs",))
        sizes = find_valid_sizes(symbols, compilation.constraints, runs, where, layers)
        valid, coupled = sizes.sizes, sizes.coupled
    min_sizes: dict[str, int] = {}
    for name, size_set in valid.items():
        assert size_set.minimum is not None, name  # the search refuses an empty set
        min_sizes[name] = size_set.minimum
    returns = flow.named or {(flow.outputs or (flow.layers[-1].name,))[0]: flow.output}
    first = inputs[next(iter(inputs))]
    graph = Graph(
        spec,
        first,
        flow.layers,
        min_sizes,
        inputs,
        flow.outputs,
        returns,
        valid,
        coupled,
    )
    check_budgets(graph, limits)
    if spec.init or spec.blocks.has_init():
        # Only init: rules need the resolver and the plan (imported here: most specs have none).
        from archspec.compiler.init import resolve_init

        resolve_init(graph)  # E213 where an init: rule does not fit the network
    return graph


def probe(
    spec: Spec,
    given: dict[str, tuple[int | str, ...]],
    nodes: tuple[BoundLayer, ...],
    compilation: Compilation,
) -> Callable[[dict[str, int]], bool]:
    """``runs(sizes)``: whether a concrete inference succeeds with each symbol at its size
    (the ground truth the valid-size search asks; ints only, no sympy)."""

    def runs(sizes: dict[str, int]) -> bool:
        bound = {
            name: input_shape(
                tuple(sizes[d] if isinstance(d, str) else d for d in ds),
                spec.input_dtypes.get(name, "float32"),
            )
            for name, ds in given.items()
        }
        try:
            infer_flow(spec, bound, nodes, compilation)
        except InferenceStopped:
            return False
        return True

    return runs


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


# Errors of a fixed size that the input does not make (a position embedding's length, an
# expected image size): the sizes that would work are worth a second, symbolic compile.
SIZE_ERRORS = (E308, E311)
SIZE_NAMES = {1: ("L",), 2: ("H", "W"), 3: ("D", "H", "W")}


def _with_valid_sizes(
    spec: Spec, given: dict[str, tuple[int | str, ...]], diagnostic: Diagnostic, limits: Limits | None
) -> Diagnostic:
    """``diagnostic``, with the input sizes that would work added to its hint, where it
    is a size error of a concrete single-input compile and a symbolic compile finds them."""
    dims = next(iter(given.values()))
    sizes = dims[1:]
    if diagnostic.code not in SIZE_ERRORS or len(given) > 1 or not sizes or len(sizes) > 3:
        return diagnostic
    if any(isinstance(d, str) for d in dims):
        return diagnostic
    names = SIZE_NAMES[len(sizes)]
    try:
        graph = compile_spec(spec, (dims[0], *names), limits)
    except SpecError:
        return diagnostic
    found = "; ".join(str(graph.valid_sizes[name]) for name in names)
    if graph.size_constraints:
        found += " (with " + "; ".join(graph.size_constraints) + ")"
    hint = f"{diagnostic.hint}; " if diagnostic.hint else ""
    shape = "x".join(str(d) for d in (dims[0], *names))
    return replace(diagnostic, hint=f"{hint}the input sizes that work, for {shape}: {found}")
