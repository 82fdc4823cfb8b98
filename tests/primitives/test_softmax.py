"""softmax, log_softmax against nn.Softmax, nn.LogSoftmax: shape in = shape out; ``dim`` as
PyTorch counts it, with the batch, and refused where PyTorch refuses it.

PyTorch refuses a dim out of range with an IndexError, which the oracle's
``check_agreement`` does not catch (it expects RuntimeError or ValueError), so
the refused dims are checked here, with the exception PyTorch raises.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import pytest
import torch
from torch import nn

from archspec.codes import E305
from archspec.primitives.registry import primitives
from tests.primitives.cases import OracleCase
from tests.primitives.oracle import (
    check_against_torch,
    check_agreement,
    check_symbolic,
    expect_rejection,
    layer_spec,
    layers_spec,
    run_module,
)

ORACLE_CASES = {
    "softmax": [OracleCase({"softmax": {"dim": 1}}, (3, 5, 4), (3, "H", "W"), lambda: nn.Softmax(dim=1))],
    "log_softmax": [
        OracleCase({"log_softmax": {"dim": -1}}, (3, 5, 4), (3, "H", "W"), lambda: nn.LogSoftmax(dim=-1))
    ],
}

MODULES: dict[str, Callable[..., nn.Module]] = {"softmax": nn.Softmax, "log_softmax": nn.LogSoftmax}
DIMS = [(1,), (5,), (3, 7), (2, 5, 3), (2, 3, 4, 5)]


def pytorch_refuses(make: Callable[[], nn.Module], dims: tuple[int, ...]) -> bool:
    try:
        run_module(make(), dims)
    except IndexError as error:
        assert "Dimension out of range" in str(error)
        return True
    return False


@pytest.mark.parametrize("name", list(MODULES))
@pytest.mark.parametrize("dims", DIMS)
def test_every_dim_agrees_with_torch(name: str, dims: tuple[int, ...]) -> None:
    """Every dim from two below the range to two above: archspec accepts exactly the dims PyTorch runs."""
    rank = len(dims) + 1
    for dim in range(-rank - 2, rank + 2):
        layer = {name: {"dim": dim}}
        make = partial(MODULES[name], dim=dim)
        if pytorch_refuses(make, dims):
            expect_rejection(layer_spec(layer, dims), dims, numbers=[dim], field="dim", code=E305)
            continue
        graph = check_agreement(layer_spec(layer, dims), dims, make)
        assert graph is not None, (name, dims, dim)
        assert tuple(graph.output.dims) == dims
        assert graph.num_params == 0
        _, module = check_against_torch(layer_spec(layer, dims))
        assert repr(module[0]) == repr(make())
        assert torch.equal(run_module(module, dims), run_module(make(), dims))


@pytest.mark.parametrize("name", list(MODULES))
def test_sums_to_one_over_dim(name: str) -> None:
    dims = (3, 4, 5)
    _, module = check_against_torch(layer_spec({name: {"dim": 1}}, dims))
    y = run_module(module, dims)
    total = y.sum(dim=1) if name == "softmax" else y.exp().sum(dim=1)
    assert torch.allclose(total, torch.ones_like(total))


@pytest.mark.parametrize(
    ("dim", "dims", "rank"), [(2, (8,), 2), (-3, (8,), 2), (4, (3, 4, 5), 4), (-5, (3, 4, 5), 4)]
)
def test_dim_out_of_range_is_refused(dim: int, dims: tuple[int, ...], rank: int) -> None:
    """A located error at dim's value that names the dim, the rank and the range; PyTorch refuses it too."""
    for name, cls in MODULES.items():
        diagnostic = expect_rejection(
            layer_spec({name: {"dim": dim}}, dims),
            numbers=[dim, rank, -rank, rank - 1],
            field="dim",
            code=E305,
        )
        assert diagnostic.hint is not None and f"from {-rank} to {rank - 1}" in diagnostic.hint
        with pytest.raises(IndexError, match="Dimension out of range"):
            run_module(cls(dim=dim), dims)


def test_dim_out_of_range_after_flatten() -> None:
    """The rank is the tensor's where the layer runs: after flatten, dim 2 is out of range."""
    layers = ["flatten", {"softmax": {"dim": 2}}]
    expect_rejection(layers_spec(layers, (3, 4, 4)), numbers=[2], path="1", field="dim", code=E305)
    check_against_torch(layers_spec(["flatten", {"softmax": {"dim": 1}}], (3, 4, 4)))


def test_dim_is_required() -> None:
    expect_rejection(layer_spec("softmax", (3, 4)), numbers=["dim"], code="E202")


@pytest.mark.parametrize("name", list(MODULES))
@pytest.mark.parametrize("dim", [1, -1, 3])
def test_symbolic(name: str, dim: int) -> None:
    layers = [{"conv": {"out_channels": 4, "kernel_size": 3}}, {name: {"dim": dim}}]
    graph = check_symbolic(layers_spec(layers, (3, "H", "W")), (3, "H", "W"), sizes=(3, 6))
    assert graph.output.dims[0] == 4


def test_label() -> None:
    graph, _ = check_against_torch(layer_spec({"log_softmax": {"dim": -1}}, (3, 4)))
    (only,) = graph.layers
    assert primitives()["log_softmax"].describe(only.params, only.input) == "log_softmax dim -1"
