"""dropout against nn.Dropout, dropout1d/2d/3d against nn.Dropout1d/2d/3d: shape in = shape out;
the identity in eval mode; in training, the same draws as PyTorch's for the same seed."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from tests.primitives.cases import OracleCase
from tests.primitives.oracle import (
    check_against_torch,
    check_agreement,
    expect_rejection,
    layer_spec,
    run_module,
)

ORACLE_CASES = {
    "dropout": [OracleCase({"dropout": {"p": 0.3}}, (3, 5, 4), (3, "H", "W"), lambda: nn.Dropout(0.3))],
    "dropout1d": [OracleCase({"dropout1d": {"p": 0.2}}, (3, 5), (3, "L"), lambda: nn.Dropout1d(0.2))],
    "dropout2d": [OracleCase("dropout2d", (3, 5, 4), (3, "H", "W"), lambda: nn.Dropout2d())],
    "dropout3d": [
        OracleCase({"dropout3d": {"p": 0.1}}, (2, 3, 5, 4), (2, "D", "H", 4), lambda: nn.Dropout3d(0.1))
    ],
}

CHANNEL_DROPOUT = {1: nn.Dropout1d, 2: nn.Dropout2d, 3: nn.Dropout3d}


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


@pytest.mark.parametrize("spatial", [1, 2, 3])
@pytest.mark.parametrize("p", [None, 0.0, 0.25, 1.0])
def test_channel_dropout(spatial: int, p: float | None) -> None:
    name, cls = f"dropout{spatial}d", CHANNEL_DROPOUT[spatial]
    dims = (3, *(4, 5, 2)[:spatial])
    layer = name if p is None else {name: {"p": p}}
    spec = layer_spec(layer, dims)
    graph = check_agreement(spec, dims, lambda: cls(0.5 if p is None else p))
    assert graph is not None and tuple(graph.output.dims) == dims and graph.num_params == 0
    _, module = check_against_torch(spec)
    assert type(module[0]) is cls and module[0].p == (0.5 if p is None else p)
    x = torch.randn(2, *dims, generator=torch.Generator().manual_seed(0))
    assert torch.equal(run_module(module, dims), x)  # eval mode: the identity
    # Training: whole channels dropped, the very draws of PyTorch's module for a seed.
    module.train()
    reference = cls(0.5 if p is None else p).train()
    torch.manual_seed(5)
    got = module(x)
    torch.manual_seed(5)
    assert torch.equal(got, reference(x))
    kept = got.flatten(2).ne(0).any(-1)
    assert torch.equal(got.flatten(2).ne(0).all(-1), kept)  # a channel is kept or zeroed whole


@pytest.mark.parametrize("spatial", [1, 2, 3])
@pytest.mark.parametrize("rank", [0, 1, 2, 3])
def test_channel_dropout_on_another_rank_is_refused(spatial: int, rank: int) -> None:
    """PyTorch reads another rank as an unbatched input (the batch becomes the channels) or
    warns that it is deprecated; archspec refuses it and names the dropout for the input."""
    if rank == spatial:
        return
    dims = (3, *(4, 5, 2)[:rank])
    diagnostic = expect_rejection(layer_spec(f"dropout{spatial}d", dims), numbers=(rank,), code="E305")
    assert diagnostic.hint == (f"use dropout{rank}d on this input" if rank else "use dropout (elementwise)")
