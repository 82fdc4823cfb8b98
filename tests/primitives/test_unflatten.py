"""unflatten against nn.Unflatten: one dim split into sizes, one of which may be -1."""

from __future__ import annotations

import math
from typing import Any

import pytest
import torch
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
    "unflatten": [
        OracleCase(
            {"unflatten": {"dim": 1, "unflattened_size": [2, -1]}},
            (6, 4, 5),
            (6, "H", "W"),
            lambda: nn.Unflatten(1, (2, -1)),
        ),
        OracleCase(
            {"unflatten": {"dim": -1, "unflattened_size": [4, 3]}},
            (2, 12),
            None,
            lambda: nn.Unflatten(-1, (4, 3)),
        ),
    ]
}


@pytest.mark.parametrize("dims", [(12,), (6, 4), (2, 12, 3)])
@pytest.mark.parametrize("dim", [-4, -3, -2, -1, 1, 2, 3, 4])
@pytest.mark.parametrize("sizes", [[2, 6], [3, -1], [-1, 4], [12], [1, 12, 1], [5, -1], [2, 3], [2, 2, -1]])
def test_unflatten(dims: tuple[int, ...], dim: int, sizes: list[int]) -> None:
    spec = layer_spec({"unflatten": {"dim": dim, "unflattened_size": sizes}}, dims)
    rank = len(dims) + 1
    if -rank <= dim < rank and dim % rank == 0:
        # The batch: PyTorch would split it; archspec keeps it first.
        expect_rejection(spec, numbers=(dim,), field="dim", code="E305")
        return
    graph = check_agreement(spec, dims, lambda: nn.Unflatten(dim, tuple(sizes)))
    if graph is not None:
        axis = dim % rank - 1
        assert math.prod(graph.output.dims) == math.prod(dims)
        assert tuple(graph.output.dims) == tuple(torch.zeros(1, *dims).unflatten(dim, sizes).shape[1:])
        assert graph.output.dims[axis : axis + len(sizes)] == tuple(
            dims[axis] // -math.prod(sizes) if s == -1 else s for s in sizes
        )


@pytest.mark.parametrize(
    ("sizes", "numbers"),
    [([5, -1], (5, 12)), ([3, 5], (15, 12)), ([24, -1], (24, 12))],
)
def test_unflatten_sizes_that_do_not_fit_are_refused(sizes: list[int], numbers: tuple[int, ...]) -> None:
    dims = (12, 3)
    expect_rejection(
        layer_spec({"unflatten": {"dim": 1, "unflattened_size": sizes}}, dims),
        numbers=numbers,
        field="unflattened_size",
        code="E300",
    )
    torch_raises(lambda: nn.Unflatten(1, tuple(sizes)), dims)


@pytest.mark.parametrize(
    ("sizes", "words"),
    [([2, -1, -1], "only one size"), ([0, 12], "0"), ([3, -2], "-2"), ([], "at least 1")],
)
def test_unflatten_bad_sizes_are_value_errors(sizes: list[int], words: str) -> None:
    dims = (12, 3)
    diagnostic = expect_rejection(
        layer_spec({"unflatten": {"dim": 1, "unflattened_size": sizes}}, dims),
        field=None if -2 in sizes else "unflattened_size",  # -2: the entry itself is pointed at
        code="E200",
    )
    assert words in diagnostic.message
    torch_raises(lambda: nn.Unflatten(1, tuple(sizes)), dims)


def test_unflatten_symbolic() -> None:
    # A symbolic size splits where the other sizes divide it for every input size:
    # after an upsample by 2, 2*W splits into [2, W]; W itself does not.
    layers: list[Any] = [
        {"upsample": {"scale_factor": 2}},
        {"unflatten": {"dim": -1, "unflattened_size": [2, -1]}},
    ]
    graph = check_symbolic(layers_spec(layers, (3, "H", "W")), (3, "H", "W"), sizes=(1, 4))
    assert str(graph.output) == "[N, 3, 2*H, 2, W]"
    graph = check_symbolic(
        layer_spec({"unflatten": {"dim": 1, "unflattened_size": [3, 1, -1]}}, (6, "L")),
        (6, "L"),
        sizes=(1, 5),
    )
    assert str(graph.output) == "[N, 3, 1, 2, L]"


@pytest.mark.parametrize(
    "layer",
    [
        {"unflatten": {"dim": -1, "unflattened_size": [2, -1]}},  # W is even for some sizes only
        {"unflatten": {"dim": 2, "unflattened_size": [4, 2]}},  # H is 8 for one size only
    ],
)
def test_unflatten_of_a_symbolic_size_is_refused_where_it_fits_for_some_sizes(layer: Any) -> None:
    diagnostic = expect_rejection(layer_spec(layer, (3, "H", "W")), field="unflattened_size", code="E303")
    assert diagnostic.hint
