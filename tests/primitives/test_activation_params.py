"""gelu, leaky_relu, elu against nn.GELU, nn.LeakyReLU, nn.ELU: shape in = shape out, no weights."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import torch
from torch import nn

from archspec import SpecError
from archspec.codes import E200
from archspec.primitives.registry import primitives
from tests.primitives.cases import OracleCase
from tests.primitives.oracle import (
    check_against_torch,
    check_agreement,
    check_symbolic,
    compile_spec,
    layer_spec,
    run_module,
)

ORACLE_CASES = {
    "gelu": [
        OracleCase({"gelu": {"approximate": "tanh"}}, (3, 5, 4), (3, "H", "W"), lambda: nn.GELU("tanh"))
    ],
    "leaky_relu": [
        OracleCase(
            {"leaky_relu": {"negative_slope": 0.2}}, (3, 5, 4), (3, "H", "W"), lambda: nn.LeakyReLU(0.2)
        )
    ],
    "elu": [OracleCase({"elu": {"alpha": 0.5}}, (3, 5, 4), (3, "H", "W"), lambda: nn.ELU(0.5))],
}

DIMS = [(1,), (5,), (3, 7), (2, 5, 3), (2, 3, 4, 5)]

# (layer as a spec writes it, the torch module it must be): defaults, and other values.
LAYERS: list[tuple[Any, Callable[[], nn.Module]]] = [
    ("gelu", nn.GELU),
    ({"gelu": {"approximate": "none"}}, lambda: nn.GELU("none")),
    ({"gelu": {"approximate": "tanh"}}, lambda: nn.GELU(approximate="tanh")),
    ("leaky_relu", nn.LeakyReLU),
    ({"leaky_relu": {"negative_slope": 0.2}}, lambda: nn.LeakyReLU(0.2)),
    ({"leaky_relu": {"negative_slope": -1.5}}, lambda: nn.LeakyReLU(-1.5)),
    ({"leaky_relu": {"negative_slope": 0}}, lambda: nn.LeakyReLU(0.0)),
    ("elu", nn.ELU),
    ({"elu": {"alpha": 0.5}}, lambda: nn.ELU(0.5)),
    ({"elu": {"alpha": 2}}, lambda: nn.ELU(alpha=2.0)),
]


@pytest.mark.parametrize(("layer", "make"), LAYERS, ids=lambda v: str(v) if not callable(v) else "")
@pytest.mark.parametrize("dims", DIMS)
def test_parameterised_activation(layer: Any, make: Callable[[], nn.Module], dims: tuple[int, ...]) -> None:
    graph = check_agreement(layer_spec(layer, dims), dims, make)
    assert graph is not None
    assert tuple(graph.output.dims) == dims
    assert graph.num_params == 0
    _, module = check_against_torch(layer_spec(layer, dims))
    reference = make()
    assert type(module[0]) is type(reference)
    assert repr(module[0]) == repr(reference)  # the same arguments
    assert torch.equal(run_module(module, dims), run_module(reference, dims))


@pytest.mark.parametrize("name", ["gelu", "leaky_relu", "elu"])
def test_parameterised_activation_symbolic(name: str) -> None:
    graph = check_symbolic(layer_spec(name, (2, "H", "W")), (2, "H", "W"), sizes=(1, 3))
    assert graph.min_sizes == {"H": 1, "W": 1}


@pytest.mark.parametrize(
    ("layer", "label"),
    [
        ("gelu", "gelu"),
        ({"gelu": {"approximate": "tanh"}}, "gelu tanh"),
        ("leaky_relu", "leaky_relu 0.01"),
        ({"leaky_relu": {"negative_slope": 0.2}}, "leaky_relu 0.2"),
        ({"elu": {"alpha": 0.5}}, "elu α 0.5"),
    ],
)
def test_label(layer: Any, label: str) -> None:
    graph, _ = check_against_torch(layer_spec(layer, (3, 4)))
    (only,) = graph.layers
    assert primitives()[only.primitive].describe(only.params, only.input) == label


@pytest.mark.parametrize(
    "layer",
    [
        {"gelu": {"approximate": "sigmoid"}},  # PyTorch refuses it in forward, archspec at load
        {"leaky_relu": {"negative_slope": ".inf"}},
        {"elu": {"alpha": ".nan"}},
        {"elu": {"alpha": "1"}},
    ],
)
def test_bad_values_are_refused(layer: Any) -> None:
    text = layer_spec(layer, (3, 4)).replace("'.inf'", ".inf").replace("'.nan'", ".nan")
    with pytest.raises(SpecError) as info:
        compile_spec(text)
    assert info.value.diagnostics[0].code == E200
