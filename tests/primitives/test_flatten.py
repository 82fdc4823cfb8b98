"""flatten against nn.Flatten: every dim after the batch multiplied into one."""

from __future__ import annotations

import math

import pytest
from torch import nn

from tests.primitives.cases import OracleCase
from tests.primitives.oracle import check_agreement, check_symbolic, layer_spec, layers_spec

ORACLE_CASES = {"flatten": [OracleCase("flatten", (2, 3, 4), None, nn.Flatten)]}


@pytest.mark.parametrize("dims", [(1,), (5,), (3, 7), (2, 5, 3), (2, 3, 4, 5), (1, 1, 1, 1)])
def test_flatten(dims: tuple[int, ...]) -> None:
    graph = check_agreement(layer_spec("flatten", dims), dims, nn.Flatten)
    assert graph is not None
    assert tuple(graph.output.dims) == (math.prod(dims),)


def test_flatten_after_conv_and_pool() -> None:
    dims = (3, 11, 8)
    layers = [
        {"conv": {"out_channels": 6, "kernel_size": 3, "stride": 2}},
        {"maxpool": {"kernel_size": 2, "ceil_mode": True}},
        "flatten",
        {"linear": {"out_features": 4}},
    ]
    reference = nn.Sequential(
        nn.Conv2d(3, 6, 3, stride=2), nn.MaxPool2d(2, ceil_mode=True), nn.Flatten(), nn.Linear(6 * 3 * 2, 4)
    )
    graph = check_agreement(layers_spec(layers, dims), dims, lambda: reference)
    assert graph is not None
    assert tuple(graph.layers[2].output.dims) == (36,)


@pytest.mark.parametrize("input", [(2, "L"), (3, "H", "W"), (1, "D", "H", 4)])
def test_flatten_symbolic(input: tuple[int | str, ...]) -> None:
    layers = [{"conv": {"out_channels": 2, "kernel_size": 2, "stride": 2}}, "flatten"]
    check_symbolic(layers_spec(layers, input), input, sizes=(2, 5))
