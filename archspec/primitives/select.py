"""select: one index of a dim (the dim dropped, ``x[:, 0]``: ViT's class token) or a
slice of it (``x[:, 1:5]``, the dim kept), as torch.select and torch.narrow.

``dim`` counts as PyTorch counts, with the batch (1: the sequence of tokens [N, L, D],
or the channels), never 0. An index or a slice end past the dim's size is an error
(E309), where PyTorch refuses an index and would silently shorten a slice. On a symbolic
size the check is a threshold: the valid sizes are those from index + 1 (end) on.
"""

from __future__ import annotations

from archspec.codes import E309
from archspec.diagnostics import check
from archspec.frontend.model import Field, model_validator
from archspec.frontend.types import LayerParams, NonNegativeInt, PositiveInt
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
from archspec.shapes.dims import format_dim, is_concrete, total
from archspec.shapes.layout import sample_axis
from archspec.shapes.tensor import TensorShape

MAX_INDEX = 1 << 31


class SelectParams(LayerParams):
    dim: int = Field(
        1, ge=-6, le=5, description="The dim, counted with the batch as PyTorch counts it (not 0)."
    )
    index: int | None = Field(
        None,
        ge=-MAX_INDEX,
        le=MAX_INDEX,
        description="Take this one index (negative: from the end); the dim is dropped. Or give start/end.",
    )
    start: NonNegativeInt | None = Field(None, le=MAX_INDEX, description="The slice's first index.")
    end: PositiveInt | None = Field(
        None, le=MAX_INDEX, description="The slice's end (excluded); default the dim's size."
    )

    @model_validator(mode="after")
    def _index_or_slice(self) -> SelectParams:
        # value problems (E200), found when the spec is validated
        if self.index is not None and (self.start is not None or self.end is not None):
            raise ValueError("give index (one position) or start/end (a slice), not both")
        if self.index is None and self.start is None and self.end is None:
            raise ValueError("give index (one position, e.g. 0 for the class token) or start/end (a slice)")
        if self.start is not None and self.end is not None and self.end <= self.start:
            raise ValueError(f"the slice {self.start}:{self.end} is empty: end must be past start")
        return self


def infer(p: SelectParams, x: TensorShape, ctx: RuleContext) -> Inferred:
    axis = sample_axis(p.dim, x, "dim")
    size = x.dims[axis]
    if p.index is not None:
        if is_concrete(size):
            check(
                -size <= p.index < size,
                f"index {p.index} is past the {size} entries of dim {p.dim} "
                f"(0 … {size - 1}, or -{size} … -1)",
                code=E309,
                field="index",
                hint=f"use an index from 0 to {size - 1}",
            )
        # (a symbolic size: the concrete probes find the sizes from index + 1 on)
        return Inferred(TensorShape((*x.dims[:axis], *x.dims[axis + 1 :])))
    start = p.start or 0
    if p.end is None:
        if is_concrete(size):
            check(
                start < size,
                f"the slice starts at {start}, past the {size} entries of dim {p.dim}",
                code=E309,
                field="start",
                hint=f"use a start from 0 to {size - 1}",
            )
        length = total([size, -start])
    else:
        if is_concrete(size):
            check(
                p.end <= size,
                f"the slice {start}:{p.end} ends past the {format_dim(size)} entries of dim {p.dim} "
                "(PyTorch would shorten it silently)",
                code=E309,
                field="end",
                hint=f"use an end of at most {size}",
            )
        length = p.end - start
    return Inferred(TensorShape((*x.dims[:axis], length, *x.dims[axis + 1 :])))


def build(p: SelectParams, x: TensorShape) -> ModuleCall:
    if p.index is not None:
        return call("Select", p.dim, p.index)
    return call("Narrow", p.dim, start=unless(p.start, None), end=unless(p.end, None))


def select_class() -> type:
    """archspec's Select (torch is imported here only); ``compile -o`` copies it."""
    import torch
    from torch import nn

    class Select(nn.Module):
        """One index of a dim, the dim dropped: ``x.select(dim, index)``."""

        def __init__(self, dim: int, index: int) -> None:
            super().__init__()
            self.dim, self.index = dim, index

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x.select(self.dim, self.index)

        def extra_repr(self) -> str:
            return f"dim={self.dim}, index={self.index}"

    return Select


def narrow_class() -> type:
    """archspec's Narrow (torch is imported here only); ``compile -o`` copies it."""
    import torch
    from torch import nn

    class Narrow(nn.Module):
        """A slice start:end of a dim (to its end by default): ``x.narrow``."""

        def __init__(self, dim: int, start: int | None = None, end: int | None = None) -> None:
            super().__init__()
            self.dim, self.start, self.end = dim, start or 0, end

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            size = x.shape[self.dim]
            end = size if self.end is None else self.end
            if self.start >= size:  # narrow would return an empty tensor
                raise IndexError(f"slice start {self.start} past the {size} entries")
            return x.narrow(self.dim, self.start, end - self.start)

        def extra_repr(self) -> str:
            return f"dim={self.dim}, start={self.start}, end={self.end}"

    return Narrow


_RUNTIME, __getattr__ = runtime_classes(__name__, Select=select_class, Narrow=narrow_class)


def label(p: SelectParams, x: TensorShape) -> str:
    if p.index is not None:
        return f"select {p.index} of dim {p.dim}"
    return f"slice {p.start or 0}:{'' if p.end is None else p.end} of dim {p.dim}"


register(
    Primitive(
        "select",
        SelectParams,
        infer,
        build,
        "Take one index of a dim (x[:, 0], ViT's class token; the dim dropped) or a slice start:end "
        "(the dim kept).",
        classes=("Select", "Narrow"),
        runtime=_RUNTIME,
        label=label,
        allocates=False,  # a view of its input
        formula="[N, …, S, …] → [N, …, …] for index i (-S ≤ i < S); [N, …, end - start, …] for a slice "
        "(end ≤ S, default S).",
        integers="keep",
    )
)
