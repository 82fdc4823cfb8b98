"""groupnorm against nn.GroupNorm: [C] and [C, *S], channels normalized in num_groups groups."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from torch import nn

import archspec
from tests.primitives.cases import OracleCase
from tests.primitives.oracle import (
    check_against_torch,
    check_agreement,
    check_symbolic,
    compile_spec,
    expect_rejection,
    layer_spec,
    layers_spec,
)

ORACLE_CASES = {
    "groupnorm": [
        OracleCase({"groupnorm": {"num_groups": 2}}, (4, 5, 3), (4, "H", "W"), lambda: nn.GroupNorm(2, 4)),
        OracleCase(
            {"groupnorm": {"num_groups": 3, "eps": 0.001, "affine": False}},
            (6, 7),
            (6, "L"),
            lambda: nn.GroupNorm(3, 6, eps=0.001, affine=False),
        ),
    ]
}


@pytest.mark.parametrize("dims", [(1,), (6,), (4, 9), (6, 5, 7), (4, 1, 1), (6, 3, 4, 5), (6, 1, 1, 1)])
@pytest.mark.parametrize("groups", [1, 2, 3, 4, 6])
@pytest.mark.parametrize("params", [{}, {"affine": False}, {"eps": 0.01}])
def test_groupnorm(dims: tuple[int, ...], groups: int, params: dict[str, Any]) -> None:
    channels = dims[0]
    graph = check_agreement(
        layer_spec({"groupnorm": {"num_groups": groups, **params}}, dims),
        dims,
        lambda: nn.GroupNorm(groups, channels, affine=params.get("affine", True)),
        numbers=(groups, channels),
        field="num_groups",
    )
    if graph is not None:
        assert tuple(graph.output.dims) == dims
        assert graph.num_params == (0 if params.get("affine") is False else 2 * channels)
        norm = archspec.build(graph)[0]
        assert (norm.num_groups, norm.num_channels, norm.eps) == (groups, channels, params.get("eps", 1e-5))


@pytest.mark.parametrize(("dims", "groups"), [((6,), 4), ((5, 3), 2), ((6, 4, 4), 4), ((3, 2, 2, 2), 2)])
def test_groupnorm_rejects_groups_that_do_not_divide_the_channels(dims: tuple[int, ...], groups: int) -> None:
    expect_rejection(
        layer_spec({"groupnorm": {"num_groups": groups}}, dims),
        numbers=(groups, dims[0]),
        path="0",
        field="num_groups",
        code="E300",
    )
    with pytest.raises(ValueError, match=f"divisible by num_groups \\({groups}\\)"):
        nn.GroupNorm(groups, dims[0])


def test_groupnorm_rejects_a_wrong_num_channels() -> None:
    expect_rejection(
        layer_spec({"groupnorm": {"num_groups": 2, "num_channels": 6}}, (4, 3)),
        numbers=(6, 4),
        field="num_channels",
        code="E302",
    )


def test_groupnorm_needs_concrete_channels() -> None:
    expect_rejection(layer_spec({"groupnorm": {"num_groups": 2}}, ("C", 4)), numbers=["C"], code="E303")


def test_groupnorm_after_flatten_and_symbolic() -> None:
    check_against_torch(layers_spec(["flatten", {"groupnorm": {"num_groups": 3}}], (3, 2, 2)))
    check_symbolic(
        layers_spec(
            [{"conv": {"out_channels": 8, "kernel_size": 3}}, {"groupnorm": {"num_groups": 4}}], (3, "H", "W")
        ),
        (3, "H", "W"),
        sizes=(3, 6, 9),
    )


@pytest.mark.parametrize(
    ("dims", "groups", "smallest"), [((4,), 4, 2), ((4, 1), 4, 2), ((4, 1), 2, 1), ((4, 2), 4, 1)]
)
def test_groupnorm_with_one_channel_per_group_trains_from_a_batch_of_two(
    dims: tuple[int, ...], groups: int, smallest: int
) -> None:
    # One value per group over a batch of 1 is refused by F.group_norm, as batchnorm's one value per
    # channel (and in eval mode too: group_norm does not look at the mode).
    graph = compile_spec(layer_spec({"groupnorm": {"num_groups": groups}}, dims))
    assert graph.min_train_batch == smallest
    module = archspec.build(graph).train()
    if smallest == 1:
        module(torch.randn(1, *dims))
    else:
        with pytest.raises(ValueError, match="more than 1 value per channel"):
            module(torch.randn(1, *dims))
        module(torch.randn(2, *dims))
