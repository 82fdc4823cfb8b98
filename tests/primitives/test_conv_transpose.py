"""conv_transpose against ConvTranspose1d/2d/3d: shapes, parameter counts, MACs, rejections, symbols."""

from __future__ import annotations

import itertools
import warnings
from typing import Any

import pytest
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from tests.primitives.cases import OracleCase
from tests.primitives.oracle import (
    check_against_torch,
    check_agreement,
    check_symbolic,
    compile_spec,
    expect_rejection,
    layer_spec,
    layers_spec,
    torch_raises,
)

ORACLE_CASES = {
    "conv_transpose": [
        OracleCase(
            {"conv_transpose": {"out_channels": 4, "kernel_size": 3, "stride": 2, "padding": 1}},
            (3, 5, 4),
            (3, "H", "W"),
            lambda: nn.ConvTranspose2d(3, 4, 3, stride=2, padding=1),
        ),
        OracleCase(
            {"conv_transpose": {"out_channels": 2, "kernel_size": 2, "stride": 2}},
            (3, 6),
            (3, "L"),
            lambda: nn.ConvTranspose1d(3, 2, 2, stride=2),
        ),
        OracleCase(
            {"conv_transpose": {"out_channels": 4, "kernel_size": 3, "stride": 2, "output_padding": 1}},
            (2, 3, 4, 2),
            (2, "D", "H", "W"),
            lambda: nn.ConvTranspose3d(2, 4, 3, stride=2, output_padding=1),
        ),
    ]
}

CONV_TRANSPOSE = {1: nn.ConvTranspose1d, 2: nn.ConvTranspose2d, 3: nn.ConvTranspose3d}


@pytest.fixture(autouse=True)
def reference_path() -> Any:
    """PyTorch's reference CPU kernel as the oracle: it refuses every output size below 1
    ("Output size is too small"), as archspec does. The oneDNN kernel does not check: it
    returns an empty tensor where the size is exactly 0 (see the test at the end)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # oneDNN's TF32 note, on setting the flag
        with torch.backends.mkldnn.flags(enabled=False):
            yield


def _size(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def torch_conv_transpose(rank: int, in_channels: int, params: dict[str, Any]) -> nn.Module:
    """The transposed conv PyTorch users write by hand for these params."""
    return CONV_TRANSPOSE[rank](
        params.get("in_channels", in_channels),
        params["out_channels"],
        _size(params["kernel_size"]),
        stride=_size(params.get("stride", 1)),
        padding=_size(params.get("padding", 0)),
        output_padding=_size(params.get("output_padding", 0)),
        groups=params.get("groups", 1),
        bias=params.get("bias", True),
        dilation=_size(params.get("dilation", 1)),
    )


def _per_axis(value: Any, rank: int) -> list[int]:
    return list(value) if isinstance(value, list) else [value] * rank


def expected_rejection(sizes: tuple[int, ...], params: dict[str, Any]) -> tuple[tuple[int, ...], str]:
    """The numbers and field of archspec's refusal: output_padding first, then the output size."""
    rank = len(sizes)
    fields = (("kernel_size", 1), ("stride", 1), ("padding", 0), ("output_padding", 0), ("dilation", 1))
    axes = [_per_axis(params.get(key, default), rank) for key, default in fields]
    for _, s, _, op, d in zip(*axes, strict=True):
        if not (op < s or op < d):
            return (op, s, d), "output_padding"
    for size, k, s, p, op, d in zip(sizes, *axes, strict=True):
        out = (size - 1) * s - 2 * p + d * (k - 1) + op + 1
        if out < 1:
            return (out, size, p), "padding"
    return (), ""


def agree(channels: int, sizes: tuple[int, ...], params: dict[str, Any]) -> Any:
    dims = (channels, *sizes)
    numbers, field = expected_rejection(sizes, params)
    return check_agreement(
        layer_spec({"conv_transpose": params}, dims),
        dims,
        lambda: torch_conv_transpose(len(sizes), channels, params),
        numbers=numbers,
        field=field or None,
    )


