"""reshape against x.reshape(N, *shape): archspec's own Reshape, one size may be -1."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from tests.primitives.cases import OracleCase
from tests.primitives.oracle import (
    check_against_torch,
    check_agreement,
    check_symbolic,
    expect_rejection,
    layer_spec,
    layers_spec,
)
from tests.primitives.portable import check_portable


class TorchReshape(nn.Module):
    """What PyTorch users write by hand: ``x.reshape(x.shape[0], *shape)``."""

    def __init__(self, shape: list[int]) -> None:
        super().__init__()
        self.shape = shape

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.reshape(x.shape[0], *self.shape)


ORACLE_CASES = {
    "reshape": [
        OracleCase({"reshape": {"shape": [3, -1]}}, (3, 4, 5), (3, "H", "W"), lambda: TorchReshape([3, -1])),
        OracleCase({"reshape": {"shape": [5, 2, 6]}}, (3, 4, 5), None, lambda: TorchReshape([5, 2, 6])),
    ]
}


@pytest.mark.parametrize("dims", [(12,), (3, 4), (2, 3, 2), (1, 2, 3, 2)])
@pytest.mark.parametrize(
    "shape", [[12], [-1], [2, 6], [4, -1], [-1, 3, 1], [5, -1], [2, 2, 2], [1, 1, 12, 1]]
)
def test_reshape(dims: tuple[int, ...], shape: list[int]) -> None:
    spec = layer_spec({"reshape": {"shape": shape}}, dims)
    graph = check_agreement(spec, dims, lambda: TorchReshape(shape), numbers=(12,) if -1 not in shape else ())
    if graph is not None:
        assert math.prod(graph.output.dims) == 12
        assert tuple(graph.output.dims) == tuple(torch.zeros(1, *dims).reshape(1, *shape).shape[1:])
        _, module = check_against_torch(spec)
        x = torch.randn(2, *dims)
        assert torch.equal(module(x), x.reshape(2, *shape))


def test_reshape_symbolic() -> None:
    graph = check_symbolic(
        layer_spec({"reshape": {"shape": [3, -1]}}, (3, "H", "W")), (3, "H", "W"), sizes=(1, 4)
    )
    assert str(graph.output) == "[N, 3, H*W]"
    layers = [{"upsample": {"scale_factor": 2}}, {"reshape": {"shape": [4, -1, 3]}}]
    graph = check_symbolic(layers_spec(layers, (6, "L")), (6, "L"), sizes=(1, 3))
    assert str(graph.output) == "[N, 4, L, 3]"


@pytest.mark.parametrize(
    ("input", "shape"),
    [((3, "H", "W"), [2, -1]), ((3, "H", "W"), [3, 4, 5]), ((2, "L"), [-1, 4])],
)
def test_reshape_of_a_symbolic_input_is_refused_where_it_fits_for_some_sizes(
    input: tuple[int | str, ...], shape: list[int]
) -> None:
    diagnostic = expect_rejection(
        layer_spec({"reshape": {"shape": shape}}, input), field="shape", code="E303"
    )
    assert diagnostic.hint


def test_reshape_bad_shapes_are_value_errors() -> None:
    for shape, words in (([-1, -1], "only one"), ([0, 4], "0")):
        diagnostic = expect_rejection(
            layer_spec({"reshape": {"shape": shape}}, (4,)), field="shape", code="E200"
        )
        assert words in diagnostic.message


def test_reshape_is_portable() -> None:
    """The own class scripts (its list sum is what TorchScript can size), compiles and exports."""
    _, module = check_against_torch(layer_spec({"reshape": {"shape": [-1, 2]}}, (3, 4)))
    check_portable(module, torch.randn(2, 3, 4))
