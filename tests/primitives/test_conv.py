"""conv against Conv1d/2d/3d: shapes, parameter counts, rejections, symbols."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from torch import nn

from archspec.primitives.conv import ConvParams, conv_windows
from tests.primitives.cases import OracleCase
from tests.primitives.emptyoutputs import check_refuses_only_empty
from tests.primitives.oracle import (
    check_against_torch,
    check_agreement,
    check_symbolic,
    expect_rejection,
    layer_spec,
    torch_raises,
)

ORACLE_CASES = {
    "conv": [
        OracleCase(
            {"conv": {"out_channels": 4, "kernel_size": 3, "stride": 2, "padding": 1}},
            (3, 9, 7),
            (3, "H", "W"),
            lambda: nn.Conv2d(3, 4, 3, stride=2, padding=1),
        ),
        OracleCase(
            {"conv": {"out_channels": 2, "kernel_size": 2}}, (3, 6), (3, "L"), lambda: nn.Conv1d(3, 2, 2)
        ),
    ]
}

pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same'")

CONV = {1: nn.Conv1d, 2: nn.Conv2d, 3: nn.Conv3d}


def _size(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def torch_conv(rank: int, in_channels: int, params: dict[str, Any]) -> nn.Module:
    """The conv PyTorch users write by hand for these params."""
    return CONV[rank](
        params.get("in_channels", in_channels),
        params["out_channels"],
        _size(params["kernel_size"]),
        stride=_size(params.get("stride", 1)),
        padding=_size(params.get("padding", 0)),
        dilation=_size(params.get("dilation", 1)),
        groups=params.get("groups", 1),
        bias=params.get("bias", True),
    )


def _per_axis(value: Any, rank: int) -> list[int]:
    return list(value) if isinstance(value, list) else [value] * rank


def offending_numbers(sizes: tuple[int, ...], params: dict[str, Any]) -> tuple[int, ...]:
    """The input size and kernel size of the first axis with no room for a window."""
    rank = len(sizes)
    padding = params.get("padding", 0)
    pads = [0] * rank if padding == "valid" else _per_axis(padding, rank)
    kernels = _per_axis(params["kernel_size"], rank)
    dilations = _per_axis(params.get("dilation", 1), rank)
    for size, k, p, d in zip(sizes, kernels, pads, dilations, strict=True):
        if size + 2 * p < d * (k - 1) + 1:
            return (size, k)
    return ()


def agree(channels: int, sizes: tuple[int, ...], params: dict[str, Any]) -> None:
    dims = (channels, *sizes)
    check_agreement(
        layer_spec({"conv": params}, dims),
        dims,
        lambda: torch_conv(len(sizes), channels, params),
        numbers=offending_numbers(sizes, params),
        field="kernel_size",
        code="E301",
    )


# 1-D: every kernel 1..5, stride 1..3 (stride > kernel included), padding 0..2,
# dilation 1..3, on sizes from below the kernel to odd and even lengths.
@pytest.mark.parametrize("length", [1, 2, 4, 7, 10])
@pytest.mark.parametrize(
    ("kernel", "stride", "padding", "dilation"),
    list(itertools.product(range(1, 6), range(1, 4), range(3), range(1, 4))),
)
def test_conv1d_grid(length: int, kernel: int, stride: int, padding: int, dilation: int) -> None:
    params = {
        "out_channels": 4,
        "kernel_size": kernel,
        "stride": stride,
        "padding": padding,
        "dilation": dilation,
    }
    agree(3, (length,), params)


# 2-D on odd, non-square sizes; ints and per-axis lists.
@pytest.mark.parametrize("sizes", [(7, 10), (5, 3)])
@pytest.mark.parametrize(
    ("kernel", "stride", "padding", "dilation"),
    list(
        itertools.product(
            [1, 2, 3, 5, [3, 1], [2, 5]],
            [1, 2, 3, [3, 1]],
            [0, 1, [2, 0], "valid"],
            [1, 2, [1, 3]],
        )
    ),
)
def test_conv2d_grid(sizes: tuple[int, int], kernel: Any, stride: Any, padding: Any, dilation: Any) -> None:
    params = {
        "out_channels": 5,
        "kernel_size": kernel,
        "stride": stride,
        "padding": padding,
        "dilation": dilation,
    }
    agree(2, sizes, params)


@pytest.mark.parametrize("sizes", [(5, 6, 7), (3, 8, 2)])
@pytest.mark.parametrize(
    ("kernel", "stride", "padding", "dilation"),
    list(itertools.product([1, 2, 3, [3, 1, 2]], [1, 2, [1, 3, 2]], [0, 1, [1, 0, 2]], [1, 2])),
)
def test_conv3d_grid(
    sizes: tuple[int, int, int], kernel: Any, stride: Any, padding: Any, dilation: Any
) -> None:
    params = {
        "out_channels": 3,
        "kernel_size": kernel,
        "stride": stride,
        "padding": padding,
        "dilation": dilation,
    }
    agree(2, sizes, params)


# padding: same keeps every size; for an even span PyTorch pads the extra element
# at the end, which the output size does not show but the forward pass needs.
@pytest.mark.parametrize("sizes", [(6,), (7,), (7, 4), (6, 9), (4, 5, 3)])
@pytest.mark.parametrize("kernel", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("dilation", [1, 2, 3])
def test_conv_same(sizes: tuple[int, ...], kernel: int, dilation: int) -> None:
    params = {"out_channels": 4, "kernel_size": kernel, "padding": "same", "dilation": dilation}
    graph = check_agreement(
        layer_spec({"conv": params}, (3, *sizes)), (3, *sizes), lambda: torch_conv(len(sizes), 3, params)
    )
    assert graph is not None
    assert tuple(graph.output.dims) == (4, *sizes)


@pytest.mark.parametrize(
    ("sizes", "kernel", "dilation"),
    [((6, 5), [2, 3], [2, 1]), ((5, 8), [4, 1], [1, 3]), ((3, 4, 5), [2, 5, 4], [3, 1, 2])],
)
def test_conv_same_per_axis(sizes: tuple[int, ...], kernel: list[int], dilation: list[int]) -> None:
    params = {"out_channels": 2, "kernel_size": kernel, "padding": "same", "dilation": dilation}
    graph = check_agreement(
        layer_spec({"conv": params}, (3, *sizes)), (3, *sizes), lambda: torch_conv(len(sizes), 3, params)
    )
    assert graph is not None
    assert tuple(graph.output.dims) == (2, *sizes)


@pytest.mark.parametrize("sizes", [(9,), (7, 6)])
@pytest.mark.parametrize(
    ("in_channels", "out_channels", "groups"),
    [
        (4, 8, 1),
        (4, 8, 2),
        (4, 8, 4),
        (8, 4, 4),
        (6, 6, 2),
        (4, 4, 4),  # depthwise
        (4, 12, 4),  # depthwise, channel multiplier 3
        (1, 3, 1),
    ],
)
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("given_in_channels", [False, True])
def test_conv_groups_bias_in_channels(
    sizes: tuple[int, ...],
    in_channels: int,
    out_channels: int,
    groups: int,
    bias: bool,
    given_in_channels: bool,
) -> None:
    params: dict[str, Any] = {"out_channels": out_channels, "kernel_size": 3, "groups": groups, "bias": bias}
    if given_in_channels:
        params["in_channels"] = in_channels
    dims = (in_channels, *sizes)
    graph = check_agreement(
        layer_spec({"conv": params}, dims), dims, lambda: torch_conv(len(sizes), in_channels, params)
    )
    assert graph is not None
    kernel_volume = 3 ** len(sizes)
    expected = out_channels * (in_channels // groups) * kernel_volume + (out_channels if bias else 0)
    assert graph.num_params == expected


def test_conv_builds_the_rank_of_its_input() -> None:
    for rank, cls in CONV.items():
        _, module = check_against_torch(
            layer_spec({"conv": {"out_channels": 2, "kernel_size": 1}}, (3,) * (rank + 1))
        )
        assert type(module[0]) is cls


# Rejections: archspec refuses what PyTorch refuses, and says where and why.


@pytest.mark.parametrize(
    ("sizes", "params", "numbers"),
    [
        ((3,), {"kernel_size": 5}, (3, 5)),
        ((2,), {"kernel_size": 5, "padding": 1}, (2, 5, 1)),
        ((4,), {"kernel_size": 3, "dilation": 2}, (4, 3, 2, 5)),
        ((8, 2), {"kernel_size": 3}, (2, 3)),
        ((8, 6), {"kernel_size": [9, 3]}, (8, 9)),
        ((5, 5, 1), {"kernel_size": [1, 1, 2]}, (1, 2)),
    ],
)
def test_conv_rejects_kernel_larger_than_input(
    sizes: tuple[int, ...], params: dict[str, Any], numbers: tuple[int, ...]
) -> None:
    params = {"out_channels": 4, **params}
    dims = (3, *sizes)
    expect_rejection(
        layer_spec({"conv": params}, dims), numbers=numbers, path="0", field="kernel_size", code="E301"
    )
    torch_raises(lambda: torch_conv(len(sizes), 3, params), dims)


@pytest.mark.parametrize(("sizes", "stride"), [((9,), 2), ((9, 9), 3), ((9, 9), [1, 2])])
def test_conv_rejects_same_with_stride(sizes: tuple[int, ...], stride: Any) -> None:
    params = {"out_channels": 4, "kernel_size": 3, "stride": stride, "padding": "same"}
    dims = (3, *sizes)
    stride_number = max(stride) if isinstance(stride, list) else stride
    expect_rejection(layer_spec({"conv": params}, dims), numbers=(stride_number,), path="0", field="padding")
    torch_raises(lambda: torch_conv(len(sizes), 3, params), dims)


@pytest.mark.parametrize(
    ("in_channels", "out_channels", "groups"),
    [(6, 8, 4), (4, 6, 4), (3, 3, 2), (4, 8, 8)],
)
def test_conv_rejects_groups_not_dividing_channels(in_channels: int, out_channels: int, groups: int) -> None:
    params = {"out_channels": out_channels, "kernel_size": 3, "groups": groups}
    dims = (in_channels, 7, 7)
    wrong = in_channels if in_channels % groups else out_channels
    expect_rejection(layer_spec({"conv": params}, dims), numbers=(groups, wrong), path="0", field="groups")
    torch_raises(lambda: torch_conv(2, in_channels, params), dims)


@pytest.mark.parametrize(("sizes", "given", "actual"), [((9,), 5, 4), ((7, 7), 3, 1), ((4, 4, 4), 2, 8)])
def test_conv_rejects_wrong_in_channels(sizes: tuple[int, ...], given: int, actual: int) -> None:
    params = {"out_channels": 4, "kernel_size": 3, "in_channels": given}
    dims = (actual, *sizes)
    expect_rejection(
        layer_spec({"conv": params}, dims),
        numbers=(given, actual),
        path="0",
        field="in_channels",
        code="E302",
    )
    torch_raises(lambda: torch_conv(len(sizes), actual, params), dims)


def test_conv_rejection_path_in_a_group() -> None:
    spec = {
        "name": "nested",
        "input": [3, 9, 9],
        "layers": [
            {"conv": {"out_channels": 4, "kernel_size": 3}},
            {
                "sequential": {
                    "name": "body",
                    "layers": ["relu", {"conv": {"out_channels": 4, "kernel_size": 8}}],
                }
            },
        ],
    }
    expect_rejection(spec, numbers=(7, 8), path="body.1", field="kernel_size", code="E301")
    torch_raises(lambda: nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.Conv2d(4, 4, 8)), (3, 9, 9))


# Symbols: the inferred expressions equal concrete inference (and torch) at
# several sizes, and min_sizes is tight.

SYMBOLIC_CONVS = [
    {"kernel_size": 3, "stride": 2},
    {"kernel_size": 5, "stride": 3, "padding": 2, "dilation": 2},
    {"kernel_size": 1, "stride": 3},
    {"kernel_size": 7, "stride": 4, "padding": 3},
    {"kernel_size": 4, "padding": "same", "dilation": 2},
    {"kernel_size": 4, "stride": 2, "padding": "valid", "dilation": 3},
]


@pytest.mark.parametrize("params", SYMBOLIC_CONVS)
def test_conv_symbolic_1d(params: dict[str, Any]) -> None:
    params = {"out_channels": 3, **params}
    check_symbolic(
        layer_spec({"conv": params}, (2, "L")),
        (2, "L"),
        sizes=(1, 2, 5, 11),
        make=lambda: torch_conv(1, 2, params),
    )


@pytest.mark.parametrize(
    "params",
    [
        *SYMBOLIC_CONVS,
        {"kernel_size": [3, 5], "stride": [2, 1], "padding": [1, 0]},
        {"kernel_size": [2, 6], "stride": [3, 2], "dilation": [3, 1], "groups": 2},
    ],
)
def test_conv_symbolic_2d(params: dict[str, Any]) -> None:
    params = {"out_channels": 4, **params}
    graph = check_symbolic(
        layer_spec({"conv": params}, (2, "H", "W")),
        (2, "H", "W"),
        sizes=(1, 3, 8),
        make=lambda: torch_conv(2, 2, params),
    )
    assert graph.output.dims[0] == 4


def test_conv_symbolic_minimum_is_the_window() -> None:
    graph = check_symbolic(
        layer_spec({"conv": {"out_channels": 1, "kernel_size": [5, 2], "dilation": [2, 1]}}, (1, "H", "W")),
        (1, "H", "W"),
        sizes=(1, 4),
    )
    assert graph.min_sizes == {"H": 9, "W": 2}


# A one-entry list applies to every axis (archspec's meaning; PyTorch's pools read
# (3,) so, its convs would not): the same conv as the int.
@pytest.mark.parametrize("sizes", [(9,), (9, 7), (6, 9, 5)])
@pytest.mark.parametrize(
    "params",
    [
        {"kernel_size": [3], "stride": [2], "padding": [1], "dilation": [2]},
        {"kernel_size": [2], "padding": "same", "dilation": [3]},
    ],
)
def test_conv_one_entry_lists(sizes: tuple[int, ...], params: dict[str, Any]) -> None:
    params = {"out_channels": 3, **params}
    as_ints = {k: v[0] if isinstance(v, list) else v for k, v in params.items()}
    dims = (2, *sizes)
    graph = check_agreement(
        layer_spec({"conv": params}, dims), dims, lambda: torch_conv(len(sizes), 2, as_ints)
    )
    assert graph is not None


@given(
    spatial=st.integers(1, 3),
    kernel=st.integers(1, 7),
    stride=st.integers(1, 4),
    padding=st.integers(0, 3) | st.sampled_from(["valid", "same"]),
    dilation=st.integers(1, 3),
)
def test_conv_windows_int_fast_path_equals_the_per_axis_path(
    spatial, kernel, stride, padding, dilation
) -> None:
    # conv_windows takes a short cut when every parameter is one int; one-entry lists
    # (the same conv) take the general per-axis path: the same windows.
    if padding == "same":
        stride = 1
    ints = ConvParams(out_channels=2, kernel_size=kernel, stride=stride, padding=padding, dilation=dilation)
    lists = ConvParams(
        out_channels=2,
        kernel_size=[kernel],
        stride=[stride],
        padding=padding if isinstance(padding, str) else [padding],
        dilation=[dilation],
    )
    assert conv_windows(ints, spatial) == conv_windows(lists, spatial)
    assert len(conv_windows(ints, spatial)) == spatial


@given(
    kernel=st.integers(1, 5),
    stride=st.integers(1, 3),
    padding=st.integers(0, 2) | st.just("same"),
    dilation=st.integers(1, 3),
    sizes=st.lists(st.integers(1, 20), min_size=1, max_size=2),
)
def test_conv_refuses_only_empty_outputs(
    kernel: int, stride: int, padding: Any, dilation: int, sizes: list[int]
) -> None:
    """conv's refuses_only_empty, against its rule over its params: refused exactly where a
    symbolic output dim, evaluated, is below 1, else those values."""
    if padding == "same":
        stride = 1
    layer = {
        "conv": {
            "out_channels": 2,
            "kernel_size": kernel,
            "stride": stride,
            "padding": padding,
            "dilation": dilation,
        }
    }
    names = ("H", "W")[: len(sizes)]
    check_refuses_only_empty(layer, (3, *names), dict(zip(names, sizes, strict=True)))
