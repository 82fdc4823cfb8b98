"""sequential: a named group of layers (d2l's b1 … b5), one nested module."""

from __future__ import annotations

from archspec.frontend.model import Field
from archspec.frontend.types import LayerName, LayerParams
from archspec.primitives.registry import (
    Inferred,
    LayerField,
    ModuleCall,
    Primitive,
    RuleContext,
    on_any_input,
    register,
)
from archspec.shapes.tensor import TensorShape


class SequentialParams(LayerParams):
    name: LayerName = Field(description="The group's name: its module attribute and path.")


def infer(p: LayerParams, x: TensorShape, ctx: RuleContext) -> Inferred:
    return Inferred(ctx.run_layers("layers", x))


def build(p: LayerParams, x: TensorShape) -> ModuleCall:
    if isinstance(p, BlockGroup):  # a block call with several layers
        return ModuleCall("Block", (p.block,), children=True)
    return ModuleCall("Sequential", children=True)


class BlockGroup(LayerParams):
    """The params of a group the compiler makes for a block call with several
    layers: built as archspec's Block, which prints with the block's name."""

    block: str


SEQUENTIAL = "sequential"
"""The primitive the compiler groups layers with (a block's body, a branch)."""


register(
    Primitive(
        SEQUENTIAL,
        SequentialParams,
        infer,
        build,
        "A named group of layers, built as one nn.Sequential.",
        layer_fields=(LayerField("layers", "The layers of the group, in order."),),
        classes=("Sequential", "Block"),
        allocates=False,  # its output is its last layer's
        refuses_only_empty=on_any_input,  # only its layers refuse a size, each by its own rule
        formula="[N, *D] → the output of its last layer, each layer taking the previous one's output.",
        integers="rule",
    )
)
