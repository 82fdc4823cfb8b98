"""maxpool and avgpool against MaxPool/AvgPool 1d/2d/3d: floor and ceil mode, rejections, symbols."""

from __future__ import annotations

import itertools
import math
from functools import partial
from typing import Any

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch import nn

from archspec.diagnostics import RuleError
from archspec.primitives.pool import MaxPoolParams, pool_windows
from tests.primitives.cases import OracleCase
from tests.primitives.emptyoutputs import check_refuses_only_empty, declared_for
from tests.primitives.oracle import (
    check_against_torch,
    check_agreement,
    check_symbolic,
    expect_rejection,
    layer_spec,
    torch_raises,
)

ORACLE_CASES = {
    "maxpool": [
        OracleCase(
            {"maxpool": {"kernel_size": 3, "stride": 2, "padding": 1}},
            (2, 9, 8),
            (2, "H", "W"),
            lambda: nn.MaxPool2d(3, stride=2, padding=1),
        )
    ],
    "avgpool": [
        OracleCase({"avgpool": {"kernel_size": 2}}, (2, 6, 7), (2, "H", "W"), lambda: nn.AvgPool2d(2)),
        OracleCase(
            {"avgpool": {"kernel_size": 3, "padding": 1, "count_include_pad": False, "divisor_override": 4}},
            (2, 6, 7),
            (2, "H", "W"),
            lambda: nn.AvgPool2d(3, padding=1, count_include_pad=False, divisor_override=4),
        ),
    ],
}

POOL = {
    "maxpool": {1: nn.MaxPool1d, 2: nn.MaxPool2d, 3: nn.MaxPool3d},
    "avgpool": {1: nn.AvgPool1d, 2: nn.AvgPool2d, 3: nn.AvgPool3d},
}


