"""pixel_shuffle against nn.PixelShuffle: C·r² channels become an r×r patch."""

from __future__ import annotations

import pytest
from torch import nn

from tests.primitives.cases import OracleCase
from tests.primitives.oracle import check_agreement, check_symbolic, layer_spec, layers_spec

ORACLE_CASES = {
    "pixel_shuffle": [
        OracleCase(
            {"pixel_shuffle": {"upscale_factor": 2}}, (8, 3, 5), (8, "H", "W"), lambda: nn.PixelShuffle(2)
        )
    ]
}


@pytest.mark.parametrize("r", [1, 2, 3])
@pytest.mark.parametrize("dims", [(9, 2, 3), (8, 1, 1), (36, 4, 5), (5, 3, 3)])
def test_pixel_shuffle(r: int, dims: tuple[int, ...]) -> None:
    layer = {"pixel_shuffle": {"upscale_factor": r}}
    graph = check_agreement(
        layer_spec(layer, dims), dims, lambda: nn.PixelShuffle(r), numbers=[r * r], field="upscale_factor"
    )
    if graph is not None:
        c, h, w = dims
        assert tuple(graph.output.dims) == (c // (r * r), h * r, w * r)


def test_pixel_shuffle_symbolic() -> None:
    layers = [{"conv": {"out_channels": 8, "kernel_size": 3}}, {"pixel_shuffle": {"upscale_factor": 2}}]
    check_symbolic(layers_spec(layers, (3, "H", "W")), (3, "H", "W"), sizes=(3, 6, 9))


def test_pixel_shuffle_makes_a_new_tensor_so_its_output_counts_as_activation_memory() -> None:
    """torch's pixel_shuffle returns a tensor with its own storage, not a view."""
    import torch

    from archspec.primitives.registry import lookup

    x = torch.randn(1, 8, 4, 4)
    shared = (
        torch.nn.functional.pixel_shuffle(x, 2).untyped_storage().data_ptr() == x.untyped_storage().data_ptr()
    )
    assert lookup("pixel_shuffle").allocates is not shared
