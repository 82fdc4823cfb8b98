"""The valid-size probe by evaluation (compiler/dimprobe.py) against the probe by inference."""

from __future__ import annotations

from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import archspec
from archspec.compiler import probe
from archspec.compiler.constraints import Constraint
from archspec.compiler.dimprobe import evaluated_probe
from archspec.compiler.infer import Compilation, expand_spec, infer_flow, input_shape
from archspec.frontend.spec import Spec
from archspec.shapes.dims import floordiv

SYMBOLIC = (3, "H", "W")


def _spec(layers: list[Any], dims: tuple[int | str, ...] = SYMBOLIC) -> Spec:
    text = yaml.safe_dump({"archspec": 1, "name": "probe", "input": list(dims), "layers": layers})
    return archspec.loads(text)


def _probes(spec: Spec, dims: tuple[int | str, ...] = SYMBOLIC) -> tuple[Any, Any]:
    """The evaluated probe (None where it declines) and the inference probe of ``spec``."""
    given_dims = {"input": dims}
    inputs = {name: input_shape(d) for name, d in given_dims.items()}
    compilation = Compilation(spec)
    nodes = expand_spec(spec, compilation)
    flow = infer_flow(spec, inputs, nodes, compilation, recover=True)
    return evaluated_probe(flow.layers, inputs.values(), compilation), probe(
        spec, given_dims, nodes, compilation
    )


windows = st.fixed_dictionaries(
    {"kernel_size": st.integers(1, 4), "stride": st.integers(1, 3), "padding": st.integers(0, 2)}
)
layer = st.one_of(
    windows.map(lambda p: {"conv": {"out_channels": 3, **p, "dilation": 1 + p["padding"] % 2}}),
    windows.map(lambda p: {"maxpool": {**p, "padding": min(p["padding"], p["kernel_size"] // 2)}}),
    windows.map(
        lambda p: {"avgpool": {**p, "padding": min(p["padding"], p["kernel_size"] // 2), "ceil_mode": True}}
    ),
    st.sampled_from(["relu", "batchnorm", "dropout"]),
    st.just({"add": {"branches": [[], [{"conv": {"out_channels": 3, "kernel_size": 3, "padding": 1}}]]}}),
    st.just(
        {
            "concat": {
                "branches": [
                    [{"conv": {"out_channels": 1, "kernel_size": 1}}],
                    [{"conv": {"out_channels": 2, "kernel_size": 3, "padding": 1}}],
                ]
            }
        }
    ),
    st.just({"sequential": {"layers": ["relu", {"maxpool": {"kernel_size": 2}}]}}),
)


def _named(layers: list[Any]) -> list[Any]:
    """The layers, each group named after its place (names are unique in a list)."""
    return [
        {"sequential": {"name": f"group{i}", **item["sequential"]}}
        if isinstance(item, dict) and "sequential" in item
        else item
        for i, item in enumerate(layers)
    ]


@settings(max_examples=60, deadline=None)
@given(
    layers=st.lists(layer, min_size=1, max_size=6), sizes=st.lists(st.integers(1, 40), min_size=6, max_size=6)
)
def test_evaluated_probe_answers_as_inference(layers: list[Any], sizes: list[int]) -> None:
    """On chains of declared layers (nested ones too, and joins of branches that keep the
    size), at sizes a layer may refuse: the same verdict as a whole concrete inference."""
    evaluated, inferred = _probes(_spec(_named(layers)))
    assert evaluated is not None
    for height, width in zip(sizes[::2], sizes[1::2], strict=True):
        at = {"H": height, "W": width}
        assert evaluated(at) == inferred(at), at


def test_an_undeclared_layer_leaves_the_probe_to_inference() -> None:
    spec = _spec(["relu", {"upsample": {"scale_factor": 2}}, {"conv": {"out_channels": 2, "kernel_size": 3}}])
    assert _probes(spec)[0] is None


def test_a_join_constraint_leaves_the_probe_to_inference() -> None:
    """A join's constraint (``H == 2*floor(H/2)``) refuses sizes where no dim is below 1: a
    graph with one is probed by inference, whatever its layers declare."""
    spec = _spec([{"maxpool": {"kernel_size": 2}}, "relu"])
    inputs = {"input": input_shape(SYMBOLIC)}
    compilation = Compilation(spec)
    flow = infer_flow(spec, inputs, expand_spec(spec, compilation), compilation, recover=True)
    assert evaluated_probe(flow.layers, inputs.values(), compilation) is not None
    height = inputs["input"].dims[1]
    compilation.constraints.append(Constraint(height, 2 * floordiv(height, 2), "the branches"))
    assert evaluated_probe(flow.layers, inputs.values(), compilation) is None


def test_a_symbolic_channel_count_leaves_the_probe_to_inference() -> None:
    assert _probes(_spec(["relu"], ("C", "H", "W")), ("C", "H", "W"))[0] is None


def test_valid_sizes_are_those_of_the_inference_probe() -> None:
    """A chain whose convs refuse small sizes: the sets a symbolic compile reports."""
    layers = [{"conv": {"out_channels": 2, "kernel_size": 5}}, {"maxpool": {"kernel_size": 3, "stride": 2}}]
    graph = archspec.compile(_spec(layers), input=list(SYMBOLIC))
    assert str(graph.valid_sizes["H"]) == "H ≥ 7"
    evaluated, inferred = _probes(_spec(layers))
    assert evaluated is not None
    assert [evaluated({"H": h, "W": 9}) for h in range(1, 10)] == [
        inferred({"H": h, "W": 9}) for h in range(1, 10)
    ]


def test_a_block_call_on_symbolic_channels_leaves_the_probe_to_inference() -> None:
    """After a flatten the channels are a formula: a block's body there was expanded
    without them, and a concrete inference, which knows them, may expand another."""
    text = yaml.safe_dump(
        {
            "archspec": 1,
            "name": "probe",
            "input": list(SYMBOLIC),
            "blocks": {"act": {"layers": ["relu"]}},
            "layers": ["flatten", {"act": {}}],
        }
    )
    spec = archspec.loads(text)
    assert _probes(spec)[0] is None
    assert _probes(_spec(["flatten", "relu"]))[0] is not None
