"""dropout against nn.Dropout: shape in = shape out; identity in eval mode."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from tests.primitives.cases import OracleCase
from tests.primitives.oracle import check_against_torch, check_agreement, layer_spec, run_module

ORACLE_CASES = {
    "dropout": [OracleCase({"dropout": {"p": 0.3}}, (3, 5, 4), (3, "H", "W"), lambda: nn.Dropout(0.3))]
}


@pytest.mark.parametrize("dims", [(5,), (3, 7), (2, 5, 3), (2, 3, 4, 5)])
@pytest.mark.parametrize("p", [None, 0.0, 0.3, 1.0])
def test_dropout(dims: tuple[int, ...], p: float | None) -> None:
    layer = "dropout" if p is None else {"dropout": {"p": p}}
    graph = check_agreement(layer_spec(layer, dims), dims, lambda: nn.Dropout(0.5 if p is None else p))
    assert graph is not None
    assert tuple(graph.output.dims) == dims
    assert graph.num_params == 0
    _, module = check_against_torch(layer_spec(layer, dims))
    assert type(module[0]) is nn.Dropout
    assert module[0].p == (0.5 if p is None else p)
    x = torch.randn(2, *dims, generator=torch.Generator().manual_seed(0))
    assert torch.equal(run_module(module, dims), x)  # eval mode: the identity
