"""upsample: nn.Upsample, each spatial size times an int scale_factor, or a given size;
or, reading two tensors by name (``from: [x, skip]``), to the second one's size
(``F.interpolate(x, size=skip.shape[2:])``), as a U-Net or an FPN meets a skip
connection whose size a pooling rounded down."""

from __future__ import annotations

import functools
from typing import Any, Literal

from archspec.diagnostics import check
from archspec.frontend.model import Field
from archspec.frontend.types import KernelSize, LayerParams
from archspec.primitives.registry import (
    Inferred,
    Join,
    ModuleCall,
    Primitive,
    RuleContext,
    call,
    register,
    unless,
)
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
        x.batched,
        f"upsample reads a learned tensor {x}, which has no batch",
        hint="upsample a layer's output",
    )
    reads = ctx.reads()
    check(
        len(reads) <= 2,
        f"upsample reads one tensor, or two (the second gives the size), but 'from' names {len(reads)}",
        hint="from: [x, skip] upsamples x to skip's size",
    )
    like = reads[1] if len(reads) == 2 else None
    check(
        p.scale_factor is None or p.size is None,
        f"upsample takes scale_factor or size, not both: got scale_factor {p.scale_factor} and size {p.size}",
        field="size",
        hint="remove one of them",
    )
    if like is not None:
        given = "size" if p.size is not None else "scale_factor"
        check(
            p.scale_factor is None and p.size is None,
            f"upsample of two tensors takes its size from the second ({like}), so no {given}",
            field=given,
            hint=f"remove {given}, or read one tensor",
        )
        check(
            like.batched and len(like.spatial) == spatial,
            f"upsample takes the size of {like}, which has not the {spatial} spatial dims of its input {x}",
            hint="read a tensor of the same rank as the one upsampled (a feature map of the skip connection)",
        )
    else:
        check(
            p.scale_factor is not None or p.size is not None,
            "upsample needs scale_factor or size: neither is given",
            hint="add scale_factor: 2, say, or the output size (or read a second tensor: its size)",
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
    if like is not None:
        out = like.spatial
    elif p.size is not None:
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


def interpolate_to(x: Any, like: Any, mode: str, align_corners: bool | None) -> Any:
    """``x`` resized to the spatial size of ``like`` (the network calls it on the two tensors)."""
    from torch.nn import functional

    return functional.interpolate(x, size=like.shape[2:], mode=mode, align_corners=align_corners)


def interpolate_code(p: UpsampleParams, names: tuple[str, ...]) -> str:
    """The expression compile -o writes: ``nn.functional.interpolate(x, size=skip.shape[2:])``."""
    mode = f', mode="{p.mode}"' if p.mode != "nearest" else ""  # a Literal: no quote to escape
    corners = f", align_corners={p.align_corners}" if p.align_corners is not None else ""
    return f"nn.functional.interpolate({names[0]}, size={names[1]}.shape[2:]{mode}{corners})"


def label(p: UpsampleParams, x: TensorShape) -> str:
    """``upsample ×2 bilinear``, ``upsample to 32×32 nearest``, ``upsample to the size read``."""
    if p.size is None and p.scale_factor is None:
        return f"upsample to the size read {p.mode}"
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
        # two tensors read by name: a function of them, not a module (nn.Upsample takes one)
        join=Join(
            lambda p: functools.partial(interpolate_to, mode=p.mode, align_corners=p.align_corners),
            interpolate_code,
        ),
        formula="[N, C, *L] → [N, C, *out], per spatial axis out = L·scale_factor, or out = size "
        "(exactly one given; linear needs 1 spatial dim, bilinear/bicubic 2, trilinear 3); reading "
        "[N, C, *L] and [N, D, *M] by name (from: [x, skip]), out = M.",
    )
)
