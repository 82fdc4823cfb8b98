"""sequential: a named group of layers (d2l's b1 … b5), one nested module."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from archspec.frontend.types import LayerName, LayerParams
from archspec.primitives.registry import Inferred, LayerField, ModuleCall, Primitive, register
from archspec.shapes.tensor import TensorShape

if TYPE_CHECKING:
    from archspec.compiler.graph import LayerInfo
    from archspec.compiler.infer import Context


class SequentialParams(LayerParams):
    name: LayerName = Field(description="The group's name: its module attribute and path.")


def infer(p: SequentialParams, x: TensorShape, ctx: Context) -> Inferred:
    return Inferred(ctx.run_layers("layers", x))


def build(layer: LayerInfo) -> ModuleCall:
    if layer.block is not None:  # a block call with several layers
        return ModuleCall("Block", (layer.block,), children=True)
    return ModuleCall("Sequential", children=True)


register(
    Primitive(
        "sequential",
        SequentialParams,
        infer,
        build,
        "A named group of layers, built as one nn.Sequential.",
        layer_fields=(LayerField("layers", "The layers of the group, in order."),),
        formula="[N, *D] → the output of its last layer, each layer taking the previous one's output.",
    )
)
