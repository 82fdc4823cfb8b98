"""inception against d2l's Inception block."""

from __future__ import annotations

import pytest

from tests.d2l import Inception as D2LInception
from tests.primitives.oracle import (
    check_against_torch,
    check_agreement,
    check_same_function,
    check_symbolic,
    layer_spec,
)

CONFIGS = [
    {"c1": 64, "c2": [96, 128], "c3": [16, 32], "c4": 32},  # GoogLeNet's first
    {"c1": 4, "c2": [3, 6], "c3": [2, 5], "c4": 7},
    {"c1": 1, "c2": [1, 1], "c3": [1, 1], "c4": 1},
]


@pytest.mark.parametrize("dims", [(8, 6, 6), (3, 9, 7), (5, 1, 1), (2, 2, 11)])
@pytest.mark.parametrize("params", CONFIGS)
def test_inception(dims: tuple[int, ...], params: dict[str, object]) -> None:
    spec = layer_spec({"inception": params}, dims)
    graph = check_agreement(spec, dims, lambda: D2LInception(dims[0], **params))
    assert graph is not None
    channels = params["c1"] + params["c2"][1] + params["c3"][1] + params["c4"]
    assert tuple(graph.output.dims) == (channels, *dims[1:])
    _, module = check_against_torch(spec)
    check_same_function(module, D2LInception(dims[0], **params), dims)


@pytest.mark.parametrize("dims", [(3, 9), (2, 4, 5, 3)])
def test_inception_on_1d_and_3d(dims: tuple[int, ...]) -> None:
    graph, _ = check_against_torch(layer_spec({"inception": CONFIGS[1]}, dims))
    assert tuple(graph.output.dims) == (22, *dims[1:])


def test_inception_symbolic() -> None:
    input = (3, "H", "W")
    graph = check_symbolic(layer_spec({"inception": CONFIGS[1]}, input), input, sizes=(1, 6))
    assert graph.min_sizes == {"H": 1, "W": 1}
