"""flatten: every dim after the batch multiplied into one (nn.Flatten)."""

from __future__ import annotations

from archspec.frontend.types import LayerParams
from archspec.primitives.registry import Inferred, ModuleCall, Primitive, RuleContext, call, register
from archspec.shapes.dims import product
from archspec.shapes.tensor import TensorShape


def infer(p: LayerParams, x: TensorShape, ctx: RuleContext) -> Inferred:
    return Inferred(TensorShape((product(x.dims),)))


def build(p: LayerParams, x: TensorShape) -> ModuleCall:
    return call("Flatten")


register(
    Primitive(
        "flatten",
        LayerParams,
        infer,
        build,
        "Flatten all dims after the batch into one.",
        formula="[N, d1, …, dk] → [N, d1 × … × dk].",
        classes=("Flatten",),
        allocates=False,  # a view of its input
    )
)
