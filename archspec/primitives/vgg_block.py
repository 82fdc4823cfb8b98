"""vgg_block: num_convs x [3x3 conv, padding 1, ReLU], then 2x2 max pool, stride 2."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from archspec.primitives.conv import ConvParams
from archspec.primitives.pool import MaxPoolParams
from archspec.primitives.registry import Inferred, Primitive, register
from archspec.schema.types import LayerParams, PositiveInt
from archspec.shapes.tensor import TensorShape

if TYPE_CHECKING:
    from torch import nn

    from archspec.compiler.graph import LayerInfo
    from archspec.compiler.infer import Context


class VGGBlockParams(LayerParams):
    num_convs: PositiveInt = Field(description="How many 3x3 convolutions.")
    out_channels: PositiveInt = Field(description="Output channels of every convolution.")


def infer(p: VGGBlockParams, x: TensorShape, ctx: Context) -> Inferred:
    conv = ConvParams(out_channels=p.out_channels, kernel_size=3, padding=1)
    relu = LayerParams()
    for i in range(p.num_convs):
        x = ctx.child(str(2 * i), "conv", conv, x)
        x = ctx.child(str(2 * i + 1), "relu", relu, x)
    pool = MaxPoolParams(kernel_size=2, stride=2)
    return Inferred(ctx.child(str(2 * p.num_convs), "maxpool", pool, x))


def build(layer: LayerInfo, children: dict[str, nn.Module]) -> nn.Module:
    from archspec.emit.layers import VGGBlock

    return VGGBlock(children)


register(
    Primitive(
        "vgg_block",
        VGGBlockParams,
        infer,
        build,
        "VGG block: num_convs x [3x3 conv (padding 1), ReLU], then 2x2 max pool (stride 2).",
        composite=True,
    )
)
