"""inception: d2l's four parallel paths, concatenated on channels.

p1: 1x1 conv | p2: 1x1 conv, 3x3 conv (pad 1) | p3: 1x1 conv, 5x5 conv (pad 2) |
p4: 3x3 max pool (stride 1, pad 1), 1x1 conv; ReLU after every conv.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from pydantic import Field

from archspec.primitives.conv import ConvParams
from archspec.primitives.pool import MaxPoolParams
from archspec.primitives.registry import Inferred, Primitive, register
from archspec.schema.types import LayerParams, PositiveInt
from archspec.shapes.tensor import TensorShape, concat_channels

if TYPE_CHECKING:
    from torch import nn

    from archspec.compiler.graph import LayerInfo
    from archspec.compiler.infer import Context

ChannelPair = Annotated[list[PositiveInt], Field(min_length=2, max_length=2)]


class InceptionParams(LayerParams):
    c1: PositiveInt = Field(description="Channels of path 1 (1x1 conv).")
    c2: ChannelPair = Field(description="[1x1 reduce, 3x3 out] channels of path 2.")
    c3: ChannelPair = Field(description="[1x1 reduce, 5x5 out] channels of path 3.")
    c4: PositiveInt = Field(description="Channels of path 4 (3x3 max pool, 1x1 conv).")


def _conv(out_channels: int, kernel_size: int, padding: int = 0) -> ConvParams:
    return ConvParams(out_channels=out_channels, kernel_size=kernel_size, padding=padding)


def infer(p: InceptionParams, x: TensorShape, ctx: Context) -> Inferred:
    p1 = ctx.child("p1_1", "conv", _conv(p.c1, 1), x)
    p2 = ctx.child("p2_1", "conv", _conv(p.c2[0], 1), x)
    p2 = ctx.child("p2_2", "conv", _conv(p.c2[1], 3, 1), p2)
    p3 = ctx.child("p3_1", "conv", _conv(p.c3[0], 1), x)
    p3 = ctx.child("p3_2", "conv", _conv(p.c3[1], 5, 2), p3)
    p4 = ctx.child("p4_1", "maxpool", MaxPoolParams(kernel_size=3, stride=1, padding=1), x)
    p4 = ctx.child("p4_2", "conv", _conv(p.c4, 1), p4)
    return Inferred(concat_channels([p1, p2, p3, p4], ["p1", "p2", "p3", "p4"]))


def build(layer: LayerInfo, children: dict[str, nn.Module]) -> nn.Module:
    from archspec.emit.layers import Inception

    return Inception(**children)


register(
    Primitive(
        "inception",
        InceptionParams,
        infer,
        build,
        "GoogLeNet's Inception block (d2l): four paths concatenated on channels.",
        composite=True,
    )
)
