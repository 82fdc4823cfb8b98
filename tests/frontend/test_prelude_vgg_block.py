"""vgg_block against d2l's vgg_block."""

from __future__ import annotations

import pytest

from tests.d2l import vgg_block as d2l_vgg_block
from tests.primitives.oracle import (
    check_against_torch,
    check_agreement,
    check_same_function,
    check_symbolic,
    expect_rejection,
    layer_spec,
    torch_raises,
)


@pytest.mark.parametrize("dims", [(3, 8, 8), (1, 9, 7), (2, 2, 3), (4, 17, 6)])
@pytest.mark.parametrize("num_convs", [1, 2, 3])
@pytest.mark.parametrize("out_channels", [4, 16])
def test_vgg_block(dims: tuple[int, ...], num_convs: int, out_channels: int) -> None:
    layer = {"vgg_block": {"num_convs": num_convs, "out_channels": out_channels}}
    spec = layer_spec(layer, dims)
    graph = check_agreement(spec, dims, lambda: d2l_vgg_block(num_convs, dims[0], out_channels))
    assert graph is not None
    assert tuple(graph.output.dims) == (out_channels, dims[1] // 2, dims[2] // 2)
    _, module = check_against_torch(spec)
    check_same_function(module, d2l_vgg_block(num_convs, dims[0], out_channels), dims)


def test_vgg_block_rejects_a_side_of_one() -> None:
    dims = (3, 1, 6)
    diagnostic = expect_rejection(
        layer_spec({"vgg_block": {"num_convs": 2, "out_channels": 4}}, dims), numbers=(1, 2), code="E301"
    )
    assert diagnostic.path == "0.4"  # the max pool after two [conv, relu]
    torch_raises(lambda: d2l_vgg_block(2, 3, 4), dims)


def test_vgg_block_symbolic() -> None:
    input = (3, "H", "W")
    graph = check_symbolic(
        layer_spec({"vgg_block": {"num_convs": 2, "out_channels": 4}}, input), input, sizes=(1, 2, 7)
    )
    assert graph.min_sizes == {"H": 2, "W": 2}
