"""permute against x.permute(dims) (torchvision's ops.Permute): the batch stays first."""

from __future__ import annotations

import itertools

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
    torch_raises,
)
from tests.primitives.portable import check_portable


class TorchPermute(nn.Module):
    """torchvision's ops.Permute, as its users write it: ``torch.permute(x, dims)``."""

    def __init__(self, dims: list[int]) -> None:
        super().__init__()
        self.dims = dims

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.permute(x, self.dims)


# The first case keeps the channels first on the symbolic input: compile -o cannot yet write
# a block whose output channels are a symbol (channels last on [3, H, W] gives [W, ...]).
ORACLE_CASES = {
    "permute": [
        OracleCase(
            {"permute": {"dims": [0, 1, 3, 2]}}, (3, 4, 5), (3, "H", "W"), lambda: TorchPermute([0, 1, 3, 2])
        ),
        OracleCase({"permute": {"dims": [0, 2, 3, 1]}}, (3, 4, 5), None, lambda: TorchPermute([0, 2, 3, 1])),
        OracleCase({"permute": {"dims": [0, -1, 1]}}, (3, 4), None, lambda: TorchPermute([0, -1, 1])),
    ]
}


def _permutations(n: int) -> list[list[int]]:
    """Every order of n dims that keeps the batch first, written with and without negatives."""
    found = []
    for rest in itertools.permutations(range(1, n)):
        dims = [0, *rest]
        found += [dims, [d - n if i % 2 else d for i, d in enumerate(dims)]]
    return found


@pytest.mark.parametrize(
    ("sample", "dims"),
    [((3, 4, 5)[: n - 1], dims) for n in (2, 3, 4) for dims in _permutations(n)]
    + [((2, 3, 4, 5), dims) for dims in _permutations(5)[::7]],
)
def test_permute(sample: tuple[int, ...], dims: list[int]) -> None:
    spec = layer_spec({"permute": {"dims": dims}}, sample)
    graph = check_agreement(spec, sample, lambda: TorchPermute(dims))
    assert graph is not None
    x = torch.randn(2, *sample)
    assert tuple(graph.output.dims) == tuple(x.permute(dims).shape[1:])
    _, module = check_against_torch(spec)
    assert torch.equal(module(x), x.permute(dims))


def test_convnext_channels_last_and_back() -> None:
    """ConvNeXt's block: a depthwise conv, channels last for the norm and the linears, back."""
    layers = [
        {"conv": {"out_channels": 8, "kernel_size": 7, "padding": 3, "groups": 8}},
        {"permute": {"dims": [0, 2, 3, 1]}},
        {"layernorm": {"dims": 1, "eps": 1.0e-6}},
        {"linear": {"out_features": 32}},
        "gelu",
        {"linear": {"out_features": 8}},
        {"permute": {"dims": [0, 3, 1, 2]}},
    ]
    reference = nn.Sequential(
        nn.Conv2d(8, 8, 7, padding=3, groups=8),
        TorchPermute([0, 2, 3, 1]),
        nn.LayerNorm(8, eps=1e-6),
        nn.Linear(8, 32),
        nn.GELU(),
        nn.Linear(32, 8),
        TorchPermute([0, 3, 1, 2]),
    )
    graph = check_agreement(layers_spec(layers, (8, 6, 5)), (8, 6, 5), lambda: reference)
    assert graph is not None and tuple(graph.output.dims) == (8, 6, 5)
    assert str(graph.layers[1].output) == "[N, 6, 5, 8]"
    symbolic = check_symbolic(layers_spec(layers, (8, "H", "W")), (8, "H", "W"), sizes=(1, 4))
    assert str(symbolic.layers[1].output) == "[N, H, W, 8]"


@pytest.mark.parametrize(
    ("dims", "words"),
    [
        ([0, 2, 2, 1], "dim 2 appears twice and dim 3 is missing"),
        ([0, 1, -3, 2], "dim 1 appears twice and dim 3 is missing"),
        ([0, 1, 4, 2], "4 is out of range"),
        ([0, 1, 2, -5], "-5 is out of range"),
        ([1, 0, 2, 3], "keeps the batch first"),
        ([-3, 0, 3, 2], "keeps the batch first"),
    ],
)
def test_not_a_permutation_is_a_located_params_error(dims: list[int], words: str) -> None:
    sample = (3, 4, 5)
    diagnostic = expect_rejection(layer_spec({"permute": {"dims": dims}}, sample), field="dims", code="E200")
    assert words in diagnostic.message
    assert diagnostic.hint and "permutation" in diagnostic.hint
    if "batch" not in words:
        torch_raises(lambda: TorchPermute(dims), sample)  # PyTorch refuses it too


@pytest.mark.parametrize(("sample", "dims"), [((3, 4, 5), [0, 2, 1]), ((3, 4), [0, 2, 3, 1])])
def test_a_permutation_of_another_rank_is_refused(sample: tuple[int, ...], dims: list[int]) -> None:
    diagnostic = expect_rejection(
        layer_spec({"permute": {"dims": dims}}, sample), numbers=(len(dims), len(sample) + 1), field="dims"
    )
    assert diagnostic.code == "E305" and diagnostic.hint
    torch_raises(lambda: TorchPermute(dims), sample)


def test_permute_is_portable() -> None:
    _, module = check_against_torch(layer_spec({"permute": {"dims": [0, 2, 3, 1]}}, (3, 4, 5)))
    check_portable(module, torch.randn(2, 3, 4, 5))
