"""upsample: nn.Upsample, each spatial size times an int scale_factor, or a given size."""

from __future__ import annotations

from typing import Literal

from archspec.diagnostics import check
from archspec.frontend.model import Field
from archspec.frontend.types import KernelSize, LayerParams
from archspec.primitives.registry import Inferred, ModuleCall, Primitive, RuleContext, call, register, unless
from archspec.shapes.tensor import TensorShape, expand_tuple, require_spatial, size_label, torch_size

# The interpolating modes and the one number of spatial dims each works on (F.interpolate's).
INTERPOLATING = {"linear": (1,), "bilinear": (2,), "bicubic": (2,), "trilinear": (3,)}


class UpsampleParams(LayerParams):
    scale_factor: KernelSize | None = Field(
        None,
        description="Each spatial size is multiplied by it: an int, or a list (one entry per spatial "
        "axis, or one for all). Ints only, so that every size stays exact (PyTorch also takes floats). "
        "Give scale_factor or size, not both.",
    )
    size: KernelSize | None = Field(
        None,
        description="The output's spatial size: an int, or a list (one entry per spatial axis, or one "
        "for all). Give scale_factor or size, not both.",
    )
    mode: Literal["nearest", "linear", "bilinear", "bicubic", "trilinear"] = Field(
        "nearest",
        description="How new values are made: nearest (any rank), linear (1 spatial dim), "
        "bilinear or bicubic (2), trilinear (3).",
    )
    align_corners: bool | None = Field(
        None,
        description="Interpolating modes only (PyTorch refuses it with nearest, even false): "
        "the corner pixels of input and output are aligned.",
    )


def infer(p: UpsampleParams, x: TensorShape, ctx: RuleContext) -> Inferred:
    spatial = require_spatial(x, "upsample")
    check(
        p.scale_factor is None or p.size is None,
        f"upsample takes scale_factor or size, not both: got scale_factor {p.scale_factor} and size {p.size}",
        field="size",
        hint="remove one of them",
    )
    check(
        p.scale_factor is not None or p.size is not None,
        "upsample needs scale_factor or size: neither is given",
        hint="add scale_factor: 2, say, or the output size",
    )
    ranks = INTERPOLATING.get(p.mode, (1, 2, 3))
    check(
        spatial in ranks,
        f"upsample mode {p.mode} works on {ranks[0]} spatial dims, the input {x} has {spatial}",
        field="mode",
        hint="use "
        + " or ".join(m for m, r in INTERPOLATING.items() if spatial in r)
        + " (or nearest) on this input",
    )
    check(
        p.align_corners is None or p.mode in INTERPOLATING,
        f"align_corners is only for the interpolating modes ({', '.join(INTERPOLATING)}), "
        f"not for {p.mode} (PyTorch refuses it, even false)",
        field="align_corners",
        hint="remove align_corners, or use an interpolating mode",
    )
    if p.size is not None:
        out = expand_tuple(p.size, spatial, "size")
    else:
        scales = expand_tuple(p.scale_factor, spatial, "scale_factor")
        out = tuple(size * s for size, s in zip(x.spatial, scales, strict=True))
    return Inferred(TensorShape((x.channels, *out)))


def build(p: UpsampleParams, x: TensorShape) -> ModuleCall:
    n = len(x.spatial)
    return call(
        "Upsample",
        size=unless(torch_size(p.size, n), None),
        scale_factor=unless(torch_size(p.scale_factor, n), None),
        mode=unless(p.mode, "nearest"),
        align_corners=unless(p.align_corners, None),
    )


def label(p: UpsampleParams, x: TensorShape) -> str:
    """``upsample ×2 bilinear``, ``upsample to 32×32 nearest``."""
    if p.size is not None:
        return f"upsample to {size_label(p.size, x)} {p.mode}"
    return f"upsample ×{size_label(p.scale_factor, x, repeat=False)} {p.mode}"


register(
    Primitive(
        "upsample",
        UpsampleParams,
        infer,
        build,
        "Upsampling by an int factor or to a size (nn.Upsample): nearest, (bi/tri)linear or bicubic.",
        classes=("Upsample",),
        label=label,
        formula="[N, C, *L] → [N, C, *out], per spatial axis out = L·scale_factor, or out = size "
        "(exactly one given; linear needs 1 spatial dim, bilinear/bicubic 2, trilinear 3).",
    )
)
