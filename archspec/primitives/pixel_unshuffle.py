"""pixel_unshuffle: nn.PixelUnshuffle, resolution traded for channels (H → H/r, C → C·r²).

The inverse of pixel_shuffle. Each spatial size must be divisible by r; a
symbolic size must be so for every input size (``2*H`` after an upsample ×2,
not ``H``, which is divisible for some sizes only: a set the minimum sizes
cannot state).
"""

from __future__ import annotations

from archspec.codes import E303
from archspec.diagnostics import RuleError
from archspec.frontend.model import Field
from archspec.frontend.types import LayerParams, PositiveInt
from archspec.primitives.reads import Reads
from archspec.primitives.registry import Inferred, ModuleCall, Primitive, RuleContext, call, register
from archspec.shapes.dims import format_dim, is_concrete
from archspec.shapes.layout import divides, exact_quotient
from archspec.shapes.tensor import TensorShape, axis_names, require_spatial


class PixelUnshuffleParams(LayerParams):
    downscale_factor: PositiveInt = Field(
        le=1024, description="r: each side shrinks r times (it must divide it); channels grow r² times."
    )


def infer(p: PixelUnshuffleParams, x: TensorShape, ctx: RuleContext) -> Inferred:
    require_spatial(x, "pixel_unshuffle", ranks=(2,))
    r = p.downscale_factor
    for size, axis in zip(x.spatial, axis_names(x), strict=True):
        if divides(r, size):
            continue
        if is_concrete(size):
            raise RuleError(
                f"pixel_unshuffle with downscale_factor {r} needs the {axis} divisible by {r}, got {size}",
                field="downscale_factor",
                hint=f"use an input {axis} that is a multiple of {r}, or a factor that divides {size}",
            )
        raise RuleError(
            f"pixel_unshuffle with downscale_factor {r} needs the {axis} divisible by {r} for every "
            f"input size, got {format_dim(size)}",
            code=E303,
            field="downscale_factor",
            hint="fix the input size, or make the size a multiple of the factor (an upsample by it, say)",
        )
    out = tuple(exact_quotient(size, r) for size in x.spatial)
    return Inferred(TensorShape((x.channels * r * r, *out)))


def build(p: PixelUnshuffleParams, x: TensorShape) -> ModuleCall:
    return call("PixelUnshuffle", p.downscale_factor)


register(
    Primitive(
        "pixel_unshuffle",
        PixelUnshuffleParams,
        infer,
        build,
        "Space-to-depth (nn.PixelUnshuffle): each r×r patch becomes r² channels.",
        classes=("PixelUnshuffle",),
        from_torch=Reads(module=lambda m: {"downscale_factor": m.downscale_factor}),
        allocates=True,  # a new tensor, not a view (measured in torch 2.13: its own storage)
        label=lambda p, x: f"pixel_unshuffle ÷{p.downscale_factor}",
        formula="[N, C, H, W] → [N, C·r², H/r, W/r] (r downscale_factor; H and W divisible by r, "
        "a symbolic size for every value of its symbols).",
        integers="keep",
    )
)
