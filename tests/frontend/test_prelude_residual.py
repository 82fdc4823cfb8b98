"""residual against d2l's Residual block (ResNet)."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from tests.d2l import Residual as D2LResidual
from tests.primitives.oracle import (
    check_against_torch,
    check_agreement,
    check_same_function,
    check_symbolic,
    expect_rejection,
    layer_spec,
    torch_raises,
)


@pytest.mark.parametrize("sizes", [(6, 6), (7, 5), (1, 2)])
@pytest.mark.parametrize(("in_channels", "out_channels"), [(3, 3), (3, 6), (6, 4)])
@pytest.mark.parametrize("stride", [1, 2])
@pytest.mark.parametrize("use_1x1conv", [None, True, False])
def test_residual(
    sizes: tuple[int, int], in_channels: int, out_channels: int, stride: int, use_1x1conv: bool | None
) -> None:
    params: dict[str, object] = {"out_channels": out_channels, "stride": stride}
    if use_1x1conv is not None:
        params["use_1x1conv"] = use_1x1conv
    dims = (in_channels, *sizes)
    changes = in_channels != out_channels or stride != 1
    project = changes if use_1x1conv is None else use_1x1conv
    spec = layer_spec({"residual": params}, dims)

    def reference() -> nn.Module:
        return D2LResidual(in_channels, out_channels, use_1x1conv=project, strides=stride)

    if use_1x1conv is False and changes:
        # d2l's Residual adds in place (Y += X), which cannot grow Y: it refuses every shape
        # change. archspec's add is PyTorch's out-of-place +, which broadcasts: where the two
        # shapes broadcast (a 1x2 map halved to 1x1 broadcasts back to 1x2) it accepts them
        # with the broadcast shape; elsewhere it refuses, and the error points at the call.
        torch_raises(reference, dims)
        main = (out_channels, *((n - 1) // stride + 1 for n in sizes))
        try:
            expected = tuple(torch.broadcast_shapes((2, *main), (2, *dims))[1:])
        except RuntimeError:
            assert expect_rejection(spec, numbers=(in_channels, out_channels)).path == "0.0"
            return
        graph, _ = check_against_torch(spec)
        assert tuple(graph.output.dims) == expected
        return
    graph = check_agreement(spec, dims, reference)
    assert graph is not None
    expected = tuple((n - 1) // stride + 1 for n in sizes)
    assert tuple(graph.output.dims) == (out_channels, *expected)
    assert ("0.0.conv3" in {layer.path for layer in graph.layers}) == project
    _, module = check_against_torch(spec)
    check_same_function(module, reference(), dims)


@pytest.mark.parametrize("dims", [(3, 9), (2, 3, 4, 5)])
@pytest.mark.parametrize("stride", [1, 2])
def test_residual_on_1d_and_3d(dims: tuple[int, ...], stride: int) -> None:
    graph, _ = check_against_torch(layer_spec({"residual": {"out_channels": 4, "stride": stride}}, dims))
    assert tuple(graph.output.dims) == (4, *((n - 1) // stride + 1 for n in dims[1:]))


@pytest.mark.parametrize("stride", [1, 2, 3])
def test_residual_symbolic(stride: int) -> None:
    input = (3, "H", "W")
    graph = check_symbolic(
        layer_spec({"residual": {"out_channels": 5, "stride": stride}}, input),
        input,
        sizes=(1, 4, 9),
        make=lambda: D2LResidual(3, 5, use_1x1conv=True, strides=stride),
    )
    assert graph.min_sizes == {"H": 1, "W": 1}


def test_residual_identity_shortcut_with_stride_on_1x1() -> None:
    # Both paths are 1x1 here, so the identity shortcut adds, as d2l's Residual does.
    dims = (3, 1, 1)
    params = {"out_channels": 3, "stride": 2, "use_1x1conv": False}
    graph = check_agreement(
        layer_spec({"residual": params}, dims),
        dims,
        lambda: D2LResidual(3, 3, use_1x1conv=False, strides=2),
    )
    assert graph is not None
    assert tuple(graph.output.dims) == (3, 1, 1)
