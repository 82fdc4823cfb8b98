"""sequential: nested named groups, paths, and shapes through stacks of layers."""

from __future__ import annotations

from typing import Any

import pytest
from torch import nn

from tests.d2l import Residual as D2LResidual
from tests.primitives.cases import OracleCase
from tests.primitives.oracle import (
    check_against_torch,
    check_agreement,
    check_symbolic,
    expect_rejection,
    layers_spec,
    spec_text,
    torch_raises,
)

ORACLE_CASES = {
    "sequential": [
        OracleCase(
            {
                "sequential": {
                    "name": "stem",
                    "layers": [{"conv": {"out_channels": 4, "kernel_size": 3}}, "relu"],
                }
            },
            (3, 6, 5),
            (3, "H", "W"),
        )
    ]
}


def group(name: str, *layers: Any) -> dict[str, Any]:
    return {"sequential": {"name": name, "layers": list(layers)}}


def conv(out_channels: int, kernel_size: int, **params: Any) -> dict[str, Any]:
    return {"conv": {"out_channels": out_channels, "kernel_size": kernel_size, **params}}


STEM = group(
    "b1",
    conv(8, 7, stride=2, padding=3, name="stem"),
    "relu",
    {"maxpool": {"kernel_size": 3, "stride": 2, "padding": 1}},
)
BODY = group(
    "b2",
    group("inner", conv(8, 3, padding=1), {"batchnorm": {}}, "relu"),
    group(
        "deeper", group("deepest", conv(12, 1), "tanh"), {"avgpool": {"kernel_size": 2, "ceil_mode": True}}
    ),
    {"residual": {"out_channels": 16, "stride": 2, "name": "down"}},
)
HEAD = group("head", "global_avgpool", "flatten", {"dropout": {"p": 0.2}}, {"linear": {"out_features": 10}})


def reference(in_channels: int) -> nn.Module:
    """The same network written by hand in torch."""
    return nn.Sequential(
        nn.Conv2d(in_channels, 8, 7, stride=2, padding=3),
        nn.ReLU(),
        nn.MaxPool2d(3, stride=2, padding=1),
        nn.Conv2d(8, 8, 3, padding=1),
        nn.BatchNorm2d(8),
        nn.ReLU(),
        nn.Conv2d(8, 12, 1),
        nn.Tanh(),
        nn.AvgPool2d(2, ceil_mode=True),
        D2LResidual(12, 16, use_1x1conv=True, strides=2),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Dropout(0.2),
        nn.Linear(16, 10),
    )


@pytest.mark.parametrize("dims", [(3, 32, 32), (1, 45, 23), (3, 9, 17), (2, 1, 1)])
def test_nested_groups(dims: tuple[int, ...]) -> None:
    spec = layers_spec([STEM, BODY, HEAD], dims)
    graph = check_agreement(spec, dims, lambda: reference(dims[0]))
    assert graph is not None
    paths = [layer.path for layer in graph.layers]
    for path in [
        "b1.stem",
        "b1.1",
        "b2.inner.0",
        "b2.deeper.deepest.0",
        "b2.deeper.1",
        "b2.down.0.conv3",
        "head.3",
    ]:
        assert path in paths
    _, module = check_against_torch(spec)
    assert isinstance(module.b2.deeper.deepest, nn.Sequential)
    assert isinstance(module.b1.stem, nn.Conv2d)


@pytest.mark.parametrize("dims", [(4, 9), (2, 5, 6, 7)])
def test_nested_groups_other_ranks(dims: tuple[int, ...]) -> None:
    spec = layers_spec([STEM, BODY, HEAD], dims)
    graph, _ = check_against_torch(spec)
    assert tuple(graph.output.dims) == (10,)


def test_rejection_deep_in_a_group_has_its_path() -> None:
    dims = (3, 12, 12)
    layers = [
        group(
            "a", group("b", conv(4, 3, stride=2), {"maxpool": {"kernel_size": 3, "name": "pool"}}), conv(4, 5)
        )
    ]
    spec = layers_spec(layers, dims)
    # 12 -> conv 3/2 -> 5 -> pool 3 -> 1 -> conv 5: refused at a.1
    diagnostic = expect_rejection(spec, numbers=(1, 5), path="a.1", field="kernel_size", code="E301")
    assert spec_text(spec).splitlines()[diagnostic.span.line - 1].endswith("kernel_size: 5}")
    torch_raises(
        lambda: nn.Sequential(nn.Conv2d(3, 4, 3, stride=2), nn.MaxPool2d(3), nn.Conv2d(4, 4, 5)), dims
    )


@pytest.mark.parametrize(
    "layers",
    [
        # strided layers in a row: floors nest (and archspec folds them)
        [
            group(
                "g",
                conv(4, 3, stride=2),
                group(
                    "h",
                    conv(4, 3, stride=2, padding=1),
                    {"maxpool": {"kernel_size": 3, "stride": 2, "ceil_mode": True}},
                ),
                {"avgpool": {"kernel_size": 2, "padding": 1, "ceil_mode": True}},
            ),
            conv(2, 5, stride=3, dilation=2),
        ],
        [STEM, BODY],
        [
            group(
                "s",
                {"maxpool": {"kernel_size": 2, "stride": 3, "padding": 1, "ceil_mode": True}},
                conv(3, 2, stride=2),
            )
        ],
    ],
)
@pytest.mark.parametrize("input", [(3, "H", "W"), (3, "L")])
def test_symbolic_through_stacks(layers: list[Any], input: tuple[Any, ...]) -> None:
    check_symbolic(layers_spec(layers, input), input, sizes=(1, 5, 13, 40))
