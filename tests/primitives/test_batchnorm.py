"""batchnorm against BatchNorm1d/2d/3d (eval mode): [C], [C, L], [C, H, W], [C, D, H, W]."""

from __future__ import annotations

from typing import Any

import pytest
from torch import nn

from tests.primitives.cases import OracleCase
from tests.primitives.oracle import (
    check_against_torch,
    check_agreement,
    expect_rejection,
    layer_spec,
    layers_spec,
    torch_raises,
)

ORACLE_CASES = {
    "batchnorm": [
        OracleCase("batchnorm", (3, 5, 4), (3, "H", "W"), lambda: nn.BatchNorm2d(3)),
        OracleCase({"batchnorm": {"eps": 0.001}}, (6,), None, lambda: nn.BatchNorm1d(6, eps=0.001)),
    ]
}

NORM_BY_RANK = {1: nn.BatchNorm1d, 2: nn.BatchNorm1d, 3: nn.BatchNorm2d, 4: nn.BatchNorm3d}


@pytest.mark.parametrize("dims", [(1,), (6,), (4, 9), (3, 5, 7), (2, 3, 4, 5)])
@pytest.mark.parametrize(
    "params",
    [{}, {"affine": False}, {"eps": 0.001, "momentum": None}, {"momentum": 0.3}, {"num_features": None}],
)
def test_batchnorm(dims: tuple[int, ...], params: dict[str, Any]) -> None:
    params = dict(params)
    if "num_features" in params:
        params["num_features"] = dims[0]  # a given correct value is accepted
    cls = NORM_BY_RANK[len(dims)]
    graph = check_agreement(
        layer_spec({"batchnorm": params}, dims),
        dims,
        lambda: cls(dims[0], affine=params.get("affine", True)),
    )
    assert graph is not None
    assert tuple(graph.output.dims) == dims
    assert graph.num_params == (0 if params.get("affine") is False else 2 * dims[0])
    _, module = check_against_torch(layer_spec({"batchnorm": params}, dims))
    norm = module[0]
    assert type(norm) is cls
    assert norm.eps == params.get("eps", 1e-5)
    assert norm.momentum == params.get("momentum", 0.1)
    assert norm.running_mean.shape == (dims[0],)


def test_batchnorm_after_flatten_is_1d() -> None:
    dims = (2, 3, 4)
    graph, module = check_against_torch(layers_spec(["flatten", "batchnorm"], dims))
    assert type(module[1]) is nn.BatchNorm1d
    assert graph.num_params == 2 * 24


@pytest.mark.parametrize(("dims", "given"), [((6,), 5), ((4, 9), 9), ((3, 5, 7), 4), ((2, 3, 4, 5), 3)])
def test_batchnorm_rejects_wrong_num_features(dims: tuple[int, ...], given: int) -> None:
    expect_rejection(
        layer_spec({"batchnorm": {"num_features": given}}, dims),
        numbers=(given, dims[0]),
        path="0",
        field="num_features",
        code="E302",
    )
    torch_raises(lambda: NORM_BY_RANK[len(dims)](given), dims)
