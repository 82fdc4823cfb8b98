"""pixel_shuffle: nn.PixelShuffle, channels traded for resolution (C·r² → C, H → H·r)."""

from __future__ import annotations

from archspec.diagnostics import check
from archspec.frontend.model import Field
from archspec.frontend.types import LayerParams, PositiveInt
from archspec.primitives.reads import Reads
from archspec.primitives.registry import Inferred, ModuleCall, Primitive, RuleContext, call, register
from archspec.shapes.tensor import TensorShape, concrete_channels, require_spatial


class PixelShuffleParams(LayerParams):
    upscale_factor: PositiveInt = Field(
        le=1024, description="r: each side grows r times; channels shrink r² times."
    )


def infer(p: PixelShuffleParams, x: TensorShape, ctx: RuleContext) -> Inferred:
    require_spatial(x, "pixel_shuffle", ranks=(2,))
    channels = concrete_channels(x, "pixel_shuffle")
    r = p.upscale_factor
    check(
        channels % (r * r) == 0,
        f"pixel_shuffle with upscale_factor {r} needs channels divisible by {r * r}, got {channels}",
        field="upscale_factor",
        hint=f"give the layer before it a multiple of {r * r} output channels",
    )
    return Inferred(TensorShape((channels // (r * r), *(size * r for size in x.spatial))))


def build(p: PixelShuffleParams, x: TensorShape) -> ModuleCall:
    return call("PixelShuffle", p.upscale_factor)


register(
    Primitive(
        "pixel_shuffle",
        PixelShuffleParams,
        infer,
        build,
        "Sub-pixel upsampling (nn.PixelShuffle): r² channels become an r×r patch.",
        classes=("PixelShuffle",),
        from_torch=Reads(module=lambda m: {"upscale_factor": m.upscale_factor}),
        allocates=True,  # a new tensor with its own storage (measured in torch 2.13), not a view
        label=lambda p, x: f"pixel_shuffle ×{p.upscale_factor}",
        formula="[N, C·r², H, W] → [N, C, H·r, W·r] (r upscale_factor; C·r² an int).",
        integers="keep",
    )
)
