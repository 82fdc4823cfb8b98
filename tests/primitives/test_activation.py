"""Elementwise layers: shape in = shape out, no weights, the right module."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from tests.primitives.cases import OracleCase
from tests.primitives.oracle import (
    check_against_torch,
    check_agreement,
    check_symbolic,
    layer_spec,
    run_module,
)

# The torch module of each elementwise primitive, written here (not read from archspec),
# so that the registry contract fails for a new activation until it is listed.
ACTIVATIONS = {
    "relu": nn.ReLU,
    "relu6": nn.ReLU6,
    "sigmoid": nn.Sigmoid,
    "tanh": nn.Tanh,
    "hardswish": nn.Hardswish,
    "hardsigmoid": nn.Hardsigmoid,
    "silu": nn.SiLU,
    "mish": nn.Mish,
    "identity": nn.Identity,
}
ORACLE_CASES = {name: [OracleCase(name, (3, 5, 4), (3, "H", "W"), cls)] for name, cls in ACTIVATIONS.items()}


@pytest.mark.parametrize("name", list(ACTIVATIONS))
@pytest.mark.parametrize("dims", [(1,), (5,), (3, 7), (2, 5, 3), (2, 3, 4, 5)])
def test_activation(name: str, dims: tuple[int, ...]) -> None:
    graph = check_agreement(layer_spec(name, dims), dims, ACTIVATIONS[name])
    assert graph is not None
    assert tuple(graph.output.dims) == dims
    assert graph.num_params == 0
    _, module = check_against_torch(layer_spec(name, dims))
    assert type(module[0]) is ACTIVATIONS[name]
    x = torch.randn(2, *dims, generator=torch.Generator().manual_seed(0))
    assert torch.equal(run_module(module, dims), run_module(ACTIVATIONS[name](), dims))
    assert torch.equal(module[0](x), ACTIVATIONS[name]()(x))


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_activation_symbolic(name: str) -> None:
    graph = check_symbolic(layer_spec(name, (2, "H", "W")), (2, "H", "W"), sizes=(1, 3))
    assert graph.min_sizes == {"H": 1, "W": 1}