def _size(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def torch_pool(kind: str, rank: int, params: dict[str, Any]) -> nn.Module:
    """The pool PyTorch users write by hand for these params."""
    kwargs: dict[str, Any] = {
        "kernel_size": _size(params["kernel_size"]),
        "stride": _size(params.get("stride")),
        "padding": _size(params.get("padding", 0)),
        "ceil_mode": params.get("ceil_mode", False),
    }
    if "dilation" in params:
        kwargs["dilation"] = _size(params["dilation"])
    return POOL[kind][rank](**kwargs)


def pool_params(kernel: Any, stride: Any, padding: Any, ceil_mode: bool, dilation: Any) -> dict[str, Any]:
    params: dict[str, Any] = {"kernel_size": kernel, "padding": padding, "ceil_mode": ceil_mode}
    if stride is not None:  # absent: stride defaults to kernel_size
        params["stride"] = stride
    if dilation is not None:
        params["dilation"] = dilation
    return params


def agree(kind: str, sizes: tuple[int, ...], params: dict[str, Any]) -> None:
    dims = (3, *sizes)
    check_agreement(
        layer_spec({kind: params}, dims), dims, lambda: torch_pool(kind, len(sizes), params), code="E301"
    )


def _grid(kernels, strides, paddings, dilations) -> list[tuple[Any, ...]]:
    """(kind, kernel, stride, padding, ceil_mode, dilation); padding up to kernel // 2
    (both pools refuse more, tested below), dilation for maxpool only."""
    cases = []
    for kernel, stride, padding, ceil_mode in itertools.product(kernels, strides, paddings, [False, True]):
        kernel_min = min(kernel) if isinstance(kernel, list) else kernel
        pad_max = max(padding) if isinstance(padding, list) else padding
        if pad_max > kernel_min // 2:
            continue
        cases += [("maxpool", kernel, stride, padding, ceil_mode, d) for d in dilations]
        cases.append(("avgpool", kernel, stride, padding, ceil_mode, None))
    return cases


# 1-D: sizes 1..12 (below the kernel up to many windows), kernel 2..3, stride
# default/2/3, padding 0..kernel // 2: the cases where ceil mode's rule "the
# last window starts inside the input or the left padding" matters.
@pytest.mark.parametrize("length", range(1, 13))
@pytest.mark.parametrize(
    ("kind", "kernel", "stride", "padding", "ceil_mode", "dilation"),
    _grid([2, 3], [None, 2, 3], [0, 1], [None, 2, 3]),
)
def test_pool1d_grid(
    length: int, kind: str, kernel: int, stride: int | None, padding: int, ceil_mode: bool, dilation: Any
) -> None:
    agree(kind, (length,), pool_params(kernel, stride, padding, ceil_mode, dilation))


@pytest.mark.parametrize("sizes", [(5, 8), (9, 6), (12, 7), (2, 11)])
@pytest.mark.parametrize(
    ("kind", "kernel", "stride", "padding", "ceil_mode", "dilation"),
    _grid([2, 3, [3, 2]], [None, 2, [3, 2]], [0, 1, [1, 0]], [None, [2, 1]]),
)
def test_pool2d_grid(
    sizes: tuple[int, int], kind: str, kernel: Any, stride: Any, padding: Any, ceil_mode: bool, dilation: Any
) -> None:
    agree(kind, sizes, pool_params(kernel, stride, padding, ceil_mode, dilation))


# PyTorch's avg_pool3d (unlike avg_pool1d/2d and every max pool) also checks that
# the unpadded input is at least kernel_size on every axis (pool3d_shape_check in
# ATen's Pool.h, called with check_input_size=true), whatever the padding or
# ceil_mode: "input image (T: 2 H: 9 W: 4) smaller than kernel size (kT: 3 ...)".
# The 3-D grid includes such cases (their ids end in avgpool3d_input_check).
def _aten_output(size: int, kernel: int, stride: int, pad: int, ceil_mode: bool) -> int:
    """``pooling_output_shape`` of ATen's Pool.h (dilation 1), written out independently."""
    out = (size + 2 * pad - (kernel - 1) - 1 + (stride - 1 if ceil_mode else 0)) // stride + 1
    if ceil_mode and (out - 1) * stride >= size + pad:
        out -= 1
    return out


def _only_the_avgpool3d_input_check_fails(kind: str, sizes: tuple[int, ...], params: dict[str, Any]) -> bool:
    """An avgpool on 3 spatial axes where the window fits (by padding or ceil mode)
    but an unpadded axis is smaller than the kernel."""
    if kind != "avgpool" or len(sizes) != 3:
        return False
    axes = [_per_axis(params.get(key, 0), 3) for key in ("kernel_size", "padding")]
    strides = _per_axis(params.get("stride", params["kernel_size"]), 3)
    ceil_mode = params.get("ceil_mode", False)
    fits = all(
        _aten_output(n, k, s, p, ceil_mode) >= 1 for n, k, p, s in zip(sizes, *axes, strides, strict=True)
    )
    return fits and any(n < k for n, k in zip(sizes, axes[0], strict=True))


def _per_axis(value: Any, rank: int) -> list[int]:
    return list(value) if isinstance(value, list) else [value] * rank


def _pool3d_cases() -> list[Any]:
    cases = []
    for sizes in [(5, 6, 7), (2, 9, 4)]:
        for kind, kernel, stride, padding, ceil_mode, dilation in _grid(
            [2, 3, [3, 2, 2]], [None, 2], [0, 1], [None, 2]
        ):
            params = pool_params(kernel, stride, padding, ceil_mode, dilation)
            words = [kind, "x".join(map(str, sizes)), *(f"{k}={v}" for k, v in params.items())]
            if _only_the_avgpool3d_input_check_fails(kind, sizes, params):
                words.append("avgpool3d_input_check")
            cases.append(pytest.param(kind, sizes, params, id="-".join(words).replace(" ", "")))
    return cases


@pytest.mark.parametrize(("kind", "sizes", "params"), _pool3d_cases())
def test_pool3d_grid(kind: str, sizes: tuple[int, int, int], params: dict[str, Any]) -> None:
    agree(kind, sizes, params)


@pytest.mark.parametrize(
    ("sizes", "params"),
    [
        ((2, 5, 5), {"kernel_size": 3, "padding": 1}),  # the window formula alone: (C, 1, 2, 2)
        ((5, 5, 2), {"kernel_size": 3, "stride": 1, "padding": 1}),  # formula: (C, 5, 5, 2)
        ((1, 5, 5), {"kernel_size": 2, "ceil_mode": True}),  # formula: (C, 1, 3, 3)
        ((5, 2, 5), {"kernel_size": 3, "stride": 2, "ceil_mode": True}),  # formula: (C, 2, 1, 2)
    ],
)
def test_avgpool3d_refuses_an_axis_smaller_than_the_kernel(
    sizes: tuple[int, int, int], params: dict[str, Any]
) -> None:
    assert _only_the_avgpool3d_input_check_fails("avgpool", sizes, params)  # the case matters
    dims = (2, *sizes)
    torch_raises(lambda: torch_pool("avgpool", 3, params), dims)  # PyTorch refuses...
    small = min(n for n in sizes if n < params["kernel_size"])
    expect_rejection(  # ... and so does archspec
        layer_spec({"avgpool": params}, dims),
        numbers=(small, params["kernel_size"]),
        path="0",
        field="kernel_size",
        code="E301",
    )


def _naive_ceil(length: int, kernel: int, stride: int, padding: int, dilation: int = 1) -> int:
    span = dilation * (kernel - 1) + 1
    return math.ceil((length + 2 * padding - span) / stride) + 1


# Cases where plain ceil((L + 2p - e) / s) + 1 is one too many: PyTorch drops the
# window that would start in the right padding.
@pytest.mark.parametrize("kind", ["maxpool", "avgpool"])
@pytest.mark.parametrize(
    ("length", "kernel", "stride", "padding", "expected"),
    [(5, 2, 2, 1, 3), (5, 3, 3, 1, 2), (6, 2, 3, 0, 2), (9, 2, 2, 1, 5), (11, 3, 3, 1, 4), (12, 2, 3, 0, 4)],
)
def test_pool_ceil_mode_drops_window_in_right_padding(
    kind: str, length: int, kernel: int, stride: int, padding: int, expected: int
) -> None:
    assert _naive_ceil(length, kernel, stride, padding) == expected + 1  # the rule matters here
    params = {"kernel_size": kernel, "stride": stride, "padding": padding, "ceil_mode": True}
    for sizes in [(length,), (length, 4), (3, length, 4)]:
        dims = (2, *sizes)
        graph = check_agreement(
            layer_spec({kind: params}, dims), dims, partial(torch_pool, kind, len(sizes), params)
        )
        assert graph is not None
        assert graph.output.dims[sizes.index(length) + 1] == expected


@pytest.mark.parametrize("kind", ["maxpool", "avgpool"])
@pytest.mark.parametrize("sizes", [(8,), (9, 5), (7, 6, 5)])
@pytest.mark.parametrize("kernel", [2, 3, [3, 2, 1]])
def test_pool_default_stride_is_kernel(kind: str, sizes: tuple[int, ...], kernel: Any) -> None:
    kernel = kernel[: len(sizes)] if isinstance(kernel, list) else kernel  # [3] on 1-D
    dims = (2, *sizes)
    implicit, module = check_against_torch(layer_spec({kind: {"kernel_size": kernel}}, dims))
    explicit, _ = check_against_torch(layer_spec({kind: {"kernel_size": kernel, "stride": kernel}}, dims))
    assert implicit.output.dims == explicit.output.dims
    assert module[0].stride == module[0].kernel_size


# Rejections.


@pytest.mark.parametrize(
    ("kind", "sizes", "params", "numbers"),
    [
        ("maxpool", (9,), {"kernel_size": 3, "padding": 2}, (2, 3)),
        ("avgpool", (9,), {"kernel_size": 2, "padding": 2}, (2,)),
        ("maxpool", (9, 9), {"kernel_size": 3, "padding": 2, "dilation": 2}, (2, 3)),
        ("maxpool", (9, 9), {"kernel_size": [3, 3], "padding": [1, 2]}, (2, 3)),
        ("avgpool", (9, 9), {"kernel_size": [5, 4], "padding": [2, 3]}, (3, 4)),
        ("maxpool", (6, 6, 6), {"kernel_size": 1, "padding": 1}, (1,)),
        ("avgpool", (6, 6, 6), {"kernel_size": 3, "padding": 2, "ceil_mode": True}, (2, 3)),
    ],
)
def test_pool_rejects_padding_above_half_kernel(
    kind: str, sizes: tuple[int, ...], params: dict[str, Any], numbers: tuple[int, ...]
) -> None:
    dims = (2, *sizes)
    expect_rejection(layer_spec({kind: params}, dims), numbers=numbers, path="0", field="padding")
    torch_raises(lambda: torch_pool(kind, len(sizes), params), dims)


@pytest.mark.parametrize(
    ("kind", "sizes", "params", "numbers"),
    [
        ("maxpool", (2,), {"kernel_size": 3}, (2, 3)),
        ("avgpool", (8, 2), {"kernel_size": 3}, (2, 3)),
        ("maxpool", (8, 4), {"kernel_size": 3, "dilation": 2, "stride": 1}, (4, 3, 5)),
        ("avgpool", (4, 4, 1), {"kernel_size": [1, 1, 2]}, (1, 2)),
        ("maxpool", (1,), {"kernel_size": 3, "stride": 2, "ceil_mode": True}, (1, 3)),
    ],
)
def test_pool_rejects_kernel_larger_than_input(
    kind: str, sizes: tuple[int, ...], params: dict[str, Any], numbers: tuple[int, ...]
) -> None:
    dims = (2, *sizes)
    expect_rejection(
        layer_spec({kind: params}, dims), numbers=numbers, path="0", field="kernel_size", code="E301"
    )
    torch_raises(lambda: torch_pool(kind, len(sizes), params), dims)


# Symbols.

SYMBOLIC_POOLS = [
    ("maxpool", {"kernel_size": 3, "stride": 2}),
    ("maxpool", {"kernel_size": 3, "stride": 2, "padding": 1}),
    ("maxpool", {"kernel_size": 3, "stride": 2, "ceil_mode": True}),
    ("maxpool", {"kernel_size": 2, "padding": 1, "ceil_mode": True}),
    ("maxpool", {"kernel_size": 3, "stride": 2, "padding": 1, "dilation": 2, "ceil_mode": True}),
    ("maxpool", {"kernel_size": 2, "stride": 3, "dilation": 3}),
    ("avgpool", {"kernel_size": 2}),
    ("avgpool", {"kernel_size": 3, "stride": 3, "padding": 1, "ceil_mode": True}),
    ("avgpool", {"kernel_size": 3, "stride": 2, "ceil_mode": True}),
]


@pytest.mark.parametrize(("kind", "params"), SYMBOLIC_POOLS)
def test_pool_symbolic_1d(kind: str, params: dict[str, Any]) -> None:
    check_symbolic(
        layer_spec({kind: params}, (2, "L")),
        (2, "L"),
        sizes=(1, 2, 3, 7, 12),
        make=lambda: torch_pool(kind, 1, params),
    )


@pytest.mark.parametrize(
    ("kind", "params"),
    [
        *SYMBOLIC_POOLS,
        ("avgpool", {"kernel_size": [3, 2], "stride": [2, 1], "ceil_mode": True}),
        ("maxpool", {"kernel_size": [2, 3], "stride": [3, 2], "padding": [1, 0], "dilation": [1, 2]}),
    ],
)
def test_pool_symbolic_2d(kind: str, params: dict[str, Any]) -> None:
    check_symbolic(
        layer_spec({kind: params}, (2, "H", "W")),
        (2, "H", "W"),
        sizes=(1, 4, 9),
        make=lambda: torch_pool(kind, 2, params),
    )


def test_pool_symbolic_ceil_mode_minimum_is_below_kernel() -> None:
    # ceil mode keeps a window that starts inside the input even when it overhangs.
    graph = check_symbolic(
        layer_spec({"maxpool": {"kernel_size": 3, "stride": 2, "ceil_mode": True}}, (1, "L")),
        (1, "L"),
        sizes=(1, 2),
    )
    assert graph.min_sizes == {"L": 2}


def test_avgpool3d_symbolic_minimum() -> None:
    params = {"kernel_size": 3, "padding": 1}
    graph = check_symbolic(
        layer_spec({"avgpool": params}, (2, "D", "H", "W")),
        (2, "D", "H", "W"),
        sizes=(3, 5),
        make=lambda: torch_pool("avgpool", 3, params),
    )
    # AvgPool3d(3, padding=1) runs from 3x3x3 up, though the window formula allows 1x1x1.
    assert graph.min_sizes == {"D": 3, "H": 3, "W": 3}


@pytest.mark.parametrize(
    ("kind", "ceil_mode"),
    [
        ("maxpool", False),
        ("maxpool", True),
        ("avgpool", False),
        ("avgpool", True),
    ],
)
def test_pool3d_symbolic(kind: str, ceil_mode: bool) -> None:
    params = {"kernel_size": [2, 3, 2], "stride": [2, 1, 3], "ceil_mode": ceil_mode}
    check_symbolic(
        layer_spec({kind: params}, (1, "D", "H", "W")),
        (1, "D", "H", "W"),
        sizes=(3, 6),
        make=lambda: torch_pool(kind, 3, params),
    )


# A one-entry list applies to every axis: PyTorch's pools take (3,) as 3 on each axis.
@pytest.mark.parametrize("sizes", [(9,), (9, 7), (6, 9, 5)])
@pytest.mark.parametrize(
    ("kind", "params"),
    [
        ("maxpool", {"kernel_size": [3], "stride": [2], "padding": [1], "dilation": [2]}),
        ("maxpool", {"kernel_size": [2], "ceil_mode": True}),
        ("avgpool", {"kernel_size": [3], "stride": [2], "padding": [1], "ceil_mode": True}),
        ("avgpool", {"kernel_size": [2], "padding": [1]}),
    ],
)
def test_pool_one_entry_lists(kind: str, sizes: tuple[int, ...], params: dict[str, Any]) -> None:
    dims = (2, *sizes)
    graph = check_agreement(
        layer_spec({kind: params}, dims), dims, lambda: torch_pool(kind, len(sizes), params)
    )
    assert graph is not None
    as_ints = {k: v[0] if isinstance(v, list) else v for k, v in params.items()}
    same, _ = check_against_torch(layer_spec({kind: as_ints}, dims))
    assert graph.output.dims == same.output.dims


# avgpool's count_include_pad and divisor_override: values, not shapes.


def _avgpool(rank: int, params: dict[str, Any]) -> nn.Module:
    kwargs = {k: _size(v) for k, v in params.items()}
    return POOL["avgpool"][rank](**kwargs)


@pytest.mark.parametrize("sizes", [(7,), (5, 6), (4, 5, 3)])
@pytest.mark.parametrize(
    "params",
    [
        {"kernel_size": 3, "padding": 1, "count_include_pad": False},
        {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True, "count_include_pad": False},
        {"kernel_size": 2, "divisor_override": 3},
        {"kernel_size": 3, "padding": 1, "count_include_pad": False, "divisor_override": 2},
        {"kernel_size": [3], "padding": [1], "count_include_pad": True, "divisor_override": 4},
    ],
)
def test_avgpool_padding_count_and_divisor(sizes: tuple[int, ...], params: dict[str, Any]) -> None:
    dims = (2, *sizes)
    spec = layer_spec({"avgpool": params}, dims)
    if "divisor_override" in params and len(sizes) == 1:
        # AvgPool1d has no divisor_override: PyTorch refuses it (a TypeError, on construction).
        with pytest.raises(TypeError):
            _avgpool(1, params)
        expect_rejection(spec, numbers=(1,), field="divisor_override", code="E305")
        return
    as_torch = {k: v[0] if isinstance(v, list) else v for k, v in params.items()}
    reference = _avgpool(len(sizes), as_torch)
    graph = check_agreement(spec, dims, lambda: reference)
    assert graph is not None
    _, module = check_against_torch(spec)
    for key in ("count_include_pad", "divisor_override"):
        assert getattr(module[0], key, None) == getattr(reference, key, None)
    x = torch.randn(2, *dims, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        assert torch.equal(module(x), reference(x))


@pytest.mark.parametrize("divisor", [0, -2])
def test_avgpool_divisor_override_below_one_is_refused(divisor: int) -> None:
    dims = (2, 6, 6)
    expect_rejection(
        layer_spec({"avgpool": {"kernel_size": 2, "divisor_override": divisor}}, dims),
        field="divisor_override",
        code="E200",
    )
    if divisor == 0:  # PyTorch refuses 0 (at the forward pass); a negative one it takes
        torch_raises(lambda: nn.AvgPool2d(2, divisor_override=0), dims)


def test_avgpool_defaults_are_left_out_of_the_module_call() -> None:
    _, module = check_against_torch(layer_spec({"avgpool": {"kernel_size": 2}}, (2, 6, 6)))
    assert module[0].count_include_pad is True and module[0].divisor_override is None


@given(
    spatial=st.integers(1, 3),
    kernel=st.integers(1, 7),
    stride=st.none() | st.integers(1, 4),
    padding=st.integers(0, 4),
    dilation=st.integers(1, 3),
    ceil_mode=st.booleans(),
)
def test_pool_windows_int_fast_path_equals_the_per_axis_path(
    spatial, kernel, stride, padding, dilation, ceil_mode
) -> None:
    # pool_windows takes a short cut when every parameter is one int; one-entry lists (the
    # same pool) take the general per-axis path: the same windows, or the same refusal.
    def windows(wrap: Any) -> Any:
        p = MaxPoolParams(
            kernel_size=wrap(kernel),
            stride=None if stride is None else wrap(stride),
            padding=wrap(padding),
            dilation=wrap(dilation),
            ceil_mode=ceil_mode,
        )
        try:
            return pool_windows(p, spatial)
        except RuleError as error:
            return (error.message, error.field, error.hint, error.code)

    fast, general = windows(lambda v: v), windows(lambda v: [v])
    assert fast == general
    assert isinstance(fast[0], str) or len(fast) == spatial


@given(
    kind=st.sampled_from(["maxpool", "avgpool"]),
    kernel=st.integers(1, 5),
    stride=st.integers(1, 3),
    padding=st.integers(0, 2),
    ceil_mode=st.booleans(),
    sizes=st.lists(st.integers(1, 20), min_size=1, max_size=3),
)
def test_pool_refuses_only_empty_outputs(
    kind: str, kernel: int, stride: int, padding: int, ceil_mode: bool, sizes: list[int]
) -> None:
    """maxpool's and avgpool's refuses_only_empty, against their rules over their params
    (avgpool on 3 spatial dims declares nothing: ATen also wants the kernel to fit there)."""
    params = {
        "kernel_size": kernel,
        "stride": stride,
        "padding": min(padding, kernel // 2),
        "ceil_mode": ceil_mode,
    }
    names = ("D", "H", "W")[-len(sizes) :]
    symbolic = (2, *names)
    if not declared_for({kind: params}, symbolic):
        assert kind == "avgpool" and len(sizes) == 3
        return
    check_refuses_only_empty({kind: params}, symbolic, dict(zip(names, sizes, strict=True)))
