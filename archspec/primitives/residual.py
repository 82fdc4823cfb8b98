"""residual: d2l's block: 3x3 conv (stride), BN, ReLU, 3x3 conv, BN; + shortcut; ReLU."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from archspec.primitives.batchnorm import BatchNormParams
from archspec.primitives.conv import ConvParams
from archspec.primitives.registry import Inferred, Primitive, register
from archspec.schema.types import LayerParams, PositiveInt
from archspec.shapes.tensor import TensorShape, add_shapes, concrete_channels

if TYPE_CHECKING:
    from torch import nn

    from archspec.compiler.graph import LayerInfo
    from archspec.compiler.infer import Context


class ResidualParams(LayerParams):
    out_channels: PositiveInt = Field(description="Output channels of both 3x3 convolutions.")
    stride: PositiveInt = Field(1, description="Stride of the first conv (and of the projection).")
    use_1x1conv: bool | None = Field(
        None,
        description="Project the shortcut with a 1x1 conv. Default: exactly when the shape "
        "changes (other channels or stride > 1); false with a shape change is an error.",
    )


def infer(p: ResidualParams, x: TensorShape, ctx: Context) -> Inferred:
    in_channels = concrete_channels(x, "residual")
    # The default is decided on the channel count and the stride (ints), so the
    # weights never depend on the input size.
    project = in_channels != p.out_channels or p.stride != 1
    if p.use_1x1conv is not None:
        project = p.use_1x1conv
    batchnorm = BatchNormParams()
    main = ConvParams(out_channels=p.out_channels, kernel_size=3, padding=1, stride=p.stride)
    y = ctx.child("conv1", "conv", main, x)
    y = ctx.child("bn1", "batchnorm", batchnorm, y)
    y = ctx.child("conv2", "conv", ConvParams(out_channels=p.out_channels, kernel_size=3, padding=1), y)
    y = ctx.child("bn2", "batchnorm", batchnorm, y)
    shortcut = x
    if project:
        projection = ConvParams(out_channels=p.out_channels, kernel_size=1, stride=p.stride)
        shortcut = ctx.child("conv3", "conv", projection, x)
    # An identity shortcut must have the main path's shape: for every input size
    # when the input is symbolic, at this size when it is concrete (as in PyTorch).
    return Inferred(
        add_shapes(
            [y, shortcut],
            ["the main path", "the identity shortcut"],
            field="use_1x1conv",
            hint="remove use_1x1conv (the projection is then used when the shape changes) or set it true",
        )
    )


def build(layer: LayerInfo, children: dict[str, nn.Module]) -> nn.Module:
    from archspec.emit.layers import Residual

    return Residual(**children)


register(
    Primitive(
        "residual",
        ResidualParams,
        infer,
        build,
        "ResNet's residual block (d2l): two 3x3 convs with BN, a shortcut (1x1 conv when "
        "the shape changes), add, ReLU.",
        composite=True,
    )
)
