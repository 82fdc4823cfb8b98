"""nin_block: a conv and two 1x1 convs, each followed by ReLU (d2l's NiN block)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from archspec.primitives.conv import ConvParams
from archspec.primitives.registry import Inferred, Primitive, register
from archspec.schema.types import KernelSize, LayerParams, Padding, PositiveInt
from archspec.shapes.tensor import TensorShape

if TYPE_CHECKING:
    from torch import nn

    from archspec.compiler.graph import LayerInfo
    from archspec.compiler.infer import Context


class NiNBlockParams(LayerParams):
    out_channels: PositiveInt = Field(description="Output channels of all three convolutions.")
    kernel_size: KernelSize = Field(description="Kernel size of the first convolution.")
    stride: KernelSize = Field(1, description="Stride of the first convolution.")
    padding: Padding = Field(0, description="Padding of the first convolution.")


def infer(p: NiNBlockParams, x: TensorShape, ctx: Context) -> Inferred:
    first = ConvParams(
        out_channels=p.out_channels, kernel_size=p.kernel_size, stride=p.stride, padding=p.padding
    )
    pointwise = ConvParams(out_channels=p.out_channels, kernel_size=1)
    relu = LayerParams()
    for i, conv in enumerate((first, pointwise, pointwise)):
        x = ctx.child(str(2 * i), "conv", conv, x)
        x = ctx.child(str(2 * i + 1), "relu", relu, x)
    return Inferred(x)


def build(layer: LayerInfo, children: dict[str, nn.Module]) -> nn.Module:
    from archspec.emit.layers import NiNBlock

    return NiNBlock(children)


register(
    Primitive(
        "nin_block",
        NiNBlockParams,
        infer,
        build,
        "NiN block: conv (kernel_size, stride, padding), ReLU, then twice [1x1 conv, ReLU].",
        composite=True,
    )
)
