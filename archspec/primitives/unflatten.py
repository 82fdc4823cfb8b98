"""unflatten: one dim split into several (nn.Unflatten), the inverse of flatten.

``dim`` counts as PyTorch counts, over the whole tensor with the batch (1 is
the channels, -1 the last dim; never 0, the batch). One of the sizes may be
-1: it is inferred, as PyTorch infers it.
"""

from __future__ import annotations

from typing import Annotated

from archspec.frontend.model import Field, field_validator
from archspec.frontend.types import LayerParams
from archspec.primitives.registry import Inferred, ModuleCall, Primitive, RuleContext, call, register
from archspec.shapes.layout import fill_sizes, sample_axis
from archspec.shapes.tensor import TensorShape

Sizes = Annotated[list[Annotated[int, Field(ge=-1)]], Field(min_length=1, max_length=6)]


def check_sizes(sizes: list[int]) -> list[int]:
    """Sizes as PyTorch takes them: each at least 1, or one -1 (inferred)."""
    if 0 in sizes:
        raise ValueError("a size of 0 would empty the tensor: each size is at least 1, or -1 (inferred)")
    if sizes.count(-1) > 1:
        raise ValueError("only one size can be -1 (inferred), as in PyTorch")
    return sizes


class UnflattenParams(LayerParams):
    dim: int = Field(
        description="The dim split, counted with the batch as PyTorch counts it: 1 is the channels, "
        "-1 the last (never 0, the batch)."
    )
    unflattened_size: Sizes = Field(
        description="The sizes it becomes (their product is its size); one may be -1, inferred."
    )

    _sizes = field_validator("unflattened_size")(check_sizes)


def infer(p: UnflattenParams, x: TensorShape, ctx: RuleContext) -> Inferred:
    axis = sample_axis(p.dim, x, "dim")
    sizes = fill_sizes(
        p.unflattened_size, x.dims[axis], op="unflatten", what=f"dim {p.dim}", field="unflattened_size"
    )
    return Inferred(TensorShape((*x.dims[:axis], *sizes, *x.dims[axis + 1 :])))


def build(p: UnflattenParams, x: TensorShape) -> ModuleCall:
    return call("Unflatten", p.dim, tuple(p.unflattened_size))


register(
    Primitive(
        "unflatten",
        UnflattenParams,
        infer,
        build,
        "Split one dim into several (nn.Unflatten): the inverse of flatten.",
        classes=("Unflatten",),
        label=lambda p, x: f"unflatten {p.dim} → {'×'.join(map(str, p.unflattened_size))}",
        formula="[N, …, d, …] → [N, …, s1, …, sk, …] at `dim` (counted with the batch, not 0), "
        "s1 × … × sk = d; one s may be -1 (inferred; for a symbolic d it must divide exactly).",
        allocates=False,  # a view of its input
        integers="keep",
    )
)
