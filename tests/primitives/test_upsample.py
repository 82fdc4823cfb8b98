"""upsample against nn.Upsample: int scale factors and sizes, the modes per rank, rejections, symbols."""

from __future__ import annotations

import importlib.util
import itertools
from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn

from archspec.emit.source import emit_source
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


def _skip_layers(upsample: dict[str, Any], pool: int = 2) -> list[dict[str, Any]]:
    """A U-Net step: a skip tensor, pooled by ``pool`` (rounding odd sizes down), a conv,
    the upsample of it read with the skip, and their sum."""
    return [
        {"conv": {"name": "skip", "out_channels": 4, "kernel_size": 3, "padding": 1}},
        {"maxpool": {"kernel_size": pool}},
        {"conv": {"name": "low", "out_channels": 4, "kernel_size": 3, "padding": 1}},
        {"upsample": {"name": "up", "from": ["low", "skip"], **upsample}},
        {"add": {"from": ["up", "skip"]}},
    ]


class SkipStep(nn.Module):
    """The same step by hand: F.interpolate to the skip's size, as U-Nets and FPNs write it."""

    def __init__(self, mode: str, align_corners: bool | None) -> None:
        super().__init__()
        self.skip = nn.Conv2d(3, 4, 3, padding=1)
        self.pool = nn.MaxPool2d(2)
        self.low = nn.Conv2d(4, 4, 3, padding=1)
        self.mode, self.align_corners = mode, align_corners

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skip = self.skip(x)
        low = self.low(self.pool(skip))
        size = skip.shape[2:]
        return (
            nn.functional.interpolate(low, size=size, mode=self.mode, align_corners=self.align_corners) + skip
        )


@pytest.mark.parametrize(("mode", "align"), [("nearest", None), ("bilinear", False), ("bicubic", True)])
@pytest.mark.parametrize("sizes", [(17, 23), (8, 8), (2, 3)])
def test_upsample_to_the_size_of_a_tensor_it_reads(
    mode: str, align: bool | None, sizes: tuple[int, int], tmp_path: Path
) -> None:
    """``from: [low, skip]`` upsamples low to skip's size, odd sizes included, where a
    scale factor of 2 would miss by one; built and written out (compile -o) alike."""
    params = {"mode": mode} | ({"align_corners": align} if align is not None else {})
    spec = layers_spec(_skip_layers(params), (3, *sizes))
    graph, built = check_against_torch(spec)
    assert tuple(graph.output.dims) == (4, *sizes)
    reference = SkipStep(mode, align)
    reference.load_state_dict({k.replace("1.", "pool."): v for k, v in built.state_dict().items()})
    x = torch.randn(2, 3, *sizes)
    with torch.no_grad():
        assert torch.equal(built(x), reference(x))
    source = emit_source(graph)
    assert "size=skip.shape[2:]" in source
    path = tmp_path / "emitted_skip.py"
    path.write_text(source)
    loaded = importlib.util.spec_from_file_location(path.stem, path)
    assert loaded is not None and loaded.loader is not None
    module = importlib.util.module_from_spec(loaded)
    loaded.loader.exec_module(module)
    emitted = module.Oracle()
    emitted.load_state_dict(built.state_dict())
    with torch.no_grad():
        assert torch.equal(emitted(x), built(x))


def test_upsample_to_a_read_size_is_symbolic_with_no_constraint() -> None:
    """On [3, H, W] the output has the skip's very sizes, for every H and W the pooling
    allows (>= 2): no size is lost to the pooling's rounding, so no join constraint."""
    layers = _skip_layers({"mode": "bilinear"})
    graph = check_symbolic(layers_spec(layers, (3, "H", "W")), (3, "H", "W"), sizes=(1, 2, 5))
    assert [str(d) for d in graph.output.dims] == ["4", "H", "W"]
    assert graph.min_sizes == {"H": 2, "W": 2} and not graph.size_constraints
    up = next(layer for layer in graph.layers if layer.name == "up")
    assert primitives()["upsample"].describe(up.params, up.input) == "upsample to the size read bilinear"


@pytest.mark.parametrize(
    ("upsample", "numbers"),
    [
        ({"from": ["low", "skip", "skip"]}, ["3"]),
        ({"from": ["low", "skip"], "size": 8}, []),
        ({"from": ["low", "skip"], "scale_factor": 2}, []),
    ],
    ids=["three tensors", "a size too", "a scale too"],
)
def test_upsample_to_a_read_size_rejects(upsample: dict[str, Any], numbers: list[str]) -> None:
    layers = _skip_layers({})
    layers[3] = {"upsample": {"name": "up", **upsample}}
    diagnostic = expect_rejection(layers_spec(layers, (3, 9, 9)), numbers=numbers, path="up")
    assert diagnostic.hint


def test_upsample_to_a_read_size_needs_the_same_rank() -> None:
    layers = [
        {"conv": {"name": "skip", "out_channels": 4, "kernel_size": 3, "padding": 1}},
        {"flatten": {"name": "flat"}},
        {"upsample": {"from": ["skip", "flat"]}},
    ]
    diagnostic = expect_rejection(layers_spec(layers, (3, 5, 5)), numbers=["100"])
    assert "spatial dims" in diagnostic.message
