"""upsample against nn.Upsample: int scale factors and sizes, the modes per rank, rejections, symbols."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from torch import nn

from archspec.primitives.registry import primitives
from archspec.primitives.upsample import UpsampleParams
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
    "upsample": [
        OracleCase(
            {"upsample": {"scale_factor": 2, "mode": "bilinear"}},
            (3, 5, 4),
            (3, "H", "W"),
            lambda: nn.Upsample(scale_factor=2, mode="bilinear"),
        ),
        OracleCase({"upsample": {"scale_factor": 3}}, (2, 4), (2, "L"), lambda: nn.Upsample(scale_factor=3)),
        OracleCase(
            {"upsample": {"size": [4, 6, 5], "mode": "trilinear", "align_corners": True}},
            (2, 2, 3, 2),
            (2, "D", "H", "W"),
            lambda: nn.Upsample(size=(4, 6, 5), mode="trilinear", align_corners=True),
        ),
    ]
}

MODES = ["nearest", "linear", "bilinear", "bicubic", "trilinear"]
RANK_OF = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}


def _size(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(value)
    return value


def torch_upsample(rank: int, params: dict[str, Any]) -> nn.Module:
    """The nn.Upsample PyTorch users write by hand (a one-entry list stands for every axis)."""
    kwargs = {key: _size(params[key]) for key in ("size", "scale_factor", "align_corners") if key in params}
    for key in ("size", "scale_factor"):
        value = kwargs.get(key)
        if isinstance(value, tuple) and len(value) == 1:
            kwargs[key] = value * rank
    return nn.Upsample(mode=params.get("mode", "nearest"), **kwargs)


def _per_axis(value: Any, rank: int) -> list[int]:
    if isinstance(value, int):
        return [value] * rank
    return value * rank if len(value) == 1 else list(value)


def _expected(sizes: tuple[int, ...], params: dict[str, Any]) -> tuple[int, ...]:
    rank = len(sizes)
    if "size" in params:
        return tuple(_per_axis(params["size"], rank))
    scales = _per_axis(params["scale_factor"], rank)
    return tuple(n * s for n, s in zip(sizes, scales, strict=True))


def _refusal(sizes: tuple[int, ...], params: dict[str, Any]) -> tuple[tuple[Any, ...], str | None]:
    mode = params.get("mode", "nearest")
    if mode in RANK_OF and RANK_OF[mode] != len(sizes):
        return (mode, RANK_OF[mode], len(sizes)), "mode"
    if "align_corners" in params and mode == "nearest":
        return ("nearest",), "align_corners"
    return (), None


# Every mode on every rank (refused where it does not fit), scale factors 1..4 and per-axis
# lists, with and without align_corners.
def _fits(sizes: tuple[int, ...], value: Any) -> bool:
    """An int, or a list of one entry or one per axis (other lengths: the rejection test)."""
    return isinstance(value, int) or len(value) in (1, len(sizes))


@pytest.mark.parametrize(
    ("sizes", "mode", "scale", "align"),
    [
        case
        for case in itertools.product(
            [(1,), (5,), (3, 4), (1, 2), (2, 3, 2)],
            MODES,
            [1, 2, 3, 4, [2], [2, 3], [1, 3, 2]],
            [None, True, False],
        )
        if _fits(case[0], case[2])
    ],
)
def test_upsample_scale_factor_grid(sizes: tuple[int, ...], mode: str, scale: Any, align: Any) -> None:
    params: dict[str, Any] = {"scale_factor": scale, "mode": mode}
    if align is not None:
        params["align_corners"] = align
    dims = (3, *sizes)
    numbers, field = _refusal(sizes, params)
    graph = check_agreement(
        layer_spec({"upsample": params}, dims),
        dims,
        lambda: torch_upsample(len(sizes), params),
        numbers=numbers,
        field=field,
    )
    assert (graph is None) == bool(field)
    if graph is not None:
        assert tuple(graph.output.dims) == (3, *_expected(sizes, params))
        assert graph.num_params == 0


@pytest.mark.parametrize(
    ("sizes", "mode", "size"),
    [
        case
        for case in itertools.product([(5,), (3, 4), (2, 3, 2)], MODES, [1, 7, [4], [6, 2], [2, 5, 3]])
        if _fits(case[0], case[2])
    ],
)
def test_upsample_size_grid(sizes: tuple[int, ...], mode: str, size: Any) -> None:
    params = {"size": size, "mode": mode}
    dims = (2, *sizes)
    numbers, field = _refusal(sizes, params)
    graph = check_agreement(
        layer_spec({"upsample": params}, dims),
        dims,
        lambda: torch_upsample(len(sizes), params),
        numbers=numbers,
        field=field,
    )
    if graph is not None:
        assert tuple(graph.output.dims) == (2, *_expected(sizes, params))


def test_upsample_builds_one_module_for_every_rank() -> None:
    for rank in (1, 2, 3):
        _, module = check_against_torch(layer_spec({"upsample": {"scale_factor": 2}}, (2,) * (rank + 1)))
        assert type(module[0]) is nn.Upsample


# Rejections: archspec refuses what PyTorch refuses, and says where and why.


@pytest.mark.parametrize(
    ("sizes", "mode"),
    [
        ((5,), "bilinear"),
        ((5,), "bicubic"),
        ((5,), "trilinear"),
        ((4, 4), "linear"),
        ((4, 4), "trilinear"),
        ((2, 3, 2), "linear"),
        ((2, 3, 2), "bilinear"),
        ((2, 3, 2), "bicubic"),
    ],
)
def test_upsample_rejects_a_mode_for_another_rank(sizes: tuple[int, ...], mode: str) -> None:
    params = {"scale_factor": 2, "mode": mode}
    dims = (3, *sizes)
    expect_rejection(
        layer_spec({"upsample": params}, dims),
        numbers=(mode, RANK_OF[mode], len(sizes)),
        path="0",
        field="mode",
    )
    torch_raises(lambda: torch_upsample(len(sizes), params), dims)


@pytest.mark.parametrize("align", [True, False])
def test_upsample_rejects_align_corners_with_nearest(align: bool) -> None:
    params = {"scale_factor": 2, "align_corners": align}
    expect_rejection(
        layer_spec({"upsample": params}, (3, 4, 4)), numbers=("nearest",), path="0", field="align_corners"
    )
    torch_raises(lambda: torch_upsample(2, params), (3, 4, 4))


def test_upsample_rejects_both_scale_factor_and_size() -> None:
    params = {"scale_factor": 3, "size": 8, "mode": "bilinear"}
    expect_rejection(layer_spec({"upsample": params}, (3, 4, 4)), numbers=(3, 8), path="0", field="size")
    torch_raises(lambda: torch_upsample(2, params), (3, 4, 4))


def test_upsample_rejects_neither_scale_factor_nor_size() -> None:
    params = {"mode": "bilinear"}
    diagnostic = expect_rejection(layer_spec({"upsample": params}, (3, 4, 4)), path="0")
    assert "scale_factor or size" in diagnostic.message
    torch_raises(lambda: torch_upsample(2, params), (3, 4, 4))


@pytest.mark.parametrize(
    ("sizes", "field", "value"),
    [((4, 4), "scale_factor", [2, 2, 2]), ((4,), "size", [3, 3]), ((2, 2, 2), "size", [3, 3])],
)
def test_upsample_rejects_a_list_of_the_wrong_length(sizes: tuple[int, ...], field: str, value: Any) -> None:
    params = {field: value}
    dims = (3, *sizes)
    expect_rejection(
        layer_spec({"upsample": params}, dims), numbers=(len(value), len(sizes)), path="0", field=field
    )
    torch_raises(lambda: torch_upsample(len(sizes), params), dims)


@pytest.mark.parametrize(("field", "value"), [("scale_factor", 0), ("scale_factor", 1.5), ("size", 0)])
def test_upsample_rejects_a_scale_or_size_that_is_not_a_positive_int(field: str, value: Any) -> None:
    expect_rejection(layer_spec({"upsample": {field: value}}, (3, 4, 4)), path="0", field=field, code="E200")


# Symbols: L·scale_factor per axis (or the given size); any size of at least 1 is valid.


@pytest.mark.parametrize(
    ("input", "params"),
    [
        ((2, "L"), {"scale_factor": 2, "mode": "linear"}),
        ((2, "L"), {"scale_factor": 3, "mode": "nearest"}),
        ((2, "H", "W"), {"scale_factor": [2, 3], "mode": "bicubic", "align_corners": True}),
        ((2, "H", "W"), {"size": [5, 3], "mode": "bilinear"}),
        ((2, "D", "H", "W"), {"scale_factor": [1, 2, 3], "mode": "trilinear"}),
        ((2, "D", "H", "W"), {"scale_factor": 2}),
    ],
)
def test_upsample_symbolic(input: tuple[Any, ...], params: dict[str, Any]) -> None:
    rank = len(input) - 1
    graph = check_symbolic(
        layer_spec({"upsample": params}, input),
        input,
        sizes=(1, 2, 5),
        make=lambda: torch_upsample(rank, params),
    )
    assert all(size == 1 for size in graph.min_sizes.values())


def test_upsample_in_a_decoder_restores_a_strided_encoders_size() -> None:
    layers = [
        {"conv": {"out_channels": 8, "kernel_size": 3, "stride": 2, "padding": 1}},
        {"upsample": {"scale_factor": 2, "mode": "bilinear", "align_corners": False}},
        {"conv": {"out_channels": 3, "kernel_size": 3, "padding": 1}},
    ]
    check_symbolic(layers_spec(layers, (3, "H", "W")), (3, "H", "W"), sizes=(2, 4, 7))
    assert tuple(compile_spec(layers_spec(layers, (3, 8, 6))).output.dims) == (3, 8, 6)


@pytest.mark.parametrize(
    ("params", "dims", "text"),
    [
        ({"scale_factor": 2, "mode": "bilinear"}, (3, 4, 4), "upsample ×2 bilinear"),
        ({"scale_factor": [1, 2]}, (3, 4, 4), "upsample ×1×2 nearest"),
        ({"size": 32, "mode": "bicubic"}, (3, 4, 4), "upsample to 32×32 bicubic"),
    ],
)
def test_upsample_label(params: dict[str, Any], dims: tuple[int, ...], text: str) -> None:
    graph = compile_spec(layer_spec({"upsample": params}, dims))
    primitive = primitives()["upsample"]
    assert primitive.describe(UpsampleParams(**params), graph.layers[0].input) == text
