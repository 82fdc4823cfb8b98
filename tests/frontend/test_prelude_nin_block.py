"""nin_block against d2l's nin_block."""

from __future__ import annotations

from typing import Any

import pytest
from torch import nn

from tests.d2l import nin_block as d2l_nin_block
from tests.primitives.oracle import (
    check_against_torch,
    check_agreement,
    check_same_function,
    check_symbolic,
    expect_rejection,
    layer_spec,
    torch_raises,
)


@pytest.mark.parametrize(
    ("dims", "kernel_size", "stride", "padding"),
    [
        ((1, 67, 45), 11, 4, 0),  # d2l's first NiN block, on a smaller input
        ((3, 13, 13), 5, 1, 2),
        ((3, 6, 9), 3, 1, 1),
        ((2, 9, 10), 3, 2, 0),
        ((2, 9, 10), [3, 5], [1, 2], [1, 0]),
        ((2, 4, 4), 5, 1, 0),  # refused by both
    ],
)
@pytest.mark.parametrize("out_channels", [3, 8])
def test_nin_block(
    dims: tuple[int, ...], kernel_size: Any, stride: Any, padding: Any, out_channels: int
) -> None:
    params = {"out_channels": out_channels, "kernel_size": kernel_size, "stride": stride, "padding": padding}
    spec = layer_spec({"nin_block": params}, dims)

    def reference() -> nn.Module:
        return d2l_nin_block(dims[0], out_channels, kernel_size, stride, padding)

    graph = check_agreement(spec, dims, reference, code="E301")
    if graph is not None:
        assert graph.num_params == sum(p.numel() for p in reference().parameters())
        _, module = check_against_torch(spec)
        check_same_function(module, reference(), dims)


def test_nin_block_rejection_names_the_inner_conv() -> None:
    dims = (1, 10, 30)
    diagnostic = expect_rejection(
        layer_spec({"nin_block": {"out_channels": 4, "kernel_size": 11, "stride": 4}}, dims),
        numbers=(10, 11),
        code="E301",
    )
    assert diagnostic.path == "0.0"
    torch_raises(lambda: d2l_nin_block(1, 4, 11, 4, 0), dims)


def test_nin_block_symbolic() -> None:
    input = (1, "H", "W")
    params = {"out_channels": 4, "kernel_size": 11, "stride": 4, "padding": 1}
    graph = check_symbolic(
        layer_spec({"nin_block": params}, input),
        input,
        sizes=(3, 20),
        make=lambda: d2l_nin_block(1, 4, 11, 4, 1),
    )
    assert graph.min_sizes == {"H": 9, "W": 9}
