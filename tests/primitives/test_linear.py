"""linear against nn.Linear: on [C] and on the last dim of [C, H, W]."""

from __future__ import annotations

from typing import Any

import pytest
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
    "linear": [
        OracleCase({"linear": {"out_features": 5}}, (7,), None, lambda: nn.Linear(7, 5)),
        OracleCase(
            {"linear": {"out_features": 2, "bias": False}}, (3, 4), None, lambda: nn.Linear(4, 2, bias=False)
        ),
        OracleCase({"linear": {"out_features": 3}}, (2, 5, 4), (2, "H", 4), lambda: nn.Linear(4, 3)),
    ]
}


@pytest.mark.parametrize("dims", [(1,), (7,), (64,), (3, 5), (3, 4, 6), (2, 3, 4, 5)])
@pytest.mark.parametrize("out_features", [1, 10])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("given_in_features", [False, True])
def test_linear(dims: tuple[int, ...], out_features: int, bias: bool, given_in_features: bool) -> None:
    params: dict[str, Any] = {"out_features": out_features, "bias": bias}
    if given_in_features:
        params["in_features"] = dims[-1]
    graph = check_agreement(
        layer_spec({"linear": params}, dims), dims, lambda: nn.Linear(dims[-1], out_features, bias=bias)
    )
    assert graph is not None
    assert tuple(graph.output.dims) == (*dims[:-1], out_features)  # acts on the last dim
    assert graph.num_params == dims[-1] * out_features + (out_features if bias else 0)


@pytest.mark.parametrize(("dims", "given"), [((7,), 8), ((3, 4, 6), 4), ((3, 4, 6), 72)])
def test_linear_rejects_wrong_in_features(dims: tuple[int, ...], given: int) -> None:
    expect_rejection(
        layer_spec({"linear": {"out_features": 3, "in_features": given}}, dims),
        numbers=(given, dims[-1]),
        path="0",
        field="in_features",
        code="E302",
    )
    torch_raises(lambda: nn.Linear(given, 3), dims)


def test_linear_on_symbolic_leading_dims() -> None:
    # Only the last dim must be concrete: [C, H, 5] -> [C, H, 3].
    input = (2, "H", 5)
    graph = check_symbolic(layer_spec({"linear": {"out_features": 3}}, input), input, sizes=(1, 4))
    assert graph.min_sizes == {"H": 1}


@pytest.mark.parametrize(
    ("input", "layers"),
    [
        ((2, "L"), [{"linear": {"out_features": 3}}]),
        ((2, "H", "W"), ["flatten", {"linear": {"out_features": 3}}]),
    ],
)
def test_linear_refuses_symbolic_features(input: tuple[Any, ...], layers: list[Any]) -> None:
    diagnostic = expect_rejection(layers_spec(layers, input), code="E303")
    assert "global_avgpool" in (diagnostic.hint or "")
