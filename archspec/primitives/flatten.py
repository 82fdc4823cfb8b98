"""flatten: every dim after the batch multiplied into one (nn.Flatten)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from archspec.primitives.registry import Inferred, Primitive, register
from archspec.schema.types import LayerParams
from archspec.shapes.dims import product
from archspec.shapes.tensor import TensorShape

if TYPE_CHECKING:
    from torch import nn

    from archspec.compiler.graph import LayerInfo
    from archspec.compiler.infer import Context


def infer(p: LayerParams, x: TensorShape, ctx: Context) -> Inferred:
    return Inferred(TensorShape((product(x.dims),)))


def build(layer: LayerInfo, children: dict[str, nn.Module]) -> nn.Module:
    from torch import nn

    return nn.Flatten()


register(Primitive("flatten", LayerParams, infer, build, "Flatten all dims after the batch into one."))
