"""layernorm against nn.LayerNorm: the trailing dims of each sample, normalized."""

from __future__ import annotations

import pytest
from torch import nn

from tests.primitives.cases import OracleCase
from tests.primitives.oracle import check_agreement, expect_rejection, layer_spec, layers_spec

ORACLE_CASES = {
    "layernorm": [
        OracleCase("layernorm", (3, 4, 5), None, lambda: nn.LayerNorm([3, 4, 5])),
        OracleCase({"layernorm": {"dims": 1}}, (3, 4, 5), (3, "H", 5), lambda: nn.LayerNorm(5)),
    ]
}


@pytest.mark.parametrize("dims", [(6,), (3, 7), (2, 5, 3), (2, 3, 4, 5)])
@pytest.mark.parametrize("count", [None, 1, 2])
@pytest.mark.parametrize("affine", [(True, True), (True, False), (False, True)])
def test_layernorm(dims: tuple[int, ...], count: int | None, affine: tuple[bool, bool]) -> None:
    if count is not None and count > len(dims):
        return
    params = {"elementwise_affine": affine[0], "bias": affine[1]}
    if count is not None:
        params["dims"] = count
    normalized = list(dims[len(dims) - (count or len(dims)) :])
    graph = check_agreement(
        layer_spec({"layernorm": params}, dims),
        dims,
        lambda: nn.LayerNorm(normalized, elementwise_affine=affine[0], bias=affine[1]),
    )
    assert graph is not None and tuple(graph.output.dims) == dims


def test_layernorm_over_a_symbolic_dim_is_refused_with_a_hint() -> None:
    expect_rejection(layers_spec(["layernorm"], (3, "H", "W")), numbers=["H"], code="E303")


def test_layernorm_over_more_dims_than_the_input_has() -> None:
    expect_rejection(
        layers_spec([{"layernorm": {"dims": 3}}], (4, 5)), numbers=[3], field="dims", code="E305"
    )