# 1-D: every kernel 1..4, stride 1..3, padding 0..2, output_padding 0..2 (refused where not
# below stride or dilation), dilation 1..3, on tiny and odd lengths (outputs below 1 included).
@pytest.mark.parametrize("length", [1, 2, 5])
@pytest.mark.parametrize(
    ("kernel", "stride", "padding", "output_padding", "dilation"),
    list(itertools.product(range(1, 5), range(1, 4), range(3), range(3), range(1, 4))),
)
def test_conv_transpose1d_grid(
    length: int, kernel: int, stride: int, padding: int, output_padding: int, dilation: int
) -> None:
    params = {
        "out_channels": 4,
        "kernel_size": kernel,
        "stride": stride,
        "padding": padding,
        "output_padding": output_padding,
        "dilation": dilation,
    }
    agree(3, (length,), params)


@pytest.mark.parametrize("sizes", [(4, 3), (1, 2)])
@pytest.mark.parametrize(
    ("kernel", "stride", "padding", "output_padding", "dilation"),
    list(
        itertools.product(
            [1, 2, 3, [3, 1]],
            [1, 2, [2, 3]],
            [0, 1, [2, 0]],
            [0, 1, [1, 0], [0, 2]],
            [1, 2, [1, 3]],
        )
    ),
)
def test_conv_transpose2d_grid(
    sizes: tuple[int, int], kernel: Any, stride: Any, padding: Any, output_padding: Any, dilation: Any
) -> None:
    params = {
        "out_channels": 3,
        "kernel_size": kernel,
        "stride": stride,
        "padding": padding,
        "output_padding": output_padding,
        "dilation": dilation,
    }
    agree(2, sizes, params)


@pytest.mark.parametrize("sizes", [(3, 2, 4), (1, 3, 2)])
@pytest.mark.parametrize(
    ("kernel", "stride", "padding", "output_padding", "dilation"),
    list(itertools.product([1, 3, [2, 1, 3]], [1, 2, [1, 3, 2]], [0, 1], [0, 1, [0, 2, 1]], [1, [2, 1, 1]])),
)
def test_conv_transpose3d_grid(
    sizes: tuple[int, int, int], kernel: Any, stride: Any, padding: Any, output_padding: Any, dilation: Any
) -> None:
    params = {
        "out_channels": 2,
        "kernel_size": kernel,
        "stride": stride,
        "padding": padding,
        "output_padding": output_padding,
        "dilation": dilation,
    }
    agree(2, sizes, params)


