"""adaptive_avgpool, adaptive_maxpool, global_avgpool and global_maxpool against torch's adaptive pools."""

from __future__ import annotations

from typing import Any

import pytest
from torch import nn

from tests.primitives.cases import OracleCase
from tests.primitives.oracle import (
    check_agreement,
    check_symbolic,
    expect_rejection,
    layer_spec,
    layers_spec,
    torch_raises,
)

ORACLE_CASES = {
    "adaptive_avgpool": [
        OracleCase(
            {"adaptive_avgpool": {"output_size": 3}},
            (2, 7, 5),
            (2, "H", "W"),
            lambda: nn.AdaptiveAvgPool2d(3),
        )
    ],
    "adaptive_maxpool": [
        OracleCase(
            {"adaptive_maxpool": {"output_size": [3, 2]}},
            (2, 7, 5),
            (2, "H", "W"),
            lambda: nn.AdaptiveMaxPool2d((3, 2)),
        )
    ],
    "global_avgpool": [
        OracleCase("global_avgpool", (3, 5, 4), (3, "H", "W"), lambda: nn.AdaptiveAvgPool2d(1))
    ],
    "global_maxpool": [
        OracleCase("global_maxpool", (3, 5, 4), (3, "H", "W"), lambda: nn.AdaptiveMaxPool2d(1))
    ],
}

ADAPTIVE = {1: nn.AdaptiveAvgPool1d, 2: nn.AdaptiveAvgPool2d, 3: nn.AdaptiveAvgPool3d}
ADAPTIVE_MAX = {1: nn.AdaptiveMaxPool1d, 2: nn.AdaptiveMaxPool2d, 3: nn.AdaptiveMaxPool3d}


