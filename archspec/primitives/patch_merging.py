"""patch_merging: Swin's downsampling of a channels-last map [N, H, W, C] (torchvision's
PatchMerging): each 2×2 patch's four C-vectors concatenated (4C), layer-normalized and
projected to 2C by a linear without bias, [N, ceil(H/2), ceil(W/2), 2C].

An odd side is padded with a zero row (column) at the end first. The order of the four is
torchvision's: (0, 0), (1, 0), (0, 1), (1, 1) as (row, column) offsets. The module holds
``reduction`` (the linear) and ``norm`` (the layer norm), registered in that order as in
torchvision, so a torchvision state_dict loads in order.
"""

from __future__ import annotations

from archspec.frontend.model import Field
from archspec.frontend.types import LayerParams, PositiveInt, inferred_size
from archspec.primitives.registry import (
    Inferred,
    ModuleCall,
    Primitive,
    RuleContext,
    call,
    register,
    runtime_classes,
    unless,
)
from archspec.shapes.dims import floordiv, product, total
from archspec.shapes.tensor import TensorShape, check_given
from archspec.shapes.tokens import channels_last_map


class PatchMergingParams(LayerParams):
    eps: float = Field(1e-5, gt=0.0, allow_inf_nan=False, description="The layer norm's eps.")
    dim: PositiveInt | None = inferred_size("The channels C (the last dim)")


def infer(p: PatchMergingParams, x: TensorShape, ctx: RuleContext) -> Inferred:
    height, width, channels = channels_last_map("patch_merging", x)
    check_given(p.dim, channels, "dim", "channels")
    half = [floordiv(total([side, 1]), 2) for side in (height, width)]  # ceil(side / 2)
    weights = 4 * channels * 2 * channels + 2 * 4 * channels
    macs = product([*half, 4 * channels * 2 * channels])
    return Inferred(TensorShape((*half, 2 * channels)), weights, macs=macs)


def build(p: PatchMergingParams, x: TensorShape) -> ModuleCall:
    return call("PatchMerging", p.dim or x.dims[-1], eps=unless(p.eps, 1e-5))


def patch_merging_class() -> type:
    """archspec's PatchMerging (torch is imported here only); ``compile -o`` copies it."""
    import torch
    from torch import nn

    class PatchMerging(nn.Module):
        """Swin's patch merging: 2x2 patches of [N, H, W, C] to [N, H/2, W/2, 2C]."""

        def __init__(self, dim: int, eps: float = 1e-5) -> None:
            super().__init__()
            self.reduction = nn.Linear(4 * dim, 2 * dim, bias=False)
            self.norm = nn.LayerNorm(4 * dim, eps=eps)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            height, width = x.shape[-3], x.shape[-2]
            x = nn.functional.pad(x, (0, 0, 0, width % 2, 0, height % 2))
            offsets = ((0, 0), (1, 0), (0, 1), (1, 1))  # (row, column), torchvision's order
            corners = [x[..., row::2, column::2, :] for row, column in offsets]
            return self.reduction(self.norm(torch.cat(corners, -1)))

    return PatchMerging


_RUNTIME, __getattr__ = runtime_classes(__name__, PatchMerging=patch_merging_class)


register(
    Primitive(
        "patch_merging",
        PatchMergingParams,
        infer,
        build,
        "Swin's patch merging (torchvision's PatchMerging): 2×2 patches of a channels-last map "
        "concatenated, normalized and projected, [N, H, W, C] → [N, ⌈H/2⌉, ⌈W/2⌉, 2C].",
        classes=("PatchMerging",),
        parts=("Linear", "LayerNorm"),  # reduction and norm: no init class case may reach them
        runtime=_RUNTIME,
        label=lambda p, x: "patch merging",
        formula="[N, H, W, C] → [N, ceil(H/2), ceil(W/2), 2C]. Params: 8C² + 8C. MACs = ceil(H/2)·"
        "ceil(W/2)·8C².",
    )
)
