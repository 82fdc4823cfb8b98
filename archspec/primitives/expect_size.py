"""expect_size: the input must have given sizes, as torchvision's ViT asserts its image size.

torchvision's VisionTransformer checks ``h == image_size`` and ``w == image_size``
before its patch projection (a 230-pixel side would make 14 patches too, and run);
``expect_size`` states that check in the spec. On a concrete input another size is an
error (E311); on a symbolic one each size's requirement is a join against a fixed size,
so the valid sizes are exactly the expected ones, and the layers after it see ints. The
module passes its input through and, like torchvision's, asserts the sizes at run time.
"""

from __future__ import annotations

from typing import Annotated

from archspec.codes import E311
from archspec.diagnostics import check
from archspec.frontend.model import Field
from archspec.frontend.types import LayerParams, PositiveInt
from archspec.primitives.registry import (
    Inferred,
    ModuleCall,
    Primitive,
    RuleContext,
    call,
    register,
    runtime_classes,
)
from archspec.shapes.dims import format_dim, is_concrete
from archspec.shapes.tensor import TensorShape, axis_names, expand_tuple, require_spatial, size_label


class ExpectSizeParams(LayerParams):
    size: PositiveInt | Annotated[list[PositiveInt], Field(min_length=1, max_length=3)] = Field(
        description="The size of each spatial dim (one int for all: 224 for a 224x224 image)."
    )


def infer(p: ExpectSizeParams, x: TensorShape, ctx: RuleContext) -> Inferred:
    spatial = require_spatial(x, "expect_size")
    expected = expand_tuple(p.size, spatial, "size")
    sizes = []
    for name, actual, want in zip(axis_names(x), x.spatial, expected, strict=True):
        where = f"the layers after it expect {name} {want}, but the input has {format_dim(actual)}"
        if is_concrete(actual):
            check(
                actual == want,
                where,
                code=E311,
                field="size",
                hint=f"give the network inputs of {name} {want} (resize them first)",
            )
            sizes.append(actual)
        else:
            sizes.append(ctx.equate(actual, want, where))
    return Inferred(TensorShape((x.channels, *sizes)))


def build(p: ExpectSizeParams, x: TensorShape) -> ModuleCall:
    # a list as written: the module refuses a wrong count at run time, as the rule does
    sizes = list(p.size) if isinstance(p.size, list) else [p.size] * len(x.spatial)
    return call("ExpectSize", sizes)


def expect_size_class() -> type:
    """archspec's ExpectSize (torch is imported here only); ``compile -o`` copies it."""
    import torch
    from torch import nn

    class ExpectSize(nn.Module):
        """The input unchanged, after checking its spatial sizes (as torchvision's ViT
        asserts its image size)."""

        def __init__(self, size: list[int]) -> None:
            super().__init__()
            self.size = list(size)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            rank = 2 + len(self.size)
            torch._assert(x.dim() == rank, f"expected {rank} dims (batch, channels, sizes)")
            for axis, want in enumerate(self.size):
                got = x.shape[2 + axis]
                torch._assert(got == want, f"expected size {self.size} after the channels")
            return x

        def extra_repr(self) -> str:
            return f"size={self.size}"

    return ExpectSize


_RUNTIME, __getattr__ = runtime_classes(__name__, ExpectSize=expect_size_class)


register(
    Primitive(
        "expect_size",
        ExpectSizeParams,
        infer,
        build,
        "Require the spatial sizes of the input (torchvision's ViT asserts its image size); the "
        "identity otherwise.",
        classes=("ExpectSize",),
        runtime=_RUNTIME,
        allocates=False,  # its input, passed through
        label=lambda p, x: f"expect {size_label(p.size, x)}",
        formula="[N, C, *L] → [N, C, *size]; each L must equal its size (on a symbolic input, the "
        "valid sizes are exactly size).",
        integers="keep",
    )
)
