"""pixel_unshuffle against nn.PixelUnshuffle: each r×r patch becomes r² channels."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from tests.primitives.cases import OracleCase
from tests.primitives.oracle import (
    check_against_torch,
    check_agreement,
    check_symbolic,
    expect_rejection,
    layer_spec,
    layers_spec,
)

ORACLE_CASES = {
    "pixel_unshuffle": [
        OracleCase(
            {"pixel_unshuffle": {"downscale_factor": 2}}, (3, 4, 6), None, lambda: nn.PixelUnshuffle(2)
        )
    ]
}


@pytest.mark.parametrize("r", [1, 2, 3])
@pytest.mark.parametrize("dims", [(3, 4, 6), (1, 6, 6), (2, 5, 6), (4, 6, 3), (2, 1, 1), (3, 9, 12)])
def test_pixel_unshuffle(r: int, dims: tuple[int, int, int]) -> None:
    layer = {"pixel_unshuffle": {"downscale_factor": r}}
    c, h, w = dims
    bad = h if h % r else w
    graph = check_agreement(
        layer_spec(layer, dims),
        dims,
        lambda: nn.PixelUnshuffle(r),
        numbers=[r, bad],
        field="downscale_factor",
    )
    if graph is not None:
        assert tuple(graph.output.dims) == (c * r * r, h // r, w // r)


def test_pixel_unshuffle_undoes_pixel_shuffle() -> None:
    layers = [{"pixel_shuffle": {"upscale_factor": 3}}, {"pixel_unshuffle": {"downscale_factor": 3}}]
    graph, module = check_against_torch(layers_spec(layers, (18, 2, 5)))
    assert tuple(graph.output.dims) == (18, 2, 5)
    x = torch.randn(2, 18, 2, 5)
    assert torch.equal(module(x), x)


def test_pixel_unshuffle_symbolic() -> None:
    # 2*H and 2*W (an upsample by 2) are even for every H and W: exact.
    layers = [{"upsample": {"scale_factor": 2}}, {"pixel_unshuffle": {"downscale_factor": 2}}]
    graph = check_symbolic(layers_spec(layers, (3, "H", "W")), (3, "H", "W"), sizes=(1, 3, 4))
    assert str(graph.output) == "[N, 12, H, W]"
    layers = [{"upsample": {"scale_factor": [4, 2]}}, {"pixel_unshuffle": {"downscale_factor": 2}}]
    graph = check_symbolic(layers_spec(layers, (1, "H", "W")), (1, "H", "W"), sizes=(1, 5))
    assert str(graph.output) == "[N, 4, 2*H, W]"


@pytest.mark.parametrize(
    "layers",
    [
        [{"pixel_unshuffle": {"downscale_factor": 2}}],  # H is even for some sizes only
        [{"upsample": {"scale_factor": 2}}, {"pixel_unshuffle": {"downscale_factor": 4}}],
        [
            {"conv": {"out_channels": 4, "kernel_size": 3, "stride": 2}},
            {"pixel_unshuffle": {"downscale_factor": 2}},
        ],
    ],
)
def test_pixel_unshuffle_of_sizes_divisible_for_some_inputs_only_is_refused(layers: list) -> None:
    diagnostic = expect_rejection(layers_spec(layers, (3, "H", "W")), field="downscale_factor", code="E303")
    assert "for every input size" in diagnostic.message and diagnostic.hint


@pytest.mark.parametrize("dims", [(8, 4), (4, 4, 4, 4)])
def test_pixel_unshuffle_needs_two_spatial_dims(dims: tuple[int, ...]) -> None:
    # PyTorch reads [N, C, L] or [N, C, D, H, W] with other dims as the channels (or refuses
    # L for its "height"); archspec asks for [C, H, W].
    expect_rejection(layer_spec({"pixel_unshuffle": {"downscale_factor": 2}}, dims), code="E305")
