"""Properties: what archspec infers statically is exactly what PyTorch does.

Specs are drawn from every registered primitive (tests/strategies.py). On a
failure, hypothesis prints the shrunk spec as YAML: paste it into a file and
rerun it with ``archspec check FILE``.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
import torch
from hypothesis import assume, given, note
from hypothesis import strategies as st

import archspec
from archspec.check import compare, real_shapes
from archspec.compiler import compile_spec
from archspec.compiler.expand import BoundLayer
from archspec.compiler.graph import LayerInfo
from archspec.compiler.infer import expand_spec
from archspec.diagnostics import SpecError
from archspec.emit.module import build_layer
from archspec.frontend.spec import Spec
from archspec.primitives.registry import primitives
from archspec.shapes.dims import substitute
from archspec.shapes.tensor import TensorShape
from tests.primitives.oracle import REFUSALS
from tests.strategies import as_yaml, spec_data, symbolic_dims, token_spec_data

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


@pytest.fixture(autouse=True)
def _pytorchs_reference_kernels() -> Iterator[None]:
    """PyTorch's oneDNN kernel for transposed convs returns an empty tensor for an output
    size of 0, where its reference kernel (and archspec) refuses it: the oracle is the
    reference semantics (tests/primitives/test_conv_transpose.py records the difference)."""
    with torch.backends.mkldnn.flags(enabled=False):
        yield


def load(data: dict[str, Any]) -> Spec:
    text = as_yaml(data)
    note(f"# the spec (paste into a file, run: archspec check FILE)\n{text}")
    return archspec.loads(text, "drawn.yaml")


def accepted(data: dict[str, Any]) -> archspec.Graph:
    """The graph of a drawn spec; draws that archspec rejects are discarded."""
    try:
        return archspec.compile(load(data))
    except SpecError:
        assume(False)
        raise


def count(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


@given(spec_data())
def test_every_layer_shape_equals_the_real_forward(data: dict[str, Any]) -> None:
    graph = accepted(data)
    run = compare(graph, archspec.build(graph).eval(), "drawn")
    assert run.error is None, f"archspec accepted it, PyTorch raised: {run.error}"
    assert run.mismatches == []


@given(token_spec_data())
def test_every_layer_shape_on_tokens_equals_the_real_forward(data: dict[str, Any]) -> None:
    """Attention and the layers around it on tokens [L, D], against the real forward."""
    graph = accepted(data)
    run = compare(graph, archspec.build(graph).eval(), "drawn")
    assert run.error is None, f"archspec accepted it, PyTorch raised: {run.error}"
    assert run.mismatches == []
    assert graph.num_params == count(archspec.build(graph))


@given(token_spec_data())
def test_archspec_rejects_exactly_what_pytorch_refuses_on_tokens(data: dict[str, Any]) -> None:
    test_archspec_rejects_exactly_what_pytorch_refuses.hypothesis.inner_test(data)  # type: ignore[attr-defined]


@given(spec_data())
def test_num_params_equals_the_built_module(data: dict[str, Any]) -> None:
    graph = accepted(data)
    net = archspec.build(graph)
    assert graph.num_params == count(net)
    for layer in graph.layers:
        assert layer.num_params == count(net.get_submodule(layer.path)), layer.path


# --- agreement both ways -------------------------------------------------------


def one_layer_spec(spec: Spec, node: BoundLayer, dims: tuple[int, ...]) -> Spec:
    return replace(spec, input=dims, layers=(node.written,))


PROBE_PARAMS = 20_000_000
PROBE_MACS = 2_000_000_000
"""The largest enlarged composite pytorch_refuses builds and runs (weights, and
multiply-accumulates per sample): past them, the draw is left to the composite's own tests."""


def enlarged(dims: tuple[int, ...], factor: int) -> tuple[int, ...]:
    return (dims[0], *(size * factor for size in dims[1:]))


def pytorch_refuses(spec: Spec, node: BoundLayer, x: torch.Tensor) -> bool | None:
    """Whether PyTorch refuses the layer ``node`` on the real tensor ``x``.

    The module is made without archspec's shape rules: a leaf by its builder
    from the real input shape (construction may already raise); a composite,
    whose builder needs its parts, is built where archspec accepts it (same
    channels, larger sizes: weights do not depend on sizes) and then run on
    ``x``. None: a composite refused at every size (a non-size problem), left
    to its own tests.
    """
    dims = tuple(x.shape[1:])
    primitive = primitives().get(node.kind_name)
    try:
        if primitive is None or primitive.composite:  # a block call, or a primitive with parts
            for factor in (2, 4, 16, 64):
                try:
                    graph = compile_spec(one_layer_spec(spec, node, enlarged(dims, factor)))
                except SpecError:
                    continue
                if graph.num_params > PROBE_PARAMS or graph.num_macs > PROBE_MACS:
                    # a larger size only grows it: a probe this big could exhaust the
                    # machine's memory (weights grow with the features of tokens [L, D])
                    return None
                module = archspec.build(graph)
                break
            else:
                return None
        else:
            shape = TensorShape(dims)
            module = build_layer(LayerInfo("probe", "probe", node.kind_name, node.params, shape, shape, 0))
        with torch.no_grad():
            module.eval()(x)
    except REFUSALS:
        return True
    return False


