"""Elementwise layers: relu, relu6, sigmoid, tanh, hardswish, hardsigmoid, silu, mish, identity.

Shape in = shape out; no weights.
"""

from __future__ import annotations

from collections.abc import Callable

from archspec.frontend.types import LayerParams
from archspec.primitives.registry import Inferred, ModuleCall, Primitive, RuleContext, call, register
from archspec.shapes.tensor import TensorShape


def same_shape(p: LayerParams, x: TensorShape, ctx: RuleContext) -> Inferred:
    return Inferred(x)


IDENTITY = "identity"
"""The primitive the compiler stands in for an empty branch ([])."""

# name -> (torch.nn class, formula)
ELEMENTWISE: dict[str, tuple[str, str]] = {
    "relu": ("ReLU", "max(x, 0)"),
    "relu6": ("ReLU6", "min(max(x, 0), 6)"),
    "sigmoid": ("Sigmoid", "1 / (1 + exp(-x))"),
    "tanh": ("Tanh", "tanh(x)"),
    "hardswish": ("Hardswish", "x * relu6(x + 3) / 6"),
    "hardsigmoid": ("Hardsigmoid", "relu6(x + 3) / 6"),
    "silu": ("SiLU", "x * sigmoid(x)"),
    "mish": ("Mish", "x * tanh(softplus(x))"),
    "identity": ("Identity", "x"),
}


def _builder(cls: str) -> Callable[[LayerParams, TensorShape], ModuleCall]:
    def build(p: LayerParams, x: TensorShape) -> ModuleCall:
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
            classes=(_cls,),
            # The identity returns its input: no new tensor.
            allocates=_name != "identity",
        )
    )
