"""The oracle: archspec's inferred shapes and weights against real torch modules.

``check_against_torch`` compiles a small spec, builds it, runs one real forward
pass (batch 2, eval mode, no grad) and compares every layer's inferred input and
output shape with the ones captured by forward hooks, and every parameter count
with the built modules'. ``expect_rejection`` checks that archspec refuses a
spec with a located diagnostic that names the offending numbers, and
``torch_raises`` that the hand-built PyTorch equivalent refuses it too.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import pytest
import sympy
import torch
import yaml
from torch import nn

import archspec
from archspec import Diagnostic, Graph, SpecError
from archspec.check import trace
from archspec.primitives.registry import primitives

BATCH = 2
# How PyTorch refuses a layer: most checks raise RuntimeError or ValueError, a dim out of
# range (softmax's) IndexError, torch._assert and nn.MultiheadAttention's head count
# AssertionError (torchvision's ViT asserts its image size so).
REFUSALS = (RuntimeError, ValueError, IndexError, AssertionError)

SpecInput = str | Mapping[str, Any]


def spec_text(spec: SpecInput) -> str:
    """YAML text of a spec given as text or as a dict (block style: one key a line, lists of
    numbers in flow style)."""
    if isinstance(spec, str):
        return spec
    return yaml.safe_dump(dict(spec), sort_keys=False, default_flow_style=None)


def layers_spec(
    layers: Sequence[Any], input: Sequence[int | str], name: str = "oracle", *, ids: bool = False
) -> str:
    """A spec of the given layers (bare names or ``{primitive: params}``) on ``input``
    (of token ids, int64, with ``ids``)."""
    dtypes = {"input_dtypes": {"input": "int64"}} if ids else {}
    return spec_text({"archspec": 1, "name": name, "input": list(input), **dtypes, "layers": list(layers)})


def layer_spec(layer: Any, input: Sequence[int | str], *, ids: bool = False) -> str:
    """A one-layer spec."""
    return layers_spec([layer], input, ids=ids)


def random_input(dims: Sequence[int], integer: bool, generator: torch.Generator) -> torch.Tensor:
    """A batch of ``BATCH`` random inputs: normal floats, or token ids 0 and 1."""
    if integer:
        return torch.randint(0, 2, (BATCH, *dims), generator=generator)
    return torch.randn(BATCH, *dims, generator=generator)


def compile_spec(spec: SpecInput, input: Sequence[int | str] | None = None) -> Graph:
    return archspec.compile(archspec.loads(spec_text(spec)), input)


def _numel(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def run_module(module: nn.Module, dims: Sequence[int], seed: int = 0) -> torch.Tensor:
    """One forward pass of ``module`` on a random batch of 2, eval mode, no grad."""
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(BATCH, *dims, generator=generator)
    module.eval()
    with torch.no_grad():
        return module(x)


def check_against_torch(
    spec: SpecInput, input: Sequence[int] | None = None, *, seed: int = 0
) -> tuple[Graph, nn.Module]:
    """Compile and build ``spec``, run it, and compare every layer with the real forward.

    ``input`` (concrete ints) overrides the spec's input. Returns the graph and
    the built module, for further checks.
    """
    graph = compile_spec(spec, input)
    dims = tuple(graph.input.dims)
    assert all(isinstance(d, int) for d in dims), f"the oracle needs a concrete input, got {dims}"
    module = archspec.build(graph)
    modules = dict(module.named_modules())

    # Every layer of the graph is a module of the same dotted name, and back; but a
    # layer computed by a function (a merge of named tensors, a split), which has none.
    paths = [layer.path for layer in graph.layers]
    assert len(paths) == len(set(paths)), f"duplicate layer paths: {paths}"
    with_modules = {layer.path for layer in graph.layers if not layer.is_join}
    # A layer's module may hold parts of torch's own (nn.MultiheadAttention's out_proj)
    leaves = {layer.path for layer in graph.layers if not layer.children}
    parts = {name for name in modules if any(name.startswith(f"{leaf}.") for leaf in leaves)}
    assert with_modules == set(modules) - {""} - parts, (
        f"graph layers {sorted(with_modules)} != built modules {sorted(set(modules) - {''})}"
    )
    # Each part's class is declared in its primitive's parts=, so that no init rule's class
    # case (type(m) is nn.Linear) reaches a module that is not a layer of the spec.
    by_leaf = {layer.path: layer for layer in graph.layers if not layer.children}
    for name in parts:
        owner = by_leaf[next(p for p in by_leaf if name.startswith(f"{p}."))]
        cls = type(modules[name]).__name__
        assert cls in primitives()[owner.primitive].parts, (
            f"{owner.primitive}'s module holds a {cls} ({name}): declare it in its parts="
        )

    generator = torch.Generator().manual_seed(seed)
    y, seen = trace(module.eval(), random_input(dims, graph.input.integer, generator))

    for layer in graph.layers:
        calls = seen.get(layer.path)
        assert calls, f"layer {layer.path} ({layer.primitive}) never ran"
        assert len(calls) == 1, f"layer {layer.path} ran {len(calls)} times"
        real_in, real_out = calls[0].input, calls[0].output
        want_in = (BATCH, *layer.input.dims) if layer.input.batched else tuple(layer.input.dims)
        want_out = (BATCH, *layer.output.dims) if layer.output.batched else tuple(layer.output.dims)
        assert want_in == real_in, f"{layer.path} ({layer.primitive}): input {want_in} != real {real_in}"
        assert want_out == real_out, (
            f"{layer.path} ({layer.primitive}): inferred output {want_out} != real {real_out}"
        )
        for name, shape in (layer.named_outputs or {}).items():
            real = (calls[0].outputs or {}).get(name)
            assert real == (BATCH, *shape.dims), f"{layer.path}.{name}: inferred {shape} != real {real}"
        real_params = (
            _numel(modules[layer.path])
            if layer.path in modules
            else dict(module.named_parameters()).get(layer.path, torch.empty(0)).numel()
        )  # a learned tensor is a parameter of its list's module
        assert layer.num_params == real_params, (
            f"{layer.path} ({layer.primitive}): inferred {layer.num_params} params != real {real_params}"
        )
    outputs = y if isinstance(y, dict) else {next(iter(graph.returns)): y}
    for name, shape in graph.returns.items():
        assert tuple(outputs[name].shape) == (BATCH, *shape.dims), name
    assert graph.num_params == _numel(module), f"{graph.num_params} != {_numel(module)}"
    return graph, module


def _mentions(message: str, number: int | str) -> bool:
    if isinstance(number, int):
        return re.search(rf"(?<![\d.]){number}(?![\d.])", message) is not None
    return number in message


def expect_rejection(
    spec: SpecInput,
    input: Sequence[int | str] | None = None,
    *,
    numbers: Iterable[int | str] = (),
    path: str | None = None,
    field: str | None = None,
    code: str | None = None,
) -> Diagnostic:
    """archspec refuses the spec with one located diagnostic that names ``numbers``.

    ``field``: the span must point at that parameter's value (the error points
    at the parameter at fault).
    """
    text = spec_text(spec)
    with pytest.raises(SpecError) as info:
        compile_spec(text, input)
    diagnostics = info.value.diagnostics
    assert diagnostics, "SpecError without diagnostics"
    diagnostic = diagnostics[0]
    assert diagnostic.span is not None, f"no span: {diagnostic}"
    assert diagnostic.span.line >= 1, diagnostic
    assert diagnostic.span.column >= 1, diagnostic
    assert diagnostic.path, f"no layer path: {diagnostic}"
    if path is not None:
        assert diagnostic.path == path, diagnostic
    if code is not None:
        assert diagnostic.code == code, diagnostic
    for number in numbers:
        assert _mentions(diagnostic.message, number), (
            f"the message does not name {number!r}: {diagnostic.message}"
        )
    if field is not None:
        line = text.splitlines()[diagnostic.span.line - 1]
        before = line[: diagnostic.span.column - 1].rstrip()
        assert before.endswith(f"{field}:"), f"span {diagnostic.span} is at {line!r}, not at {field}'s value"
    return diagnostic


def torch_raises(make: Callable[[], nn.Module], dims: Sequence[int]) -> BaseException:
    """The hand-built torch module refuses: on construction or on a forward pass."""
    with pytest.raises(REFUSALS) as info:
        run_module(make(), dims)
    return info.value


def torch_result(make: Callable[[], nn.Module], dims: Sequence[int]) -> tuple[tuple[int, ...], int] | None:
    """The output dims (without batch) and parameter count of a hand-built module,
    or None when torch refuses it (on construction or on the forward pass)."""
    try:
        module = make()
        output = run_module(module, dims)
    except REFUSALS:
        return None
    return tuple(output.shape[1:]), _numel(module)


def check_agreement(
    spec: SpecInput,
    dims: Sequence[int],
    make: Callable[[], nn.Module],
    *,
    numbers: Iterable[int | str] = (),
    field: str | None = None,
    code: str | None = None,
) -> Graph | None:
    """archspec accepts ``spec`` on ``dims`` exactly when the hand-built torch module runs.

    Accepted: the oracle passes, and the output dims and parameter count equal
    the hand-built module's. Refused: the diagnostic is located and names
    ``numbers`` (and points at ``field``, when given).
    """
    real = torch_result(make, dims)
    if real is None:
        expect_rejection(spec, dims, numbers=numbers, field=field, code=code)
        return None
    graph, _ = check_against_torch(spec, dims)
    shape, num_params = real
    assert tuple(graph.output.dims) == shape, f"archspec {graph.output} != torch {shape}"
    assert graph.num_params == num_params, f"archspec {graph.num_params} params != torch {num_params}"
    return graph


def symbol(name: str) -> sympy.Symbol:
    """The symbol archspec makes for an input size name."""
    return sympy.Symbol(name, integer=True, positive=True)


def substitute(dim: Any, sizes: Mapping[str, int]) -> int:
    """The int a (possibly symbolic) dim takes at the given sizes."""
    if isinstance(dim, int):
        return dim
    value = sympy.sympify(dim).subs({symbol(name): size for name, size in sizes.items()})
    assert value.is_Integer, f"{dim} at {dict(sizes)} is {value}, not an integer"
    return int(value)


def bind(input: Sequence[int | str], sizes: Mapping[str, int]) -> tuple[int, ...]:
    return tuple(sizes[d] if isinstance(d, str) else d for d in input)


def check_symbolic(
    spec: SpecInput,
    input: Sequence[int | str],
    sizes: Iterable[int],
    make: Callable[[], nn.Module] | None = None,
) -> Graph:
    """The symbolic inference agrees with concrete inference and with torch.

    For each size in ``sizes`` (given to every symbol, and added to the
    minimum), every layer's substituted output equals the concrete one, which
    the oracle checks against torch. ``graph.min_sizes`` must be tight: the
    module built from the symbolic graph runs at the minimum, and both archspec
    and torch (``make``: the hand-built module; default, the built one) refuse
    one below it.
    """
    text = spec_text(spec)
    graph = compile_spec(text, input)
    names = [d for d in input if isinstance(d, str)]
    assert set(graph.min_sizes) == set(names), graph.min_sizes
    minimum = dict(graph.min_sizes)

    # Each size list is tried as is (where valid) and shifted by the minimum.
    trials = [dict.fromkeys(names, size) for size in sizes]
    trials += [{n: minimum[n] + size for n in names} for size in sizes]
    trials.append(minimum)
    for trial in trials:
        if any(trial[n] < minimum[n] for n in names):
            continue
        concrete, _ = check_against_torch(text, bind(input, trial))
        for symbolic_layer, concrete_layer in zip(graph.layers, concrete.layers, strict=True):
            assert symbolic_layer.path == concrete_layer.path
            got = tuple(substitute(d, trial) for d in symbolic_layer.output.dims)
            assert got == tuple(concrete_layer.output.dims), (
                f"{symbolic_layer.path}: {symbolic_layer.output} at {trial} is {got}, "
                f"concrete inference says {concrete_layer.output}"
            )
            assert symbolic_layer.num_params == concrete_layer.num_params

    # Tight minimum: runs at it, refused one below (per symbol, the others at their minimum).
    built = archspec.build(graph)
    assert graph.num_params == _numel(built)
    run_module(built, bind(input, minimum))
    for name in names:
        if minimum[name] == 1:
            continue
        below = {**minimum, name: minimum[name] - 1}
        dims = bind(input, below)
        with pytest.raises(SpecError):
            compile_spec(text, dims)
        torch_raises(make or (lambda: archspec.build(graph)), dims)
    return graph


def check_same_function(ours: nn.Module, reference: nn.Module, dims: Sequence[int], *, seed: int = 1) -> None:
    """``ours`` computes what the hand-written ``reference`` does, with its weights.

    The state dicts must hold the same shapes in the same order (so that a
    reference checkpoint loads by position); the reference's values, with
    randomized batchnorm statistics, are copied over and both run in eval mode.
    """
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, buffer in reference.named_buffers():
            if name.endswith("running_mean"):
                buffer.copy_(torch.randn(buffer.shape, generator=generator))
            elif name.endswith("running_var"):
                buffer.copy_(torch.rand(buffer.shape, generator=generator) + 0.5)
        for parameter in reference.parameters():
            parameter.copy_(torch.randn(parameter.shape, generator=generator) * 0.3)
    ours_state, reference_state = ours.state_dict(), reference.state_dict()
    ours_shapes = [tuple(v.shape) for v in ours_state.values()]
    reference_shapes = [tuple(v.shape) for v in reference_state.values()]
    assert ours_shapes == reference_shapes, f"{list(ours_state)} vs {list(reference_state)}"
    ours.load_state_dict(dict(zip(ours_state, reference_state.values(), strict=True)))
    got, want = run_module(ours, dims, seed), run_module(reference, dims, seed)
    assert got.shape == want.shape
    assert torch.allclose(got, want, atol=1e-5, rtol=1e-4), (got - want).abs().max()
