"""select against x.select / x.narrow: one token (ViT's class token) or a slice."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from tests.primitives.cases import OracleCase
from tests.primitives.oracle import (
    check_against_torch,
    check_agreement,
    check_symbolic,
    compile_spec,
    expect_rejection,
    layer_spec,
    layers_spec,
)


class Index(nn.Module):
    def __init__(self, dim: int, index: int) -> None:
        super().__init__()
        self.dim, self.index = dim, index

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x[(slice(None),) * self.dim + (self.index,)]


class Slice(nn.Module):
    def __init__(self, dim: int, start: int, end: int | None) -> None:
        super().__init__()
        self.dim, self.start, self.end = dim, start, end

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        size = x.shape[self.dim]
        if (self.end is not None and self.end > size) or self.start >= size:
            raise IndexError("archspec refuses a slice past the end, which torch would shorten or empty")
        return x[(slice(None),) * self.dim + (slice(self.start, self.end),)]


ORACLE_CASES = {
    "select": [
        OracleCase({"select": {"index": 0}}, (5, 4), ("L", 4), lambda: Index(1, 0)),
        OracleCase({"select": {"start": 1}}, (5, 4), ("L", 4), lambda: Slice(1, 1, None)),
        OracleCase({"select": {"dim": 2, "start": 1, "end": 3}}, (5, 4), ("L", 4), lambda: Slice(2, 1, 3)),
    ]
}


@pytest.mark.parametrize("index", [0, 1, 4, 5, -1, -5, -6])
@pytest.mark.parametrize("dim", [1, 2, -1])
def test_index(index: int, dim: int) -> None:
    layer = {"select": {"dim": dim, "index": index}}
    graph = check_agreement(
        layer_spec(layer, (5, 4)),
        (5, 4),
        lambda: Index(dim % 3, index),
        numbers=[index],
        field="index",
        code=None,
    )
    if graph is not None:
        assert graph.output.rank == 1


@pytest.mark.parametrize(("start", "end"), [(0, 1), (1, None), (2, 5), (3, 6), (5, None)])
def test_slice(start: int, end: int | None) -> None:
    params = {"start": start} if end is None else {"start": start, "end": end}
    graph = check_agreement(layer_spec({"select": params}, (5, 4)), (5, 4), lambda: Slice(1, start, end))
    if graph is not None:
        assert tuple(graph.output.dims) == ((end or 5) - start, 4)


def test_an_index_past_the_tokens_is_located_with_the_range() -> None:
    diagnostic = expect_rejection(
        layer_spec({"select": {"index": 7}}, (5, 4)), numbers=[7, 5], field="index", code="E309"
    )
    assert diagnostic.hint == "use an index from 0 to 4"


def test_the_batch_is_never_selected() -> None:
    expect_rejection(layer_spec({"select": {"dim": 0, "index": 0}}, (5, 4)), field="dim", code="E305")


def test_on_a_symbolic_length_the_valid_sizes_start_past_the_index() -> None:
    graph = check_symbolic(layer_spec({"select": {"index": 3}}, ("L", 4)), ("L", 4), sizes=(4, 9))
    assert graph.min_sizes == {"L": 4}
    graph = compile_spec(layer_spec({"select": {"start": 2, "end": 6}}, ("L", 4)))
    assert graph.min_sizes == {"L": 6} and tuple(graph.output.dims) == (4, 4)
    graph = compile_spec(layer_spec({"select": {"start": 2}}, ("L", 4)))
    assert graph.min_sizes == {"L": 3} and str(graph.output.dims[0]) == "L - 2"


def test_the_class_token_of_tokens() -> None:
    graph, _ = check_against_torch(
        layers_spec([{"select": {"index": 0}}, {"linear": {"out_features": 3}}], (5, 4))
    )
    assert tuple(graph.output.dims) == (3,)


@pytest.mark.parametrize("params", [{}, {"index": 0, "start": 1}, {"start": 3, "end": 3}])
def test_index_or_slice_is_a_value_error(params: dict) -> None:
    expect_rejection(layer_spec({"select": params}, (5, 4)), code="E200")
