"""Elementwise activations: relu, sigmoid, tanh. Shape in = shape out."""

from __future__ import annotations

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


def build_relu(layer: LayerInfo, children: dict[str, nn.Module]) -> nn.Module:
    from torch import nn

    return nn.ReLU()


def build_sigmoid(layer: LayerInfo, children: dict[str, nn.Module]) -> nn.Module:
    from torch import nn

    return nn.Sigmoid()


def build_tanh(layer: LayerInfo, children: dict[str, nn.Module]) -> nn.Module:
    from torch import nn

    return nn.Tanh()


register(Primitive("relu", LayerParams, same_shape, build_relu, "max(x, 0), elementwise."))
register(Primitive("sigmoid", LayerParams, same_shape, build_sigmoid, "1 / (1 + exp(-x)), elementwise."))
register(Primitive("tanh", LayerParams, same_shape, build_tanh, "tanh(x), elementwise."))
