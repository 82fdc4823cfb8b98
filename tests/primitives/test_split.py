"""split and chunk: parts of a tensor, read by name, against torch.split and torch.chunk."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import archspec
from archspec.primitives.split import chunk_sizes
from tests.primitives.cases import OracleCase
from tests.primitives.oracle import check_against_torch, check_same_function, expect_rejection, layers_spec


def _parts(kind: str, params: dict, reads: list[str]) -> dict:
    """The layer in a group that splits its input and concatenates the parts it reads."""
    return {
        "sequential": {
            "name": "g",
            "layers": [{kind: {"name": "parts", **params}}, {"concat": {"from": reads}}],
        }
    }


ORACLE_CASES = {
    "split": [
        OracleCase(_parts("split", {"sizes": [1, 2]}, ["parts.1", "parts.0"]), (3, 5, 4), (3, "H", "W")),
    ],
    "chunk": [
        OracleCase(
            _parts("chunk", {"chunks": 2}, ["parts.1", "parts.0", "parts.1"]), (5, 4, 3), (5, "H", "W")
        ),
    ],
}


class Swap(nn.Module):
    """torchvision's ShuffleNet unit, stride 1, with a 1x1 conv as its branch."""

    def __init__(self) -> None:
        super().__init__()
        self.branch2 = nn.Conv2d(4, 4, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x1, x2 = x.chunk(2, dim=1)
        return nn.functional.channel_shuffle(torch.cat((x1, self.branch2(x2)), dim=1), 2)


def test_a_shufflenet_unit_computes_what_torchvision_s_does() -> None:
    text = layers_spec(
        [
            {"chunk": {"name": "halves", "chunks": 2}},
            {"conv": {"name": "branch2", "from": "halves.1", "out_channels": 4, "kernel_size": 1}},
            {"concat": {"from": ["halves.0", "branch2"]}},
            {"channel_shuffle": {"groups": 2}},
        ],
        (8, 6, 5),
    )
    check_against_torch(text, (8, 6, 5))
    check_same_function(archspec.build(archspec.loads(text)), Swap(), (8, 6, 5))


@pytest.mark.parametrize(("size", "chunks"), [(5, 4), (6, 4), (7, 3), (1, 3), (8, 8), (9, 2), (2, 5)])
def test_chunk_sizes_are_torch_s(size: int, chunks: int) -> None:
    assert chunk_sizes(size, chunks) == [t.shape[0] for t in torch.chunk(torch.zeros(size), chunks)]


def test_split_on_another_dim_and_negative_dims() -> None:
    for dim in (2, -1):
        text = layers_spec(
            [
                {"split": {"name": "p", "sizes": [2, 3] if dim == 2 else [1, 3], "dim": dim}},
                {"add": {"from": ["p.0", "p.0"]}},
            ],
            (3, 5, 4),
        )
        assert archspec.compile(archspec.loads(text)).roots[0].named_outputs is not None


def test_sizes_that_do_not_sum_to_the_dim_are_refused_with_both_numbers() -> None:
    expect_rejection(
        layers_spec(
            [{"split": {"name": "p", "sizes": [2, 2]}}, {"add": {"from": ["p.0", "p.1"]}}], (5, 4, 4)
        ),
        numbers=(4, 5),
        field="sizes",
    )


def test_the_batch_and_dims_out_of_range_cannot_be_split() -> None:
    for dim in (0, 4, -5):
        expect_rejection(
            layers_spec(
                [{"chunk": {"name": "p", "chunks": 2, "dim": dim}}, {"add": {"from": ["p.0", "p.1"]}}],
                (4, 4, 4),
            ),
            code="E305",
        )


def test_a_symbolic_size_cannot_be_split() -> None:
    expect_rejection(
        layers_spec(
            [{"chunk": {"name": "p", "chunks": 2, "dim": 2}}, {"add": {"from": ["p.0", "p.1"]}}], (4, 8, 8)
        ),
        (4, "H", 8),
        code="E303",
    )


def test_reading_a_part_that_chunk_does_not_make_is_refused() -> None:
    """torch.chunk makes fewer parts where the size runs out: 5 in 4 chunks is 2, 2, 1."""
    found = expect_rejection(
        layers_spec([{"chunk": {"name": "p", "chunks": 4}}, {"concat": {"from": ["p.0", "p.3"]}}], (5, 4, 4)),
        code="E210",
    )
    assert "'p' has no output '3'" in found.message


def test_reading_the_split_itself_is_refused() -> None:
    found = expect_rejection(
        layers_spec([{"chunk": {"name": "p", "chunks": 2}}, "relu"], (4, 4, 4)), code="E210"
    )
    assert "'p' makes 2 tensors of its own" in found.message
