"""Elementwise layers: relu, relu6, sigmoid, tanh, hardswish, hardsigmoid, identity.

Shape in = shape out; no weights.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from archspec.primitives.registry import Inferred, Primitive, register
from archspec.schema.types import LayerParams
from archspec.shapes.tensor import TensorShape

if TYPE_CHECKING:
    from torch import nn

    from archspec.compiler.graph import LayerInfo
    from archspec.compiler.infer import Context


def same_shape(p: LayerParams, x: TensorShape, ctx: Context) -> Inferred:
    return Inferred(x)


def _builder(make: Callable[[], nn.Module]) -> Callable[[LayerInfo, dict[str, nn.Module]], nn.Module]:
    def build(layer: LayerInfo, children: dict[str, nn.Module]) -> nn.Module:
        return make()

    return build


def _torch_nn():
    from torch import nn

    return nn


# name -> (module factory, formula); the factories import torch only when called.
ELEMENTWISE: dict[str, tuple[Callable[[], nn.Module], str]] = {
    "relu": (lambda: _torch_nn().ReLU(), "max(x, 0)"),
    "relu6": (lambda: _torch_nn().ReLU6(), "min(max(x, 0), 6)"),
    "sigmoid": (lambda: _torch_nn().Sigmoid(), "1 / (1 + exp(-x))"),
    "tanh": (lambda: _torch_nn().Tanh(), "tanh(x)"),
    "hardswish": (lambda: _torch_nn().Hardswish(), "x * relu6(x + 3) / 6"),
    "hardsigmoid": (lambda: _torch_nn().Hardsigmoid(), "relu6(x + 3) / 6"),
    "identity": (lambda: _torch_nn().Identity(), "x"),
}

for _name, (_make, _formula) in ELEMENTWISE.items():
    register(Primitive(_name, LayerParams, same_shape, _builder(_make), f"{_formula}, elementwise."))
