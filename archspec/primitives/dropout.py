"""dropout: zeroes elements with probability p in training; shape in = shape out."""

from __future__ import annotations

from pydantic import Field

from archspec.frontend.types import LayerParams
from archspec.primitives.activation import same_shape
from archspec.primitives.registry import ModuleCall, Primitive, call, register, unless
from archspec.shapes.tensor import TensorShape


class DropoutParams(LayerParams):
    p: float = Field(0.5, ge=0.0, le=1.0, allow_inf_nan=False, description="Drop probability, in [0, 1].")


def build(p: DropoutParams, x: TensorShape) -> ModuleCall:
    return call("Dropout", p=unless(p.p, 0.5))


register(
    Primitive(
        "dropout",
        DropoutParams,
        same_shape,
        build,
        "Dropout (nn.Dropout) with probability p.",
        formula="[N, *D] → [N, *D].",
        classes=("Dropout",),
    )
)
