"""cbam: the Convolutional Block Attention Module (Woo et al., 2018), as an archspec plugin.

Channel attention (a shared 1x1-conv MLP, C -> C/reduction -> C, on the average-
and max-pooled input, summed, sigmoid) scales the channels; spatial attention (a
k x k conv, 2 -> 1, on the channel mean and max, sigmoid) then scales the
positions. Neither conv has a bias. The output has the input's shape.

It imports torch only inside the class factory, so that validating a spec that
uses it imports no torch, as for archspec's own primitives.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from archspec.diagnostics import check
from archspec.frontend.types import LayerParams, PositiveInt
from archspec.primitives.registry import (
    Inferred,
    ModuleCall,
    Primitive,
    RuleContext,
    call,
    runtime_classes,
)
from archspec.shapes.dims import product
from archspec.shapes.tensor import TensorShape, concrete_channels, require_spatial


class CBAMParams(LayerParams):
    reduction: PositiveInt = Field(16, description="The channel MLP's hidden width is channels // reduction.")
    kernel_size: PositiveInt = Field(7, le=31, description="The spatial attention's kernel (odd).")


def hidden(channels: int, reduction: int) -> int:
    return max(channels // reduction, 1)


def infer(p: CBAMParams, x: TensorShape, ctx: RuleContext) -> Inferred:
    require_spatial(x, "cbam", ranks=(2,))
    channels = concrete_channels(x, "cbam")
    check(p.kernel_size % 2 == 1, f"cbam needs an odd kernel_size, got {p.kernel_size}", field="kernel_size")
    width = hidden(channels, p.reduction)
    weights = 2 * channels * width + 2 * p.kernel_size**2
    macs = 4 * channels * width + 2 * p.kernel_size**2 * product(x.spatial)
    return Inferred(x, weights, macs=macs)


def build(p: CBAMParams, x: TensorShape) -> ModuleCall:
    channels = concrete_channels(x, "cbam")
    return call("CBAM", channels, hidden(channels, p.reduction), p.kernel_size)


def cbam_class() -> type:
    import math

    import torch
    from torch import nn
    from torch.nn import functional

    class CBAM(nn.Module):
        """Channel, then spatial attention (Woo et al., 2018). The weights are the
        module's own tensors (no submodules): one layer of the spec, one module."""

        def __init__(self, channels: int, hidden: int, kernel_size: int = 7) -> None:
            super().__init__()
            self.squeeze = nn.Parameter(torch.empty(hidden, channels, 1, 1))
            self.excite = nn.Parameter(torch.empty(channels, hidden, 1, 1))
            self.spatial = nn.Parameter(torch.empty(1, 2, kernel_size, kernel_size))
            self.padding = kernel_size // 2
            for weight in (self.squeeze, self.excite, self.spatial):  # nn.Conv2d's default init
                nn.init.kaiming_uniform_(weight, a=math.sqrt(5))

        def mlp(self, x: Any) -> Any:
            return functional.conv2d(torch.relu(functional.conv2d(x, self.squeeze)), self.excite)

        def forward(self, x: Any) -> Any:
            pooled = self.mlp(x.mean((2, 3), keepdim=True)) + self.mlp(x.amax((2, 3), keepdim=True))
            x = x * torch.sigmoid(pooled)
            maps = torch.cat([x.mean(1, keepdim=True), x.amax(1, keepdim=True)], 1)
            return x * torch.sigmoid(functional.conv2d(maps, self.spatial, padding=self.padding))

    return CBAM


_RUNTIME, __getattr__ = runtime_classes(__name__, CBAM=cbam_class)

cbam = Primitive(
    "cbam",
    CBAMParams,
    infer,
    build,
    "CBAM attention (Woo et al., 2018): channel then spatial attention; the shape is kept.",
    classes=("CBAM",),
    runtime={"CBAM": _RUNTIME["CBAM"]},
    formula="[N, C, H, W] → [N, C, H, W]; MACs 4·C·(C/r) + 2·k²·H·W.",
)
