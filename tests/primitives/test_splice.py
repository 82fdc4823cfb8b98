"""repeat and if: layers that stand for other layers, without modules of their own."""

from __future__ import annotations

from torch import nn

from tests.primitives.cases import OracleCase
from tests.primitives.oracle import check_against_torch, check_same_function, expect_rejection, layers_spec

ORACLE_CASES = {
    "repeat": [
        OracleCase(
            {
                "repeat": {
                    "n": 3,
                    "layers": [{"conv": {"out_channels": 2, "kernel_size": 3, "padding": 1}}, "relu"],
                }
            },
            (2, 5, 5),
            (2, "H", "W"),
        )
    ],
    "if": [
        OracleCase({"if": {"cond": True, "then": ["relu"], "else": ["sigmoid"]}}, (2, 5, 5), (2, "H", "W"))
    ],
}


def test_repeat_splices_copies_with_running_indices() -> None:
    layers = [
        {
            "repeat": {
                "n": 3,
                "layers": [{"conv": {"out_channels": 4, "kernel_size": 3, "padding": 1}}, "relu"],
            }
        },
        "flatten",
    ]
    graph, module = check_against_torch(layers_spec(layers, (2, 5, 5)))
    assert [layer.path for layer in graph.roots] == [str(i) for i in range(7)]
    reference = nn.Sequential(
        nn.Conv2d(2, 4, 3, padding=1),
        nn.ReLU(),
        nn.Conv2d(4, 4, 3, padding=1),
        nn.ReLU(),
        nn.Conv2d(4, 4, 3, padding=1),
        nn.ReLU(),
        nn.Flatten(),
    )
    check_same_function(module, reference, (2, 5, 5))


def test_repeat_first_copy_differs() -> None:
    layers = [{"repeat": {"n": 2, "first": [{"maxpool": {"kernel_size": 2}}], "layers": ["relu"]}}]
    graph, _ = check_against_torch(layers_spec(layers, (1, 8, 8)))
    assert [layer.primitive for layer in graph.roots] == ["maxpool", "relu"]


def test_if_picks_then_or_else() -> None:
    chosen = [
        {"if": {"cond": True, "then": ["relu"], "else": ["tanh", "tanh"]}},
        {"if": {"cond": False, "then": ["relu"]}},
    ]
    graph, _ = check_against_torch(layers_spec(chosen, (1, 3)))
    assert [layer.primitive for layer in graph.roots] == ["relu"]


def test_counts_and_conditions_are_checked() -> None:
    expect_rejection(layers_spec([{"repeat": {"n": 0, "layers": ["relu"]}}], (1, 3)), code="E200")
    expect_rejection(layers_spec([{"repeat": {"n": 2}}], (1, 3)), code="E202")
    expect_rejection(layers_spec([{"if": {"cond": "yes", "then": ["relu"]}}], (1, 3)), code="E200")
