"""patch_merging against torchvision's PatchMerging (Swin's downsampling)."""

from __future__ import annotations

import pytest
from torch import nn

from archspec.shapes.dims import format_dim
from tests.primitives.cases import OracleCase
from tests.primitives.oracle import (
    check_against_torch,
    check_agreement,
    check_same_function,
    check_symbolic,
    expect_rejection,
    layer_spec,
    layers_spec,
)
from tests.torchvision_models import zoo


def torchvision_patch_merging(dim: int) -> nn.Module:
    zoo()  # the import workaround of tests/torchvision_models.py first
    from torchvision.models.swin_transformer import PatchMerging

    return PatchMerging(dim)


ORACLE_CASES = {
    "patch_merging": [
        OracleCase("patch_merging", (5, 4, 6), ("H", "W", 6), lambda: torchvision_patch_merging(6)),
    ]
}


@pytest.mark.parametrize("dims", [(4, 4, 6), (5, 7, 6), (1, 1, 3), (2, 3, 8)])
def test_patch_merging_is_torchvisions(dims: tuple[int, ...]) -> None:
    spec = layer_spec("patch_merging", dims)
    graph = check_agreement(spec, dims, lambda: torchvision_patch_merging(dims[-1]))
    assert graph is not None
    h, w, c = dims
    assert tuple(graph.output.dims) == ((h + 1) // 2, (w + 1) // 2, 2 * c)
    _, module = check_against_torch(spec)
    check_same_function(module, torchvision_patch_merging(c), dims)  # same keys, in order


def test_symbolic_sides_are_halved_up() -> None:
    graph = check_symbolic(layer_spec("patch_merging", ("H", "W", 6)), ("H", "W", 6), sizes=(1, 2, 5))
    assert [format_dim(d) for d in graph.output.dims] == ["floor((H + 1)/2)", "floor((W + 1)/2)", "12"]


def test_a_channels_first_map_is_refused_with_the_permute() -> None:
    diagnostic = expect_rejection(layers_spec(["patch_merging"], (6, 4)), code="E305")
    assert diagnostic.hint is not None and "[0, 2, 3, 1]" in diagnostic.hint
