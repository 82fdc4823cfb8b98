"""residual: d2l's block: 3x3 conv (stride), BN, ReLU, 3x3 conv, BN; + shortcut; ReLU."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from archspec.diagnostics import RuleError
from archspec.primitives.batchnorm import BatchNormParams
from archspec.primitives.conv import ConvParams
from archspec.primitives.registry import Inferred, Primitive, register
from archspec.schema.types import LayerParams, PositiveInt
from archspec.shapes.tensor import TensorShape, concrete_channels

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
    # Decided on the channel count and the stride (ints), never on a symbolic size.
    changes = in_channels != p.out_channels or p.stride != 1
    if p.use_1x1conv is False and changes:
        raise RuleError(
            f"the shortcut cannot be the identity: the block maps {in_channels} channels to "
            f"{p.out_channels} with stride {p.stride}, so the input {x} and output shapes differ",
            field="use_1x1conv",
            hint="remove use_1x1conv (the projection is then used when needed) or set it true",
        )
    project = changes if p.use_1x1conv is None else p.use_1x1conv
    batchnorm = BatchNormParams()
    y = ctx.child(
        "conv1", "conv", ConvParams(out_channels=p.out_channels, kernel_size=3, padding=1, stride=p.stride), x
    )
    y = ctx.child("bn1", "batchnorm", batchnorm, y)
    y = ctx.child("conv2", "conv", ConvParams(out_channels=p.out_channels, kernel_size=3, padding=1), y)
    y = ctx.child("bn2", "batchnorm", batchnorm, y)
    if project:
        projection = ConvParams(out_channels=p.out_channels, kernel_size=1, stride=p.stride)
        ctx.child("conv3", "conv", projection, x)
    # Both paths apply the same window arithmetic (3x3 pad 1 and 1x1 pad 0 at one
    # stride give floor((L - 1) / stride) + 1), so the sum is always well formed.
    return Inferred(y)


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
