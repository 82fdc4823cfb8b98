"""channel_shuffle against nn.ChannelShuffle: the same shape, channels interleaved."""

from __future__ import annotations

import pytest
from torch import nn

from tests.primitives.cases import OracleCase
from tests.primitives.oracle import check_agreement, check_symbolic, layer_spec, layers_spec

ORACLE_CASES = {
    "channel_shuffle": [
        OracleCase({"channel_shuffle": {"groups": 3}}, (6, 4, 5), (6, "H", "W"), lambda: nn.ChannelShuffle(3))
    ]
}


@pytest.mark.parametrize("groups", [1, 2, 3, 4])
@pytest.mark.parametrize("dims", [(6, 5), (6, 4, 4), (12, 2, 3, 3), (5, 3, 3)])
def test_channel_shuffle(groups: int, dims: tuple[int, ...]) -> None:
    layer = {"channel_shuffle": {"groups": groups}}
    graph = check_agreement(
        layer_spec(layer, dims), dims, lambda: nn.ChannelShuffle(groups), numbers=[groups], field="groups"
    )
    if graph is not None:
        assert tuple(graph.output.dims) == dims and graph.num_params == 0


def test_channel_shuffle_symbolic() -> None:
    layers = [{"conv": {"out_channels": 8, "kernel_size": 3}}, {"channel_shuffle": {"groups": 4}}]
    check_symbolic(layers_spec(layers, (3, "H", "W")), (3, "H", "W"), sizes=(3, 6, 9))
