"""expect_size: the input's spatial sizes required, as torchvision's ViT asserts its image size."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import archspec
from tests.primitives.cases import OracleCase
from tests.primitives.oracle import (
    check_against_torch,
    compile_spec,
    expect_rejection,
    layer_spec,
    layers_spec,
)


class ImageSize(nn.Module):
    """torchvision's VisionTransformer._process_input, its assertions."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        torch._assert(x.shape[2] == self.size, "Wrong image height!")
        torch._assert(x.shape[3] == self.size, "Wrong image width!")
        return x


ORACLE_CASES = {
    "expect_size": [
        OracleCase({"expect_size": {"size": 6}}, (3, 6, 6), (3, "H", "W"), lambda: ImageSize(6)),
        OracleCase({"expect_size": {"size": [5, 4]}}, (2, 5, 4), (2, "H", "W")),
    ]
}


def test_the_expected_sizes_pass_through() -> None:
    graph, module = check_against_torch(layer_spec({"expect_size": {"size": [5, 4]}}, (2, 5, 4)))
    assert tuple(graph.output.dims) == (2, 5, 4)
    x = torch.randn(1, 2, 5, 4)
    assert module(x) is x


@pytest.mark.parametrize("dims", [(3, 5, 6), (3, 6, 7)])
def test_another_size_is_refused_here_and_by_torch(dims: tuple[int, ...]) -> None:
    spec = layer_spec({"expect_size": {"size": 6}}, dims)
    wrong = 5 if dims[1] == 5 else 7
    diagnostic = expect_rejection(spec, numbers=[6, wrong], field="size", code="E311")
    assert diagnostic.hint is not None
    assert diagnostic.hint.endswith("the input sizes that work, for 3xHxW: H = 6; W = 6")
    built = archspec.build(compile_spec(layer_spec({"expect_size": {"size": 6}}, (3, 6, 6))))
    for module in (built, ImageSize(6)):
        with pytest.raises(AssertionError):
            module(torch.zeros(1, *dims))


def test_the_valid_sizes_are_exactly_the_expected_ones() -> None:
    layers = [{"expect_size": {"size": 32}}, {"conv": {"out_channels": 4, "kernel_size": 16, "stride": 16}}]
    graph = compile_spec(layers_spec(layers, (3, "H", "W")))
    assert {name: str(sizes) for name, sizes in graph.valid_sizes.items()} == {"H": "H = 32", "W": "W = 32"}
    assert tuple(graph.output.dims) == (4, 2, 2)  # the layers after it see ints


def test_one_size_per_axis() -> None:
    expect_rejection(layer_spec({"expect_size": {"size": [5, 4, 3]}}, (2, 5, 4)), field="size")
