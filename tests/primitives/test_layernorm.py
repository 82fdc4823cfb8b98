"""layernorm against nn.LayerNorm: the trailing dims of each sample, normalized."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import archspec
from archspec.diagnostics import SpecError
from tests.primitives.cases import OracleCase
from tests.primitives.oracle import (
    check_against_torch,
    check_agreement,
    check_same_function,
    expect_rejection,
    layer_spec,
    layers_spec,
)

ORACLE_CASES = {
    "layernorm": [
        OracleCase("layernorm", (3, 4, 5), None, lambda: nn.LayerNorm([3, 4, 5])),
        OracleCase({"layernorm": {"dims": 1}}, (3, 4, 5), (3, "H", 5), lambda: nn.LayerNorm(5)),
        OracleCase({"layernorm": {"channels_first": True}}, (6, 4, 5), (6, "H", "W"), lambda: LayerNorm2d(6)),
    ]
}


class LayerNorm2d(nn.LayerNorm):
    """ConvNeXt's LayerNorm2d, written here from its definition: LayerNorm over the
    channels of an [N, C, H, W] map, by moving the channels last and back."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


@pytest.mark.parametrize("dims", [(6,), (3, 7), (2, 5, 3), (2, 3, 4, 5)])
@pytest.mark.parametrize("count", [None, 1, 2])
@pytest.mark.parametrize("affine", [(True, True), (True, False), (False, True)])
def test_layernorm(dims: tuple[int, ...], count: int | None, affine: tuple[bool, bool]) -> None:
    if count is not None and count > len(dims):
        return
    params = {"elementwise_affine": affine[0], "bias": affine[1]}
    if count is not None:
        params["dims"] = count
    normalized = list(dims[len(dims) - (count or len(dims)) :])
    graph = check_agreement(
        layer_spec({"layernorm": params}, dims),
        dims,
        lambda: nn.LayerNorm(normalized, elementwise_affine=affine[0], bias=affine[1]),
    )
    assert graph is not None and tuple(graph.output.dims) == dims


def test_layernorm_over_a_symbolic_dim_is_refused_with_a_hint() -> None:
    expect_rejection(layers_spec(["layernorm"], (3, "H", "W")), numbers=["H"], code="E303")


def test_layernorm_over_more_dims_than_the_input_has() -> None:
    expect_rejection(
        layers_spec([{"layernorm": {"dims": 3}}], (4, 5)), numbers=[3], field="dims", code="E305"
    )


@pytest.mark.parametrize("dims", [(6, 4, 5), (3, 1, 1), (8, 7, 2)])
@pytest.mark.parametrize("affine", [(True, True), (True, False), (False, False)])
def test_channels_first_is_convnexts_layernorm2d(dims: tuple[int, ...], affine: tuple[bool, bool]) -> None:
    params = {"channels_first": True, "elementwise_affine": affine[0], "bias": affine[1]}
    spec = layer_spec({"layernorm": params}, dims)
    reference = LayerNorm2d(dims[0], elementwise_affine=affine[0], bias=affine[1])
    graph = check_agreement(spec, dims, lambda: reference)
    assert graph is not None and tuple(graph.output.dims) == dims
    _, module = check_against_torch(spec)
    check_same_function(module, reference, dims)


def test_channels_first_refuses_dims() -> None:
    spec = layers_spec([{"layernorm": {"channels_first": True, "dims": 1}}], (4, 5, 5))
    with pytest.raises(SpecError) as caught:
        archspec.loads(spec)
    (diagnostic,) = caught.value.diagnostics
    assert diagnostic.code == "E200" and "leave out dims" in diagnostic.message
