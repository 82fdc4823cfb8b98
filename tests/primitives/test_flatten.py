"""flatten against nn.Flatten: the dims start_dim…end_dim multiplied into one (default: all after the batch)."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from tests.primitives.cases import OracleCase
from tests.primitives.oracle import check_agreement, check_symbolic, expect_rejection, layer_spec, layers_spec

ORACLE_CASES = {
    "flatten": [
        OracleCase("flatten", (2, 3, 4), None, nn.Flatten),
        OracleCase(
            {"flatten": {"start_dim": 2, "end_dim": -1}}, (2, 3, 4), (2, "H", "W"), lambda: nn.Flatten(2, -1)
        ),
        OracleCase(
            {"flatten": {"start_dim": -3, "end_dim": 2}}, (2, 3, 4, 5), None, lambda: nn.Flatten(-3, 2)
        ),
    ]
}


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


@pytest.mark.parametrize("dims", [(5,), (3, 7), (2, 5, 3), (2, 3, 4, 5)])
@pytest.mark.parametrize("start_dim", range(-5, 5))
@pytest.mark.parametrize("end_dim", range(-5, 5))
def test_flatten_start_and_end_dims(dims: tuple[int, ...], start_dim: int, end_dim: int) -> None:
    """Every start_dim and end_dim, in range or not, against nn.Flatten(start_dim, end_dim)."""
    spec = layer_spec({"flatten": {"start_dim": start_dim, "end_dim": end_dim}}, dims)
    rank = len(dims) + 1
    if -rank <= start_dim < rank and start_dim % rank == 0:
        # The batch: PyTorch flattens it with the rest where end_dim allows (or refuses a
        # start after the end); archspec keeps the batch first and refuses it either way.
        expect_rejection(spec, numbers=(start_dim,), field="start_dim", code="E305")
        return
    graph = check_agreement(spec, dims, lambda: nn.Flatten(start_dim, end_dim))
    if graph is not None:
        x = torch.zeros(1, *dims)
        assert tuple(graph.output.dims) == tuple(torch.flatten(x, start_dim, end_dim).shape[1:])


def test_flatten_defaults_are_left_out() -> None:
    for layer in ("flatten", {"flatten": {"start_dim": 1, "end_dim": -1}}):
        graph = check_agreement(layer_spec(layer, (2, 3, 4)), (2, 3, 4), nn.Flatten)
        assert graph is not None and tuple(graph.output.dims) == (24,)


@pytest.mark.parametrize(
    ("layer", "input", "output"),
    [
        ({"flatten": {"start_dim": 2}}, (3, "H", "W"), "[N, 3, H*W]"),
        ({"flatten": {"start_dim": 1, "end_dim": 2}}, (3, "H", "W"), "[N, 3*H, W]"),
        ({"flatten": {"start_dim": -2, "end_dim": -1}}, (2, "D", "H", 4), "[N, 2, D, 4*H]"),
    ],
)
def test_flatten_some_dims_symbolic(layer: dict, input: tuple[int | str, ...], output: str) -> None:
    graph = check_symbolic(layer_spec(layer, input), input, sizes=(1, 3, 5))
    assert str(graph.output) == output


def test_flatten_end_before_start_is_refused_with_a_hint() -> None:
    diagnostic = expect_rejection(
        layer_spec({"flatten": {"start_dim": 3, "end_dim": 2}}, (2, 3, 4)),
        numbers=(3, 2),
        field="start_dim",
        code="E300",
    )
    assert diagnostic.hint and "earlier" in diagnostic.hint