@pytest.mark.parametrize("sizes", [(5,), (4, 3), (2, 3, 2)])
@pytest.mark.parametrize(
    ("in_channels", "out_channels", "groups"),
    [(4, 8, 1), (4, 8, 2), (4, 8, 4), (8, 4, 4), (6, 6, 3), (4, 4, 4), (4, 12, 4), (1, 3, 1)],
)
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("given_in_channels", [False, True])
def test_conv_transpose_groups_bias_in_channels(
    sizes: tuple[int, ...],
    in_channels: int,
    out_channels: int,
    groups: int,
    bias: bool,
    given_in_channels: bool,
) -> None:
    params: dict[str, Any] = {
        "out_channels": out_channels,
        "kernel_size": 3,
        "stride": 2,
        "groups": groups,
        "bias": bias,
    }
    if given_in_channels:
        params["in_channels"] = in_channels
    graph = agree(in_channels, sizes, params)
    assert graph is not None
    kernel_volume = 3 ** len(sizes)
    expected = in_channels * (out_channels // groups) * kernel_volume + (out_channels if bias else 0)
    assert graph.num_params == expected


def test_conv_transpose_builds_the_rank_of_its_input() -> None:
    for rank, cls in CONV_TRANSPOSE.items():
        _, module = check_against_torch(
            layer_spec({"conv_transpose": {"out_channels": 2, "kernel_size": 2}}, (3,) * (rank + 1))
        )
        assert type(module[0]) is cls


@pytest.mark.parametrize(
    ("dims", "params"),
    [
        ((4, 5), {"kernel_size": 3, "stride": 2}),
        ((4, 5, 3), {"kernel_size": [3, 2], "stride": 2, "padding": 1, "output_padding": 1, "groups": 2}),
        ((2, 3, 2, 4), {"kernel_size": 2, "stride": [2, 1, 3], "dilation": 2, "bias": False}),
    ],
)
def test_conv_transpose_macs_are_half_of_pytorchs_flop_count(
    dims: tuple[int, ...], params: dict[str, Any]
) -> None:
    """One MAC per weight at each input position: torch.utils.flop_counter's convention."""
    params = {"out_channels": 6, **params}
    graph = compile_spec(layer_spec({"conv_transpose": params}, dims))
    module = torch_conv_transpose(len(dims) - 1, dims[0], params)
    with FlopCounterMode(display=False) as counter:
        module(torch.randn(1, *dims))
    assert 2 * graph.num_macs == counter.get_total_flops()


# Rejections: archspec refuses what PyTorch refuses, and says where and why.


@pytest.mark.parametrize(
    ("sizes", "params", "numbers"),
    [
        ((5,), {"output_padding": 1}, (1, 1, 1)),
        ((5,), {"stride": 2, "output_padding": 2}, (2, 2, 1)),
        ((5,), {"stride": 2, "dilation": 3, "output_padding": 3}, (3, 2, 3)),
        ((5, 5), {"stride": [2, 1], "output_padding": 1}, (1, 1, 1)),
        ((5, 5, 5), {"stride": 2, "dilation": [1, 1, 3], "output_padding": [1, 2, 3]}, (2, 2, 1)),
    ],
)
def test_conv_transpose_rejects_output_padding_not_below_stride_or_dilation(
    sizes: tuple[int, ...], params: dict[str, Any], numbers: tuple[int, ...]
) -> None:
    params = {"out_channels": 4, "kernel_size": 3, **params}
    dims = (3, *sizes)
    expect_rejection(
        layer_spec({"conv_transpose": params}, dims), numbers=numbers, path="0", field="output_padding"
    )
    torch_raises(lambda: torch_conv_transpose(len(sizes), 3, params), dims)


@pytest.mark.parametrize(
    ("sizes", "params", "numbers"),
    [
        ((5,), {"kernel_size": 3, "padding": 5}, (-3, 5)),
        ((1,), {"kernel_size": 4, "padding": 2}, (0, 1, 2)),
        ((1,), {"kernel_size": 1, "padding": 1}, (-1, 1)),
        ((4, 2), {"kernel_size": 2, "stride": 2, "padding": [1, 2]}, (0, 2)),
        ((3, 3, 1), {"kernel_size": [3, 3, 1], "padding": [1, 1, 1]}, (-1, 1)),
    ],
)
def test_conv_transpose_rejects_an_output_below_one(
    sizes: tuple[int, ...], params: dict[str, Any], numbers: tuple[int, ...]
) -> None:
    params = {"out_channels": 4, **params}
    dims = (3, *sizes)
    expect_rejection(
        layer_spec({"conv_transpose": params}, dims), numbers=numbers, path="0", field="padding", code="E301"
    )
    torch_raises(lambda: torch_conv_transpose(len(sizes), 3, params), dims)


@pytest.mark.parametrize(("in_channels", "out_channels", "groups"), [(6, 8, 4), (4, 6, 4), (3, 3, 2)])
def test_conv_transpose_rejects_groups_not_dividing_channels(
    in_channels: int, out_channels: int, groups: int
) -> None:
    params = {"out_channels": out_channels, "kernel_size": 3, "groups": groups}
    dims = (in_channels, 5, 5)
    wrong = in_channels if in_channels % groups else out_channels
    expect_rejection(
        layer_spec({"conv_transpose": params}, dims), numbers=(groups, wrong), path="0", field="groups"
    )
    torch_raises(lambda: torch_conv_transpose(2, in_channels, params), dims)


@pytest.mark.parametrize(("sizes", "given", "actual"), [((9,), 5, 4), ((3, 3), 3, 1)])
def test_conv_transpose_rejects_wrong_in_channels(sizes: tuple[int, ...], given: int, actual: int) -> None:
    params = {"out_channels": 4, "kernel_size": 3, "in_channels": given}
    dims = (actual, *sizes)
    expect_rejection(
        layer_spec({"conv_transpose": params}, dims),
        numbers=(given, actual),
        path="0",
        field="in_channels",
        code="E302",
    )
    torch_raises(lambda: torch_conv_transpose(len(sizes), actual, params), dims)


# Symbols: the output is affine in each size; the inferred expressions equal concrete
# inference (and torch), and min_sizes is tight where padding crops more than the kernel adds.

SYMBOLIC = [
    {"kernel_size": 2, "stride": 2},
    {"kernel_size": 3, "stride": 2, "padding": 1, "output_padding": 1},
    {"kernel_size": 1, "stride": 3, "padding": 2},
    {"kernel_size": 4, "stride": 2, "padding": 3, "dilation": 2, "output_padding": 1},
    {"kernel_size": 1, "padding": 3},
]


@pytest.mark.parametrize("params", SYMBOLIC)
def test_conv_transpose_symbolic_1d(params: dict[str, Any]) -> None:
    params = {"out_channels": 3, **params}
    check_symbolic(
        layer_spec({"conv_transpose": params}, (2, "L")),
        (2, "L"),
        sizes=(1, 2, 5),
        make=lambda: torch_conv_transpose(1, 2, params),
    )


@pytest.mark.parametrize(
    "params",
    [*SYMBOLIC, {"kernel_size": [3, 1], "stride": [2, 3], "padding": [0, 2], "groups": 2}],
)
def test_conv_transpose_symbolic_2d(params: dict[str, Any]) -> None:
    params = {"out_channels": 4, **params}
    graph = check_symbolic(
        layer_spec({"conv_transpose": params}, (2, "H", "W")),
        (2, "H", "W"),
        sizes=(1, 3),
        make=lambda: torch_conv_transpose(2, 2, params),
    )
    assert graph.output.dims[0] == 4


def test_conv_transpose_symbolic_minimum() -> None:
    """out = L - 6 for kernel 1, padding 3: L = 7 is the smallest input with an output."""
    graph = check_symbolic(
        layer_spec({"conv_transpose": {"out_channels": 1, "kernel_size": 1, "padding": 3}}, (1, "L")),
        (1, "L"),
        sizes=(1, 4),
    )
    assert graph.min_sizes == {"L": 7}


def test_conv_transpose_undoes_a_strided_conv_in_an_encoder_decoder() -> None:
    layers = [
        {"conv": {"out_channels": 8, "kernel_size": 3, "stride": 2, "padding": 1}},
        {
            "conv_transpose": {
                "out_channels": 3,
                "kernel_size": 3,
                "stride": 2,
                "padding": 1,
                "output_padding": 1,
            }
        },
    ]
    graph = check_symbolic(layers_spec(layers, (3, "H", "W")), (3, "H", "W"), sizes=(2, 4, 6))
    concrete = compile_spec(layers_spec(layers, (3, 8, 6)))
    assert tuple(concrete.output.dims) == (3, 8, 6)
    assert graph.min_sizes == {"H": 1, "W": 1}


def test_conv_transpose_refuses_an_empty_output_that_onednn_may_return() -> None:
    """An output size of exactly 0. PyTorch's reference kernel refuses it; torch 2.13 on CPU
    picks oneDNN instead when it has more than one thread, and oneDNN returns an empty tensor
    (with one thread it picks the reference kernel and refuses). archspec refuses it
    everywhere: a dim below 1 is E301."""
    params = {"out_channels": 4, "kernel_size": 1, "padding": 1}
    expect_rejection(
        layer_spec({"conv_transpose": params}, (3, 2)), numbers=(0, 2, 1), field="padding", code="E301"
    )
    torch_raises(lambda: torch_conv_transpose(1, 3, params), (3, 2))
    threads = torch.get_num_threads()
    try:
        for count in (1, 2):
            torch.set_num_threads(count)
            with torch.backends.mkldnn.flags(enabled=True):
                try:
                    out = torch_conv_transpose(1, 3, params)(torch.randn(2, 3, 2))
                except RuntimeError:
                    continue
            assert tuple(out.shape) == (2, 4, 0)
    finally:
        torch.set_num_threads(threads)
