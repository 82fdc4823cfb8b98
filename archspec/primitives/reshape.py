"""reshape: each sample's dims made into a given shape (``x.reshape(N, *shape)``).

PyTorch has no module for it (torch.nn has Flatten and Unflatten, each over a
range of dims); archspec's own ``Reshape`` holds the shape after the batch,
which stays first. One size may be -1: it is inferred, as PyTorch infers it.
"""

from __future__ import annotations

from archspec.frontend.model import Field, field_validator
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
from archspec.primitives.unflatten import Sizes, check_sizes
from archspec.shapes.dims import product
from archspec.shapes.layout import fill_sizes
from archspec.shapes.tensor import TensorShape


class ReshapeParams(LayerParams):
    shape: Sizes = Field(
        description="The dims after the batch (their product is the sample's size); one may be -1, inferred."
    )

    _sizes = field_validator("shape")(check_sizes)


def infer(p: ReshapeParams, x: TensorShape, ctx: RuleContext) -> Inferred:
    sizes = fill_sizes(p.shape, product(x.dims), op="reshape", what=f"a sample of {x}", field="shape")
    return Inferred(TensorShape(sizes))


def build(p: ReshapeParams, x: TensorShape) -> ModuleCall:
    return call("Reshape", list(p.shape))


def reshape_class() -> type:
    """archspec's Reshape, made when a network is built (torch is imported here only);
    ``compile -o`` copies the class below into the file it writes."""
    import torch
    from torch import nn

    class Reshape(nn.Module):
        """Each sample reshaped to ``shape`` (the dims after the batch; one may be -1)."""

        def __init__(self, shape: list[int]) -> None:
            super().__init__()
            self.shape = list(shape)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            # each sample as one dim, then as the shape: x.reshape(N, *shape) in a form that
            # TorchScript and torch.export take with any batch
            return x.flatten(1).unflatten(1, self.shape)

        def extra_repr(self) -> str:
            return f"shape={self.shape}"

    return Reshape


_RUNTIME, __getattr__ = runtime_classes(__name__, Reshape=reshape_class)


register(
    Primitive(
        "reshape",
        ReshapeParams,
        infer,
        build,
        "Reshape each sample to `shape` (x.reshape(N, *shape)); the batch stays first.",
        classes=("Reshape",),
        runtime=_RUNTIME,
        label=lambda p, x: f"reshape {'×'.join(map(str, p.shape))}",
        formula="[N, d1, …, dk] → [N, s1, …, sm], s1 × … × sm = d1 × … × dk; one s may be -1 "
        "(inferred; for a symbolic input it must divide exactly).",
        allocates=False,  # a view of its input where it is contiguous (a copy after a permute)
        integers="keep",
    )
)
