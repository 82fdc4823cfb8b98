"""instancenorm against nn.InstanceNorm1d/2d/3d, in eval and in training.

PyTorch's rule (torch 2.13, ``F.instance_norm``): where the input's own
statistics are used (training; eval without track_running_stats) it needs more
than one spatial position, whatever the batch. Both directions are checked here.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
import torch
from torch import nn

from tests.primitives.cases import OracleCase
from tests.primitives.oracle import (
    check_against_torch,
    check_agreement,
    check_same_function,
    check_symbolic,
    expect_rejection,
    layer_spec,
    layers_spec,
    torch_raises,
)

INSTANCE_NORM = {1: nn.InstanceNorm1d, 2: nn.InstanceNorm2d, 3: nn.InstanceNorm3d}

ORACLE_CASES = {
    "instancenorm": [
        OracleCase("instancenorm", (3, 4, 5), None, lambda: nn.InstanceNorm2d(3)),
        OracleCase(
            {"instancenorm": {"affine": True}}, (3, 7), (3, "L"), lambda: nn.InstanceNorm1d(3, affine=True)
        ),
        OracleCase(
            {"instancenorm": {"affine": True, "track_running_stats": True, "eps": 1.0e-3, "momentum": 0.2}},
            (2, 3, 1, 1),
            (2, "D", "H", "W"),
            lambda: nn.InstanceNorm3d(2, eps=1e-3, momentum=0.2, affine=True, track_running_stats=True),
        ),
    ]
}

OPTIONS = [
    {},
    {"affine": True},
    {"affine": True, "bias": False},
    {"track_running_stats": True},
    {"affine": True, "track_running_stats": True, "momentum": None},
]


def torch_instance_norm(dims: tuple[int, ...], params: dict[str, Any]) -> nn.Module:
    return INSTANCE_NORM[len(dims) - 1](dims[0], **params)


@pytest.mark.parametrize(
    "dims", [(3, 5), (3, 1), (4, 2, 3), (4, 1, 1), (4, 1, 2), (2, 3, 1, 2), (2, 1, 1, 1), (5, 2, 1, 1)]
)
@pytest.mark.parametrize("params", OPTIONS)
def test_instancenorm_in_eval(dims: tuple[int, ...], params: dict[str, Any]) -> None:
    """Refused exactly where PyTorch refuses: one position, without running statistics."""
    spec = layer_spec({"instancenorm": params}, dims)
    graph = check_agreement(spec, dims, lambda: torch_instance_norm(dims, params))
    single = math.prod(dims[1:]) == 1
    assert (graph is None) == (single and not params.get("track_running_stats", False))
    if graph is not None:
        assert tuple(graph.output.dims) == dims
        affine = params.get("affine", False)
        assert graph.num_params == dims[0] * (int(affine) + int(affine and params.get("bias", True)))
        _, module = check_against_torch(spec)
        check_same_function(module, torch_instance_norm(dims, params), dims)


@pytest.mark.parametrize("dims", [(3, 5), (3, 1), (4, 2, 3), (4, 1, 1), (2, 1, 1, 1), (2, 1, 1, 2)])
@pytest.mark.parametrize("batch", [1, 2, 5])
def test_instancenorm_in_training(dims: tuple[int, ...], batch: int) -> None:
    """With running statistics archspec accepts one position (eval runs on them), where
    training fails at every batch: a larger batch does not help, so ``min_train_batch``
    (a batch size) has nothing to say; more positions train at any batch."""
    params = {"affine": True, "track_running_stats": True}
    graph, module = check_against_torch(layer_spec({"instancenorm": params}, dims))
    assert graph.min_train_batch == 1
    x = torch.randn(batch, *dims)
    module.train()
    reference = torch_instance_norm(dims, params).train()
    if math.prod(dims[1:]) == 1:
        for made in (module, reference):
            with pytest.raises(ValueError, match="more than 1 spatial element when training"):
                made(x)
    else:
        assert module(x).shape == x.shape and reference(x).shape == x.shape


def test_instancenorm_symbolic_one_symbol() -> None:
    # One symbol in the positions: its smallest size is searched (L >= 2; H >= 2 with W = 1).
    graph = check_symbolic(layer_spec("instancenorm", (3, "L")), (3, "L"), sizes=(1, 2, 5))
    assert graph.min_sizes == {"L": 2}
    graph = check_symbolic(
        layer_spec({"instancenorm": {"affine": True}}, (3, "H", 1)), (3, "H", 1), sizes=(1, 4)
    )
    assert graph.min_sizes == {"H": 2}
    layers = [{"conv": {"out_channels": 4, "kernel_size": 3, "stride": 2}}, "instancenorm"]
    graph = check_symbolic(layers_spec(layers, (3, "L")), (3, "L"), sizes=(1, 3))
    assert graph.min_sizes == {"L": 5}  # the conv makes 2 positions from 5


def test_instancenorm_symbolic_more_than_one_position_for_every_size() -> None:
    # After an upsample by 2 the positions are 4*H*W >= 4: no smallest size to find.
    layers = [{"upsample": {"scale_factor": 2}}, "instancenorm"]
    graph = check_symbolic(layers_spec(layers, (3, "H", "W")), (3, "H", "W"), sizes=(1, 3))
    assert graph.min_sizes == {"H": 1, "W": 1}
    # With running statistics, any size runs in eval.
    graph = check_symbolic(
        layer_spec({"instancenorm": {"track_running_stats": True}}, (3, "H", "W")),
        (3, "H", "W"),
        sizes=(1, 3),
    )
    assert graph.min_sizes == {"H": 1, "W": 1}


def test_instancenorm_on_two_symbols_that_can_be_one_position_is_refused() -> None:
    """1×2 and 2×1 run, 1×1 does not: not a smallest size per symbol, so archspec refuses
    rather than state a wrong one (PyTorch on each)."""
    diagnostic = expect_rejection(layer_spec("instancenorm", (3, "H", "W")), numbers=["H*W"], code="E303")
    assert diagnostic.hint
    for sizes, runs in (((3, 1, 2), True), ((3, 2, 1), True), ((3, 1, 1), False)):
        if runs:
            check_agreement(layer_spec("instancenorm", sizes), sizes, lambda: nn.InstanceNorm2d(3))
        else:
            torch_raises(lambda: nn.InstanceNorm2d(3), sizes)


def test_instancenorm_single_position_message() -> None:
    diagnostic = expect_rejection(layer_spec("instancenorm", (3, 1, 1)), code="E300")
    assert "track_running_stats" in diagnostic.message and diagnostic.hint


@pytest.mark.parametrize("affine", [True, False])
def test_instancenorm_num_features_is_checked(affine: bool) -> None:
    dims = (4, 3, 3)
    expect_rejection(
        layer_spec({"instancenorm": {"num_features": 3, "affine": affine}}, dims),
        numbers=(3, 4),
        field="num_features",
        code="E302",
    )
    if affine:  # without affine PyTorch only warns: the size shapes no weight
        torch_raises(lambda: nn.InstanceNorm2d(3, affine=True), dims)


def test_instancenorm_needs_one_to_three_spatial_dims() -> None:
    expect_rejection(layer_spec("instancenorm", (6,)), code="E305")
    four = [{"unflatten": {"dim": -1, "unflattened_size": [1, 6]}}, "instancenorm"]
    expect_rejection(layers_spec(four, (2, 3, 4, 6)), path="1", code="E305")
