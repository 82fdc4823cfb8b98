"""roll against torch.roll: Swin's cyclic shift of a window grid."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from tests.primitives.cases import OracleCase
from tests.primitives.oracle import (
    check_against_torch,
    check_agreement,
    check_same_function,
    compile_spec,
    expect_rejection,
    layer_spec,
)


class TorchRoll(nn.Module):
    def __init__(self, shifts: int | list[int], dims: int | list[int]) -> None:
        super().__init__()
        self.shifts, self.dims = shifts, dims

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.roll(x, self.shifts, self.dims)


ORACLE_CASES = {
    "roll": [
        OracleCase(
            {"roll": {"shifts": [-3, -3], "dims": [1, 2]}},
            (7, 7, 4),
            ("H", "W", 4),
            lambda: TorchRoll([-3, -3], [1, 2]),
        ),
        OracleCase({"roll": {"shifts": 2, "dims": -1}}, (3, 5), (3, "L"), lambda: TorchRoll(2, -1)),
    ]
}


@pytest.mark.parametrize(("shifts", "dims"), [(1, 1), (-2, 2), ([3, -1], [1, 3]), (9, -1), ([1, 1], [2, 2])])
def test_roll_is_torchs(shifts: int | list[int], dims: int | list[int]) -> None:
    spec = layer_spec({"roll": {"shifts": shifts, "dims": dims}}, (4, 5, 6))
    graph = check_agreement(spec, (4, 5, 6), lambda: TorchRoll(shifts, dims))
    assert graph is not None and tuple(graph.output.dims) == (4, 5, 6)
    _, module = check_against_torch(spec)
    check_same_function(module, TorchRoll(shifts, dims), (4, 5, 6))


def test_the_batch_is_never_rolled() -> None:
    expect_rejection(layer_spec({"roll": {"shifts": 1, "dims": 0}}, (4, 5)), field="dims", code="E305")


def test_one_shift_per_dim() -> None:
    expect_rejection(layer_spec({"roll": {"shifts": [1, 2], "dims": 1}}, (4, 5)), code="E200")


def test_symbolic_sizes_are_kept() -> None:
    graph = compile_spec(layer_spec({"roll": {"shifts": [-3, -3], "dims": [1, 2]}}, ("H", "W", 4)))
    assert [str(d) for d in graph.output.dims] == ["H", "W", "4"]