def _size(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


@pytest.mark.parametrize("sizes", [(7,), (1,), (9, 4), (1, 1), (5, 6, 3)])
@pytest.mark.parametrize("output_size", [1, 2, 3, 5, [2, 3, 1]])
def test_adaptive_avgpool(sizes: tuple[int, ...], output_size: Any) -> None:
    if isinstance(output_size, list):
        output_size = output_size[: len(sizes)] if len(sizes) > 1 else output_size[0]
    dims = (3, *sizes)
    graph = check_agreement(
        layer_spec({"adaptive_avgpool": {"output_size": output_size}}, dims),
        dims,
        lambda: ADAPTIVE[len(sizes)](_size(output_size)),
    )
    assert graph is not None
    wanted = output_size if isinstance(output_size, list) else [output_size] * len(sizes)
    assert tuple(graph.output.dims) == (3, *wanted)  # larger than the input is fine too


@pytest.mark.parametrize("sizes", [(7,), (1,), (9, 4), (1, 1), (5, 6, 3), (2, 1, 8)])
def test_global_avgpool(sizes: tuple[int, ...]) -> None:
    dims = (4, *sizes)
    graph = check_agreement(layer_spec("global_avgpool", dims), dims, lambda: ADAPTIVE[len(sizes)](1))
    assert graph is not None
    assert tuple(graph.output.dims) == (4, *(1,) * len(sizes))


@pytest.mark.parametrize("sizes", [(7,), (1,), (9, 4), (5, 6, 3)])
def test_global_maxpool(sizes: tuple[int, ...]) -> None:
    dims = (4, *sizes)
    graph = check_agreement(layer_spec("global_maxpool", dims), dims, lambda: ADAPTIVE_MAX[len(sizes)](1))
    assert graph is not None
    assert tuple(graph.output.dims) == (4, *(1,) * len(sizes))


@pytest.mark.parametrize(
    ("input", "layer"),
    [
        ((2, "L"), "global_avgpool"),
        ((2, "H", "W"), "global_avgpool"),
        ((2, "D", "H", "W"), "global_avgpool"),
        ((2, "H", "W"), {"adaptive_avgpool": {"output_size": [3, 2]}}),
        ((2, "L"), {"adaptive_avgpool": {"output_size": 4}}),
    ],
)
def test_adaptive_symbolic_is_concrete(input: tuple[Any, ...], layer: Any) -> None:
    graph = check_symbolic(layer_spec(layer, input), input, sizes=(1, 2, 9))
    assert all(isinstance(d, int) for d in graph.output.dims)
    assert set(graph.min_sizes.values()) == {1}


def test_global_avgpool_then_linear_on_symbolic_input() -> None:
    input = (3, "H", "W")
    spec = layers_spec(
        [
            {"conv": {"out_channels": 8, "kernel_size": 3, "stride": 2}},
            "global_avgpool",
            "flatten",
            {"linear": {"out_features": 5}},
        ],
        input,
    )
    graph = check_symbolic(spec, input, sizes=(3, 10))
    assert tuple(graph.output.dims) == (5,)
    assert graph.min_sizes == {"H": 3, "W": 3}


@pytest.mark.parametrize("layer", ["global_avgpool", {"adaptive_avgpool": {"output_size": 2}}])
def test_pooling_needs_spatial_dims(layer: Any) -> None:
    # On [C] archspec refuses; torch's adaptive pools would read (N, C) as one unbatched
    # sample, so there is no torch refusal to compare with.
    expect_rejection(layer_spec(layer, (6,)), path="0")


def test_adaptive_output_size_per_axis_count_is_checked() -> None:
    dims = (2, 5, 5)
    expect_rejection(
        layer_spec({"adaptive_avgpool": {"output_size": [2, 2, 2]}}, dims),
        numbers=(3, 2),
        path="0",
        field="output_size",
    )
    torch_raises(lambda: nn.AdaptiveAvgPool2d((2, 2, 2)), dims)


@pytest.mark.parametrize("sizes", [(7,), (9, 4), (5, 6, 3)])
def test_adaptive_avgpool_one_entry_list(sizes: tuple[int, ...]) -> None:
    # archspec reads [2] as 2 on every axis (PyTorch's adaptive pools want one entry per axis).
    dims = (3, *sizes)
    graph = check_agreement(
        layer_spec({"adaptive_avgpool": {"output_size": [2]}}, dims), dims, lambda: ADAPTIVE[len(sizes)](2)
    )
    assert graph is not None
    assert tuple(graph.output.dims) == (3, *(2,) * len(sizes))


@pytest.mark.parametrize("sizes", [(7,), (1,), (9, 4), (1, 1), (5, 6, 3), (2, 1, 8)])
@pytest.mark.parametrize("output_size", [1, 2, 3, 5, [2], [2, 3, 1]])
def test_adaptive_maxpool(sizes: tuple[int, ...], output_size: Any) -> None:
    if isinstance(output_size, list) and len(output_size) > 1:
        output_size = output_size[: len(sizes)] if len(sizes) > 1 else output_size[0]
    dims = (3, *sizes)
    per_axis = (output_size[0],) * len(sizes) if output_size == [2] else _size(output_size)
    graph = check_agreement(
        layer_spec({"adaptive_maxpool": {"output_size": output_size}}, dims),
        dims,
        lambda: ADAPTIVE_MAX[len(sizes)](per_axis),
    )
    assert graph is not None
    wanted = per_axis if isinstance(per_axis, tuple) else (per_axis,) * len(sizes)
    assert tuple(graph.output.dims) == (3, *wanted)  # larger than the input repeats elements


@pytest.mark.parametrize(
    ("input", "output_size"), [((2, "L"), 3), ((2, "H", "W"), [3, 2]), ((2, "D", "H", 4), 2)]
)
def test_adaptive_maxpool_symbolic_is_concrete(input: tuple[Any, ...], output_size: Any) -> None:
    layer = {"adaptive_maxpool": {"output_size": output_size}}
    graph = check_symbolic(layer_spec(layer, input), input, sizes=(1, 2, 9))
    assert all(isinstance(d, int) for d in graph.output.dims)


def test_adaptive_maxpool_refusals() -> None:
    expect_rejection(layer_spec({"adaptive_maxpool": {"output_size": 2}}, (6,)), path="0", code="E305")
    dims = (2, 5, 5)
    expect_rejection(
        layer_spec({"adaptive_maxpool": {"output_size": [2, 2, 2]}}, dims),
        numbers=(3, 2),
        field="output_size",
    )
    torch_raises(lambda: nn.AdaptiveMaxPool2d((2, 2, 2)), dims)
