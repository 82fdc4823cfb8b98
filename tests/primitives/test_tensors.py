"""Every primitive's ``tensors`` rule says exactly which learned tensors its module holds.

``init:`` rules name tensors through it (docs/spec-language.md, "Initialisation"), and
``compile -o`` writes ``m.weight`` and ``m.bias`` from it without checking them at run
time, so it is checked here on every oracle case: the names and shapes, in the order
the module registers them. A primitive whose modules hold weights must declare them.
"""

from __future__ import annotations

import pytest

import archspec
from archspec.primitives.registry import lookup, primitives
from tests.primitives.cases import OracleCase, all_cases
from tests.primitives.oracle import layer_spec

CASES = [(name, i, case) for name, listed in sorted(all_cases().items()) for i, case in enumerate(listed)]


@pytest.mark.parametrize(("name", "index", "case"), CASES, ids=lambda v: str(v)[:40])
def test_declared_tensors_are_the_modules_own(name: str, index: int, case: OracleCase) -> None:
    graph = archspec.compile(archspec.loads(layer_spec(case.layer, case.dims, ids=case.ids)))
    modules = dict(archspec.build(graph, device="meta").named_modules())
    for layer in graph.layers:
        primitive = lookup(layer.primitive)
        if primitive is None or layer.functional or layer.children:
            continue
        own = tuple((k, tuple(v.shape)) for k, v in modules[layer.path].named_parameters(recurse=False))
        if primitive.tensors is None:
            assert not own, f"{layer.primitive} makes weights {own} but declares no tensors="
            continue
        declared = tuple((k, tuple(shape)) for k, shape in primitive.tensors(layer.params, layer.input))
        assert declared == own, layer.primitive
        # the parts torch's module holds itself (nn.MultiheadAttention's out_proj) count in
        # the layer's parameters, and are their own modules' tensors
        parts = sum(v.numel() for k, v in modules[layer.path].named_parameters() if "." in k)
        assert sum(_numel(shape) for _, shape in declared) + parts == layer.own_params


def test_the_primitives_with_weights_declare_them() -> None:
    declared = {name for name, p in primitives().items() if p.tensors is not None}
    assert {
        "conv",
        "conv_transpose",
        "linear",
        "batchnorm",
        "groupnorm",
        "layernorm",
        "instancenorm",
        "scale",
    } <= declared


def _numel(shape: tuple[int, ...]) -> int:
    total = 1
    for size in shape:
        total *= size
    return total