def walk_until_rejected(spec: Spec, nodes: tuple[BoundLayer, ...], x: torch.Tensor) -> torch.Tensor | bool:
    """Run the layers one by one on real tensors; at the first that archspec
    rejects, say whether PyTorch refuses it too."""
    for node in nodes:
        primitive = primitives().get(node.kind_name)
        # A layer without a module (split, chunk) makes several tensors: a chain of single
        # layers cannot carry them, so such a draw is left to the dataflow properties.
        assume(primitive is None or primitive.build is not None or primitive.control is not None)
        try:
            graph = compile_spec(one_layer_spec(spec, node, tuple(x.shape[1:])))
        except SpecError:
            if node.kind_name == "sequential":
                inner = walk_until_rejected(spec, node.children, x)
                assert isinstance(inner, bool), "a group rejected as a whole, its layers accepted"
                return inner
            refused = pytorch_refuses(spec, node, x)
            assume(refused is not None)
            return bool(refused)
        with torch.no_grad():
            x = archspec.build(graph).eval()(x)
    return x


@given(spec_data())
def test_archspec_rejects_exactly_what_pytorch_refuses(data: dict[str, Any]) -> None:
    try:
        spec = load(data)
    except SpecError:  # a value the params refuse (values that contradict each other): no shape
        assume(False)
        raise
    try:
        graph = archspec.compile(spec)
    except SpecError as error:
        (diagnostic,) = error.diagnostics
        # Shape errors only, not typos in values; not E305 (a layer on an input of the
        # wrong rank), which PyTorch cannot refuse: it reads a missing dim as an unbatched
        # input, the batch becoming the channels; and not E302 (a given num_channels or
        # in_channels that disagrees with the input): archspec holds a spec to what it
        # states, where PyTorch ignores a size that shapes no weight (GroupNorm without
        # affine). Each primitive's own tests check E302 where PyTorch refuses too.
        assume(diagnostic.code.startswith("E3") and diagnostic.code not in ("E302", "E305"))
        note(f"archspec: {diagnostic.render()}")
        x = torch.randn(2, *(int(d) for d in spec.input))
        try:
            nodes = expand_spec(spec)
        except SpecError:
            assume(False)  # a value error in an expression, not a shape error
        assert walk_until_rejected(spec, nodes, x) is True, "archspec rejects, PyTorch runs"
        return
    net = archspec.build(graph)
    dims = tuple(int(d) for d in graph.input.dims)
    real_shapes(net.eval(), dims)  # accepted: PyTorch runs (raises otherwise)
    # Training: batchnorm needs two values per channel; archspec says when a batch of 1 fails.
    net.train()
    try:
        net(torch.randn(1, *dims))
        trains_at_one = True
    except ValueError as error:
        if "more than 1 spatial element" in str(error):
            # instancenorm with running statistics on one position: eval runs (accepted), no
            # batch trains, which min_train_batch (a batch size) cannot state: a known gap,
            # see archspec/primitives/instancenorm.py
            assert any(
                getattr(layer.params, "track_running_stats", False)
                and all(size == 1 for size in layer.input.spatial)
                for layer in graph.layers
            ), error
            return
        assert "more than 1 value per channel" in str(error)
        trains_at_one = False
    assert trains_at_one == (graph.min_train_batch == 1)


# --- symbols -------------------------------------------------------------------


@given(spec_data(dims=symbolic_dims()), st.data())
def test_symbolic_then_substituted_equals_concrete(data: dict[str, Any], draw: st.DataObject) -> None:
    symbolic = accepted(data)
    sizes = {}  # the n-th valid size: the minimum + n, but where joins leave gaps (or leave a few)
    for name, valid in symbolic.valid_sizes.items():
        firsts = list(itertools.islice(valid.members(), 13))
        sizes[name] = firsts[draw.draw(st.integers(0, 12), label=name) % len(firsts)]
    dims = tuple(sizes.get(d, d) if isinstance(d, str) else d for d in symbolic.spec.input)
    concrete = compile_spec(symbolic.spec, dims)
    assert [layer.path for layer in symbolic.layers] == [layer.path for layer in concrete.layers]
    for sym_layer, layer in zip(symbolic.layers, concrete.layers, strict=True):
        assert tuple(substitute(d, sizes) for d in sym_layer.output.dims) == layer.output.dims, sym_layer.path
    assert symbolic.num_params == concrete.num_params


@given(spec_data(dims=symbolic_dims()))
def test_minimum_sizes_are_tight(data: dict[str, Any]) -> None:
    symbolic = accepted(data)
    spec, smallest = symbolic.spec, symbolic.min_sizes
    at_min = tuple(smallest[d] if isinstance(d, str) else d for d in spec.input)
    graph = compile_spec(spec, at_min)  # archspec accepts the minimum ...
    net = archspec.build(graph).eval()
    run = compare(graph, net, "smallest")
    assert run.ok, f"at the smallest size {at_min}: {run.error or run.mismatches}"  # ... PyTorch too
    for axis, name in enumerate(spec.input):
        if isinstance(name, str) and smallest[name] > 1:
            below = tuple(size - 1 if i == axis else size for i, size in enumerate(at_min))
            with pytest.raises(SpecError):
                compile_spec(spec, below)
            with pytest.raises(REFUSALS):
                real_shapes(net, below)


# --- the loader ----------------------------------------------------------------


@given(st.one_of(st.text(), st.binary()))
def test_any_text_or_bytes_give_a_spec_or_a_located_spec_error(blob: str | bytes) -> None:
    try:
        archspec.loads(blob, "fuzz.yaml")
    except SpecError as error:
        assert error.diagnostics
        assert all(d.span is not None and d.span.line >= 1 for d in error.diagnostics)
