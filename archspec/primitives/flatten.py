"""flatten: every dim after the batch multiplied into one (nn.Flatten)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from archspec.frontend.types import LayerParams
from archspec.primitives.registry import Inferred, ModuleCall, Primitive, call, register
from archspec.shapes.dims import product
from archspec.shapes.tensor import TensorShape

if TYPE_CHECKING:
    from archspec.compiler.graph import LayerInfo
    from archspec.compiler.infer import Context


def infer(p: LayerParams, x: TensorShape, ctx: Context) -> Inferred:
    return Inferred(TensorShape((product(x.dims),)))


def build(layer: LayerInfo) -> ModuleCall:
    return call("Flatten")


register(
    Primitive(
        "flatten",
        LayerParams,
        infer,
        build,
        "Flatten all dims after the batch into one.",
        formula="[N, d1, …, dk] → [N, d1 × … × dk].",
    )
)
