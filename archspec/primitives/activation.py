"""Elementwise layers: relu, relu6, sigmoid, tanh, hardswish, hardsigmoid, identity.

Shape in = shape out; no weights.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from archspec.frontend.types import LayerParams
from archspec.primitives.registry import Inferred, ModuleCall, Primitive, call, register
from archspec.shapes.tensor import TensorShape

if TYPE_CHECKING:
    from archspec.compiler.graph import LayerInfo
    from archspec.compiler.infer import Context


def same_shape(p: LayerParams, x: TensorShape, ctx: Context) -> Inferred:
    return Inferred(x)


# name -> (torch.nn class, formula)
ELEMENTWISE: dict[str, tuple[str, str]] = {
    "relu": ("ReLU", "max(x, 0)"),
    "relu6": ("ReLU6", "min(max(x, 0), 6)"),
    "sigmoid": ("Sigmoid", "1 / (1 + exp(-x))"),
    "tanh": ("Tanh", "tanh(x)"),
    "hardswish": ("Hardswish", "x * relu6(x + 3) / 6"),
    "hardsigmoid": ("Hardsigmoid", "relu6(x + 3) / 6"),
    "identity": ("Identity", "x"),
}


def _builder(cls: str) -> Callable[[LayerInfo], ModuleCall]:
    def build(layer: LayerInfo) -> ModuleCall:
        return call(cls)

    return build


for _name, (_cls, _formula) in ELEMENTWISE.items():
    register(
        Primitive(
            _name,
            LayerParams,
            same_shape,
            _builder(_cls),
            f"{_formula}, elementwise.",
            formula="[N, *D] → [N, *D].",
        )
    )
