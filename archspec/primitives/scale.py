"""scale: the input times a learned per-channel tensor (ConvNeXt's layer scale, CaiT's).

The tensor has shape [C, 1, …, 1] (one 1 per spatial dim), so it multiplies
each channel of [N, C, *L], as torchvision's CNBlock holds it
(``nn.Parameter(torch.ones(dim, 1, 1) * layer_scale)``), every entry ``init``.

The gap: in torchvision the tensor is a parameter of the block itself (its
state_dict key is ``<block>.layer_scale``, listed before the block's layers),
while here it is the ``weight`` of a layer of its own (``<layer>.weight``,
after the layers before it). A module cannot put a parameter on its parent;
the exact keys need a learned tensor declared by the block (see the issue).
"""

from __future__ import annotations

from archspec.frontend.model import Field
from archspec.frontend.types import LayerParams
from archspec.primitives.registry import (
    Inferred,
    ModuleCall,
    Primitive,
    RuleContext,
    call,
    register,
    runtime_classes,
)
from archspec.shapes.tensor import TensorShape, concrete_channels


class ScaleParams(LayerParams):
    init: float = Field(
        allow_inf_nan=False,
        description="The value every entry starts at (ConvNeXt: 1.0e-6, written with a dot and a "
        "signed exponent for YAML).",
    )


def infer(p: ScaleParams, x: TensorShape, ctx: RuleContext) -> Inferred:
    return Inferred(x, concrete_channels(x, "scale", "channels"))


def build(p: ScaleParams, x: TensorShape) -> ModuleCall:
    return call("LayerScale", [x.channels, *(1 for _ in x.spatial)], p.init)


def layer_scale_class() -> type:
    """archspec's LayerScale, made when a network is built (torch is imported here only);
    ``compile -o`` copies the class below into the file it writes."""
    import torch
    from torch import nn

    class LayerScale(nn.Module):
        """The input times a learned tensor of ``shape`` ([C, 1, 1] for [N, C, H, W]),
        every entry starting at ``init``: ConvNeXt's layer scale."""

        def __init__(self, shape: list[int], init: float) -> None:
            super().__init__()
            self.init_value = init
            self.weight = nn.Parameter(torch.full(shape, init))

        def reset_parameters(self) -> None:
            nn.init.constant_(self.weight, self.init_value)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.weight * x

    return LayerScale


_RUNTIME, __getattr__ = runtime_classes(__name__, LayerScale=layer_scale_class)


register(
    Primitive(
        "scale",
        ScaleParams,
        infer,
        build,
        "The input times a learned per-channel tensor (ConvNeXt's layer scale), every entry `init` at first.",
        classes=("LayerScale",),
        tensors=lambda p, x: (("weight", (x.channels, *(1 for _ in x.spatial))),),
        runtime=_RUNTIME,
        label=lambda p, x: f"scale ×{p.init:g}",
        formula="[N, C, *L] → [N, C, *L] (C an int). Params: C (a tensor [C, 1, …, 1]). MACs = 0, as "
        "torchvision counts (elementwise products are not counted).",
        integers="floats",
    )
)
