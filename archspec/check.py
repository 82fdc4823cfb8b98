"""``archspec check``: run the real module and compare every layer's shape.

For a spec's own input, its smallest valid size, sizes it rejects and a few
random valid sizes, build the module once, run real CPU forward passes with a hook on every
layer, and compare each output shape with the one archspec inferred. This is
the proof a user can run on their own architecture; the property tests use
the same machinery.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from archspec.compiler import Graph, LayerInfo, compile_spec
from archspec.diagnostics import SpecError
from archspec.emit.layers import Dataflow
from archspec.emit.module import build_graph
from archspec.frontend.spec import Spec
from archspec.shapes.dims import format_dim

BELOW = "below smallest"
OUTSIDE = "not a valid size"


@dataclass(frozen=True)
class Mismatch:
    """A layer whose real output shape differs from the inferred one."""

    path: str
    inferred: tuple[int, ...]
    actual: tuple[int, ...] | None  # None: the layer never ran


@dataclass
class Run:
    """One forward pass at one input size."""

    label: str
    dims: tuple[int, ...]
    mismatches: list[Mismatch] = field(default_factory=list)
    error: str | None = None  # what PyTorch raised, if it did
    expect_error: bool = False  # a size archspec rejects: PyTorch must fail too

    @property
    def ok(self) -> bool:
        if self.expect_error:
            return self.error is not None
        return self.error is None and not self.mismatches


@dataclass(frozen=True)
class Call:
    """The full shapes (batch first) a submodule saw and gave in one call: its first
    input's, its output's (of a block call that returns several, the first's), and
    every input's and every named output's."""

    input: tuple[int, ...]
    output: tuple[int, ...]
    inputs: tuple[tuple[int, ...], ...] = ()
    outputs: dict[str, tuple[int, ...]] | None = None


def trace(module: nn.Module, x: torch.Tensor, *more: torch.Tensor) -> tuple[Any, dict[str, list[Call]]]:
    """Run ``module`` on ``x`` (and ``more`` inputs; no grad), recording every named submodule's calls, and
    every merge of named tensors (a join, which has no module) by its path."""
    calls: dict[str, list[Call]] = {}

    def add(name: str, args: tuple[Any, ...], out: Any) -> None:
        shapes = tuple(tuple(a.shape) for a in args)
        first = shapes[0] if shapes else ()  # a learned tensor reads nothing
        if isinstance(out, dict | tuple | list):  # a block call or a split: several tensors
            items = out.items() if isinstance(out, dict) else enumerate(out)
            named = {str(key): tuple(value.shape) for key, value in items}
            calls.setdefault(name, []).append(Call(first, next(iter(named.values())), shapes, named))
        else:
            calls.setdefault(name, []).append(Call(first, tuple(out.shape), shapes))

    def recorder(name: str) -> Callable[[nn.Module, tuple[Any, ...], Any], None]:
        return lambda _, args, out: add(name, args, out)

    def joining(name: str, join: Callable[..., Any]) -> Callable[..., Any]:
        def run(*args: Any) -> Any:
            out = join(*args)
            add(name, args, out)
            return out

        return run

    handles = [sub.register_forward_hook(recorder(name)) for name, sub in module.named_modules() if name]
    wired = [(sub, sub._archspec_steps) for sub in module.modules() if isinstance(sub, Dataflow)]
    for path, sub in module.named_modules():
        if isinstance(sub, Dataflow):
            sub._archspec_steps = tuple(
                (name, sources, _traced(sub, path, name, join, joining), several)
                for name, sources, join, several in sub._archspec_steps
            )
    try:
        with torch.no_grad():
            y = module(x, *more)
    finally:
        for handle in handles:
            handle.remove()
        for sub, steps in wired:
            sub._archspec_steps = steps
    return y, calls


def _traced(
    sub: nn.Module,
    path: str,
    name: str,
    join: Callable[..., Any] | None,
    joining: Callable[[str, Callable[..., Any]], Callable[..., Any]],
) -> Callable[..., Any] | None:
    """A dataflow step's function, recording its call: a join's, or the read of a learned
    tensor (an ``nn.Parameter`` of the dataflow), which is compared too; a module's step
    keeps None (its forward hook records it)."""
    full = f"{path}.{name}" if path else name
    if join is not None:
        return joining(full, join)
    if name in sub._parameters:
        return joining(full, lambda: sub._parameters[name])
    return None


def sample(batch: int, dims: Sequence[int], integer: bool = False) -> torch.Tensor:
    """A random input of ``dims``; for token ids (an int64 input), id 0 everywhere, which
    every vocabulary has."""
    if integer:
        return torch.zeros(batch, *dims, dtype=torch.long)
    return torch.randn(batch, *dims)


def real_calls(
    module: nn.Module,
    dims: Sequence[int],
    batch: int = 2,
    more: Sequence[Sequence[int]] = (),
    integer: Sequence[bool] = (),
) -> tuple[Any, dict[str, list[Call]]]:
    """The network's output and every named submodule's calls, in one forward pass on
    random inputs of ``dims`` (and ``more``: the dims of the other inputs; ``integer``:
    which inputs, in order, hold token ids)."""
    ids = list(integer) + [False] * (1 + len(more) - len(integer))
    return trace(
        module,
        sample(batch, dims, ids[0]),
        *(sample(batch, d, i) for d, i in zip(more, ids[1:], strict=True)),
    )


def real_shapes(
    module: nn.Module, dims: Sequence[int], batch: int = 2, integer: bool = False
) -> dict[str, tuple[int, ...]]:
    """Every named submodule's output shape (after the batch) in one forward pass."""
    _, calls = real_calls(module, dims, batch, integer=(integer,))
    return {name: made[0].output[1:] for name, made in calls.items()}


def compare(graph: Graph, module: nn.Module, label: str) -> Run:
    """Run ``module`` at ``graph``'s concrete input and compare every named tensor: each
    layer's output, and each output of a block call that returns several."""
    dims = tuple(int(d) for d in graph.input.dims)
    run = Run(label, dims)
    try:
        more = [tuple(int(d) for d in shape.dims) for shape in list(graph.inputs.values())[1:]]
        integer = [shape.integer for shape in graph.inputs.values()]
        _, calls = real_calls(module, dims, more=more, integer=integer)
    except (RuntimeError, ValueError, IndexError) as error:  # how PyTorch refuses a layer
        run.error = str(error).splitlines()[0]
        return run
    for layer in graph.layers:
        inferred = tuple(int(d) for d in layer.output.dims)
        actual = _seen(layer, calls)
        if actual != inferred:
            run.mismatches.append(Mismatch(layer.path, inferred, actual))
        for name, shape in (layer.named_outputs or {}).items():
            made = calls.get(layer.path)
            seen = made[0].outputs.get(name) if made and made[0].outputs else None
            if seen is None or seen[1:] != tuple(int(d) for d in shape.dims):
                run.mismatches.append(
                    Mismatch(f"{layer.path}.{name}", tuple(int(d) for d in shape.dims), seen and seen[1:])
                )
    return run


def _seen(layer: LayerInfo, calls: dict[str, list[Call]]) -> tuple[int, ...] | None:
    """The shape (after the batch) the real network gave ``layer``'s tensor, or None."""
    made = calls.get(layer.path)
    if not made:
        return None
    return made[0].output[1:] if layer.output.batched else made[0].output  # a learned tensor has no batch


def size_variants(spec: Spec, samples: int, seed: int = 0) -> list[tuple[str, tuple[int, ...]]]:
    """The spec's own input, its smallest valid sizes, one below each smallest
    size (labelled ``below smallest``: archspec rejects it, so PyTorch must
    too), the first size above each smallest one outside the valid set, where
    the set has gaps (``not a valid size``: rejected too), and ``samples``
    distinct random valid sizes (among the first 65 of each set; at most every
    combination of them once).

    Sizes vary on every dim after the channels; a network whose shapes only
    work at one size (a linear after flatten) is checked at that size alone.
    """
    own = tuple(int(d) for d in spec.input if isinstance(d, int))
    variants = [("spec input", own)] if len(own) == len(spec.input) else []
    # The channels stay; a first dim the spec leaves open (token ids [L]) varies too.
    fixed = tuple(spec.input[:1]) if isinstance(spec.input[0], int) else ()
    names = [f"S{i}" for i in range(len(fixed), len(spec.input))]
    if not names:
        return variants
    try:
        graph = compile_spec(spec, (*fixed, *names))
    except SpecError:
        return variants
    smallest = tuple(graph.min_sizes[name] for name in names)
    variants.append(("smallest valid", (*fixed, *smallest)))
    for axis, low in enumerate(smallest):
        if low > 1:
            variants.append((BELOW, (*fixed, *_at(smallest, axis, low - 1))))
    for axis, name in enumerate(names):  # the first gap above the minimum (U-Net: 17 of 16, 32, …)
        sizes = graph.valid_sizes[name]
        gap = next(
            (n for n in range(smallest[axis], smallest[axis] + 2 * sizes.period) if n not in sizes), None
        )
        if gap is not None:
            variants.append((OUTSIDE, (*fixed, *_at(smallest, axis, gap))))
    firsts = [list(itertools.islice(graph.valid_sizes[name].members(), 65)) for name in names]
    variants.extend(("random valid", (*fixed, *drawn)) for drawn in _distinct_draws(firsts, samples, seed))
    return variants


def _distinct_draws(choices: list[list[int]], count: int, seed: int) -> list[tuple[int, ...]]:
    """``count`` distinct tuples, one choice per axis, drawn without repetition: at most
    every combination once, so a huge ``count`` costs no more than the combinations do
    (65 sizes per axis), instead of running the same forward passes again and again."""
    combinations = math.prod(len(axis) for axis in choices)
    picked = random.Random(seed).sample(range(combinations), min(count, combinations))
    draws = []
    for index in picked:
        drawn = []
        for axis in reversed(choices):
            index, at = divmod(index, len(axis))
            drawn.append(axis[at])
        draws.append(tuple(reversed(drawn)))
    return draws


def _at(sizes: tuple[int, ...], axis: int, size: int) -> tuple[int, ...]:
    return tuple(size if i == axis else s for i, s in enumerate(sizes))


def check_spec(
    spec: Spec, sizes: Sequence[tuple[int, ...]] = (), samples: int = 3, seed: int = 0
) -> list[Run]:
    """Compare inferred and real shapes at each size; raises SpecError for a bad spec.

    A size that archspec rejects is run too: there PyTorch must fail as well.
    """
    graph = compile_spec(spec)
    module = build_graph(graph).train(False)  # eval mode; weights do not depend on sizes
    if len(spec.inputs) > 1:  # one run, at the spec's own sizes
        names = ", ".join(spec.inputs)
        if sizes or any(isinstance(d, str) for dims in spec.inputs.values() for d in dims):
            raise ValueError(
                f"the spec has several inputs ({names}): it is checked at its own sizes, "
                "which must be ints, and takes no sizes"
            )
        return [compare(graph, module, "spec inputs")]
    for dims in sizes:
        if len(dims) != len(spec.input) or (isinstance(spec.input[0], int) and dims[0] != spec.input[0]):
            raise ValueError(
                f"size {'x'.join(map(str, dims))} must keep the spec's rank {len(spec.input)} "
                f"and its {spec.input[0]} input channels"
            )
    variants = [("given", tuple(s)) for s in sizes] or size_variants(spec, samples, seed)
    return [_run(spec, module, label, dims) for label, dims in variants]


def _run(spec: Spec, module: nn.Module, label: str, dims: tuple[int, ...]) -> Run:
    try:
        graph = compile_spec(spec, dims)
    except SpecError:
        expected = label in (BELOW, OUTSIDE)
        integer = spec.input_dtypes.get(next(iter(spec.inputs)), "float32") == "int64"
        return expect_failure(module, dims, label if expected else f"{label}, rejected by archspec", integer)
    return compare(graph, module, label)


def expect_failure(module: nn.Module, dims: tuple[int, ...], label: str, integer: bool = False) -> Run:
    """Run at a size archspec rejects; the run is ok when PyTorch raises too."""
    run = Run(label, dims, expect_error=True)
    try:
        real_shapes(module, dims, integer=integer)
    except (RuntimeError, AssertionError) as error:  # AssertionError: torch._assert (ViT's image size)
        run.error = str(error).splitlines()[0]
    return run


def format_runs(runs: list[Run]) -> str:
    lines = []
    for run in runs:
        size = "x".join(str(d) for d in run.dims)
        if run.expect_error:
            verdict = "rejected by PyTorch too" if run.ok else "but PyTorch accepts it"
            lines.append(f"{'ok' if run.ok else 'FAIL':<6}{size:<16} ({run.label}): {verdict}")
            continue
        if run.ok:
            lines.append(f"ok    {size:<16} ({run.label}): every layer's shape agrees")
            continue
        lines.append(f"FAIL  {size:<16} ({run.label})")
        if run.error:
            lines.append(f"      PyTorch raised: {run.error}")
        for mismatch in run.mismatches:
            inferred = ", ".join(format_dim(d) for d in mismatch.inferred)
            actual = "" if mismatch.actual is None else ", ".join(map(str, mismatch.actual))
            actual = "did not run" if mismatch.actual is None else f"[N, {actual}]"
            lines.append(f"      {mismatch.path}: inferred [N, {inferred}], real {actual}")
    return "\n".join(lines) + "\n"
